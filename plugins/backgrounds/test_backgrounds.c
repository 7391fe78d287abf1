/*
 * test_backgrounds.c - the backgrounds plugin over real HTTP against a real
 * slated on a throwaway cluster: CRUD, required fields, unique names, list
 * filters, episode links and usage, soft deletes hidden everywhere, and bad
 * input that changes nothing. Same shape as test_ui_elements.c, the
 * plugins being the same shape; location and lighting_notes are the
 * background-specific fields.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_server srv;
static char show_id[64], ep1[64], ep2[64];

#define NO_ID "00000000-0000-4000-8000-000000000000"
#define BASE "/api/v1/backgrounds"

/* POST and copy the new id into out[64]; "" on failure. */
static const char *create(const char *path, const char *body,
			  const char *id_key, char *out)
{
	th_resp r;
	out[0] = '\0';
	if (th_req(&srv, "POST", path, body, NULL, &r))
		return out;
	if (r.status == 201 && th_data_str(&r, id_key))
		snprintf(out, 64, "%s", th_data_str(&r, id_key));
	else
		fprintf(stderr, "create %s failed: %ld %s\n", path, r.status,
			r.body);
	th_resp_free(&r);
	return out;
}

/* A background with the required fields and `extra` ("" or ",\"k\":v"). */
static const char *background(const char *name, const char *extra, char *out)
{
	char body[600];
	snprintf(body, sizeof(body),
		 "{\"background_name\":\"%s\",\"background_type\":\"studio\","
		 "\"file_reference\":\"bg/%s.jpg\"%s}",
		 name, name, extra);
	return create(BASE, body, "background_id", out);
}

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

#define expect_error(m, p, b, st, f) \
	CU_ASSERT(th_expect_error(&srv, (m), (p), (b), (st), NULL, (f)))

static long fingerprint(void)
{
	return th_fingerprint(&srv) +
	       th_sql_long(&srv,
			   "SELECT coalesce((SELECT sum(hashtext(u::text)) "
			   "FROM backgrounds u), 0) + coalesce((SELECT "
			   "sum(hashtext(l::text)) FROM episode_backgrounds "
			   "l), 0)");
}

/* GET path and compare the `key` of each item (of its `sub` object when
 * sub is set), joined by ",". */
static void expect_names(const char *path, const char *sub, const char *key,
			 const char *want)
{
	th_resp r;
	char got[1024];
	size_t n = 0, i;
	json_t *it;
	got[0] = '\0';
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_array_foreach(json_object_get(r.json, "data"), i, it)
	{
		json_t *o = sub ? json_object_get(it, sub) : it;
		const char *v = json_string_value(json_object_get(o, key));
		n += (size_t)snprintf(got + n,
				      n < sizeof(got) ? sizeof(got) - n : 0,
				      "%s%s", i ? "," : "", v ? v : "(null)");
	}
	if (strcmp(got, want))
		fprintf(stderr, "\nGET %s: got [%s], want [%s]\n", path, got,
			want);
	CU_ASSERT_STRING_EQUAL(got, want);
	th_resp_free(&r);
}

static int suite_init(void)
{
	if (th_start(&srv,
		     "{\"plugins\": {\"backgrounds\": {\"enabled\": true}}}"))
		return -1;
	char body[300];
	if (!*create("/api/v1/shows", "{\"name\":\"Backdrop Show\"}", "show_id",
		     show_id))
		return -1;
	snprintf(
	    body, sizeof(body),
	    "{\"show_id\":\"%s\",\"title\":\"Pilot\",\"episode_number\":1}",
	    show_id);
	create("/api/v1/episodes", body, "episode_id", ep1);
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Second\",\"episode_number\":"
		 "2}",
		 show_id);
	create("/api/v1/episodes", body, "episode_id", ep2);
	return *ep1 && *ep2 ? 0 : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

static void test_crud(void)
{
	char id[64], path[200], sql[300];
	background("Loft set",
		   ",\"location\":\"Studio B\",\"tags\":[\"intro\"],"
		   "\"description\":\"white on teal\"",
		   id);
	CU_ASSERT_FATAL(*id);
	snprintf(path, sizeof(path), BASE "/%s", id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "background_name"), "Loft set");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "location"), "Studio B");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status"), "approved");
	th_resp_free(&r);
	CU_ASSERT_FATAL(
	    th_req(
		&srv, "PATCH", path,
		"{\"lighting_notes\":\"warm key, 3200K\",\"approval_status\":"
		"\"draft\"}",
		NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "lighting_notes"),
			       "warm key, 3200K");
	th_resp_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'background' AND entity_id = '%s'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 4);
}

