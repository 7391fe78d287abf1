/*
 * ingest_db.c - every statement the ingest runs, each group in a task of
 * its own (host->task_begin: a transaction on a pooled connection, audit
 * rows by "ingest"). All parameterized.
 *
 * The order inside the commit transaction is what makes an ingest happen
 * once: the lease row is read FOR SHARE first (a takeover waits for us, or
 * we see it and stop), then the content row is inserted (its primary key
 * is the SHA-256: a concurrent ingest of the same bytes blocks there and
 * then finds it), then the clip is created and the object attached.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ingest_inflight.h"

#define ISO(col)                                                               \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static slate_req *task(ing *g)
{
	return g->host->task_begin(g->self, "ingest");
}

static slate_result *q(ing *g, slate_req *t, const char *sql, int n,
		       const char *const *p)
{
	return g->host->db_exec(t, sql, n, p);
}

static const char *val(ing *g, slate_result *r, int row, int col)
{
	return g->host->db_value(r, row, col);
}

/* ---- leases ------------------------------------------------------------- */

static const char *lease_take_sql =
    "INSERT INTO ingest_leases AS l (folder, owner, lease_expires_at, "
    "mode, mode_reason) VALUES ($1, $2, now() + make_interval(secs => "
    "$3::int), $4, $5) ON CONFLICT (folder) DO UPDATE SET owner = "
    "EXCLUDED.owner, lease_expires_at = EXCLUDED.lease_expires_at, mode = "
    "EXCLUDED.mode, mode_reason = EXCLUDED.mode_reason, acquired_at = CASE "
    "WHEN "
    "l.owner = EXCLUDED.owner THEN l.acquired_at ELSE now() END "
    "WHERE l.owner = EXCLUDED.owner OR l.lease_expires_at < now() "
    "RETURNING folder_id, owner, " ISO(
	"lease_expires_at") ", "
			    "coalesce((extract(epoch FROM rescan_requested_at) "
			    "* 1000)::bigint, 0)";

static const char *lease_read_sql = "SELECT folder_id, owner, " ISO(
    "lease_expires_at") ", "
			"coalesce((extract(epoch FROM rescan_requested_at) * "
			"1000)::bigint, 0) "
			"FROM ingest_leases WHERE folder = $1";

int ing_db_lease_tick(ing *g, bool held[], char rescan_at[][64])
{
	slate_req *t = task(g);
	if (!t)
		return -1;
	char secs[16];
	snprintf(secs, sizeof(secs), "%d", g->cfg.lease_s);
	for (size_t i = 0; i < g->n_folders; i++) {
		ing_folder *f = &g->folders[i];
		const char *p[] = {f->cfg->path, g->owner, secs,
				   f->mode == ING_MODE_POLLING ? "polling"
							       : "events",
				   f->reason[0] ? f->reason : NULL};
		slate_result *r = q(g, t, lease_take_sql, 5, p);
		held[i] = r && g->host->db_rows(r) == 1;
		if (r && !held[i])
			r = q(g, t, lease_read_sql, 1, p);
		if (!r || g->host->db_rows(r) != 1) {
			g->host->task_end(t, 0);
			return -1;
		}
		pthread_mutex_lock(&g->mu);
		snprintf(f->folder_id, sizeof(f->folder_id), "%s",
			 val(g, r, 0, 0));
		snprintf(f->owner, sizeof(f->owner), "%s", val(g, r, 0, 1));
		snprintf(f->lease_until, sizeof(f->lease_until), "%s",
			 val(g, r, 0, 2));
		pthread_mutex_unlock(&g->mu);
		snprintf(rescan_at[i], 64, "%s", val(g, r, 0, 3));
	}
	return g->host->task_end(t, 1);
}

void ing_db_lease_release(ing *g)
{
	slate_req *t = task(g);
	if (!t)
		return;
	const char *p[] = {g->owner};
	q(g, t,
	  "UPDATE ingest_leases SET lease_expires_at = now() - interval '1 "
	  "ms' WHERE owner = $1",
	  1, p);
	g->host->task_end(t, 1);
}

