/*
 * test_ingest.c - the watch-folder ingest end to end: real slated
 * processes, real inotify on temporary folders, real media files (one small
 * MP4 made by ffmpeg, made distinct by a trailing tag), checked through the
 * API and the database.
 *
 * One server (srv) owns the cluster and watches three folders: "main"
 * (events, copy, a show/episode pattern), "move" (on_ingest move into a
 * done folder) and "poll" (force_polling). Later tests start more slated
 * processes on srv's database (database_url) with one more folder, "shared",
 * for the restart, two-process and kill -9 cases. Every server stores
 * objects in one shared directory, so the last test can check that no
 * object in it lacks a clip.
 *
 * Waits use generous deadlines; nothing asserts a duration.
 */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static th_server srv;
static char root[128];	   /* temp dir holding every folder below */
static char main_dir[200]; /* events, copy, pattern */
static char move_dir[200]; /* events, move into done_dir */
static char done_dir[200];
static char poll_dir[200];   /* force_polling */
static char shared_dir[200]; /* the folder of the multi-process tests */
static char outside[200];    /* same filesystem, not watched */
static char objects[200];    /* the shared primary/thumbnail stores */
static unsigned char *base;  /* a real MP4 */
static size_t base_len;

#define SETTLE_MS 300
#define PLUGINS                                                                \
	"\"clips\": {\"enabled\": true}, \"ingestproc\": {\"enabled\": "       \
	"true}, "

/* ---- helpers ------------------------------------------------------------ */

/* Write the MP4 plus a tag that makes its content distinct. */
static int write_media(const char *path, const char *tag)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	int rc = write(fd, base, base_len) == (ssize_t)base_len &&
			 write(fd, tag, strlen(tag)) == (ssize_t)strlen(tag)
		     ? 0
		     : -1;
	return close(fd) || rc ? -1 : 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	int rc =
	    write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	return close(fd) || rc ? -1 : 0;
}

/* Poll a count until it equals want (or timeout); the last value. */
static long wait_count(th_server *s, const char *sql, long want, int ms)
{
	long v = -1;
	for (int t = 0; t <= ms; t += 50) {
		v = th_sql_long(s, sql);
		if (v == want)
			break;
		usleep(50000);
	}
	return v;
}

/* Live clips whose object key ends with -<suffix>. */
static long clips_named(th_server *s, const char *suffix)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM clips WHERE deleted_at IS NULL AND "
		 "file_reference LIKE '%%-%s'",
		 suffix);
	return th_sql_long(s, sql);
}

static long wait_clips_named(th_server *s, const char *suffix, long want,
			     int ms)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM clips WHERE deleted_at IS NULL AND "
		 "file_reference LIKE '%%-%s'",
		 suffix);
	return wait_count(s, sql, want, ms);
}

/* GET /api/v1/ingest/status; its data (new reference) or NULL. */
static json_t *status_of(th_server *s)
{
	th_resp r;
	if (th_req(s, "GET", "/api/v1/ingest/status", NULL, NULL, &r))
		return NULL;
	json_t *d = r.status == 200
			? json_incref(json_object_get(r.json, "data"))
			: NULL;
	if (!d)
		fprintf(stderr, "status: %ld %s\n", r.status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return d;
}

/* The status entry of folder `path` (borrowed from st). */
static json_t *folder_in(json_t *st, const char *path)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(st, "folders"), i, f)
	{
		if (!strcmp(json_string_value(json_object_get(f, "path")),
			    path))
			return f;
	}
	return NULL;
}

/* Whether list `key` of the status has an entry whose path is `rel`. */
static json_t *listed(json_t *st, const char *key, const char *rel)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(st, key), i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "path")), rel))
			return e;
	}
	return NULL;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* The config of a slated watching `shared_dir` on srv's database. */
static void shared_cfg(char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"database_url\": \"host=%s dbname=slate user=slate\", "
		 "\"storage\": {\"local_dir\": \"%s\"}, \"plugins\": {" PLUGINS
		 "\"ingest\": {\"enabled\": true, \"config\": {\"folders\": "
		 "[{\"path\": \"%s\", \"talent_source\": \"Guest\"}], "
		 "\"settle_ms\": %d, \"lease_s\": 3, \"reconcile_interval_s\": "
		 "1}}}}",
		 th_cluster_dir(&srv), objects, shared_dir, SETTLE_MS);
}

