/* dispatch.c - see dispatch.h. */
#include "server/dispatch.h"

#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "base/core.h"
#include "base/json_body.h"
#include "base/log.h"
#include "http/envelope.h"
#include "http/ratelimit.h"
#include "http/req_db.h"
#include "http/router.h"
#include "http/validate.h"

void slate_req_check_input(slate_req *r)
{
	const slate_route *rt = r->match.route;
	const slate_config *cfg = r->core->cfg;
	if (r->body_len > 0) {
		char err[256];
		if (rt->body_mode == SLATE_BODY_NONE) {
			slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					"This endpoint takes no request body");
			return;
		}
		const char *ct = slate_req_header(r, "Content-Type");
		if (ct && strncasecmp(ct, "application/json", 16) != 0) {
			slate_res_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL,
					"The body must be application/json");
			return;
		}
		r->body =
		    slate_json_parse(r->body_buf, r->body_len,
				     cfg->max_json_depth, err, sizeof(err));
		if (!r->body) {
			slate_res_error(r, 400, "INVALID_JSON", NULL, "%s",
					err);
			return;
		}
	}
	if (rt->self_checks)
		return;
	for (int i = 0; i < r->nquery; i++) {
		bool ok = false;
		for (int k = 0; rt->query && rt->query[k]; k++)
			ok |= !strcmp(rt->query[k], r->query[i].key);
		if (!ok) {
			slate_res_error(
			    r, 400, "VALIDATION_ERROR", r->query[i].key,
			    "Unknown query parameter '%s'", r->query[i].key);
			return;
		}
	}
	if (rt->body_mode == SLATE_BODY_FIELDS) {
		if (!r->body) {
			slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					"A JSON body is required");
			return;
		}
		slate_validate_object(r, r->body, rt->body, rt->n_body,
				      SLATE_VALIDATE_CREATE);
	}
}

void slate_req_execute(slate_req *r)
{
	const slate_route *rt = r->match.route;
	int rc = 0;
	/* Before the handler: rate limit (outside any transaction, so a
	 * refused or failed request still counts), who is asking, the
	 * input. Each answers the request itself when it refuses. */
	r->want_tx = false;
	slate_log_bind_request(r->request_id);
	if (slate_ratelimit_api(r) == 0 && slate_auth_request(r, rt->perm) == 0)
		slate_req_check_input(r);
	if (!slate_req_failed(r)) {
		r->want_tx =
		    strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
		rc = rt->handler(r, rt->ud);
	}
	bool ok = rc == 0 && !slate_req_failed(r);
	if (rc != 0 && !r->errors)
		slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				"Internal error (request %s)", r->request_id);
	slate_req_finish(r, ok); /* its events' subscribers log with its id */
	slate_log_bind_request(NULL);
	slate_req_build_response(r);
}
