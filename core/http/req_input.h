/*
 * req_input.h - the checks a request passes once, where it is parsed and
 * before the router or any handler sees it: the text of its target, query
 * arguments and headers (valid UTF-8, no NUL: a NUL would cut a C string
 * short, invalid UTF-8 makes PostgreSQL fail with 22021 and breaks JSON
 * logs), the size of its target and headers, and its framing headers
 * (RFC 9112 sections 3.2 and 6).
 *
 * Each check that refuses answers the request itself (slate_res_error,
 * naming the parameter or header in "field") and the caller answers at
 * once. Values are copied into the request's arena; nothing is kept of the
 * caller's strings.
 */
#ifndef SLATE_REQ_INPUT_H
#define SLATE_REQ_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Longest request target (path and query, as received) slated reads:
 * longer is 414. */
#define SLATE_MAX_URI_BYTES 8192

/* Keep the request target as received (before percent-decoding), for
 * slate_req_input_target. 0, or -1 out of memory. */
int slate_req_input_raw_target(slate_req *r, const char *raw);

/* The decoded path `url` against the target as received: too long (414),
 * a decoded NUL (the path would be cut short: 400), not UTF-8 (400). 0, or
 * -1 after answering. */
int slate_req_input_target(slate_req *r, const char *url);

/* Add query argument k=v, klen and vlen bytes as decoded (they may hold a
 * NUL that strlen would not see). Invalid text or a repeated parameter is
 * answered 400 naming it, and not added. 0 (added or answered), or -1 out of
 * memory. */
int slate_req_input_query(slate_req *r, const char *k, size_t klen,
			  const char *v, size_t vlen);

/* Add header k: v, as slate_req_input_query; the header bytes are counted
 * for slate_req_input_framing's size check. 0, or -1 out of memory. */
int slate_req_input_header(slate_req *r, const char *k, size_t klen,
			   const char *v, size_t vlen);

/* Framing of the request with protocol `version` ("HTTP/1.1"), once every
 * header is in: headers larger than max_header_bytes (431), HTTP/1.1
 * without exactly one Host, repeated Content-Length, Content-Length with
 * Transfer-Encoding, a Transfer-Encoding other than one "chunked", or any in
 * HTTP/1.0 (400; the connection is closed after the answer, since where the
 * next request starts is unknown). 0, or -1 after answering. */
int slate_req_input_framing(slate_req *r, const char *version,
			    size_t max_header_bytes);

#endif
