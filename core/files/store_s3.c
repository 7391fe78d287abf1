/*
 * storage_s3.c - the S3-compatible store (AWS S3, MinIO, s3rver).
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
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"

#define S3_RESP_MAX (64 * 1024) /* XML answers kept, at most */
#define S3_MAX_PARTS 10000
#define S3_PRESIGN_MAX 604800 /* a week, S3's limit */

typedef struct s3_store {
	slate_store base;
	char *scheme;	/* "http", "https" */
	char *hostport; /* as in the endpoint: "127.0.0.1:9000" */
	char *host;	/* the Host header: hostport less a default port */
	char *region, *bucket, *access_key, *secret_key;
	bool path_style;
	size_t part_size;
	char sigv4[160];
} s3_store;

typedef struct s3_writer {
	slate_store_writer base;
	int fd; /* unlinked temporary file */
	char *key, *content_type;
	uint64_t want, got;
} s3_writer;

static const slate_store_ops s3_ops;

/* ---- escaping and URLs ------------------------------------------------- */

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* URI-encode `s` as SigV4 wants (RFC 3986 unreserved kept, '/' kept when
 * keep_slash). New string or NULL. */
static char *s3_escape(const char *s, bool keep_slash)
{
	char *o = malloc(3 * strlen(s) + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (unreserved(c) || (keep_slash && c == '/'))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return o;
}

/* The canonical URI of `key` (NULL: the bucket) and the URL's origin. */
static int s3_where(const s3_store *s, const char *key, char **path,
		    char **origin, char **host)
{
	char *ek = s3_escape(key ? key : "", true);
	int rc = -1;
	*path = *origin = *host = NULL;
	if (!ek)
		return -1;
	if (s->path_style) {
		if (asprintf(path, "/%s%s%s", s->bucket, key ? "/" : "", ek) >=
			0 &&
		    asprintf(origin, "%s://%s", s->scheme, s->hostport) >= 0 &&
		    (*host = strdup(s->host)))
			rc = 0;
	} else {
		if (asprintf(path, "/%s", ek) >= 0 &&
		    asprintf(origin, "%s://%s.%s", s->scheme, s->bucket,
			     s->hostport) >= 0 &&
		    asprintf(host, "%s.%s", s->bucket, s->host) >= 0)
			rc = 0;
	}
	free(ek);
	return rc;
}

/* ---- requests ---------------------------------------------------------- */

typedef struct s3_call {
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *key;    /* NULL: the bucket itself */
	const char *query;  /* canonical query string ("uploads=") or NULL */
	const char *content_type;
	int body_fd; /* PUT: body_len bytes of body_fd from body_off */
	off_t body_off;
	uint64_t body_len, body_pos;
	const char *body; /* POST */
	int sink_fd;	  /* GET: the body goes there (-1: to resp) */
	bool sink_failed;
	/* answer */
	long status;
	char *resp; /* NUL-terminated, at most S3_RESP_MAX */
	size_t resp_n;
	char etag[80];
	uint64_t length;
	time_t mtime;
} s3_call;

static size_t s3_on_write(char *p, size_t sz, size_t n, void *ud)
{
	s3_call *c = ud;
	size_t k = sz * n;
	if (c->sink_fd >= 0) {
		for (size_t off = 0; off < k;) {
			ssize_t w = write(c->sink_fd, p + off, k - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				c->sink_failed = true;
				return 0; /* curl stops */
			}
			off += (size_t)w;
		}
		return k;
	}
	if (c->resp_n + k > S3_RESP_MAX)
		return k; /* keep the start of a long answer only */
	char *nb = realloc(c->resp, c->resp_n + k + 1);
	if (!nb)
		return 0;
	memcpy(nb + c->resp_n, p, k);
	c->resp = nb;
	c->resp_n += k;
	c->resp[c->resp_n] = '\0';
	return k;
}

static size_t s3_on_read(char *buf, size_t sz, size_t n, void *ud)
{
	s3_call *c = ud;
	size_t k = sz * n;
	if (k > c->body_len - c->body_pos)
		k = (size_t)(c->body_len - c->body_pos);
	if (k == 0)
		return 0;
	ssize_t r;
	do
		r = pread(c->body_fd, buf, k, c->body_off + (off_t)c->body_pos);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	c->body_pos += (uint64_t)r;
	return (size_t)r;
}

/* Make one signed request. 0 with c->status (any HTTP status), or -1 when
 * no answer came (logged). Free c->resp afterwards. */
static int s3_perform(s3_store *s, s3_call *c)
{
	char *path = NULL, *origin = NULL, *host = NULL, *url = NULL;
	struct curl_slist *hl = NULL;
	CURL *h = curl_easy_init();
	int rc = -1;
	c->status = 0;
	if (!h || s3_where(s, c->key, &path, &origin, &host) ||
	    asprintf(&url, "%s%s%s%s", origin, path, c->query ? "?" : "",
		     c->query ? c->query : "") < 0) {
		url = NULL;
		goto out;
	}
	char ct[300];
	snprintf(ct, sizeof(ct), "Content-Type: %s",
		 c->content_type ? c->content_type : "");
	hl = curl_slist_append(hl, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	hl = curl_slist_append(hl, c->content_type ? ct : "Content-Type:");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	if (!strcmp(c->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(c->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, s3_on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, c);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)c->body_len);
	} else if (!strcmp(c->method, "POST")) {
		const char *b = c->body ? c->body : "";
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, b);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(b));
	} else if (strcmp(c->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		slate_log(SLATE_LOG_WARN, "storage", NULL,
			  "storage %s: %s %s: %s", s->base.name, c->method,
			  c->key ? c->key : "(bucket)", curl_easy_strerror(cc));
		goto out;
	}
	curl_off_t len = -1, ft = -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
	c->length = len >= 0 ? (uint64_t)len : 0;
	c->mtime = ft >= 0 ? (time_t)ft : 0;
	struct curl_header *eh;
	c->etag[0] = '\0';
	if (curl_easy_header(h, "ETag", 0, CURLH_HEADER, -1, &eh) ==
		CURLHE_OK &&
	    eh->value) {
		const char *v = eh->value;
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v++;
			n -= 2;
		}
		if (n < sizeof(c->etag))
			snprintf(c->etag, sizeof(c->etag), "%.*s", (int)n, v);
	}
	rc = 0;
