/*
 * ingest_watch.c - the watcher thread's loop: which folders this process
 * owns (a lease row per folder, renewed every lease_s/3; a folder whose
 * lease another process holds is not watched here, and is taken over when
 * that lease expires), the rescans the route asked for, polling and
 * periodic reconciles, settle timers (ingest_pending.c) and inotify events
 * (ingest_scan.c).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"

/* ---- owning a folder ---------------------------------------------------- */

static void choose_mode(ing *g, ing_folder *f)
{
	struct stat st;
	const char *net = ing_network_fs(f->cfg->path);
	char why[300] = "";
	if (f->cfg->force_polling)
		snprintf(why, sizeof(why), "force_polling is set");
	else if (g->in_fd < 0)
		snprintf(why, sizeof(why), "%s", g->in_reason);
	else if (stat(f->cfg->path, &st) || !S_ISDIR(st.st_mode))
		snprintf(why, sizeof(why),
			 "the folder is missing or not a directory; polling "
			 "until it appears");
	else if (net)
		snprintf(why, sizeof(why),
			 "the folder is on %s, which delivers no inotify "
			 "events for changes made by other machines",
			 net);
	pthread_mutex_lock(&g->mu);
	f->mode = why[0] ? ING_MODE_POLLING : ING_MODE_EVENTS;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	pthread_mutex_unlock(&g->mu);
	if (why[0])
		g->host->log(g->self,
			     f->cfg->force_polling ? SLATE_LOG_INFO
						   : SLATE_LOG_WARN,
			     "%s: polling every %d ms: %s", f->cfg->path,
			     g->cfg.poll_interval_ms, why);
}

static void activate(ing *g, ing_folder *f)
{
	if (f->cfg->done_dir) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s", f->cfg->done_dir);
		if (mkdir(d, 0775) && errno != EEXIST)
			g->host->log(g->self, SLATE_LOG_WARN,
				     "%s: done_dir %s: %s", f->cfg->path, d,
				     strerror(errno));
		free(f->done_real);
		f->done_real = realpath(d, NULL);
	}
	/* objects a previous owner stored but never committed */
	ing_db_sweep(g, f);
	if (ing_db_seen_load(g, f))
		g->host->log(g->self, SLATE_LOG_WARN,
			     "%s: could not load the paths already ingested; "
			     "they will be hashed again (no duplicates)",
			     f->cfg->path);
	pthread_mutex_lock(&g->mu);
	f->held = true;
	pthread_mutex_unlock(&g->mu);
	choose_mode(g, f);
	g->host->log(g->self, SLATE_LOG_INFO, "watching %s (%s) for %s, as %s",
		     f->cfg->path,
		     f->mode == ING_MODE_EVENTS ? "inotify events" : "polling",
		     f->cfg->talent_source, g->owner);
	int64_t now = ing_now_ms();
	f->next_poll = now + g->cfg.poll_interval_ms;
	f->next_reconcile = now + (int64_t)g->cfg.reconcile_interval_s * 1000;
	ing_full_scan(g, f, "startup");
	g->lease_now = true; /* record the mode in the lease row */
}

static void deactivate(ing *g, ing_folder *f, const char *why)
{
	g->host->log(g->self, SLATE_LOG_WARN, "no longer watching %s: %s",
		     f->cfg->path, why);
	ing_unwatch(g, f->idx, NULL);
	pthread_mutex_lock(&g->mu);
	f->held = false;
	f->nwatches = 0;
	ing_drop_pending_under(g, f->idx, NULL);
	pthread_mutex_unlock(&g->mu);
}

static void lease_tick(ing *g)
{
	const char *miss = "the clips plugin is not enabled: nothing can be "
			   "ingested";
	bool have =
	    g->host->entity_has_field(g->self, "clip", "file_reference") != 0;
	pthread_mutex_lock(&g->mu);
	bool was = g->clips_missing[0] != '\0';
	snprintf(g->clips_missing, sizeof(g->clips_missing), "%s",
		 have ? "" : miss);
	pthread_mutex_unlock(&g->mu);
	if (!have) {
		if (!was)
			g->host->log(g->self, SLATE_LOG_ERROR, "%s", miss);
		for (size_t i = 0; i < g->n_folders; i++)
			if (g->folders[i].held)
				deactivate(g, &g->folders[i], miss);
		return;
	}
	bool *held = calloc(g->n_folders + 1, sizeof(bool));
	char(*rescan)[64] = calloc(g->n_folders + 1, 64);
	int64_t now = ing_now_ms();
	if (!held || !rescan || ing_db_lease_tick(g, held, rescan)) {
		for (size_t i = 0; i < g->n_folders; i++) {
			ing_folder *f = &g->folders[i];
			if (f->held && now > f->lease_ok_until)
				deactivate(g, f,
					   "the lease could not be renewed");
		}
		free(held);
		free(rescan);
		return;
	}
	for (size_t i = 0; i < g->n_folders && !atomic_load(&g->stop); i++) {
		ing_folder *f = &g->folders[i];
		if (held[i]) {
			f->lease_ok_until =
			    now + (int64_t)g->cfg.lease_s * 1000;
			if (!f->held) {
				snprintf(f->rescan_seen, sizeof(f->rescan_seen),
					 "%s", rescan[i]);
				activate(g, f);
			} else if (strcmp(rescan[i], f->rescan_seen)) {
				snprintf(f->rescan_seen, sizeof(f->rescan_seen),
					 "%s", rescan[i]);
				ing_full_scan(g, f, "requested");
			}
		} else if (f->held) {
			char why[300];
			snprintf(why, sizeof(why), "the lease is held by %s",
				 f->owner);
			deactivate(g, f, why);
		}
	}
	free(held);
	free(rescan);
}

