/*
 * upload.h - signed uploads into the primary store, and their confirmation.
 *
 *   POST /api/v1/upload/generate-url   (editor) target + size + type -> URL
 *   PUT  /api/v1/upload/put/:uploadId  (signed URL, local backend only)
 *   POST /api/v1/upload/confirm        (editor) bind the object to its entity
 *
 * Every upload is a row of `uploads` (migration 0003): its target entity
 * and field, the object key, the declared size and content type, and its
 * status: pending (URL issued), stored (bytes in the store), confirmed
 * (referenced by the entity). With the local backend the URL points at
 * slated and carries an HMAC-SHA256 signature over everything it allows,
 * keyed by a secret kept in auth_secrets, so any slated process checks it
 * without the database; with S3 it is a presigned S3 URL and the bytes never
 * pass through slated. Uploads not confirmed within
 * storage.upload_cleanup_after_s are removed, object and row, by a sweeper
 * thread in every slated (rows claimed with FOR UPDATE SKIP LOCKED).
 *
 * Confirmation emits the core event "file.stored" with {entity_type, id,
 * field, key, store, sha256, size, kind, content_type} after its commit.
 */
#ifndef SLATE_UPLOAD_H
#define SLATE_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/core.h"

/* The target table: which (entity, kind) may be uploaded, into which field,
 * under which key. Shared with download.c. */
typedef struct slate_upload_target {
	const char *entity; /* declared entity name: "clip" */
	const char *kind;   /* file kind: "raw_clip" */
	const char *field;  /* the field that gets the key */
	const char *key;    /* key template, see upload.c */
} slate_upload_target;

extern const slate_upload_target slate_upload_targets[];
extern const size_t slate_upload_ntargets;

/* Add the routes (main thread, before plugins). -1 with a reason. */
int slate_upload_register(slate_core *core, char *err, size_t errlen);
/* After migrations: open the stores, load or create the URL signing
 * secret, start the sweeper on its own connection. -1 with a reason. */
int slate_upload_start(slate_core *core, const char *conninfo, char *err,
		       size_t errlen);
/* Stop the sweeper and free the stores. Safe when never started. */
void slate_upload_stop(slate_core *core);

/* One sweep now (also what the thread runs): remove uploads older than
 * storage.upload_cleanup_after_s that were never confirmed. The number
 * removed, or -1. */
int slate_upload_sweep(slate_core *core, void *pgconn);

#endif
