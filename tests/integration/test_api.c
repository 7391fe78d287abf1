/*
 * test_api.c - shows, episodes, the envelope and bad input, over real HTTP
 * against a real slated on a throwaway cluster.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "th_contract.h"

static th_server srv;

static int suite_init(void)
{
	return th_start(&srv, NULL);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* POST and return the new id (static buffer), or "" on failure. */
static const char *create(const char *path, const char *body,
			  const char *id_key)
{
	static char id[64];
	th_resp r;
	id[0] = '\0';
	if (th_req(&srv, "POST", path, body, NULL, &r))
		return id;
	if (r.status == 201 && th_data_str(&r, id_key))
		snprintf(id, sizeof(id), "%s", th_data_str(&r, id_key));
	else
		fprintf(stderr, "create %s failed: %ld %s\n", path, r.status,
			r.body);
	th_resp_free(&r);
	return id;
}

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

/* ---- envelope --------------------------------------------------------- */

static void test_health_envelope(void)
{
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/health", NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(meta, "schema_version")), "1.0");
	const char *ts = json_string_value(json_object_get(meta, "timestamp"));
	CU_ASSERT(ts && strlen(ts) == 24 && ts[23] == 'Z');
	const char *rid =
	    json_string_value(json_object_get(meta, "request_id"));
	char hdr[200];
	CU_ASSERT(th_header(&r, "X-Request-Id", hdr, sizeof(hdr)));
	CU_ASSERT(rid && strlen(rid) == 36 && !strcmp(rid, hdr));
	CU_ASSERT(th_header(&r, "Content-Type", hdr, sizeof(hdr)) &&
		  !strncmp(hdr, "application/json", 16));
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status"), "ok");
	th_resp_free(&r);
}

static void test_request_id(void)
{
	th_resp r;
	const char *good[] = {"X-Request-Id: my-trace.42", NULL};
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/health", NULL, good, &r) == 0);
	char hdr[200];
	CU_ASSERT(th_header(&r, "X-Request-Id", hdr, sizeof(hdr)) &&
		  !strcmp(hdr, "my-trace.42"));
	th_resp_free(&r);
	const char *bad[] = {"X-Request-Id: <script>alert(1)</script>", NULL};
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/health", NULL, bad, &r) == 0);
	CU_ASSERT(th_header(&r, "X-Request-Id", hdr, sizeof(hdr)) &&
		  strlen(hdr) == 36 && !strchr(hdr, '<'));
	th_resp_free(&r);
}

static void test_not_found_and_method(void)
{
	th_resp r;
	CU_ASSERT_FATAL(
	    th_req(&srv, "GET", "/api/v1/nothing-here", NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "NOT_FOUND");
	CU_ASSERT(json_object_get(r.json, "metadata") != NULL);
	th_resp_free(&r);

	CU_ASSERT_FATAL(th_req(&srv, "PUT", "/api/v1/shows", "{}", NULL, &r) ==
			0);
	CU_ASSERT_EQUAL(r.status, 405);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "METHOD_NOT_ALLOWED");
	char allow[100];
	CU_ASSERT(th_header(&r, "Allow", allow, sizeof(allow)) &&
		  !strcmp(allow, "GET, POST"));
	th_resp_free(&r);

	CU_ASSERT_EQUAL(status_of("HEAD", "/health", NULL), 200);
}

static void test_access_log(void)
{
	th_resp r;
	const char *h[] = {"X-Request-Id: log-line-check-1", NULL};
	CU_ASSERT_FATAL(
	    th_req(&srv, "GET", "/api/v1/shows?limit=1", NULL, h, &r) == 0);
	th_resp_free(&r);
	usleep(200000); /* the line is written when the response is sent */
	FILE *f = fopen(srv.log_path, "r");
	CU_ASSERT_FATAL(f != NULL);
	char line[4096];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		if (j &&
		    !strcmp(json_string_value(json_object_get(j, "requestId"))
				?: "",
			    "log-line-check-1")) {
			found = true;
			CU_ASSERT_STRING_EQUAL(
			    json_string_value(json_object_get(j, "method")),
			    "GET");
			CU_ASSERT_STRING_EQUAL(
			    json_string_value(json_object_get(j, "path")),
			    "/api/v1/shows");
			CU_ASSERT_EQUAL(
			    json_integer_value(json_object_get(j, "status")),
			    200);
			CU_ASSERT(
			    json_is_number(json_object_get(j, "durationMs")));
			CU_ASSERT_STRING_EQUAL(
			    json_string_value(json_object_get(j, "service")),
			    "slated");
			CU_ASSERT(json_object_get(j, "timestamp") &&
				  json_object_get(j, "level"));
		}
		json_decref(j);
	}
	fclose(f);
	CU_ASSERT(found);
}

