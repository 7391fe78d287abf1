/*
 * test_probe.c - the probe processor end to end: media made at test time by
 * the ffmpeg command, uploaded as a client does to a real slated, probed by
 * real worker processes. Each file either gives the exact figures worked
 * out by hand below (durations, timecodes at 23.976, 25, 29.97 drop frame
 * and from an MPEG-2 GOP header, display sizes, sizes), or ends dead after
 * one attempt with a clear reason while slated keeps serving.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"

static th_server srv;
static char tmp[64];
static char show_id[64], episode_id[64];

/* ---- media -------------------------------------------------------------- */

/* Run ffmpeg quietly with `args` writing tmp/name. */
static bool ffmpeg(const char *name, const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && ffmpeg -nostdin -v error -y %s '%s' >/dev/null "
		 "2>&1",
		 tmp, args, name);
	bool ok = system(cmd) == 0;
	if (!ok)
		fprintf(stderr, "ffmpeg failed: %s\n", cmd);
	return ok;
}

/* Run a shell command in tmp. */
static bool sh(const char *cmd)
{
	char full[1024];
	snprintf(full, sizeof(full), "cd '%s' && %s", tmp, cmd);
	return system(full) == 0;
}

#define SRC(rate, size)                                                        \
	"-f lavfi -i testsrc=size=" size ":rate=" rate                         \
	" -c:v libx264 -preset ultrafast -pix_fmt yuv420p"

/* Make the Matroska file tmp/name claim `ms` milliseconds in its segment
 * Duration element (ID 0x4489, an 8-byte big-endian float after ffmpeg's
 * size byte 0x88). 0 or -1. */
static int mkv_claim_duration(const char *name, double ms)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	FILE *f = fopen(path, "r+b");
	unsigned char buf[4096];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	int rc = -1;
	for (size_t i = 0; i + 11 <= n; i++)
		if (buf[i] == 0x44 && buf[i + 1] == 0x89 &&
		    buf[i + 2] == 0x88) {
			uint64_t bits;
			memcpy(&bits, &ms, sizeof(bits));
			unsigned char be[8];
			for (int k = 0; k < 8; k++)
				be[k] = (unsigned char)(bits >> (56 - 8 * k));
			rc = fseek(f, (long)i + 3, SEEK_SET) == 0 &&
				     fwrite(be, 1, 8, f) == 8
				 ? 0
				 : -1;
			break;
		}
	if (f && fclose(f))
		rc = -1;
	return rc;
}

/* The files, each a known number of frames:
 * c23.mov  23.976 fps, 240 frames = 240 * 1001/24000 = 10.01 s; start
 *          01:00:00:00 (a tmcd track); 240 frames at 24 per timecode
 *          second = 10 s exactly: out 01:00:10:00.
 * c25.mov  25 fps, 262 frames = 10.48 s, with 10.48 s of 48 kHz stereo PCM;
 *          start 10:00:00:00; 262 = 10 s 12 frames: out 10:00:10:12.
 * c29.mp4  29.97 drop frame, 400 frames = 400 * 1001/30000 = 13.3467 s;
 *          start 01:00:59;28. Two frames reach 01:01:00;02 (;00 and ;01
 *          are dropped at minute 1), the other 398 = 13 s 8 frames:
 *          out 01:01:13;10.
 * m2.mov   MPEG-2 video, 29.97 drop frame, 50 frames, start 00:09:59;28 in
 *          the GOP header only (no tmcd track); two frames reach
 *          00:10:00;00 (minute 10 drops nothing), 48 = 1 s 18 frames:
 *          out 00:10:01;18.
 * m2.ts    MPEG-2 video in MPEG-TS, 25 fps, 50 frames = 2 s, start
 *          09:59:59:20 in the GOP header; 50 = 2 s 0 frames, out
 *          10:00:01:20. Uploaded labelled video/mp4 (slated takes no
 *          MPEG types for clips): the probe reads what the bytes are.
 * tall.mp4 encoded 180x320 (portrait).
 * rot.mov  encoded 320x180 with a 90-degree display matrix: a phone held
 *          upright, displayed 180x320.
 * a.m4a    3 s of AAC stereo at 48 kHz (a component's audio).
 * trailer.mp4  25 fps, 125 frames = 5 s (an episode's trailer).
 * trunc.mp4    the first half of a 100-frame MP4 whose moov atom is at the
 *              end (ffmpeg's default): no moov.
 * text.mp4     a line of text.
 * liar.mkv     1 s of video whose header claims 2,000,000 s: more than a
 *              clip's duration_seconds takes (1,000,000). */
