-- Reverts 0001_core.up.sql, newest object first. No CASCADE: while a
-- plugin's tables still use the function or reference episodes, this fails
-- and says so; revert the plugin first.

DROP TRIGGER IF EXISTS update_episodes_updated_at ON episodes;
DROP TRIGGER IF EXISTS update_shows_updated_at ON shows;
DROP FUNCTION IF EXISTS update_updated_at_column();

DROP INDEX IF EXISTS idx_audit_log_timestamp;
DROP INDEX IF EXISTS idx_audit_log_entity;
DROP TABLE IF EXISTS audit_log;

DROP TABLE IF EXISTS thumbnails;

DROP INDEX IF EXISTS idx_episodes_fts;
DROP INDEX IF EXISTS idx_episodes_show;
DROP TABLE IF EXISTS episodes;

DROP TABLE IF EXISTS shows;
