/*
 * config.h - slated's configuration: one JSON file plus environment overrides.
 *
 * The file (config/slate.json by default) is read once at start; the
 * environment variables PORT, DATABASE_URL, SLATE_DATA_DIR, SLATE_PLUGIN_DIR
 * and LOG_LEVEL override it, as the seed's .env does. Unknown keys are refused
 * so that a typo in an ops edit is an error rather than a silent default.
 */
#ifndef SLATE_CONFIG_H
#define SLATE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct slate_config {
	char *path;         /* the file read, or NULL when none */
	char *bind;         /* listen address, "0.0.0.0" */
	int port;           /* 3000 */
	char *data_dir;     /* absolute; "./var" resolved against the cwd */
	char *database_url; /* NULL: embedded cluster under data_dir */

	/* database */
	int db_pool_size;          /* connections per process */
	int db_acquire_timeout_ms; /* wait for a free connection, then 503 */
	bool migrate_on_start;
	char *pg_bindir;    /* NULL: found automatically */
	char *cluster_user; /* unprivileged user for the cluster when root */
	bool cluster_fsync; /* false only for throwaway test clusters */

	/* http */
	int io_threads;             /* libmicrohttpd epoll threads */
	int workers;                /* request worker threads */
	size_t max_body_bytes;      /* larger bodies: 413 */
	int max_json_depth;         /* deeper JSON: 400 */
	size_t max_header_bytes;    /* per-connection header memory */
	int connection_limit;       /* all clients */
	int per_ip_connection_limit;
	int connection_timeout_s;   /* idle or slow connections are closed */

	char *log_level; /* "debug", "info", "warn", "error" */

	char *plugin_dir; /* where <id>.so files are looked for */
	json_t *plugins;  /* object: id -> {"enabled": bool, "config": {}} */
} slate_config;

/* Fill `c` with defaults, then the file at `path` (NULL: the default file
 * when it exists), then the environment. 0 on success; -1 with a one-line
 * reason in err. `c` must be released either way. */
int slate_config_load(slate_config *c, const char *path, char *err,
		      size_t errlen);

/* Defaults only; for tests. Never fails on memory short of abort. */
void slate_config_defaults(slate_config *c);

/* Apply one JSON object over `c` (the same checks as the file). */
int slate_config_apply_json(slate_config *c, const json_t *root, char *err,
			    size_t errlen);

/* Whether plugin `id` is enabled, and its config object (borrowed, never
 * NULL: an empty object when absent). */
bool slate_config_plugin_enabled(const slate_config *c, const char *id);
const json_t *slate_config_plugin_section(const slate_config *c,
					  const char *id);

void slate_config_release(slate_config *c);

#endif
