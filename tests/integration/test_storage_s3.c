/*
 * test_storage_s3.c - the S3 backend against s3rver on loopback
 * (tests/s3/start.js: s3rver with every SigV4 signature checked):
 *
 * - the presigner against AWS's documented example;
 * - the store itself: single PUT, multipart PUT, HEAD, GET, DELETE, and
 *   writes that fail leaving nothing;
 * - slated with both stores on s3rver: generate-url, PUT to the presigned
 *   URL, the object checked with the AWS CLI, confirm, download by
 *   redirect; tampered, expired and mismatched URLs refused by the server;
 *   confirm without (all of) the object refused with no entity change;
 *   the sweeper deleting unconfirmed objects.
 *
 * Needs node, tests/s3/node_modules/s3rver and aws: when one is missing
 * the test fails and says what to install (scripts/deps.sh does it).
 */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "files/store_s3.h"
#include "harness.h"

#define PRIMARY "episode-metadata-storage"
#define THUMBS "episode-metadata-thumbnails"

static th_server srv;
static char clip_id[64];
static char aws_bin[512];
static th_node s3rver;	   /* s3rver on loopback (tests/s3) */
static slate_store *store; /* our own client of the primary bucket */

/* ---- s3rver ------------------------------------------------------------- */

static int s3rver_start(void)
{
	static const char *const args[] = {
	    "--directory", "{dir}/data", "--bucket", PRIMARY,
	    "--bucket",	   THUMBS,	 NULL};
	return th_node_start(&s3rver, "s3rver", "tests/s3/start.js", 0, args,
			     20);
}

static slate_store *make_store(const char *bucket, bool path_style,
			       const char *ep, const char *ak, const char *sk)
{
	slate_s3_opts o = {.endpoint = ep,
			   .region = "us-east-1",
			   .bucket = bucket,
			   .access_key = ak,
			   .secret_key = sk,
			   .path_style = path_style,
			   .part_size = 5u * 1024 * 1024};
	char err[256];
	slate_store *s = slate_store_s3_new("primary", &o, err, sizeof(err));
	if (!s)
		fprintf(stderr, "%s\n", err);
	return s;
}

