/* req_db.c - see req_db.h. */
#include "http/req_db.h"

#include <stdio.h>
#include <string.h>

#include "base/core.h"
#include "base/log.h"
#include "db/pool.h"
#include "http/req_events.h"

/* Acquire the request's connection on first use, and open its transaction
 * on the first use once a transaction is wanted (the rate-limit counter runs
 * before, outside it). */
static int db_ensure(slate_req *r)
{
	if (r->db_failed)
		return -1;
	if (!r->db) {
		r->db = slate_db_acquire(r->core->db);
		if (!r->db) {
			r->db_failed = true;
			memcpy(r->sqlstate, "08006", 6);
			return -1;
		}
	}
	if (r->want_tx && !r->in_tx) {
		if (slate_db_simple(r->db, "BEGIN")) {
			r->db_failed = true;
			memcpy(r->sqlstate, "08006", 6);
			return -1;
		}
		r->in_tx = true;
	}
	return 0;
}

slate_result *slate_db_exec_req(slate_req *r, const char *sql, int nparams,
				const char *const *params)
{
	if (db_ensure(r))
		return NULL;
	PGresult *res = slate_db_exec(r->db, sql, nparams, params);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		const char *state =
		    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (!state || PQstatus(slate_db_pgconn(r->db)) != CONNECTION_OK)
			state = "08006";
		snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state);
		r->db_detail =
		    res ? slate_arena_strdup(
			      &r->arena,
			      PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
			: NULL;
		r->db_constraint =
		    res ? slate_arena_strdup(
			      &r->arena,
			      PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME))
			: NULL;
		if (strncmp(state, "23", 2) != 0) /* constraint: expected */
			slate_log(SLATE_LOG_ERROR, "db", r->request_id,
				  "query failed (%s): %s", state,
				  res ? PQresultErrorMessage(res)
				      : "connection lost");
		PQclear(res);
		return NULL;
	}
	return slate_result_keep(&r->results, res);
}

const char *slate_db_sqlstate(slate_req *r)
{
	return r->sqlstate;
}

int slate_res_db_error(slate_req *r)
{
	const char *s = r->sqlstate;
	if (!strncmp(s, "08", 2) || !strncmp(s, "57P", 3))
		return slate_res_error(
		    r, 503, "SERVICE_UNAVAILABLE", NULL,
		    "The database is unavailable; try again");
	if (!strcmp(s, "23505")) {
		/* PG's detail reads "Key (a, b)=(x, y) already exists.": the
		 * column list names the fields in conflict. */
		char cols[256] = "";
		const char *d = r->db_detail;
		if (d && !strncmp(d, "Key (", 5)) {
			const char *end = strstr(d, ")=(");
			if (end && end - (d + 5) < (long)sizeof(cols))
				memcpy(cols, d + 5, (size_t)(end - (d + 5)));
		}
		if (cols[0])
			return slate_res_error(r, 409, "CONFLICT", cols,
					       "A record with the same %s "
					       "already exists",
					       cols);
		return slate_res_error(r, 409, "CONFLICT", NULL,
				       "A record with these values exists");
	}
	if (!strcmp(s, "23503"))
		return slate_res_error(r, 422, "UNPROCESSABLE_ENTITY", NULL,
				       "A referenced record does not exist");
	if (!strcmp(s, "40001") || !strcmp(s, "40P01"))
		return slate_res_error(r, 409, "CONFLICT", NULL,
				       "Concurrent update; retry the request");
	return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
			       "Internal error (request %s)", r->request_id);
}

bool slate_req_finish(slate_req *r, bool ok)
{
	bool committed = false, began = r->in_tx;
	if (r->in_tx) {
		bool keep = ok || (r->commit_on_error && !r->db_failed);
		if (keep && slate_db_simple(r->db, "COMMIT") == 0) {
			committed = ok;
		} else if (ok) {
			/* a deferred constraint or a lost connection */
			json_decref(r->data);
			r->data = NULL;
			free(r->raw);
			r->raw = NULL;
			r->status = 0;
			slate_res_error(r, 503, "SERVICE_UNAVAILABLE", NULL,
					"The change could not be committed");
		} else if (!keep) {
			slate_db_simple(r->db, "ROLLBACK");
		}
		r->in_tx = false;
	}
	slate_req_db_release(r);
	bool done = committed || (ok && !began);
	if (done)
		slate_req_events_deliver(r);
	slate_req_results_clear(r);
	return done;
}
