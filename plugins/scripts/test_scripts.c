/*
 * test_scripts.c - the scripts plugin over real HTTP against a real slated on
 * a throwaway cluster: numbering (also under 20 concurrent POSTs), the one
 * active version and what activation does to the episode, deletes, search,
 * the cascade when the episode is deleted, bad input that must change
 * nothing, and the plugin disabled.
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"
#define N_CONCURRENT 20

static th_server srv;
static char show_id[64], other_show[64];
static int next_episode = 1;

/* POST and copy the new id into out (size 64); false on failure. */
#define create(p, b, k, out) th_create(&srv, (p), (b), (k), (out))

/* the harness's, against this file's server */
#define status_of(m, p, b) th_status(&srv, (m), (p), (b))

static bool new_episode(const char *show, char *out)
{
	char body[300];
	int n = next_episode++;
	snprintf(body, sizeof(body),
		 "{\"show_id\":\"%s\",\"title\":\"E%d\",\"episode_number\":%d}",
		 show, n, n);
	return create("/api/v1/episodes", body, "episode_id", out);
}

/* POST a version; its number, or -1. */
static long new_version(const char *episode, const char *body)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions",
		 episode);
	th_resp r;
	if (th_req(&srv, "POST", path, body, NULL, &r))
		return -1;
	long n = r.status == 201
		     ? (long)json_integer_value(json_object_get(
			   json_object_get(r.json, "data"), "version_number"))
		     : -1;
	if (n < 0)
		fprintf(stderr, "POST %s: %ld %s\n", path, r.status, r.body);
	th_resp_free(&r);
	return n;
}

static void version_path(char *buf, size_t len, const char *episode, long n,
			 const char *suffix)
{
	snprintf(buf, len, "/api/v1/episodes/%s/script-versions/%ld%s", episode,
		 n, suffix ? suffix : "");
}

/* The episode's script_text, copied into buf; false if unreadable. */
static bool episode_script(const char *episode, char *buf, size_t len)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script", episode);
	th_resp r;
	buf[0] = '\0';
	if (th_req(&srv, "GET", path, NULL, NULL, &r))
		return false;
	const char *t = th_data_str(&r, "script_text");
	snprintf(buf, len, "%s", t ? t : "(null)");
	th_resp_free(&r);
	return true;
}

static long active_count(const char *episode)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM script_versions WHERE episode_id = '%s' "
		 "AND is_active",
		 episode);
	return th_sql_long(&srv, sql);
}

/* Everything a scripts request could change. */
static long fingerprint(void)
{
	long core = th_fingerprint(&srv);
	long rows = th_sql_long(
	    &srv, "SELECT count(*) * 1000003 + coalesce(sum(hashtext("
		  "v::text)), 0) FROM script_versions v");
	return core == -1 || rows == -1 ? -1 : core * 31 + rows;
}

