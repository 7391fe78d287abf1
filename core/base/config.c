/* config.c - see config.h. */
#include "base/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

#ifndef SLATE_SOURCE_DIR
#define SLATE_SOURCE_DIR "."
#endif
#ifndef SLATE_PLUGIN_BUILD_DIR
#define SLATE_PLUGIN_BUILD_DIR "./build/plugins"
#endif

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		abort();
	return d;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

void slate_config_defaults(slate_config *c)
{
	memset(c, 0, sizeof(*c));
	c->bind = xstrdup("0.0.0.0");
	c->port = 3000;
	c->data_dir = xstrdup("./var");
	c->db_pool_size = 8;
	c->db_acquire_timeout_ms = 5000;
	c->migrate_on_start = true;
	c->cluster_user = xstrdup("slate");
	c->cluster_fsync = true;
	c->io_threads = 2;
	c->workers = 8;
	c->max_body_bytes = 1024 * 1024;
	c->max_json_depth = 32;
	c->max_header_bytes = 16 * 1024;
	c->connection_limit = 1024;
	c->per_ip_connection_limit = 256;
	c->connection_timeout_s = 30;
	c->log_level = xstrdup("info");
	c->plugin_dir = xstrdup(SLATE_PLUGIN_BUILD_DIR);
	c->plugins = json_object();
	c->auth_issuer = xstrdup("slate");
	c->access_ttl_s = 3600;
	c->refresh_ttl_s = 30 * 24 * 3600;
	c->bootstrap_admin = xstrdup("admin@localhost");
	c->lockout_account_max = 5;
	c->lockout_ip_max = 20;
	c->lockout_window_s = 15 * 60;
	c->oidc_token_use = xstrdup("access");
	c->oidc_groups_claim = xstrdup("cognito:groups");
	c->rate_limit_enabled = true;
	c->rl_api_max = 100;
	c->rl_api_window_s = 15 * 60;
	c->rl_upload_max = 50;
	c->rl_upload_window_s = 3600;
	c->storage_backend = xstrdup("local");
	c->s3_region = xstrdup("us-east-1");
	c->s3_primary_bucket = xstrdup("episode-metadata-storage");
	c->s3_thumbnail_bucket = xstrdup("episode-metadata-thumbnails");
	c->s3_path_style = true;
	c->s3_part_size = 64u * 1024 * 1024;
	c->upload_url_ttl_s = 3600;
	c->upload_cleanup_after_s = 24 * 3600;
	c->upload_sweep_interval_s = 300;
	c->download_url_ttl_s = 300;
	c->jobs_workers = 2;
	c->jobs_batch = 32;
	c->jobs_lease_s = 30;
	c->jobs_poll_ms = 1000;
	c->jobs_timeout_s = 300;
	c->jobs_max_attempts = 5;
	c->jobs_backoff_base_ms = 1000;
	c->jobs_backoff_max_ms = 300000;
	c->jobs_worker_memory_mb = 1024;
	c->jobs_worker_cpu_s = 600;
}

/* Typed setters keyed by name, so that the file's shape is one table. */
typedef enum { K_STR, K_STR_NULL, K_INT, K_SIZE, K_BOOL, K_STRV } kind_t;

typedef struct key_spec {
	const char *section; /* NULL for top level */
	const char *key;
	kind_t kind;
	size_t offset;
	long long min, max;
} key_spec;

