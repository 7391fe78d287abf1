/*
 * cluster.c - the embedded cluster's lifecycle (see cluster.h): start it
 * (creating it first when new, reusing one already running), wait until it
 * accepts connections, and stop it when this process owns it.
 *
 * Ownership: the process that starts the server owns it and stops it, and
 * says so in <data_dir>/pg.owner. A server found running whose owner is
 * dead (slated was killed with -9; the postmaster, in its own session,
 * outlived it) is adopted: the newcomer owns it and stops it like one it
 * started, unless the server's binary changed on disk since it started
 * (a package upgrade): then it is stopped at once and started anew, since
 * an old server loading the new version's libraries fails. A server whose
 * owner still runs (slatectl beside slated, two slated on one data dir) is
 * left alone.
 *
 * The steps live in their own files, all sharing cluster_int.h:
 * cluster_bin.c (binaries, cluster user), cluster_paths.c (where it
 * lives), cluster_init.c (initdb, settings), cluster_pid.c (stale lock
 * files), cluster_conn.c (conninfo, the database), cluster_proc.c (running
 * the programs).
 */
#include "db/cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "db/cluster_int.h"

/* pg_ctl status: 0 running, 3 not running. */
static int pg_ctl_status(const slate_cluster *c)
{
	char *prog = cluster_path_join(c->bindir, "pg_ctl");
	if (!prog)
		return -1;
	char *argv[] = {prog, "status", "-D", c->cluster_dir, NULL};
	int rc = cluster_proc_run(c, argv, -1, false);
	free(prog);
	return rc;
}

/* Waits for a server pg_ctl says is running to accept connections; it may
 * still be starting or recovering. */
static int wait_ready(const slate_cluster *c, char *err, size_t errlen)
{
	char *ci = cluster_conn_info(c, "postgres");
	if (!ci)
		return slate_errf(err, errlen, "out of memory");
	PGPing ping = PQPING_NO_RESPONSE;
	for (int i = 0; i < 600; i++) {
		ping = PQping(ci);
		if (ping == PQPING_OK || ping == PQPING_NO_ATTEMPT)
			break;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	free(ci);
	if (ping != PQPING_OK)
		return slate_errf(
		    err, errlen,
		    "a server runs for %s (PID %ld in postmaster.pid) "
		    "but does not answer on its socket there; see %s",
		    c->cluster_dir, cluster_pid_postmaster(c), c->server_log);
	return 0;
}

/* pg_ctl stop -m fast, waiting for the server to be gone. 0, or -1
 * (logged). */
static int pg_ctl_stop(const slate_cluster *c)
{
	char *prog = cluster_path_join(c->bindir, "pg_ctl");
	char *argv[] = {prog,	"stop", "-D", c->cluster_dir,  "-m",
			"fast", "-w",	"-t", START_TIMEOUT_S, "-s",
			NULL};
	int fd = cluster_proc_open_log(c->server_log, false);
	int status = prog ? cluster_proc_run(c, argv, fd, false) : -1;
	if (fd >= 0)
		close(fd);
	free(prog);
	if (status != 0) {
		slate_log(SLATE_LOG_ERROR, "core", NULL,
			  "pg_ctl stop failed for %s (status %d), see %s",
			  c->cluster_dir, status, c->server_log);
		return -1;
	}
	return 0;
}

static int pg_ctl_start(slate_cluster *c, char *err, size_t errlen)
{
	char *prog = cluster_path_join(c->bindir, "pg_ctl");
	int rc = -1;
	if (!prog) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	int fd = cluster_proc_open_log(c->server_log, false);
	if (fd < 0) {
		slate_errf(err, errlen, "cannot open %s: %s", c->server_log,
			   strerror(errno));
		goto out;
	}
	off_t log_start = lseek(fd, 0, SEEK_END);
	/* No -l: the server writes to the inherited descriptor. */
	char *argv[] = {
	    prog, "start", "-D", c->cluster_dir, "-w", "-t", START_TIMEOUT_S,
	    "-s", NULL};
	int status = cluster_proc_run(c, argv, fd, true);
	close(fd);
	if (status != 0) {
		/* Another process may have started it at the same moment. */
		if (pg_ctl_status(c) == 0) {
			rc = wait_ready(c, err, errlen);
			goto out;
		}
		char tail[600];
		cluster_proc_log_tail(c->server_log, log_start, tail,
				      sizeof(tail));
		slate_errf(
		    err, errlen,
		    "PostgreSQL did not start (pg_ctl status %d), see %s: %s",
		    status, c->server_log, tail);
		goto out;
	}
	c->started = true;
	rc = 0;
out:
	free(prog);
	return rc;
}

/* Takes <data_dir>/pg.lock, which serialises starting and stopping the
 * cluster between processes. The descriptor (closing it unlocks), or -1
 * with the reason. */
static int lock_data_dir(const slate_cluster *c, char *err, size_t errlen)
{
	char *lock_path = cluster_path_join(c->data_dir, "pg.lock");
	int fd = lock_path ? open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)
			   : -1;
	if (fd < 0) {
		slate_errf(err, errlen, "cannot open %s: %s",
			   lock_path ? lock_path : "pg.lock", strerror(errno));
		free(lock_path);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			slate_errf(err, errlen, "cannot lock %s: %s", lock_path,
				   strerror(errno));
			close(fd);
			fd = -1;
			break;
		}
	}
	free(lock_path);
	return fd;
}

static void cluster_free(slate_cluster *c)
{
	if (!c)
		return;
	free(c->data_dir);
	free(c->cluster_dir);
	free(c->bindir);
	free(c->server_log);
	free(c->conninfo);
	free(c->groups);
	free(c->user);
	free(c);
}

