/*
 * store_s3_http.h - the S3 backend's transport: one request through
 * libcurl, signed by it (CURLOPT_AWS_SIGV4) with UNSIGNED-PAYLOAD, so a
 * body is streamed once and never hashed.
 */
#ifndef SLATE_FILES_STORE_S3_HTTP_H
#define SLATE_FILES_STORE_S3_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "files/store_s3_int.h"

#define S3_RESP_MAX (64 * 1024) /* XML answers kept, at most */

/* One request and its answer. The caller fills the request part and frees
 * resp after s3_http_perform, whatever it returned. */
typedef struct s3_http_call {
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *key;    /* NULL: the bucket itself */
	const char *query;  /* canonical query string ("uploads=") or NULL */
	const char *content_type;
	int body_fd; /* PUT: body_len bytes of body_fd from body_off */
	off_t body_off;
	uint64_t body_len, body_pos;
	const char *body; /* POST */
	int sink_fd;	  /* GET: the body goes there (-1: to resp) */
	bool sink_failed;
	/* answer */
	long status;
	char *resp; /* NUL-terminated, at most S3_RESP_MAX */
	size_t resp_n;
	char etag[80];
	uint64_t length;
	time_t mtime;
} s3_http_call;

/* Make one signed request. 0 with c->status (any HTTP status), or -1 when
 * no answer came (logged). Free c->resp afterwards. */
int s3_http_perform(s3_store *s, s3_http_call *c);
/* Log an unexpected answer with S3's error code when it gave one. */
void s3_http_log_status(const s3_store *s, const s3_http_call *c);

#endif
