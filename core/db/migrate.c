/* migrate.c - schema migrations; see migrate.h. */
#include "db/migrate.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Any fixed key works as long as nothing else in the database uses it:
 * "slatemig" in ASCII. Passed as text because libpq has no int8 binding. */
#define MIGRATE_LOCK_KEY "8317129764392233319"

#define SHA256_HEX_LEN 64

/* The applied rows, ordered by component and version. */
typedef struct applied {
	PGresult *res; /* NULL when the table does not exist yet */
	int n;
} applied;

enum { COL_COMPONENT, COL_VERSION, COL_NAME, COL_CHECKSUM, COL_APPLIED_AT };

static int sha256_hex(const char *text, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) ||
	    len != SHA256_HEX_LEN / 2)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Element i of a set, stepping by the builder's struct size so that a set
 * built against a later, larger slate_migration still reads correctly. */
static const slate_migration *set_at(const slate_migration_set *s, size_t i)
{
	return (const slate_migration *)(const void *)((const char *)s->list +
						       i * s->elem_size);
}

static const slate_migration *set_find(const slate_migration_set *s,
				       long version)
{
	for (size_t i = 0; i < s->n; i++) {
		if ((long)set_at(s, i)->version == version)
			return set_at(s, i);
	}
	return NULL;
}

/* Refuses sets the runner cannot apply in a well-defined order. */
static int check_set(const slate_migration_set *s, char *err, size_t errlen)
{
	if (!s->component || !s->component[0])
		return slate_errf(err, errlen,
				  "a migration set has no component");
	if (s->n && (!s->list || s->elem_size < sizeof(slate_migration)))
		return slate_errf(
		    err, errlen,
		    "migrations of %s: bad list or element size %zu",
		    s->component, s->elem_size);
	for (size_t i = 0; i < s->n; i++) {
		const slate_migration *m = set_at(s, i);
		if (m->version != i + 1)
			return slate_errf(
			    err, errlen,
			    "migrations of %s must be numbered 1, 2, "
			    "3...; found %u at position %zu",
			    s->component, m->version, i + 1);
		if (!m->name || !m->up)
			return slate_errf(
			    err, errlen,
			    "migration %s/%u has no name or no up SQL",
			    s->component, m->version);
	}
	return 0;
}

