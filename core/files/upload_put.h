/*
 * upload_put.h - PUT /api/v1/upload/put/:uploadId, the signed URL of the
 * local store (no token: the signature is the credential). The body is
 * streamed into the store as it arrives, hashed on the way, and committed
 * on a worker once whole; the upload's row becomes "stored".
 */
#ifndef SLATE_UPLOAD_PUT_H
#define SLATE_UPLOAD_PUT_H

#include "http/request.h"
#include "http/router.h"

/* The route's stream: the signature, expiry, Content-Length and
 * Content-Type are checked before any byte is taken. The route's ud is the
 * slate_upload_signer (upload_sign.h). */
extern const slate_stream_ops slate_upload_put_stream;

/* The route's handler, once the whole body is in. */
int slate_upload_put_h(slate_req *r, void *ud);

#endif
