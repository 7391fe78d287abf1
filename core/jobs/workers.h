/*
 * workers.h - the worker processes that run job handlers, and the
 * supervisor that keeps them alive.
 *
 * Media from outside is hostile, so it is decoded only in worker processes,
 * never in the process serving the API. The supervisor, a thread of the API
 * process, starts `jobs.workers` workers by fork+exec of slated itself
 * (`slated --worker`): exec, not a bare fork of a multi-threaded server,
 * so a worker starts from a clean image with no other thread's locks, no
 * inherited sockets, and its own resource limits (RLIMIT_AS, RLIMIT_CPU) set
 * between fork and exec. A worker loads the config and the enabled
 * plugins, opens its own database connections and claims jobs itself
 * (jobs.h); it tells the supervisor through a pipe which job it is running.
 * The supervisor restarts a worker that dies (with a growing delay against
 * crash loops), SIGKILLs one whose job overran `jobs.timeout_s`, and records
 * the crash or the timeout as that job's failure ("worker crashed: signal
 * 11 (Segmentation fault)", "timeout after 30s"), while the API keeps
 * serving.
 */
#ifndef SLATE_WORKERS_H
#define SLATE_WORKERS_H

#include <stddef.h>

#include "base/core.h"

typedef struct slate_workers slate_workers;

/* [main thread] Start the supervisor and its workers. `conninfo` is passed
 * to the workers as DATABASE_URL (the embedded cluster's address is known
 * only here). With jobs.workers = 0, *out is NULL and nothing starts.
 * 0, or -1 with a reason. */
int slate_workers_start(slate_core *core, const char *conninfo,
			slate_workers **out, char *err, size_t errlen);
/* [main thread] Ask every worker to finish its job and exit, SIGKILL those
 * still running after a grace period, give their unfinished jobs back, and
 * free. NULL is fine. */
void slate_workers_stop(slate_workers *w);

/* `slated --worker`: the worker's loop, after config and plugin init, until
 * SIGTERM. The exit status for main: 0 when stopped or recycled, 1 when it
 * could not start. */
int slate_workers_worker_main(slate_core *core, const char *conninfo);

#endif
