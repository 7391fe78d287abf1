/*
 * test_thumbnails.c - the thumbnails plugin over real HTTP against a real
 * slated with one job worker, on media made here by the vips and ffmpeg
 * commands: a 6000x4000 JPEG, a PNG with alpha, an SVG, a 1080p clip whose
 * first second is black, portrait clips (native and by display matrix), a
 * text file named .jpg, a decompression-bomb PNG and a truncated PNG. Sizes are
 * checked in the rows and in the downloaded JPEGs (decoded by vipsheader),
 * pixels by `vips avg`; bad files end dead after one attempt with their reason
 * while slated keeps serving; bad requests get the envelope and change nothing.
 */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define NO_ID "00000000-0000-4000-8000-000000000000"

static th_server srv;
static char media[300]; /* where the media files are made */

/* Entities, one per source. */
static char outfit_jpeg[64], outfit_text[64], bg_png[64], bg_bomb[64],
    bg_truncated[64], ui_svg[64], clip_black[64], clip_portrait[64],
    clip_rotated[64], clip_nofile[64];

/* Run a shell command line; true when it exited 0 (its output printed
 * otherwise). */
static bool sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool sh(const char *fmt, ...)
{
	char cmd[2048], out[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	int st = th_run(argv, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "test: '%s' exited %d: %s\n", cmd, st, out);
	return st == 0;
}

/* The standard output of a command as a number, or -1. */
static double sh_number(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static double sh_number(const char *fmt, ...)
{
	char cmd[2048], out[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	if (th_run(argv, out, sizeof(out)) != 0)
		return -1;
	char *end;
	double v = strtod(out, &end);
	return end == out ? -1 : v;
}

/* Make every source file in `media`. */
static int make_media(void)
{
	const char *ff = "ffmpeg -nostdin -v error -y";
	bool ok =
	    /* 24 megapixels */
	    sh("%s -f lavfi -i testsrc2=s=6000x4000 -frames:v 1 -q:v 4 "
	       "%s/photo.jpg",
	       ff, media) &&
	    /* left half opaque blue, right half fully transparent red */
	    sh("cd %s && vips black b.v 400 600 --bands 3 && vips linear b.v "
	       "blue.v '1 1 1' '0 0 255' --uchar && vips bandjoin_const "
	       "blue.v blueA.v 255 && vips linear b.v red.v '1 1 1' "
	       "'255 0 0' --uchar && vips bandjoin_const red.v redA.v 0 && "
	       "vips arrayjoin 'blueA.v redA.v' alpha.png --across 2 && "
	       "rm -f ./*.v && head -c 2000 alpha.png > truncated.png",
	       media) &&
	    /* 1080p, 5 s, the first second black */
	    sh("%s -f lavfi -i testsrc2=s=1920x1080:r=25:d=5 -vf "
	       "\"drawbox=c=black:t=fill:enable='lt(t,1)'\" -c:v libx264 "
	       "-preset ultrafast -pix_fmt yuv420p %s/black-start.mp4",
	       ff, media) &&
	    sh("%s -f lavfi -i testsrc2=s=720x1280:r=25:d=2 -c:v libx264 "
	       "-preset ultrafast -pix_fmt yuv420p %s/portrait.mp4",
	       ff, media) &&
	    /* landscape pixels shown portrait by the display matrix */
	    sh("%s -f lavfi -i testsrc2=s=1280x720:r=25:d=2 -c:v libx264 "
	       "-preset ultrafast -pix_fmt yuv420p %s/land.mp4 && %s -i "
	       "%s/land.mp4 -c copy -metadata:s:v:0 rotate=90 "
	       "%s/rotated.mp4",
	       ff, media, ff, media, media) &&
	    sh("printf 'this is not a picture\\n' > %s/notes.jpg", media) &&
	    /* 400 megapixels, 380 KB on disk */
	    sh("vips black %s/bomb.png 20000 20000", media);
	if (!ok)
		return -1;
	char path[400];
	snprintf(path, sizeof(path), "%s/logo.svg", media);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" "
	      "height=\"300\"><rect width=\"400\" height=\"300\" "
	      "fill=\"#3060c0\"/><circle cx=\"200\" cy=\"150\" r=\"100\" "
	      "fill=\"#f0c000\"/></svg>\n",
	      f);
	return fclose(f) ? -1 : 0;
}

static bool new_entity(const char *path, const char *body, const char *key,
		       char *out)
{
	return th_create(&srv, path, body, key, out);
}

static int make_entities(void)
{
	return new_entity("/api/v1/outfits", "{\"outfit_name\":\"Gala\"}",
			  "outfit_id", outfit_jpeg) &&
		       new_entity("/api/v1/outfits",
				  "{\"outfit_name\":\"Notes\"}", "outfit_id",
				  outfit_text) &&
		       new_entity("/api/v1/backgrounds",
				  "{\"background_name\":\"Studio\","
				  "\"background_type\":\"studio\","
				  "\"file_reference\":\"backgrounds/x.png\"}",
				  "background_id", bg_png) &&
		       new_entity("/api/v1/backgrounds",
				  "{\"background_name\":\"Bomb\","
				  "\"background_type\":\"studio\","
				  "\"file_reference\":\"backgrounds/y.png\"}",
				  "background_id", bg_bomb) &&
		       new_entity("/api/v1/backgrounds",
				  "{\"background_name\":\"Cut\","
				  "\"background_type\":\"studio\","
				  "\"file_reference\":\"backgrounds/z.png\"}",
				  "background_id", bg_truncated) &&
		       new_entity("/api/v1/ui-elements",
				  "{\"element_name\":\"Logo\","
				  "\"element_type\":\"logo\","
				  "\"file_reference\":\"ui/logo.svg\"}",
				  "ui_element_id", ui_svg) &&
		       new_entity("/api/v1/clips",
				  "{\"talent_source\":\"Lala\","
				  "\"file_reference\":\"raw/a.mp4\"}",
				  "clip_id", clip_black) &&
		       new_entity("/api/v1/clips",
				  "{\"talent_source\":\"Lala\","
				  "\"file_reference\":\"raw/b.mp4\"}",
				  "clip_id", clip_portrait) &&
		       new_entity("/api/v1/clips",
				  "{\"talent_source\":\"Guest\","
				  "\"file_reference\":\"raw/c.mp4\"}",
				  "clip_id", clip_rotated) &&
		       new_entity("/api/v1/clips",
				  "{\"talent_source\":\"Guest\","
				  "\"file_reference\":\"raw/d.mp4\"}",
				  "clip_id", clip_nofile)
		   ? 0
		   : -1;
}

/* Upload every source; the pipeline queues the thumbnail jobs. */
static int upload_all(void)
{
	static const struct {
		const char *etype;
		char *id;
		const char *kind, *file, *ctype;
	} up[] = {
	    {"outfit", outfit_jpeg, "image", "photo.jpg", "image/jpeg"},
	    {"outfit", outfit_text, "image", "notes.jpg", "image/jpeg"},
	    {"background", bg_png, "image", "alpha.png", "image/png"},
	    {"background", bg_bomb, "image", "bomb.png", "image/png"},
	    {"background", bg_truncated, "image", "truncated.png", "image/png"},
	    {"ui_element", ui_svg, "ui_element", "logo.svg", "image/svg+xml"},
	    {"clip", clip_black, "raw_clip", "black-start.mp4", "video/mp4"},
	    {"clip", clip_portrait, "raw_clip", "portrait.mp4", "video/mp4"},
	    {"clip", clip_rotated, "raw_clip", "rotated.mp4", "video/mp4"},
	};
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		char path[400];
		snprintf(path, sizeof(path), "%s/%s", media, up[i].file);
		if (th_upload_file(&srv, up[i].etype, up[i].id, up[i].kind,
				   path, up[i].ctype, NULL) != 200)
			return -1;
	}
	/* a video job is well under a second; 60 s is for a loaded CI */
	return th_wait_jobs(&srv, NULL, 60000) ? 0 : -1;
}

static int suite_init(void)
{
	snprintf(media, sizeof(media), "/tmp/slate-thumbs-XXXXXX");
	if (!mkdtemp(media) || make_media())
		return -1;
	if (th_start(&srv, "{\"jobs\": {\"workers\": 1}, \"plugins\": {"
			   "\"thumbnails\": {\"enabled\": true}, "
			   "\"clips\": {\"enabled\": true}, "
			   "\"outfits\": {\"enabled\": true}, "
			   "\"backgrounds\": {\"enabled\": true}, "
			   "\"ui-elements\": {\"enabled\": true}}}"))
		return -1;
	return make_entities() || upload_all() ? -1 : 0;
}

static int suite_clean(void)
{
	th_stop(&srv);
	if (!getenv("SLATE_TEST_KEEP"))
		sh("rm -rf %s", media);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static size_t to_file(char *p, size_t sz, size_t n, void *ud)
{
	return fwrite(p, sz, n, ud);
}

/* GET `path` into the file `out` with the admin token; the HTTP status
 * (-1 when no answer) and the Content-Type into ctype (64 bytes). */
static long download(const char *path, const char *out, char *ctype)
{
	FILE *f = fopen(out, "wb");
	if (!f)
		return -1;
	CURL *c = curl_easy_init();
	char url[512], auth[1100];
	snprintf(url, sizeof(url), "%s%s", srv.base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", srv.token);
	struct curl_slist *h = curl_slist_append(NULL, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	long st = -1;
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		char *ct = NULL;
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		snprintf(ctype, 64, "%s", ct ? ct : "");
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	fclose(f);
	return st;
}

/* The row of one size as "status width height bytes", or "" when none. */
static void row_of(const char *etype, const char *id, const char *size,
		   char *out, size_t len)
{
	char sql[400];
	snprintf(sql, sizeof(sql),
		 "SELECT status || ' ' || width || ' ' || height || ' ' || "
		 "coalesce(file_size_bytes, -1) FROM thumbnails WHERE "
		 "entity_type = '%s' AND entity_id = '%s' AND size_variant = "
		 "'%s'",
		 etype, id, size);
	if (th_sql_text(&srv, sql, out, len))
		out[0] = '\0';
}

/* Check that the entity has the three sizes, completed, with exactly these
 * figures in its rows and in the JPEGs served; the primary's path in
 * primary_out (when not NULL) for pixel checks. */
static void expect_sizes(const char *etype, const char *id, const int wh[6],
			 char *primary_out)
{
	static const char *const sizes[] = {"primary", "medium", "small"};
	for (int i = 0; i < 3; i++) {
		char path[256], file[400], ctype[64], row[128], want[128];
		snprintf(path, sizeof(path), "/api/v1/thumbnails/%s/%s/%s",
			 etype, id, sizes[i]);
		snprintf(file, sizeof(file), "%s/%s-%s.jpg", media, id,
			 sizes[i]);
		CU_ASSERT_EQUAL(download(path, file, ctype), 200);
		CU_ASSERT_STRING_EQUAL(ctype, "image/jpeg");
		double w = sh_number("vipsheader -f width %s", file);
		double h = sh_number("vipsheader -f height %s", file);
		double bytes = sh_number("stat -c %%s %s", file);
		CU_ASSERT_EQUAL((int)w, wh[2 * i]);
		CU_ASSERT_EQUAL((int)h, wh[2 * i + 1]);
		row_of(etype, id, sizes[i], row, sizeof(row));
		snprintf(want, sizeof(want), "completed %d %d %.0f", wh[2 * i],
			 wh[2 * i + 1], bytes);
		CU_ASSERT_STRING_EQUAL(row, want);
		if (i == 0 && primary_out)
			snprintf(primary_out, 400, "%s", file);
	}
}

/* The thumbnail job of an entity as "status:attempts:last_error". */
static void job_of(const char *id, char *out, size_t len)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT string_agg(status || ':' || attempts || ':' || "
		 "coalesce(last_error, ''), ' | ') FROM jobs WHERE entity_id = "
		 "'%s' AND kind = 'thumbnail'",
		 id);
	if (th_sql_text(&srv, sql, out, len))
		out[0] = '\0';
}

static void expect_reference(const char *collection, const char *id,
			     const char *plural)
{
	char path[256], want[256];
	snprintf(path, sizeof(path), "/api/v1/%s/%s", collection, id);
	snprintf(want, sizeof(want), "%s/%s/primary.jpg", plural, id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "thumbnail_reference") ?: "",
			       want);
	th_resp_free(&r);
}

/* ---- images ----------------------------------------------------------- */

static void test_jpeg(void)
{
	/* 6000x4000 fits 1280x720 at 1080x720; the others are fits of it */
	static const int wh[6] = {1080, 720, 540, 360, 270, 180};
	expect_sizes("outfit", outfit_jpeg, wh, NULL);
	char st[512], sql[400];
	job_of(outfit_jpeg, st, sizeof(st));
	CU_ASSERT_STRING_EQUAL(st, "succeeded:1:");
	/* the seed's layout, the source recorded, one audit row */
	snprintf(sql, sizeof(sql),
		 "SELECT string_agg(file_reference || ' ' || source_type, ',' "
		 "ORDER BY width DESC) FROM thumbnails WHERE entity_id = '%s'",
		 outfit_jpeg);
	char want[600];
	snprintf(want, sizeof(want),
		 "outfits/%s/primary.jpg image,outfits/%s/medium.jpg image,"
		 "outfits/%s/small.jpg image",
		 outfit_jpeg, outfit_jpeg, outfit_jpeg);
	CU_ASSERT_EQUAL(th_sql_text(&srv, sql, st, sizeof(st)), 0);
	CU_ASSERT_STRING_EQUAL(st, want);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'thumbnails' AND user_email = 'thumbnails' AND "
		 "new_value LIKE 'primary 1080x720 completed%%'",
		 outfit_jpeg);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* the list route */
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/thumbnails/outfit/%s",
		 outfit_jpeg);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *rows = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(rows), 3);
	json_t *first = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(first, "size_variant")) ?: "",
	    "primary");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "width")),
			1080);
	th_resp_free(&r);
}

