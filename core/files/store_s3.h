/*
 * store_s3.h - the S3-compatible backend of store.h (AWS S3, MinIO,
 * s3rver), and what it offers beyond the store vtable: the SigV4
 * query-string presigner at a given time, so tests can check it against
 * the documented examples.
 */
#ifndef SLATE_FILES_STORE_S3_H
#define SLATE_FILES_STORE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "files/store.h"

typedef struct slate_s3_opts {
	const char
	    *endpoint; /* "https://s3.amazonaws.com", "http://127.0.0.1:9000" */
	const char *region; /* "us-east-1" */
	const char *bucket;
	const char *access_key, *secret_key;
	bool path_style;  /* endpoint/bucket/key rather than bucket.endpoint */
	size_t part_size; /* multipart part size, >= 5 MiB */
} slate_s3_opts;

/* A store on bucket o->bucket (everything in o is copied). The caller
 * owns the result and frees it through its ops->free (the registry
 * does). NULL with a reason in err. */
slate_store *slate_store_s3_new(const char *name, const slate_s3_opts *o,
				char *err, size_t errlen);

/* A presigned URL (new string, free()) for `method` on `key` of an s3
 * store `s`, signed as at `now` and valid for ttl_s seconds (1 to 604800).
 * With a content type, it is a signed header; with size > 0, so is
 * Content-Length. NULL on error or when `s` is not an s3 store. */
char *slate_s3_presign_at(slate_store *s, const char *method, const char *key,
			  const char *content_type, uint64_t size, long ttl_s,
			  time_t now);

#endif
