/*
 * test_clips.c - the clips plugin over real HTTP against a real slated on a
 * throwaway cluster: CRUD, enums, filters (standalone, show, season, talent,
 * tags, take...), assign/unassign, search, what deleting an episode does to
 * its clips, bad input that must change nothing, and the plugin disabled.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "th_contract.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"

static th_server srv;
static char show1[64], show2[64], ep1[64], ep2[64], ep3[64];

/* POST and copy the new id into out (size 64); false on failure. */
#define create(p, b, k, out) th_create(&srv, (p), (b), (k), (out))

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

#define total_of(p) th_total(&srv, (p))

static bool new_clip(const char *fields, char *out)
{
	char body[4096];
	snprintf(body, sizeof(body), "{\"file_reference\":\"raw/c.mov\",%s}",
		 fields);
	return create("/api/v1/clips", body, "clip_id", out);
}

/* Everything a clips request could change: shows, episodes, audit_log and
 * every clip row, soft-deleted ones included. */
static long fingerprint(void)
{
	long core = th_fingerprint(&srv);
	long clips = th_sql_long(
	    &srv, "SELECT count(*) * 1000003 + coalesce(sum(hashtext("
		  "c::text)), 0) FROM clips c");
	return core == -1 || clips == -1 ? -1 : core * 31 + clips;
}

static int suite_init(void)
{
	if (th_start(&srv, "{\"plugins\": {\"clips\": {\"enabled\": true}}}"))
		return -1;
	char body[300];
	if (!create("/api/v1/shows", "{\"name\":\"Clip Show\"}", "show_id",
		    show1) ||
	    !create("/api/v1/shows", "{\"name\":\"Other Show\"}", "show_id",
		    show2))
		return -1;
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"One\",\"episode_number\":1}",
		 show1);
	if (!create("/api/v1/episodes", body, "episode_id", ep1))
		return -1;
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Two\",\"episode_number\":1,"
		 "\"season_number\":2}",
		 show1);
	if (!create("/api/v1/episodes", body, "episode_id", ep2))
		return -1;
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Three\",\"episode_number\":"
		 "1}",
		 show2);
	return create("/api/v1/episodes", body, "episode_id", ep3) ? 0 : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* ---- the entity contract ---------------------------------------------- */

/* What every entity does, and the clip's enums, required fields, episode
 * reference and filters. */
