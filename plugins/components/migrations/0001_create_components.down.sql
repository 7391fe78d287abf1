-- Drops the table with its trigger.
DROP TABLE IF EXISTS components;
