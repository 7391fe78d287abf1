/*
 * test_outfits.c - the outfits plugin over real HTTP against a real slated
 * on a throwaway cluster: CRUD and validation of the garment parts, JSON
 * containment filters, episode links and usage, soft deletes hidden
 * everywhere, search relevance, and the plugin switched off.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "th_contract.h"

static th_server srv;
/* "Pilot" and "Second" of show_id */
static char show_id[64], episodes[2][64];

#define NO_ID "00000000-0000-4000-8000-000000000000"

/* An outfit of `body`; its id into out (64 bytes), "" on failure. */
static const char *outfit(const char *body, char *out)
{
	th_create(&srv, "/api/v1/outfits", body, "outfit_id", out);
	return out;
}

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

#define expect_names(p, sub, k, want)                                          \
	CU_ASSERT(th_expect_names(&srv, (p), (sub), (k), (want)))

/* Everything a request of this plugin could change: the core's tables,
 * audit_log, and every row of ours, deleted or not. */
static long fingerprint(void)
{
	const char *tables[] = {"outfits", "episode_outfits", NULL};
	return th_fingerprint_tables(&srv, tables);
}

static int suite_init(void)
{
	const char *titles[] = {"Pilot", "Second", NULL};
	return th_start_show(
	    &srv, "{\"plugins\": {\"outfits\": {\"enabled\": true}}}",
	    "Wardrobe Show", show_id, titles, episodes);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* What every entity does, and the outfit's parts, enums and filters. */
static void test_contract(void)
{
	const th_bad_input bad[] = {
	    /* the parts must be objects */
	    {"POST", "{\"shoes\":\"red\"}", false, "shoes", 0, NULL},
	    {"POST", "{\"top\":[{\"color\":\"red\"}]}", false, "top", 0, NULL},
	    {"POST", "{\"purse\":42}", false, "purse", 0, NULL},
	    {"PATCH", "{\"bottom\":true}", true, "bottom", 0, NULL},
	    {"PATCH", "{\"accessories\":\"pearls\"}", true, "accessories", 0,
	     NULL},
	    {"PATCH", "{\"dress\":[]}", true, "dress", 0, NULL},
	    /* enums (naming their values), lengths, types, read-only and
	     * unknown fields */
	    {"POST", "{\"season\":\"autumn\"}", false, "season", 0,
	     "spring, summer, fall, winter, all"},
	    {"POST", "{\"approval_status\":\"ok\"}", false, "approval_status",
	     0, NULL},
	    {"PATCH", "{\"approval_status\":null}", true, "approval_status", 0,
	     NULL},
	    {"POST",
	     "{\"outfit_type\":\"0123456789"
	     "0123456789012345678901234567890"
	     "12345678901234567890\"}",
	     false, "outfit_type", 0, NULL},
	    {"POST", "{\"tags\":\"red\"}", false, "tags", 0, NULL},
	    {"POST", "{\"outfit_id\":\"" NO_ID "\"}", false, "outfit_id", 0,
	     NULL},
	    {"POST", "{\"created_at\":\"2020-01-01T00:00:00Z\"}", false,
	     "created_at", 0, NULL},
	    {"POST", "{\"hat\":{}}", false, "hat", 0, NULL},
	    /* list filters */
	    {"GET", "season=autumn", false, "season", 0, NULL},
	    {"GET", "shoes.Color=red", false, "shoes.Color", 0, NULL},
	    {"GET", "shoes=red", false, "shoes", 0, NULL},
	    {"GET", "hat.color=red", false, "hat.color", 0, NULL},
	    {"GET", "pattern_description=x", false, "pattern_description", 0,
	     NULL},
	    {"GET", "sort=shoes", false, "sort", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = "/api/v1/outfits",
	    .id_key = "outfit_id",
	    .id_param = "outfitId",
	    .table = "outfits",
	    .audit_type = "outfit",
	    .create_a = "{\"outfit_name\":\"Contract A\",\"outfit_type\":"
			"\"evening\",\"dress\":{\"designer\":\"Vera\","
			"\"color\":\"emerald\"},\"shoes\":{\"color\":\"gold\","
			"\"heel_cm\":9},\"accessories\":{\"earrings\":"
			"\"pearl\"},\"tags\":[\"gala\",\"green\"],\"season\":"
			"\"winter\",\"occasion\":\"contract\",\"category\":"
			"\"formal\"}",
	    .create_b = "{\"outfit_name\":\"Contract B\"}",
	    .patch = "{\"shoes\":{\"color\":\"silver\"},\"season\":\"fall\"}",
	    .filter = "occasion=contract",
	    .sort = "outfit_name",
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

/* ---- CRUD --------------------------------------------------------------- */

/* The seed's defaults, and audit rows only for what a patch changes. */
static void test_defaults_and_audit(void)
{
	char id[64], path[200], sql[300];
	CU_ASSERT_FATAL(*outfit(
	    "{\"outfit_name\":\"Gala look\",\"occasion\":\"gala\"}", id));
	snprintf(path, sizeof(path), "/api/v1/outfits/%s", id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	json_t *d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status") ?: "",
			       "approved");
	CU_ASSERT(json_is_null(json_object_get(d, "top")));
	CU_ASSERT(json_object_get(d, "deleted_at") == NULL);
	th_resp_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'outfit' "
		 "AND entity_id = '%s'",
		 id);
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path,
			       "{\"shoes\":{\"color\":\"silver\"},\"season\":"
			       "\"fall\",\"occasion\":\"gala\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "outfit_name") ?: "",
			       "Gala look");
	th_resp_free(&r);
	/* occasion did not change: one audit row per changed field */
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	/* an outfit with nothing but defaults is allowed: every column is
	 * optional in the seed */
	CU_ASSERT(*outfit("{}", id));
}

static void test_bad_inputs_change_nothing(void)
{
	char live[64], lpath[200], epath[200], upath[300];
	outfit("{\"outfit_name\":\"Bad input target\"}", live);
	CU_ASSERT_FATAL(live[0]);
	snprintf(lpath, sizeof(lpath), "/api/v1/outfits/%s", live);
	snprintf(epath, sizeof(epath), "/api/v1/episodes/%s/outfits",
		 episodes[0]);
	snprintf(upath, sizeof(upath), "%s/%s?usage_context=other", epath,
		 live);
	char link_body[200], long_ctx[400], other[64], opath[300];
	snprintf(link_body, sizeof(link_body),
		 "{\"outfit_id\":\"%s\",\"usage_context\":\"bad-input\"}",
		 live);
	CU_ASSERT_EQUAL(status_of("POST", epath, link_body), 201);
	snprintf(long_ctx, sizeof(long_ctx),
		 "{\"outfit_id\":\"%s\",\"usage_context\":\"%0256d\"}", live,
		 0);
	/* live but never linked to the pilot */
	outfit("{\"outfit_name\":\"Never linked\"}", other);
	CU_ASSERT_FATAL(other[0]);
	snprintf(opath, sizeof(opath), "%s/%s", epath, other);
	char qpath[300];
	snprintf(qpath, sizeof(qpath), "%s/%s?bogus=1", epath, live);

	struct {
		const char *method, *path, *body;
		long status;
		const char *code, *field;
	} cases[] = {
	    {"PATCH", "/api/v1/outfits/not-a-uuid", "{\"season\":\"fall\"}",
	     400, "VALIDATION_ERROR", "outfitId"},
	    /* links */
	    {"POST", epath, "{}", 400, "VALIDATION_ERROR", "outfit_id"},
	    {"POST", epath, "{\"outfit_id\":\"nope\"}", 400, "VALIDATION_ERROR",
	     "outfit_id"},
	    {"POST", epath, "{\"outfit_id\":\"" NO_ID "\"}", 422,
	     "UNPROCESSABLE_ENTITY", "outfit_id"},
	    {"POST", epath, link_body, 409, "CONFLICT", "outfit_id"},
	    {"POST", epath, long_ctx, 400, "VALIDATION_ERROR", "usage_context"},
	    {"POST", epath,
	     "{\"outfit_id\":\"" NO_ID "\",\"episode_id\":"
	     "\"" NO_ID "\"}",
	     400, "VALIDATION_ERROR", "episode_id"},
	    {"POST", "/api/v1/episodes/" NO_ID "/outfits", link_body, 404,
	     "NOT_FOUND", "episodeId"},
	    {"GET", "/api/v1/episodes/" NO_ID "/outfits", NULL, 404,
	     "NOT_FOUND", "episodeId"},
	    {"DELETE", "/api/v1/episodes/" NO_ID "/outfits/" NO_ID, NULL, 404,
	     "NOT_FOUND", "episodeId"},
	    {"DELETE", "/api/v1/outfits/x/usage", NULL, 405,
	     "METHOD_NOT_ALLOWED", ""},
	    {"GET", "/api/v1/outfits/" NO_ID "/usage", NULL, 404, "NOT_FOUND",
	     "outfitId"},
	    {"GET", "/api/v1/outfits/nope/usage", NULL, 400, "VALIDATION_ERROR",
	     "outfitId"},
	    /* unlinking what is not linked */
	    {"DELETE", "/api/v1/episodes/" NO_ID "/outfits/nope", NULL, 404,
	     "NOT_FOUND", "episodeId"},
	    {"DELETE", opath, NULL, 404, "NOT_FOUND", "outfitId"},
	    {"DELETE", upath, NULL, 404, "NOT_FOUND", "outfitId"},
	    {"DELETE", qpath, NULL, 400, "VALIDATION_ERROR", "bogus"},
	    {"GET", "/api/v1/search/outfits?q=x&season=monsoon", NULL, 400,
	     "VALIDATION_ERROR", "season"},
	    {"GET", "/api/v1/search/outfits", NULL, 400, "VALIDATION_ERROR",
	     "q"},
	};
	long before = fingerprint();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, cases[i].method, cases[i].path,
				       cases[i].body, NULL, &r) == 0);
		if (r.status != cases[i].status ||
		    strcmp(th_err_code(&r), cases[i].code) ||
		    strcmp(th_err_field(&r), cases[i].field))
			fprintf(stderr, "\ncase %zu %s %s: %ld %s\n", i,
				cases[i].method, cases[i].path, r.status,
				r.body);
		CU_ASSERT_EQUAL(r.status, cases[i].status);
		CU_ASSERT_STRING_EQUAL(th_err_code(&r), cases[i].code);
		CU_ASSERT_STRING_EQUAL(th_err_field(&r), cases[i].field);
		th_resp_free(&r);
	}
	CU_ASSERT_EQUAL(fingerprint(), before);
}

