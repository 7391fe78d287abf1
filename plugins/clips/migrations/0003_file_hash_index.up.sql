-- Content identity: the watch-folder ingest and duplicate checks look clips
-- up by their SHA-256.
CREATE INDEX idx_clips_file_hash ON clips (file_hash) WHERE deleted_at IS NULL;
