/*
 * test_plugins.c - the plugin ABI end to end: a good plugin's routes,
 * declared body, entity (with its own migration) and event subscription;
 * every refused variant refused with its reason, and nothing of it served;
 * a disabled plugin's routes answering 404; `slatectl plugins` and
 * `slatectl migrate status` telling the same story.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;

static const char config[] =
    "{\"plugins\": {"
    "\"testplug\": {\"enabled\": true, \"config\": {\"pong\": \"pang\"}},"
    "\"disabledplug\": {\"enabled\": false},"
    "\"badmajor\": {\"enabled\": true},"
    "\"newminor\": {\"enabled\": true},"
    "\"initfail\": {\"enabled\": true},"
    "\"noentry\": {\"enabled\": true},"
    "\"norouteperm\": {\"enabled\": true},"
    "\"missingplug\": {\"enabled\": true}}}";

static int suite_init(void)
{
	return th_start(&srv, config);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The log line refusing `id` contains `what`. */
static bool refused_with(const char *id, const char *what)
{
	char *log = read_file(srv.log_path);
	char needle[128];
	snprintf(needle, sizeof(needle), "plugin %s (", id);
	for (char *p = log ? strstr(log, needle) : NULL; p;
	     p = strstr(p + 1, needle)) {
		char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (strstr(line, "refused") && strstr(line, what))
			return true;
	}
	fprintf(stderr, "no refusal of %s mentioning '%s'\n", id, what);
	return false;
}

static void test_good_plugin_routes(void)
{
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/testplug/ping?echo=hi",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "pong") ?: "", "pang");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "echo") ?: "", "hi");
	th_resp_free(&r);
	/* undeclared query parameters are refused by the core */
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/testplug/ping?ech=1", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "ech");
	th_resp_free(&r);
}

/* The log line of slated's JSON log holding `needle`, copied into line;
 * false when there is none. */
static bool log_line(const char *needle, char *line, size_t len)
{
	FILE *fp = fopen(srv.log_path, "r");
	char buf[4096];
	bool found = false;
	while (fp && !found && fgets(buf, sizeof(buf), fp))
		if (strstr(buf, needle)) {
			snprintf(line, len, "%s", buf);
			found = true;
		}
	if (fp)
		fclose(fp);
	return found;
}

/* host->log on a request thread, and host->req_log, name the request. */
static void test_log_request_id(void)
{
	static const char *const hdr[] = {"X-Request-Id: logtest-7f3a9c21",
					  NULL};
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/testplug/ping?echo=lg1",
			       NULL, hdr, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	char line[4096];
	CU_ASSERT(log_line("ping log lg1", line, sizeof(line)) &&
		  strstr(line, "\"requestId\":\"logtest-7f3a9c21\"") &&
		  strstr(line, "\"module\":\"testplug\""));
	CU_ASSERT(log_line("ping req_log lg1", line, sizeof(line)) &&
		  strstr(line, "\"requestId\":\"logtest-7f3a9c21\""));
	/* init runs on no request: its line names none */
	CU_ASSERT(log_line("test plugin testplug ready", line, sizeof(line)) &&
		  !strstr(line, "requestId"));
}

static void test_declared_body(void)
{
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/testplug/notes",
			       "{\"text\":\"hello\",\"count\":3}", NULL,
			       &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "text") ?: "", "hello");
	CU_ASSERT(th_data_str(&r, "widgets") != NULL);
	th_resp_free(&r);
	struct {
		const char *body, *field;
	} bad[] = {
	    {"{}", "text"},
	    {"{\"text\":\"123456789012345678901\"}", "text"},
	    {"{\"text\":\"a\",\"count\":11}", "count"},
	    {"{\"text\":\"a\",\"extra\":1}", "extra"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/testplug/notes",
				       bad[i].body, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 400);
		CU_ASSERT_STRING_EQUAL(th_err_field(&r), bad[i].field);
		th_resp_free(&r);
	}
}

