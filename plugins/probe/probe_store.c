/*
 * probe_store.c - where a probe result goes, and the route that serves it.
 *
 * In one task (actor "probe"): the entity's own fields that it has -
 * duration_seconds (whole seconds, rounded to nearest; the exact figure is
 * in the result), timecode_in, timecode_out, file_size_bytes - and the
 * whole result as metadata.probe where the entity has a metadata object,
 * all through host->entity_patch so they are validated and audited like
 * any edit; and the result in media_probes, served by
 * GET /api/v1/probe/:entityType/:entityId for every entity type.
 *
 * A timecode the file does not carry leaves timecode_in/out as they are
 * (an editor may have typed them). A job for a file the entity no longer
 * holds, or for a deleted entity, writes nothing.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static const char *str_of(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Put `value` (stolen) under `field` in changes when the entity has the
 * field and the row holds something else. */
static void change(json_t *changes, const slate_file *f, const json_t *row,
		   const char *field, json_t *value)
{
	if (value && !json_is_null(value) &&
	    host->entity_has_field(probe_self, f->entity_type, field) &&
	    !json_equal(json_object_get(row, field), value))
		json_object_set_new(changes, field, value);
	else
		json_decref(value);
}

/* What the result changes on the entity row, as a new object. */
static json_t *entity_changes(const slate_file *f, const json_t *row,
			      const json_t *r)
{
	json_t *c = json_object();
	if (!c)
		return NULL;
	/* Duration, timecodes and size describe the entity's own media (its
	 * file_reference), not a file attached beside it: an episode's
	 * trailer must not become the episode's duration. */
	bool own = !strcmp(f->field, "file_reference");
	json_t *us = json_object_get(r, "duration_us");
	if (own && json_is_integer(us) && json_integer_value(us) >= 0 &&
	    json_integer_value(us) / 1000000 < INT32_MAX)
		change(
		    c, f, row, "duration_seconds",
		    json_integer((json_integer_value(us) + 500000) / 1000000));
	const json_t *tc = json_object_get(r, "timecode");
	if (own) {
		change(c, f, row, "timecode_in",
		       json_incref(json_object_get(tc, "in")));
		change(c, f, row, "timecode_out",
		       json_incref(json_object_get(tc, "out")));
		change(c, f, row, "file_size_bytes",
		       json_incref(json_object_get(r, "file_size_bytes")));
	}
	const json_t *meta = json_object_get(row, "metadata");
	if (json_is_object(meta) || json_is_null(meta) || !meta) {
		json_t *m = json_is_object(meta) ? json_copy((json_t *)meta)
						 : json_object();
		if (m && json_object_set(m, "probe", (json_t *)r) == 0)
			change(c, f, row, "metadata", m);
		else
			json_decref(m);
	}
	return c;
}

/* Insert or replace the entity field's result; whether it differs from
 * what was there (true for a new row) comes back, so that only a change
 * is audited. */
static const char sql_upsert[] =
    "WITH old AS (SELECT result FROM media_probes WHERE entity_type = $1 "
    "AND entity_id = $2::uuid AND field = $3) "
    "INSERT INTO media_probes (entity_type, entity_id, field, store, "
    "object_key, result) VALUES ($1, $2::uuid, $3, $4, $5, $6::jsonb) "
    "ON CONFLICT (entity_type, entity_id, field) DO UPDATE SET store = "
    "EXCLUDED.store, object_key = EXCLUDED.object_key, result = "
    "EXCLUDED.result, probed_at = now() "
    "RETURNING (SELECT result FROM old) IS DISTINCT FROM $6::jsonb";

/* One line for the audit row: what kind of media this is. */
static void summary(const json_t *r, char *out, size_t len)
{
	const json_t *res = json_object_get(r, "resolution");
	const json_t *tc = json_object_get(r, "timecode");
	char size[48] = "", tcs[48] = "";
	if (json_is_object(res))
		snprintf(size, sizeof(size),
			 " %" JSON_INTEGER_FORMAT "x%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(res, "width")),
			 json_integer_value(json_object_get(res, "height")));
	if (json_is_object(tc))
		snprintf(tcs, sizeof(tcs), " %s-%s", str_of(tc, "in"),
			 str_of(tc, "out"));
	snprintf(out, len, "%s %.3fs%s%s", str_of(r, "container"),
		 json_number_value(json_object_get(r, "duration_seconds")),
		 size, tcs);
}

/* The task's writes; with `patch` false only media_probes. 0 written, 1
 * nothing to write, -1 error (why set), -2 when the entity refused the
 * values (a file claiming a duration beyond the field's range): no
 * statement failed, so writing again without them will do. */
