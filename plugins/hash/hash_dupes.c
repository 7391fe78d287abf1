/*
 * hash_dupes.c - duplicate reports over file_hashes.
 *
 * GET /api/v1/files/duplicates: groups of identical content (same sha256
 * and size) held by two or more live entities, of any type, largest first.
 * GET /api/v1/files/duplicates/:entityType/:entityId: the other live
 * entities holding content this one holds.
 *
 * Live: soft-deleting an entity (directly or by cascade) writes its
 * audit_log row with action "delete" in the deleting transaction, and no
 * route undeletes, so "no such row" is exact, needs no event that could be
 * lost in a crash between commit and delivery, and holds for deletions made
 * while this plugin was off. idx_audit_log_entity answers it per row. (The
 * entity's own deleted_at cannot be read here: a plugin does not know other
 * plugins' tables, and an entity lookup per row could not page.)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT 100
#define MAX_OFFSET 1000000

#define LIVE_ROWS                                                              \
	"live AS (SELECT h.* FROM file_hashes h WHERE NOT EXISTS (SELECT 1 "   \
	"FROM audit_log a WHERE a.entity_type = h.entity_type AND "            \
	"a.entity_id = h.entity_id AND a.action = 'delete'))"

#define ENTITY_JSON                                                            \
	"json_build_object('entity_type', l.entity_type, 'entity_id', "        \
	"l.entity_id, 'field', l.field, 'key', l.object_key, 'hashed_at', "    \
	"l.hashed_at)"

/* $1 limit, $2 offset: one page of groups as a JSON array, and the number
 * of groups. */
static const char sql_groups[] =
    "WITH " LIVE_ROWS ", groups AS (SELECT sha256, size_bytes, "
    "count(DISTINCT (entity_type, entity_id)) AS n FROM live GROUP BY "
    "sha256, size_bytes HAVING count(DISTINCT (entity_type, entity_id)) > 1), "
    "page AS (SELECT * FROM groups ORDER BY size_bytes DESC, sha256 LIMIT "
    "$1::int OFFSET $2::int) "
    "SELECT coalesce((SELECT json_agg(json_build_object('sha256', g.sha256, "
    "'size_bytes', g.size_bytes, 'count', g.n, 'entities', (SELECT "
    "json_agg(" ENTITY_JSON " ORDER BY l.entity_type, l.entity_id, l.field) "
    "FROM live l WHERE l.sha256 = g.sha256 AND l.size_bytes = "
    "g.size_bytes)) ORDER BY g.size_bytes DESC, g.sha256) FROM page g), "
    "'[]'), (SELECT count(*) FROM groups)";

/* $1 entity type, $2 id, $3 limit, $4 offset: the other live entities'
 * files with content of one of this entity's, and their number. */
static const char sql_of[] =
    "WITH " LIVE_ROWS ", hits AS (SELECT l.*, me.field AS of_field FROM "
    "file_hashes me JOIN live l ON l.sha256 = me.sha256 AND l.size_bytes = "
    "me.size_bytes WHERE me.entity_type = $1 AND me.entity_id = $2::uuid "
    "AND NOT (l.entity_type = $1 AND l.entity_id = $2::uuid)), "
    "page AS (SELECT * FROM hits ORDER BY of_field, entity_type, entity_id, "
    "field LIMIT $3::int OFFSET $4::int) "
    "SELECT coalesce((SELECT json_agg(json_build_object('entity_type', "
    "l.entity_type, 'entity_id', l.entity_id, 'field', l.field, 'key', "
    "l.object_key, 'sha256', l.sha256, 'size_bytes', l.size_bytes, "
    "'hashed_at', l.hashed_at, 'of_field', l.of_field) ORDER BY l.of_field, "
    "l.entity_type, l.entity_id, l.field) FROM page l), '[]'), "
    "(SELECT count(*) FROM hits)";

/* limit and offset from the query, as text into lim/off (24 bytes each).
 * 0, or -1 after a 400 naming the parameter. */
static int paging(slate_req *req, char *lim, char *off, long long *limit,
		  long long *offset)
{
	if (host->req_query_int(req, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT,
				limit) ||
	    host->req_query_int(req, "offset", 0, MAX_OFFSET, 0, offset))
		return -1;
	snprintf(lim, 24, "%lld", *limit);
	snprintf(off, 24, "%lld", *offset);
	return 0;
}

/* Answer a (json array, total) result with the paging metadata. */
static int answer_page(slate_req *req, slate_result *res, long long limit,
		       long long offset)
{
	if (!res)
		return host->res_db_error(req);
	const char *page = host->db_value(res, 0, 0);
	host->res_raw(req, 200, page, strlen(page));
	return host->res_page(req, strtoll(host->db_value(res, 0, 1), NULL, 10),
			      limit, offset);
}

static int h_dupes(slate_req *req, void *ud)
{
	(void)ud;
	char lim[24], off[24];
	long long limit, offset;
	if (paging(req, lim, off, &limit, &offset))
		return -1;
	const char *p[2] = {lim, off};
	return answer_page(req, host->db_exec(req, sql_groups, 2, p), limit,
			   offset);
}

static int h_dupes_of(slate_req *req, void *ud)
{
	(void)ud;
	const char *type = host->req_param(req, "entityType");
	const char *id = host->req_param(req, "entityId");
	char lim[24], off[24];
	long long limit, offset;
	if (paging(req, lim, off, &limit, &offset))
		return -1;
	if (!host->entity_has_field(hash_self, type, NULL))
		return host->res_error(req, 404, "NOT_FOUND", "entityType",
				       "No entity type '%s'", type);
	if (host->entity_require(req, type, id, "entityId"))
		return -1;
	const char *p[4] = {type, id, lim, off};
	return answer_page(req, host->db_exec(req, sql_of, 4, p), limit,
			   offset);
}

static const char *const paging_query[] = {"limit", "offset", NULL};

const slate_route_def hash_route_dupes = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/files/duplicates",
    .handler = h_dupes,
    .perm = SLATE_PERM_READ,
    .summary = "Groups of identical stored files across live entities",
    .query = paging_query,
    .body_mode = SLATE_BODY_NONE,
};

const slate_route_def hash_route_dupes_of = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/files/duplicates/:entityType/:entityId",
    .handler = h_dupes_of,
    .perm = SLATE_PERM_READ,
    .summary = "Other live entities holding the same content as this one",
    .query = paging_query,
    .body_mode = SLATE_BODY_NONE,
};
