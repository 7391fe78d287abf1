/* th_fixture.c - what many test programs set up or check the same way: a
 * show with its episodes, the rows a request could change, the names a list
 * answers, a second slated on the same database, and the CUnit main. */
#include "harness.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool th_episode(th_server *s, const char *show_id, const char *title,
		int number, char *out)
{
	json_t *b = json_pack("{s:s, s:s, s:i}", "show_id", show_id, "title",
			      title, "episode_number", number);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	bool ok =
	    body && th_create(s, "/api/v1/episodes", body, "episode_id", out);
	free(body);
	return ok;
}

bool th_show_episodes(th_server *s, const char *name, char *show_id,
		      const char *const *titles, char (*episodes)[64])
{
	json_t *b = json_pack("{s:s}", "name", name);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	bool ok =
	    body && th_create(s, "/api/v1/shows", body, "show_id", show_id);
	free(body);
	for (int i = 0; ok && titles && titles[i]; i++)
		ok = th_episode(s, show_id, titles[i], i + 1, episodes[i]);
	return ok;
}

int th_start_show(th_server *s, const char *config_json, const char *name,
		  char *show_id, const char *const *titles,
		  char (*episodes)[64])
{
	if (th_start(s, config_json))
		return -1;
	return th_show_episodes(s, name, show_id, titles, episodes) ? 0 : -1;
}

int th_tmpdir(char *dir, const char *name)
{
	snprintf(dir, 64, "/tmp/slate-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

int th_rmdir(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int th_init_or_clean(int (*setup)(void), int (*clean)(void))
{
	if (setup() == 0)
		return 0;
	clean();
	return -1;
}

long th_fingerprint_tables(th_server *s, const char *const *tables)
{
	long sum = th_fingerprint(s);
	for (int i = 0; sum != -1 && tables && tables[i]; i++) {
		char sql[300];
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) * 1000003 + coalesce(sum(hashtext("
			 "t::text)), 0) FROM %s t",
			 tables[i]);
		long rows = th_sql_long(s, sql);
		sum = rows == -1 ? -1 : sum * 31 + rows;
	}
	return sum;
}

void th_list_names(const th_resp *r, const char *sub, const char *key,
		   char *out, size_t len)
{
	json_t *it;
	size_t i, n = 0;
	out[0] = '\0';
	json_array_foreach(json_object_get(r->json, "data"), i, it)
	{
		json_t *o = sub ? json_object_get(it, sub) : it;
		const char *v = json_string_value(json_object_get(o, key));
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%s",
				      i ? "," : "", v ? v : "(null)");
	}
}

bool th_expect_names(th_server *s, const char *path, const char *sub,
		     const char *key, const char *want)
{
	th_resp r;
	char got[1024];
	if (th_req(s, "GET", path, NULL, NULL, &r)) {
		fprintf(stderr, "\nGET %s: no answer\n", path);
		return false;
	}
	th_list_names(&r, sub, key, got, sizeof(got));
	bool ok = r.status == 200 && !strcmp(got, want);
	if (!ok)
		fprintf(stderr, "\nGET %s: %ld, got [%s], want [%s]\n", path,
			r.status, got, want);
	th_resp_free(&r);
	return ok;
}

bool th_expect_message(th_server *s, const char *method, const char *path,
		       const char *body, const char *part)
{
	th_resp r;
	if (th_req(s, method, path, body, NULL, &r))
		return false;
	const char *msg = json_string_value(json_object_get(
	    json_array_get(json_object_get(r.json, "errors"), 0), "message"));
	bool ok = msg && strstr(msg, part);
	if (!ok)
		fprintf(stderr, "\n%s %s: no \"%s\" in %s\n", method, path,
			part, r.body ? r.body : "(no body)");
	th_resp_free(&r);
	return ok;
}

int th_start_beside(th_server *other, th_server *s, const char *plugins_json)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{\"database_url\": \"host=%s dbname=slate user=slate\", "
		 "\"plugins\": %s}",
		 th_cluster_dir(s), plugins_json);
	return th_start(other, cfg);
}

int th_main(const char *suite, int (*init)(void), int (*clean)(void),
	    const th_test *tests)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite(suite, init, clean);
	for (size_t i = 0; tests[i].name; i++)
		CU_add_test(s, tests[i].name, tests[i].run);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
