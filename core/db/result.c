/* result.c - see result.h. */
#include "db/result.h"

#include <stdlib.h>

slate_result *slate_result_keep(slate_result_node **list, PGresult *res)
{
	slate_result_node *n = malloc(sizeof(*n));
	if (!n) {
		PQclear(res);
		return NULL;
	}
	n->res = res;
	n->next = *list;
	*list = n;
	return (slate_result *)n;
}

void slate_result_clear(slate_result_node **list)
{
	while (*list) {
		slate_result_node *n = *list;
		*list = n->next;
		PQclear(n->res);
		free(n);
	}
}

int slate_db_rows(const slate_result *res)
{
	return PQntuples(((const slate_result_node *)res)->res);
}

const char *slate_db_value(const slate_result *res, int row, int col)
{
	const PGresult *pg = ((const slate_result_node *)res)->res;
	if (row < 0 || row >= PQntuples(pg) || col < 0 ||
	    col >= PQnfields(pg) || PQgetisnull(pg, row, col))
		return NULL;
	return PQgetvalue(pg, row, col);
}
