/*
 * cluster_bin.c - what runs the cluster: the PostgreSQL binaries (initdb,
 * pg_ctl, postgres) of the right major version, and, when slated is root,
 * the unprivileged system user they run as (PostgreSQL refuses root).
 */
#include "db/cluster_int.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

/* The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or
 * of `prefer` (the cluster's PG_VERSION) when that one is installed, since
 * a cluster only starts with binaries of its own major version. */
static char *find_bindir(const char *prefer)
{
	char *path = NULL;
	if (prefer && prefer[0] &&
	    asprintf(&path, PG_LIBDIR "/%s/bin/pg_ctl", prefer) >= 0) {
		bool ok = access(path, X_OK) == 0;
		free(path);
		path = NULL;
		if (ok && asprintf(&path, PG_LIBDIR "/%s/bin", prefer) >= 0)
			return path;
	}

	DIR *d = opendir(PG_LIBDIR);
	if (!d)
		return NULL;
	long best = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end || v <= best)
			continue;
		char *pg_ctl = NULL;
		if (asprintf(&pg_ctl, PG_LIBDIR "/%s/bin/pg_ctl", e->d_name) <
		    0)
			continue;
		if (access(pg_ctl, X_OK) == 0)
			best = v;
		free(pg_ctl);
	}
	closedir(d);
	if (best < 0 || asprintf(&path, PG_LIBDIR "/%ld/bin", best) < 0)
		return NULL;
	return path;
}

int cluster_bin_resolve(slate_cluster *c, const char *configured, char *err,
			size_t errlen)
{
	static const char *const progs[] = {"initdb", "pg_ctl", "postgres"};
	char version[16] = "";
	char *pv = cluster_path_join(c->cluster_dir, "PG_VERSION");
	if (!pv)
		return slate_errf(err, errlen, "out of memory");
	FILE *f = fopen(pv, "re");
	free(pv);
	if (f) {
		if (!fgets(version, sizeof(version), f))
			version[0] = '\0';
		version[strcspn(version, "\r\n")] = '\0';
		fclose(f);
	}

	c->bindir = configured ? strdup(configured) : find_bindir(version);
	if (!c->bindir)
		return slate_errf(
		    err, errlen,
		    "PostgreSQL server binaries not found under " PG_LIBDIR
		    "/*/bin: install the Debian package postgresql-15 "
		    "(`make deps` does)");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char *p = cluster_path_join(c->bindir, progs[i]);
		bool ok = p && access(p, X_OK) == 0;
		free(p);
		if (!ok)
			return slate_errf(
			    err, errlen,
			    "%s/%s is missing or not executable: install "
			    "the Debian package postgresql-15 (`make "
			    "deps` does) or fix pg_bindir",
			    c->bindir, progs[i]);
	}
	return 0;
}

/* Looks up (creating it when missing) the unprivileged user. */
int cluster_bin_user(slate_cluster *c, const char *user, char *err,
		     size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		char *argv[] = {"/usr/sbin/useradd",
				"--system",
				"--no-create-home",
				"--shell",
				"/usr/sbin/nologin",
				(char *)user,
				NULL};
		slate_log(SLATE_LOG_INFO, "core", NULL,
			  "creating system user %s to run the database cluster",
			  user);
		int rc = cluster_proc_run(NULL, argv, STDERR_FILENO, false);
		if (rc != 0)
			return slate_errf(
			    err, errlen,
			    "useradd %s failed (status %d): PostgreSQL "
			    "will not run as root, so it needs that user",
			    user, rc);
		pw = getpwnam(user);
		if (!pw)
			return slate_errf(err, errlen,
					  "user %s not found after useradd",
					  user);
	}
	if (pw->pw_uid == 0)
		return slate_errf(
		    err, errlen,
		    "cluster_user %s is root; PostgreSQL refuses to run "
		    "as root",
		    user);
	c->user = strdup(user);
	if (!c->user)
		return slate_errf(err, errlen, "out of memory");
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->drop = true;

	/* Computed here because getgrouplist is not safe after fork. */
	int n = 16;
	for (;;) {
		gid_t *g = realloc(c->groups, (size_t)n * sizeof(gid_t));
		if (!g)
			return slate_errf(err, errlen, "out of memory");
		c->groups = g;
		int want = n;
		if (getgrouplist(user, c->gid, c->groups, &want) >= 0) {
			c->ngroups = want;
			return 0;
		}
		if (want <= n)
			return slate_errf(err, errlen,
					  "getgrouplist(%s) failed", user);
		n = want;
	}
}
