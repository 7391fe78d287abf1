/*
 * jobplug.c - the job processor the queue tests use. Its kinds each play
 * one part: "noop" does nothing (and records its run when the payload says
 * "record": true), "sleep" sleeps payload.ms, "crash" dies of SIGSEGV on its
 * first attempt only, "fail" always fails with a reason, "hog" allocates
 * payload.mb megabytes (beyond the worker's memory limit). A route enqueues
 * jobs of any kind for the tests.
 *
 * Two processors exercise the pipeline and the ABI 1.1 functions a real
 * processor uses, on "script" files: "pp_first" (stage 1) reads the stored
 * file, copies it into the thumbnails store and writes what it saw into
 * the episode's description through a task; "pp_last" (stage 99) rejects
 * a file whose text starts with "REJECT". GET /api/v1/jobplug/copy/:id
 * serves the copy with res_file.
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

static slate_plugin *self_p;

/* The first bytes of the job's stored file, NUL-terminated, into buf. */
static int read_head(slate_job *job, slate_file *f, char *buf, size_t len)
{
	uint64_t size = 0;
	int fd = host->job_file_open(self_p, job, f, &size);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0 || size != f->size)
		return host->job_fail(job, "cannot read the file");
	buf[n] = '\0';
	return 0;
}

static int p_first(slate_job *job, void *ud)
{
	(void)ud;
	char head[256];
	slate_file f;
	if (record(job) || read_head(job, &f, head, sizeof(head)))
		return -1;
	const char *eid = f.entity_id;
	char key[128];
	snprintf(key, sizeof(key), "jobplug/%s.bin", eid);
	if (host->file_put(self_p, "thumbnails", key, "text/plain", head,
			   strlen(head)))
		return host->job_fail(job, "cannot store the copy");
	slate_req *t = host->task_begin(self_p, "jobplug");
	if (!t)
		return host->job_fail(job, "no database connection");
	char desc[512];
	snprintf(desc, sizeof(desc), "pp_first saw %llu bytes: %s",
		 (unsigned long long)f.size, head);
	json_t *row = NULL;
	if (host->file_is_current(t, &f, &row) == 1) {
		json_t *ch = json_pack("{s:s}", "description", desc);
		json_decref(row);
		host->entity_patch(t, f.entity_type, eid, ch, &row);
		json_decref(ch);
	}
	json_decref(row);
	if (host->task_end(t, 1))
		return host->job_fail(job, "task failed");
	return 0;
}

static int p_last(slate_job *job, void *ud)
{
	(void)ud;
	char head[256];
	slate_file f;
	if (record(job) || read_head(job, &f, head, sizeof(head)))
		return -1;
	if (!strncmp(head, "REJECT", 6))
		return host->job_reject(job, "rejected: the file says so");
	return 0;
}

static int h_copy(slate_req *req, void *ud)
{
	(void)ud;
	char key[128];
	snprintf(key, sizeof(key), "jobplug/%s.bin",
		 host->req_param(req, "id"));
	return host->res_file(req, "thumbnails", key, "text/plain", NULL);
}

static int init(slate_plugin *self, const slate_host *h, char *err,
		size_t errlen)
{
	host = h;
	self_p = self;
	if (!SLATE_HOST_HAS(h, file_is_current)) {
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
	static const char *const script[] = {"script", NULL};
	slate_processor_def first = {sizeof(first), "pp_first", 1,
				     script,	    p_first,	NULL};
	slate_processor_def last = {sizeof(last), "pp_last", 99,
				    script,	  p_last,    NULL};
	slate_route_def copy = {
	    .struct_size = sizeof(copy),
	    .method = "GET",
	    .path = "/api/v1/jobplug/copy/:id",
	    .handler = h_copy,
	    .perm = SLATE_PERM_READ,
	    .summary = "The copy pp_first made",
	};
	if (h->processor_add(self, &last) || h->processor_add(self, &first) ||
	    h->route_add(self, &copy)) {
		snprintf(err, errlen, "cannot register the processors");
		return -1;
	}
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
