/*
 * daemon.h - slated's start-up and shut-down, one subsystem after the
 * other: configuration, the registry and the core's routes, plugins, then
 * either a job worker's few needs or the API's (database, migrations, auth,
 * stores, pool, workers, HTTP). Stopping releases each in reverse order,
 * whatever point start-up reached.
 */
#ifndef SLATE_APP_DAEMON_H
#define SLATE_APP_DAEMON_H

#include <stdbool.h>

#include "base/config.h"
#include "base/core.h"

struct slate_cluster;
struct slate_http;
struct slate_workers;

typedef struct slate_app {
	slate_config cfg;
	slate_core core;
	bool cfg_ready, core_ready;
	bool worker; /* slated --worker: runs jobs, serves nothing */
	struct slate_cluster *cluster; /* the embedded PostgreSQL, or NULL */
	const char *conninfo;	       /* DATABASE_URL or the cluster's */
	struct slate_workers *workers;
	struct slate_http *http;
} slate_app;

/* Start slated (`worker`: a job worker) with the config file at
 * `config_path` (NULL: the default search). Everything that failed is
 * logged. 0, or -1; either way slate_app_stop() releases what started. */
int slate_app_start(slate_app *app, const char *config_path, bool worker);

/* [worker] Run jobs until told to stop; the process exit status. */
int slate_app_run_worker(slate_app *app);

/* [API] The port the server listens on. */
unsigned slate_app_port(const slate_app *app);

/* Stop and release everything that started, in reverse order. 0, or -1
 * when the embedded cluster did not stop cleanly. */
int slate_app_stop(slate_app *app);

#endif
