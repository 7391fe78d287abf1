/*
 * link.c - many-to-many links between declared entities (slate_link_def):
 * episode <-> outfit, ui element, background. One declaration gives four
 * routes, audit rows on the owner in the request's transaction, and reads
 * that never show a link whose owner or target is soft-deleted.
 */
#include "entity/link.h"

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
#include "http/router.h"
#include "http/validate.h"

struct slate_link {
	char *table, *id_column, *owner_entity, *owner_field, *target_entity,
	    *target_field, *target_param, *collection_path, *usage_path;
	slate_field *fields; /* the link's own fields */
	size_t nfields;
	slate_field *body; /* target_field + fields: what POST accepts */
	size_t nbody;
	const char **query; /* accepted on DELETE: the link's text fields */
	const char *owner;
};

/* The two entities, resolved per request: plugins register in any order. */
static int resolve(slate_req *r, const slate_link *l, const slate_entity **o,
		   const slate_entity **t)
{
	*o = slate_entity_find(r->core, l->owner_entity);
	*t = slate_entity_find(r->core, l->target_entity);
	if (*o && *t)
		return 0;
	slate_log(SLATE_LOG_ERROR, l->owner, r->request_id,
		  "link %s: entity %s or %s is not loaded", l->table,
		  l->owner_entity, l->target_entity);
	return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
			       "Misconfigured link");
}

/* The owner id from the URL, checked live; NULL after answering. */
static const char *live_owner(slate_req *r, const slate_entity *o)
{
	const char *id = slate_entity_path_uuid(r, o->id_param);
	if (!id)
		return NULL;
	int live = slate_entity_exists(r, o, id);
	if (live <= 0) {
		if (live == 0)
			slate_entity_not_found(r, o, id);
		return NULL;
	}
	return id;
}

/* The link's own columns as a select list over alias l. */
static void link_columns(const slate_link *l, slate_buf *b)
{
	slate_buf_addf(b, "l.%s, l.%s, l.%s", l->id_column, l->owner_field,
		       l->target_field);
	for (size_t i = 0; i < l->nfields; i++)
		slate_buf_addf(b, ", l.%s", l->fields[i].name);
	slate_buf_add(b, ", l.created_at");
}

static int h_link(slate_req *r, void *ud)
{
	const slate_link *l = ud;
	const slate_entity *o, *t;
	const char *owner_id;
	if (resolve(r, l, &o, &t) || slate_entity_check_query(r, NULL, NULL) ||
	    !(owner_id = live_owner(r, o)))
		return -1;
	if (!r->body)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON body is required");
	if (slate_validate_object(r, r->body, l->body, l->nbody,
				  SLATE_VALIDATE_CREATE))
		return -1;
	const char *target_id =
	    json_string_value(json_object_get(r->body, l->target_field));
	int live = slate_entity_exists(r, t, target_id);
	if (live < 0)
		return -1;
	if (!live)
		return slate_res_error(
		    r, 422, "UNPROCESSABLE_ENTITY", l->target_field,
		    "'%s' names no existing %s", l->target_field, t->name);
	/* The table's UNIQUE treats null contexts as distinct; a link is a
	 * duplicate when every field matches, nulls included. */
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql,
		       "SELECT 1 FROM %s l, jsonb_populate_record(NULL::%s, "
		       "$1::jsonb) n WHERE l.%s = $2::uuid AND l.%s = $3::uuid",
		       l->table, l->table, l->owner_field, l->target_field);
	for (size_t i = 0; i < l->nfields; i++)
		slate_buf_addf(&sql, " AND l.%s IS NOT DISTINCT FROM n.%s",
			       l->fields[i].name, l->fields[i].name);
	char *doc = json_dumps(r->body, JSON_COMPACT);
	const char *params[3] = {doc, owner_id, target_id};
	slate_result *dup = (sql.oom || !doc)
				? NULL
				: slate_db_exec_req(r, sql.data, 3, params);
	slate_buf_release(&sql);
	if (!dup) {
		free(doc);
		return slate_res_db_error(r);
	}
	if (slate_db_rows(dup) > 0) {
		free(doc);
		return slate_res_error(r, 409, "CONFLICT", l->target_field,
				       "This %s is already linked to this %s "
				       "with the same fields",
				       t->name, o->name);
	}
	slate_buf_addf(&sql, "INSERT INTO %s AS l (%s, %s", l->table,
		       l->owner_field, l->target_field);
	for (size_t i = 0; i < l->nfields; i++)
		slate_buf_addf(&sql, ", %s", l->fields[i].name);
	slate_buf_addf(&sql, ") SELECT $2::uuid, $3::uuid");
	for (size_t i = 0; i < l->nfields; i++)
		slate_buf_addf(&sql, ", n.%s", l->fields[i].name);
	slate_buf_addf(&sql,
		       " FROM jsonb_populate_record(NULL::%s, $1::jsonb) n "
		       "RETURNING (SELECT row_to_json(x) FROM (SELECT ",
		       l->table);
	link_columns(l, &sql);
	slate_buf_add(&sql, ") x)::text");
	slate_result *res =
	    sql.oom ? NULL : slate_db_exec_req(r, sql.data, 3, params);
	slate_buf_release(&sql);
	free(doc);
	if (!res)
		return slate_res_db_error(r);
	const char *json = slate_db_value(res, 0, 0);
	if (slate_audit_write(r, o->name, owner_id, "link", t->name, NULL,
			      json))
		return slate_res_db_error(r);
	slate_req_event_emit(r, "entity.linked",
			     json_pack("{s:s, s:s, s:s, s:s}", "entity_type",
				       o->name, "id", owner_id, "target_type",
				       t->name, "target_id", target_id));
	return slate_res_raw(r, 201, json, strlen(json));
}

