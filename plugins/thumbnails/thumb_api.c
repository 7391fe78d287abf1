/*
 * thumb_api.c - the seed's /thumbnails routes.
 *
 *   POST /api/v1/thumbnails/generate                       {entity_type,
 * entity_id} POST /api/v1/thumbnails/:entityType/:entityId/regenerate GET
 * /api/v1/thumbnails/:entityType/:entityId           the rows GET
 * /api/v1/thumbnails/:entityType/:entityId/:sizeVariant  the JPEG
 *
 * entityType is the entity's name as everywhere in the API (clip, episode,
 * outfit, background, ui_element, component). Generating marks the rows
 * pending and queues the thumbnail job for the entity's stored file in the
 * request's transaction (202 with the job); an entity with no stored file,
 * or one whose file has no thumbnails (audio), is 409: the request is fine
 * but the entity's state does not allow it. An image is served while its
 * row has been generated once and is not 'failed' (so a regeneration in
 * progress keeps serving the previous one); with S3 it is a redirect.
 */
#include <stdio.h>
#include <string.h>

#include "thumb.h"

#define host thumb_host

/* "clip, episode, ..." of the entity types with thumbnails served now. */
static const char *served_types(char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; thumb_entity_names[i] && o < len; i++)
		if (host->entity_has_field(thumb_self, thumb_entity_names[i],
					   NULL))
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      thumb_entity_names[i]);
	return buf;
}

/* The entity type `etype` if it has thumbnails and its plugin is enabled;
 * NULL after answering `status` naming `field`. */
static const thumb_entity *entity_type_of(slate_req *req, const char *etype,
					  unsigned status, const char *code,
					  const char *field)
{
	const thumb_entity *te = thumb_entity_find(etype);
	if (te && host->entity_has_field(thumb_self, te->name, NULL))
		return te;
	char list[128];
	host->res_error(req, status, code, field,
			"'%s' is not an entity type with thumbnails (one of: "
			"%s)",
			etype ? etype : "", served_types(list, sizeof(list)));
	return NULL;
}

/* The entity of the path: its type, and its id checked as a UUID. NULL
 * after the error was set. */
static const thumb_entity *path_entity(slate_req *req, const char **id)
{
	const thumb_entity *te =
	    entity_type_of(req, host->req_param(req, "entityType"), 404,
			   "NOT_FOUND", "entityType");
	*id = host->req_param(req, "entityId");
	if (te && !host->uuid_valid(*id)) {
		host->res_error(req, 400, "VALIDATION_ERROR", "entityId",
				"'entityId' must be a UUID");
		return NULL;
	}
	return te;
}

/* 0 when the entity is live; -1 after the 400/404 naming `field`. */
static int entity_live(slate_req *req, const thumb_entity *te, const char *id,
		       const char *field)
{
	return host->entity_require(req, te->name, id, field);
}

/* The entity's rows as a JSON array text, largest first. NULL after the
 * error was set. */
static const char *rows_json(slate_req *req, const char *etype, const char *id)
{
	const char *p[2] = {etype, id};
	slate_result *res = host->db_exec(
	    req,
	    "SELECT coalesce(json_agg(json_build_object('thumbnail_id', "
	    "thumbnail_id, 'entity_type', entity_type, 'entity_id', "
	    "entity_id, 'size_variant', size_variant, 'file_reference', "
	    "file_reference, 'width', width, 'height', height, "
	    "'file_size_bytes', file_size_bytes, 'source_type', source_type, "
	    "'source_reference', source_reference, 'status', status, "
	    "'error_message', error_message, 'created_at', created_at, "
	    "'processed_at', processed_at, 'url', '/api/v1/thumbnails/' || "
	    "entity_type || '/' || entity_id || '/' || size_variant) ORDER BY "
	    "CASE size_variant WHEN 'primary' THEN 1 WHEN 'medium' THEN 2 "
	    "ELSE 3 END), '[]')::text FROM thumbnails WHERE entity_type = $1 "
	    "AND entity_id = $2::uuid",
	    2, p);
	if (!res) {
		host->res_db_error(req);
		return NULL;
	}
	return host->db_value(res, 0, 0);
}

/* New rows are pending at 0x0; existing ones keep their last figures (and
 * are served meanwhile) until the job replaces them. */
