/*
 * harness.h - what the integration tests share: a real slated on a throwaway
 * embedded PostgreSQL cluster, real HTTP over loopback (libcurl), and a
 * direct libpq connection to check what reached the database.
 */
#ifndef SLATE_TEST_HARNESS_H
#define SLATE_TEST_HARNESS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct th_server {
	pid_t pid;
	int port;
	char dir[256];	    /* temp dir: config, data, logs */
	char log_path[300]; /* slated's stderr */
	char out_path[300]; /* slated's stdout */
	char base[64];	    /* http://127.0.0.1:PORT */
	PGconn *db;	    /* direct connection, opened on first use */
	char cfg_path[300]; /* the config slated was started with */
	/* Access tokens of the test accounts (TH_ADMIN, TH_EDITOR, TH_VIEWER),
	 * logged in by th_start. th_req sends `token` (admin's by default). */
	char tok_admin[1024], tok_editor[1024], tok_viewer[1024];
	const char *token;
} th_server;

/* The accounts th_start makes (with slatectl, the real path) and their
 * common password, which meets the policy. */
#define TH_ADMIN "admin@test.local"
#define TH_EDITOR "editor@test.local"
#define TH_VIEWER "viewer@test.local"
#define TH_PASSWORD "Test-Passw0rd!"

typedef struct th_resp {
	long status;
	char *body;
	json_t *json; /* NULL when the body is not JSON */
	char *headers;
} th_resp;

/* Start slated with `config_json` (an object merged over the test defaults,
 * which turn rate limits off; NULL for none), wait until /health answers,
 * create the three test accounts (already there is fine: servers sharing a
 * database) and log them in. 0 or -1 (reason printed). */
int th_start(th_server *s, const char *config_json);
/* SIGTERM, wait, remove the temp dir. A sanitizer report in slated's log
 * (a worker's included) is printed, and makes the test program exit 1. */
void th_stop(th_server *s);
/* kill -9 slated and reap it; its workers die with it, the embedded
 * cluster's postmaster (a session of its own) survives, and the temp dir
 * stays. th_stop still cleans up. */
void th_kill9(th_server *s);
/* Start slated again in s's directory with the same config (so the same
 * data dir and database; kill -9 first if it still runs), wait until
 * /health answers and log the accounts in again. Its log is appended
 * to. 0 or -1 (reason printed, slated stopped). */
int th_restart(th_server *s);
/* Whether slated is still running. */
bool th_alive(th_server *s);

/* One request; body may be NULL. extra_headers: NULL-terminated "K: V"
 * strings or NULL. Fills *r (release with th_resp_free). 0 or -1. */
int th_req(th_server *s, const char *method, const char *path, const char *body,
	   const char *const *extra_headers, th_resp *r);
void th_resp_free(th_resp *r);

/* th_req with a given bearer token; NULL sends no Authorization header. */
int th_req_as(th_server *s, const char *token, const char *method,
	      const char *path, const char *body,
	      const char *const *extra_headers, th_resp *r);

/* POST /api/v1/auth/login; on 200 the access token is copied into token
 * (and the refresh token into refresh when not NULL). The HTTP status, or
 * -1 when no answer came. */
long th_login(th_server *s, const char *email, const char *password,
	      char *token, size_t len, char *refresh, size_t rlen);

/* Run slatectl with the server's config in its directory, `input` on
 * standard input (may be NULL), args NULL-terminated; stdout and stderr
 * into out. The exit status. */
int th_ctl(th_server *s, const char *input, char *out, size_t len,
	   const char *const *args);

/* Value of a response header (case-insensitive), copied into buf. */
bool th_header(const th_resp *r, const char *name, char *buf, size_t len);

/* The status of one request sent with the admin token, or -1 when it could
 * not be made. */
long th_status(th_server *s, const char *method, const char *path,
	       const char *body);
/* POST `body` to `path`; on 201 copy data.<id_key> into out (64 bytes) and
 * return true; otherwise print the answer to stderr and return false. */
