/* store_s3_sign.c - SigV4 presigning; see store_s3_sign.h. */
#include "files/store_s3_sign.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files/store_s3_url.h"

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

char *s3_sign_url(const s3_store *s, const char *method, const char *key,
		  const char *content_type, uint64_t size, long ttl_s,
		  time_t now)
{
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
	if (s3_url_where(s, key, &path, &origin, &host))
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
	ecred = s3_url_escape(cred, false);
	esigned = s3_url_escape(signed_h, false);
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
