/*
 * storage_s3.h - what storage_s3.c offers beyond the store vtable: the
 * SigV4 query-string presigner at a given time, so tests can check it
 * against the documented examples.
 */
#ifndef SLATE_STORAGE_S3_H
#define SLATE_STORAGE_S3_H

#include <stdint.h>
#include <time.h>

#include "files/storage.h"

/* A presigned URL (new string, free()) for `method` on `key` of an s3
 * store `s`, signed as at `now` and valid for ttl_s seconds (1 to 604800).
 * With a content type, it is a signed header; with size > 0, so is
 * Content-Length. NULL on error or when `s` is not an s3 store. */
char *slate_s3_presign_at(slate_store *s, const char *method, const char *key,
			  const char *content_type, uint64_t size, long ttl_s,
			  time_t now);

#endif
