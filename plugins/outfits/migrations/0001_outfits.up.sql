-- Outfits and their links to episodes: the seed's DDL (architecture.md,
-- section 2) verbatim, plus the updated_at trigger the seed asks for on every
-- table with updated_at, and the index behind GET /api/v1/search/outfits.

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

CREATE TABLE episode_outfits (
    episode_outfit_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    episode_id UUID NOT NULL REFERENCES episodes(episode_id) ON DELETE CASCADE,
    outfit_id UUID NOT NULL REFERENCES outfits(outfit_id),
    usage_context VARCHAR(255),
    notes TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    UNIQUE (episode_id, outfit_id, usage_context)
);

CREATE TRIGGER update_outfits_updated_at BEFORE UPDATE ON outfits
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- The search document exactly as the engine builds it from the fields
-- flagged SLATE_F_SEARCH in outfits.c, in their order, so that the planner
-- matches it. Must change together with those flags. tags is not in it:
-- array_to_string() is only STABLE, which PostgreSQL refuses in an index.
CREATE INDEX idx_outfits_fts ON outfits USING gin(to_tsvector('english',
    coalesce(outfit_name,'') || ' ' || coalesce(outfit_type,'') || ' ' ||
    coalesce(top::text,'') || ' ' || coalesce(bottom::text,'') || ' ' ||
    coalesce(dress::text,'') || ' ' || coalesce(pattern_description,'') || ' ' ||
    coalesce(accessories::text,'') || ' ' || coalesce(shoes::text,'') || ' ' ||
    coalesce(purse::text,'') || ' ' || coalesce(category,'') || ' ' ||
    coalesce(season,'') || ' ' || coalesce(occasion,'')));

-- Usage lists look links up by outfit; the UNIQUE above serves the episode
-- side.
CREATE INDEX idx_episode_outfits_outfit ON episode_outfits(outfit_id);