static int check_sets(const slate_migration_set *sets, size_t nsets, char *err,
		      size_t errlen)
{
	for (size_t i = 0; i < nsets; i++) {
		if (check_set(&sets[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The server's complaint as one line: message, detail, hint, and where in
 * the migration's text it arose. Connection failures have no result
 * fields, so the connection's message is used then. */
static const char *pg_error(PGconn *conn, const PGresult *res, char *buf,
			    size_t n)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!msg) {
		snprintf(buf, n, "%s", PQerrorMessage(conn));
		for (char *p = buf; *p; p++) {
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		}
		return buf;
	}
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	snprintf(
	    buf, n, "%s%s%s%s%s%s%s (SQLSTATE %s)", msg, detail ? "; " : "",
	    detail ? detail : "", hint ? "; hint: " : "", hint ? hint : "",
	    pos ? "; at character " : "", pos ? pos : "", state ? state : "?");
	return buf;
}

static PGresult *exec_params(PGconn *conn, const char *sql, int n,
			     const char *const *params)
{
	return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

/* Runs a statement expected to succeed; -1 with the server's reason. */
static int exec_ok(PGconn *conn, const char *sql, int n,
		   const char *const *params, const char *what, char *err,
		   size_t errlen)
{
	PGresult *res = exec_params(conn, sql, n, params);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char pgerr[512];
		rc = slate_errf(err, errlen, "%s: %s", what,
				pg_error(conn, res, pgerr, sizeof(pgerr)));
	}
	PQclear(res);
	return rc;
}

static int lock(PGconn *conn, char *err, size_t errlen)
{
	const char *key[] = {MIGRATE_LOCK_KEY};
	return exec_ok(conn, "SELECT pg_advisory_lock($1::bigint)", 1, key,
		       "cannot take the migration lock", err, errlen);
}

static void unlock(PGconn *conn)
{
	const char *key[] = {MIGRATE_LOCK_KEY};
	PQclear(
	    exec_params(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, key));
}

static int table_exists(PGconn *conn, bool *present, char *err, size_t errlen)
{
	PGresult *res = exec_params(
	    conn, "SELECT to_regclass('slate_schema_migrations') IS NOT NULL",
	    0, NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char pgerr[512];
		int rc =
		    slate_errf(err, errlen, "cannot read migration state: %s",
			       pg_error(conn, res, pgerr, sizeof(pgerr)));
		PQclear(res);
		return rc;
	}
	*present = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/* Only when missing, rather than IF NOT EXISTS, which would send a NOTICE
 * to the client's stderr on every run. Called under the lock. */
static int create_table(PGconn *conn, char *err, size_t errlen)
{
	bool present;
	if (table_exists(conn, &present, err, errlen) < 0)
		return -1;
	if (present)
		return 0;
	return exec_ok(conn,
		       "CREATE TABLE slate_schema_migrations ("
		       " component text NOT NULL,"
		       " version integer NOT NULL,"
		       " name text NOT NULL,"
		       " checksum text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now(),"
		       " PRIMARY KEY (component, version))",
		       0, NULL, "cannot create slate_schema_migrations", err,
		       errlen);
}

/* Reads every applied row; none when the table is not there yet (verify
 * and status must not create it). */
static int applied_load(PGconn *conn, applied *a, char *err, size_t errlen)
{
	a->res = NULL;
	a->n = 0;
	bool present;
	if (table_exists(conn, &present, err, errlen) < 0)
		return -1;
	if (!present)
		return 0;

	PGresult *res = exec_params(conn,
				    "SELECT component, version, name, checksum,"
				    " to_char(applied_at AT TIME ZONE 'UTC',"
				    " 'YYYY-MM-DD HH24:MI:SS') || ' UTC'"
				    " FROM slate_schema_migrations"
				    " ORDER BY component, version",
				    0, NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char pgerr[512];
		int rc =
		    slate_errf(err, errlen, "cannot read migration state: %s",
			       pg_error(conn, res, pgerr, sizeof(pgerr)));
		PQclear(res);
		return rc;
	}
	a->res = res;
	a->n = PQntuples(res);
	return 0;
}

static void applied_clear(applied *a)
{
	PQclear(a->res);
	a->res = NULL;
	a->n = 0;
}

static const char *col(const applied *a, int row, int c)
{
	return PQgetvalue(a->res, row, c);
}

static long row_version(const applied *a, int row)
{
	return strtol(col(a, row, COL_VERSION), NULL, 10);
}

/* Row index of component/version, or -1. */
static int applied_find(const applied *a, const char *component, long version)
{
	for (int i = 0; i < a->n; i++) {
		if (row_version(a, i) == version &&
		    strcmp(col(a, i, COL_COMPONENT), component) == 0)
			return i;
	}
	return -1;
}

static const slate_migration_set *sets_find(const slate_migration_set *sets,
					    size_t nsets, const char *component)
{
	for (size_t i = 0; i < nsets; i++) {
		if (strcmp(sets[i].component, component) == 0)
			return &sets[i];
	}
	return NULL;
}

/* Compares applied rows with the build. Rows of components not in `sets`
 * (a plugin now disabled) are none of this build's business. */
static int verify_loaded(const applied *a, const slate_migration_set *sets,
			 size_t nsets, char *err, size_t errlen)
{
	for (int i = 0; i < a->n; i++) {
		const char *comp = col(a, i, COL_COMPONENT);
		const slate_migration_set *s = sets_find(sets, nsets, comp);
		if (!s)
			continue;
		long v = row_version(a, i);
		const slate_migration *m = set_find(s, v);
		if (!m)
			return slate_errf(
			    err, errlen,
			    "applied migration %s/%ld is not known to "
			    "this build",
			    comp, v);
		char sum[SHA256_HEX_LEN + 1];
		if (sha256_hex(m->up, sum) < 0)
			return slate_errf(err, errlen,
					  "cannot compute SHA-256");
		if (strcmp(sum, col(a, i, COL_CHECKSUM)) != 0)
			return slate_errf(
			    err, errlen,
			    "migration %s/%ld (%s) was edited after it "
			    "was applied: checksum %.12s... recorded, "
			    "%.12s... in this build",
			    comp, v, m->name, col(a, i, COL_CHECKSUM), sum);
	}
	return 0;
}

int slate_migrate_verify(PGconn *conn, const slate_migration_set *sets,
			 size_t nsets, char *err, size_t errlen)
{
	applied a;
	if (check_sets(sets, nsets, err, errlen) < 0 ||
	    applied_load(conn, &a, err, errlen) < 0)
		return -1;
	int rc = verify_loaded(&a, sets, nsets, err, errlen);
	applied_clear(&a);
	return rc;
}

/* BEGIN; sql; the bookkeeping statement; COMMIT; all or nothing. */
static int run_one(PGconn *conn, const char *component,
		   const slate_migration *m, const char *sql,
		   const char *record_sql, int nrecord,
		   const char *const *record, const char *verb, char *err,
		   size_t errlen)
{
	char what[256];
	snprintf(what, sizeof(what), "migration %s/%u (%s) %s failed",
		 component, m->version, m->name, verb);
	if (exec_ok(conn, "BEGIN", 0, NULL, what, err, errlen) < 0)
		return -1;

	/* The migration's own text may hold several statements, which only
	 * the simple protocol runs; it comes from the build, not a user. */
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char pgerr[512];
		slate_errf(err, errlen, "%s: %s", what,
			   pg_error(conn, res, pgerr, sizeof(pgerr)));
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	if (exec_ok(conn, record_sql, nrecord, record, what, err, errlen) < 0 ||
	    exec_ok(conn, "COMMIT", 0, NULL, what, err, errlen) < 0)
		goto rollback;
	return 0;
rollback:
	PQclear(PQexec(conn, "ROLLBACK"));
	return -1;
}

static int apply_up(PGconn *conn, const slate_migration_set *s,
		    const applied *a, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->n; i++) {
		const slate_migration *m = set_at(s, i);
		if (applied_find(a, s->component, m->version) >= 0)
			continue;
		char sum[SHA256_HEX_LEN + 1], ver[16];
		if (sha256_hex(m->up, sum) < 0)
			return slate_errf(err, errlen,
					  "cannot compute SHA-256");
		snprintf(ver, sizeof(ver), "%u", m->version);
		const char *params[] = {s->component, ver, m->name, sum};
		if (run_one(conn, s->component, m, m->up,
			    "INSERT INTO slate_schema_migrations"
			    " (component, version, name, checksum)"
			    " VALUES ($1, $2::integer, $3, $4)",
			    4, params, "up", err, errlen) < 0)
			return -1;
	}
	return 0;
}

int slate_migrate_up(PGconn *conn, const slate_migration_set *sets,
		     size_t nsets, char *err, size_t errlen)
{
	if (check_sets(sets, nsets, err, errlen) < 0 ||
	    lock(conn, err, errlen) < 0)
		return -1;
	/* Read the state only under the lock: another process may just have
	 * applied what looked pending. */
	applied a = {NULL, 0};
	int rc = -1;
	if (create_table(conn, err, errlen) < 0 ||
	    applied_load(conn, &a, err, errlen) < 0 ||
	    verify_loaded(&a, sets, nsets, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < nsets; i++) {
		if (apply_up(conn, &sets[i], &a, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	applied_clear(&a);
	unlock(conn);
	return rc;
}

int slate_migrate_down(PGconn *conn, const slate_migration_set *set, int steps,
		       char *err, size_t errlen)
{
	if (steps < 1)
		return slate_errf(err, errlen,
				  "steps must be at least 1, not %d", steps);
	if (check_set(set, err, errlen) < 0 || lock(conn, err, errlen) < 0)
		return -1;
	applied a = {NULL, 0};
	int *rows = NULL;
	int rc = -1;
	if (applied_load(conn, &a, err, errlen) < 0 ||
	    verify_loaded(&a, set, 1, err, errlen) < 0)
		goto out;

	/* Rows are ordered by version: take the newest `steps` of ours, and
	 * check them all before reverting any. */
	rows = malloc(sizeof(int) * (size_t)(a.n ? a.n : 1));
	if (!rows) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	int n = 0;
	for (int i = a.n - 1; i >= 0 && n < steps; i--) {
		if (strcmp(col(&a, i, COL_COMPONENT), set->component) == 0)
			rows[n++] = i;
	}
	if (n < steps) {
		slate_errf(err, errlen,
			   "%s has %d applied migration%s; cannot revert %d",
			   set->component, n, n == 1 ? "" : "s", steps);
		goto out;
	}
	for (int k = 0; k < n; k++) {
		const slate_migration *m =
		    set_find(set, row_version(&a, rows[k]));
		if (!m->down) {
			slate_errf(
			    err, errlen,
			    "migration %s/%u (%s) is irreversible: it has no "
			    "down SQL",
			    set->component, m->version, m->name);
			goto out;
		}
	}
	for (int k = 0; k < n; k++) {
		const slate_migration *m =
		    set_find(set, row_version(&a, rows[k]));
		char ver[16];
		snprintf(ver, sizeof(ver), "%u", m->version);
		const char *params[] = {set->component, ver};
		if (run_one(conn, set->component, m, m->down,
			    "DELETE FROM slate_schema_migrations"
			    " WHERE component = $1 AND version = $2::integer",
			    2, params, "down", err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(rows);
	applied_clear(&a);
	unlock(conn);
	return rc;
}

int slate_migrate_status(PGconn *conn, const slate_migration_set *sets,
			 size_t nsets, FILE *out, char *err, size_t errlen)
{
	applied a;
	if (check_sets(sets, nsets, err, errlen) < 0 ||
	    applied_load(conn, &a, err, errlen) < 0)
		return -1;

	int wc = (int)strlen("COMPONENT"), wn = (int)strlen("NAME");
	for (size_t i = 0; i < nsets; i++) {
		int l = (int)strlen(sets[i].component);
		wc = l > wc ? l : wc;
		for (size_t j = 0; j < sets[i].n; j++) {
			l = (int)strlen(set_at(&sets[i], j)->name);
			wn = l > wn ? l : wn;
		}
	}
	for (int r = 0; r < a.n; r++) {
		int l = (int)strlen(col(&a, r, COL_NAME));
		wn = l > wn ? l : wn;
	}
	fprintf(out, "%-*s  %7s  %-*s  %s\n", wc, "COMPONENT", "VERSION", wn,
		"NAME", "STATE");
	for (size_t i = 0; i < nsets; i++) {
		const slate_migration_set *s = &sets[i];
		for (size_t j = 0; j < s->n; j++) {
			const slate_migration *m = set_at(s, j);
			int row = applied_find(&a, s->component, m->version);
			char sum[SHA256_HEX_LEN + 1] = "";
			if (row >= 0 && sha256_hex(m->up, sum) < 0) {
				applied_clear(&a);
				return slate_errf(err, errlen,
						  "cannot compute SHA-256");
			}
			fprintf(out, "%-*s  %7u  %-*s  ", wc, s->component,
				m->version, wn, m->name);
			if (row < 0)
				fputs("pending\n", out);
			else if (strcmp(sum, col(&a, row, COL_CHECKSUM)) != 0)
				fprintf(out, "EDITED since applied at %s\n",
					col(&a, row, COL_APPLIED_AT));
			else
				fprintf(out, "applied at %s\n",
					col(&a, row, COL_APPLIED_AT));
		}
		/* Applied by another build: worth seeing before `up` refuses.
		 */
		for (int r = 0; r < a.n; r++) {
			if (strcmp(col(&a, r, COL_COMPONENT), s->component) ||
			    set_find(s, row_version(&a, r)))
				continue;
			fprintf(out,
				"%-*s  %7ld  %-*s  UNKNOWN to this build, "
				"applied at %s\n",
				wc, s->component, row_version(&a, r), wn,
				col(&a, r, COL_NAME),
				col(&a, r, COL_APPLIED_AT));
		}
	}
	applied_clear(&a);
	return 0;
}
