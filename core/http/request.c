/* request.c - see request.h. */
#include "http/request.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "base/core.h"
#include "db/pool.h"
#include "base/json_body.h"
#include "base/log.h"
#include "http/ratelimit.h"
#include "base/util.h"
#include "http/validate.h"

slate_req *slate_req_new(struct slate_core *core)
{
	slate_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	slate_arena_init(&r->arena);
	r->core = core;
	r->t_start = slate_now_ms();
	return r;
}

static void results_clear(slate_req *r)
{
	slate_result_node *n = r->results;
	while (n) {
		slate_result_node *next = n->next;
		PQclear(n->res);
		free(n);
		n = next;
	}
	r->results = NULL;
}

static void db_finish(slate_req *r)
{
	if (r->db) {
		slate_db_release(r->core->db, r->db);
		r->db = NULL;
	}
}

void slate_req_free(slate_req *r)
{
	if (!r)
		return;
	db_finish(r);
	results_clear(r);
	free(r->body_buf);
	json_decref(r->body);
	json_decref(r->data);
	free(r->raw);
	json_decref(r->errors);
	json_decref(r->meta);
	json_decref(r->events);
	if (r->response)
		MHD_destroy_response(r->response);
	slate_arena_release(&r->arena);
	free(r);
}

static int kv_push(slate_req *r, slate_kv **arr, int *n, int *cap,
		   const char *k, const char *v)
{
	/* Grown in the arena by doubling; old arrays are simply abandoned. */
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		slate_kv *na = slate_arena_alloc(&r->arena, sizeof(slate_kv) *
								(size_t)ncap);
		if (!na)
			return -1;
		if (*n)
			memcpy(na, *arr, sizeof(slate_kv) * (size_t)*n);
		*arr = na;
		*cap = ncap;
	}
	(*arr)[*n].key = slate_arena_strdup(&r->arena, k);
	(*arr)[*n].value = slate_arena_strdup(&r->arena, v ? v : "");
	if (!(*arr)[*n].key || !(*arr)[*n].value)
		return -1;
	(*n)++;
	return 0;
}

int slate_req_add_header(slate_req *r, const char *k, const char *v)
{
	return kv_push(r, &r->headers, &r->nheaders, &r->headers_cap, k, v);
}

int slate_req_add_query(slate_req *r, const char *k, const char *v)
{
	return kv_push(r, &r->query, &r->nquery, &r->query_cap, k, v);
}

const char *slate_req_param(slate_req *r, const char *name)
{
	for (int i = 0; i < r->match.nparams; i++)
		if (!strcmp(r->match.params[i].key, name))
			return r->match.params[i].value;
	return NULL;
}

const char *slate_req_query(slate_req *r, const char *name)
{
	for (int i = 0; i < r->nquery; i++)
		if (!strcmp(r->query[i].key, name))
			return r->query[i].value;
	return NULL;
}

int slate_req_query_int(slate_req *r, const char *name, long long lo,
			long long hi, long long def, long long *out)
{
	const char *s = slate_req_query(r, name);
	*out = def;
	if (!s)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return slate_res_error(r, 400, "VALIDATION_ERROR", name,
				       "'%s' must be an integer from %lld to "
				       "%lld",
				       name, lo, hi);
	*out = v;
	return 0;
}

const char *slate_req_header(slate_req *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].key, name))
			return r->headers[i].value;
	return NULL;
}

const json_t *slate_req_body(slate_req *r)
{
	return r->body;
}

const char *slate_req_id(slate_req *r)
{
	return r->request_id;
}

int slate_res_json(slate_req *r, unsigned status, json_t *data)
{
	json_decref(r->data);
	free(r->raw);
	r->raw = NULL;
	r->data = data;
	r->status = status;
	return data ? 0 : -1;
}

int slate_res_raw(slate_req *r, unsigned status, const char *json, size_t len)
{
	json_decref(r->data);
	r->data = NULL;
	free(r->raw);
	r->raw = malloc(len + 1);
	if (!r->raw)
		return -1;
	memcpy(r->raw, json, len);
	r->raw[len] = '\0';
	r->raw_len = len;
	r->status = status;
	return 0;
}

