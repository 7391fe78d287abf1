/*
 * auth.h - who is asking, and may they: bearer tokens checked on the worker
 * thread before every handler, against the permission the route declared.
 *
 * Two kinds of token are accepted:
 *  - local access tokens, HS256, signed with a secret generated once and
 *    kept in auth_secrets, so every slated process on the database signs and
 *    verifies with the same key;
 *  - when config names an OIDC issuer (Cognito or any OpenID provider),
 *    its RS256 tokens (typ JWT or RFC 9068's at+jwt), checked against the
 *    issuer's JWKS (a file, or a URL; see jwks.h for an unreachable one):
 *    signature, exp, nbf, iss, aud or client_id, token_use when present;
 *    the groups claim (cognito:groups) maps onto admin, editor, viewer.
 * The issuer claim picks which; each kind accepts exactly its algorithm.
 *
 * No token or a bad one: 401 UNAUTHORIZED with WWW-Authenticate: Bearer. A
 * good token without the group: 403 FORBIDDEN. viewer reads, editor also
 * writes, admin also deletes and administers.
 */
#ifndef SLATE_AUTH_H
#define SLATE_AUTH_H

#include <libpq-fe.h>
#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/identity.h"
#include "auth/jwt_token.h"
#include "base/config.h"

struct slate_token_cache;
struct slate_jwks;

typedef struct slate_auth {
	const slate_config *cfg;
	slate_jwt_keyset local;	 /* the HS256 secret */
	struct slate_jwks *oidc; /* the issuer's RS256 keys; NULL when none */
	struct slate_token_cache *verified; /* may be NULL */
} slate_auth;

/* At start, on the main thread: load or create the shared signing secret,
 * load the OIDC keys, and on a database with no account create the first
 * admin, whose password is printed once on standard output. 0, or -1 with
 * a reason. Free with slate_auth_free. */
int slate_auth_init(slate_auth **out, const slate_config *cfg, PGconn *pg,
		    char *err, size_t errlen);
void slate_auth_free(slate_auth *a);

/* Whether the OIDC issuer's keys are loaded (true when there is no
 * issuer): false while its JWKS URL has been unreachable since start, for
 * a readiness check. Any thread. */
bool slate_auth_oidc_ready(const slate_auth *a);

/* Load the keys only (no database): for tests and tools. The HS256 secret
 * is `secret`; the OIDC keys come from cfg as in slate_auth_init. */
int slate_auth_init_keys(slate_auth **out, const slate_config *cfg,
			 const char *secret, char *err, size_t errlen);

/* A new local access token for a user. New string (free()), or NULL. */
char *slate_auth_issue_access(const slate_auth *a, const char *user_id,
			      const char *email, unsigned groups);

/* Check a bearer token (the part after "Bearer "). 0 and *id filled, or -1
 * with the reason in why (for logs; clients get one message). `now` is
 * epoch seconds. */
int slate_auth_verify(const slate_auth *a, const char *token, long now,
		      slate_identity *id, char *why, size_t whylen);

/* Whether groups `g` may call a route needing `perm`. */
bool slate_auth_allows(unsigned g, slate_perm perm);

/* The request's caller against its route (worker thread, before the
 * handler): fills r->user_id, user_email, groups. 0 to go on; -1 when the
 * request has been answered (401 or 403). */
int slate_auth_request(slate_req *r, slate_perm perm);

/* "public", "read", "write", "admin". */
const char *slate_auth_perm_name(slate_perm perm);

#endif
