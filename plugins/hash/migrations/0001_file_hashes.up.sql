-- SHA-256 of every stored file the hash processor has read, one row per
-- entity field (a new file in the field replaces the row). Duplicates are
-- rows of live entities sharing sha256 and size; liveness is read from the
-- entity's own audit trail at query time (see hash_dupes.c), so nothing
-- here has to follow deletions.
CREATE TABLE file_hashes (
    file_hash_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type VARCHAR(100) NOT NULL,
    entity_id UUID NOT NULL,
    field VARCHAR(255) NOT NULL,
    store VARCHAR(32) NOT NULL,
    object_key VARCHAR(1024) NOT NULL,
    sha256 CHAR(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    hashed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (entity_type, entity_id, field)
);
-- Grouping and the per-entity look-up both start from the content.
CREATE INDEX idx_file_hashes_content ON file_hashes (sha256, size_bytes);
