/*
 * scripts.c - numbered script versions of an episode, the seed's
 * `script_versions` table.
 *
 *   GET    /api/v1/episodes/:episodeId/script-versions        newest first
 *   POST   /api/v1/episodes/:episodeId/script-versions        next number
 *   GET    /api/v1/episodes/:episodeId/script-versions/:versionNumber
 *   PATCH  /api/v1/episodes/:episodeId/script-versions/:versionNumber/activate
 *   DELETE /api/v1/episodes/:episodeId/script-versions/:versionNumber
 *   GET    /api/v1/search/scripts                             (the engine)
 *
 * Versions are addressed by number, which the entity engine cannot do, so
 * these are plugin routes over host->db_exec. The table is still declared as
 * an entity, with no generic operations, so that the engine cascades an
 * episode's soft delete to its versions and serves the search.
 *
 * Rules:
 * - Numbers are 1, 2, 3... per episode and never reused, deleted versions
 *   included. Every write to an episode's versions first locks the episode
 *   row, so concurrent creations are serialized and each INSERT sees the
 *   previous one's number (READ COMMITTED takes a new snapshot per
 *   statement, after the lock was granted).
 * - At most one active version per episode (the seed's trigger clears the
 *   others). Activating copies the version's script_text and
 *   script_file_reference onto the episode through host->entity_patch, so
 *   that change is validated and audited like a PATCH of the episode.
 * - The active version cannot be deleted (409): it is the episode's script
 *   of record; activate another version first. Deleting the episode removes
 *   all of them.
 * - A new version needs script_text or script_file_reference. With
 *   "is_active": true it is created and activated in one request.
 */
#include <errno.h>
#include <slate/host.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scripts_migrations.h"

#define MAX_LIMIT 100
#define DEFAULT_LIMIT 20
#define MAX_OFFSET 1000000

static const slate_host *host;

/* Where a version came from; the seed's default is 'manual_upload'. */
static const char *const script_sources[] = {
    "manual_upload", /* a file uploaded by a person */
    "editor",	     /* typed or edited in a Slate client */
    "import",	     /* bulk import from another system */
    "transcription", /* transcribed from footage */
    NULL};

#define RO SLATE_F_READONLY

/* One table for three uses: the entity declaration (search output, filters,
 * cascade), the body of POST (read-only fields are refused there, including
 * episode_id, which comes from the URL) and the JSON of every row answered.
 * script_text and script_file_reference have the episode's limits, so that
 * activating a version can never fail the episode's own validation. */
