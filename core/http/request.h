/*
 * request.h - one HTTP request on its way through the core.
 *
 * A request is made on the I/O thread when its headers arrive, filled with
 * copies of everything a handler may ask for (so the worker thread never
 * touches libmicrohttpd's connection), run on a worker thread, and freed when
 * libmicrohttpd reports the response sent. The slate_req_* functions below
 * are the [request] functions of the host table (slate/host.h) and follow
 * its ownership rules.
 */
#ifndef SLATE_REQUEST_H
#define SLATE_REQUEST_H

#include <libpq-fe.h>
#include <slate/host.h>
#include <stdbool.h>

#include "base/arena.h"
#include "http/router.h"

struct slate_core;
struct slate_db_conn;
struct MHD_Connection;
struct MHD_Response;

typedef struct slate_result_node {
	PGresult *res;
	struct slate_result_node *next;
} slate_result_node;

struct slate_req {
	slate_arena arena;
	struct slate_core *core;
	struct MHD_Connection *conn;
	struct slate_req *next; /* work queue link */

	char request_id[129];
	const char *method;
	char *path;	  /* as received, for logs */
	char *match_path; /* split by the router; params point into it */
	slate_match match;
	int route_status; /* 200, 404 or 405 from the router */
	char client_ip[64];
	double t_start;

	slate_kv *query;
	int nquery, query_cap;
	slate_kv *headers;
	int nheaders, headers_cap;

	/* body, accumulated on the I/O thread */
	char *body_buf;
	size_t body_len, body_cap;
	bool body_too_large;
	json_t *body;
	/* streaming-body routes (router.h slate_stream_ops): their state */
	void *stream;
	bool stream_failed; /* data() refused: discard the rest */

	/* response */
	unsigned status;
	json_t *data;
	char *raw;
	size_t raw_len;
	json_t *errors; /* array, NULL when none */
	json_t *meta;	/* extra metadata keys, NULL when none */
	slate_kv *res_headers;
	int nres_headers, res_headers_cap;
	struct MHD_Response *response; /* ready to queue */

	/* database */
	struct slate_db_conn *db;
	bool want_tx, in_tx, db_failed;
	char sqlstate[6];
	slate_result_node *results;

	char *db_detail;     /* PG's DETAIL of the last failure, arena */
	char *db_constraint; /* constraint named by the last failure */

	/* who is asking; NULL until authentication fills them (auth.c) */
	const char *user_id; /* NULL for an external subject not a UUID */
	const char *user_email;
	const char *user_subject; /* the token's sub */
	unsigned groups;	  /* SLATE_GROUP_* bits (users.h) */
	bool auth_external;	  /* token from the OIDC issuer */
	/* Commit even though the response is an error: a failed login's
	 * counters and audit row, a reused refresh token's revocation. */
	bool commit_on_error;

	json_t *events; /* [[name, payload], ...] delivered after commit */
};

/* A new request, or NULL when out of memory. */
slate_req *slate_req_new(struct slate_core *core);
/* Free everything the request holds, its connection included. */
void slate_req_free(slate_req *r);

/* Copy a header or query argument in (the I/O thread). -1 out of memory. */
int slate_req_add_header(slate_req *r, const char *k, const char *v);
int slate_req_add_query(slate_req *r, const char *k, const char *v);

/* Run the matched route on the current (worker) thread: the API rate
 * limit, authentication against the route's permission, the body and query
 * checks, then transaction, handler, commit or rollback, events, and build
 * r->response. */
void slate_req_execute(slate_req *r);

/* Parse and check the body and query against the route (done after
 * authentication, so an anonymous caller learns nothing of the input
 * rules). Errors are added to the request. */
void slate_req_check_input(slate_req *r);

/* End the request's transaction: commit when `ok` (or when it must commit
 * on error), roll back otherwise; give the connection back; deliver the
 * events when the change took effect. true when it did. Sets a 503 when a
 * commit that should have happened failed. */
bool slate_req_finish(slate_req *r, bool ok);

/* The message of the first error set on r, or NULL. */
const char *slate_req_error(slate_req *r);

/* Build r->response from whatever the request holds (also used for errors
 * answered on the I/O thread). 0 or -1. */
int slate_req_build_response(slate_req *r);

/* The response body in the seed's envelope: {"data": ...} or {"errors":
 * [...]} plus "metadata". New string (free()), NULL when out of memory. */
char *slate_req_envelope(slate_req *r, size_t *len);

/* Host table [request] functions. */
const char *slate_req_param(slate_req *r, const char *name);
const char *slate_req_query(slate_req *r, const char *name);
const char *slate_req_header(slate_req *r, const char *name);
const json_t *slate_req_body(slate_req *r);
const char *slate_req_id(slate_req *r);
int slate_res_json(slate_req *r, unsigned status, json_t *data);
int slate_res_raw(slate_req *r, unsigned status, const char *json, size_t len);
int slate_res_error(slate_req *r, unsigned status, const char *code,
		    const char *field, const char *fmt, ...) SLATE_PRINTF(5, 6);
int slate_res_errorv(slate_req *r, unsigned status, const char *code,
		     const char *field, const char *fmt, va_list ap);
int slate_res_meta(slate_req *r, const char *key, json_t *value);
int slate_res_header(slate_req *r, const char *name, const char *value);
slate_result *slate_db_exec_req(slate_req *r, const char *sql, int nparams,
				const char *const *params);
int slate_db_rows(const slate_result *res);
const char *slate_db_value(const slate_result *res, int row, int col);
const char *slate_db_sqlstate(slate_req *r);
void *slate_req_alloc(slate_req *r, size_t size);
int slate_req_event_emit(slate_req *r, const char *event, json_t *payload);

/* Query parameter `name` as an integer in [lo, hi]; `def` when absent.
 * 0, or -1 after answering 400 naming the parameter. */
int slate_req_query_int(slate_req *r, const char *name, long long lo,
			long long hi, long long def, long long *out);

/* Whether the response so far is an error (an error was added or status is
 * 400 or more). */
bool slate_req_failed(const slate_req *r);

/* The standard answer for a failed db_exec: 409 on unique violation, 503
 * when the database is unreachable, 500 otherwise. Returns -1. */
int slate_res_db_error(slate_req *r);

#endif