int ing_db_rescan_request(ing *g, slate_req *req, ing_folder *f)
{
	const char *p[] = {f->cfg->path};
	slate_result *r = q(
	    g, req,
	    "INSERT INTO ingest_leases AS l (folder, owner, lease_expires_at, "
	    "rescan_requested_at) VALUES ($1, '', now(), clock_timestamp()) "
	    "ON CONFLICT (folder) DO UPDATE SET rescan_requested_at = "
	    "clock_timestamp() RETURNING folder_id",
	    1, p);
	if (!r || g->host->db_rows(r) != 1)
		return g->host->res_error(req, 503, "SERVICE_UNAVAILABLE", NULL,
					  "The rescan could not be recorded");
	return g->host->audit(req, "ingest_folder", val(g, r, 0, 0), "RESCAN",
			      "path", NULL, f->cfg->path);
}

/* ---- paths seen --------------------------------------------------------- */

int ing_db_seen_load(ing *g, ing_folder *f)
{
	slate_req *t = task(g);
	if (!t)
		return -1;
	const char *p[] = {f->cfg->path};
	slate_result *r = q(g, t,
			    "SELECT rel_path, size_bytes, mtime_ns, inode FROM "
			    "ingest_seen WHERE folder = $1",
			    1, p);
	int rc = r ? 0 : -1;
	pthread_mutex_lock(&g->mu);
	for (int i = 0; r && i < g->host->db_rows(r); i++) {
		ing_seen *s = malloc(sizeof(*s));
		if (!s) {
			rc = -1;
			break;
		}
		s->size = strtoll(val(g, r, i, 1), NULL, 10);
		s->mtime_ns = strtoll(val(g, r, i, 2), NULL, 10);
		s->ino = (uint64_t)strtoll(val(g, r, i, 3), NULL, 10);
		s->vanished = 0;
		free(ing_map_get(f->seen, val(g, r, i, 0)));
		if (ing_map_set(f->seen, val(g, r, i, 0), s)) {
			free(s);
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&g->mu);
	g->host->task_end(t, 0);
	return rc;
}

typedef struct prune_ctx {
	ing_map *found;
	int64_t now;
	char **old; /* keys gone for an hour, to delete */
	size_t n, cap;
} prune_ctx;

#define GONE_KEEP_MS (3600 * 1000)

static bool prune_one(const char *key, void *value, void *ud)
{
	prune_ctx *c = ud;
	ing_seen *s = value;
	if (ing_map_get(c->found, key)) {
		s->vanished = 0;
		return false;
	}
	if (!s->vanished) {
		s->vanished = c->now;
		return false;
	}
	if (c->now - s->vanished < GONE_KEEP_MS)
		return false;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **o = realloc(c->old, cap * sizeof(*o));
		if (!o)
			return false;
		c->old = o;
		c->cap = cap;
	}
	if (!(c->old[c->n] = strdup(key)))
		return false;
	c->n++;
	free(s);
	return true;
}

void ing_db_seen_prune(ing *g, ing_folder *f, ing_map *found)
{
	prune_ctx c = {found, ing_now_ms(), NULL, 0, 0};
	pthread_mutex_lock(&g->mu);
	ing_map_each(f->seen, prune_one, &c);
	pthread_mutex_unlock(&g->mu);
	slate_req *t = c.n ? task(g) : NULL;
	for (size_t i = 0; i < c.n; i++) {
		char rel[8192];
		ing_text(c.old[i], rel, sizeof(rel));
		const char *p[] = {f->cfg->path, rel};
		if (t)
			q(g, t,
			  "DELETE FROM ingest_seen WHERE folder = $1 AND "
			  "rel_path = $2",
			  2, p);
		free(c.old[i]);
	}
	if (t)
		g->host->task_end(t, 1);
	free(c.old);
}

