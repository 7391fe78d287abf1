DROP INDEX IF EXISTS idx_clips_fts;
CREATE INDEX idx_clips_fts ON clips USING gin(to_tsvector('english',
    coalesce(scene_description,'') || ' ' || coalesce(notes,'')));
