/*
 * main.c - slated: configuration, database (embedded or DATABASE_URL),
 * migrations, plugins, then the HTTP server until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit_api.h"
#include "auth/auth.h"
#include "auth/auth_api.h"
#include "base/config.h"
#include "base/core.h"
#include "entity/builtin.h"
#include "db/cluster.h"
#include "db/pool.h"
#include "files/download.h"
#include "server/http_server.h"
#include "jobs/jobs.h"
#include "jobs/jobs_api.h"
#include "base/log.h"
#include "db/migrate.h"
#include "jobs/pipeline.h"
#include "plugin/loader.h"
#include "files/storage.h"
#include "files/upload.h"
#include "jobs/workers.h"

/* A worker runs one job at a time; its tasks need a connection, plus one
 * for a handler that reads while a task is open. */
#define WORKER_POOL_SIZE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: slated [--config FILE] [--worker]\n"
		"  Serves the Slate API. Environment: PORT, DATABASE_URL,\n"
		"  SLATE_DATA_DIR, SLATE_PLUGIN_DIR, LOG_LEVEL, SLATE_CONFIG,\n"
		"  SLATE_RATE_LIMIT (on/off).\n"
		"  --worker runs one job worker process (started by slated's\n"
		"  supervisor, with DATABASE_URL set; see README \"Jobs\").\n");
}

/* Migrate (or only verify) the core and the opened plugins. */
static int migrate(slate_core *core, const char *conninfo, char *err,
		   size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database: %s",
			 PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	slate_migration_set *psets = NULL;
	size_t np = 0;
	if (slate_plugins_collect_migrations(core, &psets, &np)) {
		PQfinish(pg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	slate_migration_set *sets = calloc(np + 1, sizeof(*sets));
	int rc = -1;
	if (sets) {
		sets[0] = (slate_migration_set){"core", slate_core_migrations,
						slate_core_n_migrations,
						sizeof(slate_migration)};
		memcpy(sets + 1, psets, np * sizeof(*sets));
		rc = core->cfg->migrate_on_start
			 ? slate_migrate_up(pg, sets, np + 1, err, errlen)
			 : slate_migrate_verify(pg, sets, np + 1, err, errlen);
	}
	free(sets);
	free(psets);
	PQfinish(pg);
	return rc;
}

/* Signing secret, OIDC keys, first admin: after the migrations. */
static int start_auth(slate_core *core, const char *conninfo, char *err,
		      size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	int rc = -1;
	if (PQstatus(pg) != CONNECTION_OK)
		snprintf(err, errlen, "cannot connect to the database: %s",
			 PQerrorMessage(pg));
	else
		rc = slate_auth_init(&core->auth, core->cfg, pg, err, errlen);
	PQfinish(pg);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", 1, NULL, 'c'},
					     {"help", 0, NULL, 'h'},
					     {"worker", 0, NULL, 'w'},
					     {NULL, 0, NULL, 0}};
	const char *config_path = NULL;
	bool worker_mode = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c') {
			config_path = optarg;
		} else if (c == 'w') {
			worker_mode = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	/* Block the stop signals in every thread; main waits for them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[1024];
	int status = 1;
	slate_config cfg;
	slate_core core;
	slate_cluster *cluster = NULL;
	slate_http *http = NULL;
	slate_workers *workers = NULL;
	const char *conninfo;
	bool core_ready = false;

	if (slate_config_load(&cfg, config_path, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "%s", err);
		slate_config_release(&cfg);
		return 1;
	}
	if (slate_core_init(&core, &cfg)) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "out of memory");
		goto out;
	}
	core_ready = true;
	if (slate_core_entities_register(&core, err, sizeof(err)) ||
	    slate_auth_api_register(&core, err, sizeof(err)) ||
	    slate_audit_api_register(&core, err, sizeof(err)) ||
	    slate_upload_register(&core, err, sizeof(err)) ||
	    slate_download_register(&core, err, sizeof(err)) ||
	    slate_jobs_api_register(&core, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "%s", err);
		goto out;
	}
	slate_plugins_open(&core);

	/* A worker (workers.h) gets the database from its supervisor and
	 * only runs job handlers: no cluster, migrations, auth or HTTP. */
	core.worker = worker_mode;
	if (worker_mode) {
		if (!cfg.database_url) {
			slate_log(SLATE_LOG_ERROR, "worker", NULL,
				  "--worker needs DATABASE_URL");
			goto out;
		}
		/* Job handlers read and write files, and write their
		 * results through tasks: the stores and a small pool. */
		if (slate_storage_init(&core.storage, &cfg, err, sizeof(err)) ||
		    slate_db_pool_new(cfg.database_url, WORKER_POOL_SIZE,
				      cfg.db_acquire_timeout_ms, &core.db, err,
				      sizeof(err))) {
			slate_log(SLATE_LOG_ERROR, "worker", NULL, "%s", err);
			goto out;
		}
		slate_plugins_init(&core);
		status = slate_workers_worker_main(&core, cfg.database_url);
		goto out;
	}

	if (cfg.database_url) {
		conninfo = cfg.database_url;
	} else {
		slate_cluster_opts copts = {.pg_bindir = cfg.pg_bindir,
					    .cluster_user = cfg.cluster_user,
					    .dbname = "slate",
					    .no_fsync = !cfg.cluster_fsync};
		if (slate_cluster_start(cfg.data_dir, &copts, &cluster, err,
					sizeof(err))) {
			slate_log(SLATE_LOG_ERROR, "core", NULL,
				  "embedded PostgreSQL: %s", err);
			goto out;
		}
		conninfo = slate_cluster_conninfo(cluster);
	}
	if (migrate(&core, conninfo, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "migrations: %s", err);
		goto out;
	}
	if (start_auth(&core, conninfo, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "auth: %s", err);
		goto out;
	}
	if (slate_upload_start(&core, conninfo, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "storage: %s", err);
		goto out;
	}
	if (slate_db_pool_new(conninfo, cfg.db_pool_size,
			      cfg.db_acquire_timeout_ms, &core.db, err,
			      sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "%s", err);
		goto out;
	}
	slate_plugins_init(&core);
	if (slate_workers_start(&core, conninfo, &workers, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "%s", err);
		goto out;
	}

	if (slate_http_start(&core, &http, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, "core", NULL, "%s", err);
		goto out;
	}
	unsigned port = slate_http_port(http);
	slate_log(SLATE_LOG_INFO, "core", NULL,
		  "slated listening on http://%s:%u (%zu routes, database %s)",
		  strcmp(cfg.bind, "0.0.0.0") ? cfg.bind : "localhost", port,
		  slate_router_count(core.router),
		  cluster ? "embedded" : "DATABASE_URL");
	printf("Slate is running: http://localhost:%u/health  (Ctrl-C stops)\n",
	       port);
	fflush(stdout);

	int sig;
	sigwait(&stop, &sig);
	slate_log(SLATE_LOG_INFO, "core", NULL, "signal %d: shutting down",
		  sig);
	status = 0;
out:
	slate_http_stop(http);
	/* After the last request: the API no longer enqueues; workers
	 * finish their jobs. */
	slate_workers_stop(workers);
	if (core_ready)
		slate_upload_stop(&core);
	if (core_ready)
		slate_plugins_shutdown(&core);
	slate_db_pool_free(core.db);
	if (cluster && slate_cluster_stop(cluster))
		status = 1;
	if (core_ready) {
		slate_auth_free(core.auth);
		slate_core_release(&core);
	}
	slate_jobs_registry_free();
	slate_pipeline_free();
	slate_config_release(&cfg);
	return status;
}
