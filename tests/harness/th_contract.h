/*
 * th_contract.h - the contract every declared entity keeps over HTTP, run
 * from one table: create, get, list and its metadata, a filter, a sort, a
 * patch, a unique value (409), a soft delete (404 and gone from the list,
 * the row kept), and bad inputs that answer 400 naming the field and change
 * nothing. A plugin's test describes its entity in a th_entity and calls
 * th_contract_run from a CUnit test; what is its own stays in its file.
 */
#ifndef SLATE_TEST_CONTRACT_H
#define SLATE_TEST_CONTRACT_H

#include "harness.h"

/* A request the entity must refuse. on_item: a PATCH `body` to the item the
 * contract made; otherwise `method` on the collection, POST with `body` or
 * GET with `body` as the query string (after the '?'). */
typedef struct th_bad_input {
	const char *method, *body;
	bool on_item;
	const char *field;   /* what the first error must name ("" none) */
	long status;	     /* 0 for 400 */
	const char *message; /* NULL, or a part of the error's message */
} th_bad_input;

/* An entity as the API shows it. Every string is borrowed for the run. */
typedef struct th_entity {
	const char *path;	  /* collection: POST creates, GET lists */
	const char *item_path;	  /* items are item_path/{id}; NULL: path */
	const char *id_key;	  /* id member of data, and its column */
	const char *id_param;	  /* what an error about the item's id names */
	const char *table;	  /* where the rows are */
	const char *audit_type;	  /* entity_type of its audit_log rows */
	const char *create_a;	  /* two valid bodies: a sorts before b */
	const char *create_b;	  /* by `sort`, and only a matches `filter` */
	const char *patch;	  /* a change to a; its members are read back */
	const char *filter;	  /* a query string */
	const char *sort;	  /* a sortable key */
	const char *unique;	  /* a member of create_a no row may share */
	bool unique_kept_deleted; /* a deleted row keeps its value taken */
	const th_bad_input *bad;  /* ended by a NULL method; may be NULL */
} th_entity;

/* Run every check of the contract with CUnit assertions. It leaves the two
 * rows it made soft-deleted: no live row of its own for later tests. */
void th_contract_run(th_server *s, const th_entity *e);

#endif
