/* probe_media.c - see probe_media.h. */
#include "probe_media.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/timecode.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "probe_tc.h"

/* How much FFmpeg may read and analyse to find the streams: 10 MB, 10 s of
 * media. Headers of a well-formed file are far smaller; a hostile one stops
 * here. */
#define PROBE_BYTES "10000000"
#define PROBE_ANALYZE_US "10000000"
/* Demuxers of single self-contained files: nothing that follows a
 * playlist, a list of files or an image sequence. A name matches any alias
 * of a demuxer ("mov" is mov,mp4,m4a,3gp,3g2,mj2). */
#define PROBE_FORMATS                                                          \
	"mov,matroska,mpeg,mpegts,mxf,avi,mp3,aac,wav,w64,ogg,flac,aiff,ac3,"  \
	"eac3,dts,caf"
/* What goes into the result: enough to describe any sane file. */
#define MAX_STREAMS 32
#define MAX_TAGS 32
#define MAX_TAG_LEN 256
/* Packets read looking for the first MPEG-1/2 GOP header. */
#define GOP_PACKETS 64

/* ---- logging ----------------------------------------------------------- */

static void (*log_sink)(const char *line);
static __thread bool probing;
static __thread int lines_sent;
static __thread char last_line[256];

static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	if (!probing) {
		av_log_default_callback(avcl, level, fmt, vl);
		return;
	}
	if (level > AV_LOG_ERROR)
		return;
	/* "mov,mp4,...: moov atom not found", without FFmpeg's "[... @ 0x..]"
	 * prefix: a pointer says nothing to whoever reads last_error */
	char msg[224];
	int prefix = 0;
	av_log_format_line2(avcl, level, fmt, vl, msg, sizeof(msg), &prefix);
	msg[strcspn(msg, "\r\n")] = '\0';
	if (!msg[0])
		return;
	const AVClass *cls = avcl ? *(const AVClass *const *)avcl : NULL;
	const char *who = cls && cls->item_name ? cls->item_name(avcl) : NULL;
	char line[256];
	snprintf(line, sizeof(line), "%s%s%s", who ? who : "", who ? ": " : "",
		 msg);
	snprintf(last_line, sizeof(last_line), "%s", line);
	/* a damaged file can say the same thing thousands of times */
	if (log_sink && lines_sent++ < 8)
		log_sink(line);
}

void probe_media_log_to(void (*sink)(const char *line))
{
	log_sink = sink;
	av_log_set_level(AV_LOG_ERROR);
	av_log_set_callback(av_log_cb);
}

/* ---- errors ------------------------------------------------------------ */

/* Which FFmpeg errors a retry could cure: reading and memory. Everything
 * else (invalid data, unknown format, a demuxer's refusal) is the file. */
static probe_status classify(int averr)
{
	if (averr == AVERROR(EIO) || averr == AVERROR(ENOMEM) ||
	    averr == AVERROR(EAGAIN) || averr == AVERROR(EINTR) ||
	    averr == AVERROR(ENFILE) || averr == AVERROR(EMFILE))
		return PROBE_IO;
	return PROBE_BAD;
}

static probe_status fail(int averr, const char *what, char *why, size_t len)
{
	char e[AV_ERROR_MAX_STRING_SIZE];
	av_strerror(averr, e, sizeof(e));
	if (averr == AVERROR(EINVAL) && strstr(last_line, "whitelist"))
		snprintf(why, len, "%s: not a container this probe reads (%s)",
			 what, last_line);
	else if (last_line[0])
		snprintf(why, len, "%s: %s (%s)", what, e, last_line);
	else
		snprintf(why, len, "%s: %s", what, e);
	return classify(averr);
}

/* ---- pieces of the result --------------------------------------------- */

static json_t *rational(AVRational q)
{
	if (q.num <= 0 || q.den <= 0)
		return json_null();
	/* three decimals: 23.976, 29.97, 59.94 as people write them */
	return json_pack("{s:i, s:i, s:f}", "num", q.num, "den", q.den, "fps",
			 round(av_q2d(q) * 1000.0) / 1000.0);
}

/* Tags, bounded: a hostile file may carry thousands, or megabytes. Values
 * are cut at MAX_TAG_LEN bytes on a character boundary; a key or value
 * that is not UTF-8 is left out (JSON cannot carry it). */
