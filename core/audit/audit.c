/* audit.c - see audit.h. */
#include "audit/audit.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/req_db.h"
#include "http/request.h"

int slate_audit_write(slate_req *req, const char *entity_type,
		      const char *entity_id, const char *action,
		      const char *field, const char *old_value,
		      const char *new_value)
{
	static const char sql[] =
	    "INSERT INTO audit_log (entity_type, entity_id, action, "
	    "field_name, old_value, new_value, user_id, user_email, "
	    "ip_address, user_agent) VALUES ($1, $2::uuid, $3, $4, $5, $6, "
	    "$7::uuid, $8, $9::inet, $10)";
	const char *ip = req->client_ip[0] ? req->client_ip : NULL;
	const char *params[10] = {
	    entity_type,  entity_id,
	    action,	  field,
	    old_value,	  new_value,
	    req->user_id, req->user_email,
	    ip,		  slate_req_header(req, "User-Agent"),
	};
	return slate_db_exec_req(req, sql, 10, params) ? 0 : -1;
}

const char *slate_audit_text(slate_req *req, const json_t *v)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return NULL;
	char *out = slate_arena_strdup(&req->arena, s);
	free(s);
	return out;
}