static void test_contract(void)
{
	const th_bad_input bad[] = {
	    /* required, and talent_source a closed list, case included */
	    {"POST", "{\"file_reference\":\"f\"}", false, "talent_source", 0,
	     NULL},
	    {"POST", "{\"talent_source\":\"Lala\"}", false, "file_reference", 0,
	     NULL},
	    {"POST", "{\"talent_source\":\"Bob\",\"file_reference\":\"f\"}",
	     false, "talent_source", 0, "Lala, JustAWomanInHerPrime, Guest"},
	    {"POST", "{\"talent_source\":\"lala\",\"file_reference\":\"f\"}",
	     false, "talent_source", 0, NULL},
	    {"POST", "{\"talent_source\":\"Lala\",\"file_reference\":null}",
	     false, "file_reference", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"quality_rating\":\"great\"}",
	     false, "quality_rating", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"status\":\"done\"}",
	     false, "status", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"approval_status\":\"ok\"}",
	     false, "approval_status", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"take_number\":0}",
	     false, "take_number", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"take_number\":\"1\"}",
	     false, "take_number", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"tags\":[1]}",
	     false, "tags", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"episode_id\":\"" NO_ID "\"}",
	     false, "episode_id", 422, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"episode_id\":\"ep-1\"}",
	     false, "episode_id", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"clip_id\":\"" NO_ID "\"}",
	     false, "clip_id", 0, NULL},
	    {"POST",
	     "{\"talent_source\":\"Lala\",\"file_reference\":\"f\","
	     "\"duration\":5}",
	     false, "duration", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"status\":null}", true, "status", 0, NULL},
	    {"PATCH", "{\"talent_source\":\"Nobody\"}", true, "talent_source",
	     0, NULL},
	    {"PATCH", "{\"episode_id\":\"" NO_ID "\"}", true, "episode_id", 422,
	     NULL},
	    /* list filters: 400 naming the parameter */
	    {"GET", "talent_source=Bob", false, "talent_source", 0,
	     "Lala, JustAWomanInHerPrime, Guest"},
	    {"GET", "talent_source=Lala,Bob", false, "talent_source", 0, NULL},
	    {"GET", "talent_source=%27%20OR%201%3D1%20--", false,
	     "talent_source", 0, NULL},
	    {"GET", "quality_rating=great", false, "quality_rating", 0, NULL},
	    {"GET", "status=done", false, "status", 0, NULL},
	    {"GET", "take_number=0", false, "take_number", 0, NULL},
	    {"GET", "take_number=x", false, "take_number", 0, NULL},
	    {"GET", "standalone=maybe", false, "standalone", 0, NULL},
	    {"GET", "show_id=not-a-uuid", false, "show_id", 0, NULL},
	    {"GET", "episode_id=1", false, "episode_id", 0, NULL},
	    {"GET", "season_number=1.5", false, "season_number", 0, NULL},
	    {"GET", "sort=notes", false, "sort", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_entity e = {
	    .path = "/api/v1/clips",
	    .id_key = "clip_id",
	    .id_param = "clipId",
	    .table = "clips",
	    .audit_type = "clip",
	    .create_a = "{\"talent_source\":\"JustAWomanInHerPrime\","
			"\"file_reference\":\"raw/contract-a.mov\","
			"\"take_number\":1,\"clip_type\":\"b_roll\","
			"\"scene_description\":\"contract, first take\","
			"\"tags\":[\"contract\"]}",
	    .create_b = "{\"talent_source\":\"Guest\",\"file_reference\":"
			"\"raw/contract-b.mov\",\"take_number\":2}",
	    .patch = "{\"quality_rating\":\"hero\",\"notes\":\"keep the "
		     "ending\"}",
	    .filter = "talent_source=JustAWomanInHerPrime",
	    .sort = "take_number",
	    .bad = bad,
	};
	th_contract_run(&srv, &e);
}

/* ---- CRUD ------------------------------------------------------------- */

static void test_crud(void)
{
	char id[64], path[200];
	CU_ASSERT_FATAL(new_clip("\"talent_source\":\"Lala\"", id));
	snprintf(path, sizeof(path), "/api/v1/clips/%s", id);

	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *d = json_object_get(r.json, "data");
	/* the seed's defaults */
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "clip_type") ?: "", "raw");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "status") ?: "",
			       "pending_review");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status") ?: "",
			       "draft");
	CU_ASSERT(json_is_null(json_object_get(d, "episode_id")));
	CU_ASSERT(json_object_get(d, "deleted_at") == NULL);
	char updated[64];
	snprintf(updated, sizeof(updated), "%s",
		 th_data_str(&r, "updated_at") ?: "");
	th_resp_free(&r);

	char body[400];
	snprintf(body, sizeof(body),
		 "{\"episode_id\":\"%s\",\"quality_rating\":\"hero\","
		 "\"take_number\":3,\"tags\":[\"denim\"],\"status\":"
		 "\"approved\",\"file_size_bytes\":5368709120}",
		 ep1);
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id") ?: "", ep1);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "quality_rating") ?: "", "hero");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(d, "take_number")),
			3);
	/* 5 GB, the seed's RAW_CLIP limit, needs the BIGINT */
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(d, "file_size_bytes")),
	    5368709120LL);
	/* the updated_at trigger */
	CU_ASSERT(strcmp(th_data_str(&r, "updated_at") ?: "", updated) != 0);
	th_resp_free(&r);

	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'clip' "
		 "AND entity_id = '%s'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 7); /* create + 6 fields */

	/* deleted: gone from its episode's list too */
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	char list[200];
	snprintf(list, sizeof(list), "/api/v1/clips?episode_id=%s", ep1);
	CU_ASSERT_EQUAL(total_of(list), 0);
}

/* ---- filters ---------------------------------------------------------- */