static json_t *tags_of(const AVDictionary *d)
{
	json_t *o = json_object();
	const AVDictionaryEntry *e = NULL;
	for (int n = 0; o && n < MAX_TAGS &&
			(e = av_dict_get(d, "", e, AV_DICT_IGNORE_SUFFIX));
	     n++) {
		char v[MAX_TAG_LEN + 1];
		size_t l = strlen(e->value);
		if (l > MAX_TAG_LEN) {
			l = MAX_TAG_LEN;
			while (l > 0 &&
			       ((unsigned char)e->value[l] & 0xC0) == 0x80)
				l--;
		}
		memcpy(v, e->value, l);
		v[l] = '\0';
		json_t *s = json_string(v);
		if (s && strlen(e->key) <= 64)
			json_object_set_new(o, e->key, s); /* steals s */
		else
			json_decref(s);
	}
	return o;
}

/* Degrees the display matrix turns the picture counterclockwise, as
 * ffprobe reports it, in 0, 90, 180, 270 (0 when there is none). */
static int rotation_of(const AVStream *st)
{
	size_t size = 0;
	const uint8_t *m =
	    av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
	if (!m || size < 9 * sizeof(int32_t))
		return 0;
	double r = av_display_rotation_get((const int32_t *)m);
	if (isnan(r))
		return 0;
	long deg = lround(r) % 360;
	if (deg < 0)
		deg += 360;
	return (int)(((deg + 45) / 90) * 90 % 360);
}

static json_t *stream_of(const AVStream *st)
{
	const AVCodecParameters *cp = st->codecpar;
	const char *type = av_get_media_type_string(cp->codec_type);
	char tag[AV_FOURCC_MAX_STRING_SIZE];
	/* a stream no codec reads (a QuickTime tmcd track) by its fourcc */
	const char *codec = cp->codec_id == AV_CODEC_ID_NONE && cp->codec_tag
				? av_fourcc_make_string(tag, cp->codec_tag)
				: avcodec_get_name(cp->codec_id);
	json_t *s = json_pack("{s:i, s:s, s:s}", "index", st->index, "type",
			      type ? type : "unknown", "codec", codec);
	if (!s)
		return NULL;
	const char *profile = avcodec_profile_name(cp->codec_id, cp->profile);
	if (profile)
		json_object_set_new(s, "profile", json_string(profile));
	if (cp->bit_rate > 0)
		json_object_set_new(s, "bit_rate", json_integer(cp->bit_rate));
	if (cp->codec_type == AVMEDIA_TYPE_VIDEO) {
		json_object_set_new(s, "width", json_integer(cp->width));
		json_object_set_new(s, "height", json_integer(cp->height));
		json_object_set_new(s, "rotation",
				    json_integer(rotation_of(st)));
		json_object_set_new(s, "frame_rate",
				    rational(st->avg_frame_rate.num > 0
						 ? st->avg_frame_rate
						 : st->r_frame_rate));
		if (st->nb_frames > 0)
			json_object_set_new(s, "frames",
					    json_integer(st->nb_frames));
		if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
			json_object_set_new(s, "attached_picture", json_true());
	} else if (cp->codec_type == AVMEDIA_TYPE_AUDIO) {
		json_object_set_new(s, "channels",
				    json_integer(cp->ch_layout.nb_channels));
		json_object_set_new(s, "sample_rate",
				    json_integer(cp->sample_rate));
	}
	if (st->duration > 0 && st->duration != AV_NOPTS_VALUE)
		json_object_set_new(
		    s, "duration_seconds",
		    json_real(
			round(st->duration * av_q2d(st->time_base) * 1e6) /
			1e6));
	json_object_set_new(s, "tags", tags_of(st->metadata));
	return s;
}

/* The main picture: the first video stream that is not cover art. */
static AVStream *video_stream(const AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		AVStream *st = fc->streams[i];
		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
			return st;
	}
	return NULL;
}

static AVStream *audio_stream(const AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++)
		if (fc->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
			return fc->streams[i];
	return NULL;
}

/* Display size: pixels stretched by the sample aspect ratio, then turned
 * by the rotation (a portrait phone clip is stored landscape with a
 * 90-degree matrix). */
static json_t *resolution(const AVStream *v)
{
	int w = v->codecpar->width, h = v->codecpar->height;
	if (w <= 0 || h <= 0)
		return json_null();
	AVRational sar = v->sample_aspect_ratio.num > 0
			     ? v->sample_aspect_ratio
			     : v->codecpar->sample_aspect_ratio;
	/* a hostile aspect ratio cannot make the width absurd */
	if (sar.num > 0 && sar.den > 0 && sar.num != sar.den &&
	    w * av_q2d(sar) >= 1 && w * av_q2d(sar) <= 65536)
		w = (int)lround(w * av_q2d(sar));
	int rot = rotation_of(v);
	if (rot == 90 || rot == 270) {
		int t = w;
		w = h;
		h = t;
	}
	return json_pack("{s:i, s:i}", "width", w, "height", h);
}

/* ---- timecode ---------------------------------------------------------- */

