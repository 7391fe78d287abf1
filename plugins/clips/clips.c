/*
 * clips.c - raw footage clips, the seed's `clips` table.
 *
 * The entity engine serves CRUD at /api/v1/clips, the filters and the search
 * at /api/v1/search/clips from the declaration below. The plugin adds two
 * actions, POST /api/v1/clips/:clipId/assign-episode and .../unassign-episode,
 * which are PATCHes of episode_id through host->entity_patch so they are
 * validated, audited and evented exactly like one.
 *
 * A clip may belong to no episode ("standalone": shot before an episode was
 * planned, or kept after its episode was deleted). Soft-deleting an episode
 * keeps its clips and sets their episode_id to null (SLATE_REF_SET_NULL, the
 * seed's ON DELETE SET NULL), so they stay listable with ?standalone=true.
 */
#include <slate/host.h>
#include <stdint.h>

#include "clips_migrations.h"

static const slate_host *host;

/* Review state of a clip. The seed only gives the default, 'pending_review';
 * a reviewer approves or rejects it, and an archived clip is kept but out of
 * the editors' way. */
static const char *const clip_status[] = {"pending_review", "approved",
					  "rejected", "archived", NULL};

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)

/* Who shot a clip: the show's own enumeration (the seed's section 11). It
 * lives here, with the entity that declares it; other plugins (ingest's
 * folder config) check values through host->entity_check_value. */
static const char *const talent_sources[] = {"Lala", "JustAWomanInHerPrime",
					     "Guest", NULL};

