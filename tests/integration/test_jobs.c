/*
 * test_jobs.c - the job queue and its worker processes, end to end: real
 * slated processes with the jobplug processor (tests/plugins/jobplug), real
 * worker processes, kill -9, crashes, timeouts, the memory limit, backoff,
 * the dead-letter state and its retry, two slated processes sharing one
 * queue, and the claim statements themselves under concurrency.
 *
 * No assertion depends on timing beyond lower bounds the queue guarantees
 * (a retry never comes before its backoff); waits use generous deadlines.
 */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/util.h"
#include "harness.h"
#include "jobs/jobs.h"

static th_server srv;

#define JOBS_CFG                                                               \
	"\"plugins\": {\"jobplug\": {\"enabled\": true}}, \"jobs\": "          \
	"{\"workers\": 2, \"batch\": 8, \"lease_s\": 2, \"timeout_s\": 4, "    \
	"\"max_attempts\": 3, \"backoff_base_ms\": 100, "                      \
	"\"backoff_max_ms\": 400, \"poll_ms\": 200, "                          \
	"\"worker_memory_mb\": 384}"

static int suite_init(void)
{
	return th_start(&srv, "{" JOBS_CFG "}");
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* Queue one job through jobplug's route; its id into id[37]. */
static int enqueue(th_server *s, const char *kind, const char *payload,
		   char id[37])
{
	char body[512];
	snprintf(body, sizeof(body), "{\"kind\": \"%s\", \"payload\": %s}",
		 kind, payload ? payload : "{}");
	th_resp r;
	if (th_req(s, "POST", "/api/v1/jobplug/enqueue", body, NULL, &r))
		return -1;
	int rc = -1;
	json_t *ids =
	    json_object_get(json_object_get(r.json, "data"), "job_ids");
	if (r.status == 201 && json_array_size(ids) > 0) {
		snprintf(id, 37, "%s",
			 json_string_value(json_array_get(ids, 0)));
		rc = 0;
	} else {
		fprintf(stderr, "enqueue %s: %ld %s\n", kind, r.status, r.body);
	}
	th_resp_free(&r);
	return rc;
}

/* GET /api/v1/jobs/:id as a new JSON object (the data), or NULL. */
static json_t *get_job(th_server *s, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	th_resp r;
	if (th_req(s, "GET", path, NULL, NULL, &r))
		return NULL;
	json_t *d = r.status == 200
			? json_incref(json_object_get(r.json, "data"))
			: NULL;
	th_resp_free(&r);
	return d;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Wait (up to `secs`) until the job's status is one of `want` (a
 * comma-separated list); the last job seen (new reference) or NULL. */
static json_t *wait_status(th_server *s, const char *id, const char *want,
			   int secs)
{
	json_t *j = NULL;
	for (int i = 0; i < secs * 20; i++) {
		json_decref(j);
		j = get_job(s, id);
		const char *st = j ? jstr(j, "status") : NULL;
		if (st) {
			char pat[64], list[128];
			snprintf(pat, sizeof(pat), ",%s,", st);
			snprintf(list, sizeof(list), ",%s,", want);
			if (strstr(list, pat))
				return j;
		}
		usleep(50000);
	}
	fprintf(stderr, "job %s never reached %s (last: %s)\n", id, want,
		j ? jstr(j, "status") : "?");
	return j;
}

static bool has_status(const json_t *j, const char *st)
{
	return j && jstr(j, "status") && !strcmp(jstr(j, "status"), st);
}

static long runs_of(const char *id)
{
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM jobplug_runs WHERE job_id = '%s'", id);
	return th_sql_long(&srv, sql);
}

static void test_success_and_api(void)
{
	char id[37];
	CU_ASSERT_FATAL(enqueue(&srv, "noop", "{\"record\": true}", id) == 0);
	json_t *j = wait_status(&srv, id, "succeeded", 30);
	CU_ASSERT(has_status(j, "succeeded"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "attempts")), 1);
	CU_ASSERT_PTR_NOT_NULL(jstr(j, "finished_at"));
	CU_ASSERT_PTR_NULL(jstr(j, "locked_by"));
	json_decref(j);
	CU_ASSERT_EQUAL(runs_of(id), 1);
	/* the handler ran in a worker, not in the API process */
	char sql[200], pid[32];
	snprintf(sql, sizeof(sql),
		 "SELECT worker_pid FROM jobplug_runs WHERE job_id = '%s'", id);
	CU_ASSERT(th_sql_text(&srv, sql, pid, sizeof(pid)) == 0 &&
		  atoi(pid) != srv.pid);

	/* listed by status, kind; counts by status in metadata */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/jobs?status=succeeded,dead&kind=noop&"
			       "limit=100",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	bool found = false;
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(r.json, "data"), i, row)
	{
		found |= !strcmp(jstr(row, "job_id"), id);
		CU_ASSERT_STRING_EQUAL(jstr(row, "kind"), "noop");
	}
	CU_ASSERT(found);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT(json_integer_value(json_object_get(meta, "total")) >= 1);
	CU_ASSERT(json_is_integer(
	    json_object_get(json_object_get(meta, "counts"), "dead")));
	th_resp_free(&r);

	/* admin only; bad filters; unknown job; retry of a done job */
	th_server *s = &srv;
	CU_ASSERT_FATAL(th_req_as(s, s->tok_viewer, "GET", "/api/v1/jobs", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
	CU_ASSERT_FATAL(
	    th_req(s, "GET", "/api/v1/jobs?status=bogus", NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "status");
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(s, "GET",
			       "/api/v1/jobs/00000000-0000-4000-8000-"
			       "000000000000",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	th_resp_free(&r);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/retry", id);
	CU_ASSERT_FATAL(th_req(s, "POST", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 409);
	th_resp_free(&r);
	/* an unknown kind is refused at enqueue */
	CU_ASSERT_FATAL(th_req(s, "POST", "/api/v1/jobplug/enqueue",
			       "{\"kind\": \"nosuchkind\"}", NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	th_resp_free(&r);
}

/* The worker's pid from locked_by ("host:pid") once the job runs and its
 * handler has started (recorded its run); 0 when it never did. */
static pid_t running_worker_on(th_server *s, const char *id)
{
	for (int i = 0; i < 600; i++) {
		json_t *j = get_job(s, id);
		const char *lb = j ? jstr(j, "locked_by") : NULL;
		const char *colon = lb ? strrchr(lb, ':') : NULL;
		pid_t pid = colon ? (pid_t)atoi(colon + 1) : 0;
		bool running = has_status(j, "running");
		json_decref(j);
		if (pid > 0 && running && runs_of(id) > 0)
			return pid;
		usleep(50000);
	}
	return 0;
}

static pid_t running_worker(const char *id)
{
	return running_worker_on(&srv, id);
}

static void test_crash_retried_api_serves(void)
{
	char id[37];
	CU_ASSERT_FATAL(enqueue(&srv, "crash", NULL, id) == 0);
	/* the API answers while a worker dies and restarts */
	for (int i = 0; i < 10; i++) {
		th_resp r;
		CU_ASSERT_FATAL(
		    th_req(&srv, "GET", "/health", NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		th_resp_free(&r);
		usleep(50000);
	}
	json_t *j = wait_status(&srv, id, "succeeded", 60);
	CU_ASSERT(has_status(j, "succeeded"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "attempts")), 2);
	const char *e = jstr(j, "error_message");
	CU_ASSERT(e && strstr(e, "worker crashed: signal"));
	json_decref(j);
	CU_ASSERT_EQUAL(runs_of(id), 2);
	CU_ASSERT(th_alive(&srv));
	/* and the restarted workers go on working */
	CU_ASSERT_FATAL(enqueue(&srv, "noop", NULL, id) == 0);
	j = wait_status(&srv, id, "succeeded", 30);
	CU_ASSERT(has_status(j, "succeeded"));
	json_decref(j);
}

static void test_kill9_mid_job(void)
{
	char id[37];
	CU_ASSERT_FATAL(enqueue(&srv, "sleep", "{\"ms\": 3000}", id) == 0);
	pid_t pid = running_worker(id);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(kill(pid, SIGKILL) == 0);
	json_t *j = wait_status(&srv, id, "succeeded", 60);
	CU_ASSERT(has_status(j, "succeeded"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "attempts")), 2);
	const char *e = jstr(j, "error_message");
	CU_ASSERT(e && strstr(e, "signal 9"));
	json_decref(j);
	CU_ASSERT_EQUAL(runs_of(id), 2);
}

static void test_timeout(void)
{
	/* one attempt only, so the outcome is final */
	char id[64];
	CU_ASSERT_FATAL(th_sql_text(&srv,
				    "INSERT INTO jobs (kind, payload, "
				    "max_attempts) VALUES ('sleep', "
				    "'{\"ms\": 60000}', 1) RETURNING job_id",
				    id, sizeof(id)) == 0);
	th_sql(&srv, "NOTIFY slate_jobs");
	json_t *j = wait_status(&srv, id, "dead", 60);
	CU_ASSERT(has_status(j, "dead"));
	const char *e = jstr(j, "error_message");
	CU_ASSERT(e && !strcmp(e, "timeout after 4s"));
	json_decref(j);
	CU_ASSERT(th_alive(&srv));
}

static void test_backoff_dead_and_retry(void)
{
	char id[37];
	CU_ASSERT_FATAL(enqueue(&srv, "fail", NULL, id) == 0);
	json_t *j = wait_status(&srv, id, "dead", 60);
	CU_ASSERT(has_status(j, "dead"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "attempts")), 3);
	CU_ASSERT_STRING_EQUAL(jstr(j, "error_message") ?: "",
			       "deliberate failure on attempt 3");
	json_decref(j);

	/* in the dead-letter count */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/jobs?status=dead&kind=fail", NULL, NULL,
			       &r) == 0);
	json_t *counts =
	    json_object_get(json_object_get(r.json, "metadata"), "counts");
	CU_ASSERT(json_integer_value(json_object_get(counts, "dead")) >= 1);
	th_resp_free(&r);

	/* the admin retries it: queued with fresh attempts, audited, and it
	 * runs (and dies) again */
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/retry", id);
	CU_ASSERT_FATAL(th_req(&srv, "POST", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "data"), "attempts")),
			0);
	th_resp_free(&r);
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'job' AND "
		 "entity_id = '%s' AND action = 'RETRY' AND user_email = '%s'",
		 id, TH_ADMIN);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* a viewer may not */
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_viewer, "POST", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
	for (int i = 0; i < 600; i++) {
		j = get_job(&srv, id);
		bool done =
		    has_status(j, "dead") &&
		    json_integer_value(json_object_get(j, "attempts")) == 3;
		json_decref(j);
		if (done)
			break;
		usleep(50000);
	}
	j = get_job(&srv, id);
	CU_ASSERT(has_status(j, "dead"));
	json_decref(j);
}

