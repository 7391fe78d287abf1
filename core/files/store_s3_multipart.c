/* store_s3_multipart.c - multipart uploads; see store_s3_multipart.h. */
#include "files/store_s3_multipart.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/log.h"
#include "files/store_s3_http.h"
#include "files/store_s3_url.h"

#define S3_MAX_PARTS 10000

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

int s3_multipart_put(s3_store *s, s3_writer *w)
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
	s3_http_call c = {.method = "POST",
			  .key = w->key,
			  .query = "uploads=",
			  .content_type = w->content_type,
			  .sink_fd = -1};
	if (s3_http_perform(s, &c))
		return -1;
	if (c.status != 200 ||
	    !xml_text(c.resp, "UploadId", upload_id, sizeof(upload_id))) {
		s3_http_log_status(s, &c);
		free(c.resp);
		return -1;
	}
	free(c.resp);
	eid = s3_url_escape(upload_id, false);
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
		s3_http_call p = {.method = "PUT",
				  .key = w->key,
				  .query = query,
				  .body_fd = w->fd,
				  .body_off = (off_t)off,
				  .body_len = len,
				  .sink_fd = -1};
		if (s3_http_perform(s, &p))
			goto abort;
		if (p.status != 200 || !p.etag[0]) {
			s3_http_log_status(s, &p);
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
	s3_http_call d = {.method = "POST",
			  .key = w->key,
			  .query = query,
			  .content_type = "application/xml",
			  .body = xml,
			  .sink_fd = -1};
	if (s3_http_perform(s, &d) == 0) {
		/* S3 may answer 200 and put the error in the body */
		if (d.status == 200 && d.resp && !strstr(d.resp, "<Error>"))
			rc = 0;
		else
			s3_http_log_status(s, &d);
	}
	free(d.resp);
	if (rc == 0)
		goto out;
abort:;
	if (eid) {
		snprintf(query, sizeof(query), "uploadId=%s", eid);
		s3_http_call a = {.method = "DELETE",
				  .key = w->key,
				  .query = query,
				  .sink_fd = -1};
		if (s3_http_perform(s, &a) == 0 && a.status != 204 &&
		    a.status != 200 && a.status != 404)
			s3_http_log_status(s, &a); /* the bucket's lifecycle
						 rules must clean up */
		free(a.resp);
	}
out:
	free(eid);
	free(xml);
	return rc;
}