static void sub(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* ---- suite -------------------------------------------------------------- */

static int load_base(void)
{
	char mp4[300];
	snprintf(mp4, sizeof(mp4), "%s/base.mp4", outside);
	char *argv[] = {"/usr/bin/ffmpeg",
			"-v",
			"error",
			"-f",
			"lavfi",
			"-i",
			"testsrc=duration=0.2:size=64x64:rate=10",
			"-pix_fmt",
			"yuv420p",
			"-y",
			mp4,
			NULL};
	char out[512];
	if (th_run(argv, out, sizeof(out)) != 0) {
		fprintf(stderr, "ffmpeg: %s\n", out);
		return -1;
	}
	FILE *fp = fopen(mp4, "rb");
	struct stat st;
	if (!fp || stat(mp4, &st) || !(base = malloc((size_t)st.st_size)) ||
	    fread(base, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
		if (fp)
			fclose(fp);
		return -1;
	}
	fclose(fp);
	base_len = (size_t)st.st_size;
	return 0;
}

static int suite_init(void)
{
	snprintf(root, sizeof(root), "/tmp/slate-ingest-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	sub(main_dir, sizeof(main_dir), root, "main");
	sub(move_dir, sizeof(move_dir), root, "move");
	sub(done_dir, sizeof(done_dir), root, "done");
	sub(poll_dir, sizeof(poll_dir), root, "poll");
	sub(shared_dir, sizeof(shared_dir), root, "shared");
	sub(outside, sizeof(outside), root, "outside");
	sub(objects, sizeof(objects), root, "objects");
	const char *dirs[] = {main_dir, move_dir,   poll_dir,
			      outside,	shared_dir, objects};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755))
			return -1;
	if (load_base())
		return -1;
	/* already there at startup: found by the first scan */
	char p[300];
	sub(p, sizeof(p), main_dir, "early-1.mp4");
	if (write_media(p, "early-1"))
		return -1;
	sub(p, sizeof(p), main_dir, "early-2.mov");
	if (write_media(p, "early-2"))
		return -1;
	char cfg[2048];
	snprintf(
	    cfg, sizeof(cfg),
	    "{\"storage\": {\"local_dir\": \"%s\"}, \"plugins\": {" PLUGINS
	    "\"ingest\": {\"enabled\": true, \"config\": {"
	    "\"settle_ms\": %d, \"lease_s\": 3, \"poll_interval_ms\": 200, "
	    "\"ignore\": [\"*.tmp\"], \"folders\": ["
	    "{\"path\": \"%s\", \"talent_source\": \"Lala\", \"pattern\": "
	    "\"{show}/S{season}E{episode}/\"},"
	    "{\"path\": \"%s\", \"talent_source\": \"Guest\", "
	    "\"on_ingest\": \"move\", \"done_dir\": \"%s\"},"
	    "{\"path\": \"%s/\", \"talent_source\": "
	    "\"JustAWomanInHerPrime\", \"force_polling\": true}]}}}}",
	    objects, SETTLE_MS, main_dir, move_dir, done_dir, poll_dir);
	return th_start(&srv, cfg);
}

static int suite_clean(void)
{
	th_stop(&srv);
	free(base);
	if (root[0] && !getenv("SLATE_TEST_KEEP")) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd)) {
		}
	}
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_startup_and_status(void)
{
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "early-1.mp4", 1, 10000), 1);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "early-2.mov", 1, 10000), 1);
	json_t *st = status_of(&srv);
	CU_ASSERT_FATAL(st != NULL);
	json_t *m = folder_in(st, main_dir);
	CU_ASSERT_STRING_EQUAL(jstr(m, "mode"), "events");
	CU_ASSERT(json_is_true(json_object_get(m, "watching")));
	CU_ASSERT(json_is_true(json_object_get(m, "owner_is_self")));
	CU_ASSERT_STRING_EQUAL(jstr(m, "talent_source"), "Lala");
	CU_ASSERT(jstr(m, "lease_expires_at")[0] != '\0');
	/* the trailing slash of the config is not part of the name */
	json_t *p = folder_in(st, poll_dir);
	CU_ASSERT_STRING_EQUAL(jstr(p, "mode"), "polling");
	CU_ASSERT(strstr(jstr(p, "mode_reason"), "force_polling") != NULL);
	json_decref(st);
	/* the clip is what POST would have made, and readable by a viewer */
	th_resp r;
	CU_ASSERT(th_req_as(&srv, srv.tok_viewer, "GET",
			    "/api/v1/clips?talent_source=Lala&limit=100", NULL,
			    NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(r.body && strstr(r.body, "\"clip_type\":\"raw\""));
	th_resp_free(&r);
	/* status: viewer may read; no token may not */
	CU_ASSERT_EQUAL(th_req_as(&srv, NULL, "GET", "/api/v1/ingest/status",
				  NULL, NULL, &r),
			0);
	CU_ASSERT_EQUAL(r.status, 401);
	th_resp_free(&r);
}

/* Chunks with pauses shorter than the settle time, close, reopen, append
 * again: one clip, of the final size. */
static void test_slow_writer(void)
{
	char p[300];
	sub(p, sizeof(p), main_dir, "slow.mp4");
	size_t total = 0;
	char chunk[32768];
	memset(chunk, 'z', sizeof(chunk));
	for (int round = 0; round < 2; round++) {
		int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
		CU_ASSERT_FATAL(fd >= 0);
		if (round == 0) {
			CU_ASSERT(write(fd, base, base_len) ==
				  (ssize_t)base_len);
			total += base_len;
		}
		for (int i = 0; i < 4; i++) {
			usleep(100000);
			CU_ASSERT(write(fd, chunk, sizeof(chunk)) ==
				  (ssize_t)sizeof(chunk));
			total += sizeof(chunk);
		}
		close(fd);
		usleep(120000); /* a copy tool closing and reopening */
	}
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "slow.mp4", 1, 10000), 1);
	usleep(SETTLE_MS * 1000 * 2);
	CU_ASSERT_EQUAL(clips_named(&srv, "slow.mp4"), 1);
	char sql[300], got[32];
	snprintf(sql, sizeof(sql),
		 "SELECT file_size_bytes FROM clips WHERE file_reference LIKE "
		 "'%%-slow.mp4'");
	CU_ASSERT(th_sql_text(&srv, sql, got, sizeof(got)) == 0);
	CU_ASSERT_EQUAL(strtoul(got, NULL, 10), total);
}