#define OFF(f) offsetof(slate_config, f)
static const key_spec keys[] = {
    {NULL, "bind", K_STR, OFF(bind), 0, 0},
    {NULL, "port", K_INT, OFF(port), 0, 65535},
    {NULL, "data_dir", K_STR, OFF(data_dir), 0, 0},
    {NULL, "database_url", K_STR_NULL, OFF(database_url), 0, 0},
    {NULL, "plugin_dir", K_STR, OFF(plugin_dir), 0, 0},
    {"database", "pool_size", K_INT, OFF(db_pool_size), 1, 1000},
    {"database", "acquire_timeout_ms", K_INT, OFF(db_acquire_timeout_ms), 1,
     600000},
    {"database", "migrate_on_start", K_BOOL, OFF(migrate_on_start), 0, 0},
    {"database", "pg_bindir", K_STR_NULL, OFF(pg_bindir), 0, 0},
    {"database", "cluster_user", K_STR, OFF(cluster_user), 0, 0},
    {"database", "cluster_fsync", K_BOOL, OFF(cluster_fsync), 0, 0},
    {"http", "io_threads", K_INT, OFF(io_threads), 1, 256},
    {"http", "workers", K_INT, OFF(workers), 1, 1024},
    {"http", "max_body_bytes", K_SIZE, OFF(max_body_bytes), 1, 1LL << 32},
    {"http", "max_json_depth", K_INT, OFF(max_json_depth), 1, 1000},
    {"http", "max_header_bytes", K_SIZE, OFF(max_header_bytes), 1024, 1 << 20},
    {"http", "connection_limit", K_INT, OFF(connection_limit), 1, 1000000},
    {"http", "per_ip_connection_limit", K_INT, OFF(per_ip_connection_limit), 0,
     1000000},
    {"http", "connection_timeout_s", K_INT, OFF(connection_timeout_s), 1,
     86400},
    {"log", "level", K_STR, OFF(log_level), 0, 0},
    {"auth", "issuer", K_STR, OFF(auth_issuer), 0, 0},
    {"auth", "access_ttl_s", K_INT, OFF(access_ttl_s), 60, 86400},
    {"auth", "refresh_ttl_s", K_INT, OFF(refresh_ttl_s), 60, 366 * 86400},
    {"auth", "bootstrap_admin", K_STR, OFF(bootstrap_admin), 0, 0},
    {"auth", "lockout_account_max", K_INT, OFF(lockout_account_max), 1,
     1000000},
    {"auth", "lockout_ip_max", K_INT, OFF(lockout_ip_max), 1, 1000000},
    {"auth", "lockout_window_s", K_INT, OFF(lockout_window_s), 1, 86400},
    {"oidc", "issuer", K_STR_NULL, OFF(oidc_issuer), 0, 0},
    {"oidc", "audience", K_STR_NULL, OFF(oidc_audience), 0, 0},
    {"oidc", "jwks_file", K_STR_NULL, OFF(oidc_jwks_file), 0, 0},
    {"oidc", "jwks_url", K_STR_NULL, OFF(oidc_jwks_url), 0, 0},
    {"oidc", "token_use", K_STR, OFF(oidc_token_use), 0, 0},
    {"oidc", "groups_claim", K_STR, OFF(oidc_groups_claim), 0, 0},
    {"rate_limit", "enabled", K_BOOL, OFF(rate_limit_enabled), 0, 0},
    {"rate_limit", "api_max", K_INT, OFF(rl_api_max), 1, 100000000},
    {"rate_limit", "api_window_s", K_INT, OFF(rl_api_window_s), 1, 86400},
    {"rate_limit", "upload_max", K_INT, OFF(rl_upload_max), 1, 100000000},
    {"rate_limit", "upload_window_s", K_INT, OFF(rl_upload_window_s), 1, 86400},
    {"rate_limit", "trusted_proxies", K_STRV, OFF(trusted_proxies), 0, 0},
    {"storage", "backend", K_STR, OFF(storage_backend), 0, 0},
    {"storage", "local_dir", K_STR_NULL, OFF(storage_local_dir), 0, 0},
    {"storage", "public_url", K_STR_NULL, OFF(storage_public_url), 0, 0},
    {"storage", "s3_endpoint", K_STR_NULL, OFF(s3_endpoint), 0, 0},
    {"storage", "s3_region", K_STR, OFF(s3_region), 0, 0},
    {"storage", "s3_access_key", K_STR_NULL, OFF(s3_access_key), 0, 0},
    {"storage", "s3_secret_key", K_STR_NULL, OFF(s3_secret_key), 0, 0},
    {"storage", "s3_primary_bucket", K_STR, OFF(s3_primary_bucket), 0, 0},
    {"storage", "s3_thumbnail_bucket", K_STR, OFF(s3_thumbnail_bucket), 0, 0},
    {"storage", "s3_path_style", K_BOOL, OFF(s3_path_style), 0, 0},
    {"storage", "s3_part_size", K_SIZE, OFF(s3_part_size), 5 << 20, 1LL << 32},
    {"storage", "upload_url_ttl_s", K_INT, OFF(upload_url_ttl_s), 1, 7 * 86400},
    {"storage", "upload_cleanup_after_s", K_INT, OFF(upload_cleanup_after_s), 1,
     365 * 86400},
    {"storage", "upload_sweep_interval_s", K_INT, OFF(upload_sweep_interval_s),
     1, 86400},
    {"storage", "download_url_ttl_s", K_INT, OFF(download_url_ttl_s), 1,
     7 * 86400},
    {"jobs", "workers", K_INT, OFF(jobs_workers), 0, 64},
    {"jobs", "batch", K_INT, OFF(jobs_batch), 1, 1000},
    {"jobs", "lease_s", K_INT, OFF(jobs_lease_s), 1, 3600},
    {"jobs", "poll_ms", K_INT, OFF(jobs_poll_ms), 10, 60000},
    {"jobs", "timeout_s", K_INT, OFF(jobs_timeout_s), 1, 86400},
    {"jobs", "max_attempts", K_INT, OFF(jobs_max_attempts), 1, 1000},
    {"jobs", "backoff_base_ms", K_INT, OFF(jobs_backoff_base_ms), 1, 86400000},
    {"jobs", "backoff_max_ms", K_INT, OFF(jobs_backoff_max_ms), 1, 86400000},
    {"jobs", "worker_memory_mb", K_INT, OFF(jobs_worker_memory_mb), 0, 1048576},
    {"jobs", "worker_cpu_seconds", K_INT, OFF(jobs_worker_cpu_s), 0, 31536000},
};
#undef OFF

