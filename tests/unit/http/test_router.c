/* test_router.c - core/router.h: patterns, matching, 404/405, refusals. */
#include <stdio.h>
#include <string.h>

#include "http/router.h"
#include "unit.h"

static int handler_a(slate_req *req, void *ud)
{
	return 0;
}

static int handler_b(slate_req *req, void *ud)
{
	return 0;
}

/* Add one route; 0 or -1 with the reason in err. */
static int add_route(slate_router *r, const char *method, const char *path,
		     slate_handler_fn fn, slate_perm perm, char *err,
		     size_t errlen)
{
	slate_route t;
	memset(&t, 0, sizeof(t));
	t.method = (char *)method;
	t.path = (char *)path;
	t.handler = fn;
	t.perm = perm;
	t.owner = "test";
	err[0] = '\0';
	return slate_router_add(r, &t, err, errlen);
}

static int add_ok(slate_router *r, const char *method, const char *path,
		  slate_handler_fn fn)
{
	char err[256];
	int rc =
	    add_route(r, method, path, fn, SLATE_PERM_READ, err, sizeof(err));
	if (rc)
		fprintf(stderr, "add %s %s: %s\n", method, path, err);
	return rc;
}

/* Match `path` (copied: the router splits it in place). */
static int match(const slate_router *r, const char *method, const char *path,
		 char *buf, size_t buflen, slate_match *m)
{
	snprintf(buf, buflen, "%s", path);
	return slate_router_match(r, method, buf, m);
}

static const char *param(const slate_match *m, const char *key)
{
	for (int i = 0; i < m->nparams; i++)
		if (!strcmp(m->params[i].key, key))
			return m->params[i].value;
	return NULL;
}

static void test_literal_match(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(slate_router_count(r), 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/health", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows", handler_b), 0);
	CU_ASSERT_EQUAL(slate_router_count(r), 2);

	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(match(r, "GET", "/api/v1/shows", buf, sizeof(buf), &m),
			200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
	CU_ASSERT(m.route->handler == handler_b);
	UNIT_ASSERT_STR_EQ(m.route->path, "/api/v1/shows");
	CU_ASSERT_EQUAL(m.nparams, 0);
	CU_ASSERT_EQUAL(match(r, "GET", "/health", buf, sizeof(buf), &m), 200);
	CU_ASSERT(m.route && m.route->handler == handler_a);
	slate_router_free(r);
}

static void test_params_extracted(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET",
			       "/api/v1/shows/:showId/episodes/:episodeId",
			       handler_a),
			0);
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(match(r, "GET", "/api/v1/shows/s-1/episodes/e-2", buf,
			      sizeof(buf), &m),
			200);
	CU_ASSERT_EQUAL(m.nparams, 2);
	UNIT_ASSERT_STR_EQ(param(&m, "showId"), "s-1");
	UNIT_ASSERT_STR_EQ(param(&m, "episodeId"), "e-2");
	/* Values point into the caller's (split) buffer. */
	const char *v = param(&m, "showId");
	CU_ASSERT(v >= buf && v < buf + sizeof(buf));
	/* A literal segment that differs does not match. */
	CU_ASSERT_EQUAL(match(r, "GET", "/api/v1/shows/s-1/scenes/e-2", buf,
			      sizeof(buf), &m),
			404);
	slate_router_free(r);
}

