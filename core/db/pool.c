/* pool.c - see pool.h. */
#include "db/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

/* Prepared statements per connection: an open-addressing table keyed by the
 * SQL text. Past STMT_MAX distinct texts a connection stops preparing and
 * runs the rest unnamed, so odd one-off queries cannot grow it unbounded. */
#define STMT_SLOTS 512
#define STMT_MAX 384

typedef struct stmt {
	uint64_t hash;
	char *sql; /* NULL: empty slot */
} stmt;

struct slate_db_conn {
	PGconn *pg;
	bool busy;
	int nstmts;
	stmt stmts[STMT_SLOTS];
};

struct slate_db_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *conninfo;
	int size;
	int timeout_ms;
	slate_db_conn *conns;
};

static void conn_forget_statements(slate_db_conn *c)
{
	for (int i = 0; i < STMT_SLOTS; i++) {
		free(c->stmts[i].sql);
		c->stmts[i].sql = NULL;
	}
	c->nstmts = 0;
}

static PGconn *connect_one(const char *conninfo)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (pg && PQstatus(pg) == CONNECTION_OK) {
		/* Answers carry UTC timestamps whatever the server's default.
		 */
		PGresult *r = PQexec(pg, "SET TimeZone = 'UTC'");
		PQclear(r);
	}
	return pg;
}

int slate_db_pool_new(const char *conninfo, int size, int acquire_timeout_ms,
		      slate_db_pool **out, char *err, size_t errlen)
{
	slate_db_pool *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->conninfo = strdup(conninfo);
	p->size = size;
	p->timeout_ms = acquire_timeout_ms;
	p->conns = calloc((size_t)size, sizeof(*p->conns));
	if (!p->conninfo || !p->conns) {
		snprintf(err, errlen, "out of memory");
		slate_db_pool_free(p);
		return -1;
	}
	for (int i = 0; i < size; i++) {
		p->conns[i].pg = connect_one(conninfo);
		if (!p->conns[i].pg ||
		    PQstatus(p->conns[i].pg) != CONNECTION_OK) {
			snprintf(err, errlen,
				 "cannot connect to the database: %s",
				 p->conns[i].pg ? PQerrorMessage(p->conns[i].pg)
						: "out of memory");
			char *nl = strchr(err, '\n');
			if (nl)
				*nl = '\0';
			slate_db_pool_free(p);
			return -1;
		}
	}
	*out = p;
	return 0;
}

void slate_db_pool_free(slate_db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; p->conns && i < p->size; i++) {
		conn_forget_statements(&p->conns[i]);
		if (p->conns[i].pg)
			PQfinish(p->conns[i].pg);
	}
	free(p->conns);
	free(p->conninfo);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Make sure c->pg is usable; resets it (outside the pool lock) if not. */
static bool conn_ensure(slate_db_pool *p, slate_db_conn *c)
{
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
		return true;
	conn_forget_statements(c);
	if (c->pg)
		PQfinish(c->pg);
	c->pg = connect_one(p->conninfo);
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
		slate_log(SLATE_LOG_INFO, "db", NULL,
			  "database connection re-established");
		return true;
	}
	slate_log(SLATE_LOG_WARN, "db", NULL, "database unavailable: %s",
		  c->pg ? PQerrorMessage(c->pg) : "out of memory");
	return false;
}

slate_db_conn *slate_db_acquire(slate_db_pool *p)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += p->timeout_ms / 1000;
	deadline.tv_nsec += (long)(p->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	slate_db_conn *c = NULL;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (int i = 0; i < p->size; i++) {
			if (!p->conns[i].busy) {
				c = &p->conns[i];
				c->busy = true;
				break;
			}
		}
		if (c)
			break;
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	if (!c) {
		slate_log(SLATE_LOG_WARN, "db", NULL,
			  "no database connection free within %d ms",
			  p->timeout_ms);
		return NULL;
	}
	if (!conn_ensure(p, c)) {
		slate_db_release(p, c);
		return NULL;
	}
	return c;
}

void slate_db_release(slate_db_pool *p, slate_db_conn *c)
{
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->pg, "ROLLBACK");
		PQclear(r);
	}
	pthread_mutex_lock(&p->lock);
	c->busy = false;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding `sql`, or the empty slot where it would go. */
static stmt *stmt_slot(slate_db_conn *c, const char *sql, uint64_t h)
{
	size_t i = (size_t)(h % STMT_SLOTS);
	for (;;) {
		stmt *s = &c->stmts[i];
		if (!s->sql || (s->hash == h && !strcmp(s->sql, sql)))
			return s;
		i = (i + 1) % STMT_SLOTS;
	}
}

PGresult *slate_db_exec(slate_db_conn *c, const char *sql, int nparams,
			const char *const *params)
{
	uint64_t h = fnv1a(sql);
	stmt *s = stmt_slot(c, sql, h);
	char name[32];
	snprintf(name, sizeof(name), "s%zu", (size_t)(s - c->stmts));
	if (!s->sql) {
		if (c->nstmts >= STMT_MAX)
			return PQexecParams(c->pg, sql, nparams, NULL, params,
					    NULL, NULL, 0);
		PGresult *r = PQprepare(c->pg, name, sql, nparams, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			return r; /* the error result explains it */
		PQclear(r);
		s->sql = strdup(sql);
		if (!s->sql)
			return NULL;
		s->hash = h;
		c->nstmts++;
	}
	return PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
}

int slate_db_simple(slate_db_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);
	int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

PGconn *slate_db_pgconn(slate_db_conn *c)
{
	return c->pg;
}
