/*
 * engine.c - the parts of the entity engine every route shares: lookups,
 * the common answers (bad id, not found), query checks, paging, filters,
 * the audit text of a row, events. See engine.h.
 */
#include "entity/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "http/req_db.h"
#include "http/req_events.h"
#include "http/request.h"
#include "http/validate.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100
#define LIST_MAX_OFFSET 1000000

const slate_field *slate_entity_field(const slate_entity *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].name, name))
			return &e->fields[i];
	return NULL;
}

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
	free(e->parent_path);
	free(e->search_path);
	free(e->filters);
	for (size_t i = 0; i < e->nfiles; i++) {
		slate_entity_file *f = &e->files[i];
		free(f->field);
		free(f->kind);
		free(f->key_template);
		for (size_t k = 0; f->content_types && f->content_types[k]; k++)
			free(f->content_types[k]);
		free(f->content_types);
	}
	free(e->files);
	free(e->sql_doc);
	free(e->sql_object);
	free(e->sql_get);
	free(e->sql_delete);
	free(e->sql_seq_get);
	free(e->seq_param);
	free(e->list_query);
	free(e);
}

const slate_entity *slate_entity_find(const slate_core *core, const char *name)
{
	for (size_t i = 0; i < core->nentities; i++)
		if (!strcmp(core->entities[i]->name, name))
			return core->entities[i];
	return NULL;
}

void slate_entities_truncate(slate_core *core, size_t n)
{
	while (core->nentities > n)
		slate_entity_free(core->entities[--core->nentities]);
}

void slate_entities_release(slate_core *core)
{
	slate_entities_truncate(core, 0);
	free(core->entities);
	core->entities = NULL;
}

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

int slate_entity_lock_parent(slate_req *r, const slate_entity *e,
			     const char *pid)
{
	const slate_entity *p =
	    e->parent ? slate_entity_find(r->core, e->parent->ref_entity)
		      : NULL;
	if (!p)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Entity %s has no parent entity",
				       e->name);
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT 1 FROM %s WHERE %s = $1::uuid AND deleted_at IS NULL "
		 "FOR UPDATE",
		 p->table, p->id_column);
	slate_result *res = slate_db_exec_req(r, sql, 1, &pid);
	if (!res)
		return slate_res_db_error(r);
	return slate_db_rows(res) > 0;
}

/* The number in path parameter `param`: decimal digits only (no sign, no
 * spaces), 1..2147483647, written canonically into out[16]. 0 or -1. */
static int seq_number(const char *s, char out[16])
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return -1;
	long long n = strtoll(s, NULL, 10);
	if (n < 1 || n > 2147483647LL)
		return -1;
	snprintf(out, 16, "%lld", n);
	return 0;
}

/* By parent and number; see slate_entity_locate. */
static int locate_seq(slate_req *r, const slate_entity *e, bool lock,
		      const char **json_out, const char **id_out)
{
	const slate_entity *p =
	    slate_entity_find(r->core, e->parent->ref_entity);
	if (!p)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Entity %s has no parent entity",
				       e->name);
	const char *pid = slate_entity_path_uuid(r, p->id_param);
	if (!pid)
		return -1;
	char *num = slate_req_alloc(r, 16);
	if (!num)
		return -1;
	if (seq_number(slate_req_param(r, e->seq_param), num))
		return slate_res_error(r, 400, "VALIDATION_ERROR", e->seq_param,
				       "'%s' must be an integer from 1 to "
				       "2147483647",
				       e->seq_param);
	int live = lock ? slate_entity_lock_parent(r, e, pid)
			: slate_entity_exists(r, p, pid);
	if (live <= 0)
		return live < 0 ? -1 : slate_entity_not_found(r, p, pid);
	const char *params[2] = {pid, num};
	slate_result *res = slate_db_exec_req(r, e->sql_seq_get, 2, params);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", e->seq_param,
				       "%s %s has no %s %s", p->name, pid,
				       e->name, num);
	*json_out = slate_db_value(res, 0, 0);
	*id_out = slate_db_value(res, 0, 1);
	return 0;
}

int slate_entity_locate(slate_req *r, const slate_entity *e, bool lock,
			const char **json_out, const char **id_out)
{
	*json_out = *id_out = NULL;
	if (e->seq)
		return locate_seq(r, e, lock, json_out, id_out);
	const char *id = slate_entity_path_uuid(r, e->id_param);
	if (!id)
		return -1;
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql, "%s%s", e->sql_get, lock ? " FOR UPDATE" : "");
	slate_result *res =
	    sql.oom ? NULL : slate_db_exec_req(r, sql.data, 1, &id);
	slate_buf_release(&sql);
	if (!res)
		return slate_res_db_error(r);
	if (slate_db_rows(res) == 0)
		return slate_entity_not_found(r, e, id);
	*json_out = slate_db_value(res, 0, 0);
	*id_out = id;
	return 0;
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

int slate_entity_paging(slate_req *r, slate_page *pg)
{
	return slate_req_page(r, LIST_MAX_LIMIT, LIST_DEFAULT_LIMIT,
			      LIST_MAX_OFFSET, pg);
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

const char *slate_entity_audit_row(slate_req *r, const slate_entity *e,
				   const char *row_json)
{
	bool masked = false;
	for (size_t i = 0; i < e->nfields; i++)
		masked |= (e->fields[i].flags & SLATE_F_PRIVATE) != 0;
	if (!masked || !row_json)
		return row_json;
	json_t *row = slate_entity_parse(row_json);
	if (!row)
		return NULL;
	for (size_t i = 0; i < e->nfields; i++) {
		const char *n = e->fields[i].name;
		if ((e->fields[i].flags & SLATE_F_PRIVATE) &&
		    !json_is_null(json_object_get(row, n)))
			json_object_set_new(row, n, json_string("[redacted]"));
	}
	char *s = json_dumps(row, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(row);
	char *out = s ? slate_arena_strdup(&r->arena, s) : NULL;
	free(s);
	return out;
}

json_t *slate_entity_view_of(const slate_entity_view *v, const json_t *row)
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