/* Store `text` as the script of a new episode; its id into eid (64). */
static bool script_episode(const char *text, char *eid)
{
	static int n;
	char show[64], body[256], path[512];
	snprintf(body, sizeof(body), "{\"name\": \"Pipeline show %d-%d\"}",
		 (int)getpid(), ++n);
	if (!th_create(&srv, "/api/v1/shows", body, "show_id", show))
		return false;
	snprintf(body, sizeof(body),
		 "{\"show_id\": \"%s\", \"title\": \"Pipeline\", "
		 "\"episode_number\": 1}",
		 show);
	if (!th_create(&srv, "/api/v1/episodes", body, "episode_id", eid))
		return false;
	snprintf(path, sizeof(path), "%s/script-%d.pdf", srv.dir, n);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	fclose(f);
	return th_upload_file(&srv, "episode", eid, "script", path,
			      "application/pdf", NULL) == 200;
}

/* The statuses of an entity's jobs of `kind` ("" when none). */
static void job_of(const char *eid, const char *kind, char *status, size_t len)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT status || ':' || attempts || ':' || coalesce("
		 "last_error, '') FROM jobs WHERE entity_id = '%s' AND kind = "
		 "'%s'",
		 eid, kind);
	if (th_sql_text(&srv, sql, status, len))
		status[0] = '\0';
}

