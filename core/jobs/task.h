/*
 * task.h - work a plugin starts itself: a slate_req with no HTTP request
 * behind it (host.h "tasks").
 *
 * A task reuses the request machinery whole: the lazy transaction on a
 * pooled connection, audit rows, events delivered after commit, the error
 * list. That is what lets a watch-folder ingest or a job's result create and
 * patch entities through exactly the code the API uses, with the same
 * validation and audit, instead of a second write path.
 */
#ifndef SLATE_TASK_H
#define SLATE_TASK_H

#include <slate/host.h>

struct slate_core;

/* A new task acting as `actor` (audit user_email; no user id), or NULL
 * when out of memory or no pool exists in this process (logged). */
slate_req *slate_task_begin(struct slate_core *core, const char *owner,
			    const char *actor);
/* Commit (when `commit` and no error was set) or roll back, deliver
 * events, free. 0 when committed, -1 otherwise. */
int slate_task_end(slate_req *task, int commit);

#endif
