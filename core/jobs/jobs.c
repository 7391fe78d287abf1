/* jobs.c - see jobs.h. */
#include "jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/plugin_record.h"
#include "base/util.h"
#include "db/result.h"
#include "http/req_db.h"
#include "http/request.h"

/* ---- registry ---------------------------------------------------------- */

static slate_jobs_kind *kinds;
static size_t nkinds;

static bool kind_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static bool owner_loaded(const slate_jobs_kind *k)
{
	/* A plugin's init registers its kinds before it can fail; its state
	 * says whether it survived (plugin/loader.c undoes routes and
	 * entities, and this check undoes kinds). */
	return k->owner && (k->owner->state == SLATE_PLUGIN_LOADED ||
			    k->owner->state == SLATE_PLUGIN_OPENED);
}

int slate_jobs_handler_add(slate_plugin *p, const char *kind, slate_job_fn fn,
			   void *ud)
{
	const char *who = p ? p->id : "core";
	if (!kind_valid(kind) || !fn) {
		slate_log(SLATE_LOG_ERROR, who, NULL,
			  "job_handler_add: kind '%s' is not [a-z0-9_.-]{1,64} "
			  "or has no handler",
			  kind ? kind : "(null)");
		return -1;
	}
	for (size_t i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].kind, kind) && owner_loaded(&kinds[i])) {
			slate_log(SLATE_LOG_ERROR, who, NULL,
				  "job_handler_add: kind '%s' is already "
				  "handled by %s",
				  kind, kinds[i].owner->id);
			return -1;
		}
	slate_jobs_kind *nk = realloc(kinds, (nkinds + 1) * sizeof(*kinds));
	if (!nk)
		return -1;
	kinds = nk;
	char *copy = strdup(kind);
	if (!copy)
		return -1;
	kinds[nkinds++] = (slate_jobs_kind){copy, fn, ud, p};
	return 0;
}

const slate_jobs_kind *slate_jobs_find(const char *kind)
{
	for (size_t i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].kind, kind) && owner_loaded(&kinds[i]))
			return &kinds[i];
	return NULL;
}

