/* health.c - see health.h. */
#include "server/health.h"

#include <string.h>

#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"

static int h_health(slate_req *r, void *ud)
{
	(void)ud;
	slate_result *res = slate_db_exec_req(r, "SELECT 1", 0, NULL);
	if (!res)
		return slate_res_error(r, 503, "SERVICE_UNAVAILABLE", NULL,
				       "The database does not answer");
	return slate_res_json(
	    r, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
}

int slate_health_register(slate_core *core, char *err, size_t errlen)
{
	slate_route health;
	memset(&health, 0, sizeof(health));
	health.method = "GET";
	health.path = "/health";
	health.handler = h_health;
	health.perm = SLATE_PERM_PUBLIC;
	health.summary = "Liveness and database check";
	health.owner = "core";
	return slate_router_add(core->router, &health, err, errlen);
}