/* A rename from outside the watched tree into it (IN_MOVED_TO). */
static void test_move_in(void)
{
	char a[300], b[300];
	sub(a, sizeof(a), outside, "moved-in.mp4");
	sub(b, sizeof(b), main_dir, "moved-in.mp4");
	CU_ASSERT_FATAL(write_media(a, "moved-in") == 0);
	usleep(SETTLE_MS * 1000 * 2); /* no event for the unwatched folder */
	CU_ASSERT_EQUAL(clips_named(&srv, "moved-in.mp4"), 0);
	CU_ASSERT_FATAL(rename(a, b) == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "moved-in.mp4", 1, 10000), 1);
}

/* Folders made after start, with the file written at once: the new
 * directory is watched and scanned. Temporary names are never ingested. */
static void test_nested_and_ignored(void)
{
	char d[300], p[400];
	snprintf(d, sizeof(d), "%s/a/b/c", main_dir);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", d);
	CU_ASSERT_FATAL(system(cmd) == 0);
	snprintf(p, sizeof(p), "%s/deep.mp4", d);
	CU_ASSERT_FATAL(write_media(p, "deep") == 0);
	/* temporary and system names, and the configured glob */
	const char *skip[] = {".hidden.mp4", "partial.mp4.part",
			      "backup.mp4~", "Thumbs.db",
			      "x.tmp",	     NULL};
	for (int i = 0; skip[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", main_dir, skip[i]);
		CU_ASSERT(write_media(p, skip[i]) == 0);
	}
	snprintf(d, sizeof(d), "%s/@eaDir", main_dir);
	mkdir(d, 0755);
	snprintf(p, sizeof(p), "%s/meta.mp4", d);
	CU_ASSERT(write_media(p, "eadir") == 0);
	/* a Latin-1 name: the key is sanitised, the path escaped */
	snprintf(p, sizeof(p), "%s/caf\xe9.mp4", main_dir);
	CU_ASSERT(write_media(p, "latin-1") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "deep.mp4", 1, 10000), 1);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "caf_.mp4", 1, 10000), 1);
	usleep(SETTLE_MS * 1000 * 2);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM clips WHERE "
				    "file_reference ~ "
				    "'(hidden|partial|backup|Thumbs|x\\.tmp|"
				    "meta\\.mp4)'"),
			0);
}

/* {show}/S{season}E{episode}/: the clip joins that episode; a path with
 * no such episode makes a standalone clip. */