static const slate_field clip_fields[] = {
    {.name = "clip_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "episode_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_FILTER,
     .ref_entity = "episode",
     .on_delete = SLATE_REF_SET_NULL,
     .doc = "The episode using the clip; null for a standalone clip"},
    {.name = "talent_source",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL | FS,
     .max_len = 100,
     .one_of = talent_sources},
    {.name = "clip_type",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_NOT_NULL | SLATE_F_FILTER,
     .max_len = 50,
     .check = SLATE_CHECK_IDENT,
     .doc = "raw (the default), b_roll, interview..."},
    {.name = "file_reference",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .max_len = 1024,
     .doc = "Storage key, e.g. raw/{episode_id}/{talent}/clip.mov"},
    {.name = "file_hash", .type = SLATE_T_TEXT, .max_len = 128},
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
    {.name = "timecode_in", .type = SLATE_T_TEXT, .max_len = 50},
    {.name = "timecode_out", .type = SLATE_T_TEXT, .max_len = 50},
    {.name = "scene_description",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "take_number",
     .type = SLATE_T_INT,
     .flags = FS,
     .min = 1,
     .max = 100000},
    {.name = "quality_rating",
     .type = SLATE_T_TEXT,
     .flags = FS,
     .max_len = 50,
     .one_of = slate_enum_clip_quality},
    {.name = "status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = clip_status},
    {.name = "notes",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    /* Searched too: idx_clips_fts (migrations/0002) indexes the document. */
    {.name = "tags",
     .type = SLATE_T_TEXT_ARRAY,
     .flags = SLATE_F_FILTER | SLATE_F_SEARCH,
     .max_len = 100},
    {.name = "thumbnail_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/* Filters over the episode a clip belongs to. A deleted episode's clips
 * were detached from it, so `deleted_at IS NULL` only guards against a
 * deletion made while this plugin was disabled. */
static const slate_filter clip_filters[] = {
    {.name = "standalone",
     .type = SLATE_T_BOOL,
     .sql = "(t.episode_id IS NULL) = $?::boolean",
     .doc = "true: clips in no episode; false: clips in one"},
    {.name = "show_id",
     .type = SLATE_T_UUID,
     .sql = "t.episode_id IN (SELECT episode_id FROM episodes WHERE "
	    "show_id = $?::uuid AND deleted_at IS NULL)",
     .doc = "Clips of the episodes of this show"},
    {.name = "season_number",
     .type = SLATE_T_INT,
     .sql = "t.episode_id IN (SELECT episode_id FROM episodes WHERE "
	    "season_number = $?::integer AND deleted_at IS NULL)",
     .doc = "Clips of the episodes of this season (with show_id: of "
	    "that show)"},
};

/* The seed's RAW_CLIP upload: the upload id keeps every key distinct, so
 * a new upload never overwrites the object the clip still references. */
static const slate_file_target clip_files[] = {
    {.field = "file_reference",
     .kind = "raw_clip",
     .max_bytes = 5ull * 1024 * 1024 * 1024,
     .content_types = slate_content_types_video,
     .key_template = "raw/{episode_id}/{talent_source}/{upload}-{filename}"},
};

static const slate_entity_def clip_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "clip",
    .path = "/api/v1/clips",
    .table = "clips",
    .id_column = "clip_id",
    .id_param = "clipId",
    SLATE_ENTITY_FIELDS(clip_fields),
    .default_sort = "-created_at",
    .ops = SLATE_OP_CRUD,
    .search_path = "/api/v1/search/clips",
    SLATE_ENTITY_FILTERS(clip_filters),
    SLATE_ENTITY_FILE_TARGETS(clip_files),
};

/* Set the clip's episode_id to `episode` (a JSON string, or null) as a PATCH
 * would, and answer with the clip. */
static int clip_set_episode(slate_req *req, json_t *episode)
{
	json_t *changes = json_object();
	json_t *row = NULL;
	if (!changes || json_object_set_new(changes, "episode_id", episode)) {
		json_decref(changes);
		return -1;
	}
	int rc = host->entity_patch(req, "clip", host->req_param(req, "clipId"),
				    changes, &row);
	json_decref(changes);
	if (rc)
		return -1;
	return host->res_json(req, 200, row);
}

static int h_assign(slate_req *req, void *ud)
{
	(void)ud;
	/* The body was checked against assign_body before we were called. */
	json_t *episode = json_object_get(host->req_body(req), "episode_id");
	return clip_set_episode(req, json_incref(episode));
}

static int h_unassign(slate_req *req, void *ud)
{
	(void)ud;
	return clip_set_episode(req, json_null());
}

static const slate_field assign_body[] = {
    {.name = "episode_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .doc = "The episode the clip now belongs to"},
};

static const slate_route_def assign_route = {
    .struct_size = sizeof(slate_route_def),
    .method = "POST",
    .path = "/api/v1/clips/:clipId/assign-episode",
    .handler = h_assign,
    .perm = SLATE_PERM_WRITE,
    .summary = "Assign a clip to an episode (or move it)",
    .body_mode = SLATE_BODY_FIELDS,
    .body = assign_body,
    .n_body = sizeof(assign_body) / sizeof(assign_body[0]),
    .body_field_size = sizeof(slate_field),
};

static const slate_route_def unassign_route = {
    .struct_size = sizeof(slate_route_def),
    .method = "POST",
    .path = "/api/v1/clips/:clipId/unassign-episode",
    .handler = h_unassign,
    .perm = SLATE_PERM_WRITE,
    .summary = "Make a clip standalone",
    .body_mode = SLATE_BODY_NONE,
};

/* Only keeps the host table for the handlers; the host registers the
 * declarations below after it. */
static int clips_init(slate_plugin *self, const slate_host *h, char *err,
		      size_t errlen)
{
	(void)self;
	(void)err;
	(void)errlen;
	host = h;
	return 0;
}

static const slate_plugin_desc clips_desc = {
    SLATE_PLUGIN_HEADER(
	"clips", "1.0.0",
	"Raw clips: talent, takes, quality, episode assignment"),
    SLATE_PLUGIN_MIGRATIONS(clips_migrations, CLIPS_N_MIGRATIONS),
    .init = clips_init,
    .entities = (const slate_entity_def *const[]){&clip_def, NULL},
    .routes =
	(const slate_route_def *const[]){&assign_route, &unassign_route, NULL},
};

SLATE_PLUGIN_DEFINE(clips_desc)
