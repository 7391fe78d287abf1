/*
 * loader.h - finding, checking, loading and starting plugins.
 *
 * A plugin is <plugin_dir>/<id>.so. Only plugins enabled in config are
 * opened at all (RTLD_NOW | RTLD_LOCAL), so a disabled plugin's code never
 * runs. Each opened plugin is checked field by field against this host; a
 * refused one gets one log line naming the plugin, the file and exactly what
 * differed, and slated goes on without it.
 */
#ifndef SLATE_PLUGIN_LOADER_H
#define SLATE_PLUGIN_LOADER_H

#include <slate/plugin.h>
#include <stdio.h>

#include "base/config.h"
#include "base/core.h"
#include "base/plugin_record.h"
#include "db/migrate.h"

/* Discover and open the enabled plugins of core->cfg (no init yet). Always
 * succeeds short of memory; refusals are recorded and logged. */
int slate_plugins_open(slate_core *core);

/* The migration sets of the opened plugins (array freed by the caller). */
int slate_plugins_collect_migrations(const slate_core *core,
				     slate_migration_set **out, size_t *n);

/* Run init of every opened plugin; a failing one is refused and whatever
 * it registered is removed. */
void slate_plugins_init(slate_core *core);

/* Call shutdown of loaded plugins (main thread, after the last request). */
void slate_plugins_shutdown(slate_core *core);

/* Free the records (never dlclose: no unloading in ABI v1). */
void slate_plugins_release(slate_core *core);

/* Host-side check of a descriptor; exposed for the unit tests. 0 when
 * acceptable, else -1 with the reason. */
int slate_plugin_check_desc(const slate_plugin_desc *d, const char *file_id,
			    char *reason, size_t len);

#endif