static void test_png_alpha(void)
{
	/* 800x600 is inside the box: never enlarged */
	static const int wh[6] = {800, 600, 480, 360, 240, 180};
	char primary[400];
	expect_sizes("background", bg_png, wh, primary);
	/* half blue, half transparent flattened onto white: the mean of
	 * (0,0,255) and (255,255,255) is 170 (dropping alpha would show
	 * the red, 85; flattening onto black, 42.5) */
	double avg = sh_number("vips avg %s", primary);
	CU_ASSERT(avg > 160 && avg < 180);
	if (!(avg > 160 && avg < 180))
		fprintf(stderr, "alpha PNG thumbnail mean %.1f\n", avg);
	expect_reference("backgrounds", bg_png, "backgrounds");
	/* the core's download of thumbnail_reference serves the same bytes */
	char path[256], file[400], ctype[64];
	snprintf(path, sizeof(path),
		 "/api/v1/files/background/%s?field=thumbnail_reference",
		 bg_png);
	snprintf(file, sizeof(file), "%s/via-files.jpg", media);
	CU_ASSERT_EQUAL(download(path, file, ctype), 200);
	CU_ASSERT(sh("cmp -s %s %s", file, primary));
}

static void test_svg(void)
{
	/* vector art is rendered to fill the box: 400x300 becomes 960x720 */
	static const int wh[6] = {960, 720, 480, 360, 240, 180};
	char primary[400];
	expect_sizes("ui_element", ui_svg, wh, primary);
	/* blue and yellow, not blank */
	double avg = sh_number("vips avg %s", primary);
	CU_ASSERT(avg > 60 && avg < 200);
	expect_reference("ui-elements", ui_svg, "ui-elements");
}