static void test_unique_names(void)
{
	char a[64], b[64], path[200];
	background("Skyline", "", a);
	background("Skyline v2", "", b);
	CU_ASSERT_FATAL(*a && *b);
	long before = fingerprint();
	expect_error(
	    "POST", BASE,
	    "{\"background_name\":\"Skyline\",\"background_type\":\"virtual\","
	    "\"file_reference\":\"x.jpg\"}",
	    409, "background_name");
	snprintf(path, sizeof(path), BASE "/%s", b);
	expect_error("PATCH", path, "{\"background_name\":\"Skyline\"}", 409,
		     "background_name");
	CU_ASSERT_EQUAL(fingerprint(), before);
	/* the seed's UNIQUE covers deleted rows too: a name stays taken */
	snprintf(path, sizeof(path), BASE "/%s", a);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	before = fingerprint();
	expect_error(
	    "POST", BASE,
	    "{\"background_name\":\"Skyline\",\"background_type\":\"virtual\","
	    "\"file_reference\":\"x.jpg\"}",
	    409, "background_name");
	CU_ASSERT_EQUAL(fingerprint(), before);
}

static void test_bad_inputs_change_nothing(void)
{
	char id[64], path[200], epath[200], body[200];
	background("Bad input target", "", id);
	CU_ASSERT_FATAL(*id);
	snprintf(path, sizeof(path), BASE "/%s", id);
	snprintf(epath, sizeof(epath), "/api/v1/episodes/%s/backgrounds", ep1);
	snprintf(body, sizeof(body),
		 "{\"background_id\":\"%s\",\"usage_context\":\"intro\"}", id);
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 201);
	char long_location[300];
	snprintf(long_location, sizeof(long_location),
		 "{\"location\":\"%0256d\"}", 0);
	char unlinked[300];
	snprintf(unlinked, sizeof(unlinked), "%s/%s?usage_context=outro", epath,
		 id);
	struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"POST", BASE,
	     "{\"background_type\":\"virtual\",\"file_reference\":"
	     "\"a.jpg\"}",
	     400, "background_name"},
	    {"POST", BASE,
	     "{\"background_name\":\"n1\",\"file_reference\":"
	     "\"a.jpg\"}",
	     400, "background_type"},
	    {"POST", BASE,
	     "{\"background_name\":\"n1\",\"background_type\":"
	     "\"virtual\"}",
	     400, "file_reference"},
	    {"POST", BASE,
	     "{\"background_name\":null,\"background_type\":"
	     "\"virtual\",\"file_reference\":\"a.jpg\"}",
	     400, "background_name"},
	    {"PATCH", path, "{\"file_reference\":null}", 400, "file_reference"},
	    {"PATCH", path, "{\"background_type\":null}", 400,
	     "background_type"},
	    {"PATCH", path, "{\"approval_status\":\"maybe\"}", 400,
	     "approval_status"},
	    {"PATCH", path, "{\"tags\":[1]}", 400, "tags"},
	    {"PATCH", path, "{\"background_id\":\"" NO_ID "\"}", 400,
	     "background_id"},
	    {"PATCH", path, "{\"colour\":\"red\"}", 400, "colour"},
	    {"PATCH", path, long_location, 400, "location"},
	    {"GET", BASE "?approval_status=maybe", NULL, 400,
	     "approval_status"},
	    {"GET", BASE "?description=x", NULL, 400, "description"},
	    {"POST", epath, "{\"background_id\":\"" NO_ID "\"}", 422,
	     "background_id"},
	    {"POST", epath, body, 409, "background_id"},
	    {"POST", epath, "{\"usage_context\":\"intro\"}", 400,
	     "background_id"},
	    {"POST", epath, "{\"background_id\":\"" NO_ID "\",\"notes\":5}",
	     400, "notes"},
	    {"POST", "/api/v1/episodes/" NO_ID "/backgrounds", body, 404,
	     "episodeId"},
	    {"DELETE", unlinked, NULL, 404, "backgroundId"},
	    {"GET", BASE "/" NO_ID "/usage", NULL, 404, "backgroundId"},
	};
	long before = fingerprint();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].method, cases[i].path, cases[i].body,
			     cases[i].status, cases[i].field);
	CU_ASSERT_EQUAL(fingerprint(), before);
	/* a bad enum names the allowed values */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path,
			       "{\"approval_status\":\"maybe\"}", NULL,
			       &r) == 0);
	const char *msg = json_string_value(json_object_get(
	    json_array_get(json_object_get(r.json, "errors"), 0), "message"));
	CU_ASSERT(msg && strstr(msg, "draft, approved, rejected"));
	th_resp_free(&r);
}