int slate_res_errorv(slate_req *r, unsigned status, const char *code,
		     const char *field, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!r->errors)
		r->errors = json_array();
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", slate_json_string_lossy(msg));
	json_object_set_new(
	    e, "field", field ? slate_json_string_lossy(field) : json_null());
	json_array_append_new(r->errors, e);
	/* The first error decides the status: later ones are details. */
	if (r->status < 400)
		r->status = status;
	return -1;
}

int slate_res_error(slate_req *r, unsigned status, const char *code,
		    const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_res_errorv(r, status, code, field, fmt, ap);
	va_end(ap);
	return -1;
}

int slate_res_meta(slate_req *r, const char *key, json_t *value)
{
	if (!r->meta)
		r->meta = json_object();
	return json_object_set_new(r->meta, key, value);
}

int slate_res_header(slate_req *r, const char *name, const char *value)
{
	return kv_push(r, &r->res_headers, &r->nres_headers,
		       &r->res_headers_cap, name, value);
}

const char *slate_req_error(slate_req *r)
{
	json_t *first = r->errors ? json_array_get(r->errors, 0) : NULL;
	return json_string_value(json_object_get(first, "message"));
}

bool slate_req_failed(const slate_req *r)
{
	return r->errors || r->status >= 400;
}

void *slate_req_alloc(slate_req *r, size_t size)
{
	return slate_arena_alloc(&r->arena, size);
}

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
	slate_result_node *n = malloc(sizeof(*n));
	if (!n) {
		PQclear(res);
		return NULL;
	}
	n->res = res;
	n->next = r->results;
	r->results = n;
	/* slate_result is PGresult* wrapped by pointer identity: the node's
	 * `res` field is the first member, so hand out the node itself. */
	return (slate_result *)n;
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

int slate_req_event_emit(slate_req *r, const char *event, json_t *payload)
{
	if (!r->events)
		r->events = json_array();
	json_t *pair =
	    json_pack("[so]", event, payload ? payload : json_null());
	if (!pair)
		return -1;
	return json_array_append_new(r->events, pair);
}

static void deliver_events(slate_req *r)
{
	size_t i;
	json_t *pair;
	if (!r->events)
		return;
	json_array_foreach(r->events, i, pair)
	{
		const char *name = json_string_value(json_array_get(pair, 0));
		const json_t *payload = json_array_get(pair, 1);
		for (size_t k = 0; k < r->core->nsubs; k++) {
			const slate_sub *s = &r->core->subs[k];
			if (!strcmp(s->event, name))
				s->fn(name, payload, s->ud);
		}
	}
}

void slate_req_check_input(slate_req *r)
{
	const slate_route *rt = r->match.route;
	const slate_config *cfg = r->core->cfg;
	if (r->body_len > 0) {
		char err[256];
		if (rt->body_mode == SLATE_BODY_NONE) {
			slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					"This endpoint takes no request body");
			return;
		}
		const char *ct = slate_req_header(r, "Content-Type");
		if (ct && strncasecmp(ct, "application/json", 16) != 0) {
			slate_res_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL,
					"The body must be application/json");
			return;
		}
		r->body =
		    slate_json_parse(r->body_buf, r->body_len,
				     cfg->max_json_depth, err, sizeof(err));
		if (!r->body) {
			slate_res_error(r, 400, "INVALID_JSON", NULL, "%s",
					err);
			return;
		}
	}
	if (rt->self_checks)
		return;
	for (int i = 0; i < r->nquery; i++) {
		bool ok = false;
		for (int k = 0; rt->query && rt->query[k]; k++)
			ok |= !strcmp(rt->query[k], r->query[i].key);
		if (!ok) {
			slate_res_error(
			    r, 400, "VALIDATION_ERROR", r->query[i].key,
			    "Unknown query parameter '%s'", r->query[i].key);
			return;
		}
	}
	if (rt->body_mode == SLATE_BODY_FIELDS) {
		if (!r->body) {
			slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					"A JSON body is required");
			return;
		}
		slate_validate_object(r, r->body, rt->body, rt->n_body,
				      SLATE_VALIDATE_CREATE);
	}
}

