/*
 * storage.h - blob storage: one interface, two backends.
 *
 * A store holds objects under keys ("raw/<episode>/Lala/<upload>-clip.mov").
 * slated has two stores, primary and thumbnails (the seed's two buckets),
 * each either a directory under the data dir (storage_local.c, the default)
 * or an S3-compatible bucket (storage_s3.c: AWS S3, MinIO, s3rver).
 *
 * Writes are atomic: put_begin opens a writer, put_write streams bytes in,
 * put_commit makes the whole object visible at once (temporary file, fsync,
 * rename locally; on S3 a temporary file then one PUT, or a multipart upload
 * completed only when every part is in), put_abort leaves
 * nothing behind. No reader ever sees a partial object.
 *
 * Keys reach a backend only after slate_store_key_valid(), the one place
 * that decides what a key may be, so nothing a client sends can escape the
 * store's root.
 *
 * Threads: a store is made at start-up and used concurrently afterwards;
 * a writer belongs to one thread at a time.
 */
#ifndef SLATE_STORAGE_H
#define SLATE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/config.h"

#define SLATE_STORE_KEY_MAX 1024
#define SLATE_STORE_COMPONENT_MAX 255

typedef struct slate_store slate_store;
typedef struct slate_store_writer slate_store_writer;

typedef struct slate_store_info {
	uint64_t size;
	char etag[80]; /* backend's ETag, unquoted ("" when none) */
	time_t mtime;
} slate_store_info;

typedef struct slate_store_ops {
	const char *backend; /* "local", "s3" */
	/* Start writing `key`; `size` is the exact length to come (or
	 * UINT64_MAX when unknown). 0 and *out, or -1. */
	int (*put_begin)(slate_store *s, const char *key,
			 const char *content_type, uint64_t size,
			 slate_store_writer **out);
	int (*put_write)(slate_store_writer *w, const void *buf, size_t n);
	/* Publish the object and free the writer, whatever the result. */
	int (*put_commit)(slate_store_writer *w);
	/* Drop everything written and free the writer. */
	void (*put_abort)(slate_store_writer *w);
	/* A read-only descriptor on the object (on S3, a temporary copy
	 * fetched whole first: for slated's own reads, never for client
	 * downloads). The caller closes it. -1 (errno ENOENT when there is
	 * no object). */
	int (*open_fd)(slate_store *s, const char *key, slate_store_info *st);
	/* 0 and *st, 1 when there is no such object, -1 on error. */
	int (*stat)(slate_store *s, const char *key, slate_store_info *st);
	/* 0 (also when there was nothing to delete) or -1. */
	int (*del)(slate_store *s, const char *key);
	/* A presigned URL (new string, free()) for "PUT" or "GET", valid for
	 * ttl_s seconds; a PUT URL binds content type and length. NULL when
	 * the backend cannot (local) or on error. */
	char *(*presign)(slate_store *s, const char *method, const char *key,
			 const char *content_type, uint64_t size, long ttl_s);
	void (*free)(slate_store *s);
} slate_store_ops;

struct slate_store {
	const slate_store_ops *ops;
	char name[32]; /* "primary", "thumbnails" */
};

struct slate_store_writer {
	slate_store *store;
};

/* The stores of one process. */
typedef struct slate_storage {
	slate_store *primary;
	slate_store *thumbnails;
	bool s3; /* backend is s3: uploads and downloads go to presigned URLs */
} slate_storage;

/* Make both stores from cfg (storage section). -1 with a reason. */
int slate_storage_init(slate_storage **out, const slate_config *cfg, char *err,
		       size_t errlen);
void slate_storage_free(slate_storage *st);
/* The store called `name` ("primary", "thumbnails"), or NULL. */
slate_store *slate_storage_get(const slate_storage *st, const char *name);

/* Whether `key` may name an object: 1 to SLATE_STORE_KEY_MAX bytes,
 * relative, '/'-separated components of 1 to SLATE_STORE_COMPONENT_MAX
 * characters from [A-Za-z0-9._-], none starting with '.' (so no "." or
 * "..", and the backends' own ".tmp" stays private), no empty component. */
bool slate_store_key_valid(const char *key);

/* Backends. */
slate_store *slate_store_local_new(const char *name, const char *root,
				   char *err, size_t errlen);
typedef struct slate_s3_opts {
	const char
	    *endpoint; /* "https://s3.amazonaws.com", "http://127.0.0.1:9000" */
	const char *region; /* "us-east-1" */
	const char *bucket;
	const char *access_key, *secret_key;
	bool path_style;  /* endpoint/bucket/key rather than bucket.endpoint */
	size_t part_size; /* multipart part size, >= 5 MiB */
} slate_s3_opts;
slate_store *slate_store_s3_new(const char *name, const slate_s3_opts *o,
				char *err, size_t errlen);

/* Dispatch helpers: NULL-safe where it matters. */
int slate_store_put_begin(slate_store *s, const char *key,
			  const char *content_type, uint64_t size,
			  slate_store_writer **out);
int slate_store_put_write(slate_store_writer *w, const void *buf, size_t n);
int slate_store_put_commit(slate_store_writer *w);
void slate_store_put_abort(slate_store_writer *w); /* NULL is fine */
int slate_store_stat(slate_store *s, const char *key, slate_store_info *st);
int slate_store_delete(slate_store *s, const char *key);
int slate_store_open_fd(slate_store *s, const char *key, slate_store_info *st);
char *slate_store_presign(slate_store *s, const char *method, const char *key,
			  const char *content_type, uint64_t size, long ttl_s);

#endif
