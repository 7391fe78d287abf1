/* upload_sweep.c - see upload_sweep.h. */
#include "files/upload_sweep.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "files/storage.h"

struct slate_upload_sweeper {
	slate_core *core;
	char *conninfo;
	pthread_t thread;
	bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

int slate_upload_sweep(slate_core *core, void *pgconn)
{
	PGconn *pg = pgconn;
	char age[16];
	snprintf(age, sizeof(age), "%d", core->cfg->upload_cleanup_after_s);
	const char *p[1] = {age};
	PGresult *b = PQexec(pg, "BEGIN");
	bool ok = PQresultStatus(b) == PGRES_COMMAND_OK;
	PQclear(b);
	if (!ok)
		return -1;
	/* SKIP LOCKED: several slated processes sweep without waiting on
	 * each other, and a row a confirm holds is left for next time. */
	PGresult *res = PQexecParams(
	    pg,
	    "SELECT upload_id, store, object_key FROM uploads WHERE "
	    "status <> 'confirmed' AND created_at < now() - $1::integer * "
	    "interval '1 second' ORDER BY created_at LIMIT 200 FOR UPDATE "
	    "SKIP LOCKED",
	    1, NULL, p, NULL, NULL, 0);
	int removed = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		removed = 0;
		for (int i = 0; i < PQntuples(res); i++) {
			slate_store *st = slate_storage_get(
			    core->storage, PQgetvalue(res, i, 1));
			const char *key = PQgetvalue(res, i, 2);
			if (st && slate_store_delete(st, key)) {
				slate_log(SLATE_LOG_WARN, "storage", NULL,
					  "sweep: cannot delete %s", key);
				continue;
			}
			const char *id = PQgetvalue(res, i, 0);
			PGresult *d = PQexecParams(
			    pg, "DELETE FROM uploads WHERE upload_id = $1", 1,
			    NULL, &id, NULL, NULL, 0);
			if (PQresultStatus(d) == PGRES_COMMAND_OK)
				removed++;
			PQclear(d);
		}
	}
	PQclear(res);
	PGresult *c = PQexec(pg, removed >= 0 ? "COMMIT" : "ROLLBACK");
	if (PQresultStatus(c) != PGRES_COMMAND_OK)
		removed = -1;
	PQclear(c);
	if (removed > 0)
		slate_log(SLATE_LOG_INFO, "storage", NULL,
			  "sweep: removed %d unconfirmed upload(s)", removed);
	return removed;
}

/* Dead writers' temporary files can be gigabytes each (an upload killed
 * mid-PUT), so they are looked for at least this often, even when the
 * upload sweep itself runs less often. */
#define TMP_SWEEP_MAX_S 60

/* Removes the temporary files of dead writers in this process's stores
 * (they may be another process's: the stores are shared). */
static void sweep_tmp(slate_core *core)
{
	int n = slate_storage_sweep_tmp(core->storage);
	if (n > 0)
		slate_log(SLATE_LOG_INFO, "storage", NULL,
			  "sweep: removed %d temporary file(s) of dead "
			  "writers",
			  n);
}

static void *sweeper_main(void *arg)
{
	slate_upload_sweeper *s = arg;
	PGconn *pg = NULL;
	int interval = s->core->cfg->upload_sweep_interval_s;
	int tick = interval < TMP_SWEEP_MAX_S ? interval : TMP_SWEEP_MAX_S;
	time_t next_rows = time(NULL) + interval;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += tick;
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->lock);
		sweep_tmp(s->core);
		if (time(NULL) >= next_rows) {
			next_rows = time(NULL) + interval;
			if (!pg || PQstatus(pg) != CONNECTION_OK) {
				PQfinish(pg);
				pg = PQconnectdb(s->conninfo);
			}
			if (PQstatus(pg) == CONNECTION_OK)
				slate_upload_sweep(s->core, pg);
		}
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	PQfinish(pg);
	return NULL;
}

static void sweeper_free(slate_upload_sweeper *s)
{
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->conninfo);
	free(s);
}

slate_upload_sweeper *slate_upload_sweep_start(slate_core *core,
					       const char *conninfo, char *err,
					       size_t errlen)
{
	slate_upload_sweeper *s = calloc(1, sizeof(*s));
	if (!s) {
		slate_errf(err, errlen, "out of memory");
		return NULL;
	}
	s->core = core;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->conninfo = strdup(conninfo);
	if (!s->conninfo || pthread_create(&s->thread, NULL, sweeper_main, s)) {
		sweeper_free(s);
		slate_errf(err, errlen, "cannot start the sweeper");
		return NULL;
	}
	return s;
}

void slate_upload_sweep_stop(slate_upload_sweeper *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	sweeper_free(s);
}