/* ---- shows ------------------------------------------------------------ */

/* What every entity does (the unique name among it), and a show's
 * defaults. */
static void test_show_crud(void)
{
	const th_bad_input bad[] = {
	    /* a closed list, named in the error */
	    {"PATCH", "{\"status\":\"paused\"}", true, "status", 0,
	     "active, inactive, archived"},
	    {"GET", "status=paused", false, "status", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = "/api/v1/shows",
	    .id_key = "show_id",
	    .id_param = "showId",
	    .table = "shows",
	    .audit_type = "show",
	    .create_a = "{\"name\":\"Contract A\",\"description\":\"d\","
			"\"status\":\"inactive\"}",
	    .create_b = "{\"name\":\"Contract B\"}",
	    .patch = "{\"description\":\"new\",\"metadata\":{\"k\":\"v\"}}",
	    .filter = "status=inactive",
	    .sort = "name",
	    .unique = "name",
	    /* a plain UNIQUE: a deleted show keeps its name taken */
	    .unique_kept_deleted = true,
	    .bad = bad,
	};
	th_contract_run(&srv, &e);

	char path[200];
	const char *id0 =
	    create("/api/v1/shows",
		   "{\"name\":\"Show CRUD\",\"description\":\"d\"}", "show_id");
	CU_ASSERT_FATAL(id0[0]);
	snprintf(path, sizeof(path), "/api/v1/shows/%s", id0);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "name"), "Show CRUD");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status"), "active");
	CU_ASSERT(json_is_object(
	    json_object_get(json_object_get(r.json, "data"), "metadata")));
	CU_ASSERT(json_object_get(json_object_get(r.json, "data"),
				  "deleted_at") == NULL);
	th_resp_free(&r);
	/* a patch leaves the rest as it was */
	CU_ASSERT_FATAL(
	    th_req(&srv, "PATCH", path,
		   "{\"description\":\"new\",\"status\":\"archived\"}", NULL,
		   &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "description"), "new");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "name"), "Show CRUD");
	th_resp_free(&r);
}

/* ---- episodes --------------------------------------------------------- */

static char show_id[64];

static const char *new_episode(int season, int number, const char *extra)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Episode %d.%d\","
		 "\"season_number\":%d,\"episode_number\":%d%s%s}",
		 show_id, season, number, season, number, extra ? "," : "",
		 extra ? extra : "");
	return create("/api/v1/episodes", body, "episode_id");
}

static void test_episode_create_and_refs(void)
{
	snprintf(
	    show_id, sizeof(show_id), "%s",
	    create("/api/v1/shows", "{\"name\":\"Lala Styles\"}", "show_id"));
	CU_ASSERT_FATAL(show_id[0]);
	const char *id =
	    new_episode(1, 1,
			"\"tags\":[\"fall\",\"denim\"],"
			"\"filming_date\":\"2026-02-28\","
			"\"released_at\":\"2026-03-01T10:00:00Z\"");
	CU_ASSERT_FATAL(id[0]);

	th_resp r;
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	json_t *d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status"), "draft");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "language"), "en-US");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "filming_date"), "2026-02-28");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "tags")), 2);
	CU_ASSERT(!strncmp(th_data_str(&r, "released_at") ?: "",
			   "2026-03-01T10:00:00", 19));
	th_resp_free(&r);

	/* required fields, each named */
	CU_ASSERT_FATAL(
	    th_req(&srv, "POST", "/api/v1/episodes", "{}", NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "errors")), 3);
	th_resp_free(&r);

	/* an unknown show: 422 naming show_id */
	CU_ASSERT_FATAL(
	    th_req(&srv, "POST", "/api/v1/episodes",
		   "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
		   "\"title\":\"x\",\"episode_number\":1}",
		   NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 422);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "show_id");
	th_resp_free(&r);

	/* the same show, season and episode: 409 */
	char body[400];
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"dup\",\"episode_number\":1}",
		 show_id);
	CU_ASSERT_FATAL(
	    th_req(&srv, "POST", "/api/v1/episodes", body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 409);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "CONFLICT");
	th_resp_free(&r);

	/* a show with live episodes cannot be deleted */
	snprintf(path, sizeof(path), "/api/v1/shows/%s", show_id);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 409);
}