void slate_req_execute(slate_req *r)
{
	const slate_route *rt = r->match.route;
	int rc = 0;
	/* Before the handler: rate limit (outside any transaction, so a
	 * refused or failed request still counts), who is asking, the
	 * input. Each answers the request itself when it refuses. */
	r->want_tx = false;
	if (slate_ratelimit_api(r) == 0 && slate_auth_request(r, rt->perm) == 0)
		slate_req_check_input(r);
	if (!slate_req_failed(r)) {
		r->want_tx =
		    strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
		rc = rt->handler(r, rt->ud);
	}
	bool ok = rc == 0 && !slate_req_failed(r);
	if (rc != 0 && !r->errors)
		slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				"Internal error (request %s)", r->request_id);
	slate_req_finish(r, ok);
	slate_req_build_response(r);
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
	db_finish(r);
	bool done = committed || (ok && !began);
	if (done)
		deliver_events(r);
	results_clear(r);
	return done;
}

char *slate_req_envelope(slate_req *r, size_t *len)
{
	char ts[40];
	slate_time_iso8601(ts, sizeof(ts));
	json_t *meta = json_object();
	json_object_set_new(meta, "schema_version", json_string("1.0"));
	json_object_set_new(meta, "timestamp", json_string(ts));
	json_object_set_new(meta, "request_id", json_string(r->request_id));
	/* a handler adds keys; it cannot replace the three above */
	if (r->meta)
		json_object_update_missing(meta, r->meta);
	char *m = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	char *d = NULL;
	const char *key;
	const char *payload;
	if (r->errors) {
		key = "errors";
		d = json_dumps(r->errors, JSON_COMPACT);
		payload = d;
	} else if (r->raw) {
		key = "data";
		payload = r->raw;
	} else {
		key = "data";
		d = r->data
			? json_dumps(r->data, JSON_COMPACT | JSON_ENCODE_ANY)
			: NULL;
		payload = d ? d : "null";
	}
	char *out = NULL;
	if (m && payload) {
		size_t n = strlen(payload) + strlen(m) + 32;
		out = malloc(n);
		if (out)
			*len = (size_t)snprintf(out, n,
						"{\"%s\":%s,\"metadata\":%s}",
						key, payload, m);
	}
	free(m);
	free(d);
	return out;
}

/* A response the handler made itself (a file download: bytes, not the
 * envelope) gets the common headers only. */
static int finish_own_response(slate_req *r)
{
	MHD_add_response_header(r->response, "X-Request-Id", r->request_id);
	MHD_add_response_header(r->response, "X-Content-Type-Options",
				"nosniff");
	for (int i = 0; i < r->nres_headers; i++)
		MHD_add_response_header(r->response, r->res_headers[i].key,
					r->res_headers[i].value);
	return 0;
}

int slate_req_build_response(slate_req *r)
{
	if (r->response && !slate_req_failed(r) && r->status)
		return finish_own_response(r);
	if (r->response) { /* made, then the request failed after all */
		MHD_destroy_response(r->response);
		r->response = NULL;
	}
	if (r->errors && r->status < 400)
		r->status = 500;
	if (!r->status)
		r->status = 200;
	size_t len = 0;
	char *body = slate_req_envelope(r, &len);
	if (!body) {
		static const char oom[] =
		    "{\"errors\":[{\"code\":\"INTERNAL_ERROR\",\"message\":"
		    "\"out of memory\",\"field\":null}]}";
		r->status = 500;
		r->response = MHD_create_response_from_buffer(
		    sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
	} else {
		r->response = MHD_create_response_from_buffer(
		    len, body, MHD_RESPMEM_MUST_FREE);
		if (!r->response)
			free(body);
	}
	if (!r->response)
		return -1;
	MHD_add_response_header(r->response, "Content-Type",
				"application/json; charset=utf-8");
	MHD_add_response_header(r->response, "X-Request-Id", r->request_id);
	MHD_add_response_header(r->response, "X-Content-Type-Options",
				"nosniff");
	MHD_add_response_header(r->response, "Cache-Control", "no-store");
	for (int i = 0; i < r->nres_headers; i++)
		MHD_add_response_header(r->response, r->res_headers[i].key,
					r->res_headers[i].value);
	return 0;
}
