/*
 * backgrounds.c - sets and virtual backdrops and their links to episodes.
 * Pure declaration: the core's entity engine serves CRUD, validation,
 * filters and audit rows, its link engine the episode links
 * (slate/entity.h).
 *
 * Routes:
 *   GET/POST /api/v1/backgrounds,
 *   GET/PATCH/DELETE /api/v1/backgrounds/:backgroundId
 *   GET /api/v1/backgrounds/:backgroundId/usage        episodes using it
 *   POST/GET /api/v1/episodes/:episodeId/backgrounds   link / list links
 *   DELETE /api/v1/episodes/:episodeId/backgrounds/:backgroundId
 *          [?usage_context=]
 * List filters: background_type, location, approval_status (any of a,b),
 * tags=a,b (all of them). background_name is unique among all rows,
 * deleted ones included (the seed's UNIQUE): a taken name is 409.
 *
 * This file and ui_elements.c differ only in names and a few fields: both are
 * declarations the host registers from the descriptor.
 */
#include <slate/host.h>

#include "backgrounds_migrations.h"

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)

/* SLATE_F_SEARCH marks what a search would cover; the seed has no
 * /search/backgrounds, so there is no search_path (yet). */
static const slate_field background_fields[] = {
    {.name = "background_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "background_name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255,
     .doc = "Unique name"},
    {.name = "background_type",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | FS,
     .max_len = 100,
     .doc = "Free text, e.g. studio, virtual, location"},
    {.name = "file_reference",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED,
     .max_len = 1024},
    {.name = "thumbnail_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "description",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "tags",
     .type = SLATE_T_TEXT_ARRAY,
     .flags = SLATE_F_FILTER,
     .max_len = 100},
    {.name = "location",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_SEARCH,
     .max_len = 255},
    {.name = "lighting_notes",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/* The seed's IMAGE upload. */
static const slate_file_target background_files[] = {
    {.field = "file_reference",
     .kind = "image",
     .max_bytes = 10ull * 1024 * 1024,
     .content_types = slate_content_types_image,
     .key_template = "backgrounds/{id}-{upload}-{filename}"},
};

static const slate_entity_def background_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "background",
    .path = "/api/v1/backgrounds",
    .table = "backgrounds",
    .id_column = "background_id",
    .id_param = "backgroundId",
    SLATE_ENTITY_FIELDS(background_fields),
    .default_sort = "background_name",
    .ops = SLATE_OP_CRUD,
    SLATE_ENTITY_FILE_TARGETS(background_files),
};

static const slate_field link_fields[] = {
    {.name = "usage_context",
     .type = SLATE_T_TEXT,
     .max_len = 255,
     .doc = "e.g. \"cold open\"; one background may be linked once per "
	    "context"},
    {.name = "notes", .type = SLATE_T_TEXT, .max_len = 100000},
};

static const slate_link_def episode_backgrounds = {
    .struct_size = sizeof(slate_link_def),
    .table = "episode_backgrounds",
    .id_column = "episode_background_id",
    .owner_entity = "episode",
    .owner_field = "episode_id",
    .target_entity = "background",
    .target_field = "background_id",
    .target_param = "backgroundId",
    .collection_path = "/api/v1/episodes/:episodeId/backgrounds",
    .usage_path = "/api/v1/backgrounds/:backgroundId/usage",
    SLATE_ENTITY_FIELDS(link_fields),
};

/* Nothing but declarations: the host registers them (no init). */
static const slate_plugin_desc backgrounds_desc = {
    SLATE_PLUGIN_HEADER("backgrounds", "1.0.0",
			"Backgrounds and their episode links"),
    SLATE_PLUGIN_MIGRATIONS(backgrounds_migrations, BACKGROUNDS_N_MIGRATIONS),
    .entities = (const slate_entity_def *const[]){&background_def, NULL},
    .links = (const slate_link_def *const[]){&episode_backgrounds, NULL},
};

SLATE_PLUGIN_DEFINE(backgrounds_desc)
