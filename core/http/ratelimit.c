/* ratelimit.c - see ratelimit.h. */
#include "http/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/core.h"
#include "base/log.h"
#include "http/req_db.h"
#include "http/request.h"

/* The window a moment falls in: epoch seconds rounded down to window_s.
 * The stored bucket is "<bucket>/<window_s>": processes configured with
 * different windows never share a row. */
#define WINDOW_START                                                           \
	"to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int)"

int slate_ratelimit_hit(slate_req *r, const char *bucket, int window_s,
			slate_ratelimit_info *out)
{
	static const char sql[] =
	    "INSERT INTO rate_limit_counters AS c (bucket, window_start, "
	    "hits) VALUES ($1 || '/' || $2, " WINDOW_START ", 1) "
	    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = "
	    "c.hits + 1 RETURNING hits, ceil(extract(epoch FROM "
	    "c.window_start) + $2::int - extract(epoch FROM now()))::bigint";
	char w[16];
	snprintf(w, sizeof(w), "%d", window_s);
	const char *p[2] = {bucket, w};
	slate_result *res = slate_db_exec_req(r, sql, 2, p);
	if (!res || slate_db_rows(res) != 1)
		return -1;
	out->hits = strtol(slate_db_value(res, 0, 0), NULL, 10);
	out->reset_s = strtol(slate_db_value(res, 0, 1), NULL, 10);
	if (out->reset_s < 1)
		out->reset_s = 1;
	/* A new window now and then: sweep the long-finished ones. */
	if (out->hits == 1 && (rand() & 63) == 0)
		slate_db_exec_req(r,
				  "DELETE FROM rate_limit_counters WHERE "
				  "window_start < now() - interval '2 days'",
				  0, NULL);
	return 0;
}

int slate_ratelimit_peek(slate_req *r, const char *bucket, int window_s,
			 slate_ratelimit_info *out)
{
	static const char sql[] =
	    "SELECT coalesce((SELECT hits FROM rate_limit_counters WHERE "
	    "bucket = $1 || '/' || $2 AND window_start = " WINDOW_START
	    "), 0), "
	    "ceil(extract(epoch FROM " WINDOW_START ") + $2::int - "
	    "extract(epoch FROM now()))::bigint";
	char w[16];
	snprintf(w, sizeof(w), "%d", window_s);
	const char *p[2] = {bucket, w};
	slate_result *res = slate_db_exec_req(r, sql, 2, p);
	if (!res || slate_db_rows(res) != 1)
		return -1;
	out->hits = strtol(slate_db_value(res, 0, 0), NULL, 10);
	out->reset_s = strtol(slate_db_value(res, 0, 1), NULL, 10);
	if (out->reset_s < 1)
		out->reset_s = 1;
	return 0;
}

int slate_ratelimit_reset(slate_req *r, const char *bucket, int window_s)
{
	char w[16];
	snprintf(w, sizeof(w), "%d", window_s);
	const char *p[2] = {bucket, w};
	return slate_db_exec_req(
		   r,
		   "DELETE FROM rate_limit_counters WHERE bucket "
		   "= $1 || '/' || $2 AND window_start = " WINDOW_START,
		   2, p)
		   ? 0
		   : -1;
}

int slate_ratelimit_refuse(slate_req *r, long retry_after_s, const char *msg)
{
	char v[24];
	snprintf(v, sizeof(v), "%ld", retry_after_s);
	slate_res_header(r, "Retry-After", v);
	return slate_res_error(r, 429, "RATE_LIMITED", NULL,
			       "%s; retry in %ld s", msg, retry_after_s);
}

/* Count `bucket` against `max`, add the RateLimit-* headers, refuse over
 * the limit. */
static int limit(slate_req *r, const char *bucket, int max, int window_s,
		 const char *what)
{
	slate_ratelimit_info info;
	if (slate_ratelimit_hit(r, bucket, window_s, &info)) {
		slate_log(SLATE_LOG_WARN, "core", r->request_id,
			  "rate limit %s not counted (database)", what);
		r->sqlstate[0] = '\0';
		return 0;
	}
	char v[64];
	long remaining = max - info.hits;
	snprintf(v, sizeof(v), "%d", max);
	slate_res_header(r, "RateLimit-Limit", v);
	snprintf(v, sizeof(v), "%ld", remaining > 0 ? remaining : 0);
	slate_res_header(r, "RateLimit-Remaining", v);
	snprintf(v, sizeof(v), "%ld", info.reset_s);
	slate_res_header(r, "RateLimit-Reset", v);
	snprintf(v, sizeof(v), "%d;w=%d", max, window_s);
	slate_res_header(r, "RateLimit-Policy", v);
	if (info.hits <= max)
		return 0;
	char msg[128];
	snprintf(msg, sizeof(msg), "Too many %s: at most %d per %d s", what,
		 max, window_s);
	return slate_ratelimit_refuse(r, info.reset_s, msg);
}

int slate_ratelimit_api(slate_req *r)
{
	const slate_config *cfg = r->core->cfg;
	if (!cfg->rate_limit_enabled || strncmp(r->path, "/api/", 5))
		return 0;
	char bucket[96];
	snprintf(bucket, sizeof(bucket), "api:ip:%s", r->client_ip);
	return limit(r, bucket, cfg->rl_api_max, cfg->rl_api_window_s,
		     "requests");
}

int slate_ratelimit_upload(slate_req *r)
{
	const slate_config *cfg = r->core->cfg;
	if (!cfg->rate_limit_enabled)
		return 0;
	char bucket[128];
	if (r->user_id)
		snprintf(bucket, sizeof(bucket), "upload:user:%s", r->user_id);
	else
		snprintf(bucket, sizeof(bucket), "upload:ip:%s", r->client_ip);
	return limit(r, bucket, cfg->rl_upload_max, cfg->rl_upload_window_s,
		     "uploads");
}
