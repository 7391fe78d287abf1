/* jobs_api.c - see jobs_api.h. */
#include "jobs/jobs_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/util.h"
#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"
#include "jobs/jobs.h"

#define JOBS_MAX_LIMIT 100
#define JOBS_DEFAULT_LIMIT 20

/* One job as JSON, built by PostgreSQL (the payload is jsonb already). */
#define JOB_JSON                                                               \
	"json_build_object('job_id', job_id, 'kind', kind, 'payload', "        \
	"payload, 'entity_type', entity_type, 'entity_id', entity_id, "        \
	"'status', status, 'attempts', attempts, 'max_attempts', "             \
	"max_attempts, 'run_at', run_at, 'lease_expires_at', "                 \
	"lease_expires_at, 'locked_by', locked_by, 'error_message', "          \
	"last_error, 'created_at', created_at, 'updated_at', updated_at, "     \
	"'started_at', started_at, 'finished_at', finished_at)"

static const char *const statuses[] = {"queued", "running", "succeeded",
				       "failed", "dead",    NULL};

/* `status` takes one status or several, comma-separated; returned as a
 * text[] literal (the names need no quoting). */
static int status_query(slate_req *r, char *out, size_t len)
{
	const char *s = slate_req_query(r, "status");
	out[0] = '\0';
	if (!s)
		return 0;
	size_t o = 0;
	out[o++] = '{';
	const char *p = s;
	for (;;) {
		size_t n = strcspn(p, ",");
		bool ok = false;
		for (int i = 0; statuses[i]; i++)
			if (strlen(statuses[i]) == n &&
			    !strncmp(statuses[i], p, n))
				ok = true;
		if (!ok || o + n + 2 >= len)
			return slate_res_error(
			    r, 400, "VALIDATION_ERROR", "status",
			    "'status' must be queued, running, succeeded, "
			    "failed or dead (comma-separated for several)");
		if (o > 1)
			out[o++] = ',';
		memcpy(out + o, p, n);
		o += n;
		if (!p[n])
			break;
		p += n + 1;
	}
	out[o++] = '}';
	out[o] = '\0';
	return 0;
}

/* GET /api/v1/jobs?status=&kind=&entity_type=&entity_id=&limit=&offset=
 * Newest first. metadata.total counts the filtered rows; metadata.counts
 * has every status's count over the whole queue, so an alarm on the
 * dead-letter state reads one number (metadata.counts.dead). */
static int h_list(slate_req *r, void *ud)
{
	(void)ud;
	static const char sql[] =
	    "WITH f AS (SELECT * FROM jobs WHERE "
	    "($1::text[] IS NULL OR status = ANY($1::text[])) AND "
	    "($2::text IS NULL OR kind = $2) AND "
	    "($3::text IS NULL OR entity_type = $3) AND "
	    "($4::uuid IS NULL OR entity_id = $4)) "
	    "SELECT (SELECT count(*) FROM f), "
	    "(SELECT json_object_agg(s, coalesce(c.n, 0))::text FROM "
	    "unnest(ARRAY['queued', 'running', 'succeeded', 'failed', "
	    "'dead']) s LEFT JOIN (SELECT status, count(*) n FROM jobs "
	    "GROUP BY status) c ON c.status = s), "
	    "coalesce((SELECT json_agg(" JOB_JSON " ORDER BY created_at "
	    "DESC, job_id) FROM (SELECT * FROM f ORDER BY created_at DESC, "
	    "job_id LIMIT $5::int OFFSET $6::int) p), '[]')::text";
	slate_page pg;
	char st[128];
	const char *entity_id;
	if (slate_req_page(r, JOBS_MAX_LIMIT, JOBS_DEFAULT_LIMIT, 1000000000L,
			   &pg) ||
	    status_query(r, st, sizeof(st)) ||
	    slate_req_query_uuid(r, "entity_id", &entity_id))
		return -1;
	const char *p[6] = {st[0] ? st : NULL,
			    slate_req_query(r, "kind"),
			    slate_req_query(r, "entity_type"),
			    entity_id,
			    pg.limit_s,
			    pg.offset_s};
	slate_result *res = slate_db_exec_req(r, sql, 6, p);
	if (!res)
		return slate_res_db_error(r);
	slate_res_page(r, strtoll(slate_db_value(res, 0, 0), NULL, 10),
		       pg.limit, pg.offset);
	slate_res_meta(r, "counts",
		       json_loads(slate_db_value(res, 0, 1), 0, NULL));
	const char *rows = slate_db_value(res, 0, 2);
	return slate_res_raw(r, 200, rows, strlen(rows));
}

