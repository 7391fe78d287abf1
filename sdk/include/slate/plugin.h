/*
 * slate/plugin.h - what a Slate plugin exports.
 *
 * A plugin is a shared object that exports exactly one symbol, the function
 * slate_plugin_entry(), built with -fvisibility=hidden so nothing else leaks.
 * The host dlopen()s it with RTLD_NOW | RTLD_LOCAL, calls the entry, checks the
 * descriptor field by field, and only then calls init() with the host table
 * (slate/host.h). Plugins are never unloaded in ABI v1: disabling one means it
 * is not loaded at the next start.
 *
 * Compatibility rule: the plugin's abi_major must equal the host's, and its
 * abi_minor must be no newer than the host's. Every struct that crosses the
 * boundary starts with its size and only ever grows at the end, so an older
 * plugin's smaller struct is still read correctly by a newer host.
 */
#ifndef SLATE_PLUGIN_H
#define SLATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLATE_ABI_MAJOR 1
#define SLATE_ABI_MINOR 2

#define SLATE_EXPORT __attribute__((visibility("default")))
#define SLATE_PLUGIN_ENTRY_NAME "slate_plugin_entry"

typedef struct slate_host slate_host;	  /* function table, slate/host.h */
typedef struct slate_plugin slate_plugin; /* opaque: this plugin, host-owned */
struct slate_entity_def;		  /* slate/entity.h */
struct slate_link_def;			  /* slate/entity.h */
struct slate_route_def;			  /* slate/host.h */
struct slate_processor_def;		  /* slate/host.h */

/* One migration of the plugin's own schema. Versions start at 1 and increase
 * by one; the host records version and a checksum of `up`, and refuses to
 * start when an applied migration's text changed. Each runs in a transaction.
 */
typedef struct slate_migration {
	uint32_t version;
	const char *name; /* short label, e.g. "create_outfits" */
	const char *up;	  /* SQL, required */
	const char *down; /* SQL, may be NULL when irreversible */
} slate_migration;

/* The descriptor the entry function returns. It must be a const object with
 * static storage: the host keeps the pointer for the life of the process. */
typedef struct slate_plugin_desc {
	uint32_t
	    struct_size;    /* sizeof(slate_plugin_desc) as the plugin saw it */
	uint16_t abi_major; /* SLATE_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor; /* SLATE_ABI_MINOR the plugin was built with */
	const char *id;	    /* stable id, [a-z0-9_-]{1,64}; the config key */
	const char *version; /* the plugin's own version, free text */
	const char *summary; /* one line for `slatectl plugins` */

	/* Schema owned by the plugin; run before init(). May be empty. */
	const slate_migration *migrations;
	uint32_t n_migrations;
	uint32_t
	    migration_size; /* sizeof(slate_migration) as the plugin saw it */

	/* [main thread, once, may be NULL] Register routes, entities and
	 * subscriptions through `host`. `host` and `self` stay valid for the
	 * life of the process. Return 0, or -1 after writing a one-line reason
	 * into err[0..errlen). A plugin that only declares (below) needs no
	 * init at all. */
	int (*init)(slate_plugin *self, const slate_host *host, char *err,
		    size_t errlen);

	/* [main thread, once, may be NULL] Called at shutdown after the last
	 * request has finished. Free what init allocated. */
	void (*shutdown)(slate_plugin *self);

	/* Declarations the host registers after init succeeded, exactly as
	 * if init had passed each to entity_add, link_add, route_add and
	 * processor_add: most entity plugins are nothing but these, and a
	 * processor plugin's init only reads its config. NULL-terminated
	 * arrays of pointers to static definitions (each carries its own
	 * struct_size), or NULL. A failing one refuses the plugin like a
	 * failing init. */
	const struct slate_entity_def *const *entities;
	const struct slate_link_def *const *links;
	const struct slate_route_def *const *routes;
	/* ABI 1.1: processors of stored files, as if passed to
	 * processor_add. */
	const struct slate_processor_def *const *processors;
} slate_plugin_desc;

/* Designated initializers for the parts every descriptor repeats:
 *   static const slate_plugin_desc desc = {
 *       SLATE_PLUGIN_HEADER("clips", "1.0.0", "Raw clips"),
 *       SLATE_PLUGIN_MIGRATIONS(clips_migrations, CLIPS_N_MIGRATIONS),
 *       .entities = (const slate_entity_def *const[]){&clip_def, NULL},
 *   };
 */
#define SLATE_PLUGIN_HEADER(id_, version_, summary_)                           \
	.struct_size = sizeof(slate_plugin_desc),                              \
	.abi_major = SLATE_ABI_MAJOR, .abi_minor = SLATE_ABI_MINOR,            \
	.id = (id_), .version = (version_), .summary = (summary_)
#define SLATE_PLUGIN_MIGRATIONS(list_, n_)                                     \
	.migrations = (list_), .n_migrations = (n_),                           \
	.migration_size = sizeof(slate_migration)

/* The one exported symbol. Returns a pointer to a static descriptor. */
typedef const slate_plugin_desc *(*slate_plugin_entry_fn)(void);

#define SLATE_PLUGIN_DEFINE(desc_var)                                          \
	SLATE_EXPORT const slate_plugin_desc *slate_plugin_entry(void);        \
	SLATE_EXPORT const slate_plugin_desc *slate_plugin_entry(void)         \
	{                                                                      \
		return &(desc_var);                                            \
	}

#ifdef __cplusplus
}
#endif
#endif