static int suite_init(void)
{
	if (th_start(&srv, "{\"plugins\": {\"scripts\": {\"enabled\": true}}}"))
		return -1;
	return create("/api/v1/shows", "{\"name\":\"Script Show\"}", "show_id",
		      show_id) &&
		       create("/api/v1/shows",
			      "{\"name\":\"Other Script Show\"}", "show_id",
			      other_show)
		   ? 0
		   : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* ---- create, get, list ------------------------------------------------ */

static void test_create_get_list(void)
{
	char ep[64], path[300];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	th_resp r;
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions", ep);
	CU_ASSERT_FATAL(th_req(&srv, "POST", path,
			       "{\"script_text\":\"INT. STUDIO - DAY\","
			       "\"author_name\":\"Lala\",\"change_notes\":"
			       "\"first draft\"}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	json_t *d = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(d, "version_number")), 1);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "episode_id") ?: "", ep);
	/* the seed's defaults */
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "source") ?: "",
			       "manual_upload");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status") ?: "",
			       "draft");
	CU_ASSERT(json_is_false(json_object_get(d, "is_active")));
	CU_ASSERT(json_object_get(d, "deleted_at") == NULL);
	char id1[64];
	snprintf(id1, sizeof(id1), "%s", th_data_str(&r, "script_version_id"));
	th_resp_free(&r);
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'script_version' AND entity_id = '%s' AND action = 'create'",
		 id1);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);

	CU_ASSERT_EQUAL(new_version(ep, "{\"script_file_reference\":"
					"\"scripts/e/version_2.pdf\","
					"\"source\":\"import\","
					"\"approval_status\":\"approved\"}"),
			2);
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"v3\"}"), 3);

	version_path(path, sizeof(path), ep, 2, NULL);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "script_file_reference") ?: "",
			       "scripts/e/version_2.pdf");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "source") ?: "", "import");
	th_resp_free(&r);

	/* newest first, paged */
	snprintf(path, sizeof(path),
		 "/api/v1/episodes/%s/script-versions?limit=2", ep);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(data, 0), "version_number")),
			3);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "limit")), 2);
	th_resp_free(&r);
	snprintf(path, sizeof(path),
		 "/api/v1/episodes/%s/script-versions?offset=2", ep);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	data = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(data), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_array_get(data, 0), "version_number")),
			1);
	th_resp_free(&r);

	/* each episode counts from 1 */
	char ep_b[64];
	CU_ASSERT_FATAL(new_episode(show_id, ep_b));
	CU_ASSERT_EQUAL(new_version(ep_b, "{\"script_text\":\"other\"}"), 1);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions",
		 ep_b);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	th_resp_free(&r);
}

/* ---- activation ------------------------------------------------------- */

static void test_activate(void)
{
	char ep[64], path[300], text[200], sql[600];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"alpha\","
					"\"script_file_reference\":\"a.pdf\"}"),
			1);
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"bravo\"}"), 2);
	CU_ASSERT_EQUAL(active_count(ep), 0);

	th_resp r;
	version_path(path, sizeof(path), ep, 1, "/activate");
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(json_is_true(
	    json_object_get(json_object_get(r.json, "data"), "is_active")));
	char id1[64];
	snprintf(id1, sizeof(id1), "%s",
		 th_data_str(&r, "script_version_id") ?: "");
	th_resp_free(&r);
	CU_ASSERT(episode_script(ep, text, sizeof(text)));
	CU_ASSERT_STRING_EQUAL(text, "alpha");

	/* activating 2 deactivates 1 and replaces the episode's script,
	 * file reference included (2 has none) */
	version_path(path, sizeof(path), ep, 2, "/activate");
	CU_ASSERT_FATAL(th_req(&srv, "PATCH", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	char id2[64];
	snprintf(id2, sizeof(id2), "%s",
		 th_data_str(&r, "script_version_id") ?: "");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(active_count(ep), 1);
	CU_ASSERT(episode_script(ep, text, sizeof(text)));
	CU_ASSERT_STRING_EQUAL(text, "bravo");
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT(json_is_null(json_object_get(json_object_get(r.json, "data"),
					       "script_file_reference")));
	th_resp_free(&r);
	version_path(path, sizeof(path), ep, 1, NULL);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT(json_is_false(
	    json_object_get(json_object_get(r.json, "data"), "is_active")));
	th_resp_free(&r);

	/* the history: activate on 2, is_active true -> false on 1, and the
	 * episode's own update rows */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'script_version' AND entity_id = '%s' AND action = "
		 "'activate' AND field_name = 'is_active'",
		 id2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'script_version' AND entity_id = '%s' AND action = 'update' "
		 "AND field_name = 'is_active' AND old_value = 'true' AND "
		 "new_value = 'false'",
		 id1);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = 'episode' "
		 "AND entity_id = '%s' AND action = 'update' AND field_name = "
		 "'script_text' AND new_value = 'bravo'",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);

	/* activating the active one again writes nothing new, but brings
	 * back a script edited on the episode since */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script", ep);
	CU_ASSERT_EQUAL(
	    status_of("PUT", path, "{\"script_text\":\"hand edit\"}"), 200);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'script_version' AND entity_id = '%s'",
		 id2);
	long before = th_sql_long(&srv, sql);
	version_path(path, sizeof(path), ep, 2, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), before);
	CU_ASSERT(episode_script(ep, text, sizeof(text)));
	CU_ASSERT_STRING_EQUAL(text, "bravo");

	/* created active in one request */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions", ep);
	CU_ASSERT_FATAL(th_req(&srv, "POST", path,
			       "{\"script_text\":\"charlie\",\"is_active\":"
			       "true}",
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT(json_is_true(
	    json_object_get(json_object_get(r.json, "data"), "is_active")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "data"), "version_number")),
			3);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(active_count(ep), 1);
	CU_ASSERT(episode_script(ep, text, sizeof(text)));
	CU_ASSERT_STRING_EQUAL(text, "charlie");
}

