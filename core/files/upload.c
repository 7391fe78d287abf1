/* upload.c - see upload.h. */
#include "files/upload.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "db/secrets.h"
#include "entity/engine.h"
#include "files/files.h"
#include "files/storage.h"
#include "http/ratelimit.h"
#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"

#define SECRET_NAME "upload_url_hs256"
#define MB (1024ull * 1024)

struct slate_upload {
	slate_core *core;
	char secret[128];
	char *conninfo;
	pthread_t sweeper;
	bool sweeper_running, stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* ---- kinds and targets ------------------------------------------------ */

/* The seed's FILE_SIZE_LIMITS, and the content types each kind accepts. */
typedef struct upload_kind {
	const char *name, *label, *human;
	uint64_t limit;
	const char *const *types;
} upload_kind;

static const char *const pdf_types[] = {"application/pdf", NULL};
static const char *const video_types[] = {
    "video/mp4",  "video/quicktime", "video/webm",	"video/x-matroska",
    "video/mp2t", "video/mpeg",	     "application/mxf", NULL};
static const char *const image_types[] = {"image/jpeg", "image/png",
					  "image/webp", NULL};
static const char *const audio_types[] = {
    "audio/mpeg", "audio/wav", "audio/x-wav", "audio/aac",
    "audio/mp4",  "audio/ogg", NULL};
static const char *const ui_types[] = {"image/svg+xml", "image/png",
				       "image/webp", NULL};

static const upload_kind kinds[] = {
    {"script", "SCRIPT", "50 MB", 50 * MB, pdf_types},
    {"trailer", "TRAILER", "500 MB", 500 * MB, video_types},
    {"raw_clip", "RAW_CLIP", "5 GB", 5 * 1024 * MB, video_types},
    {"image", "IMAGE", "10 MB", 10 * MB, image_types},
    {"audio", "AUDIO", "100 MB", 100 * MB, audio_types},
    {"ui_element", "UI_ELEMENT", "5 MB", 5 * MB, ui_types},
};

/* Key templates: {id} the entity id, {upload} the upload id, {filename}
 * the client's file name (checked), {n} the episode's next script version,
 * {episode_id} and {talent_source} from the entity's row ("standalone"
 * for a clip in no episode). The upload id keeps every upload's key
 * distinct, so a new upload never overwrites the object an entity still
 * references before it is confirmed. */
const slate_upload_target slate_upload_targets[] = {
    {"clip", "raw_clip", "file_reference",
     "raw/{episode_id}/{talent_source}/{upload}-{filename}"},
    {"episode", "script", "script_file_reference",
     "scripts/{id}/version_{n}.pdf"},
    {"episode", "trailer", "trailer_reference",
     "trailers/{id}/{upload}-{filename}"},
    {"outfit", "image", "overall_image_reference",
     "wardrobe/{id}/{upload}-{filename}"},
    {"ui_element", "ui_element", "file_reference",
     "ui-elements/{id}-{upload}-{filename}"},
    {"background", "image", "file_reference",
     "backgrounds/{id}-{upload}-{filename}"},
    {"component", "audio", "file_reference",
     "audio/{episode_id}/{id}-{upload}-{filename}"},
    {"component", "image", "file_reference",
     "components/{episode_id}/{id}-{upload}-{filename}"},
};
const size_t slate_upload_ntargets =
    sizeof(slate_upload_targets) / sizeof(slate_upload_targets[0]);

static const upload_kind *find_kind(const char *name)
{
	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

static const slate_upload_target *find_target(const char *entity,
					      const char *kind)
{
	for (size_t i = 0; i < slate_upload_ntargets; i++)
		if (!strcmp(slate_upload_targets[i].entity, entity) &&
		    !strcmp(slate_upload_targets[i].kind, kind))
			return &slate_upload_targets[i];
	return NULL;
}

static bool type_allowed(const upload_kind *k, const char *ct)
{
	for (int i = 0; k->types[i]; i++)
		if (!strcasecmp(k->types[i], ct))
			return true;
	return false;
}

/* A client file name: one key component, so no '/', no leading '.', and
 * only [A-Za-z0-9._-] (spaces become '_'). Copied into out. */
static bool filename_ok(const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200 || n >= len || name[0] == '.' ||
	    strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == ' ')
			c = '_';
		else if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return true;
}

/* ---- signing ---------------------------------------------------------- */

/* HMAC-SHA256 over everything a local upload URL allows, hex. */
static int url_sign(const struct slate_upload *u, const char *upload_id,
		    const char *store, const char *key, const char *kind,
		    const char *size, const char *ctype, const char *expires,
		    char out[65])
{
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "v1\n%s\n%s\n%s\n%s\n%s\n%s\n%s",
			 upload_id, store, key, kind, size, ctype, expires);
	if (n < 0 || n >= (int)sizeof(msg))
		return -1;
	unsigned char mac[32];
	unsigned maclen = 0;
	if (!HMAC(EVP_sha256(), u->secret, (int)strlen(u->secret),
		  (const unsigned char *)msg, (size_t)n, mac, &maclen))
		return -1;
	for (unsigned i = 0; i < maclen; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	return 0;
}

static char *url_escape(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(3 * n + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return o;
}

/* ---- POST /api/v1/upload/generate-url ---------------------------------- */

static const char *body_str(slate_req *r, const char *name)
{
	const json_t *v = json_object_get(r->body, name);
	if (!json_is_string(v) || !json_string_length(v)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", name,
				"'%s' is required (a non-empty string)", name);
		return NULL;
	}
	return json_string_value(v);
}

/* Expand a key template; the values come from the row (or fixed). */
static int expand_key(slate_req *r, const char *tmpl, const json_t *row,
		      const char *id, const char *upload_id,
		      const char *filename, long n, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = tmpl; *p;) {
		char val[300] = "";
		if (*p != '{') {
			if (o + 1 >= len)
				return -1;
			out[o++] = *p++;
			continue;
		}
		const char *end = strchr(p, '}');
		if (!end)
			return -1;
		char name[32];
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		p = end + 1;
		if (!strcmp(name, "id"))
			snprintf(val, sizeof(val), "%s", id);
		else if (!strcmp(name, "upload"))
			snprintf(val, sizeof(val), "%s", upload_id);
		else if (!strcmp(name, "filename"))
			snprintf(val, sizeof(val), "%s", filename);
		else if (!strcmp(name, "n"))
			snprintf(val, sizeof(val), "%ld", n);
		else {
			const json_t *v = json_object_get(row, name);
			snprintf(val, sizeof(val), "%s",
				 json_is_string(v) ? json_string_value(v)
						   : "standalone");
		}
		size_t vl = strlen(val);
		if (o + vl + 1 >= len)
			return -1;
		memcpy(out + o, val, vl);
		o += vl;
	}
	out[o] = '\0';
	if (!slate_store_key_valid(out))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "The entity's values do not make a "
				       "valid storage key (%s)",
				       out);
	return 0;
}

