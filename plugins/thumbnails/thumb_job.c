/*
 * thumb_job.c - the "thumbnail" processor's job, in a worker process.
 *
 * The payload is the stored file (host.h, file_current). The file is
 * decoded once (thumb_render.h) with no database connection held; then one
 * task, serialised per entity by an advisory lock, checks that the entity
 * is live and still holds that file, stores the three JPEGs, upserts the
 * three `thumbnails` rows, audits a change of them and points the entity's
 * thumbnail_reference at the primary one.
 *
 * Idempotent: running again rewrites the same objects and rows and audits
 * nothing new. A job for a file the entity no longer holds (a newer upload
 * replaced it: its own job follows) or for a deleted entity writes nothing
 * and succeeds; because the check and the writes share the lock, an older
 * file's job can never overwrite a newer file's thumbnails.
 *
 * Outcomes: input that can never work (not an image of the kind's formats,
 * a decompression bomb, an unreadable video) marks the rows 'failed' with
 * the reason and ends the job with job_reject, so it is dead after one
 * attempt; a storage or database error is job_fail, retried.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thumb.h"

#define host thumb_host

/* The stored file a job is about (borrowed from the payload), and what the
 * plugin makes of it. */
typedef struct job_file {
	slate_file file;
	const char *etype, *eid, *field, *store, *key, *kind; /* of file */
	const char *source_type; /* "image" or "video" */
	const thumb_entity *te;
} job_file;

/* Fill f's own members from f->file. 0, or -1 with why set. */
static int file_classify(job_file *f, char *why, size_t len)
{
	f->etype = f->file.entity_type;
	f->eid = f->file.entity_id;
	f->field = f->file.field;
	f->store = f->file.store;
	f->key = f->file.key;
	f->kind = f->file.kind;
	f->te = thumb_entity_find(f->etype);
	f->source_type = thumb_source_type(f->kind);
	if (!f->te) {
		snprintf(why, len, "a %s has no thumbnails", f->etype);
		return -1;
	}
	if (!f->source_type) {
		snprintf(why, len, "files of kind %s have no thumbnails",
			 f->kind);
		return -1;
	}
	return 0;
}

/* 1 when the entity is live and still holds f's file, 0 when not (nothing
 * to write), -1 on a database error (why set). *row_out gets the entity. */
static int still_current(slate_req *t, const job_file *f, json_t **row_out,
			 char *why, size_t len)
{
	int live = host->file_is_current(t, &f->file, row_out);
	if (live < 0)
		snprintf(why, len, "reading the %s: %s", f->etype,
			 host->req_error(t) ? host->req_error(t) : "error");
	else if (live == 0)
		host->log(thumb_self, SLATE_LOG_INFO,
			  "%s %s no longer holds %s: no thumbnails to write",
			  f->etype, f->eid, f->key);
	return live;
}

static const char sql_done[] =
    "INSERT INTO thumbnails (entity_type, entity_id, size_variant, "
    "file_reference, width, height, file_size_bytes, source_type, "
    "source_reference, status, error_message, processed_at) VALUES ($1, "
    "$2::uuid, $3, $4, $5::integer, $6::integer, $7::bigint, $8, $9, "
    "'completed', NULL, now()) ON CONFLICT (entity_type, entity_id, "
    "size_variant) DO UPDATE SET file_reference = EXCLUDED.file_reference, "
    "width = EXCLUDED.width, height = EXCLUDED.height, file_size_bytes = "
    "EXCLUDED.file_size_bytes, source_type = EXCLUDED.source_type, "
    "source_reference = EXCLUDED.source_reference, status = 'completed', "
    "error_message = NULL, processed_at = now()";

/* A failure keeps what an earlier success recorded (sizes, file) beside
 * the new status and reason. */