/* ---- delete ----------------------------------------------------------- */

static void test_delete(void)
{
	char ep[64], path[300];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	for (int i = 1; i <= 3; i++)
		CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"x\"}"), i);
	version_path(path, sizeof(path), ep, 1, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 200);

	th_resp r;
	version_path(path, sizeof(path), ep, 3, NULL);
	CU_ASSERT_FATAL(th_req(&srv, "DELETE", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(th_data_str(&r, "deleted_at") != NULL);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 404);
	version_path(path, sizeof(path), ep, 3, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 404);
	/* a number is never reused */
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"y\"}"), 4);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions", ep);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			3);
	th_resp_free(&r);

	/* the active version cannot go */
	version_path(path, sizeof(path), ep, 1, NULL);
	CU_ASSERT_FATAL(th_req(&srv, "DELETE", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 409);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "CONFLICT");
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "versionNumber");
	th_resp_free(&r);
	/* until another one is active */
	version_path(path, sizeof(path), ep, 2, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 200);
	version_path(path, sizeof(path), ep, 1, NULL);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
}

/* ---- concurrency ------------------------------------------------------ */

typedef struct job {
	const char *method;
	char path[300];
	const char *body;
	pthread_barrier_t *start;
	long status;
	long number;
} job;

static void *run_job(void *arg)
{
	job *j = arg;
	th_resp r;
	pthread_barrier_wait(j->start);
	j->status = -1;
	if (th_req(&srv, j->method, j->path, j->body, NULL, &r))
		return NULL;
	j->status = r.status;
	j->number = (long)json_integer_value(
	    json_object_get(json_object_get(r.json, "data"), "version_number"));
	if (r.status >= 300)
		fprintf(stderr, "%s %s: %ld %s\n", j->method, j->path, r.status,
			r.body);
	th_resp_free(&r);
	return NULL;
}

/* Run n jobs at once; false if a thread could not start. */
static bool run_all(job *jobs, int n)
{
	pthread_t t[N_CONCURRENT];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)n);
	int started = 0;
	for (int i = 0; i < n; i++) {
		jobs[i].start = &start;
		if (pthread_create(&t[i], NULL, run_job, &jobs[i]))
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	return started == n;
}

static void test_concurrent_numbering(void)
{
	char ep[64];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	job jobs[N_CONCURRENT];
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < N_CONCURRENT; i++) {
		jobs[i].method = "POST";
		snprintf(jobs[i].path, sizeof(jobs[i].path),
			 "/api/v1/episodes/%s/script-versions", ep);
		jobs[i].body = "{\"script_text\":\"same time\"}";
	}
	CU_ASSERT_FATAL(run_all(jobs, N_CONCURRENT));
	bool seen[N_CONCURRENT + 1] = {false};
	for (int i = 0; i < N_CONCURRENT; i++) {
		CU_ASSERT_EQUAL(jobs[i].status, 201);
		long n = jobs[i].number;
		CU_ASSERT(n >= 1 && n <= N_CONCURRENT);
		if (n >= 1 && n <= N_CONCURRENT) {
			CU_ASSERT(!seen[n]);
			seen[n] = true;
		}
	}
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(DISTINCT version_number) * 1000 + "
		 "max(version_number) FROM script_versions WHERE episode_id = "
		 "'%s'",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql),
			N_CONCURRENT * 1000 + N_CONCURRENT);
}

