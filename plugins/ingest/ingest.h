/*
 * ingest.h - what the watch-folder ingest's modules share (README "Watch
 * folders").
 *
 * Threads. The plugin runs inside the API process with threads of its own:
 *   the watcher (ingest_watch.c, ingest_scan.c, ingest_pending.c): leases,
 *     inotify, polling, scans, settle timers and sweeps; it is the only
 *     thread that changes folder state;
 *   `threads` ingest workers (ingest_file.c): take settled files from the
 *     ready queue and ingest one at a time; they never decode media.
 * Everything below that more than one thread touches is guarded by
 * ing->mu; the comment on each member says when it is not.
 *
 * Modules (prefix ing_ throughout): config, map (string hash map), sniff
 * (container magic), path (ignore rules, pattern, object keys), db (every
 * SQL statement), inflight (object keys being ingested or swept,
 * ingest_inflight.h), file (one file's ingest), pending (settle timers), scan
 * (watches, events, scans), watch (the watcher's loop and leases), status
 * (what GET /ingest/status shows).
 */
#ifndef SLATE_INGEST_H
#define SLATE_INGEST_H

#include <jansson.h>
#include <pthread.h>
#include <slate/host.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- map: string keys to pointers ------------------------------------- */

typedef struct ing_map ing_map;

/* A new empty map, or NULL. Values are not freed by the map. */
ing_map *ing_map_new(void);
/* Free the map (not the values). NULL is fine. */
void ing_map_free(ing_map *m);
/* The value under key, or NULL. */
void *ing_map_get(const ing_map *m, const char *key);
/* Set key (copied) to value, replacing any. 0 or -1 (out of memory). */
int ing_map_set(ing_map *m, const char *key, void *value);
/* Remove key; returns its value, or NULL when absent. */
void *ing_map_del(ing_map *m, const char *key);
size_t ing_map_count(const ing_map *m);
/* Call fn for every entry; fn returns true to remove the entry (after
 * freeing the value itself if it owns it). */
void ing_map_each(ing_map *m,
		  bool (*fn)(const char *key, void *value, void *ud), void *ud);

/* ---- config ----------------------------------------------------------- */

typedef struct ing_folder_cfg {
	char *path; /* absolute, no trailing '/': also the lease key */
	char *talent_source;
	char *pattern;	/* NULL: every clip is standalone */
	bool move;	/* on_ingest "move" (else "copy") */
	char *done_dir; /* move: where originals go; NULL: deleted */
	bool force_polling;
} ing_folder_cfg;

typedef struct ing_config {
	ing_folder_cfg *folders;
	size_t n_folders;
	int settle_ms;
	int reconcile_interval_s; /* 0: no periodic reconcile */
	int poll_interval_ms;
	int lease_s;
	int threads;
	char **ignore; /* extra fnmatch globs */
	size_t n_ignore;
} ing_config;

/* Parse and check plugins.ingest.config (borrowed); talent sources are
 * checked against the clip entity through `host` [init]. 0, or -1 with a
 * one-line reason naming the key in err. *out is freed with
 * ing_config_free either way. */
int ing_config_parse(const slate_host *host, slate_plugin *self,
		     const json_t *cfg, ing_config *out, char *err,
		     size_t errlen);
void ing_config_free(ing_config *c);

/* ---- sniff: is this a video container? -------------------------------- */

/* Decide from the file name and its first `len` bytes whether it is a
 * video container this ingest takes. On yes, returns 0 and sets
 * *content_type (static string). On no, returns -1 with the reason in
 * why. Never decodes anything. */
int ing_sniff(const char *name, const unsigned char *head, size_t len,
	      const char **content_type, char *why, size_t whylen);
/* Bytes ing_sniff wants to see (fewer is fine for short files). */
#define ING_SNIFF_BYTES 4096

/* ---- path: ignore rules, pattern, object keys ------------------------- */

/* Whether one path component is a temporary or system name to skip
 * (dotfiles, *.part, *~, @eaDir, #recycle, Thumbs.db) or matches one of
 * the configured globs. */
bool ing_path_ignored(const ing_config *c, const char *name);

/* What a folder's pattern says about a file's relative path. */
typedef struct ing_match {
	char show[256];
	int season; /* 1 when the pattern has no {season} */
	int episode;
} ing_match;