static void test_filters(void)
{
	/* every clip of this corpus carries the tag "corpus", and every
	 * query asks for it, so other tests' clips never count */
	char f[6][300];
	snprintf(f[0], 300,
		 "\"talent_source\":\"Lala\",\"episode_id\":\"%s\","
		 "\"quality_rating\":\"hero\",\"take_number\":1,\"status\":"
		 "\"approved\",\"tags\":[\"corpus\",\"denim\",\"fall\"]",
		 ep1);
	snprintf(f[1], 300,
		 "\"talent_source\":\"JustAWomanInHerPrime\",\"episode_id\":"
		 "\"%s\",\"quality_rating\":\"good\",\"take_number\":2,"
		 "\"tags\":[\"corpus\",\"denim\"]",
		 ep1);
	snprintf(f[2], 300,
		 "\"talent_source\":\"Guest\",\"episode_id\":\"%s\","
		 "\"quality_rating\":\"maybe\",\"take_number\":1,\"tags\":"
		 "[\"corpus\"]",
		 ep2);
	snprintf(f[3], 300,
		 "\"talent_source\":\"Lala\",\"quality_rating\":\"reject\","
		 "\"take_number\":3,\"status\":\"rejected\",\"tags\":"
		 "[\"corpus\",\"fall\"]");
	snprintf(f[4], 300,
		 "\"talent_source\":\"Lala\",\"episode_id\":\"%s\","
		 "\"quality_rating\":\"good\",\"take_number\":1,\"tags\":"
		 "[\"corpus\"],\"clip_type\":\"b_roll\"",
		 ep3);
	snprintf(f[5], 300,
		 "\"talent_source\":\"Guest\",\"tags\":[\"corpus\"],"
		 "\"approval_status\":\"approved\"");
	char id[64];
	for (int i = 0; i < 6; i++)
		CU_ASSERT_FATAL(new_clip(f[i], id));

	char q[5][200];
	struct {
		const char *query;
		long total;
	} cases[] = {
	    {"tags=corpus", 6},
	    {"tags=corpus&talent_source=Lala", 3},
	    {"tags=corpus&talent_source=Lala,Guest", 5},
	    {"tags=corpus&status=approved", 1},
	    {"tags=corpus&status=pending_review,rejected", 5},
	    {"tags=corpus&quality_rating=hero,good", 3},
	    {"tags=corpus&approval_status=approved", 1},
	    {"tags=corpus&take_number=1", 3},
	    {"tags=corpus&clip_type=b_roll", 1},
	    {"tags=corpus&standalone=true", 2},
	    {"tags=corpus&standalone=false", 4},
	    {"tags=corpus&standalone=false&talent_source=Lala", 2},
	    {"tags=corpus,denim", 2},
	    {"tags=corpus,denim,fall", 1},
	    {"tags=corpus,nothing", 0},
	    {q[0], 2},
	    {q[1], 3},
	    {q[2], 1},
	    {q[3], 2},
	    {q[4], 1},
	};
	snprintf(q[0], 200, "tags=corpus&episode_id=%s", ep1);
	snprintf(q[1], 200, "tags=corpus&show_id=%s", show1);
	snprintf(q[2], 200, "tags=corpus&season_number=2");
	snprintf(q[3], 200, "tags=corpus&show_id=%s&season_number=1", show1);
	snprintf(q[4], 200, "tags=corpus&show_id=%s", show2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[400];
		snprintf(path, sizeof(path), "/api/v1/clips?%s",
			 cases[i].query);
		long t = total_of(path);
		if (t != cases[i].total)
			fprintf(stderr, "filter %s: %ld, expected %ld\n", path,
				t, cases[i].total);
		CU_ASSERT_EQUAL(t, cases[i].total);
	}

	/* sort and page */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/clips?tags=corpus&sort=-take_number&"
			       "limit=2&offset=0",
			       NULL, NULL, &r) == 0);
	json_t *data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(data, 0), "take_number")),
			3);
	th_resp_free(&r);
}

/* ---- assign / unassign ------------------------------------------------ */

