/*
 * probe_media.h - what libavformat/libavcodec say about one media file.
 *
 * Runs only in worker processes (job handlers): the file is hostile until
 * proven otherwise. FFmpeg opens it as "file:/proc/self/fd/N" with the file
 * protocol alone allowed and a fixed list of single-file demuxers, so a
 * playlist or a reference inside the file cannot make it read anything
 * else, and probing reads a bounded amount.
 */
#ifndef PROBE_MEDIA_H
#define PROBE_MEDIA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum probe_status {
	PROBE_OK = 0,
	PROBE_BAD = 1, /* the input can never be probed: not media, damaged */
	PROBE_IO = 2,  /* reading failed or memory ran out: worth a retry */
} probe_status;

/* Probe the media file open on `fd` (`size` bytes; the caller keeps and
 * closes fd). On PROBE_OK *out is a new object:
 *   {"container", "container_long_name", "duration_seconds" (exact, or
 *    null), "duration_us", "file_size_bytes", "bit_rate", "codecs": [...],
 *    "resolution": {"width", "height"} (display size: sample aspect ratio
 *    and rotation applied) or null, "frame_rate": {"num", "den", "fps"} or
 *    null, "frames", "audio_channels", "sample_rate",
 *    "timecode": {"in", "out", "source", "drop_frame"} or null,
 *    "streams": [{"index", "type", "codec", ...}], "tags": {...},
 *    "probed_with": "libavformat 59.27.100"}
 * Otherwise why[0..len) says what was wrong. */
probe_status probe_media(int fd, uint64_t size, json_t **out, char *why,
			 size_t len);

/* Route FFmpeg's log lines: while a probe runs on this thread they are
 * kept (the last one explains a failure better than the error code) and at
 * most a few go to `sink`; other threads' lines go to FFmpeg's default
 * logger. Call once, in the worker. */
void probe_media_log_to(void (*sink)(const char *line));

#endif
