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

int slate_upload_request_h(slate_req *r, void *ud)
{
	const slate_upload_signer *s = ud;
	const slate_config *cfg = r->core->cfg;
	if (slate_ratelimit_upload(r))
		return -1;
	if (!json_is_object(r->body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON object body is required");
	const char *etype = slate_upload_policy_body_str(r, "entity_type");
	const char *eid =
	    etype ? slate_upload_policy_body_str(r, "entity_id") : NULL;
	const char *kname =
	    eid ? slate_upload_policy_body_str(r, "kind") : NULL;
	const char *fname =
	    kname ? slate_upload_policy_body_str(r, "filename") : NULL;
	const char *ctype =
	    fname ? slate_upload_policy_body_str(r, "content_type") : NULL;
	if (!ctype)
		return -1;
	const slate_entity *e = slate_entity_find(r->core, etype);
	if (!e)
		return slate_res_error(r, 400, "VALIDATION_ERROR",
				       "entity_type",
				       "Unknown entity type '%s'", etype);
	if (!slate_uuid_valid(eid))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "entity_id",
				       "'entity_id' must be a UUID");
	uint64_t size = 0;
	const slate_entity_file *t = slate_upload_policy_target(
	    r, e, kname, json_object_get(r->body, "size"), ctype, &size);
	if (!t)
		return -1;
	char fclean[256];
	if (!slate_upload_policy_filename(fname, fclean, sizeof(fclean)))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "filename",
				       "'filename' must be 1 to 200 characters "
				       "of letters, digits, spaces and ._- and "
				       "must not start with '.' or contain "
				       "'..' or '/'");
	/* The entity must be live; its row gives the key's values. */
	const char *idp[1] = {eid};
	slate_result *row = slate_db_exec_req(r, e->sql_get, 1, idp);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "entity_id",
				       "No %s with id %s", etype, eid);
	char upload_id[37];
	long n = 0;
	if (slate_uuid_v4(upload_id) || (strstr(t->key_template, "{n}") &&
					 next_n(r, etype, eid, t->kind, &n)))
		return -1;
	json_t *rowj = slate_entity_parse(slate_db_value(row, 0, 0));
	char key[SLATE_STORE_KEY_MAX + 1];
	int rc =
	    slate_upload_key_expand(r, t->key_template, rowj, eid, upload_id,
				    fclean, n, key, sizeof(key));
	json_decref(rowj);
	if (rc)
		return slate_req_failed(r)
			   ? -1
			   : slate_res_error(
				 r, 400, "VALIDATION_ERROR", "filename",
				 "The storage key would be too long");

	char sizes[24], ttl[16];
	snprintf(sizes, sizeof(sizes), "%" PRIu64, size);
	snprintf(ttl, sizeof(ttl), "%d", cfg->upload_url_ttl_s);
	const char *p[11] = {upload_id, etype,	    eid, t->field,
			     kname,	"primary",  key, sizes,
			     ctype,	r->user_id, ttl};
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
	const char *expires = slate_db_value(ins, 0, 0);
	const char *expires_iso = slate_db_value(ins, 0, 1);
	char *url = upload_url(r, s, upload_id, key, kname, size, sizes, ctype,
			       expires);
	if (!url)
		return -1;
	json_t *data =
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:I, s:s}",
		      "upload_id", upload_id, "method", "PUT", "url", url,
		      "headers", "Content-Type", ctype, "Content-Length", sizes,
		      "key", key, "store", "primary", "field", t->field, "size",
		      (json_int_t)size, "expires_at", expires_iso);
	free(url);
	return slate_res_json(r, 201, data);
}
