/*
 * th_keys.h - test-only key material: an RSA key of the test's own, its
 * JWKS, and tokens no honest issuer makes (alg none). Header-only, for the
 * unit and integration tests that link libcrypto (through slatecore).
 */
#ifndef SLATE_TEST_KEYS_H
#define SLATE_TEST_KEYS_H

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

/* base64url without padding of n bytes. New string. */
static inline char *th_b64url(const unsigned char *p, size_t n)
{
	char *b = malloc(n * 4 / 3 + 8);
	int k = EVP_EncodeBlock((unsigned char *)b, p, (int)n);
	int j = 0;
	for (int i = 0; i < k && b[i] != '='; i++)
		b[j++] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
	b[j] = '\0';
	return b;
}

static inline char *th_b64url_str(const char *s)
{
	return th_b64url((const unsigned char *)s, strlen(s));
}

static inline char *th_bn_b64url(const BIGNUM *bn)
{
	int n = BN_num_bytes(bn);
	unsigned char *buf = malloc((size_t)n);
	BN_bn2bin(bn, buf);
	char *out = th_b64url(buf, (size_t)n);
	free(buf);
	return out;
}

/* A fresh 2048-bit RSA key: its private PEM (new string) and, in *jwks, a
 * JWKS document with its public half under `kid` (new reference). */
static inline char *th_rsa_new(const char *kid, json_t **jwks)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)len);
	BIO_free(bio);
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
	char *nb = th_bn_b64url(n), *eb = th_bn_b64url(e);
	*jwks = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty",
			  "RSA", "kid", kid, "use", "sig", "alg", "RS256", "n",
			  nb, "e", eb);
	free(nb);
	free(eb);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
	return pem;
}

/* An RS256 token with header {"alg":"RS256","typ":typ,"kid":kid}, signed
 * with `pem` (a private key) by OpenSSL directly: libjwt always writes
 * typ JWT. New string, or NULL. */
static inline char *th_token_rs256_typ(const json_t *claims, const char *pem,
				       const char *kid, const char *typ)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", typ,
			      "kid", kid);
	char *hj = json_dumps(h, JSON_COMPACT),
	     *cj = json_dumps(claims, JSON_COMPACT);
	char *hb = th_b64url_str(hj), *cb = th_b64url_str(cj);
	size_t n = strlen(hb) + strlen(cb) + 2;
	char *input = malloc(n);
	snprintf(input, n, "%s.%s", hb, cb);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sl = sizeof(sig);
	char *out = NULL;
	if (k && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(md, sig, &sl, (unsigned char *)input,
			   strlen(input)) == 1) {
		char *sb = th_b64url(sig, sl);
		n += strlen(sb) + 1;
		out = malloc(n);
		snprintf(out, n, "%s.%s", input, sb);
		free(sb);
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	BIO_free(bio);
	free(input);
	free(hb);
	free(cb);
	free(hj);
	free(cj);
	json_decref(h);
	return out;
}

/* An unsigned token: header {"alg":"none"} and the given claims. */
static inline char *th_token_none(const json_t *claims)
{
	char *c = json_dumps(claims, JSON_COMPACT);
	char *h = th_b64url_str("{\"alg\":\"none\",\"typ\":\"JWT\"}");
	char *p = th_b64url_str(c);
	size_t n = strlen(h) + strlen(p) + 3;
	char *out = malloc(n);
	snprintf(out, n, "%s.%s.", h, p);
	free(c);
	free(h);
	free(p);
	return out;
}

#endif
