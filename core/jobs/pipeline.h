/*
 * pipeline.h - what happens to a file once it is stored: the processors
 * (host.h processor_add) that handle its kind, run one after the other in
 * stage order as jobs.
 *
 * The chain travels in the job payload ("chain": the kinds still to come),
 * so no table tracks pipelines: each stage's success queues the next in the
 * statement that completes it (jobs.h slate_jobs_complete_next). A disabled
 * processor is simply not registered, so its stage is skipped. A stage that
 * ends dead stops the chain; an admin retry that succeeds resumes it.
 */
#ifndef SLATE_PIPELINE_H
#define SLATE_PIPELINE_H

#include <libpq-fe.h>
#include <slate/host.h>
#include <stdbool.h>

#include "jobs/jobs.h"

/* [init] Register a processor for plugin p (and its job handler). -1
 * (logged) on a bad definition or a taken kind. */
int slate_pipeline_add(slate_plugin *p, const slate_processor_def *def);
/* Forget every processor (main, at exit). */
void slate_pipeline_free(void);

/* [request] Queue the pipeline for `file` (a file_current object,
 * borrowed) in the request's transaction: every processor for its kind,
 * or only the one of kind `only`; the first job's id into *job_id_out
 * (when not NULL; NULL when no processor applies). 0, or -1 with the
 * database error set on r. */
int slate_pipeline_enqueue(slate_req *r, const json_t *file, const char *only,
			   const char **job_id_out);

/* [worker] Whether a succeeded job's payload names a next stage. */
bool slate_pipeline_has_next(const json_t *payload);
/* [worker] Complete `job` (leased by me) and queue its next stage. 0/-1. */
int slate_pipeline_complete(PGconn *pg, const char *me, const slate_job *job);

/* [job] The host's job_file. */
int slate_pipeline_job_file(slate_job *job, slate_file *out);

#endif
