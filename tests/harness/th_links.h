/*
 * th_links.h - the episode links an entity plugin makes with the SDK's
 * link engine (/api/v1/episodes/:episodeId/<segment> and <path>/:id/usage),
 * checked the same way for every such entity: link, duplicate 409, list
 * with the linked object, usage, unlink by context then all, audit rows,
 * soft deletes hidden on both sides, and bad link requests that change
 * nothing.
 */
#ifndef SLATE_TEST_LINKS_H
#define SLATE_TEST_LINKS_H

#include "harness.h"

/* Every string is borrowed for the run. */
typedef struct th_link_entity {
	const char *path;     /* the entity's collection */
	const char *segment;  /* after /api/v1/episodes/{id}/ */
	const char *id_key;   /* the entity's id member */
	const char *id_param; /* what an error about its id names */
	const char *sub;      /* the linked object's member, the audit field */
	const char *name_key; /* the entity's name member */
	const char *create;   /* a create body but the name (added) */
	const char *const *tables; /* what a link request could change */
} th_link_entity;

/* Link, list, usage, unlink and soft deletes, on episode ep (which must
 * have no links yet) of show_id; makes its own entities and episode. */
void th_links_run(th_server *s, const th_link_entity *e, const char *show_id,
		  const char *ep);
/* Bad link requests on episode ep: each its error, nothing changed. */
void th_links_bad(th_server *s, const th_link_entity *e, const char *ep);

#endif