static const char sql_failed[] =
    "INSERT INTO thumbnails (entity_type, entity_id, size_variant, "
    "file_reference, width, height, source_type, source_reference, status, "
    "error_message, processed_at) VALUES ($1, $2::uuid, $3, $4, 0, 0, $5, "
    "$6, 'failed', $7, now()) ON CONFLICT (entity_type, entity_id, "
    "size_variant) DO UPDATE SET source_type = EXCLUDED.source_type, "
    "source_reference = EXCLUDED.source_reference, status = 'failed', "
    "error_message = EXCLUDED.error_message, processed_at = now()";

/* Store one size and upsert its row. 0 or -1 (why set). */
static int write_size(slate_req *t, const job_file *f, const thumb_set *set,
		      int i, const char *source_ref, char *why, size_t len)
{
	char key[256], w[16], h[16], n[24];
	thumb_key(f->te, f->eid, i, key, sizeof(key));
	if (host->file_put(thumb_self, "thumbnails", key, "image/jpeg",
			   set->jpeg[i], set->len[i])) {
		snprintf(why, len, "storing thumbnails/%s failed", key);
		return -1;
	}
	snprintf(w, sizeof(w), "%d", set->width[i]);
	snprintf(h, sizeof(h), "%d", set->height[i]);
	snprintf(n, sizeof(n), "%zu", set->len[i]);
	const char *p[9] = {f->etype, f->eid, thumb_sizes[i].name, key,	      w,
			    h,	      n,      f->source_type,	   source_ref};
	if (!host->db_exec(t, sql_done, 9, p)) {
		snprintf(why, len, "writing the %s row: SQLSTATE %s",
			 thumb_sizes[i].name, host->db_sqlstate(t));
		return -1;
	}
	return 0;
}

static int write_failed(slate_req *t, const job_file *f, int i,
			const char *error, char *why, size_t len)
{
	char key[256];
	thumb_key(f->te, f->eid, i, key, sizeof(key));
	const char *p[7] = {f->etype, f->eid,	      thumb_sizes[i].name,
			    key,      f->source_type, f->key,
			    error};
	if (!host->db_exec(t, sql_failed, 7, p)) {
		snprintf(why, len, "writing the %s row: SQLSTATE %s",
			 thumb_sizes[i].name, host->db_sqlstate(t));
		return -1;
	}
	return 0;
}

/* Point the entity's thumbnail_reference at the primary thumbnail when it
 * has that field and it points elsewhere. 0 or -1 (why set). */
static int set_reference(slate_req *t, const job_file *f, const json_t *row,
			 char *why, size_t len)
{
	char key[256];
	thumb_key(f->te, f->eid, 0, key, sizeof(key));
	const char *have =
	    json_string_value(json_object_get(row, "thumbnail_reference"));
	if (!host->entity_has_field(thumb_self, f->etype,
				    "thumbnail_reference") ||
	    (have && !strcmp(have, key)))
		return 0;
	json_t *changes = json_pack("{s:s}", "thumbnail_reference", key);
	json_t *updated = NULL;
	int rc =
	    changes ? host->entity_patch(t, f->etype, f->eid, changes, &updated)
		    : -1;
	json_decref(changes);
	json_decref(updated);
	if (rc)
		snprintf(why, len, "setting thumbnail_reference: %s",
			 host->req_error(t) ? host->req_error(t)
					    : "out of memory");
	return rc;
}

/* The task's work: `set` on success, `error` on a rejected input. 0
 * written, 1 nothing to write, -1 error (why set). */
