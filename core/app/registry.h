/*
 * registry.h - the process-wide registry (base/core.h) made whole: the
 * router every module adds routes to, and, at the end, everything the
 * modules registered, released in the reverse order of registration.
 */
#ifndef SLATE_APP_REGISTRY_H
#define SLATE_APP_REGISTRY_H

#include "base/core.h"

/* An empty registry over `cfg` (borrowed) with its router. 0, or -1 when
 * out of memory (nothing to release then). */
int slate_app_registry_init(slate_core *core, slate_config *cfg);

/* Free the plugin records, links, entities, router and subscriptions. The
 * plugins must have been shut down; their code stays mapped. */
void slate_app_registry_release(slate_core *core);

#endif
