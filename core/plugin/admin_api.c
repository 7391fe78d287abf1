/* admin_api.c - see admin_api.h. */
#include "plugin/admin_api.h"

#include <string.h>

#include "auth/auth.h"
#include "base/plugin_record.h"
#include "http/request.h"
#include "http/router.h"

static int h_routes(slate_req *r, void *ud)
{
	(void)ud;
	const slate_router *rt = r->core->router;
	json_t *arr = json_array();
	for (size_t i = 0; i < slate_router_count(rt); i++) {
		const slate_route *x = slate_router_at(rt, i);
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "method",
				   x->method, "path", x->path, "permission",
				   slate_auth_perm_name(x->perm), "owner",
				   x->owner ? x->owner : "core", "summary",
				   x->summary));
	}
	slate_res_meta(r, "total",
		       json_integer((json_int_t)json_array_size(arr)));
	return slate_res_json(r, 200, arr);
}

static int h_plugins(slate_req *r, void *ud)
{
	(void)ud;
	json_t *arr = json_array();
	for (size_t i = 0; i < r->core->nplugins; i++) {
		const struct slate_plugin *p = r->core->plugins[i];
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s?}", "id", p->id, "state",
				   slate_plugin_state_name(p->state), "reason",
				   p->reason[0] ? p->reason : NULL));
	}
	return slate_res_json(r, 200, arr);
}

int slate_admin_api_register(slate_core *core, char *err, size_t errlen)
{
	static const slate_route routes[] = {
	    {.method = "GET",
	     .path = "/api/v1/admin/routes",
	     .handler = h_routes,
	     .perm = SLATE_PERM_ADMIN,
	     .body_mode = SLATE_BODY_NONE,
	     .summary = "Every route with its permission and owner",
	     .owner = "core"},
	    {.method = "GET",
	     .path = "/api/v1/admin/plugins",
	     .handler = h_plugins,
	     .perm = SLATE_PERM_ADMIN,
	     .body_mode = SLATE_BODY_NONE,
	     .summary = "Plugins and their state",
	     .owner = "core"},
	};
	return slate_router_add_all(core->router, routes,
				    sizeof(routes) / sizeof(routes[0]), err,
				    errlen);
}
