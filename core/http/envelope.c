/* envelope.c - see envelope.h. */
#include "http/envelope.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

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
