/*
 * test_guests.c - the guests plugin over real HTTP against a real slated on
 * a throwaway cluster: CRUD, contact validation, the unique session, the
 * server-set consent timestamp, and contact details kept out of audit_log
 * and out of the logs.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "th_contract.h"

static th_server srv;

#define NO_ID "00000000-0000-4000-8000-000000000000"
#define BASE "/api/v1/guests"

/* Contact details that must never be found in clear outside the guests
 * table and the API's answers. */
#define EMAIL "ava.stone@boutique.example"
#define EMAIL2 "ava@stone-styling.example"
#define PHONE "+1 555-0100-77"
#define PHONE2 "+44 20 7946 0958"
#define SITE "https://ava-private.example/about"
#define NOTE "home address 12 Elm Row"
#define SESSION "sess-7f3a9c"

/* POST and copy the new id into out[64]; "" on failure. */
static const char *create(const char *body, char *out)
{
	th_resp r;
	out[0] = '\0';
	if (th_req(&srv, "POST", BASE, body, NULL, &r))
		return out;
	if (r.status == 201 && th_data_str(&r, "guest_id"))
		snprintf(out, 64, "%s", th_data_str(&r, "guest_id"));
	else
		fprintf(stderr, "create guest failed: %ld %s\n", r.status,
			r.body);
	th_resp_free(&r);
	return out;
}

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

/* A guest's column as text straight from the database ("" for null). */
static void column(const char *id, const char *col, char *out, size_t len)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(extract(epoch FROM %s)::bigint, -1) FROM "
		 "guests WHERE guest_id = '%s'",
		 col, id);
	snprintf(out, len, "%ld", th_sql_long(&srv, sql));
}

static int suite_init(void)
{
	return th_start(&srv,
			"{\"plugins\": {\"guests\": {\"enabled\": true}}}");
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

static void test_crud(void)
{
	char id[64], path[200];
	create("{\"name\":\"Ava Stone\",\"business_name\":\"Stone Styling\","
	       "\"business_email\":\"" EMAIL "\",\"business_phone\":\"" PHONE
	       "\",\"website\":\"" SITE "\",\"session_id\":\"" SESSION "\","
	       "\"session_expires_at\":\"2030-01-01T00:00:00Z\","
	       "\"outfit_references\":[\"" NO_ID "\",{\"note\":\"red coat\"}],"
	       "\"notes\":\"" NOTE "\"}",
	       id);
	CU_ASSERT_FATAL(*id);
	snprintf(path, sizeof(path), BASE "/%s", id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *d = json_object_get(r.json, "data");
	/* the API returns contact details: they are masked in audit only */
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "business_email"), EMAIL);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "business_phone"), PHONE);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "website"), SITE);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "session_id"), SESSION);
	CU_ASSERT_EQUAL(
	    json_array_size(json_object_get(d, "outfit_references")), 2);
	/* the seed's defaults */
	CU_ASSERT(json_is_array(json_object_get(d, "upload_references")));
	CU_ASSERT_EQUAL(
	    json_array_size(json_object_get(d, "upload_references")), 0);
	CU_ASSERT(json_is_false(json_object_get(d, "consent_given")));
	CU_ASSERT(json_is_null(json_object_get(d, "consent_timestamp")));
	th_resp_free(&r);

	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path,
			       "{\"upload_references\":[\"uploads/a.jpg\"],"
			       "\"converted_user_id\":\"" NO_ID "\","
			       "\"converted_at\":\"2026-02-01T10:00:00Z\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "converted_user_id"), NO_ID);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       BASE "?business_name=Stone%20Styling", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       BASE "?business_name=Stone%20Styling", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 0);
	th_resp_free(&r);
}

/* What every entity does, the unique session among it, and the guest's
 * contact checks, references and server-set consent timestamp. */
