/*
 * ingest_pending.c - the files the watcher knows about and has not finished
 * with, and their settle timers. A file is queued for a worker once its
 * size, mtime and inode stayed the same for settle_ms; any event on it, or
 * a stat that differs, starts the timer again. Everything here runs with
 * ing->mu held unless it says otherwise.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"

/* ---- time, keys, wake-ups (any thread) ---------------------------------- */

int64_t ing_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *ing_pkey(int folder, const char *rel)
{
	char *k = NULL;
	return asprintf(&k, "%d/%s", folder, rel) < 0 ? NULL : k;
}

void ing_wake(ing *g)
{
	uint64_t one = 1;
	if (write(g->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the watcher is awake anyway */
	}
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ---- pending files (all under mu) --------------------------------------- */

static void pending_free(ing *g, ing_pending *p)
{
	ing_map_del(g->pending, p->key);
	free(p->rel);
	free(p->key);
	free(p);
}

/* Forget a pending file: at once when only the watcher has it, else mark
 * it for the worker that has it. */
void ing_pending_drop(ing *g, ing_pending *p)
{
	if (p->state == ING_P_QUEUED || p->state == ING_P_INGESTING)
		p->gone = true;
	else
		pending_free(g, p);
}

/* A regular file at rel with stat st: make it pending unless this process
 * already finished with exactly this file. `restart`: an event said it was
 * written, so its settle timer starts again even if the stat is the same. */
void ing_consider(ing *g, ing_folder *f, const char *rel, const struct stat *st,
		  bool restart, bool forced)
{
	char *key = ing_pkey(f->idx, rel);
	if (!key)
		return;
	int64_t now = ing_now_ms();
	ing_pending *p = ing_map_get(g->pending, key);
	bool differs =
	    p && (p->size != st->st_size || p->mtime_ns != mtime_ns(st) ||
		  p->ino != (uint64_t)st->st_ino);
	if (p) {
		free(key);
		if (p->state == ING_P_QUEUED || p->state == ING_P_INGESTING) {
			p->gone = false; /* came back */
			p->dirty |= differs || restart || forced;
			return;
		}
		if (differs || restart) {
			p->size = st->st_size;
			p->mtime_ns = mtime_ns(st);
			p->ino = (uint64_t)st->st_ino;
			p->due = now + g->cfg.settle_ms;
		}
		p->forced |= forced;
		return;
	}
	ing_seen *s = ing_map_get(f->seen, rel);
	if (s && !forced && s->size == st->st_size &&
	    s->mtime_ns == mtime_ns(st) && s->ino == (uint64_t)st->st_ino) {
		s->vanished = 0;
		free(key);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->rel = strdup(rel)) || ing_map_set(g->pending, key, p)) {
		if (p)
			free(p->rel);
		free(p);
		free(key);
		return;
	}
	p->key = key;
	p->folder = f->idx;
	p->size = st->st_size;
	p->mtime_ns = mtime_ns(st);
	p->ino = (uint64_t)st->st_ino;
	p->since = now;
	p->due = now + g->cfg.settle_ms;
	p->state = ING_P_SETTLING;
	p->forced = forced;
}

typedef struct prefix_ctx {
	int folder;
	const char *rel; /* NULL: the whole folder */
} prefix_ctx;

static bool drop_under(const char *key, void *value, void *ud)
{
	(void)key;
	prefix_ctx *c = ud;
	ing_pending *p = value;
	if (p->folder != c->folder ||
	    (c->rel && !ing_path_under(p->rel, c->rel)))
		return false;
	if (p->state == ING_P_QUEUED || p->state == ING_P_INGESTING) {
		p->gone = true;
		return false;
	}
	free(p->rel);
	free(p->key);
	free(p);
	return true;
}

void ing_drop_pending_under(ing *g, int folder, const char *rel)
{
	prefix_ctx c = {folder, rel};
	ing_map_each(g->pending, drop_under, &c);
}

/* ---- settling ----------------------------------------------------------- */

typedef struct due_ctx {
	int64_t now, next;
	char **keys;
	size_t n, cap;
} due_ctx;

static bool collect_due(const char *key, void *value, void *ud)
{
	due_ctx *c = ud;
	ing_pending *p = value;
	if (p->state != ING_P_SETTLING && p->state != ING_P_RETRY)
		return false;
	if (p->due > c->now + 2) {
		if (p->due < c->next)
			c->next = p->due;
		return false;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **k = realloc(c->keys, cap * sizeof(*k));
		if (!k)
			return false;
		c->keys = k;
		c->cap = cap;
	}
	if ((c->keys[c->n] = strdup(key)))
		c->n++;
	return false;
}

/* Stat every pending file whose timer ran out: unchanged -> queued for a
 * worker; changed -> wait again; gone -> forgotten. Returns when the next
 * timer runs out (INT64_MAX: none). */
int64_t ing_settle(ing *g)
{
	due_ctx c = {ing_now_ms(), INT64_MAX, NULL, 0, 0};
	pthread_mutex_lock(&g->mu);
	ing_map_each(g->pending, collect_due, &c);
	pthread_mutex_unlock(&g->mu);
	for (size_t i = 0; i < c.n; i++) {
		char *slash = strchr(c.keys[i], '/');
		int fi = atoi(c.keys[i]);
		char full[PATH_MAX];
		snprintf(full, sizeof(full), "%s/%s", g->folders[fi].cfg->path,
			 slash + 1);
		struct stat st;
		bool ok = !lstat(full, &st) && S_ISREG(st.st_mode);
		pthread_mutex_lock(&g->mu);
		ing_pending *p = ing_map_get(g->pending, c.keys[i]);
		if (p &&
		    (p->state == ING_P_SETTLING || p->state == ING_P_RETRY)) {
			if (!ok || !g->folders[fi].held) {
				pending_free(g, p);
			} else if (p->size != st.st_size ||
				   p->mtime_ns != mtime_ns(&st) ||
				   p->ino != (uint64_t)st.st_ino) {
				p->size = st.st_size;
				p->mtime_ns = mtime_ns(&st);
				p->ino = (uint64_t)st.st_ino;
				p->due = ing_now_ms() + g->cfg.settle_ms;
				if (p->due < c.next)
					c.next = p->due;
			} else {
				p->state = ING_P_QUEUED;
				p->next_ready = NULL;
				if (g->ready_tail)
					g->ready_tail->next_ready = p;
				else
					g->ready_head = p;
				g->ready_tail = p;
				pthread_cond_signal(&g->ready_cv);
			}
		}
		pthread_mutex_unlock(&g->mu);
		free(c.keys[i]);
	}
	free(c.keys);
	return c.next;
}