static void test_episode_list(void)
{
	CU_ASSERT(new_episode(1, 2,
			      "\"status\":\"published\","
			      "\"category\":\"fashion\","
			      "\"tags\":[\"fall\"]")[0]);
	CU_ASSERT(new_episode(1, 3, "\"status\":\"in_production\"")[0]);
	CU_ASSERT(new_episode(2, 1,
			      "\"status\":\"published\","
			      "\"tags\":[\"fall\",\"denim\",\"x\"]")[0]);
	char path[300];
	th_resp r;

	snprintf(path, sizeof(path),
		 "/api/v1/episodes?show_id=%s&sort=episode_number&limit=2",
		 show_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")), 4);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "limit")), 2);
	json_t *data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(data, 0), "episode_number")),
			1);
	th_resp_free(&r);

	snprintf(path, sizeof(path),
		 "/api/v1/episodes?show_id=%s&sort=-episode_number&offset=3",
		 show_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(data, 0), "episode_number")),
			1);
	th_resp_free(&r);

	struct {
		const char *query;
		long count;
	} filters[] = {
	    {"status=published", 2}, {"status=published,in_production", 3},
	    {"season_number=2", 1},  {"category=fashion", 1},
	    {"tags=fall", 3},	     {"tags=fall,denim", 2},
	    {"tags=nothing", 0},     {"category=%27%20OR%201%3D1%20--", 0},
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/episodes?show_id=%s&%s",
			 show_id, filters[i].query);
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		if (total != filters[i].count)
			fprintf(stderr, "filter %s: %ld, expected %ld\n",
				filters[i].query, total, filters[i].count);
		CU_ASSERT_EQUAL(total, filters[i].count);
		th_resp_free(&r);
	}

	struct {
		const char *query;
		const char *field;
	} bad[] = {
	    {"limit=0", "limit"},
	    {"limit=101", "limit"},
	    {"offset=-1", "offset"},
	    {"limit=ten", "limit"},
	    {"sort=script_text", "sort"},
	    {"bogus=1", "bogus"},
	    {"status=draftish", "status"},
	    {"show_id=not-a-uuid", "show_id"},
	    {"season_number=1.5", "season_number"},
	    {"status=draft%27--", "status"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/episodes?%s",
			 bad[i].query);
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 400);
		if (strcmp(th_err_field(&r), bad[i].field))
			fprintf(stderr, "query %s: field %s\n", bad[i].query,
				th_err_field(&r));
		CU_ASSERT_STRING_EQUAL(th_err_field(&r), bad[i].field);
		th_resp_free(&r);
	}
}

static void test_episode_patch_and_audit(void)
{
	const char *id0 = new_episode(3, 1, NULL);
	CU_ASSERT_FATAL(id0[0]);
	char id[64], path[200], sql[400];
	snprintf(id, sizeof(id), "%s", id0);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", id);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s'", id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1); /* the create */

	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path,
			       "{\"status\":\"on_hold\",\"duration_seconds\":"
			       "1800,\"title\":\"Episode 3.1\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status"), "on_hold");
	char updated[64];
	snprintf(updated, sizeof(updated), "%s",
		 th_data_str(&r, "updated_at") ?: "");
	th_resp_free(&r);
	/* title did not change: two rows, one per changed field */
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);
	char q[600];
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'update' AND ((field_name = 'status' AND old_value "
		 "= 'draft' AND new_value = 'on_hold') OR (field_name = "
		 "'duration_seconds' AND old_value IS NULL AND new_value = "
		 "'1800')) AND entity_type = 'episode' AND ip_address = "
		 "'127.0.0.1'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, q), 2);

	/* the same values again: no audit rows, updated_at unchanged */
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, "{\"status\":\"on_hold\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "updated_at") ?: "", updated);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);

	/* read-only and empty patches */
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path,
			       "{\"episode_id\":\"00000000-0000-4000-8000-"
			       "000000000000\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "episode_id");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("PATCH", path, "{}"), 400);

	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'delete'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, q), 1);
}

