-- Backgrounds (sets, virtual backdrops) and their links to episodes: the
-- seed's DDL (architecture.md, section 2) verbatim, plus the updated_at
-- trigger the seed asks for on every table with updated_at.

CREATE TABLE backgrounds (
    background_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    background_name VARCHAR(255) NOT NULL UNIQUE,
    background_type VARCHAR(100) NOT NULL,
    file_reference VARCHAR(1024) NOT NULL,
    thumbnail_reference VARCHAR(1024),
    description TEXT,
    tags TEXT[],
    location VARCHAR(255),
    lighting_notes TEXT,
    approval_status VARCHAR(50) DEFAULT 'approved',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);

CREATE TABLE episode_backgrounds (
    episode_background_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    background_id UUID NOT NULL REFERENCES backgrounds(background_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, background_id, usage_context)
);

CREATE TRIGGER update_backgrounds_updated_at BEFORE UPDATE ON backgrounds
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Usage lists look links up by background; the UNIQUE above serves the
-- episode side.
CREATE INDEX idx_episode_backgrounds_background
    ON episode_backgrounds(background_id);