static void test_filters(void)
{
	char id[64];
	CU_ASSERT(*background("Flt A",
			      ",\"location\":\"Rooftop\",\"tags\":[\"ftest\","
			      "\"intro\"]",
			      id));
	CU_ASSERT(*create(BASE,
			  "{\"background_name\":\"Flt B\",\"background_type\":"
			  "\"virtual\",\"file_reference\":\"b.jpg\",\"tags\":["
			  "\"ftest\"],\"approval_status\":\"rejected\"}",
			  "background_id", id));
	CU_ASSERT(*background("Flt C",
			      ",\"tags\":[\"ftest\",\"outro\"],"
			      "\"approval_status\":\"draft\"",
			      id));
	expect_names(BASE "?tags=ftest", NULL, "background_name",
		     "Flt A,Flt B,Flt C");
	expect_names(BASE "?tags=ftest&sort=-background_name", NULL,
		     "background_name", "Flt C,Flt B,Flt A");
	expect_names(BASE "?tags=ftest,intro", NULL, "background_name",
		     "Flt A");
	expect_names(BASE "?tags=ftest&background_type=virtual", NULL,
		     "background_name", "Flt B");
	expect_names(BASE "?tags=ftest&location=Rooftop", NULL,
		     "background_name", "Flt A");
	expect_names(BASE "?tags=ftest&approval_status=draft,rejected", NULL,
		     "background_name", "Flt B,Flt C");
}

static void test_links_and_soft_deletes(void)
{
	char a[64], b[64], gone_ep[64], body[300], path[300], sql[300];
	background("Link A", "", a);
	background("Link B", "", b);
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Doomed\",\"episode_number\":"
		 "3}",
		 show_id);
	create("/api/v1/episodes", body, "episode_id", gone_ep);
	CU_ASSERT_FATAL(*a && *b && *gone_ep);
	char e2[200], eg[200];
	snprintf(e2, sizeof(e2), "/api/v1/episodes/%s/backgrounds", ep2);
	snprintf(eg, sizeof(eg), "/api/v1/episodes/%s/backgrounds", gone_ep);

	th_resp r;
	snprintf(body, sizeof(body),
		 "{\"background_id\":\"%s\",\"usage_context\":\"intro\","
		 "\"notes\":\"fade in at 00:02\"}",
		 a);
	CU_ASSERT_FATAL(th_req(&srv, "POST", e2, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "notes"), "fade in at 00:02");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "background_id"), a);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 409);
	snprintf(body, sizeof(body),
		 "{\"background_id\":\"%s\",\"usage_context\":\"outro\"}", a);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 201);
	snprintf(body, sizeof(body), "{\"background_id\":\"%s\"}", b);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 201);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 409);
	snprintf(body, sizeof(body), "{\"background_id\":\"%s\"}", a);
	CU_ASSERT_EQUAL(status_of("POST", eg, body), 201);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'link' AND field_name = 'background'",
		 ep2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);

	expect_names(e2, "background", "background_name",
		     "Link A,Link A,Link B");
	expect_names(e2, NULL, "usage_context", "intro,outro,(null)");
	snprintf(path, sizeof(path), BASE "/%s/usage", a);
	expect_names(path, "episode", "title", "Second,Second,Doomed");

	/* soft deletes: the episode, then a background */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", gone_ep);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	snprintf(path, sizeof(path), BASE "/%s/usage", a);
	expect_names(path, "episode", "title", "Second,Second");
	CU_ASSERT_EQUAL(status_of("GET", eg, NULL), 404);
	snprintf(path, sizeof(path), BASE "/%s", b);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	expect_names(e2, "background", "background_name", "Link A,Link A");
	snprintf(path, sizeof(path), BASE "/%s/usage", b);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	expect_names(BASE "?sort=background_name&limit=100", NULL,
		     "background_name",
		     "Bad input target,Flt A,Flt B,Flt C,Link A,Skyline v2");
	snprintf(body, sizeof(body), "{\"background_id\":\"%s\"}", b);
	expect_error("POST", e2, body, 422, "background_id");

	/* unlink: by context, then all; then 404 */
	snprintf(path, sizeof(path), "%s/%s?usage_context=outro", e2, a);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	snprintf(path, sizeof(path), "%s/%s", e2, a);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	expect_names(e2, "background", "background_name", "");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'unlink' AND field_name = 'background'",
		 ep2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("backgrounds", suite_init, suite_clean);
	CU_add_test(s, "CRUD and audit rows", test_crud);
	CU_add_test(s, "unique names are 409", test_unique_names);
	CU_add_test(s, "bad inputs change nothing",
		    test_bad_inputs_change_nothing);
	CU_add_test(s, "list filters", test_filters);
	CU_add_test(s, "episode links, usage, soft deletes hidden",
		    test_links_and_soft_deletes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