static int make_media(void)
{
	static const struct {
		const char *name, *args;
	} media[] = {
	    {"c23.mov", SRC("24000/1001", "320x240") " -frames:v 240 "
						     "-timecode 01:00:00:00"},
	    {"c25.mov", "-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i "
			"sine=frequency=440:sample_rate=48000 -c:v libx264 "
			"-preset ultrafast -pix_fmt yuv420p -frames:v 262 "
			"-c:a pcm_s16le -ac 2 -t 10.48 -timecode 10:00:00:00"},
	    {"c29.mp4", SRC("30000/1001", "320x240") " -frames:v 400 "
						     "-timecode '01:00:59;28'"},
	    {"m2.mov", "-f lavfi -i testsrc=size=320x240:rate=30000/1001 -c:v "
		       "mpeg2video -frames:v 50 -gop_timecode '00:09:59;28'"},
	    {"m2.ts", "-f lavfi -i testsrc=size=320x240:rate=25 -c:v "
		      "mpeg2video -frames:v 50 -timecode 09:59:59:20"},
	    {"tall.mp4", SRC("30", "180x320") " -frames:v 30"},
	    {"wide.mp4", SRC("30", "320x180") " -frames:v 30"},
	    {"rot.mov", "-i wide.mp4 -c copy -metadata:s:v:0 rotate=90"},
	    {"a.m4a", "-f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 "
		      "-c:a aac -t 3"},
	    {"trailer.mp4", SRC("25", "320x240") " -frames:v 125"},
	    {"full.mp4", SRC("25", "320x240") " -frames:v 100"},
	    {"liar.mkv", SRC("25", "160x120") " -frames:v 25"},
	};
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (!ffmpeg(media[i].name, media[i].args))
			return -1;
	if (mkv_claim_duration("liar.mkv", 2e9))
		return -1;
	return sh("head -c $(( $(stat -c %s full.mp4) / 2 )) full.mp4 > "
		  "trunc.mp4") &&
		       sh("echo 'hello, this is not a video' > text.mp4")
		   ? 0
		   : -1;
}

static int setup(void)
{
	const char *titles[] = {"E1", NULL};
	if (th_tmpdir(tmp, "probe") || make_media())
		return -1;
	return th_start_show(
	    &srv,
	    "{\"plugins\": {\"clips\": {\"enabled\": true}, "
	    "\"components\": {\"enabled\": true}, \"hash\": "
	    "{\"enabled\": true}, \"probe\": {\"enabled\": true}}, "
	    "\"jobs\": {\"workers\": 2, \"max_attempts\": 3, "
	    "\"backoff_base_ms\": 100, \"backoff_max_ms\": 400, "
	    "\"poll_ms\": 200}}",
	    "Probe Show", show_id, titles, &episode_id);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return th_rmdir(tmp);
}

static int suite_init(void)
{
	return th_init_or_clean(setup, suite_clean);
}

/* ---- helpers ------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static long long file_size(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	struct stat st;
	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* A new clip with `name` from tmp uploaded as its raw_clip; id into out. */
static bool clip_with(const char *name, const char *ctype, char *out)
{
	if (!th_create(&srv, "/api/v1/clips",
		       "{\"talent_source\":\"Lala\",\"file_reference\":"
		       "\"raw/pending\"}",
		       "clip_id", out))
		return false;
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	return th_upload_file(&srv, "clip", out, "raw_clip", path, ctype,
			      NULL) == 200;
}