static int h_generate(slate_req *r, void *ud)
{
	struct slate_upload *u = ud;
	const slate_config *cfg = r->core->cfg;
	if (slate_ratelimit_upload(r))
		return -1;
	if (!json_is_object(r->body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON object body is required");
	const char *etype = body_str(r, "entity_type");
	const char *eid = etype ? body_str(r, "entity_id") : NULL;
	const char *kname = eid ? body_str(r, "kind") : NULL;
	const char *fname = kname ? body_str(r, "filename") : NULL;
	const char *ctype = fname ? body_str(r, "content_type") : NULL;
	if (!ctype)
		return -1;
	const json_t *jsize = json_object_get(r->body, "size");
	const slate_entity *e = slate_entity_find(r->core, etype);
	if (!e)
		return slate_res_error(r, 400, "VALIDATION_ERROR",
				       "entity_type",
				       "Unknown entity type '%s'", etype);
	if (!slate_uuid_valid(eid))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "entity_id",
				       "'entity_id' must be a UUID");
	const upload_kind *k = find_kind(kname);
	const slate_upload_target *t = k ? find_target(etype, kname) : NULL;
	if (!t)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "kind",
				       "A %s takes no file of kind '%s'", etype,
				       kname);
	if (!json_is_integer(jsize) || json_integer_value(jsize) < 1)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "size",
				       "'size' must be a positive integer "
				       "(bytes)");
	uint64_t size = (uint64_t)json_integer_value(jsize);
	if (size > k->limit)
		return slate_res_error(r, 413, "PAYLOAD_TOO_LARGE", "size",
				       "%s files are limited to %s (%" PRIu64
				       " bytes)",
				       k->label, k->human, k->limit);
	if (!type_allowed(k, ctype)) {
		char list[256] = "";
		for (int i = 0; k->types[i]; i++)
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", k->types[i]);
		return slate_res_error(
		    r, 415, "UNSUPPORTED_MEDIA_TYPE", "content_type",
		    "A %s file must be one of: %s", kname, list);
	}
	char fclean[256];
	if (!filename_ok(fname, fclean, sizeof(fclean)))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "filename",
				       "'filename' must be 1 to 200 characters "
				       "of letters, digits, spaces and ._- and "
				       "must not start with '.' or contain "
				       "'..' or '/'");
	/* The entity must be live; its row gives the key's values. */
	const char *idp[1] = {eid};
	slate_result *row = slate_db_exec_req(r, e->sql_get, 1, idp);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "entity_id",
				       "No %s with id %s", etype, eid);
	json_t *rowj = slate_entity_parse(slate_db_value(row, 0, 0));
	char upload_id[37];
	long n = 0;
	if (slate_uuid_v4(upload_id)) {
		json_decref(rowj);
		return -1;
	}
	if (strstr(t->key, "{n}")) {
		const char *p[2] = {etype, eid};
		slate_result *c = slate_db_exec_req(
		    r,
		    "SELECT count(*) + 1 FROM uploads WHERE entity_type = "
		    "$1 AND entity_id = $2::uuid AND kind = 'script'",
		    2, p);
		if (!c) {
			json_decref(rowj);
			return slate_res_db_error(r);
		}
		n = atol(slate_db_value(c, 0, 0));
	}
	char key[SLATE_STORE_KEY_MAX + 1];
	int rc = expand_key(r, t->key, rowj, eid, upload_id, fclean, n, key,
			    sizeof(key));
	json_decref(rowj);
	if (rc)
		return slate_req_failed(r)
			   ? -1
			   : slate_res_error(
				 r, 400, "VALIDATION_ERROR", "filename",
				 "The storage key would be too long");

	char sizes[24], ttl[16];
	snprintf(sizes, sizeof(sizes), "%" PRIu64, size);
	snprintf(ttl, sizeof(ttl), "%d", cfg->upload_url_ttl_s);
	const char *p[10] = {upload_id, etype, eid,   t->field, kname,
			     "primary", key,   sizes, ctype,	r->user_id};
	const char *p2[11];
	memcpy(p2, p, sizeof(p));
	p2[10] = ttl;
	slate_result *ins = slate_db_exec_req(
	    r,
	    "INSERT INTO uploads (upload_id, entity_type, entity_id, field, "
	    "kind, store, object_key, declared_size, content_type, "
	    "created_by, expires_at) VALUES ($1::uuid, $2, $3::uuid, $4, "
	    "$5, $6, $7, $8::bigint, $9, $10::uuid, now() + $11::integer * "
	    "interval '1 second') RETURNING extract(epoch FROM "
	    "expires_at)::bigint, to_json(expires_at)#>>'{}'",
	    11, p2);
	if (!ins)
		return slate_res_db_error(r);
	const char *expires = slate_db_value(ins, 0, 0);
	const char *expires_iso = slate_db_value(ins, 0, 1);

	char *url = NULL;
	if (r->core->storage->s3) {
		url = slate_store_presign(r->core->storage->primary, "PUT", key,
					  ctype, size, cfg->upload_url_ttl_s);
	} else {
		char sig[65];
		char *ek = url_escape(key), *ect = url_escape(ctype);
		const char *host = slate_req_header(r, "Host");
		char base[300];
		if (cfg->storage_public_url)
			snprintf(base, sizeof(base), "%s",
				 cfg->storage_public_url);
		else
			snprintf(base, sizeof(base), "http://%s",
				 host ? host : "localhost");
		if (ek && ect &&
		    !url_sign(u, upload_id, "primary", key, kname, sizes, ctype,
			      expires, sig) &&
		    asprintf(&url,
			     "%s/api/v1/upload/put/%s?store=primary&key=%s"
			     "&kind=%s&size=%s&type=%s&expires=%s"
			     "&signature=%s",
			     base, upload_id, ek, kname, sizes, ect, expires,
			     sig) < 0)
			url = NULL;
		free(ek);
		free(ect);
	}
	if (!url)
		return -1;
	json_t *data =
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:I, s:s}",
		      "upload_id", upload_id, "method", "PUT", "url", url,
		      "headers", "Content-Type", ctype, "Content-Length", sizes,
		      "key", key, "store", "primary", "field", t->field, "size",
		      (json_int_t)size, "expires_at", expires_iso);
	free(url);
	return slate_res_json(r, 201, data);
}

