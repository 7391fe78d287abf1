/*
 * test_storage.c - files end to end over real HTTP with the local backend:
 * signed upload URL, streamed PUT, confirm, download (Range, ETag), and
 * every refusal leaving no object behind: oversize, wrong type, tampered,
 * expired or reused signatures, path escapes, interrupted uploads; and the
 * sweeper removing what was never confirmed.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;
static char clip_id[64];

static int suite_init(void)
{
	if (th_start(&srv, "{\"plugins\": {\"clips\": {\"enabled\": true},"
			   "\"testplug\": {\"enabled\": true}},"
			   "\"storage\": {\"upload_sweep_interval_s\": 1}}"))
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
	return 0;
}

/* generate-url for the clip; see th_generate_url. */
static long gen_url(const char *kind, const char *fname, long long size,
		    const char *ctype, char *url, char *id, char *key)
{
	th_upload_req u = {"clip", clip_id, kind, fname, size, ctype};
	return th_generate_url(&srv, &u, url, id, key);
}

static bool object_exists(const char *key)
{
	char p[2048];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/data/objects/primary/%s", srv.dir, key);
	return stat(p, &sb) == 0;
}

/* Files in the store's temporary directory. */
static int tmp_count(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/data/objects/primary/.tmp", srv.dir);
	DIR *d = opendir(p);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static long upload_status_is(const char *id, const char *status)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM uploads WHERE upload_id = '%s' AND "
		 "status = '%s'",
		 id, status);
	return th_sql_long(&srv, sql);
}

/* ---- tests -------------------------------------------------------------- */

static char good_id[64], good_key[1100];

static void test_upload_confirm_download(void)
{
	char url[2048], id[64], key[1100];
	size_t size = 3 * 1024 * 1024 + 17;
	CU_ASSERT_FATAL(gen_url("raw_clip", "take one.mov", (long long)size,
				"video/quicktime", url, id, key) == 201);
	CU_ASSERT(!strncmp(key, "raw/standalone/Lala/", 20));
	CU_ASSERT(strstr(key, "take_one.mov") != NULL);
	CU_ASSERT(!object_exists(key));
	CU_ASSERT_EQUAL(th_put_pattern(url, size, "video/quicktime"), 200);
	CU_ASSERT(object_exists(key));
	CU_ASSERT_EQUAL(upload_status_is(id, "stored"), 1);
	/* a second PUT on the same URL is refused */
	CU_ASSERT_EQUAL(th_put_pattern(url, size, "video/quicktime"), 409);
	CU_ASSERT_EQUAL(tmp_count(), 0);

	char body[256];
	snprintf(body, sizeof(body), "{\"upload_id\":\"%s\"}", id);
	th_resp r;
	for (int i = 0; i < 2; i++) { /* idempotent */
		CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/upload/confirm",
				       body, NULL, &r) == 0);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_STRING_EQUAL(th_data_str(&r, "key"), key);
		th_resp_free(&r);
	}
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/clips/%s", clip_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "file_reference"), key);
	char hash[80] = "";
	if (th_data_str(&r, "file_hash"))
		snprintf(hash, sizeof(hash), "%s",
			 th_data_str(&r, "file_hash"));
	CU_ASSERT(strlen(hash) == 64);
	json_t *fs =
	    json_object_get(json_object_get(r.json, "data"), "file_size_bytes");
	CU_ASSERT_EQUAL(json_integer_value(fs), (json_int_t)size);
	char etag[100];
	snprintf(etag, sizeof(etag), "\"%s\"", hash);
	th_resp_free(&r);

	/* the hash is the bytes' SHA-256 */
	unsigned char md[32], *buf = malloc(size);
	for (size_t i = 0; i < size; i++)
		buf[i] = th_pattern(i);
	EVP_Digest(buf, size, md, NULL, EVP_sha256(), NULL);
	char hex[65];
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	CU_ASSERT_STRING_EQUAL(hex, hash);

	/* download: whole, range, etag */
	snprintf(path, sizeof(path), "/api/v1/files/clip/%s", clip_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	char h[200];
	CU_ASSERT(th_header(&r, "ETag", h, sizeof(h)) && !strcmp(h, etag));
	CU_ASSERT(r.body && !memcmp(r.body, buf, 4096));
	th_resp_free(&r);
	const char *range[] = {"Range: bytes=10-19", NULL};
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, range, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 206);
	CU_ASSERT(r.body && !memcmp(r.body, buf + 10, 10));
	snprintf(body, sizeof(body), "bytes 10-19/%zu", size);
	CU_ASSERT(th_header(&r, "Content-Range", h, sizeof(h)) &&
		  !strcmp(h, body));
	th_resp_free(&r);
	char inm[120];
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	const char *cond[] = {inm, NULL};
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, cond, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 304);
	th_resp_free(&r);
	const char *bad[] = {"Range: bytes=99999999-", NULL};
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, bad, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 416);
	th_resp_free(&r);
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_viewer, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	free(buf);
	snprintf(good_id, sizeof(good_id), "%s", id);
	snprintf(good_key, sizeof(good_key), "%s", key);
}

