/* test_config.c - core/config.h: defaults, the JSON checks, plugins, and
 * loading a file with environment overrides. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "unit.h"

static const char *const env_vars[] = {
    "PORT",
    "DATABASE_URL",
    "SLATE_DATA_DIR",
    "SLATE_PLUGIN_DIR",
    "LOG_LEVEL",
    "SLATE_CONFIG",
    NULL,
};

static void clear_env(void)
{
	for (int i = 0; env_vars[i]; i++)
		unsetenv(env_vars[i]);
}

/* Apply `json` over defaults into `c` (released by the caller). */
static int apply(slate_config *c, const char *json, char *err, size_t errlen)
{
	slate_config_defaults(c);
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_DECODE_ANY, &jerr);
	if (!root) {
		fprintf(stderr, "bad test JSON %s: %s\n", json, jerr.text);
		return -2;
	}
	err[0] = '\0';
	int rc = slate_config_apply_json(c, root, err, errlen);
	json_decref(root);
	return rc;
}

/* Apply `json` and expect a refusal whose reason contains `needle`. */
static void refused(const char *json, const char *needle)
{
	slate_config c;
	char err[256];
	int rc = apply(&c, json, err, sizeof(err));
	if (rc != -1 || !strstr(err, needle))
		fprintf(stderr, "%s: rc %d, err '%s', wanted '%s'\n", json, rc,
			err, needle);
	CU_ASSERT_EQUAL(rc, -1);
	UNIT_ASSERT_STR_CONTAINS(err, needle);
	slate_config_release(&c);
}

/* A temporary file holding `text`; its name in path. 0 or -1. */
static int write_temp(char *path, size_t len, const char *text)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, len, "%s/slate-unit-config-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static void test_defaults(void)
{
	slate_config c;
	slate_config_defaults(&c);
	UNIT_ASSERT_STR_EQ(c.bind, "0.0.0.0");
	CU_ASSERT_EQUAL(c.port, 3000);
	UNIT_ASSERT_STR_EQ(c.data_dir, "./var");
	CU_ASSERT_PTR_NULL(c.database_url);
	CU_ASSERT_PTR_NULL(c.path);
	CU_ASSERT_PTR_NULL(c.pg_bindir);
	CU_ASSERT_TRUE(c.migrate_on_start);
	CU_ASSERT_TRUE(c.cluster_fsync);
	UNIT_ASSERT_STR_EQ(c.log_level, "info");
	CU_ASSERT(c.db_pool_size >= 1);
	CU_ASSERT(c.db_acquire_timeout_ms >= 1);
	CU_ASSERT(c.io_threads >= 1 && c.workers >= 1);
	CU_ASSERT(c.max_body_bytes >= 1024);
	CU_ASSERT(c.max_json_depth >= 1);
	CU_ASSERT(c.max_header_bytes >= 1024);
	CU_ASSERT(c.connection_limit >= c.per_ip_connection_limit);
	CU_ASSERT(c.connection_timeout_s >= 1);
	CU_ASSERT_PTR_NOT_NULL(c.plugin_dir);
	CU_ASSERT_TRUE(json_is_object(c.plugins));
	CU_ASSERT_EQUAL(json_object_size(c.plugins), 0);
	slate_config_release(&c);
}

static void test_apply_values(void)
{
	slate_config c;
	char err[256];
	CU_ASSERT_EQUAL(
	    apply(&c,
		  "{\"bind\":\"127.0.0.1\",\"port\":8080,"
		  "\"database_url\":\"postgres://u@h/db\","
		  "\"database\":{\"pool_size\":3,\"migrate_on_start\":false,"
		  "\"pg_bindir\":\"/usr/lib/postgresql/16/bin\"},"
		  "\"http\":{\"workers\":4,\"max_body_bytes\":2048,"
		  "\"max_json_depth\":10},"
		  "\"log\":{\"level\":\"debug\"}}",
		  err, sizeof(err)),
	    0);
	UNIT_ASSERT_STR_EQ(c.bind, "127.0.0.1");
	CU_ASSERT_EQUAL(c.port, 8080);
	UNIT_ASSERT_STR_EQ(c.database_url, "postgres://u@h/db");
	CU_ASSERT_EQUAL(c.db_pool_size, 3);
	CU_ASSERT_FALSE(c.migrate_on_start);
	UNIT_ASSERT_STR_EQ(c.pg_bindir, "/usr/lib/postgresql/16/bin");
	CU_ASSERT_EQUAL(c.workers, 4);
	CU_ASSERT_EQUAL(c.max_body_bytes, 2048);
	CU_ASSERT_EQUAL(c.max_json_depth, 10);
	UNIT_ASSERT_STR_EQ(c.log_level, "debug");
	/* Keys not mentioned keep their defaults. */
	CU_ASSERT_EQUAL(c.connection_timeout_s, 30);
	/* A nullable string can be set back to null. */
	json_t *null_url = json_pack("{s:n}", "database_url");
	CU_ASSERT_EQUAL(slate_config_apply_json(&c, null_url, err, sizeof(err)),
			0);
	CU_ASSERT_PTR_NULL(c.database_url);
	json_decref(null_url);
	slate_config_release(&c);
}

