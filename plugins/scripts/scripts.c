/*
 * scripts.c - numbered script versions of an episode, the seed's
 * `script_versions` table.
 *
 *   GET    /api/v1/episodes/:episodeId/script-versions        newest first
 *   POST   /api/v1/episodes/:episodeId/script-versions        next number
 *   GET    /api/v1/episodes/:episodeId/script-versions/:versionNumber
 *   PATCH  /api/v1/episodes/:episodeId/script-versions/:versionNumber/activate
 *   DELETE /api/v1/episodes/:episodeId/script-versions/:versionNumber
 *   GET    /api/v1/search/scripts
 *
 * The entity engine serves all but activate: versions are a nested entity
 * addressed by their per-episode number (seq_field, ABI 1.2), which the
 * engine assigns on create (1, 2, 3... never reused, deleted versions
 * included) with the episode row locked, so concurrent creations get
 * distinct numbers. What is particular to scripts is in three hooks and
 * one route:
 * - A new version needs script_text or script_file_reference (prepare).
 * - At most one active version per episode (the seed's trigger clears the
 *   others). Activating copies the version's script_text and
 *   script_file_reference onto the episode through host->entity_patch, so
 *   that change is validated and audited like a PATCH of the episode. With
 *   "is_active": true a version is created and activated in one request
 *   (created hook).
 * - The active version cannot be deleted (409): it is the episode's script
 *   of record; activate another version first (deleting hook). Deleting
 *   the episode removes all of them (episode_id cascades).
 */
#include <slate/host.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scripts_migrations.h"

static const slate_host *host;

/* Where a version came from; the seed's default is 'manual_upload'. */
static const char *const script_sources[] = {
    "manual_upload", /* a file uploaded by a person */
    "editor",	     /* typed or edited in a Slate client */
    "import",	     /* bulk import from another system */
    "transcription", /* transcribed from footage */
    NULL};

#define RO SLATE_F_READONLY

/* script_text and script_file_reference have the episode's limits, so that
 * activating a version can never fail the episode's own validation. */