/* GET path's data as a new reference, or NULL (the answer printed). */
static json_t *get_data(const char *path)
{
	th_resp r;
	if (th_req(&srv, "GET", path, NULL, NULL, &r))
		return NULL;
	json_t *d = r.status == 200
			? json_incref(json_object_get(r.json, "data"))
			: NULL;
	if (!d)
		fprintf(stderr, "GET %s: %ld %s\n", path, r.status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return d;
}

static json_t *entity(const char *plural, const char *id)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/%s/%s", plural, id);
	return get_data(path);
}

/* The stored probe result (GET /api/v1/probe/...), a new reference. */
static json_t *probe_of(const char *type, const char *id)
{
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/probe/%s/%s", type, id);
	json_t *d = get_data(path);
	json_t *r = json_incref(json_object_get(d, "result"));
	json_decref(d);
	return r;
}

/* The entity's probe job's row: status, attempts, last_error. */
static bool probe_job(const char *id, char *status, long *attempts, char *err,
		      size_t errlen)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT status FROM jobs WHERE kind = 'probe' AND entity_id = "
		 "'%s'",
		 id);
	if (th_sql_text(&srv, sql, status, 32))
		return false;
	snprintf(sql, sizeof(sql),
		 "SELECT attempts FROM jobs WHERE kind = 'probe' AND "
		 "entity_id = '%s'",
		 id);
	*attempts = th_sql_long(&srv, sql);
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(last_error, '') FROM jobs WHERE kind = "
		 "'probe' AND entity_id = '%s'",
		 id);
	return th_sql_text(&srv, sql, err, errlen) == 0;
}

/* ---- tests --------------------------------------------------------------- */

static char c23[64], c25[64], c29[64], m2[64], ts[64], tall[64], rot[64];
static char comp[64], trunc_[64], text[64], liar[64];

/* Everything is uploaded first and probed by the two workers together. */
static void test_upload_all(void)
{
	CU_ASSERT_FATAL(clip_with("c23.mov", "video/quicktime", c23));
	CU_ASSERT_FATAL(clip_with("c25.mov", "video/quicktime", c25));
	CU_ASSERT_FATAL(clip_with("c29.mp4", "video/mp4", c29));
	CU_ASSERT_FATAL(clip_with("m2.mov", "video/quicktime", m2));
	CU_ASSERT_FATAL(clip_with("m2.ts", "video/mp2t", ts));
	CU_ASSERT_FATAL(clip_with("tall.mp4", "video/mp4", tall));
	CU_ASSERT_FATAL(clip_with("rot.mov", "video/quicktime", rot));
	CU_ASSERT_FATAL(clip_with("trunc.mp4", "video/mp4", trunc_));
	CU_ASSERT_FATAL(clip_with("text.mp4", "video/mp4", text));
	CU_ASSERT_FATAL(clip_with("liar.mkv", "video/x-matroska", liar));
	char path[256], body[300];
	snprintf(path, sizeof(path), "/api/v1/episodes/%s/components",
		 episode_id);
	snprintf(body, sizeof(body),
		 "{\"component_type\":\"audio\",\"file_reference\":\"audio/"
		 "x\",\"metadata\":{\"mix\":\"final\"}}");
	CU_ASSERT_FATAL(th_create(&srv, path, body, "component_id", comp));
	snprintf(path, sizeof(path), "%s/a.m4a", tmp);
	CU_ASSERT_FATAL(th_upload_file(&srv, "component", comp, "audio", path,
				       "audio/mp4", NULL) == 200);
	snprintf(path, sizeof(path), "%s/trailer.mp4", tmp);
	CU_ASSERT_FATAL(th_upload_file(&srv, "episode", episode_id, "trailer",
				       path, "video/mp4", NULL) == 200);
	CU_ASSERT_FATAL(th_wait_jobs(&srv, NULL, 60000));
}

