/* request.c - see request.h. */
#include "http/request.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/core.h"
#include "base/util.h"
#include "db/pool.h"
#include "http/router.h"

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

void slate_req_results_clear(slate_req *r)
{
	slate_result_clear(&r->results);
}

void slate_req_db_release(slate_req *r)
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
	slate_req_db_release(r);
	slate_req_results_clear(r);
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

int slate_req_page(slate_req *r, long long max_limit, long long def_limit,
		   long long max_offset, slate_page *pg)
{
	if (slate_req_query_int(r, "limit", 1, max_limit, def_limit,
				&pg->limit) ||
	    slate_req_query_int(r, "offset", 0, max_offset, 0, &pg->offset))
		return -1;
	snprintf(pg->limit_s, sizeof(pg->limit_s), "%lld", pg->limit);
	snprintf(pg->offset_s, sizeof(pg->offset_s), "%lld", pg->offset);
	return 0;
}

int slate_req_query_uuid(slate_req *r, const char *name, const char **out)
{
	*out = slate_req_query(r, name);
	if (*out && !slate_uuid_valid(*out))
		return slate_res_error(r, 400, "VALIDATION_ERROR", name,
				       "'%s' must be a UUID", name);
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

int slate_res_page(slate_req *r, long long total, long long limit,
		   long long offset)
{
	return slate_res_meta(r, "total", json_integer(total)) ||
		       slate_res_meta(r, "limit", json_integer(limit)) ||
		       slate_res_meta(r, "offset", json_integer(offset))
		   ? -1
		   : 0;
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
