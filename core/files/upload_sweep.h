/*
 * upload_sweep.h - the removal of abandoned uploads: rows not confirmed
 * within storage.upload_cleanup_after_s lose their object and their row.
 * Every slated runs a sweeper thread; rows are claimed with FOR UPDATE SKIP
 * LOCKED, so several processes sweep without waiting on each other.
 * The same thread removes the temporary files of writers that died (an
 * upload killed mid-PUT, here or in another process sharing the store) at
 * least every minute (slate_storage_sweep_tmp).
 */
#ifndef SLATE_UPLOAD_SWEEP_H
#define SLATE_UPLOAD_SWEEP_H

#include <stddef.h>

#include "base/core.h"

typedef struct slate_upload_sweeper slate_upload_sweeper;

/* One sweep now on `pgconn` (a PGconn, borrowed): the number of uploads
 * removed, or -1. */
int slate_upload_sweep(slate_core *core, void *pgconn);

/* Start the thread, which sweeps every storage.upload_sweep_interval_s on
 * a connection of its own to `conninfo` (copied). The sweeper (free with
 * slate_upload_sweep_stop), or NULL with a reason. `core` must outlive it. */
slate_upload_sweeper *slate_upload_sweep_start(slate_core *core,
					       const char *conninfo, char *err,
					       size_t errlen);
/* Wake the thread, wait for it and free the sweeper. NULL is a no-op. */
void slate_upload_sweep_stop(slate_upload_sweeper *s);

#endif