static void test_plugin_entity(void)
{
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/widgets",
			       "{\"name\":\"sprocket\",\"size\":3}", NULL,
			       &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	char id[64];
	snprintf(id, sizeof(id), "%s", th_data_str(&r, "widget_id") ?: "");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("POST", "/api/v1/widgets",
				  "{\"name\":\"gear\",\"size\":1}"),
			201);
	CU_ASSERT_EQUAL(
	    status_of("POST", "/api/v1/widgets", "{\"name\":\"gear\"}"), 409);
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/widgets",
			       "{\"name\":\"cog\",\"episode_id\":\"00000000-"
			       "0000-4000-8000-000000000000\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 422);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "episode_id");
	th_resp_free(&r);

	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/widgets?sort=-size", NULL,
			       NULL, &r) == 0);
	json_t *data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 2);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(json_array_get(data, 0), "name")),
	    "sprocket");
	th_resp_free(&r);

	char path[200];
	snprintf(path, sizeof(path), "/api/v1/widgets/%s", id);
	CU_ASSERT_EQUAL(status_of("PATCH", path, "{\"size\":4}"), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'widget' "
		 "AND entity_id = '%s'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);

	/* the subscription saw exactly the two committed creations */
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/testplug/events", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "data"), "created")),
			2);
	th_resp_free(&r);
}

static void test_refusals(void)
{
	CU_ASSERT(refused_with("badmajor", "ABI major 2"));
	CU_ASSERT(refused_with("newminor", "newer than this slated"));
	CU_ASSERT(refused_with("initfail", "the test plugin was told to fail"));
	CU_ASSERT(refused_with("noentry", "slate_plugin_entry"));
	CU_ASSERT(refused_with("norouteperm", "init failed"));
	char *log = read_file(srv.log_path);
	CU_ASSERT(log && strstr(log, "no permission declared"));
	CU_ASSERT(log && strstr(log, "missingplug") &&
		  strstr(log, "enabled in config but no missingplug.so"));
	/* slated went on without them and serves none of their routes,
	 * including those norouteperm registered before failing */
	const char *ids[] = {"badmajor", "newminor",	"initfail",
			     "noentry",	 "norouteperm", "disabledplug"};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char path[100];
		snprintf(path, sizeof(path), "/api/v1/%s/ping", ids[i]);
		CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
		snprintf(path, sizeof(path), "/api/v1/%s/events", ids[i]);
		CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	}
	CU_ASSERT(th_alive(&srv));
	/* a disabled plugin's code never ran: its migration never applied */
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM "
				    "slate_schema_migrations WHERE component "
				    "= 'disabledplug'"),
			0);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM "
				    "slate_schema_migrations WHERE component "
				    "= 'testplug'"),
			1);
}

static void test_slatectl(void)
{
	char cfg[400], out[8192];
	snprintf(cfg, sizeof(cfg), "%s/slate.json", srv.dir);
	/* slatectl resolves relative paths against its working directory */
	if (chdir(srv.dir))
		CU_FAIL_FATAL("chdir");
	char *argv[] = {SLATECTL_PATH, "--config", cfg, "plugins", NULL};
	CU_ASSERT_EQUAL(th_run(argv, out, sizeof(out)), 0);
	struct {
		const char *id, *state;
	} want[] = {
	    {"testplug", "loaded"},	{"disabledplug", "disabled"},
	    {"badmajor", "refused"},	{"newminor", "refused"},
	    {"initfail", "refused"},	{"noentry", "refused"},
	    {"norouteperm", "refused"}, {"missingplug", "missing"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool ok = false;
		static char copy[8192];
		memcpy(copy, out, sizeof(copy));
		for (char *line = strtok(copy, "\n"); line;
		     line = strtok(NULL, "\n")) {
			char id[64], en[16], st[16];
			if (sscanf(line, "%63s %15s %15s", id, en, st) == 3 &&
			    !strcmp(id, want[i].id))
				ok = !strcmp(st, want[i].state);
		}
		if (!ok)
			fprintf(stderr, "slatectl plugins: %s not %s in:\n%s\n",
				want[i].id, want[i].state, out);
		CU_ASSERT(ok);
	}
	char *argv2[] = {SLATECTL_PATH, "--config", cfg,
			 "migrate",	"status",   NULL};
	CU_ASSERT_EQUAL(th_run(argv2, out, sizeof(out)), 0);
	CU_ASSERT(strstr(out, "core") && strstr(out, "testplug"));
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("plugins", suite_init, suite_clean);
	CU_add_test(s, "good plugin routes and query check",
		    test_good_plugin_routes);
	CU_add_test(s, "host log lines carry the request id",
		    test_log_request_id);
	CU_add_test(s, "declared body validated by the core",
		    test_declared_body);
	CU_add_test(s, "plugin entity, migration, events", test_plugin_entity);
	CU_add_test(s, "refused and disabled plugins", test_refusals);
	CU_add_test(s, "slatectl plugins and migrate status", test_slatectl);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
