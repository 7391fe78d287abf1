/*
 * supervisor.h - the thread of the API process that starts the workers
 * and keeps them alive (see workers.h).
 */
#ifndef SLATE_JOBS_SUPERVISOR_H
#define SLATE_JOBS_SUPERVISOR_H

#include <stddef.h>

#include "base/core.h"

typedef struct slate_workers slate_workers;

/* [main thread] Start the supervisor and its workers. `conninfo` is passed
 * to the workers as DATABASE_URL (the embedded cluster's address is known
 * only here). With jobs.workers = 0, *out is NULL and nothing starts.
 * 0, or -1 with a reason. On success the caller owns *out and frees it
 * with slate_workers_stop. */
int slate_workers_start(slate_core *core, const char *conninfo,
			slate_workers **out, char *err, size_t errlen);
/* [main thread] Ask every worker to finish its job and exit, SIGKILL those
 * still running after a grace period, give their unfinished jobs back, and
 * free. NULL is fine. */
void slate_workers_stop(slate_workers *w);

#endif
