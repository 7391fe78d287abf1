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
#include "th_links.h"

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

/* The episode links, as every linked entity's (th_links.h). */
static const th_link_entity links = {
    .path = BASE,
    .segment = "ui-elements",
    .id_key = "ui_element_id",
    .id_param = "uiElementId",
    .sub = "ui_element",
    .name_key = "element_name",
    .create = "{\"element_type\":\"lower_third\","
	      "\"file_reference\":\"ui/x.svg\"}",
    .tables = (const char *const[]){"ui_elements", "episode_ui_elements", NULL},
};

static void test_bad_links_change_nothing(void)
{
	th_links_bad(&srv, &links, ep1);
}

static void test_links_and_soft_deletes(void)
{
	th_links_run(&srv, &links, show_id, ep2);
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
