/*
 * store.h - blob storage's one interface, which every backend implements
 * (store_local.c, store_s3.c) and every user calls through the wrappers
 * below. The stores of a process are made from the config by storage.h,
 * which sits above this header and the backends.
 *
 * A store holds objects under keys ("raw/<episode>/Lala/<upload>-clip.mov").
 * slated has two stores, primary and thumbnails (the seed's two buckets),
 * each either a directory under the data dir (store_local.c, the default)
 * or an S3-compatible bucket (store_s3.c: AWS S3, MinIO, s3rver).
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
#ifndef SLATE_FILES_STORE_H
#define SLATE_FILES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
	/* Remove the temporary files of writers that died (a process killed
	 * mid-write). How many were removed. NULL when the backend keeps no
	 * named temporary files (S3: unnamed ones, gone with the process). */
	int (*sweep_tmp)(slate_store *s);
} slate_store_ops;

struct slate_store {
	const slate_store_ops *ops;
	char name[32]; /* "primary", "thumbnails" */
};

struct slate_store_writer {
	slate_store *store;
};

/* Whether `key` may name an object: 1 to SLATE_STORE_KEY_MAX bytes,
 * relative, '/'-separated components of 1 to SLATE_STORE_COMPONENT_MAX
 * characters from [A-Za-z0-9._-], none starting with '.' (so no "." or
 * "..", and the backends' own ".tmp" stays private), no empty component. */
bool slate_store_key_valid(const char *key);

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
/* ops->sweep_tmp when the backend has one: the number of files removed,
 * 0 otherwise. Best effort; never fails. */
int slate_store_sweep_tmp(slate_store *s);
char *slate_store_presign(slate_store *s, const char *method, const char *key,
			  const char *content_type, uint64_t size, long ttl_s);

#endif
