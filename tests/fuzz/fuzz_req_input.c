/*
 * fuzz_req_input.c - what a request passes where it is parsed: its target
 * as received and as decoded, its query arguments and headers (decoded
 * bytes, NULs included) and its framing. Lines of the input: the raw
 * target, the decoded path, then "k=v" query arguments and "k:v" headers;
 * the first byte picks the protocol version.
 */
#include "fuzz.h"
#include "http/req_input.h"

/* The next line of [*p, end) (NULs and all); *p moves past it. NULL at
 * the end. The line is NUL-terminated in place (the buffer is a copy). */
static char *next_line(char **p, char *end, size_t *len)
{
	if (!*p || *p >= end)
		return NULL;
	char *line = *p;
	char *nl = memchr(line, '\n', (size_t)(end - line));
	char *e = nl ? nl : end;
	*e = '\0';
	*len = (size_t)(e - line);
	*p = nl ? nl + 1 : end;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *version = data[0] % 2 ? "HTTP/1.1" : "HTTP/1.0";
	size_t n = size - 1;
	char *buf = malloc(n + 1);
	slate_req *r = slate_req_new(NULL);
	if (!r || !buf)
		goto out;
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	char *p = buf, *end = buf + n;
	size_t len;
	char *raw = next_line(&p, end, &len);
	char *url = next_line(&p, end, &len);
	if (slate_req_input_raw_target(r, raw ? raw : "") ||
	    slate_req_input_target(r, url ? url : ""))
		goto out;
	/* The rest: "k=v" query arguments and "k:v" headers, as decoded
	 * bytes (a NUL inside is what a %00 decodes to). */
	char *line;
	while (!slate_req_failed(r) && (line = next_line(&p, end, &len))) {
		char *eq = memchr(line, '=', len);
		char *colon = memchr(line, ':', len);
		if (eq && (!colon || eq < colon))
			(void)slate_req_input_query(
			    r, line, (size_t)(eq - line), eq + 1,
			    len - (size_t)(eq - line) - 1);
		else if (colon)
			(void)slate_req_input_header(
			    r, line, (size_t)(colon - line), colon + 1,
			    len - (size_t)(colon - line) - 1);
	}
	if (!slate_req_failed(r))
		(void)slate_req_input_framing(r, version, 8192);
out:
	free(buf);
	slate_req_free(r);
	return 0;
}
