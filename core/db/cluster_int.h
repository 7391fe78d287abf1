/*
 * cluster_int.h - what the files of the embedded cluster share: the
 * handle's layout, PostgreSQL's fixed names, and the step each file
 * offers to cluster.c (the lifecycle, the only user of most of them).
 * Not for use outside core/db/cluster*.c.
 *
 * Direction: cluster.c calls every other file; cluster_bin.c,
 * cluster_paths.c and cluster_init.c call cluster_proc.c and the path
 * helpers of cluster_paths.c; cluster_proc.c calls none of them.
 *
 * Errors: functions taking err/errlen return 0, or -1 with a one-line
 * reason written there (slate_errf).
 */
#ifndef SLATE_DB_CLUSTER_INT_H
#define SLATE_DB_CLUSTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* As in cluster.h, which this header does not include: cluster.c, the
 * public side, sits above the files that include only this one. */
typedef struct slate_cluster slate_cluster;

#define PG_LIBDIR "/usr/lib/postgresql"
#define FALLBACK_ROOT "/var/lib/slate"
#define FALLBACK_DIR FALLBACK_ROOT "/clusters"
#define PG_PORT "5432"
#define SOCKET_FILE ".s.PGSQL." PG_PORT
#define SOCKET_NAME "/" SOCKET_FILE
/* sun_path is 108 bytes; stay well inside it. */
#define SOCKET_PATH_MAX 100
#define PG_SUPERUSER "slate"
#define START_TIMEOUT_S "60"
#define CONF_FILE "slate.conf"
#define CONF_INCLUDE "include_if_exists = '" CONF_FILE "'"

struct slate_cluster {
	char *data_dir;	   /* absolute, as configured */
	char *cluster_dir; /* PostgreSQL's data dir, symlinks resolved */
	char *bindir;
	char *server_log;
	char *conninfo;
	char *user;   /* the cluster user when root, for messages */
	bool started; /* we started or adopted it, so we stop it */
	bool adopted; /* found running, its owner gone */
	bool drop;    /* run pg binaries as uid/gid below */
	bool no_fsync;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

/* ---- cluster_proc.c: running the cluster's programs ------------------- */

/* Runs argv[0] (as the cluster user when c->drop; c may be NULL) with
 * stdout and stderr to out_fd (-1: /dev/null). The exit status (128 +
 * signal when killed), or -1 when it could not be run. */
int cluster_proc_run(const slate_cluster *c, char *const argv[], int out_fd,
		     bool new_session);
/* Whether the cluster user can traverse `dir`. */
bool cluster_proc_can_reach(const slate_cluster *c, const char *dir);
/* A log file for a program's output, opened here so the cluster user
 * needs no access to it. The caller closes the descriptor; -1 on error. */
int cluster_proc_open_log(const char *path, bool truncate);
/* The error a program wrote to `path` past offset `from`, into buf[n]
 * ("" when nothing could be read). */
void cluster_proc_log_tail(const char *path, off_t from, char *buf, size_t n);

/* ---- cluster_bin.c: binaries and the cluster user --------------------- */

/* Sets c->bindir (owned by c) to `configured` or the installed binaries
 * matching the cluster's version. Needs c->cluster_dir. 0 or -1. */
int cluster_bin_resolve(slate_cluster *c, const char *configured, char *err,
			size_t errlen);
/* As root: looks up (creating it when missing) `user` and fills c->user,
 * uid, gid, groups (owned by c) and sets c->drop. 0 or -1. */
int cluster_bin_user(slate_cluster *c, const char *user, char *err,
		     size_t errlen);

/* ---- cluster_paths.c: where the cluster lives ------------------------- */

/* "a/b", a new string the caller frees; NULL when out of memory. */
char *cluster_path_join(const char *a, const char *b);
/* Whether dir/name exists. */
bool cluster_path_exists(const char *dir, const char *name);
/* mkdir -p: parents 0755, the last component `mode`. 0 or -1 (errno). */
int cluster_path_mkdirs(const char *path, mode_t mode);
/* Decides where the cluster lives, creating what is missing, and sets
 * c->cluster_dir (owned by c, symlink-free). 0 or -1. */
int cluster_path_resolve(slate_cluster *c, char *err, size_t errlen);

/* ---- cluster_init.c: a new cluster and its settings ------------------- */

/* initdb into c->cluster_dir. 0 or -1 (with initdb's own error). */
int cluster_init_db(slate_cluster *c, char *err, size_t errlen);
/* (Re)writes slated's settings file and includes it once from
 * postgresql.conf. 0 or -1. */
int cluster_init_conf(const slate_cluster *c, char *err, size_t errlen);

/* ---- cluster_pid.c: lock files ---------------------------------------- */

/* The PID in postmaster.pid, or -1. */
long cluster_pid_postmaster(const slate_cluster *c);
/* Whether `pid` is provably not this cluster's server. */
bool cluster_pid_stale(const slate_cluster *c, long pid);
/* Removes the lock files whose PID is stale (logged). */
void cluster_pid_remove_stale(const slate_cluster *c);
/* Whether the process <data_dir>/pg.owner names (the one that will stop
 * the cluster) still runs: same PID and same start time, not a zombie.
 * False when there is no such file. */
bool cluster_pid_owner_alive(const slate_cluster *c);
/* Records this process as the owner (atomically). 0, or -1 (logged: the
 * cluster then looks ownerless, and the next slated adopts it). */
int cluster_pid_owner_claim(const slate_cluster *c);
/* Removes the owner file when it names this process. */
void cluster_pid_owner_clear(const slate_cluster *c);
/* Whether server `pid` runs another binary than c->bindir/postgres now
 * is (replaced, or modified after the server started). False when that
 * cannot be told. Needs c->bindir. */
bool cluster_pid_binary_changed(const slate_cluster *c, long pid);

/* ---- cluster_conn.c: connecting ------------------------------------- */

/* The conninfo for `dbname` in the cluster: a new string the caller
 * frees, NULL when out of memory. */
char *cluster_conn_info(const slate_cluster *c, const char *dbname);
/* Creates `dbname` unless it exists (a concurrent creator is fine).
 * 0 or -1. */
int cluster_conn_ensure_db(const slate_cluster *c, const char *dbname,
			   char *err, size_t errlen);

#endif
