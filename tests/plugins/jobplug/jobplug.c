/*
 * jobplug.c - the job processor the queue tests use. Its kinds each play
 * one part: "noop" does nothing (and records its run when the payload says
 * "record": true), "sleep" sleeps payload.ms, "crash" dies of SIGSEGV on its
 * first attempt only, "fail" always fails with a reason, "hog" allocates
 * payload.mb megabytes (beyond the worker's memory limit). A route enqueues
 * jobs of any kind for the tests.
 */
#include <signal.h>
#include <slate/host.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobplug_migrations.h"

extern const slate_migration jobplug_migrations[];

static const slate_host *host;

/* Record this run in jobplug_runs (each run a row: runs are counted). */
static int record(slate_job *job)
{
	char attempt[16], pid[16];
	snprintf(attempt, sizeof(attempt), "%d", host->job_attempt(job));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *p[3] = {host->job_id(job), attempt, pid};
	if (!host->job_db_exec(job,
			       "INSERT INTO jobplug_runs (job_id, attempt, "
			       "worker_pid) VALUES ($1, $2::int, $3::int)",
			       3, p))
		return host->job_fail(job, "cannot record the run");
	return 0;
}

static int j_noop(slate_job *job, void *ud)
{
	(void)ud;
	if (json_is_true(json_object_get(host->job_payload(job), "record")))
		return record(job);
	return 0;
}

static int j_sleep(slate_job *job, void *ud)
{
	(void)ud;
	json_int_t ms =
	    json_integer_value(json_object_get(host->job_payload(job), "ms"));
	if (record(job))
		return -1;
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
	return 0;
}

static int j_crash(slate_job *job, void *ud)
{
	(void)ud;
	if (record(job))
		return -1;
	/* a decoder meeting a hostile file, the first time only */
	if (host->job_attempt(job) == 1)
		raise(SIGSEGV);
	return 0;
}

static int j_fail(slate_job *job, void *ud)
{
	(void)ud;
	return host->job_fail(job, "deliberate failure on attempt %d",
			      host->job_attempt(job));
}

static int j_hog(slate_job *job, void *ud)
{
	(void)ud;
	json_int_t mb =
	    json_integer_value(json_object_get(host->job_payload(job), "mb"));
	enum { CHUNK = 16 };
	size_t n = (size_t)(mb > 0 ? mb : 4096) / CHUNK;
	char **chunks = calloc(n, sizeof(*chunks));
	size_t got = 0;
	int rc = 0;
	if (!chunks)
		return host->job_fail(job, "out of memory at once");
	for (; got < n; got++) {
		chunks[got] = malloc((size_t)CHUNK << 20);
		if (!chunks[got]) {
			rc = host->job_fail(job,
					    "out of memory after %zu MB "
					    "(the worker's memory limit)",
					    got * CHUNK);
			break;
		}
		memset(chunks[got], 1, (size_t)CHUNK << 20);
	}
	for (size_t i = 0; i < got; i++)
		free(chunks[i]);
	free(chunks);
	return rc;
}

/* POST /api/v1/jobplug/enqueue {"kind", "payload"?, "count"?,
 * "entity_type"?, "entity_id"?}: queue `count` jobs in this request's
 * transaction; answers their ids. */
static int h_enqueue(slate_req *req, void *ud)
{
	(void)ud;
	const json_t *b = host->req_body(req);
	const char *kind = json_string_value(json_object_get(b, "kind"));
	json_t *payload = json_object_get(b, "payload");
	json_int_t count = json_integer_value(json_object_get(b, "count"));
	if (!kind)
		return host->res_error(req, 400, "VALIDATION_ERROR", "kind",
				       "'kind' is required");
	if (count < 1)
		count = 1;
	json_t *ids = json_array();
	for (json_int_t i = 0; i < count; i++) {
		const char *id = host->job_enqueue(
		    req, kind, payload ? json_deep_copy(payload) : NULL,
		    json_string_value(json_object_get(b, "entity_type")),
		    json_string_value(json_object_get(b, "entity_id")));
		if (!id) {
			json_decref(ids);
			return host->res_error(req, 400, "VALIDATION_ERROR",
					       "kind", "cannot enqueue (%s)",
					       host->db_sqlstate(req));
		}
		json_array_append_new(ids, json_string(id));
	}
	return host->res_json(req, 201, json_pack("{s:o}", "job_ids", ids));
}

static int init(slate_plugin *self, const slate_host *h, char *err,
		size_t errlen)
{
	host = h;
	if (!SLATE_HOST_HAS(h, job_db_exec)) {
		snprintf(err, errlen, "this slated has no job queue");
		return -1;
	}
	static const struct {
		const char *kind;
		slate_job_fn fn;
	} kinds[] = {{"noop", j_noop},
		     {"sleep", j_sleep},
		     {"crash", j_crash},
		     {"fail", j_fail},
		     {"hog", j_hog}};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (h->job_handler_add(self, kinds[i].kind, kinds[i].fn,
				       NULL)) {
			snprintf(err, errlen, "cannot register kind %s",
				 kinds[i].kind);
			return -1;
		}
	slate_route_def rd = {
	    .struct_size = sizeof(rd),
	    .method = "POST",
	    .path = "/api/v1/jobplug/enqueue",
	    .handler = h_enqueue,
	    .perm = SLATE_PERM_WRITE,
	    .summary = "Queue test jobs",
	    .body_mode = SLATE_BODY_ANY_JSON,
	};
	return h->route_add(self, &rd);
}

static const slate_plugin_desc desc = {
    .struct_size = sizeof(slate_plugin_desc),
    .abi_major = SLATE_ABI_MAJOR,
    .abi_minor = SLATE_ABI_MINOR,
    .id = "jobplug",
    .version = "1",
    .summary = "Test job processor",
    .migrations = jobplug_migrations,
    .n_migrations = JOBPLUG_N_MIGRATIONS,
    .migration_size = sizeof(slate_migration),
    .init = init,
    .shutdown = NULL,
};

SLATE_PLUGIN_DEFINE(desc)