static void check_search_beats_id(int search_first)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	if (search_first) {
		CU_ASSERT_EQUAL(
		    add_ok(r, "GET", "/api/v1/episodes/search", handler_a), 0);
		CU_ASSERT_EQUAL(
		    add_ok(r, "GET", "/api/v1/episodes/:id", handler_b), 0);
	} else {
		CU_ASSERT_EQUAL(
		    add_ok(r, "GET", "/api/v1/episodes/:id", handler_b), 0);
		CU_ASSERT_EQUAL(
		    add_ok(r, "GET", "/api/v1/episodes/search", handler_a), 0);
	}
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(
	    match(r, "GET", "/api/v1/episodes/search", buf, sizeof(buf), &m),
	    200);
	CU_ASSERT(m.route && m.route->handler == handler_a);
	CU_ASSERT_EQUAL(m.nparams, 0);
	CU_ASSERT_EQUAL(
	    match(r, "GET", "/api/v1/episodes/abc", buf, sizeof(buf), &m), 200);
	CU_ASSERT(m.route && m.route->handler == handler_b);
	UNIT_ASSERT_STR_EQ(param(&m, "id"), "abc");
	slate_router_free(r);
}

static void test_literal_beats_param(void)
{
	check_search_beats_id(1);
	check_search_beats_id(0);
}

/*
 * Regression guard for a fixed bug (router.c:188-205, slate_router_match): the
 * two passes put wholly literal routes first, but among routes that both
 * contain a parameter the first registered wins, so "/shows/:s/episodes/search"
 * loses to an earlier "/shows/:s/episodes/:e". It failed until the matcher
 * prefers the route whose first differing segment is literal.
 */
static void test_literal_beats_param_with_params(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(
	    add_ok(r, "GET", "/api/v1/shows/:showId/episodes/:id", handler_b),
	    0);
	CU_ASSERT_EQUAL(add_ok(r, "GET",
			       "/api/v1/shows/:showId/episodes/search",
			       handler_a),
			0);
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(match(r, "GET", "/api/v1/shows/s1/episodes/search", buf,
			      sizeof(buf), &m),
			200);
	CU_ASSERT(m.route && m.route->handler == handler_a);
	CU_ASSERT_EQUAL(m.nparams, 1);
	UNIT_ASSERT_STR_EQ(param(&m, "showId"), "s1");
	slate_router_free(r);
}

static void test_not_found(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/:id", handler_a), 0);
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(
	    match(r, "GET", "/api/v1/people/1", buf, sizeof(buf), &m), 404);
	CU_ASSERT_PTR_NULL(m.route);
	CU_ASSERT_EQUAL(m.allow[0], '\0');
	/* More or fewer segments than the pattern. */
	CU_ASSERT_EQUAL(match(r, "GET", "/api/v1/shows", buf, sizeof(buf), &m),
			404);
	CU_ASSERT_EQUAL(
	    match(r, "GET", "/api/v1/shows/1/x", buf, sizeof(buf), &m), 404);
	CU_ASSERT_EQUAL(match(r, "GET", "/", buf, sizeof(buf), &m), 404);
	/* An empty table. */
	slate_router *empty = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(empty);
	CU_ASSERT_EQUAL(match(empty, "GET", "/x", buf, sizeof(buf), &m), 404);
	slate_router_free(empty);
	slate_router_free(r);
}

static void test_method_not_allowed(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "POST", "/api/v1/shows", handler_b), 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/:id", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "PATCH", "/api/v1/shows/:id", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "DELETE", "/api/v1/shows/:id", handler_a), 0);
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(
	    match(r, "DELETE", "/api/v1/shows", buf, sizeof(buf), &m), 405);
	CU_ASSERT_PTR_NULL(m.route);
	UNIT_ASSERT_STR_EQ(m.allow, "GET, POST");
	CU_ASSERT_EQUAL(
	    match(r, "PUT", "/api/v1/shows/42", buf, sizeof(buf), &m), 405);
	UNIT_ASSERT_STR_EQ(m.allow, "GET, PATCH, DELETE");
	/* A method the router does not know at all is a 405 too. */
	CU_ASSERT_EQUAL(
	    match(r, "OPTIONS", "/api/v1/shows", buf, sizeof(buf), &m), 405);
	UNIT_ASSERT_STR_EQ(m.allow, "GET, POST");
	slate_router_free(r);
}

