-- The ingest's own state only; the clips it made stay.
DROP TABLE IF EXISTS ingest_intents;
DROP TABLE IF EXISTS ingest_seen;
DROP TABLE IF EXISTS ingest_files;
DROP TABLE IF EXISTS ingest_leases;
