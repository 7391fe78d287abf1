/* harness.c - see harness.h. */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_config(th_server *s, const char *extra, char *path, size_t len)
{
	json_t *cfg = json_pack(
	    "{s:s, s:i, s:s, s:s, s:{s:i, s:b}, s:{s:i, s:i}, s:{s:s}}", "bind",
	    "127.0.0.1", "port", s->port, "data_dir", "data", "plugin_dir",
	    SLATE_PLUGIN_DIRS, "database", "pool_size", 4, "cluster_fsync", 0,
	    "http", "workers", 4, "io_threads", 2, "log", "level", "info");
	/* rate limits off unless a test turns them on */
	json_object_set_new(cfg, "rate_limit",
			    json_pack("{s:b}", "enabled", 0));
	/* no job worker processes unless a test asks for them: they would
	 * only add start-up work and CPU to every other test */
	json_object_set_new(cfg, "jobs", json_pack("{s:i}", "workers", 0));
	if (extra) {
		json_error_t e;
		json_t *x = json_loads(extra, 0, &e);
		if (!x) {
			fprintf(stderr, "harness: bad extra config: %s\n",
				e.text);
			json_decref(cfg);
			return -1;
		}
		/* one level of merge: sections update, other keys replace */
		const char *k;
		json_t *v;
		json_object_foreach(x, k, v)
		{
			json_t *cur = json_object_get(cfg, k);
			if (json_is_object(cur) && json_is_object(v))
				json_object_update(cur, v);
			else
				json_object_set(cfg, k, v);
		}
		json_decref(x);
	}
	snprintf(path, len, "%s/slate.json", s->dir);
	int rc = json_dump_file(cfg, path, JSON_INDENT(2));
	json_decref(cfg);
	return rc;
}

/* The three test accounts, and their tokens. */
static int setup_accounts(th_server *s)
{
	static const struct {
		const char *email, *groups;
	} acc[] = {
	    {TH_ADMIN, "admin"}, {TH_EDITOR, "editor"}, {TH_VIEWER, "viewer"}};
	char *toks[3] = {s->tok_admin, s->tok_editor, s->tok_viewer};
	char out[4096];
	for (int i = 0; i < 3; i++) {
		const char *args[] = {"user",	  "add",	 acc[i].email,
				      "--groups", acc[i].groups, NULL};
		int st = th_ctl(s, TH_PASSWORD "\n", out, sizeof(out), args);
		if (st != 0 && !strstr(out, "already exists")) {
			fprintf(stderr, "harness: slatectl user add %s: %s\n",
				acc[i].email, out);
			return -1;
		}
		long code = th_login(s, acc[i].email, TH_PASSWORD, toks[i],
				     sizeof(s->tok_admin), NULL, 0);
		if (code != 200) {
			fprintf(stderr, "harness: login %s: HTTP %ld\n",
				acc[i].email, code);
			return -1;
		}
	}
	s->token = s->tok_admin;
	return 0;
}

/* Fork and exec slated with s's config in s's directory, then wait until
 * /health answers and log the test accounts in. 0 or -1 (reason printed,
 * slated stopped). */
static int launch(th_server *s)
{
	const char *cfg = s->cfg_path;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		/* A test killed mid-run (a ctest timeout) must not leave its
		 * slated, workers and cluster running. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int err =
		    open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int out =
		    open(s->out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (chdir(s->dir) || err < 0 || out < 0)
			_exit(127);
		dup2(err, 2);
		dup2(out, 1);
		unsetenv("PORT");
		unsetenv("DATABASE_URL");
		unsetenv("SLATE_DATA_DIR");
		unsetenv("SLATE_PLUGIN_DIR");
		unsetenv("LOG_LEVEL");
		execl(SLATED_PATH, "slated", "--config", cfg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) { /* up to 60 s: initdb is slow */
		th_resp r;
		if (th_req(s, "GET", "/health", NULL, NULL, &r) == 0 &&
		    r.status == 200) {
			th_resp_free(&r);
			if (setup_accounts(s) == 0)
				return 0;
			th_stop(s);
			return -1;
		}
		if (r.status)
			th_resp_free(&r);
		if (!th_alive(s))
			break;
		usleep(100000);
	}
	fprintf(stderr, "harness: slated did not become healthy; log %s\n",
		s->log_path);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "tail -20 %s >&2", s->log_path);
	if (system(cmd)) {
	}
	th_stop(s);
	return -1;
}

int th_start(th_server *s, const char *config_json)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/slate-test-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	/* traversable, not listable, by the cluster user when run as root */
	chmod(s->dir, 0711);
	s->port = th_free_port();
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	snprintf(s->log_path, sizeof(s->log_path), "%s/slated.log", s->dir);
	snprintf(s->out_path, sizeof(s->out_path), "%s/slated.out", s->dir);
	if (write_config(s, config_json, s->cfg_path, sizeof(s->cfg_path)))
		return -1;
	return launch(s);
}

void th_kill9(th_server *s)
{
	if (s->db) {
		PQfinish(s->db);
		s->db = NULL;
	}
	if (s->pid > 0) {
		int st;
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
		s->pid = 0;
	}
}