static const char *const sections[] = {"database", "http", "log",
				       "auth",	   "oidc", "rate_limit",
				       "storage",  "jobs", NULL};

static int apply_key(slate_config *c, const key_spec *k, const json_t *v,
		     char *err, size_t errlen)
{
	char *base = (char *)c;
	char name[96];
	snprintf(name, sizeof(name), "%s%s%s", k->section ? k->section : "",
		 k->section ? "." : "", k->key);
	switch (k->kind) {
	case K_STR_NULL:
		if (json_is_null(v)) {
			set_str((char **)(base + k->offset), NULL);
			return 0;
		}
		/* fall through */
	case K_STR:
		if (!json_is_string(v) || json_string_length(v) == 0) {
			snprintf(err, errlen, "config %s: expected a string",
				 name);
			return -1;
		}
		set_str((char **)(base + k->offset), json_string_value(v));
		return 0;
	case K_INT:
	case K_SIZE: {
		if (!json_is_integer(v) || json_integer_value(v) < k->min ||
		    json_integer_value(v) > k->max) {
			snprintf(err, errlen,
				 "config %s: expected an integer from %lld to "
				 "%lld",
				 name, k->min, k->max);
			return -1;
		}
		if (k->kind == K_INT)
			*(int *)(base + k->offset) = (int)json_integer_value(v);
		else
			*(size_t *)(base + k->offset) =
			    (size_t)json_integer_value(v);
		return 0;
	}
	case K_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen,
				 "config %s: expected true or false", name);
			return -1;
		}
		*(bool *)(base + k->offset) = json_is_true(v);
		return 0;
	case K_STRV: {
		size_t i, n = json_is_array(v) ? json_array_size(v) : 0;
		json_t *item;
		if (!json_is_array(v))
			goto bad_strv;
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item) ||
			    json_string_length(item) == 0)
				goto bad_strv;
		}
		char ***dst = (char ***)(base + k->offset);
		strv_free(*dst);
		*dst = calloc(n + 1, sizeof(char *));
		if (!*dst)
			abort();
		json_array_foreach(v, i, item)
		{
			(*dst)[i] = xstrdup(json_string_value(item));
		}
		return 0;
	bad_strv:
		snprintf(err, errlen, "config %s: expected an array of strings",
			 name);
		return -1;
	}
	}
	return -1;
}