static const char *seen_put_sql =
    "INSERT INTO ingest_seen (folder, rel_path, size_bytes, mtime_ns, "
    "inode, outcome, reason, sha256, clip_id) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8, $9::uuid) ON CONFLICT (folder, rel_path) DO UPDATE SET "
    "size_bytes = EXCLUDED.size_bytes, mtime_ns = EXCLUDED.mtime_ns, "
    "inode = EXCLUDED.inode, outcome = EXCLUDED.outcome, reason = "
    "EXCLUDED.reason, sha256 = EXCLUDED.sha256, clip_id = EXCLUDED.clip_id, "
    "seen_at = now()";

/* The seen row of `it` with `outcome`, on task t. */
static slate_result *seen_put(ing *g, slate_req *t, ing_item *it,
			      const char *outcome)
{
	char size[24], mtime[24], ino[24];
	snprintf(size, sizeof(size), "%" PRId64, it->size);
	snprintf(mtime, sizeof(mtime), "%" PRId64, it->mtime_ns);
	snprintf(ino, sizeof(ino), "%" PRId64, (int64_t)it->ino);
	bool rej = !strcmp(outcome, "rejected");
	char reason[sizeof(it->reason) * 4];
	ing_text(it->reason, reason, sizeof(reason)); /* it names the file */
	const char *p[] = {it->f->cfg->path,
			   it->rel_text,
			   size,
			   mtime,
			   ino,
			   outcome,
			   rej ? reason : NULL,
			   it->sha256[0] ? it->sha256 : NULL,
			   it->clip_id[0] ? it->clip_id : NULL};
	return q(g, t, seen_put_sql, 9, p);
}

int ing_db_seen_put(ing *g, ing_item *it, const char *outcome)
{
	slate_req *t = task(g);
	if (!t)
		return -1;
	if (!seen_put(g, t, it, outcome)) {
		g->host->task_end(t, 0);
		return -1;
	}
	return g->host->task_end(t, 1);
}

/* ---- one file ----------------------------------------------------------- */

/* Whether this process still owns f's lease, on t (FOR SHARE in the commit
 * transaction: a takeover then waits until we committed). */
static int lease_mine(ing *g, slate_req *t, ing_item *it, bool share)
{
	const char *p[] = {it->f->cfg->path, g->owner};
	slate_result *r =
	    q(g, t,
	      share ? "SELECT 1 FROM ingest_leases WHERE folder = "
		      "$1 AND owner = $2 FOR SHARE"
		    : "SELECT 1 FROM ingest_leases WHERE folder = "
		      "$1 AND owner = $2",
	      2, p);
	if (!r)
		return -1;
	return g->host->db_rows(r) == 1 ? 1 : 0;
}

/* A live clip with this content: from ingest_files, or any clip whose
 * file_hash it is (uploaded through the API). 1 with clip_id/dup_key set,
 * 0 when none, -1 on error. An ingest_files row whose clip was deleted
 * since is dropped, so dropping the file again brings the clip back. */
static int find_existing(ing *g, slate_req *t, ing_item *it)
{
	const char *p[] = {it->sha256};
	slate_result *r =
	    q(g, t,
	      "SELECT c.clip_id, c.file_reference, 1 FROM ingest_files i JOIN "
	      "clips c ON c.clip_id = i.clip_id AND c.deleted_at IS NULL WHERE "
	      "i.sha256 = $1 UNION ALL SELECT clip_id, file_reference, 2 FROM "
	      "clips WHERE file_hash = $1 AND deleted_at IS NULL LIMIT 1",
	      1, p);
	if (!r)
		return -1;
	if (g->host->db_rows(r) == 1) {
		snprintf(it->clip_id, sizeof(it->clip_id), "%s",
			 val(g, r, 0, 0));
		snprintf(it->dup_key, sizeof(it->dup_key), "%s",
			 val(g, r, 0, 1));
		return 1;
	}
	return 0;
}

/* The episode the folder's pattern names for this path, or "" (then the
 * clip is standalone). -1 on a database error. */
