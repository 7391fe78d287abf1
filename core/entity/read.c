/* entity_read.c - list, get, search and view reads of declared entities. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity/engine.h"
#include "base/log.h"
#include "http/request.h"
#include "base/util.h"
#include "http/validate.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100
#define LIST_MAX_OFFSET 1000000
#define MAX_PARAMS 64

const char *slate_entity_path_uuid(slate_req *r, const char *param)
{
	const char *id = slate_req_param(r, param);
	if (!id || !slate_uuid_valid(id)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", param,
				"'%s' must be a UUID", param);
		return NULL;
	}
	return id;
}

int slate_entity_not_found(slate_req *r, const slate_entity *e, const char *id)
{
	return slate_res_error(r, 404, "NOT_FOUND", e->id_param,
			       "No %s with id %s", e->name, id);
}

int slate_entity_exists(slate_req *r, const slate_entity *e, const char *id)
{
	slate_result *res = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	return slate_db_rows(res) > 0;
}

json_t *slate_entity_parse(const char *text)
{
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

void slate_entity_emit(slate_req *r, const slate_entity *e, const char *what,
		       const char *id)
{
	char event[64];
	snprintf(event, sizeof(event), "entity.%s", what);
	slate_req_event_emit(
	    r, event,
	    json_pack("{s:s, s:s}", "entity_type", e->name, "id", id));
}

/* The filterable JSON object field `key` names as "field.key", or NULL. */
static const slate_field *json_filter_field(const slate_entity *e,
					    const char *key, const char **sub)
{
	const char *dot = strchr(key, '.');
	if (!e || !dot || !dot[1])
		return NULL;
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		if (f->type == SLATE_T_JSON_OBJECT &&
		    (f->flags & SLATE_F_FILTER) &&
		    strlen(f->name) == (size_t)(dot - key) &&
		    !strncmp(f->name, key, (size_t)(dot - key))) {
			*sub = dot + 1;
			return f;
		}
	}
	return NULL;
}

int slate_entity_check_query(slate_req *r, const slate_entity *e,
			     const char *const *allowed)
{
	for (int i = 0; i < r->nquery; i++) {
		const char *key = r->query[i].key, *sub;
		bool ok = json_filter_field(e, key, &sub) != NULL;
		for (int k = 0; !ok && allowed && allowed[k]; k++)
			ok = !strcmp(allowed[k], key);
		if (!ok)
			return slate_res_error(r, 400, "VALIDATION_ERROR", key,
					       "Unknown query parameter '%s'",
					       key);
	}
	return 0;
}

int slate_entity_paging(slate_req *r, long long *limit, long long *offset)
{
	if (slate_req_query_int(r, "limit", 1, LIST_MAX_LIMIT,
				LIST_DEFAULT_LIMIT, limit) ||
	    slate_req_query_int(r, "offset", 0, LIST_MAX_OFFSET, 0, offset))
		return -1;
	return 0;
}

/* Check a query value against a field-like declaration. 0 or -1. */
static int check_value(slate_req *r, const char *name, slate_type type,
		       const slate_field *f, const char *v)
{
	slate_field tmp;
	if (!f) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.name = name;
		tmp.type = type;
		f = &tmp;
	}
	json_t *j;
	char *end;
	errno = 0;
	switch (f->type) {
	case SLATE_T_INT:
	case SLATE_T_BIGINT: {
		long long n = strtoll(v, &end, 10);
		j = (*v && !*end && !errno) ? json_integer(n) : json_string(v);
		break;
	}
	case SLATE_T_BOOL:
		j = !strcmp(v, "true")	  ? json_true()
		    : !strcmp(v, "false") ? json_false()
					  : json_string(v);
		break;
	default:
		j = json_string(v);
	}
	char msg[300];
	int rc = 0;
	if (!j)
		rc = slate_res_error(r, 400, "VALIDATION_ERROR", name,
				     "'%s' is not valid UTF-8", name);
	else if (f->type == SLATE_T_TEXT_ARRAY)
		rc = 0; /* any strings, matched by containment */
	else if (slate_validate_value(f, j, msg, sizeof(msg)))
		rc = slate_res_error(r, 400, "VALIDATION_ERROR", name,
				     "'%s' %s", name, msg);
	json_decref(j);
	return rc;
}

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
	default:
		return "text";
	}
}

