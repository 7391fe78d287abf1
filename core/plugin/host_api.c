/*
 * host_api.c - the host table. Plugin-scoped functions find the core through
 * the plugin handle; request-scoped ones are the request module's own
 * functions, so core handlers and plugin handlers share one implementation.
 */
#include "plugin/host_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/plugin_record.h"
#include "base/util.h"
#include "entity/engine.h"
#include "entity/link.h"
#include "entity/register.h"
#include "entity/write.h"
#include "files/files.h"
#include "http/req_db.h"
#include "http/req_events.h"
#include "http/request.h"
#include "http/router.h"
#include "http/validate.h"
#include "jobs/jobs.h"
#include "jobs/pipeline.h"
#include "jobs/task.h"

/* The request id comes from the thread: dispatch and tasks bind it while
 * they run plugin code, so a plugin's line names its request. */
static void h_log(slate_plugin *p, slate_log_level level, const char *fmt, ...)
    SLATE_PRINTF(3, 4);
static void h_log(slate_plugin *p, slate_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_logv(level, p ? p->id : "plugin", slate_log_bound_request(), fmt,
		   ap);
	va_end(ap);
}

static const json_t *h_config(slate_plugin *p)
{
	return slate_config_plugin_section(p->core->cfg, p->id);
}

static int h_route_add(slate_plugin *p, const slate_route_def *def)
{
	char err[512];
	slate_route rt;
	memset(&rt, 0, sizeof(rt));
	if (!def || def->struct_size < offsetof(slate_route_def, summary)) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL,
			  "route_add: definition too small");
		return -1;
	}
#define HAS(m)                                                                 \
	(def->struct_size >= offsetof(slate_route_def, m) + sizeof(def->m))
	rt.method = (char *)def->method;
	rt.path = (char *)def->path;
	rt.handler = def->handler;
	rt.ud = def->ud;
	rt.perm = def->perm;
	rt.summary = HAS(summary) ? (char *)def->summary : NULL;
	rt.query = HAS(query) ? def->query : NULL;
	rt.body_mode = HAS(body_mode) ? def->body_mode : SLATE_BODY_NONE;
	rt.owner = p->id;
	if (rt.body_mode > SLATE_BODY_ANY_JSON) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL,
			  "route %s %s: unknown body_mode %u", def->method,
			  def->path, rt.body_mode);
		return -1;
	}
	if (rt.body_mode == SLATE_BODY_FIELDS && HAS(body_field_size)) {
		rt.body =
		    slate_fields_import(def->body, def->n_body,
					def->body_field_size, err, sizeof(err));
		if (!rt.body) {
			slate_log(SLATE_LOG_ERROR, p->id, NULL,
				  "route %s %s: %s", def->method, def->path,
				  err);
			return -1;
		}
		rt.n_body = def->n_body;
	} else if (rt.body_mode == SLATE_BODY_FIELDS) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL,
			  "route %s %s: body fields declared without sizes",
			  def->method, def->path);
		return -1;
	}
#undef HAS
	if (slate_router_add(p->core->router, &rt, err, sizeof(err))) {
		free(rt.body);
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "%s", err);
		return -1;
	}
	return 0;
}

static int h_entity_add(slate_plugin *p, const slate_entity_def *def)
{
	char err[512];
	if (slate_entity_register(p->core, p->id, def, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "entity_add: %s", err);
		return -1;
	}
	return 0;
}

static int h_link_add(slate_plugin *p, const slate_link_def *def)
{
	char err[512];
	if (slate_link_register(p->core, p->id, def, err, sizeof(err))) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "link_add: %s", err);
		return -1;
	}
	return 0;
}

static int h_entity_patch(slate_req *r, const char *entity, const char *id,
			  const json_t *changes, json_t **row_out)
{
	*row_out = NULL;
	const slate_entity *e = slate_entity_find(r->core, entity);
	if (!e)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Unknown entity %s", entity);
	if (!id || !slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", e->id_param,
				       "'%s' must be a UUID", e->id_param);
	return slate_entity_patch(r, e, id, changes, row_out);
}

static int h_event_subscribe(slate_plugin *p, const char *event,
			     slate_event_fn fn, void *ud)
{
	return slate_core_subscribe(p->core, p->id, event, fn, ud);
}