static void test_pipeline(void)
{
	char eid[64], st[256], sql[400];
	CU_ASSERT_FATAL(script_episode("%PDF-1.4 hello pipeline", eid));
	CU_ASSERT_FATAL(th_wait_jobs(&srv, eid, 30000));
	/* both stages ran, once each, first before last */
	job_of(eid, "pp_first", st, sizeof(st));
	CU_ASSERT_STRING_EQUAL(st, "succeeded:1:");
	job_of(eid, "pp_last", st, sizeof(st));
	CU_ASSERT_STRING_EQUAL(st, "succeeded:1:");
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT finished_at FROM jobs WHERE entity_id = '%s' "
		 "AND kind = 'pp_first') <= (SELECT started_at FROM jobs "
		 "WHERE entity_id = '%s' AND kind = 'pp_last')",
		 eid, eid);
	CU_ASSERT_EQUAL(th_sql_text(&srv, sql, st, sizeof(st)), 0);
	CU_ASSERT_STRING_EQUAL(st, "t");
	/* the payload named the file; the stage wrote through a task,
	 * audited as its actor */
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", eid);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "description") ?: "",
			       "pp_first saw 23 bytes: %PDF-1.4 hello "
			       "pipeline");
	th_resp_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "field_name = 'description' AND user_email = 'jobplug' AND "
		 "user_id IS NULL",
		 eid);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* file_put's copy, served by res_file */
	snprintf(path, sizeof(path), "/api/v1/jobplug/copy/%s", eid);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body ?: "", "%PDF-1.4 hello pipeline");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(
	    th_status(&srv, "GET", "/api/v1/jobplug/copy/nothing", NULL), 404);

	/* job_reject: dead after one attempt, with the reason */
	CU_ASSERT_FATAL(script_episode("REJECT me", eid));
	CU_ASSERT_FATAL(th_wait_jobs(&srv, eid, 30000));
	job_of(eid, "pp_last", st, sizeof(st));
	CU_ASSERT_STRING_EQUAL(st, "dead:1:rejected: the file says so");
}

