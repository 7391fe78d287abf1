/*
 * worker_link.h - what a worker and its supervisor agree on: the
 * descriptor the worker reports on, the variable that tells it it has
 * one, and how a worker is named in lease rows.
 *
 * The report is one line per event: "S <job id>\n" when a job starts,
 * "E\n" when it ends (supervisor.c reads them to time jobs out and to
 * blame a crash on the job that was running).
 */
#ifndef SLATE_JOBS_WORKER_LINK_H
#define SLATE_JOBS_WORKER_LINK_H

#include <stddef.h>
#include <sys/types.h>

/* The fd on which a worker reports to its supervisor, and the variable that
 * tells a worker it has one (a worker started by hand has none). */
#define WORKER_LINK_FD 3
#define WORKER_LINK_ENV "SLATE_WORKER_FD"

/* "host:pid" of worker `pid` on this machine into out[len] (truncated):
 * the name of a worker across machines sharing the database. */
void worker_link_name(char *out, size_t len, pid_t pid);

#endif
