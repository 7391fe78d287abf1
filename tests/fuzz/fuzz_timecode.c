/*
 * fuzz_timecode.c - SMPTE timecode arithmetic (the probe plugin's
 * probe_tc.c): a start timecode as a file's metadata states it, a frame
 * rate and a frame count, all from outside. The first 12 bytes are the
 * rate and the count; the rest is the timecode text.
 */
#include "fuzz.h"
#include "probe_tc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 12)
		return 0;
	int32_t num, den;
	int32_t frames;
	memcpy(&num, data, 4);
	memcpy(&den, data + 4, 4);
	memcpy(&frames, data + 8, 4);
	char *start = fuzz_strdup(data + 12, size - 12);
	if (!start)
		return 0;
	char in[32], out[32];
	bool drop;
	if (probe_tc_span(start, (AVRational){num, den}, frames, in, out,
			  &drop) == 0) {
		if (!memchr(in, '\0', sizeof(in)) ||
		    !memchr(out, '\0', sizeof(out)))
			abort();
	}
	free(start);
	return 0;
}
