/*
 * store_s3_sign.h - AWS Signature Version 4 presigned URLs (query-string
 * form), computed here: canonical request, string to sign, HMAC-SHA256
 * key chain, with UNSIGNED-PAYLOAD. A PUT URL also signs Content-Type and
 * Content-Length, so the server refuses any other type or size.
 */
#ifndef SLATE_FILES_STORE_S3_SIGN_H
#define SLATE_FILES_STORE_S3_SIGN_H

#include <stdint.h>
#include <time.h>

#include "files/store_s3_int.h"

/* The presigned URL for `method` on `key` of s, signed as at `now`, valid
 * for ttl_s seconds; content_type (when not NULL or empty) and size (when
 * > 0) are signed headers. The caller has checked key and ttl_s. A new
 * string the caller frees, or NULL on error. */
char *s3_sign_url(const s3_store *s, const char *method, const char *key,
		  const char *content_type, uint64_t size, long ttl_s,
		  time_t now);

#endif