static void test_refused_at_generate(void)
{
	char url[2048], id[64], key[1100];
	long long before = th_sql_long(&srv, "SELECT count(*) FROM uploads");
	CU_ASSERT_EQUAL(
	    gen_url("raw_clip", "a.mov", 6LL << 30, "video/mp4", url, id, key),
	    413);
	CU_ASSERT_EQUAL(
	    gen_url("raw_clip", "a.mov", 10, "text/html", url, id, key), 415);
	CU_ASSERT_EQUAL(gen_url("raw_clip", "../../etc/passwd", 10, "video/mp4",
				url, id, key),
			400);
	CU_ASSERT_EQUAL(
	    gen_url("raw_clip", ".hidden", 10, "video/mp4", url, id, key), 400);
	CU_ASSERT_EQUAL(
	    gen_url("script", "a.pdf", 10, "application/pdf", url, id, key),
	    400);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM uploads"),
			before);
	/* a viewer may not upload */
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&srv, srv.tok_viewer, "POST",
				  "/api/v1/upload/generate-url", "{}", NULL,
				  &r) == 0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
}

/* Replace the value of query parameter `name` in url. */
static void set_param(char *url, const char *name, const char *value)
{
	char out[2048], pat_[64];
	snprintf(pat_, sizeof(pat_), "%s=", name);
	char *p = strstr(url, pat_);
	if (!p)
		return;
	char *end = strchr(p, '&');
	snprintf(out, sizeof(out), "%.*s%s%s%s", (int)(p - url + strlen(pat_)),
		 url, value, end ? end : "", "");
	strcpy(url, out);
}

