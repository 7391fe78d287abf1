/*
 * ui_elements.c - graphic elements of an episode (overlays, lower thirds,
 * logos) and their links to episodes. Pure declaration: the core's entity
 * engine serves CRUD, validation, filters and audit rows, its link engine
 * the episode links (slate/entity.h).
 *
 * Routes:
 *   GET/POST /api/v1/ui-elements,
 *   GET/PATCH/DELETE /api/v1/ui-elements/:uiElementId
 *   GET /api/v1/ui-elements/:uiElementId/usage        episodes using it
 *   POST/GET /api/v1/episodes/:episodeId/ui-elements   link / list links
 *   DELETE /api/v1/episodes/:episodeId/ui-elements/:uiElementId
 *          [?usage_context=]
 * List filters: element_type, version, approval_status (any of a,b),
 * tags=a,b (all of them). element_name is unique among all rows, deleted
 * ones included (the seed's UNIQUE): a taken name is 409.
 *
 * backgrounds.c has the same shape; see the note there.
 */
#include <slate/host.h>

#include "ui_elements_migrations.h"

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)

/* SLATE_F_SEARCH marks what a search would cover; the seed has no
 * /search/ui-elements, so there is no search_path (yet). */
static const slate_field ui_element_fields[] = {
    {.name = "ui_element_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "element_name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255,
     .doc = "Unique name"},
    {.name = "element_type",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | FS,
     .max_len = 100,
     .doc = "Free text, e.g. lower_third, logo, overlay"},
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
    {.name = "version", .type = SLATE_T_TEXT, .flags = FS, .max_len = 50},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/* The seed's UI_ELEMENT upload: vector or raster artwork. */
static const char *const ui_element_types[] = {"image/svg+xml", "image/png",
					       "image/webp", NULL};
static const slate_file_target ui_element_files[] = {
    {.field = "file_reference",
     .kind = "ui_element",
     .max_bytes = 5ull * 1024 * 1024,
     .content_types = ui_element_types,
     .key_template = "ui-elements/{id}-{upload}-{filename}"},
};

static const slate_entity_def ui_element_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "ui_element",
    .path = "/api/v1/ui-elements",
    .table = "ui_elements",
    .id_column = "ui_element_id",
    .id_param = "uiElementId",
    SLATE_ENTITY_FIELDS(ui_element_fields),
    .default_sort = "element_name",
    .ops = SLATE_OP_CRUD,
    SLATE_ENTITY_FILE_TARGETS(ui_element_files),
};

static const slate_field link_fields[] = {
    {.name = "usage_context",
     .type = SLATE_T_TEXT,
     .max_len = 255,
     .doc = "e.g. \"intro\"; one element may be linked once per context"},
    {.name = "notes", .type = SLATE_T_TEXT, .max_len = 100000},
};

static const slate_link_def episode_ui_elements = {
    .struct_size = sizeof(slate_link_def),
    .table = "episode_ui_elements",
    .id_column = "episode_ui_element_id",
    .owner_entity = "episode",
    .owner_field = "episode_id",
    .target_entity = "ui_element",
    .target_field = "ui_element_id",
    .target_param = "uiElementId",
    .collection_path = "/api/v1/episodes/:episodeId/ui-elements",
    .usage_path = "/api/v1/ui-elements/:uiElementId/usage",
    SLATE_ENTITY_FIELDS(link_fields),
};

/* Nothing but declarations: the host registers them (no init). */
static const slate_plugin_desc ui_elements_desc = {
    SLATE_PLUGIN_HEADER("ui-elements", "1.0.0",
			"UI elements and their episode links"),
    SLATE_PLUGIN_MIGRATIONS(ui_elements_migrations, UI_ELEMENTS_N_MIGRATIONS),
    .entities = (const slate_entity_def *const[]){&ui_element_def, NULL},
    .links = (const slate_link_def *const[]){&episode_ui_elements, NULL},
};

SLATE_PLUGIN_DEFINE(ui_elements_desc)