int slate_entity_filters(slate_req *r, const slate_entity *e, slate_buf *sql,
			 const char **params, int *np, int max)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		const char *v = (f->flags & SLATE_F_FILTER)
				    ? slate_req_query(r, f->name)
				    : NULL;
		if (!v)
			continue;
		if (*np >= max)
			return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					       "Too many filters");
		if (f->type == SLATE_T_TEXT_ARRAY) {
			/* tags=a,b: rows carrying all of them */
			slate_buf_addf(sql,
				       " AND t.%s @> string_to_array($%d, ',')",
				       f->name, *np + 1);
		} else if (f->type == SLATE_T_TEXT && f->one_of) {
			/* status=draft,published: any of them */
			char *copy = slate_arena_strdup(&r->arena, v), *save;
			for (char *tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (check_value(r, f->name, f->type, f, tok))
					return -1;
			slate_buf_addf(sql,
				       " AND t.%s = ANY(string_to_array($%d, "
				       "','))",
				       f->name, *np + 1);
		} else if (f->type == SLATE_T_JSON_OBJECT) {
			continue; /* only "field.key" filters, below */
		} else {
			if (check_value(r, f->name, f->type, f, v))
				return -1;
			slate_buf_addf(sql, " AND t.%s = $%d::%s", f->name,
				       *np + 1, sql_type(f->type));
		}
		params[(*np)++] = v;
	}
	for (size_t i = 0; i < e->nfilters; i++) {
		const slate_filter *f = &e->filters[i];
		const char *v = slate_req_query(r, f->name);
		if (!v)
			continue;
		if (*np >= max)
			return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					       "Too many filters");
		if (check_value(r, f->name, f->type, NULL, v))
			return -1;
		const char *q = strstr(f->sql, "$?");
		slate_buf_addf(sql, " AND (%.*s$%d%s)", (int)(q - f->sql),
			       f->sql, *np + 1, q + 2);
		params[(*np)++] = v;
	}
	/* shoes.color=red: containment on a JSON object field (GIN-indexed) */
	for (int i = 0; i < r->nquery; i++) {
		const char *sub;
		const slate_field *f =
		    json_filter_field(e, r->query[i].key, &sub);
		if (!f)
			continue;
		if (*np + 2 > max)
			return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
					       "Too many filters");
		if (!slate_ident_valid(sub))
			return slate_res_error(r, 400, "VALIDATION_ERROR",
					       r->query[i].key,
					       "'%s': the key after the dot "
					       "must be [a-z_][a-z0-9_]*",
					       r->query[i].key);
		slate_buf_addf(sql,
			       " AND t.%s @> jsonb_build_object($%d::text, "
			       "$%d::text)",
			       f->name, *np + 1, *np + 2);
		params[(*np)++] = sub;
		params[(*np)++] = r->query[i].value;
	}
	return 0;
}

/* The parent filter of a nested list: " AND t.<field> = $n". 1 when the
 * route is nested and the parent is live, 0 when not nested, -1 after
 * answering. */
static int parent_scope(slate_req *r, const slate_entity *e, slate_buf *sql,
			const char **params, int *np)
{
	if (!e->parent)
		return 0;
	const slate_entity *p =
	    slate_core_entity(r->core, e->parent->ref_entity);
	const char *pid = p ? slate_req_param(r, p->id_param) : NULL;
	if (!p || !pid)
		return 0;
	if (!slate_uuid_valid(pid))
		return slate_res_error(r, 400, "VALIDATION_ERROR", p->id_param,
				       "'%s' must be a UUID", p->id_param);
	int live = slate_entity_exists(r, p, pid);
	if (live <= 0)
		return live < 0 ? -1 : slate_entity_not_found(r, p, pid);
	slate_buf_addf(sql, " AND t.%s = $%d::uuid", e->parent->name, *np + 1);
	params[(*np)++] = pid;
	return 1;
}

/* Run `page_sql` (the JSON array) and `count_sql` and answer. */
static int answer_page(slate_req *r, slate_buf *page_sql, slate_buf *count_sql,
		       const char **params, int np, long long limit,
		       long long offset)
{
	if (page_sql->oom || count_sql->oom)
		return -1;
	slate_result *page =
	    slate_db_exec_req(r, page_sql->data, np + 2, params);
	slate_result *total =
	    page ? slate_db_exec_req(r, count_sql->data, np, params) : NULL;
	if (!page || !total)
		return slate_res_db_error(r);
	const char *json = slate_db_value(page, 0, 0);
	slate_res_raw(r, 200, json, strlen(json));
	slate_res_meta(
	    r, "total",
	    json_integer(strtoll(slate_db_value(total, 0, 0), NULL, 10)));
	slate_res_meta(r, "limit", json_integer(limit));
	slate_res_meta(r, "offset", json_integer(offset));
	return 0;
}

int slate_entity_h_list(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	long long limit, offset;
	if (slate_entity_check_query(r, e, e->list_query) ||
	    slate_entity_paging(r, &limit, &offset))
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
					       "sort", "Cannot sort by '%s'",
					       name);
		sort_col = f->name;
	}

	slate_buf where = SLATE_BUF_INIT, sql = SLATE_BUF_INIT,
		  count = SLATE_BUF_INIT;
	const char *params[MAX_PARAMS + 2];
	int np = 0, rc = -1;
	char lim[24], off[24];
	slate_buf_addf(&where, " FROM %s t WHERE t.deleted_at IS NULL",
		       e->table);
	if (parent_scope(r, e, &where, params, &np) < 0 ||
	    slate_entity_filters(r, e, &where, params, &np, MAX_PARAMS))
		goto out;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	params[np] = lim;
	params[np + 1] = off;
	/* Sort and cut the page on plain rows first, then build JSON for
	 * those rows only: building it for every row before the LIMIT made
	 * a 50-row page of 10,000 episodes cost 85 ms instead of 7. */
	const char *dir = desc ? "DESC" : "ASC";
	slate_buf_addf(
	    &sql,
	    "SELECT coalesce('[' || string_agg(s.o::text, ',' ORDER BY "
	    "s.k %s NULLS LAST, s.i) || ']', '[]') FROM (SELECT %s "
	    "AS o, t.%s AS k, t.%s AS i FROM (SELECT t.*%s ORDER BY "
	    "t.%s %s NULLS LAST, t.%s LIMIT $%d::bigint OFFSET "
	    "$%d::bigint) t) s",
	    dir, e->sql_object, sort_col, e->id_column, where.data, sort_col,
	    dir, e->id_column, np + 1, np + 2);
	slate_buf_addf(&count, "SELECT count(*)%s", where.data);
	rc = answer_page(r, &sql, &count, params, np, limit, offset);
