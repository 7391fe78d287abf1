/*
 * storage_s3.c - the S3-compatible store (AWS S3, MinIO, s3rver).
 * Not implemented yet: configuring storage.backend "s3" fails at start with
 * a clear reason rather than half-working.
 */
#include <stdio.h>

#include "storage.h"

slate_store *slate_store_s3_new(const char *name, const slate_s3_opts *o,
				char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen,
		 "storage %s: the s3 backend is not available in this build",
		 name);
	return NULL;
}