/* ---- filters ------------------------------------------------------------ */

static void test_containment_filters(void)
{
	char id[64];
	const char *corpus[] = {
	    "{\"outfit_name\":\"F1\",\"category\":\"ftest\",\"shoes\":"
	    "{\"color\":\"red\",\"brand\":\"Nike\"},\"season\":\"summer\","
	    "\"tags\":[\"casual\",\"street\"],\"occasion\":\"brunch\"}",
	    "{\"outfit_name\":\"F2\",\"category\":\"ftest\",\"shoes\":"
	    "{\"color\":\"red\",\"brand\":\"Gucci\",\"size\":38},"
	    "\"season\":\"winter\",\"tags\":[\"casual\"],\"occasion\":"
	    "\"gala\"}",
	    "{\"outfit_name\":\"F3\",\"category\":\"ftest\",\"shoes\":"
	    "{\"color\":\"black\",\"brand\":\"Nike\"},\"top\":{\"color\":"
	    "\"red\"},\"season\":\"fall\",\"tags\":[\"street\"]}",
	    "{\"outfit_name\":\"F4\",\"category\":\"ftest\",\"purse\":"
	    "{\"style\":\"clutch\",\"color\":\"red\"},\"dress\":{\"length\":"
	    "\"midi\"},\"accessories\":{\"belt\":\"gold\"},\"bottom\":"
	    "{\"fit\":\"wide\"},\"approval_status\":\"draft\"}",
	};
	for (size_t i = 0; i < 4; i++)
		CU_ASSERT(*outfit(corpus[i], id));
	struct {
		const char *query, *want;
	} cases[] = {
	    {"", "F1,F2,F3,F4"},
	    {"&shoes.color=red", "F1,F2"},
	    {"&shoes.color=red&shoes.brand=Nike", "F1"},
	    {"&shoes.brand=Nike", "F1,F3"},
	    {"&shoes.color=Red", ""}, /* exact, case included */
	    {"&top.color=red", "F3"},
	    {"&purse.color=red&purse.style=clutch", "F4"},
	    {"&dress.length=midi&accessories.belt=gold&bottom.fit=wide", "F4"},
	    {"&shoes.color=green", ""},
	    {"&season=fall,winter", "F2,F3"},
	    {"&season=summer&shoes.color=red", "F1"},
	    {"&occasion=gala", "F2"},
	    {"&tags=casual", "F1,F2"},
	    {"&tags=casual,street", "F1"},
	    {"&approval_status=draft", "F4"},
	    {"&occasion=nothing", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[300];
		snprintf(path, sizeof(path),
			 "/api/v1/outfits?category=ftest&sort=outfit_name%s",
			 cases[i].query);
		expect_names(path, NULL, "outfit_name", cases[i].want);
	}
	/* metadata.total counts the filtered rows, not the page */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/outfits?category=ftest&shoes.color=red&"
			       "limit=1",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			2);
	th_resp_free(&r);
}

