/*
 * fuzz_router.c - the path splitter and the router, over a table shaped
 * like slated's (literal and parameter segments, nested collections,
 * several methods per path). The first byte picks the method; the rest is
 * the path exactly as the server would hand it over.
 */
#include <stdio.h>

#include "fuzz.h"
#include "http/request.h"
#include "http/router.h"

static int h_noop(slate_req *r, void *ud)
{
	(void)r;
	(void)ud;
	return 0;
}

static slate_router *router(void)
{
	static slate_router *rt;
	if (rt)
		return rt;
	static const char *const paths[] = {
	    "/health",
	    "/api/v1/shows",
	    "/api/v1/shows/:showId",
	    "/api/v1/episodes/:episodeId/script",
	    "/api/v1/episodes/:episodeId/components",
	    "/api/v1/episodes/:episodeId/script-versions/:versionNumber",
	    "/api/v1/search/episodes",
	    "/api/v1/:entity/:id/links/:other",
	    "/api/v1/files/:entityType/:entityId",
	    "/api/v1/upload/put/:uploadId",
	};
	static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE"};
	rt = slate_router_new();
	char err[256];
	for (size_t i = 0; rt && i < sizeof(paths) / sizeof(paths[0]); i++)
		for (size_t m = 0; m < 4; m++) {
			slate_route t = {.method = (char *)methods[m],
					 .path = (char *)paths[i],
					 .handler = h_noop,
					 .perm = SLATE_PERM_READ,
					 .owner = "fuzz"};
			if (slate_router_add(rt, &t, err, sizeof(err)))
				abort(); /* the table itself must be valid */
		}
	return rt;
}

/* The input as a query value, read as the paging integers are. */
static void query_int(const uint8_t *data, size_t size)
{
	slate_req *r = slate_req_new(NULL);
	char *v = fuzz_strdup(data, size);
	long long out;
	if (r && v && slate_req_add_query(r, "limit", v) == 0)
		(void)slate_req_query_int(r, "limit", 1, 100, 20, &out);
	free(v);
	slate_req_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET",	"POST", "PATCH",
					      "DELETE", "PUT",	"HEAD"};
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % 6];
	char *path = fuzz_strdup(data + 1, size - 1);
	char *copy = fuzz_strdup(data + 1, size - 1);
	if (path && copy) {
		slate_match m;
		int st = slate_router_match(router(), method, path, &m);
		if (st != 200 && st != 404 && st != 405)
			abort();
		if (st == 200 && !m.route)
			abort();
		char *segs[16];
		(void)slate_path_split(copy, segs, 16);
		query_int(data + 1, size - 1);
	}
	free(path);
	free(copy);
	return 0;
}
