/*
 * worker.c - the worker process (`slated --worker`, see workers.h): claim
 * jobs in batches, run their handlers, keep their leases alive from a
 * heartbeat thread, mark them done or failed, and tell the supervisor
 * which job runs now (worker_link.h). It recycles itself after spending
 * half its CPU limit.
 */
#include "jobs/worker.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"
#include "jobs/worker_link.h"

/* Successful jobs are marked done in one statement per batch, but no later
 * than this after the first of them, so a slow job late in a batch does
 * not hold back the others' completion. */
#define COMPLETE_FLUSH_MS 100.0

static volatile sig_atomic_t w_stop;

static void on_term(int sig)
{
	(void)sig;
	w_stop = 1;
}

typedef struct worker {
	slate_core *core;
	const slate_config *cfg;
	const char *conninfo;
	PGconn *pg;
	char me[HOST_NAME_MAX + 32];
	char *kinds;
	int report_fd;
	bool recycle;
	int lease_ms;

	/* heartbeat thread */
	pthread_t hb;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool hb_stop, holding;
} worker;

static void report(worker *w, const char *line)
{
	if (w->report_fd < 0)
		return;
	size_t n = strlen(line);
	while (n) {
		ssize_t k = write(w->report_fd, line, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->report_fd =
			    -1; /* supervisor gone: PDEATHSIG ends us */
			return;
		}
		line += k;
		n -= (size_t)k;
	}
}

/* The heartbeat runs on its own thread and connection so that a handler
 * busy for minutes keeps its lease; a handler that hangs forever is the
 * supervisor's timeout's business, not the lease's. */
static void *heartbeat_main(void *arg)
{
	worker *w = arg;
	PGconn *pg = NULL;
	pthread_mutex_lock(&w->lock);
	while (!w->hb_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long ns = ts.tv_nsec + (long)(w->lease_ms / 3) * 1000000L;
		ts.tv_sec += ns / 1000000000L;
		ts.tv_nsec = ns % 1000000000L;
		pthread_cond_timedwait(&w->cv, &w->lock, &ts);
		if (w->hb_stop || !w->holding)
			continue;
		pthread_mutex_unlock(&w->lock);
		if (!pg)
			pg = PQconnectdb(w->conninfo);
		else if (PQstatus(pg) != CONNECTION_OK)
			PQreset(pg);
		if (PQstatus(pg) == CONNECTION_OK)
			slate_jobs_heartbeat(pg, w->me, w->lease_ms);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	PQfinish(pg);
	return NULL;
}

static void set_holding(worker *w, bool on)
{
	pthread_mutex_lock(&w->lock);
	w->holding = on;
	pthread_mutex_unlock(&w->lock);
}

static int worker_connect(worker *w)
{
	if (w->pg && PQstatus(w->pg) == CONNECTION_OK)
		return 0;
	if (w->pg)
		PQreset(w->pg);
	else
		w->pg = PQconnectdb(w->conninfo);
	if (PQstatus(w->pg) != CONNECTION_OK) {
		slate_log(SLATE_LOG_ERROR, "worker", NULL,
			  "cannot connect to the database: %s",
			  PQerrorMessage(w->pg));
		return -1;
	}
	PGresult *r = PQexec(w->pg, "SET application_name = 'slated-worker'; "
				    "SET TimeZone = 'UTC'; "
				    "LISTEN " SLATE_JOBS_CHANNEL);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	PQclear(r);
	return rc;
}

static bool cpu_half_spent(const worker *w)
{
	/* RLIMIT_CPU counts the whole life of a process, not one job, so a
	 * worker recycles itself (exit 0, restarted at once) once it has
	 * used half its budget: every job starts with at least half. */
	if (w->cfg->jobs_worker_cpu_s <= 0)
		return false;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru))
		return false;
	double s = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return s > w->cfg->jobs_worker_cpu_s / 2.0;
}

static void flush_done(worker *w, char *ids, size_t *len)
{
	if (*len <= 1)
		return;
	ids[(*len)++] = '}';
	ids[*len] = '\0';
	slate_jobs_complete(w->pg, w->me, ids);
	*len = 0;
}

static void run_batch(worker *w, PGresult *res)
{
	int n = PQntuples(res);
	char *ids = malloc((size_t)n * 37 + 3);
	size_t len = 0;
	double first_done = 0;
	int i;
	if (!ids) {
		slate_jobs_release(w->pg, w->me, NULL);
		return;
	}
	for (i = 0; i < n && !w_stop && !w->recycle; i++) {
		slate_job job;
		memset(&job, 0, sizeof(job));
		snprintf(job.id, sizeof(job.id), "%s", PQgetvalue(res, i, 0));
		job.kind = PQgetvalue(res, i, 1);
		job.payload = json_loads(PQgetvalue(res, i, 2), 0, NULL);
		if (!job.payload)
			job.payload = json_object();
		job.entity_type =
		    PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3);
		job.entity_id =
		    PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4);
		job.attempt = atoi(PQgetvalue(res, i, 5));
		job.pg = w->pg;

		char line[64];
		snprintf(line, sizeof(line), "S %s\n", job.id);
		report(w, line);
		const slate_jobs_kind *k = slate_jobs_find(job.kind);
		int rc = k ? k->fn(&job, k->ud) : -1;
		report(w, "E\n");

		if (rc == 0 && slate_pipeline_has_next(job.payload)) {
			slate_pipeline_complete(w->pg, w->me, &job);
		} else if (rc == 0) {
			if (len == 0) {
				ids[len++] = '{';
				first_done = slate_now_ms();
			} else {
				ids[len++] = ',';
			}
			memcpy(ids + len, job.id, 36);
			len += 36;
		} else {
			const char *why = job.error ? job.error
					  : k	    ? "handler failed"
					      : "no handler for this kind";
			slate_log(SLATE_LOG_WARN, "worker", NULL,
				  "job %s (%s) attempt %d failed: %s", job.id,
				  job.kind, job.attempt, why);
			if (job.reject)
				slate_jobs_reject(w->pg, w->me, job.id, why);
			else
				slate_jobs_fail(w->pg, w->cfg, w->me, job.id,
						why);
		}
		slate_job_clear(&job);
		json_decref(job.payload);
		if (len && slate_now_ms() - first_done > COMPLETE_FLUSH_MS)
			flush_done(w, ids, &len);
		if (cpu_half_spent(w))
			w->recycle = true;
	}
	flush_done(w, ids, &len);
	if (i < n) /* stopping or recycling: give the rest back unstarted */
		slate_jobs_release(w->pg, w->me, NULL);
	free(ids);
}

