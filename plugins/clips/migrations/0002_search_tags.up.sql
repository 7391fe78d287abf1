-- Tags join the search document now that the core's IMMUTABLE
-- slate_array_text() lets an index hold it: the same expression the engine
-- builds from the SLATE_F_SEARCH fields (scene_description, notes, tags).
DROP INDEX IF EXISTS idx_clips_fts;
CREATE INDEX idx_clips_fts ON clips USING gin(to_tsvector('english',
    coalesce(scene_description,'') || ' ' || coalesce(notes,'') || ' ' ||
    coalesce(slate_array_text(tags),'')));