/* Idle workers sleep: on LISTEN, waking for the next retry, the lease
 * reaper and jobs.poll_ms (200 here). Two of them then commit a few dozen
 * statements a second between them; a worker that polls without sleeping
 * commits hundreds. Counted by PostgreSQL over four seconds (its counters
 * reach pg_stat_database within a second for a busy backend). */
static void test_idle_workers_sleep(void)
{
	CU_ASSERT_FATAL(th_wait_jobs(&srv, NULL, 60000));
	static const char sql[] =
	    "SELECT xact_commit FROM pg_stat_database WHERE datname = "
	    "current_database()";
	sleep(2);
	long before = th_sql_long(&srv, sql);
	sleep(4);
	long after = th_sql_long(&srv, sql);
	CU_ASSERT(before > 0);
	fprintf(stderr, "(%ld commits in 4 s) ", after - before);
	CU_ASSERT(after - before < 400);
}

static void test_backoff_spacing(void)
{
	/* A retry never comes before its backoff: base 100 ms doubled per
	 * attempt with jitter in [0.75, 1.25), so the gaps between runs are
	 * at least 75 ms and 150 ms. (Lower bounds only.) */
	char id[64];
	CU_ASSERT_FATAL(th_sql_text(&srv,
				    "INSERT INTO jobs (kind, payload) VALUES "
				    "('crash', '{}') RETURNING job_id",
				    id, sizeof(id)) == 0);
	/* crash fails once; use the fail kind's rows instead: record the
	 * claim times of a failing job from its own row */
	th_sql(&srv, "NOTIFY slate_jobs");
	json_t *j = wait_status(&srv, id, "succeeded", 60);
	json_decref(j);
	char sql[400];
	snprintf(sql, sizeof(sql),
		 "SELECT (extract(epoch FROM max(ran_at) - min(ran_at)) * "
		 "1000)::bigint FROM jobplug_runs WHERE job_id = '%s'",
		 id);
	CU_ASSERT(th_sql_long(&srv, sql) >= 75);
}

