/*
 * test_http_hostile.c - hostile HTTP input, over real HTTP: text that is not
 * UTF-8 or holds a NUL in the query, path or headers; a %00 that would cut
 * the path short; ambiguous framing (RFC 9112); limits answered in the
 * envelope; a client that writes its whole oversized body before it reads.
 * Requests a client library would normalize go over raw sockets. Every case
 * also checks that the refused request changed nothing.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;
static char show_id[64];

static const char config[] =
    "{\"plugins\": {\"outfits\": {\"enabled\": true}}}";

static int suite_init(void)
{
	if (th_start(&srv, config))
		return -1;
	return th_create(&srv, "/api/v1/shows", "{\"name\":\"Hostile\"}",
			 "show_id", show_id)
		   ? 0
		   : -1;
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

/* ---- raw sockets ------------------------------------------------------ */

static int raw_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)srv.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0)
		return -1;
	/* a server that stops reading must fail the test, not hang it */
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One answer read off a raw connection. */
typedef struct raw_resp {
	int status;
	bool closes; /* "Connection: close" */
	char head[2048];
	json_t *json; /* the body, NULL when not JSON */
} raw_resp;

/* Read one response from fd (headers, then Content-Length bytes) into *r.
 * 0, or -1 when none came within 5 s or the connection was reset. */
