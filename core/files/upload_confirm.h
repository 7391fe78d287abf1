/*
 * upload_confirm.h - POST /api/v1/upload/confirm (editor): bind a stored
 * upload to the entity field its target names (files.h slate_file_attach).
 * Idempotent: confirming a confirmed upload answers it again. With S3 the
 * bytes went straight to the bucket, so this is where slated learns of
 * them.
 */
#ifndef SLATE_UPLOAD_CONFIRM_H
#define SLATE_UPLOAD_CONFIRM_H

#include "http/request.h"

/* The route's handler (ud unused). */
int slate_upload_confirm_h(slate_req *r, void *ud);

#endif
