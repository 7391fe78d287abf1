-- The seed's schema (shared/seed/architecture.md, section 2), verbatim:
-- the reference test_schema compares the migrated database with.

-- SHOWS
CREATE TABLE shows (
    show_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL UNIQUE,
    description TEXT,
    status VARCHAR(50) DEFAULT 'active',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ,
    metadata JSONB DEFAULT '{}'
);

-- EPISODES
CREATE TABLE episodes (
    episode_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    show_id UUID NOT NULL REFERENCES shows(show_id),
    title VARCHAR(500) NOT NULL,
    episode_number INTEGER NOT NULL,
    season_number INTEGER DEFAULT 1,
    status VARCHAR(50) DEFAULT 'draft',
    description TEXT,
    duration_seconds INTEGER,
    filming_date DATE,
    edit_deadline DATE,
    publish_date DATE,
    released_at TIMESTAMPTZ,
    script_text TEXT,
    script_file_reference VARCHAR(1024),
    trailer_reference VARCHAR(1024),
    thumbnail_reference VARCHAR(1024),
    tags TEXT[],
    category VARCHAR(100),
    language VARCHAR(10) DEFAULT 'en-US',
    approval_status VARCHAR(50) DEFAULT 'approved',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ,
    metadata JSONB DEFAULT '{}',
    UNIQUE (show_id, season_number, episode_number)
);
CREATE INDEX idx_episodes_show ON episodes(show_id) WHERE deleted_at IS NULL;
CREATE INDEX idx_episodes_fts ON episodes USING gin(to_tsvector('english', 
    coalesce(title,'') || ' ' || coalesce(description,'') || ' ' || coalesce(script_text,'')));

-- SCRIPT VERSIONS
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

-- OUTFITS
CREATE TABLE outfits (
    outfit_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    outfit_name VARCHAR(255),
    outfit_type VARCHAR(50),
    top JSONB,
    bottom JSONB,
    dress JSONB,
    pattern_description TEXT,
    overall_image_reference VARCHAR(1024),
    accessories JSONB,
    shoes JSONB,
    purse JSONB,
    tags TEXT[],
    category VARCHAR(100),
    season VARCHAR(50),
    occasion VARCHAR(100),
    approval_status VARCHAR(50) DEFAULT 'approved',
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);
CREATE INDEX idx_outfits_top ON outfits USING gin(top);
CREATE INDEX idx_outfits_shoes ON outfits USING gin(shoes);

-- EPISODE-OUTFIT LINK
CREATE TABLE episode_outfits (
    episode_outfit_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    outfit_id UUID NOT NULL REFERENCES outfits(outfit_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, outfit_id, usage_context)
);

-- UI ELEMENTS
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

-- EPISODE-UI ELEMENT LINK
CREATE TABLE episode_ui_elements (
    episode_ui_element_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    ui_element_id UUID NOT NULL REFERENCES ui_elements(ui_element_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, ui_element_id, usage_context)
);

-- BACKGROUNDS
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

-- EPISODE-BACKGROUND LINK
CREATE TABLE episode_backgrounds (
    episode_background_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    background_id UUID NOT NULL REFERENCES backgrounds(background_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, background_id, usage_context)
);

-- CLIPS
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

-- COMPONENTS
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

-- GUESTS
CREATE TABLE guests (
    guest_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    business_name VARCHAR(255),
    business_email VARCHAR(255),
    business_phone VARCHAR(50),
    website VARCHAR(500),
    session_id VARCHAR(255) UNIQUE,
    session_expires_at TIMESTAMPTZ,
    converted_user_id UUID,
    converted_at TIMESTAMPTZ,
    outfit_references JSONB DEFAULT '[]',
    upload_references JSONB DEFAULT '[]',
    notes TEXT,
    consent_given BOOLEAN DEFAULT FALSE,
    consent_timestamp TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);

-- THUMBNAILS
CREATE TABLE thumbnails (
    thumbnail_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type VARCHAR(50) NOT NULL,
    entity_id UUID NOT NULL,
    size_variant VARCHAR(50) NOT NULL,
    file_reference VARCHAR(1024) NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    file_size_bytes BIGINT,
    source_type VARCHAR(50),
    source_reference VARCHAR(1024),
    status VARCHAR(50) DEFAULT 'pending',
    error_message TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    processed_at TIMESTAMPTZ,
    UNIQUE (entity_type, entity_id, size_variant)
);

-- AUDIT LOG
CREATE TABLE audit_log (
    audit_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type VARCHAR(100) NOT NULL,
    entity_id UUID NOT NULL,
    action VARCHAR(50) NOT NULL,
    field_name VARCHAR(255),
    old_value TEXT,
    new_value TEXT,
    user_id UUID,
    user_email VARCHAR(255),
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_audit_log_entity ON audit_log(entity_type, entity_id);
CREATE INDEX idx_audit_log_timestamp ON audit_log(created_at DESC);

-- Auto-update timestamps
CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_episodes_updated_at BEFORE UPDATE ON episodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
-- (apply to all tables with updated_at)

-- Ensure only one active script version
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
