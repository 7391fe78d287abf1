/*
 * req_db.h - a request's database work: its connection taken from the pool
 * on first use, its lazy transaction, results kept until the request ends,
 * and the end of the transaction (commit, rollback, then the events).
 */
#ifndef SLATE_REQ_DB_H
#define SLATE_REQ_DB_H

#include "db/result.h"
#include "http/request.h"

/* Host table [request] database functions. */
slate_result *slate_db_exec_req(slate_req *r, const char *sql, int nparams,
				const char *const *params);
const char *slate_db_sqlstate(slate_req *r);

/* The standard answer for a failed db_exec: 409 on unique violation, 503
 * when the database is unreachable, 500 otherwise. Returns -1. */
int slate_res_db_error(slate_req *r);

/* End the request's transaction: commit when `ok` (or when it must commit
 * on error), roll back otherwise; give the connection back; deliver the
 * events when the change took effect. true when it did. Sets a 503 when a
 * commit that should have happened failed. */
bool slate_req_finish(slate_req *r, bool ok);

#endif
