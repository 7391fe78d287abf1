/*
 * probe_tc.h - SMPTE timecodes with libavutil's AVTimecode.
 */
#ifndef PROBE_TC_H
#define PROBE_TC_H

#include <libavutil/rational.h>
#include <stdbool.h>
#include <stdint.h>

/* The start timecode `start` ("hh:mm:ss:ff", or ';'/'.' before the frames
 * for drop frame) at frame rate `rate`, and the timecode `frames` frames
 * later (the out point: the first frame after the clip), drop-frame aware
 * and wrapping at 24 hours. in/out get the normalised strings (32 bytes
 * each), *drop whether they are drop frame. 0, or -1 when the start does
 * not parse, the rate cannot carry a timecode (drop frame is only 29.97 or
 * 59.94), or `frames` is beyond 2^30 (a year of 30 fps: a lying file). */
int probe_tc_span(const char *start, AVRational rate, int64_t frames,
		  char in[32], char out[32], bool *drop);

#endif
