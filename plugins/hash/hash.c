/*
 * hash.c - the "hash" processor: SHA-256 of every stored file.
 *
 * The pipeline (host.h, "processing pipeline") queues a "hash" job for each
 * stored file, first of the processors (stage 10). The handler, in a worker
 * process, reads the object through host->file_open and hashes it with
 * OpenSSL (hash_sha256.c), then in one task: upserts the file's row in
 * file_hashes (audited when the content is new) and sets the entity's
 * file_hash when it has one. The upload's own SHA-256 (computed by slated
 * while the bytes came in; null on S3, where slated never sees them) is
 * checked against ours: a difference is logged and ours is kept, since it is
 * what the store holds now.
 *
 * Idempotent: a second run finds the same row and the same file_hash and
 * writes nothing new. A job for a file the entity no longer holds (a newer
 * upload replaced it) or for a deleted entity ends successfully having
 * written nothing: the newer file has its own job.
 *
 * Errors: an object that is gone can never succeed (job_reject: dead at
 * once); a read or database error may
 * pass (job_fail: retried with backoff).
 */
#include "hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hash_migrations.h"
#include "hash_sha256.h"

const slate_host *hash_host;
slate_plugin *hash_self;

/* plugins.hash.config.max_read_mb_s: 0 (the default) reads as fast as the
 * store allows. */
static uint64_t max_read_bytes_per_s;

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Insert or replace the file's row; the previous sha256 (NULL when the row
 * is new) comes back so that only a change is audited. */
static const char sql_upsert[] =
    "WITH old AS (SELECT sha256 FROM file_hashes WHERE entity_type = $1 "
    "AND entity_id = $2::uuid AND field = $3) "
    "INSERT INTO file_hashes (entity_type, entity_id, field, store, "
    "object_key, sha256, size_bytes) VALUES ($1, $2::uuid, $3, $4, $5, $6, "
    "$7::bigint) ON CONFLICT (entity_type, entity_id, field) DO UPDATE SET "
    "store = EXCLUDED.store, object_key = EXCLUDED.object_key, sha256 = "
    "EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, hashed_at = now() "
    "RETURNING (SELECT sha256 FROM old)";

/* The task's writes. 0 written, 1 nothing to write, -1 error (why set). */
static int record_in(slate_req *t, const slate_file *f, const char *hex,
		     uint64_t size, char *why, size_t len)
{
	json_t *row = NULL;
	int live = host->file_is_current(t, f, &row);
	if (live < 0)
		snprintf(why, len, "reading the entity: %s",
			 host->req_error(t) ? host->req_error(t) : "error");
	if (live <= 0)
		return live < 0 ? -1 : 1;
	char sz[24];
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	const char *p[7] = {f->entity_type, f->entity_id, f->field, f->store,
			    f->key,	    hex,	  sz};
	slate_result *res = host->db_exec(t, sql_upsert, 7, p);
	int rc = -1;
	if (!res) {
		snprintf(why, len, "writing file_hashes: SQLSTATE %s",
			 host->db_sqlstate(t));
		goto out;
	}
	const char *old = host->db_value(res, 0, 0);
	if ((!old || strcmp(old, hex)) &&
	    host->audit(t, f->entity_type, f->entity_id, "hash", f->field, old,
			hex)) {
		snprintf(why, len, "writing the audit row");
		goto out;
	}
	const char *have = str_of(row, "file_hash");
	if (host->entity_has_field(hash_self, f->entity_type, "file_hash") &&
	    (!have || strcmp(have, hex))) {
		json_t *changes = json_pack("{s:s}", "file_hash", hex);
		json_t *updated = NULL;
		int prc = changes ? host->entity_patch(t, f->entity_type,
						       f->entity_id, changes,
						       &updated)
				  : -1;
		json_decref(changes);
		json_decref(updated);
		if (prc) {
			snprintf(why, len, "setting file_hash: %s",
				 host->req_error(t) ? host->req_error(t)
						    : "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(row);
	return rc;
}

/* Write the result in one task; the job's outcome. */
static int record(slate_job *job, const slate_file *f, const char *hex,
		  uint64_t size)
{
	slate_req *t = host->task_begin(hash_self, "hash");
	if (!t)
		return host->job_fail(job, "no database connection to record "
					   "the hash");
	char why[512] = "";
	int rc = record_in(t, f, hex, size, why, sizeof(why));
	if (rc < 0) {
		host->task_end(t, 0);
		return host->job_fail(job, "cannot record the hash of %s: %s",
				      f->key, why);
	}
	if (host->task_end(t, rc == 0) && rc == 0)
		return host->job_fail(job, "cannot commit the hash of %s",
				      f->key);
	return 0;
}

static int hash_job(slate_job *job, void *ud)
{
	(void)ud;
	slate_file f;
	int fd = host->job_file_open(hash_self, job, &f, NULL);
	if (fd < 0)
		return -1;
	unsigned char digest[32];
	uint64_t n = 0;
	int rc = hash_sha256_fd(fd, max_read_bytes_per_s, digest, &n);
	int err = errno;
	close(fd);
	if (rc)
		return host->job_fail(job, "reading %s/%s: %s", f.store, f.key,
				      strerror(err));
	char hex[65];
	hash_hex(digest, hex);
	if (f.sha256 && strcmp(f.sha256, hex))
		host->log(hash_self, SLATE_LOG_WARN,
			  "%s %s %s: the upload recorded sha256 %s but %s/%s "
			  "hashes to %s now; keeping %s",
			  f.entity_type, f.entity_id, f.field, f.sha256,
			  f.store, f.key, hex, hex);
	if (f.size && f.size != n)
		host->log(hash_self, SLATE_LOG_WARN,
			  "%s/%s: the upload recorded %lld bytes but %llu were "
			  "read",
			  f.store, f.key, (long long)f.size,
			  (unsigned long long)n);
	return record(job, &f, hex, n);
}

/* 0, or -1 with the reason in err. */
static int read_config(const json_t *cfg, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg, k, v)
	{
		if (strcmp(k, "max_read_mb_s")) {
			snprintf(err, errlen, "unknown config key '%s'", k);
			return -1;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000000) {
			snprintf(err, errlen,
				 "max_read_mb_s must be an integer from 0 to "
				 "1000000");
			return -1;
		}
		max_read_bytes_per_s = (uint64_t)json_integer_value(v) << 20;
	}
	return 0;
}

static int hash_init(slate_plugin *self, const slate_host *h, char *err,
		     size_t errlen)
{
	host = h;
	hash_self = self;
	return read_config(h->config(self), err, errlen);
}

static const slate_processor_def hash_processor = {
    .struct_size = sizeof(slate_processor_def),
    .kind = "hash",
    .stage = 10,
    .file_kinds = NULL, /* every kind */
    .fn = hash_job,
};

static const slate_plugin_desc hash_desc = {
    SLATE_PLUGIN_HEADER("hash", "1.0.0",
			"SHA-256 of stored files; duplicate reports"),
    SLATE_PLUGIN_MIGRATIONS(hash_migrations, HASH_N_MIGRATIONS),
    .init = hash_init,
    .routes = (const slate_route_def *const[]){&hash_route_dupes,
					       &hash_route_dupes_of, NULL},
    .processors = (const slate_processor_def *const[]){&hash_processor, NULL},
};

SLATE_PLUGIN_DEFINE(hash_desc)