out:
	slate_buf_release(&where);
	slate_buf_release(&sql);
	slate_buf_release(&count);
	return rc;
}

int slate_entity_h_get(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	const char *id = slate_entity_path_uuid(r, e->id_param);
	if (!id || slate_entity_check_query(r, NULL, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_entity_not_found(r, e, id);
	const char *json = slate_db_value(res, 0, 0);
	return slate_res_raw(r, 200, json, strlen(json));
}

int slate_entity_h_search(slate_req *r, void *ud)
{
	const slate_entity *e = ud;
	long long limit, offset;
	if (slate_entity_check_query(r, e, e->list_query) ||
	    slate_entity_paging(r, &limit, &offset))
		return -1;
	const char *q = slate_req_query(r, "q");
	if (!q || !*q)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "q",
				       "'q' (the search text) is required");
	if (slate_utf8_len(q) > 500)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "q",
				       "'q' must be at most 500 characters");

	slate_buf where = SLATE_BUF_INIT, sql = SLATE_BUF_INIT,
		  count = SLATE_BUF_INIT;
	const char *params[MAX_PARAMS + 3];
	int np = 1, rc = -1;
	char lim[24], off[24];
	params[0] = q;
	slate_buf_addf(&where,
		       " FROM %s t, websearch_to_tsquery('english', $1) q "
		       "WHERE t.deleted_at IS NULL AND to_tsvector('english', "
		       "%s) @@ q",
		       e->table, e->sql_doc);
	if (slate_entity_filters(r, e, &where, params, &np, MAX_PARAMS))
		goto out;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	params[np] = lim;
	params[np + 1] = off;
	/* The snippet marks matches with <b>...</b>; clients escape the rest
	 * as text, since the document is user data. */
	/* Rank and cut the page first; ts_headline, the costly part, runs
	 * on the page's rows only. */
	slate_buf_addf(
	    &sql,
	    "SELECT coalesce('[' || string_agg(s.o::text, ',' ORDER BY "
	    "s.r DESC, s.i) || ']', '[]') FROM (SELECT (SELECT "
	    "row_to_json(x) FROM (SELECT round(t.r_::numeric, 6) AS "
	    "rank, ts_headline('english', %s, t.q_, 'StartSel=<b>, "
	    "StopSel=</b>, MaxFragments=2, MaxWords=20, "
	    "MinWords=5') AS snippet, %s AS \"%s\") x) AS o, t.r_ AS "
	    "r, t.%s AS i FROM (SELECT t.*, q AS q_, ts_rank("
	    "to_tsvector('english', %s), q) AS r_%s ORDER BY r_ DESC, "
	    "t.%s LIMIT $%d::bigint OFFSET $%d::bigint) t) s",
	    e->sql_doc, e->sql_object, e->name, e->id_column, e->sql_doc,
	    where.data, e->id_column, np + 1, np + 2);
	slate_buf_addf(&count, "SELECT count(*)%s", where.data);
	rc = answer_page(r, &sql, &count, params, np, limit, offset);
out:
	slate_buf_release(&where);
	slate_buf_release(&sql);
	slate_buf_release(&count);
	return rc;
}

static json_t *view_of(const slate_entity_view *v, const json_t *row)
{
	const slate_entity *e = v->e;
	json_t *o = json_object();
	json_object_set(o, e->id_column, json_object_get(row, e->id_column));
	for (size_t i = 0; i < v->nfields; i++) {
		const char *name = e->fields[v->fields[i]].name;
		json_t *val = json_object_get(row, name);
		json_object_set(o, name, val ? val : json_null());
	}
	return o;
}

int slate_entity_h_view_get(slate_req *r, void *ud)
{
	const slate_entity_view *v = ud;
	const char *id = slate_entity_path_uuid(r, v->e->id_param);
	if (!id || slate_entity_check_query(r, NULL, NULL))
		return -1;
	slate_result *res = slate_db_exec_req(r, v->e->sql_get, 1, &id);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_entity_not_found(r, v->e, id);
	json_t *row = slate_entity_parse(slate_db_value(res, 0, 0));
	if (!row)
		return -1;
	json_t *out = view_of(v, row);
	json_decref(row);
	return slate_res_json(r, 200, out);
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
	json_t *out = view_of(v, row);
	json_decref(row);
	return slate_res_json(r, 200, out);
}
