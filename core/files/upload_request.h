/*
 * upload_request.h - POST /api/v1/upload/generate-url (editor): one
 * entity's target, a file name, size and content type in; a pending
 * `uploads` row and the URL to PUT the bytes to out (signed by slated with
 * the local store, presigned by S3 otherwise).
 */
#ifndef SLATE_UPLOAD_REQUEST_H
#define SLATE_UPLOAD_REQUEST_H

#include "http/request.h"

/* The route's handler; ud is the slate_upload_signer (upload_sign.h),
 * borrowed for the life of the routes. */
int slate_upload_request_h(slate_req *r, void *ud);

#endif
