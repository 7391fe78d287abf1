-- Every run of a job that asks to be recorded: not idempotent on purpose,
-- so that a job run twice shows as two rows.
CREATE TABLE jobplug_runs (
    job_id UUID NOT NULL,
    attempt INTEGER NOT NULL,
    worker_pid INTEGER NOT NULL,
    ran_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