out:
	curl_slist_free_all(hl);
	if (h)
		curl_easy_cleanup(h);
	free(url);
	free(path);
	free(origin);
	free(host);
	return rc;
}

/* Log an unexpected answer with S3's error code when it gave one. */
static void s3_log_status(const s3_store *s, const s3_call *c)
{
	char code[64] = "";
	const char *p = c->resp ? strstr(c->resp, "<Code>") : NULL;
	if (p)
		sscanf(p + 6, "%63[^<]", code);
	slate_log(SLATE_LOG_WARN, "storage", NULL,
		  "storage %s: %s %s: HTTP %ld %s", s->base.name, c->method,
		  c->key ? c->key : "(bucket)", c->status, code);
}

/* The text of the first <tag> in xml, copied into out. */
static bool xml_text(const char *xml, const char *tag, char *out, size_t len)
{
	char open[64], close[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = xml ? strstr(xml, open) : NULL;
	const char *b = a ? strstr(a, close) : NULL;
	if (!b)
		return false;
	a += strlen(open);
	if ((size_t)(b - a) >= len || b == a)
		return false;
	snprintf(out, len, "%.*s", (int)(b - a), a);
	return true;
}

/* ---- stat, delete, read ------------------------------------------------ */

static int s3_stat(slate_store *base, const char *key, slate_store_info *st)
{
	s3_store *s = (s3_store *)base;
	s3_call c = {.method = "HEAD", .key = key, .sink_fd = -1};
	int rc = -1;
	if (s3_perform(s, &c) == 0) {
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
			s3_log_status(s, &c);
		}
	}
	free(c.resp);
	return rc;
}