static int resolve_episode(ing *g, slate_req *t, ing_item *it)
{
	ing_match m;
	it->episode_id[0] = '\0';
	if (!ing_pattern_match(it->f->cfg->pattern, it->rel, &m))
		return 0;
	char season[16], episode[16];
	snprintf(season, sizeof(season), "%d", m.season);
	snprintf(episode, sizeof(episode), "%d", m.episode);
	const char *p[] = {m.show, season, episode};
	/* the exact name first, then the same name in another case */
	slate_result *r =
	    q(g, t,
	      "SELECT e.episode_id FROM shows s JOIN episodes e ON e.show_id = "
	      "s.show_id AND e.deleted_at IS NULL WHERE lower(s.name) = "
	      "lower($1) AND s.deleted_at IS NULL AND e.season_number = "
	      "$2::int AND e.episode_number = $3::int ORDER BY (s.name = $1) "
	      "DESC LIMIT 1",
	      3, p);
	if (!r)
		return -1;
	if (g->host->db_rows(r) == 1)
		snprintf(it->episode_id, sizeof(it->episode_id), "%s",
			 val(g, r, 0, 0));
	return 0;
}

static const char *intent_put_sql =
    "INSERT INTO ingest_intents (store_key, owner, folder, rel_path, "
    "sha256) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
static const char *intent_del_sql =
    "DELETE FROM ingest_intents WHERE store_key = $1 AND owner = $2 AND "
    "folder = $3 AND rel_path = $4 RETURNING 1";

static ing_outcome fail(ing *g, slate_req *t, ing_item *it, const char *what)
{
	const char *e = g->host->req_error(t);
	snprintf(it->reason, sizeof(it->reason), "%s%s%s", what, e ? ": " : "",
		 e ? e : "");
	g->host->task_end(t, 0);
	return ING_OUT_RETRY;
}

ing_outcome ing_db_prepare(ing *g, ing_item *it)
{
	slate_req *t = task(g);
	if (!t) {
		snprintf(it->reason, sizeof(it->reason),
			 "no database connection");
		return ING_OUT_RETRY;
	}
	int mine = lease_mine(g, t, it, false);
	if (mine <= 0) {
		if (mine < 0)
			return fail(g, t, it, "database error");
		g->host->task_end(t, 0);
		return ING_OUT_LEASE;
	}
	int ex = find_existing(g, t, it);
	if (ex < 0)
		return fail(g, t, it, "database error");
	if (ex == 1) {
		if (!seen_put(g, t, it, "duplicate"))
			return fail(g, t, it, "database error");
		return g->host->task_end(t, 1) ? ING_OUT_RETRY
					       : ING_OUT_DUPLICATE;
	}
	const char *p0[] = {it->sha256};
	if (!q(g, t,
	       "DELETE FROM ingest_files i WHERE sha256 = $1 AND NOT EXISTS "
	       "(SELECT 1 FROM clips c WHERE c.clip_id = i.clip_id AND "
	       "c.deleted_at IS NULL)",
	       1, p0))
		return fail(g, t, it, "database error");
	if (resolve_episode(g, t, it))
		return fail(g, t, it, "database error");
	if (ing_object_key(it->key, sizeof(it->key), it->episode_id,
			   it->f->cfg->talent_source, it->sha256, it->rel)) {
		snprintf(it->reason, sizeof(it->reason), "object key too long");
		g->host->task_end(t, 0);
		return ING_OUT_RETRY;
	}
	/* committed before the object exists: if we die after storing it,
	 * the row says which object may be unreferenced; in flight from
	 * before the row exists, so our own sweep never takes it */
	ing_inflight_begin(g, it->key);
	const char *p[] = {it->key, g->owner, it->f->cfg->path, it->rel_text,
			   it->sha256};
	if (!q(g, t, intent_put_sql, 5, p)) {
		ing_inflight_end(g, it->key);
		return fail(g, t, it, "database error");
	}
	if (g->host->task_end(t, 1)) {
		ing_inflight_end(g, it->key);
		snprintf(it->reason, sizeof(it->reason),
			 "database error: could not commit");
		return ING_OUT_RETRY;
	}
	return ING_OUT_INGESTED;
}

