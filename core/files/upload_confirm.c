/* upload_confirm.c - see upload_confirm.h. */
#include "files/upload_confirm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "entity/engine.h"
#include "files/files.h"
#include "files/storage.h"
#include "files/upload_policy.h"
#include "http/req_db.h"

int slate_upload_confirm_h(slate_req *r, void *ud)
{
	(void)ud;
	if (!json_is_object(r->body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON object body is required");
	const char *id = slate_upload_policy_body_str(r, "upload_id");
	if (!id)
		return -1;
	if (!slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "upload_id",
				       "'upload_id' must be a UUID");
	slate_result *row = slate_db_exec_req(
	    r,
	    "SELECT entity_type, entity_id, field, kind, store, "
	    "object_key, declared_size, content_type, status, sha256 "
	    "FROM uploads WHERE upload_id = $1::uuid FOR UPDATE",
	    1, &id);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "upload_id",
				       "No upload with id %s", id);
	const char *etype = slate_db_value(row, 0, 0);
	const char *eid = slate_db_value(row, 0, 1);
	const char *field = slate_db_value(row, 0, 2);
	const char *kind = slate_db_value(row, 0, 3);
	const char *store = slate_db_value(row, 0, 4);
	const char *key = slate_db_value(row, 0, 5);
	json_int_t size = atoll(slate_db_value(row, 0, 6));
	const char *ctype = slate_db_value(row, 0, 7);
	const char *status = slate_db_value(row, 0, 8);
	const char *sha = slate_db_value(row, 0, 9);
	/* A client that names the target must name this upload's. */
	const json_t *bt = json_object_get(r->body, "entity_type");
	const json_t *bi = json_object_get(r->body, "entity_id");
	if ((bt &&
	     (!json_is_string(bt) || strcmp(json_string_value(bt), etype))) ||
	    (bi &&
	     (!json_is_string(bi) || strcasecmp(json_string_value(bi), eid))))
		return slate_res_error(r, 409, "CONFLICT", "upload_id",
				       "This upload is for %s %s", etype, eid);
	const slate_entity *e = slate_entity_find(r->core, etype);
	slate_store *st = slate_storage_get(r->core->storage, store);
	if (!e || !st)
		return slate_res_error(r, 409, "CONFLICT", "upload_id",
				       "This upload's target is no longer "
				       "served");
	bool already = !strcmp(status, "confirmed");
	if (!already) {
		/* The object must be there, whole. */
		slate_store_info ss;
		int rc = slate_store_stat(st, key, &ss);
		if (rc < 0)
			return slate_res_error(r, 503, "SERVICE_UNAVAILABLE",
					       NULL,
					       "The store is unavailable; try "
					       "again");
		if (rc > 0 || ss.size != (uint64_t)size ||
		    (strcmp(status, "stored") && strcmp(status, "pending")))
			return slate_res_error(r, 409, "CONFLICT", "upload_id",
					       "Nothing was uploaded for this "
					       "upload yet (or not all of "
					       "it)");
		if (slate_file_attach(r, e, eid, field, store, key, kind, ctype,
				      (uint64_t)size, sha, id))
			return -1;
	}
	return slate_res_json(
	    r, 200,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s}",
		      "upload_id", id, "status", "confirmed", "entity_type",
		      etype, "entity_id", eid, "field", field, "key", key,
		      "sha256", sha ? json_string(sha) : json_null(), "size",
		      size, "kind", kind, "content_type", ctype));
}
