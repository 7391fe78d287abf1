/*
 * entity.h - the generic CRUD engine behind every declared entity
 * (slate/entity.h): shows and episodes in the core, and each entity plugin.
 *
 * Registration copies the declaration, checks every name that will be put
 * into SQL text against [a-z_][a-z0-9_]*, precomputes the SQL that does not
 * vary per request, and adds the routes. Values never enter SQL text: they
 * travel as parameters, most of them inside one JSON document that
 * jsonb_populate_record() turns into a typed row, so PostgreSQL's own casts
 * do the conversion after our validation has accepted the value.
 */
#ifndef SLATE_ENTITY_CORE_H
#define SLATE_ENTITY_CORE_H

#include <slate/entity.h>
#include <stddef.h>

#include "core.h"

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
	char **block_tables, **block_columns;
	size_t nblocks;
	int (*validate)(struct slate_req *, const struct json_t *,
			const struct json_t *, void *);
	void *ud;
	const char *owner;

	char *sql_object; /* json_build_object(...) over alias t */
	char *sql_get;    /* $1 = id */
	char *sql_delete; /* $1 = id */
	const char **list_query; /* accepted query parameters, NULL-ended */
};

/* Register `def` for `owner` ("core" or a plugin id): copies it and adds
 * its routes to core->router. -1 with a reason in err. */
int slate_entity_register(slate_core *core, const char *owner,
			  const slate_entity_def *def, char *err,
			  size_t errlen);

void slate_entity_free(slate_entity *e);

/* The field called `name`, or NULL. */
const slate_field *slate_entity_field(const slate_entity *e,
				      const char *name);

#endif
