/* register.c - see register.h. */
#include "entity/register.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "entity/engine.h"
#include "entity/file_target.h"
#include "entity/read.h"
#include "entity/write.h"
#include "http/request.h"
#include "http/router.h"
#include "http/validate.h"

static int copy_views(slate_entity *e, const slate_entity_def *def, char *err,
		      size_t errlen)
{
	if (!def->views || !def->n_views)
		return 0;
	size_t vsize = def->view_size ? def->view_size : sizeof(slate_view);
	if (vsize < sizeof(slate_view))
		return slate_errf(err, errlen,
				  "view element size %zu too small", vsize);
	e->views = calloc(def->n_views, sizeof(*e->views));
	if (!e->views)
		return slate_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < def->n_views; i++) {
		const slate_view *v =
		    (const slate_view *)((const char *)def->views + i * vsize);
		slate_entity_view *ev = &e->views[e->nviews++];
		if (!slate_ident_valid(v->suffix) && v->suffix &&
		    strspn(v->suffix, "abcdefghijklmnopqrstuvwxyz-") !=
			strlen(v->suffix))
			return slate_errf(
			    err, errlen, "view suffix '%s' invalid", v->suffix);
		ev->suffix = strdup(v->suffix);
		size_t n = 0;
		while (v->fields && v->fields[n])
			n++;
		ev->fields = calloc(n ? n : 1, sizeof(size_t));
		if (!ev->suffix || !ev->fields)
			return slate_errf(err, errlen, "out of memory");
		for (size_t k = 0; k < n; k++) {
			const slate_field *f =
			    slate_entity_field(e, v->fields[k]);
			if (!f)
				return slate_errf(err, errlen,
						  "view %s: unknown field %s",
						  v->suffix, v->fields[k]);
			ev->fields[ev->nfields++] = (size_t)(f - e->fields);
		}
	}
	return 0;
}

static int build_sql(slate_entity *e, char *err, size_t errlen)
{
	/* row_to_json over a sub-select: compact JSON in field order, with
	 * none of json_build_object's spacing or argument limit */
	slate_buf b = SLATE_BUF_INIT;
	size_t cols = 0;
	slate_buf_add(&b, "(SELECT row_to_json(x) FROM (SELECT ");
	for (size_t i = 0; i < e->nfields; i++) {
		if (e->fields[i].flags & SLATE_F_SECRET)
			continue;
		slate_buf_addf(&b, "%st.%s", cols++ ? ", " : "",
			       e->fields[i].name);
	}
	slate_buf_add(&b, ") x)");
	e->sql_object = slate_buf_detach(&b);
	if (!e->sql_object)
		return slate_errf(err, errlen, "out of memory");
	if (e->seq &&
	    asprintf(&e->sql_seq_get,
		     "SELECT %s::text, t.%s::text FROM %s t WHERE t.%s = "
		     "$1::uuid AND t.%s = $2::integer AND t.deleted_at IS NULL",
		     e->sql_object, e->id_column, e->table, e->parent->name,
		     e->seq->name) < 0)
		return slate_errf(err, errlen, "out of memory");
	if (asprintf(&e->sql_get,
		     "SELECT %s::text FROM %s t WHERE t.%s = $1::uuid AND "
		     "t.deleted_at IS NULL",
		     e->sql_object, e->table, e->id_column) < 0 ||
	    asprintf(&e->sql_delete,
		     "UPDATE %s SET deleted_at = now() WHERE %s = $1::uuid AND "
		     "deleted_at IS NULL RETURNING to_json(deleted_at)#>>'{}'",
		     e->table, e->id_column) < 0)
		return slate_errf(err, errlen, "out of memory");
	/* The search document, in field order; the episodes one is exactly
	 * the expression of the seed's idx_episodes_fts, so it is used. */
	slate_buf doc = SLATE_BUF_INIT;
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		if (!(f->flags & SLATE_F_SEARCH))
			continue;
		if (doc.len)
			slate_buf_add(&doc, " || ' ' || ");
		if (f->type == SLATE_T_TEXT_ARRAY)
			slate_buf_addf(&doc,
				       "coalesce(slate_array_text(t.%s), "
				       "'')",
				       f->name);
		else if (f->type == SLATE_T_TEXT)
			slate_buf_addf(&doc, "coalesce(t.%s,'')", f->name);
		else
			slate_buf_addf(&doc, "coalesce(t.%s::text,'')",
				       f->name);
	}
	if (e->search_path && !doc.len) {
		slate_buf_release(&doc);
		return slate_errf(
		    err, errlen,
		    "entity %s: a search path needs SLATE_F_SEARCH "
		    "fields",
		    e->name);
	}
	e->sql_doc = doc.len ? slate_buf_detach(&doc) : NULL;
	slate_buf_release(&doc);
	/* query parameters of lists and searches: paging, sorting, the
	 * search text, one per filter field, the plugin's filters */
	size_t n = 4;
	e->list_query = calloc(e->nfields + e->nfilters + 5, sizeof(char *));
	if (!e->list_query)
		return slate_errf(err, errlen, "out of memory");
	e->list_query[0] = "limit";
	e->list_query[1] = "offset";
	e->list_query[2] = "sort";
	e->list_query[3] = "q";
	/* a JSON object field filters only as "field.key" (engine.c):
	 * its bare name stays unknown, so ?shoes=red is a 400, not ignored */
	for (size_t i = 0; i < e->nfields; i++)
		if ((e->fields[i].flags & SLATE_F_FILTER) &&
		    e->fields[i].type != SLATE_T_JSON_OBJECT)
			e->list_query[n++] = e->fields[i].name;
	for (size_t i = 0; i < e->nfilters; i++)
		e->list_query[n++] = e->filters[i].name;
	return 0;
}

