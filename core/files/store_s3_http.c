/* store_s3_http.c - one S3 request through libcurl; see store_s3_http.h. */
#include "files/store_s3_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "files/store_s3_url.h"

static size_t s3_on_write(char *p, size_t sz, size_t n, void *ud)
{
	s3_http_call *c = ud;
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
	s3_http_call *c = ud;
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
int s3_http_perform(s3_store *s, s3_http_call *c)
{
	char *path = NULL, *origin = NULL, *host = NULL, *url = NULL;
	struct curl_slist *hl = NULL;
	CURL *h = curl_easy_init();
	int rc = -1;
	c->status = 0;
	if (!h || s3_url_where(s, c->key, &path, &origin, &host) ||
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
void s3_http_log_status(const s3_store *s, const s3_http_call *c)
{
	char code[64] = "";
	const char *p = c->resp ? strstr(c->resp, "<Code>") : NULL;
	if (p)
		sscanf(p + 6, "%63[^<]", code);
	slate_log(SLATE_LOG_WARN, "storage", NULL,
		  "storage %s: %s %s: HTTP %ld %s", s->base.name, c->method,
		  c->key ? c->key : "(bucket)", c->status, code);
}