static void test_pattern(void)
{
	char show[64], ep[64];
	CU_ASSERT_FATAL(th_create(&srv, "/api/v1/shows",
				  "{\"name\": \"Bay Show\"}", "show_id", show));
	char body[256];
	snprintf(body, sizeof(body),
		 "{\"show_id\": \"%s\", \"title\": \"Two-Five\", "
		 "\"season_number\": 2, \"episode_number\": 5}",
		 show);
	CU_ASSERT_FATAL(
	    th_create(&srv, "/api/v1/episodes", body, "episode_id", ep));
	char d[300], p[400], cmd[1000];
	snprintf(d, sizeof(d), "%s/Bay Show/S02E05/cam A", main_dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s/Bay Show/S02E06'", d,
		 main_dir);
	CU_ASSERT_FATAL(system(cmd) == 0);
	snprintf(p, sizeof(p), "%s/take 1 (good).mp4", d);
	CU_ASSERT_FATAL(write_media(p, "pattern-1") == 0);
	snprintf(p, sizeof(p), "%s/Bay Show/S02E06/other.mp4", main_dir);
	CU_ASSERT_FATAL(write_media(p, "pattern-2") == 0);
	/* the unsafe name is sanitised in the key */
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "take_1__good_.mp4", 1, 10000),
			1);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "other.mp4", 1, 10000), 1);
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/clips?episode_id=%s", ep);
	CU_ASSERT_EQUAL(th_total(&srv, path), 1);
	char sql[300], key[300];
	snprintf(sql, sizeof(sql),
		 "SELECT file_reference FROM clips WHERE episode_id = '%s'",
		 ep);
	CU_ASSERT(th_sql_text(&srv, sql, key, sizeof(key)) == 0);
	CU_ASSERT(strncmp(key, "raw/", 4) == 0 && strstr(key, ep) &&
		  strstr(key, "/Lala/"));
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference LIKE "
					  "'raw/standalone/Lala/%-other.mp4'"),
			1);
}

/* A document, an image and an empty file: rejected with the reason in the
 * status, no clip; they stay where they are. */
static void test_not_media(void)
{
	char p[300];
	sub(p, sizeof(p), main_dir, "notes.mp4");
	CU_ASSERT_FATAL(write_text(p, "Good morning, this is not a video.\n") ==
			0);
	sub(p, sizeof(p), main_dir, "script.pdf");
	CU_ASSERT_FATAL(write_text(p, "%PDF-1.4 not a clip") == 0);
	/* a Latin-1 name (bytes that are not UTF-8) is still reported */
	sub(p, sizeof(p), main_dir, "r\xe9sum\xe9.mp4");
	CU_ASSERT_FATAL(write_text(p, "CV") == 0);
	sub(p, sizeof(p), main_dir, "empty.mov");
	CU_ASSERT_FATAL(write_text(p, "") == 0);
	json_t *st = NULL;
	for (int i = 0; i < 200; i++) {
		json_decref(st);
		st = status_of(&srv);
		if (listed(st, "failures", "notes.mp4") &&
		    listed(st, "failures", "script.pdf") &&
		    listed(st, "failures", "empty.mov") &&
		    listed(st, "failures", "r\\xE9sum\\xE9.mp4"))
			break;
		usleep(50000);
	}
	json_t *f = listed(st, "failures", "notes.mp4");
	CU_ASSERT(f && strstr(jstr(f, "reason"), "not a media file"));
	CU_ASSERT_STRING_EQUAL(jstr(f, "folder"), main_dir);
	f = listed(st, "failures", "script.pdf");
	CU_ASSERT(f && strstr(jstr(f, "reason"), "extension"));
	CU_ASSERT(listed(st, "failures", "empty.mov") != NULL);
	CU_ASSERT(listed(st, "failures", "r\\xE9sum\\xE9.mp4") != NULL);
	json_decref(st);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference ~ "
					  "'(notes|script|empty)'"),
			0);
	CU_ASSERT_EQUAL(access(p, F_OK), 0);
}

/* The same bytes twice make one clip (reported as a duplicate); different
 * bytes under a name already used make a new clip. */