/* GET of a page of links joined with the other side's rows. */
static int list_joined(slate_req *r, const slate_link *l,
		       const slate_entity *other, const char *other_field,
		       const char *filter_field, const char *filter_id)
{
	slate_page pg;
	if (slate_entity_paging(r, &pg))
		return -1;
	const char *params[3] = {filter_id, pg.limit_s, pg.offset_s};
	slate_buf from = SLATE_BUF_INIT, sql = SLATE_BUF_INIT,
		  count = SLATE_BUF_INIT;
	slate_buf_addf(&from,
		       " FROM %s l JOIN %s t ON t.%s = l.%s AND t.deleted_at "
		       "IS NULL WHERE l.%s = $1::uuid",
		       l->table, other->table, other->id_column, other_field,
		       filter_field);
	/* page the link rows first, then join the other side's rows */
	slate_buf_add(&sql, "SELECT coalesce('[' || string_agg(s.o::text, ',' "
			    "ORDER BY s.c, s.i) || ']', '[]') FROM (SELECT "
			    "(SELECT row_to_json(x) FROM (SELECT ");
	link_columns(l, &sql);
	slate_buf_addf(&sql,
		       ", %s AS \"%s\") x) AS o, l.created_at AS c, l.%s AS i "
		       "FROM (SELECT l.*%s ORDER BY l.created_at, l.%s LIMIT "
		       "$2::bigint OFFSET $3::bigint) l JOIN %s t ON t.%s = "
		       "l.%s) s",
		       other->sql_object, other->name, l->id_column, from.data,
		       l->id_column, other->table, other->id_column,
		       other_field);
	slate_buf_addf(&count, "SELECT count(*)%s", from.data);
	slate_buf_release(&from);
	int rc = -1;
	slate_result *page = NULL, *total = NULL;
	if (!sql.oom && !count.oom) {
		page = slate_db_exec_req(r, sql.data, 3, params);
		total =
		    page ? slate_db_exec_req(r, count.data, 1, params) : NULL;
	}
	slate_buf_release(&sql);
	slate_buf_release(&count);
	if (!page || !total)
		return slate_res_db_error(r);
	const char *json = slate_db_value(page, 0, 0);
	rc = slate_res_raw(r, 200, json, strlen(json));
	slate_res_page(r, strtoll(slate_db_value(total, 0, 0), NULL, 10),
		       pg.limit, pg.offset);
	return rc;
}

