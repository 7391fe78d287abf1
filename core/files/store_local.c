/*
 * store_local.c - the local-filesystem store: one directory per store
 * under the data dir (<data_dir>/objects/primary, .../thumbnails).
 *
 * Atomic writes: bytes go to a temporary file in <root>/.tmp (the same
 * filesystem, so rename is atomic), which is fsynced and renamed onto the
 * key, and the directory is fsynced, so after commit the object survives a
 * crash and before it no reader sees any of it. Abort unlinks the file.
 *
 * Dead writers: a writer holds an exclusive flock(2) on its temporary file
 * from creation until the rename, and the kernel drops it when the process
 * dies, however it dies. A temporary file whose lock can be taken therefore
 * belongs to a dead writer and is removed, whatever its age: at open and
 * every sweep (local_sweep_tmp). flock locks belong to the open file
 * description, so they hold between the threads of one process and
 * between processes sharing the directory on one machine.
 *
 * On NFS, flock is emulated with byte-range locks through the lock manager
 * (or only locally with the nolock mount option), so a lock taken on one
 * machine may not exclude a writer on another: there the sweep falls back
 * to age alone (LOCAL_TMP_STALE_S).
 *
 * Escapes: keys are checked by slate_store_key_valid() (no "..", no
 * absolute path, no NUL), and every path is walked one component at a time
 * from the root's descriptor with O_NOFOLLOW, so a symlink planted inside
 * the root cannot lead out of it either.
 */
#include "files/store_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* Writes are gathered into this much before each write(2): libmicrohttpd
 * hands the body over in pieces of a few KiB, and a syscall per piece
 * would cost more than the copy. Constant per upload. */
#define LOCAL_WBUF (256 * 1024)

/* Where locks cannot be trusted (NFS), a temporary file untouched this
 * long belongs to a write that died with its process: every live write
 * appends to its file far more often, and HTTP uploads time out within a
 * minute of silence. */
#define LOCAL_TMP_STALE_S 3600
/* From linux/magic.h, which is not always installed. */
#define LOCAL_NFS_SUPER_MAGIC 0x6969

typedef struct local_store {
	slate_store base;
	int rootfd, tmpfd;
	char *root;
	bool age_only; /* locks do not span machines here (NFS) */
} local_store;

typedef struct local_writer {
	slate_store_writer base;
	int fd;
	char tmpname[64];
	char *key;
	size_t used;
	char buf[LOCAL_WBUF];
} local_writer;

static int mkdir_p(const char *path)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -1;
	return 0;
}

/* Open the directory holding `key`'s last component, walking from the
 * root without following symlinks; with `create`, make missing
 * directories. The last component is copied to `last`. fd or -1. */
static int walk_parent(local_store *s, const char *key, bool create, char *last,
		       size_t lastlen)
{
	char comp[SLATE_STORE_COMPONENT_MAX + 1];
	int dfd = dup(s->rootfd);
	const char *p = key;
	if (dfd < 0)
		return -1;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash) {
			snprintf(last, lastlen, "%s", p);
			return dfd;
		}
		size_t n = (size_t)(slash - p);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(dfd, comp, 0750) && errno != EEXIST) {
			close(dfd);
			return -1;
		}
		int next = openat(
		    dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		if (next < 0)
			return -1;
		dfd = next;
		p = slash + 1;
	}
}

#define LOCAL_TMP_RANDOM 12

/* Creates <tmp>/<hex of rnd>.part and locks it (see the top of the file);
 * its name into name[64]. The file is created before it is locked, so a
 * sweep may take the lock in between and unlink it: a file found unlinked
 * once locked is dropped and another name tried (rnd's last byte bumped).
 * The descriptor, or -1 (errno). */
static int open_locked_tmp(local_store *s, unsigned char *rnd, char *name)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		char *o = name;
		for (size_t i = 0; i < LOCAL_TMP_RANDOM; i++, o += 2)
			sprintf(o, "%02x", rnd[i]);
		strcpy(o, ".part");
		rnd[LOCAL_TMP_RANDOM - 1]++;
		int fd = openat(
		    s->tmpfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
		struct stat st;
		int rc;
		while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
			;
		if (rc == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		int saved = errno;
		close(fd);
		if (rc < 0) {
			unlinkat(s->tmpfd, name, 0);
			errno = saved;
			return -1;
		}
	}
	errno = EAGAIN;
	return -1;
}

static int local_put_begin(slate_store *base, const char *key,
			   const char *content_type, uint64_t size,
			   slate_store_writer **out)
{
	(void)content_type;
	(void)size;
	local_store *s = (local_store *)base;
	local_writer *w = malloc(sizeof(*w));
	if (!w)
		return -1;
	w->base.store = base;
	w->used = 0;
	w->key = strdup(key);
	unsigned char rnd[LOCAL_TMP_RANDOM];
	if (!w->key || RAND_bytes(rnd, sizeof(rnd)) != 1) {
		free(w->key);
		free(w);
		return -1;
	}
	w->fd = open_locked_tmp(s, rnd, w->tmpname);
	if (w->fd < 0) {
		free(w->key);
		free(w);
		return -1;
	}
	*out = &w->base;
	return 0;
}

