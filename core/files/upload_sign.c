/* upload_sign.c - see upload_sign.h. */
#include "files/upload_sign.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "db/secrets.h"

#define SECRET_NAME "upload_url_hs256"

int slate_upload_sign_load(slate_upload_signer *s, const char *conninfo,
			   char *err, size_t errlen)
{
	PGconn *pg = PQconnectdb(conninfo);
	int rc =
	    PQstatus(pg) == CONNECTION_OK
		? slate_secret_shared(pg, SECRET_NAME, s->secret,
				      sizeof(s->secret), err, errlen)
		: slate_errf(err, errlen, "cannot connect to the database: %s",
			     PQerrorMessage(pg));
	PQfinish(pg);
	return rc ? -1 : 0;
}

void slate_upload_sign_clear(slate_upload_signer *s)
{
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
}

/* HMAC-SHA256 of the values, hex. -1 when they do not fit. */
static int sign(const slate_upload_signer *s, const char *upload_id,
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
	if (!HMAC(EVP_sha256(), s->secret, (int)strlen(s->secret),
		  (const unsigned char *)msg, (size_t)n, mac, &maclen))
		return -1;
	for (unsigned i = 0; i < maclen; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	return 0;
}

/* Percent-encode all but RFC 3986 unreserved characters. Malloc'd, or
 * NULL. */
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

char *slate_upload_sign_url(const slate_upload_signer *s, const char *base,
			    const char *upload_id, const char *store,
			    const char *key, const char *kind, const char *size,
			    const char *ctype, const char *expires)
{
	char sig[65], *url = NULL;
	char *ek = url_escape(key), *ect = url_escape(ctype);
	if (ek && ect &&
	    !sign(s, upload_id, store, key, kind, size, ctype, expires, sig) &&
	    asprintf(&url,
		     "%s/api/v1/upload/put/%s?store=%s&key=%s"
		     "&kind=%s&size=%s&type=%s&expires=%s"
		     "&signature=%s",
		     base, upload_id, store, ek, kind, size, ect, expires,
		     sig) < 0)
		url = NULL;
	free(ek);
	free(ect);
	return url;
}

bool slate_upload_sign_check(const slate_upload_signer *s,
			     const char *upload_id, const char *store,
			     const char *key, const char *kind,
			     const char *size, const char *ctype,
			     const char *expires, const char *sig)
{
	char want[65];
	return strlen(sig) == 64 &&
	       !sign(s, upload_id, store, key, kind, size, ctype, expires,
		     want) &&
	       CRYPTO_memcmp(want, sig, 64) == 0;
}