static void test_concurrent_activation(void)
{
	char ep[64];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	enum { N = 10 };
	for (int i = 1; i <= N; i++) {
		char body[100];
		snprintf(body, sizeof(body), "{\"script_text\":\"take %d\"}",
			 i);
		CU_ASSERT_EQUAL(new_version(ep, body), i);
	}
	job jobs[N];
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < N; i++) {
		jobs[i].method = "PATCH";
		version_path(jobs[i].path, sizeof(jobs[i].path), ep, i + 1,
			     "/activate");
	}
	CU_ASSERT_FATAL(run_all(jobs, N));
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(jobs[i].status, 200);
	/* exactly one active, and it is the episode's script */
	CU_ASSERT_EQUAL(active_count(ep), 1);
	char sql[400];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM script_versions v JOIN episodes e USING "
		 "(episode_id) WHERE v.episode_id = '%s' AND v.is_active AND "
		 "v.script_text = e.script_text",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
}

/* ---- search ----------------------------------------------------------- */

static void test_search(void)
{
	char ep1[64], ep2[64], ep3[64];
	CU_ASSERT_FATAL(new_episode(show_id, ep1));
	CU_ASSERT_FATAL(new_episode(show_id, ep2));
	CU_ASSERT_FATAL(new_episode(other_show, ep3));
	CU_ASSERT_EQUAL(new_version(ep1, "{\"script_text\":\"LALA enters the "
					 "penthouse wearing the emerald gown\","
					 "\"author_name\":\"Writers Room\"}"),
			1);
	CU_ASSERT_EQUAL(new_version(ep1,
				    "{\"script_text\":\"LALA enters the "
				    "penthouse. The emerald gown tears; "
				    "wardrobe emergency, emerald emerald\","
				    "\"change_notes\":\"adds the wardrobe "
				    "emergency\",\"approval_status\":"
				    "\"approved\"}"),
			2);
	CU_ASSERT_EQUAL(new_version(ep2, "{\"script_text\":\"Thrift store "
					 "montage, zebra print coat\","
					 "\"author_name\":\"Quinn Mercer\"}"),
			1);
	CU_ASSERT_EQUAL(new_version(ep3, "{\"script_text\":\"Another show "
					 "entirely with an emerald ring\"}"),
			1);
	/* a deleted version never shows */
	CU_ASSERT_EQUAL(new_version(ep2, "{\"script_text\":\"emerald zebra "
					 "thrift penthouse\"}"),
			2);
	char path[400];
	version_path(path, sizeof(path), ep2, 2, NULL);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);
	version_path(path, sizeof(path), ep1, 2, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 200);

	struct {
		const char *q;
		long first_number;
		const char *first_episode;
		long total;
	} cases[] = {
	    {"emerald", 2, ep1, 2},
	    {"%22wardrobe%20emergency%22", 2, ep1, 1},
	    {"zebra", 1, ep2, 1},
	    {"quinn", 1, ep2, 1}, /* author_name */
	    {"emerald%20-tears", 1, ep1, 1},
	    {"nothing%20at%20all", 0, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path),
			 "/api/v1/search/scripts?q=%s&show_id=%s", cases[i].q,
			 show_id);
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		if (total != cases[i].total)
			fprintf(stderr, "search %s: %ld hits: %s\n", cases[i].q,
				total, r.body);
		CU_ASSERT_EQUAL(total, cases[i].total);
		if (cases[i].first_episode) {
			json_t *hit =
			    json_array_get(json_object_get(r.json, "data"), 0);
			json_t *v = json_object_get(hit, "script_version");
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(
					    v, "version_number")),
					cases[i].first_number);
			CU_ASSERT_STRING_EQUAL(
			    json_string_value(json_object_get(v, "episode_id"))
				?: "",
			    cases[i].first_episode);
			const char *snip =
			    json_string_value(json_object_get(hit, "snippet"));
			CU_ASSERT(snip && strstr(snip, "<b>"));
		}
		th_resp_free(&r);
	}
	/* filters: show, season, approval, active, episode; paging */
	struct {
		const char *query;
		long total;
	} filters[] = {
	    {"q=emerald", 3},
	    {"q=emerald&approval_status=approved", 1},
	    {"q=emerald&is_active=true", 1},
	    {"q=emerald&is_active=false", 2},
	    {"q=emerald&season_number=1", 3},
	    {"q=emerald&season_number=2", 0},
	    {"q=emerald&limit=1&offset=2", 3},
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/search/scripts?%s",
			 filters[i].query);
		th_resp r;
		CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
		long total = json_integer_value(json_object_get(
		    json_object_get(r.json, "metadata"), "total"));
		if (total != filters[i].total)
			fprintf(stderr, "search %s: %ld\n", path, total);
		CU_ASSERT_EQUAL(total, filters[i].total);
		if (strstr(filters[i].query, "limit=1"))
			CU_ASSERT_EQUAL(
			    json_array_size(json_object_get(r.json, "data")),
			    1);
		th_resp_free(&r);
	}
	snprintf(path, sizeof(path),
		 "/api/v1/search/scripts?q=emerald&episode_id=%s", ep3);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			1);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_of("GET", "/api/v1/search/scripts", NULL), 400);
	CU_ASSERT_EQUAL(
	    status_of("GET", "/api/v1/search/scripts?q=x&approval_status=ok",
		      NULL),
	    400);
	CU_ASSERT_EQUAL(
	    status_of("GET", "/api/v1/search/scripts?q=x&zzz=1", NULL), 400);

	/* The GIN index matches the engine's document (entity_read.c): see
	 * the same check in test_clips.c. */
	CU_ASSERT_FATAL(th_sql(&srv, "SET enable_seqscan = off") == 0);
	PGresult *plan = PQexec(
	    srv.db,
	    "EXPLAIN SELECT t.script_version_id FROM script_versions t, "
	    "websearch_to_tsquery('english', 'emerald') q WHERE "
	    "to_tsvector('english', "
	    "coalesce(t.script_text,'') || ' ' || coalesce(t.author_name,"
	    "'') || ' ' || coalesce(t.change_notes,'')) @@ q");
	bool uses_index = false;
	for (int i = 0;
	     PQresultStatus(plan) == PGRES_TUPLES_OK && i < PQntuples(plan);
	     i++)
		uses_index |= strstr(PQgetvalue(plan, i, 0),
				     "idx_script_versions_fts") != NULL;
	PQclear(plan);
	CU_ASSERT(uses_index);
	CU_ASSERT(th_sql(&srv, "RESET enable_seqscan") == 0);
}

