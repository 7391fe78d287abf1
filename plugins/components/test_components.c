/*
 * test_components.c - the components plugin over real HTTP against a real
 * slated on a throwaway cluster: nested CRUD under an episode, enums,
 * filters, the cascade when the episode is deleted, bad input that must
 * change nothing, and the plugin disabled.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "th_contract.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"

static th_server srv;
static char show_id[64], ep1[64], ep2[64];

/* POST and copy the new id into out (size 64); false on failure. */
#define create(p, b, k, out) th_create(&srv, (p), (b), (k), (out))

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

#define total_of(p) th_total(&srv, (p))

static bool new_episode(int number, char *out)
{
	char body[300];
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"E%d\",\"episode_number\":%d}",
		 show_id, number, number);
	return create("/api/v1/episodes", body, "episode_id", out);
}

static bool new_component(const char *episode, const char *fields, char *out)
{
	char path[200], body[600];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/components", episode);
	snprintf(body, sizeof(body),
		 "{\"file_reference\":\"components/x\"%s%s}", fields ? "," : "",
		 fields ? fields : "");
	return create(path, body, "component_id", out);
}

/* Everything a components request could change. */
static long fingerprint(void)
{
	long core = th_fingerprint(&srv);
	long rows = th_sql_long(
	    &srv, "SELECT count(*) * 1000003 + coalesce(sum(hashtext("
		  "c::text)), 0) FROM components c");
	return core == -1 || rows == -1 ? -1 : core * 31 + rows;
}

static int suite_init(void)
{
	if (th_start(&srv,
		     "{\"plugins\": {\"components\": {\"enabled\": true}}}"))
		return -1;
	if (!create("/api/v1/shows", "{\"name\":\"Component Show\"}", "show_id",
		    show_id))
		return -1;
	return new_episode(1, ep1) && new_episode(2, ep2) ? 0 : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* What every entity does, nested under an episode, and the component's
 * enums, JSON metadata and fixed parent. */
static void test_contract(void)
{
	char ep[64], list[200], with_parent[300], move[200];
	CU_ASSERT_FATAL(new_episode(5, ep));
	snprintf(list, sizeof(list), "/api/v1/episodes/%s/components", ep);
	/* the parent is the path's, and stays */
	snprintf(with_parent, sizeof(with_parent),
		 "{\"component_type\":\"audio\",\"file_reference\":\"f\","
		 "\"episode_id\":\"%s\"}",
		 ep1);
	snprintf(move, sizeof(move), "{\"episode_id\":\"%s\"}", ep1);
	const th_bad_input bad[] = {
	    {"POST", "{\"file_reference\":\"f\"}", false, "component_type", 0,
	     NULL},
	    {"POST", "{\"component_type\":\"audio\"}", false, "file_reference",
	     0, NULL},
	    /* the enum's values are named */
	    {"POST",
	     "{\"component_type\":\"podcast\",\"file_reference\":\"f\"}", false,
	     "component_type", 0, "audio, music, trailer"},
	    {"POST",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\","
	     "\"status\":\"done\"}",
	     false, "status", 0, NULL},
	    {"POST",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\","
	     "\"metadata\":[]}",
	     false, "metadata", 0, NULL},
	    {"POST",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\","
	     "\"metadata\":null}",
	     false, "metadata", 0, NULL},
	    {"POST",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\","
	     "\"file_size_bytes\":-1}",
	     false, "file_size_bytes", 0, NULL},
	    {"POST",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\","
	     "\"bitrate\":1}",
	     false, "bitrate", 0, NULL},
	    {"POST", with_parent, false, "episode_id", 0, NULL},
	    {"PATCH", move, true, "episode_id", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"component_type\":null}", true, "component_type", 0,
	     NULL},
	    {"PATCH", "{\"component_type\":\"Audio\"}", true, "component_type",
	     0, NULL},
	    {"PATCH", "{\"created_at\":\"2020-01-01T00:00:00Z\"}", true,
	     "created_at", 0, NULL},
	    /* list queries */
	    {"GET", "component_type=podcast", false, "component_type", 0, NULL},
	    {"GET", "status=done", false, "status", 0, NULL},
	    {"GET", "sort=description", false, "sort", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = list,
	    .item_path = "/api/v1/components",
	    .id_key = "component_id",
	    .id_param = "componentId",
	    .table = "components",
	    .audit_type = "component",
	    .create_a = "{\"component_type\":\"audio\",\"file_reference\":"
			"\"components/a.wav\",\"duration_seconds\":10,"
			"\"metadata\":{\"codec\":\"pcm\"}}",
	    .create_b = "{\"component_type\":\"music\",\"file_reference\":"
			"\"components/b.wav\",\"duration_seconds\":20}",
	    .patch = "{\"status\":\"processing\",\"component_subtype\":"
		     "\"background_music\"}",
	    .filter = "component_type=audio",
	    .sort = "duration_seconds",
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

static void test_crud(void)
{
	char id[64], path[200], list[200];
	CU_ASSERT_FATAL(new_component(ep1, "\"component_type\":\"audio\"", id));
	snprintf(path, sizeof(path), "/api/v1/components/%s", id);
	snprintf(list, sizeof(list), "/api/v1/episodes/%s/components", ep1);

	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id") ?: "", ep1);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status") ?: "", "ready");
	CU_ASSERT(json_is_object(json_object_get(d, "metadata")) &&
		  json_object_size(json_object_get(d, "metadata")) == 0);
	th_resp_free(&r);

	CU_ASSERT_FATAL(
	    th_req(&srv, "PATCH", path,
		   "{\"status\":\"processing\",\"component_subtype\":"
		   "\"background_music\",\"metadata\":{\"codec\":"
		   "\"aac\"},\"duration_seconds\":95}",
		   NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status") ?: "", "processing");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_object_get(d, "metadata"), "codec"))
				   ?: "",
			       "aac");
	th_resp_free(&r);
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'component' AND entity_id = '%s'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 5); /* create + 4 fields */

	/* nested list with filters; another episode's are not there */
	char other[64];
	CU_ASSERT_FATAL(
	    new_component(ep1, "\"component_type\":\"music\"", other));
	CU_ASSERT_FATAL(
	    new_component(ep2, "\"component_type\":\"music\"", other));
	char q[300];
	CU_ASSERT_EQUAL(total_of(list), 2);
	snprintf(q, sizeof(q), "%s?component_type=music", list);
	CU_ASSERT_EQUAL(total_of(q), 1);
	snprintf(q, sizeof(q), "%s?component_type=music,audio&status=ready",
		 list);
	CU_ASSERT_EQUAL(total_of(q), 1);
	snprintf(q, sizeof(q), "%s?sort=-duration_seconds&limit=1", list);
	CU_ASSERT_FATAL(th_req(&srv, "GET", q, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(r.json, "data"), 0),
		"component_id"))
		?: "",
	    id);
	th_resp_free(&r);

	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(total_of(list), 1);
	/* only nested routes list and create */
	CU_ASSERT_EQUAL(status_of("GET", "/api/v1/components", NULL), 404);
}

