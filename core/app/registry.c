/* registry.c - see registry.h. */
#include "app/registry.h"

#include "entity/engine.h"
#include "entity/link.h"
#include "http/router.h"
#include "plugin/loader.h"

int slate_app_registry_init(slate_core *core, slate_config *cfg)
{
	slate_core_init(core, cfg);
	core->router = slate_router_new();
	return core->router ? 0 : -1;
}

void slate_app_registry_release(slate_core *core)
{
	slate_plugins_release(core);
	slate_links_release(core);
	slate_entities_release(core);
	slate_router_free(core->router);
	core->router = NULL;
	slate_core_release(core);
}
