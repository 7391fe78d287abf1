/* plugins_report.c - see plugins_report.h. */
#include "app/plugins_report.h"

#include "app/registry.h"
#include "plugin/loader.h"

int slate_app_plugins_report(const slate_config *cfg, FILE *out)
{
	slate_core core;
	if (slate_app_registry_init(&core, (slate_config *)cfg))
		return -1;
	slate_plugins_open(&core);
	slate_plugins_init(&core);
	fprintf(out, "plugin directories: %s\n", cfg->plugin_dir);
	fprintf(out, "%-20s %-9s %-8s %-10s %s\n", "ID", "ENABLED", "STATE",
		"VERSION", "DETAIL");
	for (size_t i = 0; i < core.nplugins; i++) {
		const slate_plugin *p = core.plugins[i];
		const char *detail = p->reason[0] ? p->reason
				     : p->desc && p->desc->summary
					 ? p->desc->summary
					 : "";
		fprintf(out, "%-20s %-9s %-8s %-10s %s\n", p->id,
			slate_config_plugin_enabled(cfg, p->id) ? "yes" : "no",
			slate_plugin_state_name(p->state),
			p->desc && p->desc->version ? p->desc->version : "-",
			detail);
	}
	if (core.nplugins == 0)
		fprintf(out, "(no plugins found)\n");
	slate_plugins_shutdown(&core);
	slate_app_registry_release(&core);
	return 0;
}

int slate_app_plugins_migrations(const slate_config *cfg,
				 slate_migration_set **out, size_t *n)
{
	/* The registry lives as long as the process: the sets point into
	 * the opened plugins, which are never unloaded. */
	static slate_core core;
	if (slate_app_registry_init(&core, (slate_config *)cfg))
		return -1;
	slate_plugins_open(&core);
	return slate_plugins_collect_migrations(&core, out, n);
}