static void test_memory_limit(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* Sanitizer builds run workers without RLIMIT_AS (see workers.c). */
	fprintf(stderr, "(skipped under AddressSanitizer) ");
#else
	/* one attempt, so that no retry lingers into the next test */
	char id[64];
	CU_ASSERT_FATAL(th_sql_text(&srv,
				    "INSERT INTO jobs (kind, payload, "
				    "max_attempts) VALUES ('hog', "
				    "'{\"mb\": 4096}', 1) RETURNING job_id",
				    id, sizeof(id)) == 0);
	th_sql(&srv, "NOTIFY slate_jobs");
	json_t *j = wait_status(&srv, id, "dead", 60);
	CU_ASSERT(has_status(j, "dead"));
	const char *e = jstr(j, "error_message");
	CU_ASSERT(e && strstr(e, "out of memory"));
	json_decref(j);
	CU_ASSERT(th_alive(&srv));
	th_resp r;
	CU_ASSERT(th_req(&srv, "GET", "/health", NULL, NULL, &r) == 0 &&
		  r.status == 200);
	th_resp_free(&r);
#endif
}

/* The worker processes of slated `parent`. */
/* A worker killed with a claimed batch: the supervisor sees it die and
 * gives the rest of the batch back at once, so the other jobs start long
 * before the 30 s lease would have expired. One worker, so the batch is
 * all of the jobs and the next worker is the restarted one. */
static void test_killed_worker_releases_batch(void)
{
	th_server x;
	CU_ASSERT_FATAL(
	    th_start(&x,
		     "{\"plugins\": {\"jobplug\": {\"enabled\": true}}, "
		     "\"jobs\": {\"workers\": 1, \"batch\": 8, "
		     "\"lease_s\": 30, \"poll_ms\": 200, "
		     "\"backoff_base_ms\": 100, \"backoff_max_ms\": 200}}") ==
	    0);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&x, "POST", "/api/v1/jobplug/enqueue",
			       "{\"kind\": \"sleep\", \"count\": 4, "
			       "\"payload\": {\"ms\": 1000}}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	th_resp_free(&r);
	/* the first job runs; all four are claimed by its worker */
	long pid = -1;
	for (int i = 0; i < 400 && pid <= 0; i++) {
		pid = th_sql_long(&x, "SELECT min(worker_pid) FROM "
				      "jobplug_runs");
		if (pid <= 0)
			usleep(50000);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(th_sql_long(&x, "SELECT count(*) FROM jobs WHERE "
					"status = 'running' AND "
					"lease_expires_at > now() + interval "
					"'20 s'"),
			4);
	double t0 = slate_now_ms();
	CU_ASSERT_FATAL(kill((pid_t)pid, SIGKILL) == 0);
	/* the three it never started run on the restarted worker, one
	 * after the other (1 s each), on their first attempt */
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(DISTINCT r.job_id) FROM jobplug_runs r JOIN "
		 "jobs j ON j.job_id = r.job_id WHERE j.attempts = 1 AND "
		 "r.worker_pid <> %ld",
		 pid);
	long started = 0;
	for (int i = 0; i < 300 && started < 3; i++) {
		started = th_sql_long(&x, sql);
		if (started < 3)
			usleep(50000);
	}
	double took = (slate_now_ms() - t0) / 1000.0;
	CU_ASSERT_EQUAL(started, 3);
	CU_ASSERT(took < 12.0);
	fprintf(stderr, "(the other jobs started within %.1f s) ", took);
	/* the one it ran failed for the crash and runs again */
	char err[300] = "";
	th_sql_text(&x,
		    "SELECT coalesce(max(last_error), '') FROM jobs WHERE "
		    "last_error IS NOT NULL",
		    err, sizeof(err));
	CU_ASSERT(strstr(err, "signal 9") != NULL);
	long done = 0;
	for (int i = 0; i < 300 && done < 4; i++) {
		done = th_sql_long(&x, "SELECT count(*) FROM jobs WHERE "
				       "status = 'succeeded'");
		if (done < 4)
			usleep(50000);
	}
	CU_ASSERT_EQUAL(done, 4);
	th_stop(&x);
}

