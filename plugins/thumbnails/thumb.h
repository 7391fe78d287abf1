/*
 * thumb.h - what the thumbnails plugin's files share: the host, the plugin
 * configuration, the entity types that have thumbnails and where theirs are
 * stored. Rendering (no host) is thumb_render.h.
 */
#ifndef THUMB_H
#define THUMB_H

#include <slate/host.h>

#include "thumb_render.h"

extern const slate_host *thumb_host;
extern slate_plugin *thumb_self;

/* plugins.thumbnails.config, read at init in every process. */
typedef struct thumb_config {
	thumb_limits lim;
	int vips_concurrency;
} thumb_config;
extern thumb_config thumb_cfg;

/* An entity type with thumbnails: its name (as in entity_type everywhere),
 * the folder of its thumbnails in the thumbnail store (the seed's layout),
 * and the field holding the file they are made from. */
typedef struct thumb_entity {
	const char *name, *plural, *field;
} thumb_entity;

/* The entity `name` if it is one with thumbnails, else NULL. */
const thumb_entity *thumb_entity_find(const char *name);

/* The names of thumb_entity_find's entities, NULL-terminated. */
extern const char *const thumb_entity_names[];

/* Which index of thumb_sizes `name` is, or -1. */
int thumb_size_find(const char *name);

/* "{plural}/{id}/{size}.jpg" into out. */
void thumb_key(const thumb_entity *e, const char *id, int size, char *out,
	       size_t len);

/* What a stored file of `kind` is made into thumbnails as: "image" or
 * "video", or NULL when that kind has none (audio, script). */
const char *thumb_source_type(const char *kind);

/* A text summary of the entity's thumbnails rows ("primary 1080x720
 * completed, ..."), as audit values, NULL when it has none. Borrowed until
 * the request ends. -1 on a database error. */
int thumb_rows_summary(slate_req *req, const char *etype, const char *id,
		       const char **out);

/* The processor's job handler (thumb_job.c). */
int thumb_job(slate_job *job, void *ud);

/* The seed's /thumbnails routes (thumb_api.c), NULL-terminated. */
extern const slate_route_def *const thumb_routes[];

#endif