/* ---- video ------------------------------------------------------------ */

static void test_clip_black_start(void)
{
	static const int wh[6] = {1280, 720, 640, 360, 320, 180};
	char primary[400];
	expect_sizes("clip", clip_black, wh, primary);
	/* testsrc2's colour bars, not the black first second (mean ~0) */
	double avg = sh_number("vips avg %s", primary);
	CU_ASSERT(avg > 60);
	if (!(avg > 60))
		fprintf(stderr, "clip thumbnail mean %.1f\n", avg);
	/* the frame's time is in the source reference, after the black */
	char sql[300], ref[1200];
	snprintf(sql, sizeof(sql),
		 "SELECT source_type || ' ' || split_part(source_reference, "
		 "'#t=', 2) FROM thumbnails WHERE entity_id = '%s' AND "
		 "size_variant = 'primary'",
		 clip_black);
	CU_ASSERT_EQUAL(th_sql_text(&srv, sql, ref, sizeof(ref)), 0);
	CU_ASSERT_NSTRING_EQUAL(ref, "video ", 6);
	CU_ASSERT(strtod(ref + 6, NULL) >= 1.0);
	expect_reference("clips", clip_black, "clips");
}

static void test_portrait_clips(void)
{
	/* 720x1280 fits at 405x720; 202.5 and 101.25 round to 203, 101 */
	static const int wh[6] = {405, 720, 203, 360, 101, 180};
	expect_sizes("clip", clip_portrait, wh, NULL);
	/* 1280x720 pixels with a 90-degree display matrix: shown upright */
	expect_sizes("clip", clip_rotated, wh, NULL);
}

