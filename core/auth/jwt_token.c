/* jwt_token.c - see jwt_token.h. */
#include "auth/jwt_token.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *sign(const json_t *claims, jwt_alg_t alg, const unsigned char *key,
		  size_t key_len, const char *kid)
{
	jwt_t *j = NULL;
	char *out = NULL;
	char *grants = json_dumps(claims, JSON_COMPACT);
	if (!grants || jwt_new(&j) || jwt_add_grants_json(j, grants) ||
	    (kid && jwt_add_header(j, "kid", kid)) ||
	    jwt_set_alg(j, alg, key, (int)key_len))
		goto out;
	out = jwt_encode_str(j);
out:
	jwt_free(j);
	free(grants);
	return out;
}

char *slate_jwt_sign_hs256(const json_t *claims, const unsigned char *secret,
			   size_t secret_len)
{
	return sign(claims, JWT_ALG_HS256, secret, secret_len, NULL);
}

char *slate_jwt_sign_rs256(const json_t *claims, const char *private_pem,
			   const char *kid)
{
	return sign(claims, JWT_ALG_RS256, (const unsigned char *)private_pem,
		    strlen(private_pem), kid);
}

/* base64url (no padding) into a new buffer. NULL on bad input. */
static unsigned char *b64url_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	if (n == 0 || n > 16384)
		return NULL;
	size_t padded = (n + 3) / 4 * 4;
	char *b = malloc(padded + 1);
	unsigned char *out = malloc(padded / 4 * 3 + 1);
	if (!b || !out)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			goto fail;
		b[i] = c;
	}
	for (size_t i = n; i < padded; i++)
		b[i] = '=';
	b[padded] = '\0';
	int k = EVP_DecodeBlock(out, (const unsigned char *)b, (int)padded);
	if (k < 0)
		goto fail;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	k -= (int)(padded - n);
	free(b);
	*len = (size_t)k;
	return out;
fail:
	free(b);
	free(out);
	return NULL;
}

const char *slate_jwt_status_str(slate_jwt_status st)
{
	switch (st) {
	case SLATE_JWT_OK:
		return "ok";
	case SLATE_JWT_MALFORMED:
		return "malformed (not three base64url parts of JSON)";
	case SLATE_JWT_BAD_ALG:
		return "unexpected alg";
	case SLATE_JWT_BAD_TYP:
		return "typ is not JWT or at+jwt";
	case SLATE_JWT_CRIT:
		return "crit header not supported";
	case SLATE_JWT_NO_KEY:
		return "unknown kid";
	case SLATE_JWT_NO_KEYS:
		return "no keys loaded";
	case SLATE_JWT_BAD_SIG:
		return "bad signature";
	case SLATE_JWT_NO_MEMORY:
		return "out of memory";
	}
	return "unknown status";
}

static const char *alg_name(slate_jwt_alg alg)
{
	return alg == SLATE_JWT_HS256 ? "HS256" : "RS256";
}

/* A compact JWS taken apart. Everything is owned by the struct: release
 * with jws_clear. */
typedef struct jws {
	json_t *header, *claims;
	unsigned char *sig;
	size_t sig_len;
	size_t
	    signed_len; /* "header.payload": the bytes the signature covers */
} jws;

