/* upload_put.c - see upload_put.h. */
#include "files/upload_put.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "entity/file_target.h"
#include "files/storage.h"
#include "files/upload_sign.h"
#include "http/req_db.h"

typedef struct put_state {
	slate_store_writer *w;
	EVP_MD_CTX *sha;
	uint64_t size, got;
} put_state;

static int put_refuse(slate_req *r, const char *msg)
{
	return slate_res_error(r, 403, "FORBIDDEN", "signature", "%s", msg);
}

static int put_begin(slate_req *r)
{
	const slate_upload_signer *s = r->match.route->ud;
	const char *id = slate_req_param(r, "uploadId");
	const char *store = slate_req_query(r, "store");
	const char *key = slate_req_query(r, "key");
	const char *kind = slate_req_query(r, "kind");
	const char *size = slate_req_query(r, "size");
	const char *type = slate_req_query(r, "type");
	const char *expires = slate_req_query(r, "expires");
	const char *sig = slate_req_query(r, "signature");
	if (r->errors) /* a repeated query parameter */
		return -1;
	if (!id || !store || !key || !kind || !size || !type || !expires ||
	    !sig || strlen(sig) != 64)
		return put_refuse(r, "The upload URL is incomplete");
	if (!slate_upload_sign_check(s, id, store, key, kind, size, type,
				     expires, sig))
		return put_refuse(r, "The upload URL's signature does not "
				     "match: it was altered or is for "
				     "another upload");
	if (strtoll(expires, NULL, 10) < (long long)time(NULL))
		return put_refuse(r, "The upload URL has expired; ask for a "
				     "new one");
	/* Signed, so these are ours: the checks below are the client's. The
	 * URL names the kind, not the entity: the limit quoted is that of
	 * the first target of the kind (the size itself was checked against
	 * the upload's own target when the URL was made). */
	const slate_entity_file *t = slate_file_target_any(r->core, kind);
	slate_store *st = slate_storage_get(r->core->storage, store);
	uint64_t want_size = strtoull(size, NULL, 10);
	const char *cl = slate_req_header(r, "Content-Length");
	if (!t || !st || !slate_store_key_valid(key))
		return put_refuse(r, "The upload URL is not usable");
	if (!cl)
		return slate_res_error(r, 411, "LENGTH_REQUIRED", NULL,
				       "Send Content-Length: %s (chunked "
				       "uploads are not accepted)",
				       size);
	uint64_t clv = strtoull(cl, NULL, 10);
	if (clv > want_size)
		return slate_res_error(r, 413, "PAYLOAD_TOO_LARGE", NULL,
				       "This upload URL is for %s bytes "
				       "(%s files are limited to %s)",
				       size, t->label, t->human);
	if (clv != want_size)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "size",
				       "This upload URL is for exactly %s "
				       "bytes; Content-Length is %s",
				       size, cl);
	const char *ct = slate_req_header(r, "Content-Type");
	if (!ct || strcasecmp(ct, type))
		return slate_res_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL,
				       "This upload URL is for Content-Type "
				       "%s",
				       type);
	put_state *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "out of memory");
	ps->size = want_size;
	ps->sha = EVP_MD_CTX_new();
	if (!ps->sha || EVP_DigestInit_ex(ps->sha, EVP_sha256(), NULL) != 1 ||
	    slate_store_put_begin(st, key, type, want_size, &ps->w)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "cannot start writing %s: %s", key, strerror(errno));
		EVP_MD_CTX_free(ps->sha);
		free(ps);
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store cannot take the upload now");
	}
	r->stream = ps;
	return 0;
}

static int put_data(slate_req *r, const char *buf, size_t n)
{
	put_state *ps = r->stream;
	ps->got += n;
	if (ps->got > ps->size || EVP_DigestUpdate(ps->sha, buf, n) != 1 ||
	    slate_store_put_write(ps->w, buf, n)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "upload write failed: %s", strerror(errno));
		slate_store_put_abort(ps->w); /* free the disk at once */
		ps->w = NULL;
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store failed while writing");
	}
	return 0;
}

static void put_end(slate_req *r, bool completed)
{
	put_state *ps = r->stream;
	if (!ps)
		return;
	if (ps->w && !completed)
		slate_log(SLATE_LOG_WARN, "storage", r->request_id,
			  "upload interrupted after %" PRIu64 " of %" PRIu64
			  " bytes; dropped",
			  ps->got, ps->size);
	slate_store_put_abort(ps->w); /* anything not committed */
	EVP_MD_CTX_free(ps->sha);
	free(ps);
	r->stream = NULL;
}

const slate_stream_ops slate_upload_put_stream = {
    .begin = put_begin, .data = put_data, .end = put_end};

/* The whole body is in (worker thread): make it the object, mark the row. */
int slate_upload_put_h(slate_req *r, void *ud)
{
	(void)ud;
	put_state *ps = r->stream;
	if (!ps || !ps->w || ps->got != ps->size)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "The upload is incomplete");
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[65];
	if (EVP_DigestFinal_ex(ps->sha, md, &mdlen) != 1)
		return -1;
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	const char *id = slate_req_param(r, "uploadId");
	slate_result *row = slate_db_exec_req(
	    r,
	    "SELECT status FROM uploads WHERE upload_id = $1::uuid "
	    "FOR UPDATE",
	    1, &id);
	if (!row || slate_db_rows(row) == 0 ||
	    strcmp(slate_db_value(row, 0, 0), "pending")) {
		/* drop the bytes now, before answering */
		slate_store_put_abort(ps->w);
		ps->w = NULL;
	}
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 410, "GONE", NULL,
				       "This upload no longer exists (expired "
				       "and cleaned up); ask for a new URL");
	if (strcmp(slate_db_value(row, 0, 0), "pending"))
		return slate_res_error(r, 409, "CONFLICT", NULL,
				       "This upload was already stored (%s)",
				       slate_db_value(row, 0, 0));
	/* fsync and rename here, on the worker, not on the I/O thread. */
	slate_store_writer *w = ps->w;
	ps->w = NULL;
	if (slate_store_put_commit(w)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "upload commit failed: %s", strerror(errno));
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store could not keep the upload");
	}
	const char *p[2] = {id, hex};
	slate_result *up = slate_db_exec_req(
	    r,
	    "UPDATE uploads SET status = 'stored', sha256 = $2, stored_at "
	    "= now() WHERE upload_id = $1::uuid RETURNING object_key, "
	    "declared_size",
	    2, p);
	if (!up)
		return slate_res_db_error(r);
	return slate_res_json(
	    r, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:s}", "upload_id", id, "key",
		      slate_db_value(up, 0, 0), "sha256", hex, "size",
		      (json_int_t)ps->size, "status", "stored"));
}