static char *secret(void)
{
	static char s[256];
	PGresult *r = PQexec(srv.db, "SELECT secret FROM auth_secrets WHERE "
				     "name = 'upload_url_hs256'");
	snprintf(s, sizeof(s), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return s;
}

static void sign(const char *id, const char *key, const char *kind,
		 const char *size, const char *ct, const char *exp, char *out)
{
	char msg[2048];
	int n =
	    snprintf(msg, sizeof(msg), "v1\n%s\nprimary\n%s\n%s\n%s\n%s\n%s",
		     id, key, kind, size, ct, exp);
	unsigned char mac[32];
	unsigned ml;
	const char *s = secret();
	HMAC(EVP_sha256(), s, (int)strlen(s), (unsigned char *)msg, (size_t)n,
	     mac, &ml);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

static void test_refused_at_put(void)
{
	char url[2048], id[64], key[1100], url2[2048], id2[64], key2[1100];
	char tmp[2048];
	th_sql_long(&srv, "SELECT 1"); /* opens srv.db */
	CU_ASSERT_FATAL(gen_url("raw_clip", "b.mov", 1000, "video/mp4", url, id,
				key) == 201);
	CU_ASSERT_FATAL(gen_url("raw_clip", "c.mov", 1000, "video/mp4", url2,
				id2, key2) == 201);
	/* oversize and undersize bodies, wrong or no content type */
	CU_ASSERT_EQUAL(th_put_pattern(url, 1001, "video/mp4"), 413);
	CU_ASSERT_EQUAL(th_put_pattern(url, 999, "video/mp4"), 400);
	CU_ASSERT_EQUAL(th_put_pattern(url, 1000, "video/quicktime"), 415);
	CU_ASSERT_EQUAL(th_put_pattern(url, 1000, NULL), 415);
	/* tampered: size, key, signature */
	snprintf(tmp, sizeof(tmp), "%s", url);
	set_param(tmp, "size", "999");
	CU_ASSERT_EQUAL(th_put_pattern(tmp, 999, "video/mp4"), 403);
	snprintf(tmp, sizeof(tmp), "%s", url);
	set_param(
	    tmp, "signature",
	    "0000000000000000000000000000000000000000000000000000000000000000");
	CU_ASSERT_EQUAL(th_put_pattern(tmp, 1000, "video/mp4"), 403);
	/* one upload's URL used for another target (upload id swapped) */
	snprintf(tmp, sizeof(tmp), "%s", url);
	char *p = strstr(tmp, id);
	CU_ASSERT_FATAL(p != NULL);
	memcpy(p, id2, strlen(id2));
	CU_ASSERT_EQUAL(th_put_pattern(tmp, 1000, "video/mp4"), 403);
	/* expired, correctly signed */
	char sig[65], exp[32];
	snprintf(exp, sizeof(exp), "%ld", (long)time(NULL) - 10);
	sign(id, key, "raw_clip", "1000", "video/mp4", exp, sig);
	snprintf(tmp, sizeof(tmp), "%s", url);
	set_param(tmp, "expires", exp);
	set_param(tmp, "signature", sig);
	CU_ASSERT_EQUAL(th_put_pattern(tmp, 1000, "video/mp4"), 403);
	/* a path escape, even correctly signed, never reaches the disk */
	snprintf(exp, sizeof(exp), "%ld", (long)time(NULL) + 600);
	sign(id, "../../escape.mov", "raw_clip", "1000", "video/mp4", exp, sig);
	snprintf(tmp, sizeof(tmp), "%s", url);
	set_param(tmp, "key", "..%2F..%2Fescape.mov");
	set_param(tmp, "expires", exp);
	set_param(tmp, "signature", sig);
	CU_ASSERT_EQUAL(th_put_pattern(tmp, 1000, "video/mp4"), 403);
	char esc[512];
	snprintf(esc, sizeof(esc), "%s/data/objects/escape.mov", srv.dir);
	CU_ASSERT(access(esc, F_OK) != 0);

	CU_ASSERT(!object_exists(key));
	CU_ASSERT(!object_exists(key2));
	CU_ASSERT_EQUAL(upload_status_is(id, "pending"), 1);
	CU_ASSERT_EQUAL(tmp_count(), 0);
	/* confirm before any bytes: refused, entity untouched */
	char body[256];
	snprintf(body, sizeof(body), "{\"upload_id\":\"%s\"}", id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/upload/confirm", body,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 409);
	th_resp_free(&r);
	/* confirm naming another target */
	snprintf(body, sizeof(body),
		 "{\"upload_id\":\"%s\",\"entity_type\":\"episode\"}", good_id);
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/upload/confirm", body,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 409);
	th_resp_free(&r);
}

static void test_interrupted(void)
{
	char url[2048], id[64], key[1100];
	CU_ASSERT_FATAL(gen_url("raw_clip", "d.mov", 4 << 20, "video/mp4", url,
				id, key) == 201);
	const char *path = strstr(url, "/api/");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)srv.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	char hdr[3000];
	int n = snprintf(hdr, sizeof(hdr),
			 "PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
			 "video/mp4\r\nContent-Length: %d\r\n\r\n",
			 path, 4 << 20);
	CU_ASSERT(write(fd, hdr, (size_t)n) == n);
	static char chunk[1 << 20];
	CU_ASSERT(write(fd, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk));
	usleep(200 * 1000);
	close(fd);
	/* the server notices; poll until the temp file is gone */
	for (int i = 0; i < 100 && tmp_count() > 0; i++)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL(tmp_count(), 0);
	CU_ASSERT(!object_exists(key));
	CU_ASSERT_EQUAL(upload_status_is(id, "pending"), 1);
	/* the same URL still works afterwards */
	CU_ASSERT_EQUAL(th_put_pattern(url, 4 << 20, "video/mp4"), 200);
	CU_ASSERT(object_exists(key));
}

static void test_sweep(void)
{
	/* stored but never confirmed, and old: the sweeper removes both */
	char url[2048], id[64], key[1100], sql[256];
	CU_ASSERT_FATAL(gen_url("raw_clip", "e.mov", 100, "video/mp4", url, id,
				key) == 201);
	CU_ASSERT_EQUAL(th_put_pattern(url, 100, "video/mp4"), 200);
	CU_ASSERT(object_exists(key));
	snprintf(sql, sizeof(sql),
		 "UPDATE uploads SET created_at = now() - interval '2 days' "
		 "WHERE upload_id = '%s' OR upload_id = '%s'",
		 id, good_id);
	CU_ASSERT(th_sql(&srv, sql) == 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM uploads WHERE upload_id = '%s'", id);
	for (int i = 0; i < 150 && th_sql_long(&srv, sql) != 0; i++)
		usleep(100 * 1000);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 0);
	CU_ASSERT(!object_exists(key));
	/* a confirmed one stays */
	CU_ASSERT_EQUAL(upload_status_is(good_id, "confirmed"), 1);
	CU_ASSERT(object_exists(good_key));
}

/* generate-url for another entity; the error's message in msg. Status. */
static long gen_for(const char *etype, const char *eid, const char *kind,
		    long long size, const char *ctype, char *url, char *id,
		    char *key, char *msg)
{
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"%s\",\"entity_id\":\"%s\",\"kind\":"
		 "\"%s\",\"filename\":\"plan.txt\",\"size\":%lld,"
		 "\"content_type\":\"%s\"}",
		 etype, eid, kind, size, ctype);
	th_resp r;
	if (th_req(&srv, "POST", "/api/v1/upload/generate-url", body, NULL, &r))
		return -1;
	long st = r.status;
	url[0] = id[0] = key[0] = msg[0] = '\0';
	if (st == 201) {
		snprintf(url, 2048, "%s", th_data_str(&r, "url"));
		snprintf(id, 64, "%s", th_data_str(&r, "upload_id"));
		snprintf(key, 1100, "%s", th_data_str(&r, "key"));
	} else {
		json_t *e =
		    json_array_get(json_object_get(r.json, "errors"), 0);
		const char *m =
		    json_string_value(json_object_get(e, "message"));
		snprintf(msg, 300, "%s", m ? m : "");
	}
	th_resp_free(&r);
	return st;
}

/* The test plugin's widget declares a "drawing" target (slate_file_target):
 * a third-party entity takes signed uploads like the built-in ones, with
 * its own limit, types and key template. */
static void test_plugin_entity_upload(void)
{
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/widgets",
			       "{\"name\":\"gizmo\"}", NULL, &r) == 0);
	CU_ASSERT_FATAL(r.status == 201);
	char wid[64];
	snprintf(wid, sizeof(wid), "%s", th_data_str(&r, "widget_id"));
	th_resp_free(&r);

	char url[2048], id[64], key[1100], msg[300];
	static const struct {
		const char *kind;
		long long size;
		const char *ctype;
		long status;
		const char *msg;
	} refused[] = {
	    {"drawing", 64 * 1024 + 1, "text/plain", 413,
	     "DRAWING files are limited to 64 KB (65536 bytes)"},
	    {"drawing", 10, "video/mp4", 415,
	     "A drawing file must be one of: text/plain, image/png"},
	    {"raw_clip", 10, "video/mp4", 400,
	     "A widget takes no file of kind 'raw_clip'"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CU_ASSERT_EQUAL(gen_for("widget", wid, refused[i].kind,
					refused[i].size, refused[i].ctype, url,
					id, key, msg),
				refused[i].status);
		CU_ASSERT_STRING_EQUAL(msg, refused[i].msg);
	}
	/* and a clip takes no drawing */
	CU_ASSERT_EQUAL(gen_for("clip", clip_id, "drawing", 10, "text/plain",
				url, id, key, msg),
			400);

	size_t size = 5000;
	CU_ASSERT_FATAL(gen_for("widget", wid, "drawing", (long long)size,
				"text/plain", url, id, key, msg) == 201);
	char prefix[200];
	snprintf(prefix, sizeof(prefix), "widgets/gizmo/%s-%s-plan.txt", wid,
		 id);
	CU_ASSERT_STRING_EQUAL(key, prefix);
	CU_ASSERT_EQUAL(th_put_pattern(url, size, "text/plain"), 200);
	char body[256];
	snprintf(body, sizeof(body), "{\"upload_id\":\"%s\"}", id);
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/upload/confirm", body,
			       NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "field"), "drawing_reference");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "kind"), "drawing");
	th_resp_free(&r);

	char path[256];
	snprintf(path, sizeof(path), "/api/v1/widgets/%s", wid);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "drawing_reference"), key);
	th_resp_free(&r);

	/* download: the declared field is the default */
	snprintf(path, sizeof(path), "/api/v1/files/widget/%s", wid);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	char h[200];
	CU_ASSERT(th_header(&r, "Content-Type", h, sizeof(h)) &&
		  !strcmp(h, "text/plain"));
	bool same = r.body != NULL;
	for (size_t i = 0; same && i < size; i++)
		same = (unsigned char)r.body[i] == th_pattern(i);
	CU_ASSERT(same);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/files/widget/%s?field=name", wid);
	CU_ASSERT_EQUAL(th_status(&srv, "GET", path, NULL), 400);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("storage", suite_init, suite_clean);
	CU_add_test(s, "upload, confirm, download",
		    test_upload_confirm_download);
	CU_add_test(s, "refused at generate-url", test_refused_at_generate);
	CU_add_test(s, "refused at PUT", test_refused_at_put);
	CU_add_test(s, "interrupted upload", test_interrupted);
	CU_add_test(s, "sweeper", test_sweep);
	CU_add_test(s, "a plugin entity's upload target",
		    test_plugin_entity_upload);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails =
	    CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	curl_global_cleanup();
	return fails ? 1 : 0;
}
