/*
 * ingest_file.c - one settled file, from its bytes to a committed clip, on
 * an ingest worker thread:
 *
 *   open (no symlinks) and check it is still the file that settled;
 *   sniff its first bytes and name (ingest_sniff.c): not media -> rejected;
 *   hash it (SHA-256) and ask the database whether these bytes are known
 *     (ingest_db.c, prepare): yes -> a duplicate, no clip;
 *   store it with file_put_fd under a key made from the hash (so a retry
 *     after kill -9 writes the same object), hashing again on the way: a
 *     different hash means the file changed while read -> settle again;
 *   commit clip + file_attach + content row in one transaction (commit);
 *   then, with on_ingest "move", move the original to done_dir or delete
 *     it (also for a duplicate; never for a rejected file).
 *
 * The file is read twice (hash, then store) so that the object key can
 * carry the hash and a duplicate costs no write; the second read mostly
 * comes from the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "ingest_inflight.h"

#define CHUNK (1 << 20)

static bool same_file(const struct stat *st, const ing_item *it)
{
	return st->st_size == it->size && (uint64_t)st->st_ino == it->ino &&
	       (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec ==
		   it->mtime_ns;
}

/* SHA-256 of the whole file into it->sha256. 0, 1 when stopping, -1 on a
 * read error (reason set). */
static int hash_file(ing *g, int fd, ing_item *it, unsigned char *buf)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		snprintf(it->reason, sizeof(it->reason), "no memory to hash");
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	off_t off = 0;
	int rc = 0;
	for (;;) {
		if (atomic_load(&g->stop)) {
			rc = 1;
			break;
		}
		ssize_t n = pread(fd, buf, CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(it->reason, sizeof(it->reason),
				 "reading the file: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += n;
	}
	unsigned char d[32];
	unsigned int dl = 0;
	if (rc == 0 && EVP_DigestFinal_ex(md, d, &dl) && dl == 32) {
		for (int i = 0; i < 32; i++)
			snprintf(it->sha256 + 2 * i, 3, "%02x", d[i]);
		if (off != it->size)
			rc = 2; /* it grew or shrank while read */
	}
	EVP_MD_CTX_free(md);
	return rc;
}

static int mkdir_p(char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		int rc = mkdir_p(dir);
		*slash = '/';
		if (rc)
			return -1;
	}
	return mkdir(dir, 0775) && errno != EEXIST ? -1 : 0;
}

/* Copy src to dst (a new file) for a move across filesystems. */
static int copy_across(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out =
	    in < 0 ? -1
		   : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
	char buf[65536];
	ssize_t n = 0;
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	int rc = out >= 0 && n == 0 && fsync(out) == 0 ? 0 : -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = -1;
	if (rc && out >= 0)
		unlink(dst);
	return rc;
}

/* on_ingest "move": after the clip (or its original) committed, move the
 * file to done_dir (keeping its relative path; "-1", "-2"... when the name
 * is taken there) or delete it. Only when it is still the file that was
 * ingested. A failure is reported and left for the next scan, which finds
 * the file again as a duplicate and retries the move. */
static void finish_original(ing *g, ing_item *it)
{
	const ing_folder_cfg *c = it->f->cfg;
	struct stat st;
	if (!c->move || lstat(it->path, &st) || !same_file(&st, it))
		return;
	char why[300] = "";
	if (!c->done_dir) {
		if (unlink(it->path))
			snprintf(why, sizeof(why), "deleting it: %s",
				 strerror(errno));
	} else {
		char dst[4200], dir[4200];
		snprintf(dst, sizeof(dst), "%s/%s", c->done_dir, it->rel);
		snprintf(dir, sizeof(dir), "%s", dst);
		const char *dot = strrchr(it->rel, '.');
		size_t stem =
		    strlen(dst) - (dot && !strchr(dot, '/') ? strlen(dot) : 0);
		for (int i = 1; i < 1000 && access(dst, F_OK) == 0; i++)
			snprintf(dst, sizeof(dst), "%.*s-%d%s", (int)stem, dir,
				 i, dot && !strchr(dot, '/') ? dot : "");
		snprintf(dir, sizeof(dir), "%s", dst);
		if (mkdir_p(dirname(dir)))
			snprintf(why, sizeof(why),
				 "creating the folder of %.200s", dst);
		else if (rename(it->path, dst) &&
			 (errno != EXDEV || copy_across(it->path, dst) ||
			  unlink(it->path)))
			snprintf(why, sizeof(why), "moving it to %.200s: %s",
				 dst, strerror(errno));
	}
	if (why[0]) {
		char msg[400];
		snprintf(msg, sizeof(msg),
			 "ingested, but on_ingest move failed %s", why);
		g->host->log(g->self, SLATE_LOG_WARN, "%s: %s", it->path_text,
			     msg);
		ing_note_failure(g, c->path, it->rel, msg);
		return;
	}
	pthread_mutex_lock(&g->mu);
	g->counters.moved++;
	pthread_mutex_unlock(&g->mu);
}

