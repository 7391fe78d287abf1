/*
 * ingest.c - the watch-folder ingest plugin (issue 7; README "Watch
 * folders"): editing bays drop raw clips into shared folders and each
 * complete file becomes exactly one clip, with no clicks.
 *
 * This file holds the descriptor, init/shutdown (which start and stop the
 * watcher and worker threads, in the API process only) and the two routes:
 *   GET  /api/v1/ingest/status  (viewer)  folders, modes, owners, pending
 *                                         files, failures, duplicates
 *   POST /api/v1/ingest/rescan  (editor)  {} | {"folder"} | {"path"}: 202
 * How files are found is in ingest_watch.c, what happens to one file in
 * ingest_file.c, the SQL in ingest_db.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ingest.h"
#include "ingest_migrations.h"

/* One plugin instance per process: the routes reach it here. */
static ing state;

/* ---- routes ------------------------------------------------------------- */

static int h_status(slate_req *req, void *ud)
{
	ing *g = ud;
	json_t *o = ing_status_json(g, req);
	return o ? g->host->res_json(req, 200, o) : -1;
}

/* The folder that is or contains `path`, or -1. */
static int folder_of(ing *g, const char *path, size_t *plen)
{
	for (size_t i = 0; i < g->n_folders; i++) {
		const char *fp = g->folders[i].cfg->path;
		size_t n = strlen(fp);
		if (!strncmp(path, fp, n) && (path[n] == '/' || !path[n])) {
			*plen = n;
			return (int)i;
		}
	}
	return -1;
}

static bool rel_ok(ing *g, const char *rel)
{
	char *copy = strdup(rel), *save = NULL;
	bool ok = copy && *rel;
	for (char *c = copy ? strtok_r(copy, "/", &save) : NULL; c && ok;
	     c = strtok_r(NULL, "/", &save))
		ok = strcmp(c, "..") && !ing_path_ignored(&g->cfg, c);
	free(copy);
	return ok;
}

static int h_rescan(slate_req *req, void *ud)
{
	ing *g = ud;
	const slate_host *h = g->host;
	const json_t *body = h->req_body(req);
	const char *folder = json_string_value(json_object_get(body, "folder"));
	const char *path = json_string_value(json_object_get(body, "path"));
	if (folder && path)
		return h->res_error(req, 400, "VALIDATION_ERROR", "path",
				    "Give folder or path, not both");
	const char *want = folder ? folder : path;
	int only = -1;
	char rel[4096] = "";
	if (want) {
		/* "/x/y/" names the folder "/x/y" */
		char norm[4096];
		size_t n = strlen(want), plen = 0;
		while (n > 1 && want[n - 1] == '/')
			n--;
		snprintf(norm, sizeof(norm), "%.*s", (int)n, want);
		only = folder_of(g, norm, &plen);
		if (only < 0 || (folder && norm[plen]))
			return h->res_error(
			    req, 404, "NOT_FOUND", folder ? "folder" : "path",
			    "%s is not %s watched folder of this slated", want,
			    folder ? "a" : "in a");
		if (norm[plen]) {
			snprintf(rel, sizeof(rel), "%s", norm + plen + 1);
			if (!rel_ok(g, rel))
				return h->res_error(
				    req, 400, "VALIDATION_ERROR", "path",
				    "%s has a '..' or ignored component", want);
		}
	}
	json_t *queued = json_array();
	for (size_t i = 0; i < g->n_folders; i++) {
		if (only >= 0 && (size_t)only != i)
			continue;
		ing_folder *f = &g->folders[i];
		if (ing_db_rescan_request(g, req, f)) {
			json_decref(queued);
			return -1;
		}
		pthread_mutex_lock(&g->mu);
		bool here = f->held;
		if (rel[0]) {
			char *k = ing_pkey(f->idx, rel);
			if (k)
				ing_map_set(g->rescan_files, k, (void *)1);
			free(k);
		} else {
			g->rescan_folder[i] = true;
		}
		pthread_mutex_unlock(&g->mu);
		json_array_append_new(queued, json_pack("{s:s, s:b}", "folder",
							f->cfg->path,
							"watched_here", here));
	}
	ing_wake(g);
	json_t *o = json_pack("{s:o, s:o}", "queued", queued, "path",
			      rel[0] ? json_string(path) : json_null());
	return h->res_json(req, 202, o);
}

static const slate_route_def status_route = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/ingest/status",
    .handler = h_status,
    .ud = &state,
    .perm = SLATE_PERM_READ,
    .summary = "Watch folders: modes, owners, pending files, failures",
    .body_mode = SLATE_BODY_NONE,
};

static const slate_field rescan_body[] = {
    {.name = "folder",
     .type = SLATE_T_TEXT,
     .max_len = 4096,
     .doc = "A watched folder's configured path"},
    {.name = "path",
     .type = SLATE_T_TEXT,
     .max_len = 4096,
     .doc = "A file (or folder) inside a watched folder, absolute"},
};

static const slate_route_def rescan_route = {
    .struct_size = sizeof(slate_route_def),
    .method = "POST",
    .path = "/api/v1/ingest/rescan",
    .handler = h_rescan,
    .ud = &state,
    .perm = SLATE_PERM_WRITE,
    .summary = "Rescan every watched folder, one folder, or one file",
    .body_mode = SLATE_BODY_FIELDS,
    .body = rescan_body,
    .n_body = sizeof(rescan_body) / sizeof(rescan_body[0]),
    .body_field_size = sizeof(slate_field),
};