/* ---- links -------------------------------------------------------------- */

static void test_links(void)
{
	char a[64], b[64], epath[200], upath[300], body[300], sql[400];
	outfit("{\"outfit_name\":\"Link A\"}", a);
	outfit("{\"outfit_name\":\"Link B\"}", b);
	CU_ASSERT_FATAL(*a && *b);
	snprintf(epath, sizeof(epath), "/api/v1/episodes/%s/outfits",
		 episodes[1]);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'episode' AND entity_id = '%s' AND field_name = 'outfit'",
		 episodes[1]);
	long audits = th_sql_long(&srv, sql);

	th_resp r;
	snprintf(body, sizeof(body),
		 "{\"outfit_id\":\"%s\",\"usage_context\":\"opening look\","
		 "\"notes\":\"steam the hem\"}",
		 a);
	CU_ASSERT_FATAL(th_req(&srv, "POST", epath, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "usage_context"),
			       "opening look");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id"), episodes[1]);
	CU_ASSERT(th_data_str(&r, "episode_outfit_id") != NULL);
	th_resp_free(&r);
	/* the same outfit in another context, and without one */
	snprintf(body, sizeof(body),
		 "{\"outfit_id\":\"%s\",\"usage_context\":\"finale\"}", a);
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 201);
	snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", b);
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 201);
	/* duplicates: same outfit and context, a null context included */
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 409);
	snprintf(body, sizeof(body),
		 "{\"outfit_id\":\"%s\",\"usage_context\":\"finale\","
		 "\"notes\":\"other notes\"}",
		 a);
	CU_ASSERT_EQUAL(status_of("POST", epath, body), 409);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), audits + 3);

	/* the episode's outfits, with the link fields and the outfit */
	expect_names(epath, "outfit", "outfit_name", "Link A,Link A,Link B");
	expect_names(epath, NULL, "usage_context",
		     "opening look,finale,(null)");
	CU_ASSERT_FATAL(th_req(&srv, "GET", epath, NULL, NULL, &r) == 0);
	json_t *first = json_array_get(json_object_get(r.json, "data"), 0);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(first, "notes")),
	    "steam the hem");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			3);
	th_resp_free(&r);
	char page[300];
	snprintf(page, sizeof(page), "%s?limit=1&offset=2", epath);
	expect_names(page, "outfit", "outfit_name", "Link B");

	/* usage: the episodes using an outfit */
	snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", a);
	snprintf(page, sizeof(page), "/api/v1/episodes/%s/outfits",
		 episodes[0]);
	CU_ASSERT_EQUAL(status_of("POST", page, body), 201);
	snprintf(upath, sizeof(upath), "/api/v1/outfits/%s/usage", a);
	expect_names(upath, "episode", "title", "Second,Second,Pilot");
	snprintf(upath, sizeof(upath), "/api/v1/outfits/%s/usage", b);
	expect_names(upath, "episode", "title", "Second");

	/* unlink one context, then the rest, then nothing is left */
	snprintf(upath, sizeof(upath), "%s/%s?usage_context=finale", epath, a);
	CU_ASSERT_FATAL(th_req(&srv, "DELETE", upath, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "data"), "removed")),
			1);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("DELETE", upath, NULL), 404);
	expect_names(epath, NULL, "usage_context", "opening look,(null)");
	snprintf(upath, sizeof(upath), "%s/%s", epath, a);
	CU_ASSERT_EQUAL(status_of("DELETE", upath, NULL), 200);
	CU_ASSERT_EQUAL(status_of("DELETE", upath, NULL), 404);
	expect_names(epath, "outfit", "outfit_name", "Link B");
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), audits + 5);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'unlink' AND old_value = '%s'",
		 episodes[1], a);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
}

