/*
 * store_local.h - the local-filesystem backend of store.h: one directory
 * per store, atomic writes by rename (see store_local.c).
 */
#ifndef SLATE_FILES_STORE_LOCAL_H
#define SLATE_FILES_STORE_LOCAL_H

#include <stddef.h>

#include "files/store.h"

/* A store keeping its objects under `root` (created when missing). The
 * caller owns the result and frees it through its ops->free (the
 * registry does). NULL with a reason in err. */
slate_store *slate_store_local_new(const char *name, const char *root,
				   char *err, size_t errlen);

#endif
