-- Beyond the seed's indexes: the default order of the episode list
-- (newest first, core/core_entities.c), so a page of it is an index scan
-- that stops after `limit` rows instead of a sort of every episode.
CREATE INDEX idx_episodes_created ON episodes
    (created_at DESC NULLS LAST, episode_id) WHERE deleted_at IS NULL;