/* ---- PUT /api/v1/upload/put/:uploadId (streamed) ----------------------- */

typedef struct put_state {
	slate_store_writer *w;
	EVP_MD_CTX *sha;
	uint64_t size, got;
} put_state;

static int put_refuse(slate_req *r, const char *msg)
{
	return slate_res_error(r, 403, "FORBIDDEN", "signature", "%s", msg);
}

static int put_begin(slate_req *r)
{
	struct slate_upload *u = r->match.route->ud;
	const char *id = slate_req_param(r, "uploadId");
	const char *store = slate_req_query(r, "store");
	const char *key = slate_req_query(r, "key");
	const char *kind = slate_req_query(r, "kind");
	const char *size = slate_req_query(r, "size");
	const char *type = slate_req_query(r, "type");
	const char *expires = slate_req_query(r, "expires");
	const char *sig = slate_req_query(r, "signature");
	if (r->errors) /* a repeated query parameter */
		return -1;
	if (!id || !store || !key || !kind || !size || !type || !expires ||
	    !sig || strlen(sig) != 64)
		return put_refuse(r, "The upload URL is incomplete");
	char want[65];
	if (url_sign(u, id, store, key, kind, size, type, expires, want) ||
	    CRYPTO_memcmp(want, sig, 64) != 0)
		return put_refuse(r, "The upload URL's signature does not "
				     "match: it was altered or is for "
				     "another upload");
	if (strtoll(expires, NULL, 10) < (long long)time(NULL))
		return put_refuse(r, "The upload URL has expired; ask for a "
				     "new one");
	/* Signed, so these are ours: the checks below are the client's. */
	const upload_kind *k = find_kind(kind);
	slate_store *st = slate_storage_get(r->core->storage, store);
	uint64_t want_size = strtoull(size, NULL, 10);
	const char *cl = slate_req_header(r, "Content-Length");
	if (!k || !st || !slate_store_key_valid(key))
		return put_refuse(r, "The upload URL is not usable");
	if (!cl)
		return slate_res_error(r, 411, "LENGTH_REQUIRED", NULL,
				       "Send Content-Length: %s (chunked "
				       "uploads are not accepted)",
				       size);
	uint64_t clv = strtoull(cl, NULL, 10);
	if (clv > want_size)
		return slate_res_error(r, 413, "PAYLOAD_TOO_LARGE", NULL,
				       "This upload URL is for %s bytes "
				       "(%s files are limited to %s)",
				       size, k->label, k->human);
	if (clv != want_size)
		return slate_res_error(r, 400, "VALIDATION_ERROR", "size",
				       "This upload URL is for exactly %s "
				       "bytes; Content-Length is %s",
				       size, cl);
	const char *ct = slate_req_header(r, "Content-Type");
	if (!ct || strcasecmp(ct, type))
		return slate_res_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", NULL,
				       "This upload URL is for Content-Type "
				       "%s",
				       type);
	put_state *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "out of memory");
	ps->size = want_size;
	ps->sha = EVP_MD_CTX_new();
	if (!ps->sha || EVP_DigestInit_ex(ps->sha, EVP_sha256(), NULL) != 1 ||
	    slate_store_put_begin(st, key, type, want_size, &ps->w)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "cannot start writing %s: %s", key, strerror(errno));
		EVP_MD_CTX_free(ps->sha);
		free(ps);
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store cannot take the upload now");
	}
	r->stream = ps;
	return 0;
}

