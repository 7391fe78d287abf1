/*
 * jobs_api.h - the job queue's admin routes: GET /api/v1/jobs (filtered by
 * status, kind, entity; counts by status for the dead-letter alarm),
 * GET /api/v1/jobs/:jobId and POST /api/v1/jobs/:jobId/retry.
 *
 * All three need ADMIN: job rows carry payloads and error text from
 * processors (file names, decoder messages) that are operations data, not
 * something a viewer needs, and retrying is an operator's decision.
 */
#ifndef SLATE_JOBS_API_H
#define SLATE_JOBS_API_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes to core->router (main thread, at start). 0 or -1. */
int slate_jobs_api_register(slate_core *core, char *err, size_t errlen);

#endif