static const char *const paging_query[] = {"limit", "offset", NULL};

static int h_list_links(slate_req *r, void *ud)
{
	const slate_link *l = ud;
	const slate_entity *o, *t;
	const char *owner_id;
	if (resolve(r, l, &o, &t) ||
	    slate_entity_check_query(r, NULL, paging_query) ||
	    !(owner_id = live_owner(r, o)))
		return -1;
	return list_joined(r, l, t, l->target_field, l->owner_field, owner_id);
}

static int h_usage(slate_req *r, void *ud)
{
	const slate_link *l = ud;
	const slate_entity *o, *t;
	const char *target_id;
	if (resolve(r, l, &o, &t) ||
	    slate_entity_check_query(r, NULL, paging_query) ||
	    !(target_id = live_owner(r, t)))
		return -1;
	return list_joined(r, l, o, l->owner_field, l->target_field, target_id);
}

static int h_unlink(slate_req *r, void *ud)
{
	const slate_link *l = ud;
	const slate_entity *o, *t;
	const char *owner_id, *target_id;
	if (resolve(r, l, &o, &t) ||
	    slate_entity_check_query(r, NULL, l->query) ||
	    !(owner_id = live_owner(r, o)) ||
	    !(target_id = slate_entity_path_uuid(r, l->target_param)))
		return -1;
	/* ?usage_context=... removes only the links with that value */
	const char *params[2 + 16] = {owner_id, target_id};
	int np = 2;
	slate_buf sql = SLATE_BUF_INIT;
	slate_buf_addf(&sql,
		       "DELETE FROM %s l WHERE l.%s = $1::uuid AND l.%s = "
		       "$2::uuid",
		       l->table, l->owner_field, l->target_field);
	for (size_t i = 0; l->query[i] && np < 18; i++) {
		const char *v = slate_req_query(r, l->query[i]);
		if (!v)
			continue;
		slate_buf_addf(&sql, " AND l.%s = $%d", l->query[i], np + 1);
		params[np++] = v;
	}
	slate_buf_addf(&sql, " RETURNING l.%s::text", l->id_column);
	slate_result *res =
	    sql.oom ? NULL : slate_db_exec_req(r, sql.data, np, params);
	slate_buf_release(&sql);
	if (!res)
		return slate_res_db_error(r);
	int n = slate_db_rows(res);
	if (n == 0)
		return slate_res_error(r, 404, "NOT_FOUND", l->target_param,
				       "This %s is not linked to this %s",
				       t->name, o->name);
	for (int i = 0; i < n; i++)
		if (slate_audit_write(r, o->name, owner_id, "unlink", t->name,
				      target_id, NULL))
			return slate_res_db_error(r);
	slate_req_event_emit(r, "entity.unlinked",
			     json_pack("{s:s, s:s, s:s, s:s}", "entity_type",
				       o->name, "id", owner_id, "target_type",
				       t->name, "target_id", target_id));
	return slate_res_json(r, 200,
			      json_pack("{s:s, s:s, s:i}", l->owner_field,
					owner_id, l->target_field, target_id,
					"removed", n));
}

static void link_free(slate_link *l)
{
	free(l->table);
	free(l->id_column);
	free(l->owner_entity);
	free(l->owner_field);
	free(l->target_entity);
	free(l->target_field);
	free(l->target_param);
	free(l->collection_path);
	free(l->usage_path);
	free(l->fields);
	free(l->body);
	free(l->query);
	free(l);
}

void slate_links_truncate(slate_core *core, size_t n)
{
	while (core->nlinks > n)
		link_free(core->links[--core->nlinks]);
}

void slate_links_release(slate_core *core)
{
	slate_links_truncate(core, 0);
	free(core->links);
	core->links = NULL;
}

