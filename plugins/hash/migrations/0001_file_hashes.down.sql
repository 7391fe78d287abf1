-- Drops the table with its index.
DROP TABLE IF EXISTS file_hashes;