static int suite_init(void)
{
	if (s3rver_start())
		return -1;
	store = make_store(PRIMARY, true, s3rver.url, "S3RVER", "S3RVER");
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{\"plugins\": {\"clips\": {\"enabled\": true}, "
		 "\"outfits\": {\"enabled\": true}, \"hash\": "
		 "{\"enabled\": true}, \"thumbnails\": {\"enabled\": "
		 "true}}, \"jobs\": {\"workers\": 1, \"poll_ms\": 200},"
		 "\"storage\": {\"backend\": \"s3\", \"s3_endpoint\": \"%s\","
		 "\"s3_access_key\": \"S3RVER\", \"s3_secret_key\": "
		 "\"S3RVER\", \"s3_path_style\": true,"
		 "\"upload_sweep_interval_s\": 1, \"download_url_ttl_s\": 60}}",
		 s3rver.url);
	if (!store || th_start(&srv, cfg))
		return -1;
	return th_create(&srv, "/api/v1/clips",
			 "{\"talent_source\":\"Lala\",\"file_reference\":"
			 "\"none\"}",
			 "clip_id", clip_id)
		   ? 0
		   : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	if (store)
		store->ops->free(store);
	th_node_stop(&s3rver);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* generate-url for the clip's raw file; see th_generate_url. */
static long gen_url(const char *fname, long long size, const char *ctype,
		    char *url, char *id, char *key)
{
	th_upload_req u = {"clip", clip_id, "raw_clip", fname, size, ctype};
	return th_generate_url(&srv, &u, url, id, key);
}

/* aws s3api head-object: ContentLength, or -1 when there is no object. */
static long long aws_head(const char *bucket, const char *key)
{
	char out[4096];
	char *argv[] = {aws_bin,	"--endpoint-url", s3rver.url,
			"s3api",	"head-object",	  "--bucket",
			(char *)bucket, "--key",	  (char *)key,
			"--output",	"json",		  NULL};
	if (th_run(argv, out, sizeof(out)) != 0)
		return -1;
	json_t *j = json_loads(out, 0, NULL);
	long long n = json_integer_value(json_object_get(j, "ContentLength"));
	json_decref(j);
	return j ? n : -2;
}

/* Replace the value of query parameter `name` in url (2048 bytes) with
 * `value`. */
static void set_param(char *url, const char *name, const char *value)
{
	char pat_[64], tail[2048];
	snprintf(pat_, sizeof(pat_), "%s=", name);
	char *p = strstr(url, pat_);
	if (!p)
		return;
	p += strlen(pat_);
	char *end = strchr(p, '&');
	snprintf(tail, sizeof(tail), "%s", end ? end : "");
	snprintf(p, 2048 - (size_t)(p - url), "%s%s", value, tail);
}

/* ---- the presigner against AWS's example -------------------------------- */

static void test_presign_known_answer(void)
{
	/* "Authenticating Requests: Using Query Parameters (AWS Signature
	 * Version 4)", the example GET of examplebucket/test.txt. */
	slate_store *s = make_store(
	    "examplebucket", false, "https://s3.amazonaws.com",
	    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	CU_ASSERT_FATAL(s != NULL);
	char *url = slate_s3_presign_at(s, "GET", "test.txt", NULL, 0, 86400,
					1369353600); /* 20130524T000000Z */
	CU_ASSERT_PTR_NOT_NULL_FATAL(url);
	CU_ASSERT_STRING_EQUAL(
	    url,
	    "https://examplebucket.s3.amazonaws.com/test.txt"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
	    "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	    "&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	free(url);
	/* refused: out of S3's expiry range, another method, a bad key */
	CU_ASSERT_PTR_NULL(
	    slate_s3_presign_at(s, "GET", "test.txt", NULL, 0, 604801, 0));
	CU_ASSERT_PTR_NULL(
	    slate_store_presign(s, "DELETE", "test.txt", NULL, 0, 60));
	CU_ASSERT_PTR_NULL(slate_store_presign(s, "GET", "../x", NULL, 0, 60));
	s->ops->free(s);
	/* and a store that cannot work is refused at start, saying why */
	CU_ASSERT_PTR_NULL(make_store(PRIMARY, true, "ftp://x", "a", "b"));
	CU_ASSERT_PTR_NULL(make_store(PRIMARY, true, s3rver.url, "", "b"));
	CU_ASSERT_PTR_NULL(
	    make_store("Bad_Bucket", true, s3rver.url, "a", "b"));
}

/* ---- the store ---------------------------------------------------------- */

/* Whether s3rver's request log has a line containing `what`. */
static bool requests_logged(const char *what)
{
	char path[128], line[4096];
	snprintf(path, sizeof(path), "%s/s3rver.out", s3rver.dir);
	FILE *f = fopen(path, "r");
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static int store_put(const char *key, size_t size, uint64_t announce,
		     bool commit)
{
	slate_store_writer *w;
	if (slate_store_put_begin(store, key, "video/mp4", announce, &w))
		return -1;
	char buf[65536];
	for (size_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)th_pattern(off + i);
		if (slate_store_put_write(w, buf, n)) {
			slate_store_put_abort(w);
			return -1;
		}
		off += n;
	}
	if (!commit) {
		slate_store_put_abort(w);
		return 0;
	}
	return slate_store_put_commit(w);
}

static bool store_read_is(const char *key, size_t size)
{
	slate_store_info st;
	int fd = slate_store_open_fd(store, key, &st);
	if (fd < 0)
		return false;
	th_body b = {malloc(size + 1), 0};
	ssize_t k;
	while (b.n <= size && (k = read(fd, b.p + b.n, size + 1 - b.n)) > 0)
		b.n += (size_t)k;
	close(fd);
	bool ok = st.size == size && th_is_pattern(&b, size);
	free(b.p);
	return ok;
}

static void test_store(void)
{
	slate_store_info st;
	/* single PUT */
	CU_ASSERT_EQUAL(store_put("t/small.bin", 1000, 1000, true), 0);
	CU_ASSERT_EQUAL(slate_store_stat(store, "t/small.bin", &st), 0);
	CU_ASSERT_EQUAL(st.size, 1000);
	CU_ASSERT(strlen(st.etag) == 32); /* s3rver: the MD5 */
	CU_ASSERT(store_read_is("t/small.bin", 1000));
	CU_ASSERT_EQUAL(aws_head(PRIMARY, "t/small.bin"), 1000);
	/* multipart: 11 MiB + 5 in parts of 5 MiB */
	size_t big = 11u * 1024 * 1024 + 5;
	CU_ASSERT_EQUAL(store_put("t/big.bin", big, UINT64_MAX, true), 0);
	CU_ASSERT_EQUAL(slate_store_stat(store, "t/big.bin", &st), 0);
	CU_ASSERT_EQUAL(st.size, big);
	CU_ASSERT(requests_logged("POST /" PRIMARY "/t/big.bin?uploads= 200"));
	CU_ASSERT(requests_logged("PUT /" PRIMARY
				  "/t/big.bin?partNumber=3&uploadId="));
	CU_ASSERT(requests_logged("POST /" PRIMARY "/t/big.bin?uploadId="));
	CU_ASSERT(store_read_is("t/big.bin", big));
	/* failures publish nothing: abort, and fewer bytes than announced */
	CU_ASSERT_EQUAL(store_put("t/aborted.bin", 100, 100, false), 0);
	CU_ASSERT_EQUAL(slate_store_stat(store, "t/aborted.bin", &st), 1);
	CU_ASSERT_EQUAL(store_put("t/short.bin", 100, 200, true), -1);
	CU_ASSERT_EQUAL(slate_store_stat(store, "t/short.bin", &st), 1);
	/* delete, twice */
	CU_ASSERT_EQUAL(slate_store_delete(store, "t/small.bin"), 0);
	CU_ASSERT_EQUAL(slate_store_delete(store, "t/small.bin"), 0);
	CU_ASSERT_EQUAL(slate_store_stat(store, "t/small.bin", &st), 1);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, "t/small.bin"), -1);
	CU_ASSERT_EQUAL(slate_store_open_fd(store, "t/small.bin", &st), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(slate_store_delete(store, "t/big.bin"), 0);
	/* a wrong secret is refused by the server, and said so */
	slate_store *bad = make_store(PRIMARY, true, s3rver.url, "S3RVER", "x");
	CU_ASSERT_FATAL(bad != NULL);
	CU_ASSERT_EQUAL(slate_store_stat(bad, "t/big.bin", &st), -1);
	bad->ops->free(bad);
}

/* ---- through slated ----------------------------------------------------- */

static char good_id[64], good_key[1100];

static void test_upload_confirm_download(void)
{
	char url[2048], id[64], key[1100];
	size_t size = 1024 * 1024 + 17;
	CU_ASSERT_FATAL(gen_url("take one.mov", (long long)size,
				"video/quicktime", url, id, key) == 201);
	/* the bytes go to the bucket, not through slated */
	char want[128];
	snprintf(want, sizeof(want), "%s/%s/", s3rver.url, PRIMARY);
	CU_ASSERT(!strncmp(url, want, strlen(want)));
	CU_ASSERT(strstr(url, "X-Amz-Signature=") != NULL);
	CU_ASSERT(strstr(url, "content-length%3Bcontent-type%3Bhost") != NULL);
	char layout[200];
	snprintf(layout, sizeof(layout), "raw/standalone/Lala/%s-take_one.mov",
		 id);
	CU_ASSERT_STRING_EQUAL(key, layout);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), -1);
	CU_ASSERT_EQUAL(th_put_pattern(url, size, "video/quicktime"), 200);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), (long long)size);

	th_resp r;
	for (int i = 0; i < 2; i++) { /* idempotent */
		CU_ASSERT_EQUAL(th_confirm(&srv, id, &r), 200);
		CU_ASSERT_STRING_EQUAL(th_data_str(&r, "key"), key);
		/* slated never saw the bytes: no hash */
		CU_ASSERT(json_is_null(json_object_get(
		    json_object_get(r.json, "data"), "sha256")));
		th_resp_free(&r);
	}
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "file_reference"), key);
	json_t *fs =
	    json_object_get(json_object_get(r.json, "data"), "file_size_bytes");
	CU_ASSERT_EQUAL(json_integer_value(fs), (json_int_t)size);
	th_resp_free(&r);

	/* download: a redirect to a short-lived presigned GET */
	snprintf(path, sizeof(path), "/api/v1/files/clip/%s", clip_id);
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_viewer, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 302);
	char loc[2048] = "";
	CU_ASSERT(th_header(&r, "Location", loc, sizeof(loc)));
	th_resp_free(&r);
	CU_ASSERT(strstr(loc, "X-Amz-Expires=60&") != NULL);
	th_body b = {0};
	CU_ASSERT_EQUAL(th_get_url(loc, &b), 200);
	CU_ASSERT(th_is_pattern(&b, size));
	free(b.p);
	/* the GET URL is for reading that object only */
	char other[2048];
	snprintf(other, sizeof(other), "%s", loc);
	char *q = strstr(other, "take_one.mov");
	if (q)
		q[0] = 'T';
	CU_ASSERT_EQUAL(th_get_url(other, NULL), 403);
	snprintf(good_id, sizeof(good_id), "%s", id);
	snprintf(good_key, sizeof(good_key), "%s", key);
}

