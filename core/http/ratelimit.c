/* ratelimit.c - see ratelimit.h. */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/core.h"
#include "base/log.h"
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

/* ---- client address --------------------------------------------------- */

static int parse_ip(const char *s, unsigned char out[16], int *bits)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*bits = 32;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*bits = 128;
		return AF_INET6;
	}
	return -1;
}

bool slate_ratelimit_ip_match(const char *ip, const char *spec)
{
	char net[64];
	unsigned char a[16], b[16];
	int abits, bbits;
	const char *slash = strchr(spec, '/');
	size_t n = slash ? (size_t)(slash - spec) : strlen(spec);
	if (n >= sizeof(net))
		return false;
	memcpy(net, spec, n);
	net[n] = '\0';
	int fa = parse_ip(ip, a, &abits), fb = parse_ip(net, b, &bbits);
	if (fa < 0 || fa != fb)
		return false;
	int prefix = bbits;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v < 0 || v > bbits)
			return false;
		prefix = (int)v;
	}
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, (size_t)full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (b[full] & mask))
			return false;
	}
	return true;
}

static bool trusted_ip(char *const *trusted, const char *ip)
{
	for (size_t i = 0; trusted && trusted[i]; i++)
		if (slate_ratelimit_ip_match(ip, trusted[i]))
			return true;
	return false;
}

void slate_ratelimit_client_ip(char *const *trusted, const char *peer,
			       const char *xff, char *out, size_t len)
{
	snprintf(out, len, "%s", peer ? peer : "");
	if (!xff || !peer || !trusted_ip(trusted, peer))
		return;
	/* Walk right to left: each hop appended the address it saw. */
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *a = start, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		char ip[64];
		unsigned char tmp[16];
		int bits;
		if (b > a && (size_t)(b - a) < sizeof(ip)) {
			memcpy(ip, a, (size_t)(b - a));
			ip[b - a] = '\0';
			if (parse_ip(ip, tmp, &bits) < 0)
				return; /* garbage: keep what we have */
			snprintf(out, len, "%s", ip);
			if (!trusted_ip(trusted, ip))
				return;
		}
		end = start > xff ? start - 1 : xff;
	}
}