static int copy_filters(slate_entity *e, const slate_entity_def *def, char *err,
			size_t errlen)
{
	if (!def->filters || !def->n_filters)
		return 0;
	size_t size = def->filter_size;
	if (size < sizeof(slate_filter))
		return slate_errf(err, errlen,
				  "entity %s: filter size %zu too small",
				  e->name, size);
	e->filters = calloc(def->n_filters, sizeof(*e->filters));
	if (!e->filters)
		return slate_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < def->n_filters; i++) {
		const slate_filter *f =
		    (const slate_filter *)((const char *)def->filters +
					   i * size);
		const char *q = f->sql ? strstr(f->sql, "$?") : NULL;
		if (!slate_ident_valid(f->name) || !q || strstr(q + 2, "$?") ||
		    f->type < SLATE_T_TEXT || f->type > SLATE_T_NUMERIC)
			return slate_errf(
			    err, errlen,
			    "entity %s: filter %s needs a name, a type "
			    "and SQL with exactly one $?",
			    e->name, f->name ? f->name : "(null)");
		e->filters[e->nfilters++] = *f;
	}
	return 0;
}

/* Check the fields' references and pick the parent field. */
static int check_fields(slate_entity *e, const slate_entity_def *def,
			bool has_parent, char *err, size_t errlen)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const slate_field *f = &e->fields[i];
		if ((unsigned)f->on_delete > SLATE_REF_RESTRICT ||
		    (f->on_delete && !f->ref_entity))
			return slate_errf(
			    err, errlen,
			    "entity %s: field %s: on_delete needs a "
			    "ref_entity",
			    e->name, f->name);
	}
	if (!has_parent || (!def->parent_path && !def->parent_field))
		return 0;
	e->parent =
	    def->parent_field ? slate_entity_field(e, def->parent_field) : NULL;
	if (!def->parent_path || !e->parent || !e->parent->ref_entity ||
	    e->parent->type != SLATE_T_UUID ||
	    strncmp(def->parent_path, "/api/v1/", 8))
		return slate_errf(
		    err, errlen,
		    "entity %s: parent_path needs a parent_field that "
		    "is a UUID with ref_entity",
		    e->name);
	e->parent_path = strdup(def->parent_path);
	return e->parent_path ? 0 : slate_errf(err, errlen, "out of memory");
}

/* A path parameter name: a letter, then letters, digits or '_'. */
static bool param_name_valid(const char *s)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	return s && strchr(alnum, *s) && *s && !(*s >= '0' && *s <= '9') &&
	       *s != '_' && strspn(s, alnum) == strlen(s);
}

/* Sequence addressing (ABI 1.2): a read-only integer numbered per parent,
 * so the entity must be nested; patch-free views need an id in the path. */
