/*
 * ingest_scan.c - how the watcher finds files: inotify watches on every
 * directory of a folder in events mode (each new subfolder watched, then
 * scanned, since files may land in it before the watch exists), the
 * events themselves, and recursive scans (startup, rescan, overflow,
 * reconcile, and every poll in polling mode). Watcher thread only.
 *
 * When inotify cannot serve a folder (the watch limit, a network
 * filesystem whose changes from other machines raise no events, the folder
 * deleted or moved away) the folder falls back to polling, saying why in
 * the log and in the status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ingest.h"

#define WATCH_MASK                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |            \
	 IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |   \
	 IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define MAX_DEPTH 64

/* ---- watches (watcher thread only) -------------------------------------- */

typedef struct unwatch_ctx {
	ing *g;
	int folder;
	const char *rel; /* NULL: the whole folder */
} unwatch_ctx;

static bool rm_watch_under(const char *key, void *value, void *ud)
{
	(void)key;
	unwatch_ctx *c = ud;
	ing_watch *w = value;
	if (w->folder != c->folder ||
	    (c->rel && !ing_path_under(w->rel, c->rel)))
		return false;
	inotify_rm_watch(c->g->in_fd, w->wd);
	c->g->folders[w->folder].nwatches--;
	free(w->rel);
	free(w);
	return true;
}

void ing_unwatch(ing *g, int folder, const char *rel)
{
	unwatch_ctx c = {g, folder, rel};
	if (g->in_fd >= 0)
		ing_map_each(g->wds, rm_watch_under, &c);
}

void ing_set_polling(ing *g, ing_folder *f, const char *why)
{
	if (f->mode != ING_MODE_POLLING)
		g->host->log(
		    g->self, SLATE_LOG_WARN,
		    "%s: inotify cannot be used (%s); polling it every "
		    "%d ms instead",
		    f->cfg->path, why, g->cfg.poll_interval_ms);
	ing_unwatch(g, f->idx, NULL);
	pthread_mutex_lock(&g->mu);
	f->mode = ING_MODE_POLLING;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	f->nwatches = 0;
	pthread_mutex_unlock(&g->mu);
	f->next_poll = ing_now_ms() + g->cfg.poll_interval_ms;
	g->lease_now = true; /* tell the other processes the new mode */
}

/* Why a filesystem delivers no inotify events for changes made by other
 * machines, or NULL when it does. */
const char *ing_network_fs(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf))
		return NULL;
	switch ((unsigned long)sf.f_type) {
	case 0x6969:
		return "NFS";
	case 0x517B:
		return "SMB";
	case 0xFF534D42:
		return "CIFS";
	case 0xFE534D42:
		return "SMB2";
	case 0x00C36400:
		return "CephFS";
	case 0x01021997:
		return "9P";
	case 0x5346414F:
		return "AFS";
	default:
		return NULL;
	}
}

/* The watch limit of this user namespace (user.max_inotify_watches, the
 * same as fs.inotify.max_user_watches outside containers), or -1. */
static long max_user_watches(void)
{
	static const char *const files[] = {
	    "/proc/sys/user/max_inotify_watches",
	    "/proc/sys/fs/inotify/max_user_watches"};
	long n = -1;
	for (int i = 0; i < 2 && n < 0; i++) {
		FILE *fp = fopen(files[i], "re");
		if (fp) {
			if (fscanf(fp, "%ld", &n) != 1)
				n = -1;
			fclose(fp);
		}
	}
	return n;
}

/* Watch the directory `full` (rel in folder f). 0, or -1 after switching
 * the folder to polling (the watch limit). */
static int add_watch(ing *g, ing_folder *f, const char *full, const char *rel)
{
	int wd = inotify_add_watch(g->in_fd, full, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC) {
			char why[200];
			snprintf(why, sizeof(why),
				 "the inotify watch limit is reached (%ld "
				 "watches; raise fs.inotify.max_user_watches "
				 "with sysctl)",
				 max_user_watches());
			ing_set_polling(g, f, why);
			return -1;
		}
		return 0; /* gone already, or unreadable: the scan says */
	}
	char k[16];
	snprintf(k, sizeof(k), "%d", wd);
	ing_watch *w = ing_map_get(g->wds, k);
	if (w) { /* the same directory, perhaps renamed */
		char *r = strdup(rel);
		if (r) {
			free(w->rel);
			w->rel = r;
		}
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->rel = strdup(rel)) || ing_map_set(g->wds, k, w)) {
		if (w)
			free(w->rel);
		free(w);
		inotify_rm_watch(g->in_fd, wd);
		return 0;
	}
	w->wd = wd;
	w->folder = f->idx;
	f->nwatches++;
	return 0;
}

