/*
 * builtin.c - shows and episodes, declared through the same entity
 * interface a plugin uses.
 */
#include "entity/builtin.h"

#include "entity/engine.h"
#include "entity/register.h"

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)

static const slate_field show_fields[] = {
    {.name = "show_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255,
     .doc = "Unique show name"},
    {.name = "description",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = (const char *const[]){"active", "inactive", "archived", NULL}},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
    {.name = "metadata",
     .type = SLATE_T_JSON_OBJECT,
     .flags = SLATE_F_NOT_NULL},
};

static const slate_entity_def show_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "show",
    .path = "/api/v1/shows",
    .table = "shows",
    .id_column = "show_id",
    .id_param = "showId",
    SLATE_ENTITY_FIELDS(show_fields),
    .default_sort = "name",
    .ops = SLATE_OP_CRUD,
};

static const slate_field episode_fields[] = {
    {.name = "episode_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "show_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_REQUIRED | SLATE_F_FILTER,
     .ref_entity = "show",
     .on_delete = SLATE_REF_RESTRICT},
    {.name = "title",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 500},
    {.name = "episode_number",
     .type = SLATE_T_INT,
     .flags = SLATE_F_REQUIRED | FS,
     .min = 0,
     .max = 100000},
    {.name = "season_number",
     .type = SLATE_T_INT,
     .flags = FS | SLATE_F_NOT_NULL,
     .min = 0,
     .max = 10000},
    {.name = "status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_episode_status},
    {.name = "description",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "duration_seconds",
     .type = SLATE_T_INT,
     .flags = SLATE_F_SORT,
     .min = 0,
     .max = 1000000},
    {.name = "filming_date", .type = SLATE_T_DATE, .flags = SLATE_F_SORT},
    {.name = "edit_deadline", .type = SLATE_T_DATE, .flags = SLATE_F_SORT},
    {.name = "publish_date", .type = SLATE_T_DATE, .flags = SLATE_F_SORT},
    {.name = "released_at", .type = SLATE_T_TIMESTAMPTZ, .flags = SLATE_F_SORT},
    {.name = "script_text",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 1000000},
    {.name = "script_file_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "trailer_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "thumbnail_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "tags",
     .type = SLATE_T_TEXT_ARRAY,
     .flags = SLATE_F_FILTER,
     .max_len = 100},
    {.name = "category", .type = SLATE_T_TEXT, .flags = FS, .max_len = 100},
    {.name = "language",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_NOT_NULL,
     .max_len = 10,
     .check = SLATE_CHECK_LANGUAGE},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
    {.name = "metadata",
     .type = SLATE_T_JSON_OBJECT,
     .flags = SLATE_F_NOT_NULL},
};

static const slate_view episode_views[] = {
    {.suffix = "script",
     .fields =
	 (const char *const[]){"script_text", "script_file_reference", NULL}},
    {.suffix = "trailer",
     .fields = (const char *const[]){"trailer_reference", NULL}},
};

static const slate_filter episode_filters[] = {
    {.name = "released",
     .type = SLATE_T_BOOL,
     .sql = "(t.released_at IS NOT NULL) = $?::boolean",
     .doc = "true: released episodes only; false: unreleased only"},
};

/* The seed's SCRIPT and TRAILER uploads. A script's key is its version:
 * {n} counts the episode's earlier script uploads. */
static const char *const episode_script_types[] = {"application/pdf", NULL};
static const slate_file_target episode_files[] = {
    {.field = "script_file_reference",
     .kind = "script",
     .max_bytes = 50ull * 1024 * 1024,
     .content_types = episode_script_types,
     .key_template = "scripts/{id}/version_{n}.pdf"},
    {.field = "trailer_reference",
     .kind = "trailer",
     .max_bytes = 500ull * 1024 * 1024,
     .content_types = slate_content_types_video,
     .key_template = "trailers/{id}/{upload}-{filename}"},
};

static const slate_entity_def episode_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "episode",
    .path = "/api/v1/episodes",
    .table = "episodes",
    .id_column = "episode_id",
    .id_param = "episodeId",
    SLATE_ENTITY_FIELDS(episode_fields),
    .default_sort = "-created_at",
    .ops = SLATE_OP_CRUD,
    SLATE_ENTITY_VIEWS(episode_views),
    .search_path = "/api/v1/search/episodes",
    SLATE_ENTITY_FILTERS(episode_filters),
    SLATE_ENTITY_FILE_TARGETS(episode_files),
};

int slate_core_entities_register(slate_core *core, char *err, size_t errlen)
{
	if (slate_entity_register(core, "core", &show_def, err, errlen) ||
	    slate_entity_register(core, "core", &episode_def, err, errlen))
		return -1;
	return 0;
}
