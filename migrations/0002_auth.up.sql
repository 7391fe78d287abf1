-- Accounts, tokens and counters for authentication and rate limits.
-- Everything a slated process needs to agree on with the others sharing
-- the database lives here: the signing secret, refresh tokens, counters.

CREATE TABLE users (
    user_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL,
    password_hash TEXT NOT NULL,          -- argon2id, encoded form
    groups TEXT[] NOT NULL DEFAULT '{}'
        CHECK (groups <@ ARRAY['admin', 'editor', 'viewer']::TEXT[]),
    disabled_at TIMESTAMPTZ,
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Only the SHA-256 of a refresh token is stored. A token is used once:
-- refreshing marks it used and issues the next one of the same family; a
-- used token shown again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    token_hash CHAR(64) NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens(user_id);

-- Secrets generated once by the first process and shared by all of them
-- (the HS256 key of local access tokens).
CREATE TABLE auth_secrets (
    name VARCHAR(64) PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ DEFAULT NOW()
);

-- Fixed-window counters for rate limits and failed logins. UNLOGGED: a
-- crash may forget them, which only forgives some requests.
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE INDEX idx_audit_log_user ON audit_log(user_id);
CREATE INDEX idx_audit_log_action ON audit_log(action, created_at DESC);