static const key_spec *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const key_spec *k = &keys[i];
		if (((!section && !k->section) ||
		     (section && k->section && !strcmp(section, k->section))) &&
		    !strcmp(key, k->key))
			return k;
	}
	return NULL;
}

static bool is_section(const char *key)
{
	for (int i = 0; sections[i]; i++)
		if (!strcmp(key, sections[i]))
			return true;
	return false;
}

static int apply_plugins(slate_config *c, const json_t *v, char *err,
			 size_t errlen)
{
	const char *id;
	json_t *p;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "config plugins: expected an object");
		return -1;
	}
	json_object_foreach((json_t *)v, id, p)
	{
		const char *k;
		json_t *pv;
		if (!json_is_object(p)) {
			snprintf(err, errlen,
				 "config plugins.%s: expected an object", id);
			return -1;
		}
		json_object_foreach(p, k, pv)
		{
			if (!strcmp(k, "enabled") && json_is_boolean(pv))
				continue;
			if (!strcmp(k, "config") && json_is_object(pv))
				continue;
			snprintf(
			    err, errlen,
			    "config plugins.%s.%s: unknown key or wrong "
			    "type (expected enabled: bool, config: object)",
			    id, k);
			return -1;
		}
		json_object_set(c->plugins, id, p);
	}
	return 0;
}

int slate_config_apply_json(slate_config *c, const json_t *root, char *err,
			    size_t errlen)
{
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		snprintf(err, errlen,
			 "config: the top level must be an object");
		return -1;
	}
	json_object_foreach((json_t *)root, key, v)
	{
		if (!strcmp(key, "plugins")) {
			if (apply_plugins(c, v, err, errlen))
				return -1;
			continue;
		}
		if (is_section(key)) {
			const char *sk;
			json_t *sv;
			if (!json_is_object(v)) {
				snprintf(err, errlen,
					 "config %s: expected an object", key);
				return -1;
			}
			json_object_foreach(v, sk, sv)
			{
				const key_spec *k = find_key(key, sk);
				if (!k) {
					snprintf(err, errlen,
						 "config %s.%s: unknown key",
						 key, sk);
					return -1;
				}
				if (apply_key(c, k, sv, err, errlen))
					return -1;
			}
			continue;
		}
		const key_spec *k = find_key(NULL, key);
		if (!k) {
			snprintf(err, errlen, "config %s: unknown key", key);
			return -1;
		}
		if (apply_key(c, k, v, err, errlen))
			return -1;
	}
	return 0;
}

/* Resolve a relative path against `base` (a directory). New string. */
static char *resolve(const char *path, const char *base)
{
	if (path[0] == '/')
		return xstrdup(path);
	char *out;
	if (asprintf(&out, "%s/%s", base, path) < 0)
		abort();
	return out;
}

static int apply_env(slate_config *c, char *err, size_t errlen)
{
	const char *v;
	if ((v = getenv("PORT")) && *v) {
		char *end;
		long p = strtol(v, &end, 10);
		if (*end || p < 0 || p > 65535) {
			snprintf(err, errlen, "PORT=%s: expected 0 to 65535",
				 v);
			return -1;
		}
		c->port = (int)p;
	}
	if ((v = getenv("DATABASE_URL")) && *v)
		set_str(&c->database_url, v);
	if ((v = getenv("SLATE_DATA_DIR")) && *v)
		set_str(&c->data_dir, v);
	if ((v = getenv("SLATE_PLUGIN_DIR")) && *v)
		set_str(&c->plugin_dir, v);
	if ((v = getenv("LOG_LEVEL")) && *v)
		set_str(&c->log_level, v);
	if ((v = getenv("SLATE_RATE_LIMIT")) && *v) {
		if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1")) {
			c->rate_limit_enabled = true;
		} else if (!strcmp(v, "off") || !strcmp(v, "false") ||
			   !strcmp(v, "0")) {
			c->rate_limit_enabled = false;
		} else {
			snprintf(err, errlen,
				 "SLATE_RATE_LIMIT=%s: expected on or off", v);
			return -1;
		}
	}
	return 0;
}

