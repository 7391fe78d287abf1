/*
 * write.c - create, patch and soft delete of declared entities, each with
 * its audit rows and event in the request's transaction.
 */
#include "entity/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/util.h"
#include "entity/engine.h"
#include "http/req_db.h"
#include "http/req_events.h"
#include "http/request.h"
#include "http/validate.h"

/* Every ref_entity field `changes` sets must name a live row of that
 * entity; 422 naming the field otherwise. Returns the error count. */
static int check_refs(slate_req *r, const slate_entity *e,
		      const json_t *changes)
{
	int errors = 0;
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		json_t *v =
		    f->ref_entity ? json_object_get(changes, f->name) : NULL;
		if (!v || !json_is_string(v))
			continue;
		const slate_entity *ref =
		    slate_entity_find(r->core, f->ref_entity);
		if (!ref) {
			slate_log(SLATE_LOG_ERROR, e->owner, r->request_id,
				  "field %s.%s refers to unknown entity %s",
				  e->name, f->name, f->ref_entity);
			slate_res_error(r, 500, "INTERNAL_ERROR", f->name,
					"Misconfigured reference");
			return errors + 1;
		}
		int live = slate_entity_exists(r, ref, json_string_value(v));
		if (live < 0)
			return errors + 1;
		if (!live) {
			slate_res_error(r, 422, "UNPROCESSABLE_ENTITY", f->name,
					"'%s' names no existing %s", f->name,
					ref->name);
			errors++;
		}
	}
	return errors;
}

/* ---- create ----------------------------------------------------------- */

/* Validate `changes` (owned by the caller, may be modified by the prepare
 * hook) as a new row of `e`, insert it, audit it and queue its event. On
 * success *json_out is the row's JSON text (borrowed until the request
 * ends). -1 after the error was set. */
/* A sequence-addressed row's number: the parent's row is locked first, so
 * concurrent creations are serialized and each INSERT (a new snapshot per
 * statement under READ COMMITTED) sees the previous one's number. Deleted
 * rows count: numbers are never reused. 0, or -1 after answering. */
static int seq_lock(slate_req *r, const slate_entity *e, const json_t *changes)
{
	const char *pid =
	    json_string_value(json_object_get(changes, e->parent->name));
	int live = pid ? slate_entity_lock_parent(r, e, pid) : 0;
	if (live == 0)
		return slate_res_error(r, 422, "UNPROCESSABLE_ENTITY",
				       e->parent->name,
				       "'%s' names no existing %s",
				       e->parent->name, e->parent->ref_entity);
	return live < 0 ? -1 : 0;
}

/* The created hook, then the row read again: *json_out is replaced. `given`
 * is what the caller sent. 0, or -1 after answering. */
static int run_created(slate_req *r, const slate_entity *e, const json_t *given,
		       const char *id, const char **json_out)
{
	json_t *row = slate_entity_parse(*json_out);
	int rc = row ? e->created(r, given, row, e->ud) : -1;
	json_decref(row);
	if (rc)
		return -1;
	slate_result *res = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_entity_not_found(r, e, id);
	*json_out = slate_db_value(res, 0, 0);
	return 0;
}