static int s3_del(slate_store *base, const char *key)
{
	s3_store *s = (s3_store *)base;
	s3_call c = {.method = "DELETE", .key = key, .sink_fd = -1};
	int rc = -1;
	if (s3_perform(s, &c) == 0) {
		if (c.status == 204 || c.status == 200 || c.status == 404)
			rc = 0;
		else
			s3_log_status(s, &c);
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
	s3_call c = {.method = "GET", .key = key, .sink_fd = fd};
	int err = EIO;
	if (s3_perform(s, &c) == 0 && !c.sink_failed) {
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
			s3_log_status(s, &c);
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
	s3_call c = {.method = "PUT",
		     .key = w->key,
		     .content_type = w->content_type,
		     .body_fd = w->fd,
		     .body_len = w->got,
		     .sink_fd = -1};
	int rc = -1;
	if (s3_perform(s, &c) == 0) {
		if (c.status == 200)
			rc = 0;
		else
			s3_log_status(s, &c);
	}
	free(c.resp);
	return rc;
}

/* Create, upload the file's parts, complete; abort on any failure, so
 * nothing becomes visible unless every part made it. */
static int s3_put_multipart(s3_store *s, s3_writer *w)
{
	uint64_t nparts = (w->got + s->part_size - 1) / s->part_size;
	char upload_id[1024], query[1200], *eid = NULL, *xml = NULL;
	size_t xml_n = 0;
	int rc = -1;
	if (nparts > S3_MAX_PARTS) {
		slate_log(SLATE_LOG_ERROR, "storage", NULL,
			  "storage %s: %s needs %" PRIu64
			  " parts of s3_part_size; S3 allows %d",
			  s->base.name, w->key, nparts, S3_MAX_PARTS);
		return -1;
	}
	s3_call c = {.method = "POST",
		     .key = w->key,
		     .query = "uploads=",
		     .content_type = w->content_type,
		     .sink_fd = -1};
	if (s3_perform(s, &c))
		return -1;
	if (c.status != 200 ||
	    !xml_text(c.resp, "UploadId", upload_id, sizeof(upload_id))) {
		s3_log_status(s, &c);
		free(c.resp);
		return -1;
	}
	free(c.resp);
	eid = s3_escape(upload_id, false);
	/* <Part><PartNumber>n</PartNumber><ETag>"e"</ETag></Part> each */
	size_t cap = 128 + (size_t)nparts * 160;
	xml = malloc(cap);
	if (!eid || !xml)
		goto abort;
	xml_n = (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (uint64_t i = 0; i < nparts; i++) {
		uint64_t off = i * s->part_size;
		uint64_t len =
		    w->got - off < s->part_size ? w->got - off : s->part_size;
		snprintf(query, sizeof(query),
			 "partNumber=%" PRIu64 "&uploadId=%s", i + 1, eid);
		s3_call p = {.method = "PUT",
			     .key = w->key,
			     .query = query,
			     .body_fd = w->fd,
			     .body_off = (off_t)off,
			     .body_len = len,
			     .sink_fd = -1};
		if (s3_perform(s, &p))
			goto abort;
		if (p.status != 200 || !p.etag[0]) {
			s3_log_status(s, &p);
			free(p.resp);
			goto abort;
		}
		free(p.resp);
		xml_n += (size_t)snprintf(xml + xml_n, cap - xml_n,
					  "<Part><PartNumber>%" PRIu64
					  "</PartNumber><ETag>\"%s\"</ETag>"
					  "</Part>",
					  i + 1, p.etag);
	}
	snprintf(xml + xml_n, cap - xml_n, "</CompleteMultipartUpload>");
	snprintf(query, sizeof(query), "uploadId=%s", eid);
	s3_call d = {.method = "POST",
		     .key = w->key,
		     .query = query,
		     .content_type = "application/xml",
		     .body = xml,
		     .sink_fd = -1};
	if (s3_perform(s, &d) == 0) {
		/* S3 may answer 200 and put the error in the body */
		if (d.status == 200 && d.resp && !strstr(d.resp, "<Error>"))
			rc = 0;
		else
			s3_log_status(s, &d);
	}
	free(d.resp);
	if (rc == 0)
		goto out;
abort:;
	if (eid) {
		snprintf(query, sizeof(query), "uploadId=%s", eid);
		s3_call a = {.method = "DELETE",
			     .key = w->key,
			     .query = query,
			     .sink_fd = -1};
		if (s3_perform(s, &a) == 0 && a.status != 204 &&
		    a.status != 200 && a.status != 404)
			s3_log_status(s, &a); /* the bucket's lifecycle
						 rules must clean up */
		free(a.resp);
	}
out:
	free(eid);
	free(xml);
	return rc;
}

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
		rc = s3_put_multipart(s, w);
	if (rc)
		errno = errno ? errno : EIO;
	s3_put_abort(base); /* frees the writer and its file */
	return rc;
}

/* ---- presigning (SigV4 query string) ----------------------------------- */

static void hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static int hmac(const void *key, size_t klen, const char *msg,
		unsigned char out[32])
{
	unsigned len = 0;
	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
		    strlen(msg), out, &len) &&
		       len == 32
		   ? 0
		   : -1;
}

char *slate_s3_presign_at(slate_store *base, const char *method,
			  const char *key, const char *content_type,
			  uint64_t size, long ttl_s, time_t now)
{
	if (!base || base->ops != &s3_ops || ttl_s < 1 ||
	    ttl_s > S3_PRESIGN_MAX || !slate_store_key_valid(key))
		return NULL;
	s3_store *s = (s3_store *)base;
	char amzdate[20], date[10], scope[160], signed_h[64] = "";
	char canon_h[1024] = "";
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", date,
		 s->region);

	char *path = NULL, *origin = NULL, *host = NULL, *cred = NULL;
	char *ecred = NULL, *esigned = NULL, *query = NULL, *creq = NULL;
	char *sts = NULL, *url = NULL;
	if (s3_where(s, key, &path, &origin, &host))
		goto out;
	/* Signed headers, in sorted order. */
	if (size > 0) {
		snprintf(canon_h, sizeof(canon_h),
			 "content-length:%" PRIu64 "\n", size);
		strcat(signed_h, "content-length;");
	}
	if (content_type && *content_type) {
		size_t u = strlen(canon_h);
		if (snprintf(canon_h + u, sizeof(canon_h) - u,
			     "content-type:%s\n",
			     content_type) >= (int)(sizeof(canon_h) - u))
			goto out;
		strcat(signed_h, "content-type;");
	}
	size_t u = strlen(canon_h);
	if (snprintf(canon_h + u, sizeof(canon_h) - u, "host:%s\n", host) >=
	    (int)(sizeof(canon_h) - u))
		goto out;
	strcat(signed_h, "host");
	if (asprintf(&cred, "%s/%s", s->access_key, scope) < 0) {
		cred = NULL;
		goto out;
	}
	ecred = s3_escape(cred, false);
	esigned = s3_escape(signed_h, false);
	if (!ecred || !esigned ||
	    asprintf(&query,
		     "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s"
		     "&X-Amz-Date=%s&X-Amz-Expires=%ld&X-Amz-SignedHeaders=%s",
		     ecred, amzdate, ttl_s, esigned) < 0) {
		query = NULL;
		goto out;
	}
	if (asprintf(&creq, "%s\n%s\n%s\n%s\n%s\nUNSIGNED-PAYLOAD", method,
		     path, query, canon_h, signed_h) < 0) {
		creq = NULL;
		goto out;
	}
	unsigned char md[32], k1[32], k2[32], k3[32], k4[32], sig[32];
	char creq_hex[65], sig_hex[65], kdate[300];
	if (EVP_Digest(creq, strlen(creq), md, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	hex(md, 32, creq_hex);
	if (asprintf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope,
		     creq_hex) < 0) {
		sts = NULL;
		goto out;
	}
	snprintf(kdate, sizeof(kdate), "AWS4%s", s->secret_key);
	int bad = hmac(kdate, strlen(kdate), date, k1) ||
		  hmac(k1, 32, s->region, k2) || hmac(k2, 32, "s3", k3) ||
		  hmac(k3, 32, "aws4_request", k4) || hmac(k4, 32, sts, sig);
	OPENSSL_cleanse(kdate, sizeof(kdate));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(k4, sizeof(k4));
	if (bad)
		goto out;
	hex(sig, 32, sig_hex);
	if (asprintf(&url, "%s%s?%s&X-Amz-Signature=%s", origin, path, query,
		     sig_hex) < 0)
		url = NULL;
out:
	free(path);
	free(origin);
	free(host);
	free(cred);
	free(ecred);
	free(esigned);
	free(query);
	free(creq);
	free(sts);
	return url;
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
