/*
 * jobs.h - the job queue in PostgreSQL: registered kinds, enqueue in a
 * request's transaction, and the statements workers and the supervisor
 * use to claim, complete, fail, release and reap jobs.
 *
 * Why PostgreSQL and not a separate broker: a job is inserted in the same
 * transaction as the change that asks for it, so it exists iff that change
 * commits, and every slated sharing the database shares the queue. Claims
 * use FOR UPDATE SKIP LOCKED, so concurrent workers never take the same row
 * and never wait on each other; a claimed row carries a lease (locked_by,
 * lease_expires_at) that its worker's heartbeat extends, and any worker
 * re-queues rows whose lease expired (their worker is gone). Workers sleep
 * on LISTEN slate_jobs; enqueue sends NOTIFY, which PostgreSQL delivers at
 * commit. A timed poll backs the notification up, so a lost one only
 * delays.
 *
 * The slate_jobs_* statement functions take a plain PGconn (a worker's or
 * the supervisor's own connection, never the request pool's) and return 0
 * or -1 (logged).
 */
#ifndef SLATE_JOBS_H
#define SLATE_JOBS_H

#include <libpq-fe.h>
#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

#define SLATE_JOBS_CHANNEL "slate_jobs"

/* One registered kind. The registry is process-wide (like the host table):
 * filled by plugin init on the main thread, read-only afterwards. */
typedef struct slate_jobs_kind {
	char *kind;
	slate_job_fn fn;
	void *ud;
	slate_plugin *owner; /* handlers of a plugin whose init failed are
				ignored (checked at lookup) */
} slate_jobs_kind;

/* A job handed to a handler (the SDK's opaque slate_job). */
struct slate_job {
	char id[37];
	const char *kind;
	json_t *payload;
	const char *entity_type, *entity_id; /* NULL when none */
	int attempt;
	char *error; /* set by job_fail (malloc'd) */
	bool reject; /* job_reject: dead now, no retry */
	PGconn *pg;  /* the worker's connection, for job_db_exec */
	struct slate_result_node *results;
};

/* [init] Register `kind` for plugin `p`. -1 (logged) on a bad or taken
 * kind, or out of memory. */
int slate_jobs_handler_add(slate_plugin *p, const char *kind, slate_job_fn fn,
			   void *ud);
/* The kind's handler of a loaded plugin, or NULL. */
const slate_jobs_kind *slate_jobs_find(const char *kind);
/* The kinds this process can run as a PostgreSQL text[] literal
 * ("{noop,sleep}"), malloc'd; "{}" when none. NULL out of memory. */
char *slate_jobs_kinds_literal(void);
/* Forget every registration (main, at exit). */
void slate_jobs_registry_free(void);

/* [request] The host's job_enqueue. */
const char *slate_jobs_enqueue(slate_req *req, const char *kind,
			       json_t *payload, const char *entity_type,
			       const char *entity_id);

/* [job] The host's job accessors. */
const char *slate_job_id(slate_job *job);
const char *slate_job_kind(slate_job *job);
const json_t *slate_job_payload(slate_job *job);
const char *slate_job_entity_type(slate_job *job);
const char *slate_job_entity_id(slate_job *job);
int slate_job_attempt(slate_job *job);
int slate_job_failv(slate_job *job, const char *fmt, va_list ap)
    SLATE_PRINTF(2, 0);
/* The host's job_fail: records the reason, returns -1. */
int slate_job_fail(slate_job *job, const char *fmt, ...) SLATE_PRINTF(2, 3);
int slate_job_rejectv(slate_job *job, const char *fmt, va_list ap)
    SLATE_PRINTF(2, 0);
slate_result *slate_job_db_exec(slate_job *job, const char *sql, int nparams,
				const char *const *params);
/* Free what a handler call left on the job (results, error). */
void slate_job_clear(slate_job *job);

/* Claim up to `batch` due jobs of `kinds` (a text[] literal) for worker
 * `me`: one UPDATE over a SKIP LOCKED subselect. Returns the PGresult
 * (job_id, kind, payload, entity_type, entity_id, attempts) to PQclear, or
 * NULL on failure. */
PGresult *slate_jobs_claim(PGconn *pg, const char *me, const char *kinds,
			   int batch, int lease_ms);
/* Mark succeeded the jobs of `ids` (a uuid[] literal) still leased by me. */
int slate_jobs_complete(PGconn *pg, const char *me, const char *ids);
/* Record a failed attempt of `job_id` leased by `me`: queued again after
 * the backoff ("failed"), or "dead" after its maximum attempts. */
int slate_jobs_fail(PGconn *pg, const slate_config *cfg, const char *me,
		    const char *job_id, const char *reason);
/* Mark `job_id` (leased by me) dead at once with `reason`: its input can
 * never succeed. */
int slate_jobs_reject(PGconn *pg, const char *me, const char *job_id,
		      const char *reason);
/* Mark `job_id` (leased by me) succeeded and, in the same statement, queue
 * the next job of its chain (`payload` is JSON text). */
int slate_jobs_complete_next(PGconn *pg, const char *me, const char *job_id,
			     const char *kind, const char *payload,
			     const char *entity_type, const char *entity_id);
/* Give back jobs leased by `me` that never started (all but `except`, which
 * may be NULL): queued again, the attempt not counted. */
int slate_jobs_release(PGconn *pg, const char *me, const char *except);
/* Extend the lease of every job leased by `me`. */
int slate_jobs_heartbeat(PGconn *pg, const char *me, int lease_ms);
/* Fail every running job whose lease expired (its worker is gone), as
 * slate_jobs_fail does. The number of rows, or -1. */
int slate_jobs_reap(PGconn *pg, const slate_config *cfg);
/* Milliseconds until the next job of `kinds` is due (0 when one is due
 * now), or -1 when none is waiting (or on error). */
long slate_jobs_next_due_ms(PGconn *pg, const char *kinds);

#endif