static bool drain_notifies(PGconn *pg)
{
	bool any = false;
	PGnotify *nt;
	PQconsumeInput(pg);
	while ((nt = PQnotifies(pg))) {
		PQfreemem(nt);
		any = true;
	}
	return any;
}

/* SIGTERM and SIGINT stop the loop; no SA_RESTART, so they interrupt the
 * idle poll. */
static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t unblock;
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGTERM);
	sigaddset(&unblock, SIGINT);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

/* The heartbeat thread, which must not take our SIGTERM. 0 or -1. */
static int heartbeat_start(worker *w)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&w->hb, NULL, heartbeat_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc ? -1 : 0;
}

static void heartbeat_stop(worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->hb_stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->hb, NULL);
}

/* Claim a batch of this worker's kinds and run it. How many were
 * claimed. */
static int claim_and_run(worker *w)
{
	PGresult *res = slate_jobs_claim(w->pg, w->me, w->kinds,
					 w->cfg->jobs_batch, w->lease_ms);
	int n = res ? PQntuples(res) : 0;
	if (n > 0) {
		set_holding(w, true);
		run_batch(w, res);
		set_holding(w, false);
	}
	PQclear(res);
	return n;
}

/* Idle: sleep until a NOTIFY, the next due run_at (a retry after
 * backoff), the next reap, or the poll interval. */
static void idle_wait(worker *w, bool have_kinds, double next_reap)
{
	if (drain_notifies(w->pg))
		return;
	long wait = w->cfg->jobs_poll_ms;
	if (have_kinds) {
		long due = slate_jobs_next_due_ms(w->pg, w->kinds);
		if (due >= 0 && due < wait)
			wait = due < 2 ? 2 : due; /* due now, but locked by a
						     peer */
	}
	long reap_in = (long)(next_reap - slate_now_ms());
	if (reap_in < wait)
		wait = reap_in < 1 ? 1 : reap_in;
	struct pollfd pfd = {.fd = PQsocket(w->pg), .events = POLLIN};
	if (pfd.fd >= 0)
		poll(&pfd, 1, (int)wait);
	drain_notifies(w->pg);
}

/* Reap expired leases, run what can be claimed, otherwise wait; until
 * told to stop or half the CPU budget is spent. */
static void work_loop(worker *w)
{
	bool have_kinds = strcmp(w->kinds, "{}") != 0;
	double next_reap = 0;
	while (!w_stop && !w->recycle) {
		if (worker_connect(w)) {
			usleep((useconds_t)w->cfg->jobs_poll_ms * 1000);
			continue;
		}
		double now = slate_now_ms();
		if (now >= next_reap) {
			slate_jobs_reap(w->pg, w->cfg);
			next_reap = now + w->cfg->jobs_poll_ms;
		}
		if (have_kinds && claim_and_run(w) > 0)
			continue;
		idle_wait(w, have_kinds, next_reap);
	}
	if (w->recycle)
		slate_log(SLATE_LOG_INFO, "worker", NULL,
			  "worker %s used half its CPU budget: recycling",
			  w->me);
}

int slate_workers_worker_main(slate_core *core, const char *conninfo)
{
	worker w;
	memset(&w, 0, sizeof(w));
	w.core = core;
	w.cfg = core->cfg;
	w.conninfo = conninfo;
	w.lease_ms = core->cfg->jobs_lease_s * 1000;
	w.report_fd = getenv(WORKER_LINK_ENV) ? WORKER_LINK_FD : -1;
	worker_link_name(w.me, sizeof(w.me), getpid());
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cv, NULL);
	catch_stop_signals();

	int status = 1;
	bool hb_started = false;
	w.kinds = slate_jobs_kinds_literal();
	if (w.kinds && worker_connect(&w) == 0 && heartbeat_start(&w) == 0) {
		hb_started = true;
		slate_log(SLATE_LOG_INFO, "worker", NULL,
			  "worker %s runs kinds %s", w.me, w.kinds);
		work_loop(&w);
		status = 0;
	}
	if (hb_started)
		heartbeat_stop(&w);
	if (w.pg && PQstatus(w.pg) == CONNECTION_OK)
		slate_jobs_release(w.pg, w.me, NULL);
	PQfinish(w.pg);
	free(w.kinds);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.lock);
	return status;
}
