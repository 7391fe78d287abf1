/*
 * router.h - the table of routes: method, path pattern, handler, permission.
 *
 * Patterns are literal segments and ":name" parameters
 * ("/api/v1/episodes/:episodeId/script"). A path that matches some route
 * under another method yields 405 with the methods that would match; no
 * match at all yields 404. Routes are added at start-up only (main thread)
 * and read concurrently afterwards without locks.
 */
#ifndef SLATE_ROUTER_H
#define SLATE_ROUTER_H

#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

#define SLATE_ROUTE_MAX_SEGS 16
#define SLATE_ROUTE_MAX_PARAMS 8

typedef struct slate_kv {
	const char *key;
	const char *value;
} slate_kv;

struct slate_req;

/* A route whose body is streamed rather than buffered (uploads): its body
 * goes to these on the I/O thread as it arrives, in constant memory, and
 * its handler runs on a worker once the body is complete, as usual. */
typedef struct slate_stream_ops {
	/* Headers are in, before any body: check what needs no database and
	 * open the sink. 0 to go on; -1 with an error response set. */
	int (*begin)(struct slate_req *r);
	/* One piece of body. -1 with an error response set: the rest of the
	 * body is discarded and the error answered. */
	int (*data)(struct slate_req *r, const char *buf, size_t n);
	/* The request is over: answered, or `completed` false when the
	 * client went away or the connection failed. Drops whatever the
	 * handler did not commit. */
	void (*end)(struct slate_req *r, bool completed);
} slate_stream_ops;

typedef struct slate_route {
	char *method;
	char *path;
	char *segs[SLATE_ROUTE_MAX_SEGS]; /* ":x" marks a parameter */
	int nsegs;
	/* bit (nsegs-1-i) set when segment i is literal: among routes that
	 * match, the highest mask wins, i.e. the first segment where they
	 * differ is literal ("/a/:x/search" beats "/a/:x/:y"). */
	unsigned literal_mask;
	slate_handler_fn handler;
	void *ud;
	slate_perm perm;
	char *summary;
	const char *const *query; /* borrowed from the owner, static */
	uint32_t body_mode;
	slate_field *body; /* host-layout copy */
	uint32_t n_body;
	const char *owner; /* "core" or a plugin id, static */
	/* The handler checks query and body itself (entity CRUD); otherwise
	 * the core enforces `query` and `body_mode` before calling it. */
	bool self_checks;
	/* Non-NULL: a streaming-body route (see slate_stream_ops). */
	const slate_stream_ops *stream;
} slate_route;

typedef struct slate_router slate_router;

slate_router *slate_router_new(void);
void slate_router_free(slate_router *r);

/* Copy `tmpl` into the table. -1 with a reason in err on a bad pattern, a
 * missing handler or permission, or a method+pattern already present. */
int slate_router_add(slate_router *r, const slate_route *tmpl, char *err,
		     size_t errlen);
/* slate_router_add for each of `n` routes (a module's static table), in
 * order; stops at the first refusal. 0, or -1 with a reason in err. */
int slate_router_add_all(slate_router *r, const slate_route *routes, size_t n,
			 char *err, size_t errlen);

typedef struct slate_match {
	const slate_route *route;
	int nparams;
	slate_kv params[SLATE_ROUTE_MAX_PARAMS];
	char allow[64]; /* for 405: "GET, PATCH, DELETE" */
} slate_match;

/* Match `path` (split in place: it must be writable and outlive the match,
 * the parameter values point into it). Returns 200, 404 or 405. */
int slate_router_match(const slate_router *r, const char *method, char *path,
		       slate_match *m);

size_t slate_router_count(const slate_router *r);
/* Drop routes added after the table had `n`: a plugin whose init failed
 * leaves none of its routes behind. */
void slate_router_truncate(slate_router *r, size_t n);
const slate_route *slate_router_at(const slate_router *r, size_t i);

/* Split a path in place on '/', skipping empty segments; returns the count
 * or -1 when there are more than max. */
int slate_path_split(char *path, char **segs, int max);

#endif
