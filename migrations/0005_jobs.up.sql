-- The job queue (issue #6): work done outside the request that asked for it,
-- by worker processes (core/workers.c) that claim rows here with
-- FOR UPDATE SKIP LOCKED. PostgreSQL is the queue so that a job is enqueued
-- in the same transaction as the change that asks for it: it exists iff the
-- change commits.
--
-- status: queued (waiting for run_at), running (leased by locked_by until
-- lease_expires_at), succeeded, failed (the last attempt failed; queued
-- again for run_at, after a backoff), dead (gave up after max_attempts; an
-- admin may retry it).
CREATE TABLE jobs (
    job_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind TEXT NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}',
    entity_type TEXT,
    entity_id UUID,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER CHECK (max_attempts IS NULL OR max_attempts >= 1),
    run_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    lease_expires_at TIMESTAMPTZ,
    locked_by TEXT,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);

-- What a claim scans: only claimable rows, in run_at order. Small however
-- large the history grows.
CREATE INDEX idx_jobs_claimable ON jobs (run_at)
    WHERE status IN ('queued', 'failed');
-- What the lease reaper scans.
CREATE INDEX idx_jobs_running ON jobs (lease_expires_at)
    WHERE status = 'running';
-- GET /api/v1/jobs filters.
CREATE INDEX idx_jobs_status_created ON jobs (status, created_at DESC);
CREATE INDEX idx_jobs_entity ON jobs (entity_type, entity_id)
    WHERE entity_id IS NOT NULL;

CREATE TRIGGER update_jobs_updated_at BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
