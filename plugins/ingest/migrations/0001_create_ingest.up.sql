-- The watch-folder ingest's own state (plugins/ingest, README "Watch
-- folders"). Nothing here is needed to read clips: it is how several slated
-- processes share the watching, and how an ingest survives kill -9.

-- One row per watched folder (keyed by its configured path): which process
-- watches it until when. Taken with one INSERT ... ON CONFLICT DO UPDATE
-- ... WHERE expired, so two processes never both hold it.
CREATE TABLE ingest_leases (
    folder TEXT PRIMARY KEY,
    folder_id UUID NOT NULL DEFAULT gen_random_uuid(),
    owner TEXT NOT NULL,
    lease_expires_at TIMESTAMPTZ NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- how the owner watches it ('events' or 'polling', and why polling),
    -- so every process's status can say
    mode VARCHAR(10),
    mode_reason TEXT,
    -- set by POST /api/v1/ingest/rescan in any process; the owner rescans
    -- when it sees a newer value
    rescan_requested_at TIMESTAMPTZ
);

-- One row per content ever ingested: the identity of a clip is its bytes.
-- The primary key makes a second ingest of the same content (a copy, a
-- move, a concurrent process) fail cleanly inside its transaction.
CREATE TABLE ingest_files (
    sha256 CHAR(64) PRIMARY KEY,
    clip_id UUID,
    folder TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    store_key VARCHAR(1024) NOT NULL,
    size_bytes BIGINT NOT NULL,
    owner TEXT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_ingest_files_key ON ingest_files(store_key);

-- What became of each path the ingest finished with, so that scans skip
-- files already handled (by size, mtime and inode) instead of hashing them
-- again, and the status can list rejections and duplicates.
CREATE TABLE ingest_seen (
    folder TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    inode BIGINT NOT NULL,
    outcome VARCHAR(20) NOT NULL
        CHECK (outcome IN ('ingested', 'duplicate', 'rejected')),
    reason TEXT,
    sha256 CHAR(64),
    clip_id UUID,
    seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (folder, rel_path)
);
CREATE INDEX idx_ingest_seen_recent ON ingest_seen(outcome, seen_at DESC);

-- An object being stored whose clip has not committed yet, one row per
-- attempt (key, process, path). Written (and committed) before the object,
-- deleted in the clip's own transaction: a row left behind names an object
-- that may be unreferenced. It is deleted only when no clip, no content row
-- and no other intent row names its key (two files with the same name and
-- bytes share a key).
CREATE TABLE ingest_intents (
    store_key VARCHAR(1024) NOT NULL,
    owner TEXT NOT NULL,
    folder TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    sha256 CHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (store_key, owner, folder, rel_path)
);
CREATE INDEX idx_ingest_intents_folder ON ingest_intents(folder);