static void test_assign_unassign(void)
{
	char id[64], path[200], body[200], sql[400];
	CU_ASSERT_FATAL(new_clip("\"talent_source\":\"Guest\",\"tags\":"
				 "[\"assigned\"]",
				 id));
	const char *standalone = "/api/v1/clips?tags=assigned&standalone=true";
	CU_ASSERT_EQUAL(total_of(standalone), 1);
	snprintf(path, sizeof(path), "/api/v1/clips/%s/assign-episode", id);
	snprintf(body, sizeof(body), "{\"episode_id\":\"%s\"}", ep2);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", path, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id") ?: "", ep2);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "clip_id") ?: "", id);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(total_of(standalone), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'clip' "
		 "AND entity_id = '%s' AND action = 'update' AND field_name = "
		 "'episode_id' AND old_value IS NULL AND new_value = '%s'",
		 id, ep2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);

	/* moving it to another episode */
	snprintf(body, sizeof(body), "{\"episode_id\":\"%s\"}", ep3);
	CU_ASSERT_FATAL(th_req(&srv, "POST", path, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id") ?: "", ep3);
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/clips/%s/unassign-episode", id);
	CU_ASSERT_FATAL(th_req(&srv, "POST", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(json_is_null(
	    json_object_get(json_object_get(r.json, "data"), "episode_id")));
	th_resp_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s'", id);
	long audits = th_sql_long(&srv, sql);
	CU_ASSERT_EQUAL(audits, 4);
	/* already standalone: 200, nothing written */
	CU_ASSERT_EQUAL(status_of("POST", path, NULL), 200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), audits);
	CU_ASSERT_EQUAL(total_of(standalone), 1);
}

/* ---- search ----------------------------------------------------------- */

static void test_search(void)
{
	const char *corpus[][3] = {
	    {"Lala", "Lala twirls in the sequin gown on the rooftop",
	     "hero take, golden hour light"},
	    {"JustAWomanInHerPrime",
	     "Thrift store walkthrough, denim jacket try-on",
	     "audio clipped at the end"},
	    {"Guest", "Guest designer explains the denim denim denim trend",
	     "denim close-ups for the trailer"},
	    {"Lala", "Closet cleanout montage", "use for the intro"},
	};
	char id[64], body[600], deleted[64] = "";
	for (int i = 0; i < 4; i++) {
		snprintf(body, sizeof(body),
			 "\"talent_source\":\"%s\",\"scene_description\":"
			 "\"%s\",\"notes\":\"%s\",\"tags\":[\"searchset\"]%s",
			 corpus[i][0], corpus[i][1], corpus[i][2],
			 i == 1 ? ",\"status\":\"approved\"" : "");
		CU_ASSERT_FATAL(new_clip(body, id));
	}
	/* a deleted clip that would match everything never shows */
	CU_ASSERT_FATAL(new_clip("\"talent_source\":\"Lala\","
				 "\"scene_description\":\"denim sequin thrift "
				 "closet rooftop\",\"tags\":[\"searchset\"]",
				 deleted));
	char path[400];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", deleted);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);

	struct {
		const char *q, *first_talent, *first_words;
		long total;
	} cases[] = {
	    {"denim", "Guest", "denim trend", 2},
	    {"sequin%20gown", "Lala", "sequin gown", 1},
	    {"%22golden%20hour%22", "Lala", "sequin gown", 1},
	    {"denim%20-trailer", "JustAWomanInHerPrime", "Thrift", 1},
	    {"closet%20OR%20thrift", NULL, NULL, 2},
	    {"nothing%20like%20this", NULL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path),
			 "/api/v1/search/clips?q=%s&tags=searchset",
			 cases[i].q);
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		if (total != cases[i].total)
			fprintf(stderr, "search %s: %ld hits\n", cases[i].q,
				total);
		CU_ASSERT_EQUAL(total, cases[i].total);
		json_t *hit =
		    json_array_get(json_object_get(r.json, "data"), 0);
		json_t *clip = json_object_get(hit, "clip");
		if (cases[i].first_talent) {
			const char *t = json_string_value(
			    json_object_get(clip, "talent_source"));
			const char *s = json_string_value(
			    json_object_get(clip, "scene_description"));
			CU_ASSERT(t && !strcmp(t, cases[i].first_talent));
			CU_ASSERT(s && strstr(s, cases[i].first_words));
			const char *snip =
			    json_string_value(json_object_get(hit, "snippet"));
			CU_ASSERT(snip && strstr(snip, "<b>"));
			CU_ASSERT(json_is_number(json_object_get(hit, "rank")));
		}
		th_resp_free(&r);
	}
	/* filters and paging on search */
	CU_ASSERT_EQUAL(total_of("/api/v1/search/clips?q=denim&tags=searchset&"
				 "talent_source=JustAWomanInHerPrime"),
			1);
	CU_ASSERT_EQUAL(total_of("/api/v1/search/clips?q=denim&tags=searchset&"
				 "status=approved"),
			1);
	CU_ASSERT_EQUAL(total_of("/api/v1/search/clips?q=denim&tags=searchset&"
				 "standalone=false"),
			0);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/search/clips?q=denim&tags=searchset&"
			       "limit=1&offset=1",
			       NULL, NULL, &r) == 0);
	json_t *data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 1);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(data, 0), "clip"),
		"talent_source"))
		?: "",
	    "JustAWomanInHerPrime");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			2);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET", "/api/v1/search/clips", NULL), 400);
	CU_ASSERT_EQUAL(
	    status_of("GET", "/api/v1/search/clips?q=x&bogus=1", NULL), 400);
	CU_ASSERT_EQUAL(status_of("GET",
				  "/api/v1/search/clips?q=x&talent_source=Bob",
				  NULL),
			400);

	/* The GIN index matches the document the engine builds
	 * (entity_read.c), so the planner can use it. Seq scans off make it
	 * choose an index on a small table; without the engine's
	 * `deleted_at IS NULL` no partial index qualifies, so the plan shows
	 * whether this one matches. */
	CU_ASSERT_FATAL(th_sql(&srv, "SET enable_seqscan = off") == 0);
	PGresult *plan = PQexec(
	    srv.db, "EXPLAIN SELECT t.clip_id FROM clips t, "
		    "websearch_to_tsquery('english', 'denim') q WHERE "
		    "to_tsvector('english', coalesce(t.scene_"
		    "description,'') || ' ' || coalesce(t.notes,'') || ' ' || "
		    "coalesce(slate_array_text(t.tags),'')) @@ q");
	bool uses_index = false;
	for (int i = 0;
	     PQresultStatus(plan) == PGRES_TUPLES_OK && i < PQntuples(plan);
	     i++)
		uses_index |=
		    strstr(PQgetvalue(plan, i, 0), "idx_clips_fts") != NULL;
	PQclear(plan);
	CU_ASSERT(uses_index);
	CU_ASSERT(th_sql(&srv, "RESET enable_seqscan") == 0);
}