/* A duplicate: record it and finish the original. When we had stored the
 * bytes too (another ingest won the race), drop our intent; our object is
 * released by the caller once out of flight. */
static ing_outcome duplicate(ing *g, ing_item *it, bool stored)
{
	if (stored)
		ing_db_intent(g, it, false);
	if (stored && ing_db_seen_put(g, it, "duplicate")) {
		snprintf(it->reason, sizeof(it->reason), "database error");
		return ING_OUT_RETRY;
	}
	g->host->log(g->self, SLATE_LOG_INFO,
		     "%s: duplicate of clip %s (sha256 %.16s...), no new clip",
		     it->path_text, it->clip_id, it->sha256);
	finish_original(g, it);
	return ING_OUT_DUPLICATE;
}

/* Store, then commit; called with the key in flight. *release is set
 * when the object we stored may now be unreferenced. */
static ing_outcome store_and_commit(ing *g, ing_item *it, int fd, bool *release)
{
	char sha[65];
	uint64_t size = 0;
	struct stat st;
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    g->host->file_put_fd(g->self, "primary", it->key, it->content_type,
				 fd, sha, &size)) {
		snprintf(it->reason, sizeof(it->reason),
			 "storing the object %.200s failed (see the log)",
			 it->key);
		ing_db_intent(g, it, false); /* nothing was left in the store */
		return ING_OUT_RETRY;
	}
	if (strcmp(sha, it->sha256) || size != (uint64_t)it->size ||
	    fstat(fd, &st) || !same_file(&st, it)) {
		/* the bytes under this key are not the bytes it names */
		ing_db_intent(g, it, false);
		*release = true;
		return ING_OUT_CHANGED;
	}
	ing_outcome o = ing_db_commit(g, it);
	if (o == ING_OUT_DUPLICATE) {
		*release = strcmp(it->dup_key, it->key) != 0;
		return duplicate(g, it, true);
	}
	if (o == ING_OUT_LEASE)
		ing_db_intent(g, it, true); /* for the new owner's sweep */
	if (o == ING_OUT_INGESTED) {
		g->host->log(g->self, SLATE_LOG_INFO,
			     "%s: clip %s, %" PRId64 " bytes, %s, %s",
			     it->path_text, it->clip_id, it->size,
			     it->content_type,
			     it->episode_id[0] ? it->episode_id : "standalone");
		finish_original(g, it);
	}
	return o;
}

/* Everything after the file is open and known to be the settled one. */
static ing_outcome run_open(ing *g, ing_item *it, int fd, unsigned char *buf)
{
	ssize_t n = pread(fd, buf, ING_SNIFF_BYTES, 0);
	if (n < 0) {
		snprintf(it->reason, sizeof(it->reason), "reading the file: %s",
			 strerror(errno));
		return ING_OUT_RETRY;
	}
	if (ing_sniff(it->rel, buf, (size_t)n, &it->content_type, it->reason,
		      sizeof(it->reason))) {
		if (ing_db_seen_put(g, it, "rejected")) {
			snprintf(it->reason, sizeof(it->reason),
				 "database error");
			return ING_OUT_RETRY;
		}
		g->host->log(g->self, SLATE_LOG_WARN, "%s: rejected: %s",
			     it->path_text, it->reason);
		return ING_OUT_REJECTED;
	}
	int h = hash_file(g, fd, it, buf);
	if (h)
		return h == 1	? ING_OUT_STOPPING
		       : h == 2 ? ING_OUT_CHANGED
				: ING_OUT_RETRY;
	if (atomic_load(&g->stop))
		return ING_OUT_STOPPING;
	ing_outcome o = ing_db_prepare(g, it);
	if (o == ING_OUT_DUPLICATE)
		return duplicate(g, it, false);
	if (o != ING_OUT_INGESTED)
		return o;
	bool release = false;
	o = store_and_commit(g, it, fd, &release);
	ing_inflight_end(g, it->key);
	if (release)
		ing_db_release(g, it->key);
	return o;
}

/* Ingest one settled file described by it (folder, rel, size, mtime,
 * inode); fills the rest of it. */
