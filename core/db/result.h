/*
 * result.h - query results handed to handlers (slate/host.h slate_result)
 * and kept until the request or job that ran the query ends.
 *
 * A slate_result is a node of its owner's list: `res` is the first member,
 * so the node itself is the handle, and freeing the list frees every result
 * the owner was given. Requests (http/req_db.h) and job handlers
 * (jobs/jobs.h) keep their results the same way.
 */
#ifndef SLATE_DB_RESULT_H
#define SLATE_DB_RESULT_H

#include <libpq-fe.h>
#include <slate/host.h>

typedef struct slate_result_node {
	PGresult *res;
	struct slate_result_node *next;
} slate_result_node;

/* Keep `res` (taken: cleared here on failure) on `*list`. The handle, or
 * NULL when out of memory. */
slate_result *slate_result_keep(slate_result_node **list, PGresult *res);

/* Clear every result on `*list`; the list is empty afterwards. */
void slate_result_clear(slate_result_node **list);

/* Host table: rows of a result; a cell's text, NULL when NULL or out of
 * range (the pointer lives as long as the result). */
int slate_db_rows(const slate_result *res);
const char *slate_db_value(const slate_result *res, int row, int col);

#endif