/* ---- episode deletion ------------------------------------------------- */

static void test_episode_delete_keeps_clips(void)
{
	char ep[64], body[300], a[64], b[64], gone[64], path[200], sql[400];
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Doomed\",\"episode_number\":"
		 "9}",
		 show1);
	CU_ASSERT_FATAL(create("/api/v1/episodes", body, "episode_id", ep));
	snprintf(body, sizeof(body),
		 "\"talent_source\":\"Lala\",\"episode_id\":\"%s\","
		 "\"tags\":[\"doomed\"]",
		 ep);
	CU_ASSERT_FATAL(new_clip(body, a));
	CU_ASSERT_FATAL(new_clip(body, b));
	CU_ASSERT_FATAL(new_clip(body, gone));
	snprintf(path, sizeof(path), "/api/v1/clips/%s", gone);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(total_of("/api/v1/clips?tags=doomed&standalone=true"),
			0);

	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);

	/* the live clips stay, now standalone */
	snprintf(path, sizeof(path), "/api/v1/clips/%s", a);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(json_is_null(
	    json_object_get(json_object_get(r.json, "data"), "episode_id")));
	th_resp_free(&r);
	CU_ASSERT_EQUAL(total_of("/api/v1/clips?tags=doomed&standalone=true"),
			2);
	CU_ASSERT_EQUAL(total_of("/api/v1/clips?tags=doomed"), 2);
	/* each change audited on the clip, naming the episode it left */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'clip' "
		 "AND action = 'update' AND field_name = 'episode_id' AND "
		 "old_value = '%s' AND entity_id IN ('%s', '%s')",
		 ep, a, b);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	/* an already deleted clip is left as it was */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM clips WHERE clip_id = '%s' AND "
		 "episode_id = '%s'",
		 gone, ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* a deleted episode cannot be assigned, nor filtered to */
	snprintf(path, sizeof(path), "/api/v1/clips/%s/assign-episode", a);
	snprintf(body, sizeof(body), "{\"episode_id\":\"%s\"}", ep);
	CU_ASSERT_EQUAL(status_of("POST", path, body), 422);
	snprintf(path, sizeof(path), "/api/v1/clips?episode_id=%s", ep);
	CU_ASSERT_EQUAL(total_of(path), 0);
}

/* ---- bad input -------------------------------------------------------- */