static int insert_row(slate_req *r, const slate_entity *e, json_t *changes,
		      const char **json_out)
{
	json_t *given = e->created ? json_deep_copy(changes) : NULL;
	if ((e->created && !given) ||
	    slate_validate_object(r, changes, e->fields, e->nfields,
				  SLATE_VALIDATE_CREATE) ||
	    check_refs(r, e, changes) ||
	    (e->prepare && e->prepare(r, changes, NULL, e->ud)) ||
	    (e->seq && seq_lock(r, e, changes))) {
		json_decref(given);
		return -1;
	}

	slate_buf cols = SLATE_BUF_INIT, sql = SLATE_BUF_INIT;
	for (size_t i = 0; i < e->nfields; i++)
		if (json_object_get(changes, e->fields[i].name))
			slate_buf_addf(&cols, "%s%s", cols.len ? ", " : "",
				       e->fields[i].name);
	int nparams = cols.len ? 1 : 0;
	if (nparams && e->seq)
		slate_buf_addf(
		    &sql,
		    "INSERT INTO %s AS t (%s, %s) SELECT %s, (SELECT "
		    "coalesce(max(s.%s), 0) + 1 FROM %s s WHERE "
		    "s.%s = r.%s) FROM jsonb_populate_record("
		    "NULL::%s, $1::jsonb) r RETURNING %s::text, "
		    "t.%s::text",
		    e->table, cols.data, e->seq->name, cols.data, e->seq->name,
		    e->table, e->parent->name, e->parent->name, e->table,
		    e->sql_object, e->id_column);
	else if (nparams)
		slate_buf_addf(&sql,
			       "INSERT INTO %s AS t (%s) SELECT %s FROM "
			       "jsonb_populate_record(NULL::%s, $1::jsonb) "
			       "RETURNING %s::text, t.%s::text",
			       e->table, cols.data, cols.data, e->table,
			       e->sql_object, e->id_column);
	else
		slate_buf_addf(&sql,
			       "INSERT INTO %s AS t DEFAULT VALUES RETURNING "
			       "%s::text, t.%s::text",
			       e->table, e->sql_object, e->id_column);
	slate_buf_release(&cols);
	char *doc = json_dumps(changes, JSON_COMPACT | JSON_REAL_PRECISION(15));
	const char *params[1] = {doc};
	slate_result *res =
	    (sql.oom || !doc) ? NULL
			      : slate_db_exec_req(r, sql.data, nparams, params);
	slate_buf_release(&sql);
	free(doc);
	if (!res) {
		json_decref(given);
		slate_res_db_error(r);
		return -1;
	}
	const char *json = slate_db_value(res, 0, 0);
	const char *id = slate_db_value(res, 0, 1);
	if (slate_audit_write(r, e->name, id, "create", NULL, NULL,
			      slate_entity_audit_row(r, e, json))) {
		json_decref(given);
		slate_res_db_error(r);
		return -1;
	}
	slate_entity_emit(r, e, "created", id);
	int rc = e->created ? run_created(r, e, given, id, &json) : 0;
	json_decref(given);
	*json_out = json;
	return rc;
}

int slate_entity_h_create(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	if (slate_entity_check_query(r, NULL, NULL))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	/* Nested: the parent comes from the URL, never from the body. */
	const char *parent_id = NULL;
	if (e->parent) {
		const slate_entity *p =
		    slate_entity_find(r->core, e->parent->ref_entity);
		parent_id = p ? slate_entity_path_uuid(r, p->id_param) : NULL;
		if (!parent_id)
			return -1;
		if (json_object_get(r->body, e->parent->name))
			return slate_res_error(
			    r, 400, "VALIDATION_ERROR", e->parent->name,
			    "'%s' comes from the URL", e->parent->name);
		int live = slate_entity_exists(r, p, parent_id);
		if (live <= 0)
			return live < 0
				   ? -1
				   : slate_entity_not_found(r, p, parent_id);
	}
	json_t *changes = json_deep_copy(r->body);
	if (!changes)
		return slate_res_error(
		    r, 400, "VALIDATION_ERROR", NULL,
		    "The request body must be a JSON object");
	if (parent_id)
		json_object_set_new(changes, e->parent->name,
				    json_string(parent_id));
	const char *json = NULL;
	int rc = insert_row(r, e, changes, &json);
	json_decref(changes);
	return rc ? -1 : slate_res_raw(r, 201, json, strlen(json));
}

