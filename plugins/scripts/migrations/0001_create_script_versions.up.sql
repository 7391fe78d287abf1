-- Script versions: the seed's table (architecture.md, section 2) exactly, and
-- its trigger keeping one active version per episode. The table has no
-- updated_at, so it gets no updated_at trigger.
CREATE TABLE script_versions (
    script_version_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    script_text TEXT,
    script_file_reference VARCHAR(1024),
    author_user_id UUID,
    author_name VARCHAR(255),
    change_notes TEXT,
    source VARCHAR(50) DEFAULT 'manual_upload',
    is_active BOOLEAN DEFAULT FALSE,
    approval_status VARCHAR(50) DEFAULT 'draft',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ,
    UNIQUE (episode_id, version_number)
);

CREATE OR REPLACE FUNCTION ensure_single_active_script_version()
RETURNS TRIGGER AS $$
BEGIN
    IF NEW.is_active = TRUE THEN
        UPDATE script_versions
        SET is_active = FALSE
        WHERE episode_id = NEW.episode_id
          AND script_version_id != NEW.script_version_id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ensure_single_active_script_version_trigger
    BEFORE INSERT OR UPDATE ON script_versions
    FOR EACH ROW WHEN (NEW.is_active = TRUE)
    EXECUTE FUNCTION ensure_single_active_script_version();

-- Full-text search: exactly the document the entity engine builds from the
-- SLATE_F_SEARCH fields in field order (script_text, author_name,
-- change_notes), so the planner uses it for /search/scripts.
CREATE INDEX idx_script_versions_fts ON script_versions USING gin(to_tsvector('english',
    coalesce(script_text,'') || ' ' || coalesce(author_name,'') || ' ' || coalesce(change_notes,'')));
