/*
 * test_crash.c - what a kill -9 of slated leaves behind, and how the next
 * slated on the same data dir deals with it: the embedded cluster's
 * postmaster (adopted, and stopped on SIGTERM like one slated started;
 * restarted when its binary changed on disk meanwhile) and the temporary
 * file of an upload killed mid-PUT (removed at the restart, and by the
 * periodic sweep once its writer is dead).
 *
 * Real processes throughout: slated is killed with SIGKILL, the PUT is a
 * raw socket, the binaries are copies on disk. Waits are bounded polls.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* The PID in the cluster's postmaster.pid, or -1. */
static long postmaster_pid(th_server *s)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/postmaster.pid", th_cluster_dir(s));
	FILE *f = fopen(path, "r");
	long pid = -1;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

/* Whether `pid` runs (exists and is not a zombie). */
static bool running(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = pid > 0 ? fopen(path, "r") : NULL;
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Wait up to `secs` for `pid` to be gone; true when it is. */
static bool wait_gone(long pid, int secs)
{
	for (int i = 0; i < secs * 20 && running(pid); i++)
		usleep(50000);
	return !running(pid);
}

/* Whether slated's log holds `text`. */
static bool log_has(const th_server *s, const char *text)
{
	FILE *f = fopen(s->log_path, "r");
	char line[2048];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* th_stop, and whatever postmaster a failed test left running is killed:
 * nothing outlives the test. */
static void stop_all(th_server *s, long pm)
{
	long now = postmaster_pid(s);
	th_stop(s);
	long pids[2] = {pm, now};
	for (int i = 0; i < 2; i++)
		if (!wait_gone(pids[i], 10)) {
			fprintf(stderr, "postmaster %ld still runs: killing\n",
				pids[i]);
			kill((pid_t)pids[i], SIGKILL);
		}
}

static void test_adopted_cluster_stopped(void)
{
	th_server s;
	CU_ASSERT_FATAL(th_start(&s, NULL) == 0);
	long pm = postmaster_pid(&s);
	CU_ASSERT_FATAL(running(pm));
	th_kill9(&s);
	/* the postmaster outlives its slated */
	CU_ASSERT(running(pm));
	CU_ASSERT(th_restart(&s) == 0);
	CU_ASSERT_EQUAL(postmaster_pid(&s), pm);
	CU_ASSERT(log_has(&s, "adopted"));
	CU_ASSERT_EQUAL(th_status(&s, "GET", "/api/v1/shows", NULL), 200);
	/* SIGTERM: the adopted cluster stops with slated */
	th_stop(&s);
	CU_ASSERT(wait_gone(pm, 10));
	stop_all(&s, pm);
}

/* Copies file `from` to `to` (mode 0755) through a temporary name and a
 * rename, as a package upgrade does. 0 or -1. */
static int install_copy(const char *from, const char *to)
{
	char tmp[600], cmd[1400];
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0755 '%s'", from, tmp,
		 tmp);
	if (system(cmd) != 0)
		return -1;
	return rename(tmp, to);
}

/* The bin directory of an installed PostgreSQL, into out. */
static bool pg_bindir(char *out, size_t len)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		snprintf(out, len, "/usr/lib/postgresql/%s/bin", e->d_name);
		char p[600];
		snprintf(p, sizeof(p), "%s/postgres", out);
		found = e->d_name[0] != '.' && access(p, X_OK) == 0;
	}
	if (d)
		closedir(d);
	return found;
}

static void test_changed_binary_restarts_cluster(void)
{
	char sys[300], bin[] = "/tmp/slate-pgbin-XXXXXX";
	CU_ASSERT_FATAL(pg_bindir(sys, sizeof(sys)));
	CU_ASSERT_FATAL(mkdtemp(bin) != NULL);
	chmod(bin, 0755); /* the cluster user runs them when root */
	static const char *const progs[] = {"initdb", "pg_ctl", "postgres"};
	char from[600], to[600];
	for (int i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s/%s", sys, progs[i]);
		snprintf(to, sizeof(to), "%s/%s", bin, progs[i]);
		CU_ASSERT_FATAL(install_copy(from, to) == 0);
	}
	char cfg[400];
	snprintf(cfg, sizeof(cfg), "{\"database\": {\"pg_bindir\": \"%s\"}}",
		 bin);
	th_server s;
	CU_ASSERT_FATAL(th_start(&s, cfg) == 0);
	long old = postmaster_pid(&s);
	CU_ASSERT_FATAL(running(old));
	th_kill9(&s);
	/* "upgrade": a new file renamed over the server's binary */
	snprintf(from, sizeof(from), "%s/postgres", sys);
	snprintf(to, sizeof(to), "%s/postgres", bin);
	CU_ASSERT(install_copy(from, to) == 0);

	CU_ASSERT(th_restart(&s) == 0);
	long now = postmaster_pid(&s);
	CU_ASSERT(now > 0 && now != old);
	CU_ASSERT(wait_gone(old, 10));
	CU_ASSERT(running(now));
	/* the new server runs the binary now on disk */
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%ld/exe", now);
	struct stat a, b;
	CU_ASSERT(stat(exe, &a) == 0 && stat(to, &b) == 0 &&
		  a.st_ino == b.st_ino);
	CU_ASSERT(log_has(&s, "changed on disk"));
	CU_ASSERT_EQUAL(th_status(&s, "GET", "/api/v1/shows", NULL), 200);
	th_stop(&s);
	CU_ASSERT(wait_gone(now, 10));
	stop_all(&s, old);
	snprintf(to, sizeof(to), "rm -rf '%s'", bin);
	CU_ASSERT(system(to) == 0);
}