static ing_outcome ing_file_run(ing *g, ing_item *it, unsigned char *buf)
{
	snprintf(it->path, sizeof(it->path), "%s/%s", it->f->cfg->path,
		 it->rel);
	ing_text(it->rel, it->rel_text, sizeof(it->rel_text));
	ing_text(it->path, it->path_text, sizeof(it->path_text));
	int fd = open(it->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
				    O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return ING_OUT_VANISHED;
		snprintf(it->reason, sizeof(it->reason), "opening the file: %s",
			 strerror(errno));
		return ING_OUT_RETRY;
	}
	struct stat st;
	ing_outcome o;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		o = ING_OUT_VANISHED; /* a FIFO or device under a media name */
	else if (!same_file(&st, it))
		o = ING_OUT_CHANGED;
	else
		o = run_open(g, it, fd, buf);
	close(fd);
	return o;
}

/* ---- the worker thread -------------------------------------------------- */

static int64_t backoff_ms(int attempts)
{
	int64_t ms = 1000;
	for (int i = 1; i < attempts && ms < 300000; i++)
		ms *= 2;
	return ms < 300000 ? ms : 300000;
}

/* Record what became of p (under mu). Frees p when the watcher is done
 * with it. */
static void settle_outcome(ing *g, ing_pending *p, const ing_item *it,
			   ing_outcome o)
{
	ing_folder *f = &g->folders[p->folder];
	int64_t now = ing_now_ms();
	bool done = o == ING_OUT_INGESTED || o == ING_OUT_DUPLICATE ||
		    o == ING_OUT_REJECTED;
	if (done) {
		ing_seen *s = ing_map_get(f->seen, p->rel);
		if (!s && (s = malloc(sizeof(*s))) &&
		    ing_map_set(f->seen, p->rel, s)) {
			free(s);
			s = NULL;
		}
		if (s) {
			s->size = it->size;
			s->mtime_ns = it->mtime_ns;
			s->ino = it->ino;
			s->vanished = 0;
		}
		g->counters.ingested += o == ING_OUT_INGESTED;
		g->counters.duplicates += o == ING_OUT_DUPLICATE;
		g->counters.rejected += o == ING_OUT_REJECTED;
		if (o == ING_OUT_INGESTED)
			g->counters.bytes += (uint64_t)it->size;
	}
	if (o == ING_OUT_STOPPING) {
		p->state = ING_P_SETTLING;
		return;
	}
	bool again = o == ING_OUT_CHANGED || o == ING_OUT_RETRY ||
		     (p->dirty && !p->gone && o != ING_OUT_LEASE);
	if (!again || p->gone) {
		ing_map_del(g->pending, p->key);
		free(p->rel);
		free(p->key);
		free(p);
		return;
	}
	p->dirty = false;
	p->forced = false;
	if (o == ING_OUT_RETRY) {
		p->attempts++;
		p->state = ING_P_RETRY;
		p->due = now + backoff_ms(p->attempts);
		snprintf(p->error, sizeof(p->error), "%s", it->reason);
		g->counters.errors++;
	} else {
		p->state = ING_P_SETTLING;
		p->size = -1; /* differs from any stat: settle afresh */
		p->due = now + g->cfg.settle_ms;
	}
}

void *ing_worker_main(void *arg)
{
	ing *g = arg;
	unsigned char *buf = malloc(CHUNK);
	if (!buf) {
		g->host->log(g->self, SLATE_LOG_ERROR,
			     "ingest worker: out of memory");
		return NULL;
	}
	pthread_mutex_lock(&g->mu);
	while (!atomic_load(&g->stop)) {
		ing_pending *p = g->ready_head;
		if (!p) {
			pthread_cond_wait(&g->ready_cv, &g->mu);
			continue;
		}
		g->ready_head = p->next_ready;
		if (!g->ready_head)
			g->ready_tail = NULL;
		p->next_ready = NULL;
		p->state = ING_P_INGESTING;
		ing_item it = {0};
		char *rel = strdup(p->rel);
		ing_outcome o = p->gone ? ING_OUT_VANISHED : ING_OUT_RETRY;
		snprintf(it.reason, sizeof(it.reason), "out of memory");
		if (rel && !p->gone) {
			it.f = &g->folders[p->folder];
			it.rel = rel;
			it.size = p->size;
			it.mtime_ns = p->mtime_ns;
			it.ino = p->ino;
			bool held = it.f->held;
			pthread_mutex_unlock(&g->mu);
			o = held ? ing_file_run(g, &it, buf) : ING_OUT_LEASE;
			if (o == ING_OUT_RETRY)
				ing_note_failure(g, it.f->cfg->path, rel,
						 it.reason);
			pthread_mutex_lock(&g->mu);
		}
		settle_outcome(g, p, &it, o);
		free(rel);
		ing_wake(g);
	}
	pthread_mutex_unlock(&g->mu);
	free(buf);
	return NULL;
}
