/* entity.c - see entity.h. */
#include "entity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "log.h"
#include "request.h"
#include "util.h"
#include "validate.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100
#define LIST_MAX_OFFSET 1000000

/* A view route's user data is the view itself; it knows its entity. */
typedef slate_entity_view view_route;

const slate_field *slate_entity_field(const slate_entity *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].name, name))
			return &e->fields[i];
	return NULL;
}

/* The SQL type a field's value is cast to in filters. */
static const char *sql_type(slate_type t)
{
	switch (t) {
	case SLATE_T_INT:
		return "integer";
	case SLATE_T_BIGINT:
		return "bigint";
	case SLATE_T_BOOL:
		return "boolean";
	case SLATE_T_DATE:
		return "date";
	case SLATE_T_TIMESTAMPTZ:
		return "timestamptz";
	case SLATE_T_UUID:
		return "uuid";
	case SLATE_T_NUMERIC:
		return "numeric";
	case SLATE_T_TEXT_ARRAY:
		return "text[]";
	case SLATE_T_JSON_OBJECT:
	case SLATE_T_JSON_ARRAY:
		return "jsonb";
	case SLATE_T_TEXT:
		break;
	}
	return "text";
}

/* ---- helpers shared by the handlers ---------------------------------- */

/* The id path parameter, checked; NULL after answering 400. */
static const char *path_id(slate_req *r, const slate_entity *e)
{
	const char *id = slate_req_param(r, e->id_param);
	if (!id || !slate_uuid_valid(id)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", e->id_param,
				"'%s' must be a UUID", e->id_param);
		return NULL;
	}
	return id;
}

static int not_found(slate_req *r, const slate_entity *e, const char *id)
{
	return slate_res_error(r, 404, "NOT_FOUND", e->id_param,
			       "No %s with id %s", e->name, id);
}

/* Every field with ref_entity that the body sets must name a live row of
 * that entity; 422 naming the field otherwise. Returns the error count. */
static int check_refs(slate_req *r, const slate_entity *e, const json_t *body)
{
	int errors = 0;
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		json_t *v = f->ref_entity ? json_object_get(body, f->name) : NULL;
		if (!v || !json_is_string(v))
			continue;
		const slate_entity *ref = slate_core_entity(r->core,
							   f->ref_entity);
		if (!ref) {
			slate_log(SLATE_LOG_ERROR, e->owner, r->request_id,
				  "field %s.%s refers to unknown entity %s",
				  e->name, f->name, f->ref_entity);
			slate_res_error(r, 500, "INTERNAL_ERROR", f->name,
					"Misconfigured reference");
			return errors + 1;
		}
		const char *id = json_string_value(v);
		slate_result *res = slate_db_exec_req(r, ref->sql_get, 1, &id);
		if (!res)
			return errors + (slate_res_db_error(r), 1);
		if (slate_db_rows(res) == 0) {
			slate_res_error(r, 422, "UNPROCESSABLE_ENTITY", f->name,
					"'%s' names no existing %s", f->name,
					ref->name);
			errors++;
		}
	}
	return errors;
}