/* ---- episode deletion ------------------------------------------------- */

static void test_episode_delete_cascades(void)
{
	char ep[64], path[300], sql[300];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"xylophone one\"}"),
			1);
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"xylophone two\","
					"\"is_active\":true}"),
			2);
	CU_ASSERT_EQUAL(
	    status_of("GET", "/api/v1/search/scripts?q=xylophone", NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", ep);
	CU_ASSERT_EQUAL(status_of("DELETE", path, NULL), 200);

	snprintf(path, sizeof(path), "/api/v1/episodes/%s/script-versions", ep);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	CU_ASSERT_EQUAL(status_of("POST", path, "{\"script_text\":\"z\"}"),
			404);
	version_path(path, sizeof(path), ep, 1, NULL);
	CU_ASSERT_EQUAL(status_of("GET", path, NULL), 404);
	version_path(path, sizeof(path), ep, 1, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", path, NULL), 404);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET",
			       "/api/v1/search/scripts?q=xylophone", NULL, NULL,
			       &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 0);
	th_resp_free(&r);
	/* soft-deleted with it, each audited */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM script_versions WHERE episode_id = '%s' "
		 "AND deleted_at IS NOT NULL",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = "
		 "'script_version' AND action = 'delete' AND entity_id IN "
		 "(SELECT script_version_id FROM script_versions WHERE "
		 "episode_id = '%s')",
		 ep);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
}

/* ---- bad input -------------------------------------------------------- */

