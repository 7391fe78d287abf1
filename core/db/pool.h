/*
 * pool.h - a fixed pool of libpq connections with per-connection
 * prepared statements.
 *
 * Every statement runs with parameters; the text of each distinct statement
 * is prepared once per connection and then executed by name, which is both
 * injection-proof and saves the parse on the hot path. A connection found
 * broken is reset when it is next acquired; if the server still does not
 * answer, acquire fails and the caller answers 503.
 */
#ifndef SLATE_DB_POOL_H
#define SLATE_DB_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct slate_db_pool slate_db_pool;
typedef struct slate_db_conn slate_db_conn;

/* Open `size` connections to `conninfo`. Fails (-1) when the first cannot
 * connect; *out owns the pool otherwise (free with slate_db_pool_free). */
int slate_db_pool_new(const char *conninfo, int size, int acquire_timeout_ms,
		      slate_db_pool **out, char *err, size_t errlen);
void slate_db_pool_free(slate_db_pool *p);

/* A connection for the caller's exclusive use, healthy as far as can be
 * told, or NULL when none became free in time or the server is down. */
slate_db_conn *slate_db_acquire(slate_db_pool *p);
/* Give it back; a connection left inside a transaction is rolled back. */
void slate_db_release(slate_db_pool *p, slate_db_conn *c);

/* Run a parameterized statement (prepared and cached per connection).
 * Returns a PGresult the caller PQclear()s (check PQresultStatus), or NULL
 * when the connection is gone. */
PGresult *slate_db_exec(slate_db_conn *c, const char *sql, int nparams,
			const char *const *params);
/* Run a statement without parameters and without caching (BEGIN, COMMIT).
 * 0 when it returned `expect`, -1 otherwise. */
int slate_db_simple(slate_db_conn *c, const char *sql);

PGconn *slate_db_pgconn(slate_db_conn *c);

#endif