bool th_create(th_server *s, const char *path, const char *body,
	       const char *id_key, char *out);
/* metadata.total of a GET answered 200, or -1 (the answer printed). */
long th_total(th_server *s, const char *path);

/* Send one request that must fail: true when it answers `status` with an
 * error envelope whose first error names `field` ("" for none) and, unless
 * `code` is NULL or "", has that code. Prints the answer otherwise. */
bool th_expect_error(th_server *s, const char *method, const char *path,
		     const char *body, long status, const char *code,
		     const char *field);

/* The first error's code/field, or "" when none. */
const char *th_err_code(const th_resp *r);
const char *th_err_field(const th_resp *r);

/* A string member of data, or NULL. */
const char *th_data_str(const th_resp *r, const char *key);

/* Run SQL directly; return the first column of the first row as a long
 * (-1 on error). */
long th_sql_long(th_server *s, const char *sql);
/* Run SQL directly; 0 or -1. */
int th_sql(th_server *s, const char *sql);
/* Run SQL directly; copy the first column of the first row into buf ("" for
 * NULL). 0, or -1 when there is no row or the query failed. */
int th_sql_text(th_server *s, const char *sql, char *buf, size_t len);

/* Total rows in the tables a request could change, for "changes nothing"
 * checks: shows, episodes, audit_log (including soft-deleted rows). */
long th_fingerprint(th_server *s);

/* ---- fixtures (th_fixture.c) ---- */

/* POST an episode `number` titled `title` of show_id; its id into out (64
 * bytes). False (the answer printed) when it was not made. */
bool th_episode(th_server *s, const char *show_id, const char *title,
		int number, char *out);
/* A show named `name` (its id into show_id, 64 bytes) and one episode a
 * title of `titles` (NULL-terminated; NULL for none), numbered from 1, ids
 * into episodes[i]. False when anything was not made. */
bool th_show_episodes(th_server *s, const char *name, char *show_id,
		      const char *const *titles, char (*episodes)[64]);

/* th_start with `config_json`, then th_show_episodes: a plugin test's
 * usual suite init. 0, or -1 when anything was not made. */
int th_start_show(th_server *s, const char *config_json, const char *name,
		  char *show_id, const char *const *titles,
		  char (*episodes)[64]);

/* A new directory /tmp/slate-<name>-XXXXXX; its path into dir (64 bytes).
 * 0 or -1. th_rmdir removes it and all it holds (0 or -1). */
int th_tmpdir(char *dir, const char *name);
int th_rmdir(const char *dir);
/* A suite init that runs `setup`, and on failure `clean` too (CUnit skips
 * the clean-up of a suite whose init failed). setup's result. */
int th_init_or_clean(int (*setup)(void), int (*clean)(void));

/* th_fingerprint and every row of `tables` (NULL-terminated), deleted ones
 * included: what a plugin's request could change. -1 on error. */
long th_fingerprint_tables(th_server *s, const char *const *tables);

/* The `key` member of each item of data (of its `sub` object when sub is
 * not NULL), joined by "," into out; "(null)" for a missing one. */
void th_list_names(const th_resp *r, const char *sub, const char *key,
		   char *out, size_t len);
/* GET path answers 200 and th_list_names gives `want` (printed if not). */
bool th_expect_names(th_server *s, const char *path, const char *sub,
		     const char *key, const char *want);
/* The request's first error has a message holding `part`. */
bool th_expect_message(th_server *s, const char *method, const char *path,
		       const char *body, const char *part);

/* th_start a second slated on s's database with `plugins_json` (the
 * "plugins" object of its config). 0 or -1; th_stop it. */
int th_start_beside(th_server *other, th_server *s, const char *plugins_json);

/* One CUnit test of a program's suite. */
typedef struct th_test {
	const char *name;
	void (*run)(void);
} th_test;
/* The main of a test program: one suite of `tests` (ended by a NULL name)
 * run verbosely. The exit status: 1 when anything failed. */