static int put_data(slate_req *r, const char *buf, size_t n)
{
	put_state *ps = r->stream;
	ps->got += n;
	if (ps->got > ps->size || EVP_DigestUpdate(ps->sha, buf, n) != 1 ||
	    slate_store_put_write(ps->w, buf, n)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "upload write failed: %s", strerror(errno));
		slate_store_put_abort(ps->w); /* free the disk at once */
		ps->w = NULL;
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store failed while writing");
	}
	return 0;
}

static void put_end(slate_req *r, bool completed)
{
	put_state *ps = r->stream;
	if (!ps)
		return;
	if (ps->w && !completed)
		slate_log(SLATE_LOG_WARN, "storage", r->request_id,
			  "upload interrupted after %" PRIu64 " of %" PRIu64
			  " bytes; dropped",
			  ps->got, ps->size);
	slate_store_put_abort(ps->w); /* anything not committed */
	EVP_MD_CTX_free(ps->sha);
	free(ps);
	r->stream = NULL;
}

/* The whole body is in (worker thread): make it the object, mark the row. */
static int h_put(slate_req *r, void *ud)
{
	(void)ud;
	put_state *ps = r->stream;
	if (!ps || !ps->w || ps->got != ps->size)
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "The upload is incomplete");
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[65];
	if (EVP_DigestFinal_ex(ps->sha, md, &mdlen) != 1)
		return -1;
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	const char *id = slate_req_param(r, "uploadId");
	slate_result *row = slate_db_exec_req(
	    r,
	    "SELECT status FROM uploads WHERE upload_id = $1::uuid "
	    "FOR UPDATE",
	    1, &id);
	if (!row || slate_db_rows(row) == 0 ||
	    strcmp(slate_db_value(row, 0, 0), "pending")) {
		/* drop the bytes now, before answering */
		slate_store_put_abort(ps->w);
		ps->w = NULL;
	}
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 410, "GONE", NULL,
				       "This upload no longer exists (expired "
				       "and cleaned up); ask for a new URL");
	if (strcmp(slate_db_value(row, 0, 0), "pending"))
		return slate_res_error(r, 409, "CONFLICT", NULL,
				       "This upload was already stored (%s)",
				       slate_db_value(row, 0, 0));
	/* fsync and rename here, on the worker, not on the I/O thread. */
	slate_store_writer *w = ps->w;
	ps->w = NULL;
	if (slate_store_put_commit(w)) {
		slate_log(SLATE_LOG_ERROR, "storage", r->request_id,
			  "upload commit failed: %s", strerror(errno));
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "The store could not keep the upload");
	}
	const char *p[2] = {id, hex};
	slate_result *up = slate_db_exec_req(
	    r,
	    "UPDATE uploads SET status = 'stored', sha256 = $2, stored_at "
	    "= now() WHERE upload_id = $1::uuid RETURNING object_key, "
	    "declared_size",
	    2, p);
	if (!up)
		return slate_res_db_error(r);
	return slate_res_json(
	    r, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:s}", "upload_id", id, "key",
		      slate_db_value(up, 0, 0), "sha256", hex, "size",
		      (json_int_t)ps->size, "status", "stored"));
}

