/*
 * entity.h - the generic CRUD engine behind every declared entity
 * (slate/entity.h): shows and episodes in the core, and each entity plugin.
 *
 * Registration (entity.c) copies the declaration, checks every name that
 * will be put into SQL text against [a-z_][a-z0-9_]*, precomputes the SQL
 * that does not vary per request, and adds the routes. Reads (list, get,
 * search, views) are in entity_read.c, writes (create, patch, soft delete
 * with what it does to referring rows) in entity_write.c. Values never enter
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

typedef struct slate_entity_view {
	struct slate_entity *e;
	char *suffix;
	size_t *fields; /* indexes into the entity's fields */
	size_t nfields;
} slate_entity_view;

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

	char *sql_object;	 /* json_build_object(...) over alias t */
	char *sql_get;		 /* $1 = id */
	char *sql_delete;	 /* $1 = id */
	char *sql_doc;		 /* the search document text, or NULL */
	const char **list_query; /* accepted query parameters, NULL-ended */
};

/* Register `def` for `owner` ("core" or a plugin id): copies it and adds
 * its routes to core->router. -1 with a reason in err. */
int slate_entity_register(slate_core *core, const char *owner,
			  const slate_entity_def *def, char *err,
			  size_t errlen);

void slate_entity_free(slate_entity *e);

/* The field called `name`, or NULL. */
const slate_field *slate_entity_field(const slate_entity *e, const char *name);

/* Apply `changes` (borrowed; validated in PATCH mode here) to the live row
 * `id` of `e` with audit rows and event, as PATCH does. On success
 * *row_out is the new row (new reference). -1 after answering. */
int slate_entity_patch(slate_req *r, const slate_entity *e, const char *id,
		       const json_t *changes, json_t **row_out);

/* Create a row of `e` from `body` (borrowed) as POST does, with audit row
 * and event; a nested entity's parent field must be in `body`. On success
 * *row_out is the new row (new reference). -1 after answering. */
int slate_entity_create(slate_req *r, const slate_entity *e, const json_t *body,
			json_t **row_out);

/* ---- shared by entity_read.c, entity_write.c and link.c -------------- */

/* The UUID path parameter `param`, checked; NULL after answering 400. */
const char *slate_entity_path_uuid(slate_req *r, const char *param);
int slate_entity_not_found(slate_req *r, const slate_entity *e, const char *id);
/* Whether `id` names a live row of `e`: 1 yes, 0 no, -1 after answering. */
int slate_entity_exists(slate_req *r, const slate_entity *e, const char *id);
/* Parse JSON text PostgreSQL produced. New reference, or NULL. */
json_t *slate_entity_parse(const char *text);
/* 400 naming the first query parameter not in `allowed` (NULL-ended);
 * 0 when all are known. JSON filter keys "field.key" are accepted for
 * filterable JSON object fields of `e` (may be NULL). */
int slate_entity_check_query(slate_req *r, const slate_entity *e,
			     const char *const *allowed);
/* ?limit= and ?offset=. 0, or -1 after answering 400. */
int slate_entity_paging(slate_req *r, long long *limit, long long *offset);
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

/* Route handlers, wired by entity.c. */
int slate_entity_h_list(slate_req *r, void *ud);
int slate_entity_h_get(slate_req *r, void *ud);
int slate_entity_h_search(slate_req *r, void *ud);
int slate_entity_h_view_get(slate_req *r, void *ud);
int slate_entity_h_create(slate_req *r, void *ud);
int slate_entity_h_patch(slate_req *r, void *ud);
int slate_entity_h_delete(slate_req *r, void *ud);
int slate_entity_h_view_put(slate_req *r, void *ud);

#endif