int slate_config_load(slate_config *c, const char *path, char *err,
		      size_t errlen)
{
	slate_config_defaults(c);
	if (!path && getenv("SLATE_CONFIG") && *getenv("SLATE_CONFIG"))
		path = getenv("SLATE_CONFIG");
	if (!path && access("config/slate.json", R_OK) == 0)
		path = "config/slate.json";
	if (!path && access(SLATE_SOURCE_DIR "/config/slate.json", R_OK) == 0)
		path = SLATE_SOURCE_DIR "/config/slate.json";
	if (path) {
		json_error_t jerr;
		json_t *root =
		    json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (!root) {
			snprintf(err, errlen, "config %s:%d:%d: %s", path,
				 jerr.line, jerr.column, jerr.text);
			return -1;
		}
		int rc = slate_config_apply_json(c, root, err, errlen);
		json_decref(root);
		if (rc)
			return -1;
		set_str(&c->path, path);
	}
	if (apply_env(c, err, errlen))
		return -1;
	if (c->oidc_issuer && !c->oidc_jwks_file == !c->oidc_jwks_url) {
		snprintf(err, errlen,
			 "config oidc: with an issuer, set exactly "
			 "one of jwks_file and jwks_url");
		return -1;
	}
	if (c->oidc_issuer && !c->oidc_audience) {
		snprintf(err, errlen,
			 "config oidc: with an issuer, audience "
			 "is required");
		return -1;
	}
	if (strcmp(c->oidc_token_use, "access") &&
	    strcmp(c->oidc_token_use, "id") &&
	    strcmp(c->oidc_token_use, "any")) {
		snprintf(err, errlen,
			 "config oidc.token_use: expected access, id or any");
		return -1;
	}
	if (slate_log_set_level_name(c->log_level)) {
		snprintf(err, errlen,
			 "log level %s: expected debug, info, warn or error",
			 c->log_level);
		return -1;
	}
	/* Relative paths in the file mean relative to the working directory,
	 * as a user typing `make run` expects of ./var. */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(err, errlen, "getcwd: %s", strerror(errno));
		return -1;
	}
	char *d = resolve(c->data_dir, cwd);
	free(c->data_dir);
	c->data_dir = d;
	d = resolve(c->plugin_dir, cwd);
	free(c->plugin_dir);
	c->plugin_dir = d;
	return 0;
}

bool slate_config_plugin_enabled(const slate_config *c, const char *id)
{
	json_t *p = json_object_get(c->plugins, id);
	return p && json_is_true(json_object_get(p, "enabled"));
}

const json_t *slate_config_plugin_section(const slate_config *c, const char *id)
{
	static json_t *empty;
	json_t *p = json_object_get(c->plugins, id);
	json_t *s = p ? json_object_get(p, "config") : NULL;
	if (s)
		return s;
	if (!empty)
		empty = json_object(); /* main thread, before any request */
	return empty;
}

void slate_config_release(slate_config *c)
{
	free(c->path);
	free(c->bind);
	free(c->data_dir);
	free(c->database_url);
	free(c->pg_bindir);
	free(c->cluster_user);
	free(c->log_level);
	free(c->plugin_dir);
	json_decref(c->plugins);
	free(c->auth_issuer);
	free(c->bootstrap_admin);
	free(c->oidc_issuer);
	free(c->oidc_audience);
	free(c->oidc_jwks_file);
	free(c->oidc_jwks_url);
	free(c->oidc_token_use);
	free(c->oidc_groups_claim);
	strv_free(c->trusted_proxies);
	free(c->storage_backend);
	free(c->storage_local_dir);
	free(c->storage_public_url);
	free(c->s3_endpoint);
	free(c->s3_region);
	free(c->s3_access_key);
	free(c->s3_secret_key);
	free(c->s3_primary_bucket);
	free(c->s3_thumbnail_bucket);
	memset(c, 0, sizeof(*c));
}