static void test_same_content(void)
{
	char a[300], b[300], c[300], d[400];
	sub(a, sizeof(a), main_dir, "twice-a.mp4");
	sub(b, sizeof(b), main_dir, "twice-b.mp4");
	CU_ASSERT_FATAL(write_media(a, "twice") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "twice-a.mp4", 1, 10000), 1);
	CU_ASSERT_FATAL(write_media(b, "twice") == 0);
	json_t *st = NULL;
	for (int i = 0; i < 200 && !listed(st, "duplicates", "twice-b.mp4");
	     i++) {
		json_decref(st);
		usleep(50000);
		st = status_of(&srv);
	}
	json_t *dup = listed(st, "duplicates", "twice-b.mp4");
	CU_ASSERT(dup != NULL);
	char sql[300], id[64];
	snprintf(sql, sizeof(sql),
		 "SELECT clip_id FROM clips WHERE file_reference LIKE "
		 "'%%-twice-a.mp4'");
	CU_ASSERT(th_sql_text(&srv, sql, id, sizeof(id)) == 0);
	CU_ASSERT_STRING_EQUAL(jstr(dup, "clip_id"), id);
	json_decref(st);
	CU_ASSERT_EQUAL(clips_named(&srv, "twice-b.mp4"), 0);
	/* same name, other bytes, in a subfolder: a clip of its own */
	snprintf(c, sizeof(c), "%s/other", main_dir);
	mkdir(c, 0755);
	snprintf(d, sizeof(d), "%s/twice-a.mp4", c);
	CU_ASSERT_FATAL(write_media(d, "twice, but not the same") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "twice-a.mp4", 2, 10000), 2);
	/* the same name and bytes in two subfolders at once: one object
	 * key, one clip, the other a duplicate; the object stays */
	char t1[300], t2[300];
	snprintf(t1, sizeof(t1), "%s/twin1", main_dir);
	snprintf(t2, sizeof(t2), "%s/twin2", main_dir);
	CU_ASSERT_FATAL(mkdir(t1, 0755) == 0 && mkdir(t2, 0755) == 0);
	strcat(t1, "/twin.mp4");
	strcat(t2, "/twin.mp4");
	CU_ASSERT_FATAL(write_media(t1, "twin") == 0);
	CU_ASSERT_FATAL(write_media(t2, "twin") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "twin.mp4", 1, 10000), 1);
	usleep(SETTLE_MS * 1000 * 3);
	CU_ASSERT_EQUAL(clips_named(&srv, "twin.mp4"), 1);
	char key[300], obj[600];
	CU_ASSERT(th_sql_text(&srv,
			      "SELECT file_reference FROM clips WHERE "
			      "file_reference LIKE '%-twin.mp4'",
			      key, sizeof(key)) == 0);
	snprintf(obj, sizeof(obj), "%s/primary/%s", objects, key);
	CU_ASSERT_EQUAL(access(obj, F_OK), 0);
	/* and the original rewritten with new bytes: a third */
	CU_ASSERT_FATAL(write_media(a, "twice, rewritten") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "twice-a.mp4", 3, 10000), 3);
}

/* A rename inside the folder is the same content: no second clip. */
static void test_rename_inside(void)
{
	char a[300], b[300];
	sub(a, sizeof(a), main_dir, "before.mp4");
	sub(b, sizeof(b), main_dir, "after.mp4");
	CU_ASSERT_FATAL(write_media(a, "renamed") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "before.mp4", 1, 10000), 1);
	CU_ASSERT_FATAL(rename(a, b) == 0);
	json_t *st = NULL;
	for (int i = 0; i < 200 && !listed(st, "duplicates", "after.mp4");
	     i++) {
		json_decref(st);
		usleep(50000);
		st = status_of(&srv);
	}
	CU_ASSERT(listed(st, "duplicates", "after.mp4") != NULL);
	json_decref(st);
	CU_ASSERT_EQUAL(clips_named(&srv, "after.mp4"), 0);
	CU_ASSERT_EQUAL(clips_named(&srv, "before.mp4"), 1);
}

/* 500 distinct files at once, into a folder made after start: 500 clips,
 * none twice, each with its pipeline queued. */
static void test_burst_500(void)
{
	char d[300], p[400], tag[32];
	snprintf(d, sizeof(d), "%s/burst", main_dir);
	CU_ASSERT_FATAL(mkdir(d, 0755) == 0);
	for (int i = 0; i < 500; i++) {
		snprintf(p, sizeof(p), "%s/burst-%03d.mp4", d, i);
		snprintf(tag, sizeof(tag), "burst %d", i);
		CU_ASSERT(write_media(p, tag) == 0);
	}
	long n = wait_count(&srv,
			    "SELECT count(*) FROM clips WHERE file_reference "
			    "LIKE '%-burst-___.mp4'",
			    500, 60000);
	CU_ASSERT_EQUAL(n, 500);
	usleep(SETTLE_MS * 1000 * 2);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(DISTINCT file_hash) "
					  "FROM clips WHERE file_reference "
					  "LIKE '%-burst-___.mp4'"),
			500);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference LIKE "
					  "'%-burst-___.mp4'"),
			500);
	/* file_attach queued the pipeline in the clip's transaction */
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM jobs j JOIN "
					  "clips c ON c.clip_id = j.entity_id "
					  "WHERE j.kind = 'ingestproc.check' "
					  "AND c.file_reference LIKE "
					  "'%-burst-___.mp4'"),
			500);
	/* the objects are the files */
	char key[300], obj[600];
	CU_ASSERT(th_sql_text(&srv,
			      "SELECT file_reference FROM clips WHERE "
			      "file_reference LIKE '%-burst-007.mp4'",
			      key, sizeof(key)) == 0);
	snprintf(obj, sizeof(obj), "%s/primary/%s", objects, key);
	struct stat st;
	CU_ASSERT(stat(obj, &st) == 0 &&
		  (size_t)st.st_size == base_len + strlen("burst 7"));
}