static void test_episode_views(void)
{
	const char *id0 = new_episode(4, 1, "\"trailer_reference\":\"t.mp4\"");
	CU_ASSERT_FATAL(id0[0]);
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script", id0);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "PUT", path,
			       "{\"script_text\":\"INT. STUDIO - DAY\","
			       "\"script_file_reference\":\"scripts/a.pdf\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "script_text"),
			       "INT. STUDIO - DAY");
	CU_ASSERT(json_object_get(json_object_get(r.json, "data"), "title") ==
		  NULL);
	th_resp_free(&r);
	/* PUT replaces: a field left out becomes null */
	CU_ASSERT_FATAL(th_req(&srv, "PUT", path, "{\"script_text\":\"v2\"}",
			       NULL, &r) == 0);
	CU_ASSERT(json_is_null(json_object_get(json_object_get(r.json, "data"),
					       "script_file_reference")));
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "script_text"), "v2");
	th_resp_free(&r);
	/* only the view's fields */
	CU_ASSERT_FATAL(
	    th_req(&srv, "PUT", path, "{\"title\":\"no\"}", NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "title");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/episodes/%s/trailer", id0);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "trailer_reference"), "t.mp4");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET",
				  "/api/v1/episodes/00000000-0000-4000-8000-"
				  "000000000000/trailer",
				  NULL),
			404);
}

/* ---- search ----------------------------------------------------------- */