static void test_contract(void)
{
	const th_bad_input bad[] = {
	    {"POST", "{\"business_name\":\"No name\"}", false, "name", 0, NULL},
	    /* contact details are checked for their kind */
	    {"POST", "{\"name\":\"x\",\"business_email\":\"not-an-email\"}",
	     false, "business_email", 0, NULL},
	    {"POST", "{\"name\":\"x\",\"business_email\":\"a@b\"}", false,
	     "business_email", 0, NULL},
	    {"PATCH", "{\"business_email\":\"two@@example.com\"}", true,
	     "business_email", 0, NULL},
	    {"POST", "{\"name\":\"x\",\"business_phone\":\"call me\"}", false,
	     "business_phone", 0, NULL},
	    {"PATCH", "{\"business_phone\":\"123\"}", true, "business_phone", 0,
	     NULL},
	    {"POST", "{\"name\":\"x\",\"website\":\"ftp://a.example\"}", false,
	     "website", 0, NULL},
	    {"PATCH", "{\"website\":\"javascript:alert(1)\"}", true, "website",
	     0, NULL},
	    {"PATCH", "{\"website\":\"example.com\"}", true, "website", 0,
	     NULL},
	    {"POST", "{\"name\":\"x\",\"session_expires_at\":\"tomorrow\"}",
	     false, "session_expires_at", 0, NULL},
	    {"POST", "{\"name\":\"x\",\"converted_user_id\":\"u1\"}", false,
	     "converted_user_id", 0, NULL},
	    {"POST", "{\"name\":\"x\",\"outfit_references\":{}}", false,
	     "outfit_references", 0, NULL},
	    {"POST", "{\"name\":\"x\",\"upload_references\":\"a.jpg\"}", false,
	     "upload_references", 0, NULL},
	    {"PATCH", "{\"outfit_references\":null}", true, "outfit_references",
	     0, NULL},
	    {"POST", "{\"name\":\"x\",\"consent_given\":\"yes\"}", false,
	     "consent_given", 0, NULL},
	    {"PATCH", "{\"consent_given\":null}", true, "consent_given", 0,
	     NULL},
	    /* the server sets the consent timestamp, never a client */
	    {"POST",
	     "{\"name\":\"x\",\"consent_given\":true,"
	     "\"consent_timestamp\":\"2020-01-01T00:00:00Z\"}",
	     false, "consent_timestamp", 0, NULL},
	    {"PATCH", "{\"consent_timestamp\":\"2020-01-01T00:00:00Z\"}", true,
	     "consent_timestamp", 0, NULL},
	    {"PATCH", "{\"consent_timestamp\":null}", true, "consent_timestamp",
	     0, NULL},
	    /* a session is a token: no list filter */
	    {"GET", "session_id=sess-contract", false, "session_id", 0, NULL},
	    {"GET", "consent_given=maybe", false, "consent_given", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = BASE,
	    .id_key = "guest_id",
	    .id_param = "guestId",
	    .table = "guests",
	    .audit_type = "guest",
	    .create_a = "{\"name\":\"Contract A\",\"business_name\":\"Contract "
			"Styling\",\"session_id\":\"sess-contract\","
			"\"website\":\"https://contract.example/a\"}",
	    .create_b = "{\"name\":\"Contract B\"}",
	    .patch = "{\"notes\":\"met at the fitting\",\"upload_references\":"
		     "[\"uploads/c.jpg\"]}",
	    .filter = "business_name=Contract%20Styling",
	    .sort = "name",
	    .unique = "session_id",
	    /* a plain UNIQUE: a deleted guest keeps its session taken */
	    .unique_kept_deleted = true,
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

static void test_consent_timestamp(void)
{
	char id[64], path[200], t1[32], t2[32], sql[300];
	/* no consent: no timestamp */
	create("{\"name\":\"No consent yet\"}", id);
	CU_ASSERT_FATAL(*id);
	snprintf(path, sizeof(path), BASE "/%s", id);
	column(id, "consent_timestamp", t1, sizeof(t1));
	CU_ASSERT_STRING_EQUAL(t1, "-1");

	/* given: stamped by the server, now */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, "{\"consent_given\":true}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(th_data_str(&r, "consent_timestamp") != NULL);
	th_resp_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM guests WHERE guest_id = '%s' AND "
		 "consent_timestamp BETWEEN now() - interval '30 seconds' AND "
		 "now() + interval '5 seconds'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	column(id, "consent_timestamp", t1, sizeof(t1));

	/* confirmed again: kept, and nothing written */
	sleep(1);
	CU_ASSERT_EQUAL(status_of("PATCH", path,
				  "{\"consent_given\":true,"
				  "\"name\":\"No consent yet\"}"),
			200);
	column(id, "consent_timestamp", t2, sizeof(t2));
	CU_ASSERT_STRING_EQUAL(t1, t2);

	/* withdrawn: cleared */
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, "{\"consent_given\":false}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(json_is_null(json_object_get(json_object_get(r.json, "data"),
					       "consent_timestamp")));
	th_resp_free(&r);
	/* given anew: a new timestamp */
	CU_ASSERT_EQUAL(status_of("PATCH", path, "{\"consent_given\":true}"),
			200);
	column(id, "consent_timestamp", t2, sizeof(t2));
	CU_ASSERT(strcmp(t2, "-1") &&
		  strtol(t2, NULL, 10) > strtol(t1, NULL, 10));
	/* the history is in audit_log */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "field_name = 'consent_timestamp'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);

	/* consent given at creation is stamped too */
	create("{\"name\":\"Consents at once\",\"consent_given\":true}", id);
	CU_ASSERT_FATAL(*id);
	column(id, "consent_timestamp", t1, sizeof(t1));
	CU_ASSERT(strcmp(t1, "-1") != 0);
	CU_ASSERT_FATAL(th_req(&srv, "GET", BASE "?consent_given=true", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 2);
	th_resp_free(&r);
}

/* Whether `needle` occurs in the file at `path`. */
static bool file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[8192];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void test_contact_details_private(void)
{
	char id[64], path[200], sql[600];
	create("{\"name\":\"Private Person\",\"business_email\":\"" EMAIL "\","
	       "\"business_phone\":\"" PHONE "\",\"website\":\"" SITE "\","
	       "\"notes\":\"" NOTE "\",\"session_id\":\"" SESSION "-2\"}",
	       id);
	CU_ASSERT_FATAL(*id);
	snprintf(path, sizeof(path), BASE "/%s", id);
	CU_ASSERT_EQUAL(status_of("PATCH", path,
				  "{\"business_email\":\"" EMAIL2 "\","
				  "\"business_phone\":\"" PHONE2 "\","
				  "\"website\":null,\"notes\":\"" NOTE " v2\","
				  "\"session_id\":\"" SESSION "-3\"}"),
			200);
	/* and a failed write with a contact detail in it */
	CU_ASSERT_EQUAL(
	    status_of("POST", BASE,
		      "{\"name\":\"Dup\",\"business_email\":\"" EMAIL
		      "\",\"session_id\":\"" SESSION "-3\"}"),
	    409);

	/* audit rows exist for every change, masked */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'update' AND field_name IN ('business_email', "
		 "'business_phone', 'notes', 'session_id') AND old_value = "
		 "'[redacted]' AND new_value = '[redacted]'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 4);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "field_name = 'website' AND old_value = '[redacted]' AND "
		 "new_value IS NULL",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* the name stays readable, so the trail says whose record it was */
	snprintf(
	    sql, sizeof(sql),
	    "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
	    "action = 'create' AND new_value LIKE '%%Private Person%%' AND "
	    "new_value LIKE '%%[redacted]%%'",
	    id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* no clear value anywhere in audit_log, nor in slated's log */
	const char *secrets[] = {
	    EMAIL,	   EMAIL2, PHONE,     PHONE2,  SITE,
	    "ava-private", NOTE,   "Elm Row", SESSION, "boutique.example"};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM audit_log WHERE strpos(coalesce("
			 "old_value, '') || coalesce(new_value, '') || "
			 "coalesce(field_name, ''), '%s') > 0",
			 secrets[i]);
		long n = th_sql_long(&srv, sql);
		if (n)
			fprintf(stderr, "\n%s in audit_log %ld times\n",
				secrets[i], n);
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT(!file_has(srv.log_path, secrets[i]));
		CU_ASSERT(!file_has(srv.out_path, secrets[i]));
	}
	/* while the API still returns them */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "business_email"), EMAIL2);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "business_phone"), PHONE2);
	th_resp_free(&r);
}

int main(void)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"CRUD, defaults, filters", test_crud},
	    {"consent timestamp set by the server", test_consent_timestamp},
	    {"contact details masked in audit, absent from logs",
	     test_contact_details_private},
	    {NULL, NULL},
	};
	return th_main("guests", suite_init, suite_clean, tests);
}
