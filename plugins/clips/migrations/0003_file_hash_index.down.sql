DROP INDEX IF EXISTS idx_clips_file_hash;