static int h_res_error(slate_req *r, unsigned status, const char *code,
		       const char *field, const char *fmt, ...)
    SLATE_PRINTF(5, 6);
static int h_res_error(slate_req *r, unsigned status, const char *code,
		       const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_res_errorv(r, status, code, field, fmt, ap);
	va_end(ap);
	return -1;
}

static int h_job_handler_add(slate_plugin *p, const char *kind, slate_job_fn fn,
			     void *ud)
{
	return slate_jobs_handler_add(p, kind, fn, ud);
}

/* ---- ABI 1.1 ------------------------------------------------------------ */

static slate_req *h_task_begin(slate_plugin *p, const char *actor)
{
	return slate_task_begin(p->core, p->id, actor);
}

/* The entity called `entity` with `id` checked, or NULL after answering. */
static const slate_entity *entity_and_id(slate_req *r, const char *entity,
					 const char *id)
{
	const slate_entity *e = slate_entity_find(r->core, entity);
	if (!e) {
		slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				"Unknown entity %s",
				entity ? entity : "(null)");
		return NULL;
	}
	if (!id || !slate_uuid_valid(id)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", e->id_param,
				"'%s' must be a UUID", e->id_param);
		return NULL;
	}
	return e;
}

static int h_entity_create(slate_req *r, const char *entity, const json_t *body,
			   json_t **row_out)
{
	*row_out = NULL;
	const slate_entity *e = slate_entity_find(r->core, entity);
	if (!e)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Unknown entity %s",
				       entity ? entity : "(null)");
	return slate_entity_create(r, e, body, row_out);
}

static int h_entity_get(slate_req *r, const char *entity, const char *id,
			json_t **row_out)
{
	*row_out = NULL;
	const slate_entity *e = entity_and_id(r, entity, id);
	if (!e)
		return -1;
	slate_result *row = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_entity_not_found(r, e, id);
	*row_out = slate_entity_parse(slate_db_value(row, 0, 0));
	return *row_out ? 0 : -1;
}

static int h_entity_require(slate_req *r, const char *entity, const char *id,
			    const char *field)
{
	const slate_entity *e =
	    entity ? slate_entity_find(r->core, entity) : NULL;
	if (!e)
		return slate_res_error(r, 404, "NOT_FOUND", field,
				       "No entity type '%s'",
				       entity ? entity : "");
	if (!id || !slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", field,
				       "'%s' must be a UUID", field);
	int live = slate_entity_exists(r, e, id);
	if (live == 0)
		return slate_res_error(r, 404, "NOT_FOUND", field,
				       "No %s with id %s", e->name, id);
	return live > 0 ? 0 : -1;
}

static int h_entity_has_field(slate_plugin *p, const char *entity,
			      const char *field)
{
	const slate_entity *e =
	    entity ? slate_entity_find(p->core, entity) : NULL;
	return e && (!field || slate_entity_field(e, field));
}

static const char *h_process_role(slate_plugin *p)
{
	return p->core->worker ? "worker" : "api";
}

static int h_processor_add(slate_plugin *p, const slate_processor_def *def)
{
	return slate_pipeline_add(p, def);
}

static int h_job_reject(slate_job *job, const char *fmt, ...)
    SLATE_PRINTF(2, 3);