/* ---- soft deletes ------------------------------------------------------- */

static void test_soft_deletes_hidden(void)
{
	char keep[64], gone[64], ep[64], body[300], path[300];
	outfit("{\"outfit_name\":\"Hidden keep\",\"occasion\":\"hiddentest\","
	       "\"pattern_description\":\"zebra stripes\"}",
	       keep);
	outfit("{\"outfit_name\":\"Hidden gone\",\"occasion\":\"hiddentest\","
	       "\"pattern_description\":\"zebra print\"}",
	       gone);
	th_episode(&srv, show_id, "Doomed", 3, ep);
	CU_ASSERT_FATAL(*keep && *gone && *ep);
	const char *eps[] = {episodes[0], ep};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits",
			 eps[i]);
		snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", keep);
		CU_ASSERT_EQUAL(status_of("POST", path, body), 201);
		snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", gone);
		CU_ASSERT_EQUAL(status_of("POST", path, body), 201);
	}
	snprintf(path, sizeof(path), "/api/v1/outfits/%s", gone);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);

	/* the deleted outfit is gone from lists, links, usage and search */
	expect_names("/api/v1/outfits?occasion=hiddentest", NULL, "outfit_name",
		     "Hidden keep");
	expect_names("/api/v1/search/outfits?q=zebra", "outfit", "outfit_name",
		     "Hidden keep");
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits?limit=100",
		 episodes[0]);
	th_resp r;
	char got[1024];
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	th_list_names(&r, "outfit", "outfit_name", got, sizeof(got));
	CU_ASSERT(strstr(got, "Hidden keep") != NULL);
	CU_ASSERT(strstr(got, "Hidden gone") == NULL);
	CU_ASSERT_EQUAL((long)json_array_size(json_object_get(r.json, "data")),
			json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/outfits/%s/usage", gone);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	/* the deleted episode is gone from the usage of the live outfit */
	snprintf(path, sizeof(path), "/api/v1/outfits/%s/usage", keep);
	expect_names(path, "episode", "title", "Pilot");
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits", ep);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	/* and neither can be linked again */
	snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", keep);
	CU_ASSERT_EQUAL(status_of("POST", path, body), 404);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits",
		 episodes[1]);
	snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", gone);
	th_resp e;
	CU_ASSERT_FATAL(th_req(&srv, "POST", path, body, NULL, &e) == 0);
	CU_ASSERT_EQUAL(e.status, 422);
	CU_ASSERT_STRING_EQUAL(th_err_field(&e), "outfit_id");
	th_resp_free(&e);
	/* the link rows themselves are kept: a delete is soft */
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM episode_outfits WHERE outfit_id = '%s'",
		 gone);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
}

