/*
 * cluster_pid.c - the server's lock files (postmaster.pid and the socket's
 * lock): which PID they name, and removing them when that PID is provably
 * not this cluster's server any more (after a crash of the machine); the
 * owner file naming the slated that stops the cluster; and whether a
 * running server's binary is still the one on disk.
 */
#include "db/cluster_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/* The PID on the first line of a lock file in the cluster dir, or -1. */
static long lock_file_pid(const slate_cluster *c, const char *name)
{
	char *p = cluster_path_join(c->cluster_dir, name);
	FILE *f = p ? fopen(p, "re") : NULL;
	free(p);
	if (!f)
		return -1;
	long pid = -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

long cluster_pid_postmaster(const slate_cluster *c)
{
	return lock_file_pid(c, "postmaster.pid");
}

/* After a crash of the whole machine, postmaster.pid may name a PID that
 * now belongs to another process of the same user; pg_ctl and postgres
 * then both believe the server runs. A postmaster's working directory is
 * its data directory, which tells the two apart. A killed postmaster that
 * nobody has reaped yet is a zombie, alive to kill(pid, 0) only. */
bool cluster_pid_stale(const slate_cluster *c, long pid)
{
	char proc[64], buf[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/%ld/stat", pid);
	FILE *f = fopen(proc, "re");
	if (f) {
		/* "pid (comm) S ...": comm may hold spaces and parentheses. */
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *end = strrchr(buf, ')');
		if (end && (end[1] == ' ') && (end[2] == 'Z' || end[2] == 'X'))
			return true;
	}
	snprintf(proc, sizeof(proc), "/proc/%ld/cwd", pid);
	ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0)
		return false; /* unknown: trust pg_ctl */
	buf[n] = '\0';
	return strcmp(buf, c->cluster_dir) != 0;
}

/* Removes the data dir's and the socket's lock files when the PID they
 * name is provably not this cluster's server; postgres itself only
 * recognises PIDs that are gone. */
void cluster_pid_remove_stale(const slate_cluster *c)
{
	static const char *const names[] = {"postmaster.pid",
					    SOCKET_FILE ".lock"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long pid = lock_file_pid(c, names[i]);
		if (pid <= 0 || !cluster_pid_stale(c, pid))
			continue;
		char *p = cluster_path_join(c->cluster_dir, names[i]);
		if (!p)
			continue;
		slate_log(SLATE_LOG_WARN, "core", NULL,
			  "removing stale %s: PID %ld is not this cluster's "
			  "server",
			  p, pid);
		unlink(p);
		free(p);
	}
}

/* Field 22 of /proc/<pid>/stat, the start time in clock ticks since boot:
 * with the PID it names one process for the life of the machine, so a
 * PID reused by another process after a crash is told apart. 0 when the
 * process is gone or a zombie (dead, only not reaped yet). */
static unsigned long long proc_start_ticks(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses. */
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

/* <data_dir>/pg.owner: "<pid> <start ticks>" of the process that stops
 * the cluster when it stops. A new string the caller frees, or NULL. */
static char *owner_path(const slate_cluster *c)
{
	return cluster_path_join(c->data_dir, "pg.owner");
}

bool cluster_pid_owner_alive(const slate_cluster *c)
{
	char *p = owner_path(c);
	FILE *f = p ? fopen(p, "re") : NULL;
	free(p);
	if (!f)
		return false;
	long pid = -1;
	unsigned long long ticks = 0;
	int got = fscanf(f, "%ld %llu", &pid, &ticks);
	fclose(f);
	if (got != 2 || pid <= 0)
		return false;
	return proc_start_ticks(pid) == ticks && ticks != 0;
}

int cluster_pid_owner_claim(const slate_cluster *c)
{
	char *p = owner_path(c);
	char *tmp = p ? cluster_path_join(c->data_dir, "pg.owner.tmp") : NULL;
	unsigned long long ticks = proc_start_ticks((long)getpid());
	FILE *f = tmp && ticks ? fopen(tmp, "we") : NULL;
	int rc = -1;
	if (f) {
		/* Written aside and renamed: a reader sees the old owner or
		 * the new one, never half a line. */
		int w = fprintf(f, "%ld %llu\n", (long)getpid(), ticks);
		if (fclose(f) == 0 && w > 0 && rename(tmp, p) == 0)
			rc = 0;
	}
	if (rc < 0)
		slate_log(SLATE_LOG_WARN, "core", NULL,
			  "cannot record this process as the cluster's owner "
			  "in %s: a later slated will stop it anyway",
			  p ? p : "pg.owner");
	free(tmp);
	free(p);
	return rc;
}

void cluster_pid_owner_clear(const slate_cluster *c)
{
	char *p = owner_path(c);
	FILE *f = p ? fopen(p, "re") : NULL;
	long pid = -1;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	if (pid == (long)getpid())
		unlink(p);
	free(p);
}

/* dpkg replaces a binary by renaming a new file over it, so a server
 * started before an upgrade runs an inode the path no longer names
 * (/proc/<pid>/exe then reads "... (deleted)"); stat() through
 * /proc/<pid>/exe reaches that inode even so. A binary rewritten in place
 * keeps its inode but gets an mtime later than the server's start, which
 * postmaster.pid records (third line, seconds since the epoch). */
bool cluster_pid_binary_changed(const slate_cluster *c, long pid)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/%ld/exe", pid);
	struct stat running, disk;
	char *path = cluster_path_join(c->bindir, "postgres");
	bool have = path && stat(path, &disk) == 0;
	free(path);
	/* Unknown (not ours to inspect, no binary at all): leave it be. */
	if (!have || stat(proc, &running) != 0)
		return false;
	if (running.st_dev != disk.st_dev || running.st_ino != disk.st_ino)
		return true;
	char *pidfile = cluster_path_join(c->cluster_dir, "postmaster.pid");
	FILE *f = pidfile ? fopen(pidfile, "re") : NULL;
	free(pidfile);
	if (!f)
		return false;
	char line[PATH_MAX];
	long long started = -1;
	for (int i = 0; i < 3 && fgets(line, sizeof(line), f); i++)
		if (i == 2)
			started = strtoll(line, NULL, 10);
	fclose(f);
	return started > 0 && (long long)disk.st_mtime > started;
}