/* Copy `in` into out[len] as valid UTF-8, each byte that is not part of a
 * well-formed sequence written as \xNN: file names are bytes, but the
 * database's text and JSON strings must be UTF-8. Truncates. */
void ing_text(const char *in, char *out, size_t len);

/* Whether rel is prefix or below it ("a/b" is under "a"). */
bool ing_path_under(const char *rel, const char *prefix);

/* Check a pattern at config time: 0, or -1 with the reason. */
int ing_pattern_check(const char *pattern, char *why, size_t whylen);
/* Match `rel` (relative path of the file) against `pattern` from the
 * start; true with *m filled when it matches. */
bool ing_pattern_match(const char *pattern, const char *rel, ing_match *m);

/* The object key for a file: raw/{episode_id|standalone}/{talent}/
 * {sha256[0..16]}-{sanitised base name}. A pure function of its inputs,
 * so a retry after a crash writes the same object. 0 or -1 (too long). */
int ing_object_key(char *out, size_t len, const char *episode_id,
		   const char *talent, const char *sha256, const char *rel);

/* ---- runtime state ---------------------------------------------------- */

typedef enum ing_mode {
	ING_MODE_EVENTS = 0,
	ING_MODE_POLLING,
} ing_mode;

/* What this process knows about one file path it has finished with. */
typedef struct ing_seen {
	int64_t size, mtime_ns;
	uint64_t ino;
	/* monotonic ms since when the path is gone (0: there); its row is
	 * deleted after an hour gone, so the status keeps recent history */
	int64_t vanished;
} ing_seen;

typedef struct ing_folder {
	const ing_folder_cfg *cfg;
	int idx;
	/* Lease state. `held` is written by the watcher only (under mu) and
	 * read by workers and the status route. */
	bool held;
	char folder_id[37];	/* ingest_leases.folder_id, for audit rows */
	char owner[160];	/* who holds it, as last read */
	char lease_until[64];	/* its lease_expires_at, as last read */
	int64_t lease_ok_until; /* monotonic ms: our lease lapses after */
	char rescan_seen[64];	/* last rescan_requested_at acted upon */
	/* Watching. */
	ing_mode mode;
	char reason[300];    /* why polling, or why not watching */
	atomic_int nwatches; /* changed by the watcher, read by status */
	int64_t next_poll, next_reconcile; /* monotonic ms */
	char last_scan_at[64];		   /* wall clock, ISO 8601 */
	char *done_real;		   /* realpath(done_dir), or NULL */
	/* Paths finished with (relative path -> ing_seen*), loaded from
	 * ingest_seen when the lease is taken. */
	ing_map *seen;
} ing_folder;

typedef enum ing_pstate {
	ING_P_SETTLING = 0, /* waiting for size and mtime to stay put */
	ING_P_QUEUED,	    /* in the ready queue */
	ING_P_INGESTING,    /* a worker has it */
	ING_P_RETRY,	    /* failed for a passing reason; due again */
} ing_pstate;

/* A file the watcher knows about and has not finished with. Owned by
 * ing->pending (key "folderidx/rel"); a queued or ingesting entry is never
 * freed by the watcher: it sets `gone` and the worker frees it. */
typedef struct ing_pending {
	int folder;
	char *rel; /* path relative to the folder */
	char *key; /* the map key */
	int64_t size, mtime_ns;
	uint64_t ino;
	int64_t due;   /* monotonic ms: check again then */
	int64_t since; /* monotonic ms: first seen */
	ing_pstate state;
	int attempts;
	bool forced;	 /* rescan of this one file: ignore the seen record */
	bool dirty;	 /* changed while a worker had it */
	bool gone;	 /* deleted or moved away while a worker had it */
	char error[300]; /* the last passing failure */
	struct ing_pending *next_ready;
} ing_pending;

typedef struct ing_counters {
	uint64_t events, scans, overflows, ingested, duplicates, rejected,
	    errors, bytes, moved;
} ing_counters;

/* One line of the recent-failures list. */
typedef struct ing_note {
	char folder[256];
	char path[512];
	char reason[320];
	char at[40];
} ing_note;
#define ING_NOTES 50