/* ---- bad files -------------------------------------------------------- */

/* The entity's rows are all failed, naming `reason`, and its job is dead
 * after one attempt with the same reason; slated still serves. */
static void expect_rejected(const char *etype, const char *id,
			    const char *reason)
{
	char sql[400], st[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM thumbnails WHERE entity_id = '%s' AND "
		 "status = 'failed' AND error_message LIKE '%%%s%%'",
		 id, reason);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 3);
	job_of(id, st, sizeof(st));
	CU_ASSERT_NSTRING_EQUAL(st, "dead:1:", 7);
	CU_ASSERT_PTR_NOT_NULL(strstr(st, reason));
	if (!strstr(st, reason))
		fprintf(stderr, "job: %s\n", st);
	/* no image, and the reason on the 404 */
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/thumbnails/%s/%s/small", etype,
		 id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body ?: "", reason));
	th_resp_free(&r);
	CU_ASSERT(th_alive(&srv));
	CU_ASSERT_EQUAL(th_status(&srv, "GET", "/health", NULL), 200);
}

static void test_text_named_jpg(void)
{
	expect_rejected("outfit", outfit_text, "not a JPEG, PNG or WebP image");
}

static void test_bomb(void)
{
	expect_rejected("background", bg_bomb,
			"20000x20000 is 400.0 megapixels");
	/* refused on its header: the bomb never reached the thumbnails */
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM thumbnails WHERE entity_id = '%s' AND "
		 "width > 0",
		 bg_bomb);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 0);
}

