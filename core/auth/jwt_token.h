/*
 * jwt_token.h - signing JSON Web Tokens (libjwt), verifying them (OpenSSL,
 * directly), and turning a JWKS into verification keys.
 *
 * Verification does not go through libjwt: libjwt 1.10 (Debian 12) refuses
 * every header "typ" but "JWT", even when only parsing, and RFC 9068 access
 * tokens, what certified OpenID providers issue, say "at+jwt". Accepted
 * typ values: absent, "JWT" and "at+jwt" (either with or without the
 * "application/" prefix RFC 7515 allows, any case); a "crit" header is
 * refused, as RFC 7515 asks of extensions a recipient does not know.
 *
 * Verification is strict about the algorithm: the caller names the one it
 * expects, and a token whose header says anything else (none, or HS256
 * presented to an RS256 key) is refused before any key is used. Claims
 * (exp, iss, ...) are the caller's policy: this module only proves who
 * signed the token.
 *
 * Thread safety: every function may be called from any thread; a key set
 * is read-only once loaded.
 */
#ifndef SLATE_JWT_TOKEN_H
#define SLATE_JWT_TOKEN_H

#include <jansson.h>
#include <stddef.h>

typedef enum slate_jwt_alg {
	SLATE_JWT_HS256 = 1,
	SLATE_JWT_RS256,
} slate_jwt_alg;

/* One verification key: an HMAC secret or a PEM public key. */
typedef struct slate_jwt_key {
	char *kid; /* NULL when the key set has one anonymous key */
	slate_jwt_alg alg;
	unsigned char *key;
	size_t key_len;
} slate_jwt_key;

typedef struct slate_jwt_keyset {
	slate_jwt_key *keys;
	size_t n;
} slate_jwt_keyset;

typedef enum slate_jwt_status {
	SLATE_JWT_OK = 0,
	SLATE_JWT_MALFORMED, /* not three base64url parts of JSON objects */
	SLATE_JWT_BAD_ALG,   /* alg other than the expected one */
	SLATE_JWT_BAD_TYP,   /* typ other than JWT or at+jwt */
	SLATE_JWT_CRIT,	     /* a crit header: extensions we do not know */
	SLATE_JWT_NO_KEY,    /* no key with that kid */
	SLATE_JWT_NO_KEYS,   /* the key set is empty (JWKS not loaded yet) */
	SLATE_JWT_BAD_SIG,   /* signature does not verify */
	SLATE_JWT_NO_MEMORY,
} slate_jwt_status;

/* A short English reason for logs ("unknown kid"); never NULL, static. */
const char *slate_jwt_status_str(slate_jwt_status st);

/* Sign `claims` (borrowed) with HS256. New string (free()), or NULL. */
char *slate_jwt_sign_hs256(const json_t *claims, const unsigned char *secret,
			   size_t secret_len);

/* Sign `claims` with RS256 and a PEM private key, `kid` in the header
 * (may be NULL). For tests and tools. New string (free()), or NULL. */
char *slate_jwt_sign_rs256(const json_t *claims, const char *private_pem,
			   const char *kid);

/* Verify `token` against the keys of `ks` with algorithm `alg`; the key
 * is the one whose kid the header names, or the only key when the header
 * names none. On SLATE_JWT_OK *claims is a new reference (an object);
 * otherwise *claims is NULL and the status says why. */
slate_jwt_status slate_jwt_verify(const char *token, slate_jwt_alg alg,
				  const slate_jwt_keyset *ks, json_t **claims);

/* The issuer claim of a token, unverified, to pick a key set. On
 * SLATE_JWT_OK *iss is a new string (free()), or NULL when the token has
 * no string iss; otherwise *iss is NULL and the status says why the token
 * cannot be read (malformed, typ, crit). */
slate_jwt_status slate_jwt_peek_issuer(const char *token, char **iss);

/* A keyset from a JWKS document: the RSA keys ("kty": "RSA", "use" absent
 * or "sig", "alg" absent or RS256) become PEM keys. 0, or -1 with a reason
 * (also when no usable key is found). Release with slate_jwt_keyset_clear. */
int slate_jwt_keyset_from_jwks(slate_jwt_keyset *ks, const json_t *jwks,
			       char *err, size_t errlen);

/* Add one HMAC key (copied). 0 or -1. */
int slate_jwt_keyset_add_secret(slate_jwt_keyset *ks, const void *secret,
				size_t len);

void slate_jwt_keyset_clear(slate_jwt_keyset *ks);

/* PEM (SubjectPublicKeyInfo) of the RSA public key with base64url modulus
 * `n` and exponent `e`. New string (free()), or NULL. */
char *slate_jwt_rsa_pem_from_jwk(const char *n, const char *e);

#endif