/* Parse a JSON document PostgreSQL produced. New reference or NULL. */
static json_t *parse_row(const char *text)
{
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static void emit_event(slate_req *r, const slate_entity *e, const char *event,
		       const char *id)
{
	slate_req_event_emit(r, event,
			     json_pack("{s:s, s:s}", "entity_type", e->name,
				       "id", id));
}

/* ---- list ------------------------------------------------------------- */

static int parse_int_param(slate_req *r, const char *name, long long lo,
			   long long hi, long long def, long long *out)
{
	const char *s = slate_req_query(r, name);
	if (!s) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		slate_res_error(r, 400, "VALIDATION_ERROR", name,
				"'%s' must be an integer from %lld to %lld",
				name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* Check a filter value against its field; 0 or -1 after answering 400. */
static int check_filter_value(slate_req *r, const slate_field *f,
			      const char *v)
{
	char msg[300];
	json_t *j = NULL;
	switch (f->type) {
	case SLATE_T_INT:
	case SLATE_T_BIGINT: {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		j = (*v && !*end && !errno) ? json_integer(n) : json_string(v);
		break;
	}
	case SLATE_T_BOOL:
		j = !strcmp(v, "true")	  ? json_true()
		    : !strcmp(v, "false") ? json_false()
					  : json_string(v);
		break;
	case SLATE_T_TEXT_ARRAY:
		return 0; /* any strings; matched by containment */
	default:
		j = json_string(v);
	}
	int rc = 0;
	if (!j) {
		rc = slate_res_error(r, 400, "VALIDATION_ERROR", f->name,
				     "'%s' is not valid UTF-8", f->name);
	} else if (slate_validate_value(f, j, msg, sizeof(msg))) {
		rc = slate_res_error(r, 400, "VALIDATION_ERROR", f->name,
				     "'%s' %s", f->name, msg);
	}
	json_decref(j);
	return rc;
}

/* Append "AND <condition>" for each filter given; params collected. */
static int build_filters(slate_req *r, const slate_entity *e, slate_buf *sql,
			 const char **params, int *np)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		if (!(f->flags & SLATE_F_FILTER))
			continue;
		const char *v = slate_req_query(r, f->name);
		if (!v)
			continue;
		if (f->type == SLATE_T_TEXT_ARRAY) {
			/* tags=a,b: rows carrying all of them */
			slate_buf_addf(sql,
				       " AND t.%s @> string_to_array($%d, ',')",
				       f->name, *np + 1);
		} else if (f->type == SLATE_T_TEXT && f->one_of) {
			/* status=draft,published: any of them */
			char *copy = slate_arena_strdup(&r->arena, v);
			for (char *tok = strtok(copy, ","); tok;
			     tok = strtok(NULL, ","))
				if (check_filter_value(r, f, tok))
					return -1;
			slate_buf_addf(sql,
				       " AND t.%s = ANY(string_to_array($%d, "
				       "','))",
				       f->name, *np + 1);
		} else {
			if (check_filter_value(r, f, v))
				return -1;
			slate_buf_addf(sql, " AND t.%s = $%d::%s", f->name,
				       *np + 1, sql_type(f->type));
		}
		params[(*np)++] = v;
	}
	return 0;
}

static int unknown_query(slate_req *r, const char *const *allowed)
{
	for (int i = 0; i < r->nquery; i++) {
		bool ok = false;
		for (int k = 0; allowed && allowed[k]; k++)
			ok |= !strcmp(allowed[k], r->query[i].key);
		if (!ok)
			return slate_res_error(r, 400, "VALIDATION_ERROR",
					       r->query[i].key,
					       "Unknown query parameter '%s'",
					       r->query[i].key);
	}
	return 0;
}

static int h_list(slate_req *r, void *ud)
{
	slate_entity *e = ud;
	long long limit, offset;
	if (unknown_query(r, e->list_query) ||
	    parse_int_param(r, "limit", 1, LIST_MAX_LIMIT, LIST_DEFAULT_LIMIT,
			    &limit) ||
	    parse_int_param(r, "offset", 0, LIST_MAX_OFFSET, 0, &offset))
		return -1;

	const char *sort_col = e->sort_column;
	bool desc = e->sort_desc;
	const char *sort = slate_req_query(r, "sort");
	if (sort) {
		desc = sort[0] == '-';
		const char *name = desc || sort[0] == '+' ? sort + 1 : sort;
		const slate_field *f = slate_entity_field(e, name);
		if (!f || !(f->flags & SLATE_F_SORT))
			return slate_res_error(r, 400, "VALIDATION_ERROR",
					       "sort",
					       "Cannot sort by '%s'", name);
		sort_col = f->name;
	}

	slate_buf where = SLATE_BUF_INIT;
	const char *params[64];
	int np = 0;
	slate_buf_addf(&where, " FROM %s t WHERE t.deleted_at IS NULL",
		       e->table);
	if (build_filters(r, e, &where, params, &np)) {
		slate_buf_release(&where);
		return -1;
	}
	char lim[24], off[24];
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	params[np] = lim;
	params[np + 1] = off;

	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql,
		       "SELECT coalesce(json_agg(s.o), '[]'::json)::text FROM "
		       "(SELECT %s AS o%s ORDER BY t.%s %s NULLS LAST, t.%s "
		       "LIMIT $%d::bigint OFFSET $%d::bigint) s",
		       e->sql_object, where.data ? where.data : "", sort_col,
		       desc ? "DESC" : "ASC", e->id_column, np + 1, np + 2);
	slate_buf count = SLATE_BUF_INIT;
	slate_buf_addf(&count, "SELECT count(*)%s",
		       where.data ? where.data : "");
	slate_buf_release(&where);
	if (sql.oom || count.oom) {
		slate_buf_release(&sql);
		slate_buf_release(&count);
		return -1;
	}
	slate_result *page = slate_db_exec_req(r, sql.data, np + 2, params);
	slate_result *total =
		page ? slate_db_exec_req(r, count.data, np, params) : NULL;
	slate_buf_release(&sql);
	slate_buf_release(&count);
	if (!page || !total)
		return slate_res_db_error(r);
	const char *json = slate_db_value(page, 0, 0);
	slate_res_raw(r, 200, json, strlen(json));
	slate_res_meta(r, "total",
		       json_integer(strtoll(slate_db_value(total, 0, 0), NULL,
					    10)));
	slate_res_meta(r, "limit", json_integer(limit));
	slate_res_meta(r, "offset", json_integer(offset));
	return 0;
}

