DROP TABLE IF EXISTS episode_outfits;
DROP TABLE IF EXISTS outfits;
