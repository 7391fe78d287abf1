/* daemon.c - see daemon.h. */
#include "app/daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/registry.h"
#include "audit/audit_api.h"
#include "auth/auth.h"
#include "auth/auth_api.h"
#include "base/log.h"
#include "base/util.h"
#include "db/cluster.h"
#include "db/migrate.h"
#include "db/pool.h"
#include "entity/builtin.h"
#include "files/download.h"
#include "files/storage.h"
#include "files/upload.h"
#include "http/router.h"
#include "jobs/jobs.h"
#include "jobs/jobs_api.h"
#include "jobs/pipeline.h"
#include "jobs/workers.h"
#include "plugin/admin_api.h"
#include "plugin/loader.h"
#include "server/health.h"
#include "server/http_server.h"

/* A worker runs one job at a time; its tasks need a connection, plus one
 * for a handler that reads while a task is open. */
#define WORKER_POOL_SIZE 2

/* The core's own routes, before any plugin adds its. */
static int register_core(slate_core *core, char *err, size_t errlen)
{
	return slate_core_entities_register(core, err, errlen) ||
		       slate_health_register(core, err, errlen) ||
		       slate_auth_api_register(core, err, errlen) ||
		       slate_audit_api_register(core, err, errlen) ||
		       slate_admin_api_register(core, err, errlen) ||
		       slate_upload_register(core, err, errlen) ||
		       slate_download_register(core, err, errlen) ||
		       slate_jobs_api_register(core, err, errlen)
		   ? -1
		   : 0;
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

/* DATABASE_URL, or the embedded cluster started under data_dir. */
static int start_database(slate_app *app, char *err, size_t errlen)
{
	if (app->cfg.database_url) {
		app->conninfo = app->cfg.database_url;
		return 0;
	}
	slate_cluster_opts copts = {.pg_bindir = app->cfg.pg_bindir,
				    .cluster_user = app->cfg.cluster_user,
				    .dbname = "slate",
				    .no_fsync = !app->cfg.cluster_fsync};
	if (slate_cluster_start(app->cfg.data_dir, &copts, &app->cluster, err,
				errlen))
		return -1;
	app->conninfo = slate_cluster_conninfo(app->cluster);
	return 0;
}

/* A worker (jobs/workers.h) gets the database from its supervisor and
 * only runs job handlers: no cluster, migrations, auth or HTTP. Job
 * handlers read and write files, and write their results through tasks:
 * the stores and a small pool. */
static int start_worker(slate_app *app, char *err, size_t errlen)
{
	slate_config *cfg = &app->cfg;
	if (!cfg->database_url)
		return slate_errf(err, errlen, "--worker needs DATABASE_URL");
	if (slate_storage_init(&app->core.storage, cfg, err, errlen) ||
	    slate_db_pool_new(cfg->database_url, WORKER_POOL_SIZE,
			      cfg->db_acquire_timeout_ms, &app->core.db, err,
			      errlen))
		return -1;
	slate_plugins_init(&app->core);
	return 0;
}

/* Each step says what failed in `err`; the prefix names the subsystem. */
static int start_api(slate_app *app, char *err, size_t errlen)
{
	slate_core *core = &app->core;
	const slate_config *cfg = &app->cfg;
	char why[1024];
	const char *what = "embedded PostgreSQL";
	if (start_database(app, why, sizeof(why)))
		goto fail;
	what = "migrations";
	if (migrate(core, app->conninfo, why, sizeof(why)))
		goto fail;
	what = "auth";
	if (start_auth(core, app->conninfo, why, sizeof(why)))
		goto fail;
	what = "storage";
	if (slate_upload_start(core, app->conninfo, why, sizeof(why)))
		goto fail;
	what = "database pool";
	if (slate_db_pool_new(app->conninfo, cfg->db_pool_size,
			      cfg->db_acquire_timeout_ms, &core->db, why,
			      sizeof(why)))
		goto fail;
	slate_plugins_init(core);
	what = "job workers";
	if (slate_workers_start(core, app->conninfo, &app->workers, why,
				sizeof(why)))
		goto fail;
	what = "HTTP";
	if (slate_http_start(core, &app->http, why, sizeof(why)))
		goto fail;
	slate_log(SLATE_LOG_INFO, "core", NULL,
		  "slated listening on http://%s:%u (%zu routes, database %s)",
		  strcmp(cfg->bind, "0.0.0.0") ? cfg->bind : "localhost",
		  slate_http_port(app->http), slate_router_count(core->router),
		  app->cluster ? "embedded" : "DATABASE_URL");
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

int slate_app_start(slate_app *app, const char *config_path, bool worker)
{
	char err[1200];
	memset(app, 0, sizeof(*app));
	app->worker = worker;
	const char *who = worker ? "worker" : "core";
	int rc = -1;
	app->cfg_ready = true; /* released even when the load fails */
	if (slate_config_load(&app->cfg, config_path, err, sizeof(err)))
		goto out;
	if (slate_app_registry_init(&app->core, &app->cfg)) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	app->core_ready = true;
	if (register_core(&app->core, err, sizeof(err)))
		goto out;
	slate_plugins_open(&app->core);
	app->core.worker = worker;
	rc = worker ? start_worker(app, err, sizeof(err))
		    : start_api(app, err, sizeof(err));
out:
	if (rc)
		slate_log(SLATE_LOG_ERROR, who, NULL, "%s", err);
	return rc;
}

int slate_app_run_worker(slate_app *app)
{
	return slate_workers_worker_main(&app->core, app->cfg.database_url);
}

unsigned slate_app_port(const slate_app *app)
{
	return slate_http_port(app->http);
}

int slate_app_stop(slate_app *app)
{
	int rc = 0;
	slate_http_stop(app->http);
	/* After the last request: the API no longer enqueues; workers
	 * finish their jobs. */
	slate_workers_stop(app->workers);
	if (app->core_ready) {
		slate_upload_stop(&app->core);
		slate_plugins_shutdown(&app->core);
	}
	slate_db_pool_free(app->core.db);
	app->core.db = NULL;
	if (app->cluster && slate_cluster_stop(app->cluster))
		rc = -1;
	if (app->core_ready) {
		slate_auth_free(app->core.auth);
		slate_app_registry_release(&app->core);
	}
	slate_jobs_registry_free();
	slate_pipeline_free();
	if (app->cfg_ready)
		slate_config_release(&app->cfg);
	return rc;
}