/* on_ingest move: the original goes to done_dir once its clip committed,
 * a duplicate too. */
static void test_move_mode(void)
{
	char a[300], b[300], da[300], db[300];
	sub(a, sizeof(a), move_dir, "mv-1.mp4");
	sub(b, sizeof(b), move_dir, "mv-2.mp4");
	sub(da, sizeof(da), done_dir, "mv-1.mp4");
	sub(db, sizeof(db), done_dir, "mv-2.mp4");
	CU_ASSERT_FATAL(write_media(a, "moving") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "mv-1.mp4", 1, 10000), 1);
	for (int i = 0; i < 100 && access(da, F_OK); i++)
		usleep(50000);
	CU_ASSERT_EQUAL(access(da, F_OK), 0);
	CU_ASSERT_NOT_EQUAL(access(a, F_OK), 0);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference LIKE "
					  "'raw/standalone/Guest/%-mv-1.mp4'"),
			1);
	CU_ASSERT_FATAL(write_media(b, "moving") == 0); /* same bytes */
	for (int i = 0; i < 100 && access(db, F_OK); i++)
		usleep(50000);
	CU_ASSERT_EQUAL(access(db, F_OK), 0);
	CU_ASSERT_EQUAL(clips_named(&srv, "mv-2.mp4"), 0);
}

/* force_polling: no inotify, found by the polling scan. */
static void test_polling(void)
{
	char p[300];
	sub(p, sizeof(p), poll_dir, "polled.mp4");
	CU_ASSERT_FATAL(write_media(p, "polled") == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "polled.mp4", 1, 10000), 1);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM clips WHERE "
				    "file_reference LIKE "
				    "'raw/standalone/JustAWomanInHerPrime/"
				    "%-polled.mp4'"),
			1);
	json_t *st = status_of(&srv);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    folder_in(st, poll_dir), "watches")),
			0);
	json_decref(st);
}

/* A hard link makes no IN_CLOSE_WRITE: events miss it, a rescan of the
 * file finds it. And the route's refusals. */
static void test_rescan(void)
{
	char a[300], b[300], body[600];
	sub(a, sizeof(a), outside, "linked.mp4");
	sub(b, sizeof(b), main_dir, "linked.mp4");
	CU_ASSERT_FATAL(write_media(a, "linked") == 0);
	CU_ASSERT_FATAL(link(a, b) == 0);
	usleep(SETTLE_MS * 1000 * 3);
	CU_ASSERT_EQUAL(clips_named(&srv, "linked.mp4"), 0);
	long before = th_sql_long(&srv, "SELECT count(*) FROM audit_log WHERE "
					"action = 'RESCAN'");
	snprintf(body, sizeof(body), "{\"path\": \"%s\"}", b);
	th_resp r;
	CU_ASSERT(th_req_as(&srv, srv.tok_editor, "POST",
			    "/api/v1/ingest/rescan", body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 202);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "linked.mp4", 1, 10000), 1);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM audit_log WHERE "
				    "action = 'RESCAN' AND entity_type = "
				    "'ingest_folder'"),
			before + 1);
	/* {} is every folder; a folder by its path */
	CU_ASSERT_EQUAL(th_status(&srv, "POST", "/api/v1/ingest/rescan", "{}"),
			202);
	snprintf(body, sizeof(body), "{\"folder\": \"%s/\"}", poll_dir);
	CU_ASSERT_EQUAL(th_status(&srv, "POST", "/api/v1/ingest/rescan", body),
			202);
	/* refusals change nothing */
	long fp = th_sql_long(&srv, "SELECT count(*) FROM audit_log");
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan",
				  "{\"folder\": \"/not/watched\"}", 404,
				  "NOT_FOUND", "folder"));
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan",
				  "{\"path\": \"/etc/passwd\"}", 404,
				  "NOT_FOUND", "path"));
	snprintf(body, sizeof(body), "{\"path\": \"%s/../outside/x.mp4\"}",
		 main_dir);
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan", body,
				  400, "VALIDATION_ERROR", "path"));
	snprintf(body, sizeof(body), "{\"folder\": \"%s\", \"path\": \"%s\"}",
		 main_dir, b);
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan", body,
				  400, "VALIDATION_ERROR", "path"));
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan",
				  "{\"folder\": 7}", 400, "VALIDATION_ERROR",
				  "folder"));
	CU_ASSERT(th_expect_error(&srv, "POST", "/api/v1/ingest/rescan",
				  "{\"dir\": \"x\"}", 400, "VALIDATION_ERROR",
				  "dir"));
	CU_ASSERT_EQUAL(th_req_as(&srv, srv.tok_viewer, "POST",
				  "/api/v1/ingest/rescan", "{}", NULL, &r),
			0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log"),
			fp);
}

