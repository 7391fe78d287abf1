DROP TABLE IF EXISTS episode_backgrounds;
DROP TABLE IF EXISTS backgrounds;