/* The clip row the ingest creates. */
static json_t *clip_body(ing_item *it)
{
	json_t *b = json_pack("{s:s, s:s, s:s}", "talent_source",
			      it->f->cfg->talent_source, "clip_type", "raw",
			      "file_reference", it->key);
	if (b && it->episode_id[0])
		json_object_set_new(b, "episode_id",
				    json_string(it->episode_id));
	return b;
}

ing_outcome ing_db_commit(ing *g, ing_item *it)
{
	slate_req *t = task(g);
	if (!t) {
		snprintf(it->reason, sizeof(it->reason),
			 "no database connection");
		return ING_OUT_RETRY;
	}
	int mine = lease_mine(g, t, it, true);
	if (mine <= 0) {
		if (mine < 0)
			return fail(g, t, it, "database error");
		g->host->task_end(t, 0);
		return ING_OUT_LEASE;
	}
	char size[24];
	snprintf(size, sizeof(size), "%" PRId64, it->size);
	const char *pf[] = {it->sha256, it->f->cfg->path, it->rel_text, it->key,
			    size,	g->owner};
	slate_result *r =
	    q(g, t,
	      "INSERT INTO ingest_files (sha256, folder, rel_path, "
	      "store_key, size_bytes, owner) VALUES ($1, $2, $3, "
	      "$4, $5, $6) ON CONFLICT (sha256) DO NOTHING "
	      "RETURNING 1",
	      6, pf);
	if (!r)
		return fail(g, t, it, "database error");
	int ex = g->host->db_rows(r) == 1 ? find_existing(g, t, it) : 1;
	if (ex != 0) {
		/* someone ingested these bytes meanwhile */
		g->host->task_end(t, 0);
		if (ex < 0) {
			snprintf(it->reason, sizeof(it->reason),
				 "database error");
			return ING_OUT_RETRY;
		}
		t = task(g);
		if (!t || find_existing(g, t, it) != 1) {
			if (t)
				g->host->task_end(t, 0);
			snprintf(it->reason, sizeof(it->reason),
				 "content row without a live clip yet");
			return ING_OUT_RETRY;
		}
		g->host->task_end(t, 0);
		return ING_OUT_DUPLICATE;
	}
	const char *pk[] = {it->key, g->owner, it->f->cfg->path, it->rel_text};
	r = q(g, t, intent_del_sql, 4, pk);
	if (!r)
		return fail(g, t, it, "database error");
	if (g->host->db_rows(r) != 1) {
		/* a new owner swept our intent (and maybe the object) */
		snprintf(it->reason, sizeof(it->reason),
			 "intent swept by another process");
		g->host->task_end(t, 0);
		return ING_OUT_LEASE;
	}
	json_t *body = clip_body(it), *row = NULL;
	if (!body || g->host->entity_create(t, "clip", body, &row)) {
		json_decref(body);
		return fail(g, t, it, "creating the clip");
	}
	json_decref(body);
	snprintf(it->clip_id, sizeof(it->clip_id), "%s",
		 json_string_value(json_object_get(row, "clip_id")));
	json_decref(row);
	if (g->host->file_attach(
		t, "clip", it->clip_id, "file_reference", "primary", it->key,
		"raw_clip", it->content_type, (uint64_t)it->size, it->sha256))
		return fail(g, t, it, "attaching the file");
	const char *pc[] = {it->sha256, it->clip_id};
	if (!q(g, t,
	       "UPDATE ingest_files SET clip_id = $2::uuid WHERE sha256 = $1",
	       2, pc) ||
	    !seen_put(g, t, it, "ingested") ||
	    g->host->audit(t, "clip", it->clip_id, "INGEST", "source_path",
			   NULL, it->path_text))
		return fail(g, t, it, "database error");
	if (g->host->task_end(t, 1)) {
		snprintf(it->reason, sizeof(it->reason),
			 "database error: could not commit");
		return ING_OUT_RETRY;
	}
	return ING_OUT_INGESTED;
}

