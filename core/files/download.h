/*
 * download.h - GET /api/v1/files/:entityType/:entityId[?field=]: an
 * entity's file. Local store: the bytes, streamed from the file descriptor
 * (constant memory), with Range (206/416), ETag (the upload's SHA-256) and
 * If-None-Match (304). S3: 302 to a presigned GET (storage.download_url_ttl_s).
 * Permission: read. `field` defaults to the entity's first upload field
 * (upload.c's table); thumbnail_reference is served from the thumbnail
 * store.
 */
#ifndef SLATE_DOWNLOAD_H
#define SLATE_DOWNLOAD_H

#include <stddef.h>

#include "base/core.h"

int slate_download_register(slate_core *core, char *err, size_t errlen);

#endif