/* A bad config refuses the plugin with the key named; slated goes on. */
static void test_bad_config(void)
{
	char plugins[1024];
	static char out[65536];
	snprintf(plugins, sizeof(plugins),
		 "{" PLUGINS "\"ingest\": {\"enabled\": true, \"config\": "
		 "{\"folders\": [{\"path\": \"%s\", \"talent_source\": "
		 "\"Nobody\"}]}}}",
		 shared_dir);
	th_server bad;
	CU_ASSERT_FATAL(th_start_beside(&bad, &srv, plugins) == 0);
	FILE *fp = fopen(bad.log_path, "r");
	size_t n = fp ? fread(out, 1, sizeof(out) - 1, fp) : 0;
	out[n] = '\0';
	if (fp)
		fclose(fp);
	CU_ASSERT(strstr(out, "plugins.ingest.config.folders[0]."
			      "talent_source") != NULL);
	CU_ASSERT_EQUAL(th_status(&bad, "GET", "/api/v1/ingest/status", NULL),
			404);
	th_stop(&bad);
}

static th_server second, third;

/* Files added while slated is down are found at the next start; the ones
 * it already had are not hashed again. */
static void test_restart(void)
{
	char cfg[2048], p[300];
	shared_cfg(cfg, sizeof(cfg));
	CU_ASSERT_FATAL(th_start(&second, cfg) == 0);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/before-%d.mp4", shared_dir, i);
		CU_ASSERT(write_media(p, p) == 0);
	}
	CU_ASSERT_EQUAL(wait_count(&srv,
				   "SELECT count(*) FROM clips WHERE "
				   "file_reference LIKE '%-before-_.mp4'",
				   2, 10000),
			2);
	th_stop(&second);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/while-down-%d.mp4", shared_dir, i);
		CU_ASSERT(write_media(p, p) == 0);
	}
	CU_ASSERT_FATAL(th_start(&second, cfg) == 0);
	CU_ASSERT_EQUAL(wait_count(&srv,
				   "SELECT count(*) FROM clips WHERE "
				   "file_reference LIKE '%-while-down-_.mp4'",
				   3, 15000),
			3);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference LIKE "
					  "'%-before-_.mp4'"),
			2);
	/* the two it had were skipped by their size, mtime and inode: not
	 * even counted as duplicates */
	json_t *st = status_of(&second);
	json_t *c = json_object_get(st, "counters");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "ingested")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c, "duplicates")),
			0);
	json_decref(st);
	/* what events miss (a hard link: no IN_CLOSE_WRITE), the periodic
	 * reconcile finds */
	char a[300];
	sub(a, sizeof(a), outside, "reconciled.mp4");
	sub(p, sizeof(p), shared_dir, "reconciled.mp4");
	CU_ASSERT_FATAL(write_media(a, "reconciled") == 0);
	CU_ASSERT_FATAL(link(a, p) == 0);
	CU_ASSERT_EQUAL(wait_clips_named(&srv, "reconciled.mp4", 1, 15000), 1);
}

/* Two processes on one database and one folder: one watches, the other
 * says who does; then kill -9 the watcher in the middle of a burst: the
 * other takes over, and every file is exactly one clip, with no object
 * left without a clip. */
