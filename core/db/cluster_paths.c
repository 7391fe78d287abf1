/*
 * cluster_paths.c - where the cluster lives: <data_dir>/pg, or, when the
 * cluster user cannot reach data_dir or the socket path would be too long,
 * a directory under /var/lib/slate/clusters that <data_dir>/pg links to
 * (see cluster.h). Also the small path helpers the other cluster files use.
 */
#include "db/cluster_int.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

char *cluster_path_join(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

bool cluster_path_exists(const char *dir, const char *name)
{
	char *p = cluster_path_join(dir, name);
	bool ok = p && access(p, F_OK) == 0;
	free(p);
	return ok;
}

static int mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0)
		return 0;
	return errno == EEXIST ? 0 : -1;
}

/* mkdir -p: parents 0755, the last component `mode`. */
int cluster_path_mkdirs(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir_mode(p, 0755) < 0) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir_mode(p, mode);
	free(p);
	return rc;
}

/* Creates `dir` (0700) when missing and, when root, hands an empty one to
 * the cluster user; refuses an initialised cluster owned by someone else,
 * which PostgreSQL would refuse with a less helpful message. */
static int prepare_cluster_dir(const slate_cluster *c, const char *dir,
			       char *err, size_t errlen)
{
	if (mkdir_mode(dir, 0700) < 0)
		return slate_errf(err, errlen, "cannot create %s: %s", dir,
				  strerror(errno));
	struct stat st;
	if (stat(dir, &st) < 0)
		return slate_errf(err, errlen, "cannot stat %s: %s", dir,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return slate_errf(err, errlen, "%s is not a directory", dir);
	uid_t want = c->drop ? c->uid : geteuid();
	if (st.st_uid == want)
		return 0;
	if (cluster_path_exists(dir, "PG_VERSION"))
		return slate_errf(
		    err, errlen,
		    "the cluster in %s belongs to uid %u, not to uid %u "
		    "that runs it: chown -R it or remove it",
		    dir, (unsigned)st.st_uid, (unsigned)want);
	/* Not root: nothing to hand over; initdb reports what it dislikes. */
	if (!c->drop)
		return 0;
	if (chown(dir, c->uid, c->gid) < 0 || chmod(dir, 0700) < 0)
		return slate_errf(err, errlen, "cannot hand %s to uid %u: %s",
				  dir, (unsigned)c->uid, strerror(errno));
	return 0;
}

static bool socket_fits(const char *dir)
{
	return strlen(dir) + strlen(SOCKET_NAME) < SOCKET_PATH_MAX;
}

static int check_socket(const char *dir, char *err, size_t errlen)
{
	if (socket_fits(dir))
		return 0;
	return slate_errf(err, errlen,
			  "the database socket %s%s would be longer than %d "
			  "characters, which unix sockets cannot hold: use a "
			  "shorter data_dir",
			  dir, SOCKET_NAME, SOCKET_PATH_MAX - 1);
}

/* /var/lib/slate/clusters/<first 16 hex of sha256(data_dir)>. */
static char *fallback_dir(const char *data_dir)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data_dir, strlen(data_dir), md, &mdlen, EVP_sha256(),
			NULL) ||
	    mdlen < 8)
		return NULL;
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return cluster_path_join(FALLBACK_DIR, hex);
}

/* Decides where the cluster lives; see cluster.h. Sets c->cluster_dir
 * to a real (symlink-free) path. */
int cluster_path_resolve(slate_cluster *c, char *err, size_t errlen)
{
	char *link = cluster_path_join(c->data_dir, "pg");
	char *dir = NULL;
	int rc = -1;
	if (!link) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}

	struct stat st;
	if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* Placed elsewhere by an earlier start: follow it. */
		char target[PATH_MAX];
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < 0) {
			slate_errf(err, errlen, "cannot read symlink %s: %s",
				   link, strerror(errno));
			goto out;
		}
		target[n] = '\0';
		if (target[0] != '/') {
			slate_errf(err, errlen,
				   "%s must point to an absolute path", link);
			goto out;
		}
		if (c->drop && cluster_path_mkdirs(FALLBACK_DIR, 0755) < 0) {
			slate_errf(err, errlen, "cannot create %s: %s",
				   FALLBACK_DIR, strerror(errno));
			goto out;
		}
		dir = strdup(target);
	} else {
		const char *why = NULL;
		if (c->drop && !cluster_proc_can_reach(c, c->data_dir))
			why = "cannot reach";
		else if (c->drop && !socket_fits(link))
			why = "would need a socket path too long under";
		if (!why) {
			dir = strdup(link);
		} else if (cluster_path_exists(link, "PG_VERSION")) {
			slate_errf(
			    err, errlen,
			    "user %s %s %s, which holds an existing cluster: "
			    "make the path reachable (chmod o+x on each "
			    "parent) or move the data directory",
			    c->user, why, c->data_dir);
			goto out;
		} else {
			dir = fallback_dir(c->data_dir);
			if (!dir ||
			    cluster_path_mkdirs(FALLBACK_DIR, 0755) < 0) {
				slate_errf(err, errlen, "cannot create %s: %s",
					   FALLBACK_DIR, strerror(errno));
				goto out;
			}
			rmdir(link); /* an empty one left by an older start */
			if (symlink(dir, link) < 0) {
				slate_errf(err, errlen,
					   "cannot create symlink %s: %s", link,
					   strerror(errno));
				goto out;
			}
			slate_log(SLATE_LOG_WARN, "core", NULL,
				  "database user %s %s %s; the cluster "
				  "lives in %s instead (%s links to it)",
				  c->user, why, c->data_dir, dir, link);
		}
	}
	if (!dir) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	if (check_socket(dir, err, errlen) < 0 ||
	    prepare_cluster_dir(c, dir, err, errlen) < 0)
		goto out;
	c->cluster_dir = realpath(dir, NULL);
	if (!c->cluster_dir) {
		slate_errf(err, errlen, "cannot resolve %s: %s", dir,
			   strerror(errno));
		goto out;
	}
	if (check_socket(c->cluster_dir, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(link);
	free(dir);
	return rc;
}