static int read_resp(int fd, raw_resp *r)
{
	static char buf[65536];
	size_t n = 0;
	memset(r, 0, sizeof(*r));
	for (;;) {
		char *end = n ? strstr(buf, "\r\n\r\n") : NULL;
		if (end) {
			size_t hl = (size_t)(end + 4 - buf);
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t want =
			    cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
			if (n >= hl + want) {
				snprintf(r->head, sizeof(r->head), "%.*s",
					 (int)hl, buf);
				r->status = atoi(buf + 9);
				r->closes = strcasestr(r->head,
						       "\r\nConnection: close");
				r->json = json_loadb(end + 4, want, 0, NULL);
				return 0;
			}
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (n + 1 >= sizeof(buf) || poll(&p, 1, 5000) != 1)
			return -1;
		ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (k <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = '\0';
	}
}

/* Send `req` (len bytes) on a new connection and read the answer. */
static int raw_exchange(const char *req, size_t len, raw_resp *r)
{
	int fd = raw_connect();
	if (fd < 0)
		return -1;
	int rc = send_all(fd, req, len) ? -1 : read_resp(fd, r);
	close(fd);
	return rc;
}

static const char *jcode(const raw_resp *r)
{
	json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
	const char *s = json_string_value(json_object_get(e, "code"));
	return s ? s : "";
}

static const char *jfield(const raw_resp *r)
{
	json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
	const char *s = json_string_value(json_object_get(e, "field"));
	return s ? s : "";
}

/* The answer is the envelope with status, code and field ("" none). */
static bool expect_envelope(const char *name, const raw_resp *r, int status,
			    const char *code, const char *field)
{
	bool ok = r->status == status && !strcmp(jcode(r), code) &&
		  !strcmp(jfield(r), field) &&
		  json_object_get(r->json, "metadata") &&
		  strcasestr(r->head, "Content-Type: application/json");
	if (!ok)
		fprintf(stderr, "%s: want %d %s '%s', got:\n%s%s\n", name,
			status, code, field, r->head,
			r->json ? json_dumps(r->json, 0) : "(not JSON)");
	return ok;
}

/* ---- text of query parameters, path and headers ---------------------- */

/* Each would reach SQL (PostgreSQL 22021) or a log as it was. */
static void test_query_text(void)
{
	static const struct {
		const char *path, *field;
	} cases[] = {
	    {"/api/v1/search/episodes?q=%FF", "q"},
	    {"/api/v1/search/outfits?q=caf%C3", "q"},
	    {"/api/v1/outfits?shoes.color=%C3%28", "shoes.color"},
	    {"/api/v1/outfits?tags=%ED%A0%80", "tags"}, /* a surrogate */
	    {"/api/v1/audit-log?user=%FF", "user"},
	    {"/api/v1/audit-log?action=%C0%AF", "action"}, /* overlong */
	    {"/api/v1/jobs?kind=%FE", "kind"},
	    {"/api/v1/shows?status=a%00b", "status"},
	    {"/api/v1/search/episodes?q%FF=1", NULL}, /* the name itself */
	};
	long before = th_fingerprint(&srv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_resp r;
		CU_ASSERT_FATAL(
		    th_req(&srv, "GET", cases[i].path, NULL, NULL, &r) == 0);
		bool ok = r.status == 400 &&
			  !strcmp(th_err_code(&r), "VALIDATION_ERROR") &&
			  (!cases[i].field ||
			   !strcmp(th_err_field(&r), cases[i].field));
		if (!ok)
			fprintf(stderr, "%s: %ld %s\n", cases[i].path, r.status,
				r.body);
		CU_ASSERT(ok);
		th_resp_free(&r);
	}
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
	/* valid UTF-8 passes */
	CU_ASSERT_EQUAL(
	    th_status(&srv, "GET", "/api/v1/search/episodes?q=caf%C3%A9", NULL),
	    200);
	CU_ASSERT_EQUAL(th_status(&srv, "GET",
				  "/api/v1/outfits?shoes.color=%E7%BA%A2",
				  NULL),
			200);
}

static void test_header_text(void)
{
	const char *hdrs[] = {"If-None-Match: \"\xff\xfe\"", NULL};
	th_resp r;
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/shows/%s", show_id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, hdrs, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), "If-None-Match");
	th_resp_free(&r);
}

/* A decoded NUL must not hand the router a shortened path. */
static void test_path_nul(void)
{
	static const struct {
		const char *method, *after_id;
		int status;
	} cases[] = {
	    {"GET", "%00.jpg", 400},
	    {"DELETE", "%00/anything", 400},
	    {"PATCH", "%00", 400},
	    {"GET", "%FF", 400},
	};
	long before = th_fingerprint(&srv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "/api/v1/shows/%s%s", show_id,
			 cases[i].after_id);
		CU_ASSERT(th_expect_error(
		    &srv, cases[i].method, path,
		    strcmp(cases[i].method, "PATCH") ? NULL
						     : "{\"name\":\"cut\"}",
		    cases[i].status, "VALIDATION_ERROR", "path"));
	}
	/* nothing was deleted or changed */
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/shows/%s", show_id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "name"), "Hostile");
	th_resp_free(&r);
}

/* ---- framing ---------------------------------------------------------- */

/* Each request would create a show if its framing were taken at its first
 * word; every one must be refused, in the envelope, on a closed
 * connection, and create nothing. */
static void test_framing(void)
{
	static const char body[] = "{\"name\":\"Smuggled\"}";
	static const struct {
		const char *name, *head;
		int status;
		const char *code, *field;
	} cases[] = {
	    {"two Content-Length",
	     "POST /api/v1/shows HTTP/1.1\r\nHost: x\r\n"
	     "Content-Length: 19\r\nContent-Length: 5\r\n",
	     400, "BAD_REQUEST", "Content-Length"},
	    {"Content-Length and Transfer-Encoding",
	     "POST /api/v1/shows HTTP/1.1\r\nHost: x\r\n"
	     "Content-Length: 19\r\nTransfer-Encoding: chunked\r\n",
	     400, "BAD_REQUEST", "Transfer-Encoding"},
	    {"no Host", "POST /api/v1/shows HTTP/1.1\r\nContent-Length: 19\r\n",
	     400, "BAD_REQUEST", "Host"},
	    {"two Host",
	     "POST /api/v1/shows HTTP/1.1\r\nHost: x\r\nHost: y\r\n"
	     "Content-Length: 19\r\n",
	     400, "BAD_REQUEST", "Host"},
	    {"unknown coding",
	     "POST /api/v1/shows HTTP/1.1\r\nHost: x\r\n"
	     "Transfer-Encoding: gzip, chunked\r\n",
	     400, "BAD_REQUEST", "Transfer-Encoding"},
	    {"chunked in HTTP/1.0",
	     "POST /api/v1/shows HTTP/1.0\r\n"
	     "Transfer-Encoding: chunked\r\n",
	     400, "BAD_REQUEST", "Transfer-Encoding"},
	};
	long before = th_fingerprint(&srv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char req[1024];
		int n = snprintf(req, sizeof(req),
				 "%sAuthorization: Bearer %s\r\n"
				 "Content-Type: application/json\r\n\r\n%s",
				 cases[i].head, srv.tok_admin, body);
		raw_resp r;
		CU_ASSERT_FATAL(raw_exchange(req, (size_t)n, &r) == 0);
		CU_ASSERT(expect_envelope(cases[i].name, &r, cases[i].status,
					  cases[i].code, cases[i].field));
		CU_ASSERT(r.closes);
		json_decref(r.json);
	}
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
	/* HTTP/1.0 without Host is still fine */
	static const char ok10[] = "GET /health HTTP/1.0\r\n\r\n";
	raw_resp r;
	CU_ASSERT_FATAL(raw_exchange(ok10, sizeof(ok10) - 1, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_decref(r.json);
}

/* ---- limits in the envelope ------------------------------------------ */

static void test_limits_in_envelope(void)
{
	static char req[40000];
	/* request target over 8 KiB: 414 */
	int n = snprintf(req, sizeof(req),
			 "GET /api/v1/%0*d HTTP/1.1\r\n"
			 "Host: x\r\n\r\n",
			 10000, 0);
	raw_resp r;
	CU_ASSERT_FATAL(raw_exchange(req, (size_t)n, &r) == 0);
	CU_ASSERT(expect_envelope("414", &r, 414, "URI_TOO_LONG", ""));
	json_decref(r.json);
	/* headers over max_header_bytes (16 KiB): 431 */
	n = snprintf(req, sizeof(req),
		     "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: %0*d\r\n\r\n",
		     30000, 0);
	CU_ASSERT_FATAL(raw_exchange(req, (size_t)n, &r) == 0);
	CU_ASSERT(expect_envelope("431", &r, 431, "HEADERS_TOO_LARGE", ""));
	json_decref(r.json);
	/* an invalid Content-Length is refused by libmicrohttpd 0.9.75
	 * before slated sees the request (README, "Hostile input"): its
	 * status only, and the server carries on */
	static const char *bad_cl[] = {"-1", "12abc",
				       "99999999999999999999999"};
	for (size_t i = 0; i < 3; i++) {
		n = snprintf(req, sizeof(req),
			     "POST /api/v1/shows HTTP/1.1\r\nHost: x\r\n"
			     "Content-Length: %s\r\n\r\n",
			     bad_cl[i]);
		CU_ASSERT_FATAL(raw_exchange(req, (size_t)n, &r) == 0);
		CU_ASSERT(r.status == 400 || r.status == 413);
		json_decref(r.json);
	}
	CU_ASSERT_EQUAL(th_status(&srv, "GET", "/health", NULL), 200);
}

/* ---- a client that writes its whole body before it reads -------------- */

/* 3 MB over the 1 MiB limit, sent whole before reading (as urllib does):
 * the 413 arrives, and the connection serves the next request. */
static void test_oversized_body_written_first(void)
{
	static const struct {
		const char *name, *path;
		bool chunked;
		int status;
		const char *code;
	} cases[] = {
	    {"413 by Content-Length", "/api/v1/shows", false, 413,
	     "PAYLOAD_TOO_LARGE"},
	    {"413 chunked", "/api/v1/shows", true, 413, "PAYLOAD_TOO_LARGE"},
	    {"404 with a body", "/api/v1/nowhere", false, 404, "NOT_FOUND"},
	};
	size_t size = 3u << 20;
	char *body = malloc(size);
	CU_ASSERT_FATAL(body != NULL);
	memset(body, 'x', size);
	long before = th_fingerprint(&srv);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool chunked = cases[i].chunked;
		char framing[64], head[2048];
		if (chunked)
			snprintf(framing, sizeof(framing),
				 "Transfer-Encoding: chunked");
		else
			snprintf(framing, sizeof(framing),
				 "Content-Length: %zu", size);
		int n = snprintf(head, sizeof(head),
				 "POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n"
				 "Authorization: Bearer %s\r\n"
				 "Content-Type: application/json\r\n\r\n",
				 cases[i].path, framing, srv.tok_admin);
		int fd = raw_connect();
		CU_ASSERT_FATAL(fd >= 0);
		bool sent = send_all(fd, head, (size_t)n) == 0;
		for (size_t off = 0; sent && off < size; off += 65536) {
			char len[32];
			int ln = snprintf(len, sizeof(len), "10000\r\n");
			sent =
			    (!chunked || send_all(fd, len, (size_t)ln) == 0) &&
			    send_all(fd, body + off, 65536) == 0 &&
			    (!chunked || send_all(fd, "\r\n", 2) == 0);
		}
		if (sent && chunked)
			sent = send_all(fd, "0\r\n\r\n", 5) == 0;
		CU_ASSERT(sent);
		raw_resp r;
		CU_ASSERT_FATAL(read_resp(fd, &r) == 0);
		CU_ASSERT(expect_envelope(cases[i].name, &r, cases[i].status,
					  cases[i].code, ""));
		json_decref(r.json);
		/* the same connection carries on */
		static const char next[] =
		    "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
		CU_ASSERT(send_all(fd, next, sizeof(next) - 1) == 0 &&
			  read_resp(fd, &r) == 0 && r.status == 200);
		json_decref(r.json);
		close(fd);
	}
	free(body);
	CU_ASSERT_EQUAL(th_fingerprint(&srv), before);
}

int main(void)
{
	static const th_test tests[] = {
	    {"query parameters must be UTF-8 without NUL", test_query_text},
	    {"header values must be UTF-8", test_header_text},
	    {"a NUL in the path is refused, nothing changes", test_path_nul},
	    {"ambiguous framing is refused (RFC 9112)", test_framing},
	    {"414 and 431 come in the envelope", test_limits_in_envelope},
	    {"a body written before reading gets its answer",
	     test_oversized_body_written_first},
	    {NULL, NULL},
	};
	return th_main("http_hostile", suite_init, suite_clean, tests);
}
