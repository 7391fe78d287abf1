/*
 * workers.h - the worker processes that run job handlers, and the
 * supervisor that keeps them alive: supervisor.h (the API process's side)
 * and worker.h (`slated --worker`), which talk through worker_link.h.
 * Including this header gives both.
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

#include "jobs/supervisor.h"
#include "jobs/worker.h"

#endif