/* One clip's figures: the entity's fields and the stored result. */
static void expect_clip(const char *id, const char *name, const char *container,
			long long secs, long long dur_us, const char *tc_in,
			const char *tc_out, bool drop, const char *source,
			int num, int den, double fps, long long frames)
{
	json_t *c = entity("clips", id);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(jint(c, "duration_seconds"), secs);
	CU_ASSERT_STRING_EQUAL(jstr(c, "timecode_in") ?: "", tc_in);
	CU_ASSERT_STRING_EQUAL(jstr(c, "timecode_out") ?: "", tc_out);
	CU_ASSERT_EQUAL(jint(c, "file_size_bytes"), file_size(name));
	json_decref(c);
	json_t *r = probe_of("clip", id);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_STRING_EQUAL(jstr(r, "container") ?: "", container);
	CU_ASSERT_EQUAL(jint(r, "duration_us"), dur_us);
	CU_ASSERT_EQUAL(jint(r, "frames"), frames);
	CU_ASSERT_EQUAL(jint(r, "file_size_bytes"), file_size(name));
	json_t *fr = json_object_get(r, "frame_rate");
	CU_ASSERT_EQUAL(jint(fr, "num"), num);
	CU_ASSERT_EQUAL(jint(fr, "den"), den);
	CU_ASSERT(fabs(json_number_value(json_object_get(fr, "fps")) - fps) <
		  1e-9);
	json_t *tc = json_object_get(r, "timecode");
	CU_ASSERT_STRING_EQUAL(jstr(tc, "in") ?: "", tc_in);
	CU_ASSERT_STRING_EQUAL(jstr(tc, "out") ?: "", tc_out);
	CU_ASSERT_STRING_EQUAL(jstr(tc, "source") ?: "", source);
	CU_ASSERT(json_is_true(json_object_get(tc, "drop_frame")) == drop);
	json_t *res = json_object_get(r, "resolution");
	CU_ASSERT_EQUAL(jint(res, "width"), 320);
	CU_ASSERT_EQUAL(jint(res, "height"), 240);
	json_decref(r);
}

#define MOV "mov,mp4,m4a,3gp,3g2,mj2"

static void test_timecodes(void)
{
	expect_clip(c23, "c23.mov", MOV, 10, 10010000, "01:00:00:00",
		    "01:00:10:00", false, "stream", 24000, 1001, 23.976, 240);
	expect_clip(c25, "c25.mov", MOV, 10, 10480000, "10:00:00:00",
		    "10:00:10:12", false, "stream", 25, 1, 25.0, 262);
	/* 13.346666... s, to the microsecond */
	expect_clip(c29, "c29.mp4", MOV, 13, 13346667, "01:00:59;28",
		    "01:01:13;10", true, "stream", 30000, 1001, 29.97, 400);
	/* 50 * 1001/30000 = 1.668333 s (QuickTime's movie header says 1.669:
	 * it counts milliseconds; the track's own time base is exact) */
	expect_clip(m2, "m2.mov", MOV, 2, 1668333, "00:09:59;28", "00:10:01;18",
		    true, "gop header", 30000, 1001, 29.97, 50);
	expect_clip(ts, "m2.ts", "mpegts", 2, 2000000, "09:59:59:20",
		    "10:00:01:20", false, "gop header", 25, 1, 25.0, 50);

	/* codecs, audio and the whole result on the clip with sound */
	json_t *r = probe_of("clip", c25);
	CU_ASSERT_EQUAL(jint(r, "audio_channels"), 2);
	CU_ASSERT_EQUAL(jint(r, "sample_rate"), 48000);
	json_t *codecs = json_object_get(r, "codecs");
	CU_ASSERT_EQUAL(json_array_size(codecs), 2);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_array_get(codecs, 0)) ?: "", "h264");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_array_get(codecs, 1)) ?: "", "pcm_s16le");
	CU_ASSERT(json_array_size(json_object_get(r, "streams")) >= 2);
	json_decref(r);
	r = probe_of("clip", m2);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_array_get(json_object_get(r, "codecs"), 0))
		?: "",
	    "mpeg2video");
	json_decref(r);
}