static void test_bad_inputs_change_nothing(void)
{
	char id[64], deleted_ep[64], body[300];
	CU_ASSERT_FATAL(new_clip("\"talent_source\":\"Lala\"", id));
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Gone\",\"episode_number\":"
		 "77}",
		 show2);
	CU_ASSERT_FATAL(
	    create("/api/v1/episodes", body, "episode_id", deleted_ep));
	char item[200], assign[200], unassign[200], to_deleted[200];
	snprintf(item, sizeof(item), "/api/v1/episodes/%s", deleted_ep);
	CU_ASSERT_EQUAL(status_of("DELETE", item, NULL), 200);
	snprintf(item, sizeof(item), "/api/v1/clips/%s", id);
	snprintf(assign, sizeof(assign), "/api/v1/clips/%s/assign-episode", id);
	snprintf(unassign, sizeof(unassign),
		 "/api/v1/clips/%s/unassign-episode", id);
	snprintf(to_deleted, sizeof(to_deleted), "{\"episode_id\":\"%s\"}",
		 deleted_ep);

	struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"PATCH", item, to_deleted, 422, "episode_id"},
	    {"POST", assign, "{\"episode_id\":\"" NO_ID "\"}", 422,
	     "episode_id"},
	    {"POST", assign, to_deleted, 422, "episode_id"},
	    {"POST", assign, "{\"episode_id\":\"x\"}", 400, "episode_id"},
	    {"POST", assign, "{\"episode_id\":null}", 400, "episode_id"},
	    {"POST", assign, "{}", 400, "episode_id"},
	    {"POST", assign, NULL, 400, ""},
	    {"POST", assign, "{\"episode_id\":\"" NO_ID "\",\"x\":1}", 400,
	     "x"},
	    {"POST", "/api/v1/clips/" NO_ID "/assign-episode",
	     "{\"episode_id\":\"" NO_ID "\"}", 422, "episode_id"},
	    {"POST", "/api/v1/clips/nope/unassign-episode", NULL, 400,
	     "clipId"},
	    {"POST", "/api/v1/clips/" NO_ID "/unassign-episode", NULL, 404,
	     "clipId"},
	    {"POST", unassign, "{\"episode_id\":null}", 400, ""},
	    {"GET", assign, NULL, 405, ""},
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

/* ---- the plugin disabled ---------------------------------------------- */

static void test_disabled(void)
{
	char id[64], ep[64], body[300];
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"Kept\",\"episode_number\":"
		 "55}",
		 show1);
	CU_ASSERT_FATAL(create("/api/v1/episodes", body, "episode_id", ep));
	snprintf(body, sizeof(body),
		 "\"talent_source\":\"Lala\",\"episode_id\":\"%s\"", ep);
	CU_ASSERT_FATAL(new_clip(body, id));

	/* a second slated on the same database with clips turned off */
	th_server off;
	CU_ASSERT_FATAL(
	    th_start_beside(&off, &srv, "{\"clips\": {\"enabled\": false}}") ==
	    0);
	long clips = th_sql_long(&srv, "SELECT count(*) FROM clips");
	char path[200];
	const char *gone[][2] = {
	    {"GET", "/api/v1/clips"},
	    {"POST", "/api/v1/clips"},
	    {"GET", "/api/v1/search/clips?q=x"},
	    {"GET", path},
	    {"POST", "/api/v1/clips/" NO_ID "/assign-episode"},
	    {"POST", "/api/v1/clips/" NO_ID "/unassign-episode"},
	};
	snprintf(path, sizeof(path), "/api/v1/clips/%s", id);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		th_resp r;
		CU_ASSERT_FATAL(th_req(&off, gone[i][0], gone[i][1],
				       strcmp(gone[i][0], "POST") ? NULL : "{}",
				       NULL, &r) == 0);
		if (r.status != 404)
			fprintf(stderr, "disabled %s %s: %ld\n", gone[i][0],
				gone[i][1], r.status);
		CU_ASSERT_EQUAL(r.status, 404);
		th_resp_free(&r);
	}
	/* everything else works, and deleting an episode leaves the clips
	 * table alone: nothing there is loaded to act on it */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&off, "GET", "/api/v1/episodes?limit=1", NULL,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_FATAL(th_req(&off, "DELETE", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	th_stop(&off);
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM clips WHERE clip_id = '%s' AND "
		 "episode_id = '%s' AND deleted_at IS NULL",
		 id, ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips"), clips);
	/* the first server, with clips on, still serves it */
	snprintf(path, sizeof(path), "/api/v1/clips/%s", id);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 200);
}

int main(void)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"CRUD, defaults, audit, soft delete", test_crud},
	    {"filters, sort, bad filters", test_filters},
	    {"assign and unassign an episode", test_assign_unassign},
	    {"full-text search", test_search},
	    {"deleting an episode keeps its clips standalone",
	     test_episode_delete_keeps_clips},
	    {"bad inputs change nothing", test_bad_inputs_change_nothing},
	    {"disabled: routes 404, table untouched", test_disabled},
	    {NULL, NULL},
	};
	return th_main("clips", suite_init, suite_clean, tests);
}
