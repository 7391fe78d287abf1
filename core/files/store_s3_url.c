/* store_s3_url.c - escaping and URLs of the S3 backend; see store_s3_url.h. */
#include "files/store_s3_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* URI-encode `s` as SigV4 wants (RFC 3986 unreserved kept, '/' kept when
 * keep_slash). New string or NULL. */
char *s3_url_escape(const char *s, bool keep_slash)
{
	char *o = malloc(3 * strlen(s) + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (unreserved(c) || (keep_slash && c == '/'))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return o;
}

/* The canonical URI of `key` (NULL: the bucket) and the URL's origin. */
int s3_url_where(const s3_store *s, const char *key, char **path, char **origin,
		 char **host)
{
	char *ek = s3_url_escape(key ? key : "", true);
	int rc = -1;
	*path = *origin = *host = NULL;
	if (!ek)
		return -1;
	if (s->path_style) {
		if (asprintf(path, "/%s%s%s", s->bucket, key ? "/" : "", ek) >=
			0 &&
		    asprintf(origin, "%s://%s", s->scheme, s->hostport) >= 0 &&
		    (*host = strdup(s->host)))
			rc = 0;
	} else {
		if (asprintf(path, "/%s", ek) >= 0 &&
		    asprintf(origin, "%s://%s.%s", s->scheme, s->bucket,
			     s->hostport) >= 0 &&
		    asprintf(host, "%s.%s", s->bucket, s->host) >= 0)
			rc = 0;
	}
	free(ek);
	return rc;
}