/* ---- lifecycle ---------------------------------------------------------- */

static bool free_value(const char *key, void *value, void *ud)
{
	(void)key;
	(void)ud;
	free(value);
	return true;
}

static bool free_pending(const char *key, void *value, void *ud)
{
	ing_pending *p = value;
	free(p->rel);
	free(p->key);
	return free_value(key, value, ud);
}

static void state_free(ing *g)
{
	for (size_t i = 0; g->folders && i < g->n_folders; i++) {
		ing_folder *f = &g->folders[i];
		free(f->done_real);
		if (f->seen)
			ing_map_each(f->seen, free_value, NULL);
		ing_map_free(f->seen);
	}
	free(g->folders);
	free(g->rescan_folder);
	if (g->pending)
		ing_map_each(g->pending, free_pending, NULL);
	ing_map_free(g->pending);
	ing_map_free(g->inflight);
	ing_map_free(g->rescan_files);
	ing_map_free(g->wds);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	free(g->workers);
	ing_config_free(&g->cfg);
	memset(g, 0, sizeof(*g));
	g->wake_fd = -1;
}

static int state_init(ing *g, char *err, size_t errlen)
{
	char hostname[128] = "localhost";
	gethostname(hostname, sizeof(hostname) - 1);
	snprintf(g->owner, sizeof(g->owner), "%s:%ld", hostname,
		 (long)getpid());
	g->in_fd = -1;
	g->n_folders = g->cfg.n_folders;
	g->folders = calloc(g->n_folders + 1, sizeof(*g->folders));
	g->rescan_folder = calloc(g->n_folders + 1, sizeof(bool));
	g->pending = ing_map_new();
	g->inflight = ing_map_new();
	g->rescan_files = ing_map_new();
	g->wds = ing_map_new();
	g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	g->workers = calloc((size_t)g->cfg.threads, sizeof(pthread_t));
	bool ok = g->folders && g->rescan_folder && g->pending && g->inflight &&
		  g->rescan_files && g->wds && g->wake_fd >= 0 && g->workers;
	for (size_t i = 0; ok && i < g->n_folders; i++) {
		g->folders[i].cfg = &g->cfg.folders[i];
		g->folders[i].idx = (int)i;
		ok = (g->folders[i].seen = ing_map_new()) != NULL;
	}
	if (!ok)
		snprintf(err, errlen, "out of resources: %s", strerror(errno));
	return ok ? 0 : -1;
}

static void ingest_shutdown(slate_plugin *self);

static int ingest_init(slate_plugin *self, const slate_host *host, char *err,
		       size_t errlen)
{
	ing *g = &state;
	g->host = host;
	g->self = self;
	g->wake_fd = -1;
	if (ing_config_parse(host, self, host->config(self), &g->cfg, err,
			     errlen)) {
		ing_config_free(&g->cfg);
		return -1;
	}
	if (state_init(g, err, errlen)) {
		state_free(g);
		return -1;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->ready_cv, NULL);
	pthread_cond_init(&g->inflight_cv, NULL);
	/* init runs in job workers too; the watching is the API process's */
	if (!strcmp(host->process_role(self), "worker") || g->n_folders == 0)
		return 0; /* routes only: status says there is nothing */
	if (pthread_create(&g->watcher, NULL, ing_watch_main, g)) {
		snprintf(err, errlen, "cannot start the watcher thread");
		ingest_shutdown(self);
		return -1;
	}
	g->watcher_started = true;
	for (int i = 0; i < g->cfg.threads; i++) {
		if (pthread_create(&g->workers[i], NULL, ing_worker_main, g)) {
			snprintf(err, errlen, "cannot start ingest thread %d",
				 i);
			ingest_shutdown(self);
			return -1;
		}
		g->n_workers++;
	}
	return 0;
}

static void ingest_shutdown(slate_plugin *self)
{
	(void)self;
	ing *g = &state;
	atomic_store(&g->stop, true);
	if (g->wake_fd >= 0)
		ing_wake(g);
	pthread_mutex_lock(&g->mu);
	pthread_cond_broadcast(&g->ready_cv);
	pthread_cond_broadcast(&g->inflight_cv);
	pthread_mutex_unlock(&g->mu);
	if (g->watcher_started)
		pthread_join(g->watcher, NULL);
	for (int i = 0; i < g->n_workers; i++)
		pthread_join(g->workers[i], NULL);
	/* the next process takes over at once instead of after lease_s */
	if (g->watcher_started)
		ing_db_lease_release(g);
	g->watcher_started = false;
	g->n_workers = 0;
	state_free(g);
	pthread_cond_destroy(&g->inflight_cv);
	pthread_cond_destroy(&g->ready_cv);
	pthread_mutex_destroy(&g->mu);
}

static const slate_plugin_desc ingest_desc = {
    SLATE_PLUGIN_HEADER("ingest", "1.0.0",
			"Watch folders: each complete file becomes one clip"),
    SLATE_PLUGIN_MIGRATIONS(ingest_migrations, INGEST_N_MIGRATIONS),
    .init = ingest_init,
    .shutdown = ingest_shutdown,
    .routes =
	(const slate_route_def *const[]){&status_route, &rescan_route, NULL},
};

SLATE_PLUGIN_DEFINE(ingest_desc)