static int flush_buf(local_writer *w)
{
	size_t off = 0;
	while (off < w->used) {
		ssize_t n = write(w->fd, w->buf + off, w->used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	w->used = 0;
	return 0;
}

static int local_put_write(slate_store_writer *base, const void *buf, size_t n)
{
	local_writer *w = (local_writer *)base;
	const char *p = buf;
	while (n) {
		size_t take = LOCAL_WBUF - w->used;
		if (take > n)
			take = n;
		memcpy(w->buf + w->used, p, take);
		w->used += take;
		p += take;
		n -= take;
		if (w->used == LOCAL_WBUF && flush_buf(w))
			return -1;
	}
	return 0;
}

static void local_put_abort(slate_store_writer *base)
{
	local_writer *w = (local_writer *)base;
	local_store *s = (local_store *)base->store;
	/* Unlinked before the lock goes with the descriptor: never a
	 * moment when a sweep could take it for a dead writer's. */
	unlinkat(s->tmpfd, w->tmpname, 0);
	if (w->fd >= 0)
		close(w->fd);
	free(w->key);
	free(w);
}

static int local_put_commit(slate_store_writer *base)
{
	local_writer *w = (local_writer *)base;
	local_store *s = (local_store *)base->store;
	char last[SLATE_STORE_COMPONENT_MAX + 1];
	if (flush_buf(w) || fsync(w->fd)) {
		local_put_abort(base);
		return -1;
	}
	int dfd = walk_parent(s, w->key, true, last, sizeof(last));
	if (dfd < 0) {
		local_put_abort(base);
		return -1;
	}
	/* rename replaces whatever is at `last`, a symlink included, without
	 * following it; fsync of the directory makes the new name durable.
	 * The descriptor, and so the lock, is kept until the file has left
	 * the temporary directory: a sweep must not take it for dead. */
	int rc = renameat(s->tmpfd, w->tmpname, dfd, last);
	if (rc == 0)
		fsync(dfd);
	close(dfd);
	if (rc) {
		local_put_abort(base);
		return -1;
	}
	/* The data is durable (fsync above): close cannot lose it now. */
	close(w->fd);
	free(w->key);
	free(w);
	return 0;
}

static void fill_stat(const struct stat *sb, slate_store_info *st)
{
	st->size = (uint64_t)sb->st_size;
	st->mtime = sb->st_mtime;
	snprintf(st->etag, sizeof(st->etag), "%llx-%llx-%llx",
		 (unsigned long long)sb->st_ino,
		 (unsigned long long)sb->st_size,
		 (unsigned long long)sb->st_mtim.tv_sec * 1000000000ull +
		     (unsigned long long)sb->st_mtim.tv_nsec);
}

static int local_open_fd(slate_store *base, const char *key,
			 slate_store_info *st)
{
	local_store *s = (local_store *)base;
	char last[SLATE_STORE_COMPONENT_MAX + 1];
	int dfd = walk_parent(s, key, false, last, sizeof(last));
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -1;
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	if (st)
		fill_stat(&sb, st);
	return fd;
}

static int local_stat(slate_store *base, const char *key, slate_store_info *st)
{
	int fd = local_open_fd(base, key, st);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
			   ? 1
			   : -1;
	close(fd);
	return 0;
}

static int local_del(slate_store *base, const char *key)
{
	local_store *s = (local_store *)base;
	char last[SLATE_STORE_COMPONENT_MAX + 1];
	int dfd = walk_parent(s, key, false, last, sizeof(last));
	if (dfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	int rc = unlinkat(dfd, last, 0);
	close(dfd);
	return rc && errno != ENOENT ? -1 : 0;
}

static void local_free(slate_store *base)
{
	local_store *s = (local_store *)base;
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->tmpfd >= 0)
		close(s->tmpfd);
	free(s->root);
	free(s);
}

static int local_sweep_tmp(slate_store *base);

static const slate_store_ops local_ops = {
    .backend = "local",
    .put_begin = local_put_begin,
    .put_write = local_put_write,
    .put_commit = local_put_commit,
    .put_abort = local_put_abort,
    .open_fd = local_open_fd,
    .stat = local_stat,
    .del = local_del,
    .presign = NULL,
    .free = local_free,
    .sweep_tmp = local_sweep_tmp,
};

/* Whether temporary file `name` belongs to a dead writer, and if so
 * removes it. With locks, while holding the file's lock (so its writer
 * cannot be alive), and only the very file locked, not one renamed into
 * its place meanwhile. 1 when removed, 0 otherwise. */
static int sweep_one(local_store *s, const char *name, time_t now)
{
	struct stat at;
	if (fstatat(s->tmpfd, name, &at, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISREG(at.st_mode))
		return 0;
	if (s->age_only) {
		if (now - at.st_mtime < LOCAL_TMP_STALE_S)
			return 0;
		return unlinkat(s->tmpfd, name, 0) == 0;
	}
	int fd = openat(s->tmpfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	int removed = 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
	    st.st_ino == at.st_ino && st.st_dev == at.st_dev)
		removed = unlinkat(s->tmpfd, name, 0) == 0;
	close(fd);
	return removed;
}

/* Remove the temporary files of writes that died (see the top of the
 * file). Best effort: what cannot be removed now is tried next time. */
static int local_sweep_tmp(slate_store *base)
{
	local_store *s = (local_store *)base;
	int fd = openat(s->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	time_t now = time(NULL);
	int removed = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			removed += sweep_one(s, e->d_name, now);
	closedir(d);
	return removed;
}

slate_store *slate_store_local_new(const char *name, const char *root,
				   char *err, size_t errlen)
{
	local_store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &local_ops;
	snprintf(s->base.name, sizeof(s->base.name), "%s", name);
	s->rootfd = s->tmpfd = -1;
	s->root = strdup(root);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/.tmp", root);
	if (!s->root || mkdir_p(tmp) ||
	    (s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (s->tmpfd =
		 openat(s->rootfd, ".tmp",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "storage %s: cannot use %s: %s", name,
			 root, strerror(errno));
		local_free(&s->base);
		return NULL;
	}
	struct statfs fs;
	s->age_only =
	    fstatfs(s->tmpfd, &fs) == 0 && fs.f_type == LOCAL_NFS_SUPER_MAGIC;
	local_sweep_tmp(&s->base);
	return &s->base;
}