static void test_episode_search(void)
{
	const char *corpus[][2] = {
	    {"Denim on denim", "A fall look built from three washes of "
			       "denim and a vintage belt"},
	    {"Thrift haul", "JustAWomanInHerPrime finds a silk scarf and "
			    "a denim jacket at the thrift store"},
	    {"Gala night", "Lala styles a sequin gown for the gala; the "
			   "wardrobe malfunction nearly ruins the night"},
	    {"Closet cleanout", "Sorting the closet: what stays, what "
				"goes to the thrift store"},
	};
	for (int i = 0; i < 4; i++) {
		char extra[400];
		snprintf(extra, sizeof(extra),
			 "\"title\":\"%s\",\"description\":\"%s\"%s",
			 corpus[i][0], corpus[i][1],
			 i == 2 ? ",\"status\":\"published\"" : "");
		char body[1024];
		snprintf(body, sizeof(body),
			 "{\"show_id\":\"%s\",\"season_number\":9,"
			 "\"episode_number\":%d,%s}",
			 show_id, 10 + i, extra);
		CU_ASSERT(create("/api/v1/episodes", body, "episode_id")[0]);
	}
	struct {
		const char *q, *first;
		long total;
	} cases[] = {
	    {"denim", "Denim on denim", 2},
	    {"wardrobe%20malfunction", "Gala night", 1},
	    {"thrift%20-scarf", "Closet cleanout", 1},
	    {"%22silk%20scarf%22", "Thrift haul", 1},
	    {"nothing%20matches%20this", NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[300];
		snprintf(path, sizeof(path),
			 "/api/v1/search/episodes?q=%s&show_id=%s", cases[i].q,
			 show_id);
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		json_t *data = json_object_get(r.json, "data");
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		CU_ASSERT_EQUAL(total, cases[i].total);
		if (cases[i].first) {
			json_t *hit = json_array_get(data, 0);
			const char *title = json_string_value(json_object_get(
			    json_object_get(hit, "episode"), "title"));
			if (!title || strcmp(title, cases[i].first))
				fprintf(stderr, "search %s: first %s\n",
					cases[i].q, title ? title : "(none)");
			CU_ASSERT(title && !strcmp(title, cases[i].first));
			const char *snip =
			    json_string_value(json_object_get(hit, "snippet"));
			CU_ASSERT(snip && strstr(snip, "<b>"));
			CU_ASSERT(json_is_number(json_object_get(hit, "rank")));
		}
		th_resp_free(&r);
	}
	/* filters and bad input */
	char path[300];
	snprintf(path, sizeof(path),
		 "/api/v1/search/episodes?q=night&status=published&show_id=%s",
		 show_id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET", "/api/v1/search/episodes", NULL), 400);
	CU_ASSERT_EQUAL(
	    status_of("GET", "/api/v1/search/episodes?q=x&bogus=1", NULL), 400);
	/* the seed's GIN index serves it */
	CU_ASSERT_EQUAL(
	    th_sql_long(&srv,
			"SELECT count(*) FROM pg_indexes WHERE indexname = "
			"'idx_episodes_fts'"),
	    1);
}

/* ---- bad input -------------------------------------------------------- */

static void test_bad_inputs_change_nothing(void)
{
	char big[2 * 1024 * 1024 + 64];
	memset(big, 'a', sizeof(big));
	memcpy(big, "{\"name\":\"", 9);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	char deep[512] = "{\"name\":\"deep\",\"metadata\":";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	strcat(deep, "1");
	for (int i = 0; i < 41; i++)
		strcat(deep, "}");
	char long_name[1200] = "{\"name\":\"";
	for (int i = 0; i < 256; i++)
		strcat(long_name, "\xf0\x9f\x8e\xac"); /* 256 clapperboards */
	strcat(long_name, "\"}");
	char ep_path[200];
	snprintf(ep_path, sizeof(ep_path), "/api/v1/episodes?show_id=%s",
		 show_id);

	struct {
		const char *method, *path, *body;
		long status;
		const char *code, *field;
	} cases[] = {
	    {"POST", "/api/v1/shows", "{\"name\":", 400, "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows", "{\"name\":\"a\",}", 400, "INVALID_JSON",
	     ""},
	    {"POST", "/api/v1/shows", "[]", 400, "VALIDATION_ERROR", ""},
	    {"POST", "/api/v1/shows", "\"name\"", 400, "VALIDATION_ERROR", ""},
	    {"POST", "/api/v1/shows", "{\"name\":5}", 400, "VALIDATION_ERROR",
	     "name"},
	    {"POST", "/api/v1/shows", "{\"name\":null}", 400,
	     "VALIDATION_ERROR", "name"},
	    {"POST", "/api/v1/shows", "{\"name\":\"x\",\"metadata\":[]}", 400,
	     "VALIDATION_ERROR", "metadata"},
	    {"POST", "/api/v1/shows", "{\"name\":\"x\",\"nme\":\"y\"}", 400,
	     "VALIDATION_ERROR", "nme"},
	    {"POST", "/api/v1/shows", "{\"name\":\"x\",\"name\":\"y\"}", 400,
	     "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows", big, 413, "PAYLOAD_TOO_LARGE", ""},
	    {"POST", "/api/v1/shows", deep, 400, "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows", long_name, 400, "VALIDATION_ERROR",
	     "name"},
	    {"POST", "/api/v1/shows", "{\"name\":\"a\\u0000b\"}", 400,
	     "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows", "{\"name\":\"\\ud800\"}", 400,
	     "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows", "{\"name\":\"\xc3\x28\"}", 400,
	     "INVALID_JSON", ""},
	    {"POST", "/api/v1/shows",
	     "{\"name\":\"x\",\"show_id\":"
	     "\"00000000-0000-4000-8000-"
	     "000000000000\"}",
	     400, "VALIDATION_ERROR", "show_id"},
	    {"POST", "/api/v1/shows",
	     "{\"name\":\"x\",\"created_at\":\"2020-01-01T00:00:00Z\"}", 400,
	     "VALIDATION_ERROR", "created_at"},
	    {"POST", "/api/v1/shows", "", 400, "VALIDATION_ERROR", ""},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"1; DROP TABLE shows\",\"title\":\"t\","
	     "\"episode_number\":1}",
	     400, "VALIDATION_ERROR", "show_id"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":\"1\"}",
	     400, "VALIDATION_ERROR", "episode_number"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1e400}",
	     400, "", ""},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":99999999999}",
	     400, "VALIDATION_ERROR", "episode_number"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1,\"filming_date\":"
	     "\"2025-02-30\"}",
	     400, "VALIDATION_ERROR", "filming_date"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1,\"released_at\":"
	     "\"yesterday\"}",
	     400, "VALIDATION_ERROR", "released_at"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1,\"status\":"
	     "\"published'; --\"}",
	     400, "VALIDATION_ERROR", "status"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1,\"tags\":[1,2]}",
	     400, "VALIDATION_ERROR", "tags"},
	    {"POST", "/api/v1/episodes",
	     "{\"show_id\":\"00000000-0000-4000-8000-000000000000\","
	     "\"title\":\"t\",\"episode_number\":1,\"language\":"
	     "\"english!\"}",
	     400, "VALIDATION_ERROR", "language"},
	    {"PATCH", "/api/v1/episodes/not-a-uuid", "{\"title\":\"x\"}", 400,
	     "VALIDATION_ERROR", "episodeId"},
	    {"GET", "/api/v1/shows/1%20OR%201=1", NULL, 400, "VALIDATION_ERROR",
	     "showId"},
	    {"DELETE", "/api/v1/shows/00000000-0000-4000-8000-000000000000",
	     NULL, 404, "NOT_FOUND", "showId"},
	    {"GET", ep_path, "{\"a\":1}", 400, "VALIDATION_ERROR", ""},
	};
	long before = th_fingerprint(&srv);
	CU_ASSERT_FATAL(before != -1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT(th_expect_error(&srv, cases[i].method, cases[i].path,
					  cases[i].body, cases[i].status,
					  cases[i].code, cases[i].field));
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
	CU_ASSERT(th_alive(&srv));
}