static void test_head_matches_get(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/:id", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "POST", "/api/v1/jobs", handler_b), 0);
	char buf[128];
	slate_match m;
	CU_ASSERT_EQUAL(
	    match(r, "HEAD", "/api/v1/shows/7", buf, sizeof(buf), &m), 200);
	CU_ASSERT(m.route && m.route->handler == handler_a);
	UNIT_ASSERT_STR_EQ(param(&m, "id"), "7");
	/* HEAD where only POST exists: not allowed, POST is offered. */
	CU_ASSERT_EQUAL(match(r, "HEAD", "/api/v1/jobs", buf, sizeof(buf), &m),
			405);
	UNIT_ASSERT_STR_EQ(m.allow, "POST");
	/* HEAD cannot be registered itself: it is served by GET. */
	char err[256];
	CU_ASSERT_EQUAL(add_route(r, "HEAD", "/x", handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	slate_router_free(r);
}

static void test_duplicate_refused(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char err[256];
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/:id", handler_a), 0);
	CU_ASSERT_EQUAL(add_route(r, "GET", "/api/v1/shows/:id", handler_b,
				  SLATE_PERM_READ, err, sizeof(err)),
			-1);
	CU_ASSERT(err[0] != '\0');
	UNIT_ASSERT_STR_CONTAINS(err, "/api/v1/shows/:id");
	/* Another parameter name is the same pattern. */
	CU_ASSERT_EQUAL(add_route(r, "GET", "/api/v1/shows/:showId", handler_b,
				  SLATE_PERM_READ, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(slate_router_count(r), 1);
	/* The same pattern under another method, or a literal in place of
	 * the parameter, is a different route. */
	CU_ASSERT_EQUAL(add_ok(r, "PATCH", "/api/v1/shows/:id", handler_b), 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/latest", handler_b), 0);
	CU_ASSERT_EQUAL(slate_router_count(r), 3);
	slate_router_free(r);
}

static void test_handler_and_permission_required(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char err[256];
	CU_ASSERT_EQUAL(
	    add_route(r, "GET", "/a", NULL, SLATE_PERM_READ, err, sizeof(err)),
	    -1);
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_EQUAL(add_route(r, "GET", "/a", handler_a, (slate_perm)0, err,
				  sizeof(err)),
			-1);
	UNIT_ASSERT_STR_CONTAINS(err, "permission");
	CU_ASSERT_EQUAL(add_route(r, "GET", "/a", handler_a,
				  (slate_perm)(SLATE_PERM_ADMIN + 1), err,
				  sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(slate_router_count(r), 0);
	/* Every declared permission is accepted. */
	CU_ASSERT_EQUAL(add_route(r, "GET", "/p", handler_a, SLATE_PERM_PUBLIC,
				  err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(add_route(r, "GET", "/w", handler_a, SLATE_PERM_WRITE,
				  err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(add_route(r, "GET", "/d", handler_a, SLATE_PERM_ADMIN,
				  err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(slate_router_count(r), 3);
	slate_router_free(r);
}

static void test_malformed_patterns(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char err[256];
	static const char *const bad[] = {
	    "api/v1/shows", "", "/a/:", "/:/b", "/a/:/b", NULL,
	};
	for (int i = 0; bad[i]; i++) {
		CU_ASSERT_EQUAL(add_route(r, "GET", bad[i], handler_a,
					  SLATE_PERM_READ, err, sizeof(err)),
				-1);
		CU_ASSERT(err[0] != '\0');
	}
	CU_ASSERT_EQUAL(add_route(r, "GET", NULL, handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	/* Unknown or lower-case methods. */
	CU_ASSERT_EQUAL(add_route(r, "FETCH", "/a", handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(add_route(r, "get", "/a", handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(add_route(r, NULL, "/a", handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(slate_router_count(r), 0);
	slate_router_free(r);
}

/* "/s0/s1/.../s<n-1>", with ":p<i>" for the first `params` segments. */
static void build_path(char *out, size_t len, int n, int params)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "/%s%d",
				      i < params ? ":p" : "s", i);
}

static void test_segment_and_param_limits(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char err[256], path[512], buf[512];
	slate_match m;

	build_path(path, sizeof(path), SLATE_ROUTE_MAX_SEGS, 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", path, handler_a), 0);
	CU_ASSERT_EQUAL(match(r, "GET", path, buf, sizeof(buf), &m), 200);

	build_path(path, sizeof(path), SLATE_ROUTE_MAX_SEGS + 1, 0);
	CU_ASSERT_EQUAL(add_route(r, "GET", path, handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	UNIT_ASSERT_STR_CONTAINS(err, "malformed");
	/* A request path that is too long simply matches nothing. */
	CU_ASSERT_EQUAL(match(r, "GET", path, buf, sizeof(buf), &m), 404);

	build_path(path, sizeof(path), SLATE_ROUTE_MAX_PARAMS,
		   SLATE_ROUTE_MAX_PARAMS);
	CU_ASSERT_EQUAL(add_ok(r, "POST", path, handler_a), 0);
	build_path(path, sizeof(path), SLATE_ROUTE_MAX_PARAMS + 1,
		   SLATE_ROUTE_MAX_PARAMS + 1);
	CU_ASSERT_EQUAL(add_route(r, "POST", path, handler_a, SLATE_PERM_READ,
				  err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(slate_router_count(r), 2);

	/* All eight parameters come back, in order. */
	CU_ASSERT_EQUAL(
	    match(r, "POST", "/a/b/c/d/e/f/g/h", buf, sizeof(buf), &m), 200);
	CU_ASSERT_EQUAL(m.nparams, SLATE_ROUTE_MAX_PARAMS);
	UNIT_ASSERT_STR_EQ(param(&m, "p0"), "a");
	UNIT_ASSERT_STR_EQ(param(&m, "p7"), "h");
	slate_router_free(r);
}

static void test_route_is_copied(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	char method[8] = "GET", path[32] = "/copied/:id", summary[16] = "sum";
	slate_route t;
	memset(&t, 0, sizeof(t));
	t.method = method;
	t.path = path;
	t.summary = summary;
	t.handler = handler_a;
	t.perm = SLATE_PERM_READ;
	t.owner = "test";
	char err[256];
	CU_ASSERT_EQUAL_FATAL(slate_router_add(r, &t, err, sizeof(err)), 0);
	memset(method, 'X', sizeof(method) - 1);
	memset(path, 'X', sizeof(path) - 1);
	memset(summary, 'X', sizeof(summary) - 1);

	const slate_route *rt = slate_router_at(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	UNIT_ASSERT_STR_EQ(rt->method, "GET");
	UNIT_ASSERT_STR_EQ(rt->path, "/copied/:id");
	UNIT_ASSERT_STR_EQ(rt->summary, "sum");
	CU_ASSERT_EQUAL(rt->perm, SLATE_PERM_READ);
	CU_ASSERT_PTR_NULL(slate_router_at(r, 1));

	char buf[64];
	slate_match m;
	CU_ASSERT_EQUAL(match(r, "GET", "/copied/9", buf, sizeof(buf), &m),
			200);
	slate_router_free(r);
}

static void test_truncate(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/core", handler_a), 0);
	size_t before = slate_router_count(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/plugin/a", handler_b), 0);
	CU_ASSERT_EQUAL(add_ok(r, "POST", "/plugin/b/:id", handler_b), 0);
	CU_ASSERT_EQUAL(slate_router_count(r), before + 2);

	slate_router_truncate(r, before);
	CU_ASSERT_EQUAL(slate_router_count(r), before);
	char buf[64];
	slate_match m;
	CU_ASSERT_EQUAL(match(r, "GET", "/plugin/a", buf, sizeof(buf), &m),
			404);
	CU_ASSERT_EQUAL(match(r, "POST", "/plugin/b/1", buf, sizeof(buf), &m),
			404);
	CU_ASSERT_EQUAL(match(r, "GET", "/core", buf, sizeof(buf), &m), 200);
	/* The dropped routes can be registered again. */
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/plugin/a", handler_b), 0);
	/* Truncating to a larger count changes nothing. */
	slate_router_truncate(r, 100);
	CU_ASSERT_EQUAL(slate_router_count(r), before + 1);
	slate_router_truncate(r, 0);
	CU_ASSERT_EQUAL(slate_router_count(r), 0);
	slate_router_free(r);
}

/*
 * Documents what the router does with empty segments: both patterns and
 * request paths are split skipping empty segments, so a trailing slash and
 * doubled slashes are ignored on both sides.
 */
static void test_slashes(void)
{
	slate_router *r = slate_router_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/api/v1/shows/:id", handler_a), 0);
	CU_ASSERT_EQUAL(add_ok(r, "GET", "/", handler_b), 0);
	char buf[128], err[256];
	slate_match m;
	CU_ASSERT_EQUAL(
	    match(r, "GET", "/api/v1/shows/1/", buf, sizeof(buf), &m), 200);
	UNIT_ASSERT_STR_EQ(param(&m, "id"), "1");
	CU_ASSERT_EQUAL(
	    match(r, "GET", "//api//v1/shows//1", buf, sizeof(buf), &m), 200);
	UNIT_ASSERT_STR_EQ(param(&m, "id"), "1");
	/* The root pattern has no segment; "///" is the root too. */
	CU_ASSERT_EQUAL(match(r, "GET", "/", buf, sizeof(buf), &m), 200);
	CU_ASSERT(m.route && m.route->handler == handler_b);
	CU_ASSERT_EQUAL(match(r, "GET", "///", buf, sizeof(buf), &m), 200);
	/* A pattern with a trailing or doubled slash is the same pattern. */
	CU_ASSERT_EQUAL(add_route(r, "GET", "/api/v1/shows/:id/", handler_a,
				  SLATE_PERM_READ, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(add_route(r, "GET", "/api//v1/shows/:id", handler_a,
				  SLATE_PERM_READ, err, sizeof(err)),
			-1);
	slate_router_free(r);
}

static void test_path_split(void)
{
	char path[] = "/a//bb/c/";
	char *segs[4];
	CU_ASSERT_EQUAL(slate_path_split(path, segs, 4), 3);
	UNIT_ASSERT_STR_EQ(segs[0], "a");
	UNIT_ASSERT_STR_EQ(segs[1], "bb");
	UNIT_ASSERT_STR_EQ(segs[2], "c");
	char over[] = "/a/b/c";
	CU_ASSERT_EQUAL(slate_path_split(over, segs, 2), -1);
	char root[] = "/";
	CU_ASSERT_EQUAL(slate_path_split(root, segs, 4), 0);
	char empty[] = "";
	CU_ASSERT_EQUAL(slate_path_split(empty, segs, 4), 0);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"literal routes match", test_literal_match},
	    {"params are extracted", test_params_extracted},
	    {"literal beats param", test_literal_beats_param},
	    {"literal beats param among routes "
	     "with params",
	     test_literal_beats_param_with_params},
	    {"404 when nothing matches", test_not_found},
	    {"405 lists the allowed methods", test_method_not_allowed},
	    {"HEAD matches GET", test_head_matches_get},
	    {"duplicate method+pattern refused", test_duplicate_refused},
	    {"handler and permission required",
	     test_handler_and_permission_required},
	    {"malformed patterns and methods refused", test_malformed_patterns},
	    {"segment and parameter limits", test_segment_and_param_limits},
	    {"route strings are copied", test_route_is_copied},
	    {"truncate drops later routes", test_truncate},
	    {"trailing and double slashes are ignored", test_slashes},
	    {"path split", test_path_split},
	    {NULL, NULL},
	};
	return unit_run("router", tests);
}