typedef struct ing {
	const slate_host *host;
	slate_plugin *self;
	ing_config cfg;
	ing_folder *folders;
	size_t n_folders;
	char owner[160]; /* "host:pid": this process in lease rows */
	atomic_bool stop;

	pthread_mutex_t mu;
	pthread_cond_t ready_cv; /* a file entered the ready queue, or stop */
	ing_map *pending;	 /* "idx/rel" -> ing_pending* */
	ing_pending *ready_head, *ready_tail;
	int wake_fd; /* eventfd: wakes the watcher (rescans, worker results) */
	/* Object keys between their intent row and their commit, and keys a
	 * sweep is deleting: "1" in flight, "2" being swept. */
	ing_map *inflight;
	pthread_cond_t inflight_cv;
	/* Rescans the route asked for, taken by the watcher: whole folders
	 * (by index) and single paths ("idx/rel" -> (void *)1). */
	bool *rescan_folder;
	ing_map *rescan_files;

	/* Status (ingest_status.c). */
	ing_counters counters;
	ing_note failures[ING_NOTES];
	int n_failures;		 /* total ever; ring index = n % ING_NOTES */
	char clips_missing[200]; /* set when the clip entity is not served */

	/* Watcher-only (no lock). */
	int in_fd;	     /* inotify, or -1 */
	char in_reason[200]; /* why inotify could not be started */
	ing_map *wds;	     /* "wd" -> ing_watch* */
	bool lease_now;	     /* renew at once: the mode changed */
	pthread_t watcher;
	pthread_t *workers;
	int n_workers;
	bool watcher_started;
} ing;

/* A directory watched with inotify. */
typedef struct ing_watch {
	int wd;
	int folder;
	char *rel; /* "" for the folder itself */
} ing_watch;

/* Milliseconds on the monotonic clock. */
int64_t ing_now_ms(void);
/* Wall clock now, ISO 8601 UTC, into buf[40]. */
void ing_wall(char buf[40]);
/* The pending-map key of a file. Caller frees. NULL on no memory. */
char *ing_pkey(int folder, const char *rel);
/* Wake the watcher thread (any thread). */
void ing_wake(ing *g);

/* ---- status (ingest_status.c) ----------------------------------------- */

/* Record a passing failure (storage, database) for the status list of
 * this process (takes mu). Rejections and duplicates are rows of
 * ingest_seen, listed by every process. */
void ing_note_failure(ing *g, const char *folder, const char *rel,
		      const char *reason);
/* Build the status object (a new reference) for GET /ingest/status, with
 * lease rows read through req. NULL on error (set on req). */
json_t *ing_status_json(ing *g, slate_req *req);

/* ---- db (ingest_db.c): every statement, each in its own task ---------- */

/* Take or renew the lease of every folder; fill held/owner/lease_until
 * and rescan requests. 0, or -1 when the database could not be asked. */
int ing_db_lease_tick(ing *g, bool held_out[], char rescan_at[][64]);
/* Give up every lease this process holds (shutdown). */
void ing_db_lease_release(ing *g);
/* Load a folder's seen rows into f->seen. 0 or -1. */
int ing_db_seen_load(ing *g, ing_folder *f);
/* After a full scan of f (`found`: rel -> anything): mark the seen paths
 * it did not find as gone, and forget (memory and row) those gone for an
 * hour. */
void ing_db_seen_prune(ing *g, ing_folder *f, ing_map *found);
/* The intent rows of folder f whose ingest is not in flight in this
 * process (a previous owner died, or an attempt failed): drop each, and
 * its object when nothing else names the key (ing_db_release). */
void ing_db_sweep(ing *g, ing_folder *f);

/* What one file's ingest found out; filled by ing_file_run. */
typedef enum ing_outcome {
	ING_OUT_INGESTED = 0,
	ING_OUT_DUPLICATE,
	ING_OUT_REJECTED,
	ING_OUT_CHANGED,  /* changed while read: settle again */
	ING_OUT_VANISHED, /* gone before it was read */
	ING_OUT_RETRY,	  /* a passing failure (storage, database) */
	ING_OUT_LEASE,	  /* the folder is no longer ours */
	ING_OUT_STOPPING, /* shutdown */
} ing_outcome;

/* One file's identity and destination, filled as the ingest proceeds. */
typedef struct ing_item {
	ing_folder *f;
	const char *rel;
	char path[4096];
	char rel_text[8192], path_text[8192]; /* ing_text of rel, path */
	int64_t size, mtime_ns;
	uint64_t ino;
	const char *content_type;
	char sha256[65];
	char episode_id[37]; /* "" standalone */
	char key[1024];
	char clip_id[37];   /* the new or the existing clip */
	char dup_key[1024]; /* a duplicate's existing object key */
	char reason[300];
} ing_item;

