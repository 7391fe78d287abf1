-- A table for the test plugin's entity. Each variant of the test plugin has
-- its own component id, so the table name carries nothing variant-specific:
-- only the one variant that is enabled and loads migrates it.
CREATE TABLE IF NOT EXISTS testplug_widgets (
    widget_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(100) NOT NULL UNIQUE,
    size INTEGER DEFAULT 1,
    episode_id UUID REFERENCES episodes(episode_id),
    drawing_reference VARCHAR(1024),
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);