static const slate_field sv_fields[] = {
    {.name = "script_version_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "episode_id",
     .type = SLATE_T_UUID,
     .flags = RO | SLATE_F_FILTER,
     .ref_entity = "episode",
     .on_delete = SLATE_REF_CASCADE},
    {.name = "version_number",
     .type = SLATE_T_INT,
     .flags = RO | SLATE_F_SORT,
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
#define N_SV_FIELDS (sizeof(sv_fields) / sizeof(sv_fields[0]))

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

static const slate_entity_def sv_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "script_version",
    .path = "/api/v1/script-versions", /* not served: ops is 0 */
    .table = "script_versions",
    .id_column = "script_version_id",
    .id_param = "scriptVersionId",
    .fields = sv_fields,
    .n_fields = N_SV_FIELDS,
    .field_size = sizeof(slate_field),
    .default_sort = "-created_at",
    .ops = 0,
    .search_path = "/api/v1/search/scripts",
    .filters = sv_filters,
    .n_filters = sizeof(sv_filters) / sizeof(sv_filters[0]),
    .filter_size = sizeof(slate_filter),
};

/* ---- SQL, built once at init from sv_fields --------------------------- */

static char sql_object[1024];	/* row_to_json(...) over alias t */
static char sql_get[2048];	/* $1 episode, $2 number: row, id, is_active */
static char sql_list[2048];	/* $1 episode, $2 limit, $3 offset */
static char sql_activate[2048]; /* $1 id: row, script_text, file ref */

static const char sql_episode_live[] =
    "SELECT 1 FROM episodes WHERE episode_id = $1::uuid AND deleted_at IS "
    "NULL";
/* Taken before any write to an episode's versions: see the top comment. */
static const char sql_episode_lock[] =
    "SELECT 1 FROM episodes WHERE episode_id = $1::uuid AND deleted_at IS "
    "NULL FOR UPDATE";
static const char sql_count[] =
    "SELECT count(*) FROM script_versions WHERE episode_id = $1::uuid AND "
    "deleted_at IS NULL";
static const char sql_other_active[] =
    "SELECT script_version_id::text FROM script_versions WHERE episode_id "
    "= $1::uuid AND is_active AND script_version_id <> $2::uuid";
static const char sql_delete[] =
    "UPDATE script_versions SET deleted_at = now() WHERE "
    "script_version_id = $1::uuid AND deleted_at IS NULL RETURNING "
    "to_json(deleted_at)#>>'{}'";

/* Append to the NUL-terminated `buf` of size `len`: 0, or -1 when the
 * result does not fit (SQL cut short must never run). */
static int appendf(char *buf, size_t len, const char *f, ...)
    SLATE_PRINTF(3, 4);
static int appendf(char *buf, size_t len, const char *f, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf + used, len - used, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

static int build_sql(void)
{
	/* compact JSON in field order, as the core's entity rows */
	if (appendf(sql_object, sizeof(sql_object),
		    "(SELECT row_to_json(x) FROM (SELECT "))
		return -1;
	for (size_t i = 0; i < N_SV_FIELDS; i++)
		if (appendf(sql_object, sizeof(sql_object), "%st.%s",
			    i ? ", " : "", sv_fields[i].name))
			return -1;
	if (appendf(sql_object, sizeof(sql_object), ") x)"))
		return -1;
	return appendf(sql_get, sizeof(sql_get),
		       "SELECT %s::text, t.script_version_id::text, "
		       "t.is_active FROM script_versions t WHERE t.episode_id "
		       "= $1::uuid AND t.version_number = $2::integer AND "
		       "t.deleted_at IS NULL",
		       sql_object) ||
	       appendf(sql_list, sizeof(sql_list),
		       "SELECT coalesce('[' || string_agg(s.o::text, ',' ORDER "
		       "BY s.n DESC) || ']', '[]') FROM (SELECT %s AS o, "
		       "t.version_number AS n FROM script_versions t WHERE "
		       "t.episode_id = $1::uuid AND t.deleted_at IS NULL ORDER "
		       "BY t.version_number DESC LIMIT $2::bigint OFFSET "
		       "$3::bigint) s",
		       sql_object) ||
	       appendf(sql_activate, sizeof(sql_activate),
		       "UPDATE script_versions t SET is_active = true WHERE "
		       "t.script_version_id = $1::uuid RETURNING %s::text, "
		       "t.script_text, t.script_file_reference",
		       sql_object);
}

/* ---- request helpers -------------------------------------------------- */

/* Answer a failed db_exec by its SQLSTATE. Always -1. */
static int db_fail(slate_req *req)
{
	const char *st = host->db_sqlstate(req);
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return host->res_error(req, 503, "SERVICE_UNAVAILABLE", NULL,
				       "The database is unavailable; try "
				       "again");
	if (!strcmp(st, "40001") || !strcmp(st, "40P01"))
		return host->res_error(req, 409, "CONFLICT", NULL,
				       "Concurrent update; retry the request");
	return host->res_error(req, 500, "INTERNAL_ERROR", NULL,
			       "Internal error (request %s)",
			       host->req_id(req));
}

static bool uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-'
			 : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* Parse decimal `s` into [lo, hi]; false when it is not one. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false; /* strtol would also take a sign or spaces */
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A version's address from the URL. */
typedef struct sv_addr {
	const char *episode; /* checked UUID */
	char number[16];     /* canonical decimal, or "" on list routes */
} sv_addr;

/* Read :episodeId and, when `with_number`, :versionNumber. 0, or -1 after
 * answering 400 naming the parameter. */
static int addr_parse(slate_req *req, bool with_number, sv_addr *a)
{
	a->episode = host->req_param(req, "episodeId");
	a->number[0] = '\0';
	if (!uuid_valid(a->episode))
		return host->res_error(req, 400, "VALIDATION_ERROR",
				       "episodeId",
				       "'episodeId' must be a UUID");
	long n;
	if (!with_number)
		return 0;
	if (!parse_long(host->req_param(req, "versionNumber"), 1, 2147483647,
			&n))
		return host->res_error(req, 400, "VALIDATION_ERROR",
				       "versionNumber",
				       "'versionNumber' must be an integer "
				       "from 1 to 2147483647");
	snprintf(a->number, sizeof(a->number), "%ld", n);
	return 0;
}

/* Check that the episode is live, locking its row when `lock` (for
 * writes). 0, or -1 after answering 404 or a database error. */
static int episode_check(slate_req *req, const char *episode, bool lock)
{
	slate_result *res = host->db_exec(
	    req, lock ? sql_episode_lock : sql_episode_live, 1, &episode);
	if (!res)
		return db_fail(req);
	if (host->db_rows(res) == 0)
		return host->res_error(req, 404, "NOT_FOUND", "episodeId",
				       "No episode with id %s", episode);
	return 0;
}

/* The live version at `a`; NULL after answering 404 or a database error.
 * Columns: row JSON, id, is_active ("t"/"f"). */
static slate_result *version_find(slate_req *req, const sv_addr *a)
{
	const char *p[2] = {a->episode, a->number};
	slate_result *res = host->db_exec(req, sql_get, 2, p);
	if (!res) {
		db_fail(req);
		return NULL;
	}
	if (host->db_rows(res) == 0) {
		host->res_error(req, 404, "NOT_FOUND", "versionNumber",
				"Episode %s has no script version %s",
				a->episode, a->number);
		return NULL;
	}
	return res;
}

/* Queue "entity.<what>" for a version, as the engine does for entities. */
static int emit(slate_req *req, const char *what, const char *id)
{
	char event[32];
	snprintf(event, sizeof(event), "entity.%s", what);
	return host->event_emit(
	    req, event,
	    json_pack("{s:s, s:s}", "entity_type", "script_version", "id", id));
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Make version `id` of the locked episode the active one and copy its
 * script onto the episode. `was_active` skips the version's own audit row
 * (the episode is still re-synced, since its script may have been edited
 * since). On success *row is the version's JSON (request memory). 0, or -1
 * after answering. */
static int activate(slate_req *req, const char *episode, const char *id,
		    bool was_active, const char **row)
{
	const char *p[2] = {episode, id};
	slate_result *prev = host->db_exec(req, sql_other_active, 2, p);
	slate_result *res =
	    prev ? host->db_exec(req, sql_activate, 1, &id) : NULL;
	if (!res || host->db_rows(res) != 1)
		return db_fail(req);
	/* the trigger deactivated the previous one: say so in its history */
	for (int i = 0; i < host->db_rows(prev); i++) {
		const char *pid = host->db_value(prev, i, 0);
		if (host->audit(req, "script_version", pid, "update",
				"is_active", "true", "false") ||
		    emit(req, "updated", pid))
			return db_fail(req);
	}
	if (!was_active && (host->audit(req, "script_version", id, "activate",
					"is_active", "false", "true") ||
			    emit(req, "updated", id)))
		return db_fail(req);

	json_t *changes = json_pack("{s:o, s:o}", "script_text",
				    text_or_null(host->db_value(res, 0, 1)),
				    "script_file_reference",
				    text_or_null(host->db_value(res, 0, 2)));
	if (!changes)
		return -1;
	json_t *episode_row = NULL;
	int rc =
	    host->entity_patch(req, "episode", episode, changes, &episode_row);
	json_decref(changes);
	json_decref(episode_row);
	if (rc)
		return -1;
	*row = host->db_value(res, 0, 0);
	return 0;
}

static int answer_row(slate_req *req, unsigned status, const char *row)
{
	return host->res_raw(req, status, row, strlen(row));
}

/* ---- handlers --------------------------------------------------------- */

static int h_list(slate_req *req, void *ud)
{
	(void)ud;
	sv_addr a;
	long limit = DEFAULT_LIMIT, offset = 0;
	const char *ls = host->req_query(req, "limit");
	const char *os = host->req_query(req, "offset");
	if (addr_parse(req, false, &a))
		return -1;
	if (ls && !parse_long(ls, 1, MAX_LIMIT, &limit))
		return host->res_error(req, 400, "VALIDATION_ERROR", "limit",
				       "'limit' must be an integer from 1 to "
				       "%d",
				       MAX_LIMIT);
	if (os && !parse_long(os, 0, MAX_OFFSET, &offset))
		return host->res_error(req, 400, "VALIDATION_ERROR", "offset",
				       "'offset' must be an integer from 0 to "
				       "%d",
				       MAX_OFFSET);
	if (episode_check(req, a.episode, false))
		return -1;
	char lim[24], off[24];
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	const char *p[3] = {a.episode, lim, off};
	slate_result *page = host->db_exec(req, sql_list, 3, p);
	slate_result *total =
	    page ? host->db_exec(req, sql_count, 1, &a.episode) : NULL;
	if (!total)
		return db_fail(req);
	answer_row(req, 200, host->db_value(page, 0, 0));
	host->res_meta(
	    req, "total",
	    json_integer(strtoll(host->db_value(total, 0, 0), NULL, 10)));
	host->res_meta(req, "limit", json_integer(limit));
	host->res_meta(req, "offset", json_integer(offset));
	return 0;
}

/* Append ", name" to cols and ", r.name" to vals (both NUL-terminated, of
 * size len) for each writable column the body sets, so that the columns it
 * leaves out get their defaults. is_active is not written here (see
 * h_create). 0 or -1. */
static int insert_columns(const json_t *body, char *cols, char *vals,
			  size_t len)
{
	for (size_t i = 0; i < N_SV_FIELDS; i++) {
		const char *name = sv_fields[i].name;
		if ((sv_fields[i].flags & RO) || !strcmp(name, "is_active") ||
		    !json_object_get(body, name))
			continue;
		if (appendf(cols, len, ", %s", name) ||
		    appendf(vals, len, ", r.%s", name))
			return -1;
	}
	return 0;
}

static int h_create(slate_req *req, void *ud)
{
	(void)ud;
	sv_addr a;
	const json_t *body = host->req_body(req);
	if (addr_parse(req, false, &a))
		return -1;
	if (!body)
		return host->res_error(req, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	if (!json_is_string(json_object_get(body, "script_text")) &&
	    !json_is_string(json_object_get(body, "script_file_reference")))
		return host->res_error(req, 400, "VALIDATION_ERROR",
				       "script_text",
				       "A version needs script_text or "
				       "script_file_reference");
	if (episode_check(req, a.episode, true))
		return -1;

	char cols[512] = "", vals[512] = "", sql[4096] = "";
	if (insert_columns(body, cols, vals, sizeof(cols)) ||
	    appendf(sql, sizeof(sql),
		    "INSERT INTO script_versions AS t (episode_id, "
		    "version_number%s) SELECT $1::uuid, (SELECT "
		    "coalesce(max(version_number), 0) + 1 FROM script_versions "
		    "WHERE episode_id = $1::uuid)%s FROM "
		    "jsonb_populate_record(NULL::script_versions, $2::jsonb) r "
		    "RETURNING %s::text, t.script_version_id::text",
		    cols, vals, sql_object))
		return -1;
	char *doc = json_dumps(body, JSON_COMPACT);
	if (!doc)
		return -1;
	const char *p[2] = {a.episode, doc};
	slate_result *res = host->db_exec(req, sql, 2, p);
	free(doc);
	if (!res)
		return db_fail(req);
	const char *row = host->db_value(res, 0, 0);
	const char *id = host->db_value(res, 0, 1);
	if (host->audit(req, "script_version", id, "create", NULL, NULL, row) ||
	    emit(req, "created", id))
		return db_fail(req);
	if (json_is_true(json_object_get(body, "is_active")) &&
	    activate(req, a.episode, id, false, &row))
		return -1;
	return answer_row(req, 201, row);
}

static int h_get(slate_req *req, void *ud)
{
	(void)ud;
	sv_addr a;
	if (addr_parse(req, true, &a) || episode_check(req, a.episode, false))
		return -1;
	slate_result *res = version_find(req, &a);
	return res ? answer_row(req, 200, host->db_value(res, 0, 0)) : -1;
}

static int h_activate(slate_req *req, void *ud)
{
	(void)ud;
	sv_addr a;
	if (addr_parse(req, true, &a) || episode_check(req, a.episode, true))
		return -1;
	slate_result *res = version_find(req, &a);
	const char *row;
	if (!res || activate(req, a.episode, host->db_value(res, 0, 1),
			     !strcmp(host->db_value(res, 0, 2), "t"), &row))
		return -1;
	return answer_row(req, 200, row);
}

static int h_delete(slate_req *req, void *ud)
{
	(void)ud;
	sv_addr a;
	if (addr_parse(req, true, &a) || episode_check(req, a.episode, true))
		return -1;
	slate_result *res = version_find(req, &a);
	if (!res)
		return -1;
	const char *id = host->db_value(res, 0, 1);
	if (!strcmp(host->db_value(res, 0, 2), "t"))
		return host->res_error(req, 409, "CONFLICT", "versionNumber",
				       "Version %s is the episode's active "
				       "script; activate another version "
				       "first",
				       a.number);
	slate_result *del = host->db_exec(req, sql_delete, 1, &id);
	if (!del || host->db_rows(del) != 1)
		return db_fail(req);
	const char *deleted_at = host->db_value(del, 0, 0);
	if (host->audit(req, "script_version", id, "delete", "deleted_at", NULL,
			deleted_at) ||
	    emit(req, "deleted", id))
		return db_fail(req);
	long number = strtol(a.number, NULL, 10);
	return host->res_json(req, 200,
			      json_pack("{s:s, s:s, s:i, s:s}", "episode_id",
					a.episode, "script_version_id", id,
					"version_number", (int)number,
					"deleted_at", deleted_at));
}

/* ---- registration ----------------------------------------------------- */

#define COLLECTION "/api/v1/episodes/:episodeId/script-versions"
#define ITEM COLLECTION "/:versionNumber"

static int scripts_init(slate_plugin *self, const slate_host *h, char *err,
			size_t errlen)
{
	host = h;
	static const char *const paging[] = {"limit", "offset", NULL};
	const slate_route_def routes[] = {
	    {.struct_size = sizeof(slate_route_def),
	     .method = "GET",
	     .path = COLLECTION,
	     .handler = h_list,
	     .perm = SLATE_PERM_READ,
	     .summary = "List an episode's script versions, newest first",
	     .query = paging},
	    {.struct_size = sizeof(slate_route_def),
	     .method = "POST",
	     .path = COLLECTION,
	     .handler = h_create,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "Add the next script version of an episode",
	     .body_mode = SLATE_BODY_FIELDS,
	     .body = sv_fields,
	     .n_body = N_SV_FIELDS,
	     .body_field_size = sizeof(slate_field)},
	    {.struct_size = sizeof(slate_route_def),
	     .method = "GET",
	     .path = ITEM,
	     .handler = h_get,
	     .perm = SLATE_PERM_READ,
	     .summary = "Get a script version by number"},
	    {.struct_size = sizeof(slate_route_def),
	     .method = "PATCH",
	     .path = ITEM "/activate",
	     .handler = h_activate,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "Make a version the episode's script"},
	    {.struct_size = sizeof(slate_route_def),
	     .method = "DELETE",
	     .path = ITEM,
	     .handler = h_delete,
	     .perm = SLATE_PERM_ADMIN,
	     .summary = "Soft-delete a script version that is not active"},
	};
	if (build_sql()) {
		snprintf(err, errlen, "script version SQL does not fit");
		return -1;
	}
	if (h->entity_add(self, &sv_def)) {
		snprintf(err, errlen,
			 "cannot declare the script_version entity");
		return -1;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (h->route_add(self, &routes[i])) {
			snprintf(err, errlen, "cannot add %s %s",
				 routes[i].method, routes[i].path);
			return -1;
		}
	return 0;
}

static const slate_plugin_desc scripts_desc = {
    .struct_size = sizeof(slate_plugin_desc),
    .abi_major = SLATE_ABI_MAJOR,
    .abi_minor = SLATE_ABI_MINOR,
    .id = "scripts",
    .version = "1.0.0",
    .summary = "Numbered script versions per episode, one active",
    .migrations = scripts_migrations,
    .n_migrations = SCRIPTS_N_MIGRATIONS,
    .migration_size = sizeof(slate_migration),
    .init = scripts_init,
};

SLATE_PLUGIN_DEFINE(scripts_desc)
