-- Per-episode components (audio, music, trailer...): the seed's table
-- (architecture.md, section 2) exactly, plus the updated_at trigger the seed
-- applies to every table that has updated_at.
CREATE TABLE components (
    component_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    component_type VARCHAR(100) NOT NULL,
    component_subtype VARCHAR(100),
    file_reference VARCHAR(1024) NOT NULL,
    file_size_bytes BIGINT,
    duration_seconds INTEGER,
    description TEXT,
    version VARCHAR(50),
    status VARCHAR(50) DEFAULT 'ready',
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);

CREATE TRIGGER update_components_updated_at BEFORE UPDATE ON components
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