static int store_in(slate_req *t, const slate_file *f, const json_t *r,
		    bool patch, char *why, size_t len)
{
	json_t *row = NULL, *changes = NULL, *updated = NULL;
	char *text = NULL;
	int live = host->file_is_current(t, f, &row);
	if (live < 0)
		snprintf(why, len, "reading the entity: %s",
			 host->req_error(t) ? host->req_error(t) : "error");
	if (live <= 0)
		return live < 0 ? -1 : 1;
	int rc = -1;
	changes = entity_changes(f, row, r);
	if (!changes) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	if (patch && json_object_size(changes) &&
	    host->entity_patch(t, f->entity_type, f->entity_id, changes,
			       &updated)) {
		snprintf(why, len, "updating the %s: %s", f->entity_type,
			 host->req_error(t) ? host->req_error(t) : "error");
		rc = *host->db_sqlstate(t) ? -1 : -2;
		goto out;
	}
	/* 15 digits: 10.01 stays 10.01 in the stored JSON */
	text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(15));
	const char *p[6] = {f->entity_type, f->entity_id, f->field,
			    f->store,	    f->key,	  text};
	slate_result *res = text ? host->db_exec(t, sql_upsert, 6, p) : NULL;
	if (!res) {
		snprintf(why, len, "writing media_probes: SQLSTATE %s",
			 host->db_sqlstate(t));
		goto out;
	}
	const char *changed = host->db_value(res, 0, 0);
	char line[256];
	summary(r, line, sizeof(line));
	if (changed && !strcmp(changed, "t") &&
	    host->audit(t, f->entity_type, f->entity_id, "probe", f->field,
			NULL, line)) {
		snprintf(why, len, "writing the audit row");
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(updated);
	json_decref(changes);
	json_decref(row);
	return rc;
}

/* One task of store_in; its result, with -1 also when no connection came
 * or the commit failed. */
static int store_task(const slate_file *f, const json_t *r, bool patch,
		      char *why, size_t len)
{
	slate_req *t = host->task_begin(probe_self, "probe");
	if (!t) {
		snprintf(why, len, "no database connection");
		return -1;
	}
	int rc = store_in(t, f, r, patch, why, len);
	if (host->task_end(t, rc == 0) && rc == 0) {
		snprintf(why, len, "the commit failed");
		return -1;
	}
	return rc;
}

int probe_store(slate_job *job, const slate_file *f, const json_t *result)
{
	char why[512] = "";
	int rc = store_task(f, result, true, why, sizeof(why));
	if (rc == -2) {
		/* keep the result where it is served, and say why the entity
		 * has none of it: retrying would be refused the same way */
		host->log(probe_self, SLATE_LOG_WARN,
			  "%s %s kept its fields: %s; the probe result is in "
			  "media_probes only",
			  f->entity_type, f->entity_id, why);
		rc = store_task(f, result, false, why, sizeof(why));
	}
	if (rc < 0)
		return host->job_fail(job, "cannot record the probe of %s: %s",
				      f->key, why);
	return 0;
}

/* ---- GET /api/v1/probe/:entityType/:entityId --------------------------- */

/* The entity's result for ?field=, or its latest one. */
static const char sql_get[] =
    "SELECT json_build_object('entity_type', entity_type, 'entity_id', "
    "entity_id, 'field', field, 'key', object_key, 'result', result, "
    "'probed_at', probed_at) FROM media_probes WHERE entity_type = $1 AND "
    "entity_id = $2::uuid AND ($3::text IS NULL OR field = $3) ORDER BY "
    "probed_at DESC LIMIT 1";

static int h_get(slate_req *req, void *ud)
{
	(void)ud;
	const char *type = host->req_param(req, "entityType");
	const char *id = host->req_param(req, "entityId");
	const char *field = host->req_query(req, "field");
	if (!host->entity_has_field(probe_self, type, NULL))
		return host->res_error(req, 404, "NOT_FOUND", "entityType",
				       "No entity type '%s'", type);
	if (field && !host->entity_has_field(probe_self, type, field))
		return host->res_error(req, 400, "VALIDATION_ERROR", "field",
				       "A %s has no field '%s'", type, field);
	if (host->entity_require(req, type, id, "entityId"))
		return -1;
	const char *p[3] = {type, id, field};
	slate_result *res = host->db_exec(req, sql_get, 3, p);
	if (!res)
		return host->res_db_error(req);
	if (host->db_rows(res) == 0)
		return host->res_error(req, 404, "NOT_FOUND", "entityId",
				       "No probe result for %s %s yet", type,
				       id);
	const char *json = host->db_value(res, 0, 0);
	return host->res_raw(req, 200, json, strlen(json));
}

static const char *const get_query[] = {"field", NULL};

const slate_route_def probe_route_get = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/probe/:entityType/:entityId",
    .handler = h_get,
    .perm = SLATE_PERM_READ,
    .summary = "The media probe result of an entity's file",
    .query = get_query,
    .body_mode = SLATE_BODY_NONE,
};