static void test_episode_delete_cascades(void)
{
	char ep[64], a[64], b[64], path[200], sql[400];
	CU_ASSERT_FATAL(new_episode(3, ep));
	CU_ASSERT_FATAL(new_component(ep, "\"component_type\":\"trailer\"", a));
	CU_ASSERT_FATAL(new_component(ep, "\"component_type\":\"intro\"", b));
	long others = total_of("/api/v1/episodes/00000000-0000-4000-8000-"
			       "000000000000/components");
	CU_ASSERT_EQUAL(others, -1); /* 404: no such episode */
	char ep1_list[200];
	snprintf(ep1_list, sizeof(ep1_list), "/api/v1/episodes/%s/components",
		 ep1);
	long ep1_before = total_of(ep1_list);

	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);

	snprintf(path, sizeof(path), "/api/v1/components/%s", a);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	CU_ASSERT_EQUAL(status_of("PATCH", path, "{\"status\":\"ready\"}"),
			404);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/components", ep);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	CU_ASSERT_EQUAL(status_of("POST", path,
				  "{\"component_type\":\"audio\","
				  "\"file_reference\":\"f\"}"),
			404);
	/* soft-deleted, each with its audit row; other episodes untouched */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM components WHERE episode_id = '%s' AND "
		 "deleted_at IS NOT NULL",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'component' AND action = 'delete' AND entity_id IN ('%s', "
		 "'%s')",
		 a, b);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	CU_ASSERT_EQUAL(total_of(ep1_list), ep1_before);
}

/* Requests on episodes that are not there, or are no id. */
static void test_bad_episodes_change_nothing(void)
{
	char item[200], gone_list[200], gone[64];
	CU_ASSERT_FATAL(new_episode(4, gone));
	snprintf(item, sizeof(item), "/api/v1/episodes/%s", gone);
	CU_ASSERT_EQUAL(status_of("DELETE", item, NULL), 200);
	snprintf(gone_list, sizeof(gone_list), "/api/v1/episodes/%s/components",
		 gone);

	struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"POST", "/api/v1/episodes/" NO_ID "/components",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\"}", 404,
	     "episodeId"},
	    {"POST", gone_list,
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\"}", 404,
	     "episodeId"},
	    {"POST", "/api/v1/episodes/x/components",
	     "{\"component_type\":\"audio\",\"file_reference\":\"f\"}", 400,
	     "episodeId"},
	    {"GET", gone_list, NULL, 404, "episodeId"},
	};
	long before = fingerprint();
	CU_ASSERT_FATAL(before != -1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT(th_expect_error(&srv, cases[i].method, cases[i].path,
					  cases[i].body, cases[i].status, NULL,
					  cases[i].field));
	CU_ASSERT_EQUAL(fingerprint(), before);
	CU_ASSERT(th_alive(&srv));
}

static void test_disabled(void)
{
	char id[64], path[200];
	CU_ASSERT_FATAL(new_component(ep1, "\"component_type\":\"outro\"", id));
	long rows = th_sql_long(&srv, "SELECT count(*) FROM components");
	/* a second slated on the same database with components off */
	th_server off;
	CU_ASSERT_FATAL(
	    th_start_beside(&off, &srv,
			    "{\"components\": {\"enabled\": false}}") == 0);
	th_resp r;
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/components", ep1);
	CU_ASSERT_FATAL(th_req(&off, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/components/%s", id);
	CU_ASSERT_FATAL(th_req(&off, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	th_resp_free(&r);
	/* the episode itself is served, and deleting it leaves the table
	 * alone */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep1);
	CU_ASSERT_FATAL(th_req(&off, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&off, "DELETE", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	th_stop(&off);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM components"),
			rows);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM components "
					  "WHERE deleted_at IS NOT NULL AND "
					  "component_type = 'outro'"),
			0);
}

int main(void)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"nested CRUD, filters, audit", test_crud},
	    {"deleting the episode hides its components",
	     test_episode_delete_cascades},
	    {"bad episodes change nothing", test_bad_episodes_change_nothing},
	    {"disabled: routes 404, table untouched", test_disabled},
	    {NULL, NULL},
	};
	return th_main("components", suite_init, suite_clean, tests);
}