static void test_bad_inputs_change_nothing(void)
{
	char ep[64], gone[64];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	CU_ASSERT_FATAL(new_episode(show_id, gone));
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"one\"}"), 1);
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"two\"}"), 2);
	char col[200], v1[300], v1act[300], v9[300], v9act[300], gone_col[200],
	    item[200];
	version_path(v1act, sizeof(v1act), ep, 1, "/activate");
	CU_ASSERT_EQUAL(status_of("PATCH", v1act, NULL), 200);
	snprintf(item, sizeof(item), "/api/v1/episodes/%s", gone);
	CU_ASSERT_EQUAL(status_of("DELETE", item, NULL), 200);
	snprintf(col, sizeof(col), "/api/v1/episodes/%s/script-versions", ep);
	snprintf(gone_col, sizeof(gone_col),
		 "/api/v1/episodes/%s/script-versions", gone);
	version_path(v1, sizeof(v1), ep, 1, NULL);
	version_path(v9, sizeof(v9), ep, 9, NULL);
	version_path(v9act, sizeof(v9act), ep, 9, "/activate");
	char big[300];
	snprintf(big, sizeof(big), "%s/99999999999", col);
	char zero[300], alpha[300], neg[300], lead[300];
	snprintf(zero, sizeof(zero), "%s/0", col);
	snprintf(alpha, sizeof(alpha), "%s/two", col);
	snprintf(neg, sizeof(neg), "%s/-1", col);
	snprintf(lead, sizeof(lead), "%s/+1", col);
	char q1[300], q2[300], q3[300];
	snprintf(q1, sizeof(q1), "%s?limit=0", col);
	snprintf(q2, sizeof(q2), "%s?offset=x", col);
	snprintf(q3, sizeof(q3), "%s?sort=version_number", col);

	struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"POST", col, "{}", 400, "script_text"},
	    {"POST", col, "{\"author_name\":\"a\"}", 400, "script_text"},
	    {"POST", col, "{\"script_text\":null}", 400, "script_text"},
	    {"POST", col, "{\"script_text\":5}", 400, "script_text"},
	    {"POST", col, "{\"script_text\":\"t\",\"source\":\"fax\"}", 400,
	     "source"},
	    {"POST", col, "{\"script_text\":\"t\",\"source\":null}", 400,
	     "source"},
	    {"POST", col,
	     "{\"script_text\":\"t\",\"approval_status\":\"maybe\"}", 400,
	     "approval_status"},
	    {"POST", col, "{\"script_text\":\"t\",\"version_number\":7}", 400,
	     "version_number"},
	    {"POST", col,
	     "{\"script_text\":\"t\",\"episode_id\":\"" NO_ID "\"}", 400,
	     "episode_id"},
	    {"POST", col,
	     "{\"script_text\":\"t\",\"script_version_id\":\"" NO_ID "\"}", 400,
	     "script_version_id"},
	    {"POST", col, "{\"script_text\":\"t\",\"is_active\":\"yes\"}", 400,
	     "is_active"},
	    {"POST", col, "{\"script_text\":\"t\",\"author_user_id\":\"bob\"}",
	     400, "author_user_id"},
	    {"POST", col, "{\"script_text\":\"t\",\"title\":\"x\"}", 400,
	     "title"},
	    {"POST", col, "[\"script_text\"]", 400, ""},
	    {"POST", col, "{\"script_text\":", 400, ""},
	    {"POST", col, NULL, 400, ""},
	    {"POST", "/api/v1/episodes/" NO_ID "/script-versions",
	     "{\"script_text\":\"t\"}", 404, "episodeId"},
	    {"POST", gone_col, "{\"script_text\":\"t\"}", 404, "episodeId"},
	    {"POST", "/api/v1/episodes/zz/script-versions",
	     "{\"script_text\":\"t\"}", 400, "episodeId"},
	    {"GET", gone_col, NULL, 404, "episodeId"},
	    {"GET", q1, NULL, 400, "limit"},
	    {"GET", q2, NULL, 400, "offset"},
	    {"GET", q3, NULL, 400, "sort"},
	    {"GET", v9, NULL, 404, "versionNumber"},
	    {"GET", zero, NULL, 400, "versionNumber"},
	    {"GET", alpha, NULL, 400, "versionNumber"},
	    {"GET", neg, NULL, 400, "versionNumber"},
	    {"GET", lead, NULL, 400, "versionNumber"},
	    {"GET", big, NULL, 400, "versionNumber"},
	    {"PATCH", v9act, NULL, 404, "versionNumber"},
	    {"PATCH", v1act, "{\"x\":1}", 400, ""},
	    {"PATCH", "/api/v1/episodes/" NO_ID "/script-versions/1/activate",
	     NULL, 404, "episodeId"},
	    {"DELETE", v9, NULL, 404, "versionNumber"},
	    {"DELETE", v1, NULL, 409, "versionNumber"},
	    {"DELETE", zero, NULL, 400, "versionNumber"},
	    {"PUT", v1, "{}", 405, ""},
	};
	long before = fingerprint();
	CU_ASSERT_FATAL(before != -1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT(th_expect_error(&srv, cases[i].method, cases[i].path,
					  cases[i].body, cases[i].status, NULL,
					  cases[i].field));
	/* enums name their values */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", col,
			       "{\"script_text\":\"t\",\"source\":\"fax\"}",
			       NULL, &r) == 0);
	const char *msg = json_string_value(json_object_get(
	    json_array_get(json_object_get(r.json, "errors"), 0), "message"));
	CU_ASSERT(msg && strstr(msg, "manual_upload, editor, import"));
	th_resp_free(&r);
	CU_ASSERT_EQUAL(fingerprint(), before);
	CU_ASSERT(th_alive(&srv));
}