static void test_two_processes_and_kill9(void)
{
	char cfg[2048], p[300], owner[200];
	shared_cfg(cfg, sizeof(cfg));
	CU_ASSERT_FATAL(th_start(&third, cfg) == 0);
	char host[128] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(owner, sizeof(owner), "%s:%d", host, (int)second.pid);
	json_t *s2 = status_of(&second), *s3 = status_of(&third);
	json_t *f2 = folder_in(s2, shared_dir), *f3 = folder_in(s3, shared_dir);
	CU_ASSERT(json_is_true(json_object_get(f2, "watching")));
	CU_ASSERT(json_is_true(json_object_get(f2, "owner_is_self")));
	CU_ASSERT(json_is_false(json_object_get(f3, "watching")));
	CU_ASSERT(json_is_false(json_object_get(f3, "owner_is_self")));
	CU_ASSERT_STRING_EQUAL(jstr(f3, "owner"), owner);
	CU_ASSERT_STRING_EQUAL(jstr(f3, "mode"), "events"); /* the owner's */
	json_decref(s2);
	json_decref(s3);
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "%s/crash-%03d.mp4", shared_dir, i);
		CU_ASSERT(write_media(p, p) == 0);
	}
	/* kill -9 the watcher once it is well into the burst */
	long done = wait_count(&srv,
			       "SELECT least(count(*), 40) FROM clips WHERE "
			       "file_reference LIKE '%-crash-___.mp4'",
			       40, 30000);
	CU_ASSERT_EQUAL(done, 40);
	kill(second.pid, SIGKILL);
	int stw;
	waitpid(second.pid, &stw, 0);
	second.pid = 0; /* reaped: th_stop must not signal the number */
	long at_kill = th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					 "file_reference LIKE "
					 "'%-crash-___.mp4'");
	fprintf(stderr, "(killed after %ld of 200) ", at_kill);
	CU_ASSERT_EQUAL(wait_count(&srv,
				   "SELECT count(*) FROM clips WHERE "
				   "file_reference LIKE '%-crash-___.mp4'",
				   200, 60000),
			200);
	usleep(SETTLE_MS * 1000 * 3);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM clips WHERE "
					  "file_reference LIKE "
					  "'%-crash-___.mp4'"),
			200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(DISTINCT file_hash) "
					  "FROM clips WHERE file_reference "
					  "LIKE '%-crash-___.mp4'"),
			200);
	json_t *s = status_of(&third);
	json_t *f = folder_in(s, shared_dir);
	CU_ASSERT(json_is_true(json_object_get(f, "owner_is_self")));
	json_decref(s);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM "
					  "ingest_intents"),
			0);
	/* every object in the primary store belongs to a clip */
	char cmd[400];
	static char out[1 << 18];
	snprintf(cmd, sizeof(cmd), "%s/primary/raw", objects);
	char *argv[] = {"/usr/bin/find", cmd, "-type", "f", NULL};
	CU_ASSERT(th_run(argv, out, sizeof(out)) == 0);
	size_t prefix = strlen(objects) + strlen("/primary/");
	int objects_n = 0, orphans = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		objects_n++;
		char sql[1400];
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM clips WHERE file_reference = "
			 "'%s'",
			 line + prefix);
		if (th_sql_long(&srv, sql) != 1) {
			fprintf(stderr, "orphan object %s\n", line);
			orphans++;
		}
	}
	CU_ASSERT(objects_n >= 200);
	CU_ASSERT_EQUAL(orphans, 0);
	/* and every clip's object is there */
	PGresult *res = PQexec(srv.db, "SELECT file_reference FROM clips "
				       "WHERE deleted_at IS NULL");
	int dangling = 0, nclips = PQntuples(res);
	for (int i = 0; i < nclips; i++) {
		char obj[1400];
		snprintf(obj, sizeof(obj), "%s/primary/%s", objects,
			 PQgetvalue(res, i, 0));
		if (access(obj, F_OK)) {
			fprintf(stderr, "clip without object %s\n", obj);
			dangling++;
		}
	}
	PQclear(res);
	CU_ASSERT(nclips >= 200);
	CU_ASSERT_EQUAL(dangling, 0);
	th_stop(&second); /* already dead: cleans up */
	th_stop(&third);
}

int main(void)
{
	const th_test tests[] = {
	    {"startup scan and status", test_startup_and_status},
	    {"slow writer", test_slow_writer},
	    {"move into the folder", test_move_in},
	    {"nested folders, ignored names", test_nested_and_ignored},
	    {"show/season/episode pattern", test_pattern},
	    {"not a media file", test_not_media},
	    {"same content twice", test_same_content},
	    {"rename inside", test_rename_inside},
	    {"burst of 500", test_burst_500},
	    {"on_ingest move", test_move_mode},
	    {"polling fallback", test_polling},
	    {"rescan route", test_rescan},
	    {"bad config", test_bad_config},
	    {"restart with files added while down", test_restart},
	    {"two processes, kill -9", test_two_processes_and_kill9},
	    {NULL, NULL},
	};
	return th_main("ingest", suite_init, suite_clean, tests);
}