static const slate_stream_ops put_stream = {
    .begin = put_begin, .data = put_data, .end = put_end};

/* ---- POST /api/v1/upload/confirm ---------------------------------------- */

static int h_confirm(slate_req *r, void *ud)
{
	(void)ud;
	if (!json_is_object(r->body))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "A JSON object body is required");
	const char *id = body_str(r, "upload_id");
	if (!id)
		return -1;
	if (!slate_uuid_valid(id))
		return slate_res_error(r, 400, "VALIDATION_ERROR", "upload_id",
				       "'upload_id' must be a UUID");
	slate_result *row = slate_db_exec_req(
	    r,
	    "SELECT entity_type, entity_id, field, kind, store, "
	    "object_key, declared_size, content_type, status, sha256 "
	    "FROM uploads WHERE upload_id = $1::uuid FOR UPDATE",
	    1, &id);
	if (!row)
		return slate_res_db_error(r);
	if (slate_db_rows(row) == 0)
		return slate_res_error(r, 404, "NOT_FOUND", "upload_id",
				       "No upload with id %s", id);
	const char *etype = slate_db_value(row, 0, 0);
	const char *eid = slate_db_value(row, 0, 1);
	const char *field = slate_db_value(row, 0, 2);
	const char *kind = slate_db_value(row, 0, 3);
	const char *store = slate_db_value(row, 0, 4);
	const char *key = slate_db_value(row, 0, 5);
	json_int_t size = atoll(slate_db_value(row, 0, 6));
	const char *ctype = slate_db_value(row, 0, 7);
	const char *status = slate_db_value(row, 0, 8);
	const char *sha = slate_db_value(row, 0, 9);
	/* A client that names the target must name this upload's. */
	const json_t *bt = json_object_get(r->body, "entity_type");
	const json_t *bi = json_object_get(r->body, "entity_id");
	if ((bt &&
	     (!json_is_string(bt) || strcmp(json_string_value(bt), etype))) ||
	    (bi &&
	     (!json_is_string(bi) || strcasecmp(json_string_value(bi), eid))))
		return slate_res_error(r, 409, "CONFLICT", "upload_id",
				       "This upload is for %s %s", etype, eid);
	const slate_entity *e = slate_entity_find(r->core, etype);
	slate_store *st = slate_storage_get(r->core->storage, store);
	if (!e || !st)
		return slate_res_error(r, 409, "CONFLICT", "upload_id",
				       "This upload's target is no longer "
				       "served");
	bool already = !strcmp(status, "confirmed");
	if (!already) {
		/* The object must be there, whole. With S3 the bytes went
		 * straight to the bucket, so this is where we learn of them. */
		slate_store_info ss;
		int rc = slate_store_stat(st, key, &ss);
		if (rc < 0)
			return slate_res_error(r, 503, "SERVICE_UNAVAILABLE",
					       NULL,
					       "The store is unavailable; try "
					       "again");
		if (rc > 0 || ss.size != (uint64_t)size ||
		    (strcmp(status, "stored") && strcmp(status, "pending")))
			return slate_res_error(r, 409, "CONFLICT", "upload_id",
					       "Nothing was uploaded for this "
					       "upload yet (or not all of "
					       "it)");
		if (slate_file_attach(r, e, eid, field, store, key, kind, ctype,
				      (uint64_t)size, sha, id))
			return -1;
	}
	return slate_res_json(
	    r, 200,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s}",
		      "upload_id", id, "status", "confirmed", "entity_type",
		      etype, "entity_id", eid, "field", field, "key", key,
		      "sha256", sha ? json_string(sha) : json_null(), "size",
		      size, "kind", kind, "content_type", ctype));
}

