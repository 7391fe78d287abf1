/*
 * upload_sign.h - the signed upload URLs of the local store: an
 * HMAC-SHA256 over everything a URL allows (upload id, store, key, kind,
 * size, content type, expiry), keyed by a secret kept in auth_secrets so
 * that every slated process checks any other's URLs without the database.
 */
#ifndef SLATE_UPLOAD_SIGN_H
#define SLATE_UPLOAD_SIGN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct slate_upload_signer {
	char secret[128];
} slate_upload_signer;

/* Load the shared secret (creating it on first start) over a connection
 * of its own to `conninfo`. 0, or -1 with a reason. */
int slate_upload_sign_load(slate_upload_signer *s, const char *conninfo,
			   char *err, size_t errlen);
/* Wipe the secret. */
void slate_upload_sign_clear(slate_upload_signer *s);

/* The URL of one local upload under `base` ("http://host"): its PUT path
 * with every signed value and the signature. Malloc'd (the caller frees),
 * or NULL when out of memory. */
char *slate_upload_sign_url(const slate_upload_signer *s, const char *base,
			    const char *upload_id, const char *store,
			    const char *key, const char *kind, const char *size,
			    const char *ctype, const char *expires);
/* Whether `sig` (64 hex digits) signs these values; constant time. */
bool slate_upload_sign_check(const slate_upload_signer *s,
			     const char *upload_id, const char *store,
			     const char *key, const char *kind,
			     const char *size, const char *ctype,
			     const char *expires, const char *sig);

#endif