/* ---- search ------------------------------------------------------------- */

static void test_search(void)
{
	char id[64];
	const char *corpus[] = {
	    "{\"outfit_name\":\"Velvet evening\",\"occasion\":\"gala\","
	    "\"dress\":{\"fabric\":\"velvet\",\"color\":\"burgundy\"},"
	    "\"pattern_description\":\"crushed velvet with a velvet "
	    "bow\",\"season\":\"winter\",\"tags\":[\"searchcorpus\","
	    "\"formal\"]}",
	    "{\"outfit_name\":\"Denim day\",\"top\":{\"item\":\"chambray "
	    "shirt\"},\"bottom\":{\"item\":\"jeans\",\"fabric\":"
	    "\"denim\"},\"season\":\"spring\",\"tags\":[\"searchcorpus\","
	    "\"casual\"]}",
	    "{\"outfit_name\":\"Red carpet\",\"shoes\":{\"brand\":"
	    "\"Louboutin\",\"color\":\"red\"},\"dress\":{\"fabric\":"
	    "\"silk\"},\"occasion\":\"premiere\",\"season\":\"winter\","
	    "\"tags\":[\"searchcorpus\",\"formal\"]}",
	    "{\"outfit_name\":\"Beach brunch\",\"pattern_description\":"
	    "\"linen stripes, a hint of velvet trim\",\"season\":"
	    "\"summer\",\"tags\":[\"searchcorpus\",\"casual\"]}",
	    "{\"outfit_name\":\"Silk pajama party\",\"top\":{\"fabric\":"
	    "\"silk\"},\"bottom\":{\"fabric\":\"silk\"},"
	    "\"pattern_description\":\"silk on silk\",\"tags\":["
	    "\"searchcorpus\",\"casual\"]}",
	};
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT(*outfit(corpus[i], id));
	struct {
		const char *q, *first;
		long total;
	} cases[] = {
	    {"velvet", "Velvet evening", 2},
	    {"silk", "Silk pajama party", 2},
	    {"louboutin", "Red carpet", 1}, /* inside the shoes part */
	    {"jeans%20chambray", "Denim day", 1},
	    {"velvet%20-stripes", "Velvet evening", 1},
	    {"%22velvet%20bow%22", "Velvet evening", 1},
	    {"premiere", "Red carpet", 1},
	    {"tuxedo", NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[300];
		snprintf(path, sizeof(path),
			 "/api/v1/search/outfits?q=%s&tags=searchcorpus",
			 cases[i].q);
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		json_t *data = json_object_get(r.json, "data");
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		if (total != cases[i].total)
			fprintf(stderr, "\nsearch %s: %ld hits\n", cases[i].q,
				total);
		CU_ASSERT_EQUAL(total, cases[i].total);
		if (cases[i].first) {
			json_t *hit = json_array_get(data, 0);
			const char *name = json_string_value(json_object_get(
			    json_object_get(hit, "outfit"), "outfit_name"));
			if (!name || strcmp(name, cases[i].first))
				fprintf(stderr, "\nsearch %s: first %s\n",
					cases[i].q, name ? name : "(none)");
			CU_ASSERT(name && !strcmp(name, cases[i].first));
			const char *snip =
			    json_string_value(json_object_get(hit, "snippet"));
			CU_ASSERT(snip && strstr(snip, "<b>"));
			CU_ASSERT(json_is_number(json_object_get(hit, "rank")));
			/* ranked: never ascending */
			for (size_t k = 1; k < json_array_size(data); k++)
				CU_ASSERT(
				    json_number_value(json_object_get(
					json_array_get(data, k - 1), "rank")) >=
				    json_number_value(json_object_get(
					json_array_get(data, k), "rank")));
		}
		th_resp_free(&r);
	}
	/* filters narrow a search: season, tags, a part by containment */
	expect_names("/api/v1/search/outfits?q=silk&tags=searchcorpus&season="
		     "winter",
		     "outfit", "outfit_name", "Red carpet");
	expect_names("/api/v1/search/outfits?q=velvet%20OR%20silk&tags="
		     "searchcorpus,formal",
		     "outfit", "outfit_name", "Velvet evening,Red carpet");
	expect_names("/api/v1/search/outfits?q=silk&tags=searchcorpus&shoes."
		     "color=red",
		     "outfit", "outfit_name", "Red carpet");
	/* pages */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/search/outfits?q=velvet%20OR%20silk&"
			       "tags=searchcorpus&limit=2&offset=2",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 2);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")), 4);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "offset")), 2);
	th_resp_free(&r);
}