/* ---- rescans the routes asked for --------------------------------------- */

typedef struct take_ctx {
	char **keys;
	size_t n, cap;
} take_ctx;

static bool take_key(const char *key, void *value, void *ud)
{
	(void)value;
	take_ctx *c = ud;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **k = realloc(c->keys, cap * sizeof(*k));
		if (!k)
			return false; /* kept for the next round */
		c->keys = k;
		c->cap = cap;
	}
	if (!(c->keys[c->n] = strdup(key)))
		return false;
	c->n++;
	return true;
}

/* A rescan of one path ("idx/rel"): a file is considered again even if
 * already finished with; a directory is scanned. */
static void rescan_path(ing *g, const char *key)
{
	ing_folder *f = &g->folders[atoi(key)];
	const char *rel = strchr(key, '/') + 1;
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s/%s", f->cfg->path, rel);
	struct stat st;
	if (!f->held || lstat(full, &st))
		return;
	if (S_ISDIR(st.st_mode)) {
		ing_scan_dir(g, f, rel, 1, st.st_dev, NULL);
	} else if (S_ISREG(st.st_mode)) {
		pthread_mutex_lock(&g->mu);
		ing_consider(g, f, rel, &st, true, true);
		pthread_mutex_unlock(&g->mu);
	}
}

static void take_rescans(ing *g)
{
	take_ctx c = {0};
	pthread_mutex_lock(&g->mu);
	bool *which = calloc(g->n_folders + 1, sizeof(bool));
	for (size_t i = 0; which && i < g->n_folders; i++) {
		which[i] = g->rescan_folder[i];
		g->rescan_folder[i] = false;
	}
	ing_map_each(g->rescan_files, take_key, &c);
	pthread_mutex_unlock(&g->mu);
	for (size_t i = 0; i < c.n; i++) {
		rescan_path(g, c.keys[i]);
		free(c.keys[i]);
	}
	free(c.keys);
	for (size_t i = 0; which && i < g->n_folders; i++)
		if (which[i] && g->folders[i].held)
			ing_full_scan(g, &g->folders[i], "requested");
	free(which);
}

static int64_t periodic(ing *g, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < g->n_folders && !atomic_load(&g->stop); i++) {
		ing_folder *f = &g->folders[i];
		if (!f->held)
			continue;
		if (f->mode == ING_MODE_POLLING) {
			if (now >= f->next_poll) {
				/* a missing folder that appeared, or a folder
				 * that came back, may be watched again */
				if (!f->cfg->force_polling && g->in_fd >= 0 &&
				    strstr(f->reason, "appear")) {
					choose_mode(g, f);
				}
				ing_full_scan(g, f, NULL);
				f->next_poll =
				    ing_now_ms() + g->cfg.poll_interval_ms;
			}
			if (f->next_poll < next)
				next = f->next_poll;
		}
		if (g->cfg.reconcile_interval_s > 0) {
			if (now >= f->next_reconcile) {
				ing_db_sweep(g, f);
				if (f->mode == ING_MODE_EVENTS)
					ing_full_scan(g, f, "reconcile");
				f->next_reconcile =
				    ing_now_ms() +
				    (int64_t)g->cfg.reconcile_interval_s * 1000;
			}
			if (f->next_reconcile < next)
				next = f->next_reconcile;
		}
	}
	return next;
}

void *ing_watch_main(void *arg)
{
	ing *g = arg;
	ing_open_inotify(g);
	int64_t next_lease = 0;
	int lease_every = g->cfg.lease_s * 1000 / 3;
	while (!atomic_load(&g->stop)) {
		int64_t now = ing_now_ms();
		if (now >= next_lease || g->lease_now) {
			g->lease_now = false;
			lease_tick(g);
			next_lease = ing_now_ms() + lease_every;
		}
		take_rescans(g);
		int64_t next = periodic(g, ing_now_ms());
		int64_t s = ing_settle(g);
		if (s < next)
			next = s;
		if (next_lease < next)
			next = next_lease;
		now = ing_now_ms();
		int timeout = next <= now	  ? 0
			      : next - now > 1000 ? 1000
						  : (int)(next - now);
		struct pollfd pf[2] = {{.fd = g->wake_fd, .events = POLLIN},
				       {.fd = g->in_fd, .events = POLLIN}};
		int np = g->in_fd >= 0 ? 2 : 1;
		if (poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR)
			usleep(10000);
		if (pf[0].revents & POLLIN) {
			uint64_t v;
			if (read(g->wake_fd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
		if (np == 2 && (pf[1].revents & POLLIN))
			ing_read_events(g);
	}
	ing_cleanup_watches(g);
	return NULL;
}