/* The names of the files in the primary store's temporary directory,
 * joined by ","; how many there are. */
static int tmp_files(th_server *s, char *names, size_t len)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/data/objects/primary/.tmp", s->dir);
	DIR *d = opendir(dir);
	int n = 0;
	names[0] = '\0';
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t used = strlen(names);
		snprintf(names + used, len - used, "%s%s", n ? "," : "",
			 e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Start a PUT of `size` bytes to the signed `url` on a raw socket and send
 * `sent` of them; the socket (the caller closes it), or -1. */
static int put_partial(const char *url, long long size, size_t sent)
{
	int port = 0;
	const char *host = strstr(url, "://");
	const char *path = host ? strchr(host + 3, '/') : NULL;
	const char *colon = host ? strchr(host + 3, ':') : NULL;
	if (!path || !colon || colon > path)
		return -1;
	port = atoi(colon + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char head[3000];
	int n = snprintf(head, sizeof(head),
			 "PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Content-Type: video/mp4\r\nContent-Length: %lld\r\n"
			 "\r\n",
			 path, port, size);
	static char chunk[64 * 1024];
	memset(chunk, 'v', sizeof(chunk));
	bool ok = write(fd, head, (size_t)n) == n;
	for (size_t done = 0; ok && done < sent; done += sizeof(chunk))
		ok = write(fd, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk);
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait up to `secs` until the store's temporary directory holds `want`
 * files; true when it did. */
static bool wait_tmp_files(th_server *s, int want, int secs)
{
	char names[1024];
	for (int i = 0; i < secs * 20; i++) {
		if (tmp_files(s, names, sizeof(names)) == want)
			return true;
		usleep(50000);
	}
	fprintf(stderr, "temporary files: want %d, have [%s]\n", want, names);
	return false;
}

static void test_killed_put_tmp_removed(void)
{
	th_server s;
	CU_ASSERT_FATAL(th_start(&s, "{\"storage\": "
				     "{\"upload_sweep_interval_s\": 1}}") == 0);
	long pm = postmaster_pid(&s);
	char show[64], ep[1][64];
	const char *titles[] = {"Pilot", NULL};
	CU_ASSERT_FATAL(th_show_episodes(&s, "Crash Show", show, titles, ep));
	char url[2048], id[64], key[1100];
	th_upload_req u = {"episode",		ep[0],	    "trailer", "t.mp4",
			   200LL * 1024 * 1024, "video/mp4"};
	CU_ASSERT_FATAL(th_generate_url(&s, &u, url, id, key) == 201);

	/* 2 MiB of 200 MiB in: the temporary file is on disk */
	int sock = put_partial(url, u.size, 2u << 20);
	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT(wait_tmp_files(&s, 1, 10));
	th_kill9(&s);
	close(sock);
	char names[1024];
	CU_ASSERT_EQUAL(tmp_files(&s, names, sizeof(names)), 1);

	/* the restarted slated removes it: its writer is provably dead */
	CU_ASSERT(th_restart(&s) == 0);
	CU_ASSERT(wait_tmp_files(&s, 0, 5));

	/* and the periodic sweep (every second here) removes a dead
	 * writer's file of another process at once, whatever its age, but
	 * not one whose writer (this test, holding its lock) lives */
	char dead[500], live[500];
	snprintf(dead, sizeof(dead), "%s/data/objects/primary/.tmp/d.part",
		 s.dir);
	snprintf(live, sizeof(live), "%s/data/objects/primary/.tmp/l.part",
		 s.dir);
	int dfd = open(dead, O_WRONLY | O_CREAT, 0600);
	int lfd = open(live, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_FATAL(dfd >= 0 && lfd >= 0);
	CU_ASSERT(flock(lfd, LOCK_EX) == 0);
	close(dfd);
	CU_ASSERT(wait_tmp_files(&s, 1, 10));
	CU_ASSERT(access(live, F_OK) == 0);
	close(lfd); /* the writer "dies" */
	CU_ASSERT(wait_tmp_files(&s, 0, 10));
	CU_ASSERT(th_alive(&s));
	stop_all(&s, pm);
}

int main(void)
{
	static const th_test tests[] = {
	    {"kill -9 of slated: the next one adopts the cluster and stops it "
	     "on SIGTERM",
	     test_adopted_cluster_stopped},
	    {"a cluster whose server binary changed is restarted",
	     test_changed_binary_restarts_cluster},
	    {"an upload killed mid-PUT leaves no temporary file",
	     test_killed_put_tmp_removed},
	    {NULL, NULL},
	};
	return th_main("crash", NULL, NULL, tests);
}
