/* download.c - see download.h. */
#include "files/download.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "entity/engine.h"
#include "entity/file_target.h"
#include "files/files.h"
#include "files/storage.h"
#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"

/* Parse a single "bytes=a-b" range against `size`. 1 with [*off, *len),
 * 0 when there is no usable Range (serve it all), -1 unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *off,
		       uint64_t *len)
{
	if (!h || strncmp(h, "bytes=", 6) || strchr(h, ','))
		return 0; /* several ranges: the whole file is a valid answer */
	const char *p = h + 6;
	char *end;
	if (*p == '-') {
		unsigned long long n = strtoull(p + 1, &end, 10);
		if (end == p + 1 || *end)
			return 0;
		if (n == 0 || size == 0)
			return -1;
		if (n > size)
			n = size;
		*off = size - n;
		*len = n;
		return 1;
	}
	unsigned long long a = strtoull(p, &end, 10);
	if (end == p || *end != '-')
		return 0;
	const char *q = end + 1;
	unsigned long long b = size ? size - 1 : 0;
	if (*q) {
		b = strtoull(q, &end, 10);
		if (end == q || *end || b < a)
			return 0;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static bool etag_match(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	if (!strcmp(inm, "*"))
		return true;
	char q[100];
	snprintf(q, sizeof(q), "\"%s\"", etag);
	return strstr(inm, q) != NULL;
}

static int h_file(slate_req *r, void *ud)
{
	(void)ud;
	const char *etype = slate_req_param(r, "entityType");
	const char *id = slate_req_param(r, "entityId");
	const char *field = slate_req_query(r, "field");
	const slate_entity *e = slate_entity_find(r->core, etype);
	if (!e)
		return slate_res_error(r, 404, "NOT_FOUND", "entityType",
				       "Unknown entity type '%s'", etype);
	if (!slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "entityId",
				       "'entityId' must be a UUID");
	const char *store = "primary";
	/* no ?field=: the first declared target's */
	if (!field && e->nfiles)
		field = e->files[0].field;
	bool ok = slate_file_target_field(e, field);
	if (field && !strcmp(field, "thumbnail_reference") &&
	    slate_entity_field(e, field)) {
		ok = true;
		store = "thumbnails";
	}
	if (!ok)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "field",
				       "A %s has no file field '%s'", etype,
				       field ? field : "");
	slate_result *row = slate_db_exec_req(r, e->sql_get, 1, &id);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "entityId",
				       "No %s with id %s", etype, id);
	json_t *rowj = slate_entity_parse(slate_db_value(row, 0, 0));
	const char *v = json_string_value(json_object_get(rowj, field));
	char key[SLATE_STORE_KEY_MAX + 1] = "";
	if (v)
		snprintf(key, sizeof(key), "%s", v);
	json_decref(rowj);
	slate_store *st = slate_storage_get(r->core->storage, store);
	if (!key[0] || !slate_store_key_valid(key) || !st)
		return slate_res_error(r, 404, "NOT_FOUND", field,
				       "This %s has no stored file in '%s'",
				       etype, field);
	/* The upload that stored it knows its type and hash. */
	const char *p[2] = {store, key};
	slate_result *up = slate_db_exec_req(
	    r,
	    "SELECT content_type, sha256 FROM uploads WHERE store = $1 "
	    "AND object_key = $2 AND status = 'confirmed'",
	    2, p);
	if (!up)
		return slate_res_db_error(r);
	const char *ctype = slate_db_value(up, 0, 0);
	const char *sha = slate_db_value(up, 0, 1);

	return slate_download_serve(r, store, key, ctype, sha);
}

int slate_download_serve(slate_req *r, const char *store, const char *key,
			 const char *ctype, const char *etag_hint)
{
	slate_store *st =
	    store ? slate_storage_get(r->core->storage, store) : NULL;
	if (!st || !key || !slate_store_key_valid(key))
		return slate_res_error(r, 404, "NOT_FOUND", NULL,
				       "No such file");
	if (r->core->storage->s3) {
		char *url = slate_store_presign(
		    st, "GET", key, NULL, 0, r->core->cfg->download_url_ttl_s);
		if (!url)
			return -1;
		slate_res_header(r, "Location", url);
		/* the URL expires soon: no cache may keep the redirect */
		slate_res_header(r, "Cache-Control", "no-store");
		int rc = slate_res_json(r, 302, json_pack("{s:s}", "url", url));
		free(url);
		return rc;
	}
	slate_store_info ss;
	int fd = slate_store_open_fd(st, key, &ss);
	if (fd < 0)
		return slate_res_error(r, 404, "NOT_FOUND", NULL,
				       "The file is missing from the store");
	const char *etag = etag_hint ? etag_hint : ss.etag;
	char qetag[100];
	snprintf(qetag, sizeof(qetag), "\"%s\"", etag);
	if (etag_match(slate_req_header(r, "If-None-Match"), etag)) {
		close(fd);
		r->response = MHD_create_response_from_buffer(
		    0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!r->response)
			return -1;
		MHD_add_response_header(r->response, "ETag", qetag);
		r->status = 304;
		return 0;
	}
	uint64_t off = 0, len = ss.size;
	int rr = parse_range(slate_req_header(r, "Range"), ss.size, &off, &len);
	if (rr < 0) {
		close(fd);
		char cr[64];
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, ss.size);
		slate_res_header(r, "Content-Range", cr);
		return slate_res_error(r, 416, "RANGE_NOT_SATISFIABLE", NULL,
				       "The file has %" PRIu64 " bytes",
				       ss.size);
	}
	/* libmicrohttpd sends from the descriptor (sendfile) and closes it
	 * with the response: no copy of the file in memory. */
	r->response = MHD_create_response_from_fd_at_offset64(len, fd, off);
	if (!r->response) {
		close(fd);
		return -1;
	}
	MHD_add_response_header(r->response, "Content-Type",
				ctype ? ctype : "application/octet-stream");
	MHD_add_response_header(r->response, "ETag", qetag);
	MHD_add_response_header(r->response, "Accept-Ranges", "bytes");
	MHD_add_response_header(r->response, "Cache-Control",
				"private, no-cache");
	if (rr > 0) {
		char cr[96];
		snprintf(cr, sizeof(cr),
			 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
			 off + len - 1, ss.size);
		MHD_add_response_header(r->response, "Content-Range", cr);
		r->status = 206;
	} else {
		r->status = 200;
	}
	return 0;
}

int slate_download_register(slate_core *core, char *err, size_t errlen)
{
	static const char *const q[] = {"field", NULL};
	const slate_route rt = {
	    .method = "GET",
	    .path = "/api/v1/files/:entityType/:entityId",
	    .handler = h_file,
	    .perm = SLATE_PERM_READ,
	    .summary = "An entity's file (Range, ETag; S3: redirect)",
	    .query = q,
	    .body_mode = SLATE_BODY_NONE,
	    .owner = "core"};
	return slate_router_add(core->router, &rt, err, errlen);
}
