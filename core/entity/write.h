/*
 * write.h - creating, patching and soft-deleting rows of declared entities:
 * the route handlers and the same operations for the host table.
 */
#ifndef SLATE_ENTITY_WRITE_H
#define SLATE_ENTITY_WRITE_H

#include "entity/engine.h"

/* Create a row of `e` from `body` (borrowed) as POST does, with audit row
 * and event; a nested entity's parent field must be in `body`. On success
 * *row_out is the new row (new reference). -1 after answering. */
int slate_entity_create(slate_req *r, const slate_entity *e, const json_t *body,
			json_t **row_out);

/* Apply `changes` (borrowed; validated in PATCH mode here) to the live row
 * `id` of `e` with audit rows and event, as PATCH does. On success
 * *row_out is the new row (new reference). -1 after answering. */
int slate_entity_patch(slate_req *r, const slate_entity *e, const char *id,
		       const json_t *changes, json_t **row_out);

/* Route handlers; `ud` is the slate_entity (a view for h_view_put). */
int slate_entity_h_create(slate_req *r, void *ud);
int slate_entity_h_patch(slate_req *r, void *ud);
int slate_entity_h_delete(slate_req *r, void *ud);
int slate_entity_h_view_put(slate_req *r, void *ud);

#endif
