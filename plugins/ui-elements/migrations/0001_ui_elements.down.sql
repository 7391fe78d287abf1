DROP TABLE IF EXISTS episode_ui_elements;
DROP TABLE IF EXISTS ui_elements;