/* The GOP header's timecode of an MPEG-1/2 video stream, from the first
 * decoded picture's side data (FFmpeg 5 no longer exports it on the codec
 * context), into tc[32]. 0, or -1 when there is none. */
static int gop_timecode(AVFormatContext *fc, const AVStream *v, char tc[32])
{
	const AVCodec *dec = avcodec_find_decoder(v->codecpar->codec_id);
	AVCodecContext *cx = dec ? avcodec_alloc_context3(dec) : NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	int rc = -1;
	if (!cx || !pkt || !fr ||
	    avcodec_parameters_to_context(cx, v->codecpar) < 0)
		goto out;
	cx->thread_count = 1;
	/* no seek: the packets avformat_find_stream_info read are buffered
	 * and come back first, so this starts at the first GOP */
	if (avcodec_open2(cx, dec, NULL) < 0)
		goto out;
	for (int n = 0; rc && n < GOP_PACKETS && av_read_frame(fc, pkt) >= 0;
	     n++) {
		if (pkt->stream_index == v->index &&
		    avcodec_send_packet(cx, pkt) >= 0)
			while (rc && avcodec_receive_frame(cx, fr) >= 0) {
				const AVFrameSideData *sd =
				    av_frame_get_side_data(
					fr, AV_FRAME_DATA_GOP_TIMECODE);
				if (sd && sd->size >= sizeof(int64_t)) {
					int64_t g;
					memcpy(&g, sd->data, sizeof(g));
					char b[AV_TIMECODE_STR_SIZE];
					snprintf(
					    tc, 32, "%s",
					    av_timecode_make_mpeg_tc_string(
						b, (uint32_t)g));
					rc = 0;
				}
				av_frame_unref(fr);
			}
		av_packet_unref(pkt);
	}
out:
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avcodec_free_context(&cx);
	return rc;
}

/* Where the start timecode is, in order: the picture's own stream tag, a
 * timecode track's (QuickTime tmcd), the container's, the MPEG GOP header.
 * The first that parses at the clip's rate wins. */
static json_t *timecode(AVFormatContext *fc, const AVStream *v, AVRational rate,
			int64_t frames)
{
	const char *sources[3] = {NULL, NULL, NULL};
	const AVDictionaryEntry *e =
	    av_dict_get(v->metadata, "timecode", NULL, 0);
	sources[0] = e ? e->value : NULL;
	for (unsigned i = 0; !sources[1] && i < fc->nb_streams; i++)
		if ((e = av_dict_get(fc->streams[i]->metadata, "timecode", NULL,
				     0)))
			sources[1] = e->value;
	e = av_dict_get(fc->metadata, "timecode", NULL, 0);
	sources[2] = e ? e->value : NULL;
	static const char *const names[] = {"stream", "timecode track",
					    "container", "gop header"};
	char in[32], out[32], gop[32];
	bool drop;
	for (int i = 0; i < 4; i++) {
		const char *start = i < 3 ? sources[i] : NULL;
		if (i == 3 &&
		    (v->codecpar->codec_id == AV_CODEC_ID_MPEG2VIDEO ||
		     v->codecpar->codec_id == AV_CODEC_ID_MPEG1VIDEO))
			start = gop_timecode(fc, v, gop) == 0 ? gop : NULL;
		if (start &&
		    probe_tc_span(start, rate, frames, in, out, &drop) == 0)
			return json_pack("{s:s, s:s, s:s, s:b}", "in", in,
					 "out", out, "source", names[i],
					 "drop_frame", drop);
	}
	return json_null();
}

/* ---- the probe ---------------------------------------------------------- */

/* The longest audio or video stream, each in its own time base (QuickTime
 * keeps the whole file's duration in milliseconds only: 13.347 s for 400
 * frames at 29.97, which are 13.346667 s); the container's figure when no
 * stream has one. 0 when unknown. */
static int64_t media_duration_us(const AVFormatContext *fc)
{
	int64_t best = 0;
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		const AVStream *st = fc->streams[i];
		enum AVMediaType t = st->codecpar->codec_type;
		if ((t != AVMEDIA_TYPE_VIDEO && t != AVMEDIA_TYPE_AUDIO) ||
		    (st->disposition & AV_DISPOSITION_ATTACHED_PIC) ||
		    st->duration <= 0 || st->duration == AV_NOPTS_VALUE)
			continue;
		int64_t us =
		    av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q);
		if (us > best)
			best = us;
	}
	return best ? best : fc->duration > 0 ? fc->duration : 0;
}