int slate_entity_create(slate_req *r, const slate_entity *e, const json_t *body,
			json_t **row_out)
{
	*row_out = NULL;
	if (!json_is_object(body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A %s must be a JSON object", e->name);
	json_t *changes = json_deep_copy(body);
	if (!changes)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Out of memory");
	const char *json = NULL;
	int rc = insert_row(r, e, changes, &json);
	json_decref(changes);
	if (rc)
		return -1;
	*row_out = slate_entity_parse(json);
	return *row_out ? 0 : -1;
}

/* ---- update ----------------------------------------------------------- */

static const char *audit_value(slate_req *r, const slate_field *f,
			       const json_t *v)
{
	if (f && (f->flags & (SLATE_F_SECRET | SLATE_F_PRIVATE)) &&
	    !json_is_null(v))
		return "[redacted]";
	return slate_audit_text(r, v);
}

int slate_entity_patch(slate_req *r, const slate_entity *e, const char *id,
		       const json_t *body, json_t **row_out)
{
	*row_out = NULL;
	if (slate_validate_object(r, body, e->fields, e->nfields,
				  SLATE_VALIDATE_PATCH) ||
	    check_refs(r, e, body))
		return -1;
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql, "%s FOR UPDATE", e->sql_get);
	slate_result *cur =
	    sql.oom ? NULL : slate_db_exec_req(r, sql.data, 1, &id);
	slate_buf_release(&sql);
	if (!cur)
		return slate_res_db_error(r);
	if (slate_db_rows(cur) == 0)
		return slate_entity_not_found(r, e, id);
	json_t *before = slate_entity_parse(slate_db_value(cur, 0, 0));
	json_t *changes = json_deep_copy(body);
	json_t *after = NULL;
	int rc = -1;
	if (!before || !changes)
		goto out;
	if (e->prepare && e->prepare(r, changes, before, e->ud))
		goto out;

	/* Only a row that really changes is written, so a PATCH repeating
	 * the stored values neither bumps updated_at nor writes audit rows. */
	slate_buf set = SLATE_BUF_INIT, oldc = SLATE_BUF_INIT,
		  newc = SLATE_BUF_INIT;
	for (size_t i = 0; i < e->nfields; i++) {
		const char *c = e->fields[i].name;
		if (!json_object_get(changes, c))
			continue;
		const char *sep = set.len ? ", " : "";
		slate_buf_addf(&set, "%s%s = n.%s", sep, c, c);
		slate_buf_addf(&oldc, "%st.%s", sep, c);
		slate_buf_addf(&newc, "%sn.%s", sep, c);
	}
	slate_buf_addf(
	    &sql,
	    "UPDATE %s AS t SET %s FROM jsonb_populate_record("
	    "NULL::%s, $1::jsonb) AS n WHERE t.%s = $2::uuid AND "
	    "t.deleted_at IS NULL AND ROW(%s, NULL::int) IS DISTINCT "
	    "FROM ROW(%s, NULL::int) RETURNING %s::text",
	    e->table, set.data, e->table, e->id_column, oldc.data, newc.data,
	    e->sql_object);
	slate_buf_release(&set);
	slate_buf_release(&oldc);
	slate_buf_release(&newc);
	char *doc = json_dumps(changes, JSON_COMPACT | JSON_REAL_PRECISION(15));
	const char *params[2] = {doc, id};
	slate_result *res = (sql.oom || !doc)
				? NULL
				: slate_db_exec_req(r, sql.data, 2, params);
	slate_buf_release(&sql);
	free(doc);
	if (!res) {
		slate_res_db_error(r);
		goto out;
	}
	if (slate_db_rows(res) == 0) { /* nothing changed */
		*row_out = json_incref(before);
		rc = 0;
		goto out;
	}
	after = slate_entity_parse(slate_db_value(res, 0, 0));
	if (!after)
		goto out;
	const char *key;
	json_t *v;
	json_object_foreach(changes, key, v)
	{
		json_t *o = json_object_get(before, key);
		json_t *n = json_object_get(after, key);
		if (json_equal(o, n))
			continue;
		const slate_field *f = slate_entity_field(e, key);
		if (slate_audit_write(r, e->name, id, "update", key,
				      audit_value(r, f, o),
				      audit_value(r, f, n))) {
			slate_res_db_error(r);
			goto out;
		}
	}
	slate_entity_emit(r, e, "updated", id);
	*row_out = json_incref(after);
	rc = 0;
out:
	json_decref(before);
	json_decref(after);
	json_decref(changes);
	return rc;
}

int slate_entity_h_patch(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	const char *id = NULL, *cur;
	if (e->seq ? slate_entity_locate(r, e, true, &cur, &id)
		   : !(id = slate_entity_path_uuid(r, e->id_param)))
		return -1;
	if (slate_entity_check_query(r, NULL, NULL))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	json_t *row;
	if (slate_entity_patch(r, e, id, r->body, &row))
		return -1;
	return slate_res_json(r, 200, row);
}

/* ---- delete ----------------------------------------------------------- */

/* What soft-deleting `id` of `e` does to rows of other entities that refer
 * to it, per their fields' on_delete. 0, or -1 after answering. */
static int apply_refs(slate_req *r, const slate_entity *e, const char *id)
{
	char sql[512];
	for (size_t k = 0; k < r->core->nentities; k++) {
		const slate_entity *c = r->core->entities[k];
		for (size_t i = 0; i < c->nfields; i++) {
			const slate_field *f = &c->fields[i];
			if (!f->ref_entity || strcmp(f->ref_entity, e->name) ||
			    f->on_delete == SLATE_REF_KEEP)
				continue;
			if (f->on_delete == SLATE_REF_RESTRICT)
				snprintf(sql, sizeof(sql),
					 "SELECT t.%s::text FROM %s t WHERE "
					 "t.%s = $1::uuid AND t.deleted_at IS "
					 "NULL LIMIT 1",
					 c->id_column, c->table, f->name);
			else if (f->on_delete == SLATE_REF_CASCADE)
				snprintf(sql, sizeof(sql),
					 "UPDATE %s t SET deleted_at = now() "
					 "WHERE t.%s = $1::uuid AND "
					 "t.deleted_at IS NULL RETURNING "
					 "t.%s::text",
					 c->table, f->name, c->id_column);
			else
				snprintf(sql, sizeof(sql),
					 "UPDATE %s t SET %s = NULL WHERE t.%s "
					 "= $1::uuid AND t.deleted_at IS NULL "
					 "RETURNING t.%s::text",
					 c->table, f->name, f->name,
					 c->id_column);
			slate_result *res = slate_db_exec_req(r, sql, 1, &id);
			if (!res)
				return slate_res_db_error(r);
			int n = slate_db_rows(res);
			if (f->on_delete == SLATE_REF_RESTRICT) {
				if (n > 0)
					return slate_res_error(
					    r, 409, "CONFLICT", e->id_param,
					    "This %s is still used by a %s "
					    "(%s); delete or move those "
					    "first",
					    e->name, c->name, f->name);
				continue;
			}
			for (int row = 0; row < n; row++) {
				const char *cid = slate_db_value(res, row, 0);
				int arc =
				    f->on_delete == SLATE_REF_CASCADE
					? slate_audit_write(r, c->name, cid,
							    "delete", NULL,
							    NULL, NULL)
					: slate_audit_write(r, c->name, cid,
							    "update", f->name,
							    id, NULL);
				if (arc)
					return slate_res_db_error(r);
				slate_entity_emit(r, c,
						  f->on_delete ==
							  SLATE_REF_CASCADE
						      ? "deleted"
						      : "updated",
						  cid);
			}
		}
	}
	return 0;
}

/* The deleting hook on the stored row. 0, or -1 after answering. */
static int run_deleting(slate_req *r, const slate_entity *e, const char *json)
{
	json_t *row = slate_entity_parse(json);
	int rc = row ? e->deleting(r, row, e->ud) : -1;
	json_decref(row);
	return rc;
}

/* What a sequence-addressed delete answers: the whole address. */
static json_t *seq_deleted(const slate_entity *e, const char *json,
			   const char *id, const char *deleted_at)
{
	json_t *row = slate_entity_parse(json);
	json_t *out = json_object();
	json_object_set(out, e->parent->name,
			json_object_get(row, e->parent->name));
	json_object_set_new(out, e->id_column, json_string(id));
	json_object_set(out, e->seq->name, json_object_get(row, e->seq->name));
	json_object_set_new(out, "deleted_at", json_string(deleted_at));
	json_decref(row);
	return out;
}

int slate_entity_h_delete(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	const char *id = NULL, *cur = NULL;
	if (e->seq || e->deleting) {
		/* the row first (its parent locked): the hook sees it */
		if (slate_entity_locate(r, e, true, &cur, &id) ||
		    slate_entity_check_query(r, NULL, NULL) ||
		    (e->deleting && run_deleting(r, e, cur)))
			return -1;
	} else if (!(id = slate_entity_path_uuid(r, e->id_param)) ||
		   slate_entity_check_query(r, NULL, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, e->sql_delete, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_entity_not_found(r, e, id);
	if (apply_refs(r, e, id))
		return -1;
	const char *deleted_at = slate_db_value(res, 0, 0);
	if (slate_audit_write(r, e->name, id, "delete", "deleted_at", NULL,
			      deleted_at))
		return slate_res_db_error(r);
	slate_entity_emit(r, e, "deleted", id);
	if (e->seq)
		return slate_res_json(r, 200,
				      seq_deleted(e, cur, id, deleted_at));
	return slate_res_json(r, 200,
			      json_pack("{s:s, s:s}", e->id_column, id,
					"deleted_at", deleted_at));
}

int slate_entity_h_view_put(slate_req *r, void *ud)
{
	const slate_entity_view *v = ud;
	const slate_entity *e = v->e;
	const char *id = slate_entity_path_uuid(r, e->id_param);
	if (!id || slate_entity_check_query(r, NULL, NULL))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	/* Validate against the view's own fields only. */
	slate_field *vf = slate_req_alloc(r, sizeof(*vf) * v->nfields);
	if (!vf)
		return -1;
	for (size_t i = 0; i < v->nfields; i++)
		vf[i] = e->fields[v->fields[i]];
	if (slate_validate_object(r, r->body, vf, v->nfields,
				  SLATE_VALIDATE_REPLACE))
		return -1;
	/* PUT replaces the group: a field left out becomes null. */
	json_t *changes = json_object();
	for (size_t i = 0; i < v->nfields; i++) {
		json_t *val = json_object_get(r->body, vf[i].name);
		json_object_set(changes, vf[i].name, val ? val : json_null());
	}
	json_t *row;
	int rc = slate_entity_patch(r, e, id, changes, &row);
	json_decref(changes);
	if (rc)
		return -1;
	json_t *out = slate_entity_view_of(v, row);
	json_decref(row);
	return slate_res_json(r, 200, out);
}
