/*
 * th_catalog.h - the whole test program of a catalogue entity plugin: a
 * named file of one type, approved unless it says otherwise, tagged,
 * filtered by a field of its own and linked to episodes (backgrounds, UI
 * elements). Such plugins differ only in names and one field, so their
 * tests are one table each over the same tests: the entity contract,
 * defaults, episode links and list filters.
 */
#ifndef SLATE_TEST_CATALOG_H
#define SLATE_TEST_CATALOG_H

#include "th_contract.h"
#include "th_links.h"

/* Every string is borrowed for the program's run. */
typedef struct th_catalog {
	const char *plugin; /* its config name, and the suite's */
	const char *show;   /* the show whose episodes the links use */
	th_entity entity;   /* the contract, bad inputs included */
	/* links.create is a valid create body but the name; its type member
	 * (`type_key`) has a value other than `other_type` */
	th_link_entity links;
	const char *type_key, *other_type;
	/* a member of its own ({"k":"v"}), and the query that finds it */
	const char *own_body, *own_query;
} th_catalog;

/* Start slated with the plugin alone, run the tests, stop; the exit
 * status (1 when anything failed). */
int th_catalog_main(const th_catalog *c);

#endif