static void test_refused_by_s3(void)
{
	char url[2048], id[64], key[1100], bad[2048];
	CU_ASSERT_FATAL(
	    gen_url("refused.mov", 1000, "video/mp4", url, id, key) == 201);
	/* tampered signature, key, expiry */
	snprintf(bad, sizeof(bad), "%s", url);
	char *sig = strstr(bad, "X-Amz-Signature=") + 16;
	sig[0] = sig[0] == '0' ? '1' : '0';
	CU_ASSERT_EQUAL(th_put_pattern(bad, 1000, "video/mp4"), 403);
	snprintf(bad, sizeof(bad), "%s", url);
	char *k = strstr(bad, "refused.mov");
	k[0] = 'R';
	CU_ASSERT_EQUAL(th_put_pattern(bad, 1000, "video/mp4"), 403);
	snprintf(bad, sizeof(bad), "%s", url);
	set_param(bad, "X-Amz-Expires", "604800");
	CU_ASSERT_EQUAL(th_put_pattern(bad, 1000, "video/mp4"), 403);
	/* another type or size than the signed ones */
	CU_ASSERT_EQUAL(th_put_pattern(url, 1000, "video/webm"), 403);
	CU_ASSERT_EQUAL(th_put_pattern(url, 999, "video/mp4"), 403);
	CU_ASSERT_EQUAL(th_put_pattern(url, 1001, "video/mp4"), 403);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), -1);
	/* expired: signed an hour ago for a minute */
	char *old = slate_s3_presign_at(store, "PUT", key, "video/mp4", 1000,
					60, time(NULL) - 3600);
	CU_ASSERT_FATAL(old != NULL);
	CU_ASSERT_EQUAL(th_put_pattern(old, 1000, "video/mp4"), 403);
	free(old);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), -1);

	/* confirm with nothing there: refused, nothing changes */
	char path[256], sql[512], ref[1100] = "";
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip_id);
	long before = th_fingerprint(&srv);
	th_resp r;
	CU_ASSERT_EQUAL(th_confirm(&srv, id, &r), 409);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "CONFLICT");
	th_resp_free(&r);
	/* nor with part of it (the bytes put straight into the bucket) */
	CU_ASSERT_EQUAL(store_put(key, 500, 500, true), 0);
	CU_ASSERT_EQUAL(th_confirm(&srv, id, &r), 409);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	if (th_data_str(&r, "file_reference"))
		snprintf(ref, sizeof(ref), "%s",
			 th_data_str(&r, "file_reference"));
	th_resp_free(&r);
	CU_ASSERT_STRING_EQUAL(ref, good_key);
	snprintf(sql, sizeof(sql),
		 "SELECT status FROM uploads WHERE upload_id = '%s'", id);
	char status[32] = "";
	th_sql_text(&srv, sql, status, sizeof(status));
	CU_ASSERT_STRING_EQUAL(status, "pending");
	/* the right bytes, then confirm works */
	CU_ASSERT_EQUAL(th_put_pattern(url, 1000, "video/mp4"), 200);
	CU_ASSERT_EQUAL(th_confirm(&srv, id, &r), 200);
	th_resp_free(&r);
	snprintf(good_id, sizeof(good_id), "%s", id);
	snprintf(good_key, sizeof(good_key), "%s", key);
}

