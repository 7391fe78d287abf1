/*
 * jwks.h - the OIDC issuer's signing keys, kept current: read from a file
 * at start, or fetched from the issuer's JWKS URL at start and again in
 * the background.
 *
 * An identity-provider outage must not stop slated from (re)starting: when
 * the URL cannot be fetched at start, slated starts with an empty key set,
 * the issuer's tokens are refused (SLATE_JWT_NO_KEYS, so 401), and a
 * thread owned by this module retries with backoff (1 s, doubling to 60 s)
 * until the keys load. A token from the issuer arriving meanwhile brings
 * the next attempt forward, at most one every 5 s. Once loaded, a token
 * naming a kid the set lacks (the issuer rotated its keys) asks for one
 * refetch, at most one a minute; a failed refetch keeps the old keys.
 *
 * Thread safety: slate_jwks_verify and slate_jwks_ready from any thread
 * (request workers); open and close on one thread, close after the last
 * verify.
 */
#ifndef SLATE_JWKS_H
#define SLATE_JWKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/jwt_token.h"

typedef struct slate_jwks slate_jwks;

/* Keys from `file` (read now; failing is an error: it is local config) or
 * from `url` (exactly one is non-NULL; both borrowed, copied). A URL that
 * cannot be fetched now is not an error: it is logged and retried in the
 * background. 0 with *out set (release with slate_jwks_close), or -1 with
 * a reason in err. */
int slate_jwks_open(slate_jwks **out, const char *file, const char *url,
		    char *err, size_t errlen);

/* Stop the background fetcher (an attempt in flight is cut short), wait
 * for it, and free everything. NULL is fine. */
void slate_jwks_close(slate_jwks *k);

/* Whether the key set is loaded (false while the JWKS URL has not yet
 * been fetched): what a readiness check reports. */
bool slate_jwks_ready(slate_jwks *k);

/* slate_jwt_verify with algorithm RS256 against the current keys. On
 * SLATE_JWT_OK *claims is a new reference. SLATE_JWT_NO_KEYS while
 * nothing is loaded; SLATE_JWT_NO_KEY (unknown kid) also asks the fetcher
 * for a refetch, as described above. */
slate_jwt_status slate_jwks_verify(slate_jwks *k, const char *token,
				   json_t **claims);

/* How many keys are loaded now. */
size_t slate_jwks_count(slate_jwks *k);

#endif