static const char sql_pending[] =
    "INSERT INTO thumbnails (entity_type, entity_id, size_variant, "
    "file_reference, width, height, source_type, source_reference, status) "
    "VALUES ($1, $2::uuid, $3, $4, 0, 0, $5, $6, 'pending') ON CONFLICT "
    "(entity_type, entity_id, size_variant) DO UPDATE SET status = "
    "'pending', error_message = NULL, source_type = EXCLUDED.source_type, "
    "source_reference = EXCLUDED.source_reference";

static int mark_pending(slate_req *req, const thumb_entity *te, const char *id,
			const char *source_type, const char *source_key)
{
	const char *before = NULL, *after = NULL;
	if (thumb_rows_summary(req, te->name, id, &before))
		return host->res_db_error(req);
	for (int i = 0; i < THUMB_NSIZES; i++) {
		char key[256];
		thumb_key(te, id, i, key, sizeof(key));
		const char *p[6] = {te->name, id,	   thumb_sizes[i].name,
				    key,      source_type, source_key};
		if (!host->db_exec(req, sql_pending, 6, p))
			return host->res_db_error(req);
	}
	if (thumb_rows_summary(req, te->name, id, &after))
		return host->res_db_error(req);
	if ((!before || strcmp(before, after)) &&
	    host->audit(req, te->name, id, "thumbnails", "thumbnails", before,
			after))
		return host->res_db_error(req);
	return 0;
}

/* The job `job_id` this request queued, as JSON text, or "null". */
static const char *queued_job(slate_req *req, const char *job_id)
{
	const char *p[1] = {job_id};
	slate_result *res = host->db_exec(
	    req,
	    "SELECT coalesce((SELECT json_build_object('job_id', job_id, "
	    "'kind', kind, 'status', status, 'created_at', created_at) FROM "
	    "jobs WHERE job_id = $1::uuid), 'null')::text",
	    1, p);
	return res ? host->db_value(res, 0, 0) : NULL;
}

/* Answer 202 with the job `job_id` (NULL: none was queued) and the rows.
 * -1 when the answer could not be built (an error is set when the
 * database failed). */
static int answer_queued(slate_req *req, const thumb_entity *te, const char *id,
			 const char *job_id)
{
	const char *job = job_id ? queued_job(req, job_id) : "null";
	if (!job)
		return host->res_db_error(req);
	const char *rows = rows_json(req, te->name, id);
	if (!rows)
		return -1;
	json_t *data = json_pack("{s:s, s:s, s:o, s:o}", "entity_type",
				 te->name, "entity_id", id, "job",
				 json_loads(job, JSON_DECODE_ANY, NULL),
				 "thumbnails", json_loads(rows, 0, NULL));
	if (!data)
		return -1;
	return host->res_json(req, 202, data);
}

/* Mark the rows pending and queue the job for the entity's stored file;
 * answer 202 with the job and the rows. */
static int queue_thumbnails(slate_req *req, const thumb_entity *te,
			    const char *id, const char *field)
{
	if (entity_live(req, te, id, field))
		return -1;
	json_t *file = NULL;
	if (host->file_current(req, te->name, id, te->field, &file))
		return -1;
	if (!file)
		return host->res_error(req, 409, "CONFLICT", NULL,
				       "This %s has no stored file to make "
				       "thumbnails from (%s is empty): upload "
				       "one first",
				       te->name, te->field);
	const char *kind = json_string_value(json_object_get(file, "kind"));
	const char *key = json_string_value(json_object_get(file, "key"));
	const char *src = thumb_source_type(kind);
	int rc = -1;
	if (!src) {
		host->res_error(req, 409, "CONFLICT", NULL,
				"This %s's stored file is of kind %s, which "
				"has no thumbnails",
				te->name, kind ? kind : "(none)");
		goto out;
	}
	const char *job_id = NULL;
	if (mark_pending(req, te, id, src, key) ||
	    host->pipeline_enqueue(req, file, "thumbnail", &job_id))
		goto out;
	rc = answer_queued(req, te, id, job_id);
out:
	json_decref(file);
	return rc;
}

static int h_generate(slate_req *req, void *ud)
{
	(void)ud;
	/* Both fields were checked against generate_body already. */
	const json_t *b = host->req_body(req);
	const char *etype =
	    json_string_value(json_object_get(b, "entity_type"));
	const char *id = json_string_value(json_object_get(b, "entity_id"));
	const thumb_entity *te =
	    entity_type_of(req, etype, 400, "VALIDATION_ERROR", "entity_type");
	return te ? queue_thumbnails(req, te, id, "entity_id") : -1;
}

