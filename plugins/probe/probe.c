/*
 * probe.c - the "probe" processor: what a stored media file contains.
 *
 * The pipeline queues a "probe" job (stage 20, after hash) for each stored
 * raw_clip, trailer and audio file. The handler, in a worker process, opens
 * the object through host->file_open and asks libavformat/libavcodec
 * (probe_media.c) for the container, duration, streams and codecs, display
 * resolution, frame rate, audio channels and the SMPTE start timecode, with
 * the out timecode worked out from the duration (probe_tc.c). probe_store.c
 * writes the result.
 *
 * Outcomes. A file FFmpeg cannot read as media (not media at all, a
 * truncated MP4 without its moov atom, a container outside the allowed
 * list, no audio or video stream) or an object no longer in the store can
 * never succeed: job_reject, dead after one attempt, with FFmpeg's reason.
 * Reading errors, memory, and database errors may pass: job_fail, retried
 * with backoff. A worker killed by a decoder crash is retried by the queue.
 */
#include "probe.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe_media.h"
#include "probe_migrations.h"

const slate_host *probe_host;
slate_plugin *probe_self;

static void ffmpeg_line(const char *line)
{
	host->log(probe_self, SLATE_LOG_WARN, "ffmpeg: %s", line);
}

static int probe_job(slate_job *job, void *ud)
{
	(void)ud;
	static int log_routed;
	if (!log_routed) {
		/* here, not in init: only workers run FFmpeg */
		probe_media_log_to(ffmpeg_line);
		log_routed = 1;
	}
	slate_file f;
	uint64_t size = 0;
	int fd = host->job_file_open(probe_self, job, &f, &size);
	if (fd < 0)
		return -1;
	json_t *result = NULL;
	char why[512];
	probe_status st = probe_media(fd, size, &result, why, sizeof(why));
	close(fd);
	if (st == PROBE_BAD)
		return host->job_reject(job, "%s", why);
	if (st != PROBE_OK)
		return host->job_fail(job, "%s", why);
	int rc = probe_store(job, &f, result);
	json_decref(result);
	return rc;
}

static int probe_init(slate_plugin *self, const slate_host *h, char *err,
		      size_t errlen)
{
	(void)err;
	(void)errlen;
	host = h;
	probe_self = self;
	return 0;
}

static const slate_processor_def probe_processor = {
    .struct_size = sizeof(slate_processor_def),
    .kind = "probe",
    .stage = 20,
    .file_kinds = (const char *const[]){"raw_clip", "trailer", "audio", NULL},
    .fn = probe_job,
};

static const slate_plugin_desc probe_desc = {
    SLATE_PLUGIN_HEADER("probe", "1.0.0",
			"Media probing: duration, streams, timecodes"),
    SLATE_PLUGIN_MIGRATIONS(probe_migrations, PROBE_N_MIGRATIONS),
    .init = probe_init,
    .routes = (const slate_route_def *const[]){&probe_route_get, NULL},
    .processors = (const slate_processor_def *const[]){&probe_processor, NULL},
};

SLATE_PLUGIN_DEFINE(probe_desc)