static void test_unknown_keys(void)
{
	refused("{\"prot\":3000}", "prot");
	refused("{\"http\":{\"bogus\":1}}", "http.bogus");
	refused("{\"database\":{\"workers\":4}}", "database.workers");
	/* A top-level key is not accepted inside a section, nor the
	 * reverse. */
	refused("{\"log\":{\"port\":1}}", "log.port");
	refused("{\"workers\":4}", "workers");
	refused("[]", "object");
}

static void test_wrong_types(void)
{
	refused("{\"port\":\"3000\"}", "port");
	refused("{\"port\":3000.5}", "port");
	refused("{\"bind\":1}", "bind");
	refused("{\"bind\":\"\"}", "bind");
	refused("{\"bind\":null}", "bind");
	refused("{\"http\":[]}", "http");
	refused("{\"http\":{\"workers\":true}}", "http.workers");
	refused("{\"database\":{\"migrate_on_start\":1}}",
		"database.migrate_on_start");
	refused("{\"log\":{\"level\":5}}", "log.level");
}

static void test_out_of_range(void)
{
	refused("{\"port\":65536}", "port");
	refused("{\"port\":-1}", "port");
	refused("{\"database\":{\"pool_size\":0}}", "database.pool_size");
	refused("{\"http\":{\"workers\":0}}", "http.workers");
	refused("{\"http\":{\"max_json_depth\":100000}}",
		"http.max_json_depth");
	refused("{\"http\":{\"max_header_bytes\":10}}",
		"http.max_header_bytes");
	refused("{\"http\":{\"max_body_bytes\":-5}}", "http.max_body_bytes");

	/* The limits themselves are accepted. */
	slate_config c;
	char err[256];
	CU_ASSERT_EQUAL(apply(&c, "{\"port\":65535,\"http\":{\"workers\":1}}",
			      err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(c.port, 65535);
	CU_ASSERT_EQUAL(c.workers, 1);
	slate_config_release(&c);
}

static void test_plugins_section(void)
{
	slate_config c;
	char err[256];
	CU_ASSERT_EQUAL(apply(&c,
			      "{\"plugins\":{\"casting\":{\"enabled\":true,"
			      "\"config\":{\"max_actors\":5}},"
			      "\"locations\":{\"enabled\":false},"
			      "\"notes\":{\"config\":{}}}}",
			      err, sizeof(err)),
			0);
	CU_ASSERT_TRUE(slate_config_plugin_enabled(&c, "casting"));
	CU_ASSERT_FALSE(slate_config_plugin_enabled(&c, "locations"));
	CU_ASSERT_FALSE(slate_config_plugin_enabled(&c, "notes"));
	CU_ASSERT_FALSE(slate_config_plugin_enabled(&c, "absent"));

	const json_t *s = slate_config_plugin_section(&c, "casting");
	CU_ASSERT_TRUE(json_is_object(s));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(s, "max_actors")),
			5);
	/* Absent sections are an empty object, never NULL. */
	s = slate_config_plugin_section(&c, "locations");
	CU_ASSERT(json_is_object(s) && json_object_size(s) == 0);
	s = slate_config_plugin_section(&c, "absent");
	CU_ASSERT(json_is_object(s) && json_object_size(s) == 0);
	slate_config_release(&c);

	refused("{\"plugins\":[]}", "plugins");
	refused("{\"plugins\":{\"casting\":true}}", "plugins.casting");
	refused("{\"plugins\":{\"casting\":{\"enabled\":\"yes\"}}}",
		"plugins.casting.enabled");
	refused("{\"plugins\":{\"casting\":{\"config\":[]}}}",
		"plugins.casting.config");
	refused("{\"plugins\":{\"casting\":{\"enable\":true}}}",
		"plugins.casting.enable");
}