int th_main(const char *suite, int (*init)(void), int (*clean)(void),
	    const th_test *tests);

/* Path of the cluster directory (data/pg). */
const char *th_cluster_dir(th_server *s);

/* Store the file at `path` as entity_type/entity_id's file of `kind`, the
 * way a client does (generate-url, PUT to the signed URL, confirm), with
 * the admin token. The upload id goes into upload_id (64 bytes) when not
 * NULL. The confirm's HTTP status (200 when stored), or the first failed
 * step's status (printed), or -1. */
long th_upload_file(th_server *s, const char *entity_type,
		    const char *entity_id, const char *kind, const char *path,
		    const char *content_type, char *upload_id);

/* ---- upload streams (th_upload.c) ---- */

/* Byte i of the generated content the storage tests upload. */
unsigned char th_pattern(size_t i);
/* A body read whole; the caller frees p. */
typedef struct th_body {
	char *p;
	size_t n;
} th_body;
/* libcurl write callback appending to the th_body `ud` (NUL-terminated). */
size_t th_body_write(char *p, size_t sz, size_t n, void *ud);
/* PUT `size` pattern bytes to url with Content-Type `ctype` (NULL: none).
 * The HTTP status (the answer printed unless 200), or -1. */
long th_put_pattern(const char *url, size_t size, const char *ctype);
/* GET url (no token) into *out (NULL: discard). The status, or -1. */
long th_get_url(const char *url, th_body *out);
/* b holds exactly the first `size` pattern bytes. */
bool th_is_pattern(const th_body *b, size_t size);
/* What a generate-url request asks for. */
typedef struct th_upload_req {
	const char *entity_type, *entity_id, *kind, *filename;
	long long size;
	const char *content_type;
} th_upload_req;
/* POST generate-url; on 201 the signed url (2048 bytes), upload id (64)
 * and key (1100) are copied out, else they are "". The status, or -1. */
long th_generate_url(th_server *s, const th_upload_req *u, char *url, char *id,
		     char *key);
/* POST upload/confirm for upload_id; *r is filled (th_resp_free it) when
 * an answer came. Its status, or -1. */
long th_confirm(th_server *s, const char *upload_id, th_resp *r);

/* Wait up to timeout_ms until no job is queued, running or failed (about
 * to be retried); true when that happened. With `entity_id` (may be NULL),
 * only that entity's jobs count. */
bool th_wait_jobs(th_server *s, const char *entity_id, int timeout_ms);

/* Run a command (found on PATH) and capture its stdout (max len-1 bytes).
 * Exit status. */
int th_run(char *const argv[], char *out, size_t len);

/* ---- helper servers (th_node.c) ------------------------------------- */

/* Full path of `name` on PATH into out; false when it is not there. */
bool th_find_bin(const char *name, char *out, size_t len);
/* A TCP port on loopback nobody listens on now (bound, then closed), or
 * -1. */
int th_free_port(void);

/* A node helper server: a script under the source tree that takes
 * --port N (0: any) and --port-file F and writes its port there once it
 * listens. Its stdout and stderr go to <dir>/<name>.out and .log. */
typedef struct th_node {
	pid_t pid; /* -1 when not running */
	int port;
	char name[32];
	char dir[64]; /* its temporary directory, removed by th_node_stop */
	char url[64]; /* "http://127.0.0.1:<port>" */
} th_node;

/* Start `script` (relative to the source tree) with `args` (NULL-ended,
 * may be NULL; a leading "{dir}" in one stands for the server's directory)
 * and wait up to timeout_s for its port. 0, or -1 (said on stderr; stop it
 * all the same). */
int th_node_start(th_node *n, const char *name, const char *script, int port,
		  const char *const args[], int timeout_s);
/* SIGTERM it, wait, and remove its directory (kept with SLATE_TEST_KEEP). */
void th_node_stop(th_node *n);

#endif