static void test_sweep(void)
{
	char url[2048], id[64], key[1100], sql[512];
	CU_ASSERT_FATAL(gen_url("swept.mov", 100, "video/mp4", url, id, key) ==
			201);
	CU_ASSERT_EQUAL(th_put_pattern(url, 100, "video/mp4"), 200);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), 100);
	snprintf(sql, sizeof(sql),
		 "UPDATE uploads SET created_at = now() - interval '2 days' "
		 "WHERE upload_id = '%s' OR upload_id = '%s'",
		 id, good_id);
	CU_ASSERT(th_sql(&srv, sql) == 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM uploads WHERE upload_id = '%s'", id);
	for (int i = 0; i < 100 && th_sql_long(&srv, sql) != 0; i++)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 0);
	CU_ASSERT_EQUAL(aws_head(PRIMARY, key), -1);
	/* a confirmed one stays */
	CU_ASSERT_EQUAL(aws_head(PRIMARY, good_key), 1000);
}

/* What is missing to run this test, or NULL. */

/* The processors read from and write to buckets: an outfit's image is
 * hashed and thumbnailed by a worker, and its thumbnail is served as a
 * redirect to a presigned GET of the thumbnails bucket. */
static void test_processing_on_s3(void)
{
	char outfit[64], path[300], sql[300], sha[80] = "";
	CU_ASSERT_FATAL(th_create(&srv, "/api/v1/outfits",
				  "{\"outfit_name\": \"S3 look\"}", "outfit_id",
				  outfit));
	snprintf(path, sizeof(path), "%s/look.jpg", srv.dir);
	char *const mk[] = {
	    "ffmpeg",	 "-v",	  "error", "-y",
	    "-f",	 "lavfi", "-i",	   "testsrc=size=640x480",
	    "-frames:v", "1",	  path,	   NULL};
	char out[64];
	CU_ASSERT_FATAL(th_run(mk, out, sizeof(out)) == 0);
	CU_ASSERT_FATAL(th_upload_file(&srv, "outfit", outfit, "image", path,
				       "image/jpeg", NULL) == 200);
	CU_ASSERT_FATAL(th_wait_jobs(&srv, outfit, 60000));

	/* hash read the object back from the bucket */
	snprintf(sql, sizeof(sql),
		 "SELECT sha256 FROM file_hashes WHERE entity_id = '%s'",
		 outfit);
	CU_ASSERT_EQUAL(th_sql_text(&srv, sql, sha, sizeof(sha)), 0);
	CU_ASSERT_EQUAL(strlen(sha), 64);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM thumbnails WHERE entity_id = '%s' AND "
		 "status = 'completed'",
		 outfit);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);
	/* the thumbnail went to the thumbnails bucket */
	char key[200];
	snprintf(key, sizeof(key), "outfits/%s/small.jpg", outfit);
	CU_ASSERT(aws_head(THUMBS, key) > 0);

	snprintf(path, sizeof(path), "/api/v1/thumbnails/outfit/%s/small",
		 outfit);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 302);
	char loc[2048] = "";
	CU_ASSERT(th_header(&r, "Location", loc, sizeof(loc)));
	th_resp_free(&r);
	th_body b = {0};
	CU_ASSERT_EQUAL(th_get_url(loc, &b), 200);
	CU_ASSERT(b.n > 100 && (unsigned char)b.p[0] == 0xFF &&
		  (unsigned char)b.p[1] == 0xD8);
	free(b.p);
}