static const char *job_param(slate_req *r)
{
	const char *id = slate_req_param(r, "jobId");
	if (!id || !slate_uuid_valid(id)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", "jobId",
				"'jobId' must be a UUID");
		return NULL;
	}
	return id;
}

static int h_get(slate_req *r, void *ud)
{
	(void)ud;
	static const char sql[] =
	    "SELECT " JOB_JSON "::text FROM jobs WHERE job_id = $1::uuid";
	const char *id = job_param(r);
	if (!id)
		return -1;
	const char *p[1] = {id};
	slate_result *res = slate_db_exec_req(r, sql, 1, p);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "jobId",
				       "No job %s", id);
	const char *row = slate_db_value(res, 0, 0);
	return slate_res_raw(r, 200, row, strlen(row));
}

/* POST /api/v1/jobs/:jobId/retry: a dead job (or a failed one waiting for
 * its backoff) runs again now with a fresh set of attempts. Anything else
 * is 409: a queued or running job needs no retry, and a succeeded one is
 * done (enqueue a new job to redo the work). */
static int h_retry(slate_req *r, void *ud)
{
	(void)ud;
	static const char lock[] =
	    "SELECT status FROM jobs WHERE job_id = $1::uuid FOR UPDATE";
	static const char sql[] =
	    "WITH u AS (UPDATE jobs SET status = 'queued', attempts = 0, "
	    "run_at = now(), finished_at = NULL, lease_expires_at = NULL, "
	    "locked_by = NULL WHERE job_id = $1::uuid RETURNING *) "
	    "SELECT " JOB_JSON "::text, pg_notify('" SLATE_JOBS_CHANNEL
	    "', '') FROM u";
	const char *id = job_param(r);
	if (!id)
		return -1;
	const char *p[1] = {id};
	slate_result *res = slate_db_exec_req(r, lock, 1, p);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "jobId",
				       "No job %s", id);
	const char *was = slate_db_value(res, 0, 0);
	if (strcmp(was, "dead") && strcmp(was, "failed"))
		return slate_res_error(r, 409, "CONFLICT", NULL,
				       "Job %s is %s; only a dead or failed "
				       "job can be retried",
				       id, was);
	/* audit in the same transaction: the retry and its record commit
	 * together */
	if (slate_audit_write(r, "job", id, "RETRY", "status", was, "queued"))
		return slate_res_db_error(r);
	res = slate_db_exec_req(r, sql, 1, p);
	if (!res)
		return slate_res_db_error(r);
	const char *row = slate_db_value(res, 0, 0);
	return slate_res_raw(r, 200, row, strlen(row));
}

int slate_jobs_api_register(slate_core *core, char *err, size_t errlen)
{
	static const char *const list_query[] = {
	    "status", "kind",	"entity_type", "entity_id",
	    "limit",  "offset", NULL};
#define JOBS_ROUTE(m, p, h, q, sum)                                            \
	{                                                                      \
		.method = (m), .path = (p), .handler = (h),                    \
		.perm = SLATE_PERM_ADMIN, .query = (q),                        \
		.body_mode = SLATE_BODY_NONE, .summary = (sum),                \
		.owner = "core"                                                \
	}
	static const slate_route routes[] = {
	    JOBS_ROUTE("GET", "/api/v1/jobs", h_list, list_query,
		       "Jobs by status, kind and entity, newest first"),
	    JOBS_ROUTE("GET", "/api/v1/jobs/:jobId", h_get, NULL, "One job"),
	    JOBS_ROUTE("POST", "/api/v1/jobs/:jobId/retry", h_retry, NULL,
		       "Run a dead or failed job again"),
	};
#undef JOBS_ROUTE
	return slate_router_add_all(core->router, routes,
				    sizeof(routes) / sizeof(routes[0]), err,
				    errlen);
}
