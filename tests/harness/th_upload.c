/* th_upload.c - storing files and waiting for their processing, as a
 * client does: generate-url, PUT, confirm; then the jobs they queued. */
#include "harness.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

/* PUT the file to a signed URL; the HTTP status or -1. */
static long put_file(const char *url, const char *path, long long size,
		     const char *ctype)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	CURL *c = curl_easy_init();
	char h[300];
	snprintf(h, sizeof(h), "Content-Type: %s", ctype);
	struct curl_slist *hl = curl_slist_append(NULL, h);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READDATA, f);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	long st = -1;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	fclose(f);
	return st;
}

long th_upload_file(th_server *s, const char *entity_type,
		    const char *entity_id, const char *kind, const char *path,
		    const char *content_type, char *upload_id)
{
	struct stat st;
	if (stat(path, &st) || st.st_size == 0) {
		fprintf(stderr, "th_upload_file: %s is missing or empty\n",
			path);
		return -1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	json_t *req = json_pack(
	    "{s:s, s:s, s:s, s:s, s:I, s:s}", "entity_type", entity_type,
	    "entity_id", entity_id, "kind", kind, "filename", base, "size",
	    (json_int_t)st.st_size, "content_type", content_type);
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	th_resp r;
	int rc =
	    th_req(s, "POST", "/api/v1/upload/generate-url", body, NULL, &r);
	free(body);
	if (rc)
		return -1;
	if (r.status != 201) {
		fprintf(stderr, "th_upload_file: generate-url %ld: %s\n",
			r.status, r.body ? r.body : "");
		long bad = r.status;
		th_resp_free(&r);
		return bad;
	}
	char url[4096], id[64];
	snprintf(url, sizeof(url), "%s", th_data_str(&r, "url"));
	snprintf(id, sizeof(id), "%s", th_data_str(&r, "upload_id"));
	th_resp_free(&r);
	if (upload_id)
		snprintf(upload_id, 64, "%s", id);
	long put = put_file(url, path, (long long)st.st_size, content_type);
	if (put != 200 && put != 201 && put != 204) {
		fprintf(stderr, "th_upload_file: PUT %s: %ld\n", path, put);
		return put;
	}
	char cbody[128];
	snprintf(cbody, sizeof(cbody), "{\"upload_id\":\"%s\"}", id);
	if (th_req(s, "POST", "/api/v1/upload/confirm", cbody, NULL, &r))
		return -1;
	long status = r.status;
	if (status != 200)
		fprintf(stderr, "th_upload_file: confirm %ld: %s\n", status,
			r.body ? r.body : "");
	th_resp_free(&r);
	return status;
}

bool th_wait_jobs(th_server *s, const char *entity_id, int timeout_ms)
{
	char sql[256];
	if (entity_id)
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM jobs WHERE status IN ('queued', "
			 "'running', 'failed') AND entity_id = '%s'",
			 entity_id);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM jobs WHERE status IN ('queued', "
			 "'running', 'failed')");
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		if (th_sql_long(s, sql) == 0)
			return true;
		usleep(50 * 1000);
	}
	fprintf(stderr, "th_wait_jobs: jobs still pending after %d ms\n",
		timeout_ms);
	return false;
}
