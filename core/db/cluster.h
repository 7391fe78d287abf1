/*
 * db_cluster.h - the embedded PostgreSQL cluster slated runs when no
 * DATABASE_URL is given.
 *
 * The cluster lives in <data_dir>/pg, listens on a unix socket only (no TCP),
 * and is created with initdb on first use. When the calling process is root
 * the cluster runs as an unprivileged system user (PostgreSQL refuses root).
 * The process that started the cluster stops it in slate_cluster_stop(); a
 * process that found it already running leaves it running while the
 * process that started it runs, and otherwise adopts it and stops it like
 * one it started (restarting it first when its server binary changed on
 * disk since it started).
 *
 * When root and that user cannot reach <data_dir> (a checkout under /root,
 * mode 0700), the cluster goes to /var/lib/slate/clusters/<hash of data_dir>
 * instead and <data_dir>/pg becomes a symlink to it, followed on every later
 * start. The socket sits in the cluster directory itself, so its path must
 * stay under 100 characters. Server output goes to <data_dir>/postgresql.log,
 * initdb's to <data_dir>/pg-initdb.log.
 */
#ifndef SLATE_DB_CLUSTER_H
#define SLATE_DB_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct slate_cluster slate_cluster;

typedef struct slate_cluster_opts {
	const char *pg_bindir;	  /* NULL: search the usual places */
	const char *cluster_user; /* used when running as root; "slate" */
	const char *dbname;	  /* database created on first start; "slate" */
	/* Tests only: initdb --no-sync and fsync=off. Faster, but a crash of
	 * the machine can corrupt the cluster. false (fsync on) by default. */
	bool no_fsync;
} slate_cluster_opts;

/* Make sure the cluster under `data_dir` exists and runs. On success *out
 * owns the handle (free with slate_cluster_stop). -1 and a reason in err. */
int slate_cluster_start(const char *data_dir, const slate_cluster_opts *opts,
			slate_cluster **out, char *err, size_t errlen);

/* libpq connection string for the cluster (borrowed from the handle). */
const char *slate_cluster_conninfo(const slate_cluster *c);

/* Stop the cluster if this handle started or adopted it ("fast"
 * shutdown), then free the handle. NULL is allowed. 0, or -1 when pg_ctl stop
 * failed. */
int slate_cluster_stop(slate_cluster *c);

#endif