/* ---- sweeper ------------------------------------------------------------ */

int slate_upload_sweep(slate_core *core, void *pgconn)
{
	PGconn *pg = pgconn;
	char age[16];
	snprintf(age, sizeof(age), "%d", core->cfg->upload_cleanup_after_s);
	const char *p[1] = {age};
	PGresult *b = PQexec(pg, "BEGIN");
	bool ok = PQresultStatus(b) == PGRES_COMMAND_OK;
	PQclear(b);
	if (!ok)
		return -1;
	/* SKIP LOCKED: several slated processes sweep without waiting on
	 * each other, and a row a confirm holds is left for next time. */
	PGresult *res = PQexecParams(
	    pg,
	    "SELECT upload_id, store, object_key FROM uploads WHERE "
	    "status <> 'confirmed' AND created_at < now() - $1::integer * "
	    "interval '1 second' ORDER BY created_at LIMIT 200 FOR UPDATE "
	    "SKIP LOCKED",
	    1, NULL, p, NULL, NULL, 0);
	int removed = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		removed = 0;
		for (int i = 0; i < PQntuples(res); i++) {
			slate_store *st = slate_storage_get(
			    core->storage, PQgetvalue(res, i, 1));
			const char *key = PQgetvalue(res, i, 2);
			if (st && slate_store_delete(st, key)) {
				slate_log(SLATE_LOG_WARN, "storage", NULL,
					  "sweep: cannot delete %s", key);
				continue;
			}
			const char *id = PQgetvalue(res, i, 0);
			PGresult *d = PQexecParams(
			    pg, "DELETE FROM uploads WHERE upload_id = $1", 1,
			    NULL, &id, NULL, NULL, 0);
			if (PQresultStatus(d) == PGRES_COMMAND_OK)
				removed++;
			PQclear(d);
		}
	}
	PQclear(res);
	PGresult *c = PQexec(pg, removed >= 0 ? "COMMIT" : "ROLLBACK");
	if (PQresultStatus(c) != PGRES_COMMAND_OK)
		removed = -1;
	PQclear(c);
	if (removed > 0)
		slate_log(SLATE_LOG_INFO, "storage", NULL,
			  "sweep: removed %d unconfirmed upload(s)", removed);
	return removed;
}

