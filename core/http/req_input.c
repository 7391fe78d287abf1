/* req_input.c - see req_input.h. */
#include "http/req_input.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "http/envelope.h"

int slate_req_input_raw_target(slate_req *r, const char *raw)
{
	r->raw_target = slate_arena_strdup(&r->arena, raw ? raw : "");
	return r->raw_target ? 0 : -1;
}

/* Whether the percent-encoded s[0..n) decodes to a NUL. */
static bool encodes_nul(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
			return true;
	return false;
}

int slate_req_input_target(slate_req *r, const char *url)
{
	const char *raw = r->raw_target ? r->raw_target : "";
	size_t n = strlen(raw);
	if (n > SLATE_MAX_URI_BYTES)
		return slate_res_error(r, 414, "URI_TOO_LONG", NULL,
				       "The request target exceeds %d bytes",
				       SLATE_MAX_URI_BYTES);
	/* The decoded path is a C string: a %00 in it would hand the router
	 * a shortened path ("/shows/<id>%00.jpg" read as the show). */
	size_t path_len = strcspn(raw, "?#");
	if (encodes_nul(raw, path_len))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "path",
				       "The path holds an encoded NUL (%%00)");
	if (!slate_utf8_valid(url, strlen(url)))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "path",
				       "The path is not valid UTF-8");
	return 0;
}

/* Check one decoded name or value; answers 400 naming `field`. */
static int check_text(slate_req *r, const char *what, const char *field,
		      const char *s, size_t n)
{
	if (slate_utf8_valid(s, n))
		return 0;
	bool nul = memchr(s, '\0', n) != NULL;
	return slate_res_error(r, 400, "VALIDATION_ERROR", field, "%s '%s' %s",
			       what, field,
			       nul ? "holds a NUL" : "is not valid UTF-8");
}

int slate_req_input_query(slate_req *r, const char *k, size_t klen,
			  const char *v, size_t vlen)
{
	if (!v)
		vlen = 0;
	if (check_text(r, "Query parameter", k, k, klen) ||
	    check_text(r, "Query parameter", k, v ? v : "", vlen))
		return 0;
	/* A repeated parameter keeps its first value; say so rather than
	 * silently picking one. */
	if (slate_req_query(r, k)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", k,
				"Query parameter '%s' given more than once", k);
		return 0;
	}
	return slate_req_add_query(r, k, v);
}

int slate_req_input_header(slate_req *r, const char *k, size_t klen,
			   const char *v, size_t vlen)
{
	if (!v)
		vlen = 0;
	/* ": " and CRLF as on the wire */
	r->header_bytes += klen + vlen + 4;
	if (check_text(r, "Header", k, k, klen) ||
	    check_text(r, "Header", k, v ? v : "", vlen))
		return 0;
	return slate_req_add_header(r, k, v);
}

/* How many headers are named `name`, and the first one's value. */
static int header_count(const slate_req *r, const char *name,
			const char **first)
{
	int n = 0;
	*first = NULL;
	for (int i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].key, name))
			continue;
		if (!n)
			*first = r->headers[i].value;
		n++;
	}
	return n;
}

/* 400 for a request whose framing cannot be trusted: the connection is
 * closed after the answer (RFC 9112 section 6.3), since its next request
 * would start at a guess. */
static int bad_framing(slate_req *r, const char *field, const char *msg)
{
	slate_res_header(r, "Connection", "close");
	return slate_res_error(r, 400, "BAD_REQUEST", field, "%s", msg);
}

int slate_req_input_framing(slate_req *r, const char *version,
			    size_t max_header_bytes)
{
	if (r->header_bytes > max_header_bytes) {
		slate_res_header(r, "Connection", "close");
		return slate_res_error(r, 431, "HEADERS_TOO_LARGE", NULL,
				       "The request headers exceed %zu bytes",
				       max_header_bytes);
	}
	bool http11 = version && !strcmp(version, "HTTP/1.1");
	const char *host, *cl, *te;
	int nhost = header_count(r, "Host", &host);
	int ncl = header_count(r, "Content-Length", &cl);
	int nte = header_count(r, "Transfer-Encoding", &te);
	if (nhost > 1 || (http11 && nhost == 0))
		return bad_framing(r, "Host",
				   "An HTTP/1.1 request needs exactly one Host "
				   "header");
	if (ncl > 1)
		return bad_framing(r, "Content-Length",
				   "Content-Length is given more than once");
	if (nte && ncl)
		return bad_framing(r, "Transfer-Encoding",
				   "Content-Length and Transfer-Encoding "
				   "together are ambiguous");
	if (nte && !http11)
		return bad_framing(r, "Transfer-Encoding",
				   "Transfer-Encoding needs HTTP/1.1");
	if (nte > 1 || (nte && strcasecmp(te, "chunked")))
		return bad_framing(r, "Transfer-Encoding",
				   "The only transfer coding accepted is one "
				   "'chunked'");
	return 0;
}
