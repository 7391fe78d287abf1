-- Drops the table.
DROP TABLE IF EXISTS media_probes;
