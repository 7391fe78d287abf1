/*
 * core.h - the process-wide registry every module hangs off: config, routes,
 * database pool, declared entities, event subscriptions, loaded plugins.
 *
 * Filled on the main thread during start-up, read-only once the HTTP server
 * starts; nothing in it needs a lock afterwards.
 */
#ifndef SLATE_CORE_H
#define SLATE_CORE_H

#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

/* Each is defined by the module that owns it (docs/architecture.md); the
 * registry only holds them, so it sits below all of them. */
typedef struct slate_entity slate_entity;
struct slate_router;
struct slate_db_pool;

typedef struct slate_sub {
	char *event;
	slate_event_fn fn;
	void *ud;
	const char *owner;
} slate_sub;

typedef struct slate_core {
	slate_config *cfg;
	struct slate_router *router; /* http/router.h */
	struct slate_db_pool *db;    /* db/pool.h */

	slate_entity **entities;
	size_t nentities;

	slate_sub *subs;
	size_t nsubs;

	struct slate_link **links;
	size_t nlinks;

	struct slate_plugin **plugins;
	size_t nplugins;

	struct slate_auth
	    *auth; /* tokens and keys (auth.h); NULL: all refused */
	struct slate_storage *storage; /* blob stores (storage.h) */
	struct slate_upload *upload; /* upload signing and sweeper (upload.h) */
	bool worker; /* this process is a job worker (slated --worker) */
} slate_core;

/* Start an empty registry over `cfg` (borrowed; outlives the core). The
 * router, pool, entities, links and plugins are made and released by their
 * own modules, in the order slated's main gives. */
void slate_core_init(slate_core *core, slate_config *cfg);
/* Free what the registry itself owns (the subscriptions). */
void slate_core_release(slate_core *core);

int slate_core_subscribe(slate_core *core, const char *owner, const char *event,
			 slate_event_fn fn, void *ud);

#endif
