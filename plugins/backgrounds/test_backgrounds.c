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
#include "th_contract.h"
#include "th_links.h"

static th_server srv;
static char show_id[64], ep1[64], ep2[64];

#define NO_ID "00000000-0000-4000-8000-000000000000"
#define BASE "/api/v1/backgrounds"

/* A background with the required fields and `extra` ("" or ",\"k\":v");
 * its id into out (64 bytes), "" on failure. */
static const char *background(const char *name, const char *extra, char *out)
{
	char body[600];
	snprintf(body, sizeof(body),
		 "{\"background_name\":\"%s\",\"background_type\":\"studio\","
		 "\"file_reference\":\"bg/%s.jpg\"%s}",
		 name, name, extra);
	th_create(&srv, BASE, body, "background_id", out);
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
		     "{\"plugins\": {\"backgrounds\": {\"enabled\": true}}}") ||
	    !th_show_episodes(&srv, "Backdrop Show", show_id, titles, eps))
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

/* What every entity does, and the background's own fields and enums. */
static void test_contract(void)
{
	char long_location[300];
	snprintf(long_location, sizeof(long_location),
		 "{\"location\":\"%0256d\"}", 0);
	const th_bad_input bad[] = {
	    {"POST",
	     "{\"background_type\":\"virtual\",\"file_reference\":"
	     "\"a.jpg\"}",
	     false, "background_name", 0, NULL},
	    {"POST",
	     "{\"background_name\":\"n1\",\"file_reference\":\"a.jpg\"}", false,
	     "background_type", 0, NULL},
	    {"POST",
	     "{\"background_name\":\"n1\",\"background_type\":\"virtual\"}",
	     false, "file_reference", 0, NULL},
	    {"POST",
	     "{\"background_name\":null,\"background_type\":"
	     "\"virtual\",\"file_reference\":\"a.jpg\"}",
	     false, "background_name", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"background_type\":null}", true, "background_type", 0,
	     NULL},
	    /* a bad enum names the allowed values */
	    {"PATCH", "{\"approval_status\":\"maybe\"}", true,
	     "approval_status", 0, "draft, approved, rejected"},
	    {"PATCH", "{\"tags\":[1]}", true, "tags", 0, NULL},
	    {"PATCH", "{\"colour\":\"red\"}", true, "colour", 0, NULL},
	    {"PATCH", long_location, true, "location", 0, NULL},
	    {"GET", "approval_status=maybe", false, "approval_status", 0, NULL},
	    {"GET", "description=x", false, "description", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = BASE,
	    .id_key = "background_id",
	    .id_param = "backgroundId",
	    .table = "backgrounds",
	    .audit_type = "background",
	    .create_a = "{\"background_name\":\"Contract A\","
			"\"background_type\":\"studio\",\"file_reference\":"
			"\"bg/a.jpg\",\"location\":\"Studio B\",\"tags\":["
			"\"intro\"],\"description\":\"white on teal\"}",
	    .create_b = "{\"background_name\":\"Contract B\","
			"\"background_type\":\"virtual\",\"file_reference\":"
			"\"bg/b.jpg\"}",
	    .patch = "{\"lighting_notes\":\"warm key, 3200K\","
		     "\"approval_status\":\"draft\"}",
	    .filter = "location=Studio%20B",
	    .sort = "background_name",
	    .unique = "background_name",
	    /* the seed's UNIQUE covers deleted rows too */
	    .unique_kept_deleted = true,
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

/* A new background is approved unless it says otherwise. */
static void test_defaults(void)
{
	char id[64], path[200];
	CU_ASSERT_FATAL(*background("Defaults", "", id));
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
    .segment = "backgrounds",
    .id_key = "background_id",
    .id_param = "backgroundId",
    .sub = "background",
    .name_key = "background_name",
    .create = "{\"background_type\":\"studio\","
	      "\"file_reference\":\"bg/x.jpg\"}",
    .tables = (const char *const[]){"backgrounds", "episode_backgrounds", NULL},
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
	CU_ASSERT(*background("Flt A",
			      ",\"location\":\"Rooftop\",\"tags\":[\"ftest\","
			      "\"intro\"]",
			      id));
	CU_ASSERT(create(BASE,
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
	return th_main("backgrounds", suite_init, suite_clean, tests);
}
