/*
 * read.h - the read routes of every declared entity (wired by register.c).
 */
#ifndef SLATE_ENTITY_READ_H
#define SLATE_ENTITY_READ_H

#include "entity/engine.h"

/* Route handlers; `ud` is the slate_entity (a view for h_view_get). */
int slate_entity_h_list(slate_req *r, void *ud);
int slate_entity_h_get(slate_req *r, void *ud);
int slate_entity_h_search(slate_req *r, void *ud);
int slate_entity_h_view_get(slate_req *r, void *ud);

#endif