static int h_regenerate(slate_req *req, void *ud)
{
	(void)ud;
	const char *id;
	const thumb_entity *te = path_entity(req, &id);
	return te ? queue_thumbnails(req, te, id, "entityId") : -1;
}

static int h_list(slate_req *req, void *ud)
{
	(void)ud;
	const char *id;
	const thumb_entity *te = path_entity(req, &id);
	if (!te || entity_live(req, te, id, "entityId"))
		return -1;
	const char *rows = rows_json(req, te->name, id);
	return rows ? host->res_raw(req, 200, rows, strlen(rows)) : -1;
}

static int h_image(slate_req *req, void *ud)
{
	(void)ud;
	const char *id;
	const thumb_entity *te = path_entity(req, &id);
	if (!te)
		return -1;
	const char *size = host->req_param(req, "sizeVariant");
	if (thumb_size_find(size) < 0)
		return host->res_error(req, 400, "VALIDATION_ERROR",
				       "sizeVariant",
				       "'sizeVariant' must be primary, medium "
				       "or small");
	if (entity_live(req, te, id, "entityId"))
		return -1;
	const char *p[3] = {te->name, id, size};
	slate_result *res = host->db_exec(
	    req,
	    "SELECT file_reference, status, width, error_message FROM "
	    "thumbnails WHERE entity_type = $1 AND entity_id = $2::uuid AND "
	    "size_variant = $3",
	    3, p);
	if (!res)
		return host->res_db_error(req);
	if (host->db_rows(res) == 0)
		return host->res_error(req, 404, "NOT_FOUND", "sizeVariant",
				       "No thumbnails were generated for this "
				       "%s",
				       te->name);
	const char *status = host->db_value(res, 0, 1);
	const char *err = host->db_value(res, 0, 3);
	if (status && !strcmp(status, "failed"))
		return host->res_error(req, 404, "NOT_FOUND", "sizeVariant",
				       "Making this %s's thumbnails failed: %s",
				       te->name, err ? err : "no reason given");
	if (!strcmp(host->db_value(res, 0, 2), "0"))
		return host->res_error(req, 404, "NOT_FOUND", "sizeVariant",
				       "This %s's %s thumbnail is not made yet "
				       "(%s)",
				       te->name, size,
				       status ? status : "pending");
	return host->res_file(req, "thumbnails", host->db_value(res, 0, 0),
			      "image/jpeg", NULL);
}

static const slate_field generate_body[] = {
    {.name = "entity_type",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = thumb_entity_names,
     .doc = "clip, episode, outfit, background, ui_element or component"},
    {.name = "entity_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .doc = "The entity whose stored file is made into thumbnails"},
};

static const slate_route_def r_generate = {
    .struct_size = sizeof(slate_route_def),
    .method = "POST",
    .path = "/api/v1/thumbnails/generate",
    .handler = h_generate,
    .perm = SLATE_PERM_WRITE,
    .summary = "Queue the thumbnails of an entity's stored file (202)",
    .body_mode = SLATE_BODY_FIELDS,
    .body = generate_body,
    .n_body = sizeof(generate_body) / sizeof(generate_body[0]),
    .body_field_size = sizeof(slate_field),
};

static const slate_route_def r_regenerate = {
    .struct_size = sizeof(slate_route_def),
    .method = "POST",
    .path = "/api/v1/thumbnails/:entityType/:entityId/regenerate",
    .handler = h_regenerate,
    .perm = SLATE_PERM_WRITE,
    .summary = "Queue the thumbnails of an entity's stored file again "
	       "(202)",
    .body_mode = SLATE_BODY_NONE,
};

static const slate_route_def r_list = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/thumbnails/:entityType/:entityId",
    .handler = h_list,
    .perm = SLATE_PERM_READ,
    .summary = "An entity's thumbnails: size, status, error",
};

static const slate_route_def r_image = {
    .struct_size = sizeof(slate_route_def),
    .method = "GET",
    .path = "/api/v1/thumbnails/:entityType/:entityId/:sizeVariant",
    .handler = h_image,
    .perm = SLATE_PERM_READ,
    .summary = "One thumbnail JPEG (primary, medium or small); a redirect "
	       "with S3",
};

const slate_route_def *const thumb_routes[] = {&r_generate, &r_regenerate,
					       &r_list, &r_image, NULL};