int th_restart(th_server *s)
{
	th_kill9(s);
	return launch(s);
}

bool th_alive(th_server *s)
{
	int st;
	return s->pid > 0 && waitpid(s->pid, &st, WNOHANG) == 0;
}

/* Sanitizer reports slated (or a worker) wrote to its log; a test program
 * that saw any exits 1 whatever CUnit said (sanitizer_verdict). */
static int sanitizer_reports;

static void sanitizer_verdict(void)
{
	if (sanitizer_reports) {
		fprintf(stderr,
			"harness: slated reported %d sanitizer error(s): "
			"failing\n",
			sanitizer_reports);
		_exit(1);
	}
}

/* Whether a log line is a sanitizer's report of a bug in slated. A SEGV is
 * not: the job tests crash workers on purpose (and a real one fails the
 * test that hits it by itself). */
static bool sanitizer_line(const char *line)
{
	const char *asan = strstr(line, "ERROR: AddressSanitizer: ");
	if (asan)
		return strncmp(asan + 25, "SEGV", 4) != 0;
	return strstr(line, "ERROR: LeakSanitizer") ||
	       strstr(line, "LeakSanitizer has encountered") ||
	       strstr(line, "Tracer caught signal") ||
	       strstr(line, "runtime error:");
}

static void scan_log(const th_server *s)
{
	static bool registered;
	FILE *f = s->log_path[0] ? fopen(s->log_path, "r") : NULL;
	char line[1024];
	while (f && fgets(line, sizeof(line), f))
		if (sanitizer_line(line)) {
			fprintf(stderr, "slated (%s): %s", s->log_path, line);
			sanitizer_reports++;
		}
	if (f)
		fclose(f);
	if (sanitizer_reports && !registered)
		registered = atexit(sanitizer_verdict) == 0;
}

void th_stop(th_server *s)
{
	if (s->db) {
		PQfinish(s->db);
		s->db = NULL;
	}
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		int st;
		for (int i = 0; i < 300; i++) {
			if (waitpid(s->pid, &st, WNOHANG) != 0)
				break;
			usleep(100000);
			if (i == 299) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &st, 0);
			}
		}
		s->pid = 0;
	}
	/* sanitizers write at exit: after the wait, before the removal */
	scan_log(s);
	if (s->dir[0] && !getenv("SLATE_TEST_KEEP")) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd)) {
		}
	}
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	char **buf = ud;
	size_t old = *buf ? strlen(*buf) : 0;
	char *nb = realloc(*buf, old + sz * n + 1);
	if (!nb)
		return 0;
	memcpy(nb + old, p, sz * n);
	nb[old + sz * n] = '\0';
	*buf = nb;
	return sz * n;
}

int th_req(th_server *s, const char *method, const char *path, const char *body,
	   const char *const *extra_headers, th_resp *r)
{
	return th_req_as(s, s->token, method, path, body, extra_headers, r);
}

int th_req_as(th_server *s, const char *token, const char *method,
	      const char *path, const char *body,
	      const char *const *extra_headers, th_resp *r)
{
	memset(r, 0, sizeof(*r));
	CURL *c = curl_easy_init();
	if (!c)
		return -1;
	char url[2048];
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	struct curl_slist *hdrs = NULL;
	if (body)
		hdrs =
		    curl_slist_append(hdrs, "Content-Type: application/json");
	for (int i = 0; extra_headers && extra_headers[i]; i++)
		hdrs = curl_slist_append(hdrs, extra_headers[i]);
	if (token) {
		char auth[1100];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		th_resp_free(r);
		return -1;
	}
	if (r->body)
		r->json = json_loads(r->body, 0, NULL);
	return 0;
}

