/*
 * ingest_status.c - what GET /api/v1/ingest/status answers. Folder owners,
 * lease expiries and modes come from the lease rows, so any process tells
 * the same story about every folder; rejections and duplicates from
 * ingest_seen (every process); pending files, passing failures and
 * counters are this process's own.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ingest.h"

#define ISO(col)                                                               \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define MAX_PENDING_SHOWN 200

void ing_wall(char buf[40])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 40, "%.24s.%03dZ", day,
		 (int)(ts.tv_nsec / 1000000) % 1000);
}

void ing_note_failure(ing *g, const char *folder, const char *rel,
		      const char *reason)
{
	pthread_mutex_lock(&g->mu);
	ing_note *n = &g->failures[g->n_failures++ % ING_NOTES];
	snprintf(n->folder, sizeof(n->folder), "%s", folder);
	ing_text(rel, n->path, sizeof(n->path));
	ing_text(reason, n->reason, sizeof(n->reason));
	ing_wall(n->at);
	pthread_mutex_unlock(&g->mu);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The lease row of `folder` in r, or -1. */
static int lease_row(ing *g, slate_result *r, const char *folder)
{
	for (int i = 0; r && i < g->host->db_rows(r); i++)
		if (!strcmp(g->host->db_value(r, i, 0), folder))
			return i;
	return -1;
}

static json_t *folder_json(ing *g, ing_folder *f, slate_result *leases)
{
	const slate_host *h = g->host;
	int row = lease_row(g, leases, f->cfg->path);
	const char *owner = row >= 0 ? h->db_value(leases, row, 1) : NULL;
	bool live = row >= 0 && !strcmp(h->db_value(leases, row, 3), "t");
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:s, s:o, s:b, s:o, s:b, s:b, s:o}", "path",
	    f->cfg->path, "talent_source", f->cfg->talent_source, "pattern",
	    str_or_null(f->cfg->pattern), "on_ingest",
	    f->cfg->move ? "move" : "copy", "done_dir",
	    str_or_null(f->cfg->done_dir), "watching", f->held, "owner",
	    str_or_null(live ? owner : NULL), "owner_is_self",
	    live && owner && !strcmp(owner, g->owner), "lease_live", live,
	    "lease_expires_at",
	    str_or_null(row >= 0 ? h->db_value(leases, row, 2) : NULL));
	if (!o)
		return NULL;
	const char *mode = NULL, *reason = NULL;
	if (f->held) {
		mode = f->mode == ING_MODE_POLLING ? "polling" : "events";
		reason = f->reason;
	} else if (live) {
		mode = h->db_value(leases, row, 4);
		reason = h->db_value(leases, row, 5);
	}
	json_object_set_new(o, "mode", str_or_null(mode));
	json_object_set_new(o, "mode_reason", str_or_null(reason));
	json_object_set_new(o, "watches",
			    json_integer(f->held ? f->nwatches : 0));
	json_object_set_new(o, "last_scan_at", str_or_null(f->last_scan_at));
	json_object_set_new(o, "known_paths",
			    json_integer((json_int_t)ing_map_count(f->seen)));
	return o;
}

typedef struct pend_ctx {
	ing *g;
	json_t *list;
	int64_t now;
} pend_ctx;

static const char *state_name(ing_pstate s)
{
	static const char *const names[] = {"settling", "queued", "ingesting",
					    "retrying"};
	return names[s];
}

static bool pend_one(const char *key, void *value, void *ud)
{
	(void)key;
	pend_ctx *c = ud;
	ing_pending *p = value;
	if (json_array_size(c->list) >= MAX_PENDING_SHOWN)
		return false;
	char rel[8192];
	ing_text(p->rel, rel, sizeof(rel));
	json_t *o = json_pack(
	    "{s:s, s:s, s:I, s:s, s:I, s:I, s:i}", "folder",
	    c->g->folders[p->folder].cfg->path, "path", rel, "size",
	    (json_int_t)(p->size < 0 ? 0 : p->size), "state",
	    state_name(p->state), "pending_ms", (json_int_t)(c->now - p->since),
	    "due_in_ms",
	    (json_int_t)(p->due > c->now && p->state != ING_P_INGESTING
			     ? p->due - c->now
			     : 0),
	    "attempts", p->attempts);
	if (o && p->error[0])
		json_object_set_new(o, "error", json_string(p->error));
	json_array_append_new(c->list, o);
	return false;
}