static void *sweeper_main(void *arg)
{
	struct slate_upload *u = arg;
	PGconn *pg = NULL;
	pthread_mutex_lock(&u->lock);
	while (!u->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += u->core->cfg->upload_sweep_interval_s;
		pthread_cond_timedwait(&u->wake, &u->lock, &ts);
		if (u->stopping)
			break;
		pthread_mutex_unlock(&u->lock);
		if (!pg || PQstatus(pg) != CONNECTION_OK) {
			PQfinish(pg);
			pg = PQconnectdb(u->conninfo);
		}
		if (PQstatus(pg) == CONNECTION_OK)
			slate_upload_sweep(u->core, pg);
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	PQfinish(pg);
	return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

static const char *const no_query[] = {NULL};

int slate_upload_register(slate_core *core, char *err, size_t errlen)
{
	struct slate_upload *u = calloc(1, sizeof(*u));
	if (!u)
		return slate_errf(err, errlen, "out of memory");
	u->core = core;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->wake, NULL);
	core->upload = u;
	const slate_route routes[] = {
	    {.method = "POST",
	     .path = "/api/v1/upload/generate-url",
	     .handler = h_generate,
	     .ud = u,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "A signed URL for one upload to one entity's file",
	     .query = no_query,
	     .body_mode = SLATE_BODY_ANY_JSON,
	     .owner = "core"},
	    {.method = "PUT",
	     .path = "/api/v1/upload/put/:uploadId",
	     .handler = h_put,
	     .ud = u,
	     .perm = SLATE_PERM_PUBLIC, /* the signature is the credential */
	     .summary = "Upload the bytes (signed URL, local storage)",
	     .body_mode = SLATE_BODY_NONE,
	     .self_checks = true,
	     .stream = &put_stream,
	     .owner = "core"},
	    {.method = "POST",
	     .path = "/api/v1/upload/confirm",
	     .handler = h_confirm,
	     .ud = u,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "Bind an uploaded file to its entity",
	     .query = no_query,
	     .body_mode = SLATE_BODY_ANY_JSON,
	     .owner = "core"},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (slate_router_add(core->router, &routes[i], err, errlen))
			return -1;
	return 0;
}

int slate_upload_start(slate_core *core, const char *conninfo, char *err,
		       size_t errlen)
{
	struct slate_upload *u = core->upload;
	if (!u)
		return slate_errf(err, errlen, "uploads not registered");
	if (slate_storage_init(&core->storage, core->cfg, err, errlen))
		return -1;
	PGconn *pg = PQconnectdb(conninfo);
	int rc =
	    PQstatus(pg) == CONNECTION_OK
		? slate_secret_shared(pg, SECRET_NAME, u->secret,
				      sizeof(u->secret), err, errlen)
		: slate_errf(err, errlen, "cannot connect to the database: %s",
			     PQerrorMessage(pg));
	PQfinish(pg);
	if (rc)
		return -1;
	u->conninfo = strdup(conninfo);
	if (!u->conninfo || pthread_create(&u->sweeper, NULL, sweeper_main, u))
		return slate_errf(err, errlen, "cannot start the sweeper");
	u->sweeper_running = true;
	return 0;
}

void slate_upload_stop(slate_core *core)
{
	struct slate_upload *u = core->upload;
	if (u) {
		if (u->sweeper_running) {
			pthread_mutex_lock(&u->lock);
			u->stopping = true;
			pthread_cond_broadcast(&u->wake);
			pthread_mutex_unlock(&u->lock);
			pthread_join(u->sweeper, NULL);
		}
		pthread_cond_destroy(&u->wake);
		pthread_mutex_destroy(&u->lock);
		OPENSSL_cleanse(u->secret, sizeof(u->secret));
		free(u->conninfo);
		free(u);
		core->upload = NULL;
	}
	slate_storage_free(core->storage);
	core->storage = NULL;
}