static int add(slate_core *core, const slate_link *l, const char *method,
	       const char *path, slate_handler_fn fn, slate_perm perm,
	       uint32_t body, const char *summary, char *err, size_t errlen)
{
	slate_route rt;
	memset(&rt, 0, sizeof(rt));
	rt.method = (char *)method;
	rt.path = (char *)path;
	rt.handler = fn;
	rt.ud = (void *)l;
	rt.perm = perm;
	rt.summary = (char *)summary;
	rt.body_mode = body;
	rt.owner = l->owner;
	rt.self_checks = true;
	return slate_router_add(core->router, &rt, err, errlen);
}

int slate_link_register(slate_core *core, const char *owner,
			const slate_link_def *def, char *err, size_t errlen)
{
	if (!def || def->struct_size < sizeof(slate_link_def) ||
	    !slate_ident_valid(def->table) ||
	    !slate_ident_valid(def->id_column) ||
	    !slate_ident_valid(def->owner_field) ||
	    !slate_ident_valid(def->target_field) || !def->owner_entity ||
	    !def->target_entity || !def->target_param ||
	    !def->collection_path || !def->usage_path) {
		snprintf(err, errlen,
			 "link: every name and both paths are required");
		return -1;
	}
	slate_link **list =
	    realloc(core->links, (core->nlinks + 1) * sizeof(*list));
	slate_link *l = list ? calloc(1, sizeof(*l)) : NULL;
	if (list)
		core->links = list;
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	core->links[core->nlinks++] = l; /* freed with the core either way */
	l->owner = owner;
	l->table = strdup(def->table);
	l->id_column = strdup(def->id_column);
	l->owner_entity = strdup(def->owner_entity);
	l->owner_field = strdup(def->owner_field);
	l->target_entity = strdup(def->target_entity);
	l->target_field = strdup(def->target_field);
	l->target_param = strdup(def->target_param);
	l->collection_path = strdup(def->collection_path);
	l->usage_path = strdup(def->usage_path);
	l->nfields = def->n_fields;
	l->fields = slate_fields_import(def->fields, def->n_fields,
					def->field_size, err, errlen);
	if (!l->fields)
		return -1;
	l->body = calloc(l->nfields + 1, sizeof(*l->body));
	l->query = calloc(l->nfields + 1, sizeof(char *));
	if (!l->body || !l->query) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->body[0].name = l->target_field;
	l->body[0].type = SLATE_T_UUID;
	l->body[0].flags = SLATE_F_REQUIRED;
	size_t nq = 0;
	for (size_t i = 0; i < l->nfields; i++) {
		l->body[i + 1] = l->fields[i];
		if (l->fields[i].type == SLATE_T_TEXT)
			l->query[nq++] = l->fields[i].name;
	}
	l->nbody = l->nfields + 1;

	char item[600], summary[200];
	snprintf(item, sizeof(item), "%s/:%s", l->collection_path,
		 l->target_param);
	snprintf(summary, sizeof(summary), "Link a %s to a %s",
		 l->target_entity, l->owner_entity);
	if (add(core, l, "POST", l->collection_path, h_link, SLATE_PERM_WRITE,
		SLATE_BODY_ANY_JSON, summary, err, errlen))
		return -1;
	snprintf(summary, sizeof(summary), "List the %ss of a %s",
		 l->target_entity, l->owner_entity);
	if (add(core, l, "GET", l->collection_path, h_list_links,
		SLATE_PERM_READ, SLATE_BODY_NONE, summary, err, errlen))
		return -1;
	snprintf(summary, sizeof(summary), "Unlink a %s from a %s",
		 l->target_entity, l->owner_entity);
	if (add(core, l, "DELETE", item, h_unlink, SLATE_PERM_WRITE,
		SLATE_BODY_NONE, summary, err, errlen))
		return -1;
	snprintf(summary, sizeof(summary), "The %ss using a %s",
		 l->owner_entity, l->target_entity);
	return add(core, l, "GET", l->usage_path, h_usage, SLATE_PERM_READ,
		   SLATE_BODY_NONE, summary, err, errlen);
}
