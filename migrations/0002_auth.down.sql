DROP INDEX IF EXISTS idx_audit_log_action;
DROP INDEX IF EXISTS idx_audit_log_user;
DROP TABLE IF EXISTS rate_limit_counters;
DROP TABLE IF EXISTS auth_secrets;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS users;
