/* files.c - see files.h. */
#include "files/files.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/plugin_record.h"
#include "base/util.h"
#include "entity/write.h"
#include "files/storage.h"
#include "http/req_db.h"
#include "http/req_events.h"
#include "http/request.h"
#include "jobs/pipeline.h"

/* ---- attaching a stored object to an entity ---------------------------- */

static json_t *file_object(const char *etype, const char *id, const char *field,
			   const char *store, const char *key, const char *kind,
			   const char *ctype, uint64_t size, const char *sha)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
			 "entity_type", etype, "entity_id", id, "field", field,
			 "store", store, "key", key, "kind", kind,
			 "content_type", ctype, "size", (json_int_t)size,
			 "sha256", sha ? json_string(sha) : json_null());
}

int slate_file_attach(slate_req *r, const slate_entity *e, const char *id,
		      const char *field, const char *store, const char *key,
		      const char *kind, const char *content_type, uint64_t size,
		      const char *sha256, const char *upload_id)
{
	json_t *ch = json_object();
	json_object_set_new(ch, field, json_string(key));
	if (sha256 && slate_entity_field(e, "file_hash"))
		json_object_set_new(ch, "file_hash", json_string(sha256));
	if (slate_entity_field(e, "file_size_bytes"))
		json_object_set_new(ch, "file_size_bytes",
				    json_integer((json_int_t)size));
	json_t *row = NULL;
	int rc = slate_entity_patch(r, e, id, ch, &row);
	json_decref(ch);
	json_decref(row);
	if (rc)
		return -1;

	char sz[24];
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	slate_result *up;
	if (upload_id) {
		up = slate_db_exec_req(r,
				       "UPDATE uploads SET status = "
				       "'confirmed', confirmed_at = now() "
				       "WHERE upload_id = $1::uuid",
				       1, &upload_id);
	} else {
		/* An object stored by slated itself (ingest): recorded like
		 * a confirmed upload, so downloads and file_current find it.
		 * Its key may be stored again after a crash: same row. */
		const char *p9[9] = {e->name, id, field,	kind,  store,
				     key,     sz, content_type, sha256};
		up = slate_db_exec_req(
		    r,
		    "INSERT INTO uploads (upload_id, entity_type, entity_id, "
		    "field, kind, store, object_key, declared_size, "
		    "content_type, status, sha256, expires_at, stored_at, "
		    "confirmed_at) VALUES (gen_random_uuid(), $1, $2::uuid, "
		    "$3, $4, $5, $6, $7::bigint, $8, 'confirmed', $9, now(), "
		    "now(), now()) ON CONFLICT (store, object_key) DO UPDATE "
		    "SET entity_type = $1, entity_id = $2::uuid, field = $3, "
		    "kind = $4, declared_size = $7::bigint, content_type = $8, "
		    "status = 'confirmed', sha256 = $9, confirmed_at = now()",
		    9, p9);
	}
	if (!up)
		return slate_res_db_error(r);
	json_t *file = file_object(e->name, id, field, store, key, kind,
				   content_type, size, sha256);
	if (!file)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Out of memory");
	rc = slate_pipeline_enqueue(r, file, NULL, NULL);
	if (rc == 0) {
		/* the event keeps the name "id" it had before ABI 1.1 */
		json_object_set(file, "id", json_object_get(file, "entity_id"));
		slate_req_event_emit(r, "file.stored", json_incref(file));
	}
	json_decref(file);
	return rc;
}

int slate_files_h_attach(slate_req *r, const char *entity, const char *id,
			 const char *field, const char *store, const char *key,
			 const char *kind, const char *content_type,
			 uint64_t size, const char *sha256)
{
	const slate_entity *e = slate_entity_find(r->core, entity);
	if (!e)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "file_attach: unknown entity %s",
				       entity ? entity : "(null)");
	if (!id || !slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", e->id_param,
				       "'%s' must be a UUID", e->id_param);
	if (!field || !slate_entity_field(e, field))
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "file_attach: a %s has no field %s",
				       entity, field ? field : "(null)");
	if (!store || !slate_storage_get(r->core->storage, store) || !key ||
	    !slate_store_key_valid(key) || !kind || !content_type ||
	    (sha256 && strlen(sha256) != 64))
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "file_attach: bad store, key, kind, "
				       "type or sha256");
	return slate_file_attach(r, e, id, field, store, key, kind,
				 content_type, size, sha256, NULL);
}

int slate_files_h_current(slate_req *r, const char *entity, const char *id,
			  const char *field, json_t **file_out)
{
	*file_out = NULL;
	if (!entity || !id || !slate_uuid_valid(id))
		return 0;
	const char *p[3] = {entity, id, field};
	slate_result *res = slate_db_exec_req(
	    r,
	    "SELECT field, store, object_key, kind, content_type, "
	    "declared_size, sha256 FROM uploads WHERE entity_type = $1 AND "
	    "entity_id = $2::uuid AND status = 'confirmed' AND ($3::text IS "
	    "NULL OR field = $3) ORDER BY confirmed_at DESC LIMIT 1",
	    3, p);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return 0;
	*file_out =
	    file_object(entity, id, slate_db_value(res, 0, 0),
			slate_db_value(res, 0, 1), slate_db_value(res, 0, 2),
			slate_db_value(res, 0, 3), slate_db_value(res, 0, 4),
			strtoull(slate_db_value(res, 0, 5), NULL, 10),
			slate_db_value(res, 0, 6));
	return *file_out ? 0 : -1;
}