void ing_db_intent(ing *g, ing_item *it, bool keep)
{
	slate_req *t = task(g);
	if (!t)
		return;
	const char *p[] = {it->key, g->owner, it->f->cfg->path, it->rel_text,
			   it->sha256};
	q(g, t, keep ? intent_put_sql : intent_del_sql, keep ? 5 : 4, p);
	g->host->task_end(t, 1);
}

/* ---- objects whose clip never committed --------------------------------- */

/* Delete the object `key` (claimed) unless something may still use it: a
 * clip (any, deleted ones too: not ours to judge), a content row, or an
 * intent row (an ingest in flight, here or in another process). 0 when
 * it is gone or in use, -1 when that could not be settled. */
static int release_claimed(ing *g, const char *key, const char *who)
{
	slate_req *t = task(g);
	if (!t)
		return -1;
	const char *p[] = {key};
	slate_result *r =
	    q(g, t,
	      "SELECT EXISTS (SELECT 1 FROM ingest_files WHERE store_key = $1) "
	      "OR EXISTS (SELECT 1 FROM ingest_intents WHERE store_key = $1) "
	      "OR EXISTS (SELECT 1 FROM clips WHERE file_reference = $1)",
	      1, p);
	bool used = !r || strcmp(val(g, r, 0, 0), "f");
	g->host->task_end(t, 0);
	if (!r)
		return -1;
	if (used)
		return 0;
	if (g->host->file_delete(g->self, "primary", key))
		return -1;
	g->host->log(g->self, SLATE_LOG_INFO,
		     "deleted object %s: its ingest (%s) never committed", key,
		     who);
	return 0;
}

void ing_db_release(ing *g, const char *key)
{
	if (ing_inflight_claim(g, key)) {
		release_claimed(g, key, "changed or duplicate");
		ing_inflight_unclaim(g, key);
	}
}

/* One stale intent row: drop it, then its object if nothing uses it; on
 * failure put the row back for the next sweep. */
static void sweep_one(ing *g, char *const row[5])
{
	slate_req *t = task(g);
	if (!t)
		return;
	slate_result *r = q(g, t, intent_del_sql, 4, (const char **)row);
	if (!r || g->host->task_end(t, 1))
		return;
	char who[200];
	snprintf(who, sizeof(who), "by %.160s", row[1]);
	if (release_claimed(g, row[0], who) && (t = task(g))) {
		q(g, t, intent_put_sql, 5, (const char **)row);
		g->host->task_end(t, 1);
	}
}

void ing_db_sweep(ing *g, ing_folder *f)
{
	slate_req *t = task(g);
	if (!t)
		return;
	const char *p[] = {f->cfg->path};
	slate_result *r =
	    q(g, t,
	      "SELECT store_key, owner, folder, rel_path, sha256 FROM "
	      "ingest_intents WHERE folder = $1 ORDER BY created_at LIMIT 1000",
	      1, p);
	int n = r ? g->host->db_rows(r) : 0;
	/* copy out: the result dies with the task */
	char **rows = calloc((size_t)n * 5 + 1, sizeof(char *));
	bool ok = rows != NULL;
	for (int i = 0; ok && i < n * 5; i++)
		ok = (rows[i] = strdup(val(g, r, i / 5, i % 5))) != NULL;
	g->host->task_end(t, 0);
	/* rows of this process's ingests in flight stay (not claimable) */
	for (int i = 0; ok && i < n; i++) {
		if (ing_inflight_claim(g, rows[5 * i])) {
			sweep_one(g, rows + 5 * i);
			ing_inflight_unclaim(g, rows[5 * i]);
		}
	}
	for (int i = 0; rows && i < n * 5; i++)
		free(rows[i]);
	free(rows);
}
