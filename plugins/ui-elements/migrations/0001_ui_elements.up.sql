-- UI elements (overlays, lower thirds, logos) and their links to episodes:
-- the seed's DDL (architecture.md, section 2) verbatim, plus the updated_at
-- trigger the seed asks for on every table with updated_at.

CREATE TABLE ui_elements (
    ui_element_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    element_name VARCHAR(255) NOT NULL UNIQUE,
    element_type VARCHAR(100) NOT NULL,
    file_reference VARCHAR(1024) NOT NULL,
    thumbnail_reference VARCHAR(1024),
    description TEXT,
    tags TEXT[],
    version VARCHAR(50),
    approval_status VARCHAR(50) DEFAULT 'approved',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);

CREATE TABLE episode_ui_elements (
    episode_ui_element_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    ui_element_id UUID NOT NULL REFERENCES ui_elements(ui_element_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, ui_element_id, usage_context)
);

CREATE TRIGGER update_ui_elements_updated_at BEFORE UPDATE ON ui_elements
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Usage lists look links up by element; the UNIQUE above serves the
-- episode side.
CREATE INDEX idx_episode_ui_elements_element
    ON episode_ui_elements(ui_element_id);