/* ---- get -------------------------------------------------------------- */

static int h_get(slate_req *r, void *ud)
{
	slate_entity *e = ud;
	const char *id = path_id(r, e);
	if (!id || unknown_query(r, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return not_found(r, e, id);
	const char *json = slate_db_value(res, 0, 0);
	return slate_res_raw(r, 200, json, strlen(json));
}

/* ---- create ----------------------------------------------------------- */

/* "c1, c2, ..." for the body's keys, in the entity's field order. */
static void column_list(const slate_entity *e, const json_t *body,
			slate_buf *b, const char *prefix)
{
	bool first = true;
	for (size_t i = 0; i < e->nfields; i++) {
		if (!json_object_get(body, e->fields[i].name))
			continue;
		slate_buf_addf(b, "%s%s%s", first ? "" : ", ", prefix,
			       e->fields[i].name);
		first = false;
	}
}

static int h_create(slate_req *r, void *ud)
{
	slate_entity *e = ud;
	const json_t *body = r->body;
	if (unknown_query(r, NULL))
		return -1;
	if (!body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	if (slate_validate_object(r, body, e->fields, e->nfields,
				  SLATE_VALIDATE_CREATE))
		return -1;
	if (check_refs(r, e, body))
		return -1;
	if (e->validate && e->validate(r, body, NULL, e->ud))
		return -1;

	slate_buf cols = SLATE_BUF_INIT;
	column_list(e, body, &cols, "");
	int nparams = cols.len ? 1 : 0;
	slate_buf sql = SLATE_BUF_INIT;
	if (nparams)
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
	char *doc = json_dumps(body, JSON_COMPACT);
	if (sql.oom || !doc) {
		slate_buf_release(&sql);
		free(doc);
		return -1;
	}
	const char *params[1] = {doc};
	slate_result *res = slate_db_exec_req(r, sql.data, nparams, params);
	slate_buf_release(&sql);
	free(doc);
	if (!res)
		return slate_res_db_error(r);
	const char *json = slate_db_value(res, 0, 0);
	const char *id = slate_db_value(res, 0, 1);
	if (slate_audit_write(r, e->name, id, "create", NULL, NULL, json))
		return slate_res_db_error(r);
	emit_event(r, e, "entity.created", id);
	return slate_res_raw(r, 201, json, strlen(json));
}

/* ---- update (patch and view put) -------------------------------------- */

/* Apply `changes` (validated) to row `id`, audit each changed field and
 * leave the new row, parsed, in *row_out (new reference). Returns 0, or -1
 * after answering. */
static int update_row(slate_req *r, const slate_entity *e, const char *id,
		      const json_t *changes, json_t **row_out)
{
	*row_out = NULL;
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql, "%s FOR UPDATE", e->sql_get);
	slate_result *cur = slate_db_exec_req(r, sql.data, 1, &id);
	slate_buf_release(&sql);
	if (!cur)
		return slate_res_db_error(r);
	if (slate_db_rows(cur) == 0)
		return not_found(r, e, id);
	json_t *before = parse_row(slate_db_value(cur, 0, 0));
	if (!before)
		return -1;
	if (e->validate && e->validate(r, changes, before, e->ud)) {
		json_decref(before);
		return -1;
	}

	/* Only rows that really change are written, so a PATCH that repeats
	 * the stored values neither bumps updated_at nor writes audit rows. */
	slate_buf set = SLATE_BUF_INIT, oldcols = SLATE_BUF_INIT,
		  newcols = SLATE_BUF_INIT;
	bool first = true;
	for (size_t i = 0; i < e->nfields; i++) {
		const char *c = e->fields[i].name;
		if (!json_object_get(changes, c))
			continue;
		slate_buf_addf(&set, "%s%s = n.%s", first ? "" : ", ", c, c);
		slate_buf_addf(&oldcols, "%st.%s", first ? "" : ", ", c);
		slate_buf_addf(&newcols, "%sn.%s", first ? "" : ", ", c);
		first = false;
	}
	slate_buf_addf(&sql,
		       "UPDATE %s AS t SET %s FROM jsonb_populate_record("
		       "NULL::%s, $1::jsonb) AS n WHERE t.%s = $2::uuid AND "
		       "t.deleted_at IS NULL AND ROW(%s, NULL::int) IS DISTINCT "
		       "FROM ROW(%s, NULL::int) RETURNING %s::text",
		       e->table, set.data, e->table, e->id_column, oldcols.data,
		       newcols.data, e->sql_object);
	slate_buf_release(&set);
	slate_buf_release(&oldcols);
	slate_buf_release(&newcols);
	char *doc = json_dumps(changes, JSON_COMPACT);
	const char *params[2] = {doc, id};
	slate_result *res =
		(sql.oom || !doc) ? NULL
				  : slate_db_exec_req(r, sql.data, 2, params);
	slate_buf_release(&sql);
	free(doc);
	if (!res) {
		json_decref(before);
		return slate_res_db_error(r);
	}
	if (slate_db_rows(res) == 0) {
		*row_out = before; /* nothing changed */
		return 0;
	}
	json_t *after = parse_row(slate_db_value(res, 0, 0));
	if (!after) {
		json_decref(before);
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)changes, key, v)
	{
		json_t *o = json_object_get(before, key);
		json_t *n = json_object_get(after, key);
		if (json_equal(o, n))
			continue;
		const slate_field *f = slate_entity_field(e, key);
		bool secret = f && (f->flags & SLATE_F_SECRET);
		if (slate_audit_write(r, e->name, id, "update", key,
				      secret ? "[redacted]"
					     : slate_audit_text(r, o),
				      secret ? "[redacted]"
					     : slate_audit_text(r, n))) {
			json_decref(before);
			json_decref(after);
			return slate_res_db_error(r);
		}
	}
	json_decref(before);
	emit_event(r, e, "entity.updated", id);
	*row_out = after;
	return 0;
}

static int h_patch(slate_req *r, void *ud)
{
	slate_entity *e = ud;
	const char *id = path_id(r, e);
	if (!id || unknown_query(r, NULL))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	if (slate_validate_object(r, r->body, e->fields, e->nfields,
				  SLATE_VALIDATE_PATCH) ||
	    check_refs(r, e, r->body))
		return -1;
	json_t *row;
	if (update_row(r, e, id, r->body, &row))
		return -1;
	return slate_res_json(r, 200, row);
}

/* ---- delete ----------------------------------------------------------- */

static int h_delete(slate_req *r, void *ud)
{
	slate_entity *e = ud;
	const char *id = path_id(r, e);
	if (!id || unknown_query(r, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, e->sql_delete, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return not_found(r, e, id);
	for (size_t i = 0; i < e->nblocks; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "SELECT 1 FROM %s WHERE %s = $1::uuid AND deleted_at "
			 "IS NULL LIMIT 1",
			 e->block_tables[i], e->block_columns[i]);
		slate_result *b = slate_db_exec_req(r, sql, 1, &id);
		if (!b)
			return slate_res_db_error(r);
		if (slate_db_rows(b) > 0)
			return slate_res_error(
				r, 409, "CONFLICT", e->id_param,
				"This %s still has %s; delete them first",
				e->name, e->block_tables[i]);
	}
	const char *deleted_at = slate_db_value(res, 0, 0);
	if (slate_audit_write(r, e->name, id, "delete", "deleted_at", NULL,
			      deleted_at))
		return slate_res_db_error(r);
	emit_event(r, e, "entity.deleted", id);
	return slate_res_json(r, 200,
			      json_pack("{s:s, s:s}", e->id_column, id,
					"deleted_at", deleted_at));
}

/* ---- views ------------------------------------------------------------ */

static json_t *view_of(const slate_entity *e, const slate_entity_view *v,
		       const json_t *row)
{
	json_t *o = json_object();
	json_object_set(o, e->id_column, json_object_get(row, e->id_column));
	for (size_t i = 0; i < v->nfields; i++) {
		const char *name = e->fields[v->fields[i]].name;
		json_t *val = json_object_get(row, name);
		json_object_set(o, name, val ? val : json_null());
	}
	return o;
}

static int h_view_get(slate_req *r, void *ud)
{
	view_route *vr = ud;
	const char *id = path_id(r, vr->e);
	if (!id || unknown_query(r, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, vr->e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return not_found(r, vr->e, id);
	json_t *row = parse_row(slate_db_value(res, 0, 0));
	if (!row)
		return -1;
	json_t *out = view_of(vr->e, vr, row);
	json_decref(row);
	return slate_res_json(r, 200, out);
}

static int h_view_put(slate_req *r, void *ud)
{
	view_route *vr = ud;
	slate_entity *e = vr->e;
	const char *id = path_id(r, e);
	if (!id || unknown_query(r, NULL))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	/* Validate against the view's own fields only. */
	slate_field *vf = slate_req_alloc(r, sizeof(*vf) * vr->nfields);
	if (!vf)
		return -1;
	for (size_t i = 0; i < vr->nfields; i++)
		vf[i] = e->fields[vr->fields[i]];
	if (slate_validate_object(r, r->body, vf, vr->nfields,
				  SLATE_VALIDATE_REPLACE))
		return -1;
	/* PUT replaces the group: a field left out becomes null. */
	json_t *changes = json_object();
	for (size_t i = 0; i < vr->nfields; i++) {
		json_t *v = json_object_get(r->body, vf[i].name);
		json_object_set(changes, vf[i].name, v ? v : json_null());
	}
	json_t *row;
	int rc = update_row(r, e, id, changes, &row);
	json_decref(changes);
	if (rc)
		return -1;
	json_t *out = view_of(e, vr, row);
	json_decref(row);
	return slate_res_json(r, 200, out);
}

/* ---- registration ----------------------------------------------------- */

void slate_entity_free(slate_entity *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->path);
	free(e->table);
	free(e->id_column);
	free(e->id_param);
	free(e->fields);
	free(e->sort_column);
	for (size_t i = 0; i < e->nviews; i++) {
		free(e->views[i].suffix);
		free(e->views[i].fields);
	}
	free(e->views);
	for (size_t i = 0; i < e->nblocks; i++) {
		free(e->block_tables[i]);
		free(e->block_columns[i]);
	}
	free(e->block_tables);
	free(e->block_columns);
	free(e->sql_object);
	free(e->sql_get);
	free(e->sql_delete);
	free(e->list_query);
	free(e);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int copy_views(slate_entity *e, const slate_entity_def *def,
		      char *err, size_t errlen)
{
	if (!def->views || !def->n_views)
		return 0;
	size_t vsize = def->view_size ? def->view_size : sizeof(slate_view);
	if (vsize < sizeof(slate_view))
		return fail(err, errlen, "view element size %zu too small",
			    vsize);
	e->views = calloc(def->n_views, sizeof(*e->views));
	if (!e->views)
		return fail(err, errlen, "out of memory");
	for (uint32_t i = 0; i < def->n_views; i++) {
		const slate_view *v =
			(const slate_view *)((const char *)def->views +
					     i * vsize);
		slate_entity_view *ev = &e->views[e->nviews++];
		if (!slate_ident_valid(v->suffix) && v->suffix &&
		    strspn(v->suffix, "abcdefghijklmnopqrstuvwxyz-") !=
			    strlen(v->suffix))
			return fail(err, errlen, "view suffix '%s' invalid",
				    v->suffix);
		ev->suffix = strdup(v->suffix);
		size_t n = 0;
		while (v->fields && v->fields[n])
			n++;
		ev->fields = calloc(n ? n : 1, sizeof(size_t));
		if (!ev->suffix || !ev->fields)
			return fail(err, errlen, "out of memory");
		for (size_t k = 0; k < n; k++) {
			const slate_field *f =
				slate_entity_field(e, v->fields[k]);
			if (!f)
				return fail(err, errlen,
					    "view %s: unknown field %s",
					    v->suffix, v->fields[k]);
			ev->fields[ev->nfields++] = (size_t)(f - e->fields);
		}
	}
	return 0;
}

static int copy_blocks(slate_entity *e, const slate_entity_def *def,
		       char *err, size_t errlen)
{
	size_t n = 0;
	while (def->block_delete_if && def->block_delete_if[n])
		n++;
	if (!n)
		return 0;
	e->block_tables = calloc(n, sizeof(char *));
	e->block_columns = calloc(n, sizeof(char *));
	if (!e->block_tables || !e->block_columns)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = def->block_delete_if[i];
		const char *dot = strchr(s, '.');
		if (!dot)
			return fail(err, errlen,
				    "block_delete_if '%s': expected "
				    "table.column",
				    s);
		e->block_tables[i] = strndup(s, (size_t)(dot - s));
		e->block_columns[i] = strdup(dot + 1);
		e->nblocks++;
		if (!slate_ident_valid(e->block_tables[i]) ||
		    !slate_ident_valid(e->block_columns[i]))
			return fail(err, errlen,
				    "block_delete_if '%s': not identifiers",
				    s);
	}
	return 0;
}

static int build_sql(slate_entity *e, char *err, size_t errlen)
{
	slate_buf b = SLATE_BUF_INIT;
	size_t pairs = 0;
	slate_buf_add(&b, "json_build_object(");
	for (size_t i = 0; i < e->nfields; i++) {
		if (e->fields[i].flags & SLATE_F_SECRET)
			continue;
		slate_buf_addf(&b, "%s'%s', t.%s", pairs ? ", " : "",
			       e->fields[i].name, e->fields[i].name);
		pairs++;
	}
	slate_buf_add(&b, ")");
	if (pairs > 50) {
		slate_buf_release(&b);
		return fail(err, errlen,
			    "more than 50 visible fields are not supported");
	}
	e->sql_object = slate_buf_detach(&b);
	if (!e->sql_object)
		return fail(err, errlen, "out of memory");
	if (asprintf(&e->sql_get,
		     "SELECT %s::text FROM %s t WHERE t.%s = $1::uuid AND "
		     "t.deleted_at IS NULL",
		     e->sql_object, e->table, e->id_column) < 0 ||
	    asprintf(&e->sql_delete,
		     "UPDATE %s SET deleted_at = now() WHERE %s = $1::uuid AND "
		     "deleted_at IS NULL RETURNING to_json(deleted_at)#>>'{}'",
		     e->table, e->id_column) < 0)
		return fail(err, errlen, "out of memory");
	/* list query parameters: paging, sorting, one per filter field */
	size_t n = 3;
	e->list_query = calloc(e->nfields + 4, sizeof(char *));
	if (!e->list_query)
		return fail(err, errlen, "out of memory");
	e->list_query[0] = "limit";
	e->list_query[1] = "offset";
	e->list_query[2] = "sort";
	for (size_t i = 0; i < e->nfields; i++)
		if (e->fields[i].flags & SLATE_F_FILTER)
			e->list_query[n++] = e->fields[i].name;
	return 0;
}

static int add_route(slate_core *core, slate_entity *e, const char *method,
		     const char *path, slate_handler_fn fn, void *ud,
		     slate_perm perm, uint32_t body_mode, const char *summary,
		     char *err, size_t errlen)
{
	slate_route rt;
	memset(&rt, 0, sizeof(rt));
	rt.method = (char *)method;
	rt.path = (char *)path;
	rt.handler = fn;
	rt.ud = ud;
	rt.perm = perm;
	rt.summary = (char *)summary;
	rt.body_mode = body_mode;
	rt.owner = e->owner;
	rt.self_checks = true;
	return slate_router_add(core->router, &rt, err, errlen);
}

static int add_routes(slate_core *core, slate_entity *e, char *err,
		      size_t errlen)
{
	char item[512], summary[160];
	snprintf(item, sizeof(item), "%s/:%s", e->path, e->id_param);
	struct {
		uint32_t op;
		const char *method;
		bool on_item;
		slate_handler_fn fn;
		slate_perm perm;
		uint32_t body;
		const char *verb;
	} ops[] = {
		{SLATE_OP_LIST, "GET", false, h_list, SLATE_PERM_READ,
		 SLATE_BODY_NONE, "List"},
		{SLATE_OP_CREATE, "POST", false, h_create, SLATE_PERM_WRITE,
		 SLATE_BODY_ANY_JSON, "Create"},
		{SLATE_OP_GET, "GET", true, h_get, SLATE_PERM_READ,
		 SLATE_BODY_NONE, "Get"},
		{SLATE_OP_PATCH, "PATCH", true, h_patch, SLATE_PERM_WRITE,
		 SLATE_BODY_ANY_JSON, "Update"},
		{SLATE_OP_DELETE, "DELETE", true, h_delete, SLATE_PERM_ADMIN,
		 SLATE_BODY_NONE, "Soft-delete"},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!(e->ops & ops[i].op))
			continue;
		snprintf(summary, sizeof(summary), "%s %s", ops[i].verb,
			 e->name);
		if (add_route(core, e, ops[i].method,
			      ops[i].on_item ? item : e->path, ops[i].fn, e,
			      ops[i].perm, ops[i].body, summary, err, errlen))
			return -1;
	}
	for (size_t i = 0; i < e->nviews; i++) {
		view_route *vr = &e->views[i];
		vr->e = e;
		char vpath[600];
		snprintf(vpath, sizeof(vpath), "%s/%s", item,
			 e->views[i].suffix);
		snprintf(summary, sizeof(summary), "Get the %s of a %s",
			 e->views[i].suffix, e->name);
		if (add_route(core, e, "GET", vpath, h_view_get, vr,
			      SLATE_PERM_READ, SLATE_BODY_NONE, summary, err,
			      errlen))
			return -1;
		snprintf(summary, sizeof(summary), "Replace the %s of a %s",
			 e->views[i].suffix, e->name);
		if (add_route(core, e, "PUT", vpath, h_view_put, vr,
			      SLATE_PERM_WRITE, SLATE_BODY_ANY_JSON, summary,
			      err, errlen))
			return -1;
	}
	return 0;
}

int slate_entity_register(slate_core *core, const char *owner,
			  const slate_entity_def *def, char *err,
			  size_t errlen)
{
	if (!def || def->struct_size < offsetof(slate_entity_def, ops) +
						sizeof(def->ops))
		return fail(err, errlen, "entity definition too small");
	if (!def->name || !slate_ident_valid(def->table) ||
	    !slate_ident_valid(def->id_column) || !def->id_param ||
	    !def->path || strncmp(def->path, "/api/v1/", 8))
		return fail(err, errlen,
			    "entity %s: name, table, id_column, id_param and a "
			    "path under /api/v1/ are required",
			    def->name ? def->name : "(null)");
	if (slate_core_entity(core, def->name))
		return fail(err, errlen, "entity %s: already declared",
			    def->name);
	slate_entity *e = calloc(1, sizeof(*e));
	if (!e)
		return fail(err, errlen, "out of memory");
	e->owner = owner;
	e->name = strdup(def->name);
	e->path = strdup(def->path);
	e->table = strdup(def->table);
	e->id_column = strdup(def->id_column);
	e->id_param = strdup(def->id_param);
	e->ops = def->ops;
	e->nfields = def->n_fields;
	e->fields = slate_fields_import(def->fields, def->n_fields,
					def->field_size, err, errlen);
	if (!e->fields)
		goto out;
	/* def fields past `ops` exist only if the plugin's struct has them */
#define HAS(m) (def->struct_size >= offsetof(slate_entity_def, m) + sizeof(def->m))
	const char *sort = HAS(default_sort) && def->default_sort
				   ? def->default_sort
				   : "-created_at";
	e->sort_desc = sort[0] == '-';
	e->sort_column = strdup(e->sort_desc ? sort + 1 : sort);
	if (!slate_ident_valid(e->sort_column)) {
		fail(err, errlen, "entity %s: bad default_sort", e->name);
		goto out;
	}
	if (HAS(view_size)) {
		if (copy_views(e, def, err, errlen))
			goto out;
	}
	if (HAS(block_delete_if) && copy_blocks(e, def, err, errlen))
		goto out;
	if (HAS(ud)) {
		e->validate = def->validate;
		e->ud = def->ud;
	}
#undef HAS
	if (!slate_entity_field(e, e->id_column)) {
		fail(err, errlen, "entity %s: id column %s is not a field",
		     e->name, e->id_column);
		goto out;
	}
	if (build_sql(e, err, errlen))
		goto out;
	slate_entity **list = realloc(core->entities, (core->nentities + 1) *
							      sizeof(*list));
	if (!list) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	core->entities = list;
	core->entities[core->nentities++] = e;
	if (add_routes(core, e, err, errlen))
		return -1; /* e stays registered; start-up fails anyway */
	return 0;
out:
	slate_entity_free(e);
	return -1;
}