static const slate_field sv_fields[] = {
    {.name = "script_version_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "episode_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_IMMUTABLE | SLATE_F_FILTER,
     .ref_entity = "episode",
     .on_delete = SLATE_REF_CASCADE,
     .doc = "The episode, from the URL"},
    {.name = "version_number",
     .type = SLATE_T_INT,
     .flags = RO,
     .doc = "1, 2, 3... per episode, never reused"},
    {.name = "script_text",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 1000000},
    {.name = "script_file_reference",
     .type = SLATE_T_TEXT,
     .max_len = 1024,
     .doc = "Storage key, e.g. scripts/{episode_id}/version_{n}.pdf"},
    {.name = "author_user_id", .type = SLATE_T_UUID},
    {.name = "author_name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 255},
    {.name = "change_notes",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "source",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_FILTER | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = script_sources},
    {.name = "is_active",
     .type = SLATE_T_BOOL,
     .flags = SLATE_F_FILTER | SLATE_F_NOT_NULL,
     .doc = "On create: true activates the new version at once"},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_FILTER | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
};

static const slate_filter sv_filters[] = {
    {.name = "show_id",
     .type = SLATE_T_UUID,
     .sql = "t.episode_id IN (SELECT episode_id FROM episodes WHERE "
	    "show_id = $?::uuid AND deleted_at IS NULL)",
     .doc = "Versions of the episodes of this show"},
    {.name = "season_number",
     .type = SLATE_T_INT,
     .sql = "t.episode_id IN (SELECT episode_id FROM episodes WHERE "
	    "season_number = $?::integer AND deleted_at IS NULL)",
     .doc = "Versions of the episodes of this season"},
};

/* ---- hooks ------------------------------------------------------------- */

/* The previously active versions, which the trigger deactivates. */
static const char sql_other_active[] =
    "SELECT script_version_id::text FROM script_versions WHERE episode_id "
    "= $1::uuid AND is_active AND script_version_id <> $2::uuid";
static const char sql_activate[] =
    "UPDATE script_versions SET is_active = true WHERE script_version_id = "
    "$1::uuid RETURNING script_text, script_file_reference";

static const char *str_of(const json_t *row, const char *key)
{
	return json_string_value(json_object_get(row, key));
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Make `row` (a version of its locked episode) the active one and copy its
 * script onto the episode. An already active version writes no audit row
 * of its own, but the episode is still re-synced, since its script may
 * have been edited since. 0, or -1 after answering. */
static int activate(slate_req *req, const json_t *row)
{
	const char *id = str_of(row, "script_version_id");
	const char *episode = str_of(row, "episode_id");
	bool was_active = json_is_true(json_object_get(row, "is_active"));
	const char *p[2] = {episode, id};
	slate_result *prev = host->db_exec(req, sql_other_active, 2, p);
	slate_result *res =
	    prev ? host->db_exec(req, sql_activate, 1, &id) : NULL;
	if (!res || host->db_rows(res) != 1)
		return host->res_db_error(req);
	/* the trigger deactivated the previous one: say so in its history */
	for (int i = 0; i < host->db_rows(prev); i++) {
		const char *pid = host->db_value(prev, i, 0);
		if (host->audit(req, "script_version", pid, "update",
				"is_active", "true", "false") ||
		    host->entity_emit(req, "script_version", "updated", pid))
			return host->res_db_error(req);
	}
	if (!was_active &&
	    (host->audit(req, "script_version", id, "activate", "is_active",
			 "false", "true") ||
	     host->entity_emit(req, "script_version", "updated", id)))
		return host->res_db_error(req);

	json_t *changes = json_pack("{s:o, s:o}", "script_text",
				    text_or_null(host->db_value(res, 0, 0)),
				    "script_file_reference",
				    text_or_null(host->db_value(res, 0, 1)));
	if (!changes)
		return -1;
	json_t *episode_row = NULL;
	int rc =
	    host->entity_patch(req, "episode", episode, changes, &episode_row);
	json_decref(changes);
	json_decref(episode_row);
	return rc;
}

/* A new version needs a script; is_active is not inserted but applied by
 * sv_created, which also deactivates the previous one. */
static int sv_prepare(slate_req *req, json_t *changes, const json_t *current,
		      void *ud)
{
	(void)ud;
	if (current)
		return 0;
	if (!json_is_string(json_object_get(changes, "script_text")) &&
	    !json_is_string(json_object_get(changes, "script_file_reference")))
		return host->res_error(req, 400, "VALIDATION_ERROR",
				       "script_text",
				       "A version needs script_text or "
				       "script_file_reference");
	json_object_del(changes, "is_active");
	return 0;
}

static int sv_created(slate_req *req, const json_t *body, const json_t *row,
		      void *ud)
{
	(void)ud;
	return json_is_true(json_object_get(body, "is_active"))
		   ? activate(req, row)
		   : 0;
}

static int sv_deleting(slate_req *req, const json_t *row, void *ud)
{
	(void)ud;
	if (!json_is_true(json_object_get(row, "is_active")))
		return 0;
	return host->res_error(
	    req, 409, "CONFLICT", "versionNumber",
	    "Version %lld is the episode's active script; activate another "
	    "version first",
	    (long long)json_integer_value(
		json_object_get(row, "version_number")));
}

/* PATCH .../:versionNumber/activate */
static int h_activate(slate_req *req, void *ud)
{
	(void)ud;
	json_t *row = NULL, *out = NULL;
	int rc = host->entity_at(req, "script_version", &row) ||
		 activate(req, row) ||
		 host->entity_get(req, "script_version",
				  str_of(row, "script_version_id"), &out);
	json_decref(row);
	return rc ? -1 : host->res_json(req, 200, out);
}

/* ---- declarations ------------------------------------------------------ */

#define COLLECTION "/api/v1/episodes/:episodeId/script-versions"

static const slate_entity_def sv_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "script_version",
    .path = "/api/v1/script-versions", /* not served: addressed by number */
    .table = "script_versions",
    .id_column = "script_version_id",
    .id_param = "scriptVersionId",
    SLATE_ENTITY_FIELDS(sv_fields),
    .default_sort = "-version_number",
    .ops = SLATE_OP_LIST | SLATE_OP_GET | SLATE_OP_CREATE | SLATE_OP_DELETE,
    .prepare = sv_prepare,
    .parent_path = COLLECTION,
    .parent_field = "episode_id",
    .search_path = "/api/v1/search/scripts",
    SLATE_ENTITY_FILTERS(sv_filters),
    .seq_field = "version_number",
    .seq_param = "versionNumber",
    .created = sv_created,
    .deleting = sv_deleting,
};

static const slate_route_def activate_route = {
    .struct_size = sizeof(slate_route_def),
    .method = "PATCH",
    .path = COLLECTION "/:versionNumber/activate",
    .handler = h_activate,
    .perm = SLATE_PERM_WRITE,
    .summary = "Make a version the episode's script",
};

static int scripts_init(slate_plugin *self, const slate_host *h, char *err,
			size_t errlen)
{
	(void)self;
	host = h;
	if (!SLATE_HOST_HAS(h, entity_at)) {
		snprintf(err, errlen, "needs slated with plugin ABI 1.2");
		return -1;
	}
	return 0;
}

static const slate_plugin_desc scripts_desc = {
    SLATE_PLUGIN_HEADER("scripts", "1.0.0",
			"Numbered script versions per episode, one active"),
    SLATE_PLUGIN_MIGRATIONS(scripts_migrations, SCRIPTS_N_MIGRATIONS),
    .init = scripts_init,
    .entities = (const slate_entity_def *const[]){&sv_def, NULL},
    .routes = (const slate_route_def *const[]){&activate_route, NULL},
};

SLATE_PLUGIN_DEFINE(scripts_desc)