static int children_of(pid_t parent, pid_t *out, int max)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < max) {
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = '\0';
		const char *rp = strrchr(buf, ')');
		int ppid = 0;
		char state;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 &&
		    ppid == parent)
			out[n++] = (pid_t)atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* kill -9 of a whole slated (API, supervisor and, through PDEATHSIG, its
 * workers) mid-job: nobody is left to fail the job, so its lease expires
 * and the other slated's workers run it again. */
static void lease_expiry_elsewhere(th_server *second)
{
	/* a quiet queue first: a worker stopped while holding a job would
	 * lose that job's lease too */
	for (int i = 0; i < 600; i++) {
		if (th_sql_long(&srv,
				"SELECT count(*) FROM jobs WHERE status "
				"IN ('queued', 'running', 'failed')") == 0)
			break;
		usleep(50000);
	}
	pid_t mine[64];
	int n = children_of(srv.pid, mine, 64);
	for (int i = 0; i < n; i++) /* only the second's workers may claim */
		kill(mine[i], SIGSTOP);
	char id[37];
	CU_ASSERT_FATAL(enqueue(second, "sleep", "{\"ms\": 1500}", id) == 0);
	pid_t w = running_worker_on(second, id);
	CU_ASSERT(w > 0);
	kill(second->pid, SIGKILL);
	for (int i = 0; i < n; i++)
		kill(mine[i], SIGCONT);
	json_t *j = wait_status(&srv, id, "succeeded", 60);
	CU_ASSERT(has_status(j, "succeeded"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "attempts")), 2);
	const char *e = jstr(j, "error_message");
	if (json_integer_value(json_object_get(j, "attempts")) != 2)
		fprintf(stderr, "lease job: %s\n", json_dumps(j, JSON_COMPACT));
	CU_ASSERT(e && strstr(e, "lease expired"));
	json_decref(j);
	/* its worker died with it */
	CU_ASSERT(w <= 0 || kill(w, 0) != 0);
}

static void test_two_processes_once_each(void)
{
	char cfg[1200];
	snprintf(
	    cfg, sizeof(cfg),
	    "{\"database_url\": \"host=%s dbname=slate user=slate\", " JOBS_CFG
	    "}",
	    th_cluster_dir(&srv));
	th_server second;
	CU_ASSERT_FATAL(th_start(&second, cfg) == 0);
	th_sql(&srv, "TRUNCATE jobplug_runs");
	/* 200 jobs in one transaction, through the second server */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&second, "POST", "/api/v1/jobplug/enqueue",
			       "{\"kind\": \"noop\", \"count\": 200, "
			       "\"payload\": {\"record\": true, \"batch\": "
			       "\"two\"}}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	th_resp_free(&r);
	long done = 0;
	for (int i = 0; i < 1200 && done < 200; i++) {
		done = th_sql_long(&srv, "SELECT count(*) FROM jobs WHERE "
					 "payload->>'batch' = 'two' AND status "
					 "= 'succeeded'");
		if (done < 200)
			usleep(50000);
	}
	CU_ASSERT_EQUAL(done, 200);
	/* each ran exactly once, on one attempt */
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobplug_runs"),
			200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(DISTINCT job_id) FROM "
					  "jobplug_runs"),
			200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobs WHERE "
					  "payload->>'batch' = 'two' AND "
					  "attempts <> 1"),
			0);
	lease_expiry_elsewhere(&second);
	fprintf(stderr, "(%ld worker processes took part) ",
		th_sql_long(&srv, "SELECT count(DISTINCT worker_pid) FROM "
				  "jobplug_runs"));
	th_stop(&second); /* already killed: only cleans up */
	CU_ASSERT(th_alive(&srv));
}

/* ---- the claim statements themselves ---------------------------------- */

