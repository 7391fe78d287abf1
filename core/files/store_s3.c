/*
 * store_s3.c - the S3-compatible store (AWS S3, MinIO, s3rver): its
 * vtable, its lifecycle, and the operations simple enough to be one
 * request each. The rest has its own file: store_s3_http.c (transport),
 * store_s3_multipart.c, store_s3_sign.c (presigned URLs), store_s3_url.c.
 *
 * Requests slated makes itself (HEAD, GET, PUT, DELETE, multipart) go
 * through libcurl, signed by it (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3",
 * the key pair as user and password) with "x-amz-content-sha256:
 * UNSIGNED-PAYLOAD", so a body is streamed once and never hashed.
 *
 * URLs: path style (endpoint/bucket/key: MinIO, s3rver, and AWS) or
 * virtual-host style (bucket.endpoint-host/key). Keys are
 * slate_store_key_valid(), so they never need escaping, but they are
 * escaped anyway as the URI rules say.
 *
 * Writes: put_write appends to an unlinked temporary file (TMPDIR); commit
 * sends it as one PUT when it fits in a part (s3_part_size), else as a
 * multipart upload (create, parts read from the file, complete; abort on
 * any failure). Either way the object appears whole at once or not at all.
 *
 * Reads: open_fd GETs the object into an unlinked temporary file and hands
 * its descriptor over (for slated-side work such as thumbnails); clients
 * download through presigned GET URLs instead.
 *
 * Presigned URLs: AWS Signature Version 4, query-string form, computed
 * here (canonical request, string to sign, HMAC-SHA256 key chain) with
 * UNSIGNED-PAYLOAD; a PUT URL also signs Content-Type and Content-Length,
 * so the server refuses any other type or size.
 */
#include "files/store_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files/store_s3_http.h"
#include "files/store_s3_int.h"
#include "files/store_s3_multipart.h"
#include "files/store_s3_sign.h"

#define S3_PRESIGN_MAX 604800 /* a week, S3's limit */

static const slate_store_ops s3_ops;

/* ---- stat, delete, read ------------------------------------------------ */

static int s3_stat(slate_store *base, const char *key, slate_store_info *st)
{
	s3_store *s = (s3_store *)base;
	s3_http_call c = {.method = "HEAD", .key = key, .sink_fd = -1};
	int rc = -1;
	if (s3_http_perform(s, &c) == 0) {
		if (c.status == 200) {
			rc = 0;
			if (st) {
				st->size = c.length;
				st->mtime = c.mtime;
				snprintf(st->etag, sizeof(st->etag), "%s",
					 c.etag);
			}
		} else if (c.status == 404) {
			rc = 1;
		} else {
			s3_http_log_status(s, &c);
		}
	}
	free(c.resp);
	return rc;
}

static int s3_del(slate_store *base, const char *key)
{
	s3_store *s = (s3_store *)base;
	s3_http_call c = {.method = "DELETE", .key = key, .sink_fd = -1};
	int rc = -1;
	if (s3_http_perform(s, &c) == 0) {
		if (c.status == 204 || c.status == 200 || c.status == 404)
			rc = 0;
		else
			s3_http_log_status(s, &c);
	}
	free(c.resp);
	return rc;
}

/* An unlinked read-write temporary file in TMPDIR (or /tmp). */
static int s3_tmpfd(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/slate-s3-XXXXXX", dir) >=
	    (int)sizeof(path))
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int s3_open_fd(slate_store *base, const char *key, slate_store_info *st)
{
	s3_store *s = (s3_store *)base;
	int fd = s3_tmpfd();
	if (fd < 0)
		return -1;
	s3_http_call c = {.method = "GET", .key = key, .sink_fd = fd};
	int err = EIO;
	if (s3_http_perform(s, &c) == 0 && !c.sink_failed) {
		if (c.status == 200 && lseek(fd, 0, SEEK_SET) == 0) {
			if (st) {
				st->size = c.length;
				st->mtime = c.mtime;
				snprintf(st->etag, sizeof(st->etag), "%s",
					 c.etag);
			}
			free(c.resp);
			return fd;
		}
		if (c.status == 404)
			err = ENOENT;
		else
			s3_http_log_status(s, &c);
	}
	free(c.resp);
	close(fd);
	errno = err;
	return -1;
}