/* The search is served by idx_outfits_fts: with enough rows the planner
 * picks it, and its scan counter moves. If the engine's document and the
 * index's expression ever differ, this fails. */
static void test_search_uses_index(void)
{
	CU_ASSERT_FATAL(
	    th_sql(&srv, "INSERT INTO outfits (outfit_name, category) SELECT "
			 "'filler ' || g, 'filler' FROM generate_series(1, "
			 "20000) g; ANALYZE outfits") == 0);
	const char *scans = "SELECT coalesce(sum(idx_scan), 0) FROM "
			    "pg_stat_user_indexes WHERE indexrelname = "
			    "'idx_outfits_fts'";
	long before = th_sql_long(&srv, scans);
	expect_names("/api/v1/search/outfits?q=louboutin", "outfit",
		     "outfit_name", "Red carpet");
	/* A backend publishes its counters when it goes idle at least a
	 * second after it last did: keep the pool's connections busy. */
	long after = before;
	for (int i = 0; i < 100 && after == before; i++) {
		usleep(200000);
		CU_ASSERT_EQUAL(status_of("GET", "/health", NULL), 200);
		after = th_sql_long(&srv, scans);
	}
	CU_ASSERT(after > before);
	CU_ASSERT_EQUAL(th_sql(&srv, "DELETE FROM outfits WHERE category = "
				     "'filler'"),
			0);
}

