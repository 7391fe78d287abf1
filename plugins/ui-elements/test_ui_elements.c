/*
 * test_ui_elements.c - the ui-elements plugin over real HTTP against a real
 * slated on a throwaway cluster: CRUD, required fields, unique names, list
 * filters, episode links and usage, soft deletes hidden everywhere, and bad
 * input that changes nothing.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "th_contract.h"

static th_server srv;
static char show_id[64], ep1[64], ep2[64];

#define NO_ID "00000000-0000-4000-8000-000000000000"
#define BASE "/api/v1/ui-elements"

/* An element with the required fields and `extra` ("" or ",\"k\":v");
 * its id into out (64 bytes), "" on failure. */
static const char *element(const char *name, const char *extra, char *out)
{
	char body[600];
	snprintf(body, sizeof(body),
		 "{\"element_name\":\"%s\",\"element_type\":\"lower_third\","
		 "\"file_reference\":\"ui/%s.svg\"%s}",
		 name, name, extra);
	th_create(&srv, BASE, body, "ui_element_id", out);
	return out;
}

#define create(p, b, k, out) th_create(&srv, (p), (b), (k), (out))

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

#define expect_error(m, p, b, st, f)                                           \
	CU_ASSERT(th_expect_error(&srv, (m), (p), (b), (st), NULL, (f)))

#define expect_names(p, sub, k, want)                                          \
	CU_ASSERT(th_expect_names(&srv, (p), (sub), (k), (want)))

static long fingerprint(void)
{
	const char *tables[] = {"ui_elements", "episode_ui_elements", NULL};
	return th_fingerprint_tables(&srv, tables);
}

static int suite_init(void)
{
	const char *titles[] = {"Pilot", "Second", NULL};
	char eps[2][64];
	if (th_start(&srv,
		     "{\"plugins\": {\"ui-elements\": {\"enabled\": true}}}") ||
	    !th_show_episodes(&srv, "Overlay Show", show_id, titles, eps))
		return -1;
	memcpy(ep1, eps[0], 64);
	memcpy(ep2, eps[1], 64);
	return 0;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* What every entity does, and the element's own fields and enums. */
static void test_contract(void)
{
	const th_bad_input bad[] = {
	    {"POST",
	     "{\"element_type\":\"logo\",\"file_reference\":"
	     "\"a.svg\"}",
	     false, "element_name", 0, NULL},
	    {"POST", "{\"element_name\":\"n1\",\"file_reference\":\"a.svg\"}",
	     false, "element_type", 0, NULL},
	    {"POST", "{\"element_name\":\"n1\",\"element_type\":\"logo\"}",
	     false, "file_reference", 0, NULL},
	    {"POST",
	     "{\"element_name\":null,\"element_type\":"
	     "\"logo\",\"file_reference\":\"a.svg\"}",
	     false, "element_name", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"element_type\":null}", true, "element_type", 0, NULL},
	    /* a bad enum names the allowed values */
	    {"PATCH", "{\"approval_status\":\"maybe\"}", true,
	     "approval_status", 0, "draft, approved, rejected"},
	    {"PATCH", "{\"tags\":[1]}", true, "tags", 0, NULL},
	    {"PATCH", "{\"colour\":\"red\"}", true, "colour", 0, NULL},
	    {"PATCH",
	     "{\"version\":\"123456789012345678901234567890"
	     "123456789012345678901\"}",
	     true, "version", 0, NULL},
	    {"GET", "approval_status=maybe", false, "approval_status", 0, NULL},
	    {"GET", "description=x", false, "description", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = BASE,
	    .id_key = "ui_element_id",
	    .id_param = "uiElementId",
	    .table = "ui_elements",
	    .audit_type = "ui_element",
	    .create_a = "{\"element_name\":\"Contract A\",\"element_type\":"
			"\"lower_third\",\"file_reference\":\"ui/a.svg\","
			"\"version\":\"1.2\",\"tags\":[\"intro\"],"
			"\"description\":\"white on teal\"}",
	    .create_b = "{\"element_name\":\"Contract B\",\"element_type\":"
			"\"logo\",\"file_reference\":\"ui/b.svg\"}",
	    .patch = "{\"version\":\"1.3\",\"approval_status\":\"draft\"}",
	    .filter = "version=1.2",
	    .sort = "element_name",
	    .unique = "element_name",
	    /* the seed's UNIQUE covers deleted rows too */
	    .unique_kept_deleted = true,
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

/* A new element is approved unless it says otherwise. */
static void test_defaults(void)
{
	char id[64], path[200];
	CU_ASSERT_FATAL(*element("Defaults", "", id));
	snprintf(path, sizeof(path), BASE "/%s", id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status") ?: "",
			       "approved");
	th_resp_free(&r);
}

/* The episode links refuse what they must, and change nothing. */
static void test_bad_links_change_nothing(void)
{
	char id[64], epath[200], body[200];
	element("Bad input target", "", id);
	CU_ASSERT_FATAL(*id);
	snprintf(epath, sizeof(epath), "/api/v1/episodes/%s/ui-elements", ep1);
	snprintf(body, sizeof(body),
		 "{\"ui_element_id\":\"%s\",\"usage_context\":\"intro\"}", id);
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 201);
	char unlinked[300];
	snprintf(unlinked, sizeof(unlinked), "%s/%s?usage_context=outro", epath,
		 id);
	struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"POST", epath, "{\"ui_element_id\":\"" NO_ID "\"}", 422,
	     "ui_element_id"},
	    {"POST", epath, body, 409, "ui_element_id"},
	    {"POST", epath, "{\"usage_context\":\"intro\"}", 400,
	     "ui_element_id"},
	    {"POST", epath, "{\"ui_element_id\":\"" NO_ID "\",\"notes\":5}",
	     400, "notes"},
	    {"POST", "/api/v1/episodes/" NO_ID "/ui-elements", body, 404,
	     "episodeId"},
	    {"DELETE", unlinked, NULL, 404, "uiElementId"},
	    {"GET", BASE "/" NO_ID "/usage", NULL, 404, "uiElementId"},
	};
	long before = fingerprint();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].method, cases[i].path, cases[i].body,
			     cases[i].status, cases[i].field);
	CU_ASSERT_EQUAL(fingerprint(), before);
}