static void test_load_file_and_env(void)
{
	clear_env();
	char path[PATH_MAX];
	CU_ASSERT_EQUAL_FATAL(
	    write_temp(path, sizeof(path),
		       "{\"port\":4000,\"data_dir\":\"/srv/slate\","
		       "\"http\":{\"workers\":2},"
		       "\"plugins\":{\"casting\":{\"enabled\":true}}}\n"),
	    0);
	slate_config c;
	char err[256] = "";
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	UNIT_ASSERT_STR_EQ(c.path, path);
	CU_ASSERT_EQUAL(c.port, 4000);
	CU_ASSERT_EQUAL(c.workers, 2);
	UNIT_ASSERT_STR_EQ(c.data_dir, "/srv/slate");
	CU_ASSERT_PTR_NULL(c.database_url);
	CU_ASSERT_TRUE(slate_config_plugin_enabled(&c, "casting"));
	CU_ASSERT(c.plugin_dir && c.plugin_dir[0] == '/');
	slate_config_release(&c);

	/* The environment wins over the file. */
	setenv("PORT", "5001", 1);
	setenv("DATABASE_URL", "postgres://env@db/slate", 1);
	setenv("SLATE_DATA_DIR", "/var/lib/slate-env", 1);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.port, 5001);
	UNIT_ASSERT_STR_EQ(c.database_url, "postgres://env@db/slate");
	UNIT_ASSERT_STR_EQ(c.data_dir, "/var/lib/slate-env");
	CU_ASSERT_EQUAL(c.workers, 2);
	slate_config_release(&c);

	/* Empty variables are ignored. */
	setenv("PORT", "", 1);
	setenv("SLATE_DATA_DIR", "", 1);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.port, 4000);
	UNIT_ASSERT_STR_EQ(c.data_dir, "/srv/slate");
	slate_config_release(&c);
	clear_env();
	unlink(path);
}

static void test_relative_data_dir(void)
{
	clear_env();
	char cwd[PATH_MAX];
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	char path[PATH_MAX];
	CU_ASSERT_EQUAL_FATAL(
	    write_temp(path, sizeof(path), "{\"data_dir\":\"state/db\"}"), 0);
	slate_config c;
	char err[256] = "";
	char want[PATH_MAX + 32];
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/state/db", cwd);
	UNIT_ASSERT_STR_EQ(c.data_dir, want);
	slate_config_release(&c);

	/* The same for the environment variable. */
	setenv("SLATE_DATA_DIR", "rel-env", 1);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/rel-env", cwd);
	UNIT_ASSERT_STR_EQ(c.data_dir, want);
	slate_config_release(&c);
	clear_env();
	unlink(path);
}

static void test_bad_env_port(void)
{
	clear_env();
	char path[PATH_MAX];
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "{}"), 0);
	static const char *const bad[] = {
	    "abc", "80x", "65536", "-1", "99999999999999999999", NULL};
	for (int i = 0; bad[i]; i++) {
		slate_config c;
		char err[256] = "";
		setenv("PORT", bad[i], 1);
		CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)),
				-1);
		UNIT_ASSERT_STR_CONTAINS(err, "PORT");
		slate_config_release(&c);
	}
	slate_config c;
	char err[256] = "";
	setenv("PORT", "0", 1);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.port, 0);
	slate_config_release(&c);
	clear_env();
	unlink(path);
}

static void test_load_errors(void)
{
	clear_env();
	slate_config c;
	char err[256] = "";
	CU_ASSERT_EQUAL(slate_config_load(&c, "/nonexistent/slate-unit.json",
					  err, sizeof(err)),
			-1);
	UNIT_ASSERT_STR_CONTAINS(err, "/nonexistent/slate-unit.json");
	slate_config_release(&c);

	char path[PATH_MAX];
	/* Malformed: the reason names the file and the line. */
	CU_ASSERT_EQUAL_FATAL(
	    write_temp(path, sizeof(path), "{\n\"port\": 1,\n\"bind\": }\n"),
	    0);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, path);
	UNIT_ASSERT_STR_CONTAINS(err, ":3:");
	slate_config_release(&c);
	unlink(path);

	/* Duplicate keys in the file. */
	CU_ASSERT_EQUAL_FATAL(
	    write_temp(path, sizeof(path), "{\"port\":1,\"port\":2}"), 0);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), -1);
	slate_config_release(&c);
	unlink(path);

	/* An unknown key in the file. */
	CU_ASSERT_EQUAL_FATAL(
	    write_temp(path, sizeof(path), "{\"http\":{\"bogus\":true}}"), 0);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "http.bogus");
	slate_config_release(&c);
	unlink(path);

	/* A bad log level, from the environment. */
	CU_ASSERT_EQUAL_FATAL(write_temp(path, sizeof(path), "{}"), 0);
	setenv("LOG_LEVEL", "loud", 1);
	CU_ASSERT_EQUAL(slate_config_load(&c, path, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "loud");
	slate_config_release(&c);
	clear_env();
	unlink(path);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"defaults", test_defaults},
	    {"apply values", test_apply_values},
	    {"unknown keys refused", test_unknown_keys},
	    {"wrong types refused", test_wrong_types},
	    {"out-of-range integers refused", test_out_of_range},
	    {"plugins section", test_plugins_section},
	    {"load a file, environment overrides", test_load_file_and_env},
	    {"relative data_dir made absolute", test_relative_data_dir},
	    {"bad PORT refused", test_bad_env_port},
	    {"load errors", test_load_errors},
	    {NULL, NULL},
	};
	return unit_run("config", tests);
}