static int h_job_reject(slate_job *job, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_job_rejectv(job, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- ABI 1.2 ------------------------------------------------------------ */

static int h_uuid_valid(const char *s)
{
	return s && slate_uuid_valid(s);
}

static int h_entity_emit(slate_req *r, const char *entity, const char *what,
			 const char *id)
{
	const slate_entity *e =
	    entity ? slate_entity_find(r->core, entity) : NULL;
	if (!e || !what || !id)
		return -1;
	slate_entity_emit(r, e, what, id);
	return 0;
}

static int h_entity_at(slate_req *r, const char *entity, json_t **row_out)
{
	*row_out = NULL;
	const slate_entity *e =
	    entity ? slate_entity_find(r->core, entity) : NULL;
	if (!e)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Unknown entity %s",
				       entity ? entity : "(null)");
	const char *json, *id;
	if (slate_entity_locate(r, e, r->want_tx, &json, &id))
		return -1;
	*row_out = slate_entity_parse(json);
	return *row_out ? 0 : -1;
}

static int h_entity_check_value(slate_plugin *p, const char *entity,
				const char *field, const json_t *value,
				char *why, size_t whylen)
{
	const slate_entity *e =
	    entity ? slate_entity_find(p->core, entity) : NULL;
	const slate_field *f = e && field ? slate_entity_field(e, field) : NULL;
	if (!f) {
		snprintf(why, whylen, "no entity %s with a field %s is served",
			 entity ? entity : "(null)", field ? field : "(null)");
		return -1;
	}
	if (!value || json_is_null(value)) {
		snprintf(why, whylen, "required");
		return -1;
	}
	return slate_validate_value(f, value, why, whylen) ? -1 : 0;
}

static void h_req_log(slate_plugin *p, slate_req *r, slate_log_level level,
		      const char *fmt, ...) SLATE_PRINTF(4, 5);
static void h_req_log(slate_plugin *p, slate_req *r, slate_log_level level,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_logv(level, p ? p->id : "plugin", r ? r->request_id : NULL, fmt,
		   ap);
	va_end(ap);
}

static const slate_host host = {
    .struct_size = sizeof(slate_host),
    .abi_major = SLATE_ABI_MAJOR,
    .abi_minor = SLATE_ABI_MINOR,
    .log = h_log,
    .config = h_config,
    .route_add = h_route_add,
    .entity_add = h_entity_add,
    .event_subscribe = h_event_subscribe,
    .req_param = slate_req_param,
    .req_query = slate_req_query,
    .req_header = slate_req_header,
    .req_body = slate_req_body,
    .req_id = slate_req_id,
    .res_json = slate_res_json,
    .res_raw = slate_res_raw,
    .res_error = h_res_error,
    .res_meta = slate_res_meta,
    .res_header = slate_res_header,
    .db_exec = slate_db_exec_req,
    .db_rows = slate_db_rows,
    .db_value = slate_db_value,
    .db_sqlstate = slate_db_sqlstate,
    .alloc = slate_req_alloc,
    .audit = slate_audit_write,
    .event_emit = slate_req_event_emit,
    .link_add = h_link_add,
    .entity_patch = h_entity_patch,
    /* ---- jobs ---- */
    .job_handler_add = h_job_handler_add,
    .job_enqueue = slate_jobs_enqueue,
    .job_id = slate_job_id,
    .job_kind = slate_job_kind,
    .job_payload = slate_job_payload,
    .job_entity_type = slate_job_entity_type,
    .job_entity_id = slate_job_entity_id,
    .job_attempt = slate_job_attempt,
    .job_fail = slate_job_fail,
    .job_db_exec = slate_job_db_exec,
    /* ---- ABI 1.1 ---- */
    .task_begin = h_task_begin,
    .task_end = slate_task_end,
    .req_error = slate_req_error,
    .entity_create = h_entity_create,
    .entity_get = h_entity_get,
    .entity_has_field = h_entity_has_field,
    .file_open = slate_files_h_open,
    .file_put = slate_files_h_put,
    .file_put_fd = slate_files_h_put_fd,
    .file_delete = slate_files_h_delete,
    .res_file = slate_download_serve,
    .file_attach = slate_files_h_attach,
    .file_current = slate_files_h_current,
    .processor_add = h_processor_add,
    .pipeline_enqueue = slate_pipeline_enqueue,
    .job_reject = h_job_reject,
    .job_file = slate_pipeline_job_file,
    .file_is_current = slate_files_h_is_current,
    .job_file_open = slate_files_h_job_open,
    .entity_require = h_entity_require,
    .process_role = h_process_role,
    /* ---- ABI 1.2 ---- */
    .uuid_valid = h_uuid_valid,
    .req_query_int = slate_req_query_int,
    .res_db_error = slate_res_db_error,
    .res_page = slate_res_page,
    .entity_emit = h_entity_emit,
    .entity_at = h_entity_at,
    .entity_check_value = h_entity_check_value,
    .req_log = h_req_log,
};

const slate_host *slate_host_table(void)
{
	return &host;
}