static int record_in(slate_req *t, const job_file *f, const thumb_set *set,
		     const char *error, char *why, size_t len)
{
	/* One writer per entity at a time (see the top of the file). */
	const char *lk[1] = {f->eid};
	if (!host->db_exec(t,
			   "SELECT pg_advisory_xact_lock(hashtextextended("
			   "'slate.thumbnails.' || $1, 0))",
			   1, lk)) {
		snprintf(why, len, "locking: SQLSTATE %s",
			 host->db_sqlstate(t));
		return -1;
	}
	json_t *row = NULL;
	int live = still_current(t, f, &row, why, len);
	if (live <= 0)
		return live < 0 ? -1 : 1;
	int rc = -1;
	const char *before = NULL, *after = NULL;
	char source_ref[1100];
	if (set && set->frame_s >= 0)
		snprintf(source_ref, sizeof(source_ref), "%s#t=%.3f", f->key,
			 set->frame_s);
	else
		snprintf(source_ref, sizeof(source_ref), "%s", f->key);
	if (thumb_rows_summary(t, f->etype, f->eid, &before)) {
		snprintf(why, len, "reading the rows: SQLSTATE %s",
			 host->db_sqlstate(t));
		goto out;
	}
	for (int i = 0; i < THUMB_NSIZES; i++)
		if (set ? write_size(t, f, set, i, source_ref, why, len)
			: write_failed(t, f, i, error, why, len))
			goto out;
	if (thumb_rows_summary(t, f->etype, f->eid, &after)) {
		snprintf(why, len, "reading the rows: SQLSTATE %s",
			 host->db_sqlstate(t));
		goto out;
	}
	if ((!before || strcmp(before, after)) &&
	    host->audit(t, f->etype, f->eid, "thumbnails", "thumbnails", before,
			after)) {
		snprintf(why, len, "writing the audit row");
		goto out;
	}
	if (set && set_reference(t, f, row, why, len))
		goto out;
	rc = 0;
out:
	json_decref(row);
	return rc;
}

/* Record the outcome in one task. 0 done (or nothing to do), -1 after
 * job_fail. */
static int record(slate_job *job, const job_file *f, const thumb_set *set,
		  const char *error)
{
	slate_req *t = host->task_begin(thumb_self, "thumbnails");
	if (!t)
		return host->job_fail(job, "no database connection to record "
					   "the thumbnails");
	char why[512] = "";
	int rc = record_in(t, f, set, error, why, sizeof(why));
	if (rc < 0) {
		host->task_end(t, 0);
		return host->job_fail(job,
				      "cannot record the thumbnails of "
				      "%s: %s",
				      f->key, why);
	}
	if (host->task_end(t, rc == 0) && rc == 0)
		return host->job_fail(job, "cannot commit the thumbnails of %s",
				      f->key);
	return 0;
}

/* The formats a file kind may be: the upload types of README "Files". */
static unsigned accepted_formats(const char *kind)
{
	if (!strcmp(kind, "ui_element"))
		return THUMB_FMT_SVG | THUMB_FMT_PNG | THUMB_FMT_WEBP;
	return THUMB_FMT_JPEG | THUMB_FMT_PNG | THUMB_FMT_WEBP;
}

int thumb_job(slate_job *job, void *ud)
{
	(void)ud;
	job_file f;
	char why[160];
	int fd = host->job_file_open(thumb_self, job, &f.file, NULL);
	if (fd < 0)
		return -1;
	if (file_classify(&f, why, sizeof(why))) {
		close(fd);
		return host->job_reject(job, "malformed thumbnail job: %s",
					why);
	}
	if (thumb_setup(thumb_cfg.vips_concurrency, why, sizeof(why))) {
		close(fd);
		return host->job_fail(job, "%s", why);
	}
	thumb_set set;
	int rc = strcmp(f.source_type, "video")
		     ? thumb_from_image(fd, accepted_formats(f.kind),
					&thumb_cfg.lim, &set)
		     : thumb_from_video(fd, &thumb_cfg.lim, &set);
	close(fd);
	if (rc == 0) {
		rc = record(job, &f, &set, NULL);
	} else if (!set.rejected) {
		rc = host->job_fail(job, "thumbnails of %s: %s", f.key,
				    set.error);
	} else {
		/* The rows say why; a failure to record that is retried
		 * (the input fails the same way next time). */
		rc = record(job, &f, NULL, set.error);
		if (rc == 0)
			rc = host->job_reject(job, "%s: %s", f.key, set.error);
	}
	thumb_set_release(&set);
	return rc;
}