static const char *missing(void)
{
	struct stat sb;
	char node_bin[512];
	if (!th_find_bin("node", node_bin, sizeof(node_bin)))
		return "node (Debian: apt-get install nodejs npm)";
	if (stat(SLATE_SOURCE_DIR "/tests/s3/node_modules/s3rver/package.json",
		 &sb))
		return "s3rver (npm ci --prefix tests/s3)";
	if (!th_find_bin("aws", aws_bin, sizeof(aws_bin)))
		return "aws (Debian: apt-get install awscli)";
	return NULL;
}

int main(void)
{
	const char *m = missing();
	if (m) {
		fprintf(stderr,
			"test_storage_s3: cannot run without %s; "
			"`bash scripts/deps.sh` installs everything\n",
			m);
		return 1;
	}
	/* the AWS CLI with s3rver's key pair and no user configuration */
	setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
	setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
	setenv("AWS_PAGER", "", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("storage_s3", suite_init, suite_clean);
	CU_add_test(s, "presign: AWS's example", test_presign_known_answer);
	CU_add_test(s, "store: put, multipart, stat, read, delete", test_store);
	CU_add_test(s, "upload, confirm, download",
		    test_upload_confirm_download);
	CU_add_test(s, "refused by S3; confirm without the object",
		    test_refused_by_s3);
	CU_add_test(s, "sweeper", test_sweep);
	CU_add_test(s, "hash and thumbnails read and write buckets",
		    test_processing_on_s3);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	curl_global_cleanup();
	return fails ? 1 : 0;
}
