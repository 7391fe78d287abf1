/*
 * store_s3_multipart.h - committing a large object as an S3 multipart
 * upload.
 */
#ifndef SLATE_FILES_STORE_S3_MULTIPART_H
#define SLATE_FILES_STORE_S3_MULTIPART_H

#include "files/store_s3_int.h"

/* Create an upload, send w's file in parts of s->part_size, complete it;
 * abort on any failure, so nothing becomes visible unless every part made
 * it. The writer stays the caller's. 0, or -1 (logged). */
int s3_multipart_put(s3_store *s, s3_writer *w);

#endif