/* ---- writes ------------------------------------------------------------ */

static int s3_put_begin(slate_store *base, const char *key,
			const char *content_type, uint64_t size,
			slate_store_writer **out)
{
	s3_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->base.store = base;
	w->want = size;
	w->key = strdup(key);
	w->content_type =
	    strdup(content_type ? content_type : "application/octet-stream");
	w->fd = s3_tmpfd();
	if (!w->key || !w->content_type || w->fd < 0) {
		int e = errno;
		if (w->fd >= 0)
			close(w->fd);
		free(w->key);
		free(w->content_type);
		free(w);
		errno = e;
		return -1;
	}
	*out = &w->base;
	return 0;
}

static int s3_put_write(slate_store_writer *base, const void *buf, size_t n)
{
	s3_writer *w = (s3_writer *)base;
	const char *p = buf;
	while (n) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
		w->got += (uint64_t)k;
	}
	return 0;
}

static void s3_put_abort(slate_store_writer *base)
{
	s3_writer *w = (s3_writer *)base;
	close(w->fd);
	free(w->key);
	free(w->content_type);
	free(w);
}

/* One PUT of the whole file. */
static int s3_put_single(s3_store *s, s3_writer *w)
{
	s3_http_call c = {.method = "PUT",
			  .key = w->key,
			  .content_type = w->content_type,
			  .body_fd = w->fd,
			  .body_len = w->got,
			  .sink_fd = -1};
	int rc = -1;
	if (s3_http_perform(s, &c) == 0) {
		if (c.status == 200)
			rc = 0;
		else
			s3_http_log_status(s, &c);
	}
	free(c.resp);
	return rc;
}

/* Create, upload the file's parts, complete; abort on any failure, so
 * nothing becomes visible unless every part made it. */
static int s3_put_commit(slate_store_writer *base)
{
	s3_writer *w = (s3_writer *)base;
	s3_store *s = (s3_store *)base->store;
	int rc = -1;
	if (w->want != UINT64_MAX && w->got != w->want)
		errno = EIO; /* not what was announced: publish nothing */
	else if (w->got <= s->part_size)
		rc = s3_put_single(s, w);
	else
		rc = s3_multipart_put(s, w);
	if (rc)
		errno = errno ? errno : EIO;
	s3_put_abort(base); /* frees the writer and its file */
	return rc;
}

/* ---- presigning -------------------------------------------------------- */

/* Refuses what is not an s3 store, so the test-facing entry point cannot
 * be handed a local store. */
char *slate_s3_presign_at(slate_store *base, const char *method,
			  const char *key, const char *content_type,
			  uint64_t size, long ttl_s, time_t now)
{
	if (!base || base->ops != &s3_ops || ttl_s < 1 ||
	    ttl_s > S3_PRESIGN_MAX || !slate_store_key_valid(key))
		return NULL;
	return s3_sign_url((const s3_store *)base, method, key, content_type,
			   size, ttl_s, now);
}

static char *s3_presign(slate_store *base, const char *method, const char *key,
			const char *content_type, uint64_t size, long ttl_s)
{
	if (strcmp(method, "PUT") && strcmp(method, "GET"))
		return NULL;
	if (!strcmp(method, "GET")) {
		content_type = NULL; /* a GET has neither */
		size = 0;
	}
	return slate_s3_presign_at(base, method, key, content_type, size, ttl_s,
				   time(NULL));
}

/* ---- lifecycle --------------------------------------------------------- */

static void s3_free(slate_store *base)
{
	s3_store *s = (s3_store *)base;
	free(s->scheme);
	free(s->hostport);
	free(s->host);
	free(s->region);
	free(s->bucket);
	free(s->access_key);
	if (s->secret_key) {
		OPENSSL_cleanse(s->secret_key, strlen(s->secret_key));
		free(s->secret_key);
	}
	free(s);
	curl_global_cleanup();
}