/* ---- scanning ------------------------------------------------------------ */

static bool is_done_dir(ing_folder *f, const char *full)
{
	return f->cfg->done_dir &&
	       (!strcmp(full, f->cfg->done_dir) ||
		(f->done_real && !strcmp(full, f->done_real)));
}

/* Walk rel (a directory of f) and everything below: watch each directory
 * first when the folder is in events mode (so nothing lands unseen between
 * the scan and the watch), and consider each regular file. `found` (may be
 * NULL) collects the relative paths of the files seen. */
void ing_scan_dir(ing *g, ing_folder *f, const char *rel, int depth,
		  dev_t parent_dev, ing_map *found)
{
	char full[PATH_MAX];
	int n = snprintf(full, sizeof(full), "%s%s%s", f->cfg->path,
			 rel[0] ? "/" : "", rel);
	if (n < 0 || (size_t)n >= sizeof(full) || depth > MAX_DEPTH ||
	    is_done_dir(f, full))
		return;
	int dfd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat dst;
	if (dfd < 0 || fstat(dfd, &dst)) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	if (f->mode == ING_MODE_EVENTS && dst.st_dev != parent_dev) {
		const char *net = ing_network_fs(full);
		if (net) {
			char why[300];
			snprintf(
			    why, sizeof(why),
			    "%s is on %s, which delivers no inotify events "
			    "for changes made by other machines",
			    rel[0] ? rel : "the folder", net);
			ing_set_polling(g, f, why);
		}
	}
	if (f->mode == ING_MODE_EVENTS && g->in_fd >= 0)
		add_watch(g, f, full, rel);
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && !atomic_load(&g->stop)) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    ing_path_ignored(&g->cfg, e->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		char child[PATH_MAX];
		n = snprintf(child, sizeof(child), "%s%s%s", rel,
			     rel[0] ? "/" : "", e->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		if (S_ISDIR(st.st_mode)) {
			ing_scan_dir(g, f, child, depth + 1, dst.st_dev, found);
		} else if (S_ISREG(st.st_mode)) {
			if (found)
				ing_map_set(found, child, (void *)1);
			pthread_mutex_lock(&g->mu);
			ing_consider(g, f, child, &st, false, false);
			pthread_mutex_unlock(&g->mu);
		}
	}
	closedir(d);
}

/* Scan the whole folder, then forget the paths that are gone. */
void ing_full_scan(ing *g, ing_folder *f, const char *why)
{
	ing_map *found = ing_map_new();
	int64_t t0 = ing_now_ms();
	struct stat st;
	dev_t root = stat(f->cfg->path, &st) ? 0 : st.st_dev;
	ing_scan_dir(g, f, "", 0, root ? root : (dev_t)-1, found);
	if (found && root)
		ing_db_seen_prune(g, f, found);
	ing_map_free(found);
	pthread_mutex_lock(&g->mu);
	ing_wall(f->last_scan_at);
	g->counters.scans++;
	pthread_mutex_unlock(&g->mu);
	if (why)
		g->host->log(g->self, SLATE_LOG_DEBUG,
			     "%s: %s scan in %" PRId64 " ms", f->cfg->path, why,
			     ing_now_ms() - t0);
}

/* ---- inotify events ----------------------------------------------------- */

