/* thumb_video.c - one representative frame of a video with FFmpeg, then the
 * three JPEGs through libvips (see thumb_render.h). */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "thumb_render.h"

/* Where frames are sampled, as fractions of the duration, in order. */
static const double sample_at[] = {0.10, 0.25, 0.50, 0.75};
/* Without a known duration: seconds from the start. */
static const double sample_s[] = {0.5, 1.0, 2.0, 4.0, 8.0};
/* A frame is "representative" when its luma (on a 64x36 grey copy) has at
 * least this standard deviation and a mean inside [MEAN_MIN, MEAN_MAX]:
 * black, white and flat frames (fades, slates of one colour) fail it. */
#define STD_MIN 10.0
#define MEAN_MIN 20.0
#define MEAN_MAX 235.0
#define PROBE_W 64
#define PROBE_H 36
/* Bounds for hostile streams: frames decoded to reach one sample, and
 * packets the decoder may refuse in all. */
#define MAX_FRAMES_PER_SAMPLE 1500
/* A sample may use the keyframe up to this many seconds before it: one
 * frame to decode instead of a GOP's worth (cameras and phones put one
 * every 1 or 2 s). */
#define KEY_SLACK 2.0
#define MAX_BAD_PACKETS 64
/* The demuxers of the upload types (video/mp4, quicktime, webm,
 * x-matroska); FFmpeg matches these against each demuxer's name list. */
#define FORMATS "mov,mp4,matroska,webm"

typedef struct vid {
	AVFormatContext *fmt;
	AVCodecContext *dec;
	AVStream *st;
	AVPacket *pkt;
	AVFrame *frame; /* being decoded */
	AVFrame *last;	/* the last decoded frame */
	AVFrame *best;	/* the best candidate so far */
	struct SwsContext *probe;
	double pos;	   /* time of `last`, -1 when none since a seek */
	double judged;	   /* time of the last frame judged, -inf: none */
	double best_score; /* luma standard deviation of `best` */
	double best_t;
	bool drained; /* end of input sent to the decoder */
	int bad_packets;
} vid;

static const char *averr(int rc, char *buf, size_t len)
{
	av_strerror(rc, buf, len);
	return buf;
}

static void vid_close(vid *v)
{
	sws_freeContext(v->probe);
	av_frame_free(&v->frame);
	av_frame_free(&v->last);
	av_frame_free(&v->best);
	av_packet_free(&v->pkt);
	avcodec_free_context(&v->dec);
	avformat_close_input(&v->fmt);
}

/* Open the container and the decoder of its main video stream. 0 or -1
 * (set failed). */
static int vid_open(vid *v, int fd, const thumb_limits *lim, thumb_set *set)
{
	char url[64], why[128];
	snprintf(url, sizeof(url), "file:/proc/self/fd/%d", fd);
	AVDictionary *o = NULL;
	av_dict_set(&o, "protocol_whitelist", "file", 0);
	av_dict_set(&o, "format_whitelist", FORMATS, 0);
	int rc = avformat_open_input(&v->fmt, url, NULL, &o);
	av_dict_free(&o);
	if (rc < 0)
		return thumb_fail(set, true,
				  "not an MP4, QuickTime, WebM or Matroska "
				  "video: %s",
				  averr(rc, why, sizeof(why)));
	if ((rc = avformat_find_stream_info(v->fmt, NULL)) < 0)
		return thumb_fail(set, true, "unreadable video: %s",
				  averr(rc, why, sizeof(why)));
	const AVCodec *codec = NULL;
	int si =
	    av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (si < 0 || !codec)
		return thumb_fail(set, true, "%s",
				  si == AVERROR_DECODER_NOT_FOUND
				      ? "no decoder for its video stream"
				      : "no video stream");
	v->st = v->fmt->streams[si];
	const AVCodecParameters *par = v->st->codecpar;
	uint64_t px = (uint64_t)par->width * (uint64_t)par->height;
	if (par->width <= 0 || par->height <= 0)
		return thumb_fail(set, true, "video stream has no frame size");
	if (px > lim->max_pixels)
		return thumb_fail(set, true,
				  "video frames of %dx%d are over the limit of "
				  "%.1f megapixels",
				  par->width, par->height,
				  (double)lim->max_pixels / 1e6);
	if (!(v->dec = avcodec_alloc_context3(codec)) ||
	    avcodec_parameters_to_context(v->dec, par) < 0)
		return thumb_fail(set, false, "out of memory");
	v->dec->thread_count = lim->threads > 0 ? lim->threads : 1;
	v->dec->max_pixels = (int64_t)lim->max_pixels;
	if ((rc = avcodec_open2(v->dec, codec, NULL)) < 0)
		return thumb_fail(set, true, "cannot decode %s: %s",
				  codec->name, averr(rc, why, sizeof(why)));
	if (!(v->pkt = av_packet_alloc()) || !(v->frame = av_frame_alloc()) ||
	    !(v->last = av_frame_alloc()) || !(v->best = av_frame_alloc()))
		return thumb_fail(set, false, "out of memory");
	v->pos = -1;
	v->judged = -INFINITY;
	v->best_score = -1;
	return 0;
}

