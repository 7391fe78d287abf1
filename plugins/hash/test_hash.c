/*
 * test_hash.c - the hash processor and the duplicate reports, end to end:
 * files uploaded as a client does to a real slated with real worker
 * processes; digests checked against `openssl dgst -sha256` run on the
 * same files; duplicates across entity types and soft deletes; a job run
 * twice, with an upload whose recorded SHA-256 is wrong; and a worker
 * killed with SIGKILL in the middle of hashing a large file.
 */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"

/* The kill test's file is read at most this fast (plugin config), so its
 * job runs for seconds: long enough to be caught running. */
#define BIG_MB 320
#define READ_MB_S 64
#define STR_(x) #x
#define STR(x) STR_(x)

static th_server srv;
static char tmp[64];
static char show_id[64], episode_id[64];

static int setup(void)
{
	const char *titles[] = {"E1", NULL};
	if (th_tmpdir(tmp, "hash"))
		return -1;
	return th_start_show(
	    &srv,
	    "{\"plugins\": {\"clips\": {\"enabled\": true}, "
	    "\"components\": {\"enabled\": true}, \"hash\": "
	    "{\"enabled\": true, \"config\": {\"max_read_mb_s\": " STR(
		READ_MB_S) "}}}, \"jobs\": {\"workers\": 1, "
			   "\"max_attempts\": 3, \"backoff_base_ms\": 100, "
			   "\"backoff_max_ms\": 400, \"poll_ms\": 200}}",
	    "Hash Show", show_id, titles, &episode_id);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return th_rmdir(tmp);
}

static int suite_init(void)
{
	return th_init_or_clean(setup, suite_clean);
}

/* ---- helpers ------------------------------------------------------------ */

static bool new_clip(char *out)
{
	return th_create(&srv, "/api/v1/clips",
			 "{\"talent_source\":\"Lala\",\"file_reference\":"
			 "\"raw/pending\"}",
			 "clip_id", out);
}

static bool new_component(char *out)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/components",
		 episode_id);
	return th_create(&srv, path,
			 "{\"component_type\":\"audio\",\"file_reference\":"
			 "\"audio/pending\"}",
			 "component_id", out);
}

/* A file of `kb` random KiB at tmp/name; its path into out (256). */
static bool random_file(const char *name, int kb, char *out)
{
	snprintf(out, 256, "%s/%s", tmp, name);
	char cmd[400];
	snprintf(cmd, sizeof(cmd),
		 "head -c %dK /dev/urandom > '%s' 2>/dev/null", kb, out);
	return system(cmd) == 0;
}

/* `openssl dgst -sha256 path`, the reference digest, into hex[65]. */
static bool openssl_sha256(const char *path, char hex[65])
{
	char out[512];
	char *argv[] = {"/usr/bin/openssl", "dgst", "-sha256", "-r",
			(char *)path,	    NULL};
	if (th_run(argv, out, sizeof(out)) != 0 || strlen(out) < 64)
		return false;
	memcpy(hex, out, 64); /* "-r": "<hex> *<path>" */
	hex[64] = '\0';
	return strspn(hex, "0123456789abcdef") == 64;
}

static long upload(const char *type, const char *id, const char *kind,
		   const char *path, const char *ctype)
{
	return th_upload_file(&srv, type, id, kind, path, ctype, NULL);
}

/* A column of the entity's file_hashes row ("" when none). */
static void hash_row(const char *id, const char *col, char *out, size_t len)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM file_hashes WHERE entity_id = '%s'", col, id);
	if (th_sql_text(&srv, sql, out, len))
		out[0] = '\0';
}

/* GET path (admin) as a new reference to the whole answer, or NULL. */
static json_t *get_json(const char *path, long want)
{
	th_resp r;
	if (th_req(&srv, "GET", path, NULL, NULL, &r))
		return NULL;
	json_t *j = r.status == want ? json_incref(r.json) : NULL;
	if (!j)
		fprintf(stderr, "GET %s: %ld %s\n", path, r.status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return j;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The group of `sha` in GET /api/v1/files/duplicates (borrowed from
 * `answer`), or NULL. */
static json_t *group_of(json_t *answer, const char *sha)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(answer, "data"), i, g)
	{
		if (!strcmp(jstr(g, "sha256") ?: "", sha))
			return g;
	}
	return NULL;
}