static void test_truncated_png(void)
{
	/* libvips 8.14 only warns about it; the plugin refuses it */
	expect_rejected("background", bg_truncated,
			"PNG decoding failed: not enough data");
}

/* ---- endpoints -------------------------------------------------------- */

static void test_regenerate(void)
{
	char body[200], path[200], st[512];
	long audits = th_sql_long(&srv, "SELECT count(*) FROM audit_log WHERE "
					"action = 'thumbnails'");
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"clip\",\"entity_id\":\"%s\"}", clip_black);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "POST", "/api/v1/thumbnails/generate",
			       body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 202);
	json_t *data = json_object_get(r.json, "data");
	json_t *job = json_object_get(data, "job");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(job, "status")) ?: "", "queued");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(data, "thumbnails")),
			3);
	/* pending, but the previous images are still served meanwhile */
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(data, "thumbnails"), 0),
		"status"))
		?: "",
	    "pending");
	char jid[64];
	snprintf(jid, sizeof(jid), "%s",
		 json_string_value(json_object_get(job, "job_id")) ?: "");
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_wait_jobs(&srv, clip_black, 30000));
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT status || ':' || attempts FROM jobs WHERE job_id = "
		 "'%s'",
		 jid);
	CU_ASSERT_EQUAL(th_sql_text(&srv, sql, st, sizeof(st)), 0);
	CU_ASSERT_STRING_EQUAL(st, "succeeded:1");
	/* the same figures again: idempotent */
	static const int wh[6] = {1280, 720, 640, 360, 320, 180};
	expect_sizes("clip", clip_black, wh, NULL);
	/* the regenerate route, by the editor; completed -> pending ->
	 * completed is audited both ways */
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s/regenerate",
		 clip_black);
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_editor, "POST", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 202);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_wait_jobs(&srv, clip_black, 30000));
	expect_sizes("clip", clip_black, wh, NULL);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log "
					  "WHERE action = 'thumbnails'"),
			audits + 4);
	/* a viewer reads but does not generate */
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s", clip_black);
	CU_ASSERT_FATAL(
	    th_req_as(&srv, srv.tok_viewer, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req_as(&srv, srv.tok_viewer, "POST",
				  "/api/v1/thumbnails/generate", body, NULL,
				  &r) == 0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
}

/* Everything a thumbnails request could change. */
static long fingerprint(void)
{
	long core = th_fingerprint(&srv);
	long rest = th_sql_long(
	    &srv, "SELECT (SELECT count(*) FROM jobs) * 1000003 + "
		  "coalesce((SELECT sum(hashtext(t::text)) FROM thumbnails "
		  "t), 0)");
	return core == -1 || rest == -1 ? -1 : core * 31 + rest;
}

static void test_bad_requests(void)
{
	char body[300], path[300];
	long before = fingerprint();
	CU_ASSERT_FATAL(before != -1);
	const char *gen = "/api/v1/thumbnails/generate";
	/* unknown entity type, in the body and in the path */
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"show\",\"entity_id\":\"%s\"}", clip_black);
	CU_ASSERT(th_expect_error(&srv, "POST", gen, body, 400,
				  "VALIDATION_ERROR", "entity_type"));
	snprintf(path, sizeof(path), "/api/v1/thumbnails/show/%s", NO_ID);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityType"));
	snprintf(path, sizeof(path), "/api/v1/thumbnails/guest/%s/primary",
		 NO_ID);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityType"));
	/* bad uuids */
	CU_ASSERT(th_expect_error(
	    &srv, "POST", gen,
	    "{\"entity_type\":\"clip\",\"entity_id\":\"not-a-uuid\"}", 400,
	    "VALIDATION_ERROR", "entity_id"));
	CU_ASSERT(th_expect_error(&srv, "GET", "/api/v1/thumbnails/clip/12345",
				  NULL, 400, "VALIDATION_ERROR", "entityId"));
	CU_ASSERT(th_expect_error(&srv, "POST",
				  "/api/v1/thumbnails/clip/xyz/regenerate",
				  NULL, 400, "VALIDATION_ERROR", "entityId"));
	/* missing or extra body fields */
	CU_ASSERT(th_expect_error(&srv, "POST", gen,
				  "{\"entity_type\":\"clip\"}", 400,
				  "VALIDATION_ERROR", "entity_id"));
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"clip\",\"entity_id\":\"%s\",\"size\":1}",
		 clip_black);
	CU_ASSERT(th_expect_error(&srv, "POST", gen, body, 400, "", "size"));
	/* unknown size */
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s/huge",
		 clip_black);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 400,
				  "VALIDATION_ERROR", "sizeVariant"));
	/* unknown entity */
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"clip\",\"entity_id\":\"%s\"}", NO_ID);
	CU_ASSERT(th_expect_error(&srv, "POST", gen, body, 404, "NOT_FOUND",
				  "entity_id"));
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s", NO_ID);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "entityId"));
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s/regenerate",
		 NO_ID);
	CU_ASSERT(th_expect_error(&srv, "POST", path, NULL, 404, "NOT_FOUND",
				  "entityId"));
	/* an entity with no stored file: 409, nothing queued */
	snprintf(body, sizeof(body),
		 "{\"entity_type\":\"clip\",\"entity_id\":\"%s\"}",
		 clip_nofile);
	CU_ASSERT(
	    th_expect_error(&srv, "POST", gen, body, 409, "CONFLICT", ""));
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s/regenerate",
		 clip_nofile);
	CU_ASSERT(
	    th_expect_error(&srv, "POST", path, NULL, 409, "CONFLICT", ""));
	/* nothing generated for it: an empty list, and no image */
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s", clip_nofile);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 0);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/thumbnails/clip/%s/medium",
		 clip_nofile);
	CU_ASSERT(th_expect_error(&srv, "GET", path, NULL, 404, "NOT_FOUND",
				  "sizeVariant"));
	CU_ASSERT_EQUAL(fingerprint(), before);
}

int main(void)
{
	const th_test tests[] = {
	    {"6000x4000 JPEG", test_jpeg},
	    {"PNG with alpha", test_png_alpha},
	    {"SVG UI element", test_svg},
	    {"clip starting black", test_clip_black_start},
	    {"portrait clips", test_portrait_clips},
	    {"text file named .jpg", test_text_named_jpg},
	    {"decompression bomb", test_bomb},
	    {"truncated PNG", test_truncated_png},
	    {"generate and regenerate", test_regenerate},
	    {"bad requests", test_bad_requests},
	    {NULL, NULL},
	};
	return th_main("thumbnails", suite_init, suite_clean, tests);
}
