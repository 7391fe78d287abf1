/*
 * probe.h - what the probe plugin's files share.
 *
 * probe.c: the processor (a job per stored media file). probe_media.c:
 * what FFmpeg says about the file. probe_tc.c: timecodes. probe_store.c:
 * the result written to the entity and to media_probes, and the route that
 * serves it.
 */
#ifndef PROBE_H
#define PROBE_H

#include <slate/host.h>

/* Set once by init, read-only afterwards. */
extern const slate_host *probe_host;
extern slate_plugin *probe_self;
/* The plugin's files call the table `host`, as every Slate plugin does. */
#define host probe_host

/* [job] Write `result` (borrowed) for the file in one task: the entity's
 * fields it has, metadata.probe, the media_probes row. The job's outcome:
 * 0, or job_fail's -1 (a database error: retried). */
int probe_store(slate_job *job, const slate_file *f, const json_t *result);

/* GET /api/v1/probe/:entityType/:entityId */
extern const slate_route_def probe_route_get;

#endif