int slate_files_h_is_current(slate_req *r, const slate_file *f,
			     json_t **row_out)
{
	if (row_out)
		*row_out = NULL;
	json_t *cur = NULL;
	if (slate_files_h_current(r, f->entity_type, f->entity_id, f->field,
				  &cur))
		return -1;
	const char *key = json_string_value(json_object_get(cur, "key"));
	const char *store = json_string_value(json_object_get(cur, "store"));
	bool same =
	    key && store && !strcmp(key, f->key) && !strcmp(store, f->store);
	json_decref(cur);
	const slate_entity *e = slate_entity_find(r->core, f->entity_type);
	if (!same || !e)
		return 0;
	/* FOR SHARE: the row cannot be deleted or re-pointed until the
	 * caller's transaction ends, so what it records stays true. */
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql, "%s FOR SHARE", e->sql_get);
	slate_result *row =
	    sql.oom ? NULL : slate_db_exec_req(r, sql.data, 1, &f->entity_id);
	slate_buf_release(&sql);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return 0;
	if (row_out &&
	    !(*row_out = slate_entity_parse(slate_db_value(row, 0, 0))))
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Out of memory");
	return 1;
}

/* ---- objects ------------------------------------------------------------ */

/* The store `name` of p's process, checking the key; NULL (logged). */
static slate_store *store_for(slate_plugin *p, const char *what,
			      const char *name, const char *key)
{
	slate_store *st = p->core->storage && name
			      ? slate_storage_get(p->core->storage, name)
			      : NULL;
	if (!st) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "%s: no store '%s'",
			  what, name ? name : "(null)");
		return NULL;
	}
	if (!key || !slate_store_key_valid(key)) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "%s: refused key '%s'",
			  what, key ? key : "(null)");
		errno = EINVAL;
		return NULL;
	}
	return st;
}

int slate_files_h_open(slate_plugin *p, const char *store, const char *key,
		       uint64_t *size_out)
{
	slate_store *st = store_for(p, "file_open", store, key);
	if (!st)
		return -1;
	slate_store_info info;
	int fd = slate_store_open_fd(st, key, &info);
	if (fd < 0) {
		int e = errno;
		if (e != ENOENT)
			slate_log(SLATE_LOG_ERROR, p->id, NULL,
				  "file_open %s/%s: %s", store, key,
				  strerror(e));
		errno = e;
		return -1;
	}
	if (size_out)
		*size_out = info.size;
	return fd;
}

int slate_files_h_job_open(slate_plugin *p, slate_job *job, slate_file *out,
			   uint64_t *size_out)
{
	if (slate_pipeline_job_file(job, out))
		return -1;
	int fd = slate_files_h_open(p, out->store, out->key, size_out);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT) {
		slate_job_fail(job, "%s/%s is not in the store", out->store,
			       out->key);
		job->reject = true;
		return -1;
	}
	return slate_job_fail(job, "cannot open %s/%s: %s", out->store,
			      out->key, strerror(errno));
}

int slate_files_h_put(slate_plugin *p, const char *store, const char *key,
		      const char *content_type, const void *data, size_t len)
{
	slate_store *st = store_for(p, "file_put", store, key);
	slate_store_writer *w = NULL;
	if (!st || slate_store_put_begin(st, key, content_type, len, &w))
		return -1;
	if (len && slate_store_put_write(w, data, len)) {
		slate_store_put_abort(w);
		return -1;
	}
	return slate_store_put_commit(w);
}

static void hex(const unsigned char *md, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

int slate_files_h_put_fd(slate_plugin *p, const char *store, const char *key,
			 const char *content_type, int fd, char sha256_hex[65],
			 uint64_t *size_out)
{
	slate_store *st = store_for(p, "file_put_fd", store, key);
	if (!st)
		return -1;
	enum { CHUNK = 1 << 20 };
	unsigned char *buf = malloc(CHUNK);
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	slate_store_writer *w = NULL;
	uint64_t total = 0;
	int rc = -1;
	if (!buf || !sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    slate_store_put_begin(st, key, content_type, UINT64_MAX, &w))
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			slate_log(SLATE_LOG_ERROR, p->id, NULL,
				  "file_put_fd %s/%s: read: %s", store, key,
				  strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(sha, buf, (size_t)n) != 1 ||
		    slate_store_put_write(w, buf, (size_t)n))
			goto out;
		total += (uint64_t)n;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1)
		goto out;
	slate_store_writer *done = w;
	w = NULL;
	if (slate_store_put_commit(done))
		goto out;
	if (sha256_hex)
		hex(md, mdlen, sha256_hex);
	if (size_out)
		*size_out = total;
	rc = 0;
out:
	slate_store_put_abort(w);
	EVP_MD_CTX_free(sha);
	free(buf);
	return rc;
}

int slate_files_h_delete(slate_plugin *p, const char *store, const char *key)
{
	slate_store *st = store_for(p, "file_delete", store, key);
	return st ? slate_store_delete(st, key) : -1;
}