/* A file or directory named by an event under watch w. */
static void on_event(ing *g, ing_watch *w, const struct inotify_event *ev)
{
	ing_folder *f = &g->folders[w->folder];
	if (!f->held || !ev->len || ing_path_ignored(&g->cfg, ev->name))
		return;
	char rel[PATH_MAX], full[PATH_MAX];
	int n = snprintf(rel, sizeof(rel), "%s%s%s", w->rel,
			 w->rel[0] ? "/" : "", ev->name);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return;
	n = snprintf(full, sizeof(full), "%s/%s", f->cfg->path, rel);
	if (n < 0 || (size_t)n >= sizeof(full))
		return;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			struct stat st;
			if (!lstat(full, &st) && S_ISDIR(st.st_mode))
				ing_scan_dir(g, f, rel, 1, st.st_dev, NULL);
		} else if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
			ing_unwatch(g, f->idx, rel);
			pthread_mutex_lock(&g->mu);
			ing_drop_pending_under(g, f->idx, rel);
			pthread_mutex_unlock(&g->mu);
		}
		return;
	}
	pthread_mutex_lock(&g->mu);
	char *key = ing_pkey(f->idx, rel);
	ing_pending *p = key ? ing_map_get(g->pending, key) : NULL;
	free(key);
	if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
		struct stat st;
		pthread_mutex_unlock(&g->mu);
		bool ok = !lstat(full, &st) && S_ISREG(st.st_mode);
		pthread_mutex_lock(&g->mu);
		if (ok)
			ing_consider(g, f, rel, &st, true, false);
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		ing_seen *s = ing_map_get(f->seen, rel);
		if (s && !s->vanished)
			s->vanished = ing_now_ms();
		if (p)
			ing_pending_drop(g, p);
	} else if (p && (ev->mask & (IN_MODIFY | IN_ATTRIB))) {
		/* still being written: the settle time starts again */
		if (p->state == ING_P_QUEUED || p->state == ING_P_INGESTING)
			p->dirty = true;
		else
			p->due = ing_now_ms() + g->cfg.settle_ms;
	}
	pthread_mutex_unlock(&g->mu);
}

static void rescan_all_events(ing *g, const char *why)
{
	for (size_t i = 0; i < g->n_folders; i++)
		if (g->folders[i].held && g->folders[i].mode == ING_MODE_EVENTS)
			ing_full_scan(g, &g->folders[i], why);
}

void ing_read_events(ing *g)
{
	char buf[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(g->in_fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		bool overflow = false;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (void *)p;
			p += sizeof(*ev) + ev->len;
			pthread_mutex_lock(&g->mu);
			g->counters.events++;
			pthread_mutex_unlock(&g->mu);
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = true;
				continue;
			}
			char k[16];
			snprintf(k, sizeof(k), "%d", ev->wd);
			ing_watch *w = ing_map_get(g->wds, k);
			if (!w)
				continue;
			if (!w->rel[0] &&
			    (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))) {
				/* the folder itself: its watches would now
				 * report paths under another name */
				ing_set_polling(
				    g, &g->folders[w->folder],
				    "the folder was deleted or moved "
				    "away; polling until it appears "
				    "again");
				continue;
			}
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF)) {
				/* the directory is gone; its parent's
				 * IN_DELETE/IN_MOVED_FROM dropped the rest */
				if (ing_map_del(g->wds, k)) {
					g->folders[w->folder].nwatches--;
					free(w->rel);
					free(w);
				}
				continue;
			}
			on_event(g, w, ev);
		}
		if (overflow) {
			g->host->log(g->self, SLATE_LOG_WARN,
				     "inotify queue overflow: rescanning");
			pthread_mutex_lock(&g->mu);
			g->counters.overflows++;
			pthread_mutex_unlock(&g->mu);
			rescan_all_events(g, "overflow");
		}
	}
}

void ing_open_inotify(ing *g)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	pthread_mutex_lock(&g->mu);
	g->in_fd = fd;
	if (fd < 0)
		snprintf(g->in_reason, sizeof(g->in_reason),
			 "inotify_init1 failed: %s%s", strerror(errno),
			 errno == EMFILE ? " (fs.inotify.max_user_instances "
					   "reached)"
					 : "");
	pthread_mutex_unlock(&g->mu);
	if (fd < 0)
		g->host->log(g->self, SLATE_LOG_WARN,
			     "%s: every folder is polled", g->in_reason);
}

/* Polling scans and periodic reconciles that are due; the next due time. */

void ing_cleanup_watches(ing *g)
{
	for (size_t i = 0; i < g->n_folders; i++)
		ing_unwatch(g, (int)i, NULL);
	if (g->in_fd >= 0)
		close(g->in_fd);
	pthread_mutex_lock(&g->mu);
	g->in_fd = -1;
	pthread_mutex_unlock(&g->mu);
}