/* Task A: is this content known (ingest_files, or a live clip with that
 * file_hash)? If so fill clip_id/dup_key, record the path as a duplicate
 * and return ING_OUT_DUPLICATE. Otherwise resolve the episode from the
 * pattern, build the key, record an intent row for it and return
 * ING_OUT_INGESTED (meaning: go on and store). Or ING_OUT_LEASE /
 * ING_OUT_RETRY (reason set). */
ing_outcome ing_db_prepare(ing *g, ing_item *it);
/* Task B: create the clip, attach the stored object, record the content
 * and the path, in one transaction. ING_OUT_INGESTED, ING_OUT_DUPLICATE
 * (another ingest won the race: clip_id/dup_key set), ING_OUT_LEASE or
 * ING_OUT_RETRY (reason set). */
ing_outcome ing_db_commit(ing *g, ing_item *it);
/* Record a path's final outcome ("rejected" with reason, or "duplicate")
 * in ingest_seen. 0 or -1. */
int ing_db_seen_put(ing *g, ing_item *it, const char *outcome);
/* Drop (or, with keep, re-insert) this attempt's intent row for it->key. */
void ing_db_intent(ing *g, ing_item *it, bool keep);
/* Delete the object `key` unless a clip, a content row or an intent row
 * (an ingest in flight, in any process) still names it. Call after
 * dropping your own intent row and ending your own in-flight mark. */
void ing_db_release(ing *g, const char *key);
/* Record a user's rescan request on the lease row of folder f (so its
 * owner, in whatever process, rescans) with an audit row, on req. 0 or -1
 * (error set on req). */
int ing_db_rescan_request(ing *g, slate_req *req, ing_folder *f);

/* ---- file (ingest_file.c) --------------------------------------------- */

/* The ingest worker thread's body. */
void *ing_worker_main(void *arg);

/* ---- pending (ingest_pending.c): all with mu held ---------------------- */

/* A regular file at rel with stat st: make it pending unless this process
 * already finished with exactly this file (or `forced`). `restart`: an
 * event said it was written, so its timer starts again even if the stat
 * is the same. */
void ing_consider(ing *g, ing_folder *f, const char *rel, const struct stat *st,
		  bool restart, bool forced);
/* Forget a pending file: at once when only the watcher has it, else mark
 * it for the worker that has it. */
void ing_pending_drop(ing *g, ing_pending *p);
/* The same for every pending file of folder under rel (NULL: all). */
void ing_drop_pending_under(ing *g, int folder, const char *rel);
/* [watcher, without mu] Stat each file whose timer ran out: unchanged ->
 * queued for a worker; changed -> wait again; gone -> forgotten. Returns
 * when the next timer runs out (INT64_MAX: none). */
int64_t ing_settle(ing *g);

/* ---- scan (ingest_scan.c): watcher thread only ------------------------- */

/* Open the inotify instance (g->in_fd, or -1 with g->in_reason). */
void ing_open_inotify(ing *g);
/* Remove every watch and close the instance. */
void ing_cleanup_watches(ing *g);
/* Remove the watches of folder under rel (NULL: all of them). */
void ing_unwatch(ing *g, int folder, const char *rel);
/* Switch f to polling, saying why (log once, status). */
void ing_set_polling(ing *g, ing_folder *f, const char *why);
/* The name of the network filesystem `path` is on ("NFS", "CIFS"...),
 * whose changes made by other machines raise no inotify events; NULL for a
 * local one. */
const char *ing_network_fs(const char *path);
/* Walk rel (a directory of f, "" for the folder) and everything below:
 * watch each directory first in events mode, and consider each regular
 * file. `found` (may be NULL) collects the relative paths of the files. */
void ing_scan_dir(ing *g, ing_folder *f, const char *rel, int depth,
		  dev_t parent_dev, ing_map *found);
/* Scan all of f, then let ingest_seen forget the paths that are gone. */
void ing_full_scan(ing *g, ing_folder *f, const char *why);
/* Read and handle the inotify events that are ready. */
void ing_read_events(ing *g);

/* ---- watch (ingest_watch.c) -------------------------------------------- */

/* The watcher thread's body. */
void *ing_watch_main(void *arg);

#endif