static double vid_start(const vid *v)
{
	return v->st->start_time == AV_NOPTS_VALUE
		   ? 0
		   : (double)v->st->start_time * av_q2d(v->st->time_base);
}

/* The duration in seconds, or 0 when unknown. */
static double vid_duration(const vid *v)
{
	if (v->st->duration > 0 && v->st->duration != AV_NOPTS_VALUE)
		return (double)v->st->duration * av_q2d(v->st->time_base);
	if (v->fmt->duration > 0 && v->fmt->duration != AV_NOPTS_VALUE)
		return (double)v->fmt->duration / AV_TIME_BASE;
	return 0;
}

/* Decode the next frame into v->last. 1, 0 at the end, -1 (set failed). */
static int vid_next(vid *v, thumb_set *set)
{
	char why[128];
	for (;;) {
		int rc = avcodec_receive_frame(v->dec, v->frame);
		if (rc == 0) {
			int64_t ts = v->frame->best_effort_timestamp;
			av_frame_unref(v->last);
			av_frame_move_ref(v->last, v->frame);
			if (ts != AV_NOPTS_VALUE)
				v->pos = (double)ts * av_q2d(v->st->time_base) -
					 vid_start(v);
			else if (v->pos < 0)
				v->pos = 0;
			return 1;
		}
		if (rc == AVERROR_EOF)
			return 0;
		if (rc != AVERROR(EAGAIN))
			return thumb_fail(set, true, "decoding: %s",
					  averr(rc, why, sizeof(why)));
		if (v->drained)
			return 0;
		rc = av_read_frame(v->fmt, v->pkt);
		if (rc == AVERROR_EOF) {
			v->drained = true;
			avcodec_send_packet(v->dec, NULL);
			continue;
		}
		if (rc < 0)
			return thumb_fail(set, true, "reading: %s",
					  averr(rc, why, sizeof(why)));
		if (v->pkt->stream_index == v->st->index) {
			rc = avcodec_send_packet(v->dec, v->pkt);
			/* A damaged packet is skipped, a stream of them is
			 * not worth decoding. */
			if (rc < 0 && rc != AVERROR(EAGAIN) &&
			    ++v->bad_packets > MAX_BAD_PACKETS) {
				av_packet_unref(v->pkt);
				return thumb_fail(set, true,
						  "too many damaged packets: "
						  "%s",
						  averr(rc, why, sizeof(why)));
			}
		}
		av_packet_unref(v->pkt);
	}
}

/* The time of the last keyframe at or before `t` from the container's
 * index (its decoding time: slightly negative for the first keyframe of a
 * stream with B-frames), or NAN when it has none. */
static double vid_keyframe_before(const vid *v, double t)
{
	double tb = av_q2d(v->st->time_base);
	int64_t ts = (int64_t)((t + vid_start(v)) / tb);
	const AVIndexEntry *e = avformat_index_get_entry_from_timestamp(
	    v->st, ts, AVSEEK_FLAG_BACKWARD);
	if (!e || !(e->flags & AVINDEX_KEYFRAME))
		return NAN;
	return (double)e->timestamp * tb - vid_start(v);
}

/* Seek to the keyframe at or before `t` (so that the next frame decoded is
 * that keyframe), unless decoding on from where the decoder is gets there
 * sooner: it already is past that keyframe, before `t`. */
static void vid_seek(vid *v, double t, double key)
{
	if (v->pos >= 0 && v->pos < t &&
	    (!isnan(key) ? key <= v->pos : t - v->pos < 2.0))
		return;
	double tb = av_q2d(v->st->time_base);
	int64_t ts = (int64_t)(((!isnan(key) ? key : t) + vid_start(v)) / tb);
	if (av_seek_frame(v->fmt, v->st->index, ts, AVSEEK_FLAG_BACKWARD) < 0)
		return; /* not seekable: decode on from where we are */
	avcodec_flush_buffers(v->dec);
	v->drained = false;
	v->pos = -1;
}

