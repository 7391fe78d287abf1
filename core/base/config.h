/*
 * config.h - slated's configuration: one JSON file plus environment overrides.
 *
 * The file (config/slate.json by default) is read once at start; the
 * environment variables PORT, DATABASE_URL, SLATE_DATA_DIR, SLATE_PLUGIN_DIR,
 * LOG_LEVEL and SLATE_RATE_LIMIT (on/off) override it, as the seed's .env
 * does. Unknown keys are refused
 * so that a typo in an ops edit is an error rather than a silent default.
 */
#ifndef SLATE_CONFIG_H
#define SLATE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct slate_config {
	char *path;	    /* the file read, or NULL when none */
	char *bind;	    /* listen address, "0.0.0.0" */
	int port;	    /* 3000 */
	char *data_dir;	    /* absolute; "./var" resolved against the cwd */
	char *database_url; /* NULL: embedded cluster under data_dir */

	/* database */
	int db_pool_size;	   /* connections per process */
	int db_acquire_timeout_ms; /* wait for a free connection, then 503 */
	bool migrate_on_start;
	char *pg_bindir;    /* NULL: found automatically */
	char *cluster_user; /* unprivileged user for the cluster when root */
	bool cluster_fsync; /* false only for throwaway test clusters */

	/* http */
	int io_threads;		 /* libmicrohttpd epoll threads */
	int workers;		 /* request worker threads */
	size_t max_body_bytes;	 /* larger bodies: 413 */
	int max_json_depth;	 /* deeper JSON: 400 */
	size_t max_header_bytes; /* per-connection header memory */
	int connection_limit;	 /* all clients */
	int per_ip_connection_limit;
	int connection_timeout_s; /* idle or slow connections are closed */

	char *log_level; /* "debug", "info", "warn", "error" */

	/* auth: local accounts and tokens */
	char *auth_issuer;	 /* "iss" of local access tokens, "slate" */
	int access_ttl_s;	 /* access token lifetime, 3600 */
	int refresh_ttl_s;	 /* refresh token lifetime, 30 days */
	char *bootstrap_admin;	 /* made on a first start with no user */
	int lockout_account_max; /* failed logins per account per window */
	int lockout_ip_max;	 /* failed logins per client IP per window */
	int lockout_window_s;

	/* oidc: an external issuer such as Cognito; off while issuer is NULL */
	char *oidc_issuer;
	char *oidc_audience;	 /* aud (ID tokens) or client_id (access) */
	char *oidc_jwks_file;	 /* one of the two */
	char *oidc_jwks_url;	 /* fetched at start; retried (jwks.h) */
	char *oidc_token_use;	 /* "access", "id", "any": when present */
	char *oidc_groups_claim; /* "cognito:groups" */

	/* rate_limit: fixed windows counted in PostgreSQL */
	bool rate_limit_enabled;
	int rl_api_max; /* requests per client IP per window */
	int rl_api_window_s;
	int rl_upload_max; /* uploads per user per window */
	int rl_upload_window_s;
	char **trusted_proxies; /* NULL-terminated; IPs or CIDRs */

	/* storage: blob stores and uploads (storage.h, upload.h) */
	char *storage_backend;	  /* "local" (default) or "s3" */
	char *storage_local_dir;  /* NULL: <data_dir>/objects */
	char *storage_public_url; /* base of local upload URLs; NULL: Host */
	char *s3_endpoint;	  /* "http://127.0.0.1:9000" */
	char *s3_region;	  /* "us-east-1" */
	char *s3_access_key;	  /* NULL: AWS_ACCESS_KEY_ID */
	char *s3_secret_key;	  /* NULL: AWS_SECRET_ACCESS_KEY */
	char *s3_primary_bucket;  /* the seed's two buckets */
	char *s3_thumbnail_bucket;
	bool s3_path_style;	     /* endpoint/bucket/key (MinIO, s3rver) */
	size_t s3_part_size;	     /* multipart part size */
	int upload_url_ttl_s;	     /* signed upload URL lifetime */
	int upload_cleanup_after_s;  /* unconfirmed uploads removed after */
	int upload_sweep_interval_s; /* how often each slated sweeps */
	int download_url_ttl_s;	     /* presigned GET lifetime (S3) */

	/* jobs: the queue and the worker processes (core/workers.c) */
	int jobs_workers;      /* worker processes; 0: this slated runs none */
	int jobs_batch;	       /* jobs claimed per round trip */
	int jobs_lease_s;      /* lease of a claimed job, kept by heartbeat */
	int jobs_poll_ms;      /* idle re-check when no NOTIFY arrives */
	int jobs_timeout_s;    /* wall clock per job, then SIGKILL */
	int jobs_max_attempts; /* then "dead" (unless the job says) */
	int jobs_backoff_base_ms;  /* retry after base * 2^(attempt-1) */
	int jobs_backoff_max_ms;   /* capped here */
	int jobs_worker_memory_mb; /* RLIMIT_AS per worker; 0: none */
	int jobs_worker_cpu_s;	   /* RLIMIT_CPU per worker; 0: none */

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
