/*
 * storage.h - the stores of one process, made from the config's storage
 * section: primary and thumbnails, both local directories or both S3
 * buckets. This registry is the only place that knows the backends
 * (store_local.h, store_s3.h); everything else works on slate_store
 * through store.h, which this header includes for convenience.
 */
#ifndef SLATE_STORAGE_H
#define SLATE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "files/store.h"

/* The stores of one process. */
typedef struct slate_storage {
	slate_store *primary;
	slate_store *thumbnails;
	bool s3; /* backend is s3: uploads and downloads go to presigned URLs */
} slate_storage;

/* Make both stores from cfg (storage section). -1 with a reason. */
int slate_storage_init(slate_storage **out, const slate_config *cfg, char *err,
		       size_t errlen);
void slate_storage_free(slate_storage *st);
/* Sweep the temporary files of dead writers in every store
 * (slate_store_sweep_tmp). How many were removed; never fails. */
int slate_storage_sweep_tmp(const slate_storage *st);
/* The store called `name` ("primary", "thumbnails"), or NULL. */
slate_store *slate_storage_get(const slate_storage *st, const char *name);

#endif