/* Decode the frame to judge for the sample at `t` into v->last: the
 * keyframe before `t` when it is close (KEY_SLACK) and newer than the
 * last frame judged, which costs one frame's decoding; otherwise the first
 * frame at or after `t`, decoding on from that keyframe and skipping the
 * frames nothing refers to on the way. 0 or -1 (set failed). */
static int vid_decode_at(vid *v, double t, thumb_set *set)
{
	double key = vid_keyframe_before(v, t);
	bool key_only =
	    !isnan(key) && t - key <= KEY_SLACK && key > v->judged + 1e-3;
	vid_seek(v, key_only ? key : t, key);
	if (key_only && v->pos < 0)
		return vid_next(v, set) < 0 ? -1 : 0;
	v->dec->skip_frame = AVDISCARD_NONREF;
	int rc = 0;
	for (int n = 0; n < MAX_FRAMES_PER_SAMPLE; n++) {
		if (v->pos >= t - 1e-3 && n > 0)
			break;
		if ((rc = vid_next(v, set)) <= 0)
			break;
	}
	v->dec->skip_frame = AVDISCARD_DEFAULT;
	return rc < 0 ? -1 : 0;
}

/* Luma mean and standard deviation of v->last on a small grey copy. */
static int vid_luma(vid *v, double *mean, double *std)
{
	uint8_t grey[PROBE_W * PROBE_H];
	AVFrame *f = v->last;
	v->probe = sws_getCachedContext(
	    v->probe, f->width, f->height, f->format, PROBE_W, PROBE_H,
	    AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
	if (!v->probe)
		return -1;
	uint8_t *dst[4] = {grey, NULL, NULL, NULL};
	int dls[4] = {PROBE_W, 0, 0, 0};
	sws_scale(v->probe, (const uint8_t *const *)f->data, f->linesize, 0,
		  f->height, dst, dls);
	double s = 0, s2 = 0, n = PROBE_W * PROBE_H;
	for (int i = 0; i < PROBE_W * PROBE_H; i++) {
		s += grey[i];
		s2 += (double)grey[i] * grey[i];
	}
	*mean = s / n;
	double var = s2 / n - *mean * *mean;
	*std = var > 0 ? sqrt(var) : 0;
	return 0;
}

/* Decode the frame for the sample at `t` seconds and judge it. 1 when it is
 * representative (then it is v->best), 0 when not (kept as v->best if it
 * is the most detailed so far), -1 on failure (set failed). */
static int vid_sample(vid *v, double t, thumb_set *set)
{
	if (vid_decode_at(v, t, set))
		return -1;
	if (!v->last->data[0])
		return 0; /* nothing decoded: past the end */
	v->judged = v->pos;
	double mean, std;
	if (vid_luma(v, &mean, &std))
		return thumb_fail(set, false, "cannot convert %s frames",
				  av_get_pix_fmt_name(v->last->format));
	int good = std >= STD_MIN && mean >= MEAN_MIN && mean <= MEAN_MAX;
	if (good || std > v->best_score) {
		av_frame_unref(v->best);
		if (av_frame_ref(v->best, v->last) < 0)
			return thumb_fail(set, false, "out of memory");
		v->best_score = std;
		v->best_t = v->pos;
	}
	return good;
}

/* Clockwise rotation (0, 90, 180, 270) that displays the stream upright,
 * from its display matrix. */
static int vid_rotation(const vid *v)
{
	const uint8_t *m =
	    av_stream_get_side_data(v->st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
	if (!m)
		return 0;
	double theta = -av_display_rotation_get((const int32_t *)m);
	if (isnan(theta))
		return 0;
	long q = lround(theta / 90.0) % 4;
	return (int)((q + 4) % 4) * 90;
}

/* v->best as RGB at the largest thumbnail size, upright, in memory: the
 * frame's display size (sample aspect ratio and rotation applied) fitted
 * into the box, never enlarged. NULL on failure (set failed). */
static VipsImage *vid_primary(vid *v, thumb_set *set)
{
	AVFrame *f = v->best;
	AVRational sar = av_guess_sample_aspect_ratio(v->fmt, v->st, f);
	double dw = f->width, dh = f->height;
	if (sar.num > 0 && sar.den > 0)
		dw *= av_q2d(sar);
	int rot = vid_rotation(v);
	if (rot == 90 || rot == 270) {
		double t = dw;
		dw = dh;
		dh = t;
	}
	int ow, oh;
	thumb_fit(dw, dh, 0, false, &ow, &oh);
	/* the scaled frame before rotation */
	int sw = rot % 180 ? oh : ow, sh = rot % 180 ? ow : oh;
	struct SwsContext *sws =
	    sws_getContext(f->width, f->height, f->format, sw, sh,
			   AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
	if (!sws)
		return thumb_fail(set, false, "cannot convert %s frames",
				  av_get_pix_fmt_name(f->format)),
		       NULL;
	/* HD video without a colour matrix tag is BT.709, not swscale's
	 * default BT.601; full-range sources stay full range. */
	int *inv, *tab, srange, drange, bri, con, sat;
	if (sws_getColorspaceDetails(sws, &inv, &srange, &tab, &drange, &bri,
				     &con, &sat) >= 0) {
		int cs = f->colorspace;
		if (cs == AVCOL_SPC_UNSPECIFIED || cs == AVCOL_SPC_RESERVED)
			cs = f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
		if (f->color_range == AVCOL_RANGE_JPEG)
			srange = 1;
		sws_setColorspaceDetails(sws, sws_getCoefficients(cs), srange,
					 tab, 1, bri, con, sat);
	}
	size_t size = (size_t)sw * sh * 3;
	uint8_t *rgb = g_try_malloc(size);
	VipsImage *im = NULL, *tagged = NULL, *up = NULL, *mem = NULL;
	if (!rgb) {
		sws_freeContext(sws);
		return thumb_fail(set, false, "out of memory"), NULL;
	}
	uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
	int dls[4] = {sw * 3, 0, 0, 0};
	sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0,
		  f->height, dst, dls);
	sws_freeContext(sws);
	static const VipsAngle angle[] = {VIPS_ANGLE_D0, VIPS_ANGLE_D90,
					  VIPS_ANGLE_D180, VIPS_ANGLE_D270};
	im =
	    vips_image_new_from_memory(rgb, size, sw, sh, 3, VIPS_FORMAT_UCHAR);
	if (im && !vips_copy(im, &tagged, "interpretation",
			     VIPS_INTERPRETATION_sRGB, NULL)) {
		if (rot == 0)
			up = g_object_ref(tagged);
		else if (vips_rot(tagged, &up, angle[rot / 90], NULL))
			up = NULL;
		if (up)
			mem = vips_image_copy_memory(up);
	}
	if (!mem) {
		snprintf(set->error, sizeof(set->error), "%s",
			 vips_error_buffer());
		vips_error_clear();
		set->rejected = false;
	}
	if (up)
		g_object_unref(up);
	if (tagged)
		g_object_unref(tagged);
	if (im)
		g_object_unref(im);
	g_free(rgb);
	set->src_width = f->width;
	set->src_height = f->height;
	set->frame_s = v->best_t;
	return mem;
}

int thumb_from_video(int fd, const thumb_limits *lim, thumb_set *set)
{
	memset(set, 0, sizeof(*set));
	set->frame_s = -1;
	/* Decoder chatter about damaged input would flood the worker's log;
	 * the reason a source fails is reported in set->error. */
	av_log_set_level(AV_LOG_FATAL);
	vid v = {0};
	int rc = -1;
	if (vid_open(&v, fd, lim, set))
		goto out;
	double dur = vid_duration(&v);
	const double *at = dur > 0 ? sample_at : sample_s;
	size_t n = dur > 0 ? sizeof(sample_at) / sizeof(sample_at[0])
			   : sizeof(sample_s) / sizeof(sample_s[0]);
	int good = 0;
	for (size_t i = 0; i < n && !good; i++) {
		good = vid_sample(&v, dur > 0 ? at[i] * dur : at[i], set);
		if (good < 0)
			goto out;
	}
	if (!v.best->data[0]) {
		thumb_fail(set, true, "no video frame could be decoded");
		goto out;
	}
	VipsImage *primary = vid_primary(&v, set);
	if (!primary)
		goto out;
	rc = thumb_encode(primary, lim, set);
	g_object_unref(primary);
out:
	vid_close(&v);
	return rc;
}
