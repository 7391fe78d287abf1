-- Drops the table with its indexes and trigger.
DROP TABLE IF EXISTS clips;