/* ---- the plugin switched off --------------------------------------------- */

static void test_disabled(void)
{
	char id[64], body[200], path[300];
	outfit("{\"outfit_name\":\"Survives the switch-off\"}", id);
	CU_ASSERT_FATAL(*id);
	snprintf(body, sizeof(body), "{\"outfit_id\":\"%s\"}", id);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits",
		 episodes[1]);
	CU_ASSERT_EQUAL(status_of("POST", path, body), 201);
	char doomed[64];
	th_episode(&srv, show_id, "Off-air", 4, doomed);
	CU_ASSERT_FATAL(*doomed);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/outfits", doomed);
	CU_ASSERT_EQUAL(status_of("POST", path, body), 201);
	const char *state =
	    "SELECT (SELECT sum(hashtext(o::text)) FROM outfits o) + "
	    "(SELECT sum(hashtext(l::text)) FROM episode_outfits l) + "
	    "(SELECT sum(hashtext(m::text)) FROM slate_schema_migrations m "
	    "WHERE component = 'outfits')";
	long before = th_sql_long(&srv, state);

	/* a second slated on the same database, outfits off, another
	 * plugin on */
	th_server off;
	CU_ASSERT_FATAL(
	    th_start_beside(&off, &srv,
			    "{\"outfits\": {\"enabled\": false}, "
			    "\"backgrounds\": {\"enabled\": true}}") == 0);
	char item[100], eitem[100], link[200];
	snprintf(item, sizeof(item), "/api/v1/outfits/%s", id);
	snprintf(eitem, sizeof(eitem), "/api/v1/episodes/%s/outfits",
		 episodes[1]);
	snprintf(link, sizeof(link), "%s/%s", eitem, id);
	char usage[150];
	snprintf(usage, sizeof(usage), "%s/usage", item);
	const char *gone[][3] = {
	    {"GET", "/api/v1/outfits", NULL},
	    {"POST", "/api/v1/outfits", "{}"},
	    {"GET", item, NULL},
	    {"PATCH", item, "{\"season\":\"fall\"}"},
	    {"DELETE", item, NULL},
	    {"GET", usage, NULL},
	    {"GET", "/api/v1/search/outfits?q=x", NULL},
	    {"GET", eitem, NULL},
	    {"POST", eitem, body},
	    {"DELETE", link, NULL},
	};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		th_resp r;
		CU_ASSERT_FATAL(th_req(&off, gone[i][0], gone[i][1], gone[i][2],
				       NULL, &r) == 0);
		if (r.status != 404)
			fprintf(stderr, "\n%s %s: %ld\n", gone[i][0],
				gone[i][1], r.status);
		CU_ASSERT_EQUAL(r.status, 404);
		th_resp_free(&r);
	}
	/* everything else works: the core and the other plugin */
	th_resp r;
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", episodes[1]);
	CU_ASSERT_FATAL(th_req(&off, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&off, "POST", "/api/v1/backgrounds",
			       "{\"background_name\":\"While outfits sleep\","
			       "\"background_type\":\"studio\","
			       "\"file_reference\":\"bg/1.jpg\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	th_resp_free(&r);
	/* an episode with outfit links is deleted without the plugin */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", doomed);
	CU_ASSERT_FATAL(th_req(&off, "DELETE", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	th_stop(&off);
	/* the plugin's tables and migrations untouched, still served here,
	 * and the deleted episode hidden from the outfit's usage */
	CU_ASSERT_EQUAL(th_sql_long(&srv, state), before);
	CU_ASSERT_EQUAL(status_of("GET", item, NULL), 200);
	expect_names(usage, "episode", "title", "Second");
}

int main(void)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"defaults, audit rows of changed fields", test_defaults_and_audit},
	    {"bad inputs change nothing", test_bad_inputs_change_nothing},
	    {"JSON containment and other filters", test_containment_filters},
	    {"episode links and usage", test_links},
	    {"soft-deleted rows hidden everywhere", test_soft_deletes_hidden},
	    {"search: relevance, snippets, filters, pages", test_search},
	    {"search uses idx_outfits_fts", test_search_uses_index},
	    {"plugin disabled: routes 404, data kept", test_disabled},
	    {NULL, NULL},
	};
	return th_main("outfits", suite_init, suite_clean, tests);
}
