/*
 * store_s3_url.h - where an S3 request goes: the URI-encoding SigV4 wants
 * and the path, origin and Host of a key in path or virtual-host style.
 */
#ifndef SLATE_FILES_STORE_S3_URL_H
#define SLATE_FILES_STORE_S3_URL_H

#include <stdbool.h>

#include "files/store_s3_int.h"

/* URI-encode `s` as SigV4 wants (RFC 3986 unreserved kept, '/' kept when
 * keep_slash). A new string the caller frees, or NULL. */
char *s3_url_escape(const char *s, bool keep_slash);
/* The canonical URI of `key` (NULL: the bucket), the URL's origin and its
 * Host header: three new strings the caller frees (also on failure, when
 * some may be set). 0 or -1 (out of memory). */
int s3_url_where(const s3_store *s, const char *key, char **path, char **origin,
		 char **host);

#endif