/* ---- the plugin disabled ---------------------------------------------- */

static void test_disabled(void)
{
	char ep[64], cfg[700], path[300];
	CU_ASSERT_FATAL(new_episode(show_id, ep));
	CU_ASSERT_EQUAL(new_version(ep, "{\"script_text\":\"kept\","
					"\"is_active\":true}"),
			1);
	long rows = th_sql_long(&srv, "SELECT count(*) FROM script_versions");
	snprintf(cfg, sizeof(cfg),
		 "{\"database_url\": \"host=%s dbname=slate user=slate\", "
		 "\"plugins\": {\"scripts\": {\"enabled\": false}}}",
		 th_cluster_dir(&srv));
	th_server off;
	CU_ASSERT_FATAL(th_start(&off, cfg) == 0);
	struct {
		const char *method, *suffix;
		long status;
	} cases[] = {
	    {"GET", "/script-versions", 404},
	    {"POST", "/script-versions", 404},
	    {"GET", "/script-versions/1", 404},
	    {"PATCH", "/script-versions/1/activate", 404},
	    {"DELETE", "/script-versions/1", 404},
	    {"GET", "/script", 200}, /* the core's view stays */
	    {"GET", "", 200},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/episodes/%s%s", ep,
			 cases[i].suffix);
		th_resp r;
		CU_ASSERT_FATAL(
		    th_req(&off, cases[i].method, path,
			   strcmp(cases[i].method, "POST") ? NULL : "{}", NULL,
			   &r) == 0);
		if (r.status != cases[i].status)
			fprintf(stderr, "disabled %s %s: %ld\n",
				cases[i].method, path, r.status);
		CU_ASSERT_EQUAL(r.status, cases[i].status);
		th_resp_free(&r);
	}
	th_resp r;
	CU_ASSERT_FATAL(th_req(&off, "GET", "/api/v1/search/scripts?q=kept",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(&off, "GET", "/api/v1/search/episodes?q=kept",
			       NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	th_stop(&off);
	CU_ASSERT_EQUAL(
	    th_sql_long(&srv, "SELECT count(*) FROM script_versions"), rows);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("scripts", suite_init, suite_clean);
	CU_add_test(s, "create, get, list, numbering", test_create_get_list);
	CU_add_test(s, "activation and the episode's script", test_activate);
	CU_add_test(s, "delete; numbers never reused; active kept",
		    test_delete);
	CU_add_test(s, "20 concurrent POSTs: 20 distinct numbers",
		    test_concurrent_numbering);
	CU_add_test(s, "concurrent activations: exactly one active",
		    test_concurrent_activation);
	CU_add_test(s, "full-text search", test_search);
	CU_add_test(s, "deleting the episode hides its versions",
		    test_episode_delete_cascades);
	CU_add_test(s, "bad inputs change nothing",
		    test_bad_inputs_change_nothing);
	CU_add_test(s, "disabled: routes 404, table untouched", test_disabled);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