/* Whether an array of {entity_id...} objects holds `id`. */
static bool lists(const json_t *arr, const char *id)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (!strcmp(jstr(e, "entity_id") ?: "", id))
			return true;
	}
	return false;
}

static long total_of(const json_t *answer)
{
	return (long)json_integer_value(
	    json_object_get(json_object_get(answer, "metadata"), "total"));
}

/* ---- tests --------------------------------------------------------------- */

static char clip1[64], clip2[64], clip3[64], comp[64];
static char same_sha[65], other_sha[65];

static void test_hash_and_duplicates(void)
{
	char same[256], other[256], pair[256];
	CU_ASSERT_FATAL(random_file("same.bin", 200, same));
	CU_ASSERT_FATAL(random_file("other.bin", 150, other));
	CU_ASSERT_FATAL(random_file("pair.bin", 100, pair));
	CU_ASSERT_FATAL(openssl_sha256(same, same_sha));
	CU_ASSERT_FATAL(openssl_sha256(other, other_sha));
	char c4[64], c5[64];
	CU_ASSERT_FATAL(new_clip(clip1) && new_clip(clip2) && new_clip(clip3) &&
			new_clip(c4) && new_clip(c5));
	CU_ASSERT_FATAL(new_component(comp));
	/* the same bytes in two clips and, as audio, in a component */
	CU_ASSERT_EQUAL(upload("clip", clip1, "raw_clip", same, "video/mp4"),
			200);
	CU_ASSERT_EQUAL(upload("clip", clip2, "raw_clip", same, "video/mp4"),
			200);
	CU_ASSERT_EQUAL(upload("component", comp, "audio", same, "audio/mpeg"),
			200);
	CU_ASSERT_EQUAL(upload("clip", clip3, "raw_clip", other, "video/mp4"),
			200);
	/* a second pair, for paging */
	CU_ASSERT_EQUAL(upload("clip", c4, "raw_clip", pair, "video/mp4"), 200);
	CU_ASSERT_EQUAL(upload("clip", c5, "raw_clip", pair, "video/mp4"), 200);
	CU_ASSERT_FATAL(th_wait_jobs(&srv, NULL, 60000));
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobs WHERE "
					  "kind = 'hash' AND status = "
					  "'succeeded'"),
			6);

	/* our digest is openssl's, in the table and on the clip */
	char got[80];
	hash_row(clip1, "sha256", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, same_sha);
	hash_row(clip3, "sha256", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, other_sha);
	hash_row(clip1, "size_bytes", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "204800");
	hash_row(comp, "field", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "file_reference");
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip3);
	json_t *c = get_json(path, 200);
	CU_ASSERT_STRING_EQUAL(
	    jstr(json_object_get(c, "data"), "file_hash") ?: "", other_sha);
	json_decref(c);
	/* the write is audited under the processor's name */
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'hash' AND user_email = 'hash' AND new_value = '%s' "
		 "AND field_name = 'file_reference'",
		 clip1, same_sha);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);

	/* the groups: `same` in three entities of two types, the pair; not
	 * the clip with other bytes */
	json_t *d = get_json("/api/v1/files/duplicates", 200);
	CU_ASSERT_FATAL(d != NULL);
	CU_ASSERT_EQUAL(total_of(d), 2);
	json_t *g = group_of(d, same_sha);
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "count")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "size_bytes")),
			204800);
	json_t *ents = json_object_get(g, "entities");
	CU_ASSERT(lists(ents, clip1) && lists(ents, clip2) &&
		  lists(ents, comp));
	CU_ASSERT(!lists(ents, clip3));
	CU_ASSERT_PTR_NULL(group_of(d, other_sha));
	/* largest first */
	CU_ASSERT_STRING_EQUAL(
	    jstr(json_array_get(json_object_get(d, "data"), 0), "sha256") ?: "",
	    same_sha);
	json_decref(d);
	d = get_json("/api/v1/files/duplicates?limit=1&offset=1", 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "data")), 1);
	CU_ASSERT_EQUAL(total_of(d), 2);
	CU_ASSERT(group_of(d, same_sha) == NULL);
	json_decref(d);

	/* per entity: the others with its content */
	snprintf(path, sizeof(path), "/api/v1/files/duplicates/clip/%s", clip1);
	d = get_json(path, 200);
	CU_ASSERT_EQUAL(total_of(d), 2);
	CU_ASSERT(lists(json_object_get(d, "data"), clip2));
	CU_ASSERT(lists(json_object_get(d, "data"), comp));
	CU_ASSERT(!lists(json_object_get(d, "data"), clip1));
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/files/duplicates/component/%s",
		 comp);
	d = get_json(path, 200);
	CU_ASSERT_EQUAL(total_of(d), 2);
	CU_ASSERT(lists(json_object_get(d, "data"), clip1));
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/files/duplicates/clip/%s", clip3);
	d = get_json(path, 200);
	CU_ASSERT_EQUAL(total_of(d), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(d, "data")), 0);
	json_decref(d);

	/* readers may read; nobody without a token */
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&srv, srv.tok_viewer, "GET",
				  "/api/v1/files/duplicates", NULL, NULL,
				  &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req_as(&srv, NULL, "GET", path, NULL, NULL, &r) ==
			0);
	CU_ASSERT_EQUAL(r.status, 401);
	th_resp_free(&r);
}