/* A server runs already (postmaster `pid`, -1 when unknown): use it,
 * adopt it, or restart it (see the top of this file). 1 when it was
 * stopped and must be started again, 0 when it is ready, -1 on error. */
static int reuse_running(slate_cluster *c, long pid, char *err, size_t errlen)
{
	if (cluster_pid_owner_alive(c)) {
		if (pid > 0 && cluster_pid_binary_changed(c, pid))
			slate_log(SLATE_LOG_WARN, "core", NULL,
				  "the PostgreSQL server of %s (PID %ld) runs "
				  "a binary that changed on disk since; its "
				  "owner still runs, so it is left to restart "
				  "it",
				  c->cluster_dir, pid);
		return wait_ready(c, err, errlen);
	}
	if (pid > 0 && cluster_pid_binary_changed(c, pid)) {
		slate_log(SLATE_LOG_WARN, "core", NULL,
			  "the PostgreSQL server of %s (PID %ld) runs a binary "
			  "that changed on disk since it started: restarting "
			  "it",
			  c->cluster_dir, pid);
		if (pg_ctl_stop(c) < 0)
			return slate_errf(err, errlen,
					  "cannot stop the outdated server of "
					  "%s (PID %ld), see %s",
					  c->cluster_dir, pid, c->server_log);
		return 1;
	}
	if (wait_ready(c, err, errlen) < 0)
		return -1;
	/* Its owner died without stopping it: from now on it is ours. */
	c->started = true;
	c->adopted = true;
	return 0;
}

/* Runs the server up to the point of accepting connections: reuse a
 * running one, otherwise start it (creating it first when new). */
static int bring_up(slate_cluster *c, char *err, size_t errlen)
{
	if (!cluster_path_exists(c->cluster_dir, "PG_VERSION") &&
	    cluster_init_db(c, err, errlen) < 0)
		return -1;

	if (pg_ctl_status(c) == 0) {
		long pid = cluster_pid_postmaster(c);
		if (pid <= 0 || !cluster_pid_stale(c, pid)) {
			int rc = reuse_running(c, pid, err, errlen);
			if (rc <= 0)
				return rc;
		}
	}
	cluster_pid_remove_stale(c);
	if (cluster_init_conf(c, err, errlen) < 0)
		return -1;
	return pg_ctl_start(c, err, errlen);
}

int slate_cluster_start(const char *data_dir, const slate_cluster_opts *opts,
			slate_cluster **out, char *err, size_t errlen)
{
	const char *user =
	    opts && opts->cluster_user ? opts->cluster_user : "slate";
	const char *dbname = opts && opts->dbname ? opts->dbname : "slate";
	*out = NULL;

	int lock_fd = -1;
	slate_cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return slate_errf(err, errlen, "out of memory");
	c->no_fsync = opts && opts->no_fsync;

	if (!data_dir || !data_dir[0]) {
		slate_errf(err, errlen, "no data directory given");
		goto fail;
	}
	/* As root, 0711: others may traverse but not list it, so the cluster
	 * user can reach its own 0700 pg/ inside; otherwise 0700. */
	if (cluster_path_mkdirs(data_dir, geteuid() == 0 ? 0711 : 0700) < 0) {
		slate_errf(err, errlen, "cannot create data directory %s: %s",
			   data_dir, strerror(errno));
		goto fail;
	}
	c->data_dir = realpath(data_dir, NULL);
	if (!c->data_dir) {
		slate_errf(err, errlen, "cannot resolve %s: %s", data_dir,
			   strerror(errno));
		goto fail;
	}
	c->server_log = cluster_path_join(c->data_dir, "postgresql.log");
	if (!c->server_log) {
		slate_errf(err, errlen, "out of memory");
		goto fail;
	}

	if (geteuid() == 0 && cluster_bin_user(c, user, err, errlen) < 0)
		goto fail;

	/* slated and slatectl may start together: one initdb, one pg_ctl. */
	lock_fd = lock_data_dir(c, err, errlen);
	if (lock_fd < 0)
		goto fail;
	if (cluster_path_resolve(c, err, errlen) < 0 ||
	    cluster_bin_resolve(c, opts ? opts->pg_bindir : NULL, err, errlen) <
		0 ||
	    bring_up(c, err, errlen) < 0 ||
	    cluster_conn_ensure_db(c, dbname, err, errlen) < 0)
		goto fail;
	if (c->started)
		cluster_pid_owner_claim(c);
	close(lock_fd);
	lock_fd = -1;
	c->conninfo = cluster_conn_info(c, dbname);
	if (!c->conninfo) {
		slate_errf(err, errlen, "out of memory");
		goto fail;
	}
	slate_log(SLATE_LOG_INFO, "core", NULL, "database cluster %s in %s",
		  c->adopted   ? "adopted (its slated was gone)"
		  : c->started ? "started"
			       : "already running",
		  c->cluster_dir);
	*out = c;
	return 0;
fail:
	if (lock_fd >= 0)
		close(lock_fd);
	/* Leave nothing running that the caller cannot stop. */
	if (c->started)
		slate_cluster_stop(c);
	else
		cluster_free(c);
	return -1;
}

const char *slate_cluster_conninfo(const slate_cluster *c)
{
	return c->conninfo;
}

int slate_cluster_stop(slate_cluster *c)
{
	if (!c)
		return 0;
	int rc = 0;
	if (c->started) {
		/* Under the start lock: a slated starting meanwhile waits,
		 * then finds the server gone and starts its own, instead of
		 * using one about to stop. */
		char err[256];
		int lock_fd = lock_data_dir(c, err, sizeof(err));
		rc = pg_ctl_stop(c);
		cluster_pid_owner_clear(c);
		if (lock_fd >= 0)
			close(lock_fd);
	}
	cluster_free(c);
	return rc;
}
