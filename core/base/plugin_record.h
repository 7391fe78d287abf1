/*
 * plugin_record.h - what the core keeps of each plugin it found: id, file,
 * opened descriptor, state and the reason for a refusal.
 *
 * A low header on purpose: jobs, files, the pipeline and the admin routes
 * name the plugin that owns a handler or a store call, and must not depend
 * on the loader (which sits above the entity engine and the host table).
 */
#ifndef SLATE_BASE_PLUGIN_RECORD_H
#define SLATE_BASE_PLUGIN_RECORD_H

#include <slate/plugin.h>

#include "base/core.h"

typedef enum slate_plugin_state {
	SLATE_PLUGIN_DISABLED = 1, /* found, not enabled in config */
	SLATE_PLUGIN_MISSING,	   /* enabled in config, no file */
	SLATE_PLUGIN_REFUSED,	   /* failed a check or its init */
	SLATE_PLUGIN_OPENED,	   /* checks passed, init not yet run */
	SLATE_PLUGIN_LOADED,	   /* init succeeded: serving */
} slate_plugin_state;

struct slate_plugin {
	char *id;
	char *file;
	void *dl;
	const slate_plugin_desc *desc;
	slate_plugin_state state;
	char reason[512];
	slate_core *core;
};

/* "disabled", "missing", "refused", "opened" or "loaded" (static). */
const char *slate_plugin_state_name(slate_plugin_state s);

#endif