/* Rejections or duplicates, newest first, from every process. */
static json_t *seen_list(ing *g, slate_req *req, const char *outcome)
{
	const char *p[] = {outcome};
	slate_result *r = g->host->db_exec(
	    req,
	    "SELECT folder, rel_path, reason, sha256, clip_id, " ISO(
		"seen_at") " FROM ingest_seen WHERE outcome = $1 ORDER BY "
			   "seen_at DESC LIMIT 50",
	    1, p);
	if (!r)
		return NULL;
	json_t *a = json_array();
	for (int i = 0; a && i < g->host->db_rows(r); i++) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "folder",
				      g->host->db_value(r, i, 0), "path",
				      g->host->db_value(r, i, 1), "at",
				      g->host->db_value(r, i, 5));
		if (!strcmp(outcome, "rejected")) {
			json_object_set_new(
			    o, "reason",
			    str_or_null(g->host->db_value(r, i, 2)));
		} else {
			json_object_set_new(
			    o, "sha256",
			    str_or_null(g->host->db_value(r, i, 3)));
			json_object_set_new(
			    o, "clip_id",
			    str_or_null(g->host->db_value(r, i, 4)));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *errors_json(ing *g)
{
	json_t *a = json_array();
	int n = g->n_failures < ING_NOTES ? g->n_failures : ING_NOTES;
	for (int i = 0; a && i < n; i++) {
		const ing_note *x =
		    &g->failures[(g->n_failures - 1 - i) % ING_NOTES];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
						   "folder", x->folder, "path",
						   x->path, "reason", x->reason,
						   "at", x->at));
	}
	return a;
}

static json_t *counters_json(const ing_counters *c)
{
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "events",
	    (json_int_t)c->events, "scans", (json_int_t)c->scans, "overflows",
	    (json_int_t)c->overflows, "ingested", (json_int_t)c->ingested,
	    "duplicates", (json_int_t)c->duplicates, "rejected",
	    (json_int_t)c->rejected, "errors", (json_int_t)c->errors,
	    "bytes_ingested", (json_int_t)c->bytes, "originals_moved",
	    (json_int_t)c->moved);
}

json_t *ing_status_json(ing *g, slate_req *req)
{
	slate_result *leases = g->host->db_exec(
	    req,
	    "SELECT folder, owner, " ISO(
		"lease_expires_at") ", lease_expires_at > now(), mode, "
				    "mode_reason FROM ingest_leases",
	    0, NULL);
	json_t *rejected = leases ? seen_list(g, req, "rejected") : NULL;
	json_t *dups = rejected ? seen_list(g, req, "duplicate") : NULL;
	if (!dups) {
		json_decref(rejected);
		g->host->res_error(req, 503, "SERVICE_UNAVAILABLE", NULL,
				   "The ingest state could not be read");
		return NULL;
	}
	json_t *o = json_object(), *folders = json_array();
	pend_ctx pc = {g, json_array(), ing_now_ms()};
	pthread_mutex_lock(&g->mu);
	for (size_t i = 0; folders && i < g->n_folders; i++)
		json_array_append_new(folders,
				      folder_json(g, &g->folders[i], leases));
	ing_map_each(g->pending, pend_one, &pc);
	json_t *errors = errors_json(g);
	json_t *counters = counters_json(&g->counters);
	json_int_t npending = (json_int_t)ing_map_count(g->pending);
	json_t *inotify =
	    json_pack("{s:b, s:o}", "available", g->in_fd >= 0, "reason",
		      str_or_null(g->in_fd >= 0 ? NULL : g->in_reason));
	json_t *problem = str_or_null(g->clips_missing);
	pthread_mutex_unlock(&g->mu);
	json_object_set_new(o, "process", json_string(g->owner));
	json_object_set_new(o, "problem", problem);
	json_object_set_new(o, "inotify", inotify);
	json_object_set_new(
	    o, "settings",
	    json_pack("{s:i, s:i, s:i, s:i, s:i}", "settle_ms",
		      g->cfg.settle_ms, "reconcile_interval_s",
		      g->cfg.reconcile_interval_s, "poll_interval_ms",
		      g->cfg.poll_interval_ms, "lease_s", g->cfg.lease_s,
		      "threads", g->cfg.threads));
	json_object_set_new(o, "folders", folders);
	json_object_set_new(o, "pending", pc.list);
	json_object_set_new(o, "pending_total", json_integer(npending));
	json_object_set_new(o, "failures", rejected);
	json_object_set_new(o, "errors", errors);
	json_object_set_new(o, "duplicates", dups);
	json_object_set_new(o, "counters", counters);
	return o;
}