/* Fill the result from an opened, analysed file. 0, or -1 out of memory. */
static int describe(AVFormatContext *fc, uint64_t size, json_t *r)
{
	const AVStream *v = video_stream(fc), *a = audio_stream(fc);
	int64_t dur_us = media_duration_us(fc);
	json_t *codecs = json_array(), *streams = json_array();
	if (!codecs || !streams) {
		json_decref(codecs);
		json_decref(streams);
		return -1;
	}
	for (unsigned i = 0; i < fc->nb_streams && i < MAX_STREAMS; i++) {
		const AVCodecParameters *cp = fc->streams[i]->codecpar;
		json_array_append_new(streams, stream_of(fc->streams[i]));
		if (cp->codec_id != AV_CODEC_ID_NONE)
			json_array_append_new(
			    codecs,
			    json_string(avcodec_get_name(cp->codec_id)));
	}
	json_object_set_new(r, "container", json_string(fc->iformat->name));
	json_object_set_new(r, "container_long_name",
			    json_string(fc->iformat->long_name
					    ? fc->iformat->long_name
					    : fc->iformat->name));
	json_object_set_new(r, "duration_seconds",
			    dur_us ? json_real((double)dur_us / 1e6)
				   : json_null());
	json_object_set_new(r, "duration_us",
			    dur_us ? json_integer(dur_us) : json_null());
	json_object_set_new(r, "file_size_bytes",
			    json_integer((json_int_t)size));
	json_object_set_new(r, "bit_rate",
			    fc->bit_rate > 0 ? json_integer(fc->bit_rate)
					     : json_null());
	json_object_set_new(r, "codecs", codecs);
	json_object_set_new(r, "streams", streams);
	json_object_set_new(r, "tags", tags_of(fc->metadata));
	json_object_set_new(r, "resolution", v ? resolution(v) : json_null());
	AVRational rate = v ? av_guess_frame_rate(fc, (AVStream *)v, NULL)
			    : (AVRational){0, 1};
	json_object_set_new(r, "frame_rate", rational(rate));
	/* frames: counted by the container when it does (mov), otherwise the
	 * duration at the frame rate, which is exact for constant rates */
	int64_t frames = 0;
	if (v && v->nb_frames > 0)
		frames = v->nb_frames;
	else if (v && rate.num > 0 && dur_us)
		frames = av_rescale_q(dur_us, AV_TIME_BASE_Q, av_inv_q(rate));
	json_object_set_new(r, "frames",
			    frames ? json_integer(frames) : json_null());
	json_object_set_new(r, "audio_channels",
			    a ? json_integer(a->codecpar->ch_layout.nb_channels)
			      : json_null());
	json_object_set_new(r, "sample_rate",
			    a ? json_integer(a->codecpar->sample_rate)
			      : json_null());
	json_object_set_new(r, "timecode",
			    v && rate.num > 0 ? timecode(fc, v, rate, frames)
					      : json_null());
	unsigned ver = avformat_version();
	char with[48];
	snprintf(with, sizeof(with), "libavformat %u.%u.%u", ver >> 16,
		 (ver >> 8) & 255, ver & 255);
	json_object_set_new(r, "probed_with", json_string(with));
	return 0;
}

probe_status probe_media(int fd, uint64_t size, json_t **out, char *why,
			 size_t len)
{
	*out = NULL;
	probing = true;
	lines_sent = 0;
	last_line[0] = '\0';
	char url[64];
	snprintf(url, sizeof(url), "file:/proc/self/fd/%d", fd);
	AVDictionary *opts = NULL;
	AVFormatContext *fc = NULL;
	probe_status st = PROBE_IO;
	int err;
	if (av_dict_set(&opts, "protocol_whitelist", "file", 0) < 0 ||
	    av_dict_set(&opts, "format_whitelist", PROBE_FORMATS, 0) < 0 ||
	    av_dict_set(&opts, "probesize", PROBE_BYTES, 0) < 0 ||
	    av_dict_set(&opts, "analyzeduration", PROBE_ANALYZE_US, 0) < 0 ||
	    av_dict_set(&opts, "max_streams", "100", 0) < 0) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	if ((err = avformat_open_input(&fc, url, NULL, &opts)) < 0) {
		st =
		    fail(err, "not a media file this probe can read", why, len);
		goto out;
	}
	if ((err = avformat_find_stream_info(fc, NULL)) < 0) {
		st = fail(err, "cannot read the streams", why, len);
		goto out;
	}
	if (!video_stream(fc) && !audio_stream(fc)) {
		snprintf(why, len, "no audio or video stream in this %s file",
			 fc->iformat->name);
		st = PROBE_BAD;
		goto out;
	}
	json_t *r = json_object();
	if (!r || describe(fc, size, r)) {
		json_decref(r);
		snprintf(why, len, "out of memory");
		goto out;
	}
	*out = r;
	st = PROBE_OK;
out:
	av_dict_free(&opts);
	avformat_close_input(&fc);
	probing = false;
	return st;
}
