/* probe_tc.c - see probe_tc.h. */
#include "probe_tc.h"

#include <libavutil/timecode.h>
#include <stdio.h>

int probe_tc_span(const char *start, AVRational rate, int64_t frames,
		  char in[32], char out[32], bool *drop)
{
	AVTimecode tc;
	/* av_timecode_make_string adds the start to an int frame number */
	if (!start || rate.num <= 0 || rate.den <= 0 || frames < 0 ||
	    frames > (1 << 30) ||
	    av_timecode_init_from_string(&tc, rate, start, NULL) < 0)
		return -1;
	tc.flags |= AV_TIMECODE_FLAG_24HOURSMAX;
	char buf[AV_TIMECODE_STR_SIZE];
	snprintf(in, 32, "%s", av_timecode_make_string(&tc, buf, 0));
	snprintf(out, 32, "%s", av_timecode_make_string(&tc, buf, (int)frames));
	*drop = (tc.flags & AV_TIMECODE_FLAG_DROPFRAME) != 0;
	return 0;
}