static void test_strange_but_valid_strings(void)
{
	/* stored and returned exactly: SQL-looking text, combining marks,
	 * right-to-left text, emoji at the length limit */
	const char *names[] = {
	    "Robert'); DROP TABLE shows;--",
	    "Cafe\xcc\x81 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f",
	    "\\\"quoted\\\" and \\\\ backslash",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char body[300];
		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", names[i]);
		th_resp r;
		CU_ASSERT_FATAL(
		    th_req(&srv, "POST", "/api/v1/shows", body, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 201);
		json_t *sent = json_loads(body, 0, NULL);
		CU_ASSERT_STRING_EQUAL(
		    th_data_str(&r, "name") ?: "",
		    json_string_value(json_object_get(sent, "name")));
		json_decref(sent);
		th_resp_free(&r);
	}
	CU_ASSERT(th_sql_long(&srv, "SELECT count(*) FROM shows") > 0);
	char max[1200] = "{\"name\":\"";
	for (int i = 0; i < 255; i++)
		strcat(max, "\xf0\x9f\x8e\xac");
	strcat(max, "\"}");
	CU_ASSERT_EQUAL(status_of("POST", "/api/v1/shows", max), 201);
}

/* ---- database outage -------------------------------------------------- */

static int pg_ctl(const char *action)
{
	char bin[300] = "";
	FILE *p =
	    popen("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1", "r");
	if (!p || !fgets(bin, sizeof(bin), p)) {
		if (p)
			pclose(p);
		return -1;
	}
	pclose(p);
	bin[strcspn(bin, "\n")] = '\0';
	char cmd[1200];
	snprintf(cmd, sizeof(cmd),
		 "%s %s/pg_ctl -D %s -l %s/restart.log -w -m fast %s "
		 ">/dev/null 2>&1",
		 geteuid() == 0 ? "runuser -u slate --" : "", bin,
		 th_cluster_dir(&srv), th_cluster_dir(&srv), action);
	return system(cmd);
}

static void test_database_outage(void)
{
	CU_ASSERT_FATAL(pg_ctl("stop") == 0);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/health", NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "SERVICE_UNAVAILABLE");
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/shows",
			       "{\"name\":\"during outage\"}", NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 503);
	th_resp_free(&r);
	CU_ASSERT(th_alive(&srv));

	CU_ASSERT_FATAL(pg_ctl("start") == 0);
	long st = 0;
	for (int i = 0; i < 50 && st != 200; i++) {
		st = status_of("GET", "/health", NULL);
		if (st != 200)
			usleep(100000);
	}
	CU_ASSERT_EQUAL(st, 200);
	/* every pooled connection recovers, not just the first */
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(status_of("GET", "/api/v1/shows?limit=1", NULL),
				200);
	CU_ASSERT_EQUAL(
	    status_of("POST", "/api/v1/shows", "{\"name\":\"after outage\"}"),
	    201);
}