void th_resp_free(th_resp *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

bool th_header(const th_resp *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)((eol ? eol : v + strlen(v)) - v);
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
				vl--;
			snprintf(buf, len, "%.*s", (int)vl, v);
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

long th_status(th_server *s, const char *method, const char *path,
	       const char *body)
{
	th_resp r;
	if (th_req(s, method, path, body, NULL, &r))
		return -1;
	long st = r.status;
	th_resp_free(&r);
	return st;
}

bool th_create(th_server *s, const char *path, const char *body,
	       const char *id_key, char *out)
{
	th_resp r;
	out[0] = '\0';
	if (th_req(s, "POST", path, body, NULL, &r))
		return false;
	if (r.status == 201 && th_data_str(&r, id_key))
		snprintf(out, 64, "%s", th_data_str(&r, id_key));
	else
		fprintf(stderr, "create %s failed: %ld %s\n", path, r.status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return out[0] != '\0';
}

long th_total(th_server *s, const char *path)
{
	th_resp r;
	if (th_req(s, "GET", path, NULL, NULL, &r))
		return -1;
	long t = r.status == 200
		     ? (long)json_integer_value(json_object_get(
			   json_object_get(r.json, "metadata"), "total"))
		     : -1;
	if (t < 0)
		fprintf(stderr, "GET %s: %ld %s\n", path, r.status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return t;
}

bool th_expect_error(th_server *s, const char *method, const char *path,
		     const char *body, long status, const char *code,
		     const char *field)
{
	th_resp r;
	if (th_req(s, method, path, body, NULL, &r)) {
		fprintf(stderr, "%s %s: request failed\n", method, path);
		return false;
	}
	bool ok = r.status == status && r.json &&
		  json_object_get(r.json, "errors") &&
		  (!code || !*code || !strcmp(th_err_code(&r), code)) &&
		  !strcmp(th_err_field(&r), field);
	if (!ok)
		fprintf(stderr, "expected %ld %s: %s %s %s: got %ld %s\n",
			status, field, method, path, body ? body : "", r.status,
			r.body ? r.body : "(no body)");
	th_resp_free(&r);
	return ok;
}

static const char *err_member(const th_resp *r, const char *key)
{
	json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
	const char *v = json_string_value(json_object_get(e, key));
	return v ? v : "";
}

const char *th_err_code(const th_resp *r)
{
	return err_member(r, "code");
}

const char *th_err_field(const th_resp *r)
{
	return err_member(r, "field");
}

const char *th_data_str(const th_resp *r, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(r->json, "data"), key));
}

const char *th_cluster_dir(th_server *s)
{
	static char dir[300];
	snprintf(dir, sizeof(dir), "%s/data/pg", s->dir);
	return dir;
}

static PGconn *db(th_server *s)
{
	if (s->db && PQstatus(s->db) == CONNECTION_OK)
		return s->db;
	if (s->db)
		PQfinish(s->db);
	char conninfo[400];
	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=slate user=slate",
		 th_cluster_dir(s));
	s->db = PQconnectdb(conninfo);
	return s->db;
}

/* PQexec, retried once on a fresh connection when the old one died (the
 * outage test restarts the server under it). */
static PGresult *exec(th_server *s, const char *sql)
{
	PGresult *r = PQexec(db(s), sql);
	if (PQstatus(s->db) != CONNECTION_OK) {
		PQclear(r);
		r = PQexec(db(s), sql);
	}
	return r;
}

long th_sql_long(th_server *s, const char *sql)
{
	PGresult *r = exec(s, sql);
	long v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else
		fprintf(stderr, "harness sql: %s", PQerrorMessage(db(s)));
	PQclear(r);
	return v;
}

int th_sql(th_server *s, const char *sql)
{
	PGresult *r = exec(s, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
		 PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "harness sql: %s", PQerrorMessage(db(s)));
	PQclear(r);
	return ok ? 0 : -1;
}

int th_sql_text(th_server *s, const char *sql, char *buf, size_t len)
{
	PGresult *r = exec(s, sql);
	int rc = -1;
	buf[0] = '\0';
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
		snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	} else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "harness sql: %s", PQerrorMessage(db(s)));
	}
	PQclear(r);
	return rc;
}

long th_fingerprint(th_server *s)
{
	/* Counts and a hash of every row's text: catches inserts, updates
	 * and soft deletes alike. */
	return th_sql_long(
	    s, "SELECT (SELECT count(*) FROM audit_log) * 1000003 + "
	       "coalesce((SELECT sum(hashtext(s::text)) FROM shows s), 0) + "
	       "coalesce((SELECT sum(hashtext(e::text)) FROM episodes e), "
	       "0)");
}

int th_run(char *const argv[], char *out, size_t len)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (len && (k = read(p[0], out + n, len - 1 - n)) > 0)
		n += (size_t)k;
	if (len)
		out[n] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long th_login(th_server *s, const char *email, const char *password,
	      char *token, size_t len, char *refresh, size_t rlen)
{
	json_t *b =
	    json_pack("{s:s, s:s}", "email", email, "password", password);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	th_resp r;
	int rc =
	    th_req_as(s, NULL, "POST", "/api/v1/auth/login", body, NULL, &r);
	free(body);
	if (rc)
		return -1;
	long status = r.status;
	const char *t = th_data_str(&r, "access_token");
	const char *rt = th_data_str(&r, "refresh_token");
	if (token && len)
		snprintf(token, len, "%s", status == 200 && t ? t : "");
	if (refresh && rlen)
		snprintf(refresh, rlen, "%s", status == 200 && rt ? rt : "");
	th_resp_free(&r);
	return status;
}

int th_ctl(th_server *s, const char *input, char *out, size_t len,
	   const char *const *args)
{
	int in[2], o[2];
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)SLATECTL_PATH;
	argv[n++] = (char *)"--config";
	argv[n++] = s->cfg_path;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (pipe(in) || pipe(o))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(o[1], 2);
		close(in[1]);
		close(o[0]);
		if (chdir(s->dir))
			_exit(127);
		unsetenv("DATABASE_URL");
		unsetenv("SLATE_DATA_DIR");
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input && write(in[1], input, strlen(input)) < 0) {
	}
	close(in[1]);
	size_t got = 0;
	ssize_t k;
	while (len && (k = read(o[0], out + got, len - 1 - got)) > 0)
		got += (size_t)k;
	if (len)
		out[got] = '\0';
	close(o[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