char *slate_jobs_kinds_literal(void)
{
	/* Kinds are [a-z0-9_.-]: no quoting needed inside the literal. */
	size_t len = 3;
	for (size_t i = 0; i < nkinds; i++)
		len += strlen(kinds[i].kind) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t o = 0;
	s[o++] = '{';
	for (size_t i = 0; i < nkinds; i++) {
		if (!owner_loaded(&kinds[i]))
			continue;
		if (o > 1)
			s[o++] = ',';
		size_t n = strlen(kinds[i].kind);
		memcpy(s + o, kinds[i].kind, n);
		o += n;
	}
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

void slate_jobs_registry_free(void)
{
	for (size_t i = 0; i < nkinds; i++)
		free(kinds[i].kind);
	free(kinds);
	kinds = NULL;
	nkinds = 0;
}

/* ---- enqueue (API process) --------------------------------------------- */

const char *slate_jobs_enqueue(slate_req *r, const char *kind, json_t *payload,
			       const char *entity_type, const char *entity_id)
{
	/* The INSERT and the NOTIFY share the request's transaction: the job
	 * and its wake-up both happen at commit, or neither does. Identical
	 * notifications in one transaction are folded into one by
	 * PostgreSQL, so a request that queues many jobs wakes workers once. */
	static const char sql[] =
	    "WITH j AS (INSERT INTO jobs (kind, payload, entity_type, "
	    "entity_id) VALUES ($1, coalesce($2::jsonb, '{}'), $3, "
	    "$4::uuid) RETURNING job_id) "
	    "SELECT job_id::text, pg_notify('" SLATE_JOBS_CHANNEL
	    "', '') FROM j";
	const char *id = NULL;
	char *text = NULL;
	if (!slate_jobs_find(kind ? kind : "")) {
		slate_log(SLATE_LOG_ERROR, "jobs", r->request_id,
			  "job_enqueue: no loaded plugin handles kind '%s'",
			  kind ? kind : "(null)");
		goto out;
	}
	if (payload && !json_is_object(payload)) {
		slate_log(SLATE_LOG_ERROR, "jobs", r->request_id,
			  "job_enqueue: the payload of a '%s' job must be an "
			  "object",
			  kind);
		goto out;
	}
	if (entity_id && !slate_uuid_valid(entity_id)) {
		slate_log(SLATE_LOG_ERROR, "jobs", r->request_id,
			  "job_enqueue: entity_id '%s' is not a UUID",
			  entity_id);
		goto out;
	}
	if (payload) {
		text = json_dumps(payload, JSON_COMPACT);
		if (!text)
			goto out;
	}
	const char *p[4] = {kind, text, entity_type, entity_id};
	slate_result *res = slate_db_exec_req(r, sql, 4, p);
	if (res)
		id = slate_db_value(res, 0, 0);
out:
	free(text);
	json_decref(payload);
	return id;
}

/* ---- the job a handler holds (worker process) -------------------------- */

const char *slate_job_id(slate_job *job)
{
	return job->id;
}

const char *slate_job_kind(slate_job *job)
{
	return job->kind;
}

const json_t *slate_job_payload(slate_job *job)
{
	return job->payload;
}

const char *slate_job_entity_type(slate_job *job)
{
	return job->entity_type;
}

const char *slate_job_entity_id(slate_job *job)
{
	return job->entity_id;
}

int slate_job_attempt(slate_job *job)
{
	return job->attempt;
}

int slate_job_fail(slate_job *job, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_job_failv(job, fmt, ap);
	va_end(ap);
	return -1;
}

int slate_job_rejectv(slate_job *job, const char *fmt, va_list ap)
{
	slate_job_failv(job, fmt, ap);
	job->reject = true;
	return -1;
}

int slate_job_failv(slate_job *job, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	free(job->error);
	job->error = strdup(buf);
	return -1;
}

slate_result *slate_job_db_exec(slate_job *job, const char *sql, int nparams,
				const char *const *params)
{
	/* Unprepared on purpose: a handler's statements are few and varied,
	 * and the worker's connection also carries LISTEN and the claims. */
	PGresult *res =
	    PQexecParams(job->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		slate_log(SLATE_LOG_ERROR, "jobs", NULL,
			  "job %s (%s): query failed: %s", job->id, job->kind,
			  res ? PQresultErrorMessage(res)
			      : PQerrorMessage(job->pg));
		PQclear(res);
		return NULL;
	}
	/* the same handle req_db.c hands out, so db_rows/db_value work */
	return slate_result_keep(&job->results, res);
}

void slate_job_clear(slate_job *job)
{
	slate_result_clear(&job->results);
	free(job->error);
	job->error = NULL;
}

/* ---- queue statements -------------------------------------------------- */

static int command(PGconn *pg, const char *what, const char *sql, int n,
		   const char *const *p, int *rows)
{
	PGresult *res = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		slate_log(SLATE_LOG_ERROR, "jobs", NULL, "%s: %s", what,
			  res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	if (rows)
		*rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

PGresult *slate_jobs_claim(PGconn *pg, const char *me, const char *kinds_lit,
			   int batch, int lease_ms)
{
	/* The subselect locks up to `batch` due rows, skipping rows another
	 * worker holds, in run_at order over the partial index; the UPDATE
	 * leases them. started_at uses clock_timestamp() so that it is the
	 * claim's moment, not its transaction's start. */
	static const char sql[] =
	    "UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, "
	    "lease_expires_at = now() + $4::int * interval '1 ms', "
	    "locked_by = $1, started_at = clock_timestamp(), "
	    "finished_at = NULL "
	    "FROM (SELECT job_id FROM jobs WHERE status IN ('queued', "
	    "'failed') AND run_at <= now() AND kind = ANY($2::text[]) "
	    "ORDER BY run_at LIMIT $3::int FOR UPDATE SKIP LOCKED) c "
	    "WHERE j.job_id = c.job_id RETURNING j.job_id::text, j.kind, "
	    "j.payload::text, j.entity_type, j.entity_id::text, j.attempts";
	char b[16], l[16];
	snprintf(b, sizeof(b), "%d", batch);
	snprintf(l, sizeof(l), "%d", lease_ms);
	const char *p[4] = {me, kinds_lit, b, l};
	PGresult *res = PQexecParams(pg, sql, 4, NULL, p, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		slate_log(SLATE_LOG_ERROR, "jobs", NULL, "claim: %s",
			  res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

int slate_jobs_complete(PGconn *pg, const char *me, const char *ids)
{
	static const char sql[] =
	    "UPDATE jobs SET status = 'succeeded', finished_at = now(), "
	    "lease_expires_at = NULL, locked_by = NULL WHERE job_id = "
	    "ANY($2::uuid[]) AND locked_by = $1 AND status = 'running'";
	const char *p[2] = {me, ids};
	return command(pg, "complete", sql, 2, p, NULL);
}

/* The outcome of a failed attempt, shared by fail and reap: dead once the
 * attempts are used up, else failed and due again after base * 2^(n-1) ms,
 * capped, times a jitter in [0.75, 1.25) so that jobs failing together
 * (a database blip) do not all come back together. $1 max_attempts
 * default, $2 base ms, $3 cap ms, $4 reason. */
#define FAIL_SET                                                               \
	"status = CASE WHEN attempts >= coalesce(max_attempts, $1::int) "      \
	"THEN 'dead' ELSE 'failed' END, "                                      \
	"run_at = CASE WHEN attempts >= coalesce(max_attempts, $1::int) "      \
	"THEN run_at ELSE now() + least($3::float8, $2::float8 * "             \
	"power(2, least(greatest(attempts - 1, 0), 40))) * (0.75 + "           \
	"random() / 2) * interval '1 ms' END, "                                \
	"finished_at = CASE WHEN attempts >= coalesce(max_attempts, "          \
	"$1::int) THEN now() END, "                                            \
	"lease_expires_at = NULL, locked_by = NULL, last_error = "

static void fail_params(const slate_config *cfg, char m[16], char b[16],
			char c[16])
{
	snprintf(m, 16, "%d", cfg->jobs_max_attempts);
	snprintf(b, 16, "%d", cfg->jobs_backoff_base_ms);
	snprintf(c, 16, "%d", cfg->jobs_backoff_max_ms);
}

int slate_jobs_fail(PGconn *pg, const slate_config *cfg, const char *me,
		    const char *job_id, const char *reason)
{
	static const char sql[] =
	    "UPDATE jobs SET " FAIL_SET "$4 WHERE job_id = $5::uuid AND "
	    "status = 'running' AND locked_by = $6";
	char m[16], b[16], c[16];
	fail_params(cfg, m, b, c);
	const char *p[6] = {m, b, c, reason, job_id, me};
	return command(pg, "fail", sql, 6, p, NULL);
}

int slate_jobs_reject(PGconn *pg, const char *me, const char *job_id,
		      const char *reason)
{
	static const char sql[] =
	    "UPDATE jobs SET status = 'dead', finished_at = now(), "
	    "lease_expires_at = NULL, locked_by = NULL, last_error = $1 WHERE "
	    "job_id = $2::uuid AND status = 'running' AND locked_by = $3";
	const char *p[3] = {reason, job_id, me};
	return command(pg, "reject", sql, 3, p, NULL);
}

int slate_jobs_complete_next(PGconn *pg, const char *me, const char *job_id,
			     const char *kind, const char *payload,
			     const char *entity_type, const char *entity_id)
{
	/* One statement, so the next stage exists iff this one is marked
	 * done: a crash can neither lose the chain nor run it twice. */
	static const char sql[] =
	    "WITH done AS (UPDATE jobs SET status = 'succeeded', "
	    "finished_at = now(), lease_expires_at = NULL, locked_by = NULL "
	    "WHERE job_id = $1::uuid AND locked_by = $2 AND status = "
	    "'running' RETURNING job_id), nxt AS (INSERT INTO jobs (kind, "
	    "payload, entity_type, entity_id) SELECT $3, $4::jsonb, $5, "
	    "$6::uuid FROM done RETURNING job_id) SELECT "
	    "pg_notify('" SLATE_JOBS_CHANNEL "', '') FROM nxt";
	const char *p[6] = {job_id, me, kind, payload, entity_type, entity_id};
	return command(pg, "complete", sql, 6, p, NULL);
}

int slate_jobs_release(PGconn *pg, const char *me, const char *except)
{
	static const char sql[] =
	    "UPDATE jobs SET status = 'queued', attempts = greatest(attempts "
	    "- 1, 0), lease_expires_at = NULL, locked_by = NULL WHERE "
	    "locked_by = $1 AND status = 'running' AND ($2::uuid IS NULL OR "
	    "job_id <> $2::uuid)";
	const char *p[2] = {me, except};
	return command(pg, "release", sql, 2, p, NULL);
}

int slate_jobs_heartbeat(PGconn *pg, const char *me, int lease_ms)
{
	static const char sql[] =
	    "UPDATE jobs SET lease_expires_at = now() + $2::int * interval "
	    "'1 ms' WHERE locked_by = $1 AND status = 'running'";
	char l[16];
	snprintf(l, sizeof(l), "%d", lease_ms);
	const char *p[2] = {me, l};
	return command(pg, "heartbeat", sql, 2, p, NULL);
}

int slate_jobs_reap(PGconn *pg, const slate_config *cfg)
{
	/* SKIP LOCKED: two reapers never wait on each other, and a row a
	 * worker is completing right now is left to it. */
	static const char sql[] =
	    "UPDATE jobs SET " FAIL_SET "'lease expired: worker ' || "
	    "coalesce(locked_by, '?') || ' was lost' WHERE job_id IN "
	    "(SELECT job_id FROM jobs WHERE status = 'running' AND "
	    "lease_expires_at < now() FOR UPDATE SKIP LOCKED)";
	char m[16], b[16], c[16];
	fail_params(cfg, m, b, c);
	const char *p[3] = {m, b, c};
	int rows = 0;
	if (command(pg, "reap", sql, 3, p, &rows))
		return -1;
	if (rows)
		slate_log(
		    SLATE_LOG_WARN, "jobs", NULL,
		    "%d job(s) had an expired lease and were re-queued or "
		    "given up",
		    rows);
	return rows;
}

long slate_jobs_next_due_ms(PGconn *pg, const char *kinds_lit)
{
	/* NULL when nothing waits: greatest() would turn that into 0 ("due
	 * now") and make idle workers poll without sleeping. */
	static const char sql[] =
	    "SELECT ceil(extract(epoch FROM min(run_at) - now()) * "
	    "1000)::bigint FROM jobs WHERE status IN ('queued', 'failed') AND "
	    "kind = ANY($1::text[])";
	const char *p[1] = {kinds_lit};
	PGresult *res = PQexecParams(pg, sql, 1, NULL, p, NULL, NULL, 0);
	long ms = -1;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		ms = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		if (ms < 0)
			ms = 0;
	}
	PQclear(res);
	return ms;
}
