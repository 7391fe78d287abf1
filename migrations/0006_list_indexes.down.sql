DROP INDEX IF EXISTS idx_episodes_created;
