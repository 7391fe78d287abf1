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
#include "db/result.h"
#include "http/router.h"

struct slate_core;
struct slate_db_conn;
struct MHD_Connection;
struct MHD_Response;

struct slate_req {
	slate_arena arena;
	struct slate_core *core;
	struct MHD_Connection *conn;
	struct slate_req *next; /* work queue link */

	char request_id[129];
	const char *method;
	char *path;	     /* as received, for logs */
	char *raw_target;    /* path and query before decoding (req_input.h) */
	size_t header_bytes; /* header names and values, as received */
	char *match_path;    /* split by the router; params point into it */
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
	/* refused before its body: the body is read and dropped, up to a
	 * bound, so a client that writes it all before reading sees the
	 * answer (http_server.c) */
	bool body_discard;
	size_t body_discarded;
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

/* The message of the first error set on r, or NULL. */
const char *slate_req_error(slate_req *r);

/* Host table [request] functions (the database ones: req_db.h, events:
 * req_events.h). */
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
		     const char *field, const char *fmt, va_list ap)
    SLATE_PRINTF(5, 0);
int slate_res_meta(slate_req *r, const char *key, json_t *value);
int slate_res_header(slate_req *r, const char *name, const char *value);
/* metadata.total, .limit and .offset of a list answer: every list, core or
 * plugin, writes them here. 0, or -1 out of memory. */
int slate_res_page(slate_req *r, long long total, long long limit,
		   long long offset);
void *slate_req_alloc(slate_req *r, size_t size);

/* Query parameter `name` as an integer in [lo, hi]; `def` when absent.
 * 0, or -1 after answering 400 naming the parameter. */
int slate_req_query_int(slate_req *r, const char *name, long long lo,
			long long hi, long long def, long long *out);

/* ?limit= and ?offset= of a paged list, as numbers and as the text of
 * their SQL parameters. */
typedef struct slate_page {
	long long limit, offset;
	char limit_s[24], offset_s[24];
} slate_page;

/* Read ?limit= (1..max_limit, def_limit when absent) and ?offset=
 * (0..max_offset, 0 when absent) into *pg. 0, or -1 after answering 400
 * naming the parameter. */
int slate_req_page(slate_req *r, long long max_limit, long long def_limit,
		   long long max_offset, slate_page *pg);

/* Query parameter `name`, a UUID when present: *out is it (request
 * memory) or NULL when absent. 0, or -1 after answering 400 naming it. */
int slate_req_query_uuid(slate_req *r, const char *name, const char **out);

/* Whether the response so far is an error (an error was added or status is
 * 400 or more). */
bool slate_req_failed(const slate_req *r);

/* Give the request's connection back to the pool (no transaction must be
 * open: see slate_req_finish) and free the results it holds. */
void slate_req_db_release(slate_req *r);
void slate_req_results_clear(slate_req *r);

#endif
