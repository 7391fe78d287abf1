/*
 * engine.h - the generic CRUD engine behind every declared entity
 * (slate/entity.h): shows and episodes in the core, and each entity plugin.
 *
 * Registration (register.c) copies the declaration, checks every name that
 * will be put into SQL text against [a-z_][a-z0-9_]*, precomputes the SQL
 * that does not vary per request, and adds the routes. Reads (list, get,
 * search, views) are in read.c, writes (create, patch, soft delete with
 * what it does to referring rows) in write.c; this header and engine.c hold
 * what all of them share, so neither calls the other. Values never enter
 * SQL text: they travel as parameters, most of them inside one JSON document
 * that jsonb_populate_record() turns into a typed row, so PostgreSQL's own
 * casts convert what our validation has already accepted.
 */
#ifndef SLATE_ENTITY_CORE_H
#define SLATE_ENTITY_CORE_H

#include <slate/entity.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/core.h"
#include "http/request.h"

typedef struct slate_entity_view {
	struct slate_entity *e;
	char *suffix;
	size_t *fields; /* indexes into the entity's fields */
	size_t nfields;
} slate_entity_view;

/* A declared file target (slate_file_target), copied: every string is the
 * entity's own. label and human are the 413 message's words for the limit
 * ("RAW_CLIP", "5 GB"). */
typedef struct slate_entity_file {
	char *field, *kind, *key_template;
	char **content_types; /* NULL-terminated */
	uint64_t max_bytes;
	char label[64], human[32];
} slate_entity_file;

struct slate_entity {
	char *name, *path, *table, *id_column, *id_param;
	slate_field *fields;
	size_t nfields;
	char *sort_column;
	bool sort_desc;
	uint32_t ops;
	slate_entity_view *views;
	size_t nviews;
	int (*prepare)(struct slate_req *, json_t *, const json_t *, void *);
	void *ud;
	const char *owner;

	char *parent_path;	   /* nested list/create, or NULL */
	const slate_field *parent; /* the field the parent id goes into */
	char *search_path;
	slate_filter *filters;
	size_t nfilters;
	slate_entity_file *files; /* uploadable fields (file_target.h) */
	size_t nfiles;

	/* sequence addressing (ABI 1.2): items at parent_path/:seq_param */
	const slate_field *seq; /* the per-parent number, or NULL */
	char *seq_param;
	int (*created)(struct slate_req *, const json_t *, const json_t *,
		       void *);
	int (*deleting)(struct slate_req *, const json_t *, void *);

	char *sql_object;	 /* json_build_object(...) over alias t */
	char *sql_get;		 /* $1 = id */
	char *sql_delete;	 /* $1 = id */
	char *sql_doc;		 /* the search document text, or NULL */
	char *sql_seq_get;	 /* $1 = parent id, $2 = number: row, id */
	const char **list_query; /* accepted query parameters, NULL-ended */
};

void slate_entity_free(slate_entity *e);
/* The declared entity called `name` ("episode"), or NULL. */
const slate_entity *slate_entity_find(const slate_core *core, const char *name);
/* Free the entities registered after the core had `n` (a plugin's failed
 * init), or all of them and the array (at shutdown). */
void slate_entities_truncate(slate_core *core, size_t n);
void slate_entities_release(slate_core *core);

/* The field called `name`, or NULL. */
const slate_field *slate_entity_field(const slate_entity *e, const char *name);

/* ---- shared by read.c, write.c, link.c and the files routes --------- */

/* The UUID path parameter `param`, checked; NULL after answering 400. */
const char *slate_entity_path_uuid(slate_req *r, const char *param);
int slate_entity_not_found(slate_req *r, const slate_entity *e, const char *id);
/* Whether `id` names a live row of `e`: 1 yes, 0 no, -1 after answering. */
int slate_entity_exists(slate_req *r, const slate_entity *e, const char *id);
/* The live row the request's path addresses: :<id_param>, or for a
 * sequence-addressed entity the parent's id and :<seq_param>. With `lock`,
 * the row (by id) or the parent row (by number) is locked FOR UPDATE.
 * *json_out and *id_out are request memory. 0, or -1 after answering 400,
 * 404 or a database error. */
int slate_entity_locate(slate_req *r, const slate_entity *e, bool lock,
			const char **json_out, const char **id_out);
/* Lock the live parent row `pid` of a nested entity FOR UPDATE: 1 locked,
 * 0 no such live row, -1 after answering a database error. */
int slate_entity_lock_parent(slate_req *r, const slate_entity *e,
			     const char *pid);
/* Parse JSON text PostgreSQL produced. New reference, or NULL. */
json_t *slate_entity_parse(const char *text);
/* 400 naming the first query parameter not in `allowed` (NULL-ended);
 * 0 when all are known. JSON filter keys "field.key" are accepted for
 * filterable JSON object fields of `e` (may be NULL). */
int slate_entity_check_query(slate_req *r, const slate_entity *e,
			     const char *const *allowed);
/* ?limit= (1..100, 20) and ?offset= (0..10^6). 0, or -1 after answering
 * 400. */
int slate_entity_paging(slate_req *r, slate_page *pg);
/* Append " AND ..." for each filter present in the query; values are
 * pushed to params (at most max). 0, or -1 after answering 400. */
int slate_entity_filters(slate_req *r, const slate_entity *e, slate_buf *sql,
			 const char **params, int *np, int max);
/* The text stored in audit for a row: private fields masked. Request
 * memory. */
const char *slate_entity_audit_row(slate_req *r, const slate_entity *e,
				   const char *row_json);
/* Queue "entity.<what>" for id. */
void slate_entity_emit(slate_req *r, const slate_entity *e, const char *what,
		       const char *id);

/* The view's fields of `row` (borrowed) plus the id. New reference. */
json_t *slate_entity_view_of(const slate_entity_view *v, const json_t *row);

#endif