static int check_seq(slate_entity *e, const slate_entity_def *def, char *err,
		     size_t errlen)
{
	e->created = def->created;
	e->deleting = def->deleting;
	if (!def->seq_field && !def->seq_param)
		return 0;
	const slate_field *f =
	    def->seq_field ? slate_entity_field(e, def->seq_field) : NULL;
	if (!f || f->type != SLATE_T_INT || !(f->flags & SLATE_F_READONLY) ||
	    !e->parent || !def->seq_param ||
	    !param_name_valid(def->seq_param) || e->nviews)
		return slate_errf(err, errlen,
				  "entity %s: seq_field needs a read-only "
				  "integer field, a seq_param, a parent_path "
				  "and no views",
				  e->name);
	e->seq = f;
	e->seq_param = strdup(def->seq_param);
	return e->seq_param ? 0 : slate_errf(err, errlen, "out of memory");
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
	if (e->seq) /* addressed by number under the parent */
		snprintf(item, sizeof(item), "%s/:%s", e->parent_path,
			 e->seq_param);
	else
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
	    {SLATE_OP_LIST, "GET", false, slate_entity_h_list, SLATE_PERM_READ,
	     SLATE_BODY_NONE, "List"},
	    {SLATE_OP_CREATE, "POST", false, slate_entity_h_create,
	     SLATE_PERM_WRITE, SLATE_BODY_ANY_JSON, "Create"},
	    {SLATE_OP_GET, "GET", true, slate_entity_h_get, SLATE_PERM_READ,
	     SLATE_BODY_NONE, "Get"},
	    {SLATE_OP_PATCH, "PATCH", true, slate_entity_h_patch,
	     SLATE_PERM_WRITE, SLATE_BODY_ANY_JSON, "Update"},
	    {SLATE_OP_DELETE, "DELETE", true, slate_entity_h_delete,
	     SLATE_PERM_ADMIN, SLATE_BODY_NONE, "Soft-delete"},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!(e->ops & ops[i].op))
			continue;
		snprintf(summary, sizeof(summary), "%s %s", ops[i].verb,
			 e->name);
		/* a nested entity lists and creates under its parent */
		const char *path = ops[i].on_item   ? item
				   : e->parent_path ? e->parent_path
						    : e->path;
		if (add_route(core, e, ops[i].method, path, ops[i].fn, e,
			      ops[i].perm, ops[i].body, summary, err, errlen))
			return -1;
	}
	if (e->search_path) {
		snprintf(summary, sizeof(summary), "Search %s", e->name);
		if (add_route(core, e, "GET", e->search_path,
			      slate_entity_h_search, e, SLATE_PERM_READ,
			      SLATE_BODY_NONE, summary, err, errlen))
			return -1;
	}
	for (size_t i = 0; i < e->nviews; i++) {
		slate_entity_view *vr = &e->views[i];
		vr->e = e;
		char vpath[600];
		snprintf(vpath, sizeof(vpath), "%s/%s", item,
			 e->views[i].suffix);
		snprintf(summary, sizeof(summary), "Get the %s of a %s",
			 e->views[i].suffix, e->name);
		if (add_route(core, e, "GET", vpath, slate_entity_h_view_get,
			      vr, SLATE_PERM_READ, SLATE_BODY_NONE, summary,
			      err, errlen))
			return -1;
		snprintf(summary, sizeof(summary), "Replace the %s of a %s",
			 e->views[i].suffix, e->name);
		if (add_route(core, e, "PUT", vpath, slate_entity_h_view_put,
			      vr, SLATE_PERM_WRITE, SLATE_BODY_ANY_JSON,
			      summary, err, errlen))
			return -1;
	}
	return 0;
}

int slate_entity_register(slate_core *core, const char *owner,
			  const slate_entity_def *def, char *err, size_t errlen)
{
	if (!def || def->struct_size <
			offsetof(slate_entity_def, ops) + sizeof(def->ops))
		return slate_errf(err, errlen, "entity definition too small");
	if (!def->name || !slate_ident_valid(def->table) ||
	    !slate_ident_valid(def->id_column) || !def->id_param ||
	    !def->path || strncmp(def->path, "/api/v1/", 8))
		return slate_errf(
		    err, errlen,
		    "entity %s: name, table, id_column, id_param and a "
		    "path under /api/v1/ are required",
		    def->name ? def->name : "(null)");
	if (slate_entity_find(core, def->name))
		return slate_errf(err, errlen, "entity %s: already declared",
				  def->name);
	slate_entity *e = calloc(1, sizeof(*e));
	if (!e)
		return slate_errf(err, errlen, "out of memory");
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
		/* def fields past `ops` exist only if the plugin's struct has
		 * them */
#define HAS(m)                                                                 \
	(def->struct_size >= offsetof(slate_entity_def, m) + sizeof(def->m))
	const char *sort = HAS(default_sort) && def->default_sort
			       ? def->default_sort
			       : "-created_at";
	e->sort_desc = sort[0] == '-';
	e->sort_column = strdup(e->sort_desc ? sort + 1 : sort);
	if (!slate_ident_valid(e->sort_column)) {
		slate_errf(err, errlen, "entity %s: bad default_sort", e->name);
		goto out;
	}
	if (HAS(view_size)) {
		if (copy_views(e, def, err, errlen))
			goto out;
	}
	if (HAS(ud)) {
		e->prepare = def->prepare;
		e->ud = def->ud;
	}
	if (check_fields(e, def, HAS(parent_field), err, errlen))
		goto out;
	if (HAS(search_path) && def->search_path) {
		if (strncmp(def->search_path, "/api/v1/", 8)) {
			slate_errf(err, errlen, "entity %s: bad search_path",
				   e->name);
			goto out;
		}
		e->search_path = strdup(def->search_path);
	}
	if (HAS(filter_size) && copy_filters(e, def, err, errlen))
		goto out;
	if (HAS(deleting) && check_seq(e, def, err, errlen))
		goto out;
	/* a def built before ABI 1.2 ends earlier: no file targets */
	if (HAS(file_target_size) &&
	    slate_file_target_import(e, def->file_targets, def->n_file_targets,
				     def->file_target_size, err, errlen))
		goto out;
#undef HAS
	if (!slate_entity_field(e, e->id_column)) {
		slate_errf(err, errlen,
			   "entity %s: id column %s is not a field", e->name,
			   e->id_column);
		goto out;
	}
	if (build_sql(e, err, errlen))
		goto out;
	slate_entity **list =
	    realloc(core->entities, (core->nentities + 1) * sizeof(*list));
	if (!list) {
		slate_errf(err, errlen, "out of memory");
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
