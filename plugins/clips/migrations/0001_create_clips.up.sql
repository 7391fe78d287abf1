-- Raw clips: the seed's table (architecture.md, section 2) exactly, with its
-- indexes, plus the updated_at trigger the seed applies to every table that
-- has updated_at.
CREATE TABLE clips (
    clip_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID REFERENCES episodes(episode_id) ON DELETE SET NULL,
    talent_source VARCHAR(100) NOT NULL,
    clip_type VARCHAR(50) DEFAULT 'raw',
    file_reference VARCHAR(1024) NOT NULL,
    file_hash VARCHAR(128),
    file_size_bytes BIGINT,
    duration_seconds INTEGER,
    timecode_in VARCHAR(50),
    timecode_out VARCHAR(50),
    scene_description TEXT,
    take_number INTEGER,
    quality_rating VARCHAR(50),
    status VARCHAR(50) DEFAULT 'pending_review',
    notes TEXT,
    tags TEXT[],
    thumbnail_reference VARCHAR(1024),
    approval_status VARCHAR(50) DEFAULT 'draft',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);
CREATE INDEX idx_clips_episode ON clips(episode_id) WHERE deleted_at IS NULL;
CREATE INDEX idx_clips_talent ON clips(talent_source) WHERE deleted_at IS NULL;
CREATE INDEX idx_clips_standalone ON clips(episode_id) WHERE episode_id IS NULL AND deleted_at IS NULL;

CREATE TRIGGER update_clips_updated_at BEFORE UPDATE ON clips
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Full-text search: exactly the document the entity engine builds from the
-- SLATE_F_SEARCH fields (scene_description, notes), so the planner uses it.
-- tags are deliberately not in the document: array_to_string() is STABLE,
-- and PostgreSQL refuses a STABLE function in an index expression, so a
-- document with tags could never be indexed. Tags filter searches instead
-- (?tags=a,b, answered by containment).
CREATE INDEX idx_clips_fts ON clips USING gin(to_tsvector('english',
    coalesce(scene_description,'') || ' ' || coalesce(notes,'')));