static const slate_store_ops s3_ops = {
    .backend = "s3",
    .put_begin = s3_put_begin,
    .put_write = s3_put_write,
    .put_commit = s3_put_commit,
    .put_abort = s3_put_abort,
    .open_fd = s3_open_fd,
    .stat = s3_stat,
    .del = s3_del,
    .presign = s3_presign,
    .free = s3_free,
};

/* S3's bucket rules: 3 to 63 of [a-z0-9.-], starting and ending with a
 * letter or digit. */
static bool bucket_ok(const char *b)
{
	size_t n = b ? strlen(b) : 0;
	if (n < 3 || n > 63 || b[0] == '-' || b[0] == '.' || b[n - 1] == '-' ||
	    b[n - 1] == '.')
		return false;
	return strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

slate_store *slate_store_s3_new(const char *name, const slate_s3_opts *o,
				char *err, size_t errlen)
{
	const char *ep = o->endpoint;
	const char *scheme = NULL;
	if (ep && !strncmp(ep, "http://", 7))
		scheme = "http";
	else if (ep && !strncmp(ep, "https://", 8))
		scheme = "https";
	if (!scheme) {
		snprintf(
		    err, errlen,
		    "storage %s: config storage.s3_endpoint must be an "
		    "http:// or https:// URL (\"https://s3.amazonaws.com\","
		    " \"http://127.0.0.1:9000\")",
		    name);
		return NULL;
	}
	const char *hp = ep + strlen(scheme) + 3;
	size_t hpn = strcspn(hp, "/?#");
	if (hpn == 0 || strspn(hp + hpn, "/") != strlen(hp + hpn)) {
		snprintf(err, errlen,
			 "storage %s: storage.s3_endpoint must be scheme://host"
			 "[:port] with no path",
			 name);
		return NULL;
	}
	if (!o->region || !*o->region) {
		snprintf(err, errlen, "storage %s: storage.s3_region is empty",
			 name);
		return NULL;
	}
	if (!bucket_ok(o->bucket)) {
		snprintf(
		    err, errlen,
		    "storage %s: bucket name '%s' is not a valid S3 bucket "
		    "name (3 to 63 of a-z, 0-9, '.', '-')",
		    name, o->bucket ? o->bucket : "");
		return NULL;
	}
	if (!o->access_key || !*o->access_key || !o->secret_key ||
	    !*o->secret_key) {
		snprintf(err, errlen,
			 "storage %s: no S3 credentials: set storage."
			 "s3_access_key and s3_secret_key, or "
			 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
			 name);
		return NULL;
	}
	if (o->part_size < 5u * 1024 * 1024) {
		snprintf(err, errlen,
			 "storage %s: storage.s3_part_size must be at least 5 "
			 "MiB",
			 name);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "storage %s: cannot start libcurl", name);
		return NULL;
	}
	s3_store *s = calloc(1, sizeof(*s));
	if (!s) {
		curl_global_cleanup();
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &s3_ops;
	snprintf(s->base.name, sizeof(s->base.name), "%s", name);
	s->scheme = strdup(scheme);
	s->hostport = strndup(hp, hpn);
	/* The Host header leaves out the scheme's default port. */
	const char *dflt = !strcmp(scheme, "http") ? ":80" : ":443";
	size_t dl = strlen(dflt);
	if (hpn > dl && !strncmp(hp + hpn - dl, dflt, dl))
		s->host = strndup(hp, hpn - dl);
	else
		s->host = strndup(hp, hpn);
	s->region = strdup(o->region);
	s->bucket = strdup(o->bucket);
	s->access_key = strdup(o->access_key);
	s->secret_key = strdup(o->secret_key);
	s->path_style = o->path_style;
	s->part_size = o->part_size;
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", o->region);
	if (!s->scheme || !s->hostport || !s->host || !s->region ||
	    !s->bucket || !s->access_key || !s->secret_key) {
		s3_free(&s->base);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return &s->base;
}
