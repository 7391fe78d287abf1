/*
 * components.c - per-episode production components (audio, music, trailer,
 * intro...), the seed's `components` table.
 *
 * Everything is declared: the entity engine serves
 *   GET/POST          /api/v1/episodes/:episodeId/components
 *   GET/PATCH/DELETE  /api/v1/components/:componentId
 * with validation, audit rows, paging and filters. A component belongs to
 * one episode for life (the parent comes from the URL and is immutable), and
 * soft-deleting the episode soft-deletes its components with it
 * (SLATE_REF_CASCADE), as the seed's ON DELETE CASCADE would for a hard
 * delete.
 */
#include <slate/host.h>
#include <stdint.h>

#include "components_migrations.h"

/* What a component is. The seed leaves component_type free (VARCHAR(100));
 * this closed set keeps lists filterable, and `other` plus the free
 * component_subtype cover the rest. */
static const char *const component_types[] = {
    "audio",	"music",     "trailer",	  "intro", "outro", "sfx",
    "graphics", "voiceover", "subtitles", "other", NULL};

/* Where a component is in its life; the seed's default is 'ready'. */
static const char *const component_status[] = {"pending", "processing", "ready",
					       "failed",  "archived",	NULL};

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)

static const slate_field component_fields[] = {
    {.name = "component_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "episode_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_IMMUTABLE,
     .ref_entity = "episode",
     .on_delete = SLATE_REF_CASCADE,
     .doc = "The episode, from the URL; a component never moves"},
    {.name = "component_type",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL | FS,
     .max_len = 100,
     .one_of = component_types},
    {.name = "component_subtype",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_FILTER,
     .max_len = 100,
     .doc = "Free refinement of the type, e.g. background_music"},
    {.name = "file_reference",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .max_len = 1024,
     .doc = "Storage key, e.g. components/{episode_id}/{id}.mp3"},
    {.name = "file_size_bytes",
     .type = SLATE_T_BIGINT,
     .flags = SLATE_F_SORT,
     .min = 0,
     .max = INT64_MAX},
    {.name = "duration_seconds",
     .type = SLATE_T_INT,
     .flags = SLATE_F_SORT,
     .min = 0,
     .max = 1000000},
    {.name = "description", .type = SLATE_T_TEXT, .max_len = 100000},
    {.name = "version", .type = SLATE_T_TEXT, .max_len = 50},
    {.name = "status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = component_status},
    {.name = "metadata",
     .type = SLATE_T_JSON_OBJECT,
     .flags = SLATE_F_NOT_NULL},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/* The seed's AUDIO and IMAGE uploads, both into file_reference, under the
 * episode the component belongs to. */
static const char *const component_audio_types[] = {
    "audio/mpeg", "audio/wav", "audio/x-wav", "audio/aac",
    "audio/mp4",  "audio/ogg", NULL};
static const slate_file_target component_files[] = {
    {.field = "file_reference",
     .kind = "audio",
     .max_bytes = 100ull * 1024 * 1024,
     .content_types = component_audio_types,
     .key_template = "audio/{episode_id}/{id}-{upload}-{filename}"},
    {.field = "file_reference",
     .kind = "image",
     .max_bytes = 10ull * 1024 * 1024,
     .content_types = slate_content_types_image,
     .key_template = "components/{episode_id}/{id}-{upload}-{filename}"},
};

static const slate_entity_def component_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "component",
    .path = "/api/v1/components",
    .table = "components",
    .id_column = "component_id",
    .id_param = "componentId",
    SLATE_ENTITY_FIELDS(component_fields),
    .default_sort = "created_at",
    .ops = SLATE_OP_CRUD,
    .parent_path = "/api/v1/episodes/:episodeId/components",
    .parent_field = "episode_id",
    SLATE_ENTITY_FILE_TARGETS(component_files),
};

/* Nothing but declarations: the host registers them (no init). */
static const slate_plugin_desc components_desc = {
    SLATE_PLUGIN_HEADER(
	"components", "1.0.0",
	"Per-episode components: audio, music, trailer, intro..."),
    SLATE_PLUGIN_MIGRATIONS(components_migrations, COMPONENTS_N_MIGRATIONS),
    .entities = (const slate_entity_def *const[]){&component_def, NULL},
};

SLATE_PLUGIN_DEFINE(components_desc)
