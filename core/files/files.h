/*
 * files.h - stored files as plugins see them (host.h "files"): objects in
 * the two stores, and the act of attaching one to an entity row, which is
 * what confirming an upload and a watch-folder ingest both do.
 */
#ifndef SLATE_FILES_H
#define SLATE_FILES_H

#include <slate/host.h>
#include <stdint.h>

#include "entity/engine.h"

/* Attach object `key` of `store` to field `field` of row `id` of `e`:
 * patch the field (and file_hash, file_size_bytes when `e` has them and
 * they are known), mark upload `upload_id` confirmed (or, when NULL,
 * record the object as a confirmed upload of its own), queue the
 * processing pipeline and emit "file.stored", all in r's transaction.
 * 0, or -1 after the error was set on r. */
int slate_file_attach(slate_req *r, const slate_entity *e, const char *id,
		      const char *field, const char *store, const char *key,
		      const char *kind, const char *content_type, uint64_t size,
		      const char *sha256, const char *upload_id);

/* Host table entries (host.h). */
int slate_files_h_open(slate_plugin *p, const char *store, const char *key,
		       uint64_t *size_out);
int slate_files_h_job_open(slate_plugin *p, slate_job *job, slate_file *out,
			   uint64_t *size_out);
int slate_files_h_put(slate_plugin *p, const char *store, const char *key,
		      const char *content_type, const void *data, size_t len);
int slate_files_h_put_fd(slate_plugin *p, const char *store, const char *key,
			 const char *content_type, int fd, char sha256_hex[65],
			 uint64_t *size_out);
int slate_files_h_delete(slate_plugin *p, const char *store, const char *key);
int slate_files_h_attach(slate_req *r, const char *entity, const char *id,
			 const char *field, const char *store, const char *key,
			 const char *kind, const char *content_type,
			 uint64_t size, const char *sha256);
int slate_files_h_current(slate_req *r, const char *entity, const char *id,
			  const char *field, json_t **file_out);

int slate_files_h_is_current(slate_req *r, const slate_file *f,
			     json_t **row_out);

/* Answer r with the object (download.c): local stores stream it with
 * ETag/Range/304; S3 redirects to a presigned GET. `etag` may be NULL. */
int slate_download_serve(slate_req *r, const char *store, const char *key,
			 const char *content_type, const char *etag);

#endif
