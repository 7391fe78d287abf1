/* upload_request.c - see upload_request.h. */
#include "files/upload_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "entity/engine.h"
#include "files/storage.h"
#include "files/upload_key.h"
#include "files/upload_policy.h"
#include "files/upload_sign.h"
#include "http/ratelimit.h"
#include "http/req_db.h"

/* {n}: 1 + the uploads of this kind the entity already had. 0, or -1
 * after answering. */
static int next_n(slate_req *r, const char *etype, const char *eid,
		  const char *kind, long *n)
{
	const char *p[3] = {etype, eid, kind};
	slate_result *c = slate_db_exec_req(
	    r,
	    "SELECT count(*) + 1 FROM uploads WHERE entity_type = $1 AND "
	    "entity_id = $2::uuid AND kind = $3",
	    3, p);
	if (!c)
		return slate_res_db_error(r);
	*n = atol(slate_db_value(c, 0, 0));
	return 0;
}

/* The URL the client PUTs to. Malloc'd, or NULL. */
static char *upload_url(slate_req *r, const slate_upload_signer *s,
			const char *upload_id, const char *key,
			const char *kind, uint64_t size, const char *sizes,
			const char *ctype, const char *expires)
{
	const slate_config *cfg = r->core->cfg;
	if (r->core->storage->s3)
		return slate_store_presign(r->core->storage->primary, "PUT",
					   key, ctype, size,
					   cfg->upload_url_ttl_s);
	const char *host = slate_req_header(r, "Host");
	char base[300];
	if (cfg->storage_public_url)
		snprintf(base, sizeof(base), "%s", cfg->storage_public_url);
	else
		snprintf(base, sizeof(base), "http://%s",
			 host ? host : "localhost");
	return slate_upload_sign_url(s, base, upload_id, "primary", key, kind,
				     sizes, ctype, expires);
}

/* A generate-url request, checked: what the handler's steps fill in. */
typedef struct upload_ask {
	const char *etype, *eid, *kind, *fname, *ctype; /* r's body */
	const slate_entity *e;
	const slate_entity_file *t; /* e's target of `kind` */
	uint64_t size;
	char sizes[24];
	char fclean[256];
	char upload_id[37];
	char key[SLATE_STORE_KEY_MAX + 1];
} upload_ask;

/* The body: entity type and id, kind, file name, size and content type
 * against the entity's declared targets. 0, or -1 after answering. */
static int read_ask(slate_req *r, upload_ask *a)
{
	if (!json_is_object(r->body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON object body is required");
	/* in this order, so the first one missing is the one named */
	if (!(a->etype = slate_upload_policy_body_str(r, "entity_type")) ||
	    !(a->eid = slate_upload_policy_body_str(r, "entity_id")) ||
	    !(a->kind = slate_upload_policy_body_str(r, "kind")) ||
	    !(a->fname = slate_upload_policy_body_str(r, "filename")) ||
	    !(a->ctype = slate_upload_policy_body_str(r, "content_type")))
		return -1;
	a->e = slate_entity_find(r->core, a->etype);
	if (!a->e)
		return slate_res_error(r, 400, "VALIDATION_ERROR",
				       "entity_type",
				       "Unknown entity type '%s'", a->etype);
	if (!slate_uuid_valid(a->eid))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "entity_id",
				       "'entity_id' must be a UUID");
	a->t = slate_upload_policy_target(r, a->e, a->kind,
					  json_object_get(r->body, "size"),
					  a->ctype, &a->size);
	if (!a->t)
		return -1;
	snprintf(a->sizes, sizeof(a->sizes), "%" PRIu64, a->size);
	if (!slate_upload_policy_filename(a->fname, a->fclean,
					  sizeof(a->fclean)))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "filename",
				       "'filename' must be 1 to 200 characters "
				       "of letters, digits, spaces and ._- and "
				       "must not start with '.' or contain "
				       "'..' or '/'");
	return 0;
}

/* A new upload id and the object key from the target's template and the
 * entity's live row. 0, or -1 after answering (404 for no live row). */
static int make_key(slate_req *r, upload_ask *a)
{
	const char *idp[1] = {a->eid};
	slate_result *row = slate_db_exec_req(r, a->e->sql_get, 1, idp);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "entity_id",
				       "No %s with id %s", a->etype, a->eid);
	long n = 0;
	if (slate_uuid_v4(a->upload_id) ||
	    (strstr(a->t->key_template, "{n}") &&
	     next_n(r, a->etype, a->eid, a->t->kind, &n)))
		return -1;
	json_t *rowj = slate_entity_parse(slate_db_value(row, 0, 0));
	int rc = slate_upload_key_expand(r, a->t->key_template, rowj, a->eid,
					 a->upload_id, a->fclean, n, a->key,
					 sizeof(a->key));
	json_decref(rowj);
	if (rc && !slate_req_failed(r))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "filename",
				       "The storage key would be too long");
	return rc ? -1 : 0;
}

/* The uploads row the PUT and the confirm check against. Its expiry as
 * epoch seconds and ISO 8601 (request memory) in expires[0] and [1]. 0, or
 * -1 after answering. */
static int record_upload(slate_req *r, const upload_ask *a,
			 const char *expires[2])
{
	char ttl[16];
	snprintf(ttl, sizeof(ttl), "%d", r->core->cfg->upload_url_ttl_s);
	const char *p[11] = {a->upload_id, a->etype,   a->eid, a->t->field,
			     a->kind,	   "primary",  a->key, a->sizes,
			     a->ctype,	   r->user_id, ttl};
	slate_result *ins = slate_db_exec_req(
	    r,
	    "INSERT INTO uploads (upload_id, entity_type, entity_id, field, "
	    "kind, store, object_key, declared_size, content_type, "
	    "created_by, expires_at) VALUES ($1::uuid, $2, $3::uuid, $4, "
	    "$5, $6, $7, $8::bigint, $9, $10::uuid, now() + $11::integer * "
	    "interval '1 second') RETURNING extract(epoch FROM "
	    "expires_at)::bigint, to_json(expires_at)#>>'{}'",
	    11, p);
	if (!ins)
		return slate_res_db_error(r);
	expires[0] = slate_db_value(ins, 0, 0);
	expires[1] = slate_db_value(ins, 0, 1);
	return 0;
}

/* 201 with where and how to PUT the bytes. */
static int answer(slate_req *r, const slate_upload_signer *s,
		  const upload_ask *a, const char *const expires[2])
{
	char *url = upload_url(r, s, a->upload_id, a->key, a->kind, a->size,
			       a->sizes, a->ctype, expires[0]);
	if (!url)
		return -1;
	json_t *data = json_pack(
	    "{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:I, s:s}",
	    "upload_id", a->upload_id, "method", "PUT", "url", url, "headers",
	    "Content-Type", a->ctype, "Content-Length", a->sizes, "key", a->key,
	    "store", "primary", "field", a->t->field, "size",
	    (json_int_t)a->size, "expires_at", expires[1]);
	free(url);
	return slate_res_json(r, 201, data);
}

int slate_upload_request_h(slate_req *r, void *ud)
{
	upload_ask a;
	const char *expires[2] = {NULL, NULL};
	memset(&a, 0, sizeof(a));
	if (slate_ratelimit_upload(r) || read_ask(r, &a) || make_key(r, &a) ||
	    record_upload(r, &a, expires))
		return -1;
	return answer(r, ud, &a, expires);
}
