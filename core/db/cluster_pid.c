/*
 * cluster_pid.c - the server's lock files (postmaster.pid and the socket's
 * lock): which PID they name, and removing them when that PID is provably
 * not this cluster's server any more (after a crash of the machine).
 */
#include "db/cluster_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