static PGconn *connect_db(void)
{
	char ci[400];
	snprintf(ci, sizeof(ci), "host=%s dbname=slate user=slate",
		 th_cluster_dir(&srv));
	PGconn *pg = PQconnectdb(ci);
	CU_ASSERT_FATAL(PQstatus(pg) == CONNECTION_OK);
	return pg;
}

static void test_claim_batches_skip_locked(void)
{
	/* A kind no worker runs, so only this test claims it. */
	CU_ASSERT_FATAL(th_sql(&srv, "INSERT INTO jobs (kind) SELECT "
				     "'claimtest' FROM generate_series(1, "
				     "12)") == 0);
	PGconn *a = connect_db(), *b = connect_db();
	/* a's claim holds its row locks (open transaction): b skips them */
	PQclear(PQexec(a, "BEGIN"));
	PGresult *ra = slate_jobs_claim(a, "test:a", "{claimtest}", 5, 60000);
	PGresult *rb = slate_jobs_claim(b, "test:b", "{claimtest}", 5, 60000);
	CU_ASSERT_FATAL(ra && rb);
	CU_ASSERT_EQUAL(PQntuples(ra), 5);
	CU_ASSERT_EQUAL(PQntuples(rb), 5);
	for (int i = 0; i < PQntuples(ra); i++)
		for (int k = 0; k < PQntuples(rb); k++)
			CU_ASSERT(strcmp(PQgetvalue(ra, i, 0),
					 PQgetvalue(rb, k, 0)) != 0);
	PQclear(PQexec(a, "COMMIT"));
	PQclear(ra);
	PQclear(rb);
	ra = slate_jobs_claim(a, "test:a", "{claimtest}", 5, 60000);
	CU_ASSERT_EQUAL(PQntuples(ra), 2);
	PQclear(ra);
	ra = slate_jobs_claim(a, "test:a", "{claimtest}", 5, 60000);
	CU_ASSERT_EQUAL(PQntuples(ra), 0);
	PQclear(ra);

	/* release gives a's back without counting the attempt */
	CU_ASSERT(slate_jobs_release(a, "test:a", NULL) == 0);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobs WHERE "
					  "kind = 'claimtest' AND status = "
					  "'queued' AND attempts = 0"),
			7);
	/* an expired lease (b "died") is reaped: failed, error kept */
	CU_ASSERT(th_sql(&srv,
			 "UPDATE jobs SET lease_expires_at = now() - "
			 "interval '1 s' WHERE locked_by = 'test:b'") == 0);
	slate_config cfg;
	slate_config_defaults(&cfg);
	CU_ASSERT(slate_jobs_reap(b, &cfg) >= 5);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobs WHERE "
					  "kind = 'claimtest' AND status = "
					  "'failed' AND last_error LIKE "
					  "'lease expired: worker test:b%'"),
			5);
	slate_config_release(&cfg);
	th_sql(&srv, "DELETE FROM jobs WHERE kind = 'claimtest'");
	PQfinish(a);
	PQfinish(b);
}

int main(void)
{
	const th_test tests[] = {
	    {"a job runs in a worker; the jobs API", test_success_and_api},
	    {"claims: batches, SKIP LOCKED, release, lease reaping",
	     test_claim_batches_skip_locked},
	    {"a crash fails the job, the worker restarts, the API "
	     "serves, the retry succeeds",
	     test_crash_retried_api_serves},
	    {"kill -9 of a worker mid-job: the job completes on retry",
	     test_kill9_mid_job},
	    {"a killed worker's unstarted jobs are released at once",
	     test_killed_worker_releases_batch},
	    {"a retry waits for its backoff", test_backoff_spacing},
	    {"a stored file runs its processors in stage order", test_pipeline},
	    {"idle workers sleep", test_idle_workers_sleep},
	    {"failing jobs back off and go dead; admin retry",
	     test_backoff_dead_and_retry},
	    {"a job over its time is killed and failed", test_timeout},
	    {"the memory limit fails a hog, not the API", test_memory_limit},
	    {"two slated processes run each job exactly once",
	     test_two_processes_once_each},
	    {NULL, NULL},
	};
	return th_main("jobs", suite_init, suite_clean, tests);
}