static void test_portrait(void)
{
	const char *ids[2] = {tall, rot};
	for (int i = 0; i < 2; i++) {
		json_t *r = probe_of("clip", ids[i]);
		CU_ASSERT_FATAL(r != NULL);
		json_t *res = json_object_get(r, "resolution");
		CU_ASSERT_EQUAL(jint(res, "width"), 180);
		CU_ASSERT_EQUAL(jint(res, "height"), 320);
		CU_ASSERT(json_is_null(json_object_get(r, "timecode")));
		json_decref(r);
		json_t *c = entity("clips", ids[i]);
		CU_ASSERT_EQUAL(jint(c, "duration_seconds"), 1);
		/* no timecode in the file: the fields are left alone */
		CU_ASSERT(json_is_null(json_object_get(c, "timecode_in")));
		json_decref(c);
	}
	/* stored landscape, turned by the matrix: the angle as ffprobe
	 * reports it (counterclockwise), in 0..359 */
	char out[64];
	char file[256];
	snprintf(file, sizeof(file), "%s/rot.mov", tmp);
	char *argv[] = {"/usr/bin/ffprobe",
			"-v",
			"error",
			"-select_streams",
			"v:0",
			"-show_entries",
			"stream_side_data=rotation",
			"-of",
			"csv=p=0",
			file,
			NULL};
	CU_ASSERT_FATAL(th_run(argv, out, sizeof(out)) == 0);
	int want = ((atoi(out) % 360) + 360) % 360;
	CU_ASSERT(want == 90 || want == 270);
	json_t *r = probe_of("clip", rot);
	json_t *v = json_array_get(json_object_get(r, "streams"), 0);
	CU_ASSERT_EQUAL(jint(v, "width"), 320);
	CU_ASSERT_EQUAL(jint(v, "height"), 180);
	CU_ASSERT_EQUAL(jint(v, "rotation"), want);
	json_decref(r);
}

/* A component's audio and an episode's trailer: the fields each has. */
static void test_audio_and_trailer(void)
{
	json_t *c = entity("components", comp);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(jint(c, "duration_seconds"), 3);
	CU_ASSERT_EQUAL(jint(c, "file_size_bytes"), file_size("a.m4a"));
	json_t *meta = json_object_get(c, "metadata");
	CU_ASSERT_STRING_EQUAL(jstr(meta, "mix") ?: "", "final");
	json_t *p = json_object_get(meta, "probe");
	CU_ASSERT_EQUAL(jint(p, "audio_channels"), 2);
	CU_ASSERT_EQUAL(jint(p, "sample_rate"), 48000);
	CU_ASSERT_EQUAL(jint(p, "duration_us"), 3000000);
	CU_ASSERT(json_is_null(json_object_get(p, "resolution")));
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_array_get(json_object_get(p, "codecs"), 0))
		?: "",
	    "aac");
	json_decref(c);

	/* the trailer is probed, but it is not the episode: the episode's
	 * own duration stays unset */
	c = entity("episodes", episode_id);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT(json_is_null(json_object_get(c, "duration_seconds")));
	p = json_object_get(json_object_get(c, "metadata"), "probe");
	CU_ASSERT_EQUAL(jint(p, "duration_us"), 5000000);
	CU_ASSERT_EQUAL(jint(p, "frames"), 125);
	json_decref(c);
	char path[200];
	snprintf(path, sizeof(path),
		 "/api/v1/probe/episode/%s?field=trailer_reference",
		 episode_id);
	json_t *d = get_data(path);
	CU_ASSERT_STRING_EQUAL(jstr(d, "field") ?: "", "trailer_reference");
	json_decref(d);
	/* the probe's changes are audited under its name */
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "user_email = 'probe' AND field_name = 'duration_seconds'",
		 comp);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
}

