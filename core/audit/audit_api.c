/* audit_api.c - see audit_api.h. */
#include "audit/audit_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"
#include "http/validate.h"

#define AUDIT_MAX_LIMIT 100
#define AUDIT_DEFAULT_LIMIT 20

static int time_query(slate_req *r, const char *name, const char **out)
{
	*out = slate_req_query(r, name);
	if (*out && !slate_valid_timestamp(*out) && !slate_valid_date(*out))
		return slate_res_error(r, 400, "VALIDATION_ERROR", name,
				       "'%s' must be an ISO 8601 date or "
				       "timestamp",
				       name);
	return 0;
}

/* GET /api/v1/audit-log?entity_type=&entity_id=&user=&action=&from=&to=
 * &limit=&offset= : newest first; `user` is a user id or an email; `from`
 * is inclusive, `to` exclusive. */
static int h_audit_log(slate_req *r, void *ud)
{
	(void)ud;
	static const char sql[] =
	    "WITH f AS (SELECT * FROM audit_log WHERE "
	    "($1::text IS NULL OR entity_type = $1) AND "
	    "($2::uuid IS NULL OR entity_id = $2) AND "
	    "($3::text IS NULL OR user_id::text = lower($3) OR "
	    " lower(user_email) = lower($3)) AND "
	    "($4::text IS NULL OR action = $4) AND "
	    "($5::timestamptz IS NULL OR created_at >= $5) AND "
	    "($6::timestamptz IS NULL OR created_at < $6)) "
	    "SELECT (SELECT count(*) FROM f), coalesce((SELECT json_agg(p) "
	    "FROM (SELECT audit_id, entity_type, entity_id, action, "
	    "field_name, old_value, new_value, user_id, user_email, "
	    "host(ip_address) AS ip_address, user_agent, created_at FROM f "
	    "ORDER BY created_at DESC, audit_id LIMIT $7::int OFFSET "
	    "$8::int) p), '[]')::text";
	slate_page pg;
	const char *from, *to, *entity_id;
	if (slate_req_page(r, AUDIT_MAX_LIMIT, AUDIT_DEFAULT_LIMIT, 1000000000L,
			   &pg) ||
	    time_query(r, "from", &from) || time_query(r, "to", &to) ||
	    slate_req_query_uuid(r, "entity_id", &entity_id))
		return -1;
	const char *p[8] = {slate_req_query(r, "entity_type"),
			    entity_id,
			    slate_req_query(r, "user"),
			    slate_req_query(r, "action"),
			    from,
			    to,
			    pg.limit_s,
			    pg.offset_s};
	slate_result *res = slate_db_exec_req(r, sql, 8, p);
	if (!res)
		return slate_res_db_error(r);
	slate_res_page(r, strtoll(slate_db_value(res, 0, 0), NULL, 10),
		       pg.limit, pg.offset);
	const char *rows = slate_db_value(res, 0, 1);
	return slate_res_raw(r, 200, rows, strlen(rows));
}

int slate_audit_api_register(slate_core *core, char *err, size_t errlen)
{
	static const char *const audit_query[] = {
	    "entity_type", "entity_id", "user",	  "action", "from",
	    "to",	   "limit",	"offset", NULL};
	static const slate_route route = {.method = "GET",
					  .path = "/api/v1/audit-log",
					  .handler = h_audit_log,
					  .perm = SLATE_PERM_ADMIN,
					  .query = audit_query,
					  .body_mode = SLATE_BODY_NONE,
					  .summary =
					      "The audit log, newest first",
					  .owner = "core"};
	return slate_router_add(core->router, &route, err, errlen);
}
