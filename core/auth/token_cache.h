/*
 * token_cache.h - bearer tokens that already verified, so the next request
 * carrying the same token skips the JWT decode and signature check.
 *
 * A token is immutable and its claims cannot change, so a verified token
 * stays valid until its exp: the cache keeps the identity until then and no
 * longer. Entries are keyed by the token's SHA-256, compared in full, so a
 * lookup leaks nothing about cached tokens through timing. Revocation is
 * not this cache's concern: access tokens are not looked up per request
 * anyway (auth.h), and expire within the hour.
 */
#ifndef SLATE_TOKEN_CACHE_H
#define SLATE_TOKEN_CACHE_H

#include <stdbool.h>

#include "auth/identity.h"

typedef struct slate_token_cache slate_token_cache;

/* NULL when out of memory (callers then just verify every time). */
slate_token_cache *slate_token_cache_new(void);
void slate_token_cache_free(slate_token_cache *c);

/* [any thread] The identity of a cached token still valid at `now`. */
bool slate_token_cache_get(slate_token_cache *c, const char *token, long now,
			   slate_identity *out);
/* [any thread] Remember a token verified at `now`, valid until `until`. */
void slate_token_cache_put(slate_token_cache *c, const char *token, long until,
			   const slate_identity *id);

#endif
