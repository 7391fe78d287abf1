/*
 * cluster_conn.c - talking to the running cluster: its libpq connection
 * string, and creating slated's database in it on first start.
 */
#include "db/cluster_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Appends key='value' to a conninfo string, quoted as libpq wants. */
static int conninfo_add(char **s, const char *key, const char *value)
{
	size_t old = *s ? strlen(*s) : 0;
	size_t need = old + strlen(key) + 2 * strlen(value) + 5;
	char *n = realloc(*s, need);
	if (!n)
		return -1;
	char *p = n + old;
	if (old)
		*p++ = ' ';
	p += sprintf(p, "%s='", key);
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '\'';
	*p = '\0';
	*s = n;
	return 0;
}

char *cluster_conn_info(const slate_cluster *c, const char *dbname)
{
	char *s = NULL;
	if (conninfo_add(&s, "host", c->cluster_dir) < 0 ||
	    conninfo_add(&s, "port", PG_PORT) < 0 ||
	    conninfo_add(&s, "dbname", dbname) < 0 ||
	    conninfo_add(&s, "user", PG_SUPERUSER) < 0 ||
	    conninfo_add(&s, "options", "-c TimeZone=UTC") < 0) {
		free(s);
		return NULL;
	}
	return s;
}

int cluster_conn_ensure_db(const slate_cluster *c, const char *dbname,
			   char *err, size_t errlen)
{
	char *ci = cluster_conn_info(c, "postgres");
	if (!ci)
		return slate_errf(err, errlen, "out of memory");
	PGconn *conn = PQconnectdb(ci);
	free(ci);
	PGresult *res = NULL;
	char *ident = NULL;
	int rc = -1;
	if (PQstatus(conn) != CONNECTION_OK) {
		slate_errf(err, errlen,
			   "cannot connect to the cluster in %s: %s",
			   c->cluster_dir, PQerrorMessage(conn));
		goto out;
	}
	const char *params[] = {dbname};
	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		slate_errf(err, errlen, "cannot list databases: %s",
			   PQresultErrorMessage(res));
		goto out;
	}
	if (PQntuples(res) > 0) {
		rc = 0;
		goto out;
	}
	PQclear(res);

	/* Utility statements take no parameters; the name is quoted instead. */
	ident = PQescapeIdentifier(conn, dbname, strlen(dbname));
	char *sql = NULL;
	if (!ident || asprintf(&sql, "CREATE DATABASE %s", ident) < 0) {
		res = NULL;
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	res = PQexec(conn, sql);
	free(sql);
	/* Someone else created it meanwhile (a client not going through
	 * slate_cluster_start): 42P04, or 23505 when both passed the check. */
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	bool raced = state && (strcmp(state, "42P04") == 0 ||
			       strcmp(state, "23505") == 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !raced) {
		slate_errf(err, errlen, "cannot create database %s: %s", dbname,
			   PQresultErrorMessage(res));
		goto out;
	}
	rc = 0;
out:
	PQfreemem(ident);
	PQclear(res);
	PQfinish(conn);
	return rc;
}