static void test_bad_media_dead_once(void)
{
	char st[32], err[512];
	long attempts;
	CU_ASSERT_FATAL(probe_job(trunc_, st, &attempts, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(st, "dead");
	CU_ASSERT_EQUAL(attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "moov atom not found"));
	CU_ASSERT_FATAL(probe_job(text, st, &attempts, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(st, "dead");
	CU_ASSERT_EQUAL(attempts, 1);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "not a media file this probe can read"));
	/* nothing was written for them; the rest of slated is fine */
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/probe/clip/%s", text);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityId"));
	json_t *c = entity("clips", trunc_);
	CU_ASSERT(json_is_null(json_object_get(c, "duration_seconds")));
	json_decref(c);
	CU_ASSERT_EQUAL(th_status(&srv, "GET", "/health", NULL), 200);
	CU_ASSERT(th_alive(&srv));
	/* their hash jobs, earlier in the chain, succeeded */
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM jobs WHERE kind = 'hash' AND status = "
		 "'succeeded' AND entity_id = '%s'",
		 text);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
}

/* Figures the entity refuses (a duration out of its field's range) leave
 * its fields alone; the result is still kept and served, and the job is
 * done: retrying could not change the answer. */
static void test_refused_figures(void)
{
	char st[32], err[512];
	long attempts;
	CU_ASSERT_FATAL(probe_job(liar, st, &attempts, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(st, "succeeded");
	CU_ASSERT_EQUAL(attempts, 1);
	json_t *c = entity("clips", liar);
	CU_ASSERT(json_is_null(json_object_get(c, "duration_seconds")));
	json_decref(c);
	json_t *r = probe_of("clip", liar);
	CU_ASSERT_EQUAL(jint(r, "duration_us"), 2000000000000LL);
	json_decref(r);
	char cmd[400], out[64];
	snprintf(cmd, sizeof(cmd), "grep -c 'kept its fields' '%s'",
		 srv.log_path);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	CU_ASSERT(th_run(argv, out, sizeof(out)) == 0 && atoi(out) == 1);
}

static void test_route(void)
{
	th_resp r;
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/probe/clip/%s", c23);
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_viewer, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *d = json_object_get(r.json, "data");
	CU_ASSERT_STRING_EQUAL(jstr(d, "entity_id") ?: "", c23);
	CU_ASSERT_STRING_EQUAL(jstr(d, "field") ?: "", "file_reference");
	/* the exact figure as written, not 10.009999999999999 */
	CU_ASSERT(strstr(r.body, "\"duration_seconds\": 10.01,") ||
		  strstr(r.body, "\"duration_seconds\":10.01,"));
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req_as(&srv, NULL, "GET", path, NULL, NULL, &r) ==
			0);
	CU_ASSERT_EQUAL(r.status, 401);
	th_resp_free(&r);
	CU_ASSERT(th_expect_error(&srv, "GET", "/api/v1/probe/clip/" NO_ID,
				  NULL, 404, "NOT_FOUND", "entityId"));
	CU_ASSERT(th_expect_error(&srv, "GET", "/api/v1/probe/nosuch/" NO_ID,
				  NULL, 404, "NOT_FOUND", "entityType"));
	CU_ASSERT(th_expect_error(&srv, "GET", "/api/v1/probe/clip/12", NULL,
				  400, "VALIDATION_ERROR", "entityId"));
	snprintf(path, sizeof(path), "/api/v1/probe/clip/%s?field=nosuch", c23);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 400,
				  "VALIDATION_ERROR", "field"));
	/* a deleted clip's result is gone with it */
	snprintf(path, sizeof(path), "/api/v1/clips/%s", tall);
	CU_ASSERT_EQUAL(th_status(&srv, "DELETE", path, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/probe/clip/%s", tall);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityId"));
}

int main(void)
{
	const th_test tests[] = {
	    {"upload the media", test_upload_all},
	    {"timecodes at 23.976, 25, 29.97 DF, MPEG-2 GOP", test_timecodes},
	    {"portrait video", test_portrait},
	    {"component audio, episode trailer", test_audio_and_trailer},
	    {"truncated and non-media files: dead after one attempt",
	     test_bad_media_dead_once},
	    {"figures the entity refuses", test_refused_figures},
	    {"GET /api/v1/probe", test_route},
	    {NULL, NULL},
	};
	return th_main("probe", suite_init, suite_clean, tests);
}