static void test_bad_requests(void)
{
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates/clip/" NO_ID, NULL,
				  404, "NOT_FOUND", "entityId"));
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates/nosuch/" NO_ID,
				  NULL, 404, "NOT_FOUND", "entityType"));
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates/clip/not-a-uuid",
				  NULL, 400, "VALIDATION_ERROR", "entityId"));
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates?limit=0", NULL, 400,
				  "VALIDATION_ERROR", "limit"));
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates?offset=-1", NULL,
				  400, "VALIDATION_ERROR", "offset"));
	CU_ASSERT(th_expect_error(&srv, "GET",
				  "/api/v1/files/duplicates?bogus=1", NULL, 400,
				  "", "bogus"));
}

/* The same job again, with the upload's recorded digest wrong and the
 * clip's file_hash meanwhile overwritten: the computed digest wins, one
 * row stays, nothing new is audited for the unchanged content. */
static void test_idempotent_and_mismatch(void)
{
	char path[200], sql[700];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip1);
	CU_ASSERT_EQUAL(
	    th_status(&srv, "PATCH", path, "{\"file_hash\": \"deadbeef\"}"),
	    200);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO jobs (kind, payload, entity_type, entity_id) "
		 "SELECT kind, jsonb_set(payload, '{sha256}', to_jsonb(repeat("
		 "'0', 64))), entity_type, entity_id FROM jobs WHERE kind = "
		 "'hash' AND entity_id = '%s' LIMIT 1 RETURNING job_id",
		 clip1);
	char job[64];
	CU_ASSERT_FATAL(th_sql_text(&srv, sql, job, sizeof(job)) == 0);
	th_sql(&srv, "NOTIFY slate_jobs");
	CU_ASSERT_FATAL(th_wait_jobs(&srv, clip1, 30000));
	snprintf(sql, sizeof(sql),
		 "SELECT status FROM jobs WHERE job_id = '%s'", job);
	char st[32];
	CU_ASSERT(th_sql_text(&srv, sql, st, sizeof(st)) == 0 &&
		  !strcmp(st, "succeeded"));

	json_t *c = get_json(path, 200);
	CU_ASSERT_STRING_EQUAL(
	    jstr(json_object_get(c, "data"), "file_hash") ?: "", same_sha);
	json_decref(c);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM file_hashes WHERE entity_id = '%s'",
		 clip1);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'hash'",
		 clip1);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* the mismatch was logged */
	char cmd[400], out[64];
	snprintf(cmd, sizeof(cmd),
		 "grep -c 'upload recorded sha256 0000000000' '%s'",
		 srv.log_path);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	CU_ASSERT(th_run(argv, out, sizeof(out)) == 0 && atoi(out) >= 1);
}

/* Soft-deleted entities drop out of every report, whichever way they were
 * deleted. */
static void test_deleted_do_not_count(void)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip2);
	CU_ASSERT_EQUAL(th_status(&srv, "DELETE", path, NULL), 200);
	json_t *d = get_json("/api/v1/files/duplicates", 200);
	json_t *g = group_of(d, same_sha);
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "count")), 2);
	CU_ASSERT(!lists(json_object_get(g, "entities"), clip2));
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/files/duplicates/clip/%s", clip2);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityId"));
	/* the component goes with its episode (a cascade) */
	snprintf(path, sizeof(path), "/api/v1/episodes/%s", episode_id);
	CU_ASSERT_EQUAL(th_status(&srv, "DELETE", path, NULL), 200);
	d = get_json("/api/v1/files/duplicates", 200);
	CU_ASSERT_PTR_NULL(group_of(d, same_sha));
	CU_ASSERT_EQUAL(total_of(d), 1);
	json_decref(d);
	snprintf(path, sizeof(path), "/api/v1/files/duplicates/clip/%s", clip1);
	d = get_json(path, 200);
	CU_ASSERT_EQUAL(total_of(d), 0);
	json_decref(d);
}

