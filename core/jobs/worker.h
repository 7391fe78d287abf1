/*
 * worker.h - the worker process, `slated --worker` (see workers.h for how
 * it fits with the supervisor).
 */
#ifndef SLATE_JOBS_WORKER_H
#define SLATE_JOBS_WORKER_H

#include "base/core.h"

/* `slated --worker`: the worker's loop, after config and plugin init, until
 * SIGTERM. The exit status for main: 0 when stopped or recycled, 1 when it
 * could not start. */
int slate_workers_worker_main(slate_core *core, const char *conninfo);

#endif