/* ---- DATABASE_URL: scale-out and migration safety --------------------- */

static void test_database_url(void)
{
	char cfg[700];
	snprintf(cfg, sizeof(cfg),
		 "{\"database_url\": \"host=%s dbname=slate user=slate\"}",
		 th_cluster_dir(&srv));
	th_server second;
	CU_ASSERT_FATAL(th_start(&second, cfg) == 0);
	/* it started no cluster of its own */
	char pg[400];
	snprintf(pg, sizeof(pg), "%s/data/pg", second.dir);
	CU_ASSERT(access(pg, F_OK) != 0);
	/* and shares the first one's data both ways */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&second, "POST", "/api/v1/shows",
			       "{\"name\":\"made on the second\"}", NULL,
			       &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/shows/%s",
		 th_data_str(&r, "show_id") ?: "x");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 200);
	th_stop(&second);
	/* stopping it left the first one's cluster running */
	CU_ASSERT_EQUAL(status_of("GET", "/health", NULL), 200);
}

static void test_edited_migration_refused(void)
{
	char cfgpath[400];
	snprintf(cfgpath, sizeof(cfgpath), "%s/edited.json", srv.dir);
	FILE *f = fopen(cfgpath, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f,
		"{\"port\": 0, \"bind\": \"127.0.0.1\", \"database_url\": "
		"\"host=%s dbname=slate user=slate\", \"plugin_dir\": \"%s\"}",
		th_cluster_dir(&srv), SLATE_TEST_PLUGIN_DIR);
	fclose(f);
	CU_ASSERT_FATAL(th_sql(&srv, "UPDATE slate_schema_migrations SET "
				     "checksum = 'edited' WHERE component = "
				     "'core' AND version = 1") == 0);
	char out[8192];
	char *argv[] = {"/usr/bin/timeout", "30",    SLATED_PATH,
			"--config",	    cfgpath, NULL};
	int rc = th_run(argv, out, sizeof(out));
	CU_ASSERT(rc != 0 && rc != 124); /* refused, not timed out */
	CU_ASSERT(strstr(out, "edited") != NULL);
	/* slatectl shows which one */
	char *argv2[] = {SLATECTL_PATH, "--config", cfgpath,
			 "migrate",	"status",   NULL};
	rc = th_run(argv2, out, sizeof(out));
	CU_ASSERT(strstr(out, "EDITED") != NULL);
}

int main(void)
{
	const th_test tests[] = {
	    {"health and envelope", test_health_envelope},
	    {"request id", test_request_id},
	    {"404 and 405", test_not_found_and_method},
	    {"access log line", test_access_log},
	    {"show CRUD and soft delete", test_show_crud},
	    {"episode create, refs, conflicts", test_episode_create_and_refs},
	    {"episode list: filters, sort, pages", test_episode_list},
	    {"episode patch and audit", test_episode_patch_and_audit},
	    {"script and trailer views", test_episode_views},
	    {"episode full-text search", test_episode_search},
	    {"bad inputs change nothing", test_bad_inputs_change_nothing},
	    {"strange but valid strings", test_strange_but_valid_strings},
	    {"a second slated on DATABASE_URL shares the data",
	     test_database_url},
	    {"database outage gives 503, then recovers", test_database_outage},
	    {"an edited migration stops the start",
	     test_edited_migration_refused},
	    {NULL, NULL},
	};
	return th_main("api", suite_init, suite_clean, tests);
}
