/*
 * ratelimit.h - fixed-window counters in PostgreSQL, shared by every slated
 * process on the database: the API limit per client IP, the upload limit
 * per user, and the failed-login limits per account and per IP.
 *
 * A counter is one row of rate_limit_counters (bucket, window start), bumped
 * with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so concurrent
 * requests in any process count exactly. Windows follow the database clock.
 */
#ifndef SLATE_RATELIMIT_H
#define SLATE_RATELIMIT_H

#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct slate_ratelimit_info {
	long hits;    /* in the current window, this one included */
	long reset_s; /* seconds until the window ends */
} slate_ratelimit_info;

/* Count one hit of `bucket` on the request's connection (inside its
 * transaction when one is open). 0, or -1 (database error, not answered). */
int slate_ratelimit_hit(slate_req *r, const char *bucket, int window_s,
			slate_ratelimit_info *out);

/* The current count without adding to it. 0 or -1. */
int slate_ratelimit_peek(slate_req *r, const char *bucket, int window_s,
			 slate_ratelimit_info *out);

/* Forget a bucket's current window (a successful login clears the
 * account's failures). 0 or -1. */
int slate_ratelimit_reset(slate_req *r, const char *bucket, int window_s);

/* The API limit, before authentication: when enabled and the path is under
 * /api/, count the client IP, add the RateLimit-* headers, and answer 429
 * over the limit. 0 to go on; -1 when the request has been answered. A
 * database failure lets the request through (logged): the limit protects
 * the service, it must not take it down. */
int slate_ratelimit_api(slate_req *r);

/* The upload limit per authenticated user, for upload handlers (the storage
 * plugin's routes). 0 to go on; -1 answered with 429. */
int slate_ratelimit_upload(slate_req *r);

/* Answer 429 RATE_LIMITED with Retry-After. Returns -1. */
int slate_ratelimit_refuse(slate_req *r, long retry_after_s, const char *msg);

#endif
