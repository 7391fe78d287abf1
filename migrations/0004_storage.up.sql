-- Uploads into blob storage (core/upload.c): one row per signed upload URL,
-- from issue to confirmation. Rows never confirmed are removed, with their
-- object, after storage.upload_cleanup_after_s.

CREATE TABLE uploads (
    upload_id UUID PRIMARY KEY,
    entity_type VARCHAR(64) NOT NULL,
    entity_id UUID NOT NULL,
    field VARCHAR(64) NOT NULL,           -- the entity field that gets the key
    kind VARCHAR(32) NOT NULL,            -- script, trailer, raw_clip, ...
    store VARCHAR(32) NOT NULL,           -- primary, thumbnails
    object_key VARCHAR(1024) NOT NULL,
    declared_size BIGINT NOT NULL CHECK (declared_size > 0),
    content_type VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'stored', 'confirmed', 'failed')),
    sha256 CHAR(64),                      -- set when slated saw the bytes
    created_by UUID REFERENCES users(user_id) ON DELETE SET NULL,
    expires_at TIMESTAMPTZ NOT NULL,      -- of the signed URL
    stored_at TIMESTAMPTZ,
    confirmed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
-- One upload per object: two can never write the same key.
CREATE UNIQUE INDEX uploads_store_key ON uploads (store, object_key);
CREATE INDEX idx_uploads_entity ON uploads (entity_type, entity_id);
CREATE INDEX idx_uploads_unconfirmed ON uploads (created_at)
    WHERE status <> 'confirmed';