static void jws_clear(jws *j)
{
	json_decref(j->header);
	json_decref(j->claims);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

/* A base64url part of `len` bytes as a JSON object. New reference, or NULL. */
static json_t *b64url_json(const char *p, size_t len)
{
	char *part = strndup(p, len);
	size_t n = 0;
	unsigned char *raw = part ? b64url_decode(part, &n) : NULL;
	json_t *v = raw ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
	free(part);
	free(raw);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static bool typ_accepted(const char *typ)
{
	/* RFC 7515 4.1.9: "application/" may be left out, and is then
	 * implied; media types compare case-insensitively. */
	if (!strncasecmp(typ, "application/", 12))
		typ += 12;
	return !strcasecmp(typ, "JWT") || !strcasecmp(typ, "at+jwt");
}

/* Take a token apart and check its header's typ and crit (not alg, not
 * the signature). SLATE_JWT_OK with *j filled (jws_clear it), or why not,
 * with *j empty. */
static slate_jwt_status jws_parse(const char *token, jws *j)
{
	memset(j, 0, sizeof(*j));
	if (!token || strlen(token) > 16384)
		return SLATE_JWT_MALFORMED;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.') || d1 == token || d2 == d1 + 1 ||
	    !d2[1])
		return SLATE_JWT_MALFORMED;
	j->header = b64url_json(token, (size_t)(d1 - token));
	j->claims = b64url_json(d1 + 1, (size_t)(d2 - d1 - 1));
	j->sig = b64url_decode(d2 + 1, &j->sig_len);
	j->signed_len = (size_t)(d2 - token);
	if (!j->header || !j->claims || !j->sig) {
		jws_clear(j);
		return SLATE_JWT_MALFORMED;
	}
	json_t *typ = json_object_get(j->header, "typ");
	if (typ &&
	    (!json_is_string(typ) || !typ_accepted(json_string_value(typ)))) {
		jws_clear(j);
		return SLATE_JWT_BAD_TYP;
	}
	if (json_object_get(j->header, "crit")) {
		jws_clear(j);
		return SLATE_JWT_CRIT;
	}
	return SLATE_JWT_OK;
}

static const slate_jwt_key *pick_key(const slate_jwt_keyset *ks,
				     slate_jwt_alg alg, const char *kid)
{
	const slate_jwt_key *only = NULL;
	size_t n = 0;
	for (size_t i = 0; ks && i < ks->n; i++) {
		const slate_jwt_key *k = &ks->keys[i];
		if (k->alg != alg)
			continue;
		if (kid && k->kid && !strcmp(kid, k->kid))
			return k;
		only = k;
		n++;
	}
	/* A token naming no kid goes to the only key there is. */
	return !kid && n == 1 ? only : NULL;
}

static bool hs256_ok(const slate_jwt_key *k, const char *data, size_t len,
		     const unsigned char *sig, size_t sig_len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (!HMAC(EVP_sha256(), k->key, (int)k->key_len,
		  (const unsigned char *)data, len, mac, &mac_len))
		return false;
	return sig_len == mac_len && !CRYPTO_memcmp(mac, sig, mac_len);
}

static bool rs256_ok(const slate_jwt_key *k, const char *data, size_t len,
		     const unsigned char *sig, size_t sig_len)
{
	BIO *bio = BIO_new_mem_buf(k->key, (int)k->key_len);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	/* RSA PKCS#1 v1.5 with SHA-256, the key's default padding */
	bool ok = pk && md && EVP_PKEY_is_a(pk, "RSA") &&
		  EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
		  EVP_DigestVerify(md, sig, sig_len,
				   (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return ok;
}

slate_jwt_status slate_jwt_verify(const char *token, slate_jwt_alg alg,
				  const slate_jwt_keyset *ks, json_t **claims)
{
	*claims = NULL;
	jws j;
	slate_jwt_status st = jws_parse(token, &j);
	if (st != SLATE_JWT_OK)
		return st;
	const char *halg = json_string_value(json_object_get(j.header, "alg"));
	const char *kid = json_string_value(json_object_get(j.header, "kid"));
	const slate_jwt_key *key = NULL;
	if (!halg || strcmp(halg, alg_name(alg)))
		st = SLATE_JWT_BAD_ALG;
	else if (!ks || ks->n == 0)
		st = SLATE_JWT_NO_KEYS;
	else if (!(key = pick_key(ks, alg, kid)))
		st = SLATE_JWT_NO_KEY;
	else if (!(alg == SLATE_JWT_HS256
		       ? hs256_ok(key, token, j.signed_len, j.sig, j.sig_len)
		       : rs256_ok(key, token, j.signed_len, j.sig, j.sig_len)))
		st = SLATE_JWT_BAD_SIG;
	if (st == SLATE_JWT_OK)
		*claims = json_incref(j.claims);
	jws_clear(&j);
	return st;
}

slate_jwt_status slate_jwt_peek_issuer(const char *token, char **iss)
{
	*iss = NULL;
	jws j;
	slate_jwt_status st = jws_parse(token, &j);
	if (st != SLATE_JWT_OK)
		return st;
	const char *v = json_string_value(json_object_get(j.claims, "iss"));
	if (v && !(*iss = strdup(v)))
		st = SLATE_JWT_NO_MEMORY;
	jws_clear(&j);
	return st;
}

char *slate_jwt_rsa_pem_from_jwk(const char *n, const char *e)
{
	size_t nl = 0, el = 0;
	unsigned char *nb = b64url_decode(n, &nl);
	unsigned char *eb = b64url_decode(e, &el);
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *out = NULL;
	if (!nb || !eb || nl < 128) /* RSA under 1024 bits: refused */
		goto out;
	bn = BN_bin2bn(nb, (int)nl, NULL);
	be = BN_bin2bn(eb, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn || !be || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_PUBKEY(bio, pkey))
		goto out;
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	if (len > 0 && (out = malloc((size_t)len + 1))) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(nb);
	free(eb);
	return out;
}

static int keyset_push(slate_jwt_keyset *ks, const char *kid, slate_jwt_alg alg,
		       const void *key, size_t len)
{
	slate_jwt_key *nk = realloc(ks->keys, (ks->n + 1) * sizeof(*nk));
	if (!nk)
		return -1;
	ks->keys = nk;
	slate_jwt_key *k = &nk[ks->n];
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	k->kid = kid ? strdup(kid) : NULL;
	k->key = malloc(len + 1);
	if ((kid && !k->kid) || !k->key) {
		free(k->kid);
		free(k->key);
		return -1;
	}
	memcpy(k->key, key, len);
	k->key[len] = '\0';
	k->key_len = len;
	ks->n++;
	return 0;
}

int slate_jwt_keyset_add_secret(slate_jwt_keyset *ks, const void *secret,
				size_t len)
{
	return keyset_push(ks, NULL, SLATE_JWT_HS256, secret, len);
}

int slate_jwt_keyset_from_jwks(slate_jwt_keyset *ks, const json_t *jwks,
			       char *err, size_t errlen)
{
	json_t *keys = json_object_get(jwks, "keys");
	size_t i;
	json_t *k;
	if (!json_is_array(keys)) {
		snprintf(err, errlen, "JWKS: no \"keys\" array");
		return -1;
	}
	json_array_foreach(keys, i, k)
	{
		const char *kty = json_string_value(json_object_get(k, "kty"));
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *alg = json_string_value(json_object_get(k, "alg"));
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *n = json_string_value(json_object_get(k, "n"));
		const char *e = json_string_value(json_object_get(k, "e"));
		if (!kty || strcmp(kty, "RSA") || (use && strcmp(use, "sig")) ||
		    (alg && strcmp(alg, "RS256")) || !n || !e)
			continue;
		char *pem = slate_jwt_rsa_pem_from_jwk(n, e);
		if (!pem) {
			snprintf(err, errlen,
				 "JWKS: key %zu (%s) is not a "
				 "usable RSA key",
				 i, kid ? kid : "no kid");
			return -1;
		}
		int rc =
		    keyset_push(ks, kid, SLATE_JWT_RS256, pem, strlen(pem));
		free(pem);
		if (rc) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (ks->n == 0) {
		snprintf(err, errlen, "JWKS: no RSA signing key");
		return -1;
	}
	return 0;
}

void slate_jwt_keyset_clear(slate_jwt_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->keys[i].kid);
		if (ks->keys[i].key) {
			OPENSSL_cleanse(ks->keys[i].key, ks->keys[i].key_len);
			free(ks->keys[i].key);
		}
	}
	free(ks->keys);
	ks->keys = NULL;
	ks->n = 0;
}