static void test_filters(void)
{
	char id[64];
	CU_ASSERT(*element("Flt A",
			   ",\"version\":\"2\",\"tags\":[\"ftest\","
			   "\"intro\"]",
			   id));
	CU_ASSERT(create(BASE,
			 "{\"element_name\":\"Flt B\",\"element_type\":"
			 "\"logo\",\"file_reference\":\"b.svg\",\"tags\":["
			 "\"ftest\"],\"approval_status\":\"rejected\"}",
			 "ui_element_id", id));
	CU_ASSERT(*element("Flt C",
			   ",\"tags\":[\"ftest\",\"outro\"],"
			   "\"approval_status\":\"draft\"",
			   id));
	expect_names(BASE "?tags=ftest", NULL, "element_name",
		     "Flt A,Flt B,Flt C");
	expect_names(BASE "?tags=ftest&sort=-element_name", NULL,
		     "element_name", "Flt C,Flt B,Flt A");
	expect_names(BASE "?tags=ftest,intro", NULL, "element_name", "Flt A");
	expect_names(BASE "?tags=ftest&element_type=logo", NULL, "element_name",
		     "Flt B");
	expect_names(BASE "?tags=ftest&version=2", NULL, "element_name",
		     "Flt A");
	expect_names(BASE "?tags=ftest&approval_status=draft,rejected", NULL,
		     "element_name", "Flt B,Flt C");
}

static void test_links_and_soft_deletes(void)
{
	char a[64], b[64], gone_ep[64], body[300], path[300], sql[300];
	element("Link A", "", a);
	element("Link B", "", b);
	CU_ASSERT_FATAL(th_episode(&srv, show_id, "Doomed", 3, gone_ep));
	CU_ASSERT_FATAL(*a && *b);
	char e2[200], eg[200];
	snprintf(e2, sizeof(e2), "/api/v1/episodes/%s/ui-elements", ep2);
	snprintf(eg, sizeof(eg), "/api/v1/episodes/%s/ui-elements", gone_ep);

	th_resp r;
	snprintf(body, sizeof(body),
		 "{\"ui_element_id\":\"%s\",\"usage_context\":\"intro\","
		 "\"notes\":\"fade in at 00:02\"}",
		 a);
	CU_ASSERT_FATAL(th_req(&srv, "POST", e2, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "notes"), "fade in at 00:02");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "ui_element_id"), a);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 409);
	snprintf(body, sizeof(body),
		 "{\"ui_element_id\":\"%s\",\"usage_context\":\"outro\"}", a);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 201);
	snprintf(body, sizeof(body), "{\"ui_element_id\":\"%s\"}", b);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 201);
	CU_ASSERT_EQUAL(status_of("POST", e2, body), 409);
	snprintf(body, sizeof(body), "{\"ui_element_id\":\"%s\"}", a);
	CU_ASSERT_EQUAL(status_of("POST", eg, body), 201);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'link' AND field_name = 'ui_element'",
		 ep2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);

	expect_names(e2, "ui_element", "element_name", "Link A,Link A,Link B");
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
	expect_names(e2, "ui_element", "element_name", "Link A,Link A");
	snprintf(path, sizeof(path), BASE "/%s/usage", b);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	expect_names(BASE "?sort=element_name&limit=100", NULL, "element_name",
		     "Bad input target,Defaults,Flt A,Flt B,Flt C,Link A");
	snprintf(body, sizeof(body), "{\"ui_element_id\":\"%s\"}", b);
	expect_error("POST", e2, body, 422, "ui_element_id");

	/* unlink: by context, then all; then 404 */
	snprintf(path, sizeof(path), "%s/%s?usage_context=outro", e2, a);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	snprintf(path, sizeof(path), "%s/%s", e2, a);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	expect_names(e2, "ui_element", "element_name", "");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'unlink' AND field_name = 'ui_element'",
		 ep2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
}

int main(void)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"defaults", test_defaults},
	    {"bad link inputs change nothing", test_bad_links_change_nothing},
	    {"list filters", test_filters},
	    {"episode links, usage, soft deletes hidden",
	     test_links_and_soft_deletes},
	    {NULL, NULL},
	};
	return th_main("ui-elements", suite_init, suite_clean, tests);
}