/* GET /api/v1/jobs/:id's data as a new reference, or NULL. */
static json_t *get_job(const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	json_t *j = get_json(path, 200);
	json_t *d = json_incref(json_object_get(j, "data"));
	json_decref(j);
	return d;
}

static void test_kill9_mid_hash(void)
{
	char big[256], sha[65], clip[64];
	snprintf(big, sizeof(big), "%s/big.bin", tmp);
	char cmd[400];
	snprintf(cmd, sizeof(cmd),
		 "head -c %dM /dev/urandom > '%s' 2>/dev/null", BIG_MB, big);
	CU_ASSERT_FATAL(system(cmd) == 0);
	CU_ASSERT_FATAL(openssl_sha256(big, sha));
	CU_ASSERT_FATAL(new_clip(clip));
	CU_ASSERT_FATAL(upload("clip", clip, "raw_clip", big, "video/mp4") ==
			200);
	char sql[200], job[64];
	snprintf(sql, sizeof(sql),
		 "SELECT job_id FROM jobs WHERE kind = 'hash' AND entity_id = "
		 "'%s'",
		 clip);
	CU_ASSERT_FATAL(th_sql_text(&srv, sql, job, sizeof(job)) == 0);

	/* the worker's pid from locked_by ("host:pid") once it runs */
	pid_t pid = 0;
	for (int i = 0; i < 400 && pid <= 0; i++) {
		json_t *j = get_job(job);
		const char *lb = jstr(j, "locked_by");
		const char *colon = lb ? strrchr(lb, ':') : NULL;
		if (colon && !strcmp(jstr(j, "status") ?: "", "running"))
			pid = (pid_t)atoi(colon + 1);
		json_decref(j);
		if (pid <= 0)
			usleep(50000);
	}
	CU_ASSERT_FATAL(pid > 0 && pid != srv.pid);
	/* into the file (at READ_MB_S it takes BIG_MB / READ_MB_S s) */
	usleep(1000 * 1000);
	json_t *j = get_job(job);
	CU_ASSERT_STRING_EQUAL(jstr(j, "status") ?: "", "running");
	json_decref(j);
	CU_ASSERT_FATAL(kill(pid, SIGKILL) == 0);

	/* the API keeps serving while the worker is replaced */
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(th_status(&srv, "GET", "/health", NULL), 200);
		usleep(100000);
	}
	for (int i = 0; i < 600; i++) {
		j = get_job(job);
		const char *st = jstr(j, "status") ?: "";
		if (!strcmp(st, "succeeded") || !strcmp(st, "dead"))
			break;
		json_decref(j);
		j = NULL;
		usleep(100000);
	}
	CU_ASSERT_FATAL(j != NULL);
	CU_ASSERT_STRING_EQUAL(jstr(j, "status") ?: "", "succeeded");
	CU_ASSERT(json_integer_value(json_object_get(j, "attempts")) >= 2);
	const char *e = jstr(j, "error_message");
	CU_ASSERT(e && strstr(e, "signal 9"));
	json_decref(j);
	char got[80];
	hash_row(clip, "sha256", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, sha);
	hash_row(clip, "size_bytes", got, sizeof(got));
	CU_ASSERT_EQUAL(atoll(got), (long long)BIG_MB << 20);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip);
	json_t *c = get_json(path, 200);
	CU_ASSERT_STRING_EQUAL(
	    jstr(json_object_get(c, "data"), "file_hash") ?: "", sha);
	json_decref(c);
	CU_ASSERT(th_alive(&srv));
	unlink(big);
}

int main(void)
{
	const th_test tests[] = {
	    {"hash and duplicates", test_hash_and_duplicates},
	    {"bad requests", test_bad_requests},
	    {"idempotent, upload digest mismatch",
	     test_idempotent_and_mismatch},
	    {"deleted entities do not count", test_deleted_do_not_count},
	    {"kill -9 mid-hash", test_kill9_mid_hash},
	    {NULL, NULL},
	};
	return th_main("hash", suite_init, suite_clean, tests);
}
