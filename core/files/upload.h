/*
 * upload.h - signed uploads into the primary store, and their confirmation:
 * the routes and what they need from start to stop.
 *
 *   POST /api/v1/upload/generate-url   (editor) target + size + type -> URL
 *   PUT  /api/v1/upload/put/:uploadId  (signed URL, local backend only)
 *   POST /api/v1/upload/confirm        (editor) bind the object to its entity
 *
 * Every upload is a row of `uploads` (migration 0003): its target entity
 * and field, the object key, the declared size and content type, and its
 * status: pending (URL issued), stored (bytes in the store), confirmed
 * (referenced by the entity). What may be uploaded is what the entities
 * declare (slate_file_target, entity/file_target.h). The pieces:
 *
 *   upload_policy   target, size, type and file name of a request
 *   upload_key      the object key from the target's template
 *   upload_sign     the local store's signed URLs and their secret
 *   upload_request  generate-url
 *   upload_put      the signed PUT, streamed into the store
 *   upload_confirm  confirm
 *   upload_sweep    removal of uploads never confirmed
 *
 * Confirmation emits the core event "file.stored" with {entity_type, id,
 * field, key, store, sha256, size, kind, content_type} after its commit.
 */
#ifndef SLATE_UPLOAD_H
#define SLATE_UPLOAD_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes (main thread, before plugins). -1 with a reason. */
int slate_upload_register(slate_core *core, char *err, size_t errlen);
/* After migrations: open the stores, load or create the URL signing
 * secret, start the sweeper on its own connection. -1 with a reason. */
int slate_upload_start(slate_core *core, const char *conninfo, char *err,
		       size_t errlen);
/* Stop the sweeper and free the stores. Safe when never started. */
void slate_upload_stop(slate_core *core);

#endif
