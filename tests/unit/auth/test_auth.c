/* test_auth.c - core/users.h (password policy, hashes, groups), core/
 * jwt_token.h and core/auth.h (token checks, local and OIDC), core/
 * client_ip.h (trusted proxies and X-Forwarded-For). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/jwt_token.h"
#include "auth/users.h"
#include "base/config.h"
#include "http/client_ip.h"
#include "th_keys.h"
#include "unit.h"

#define SECRET "unit-test-secret-unit-test-secret-0123456789"
#define ISS "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
#define CLIENT "client-123"

static void test_password_policy(void)
{
	static const struct {
		const char *pw;
		int ok;
		const char *why;
	} cases[] = {
	    {"Abcdefgh1!xy", 1, NULL},
	    {"Correct-Horse-9", 1, NULL},
	    {"with space A1 ok", 1, NULL},
	    {"Abcdefg1!xy", 0, "12 characters"}, /* 11 */
	    {"abcdefgh1!xyz", 0, "upper-case"},
	    {"ABCDEFGH1!XYZ", 0, "lower-case"},
	    {"Abcdefghi!xyz", 0, "digit"},
	    {"Abcdefghi1xyz", 0, "special"},
	    {"", 0, "12 characters"},
	    /* 12 bytes but 6 characters: counted in characters */
	    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	     "A1!b",
	     0, "12 characters"},
	    {"Abcdefgh1!x\ty", 0, "control"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[128] = "";
		int rc =
		    slate_users_password_check(cases[i].pw, msg, sizeof(msg));
		CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
		if (!cases[i].ok)
			UNIT_ASSERT_STR_CONTAINS(msg, cases[i].why);
	}
	char longpw[SLATE_PASSWORD_MAX + 2];
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	memcpy(longpw, "A1!", 3);
	char msg[128];
	CU_ASSERT_EQUAL(slate_users_password_check(longpw, msg, sizeof(msg)),
			-1);
}

static void test_password_hash(void)
{
	char h1[SLATE_PASSWORD_HASH_LEN], h2[SLATE_PASSWORD_HASH_LEN];
	CU_ASSERT_EQUAL_FATAL(slate_users_password_hash("Abcdefgh1!xy", h1), 0);
	CU_ASSERT_EQUAL_FATAL(slate_users_password_hash("Abcdefgh1!xy", h2), 0);
	CU_ASSERT_EQUAL(strncmp(h1, "$argon2id$v=19$", 15), 0);
	CU_ASSERT_NOT_EQUAL(strcmp(h1, h2), 0); /* salted */
	CU_ASSERT_PTR_NULL(strstr(h1, "Abcdefgh1!xy"));
	CU_ASSERT_TRUE(slate_users_password_verify(h1, "Abcdefgh1!xy"));
	CU_ASSERT_FALSE(slate_users_password_verify(h1, "Abcdefgh1!xz"));
	CU_ASSERT_FALSE(slate_users_password_verify(h1, ""));
	CU_ASSERT_FALSE(slate_users_password_verify(NULL, "Abcdefgh1!xy"));
	CU_ASSERT_FALSE(slate_users_password_verify("$argon2id$garbage", "x"));
}

static void test_random_password(void)
{
	for (int i = 0; i < 20; i++) {
		char pw[21], msg[128];
		CU_ASSERT_EQUAL_FATAL(
		    slate_users_password_random(pw, sizeof(pw)), 0);
		CU_ASSERT_EQUAL(strlen(pw), 20);
		CU_ASSERT_EQUAL(
		    slate_users_password_check(pw, msg, sizeof(msg)), 0);
	}
	char tok[64], tok2[64];
	CU_ASSERT_EQUAL(slate_users_random_b64(tok, sizeof(tok), 32), 0);
	CU_ASSERT_EQUAL(slate_users_random_b64(tok2, sizeof(tok2), 32), 0);
	CU_ASSERT_EQUAL(strlen(tok), 43);
	CU_ASSERT_NOT_EQUAL(strcmp(tok, tok2), 0);
	CU_ASSERT_EQUAL(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789-_"),
			43);
	char hex[65];
	slate_users_sha256_hex("abc", hex);
	UNIT_ASSERT_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a"
				"9cb410ff61f20015ad");
}

static void test_groups(void)
{
	unsigned m;
	char err[128], buf[64];
	CU_ASSERT_EQUAL(
	    slate_users_groups_parse("admin,viewer", &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, SLATE_GROUP_ADMIN | SLATE_GROUP_VIEWER);
	UNIT_ASSERT_STR_EQ(slate_users_groups_pg(m, buf, sizeof(buf)),
			   "{admin,viewer}");
	CU_ASSERT_EQUAL(slate_users_groups_from_pg("{admin,viewer}"), m);
	CU_ASSERT_EQUAL(slate_users_groups_parse("", &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, 0);
	UNIT_ASSERT_STR_EQ(slate_users_groups_pg(0, buf, sizeof(buf)), "{}");
	CU_ASSERT_EQUAL(
	    slate_users_groups_parse("admin,root", &m, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "root");
	json_t *a = json_pack("[s, s, i]", "editor", "superuser", 3);
	CU_ASSERT_EQUAL(slate_users_groups_from_json(a), SLATE_GROUP_EDITOR);
	json_decref(a);
}

static void test_permissions(void)
{
	const unsigned V = SLATE_GROUP_VIEWER, E = SLATE_GROUP_EDITOR,
		       A = SLATE_GROUP_ADMIN;
	CU_ASSERT_TRUE(slate_auth_allows(0, SLATE_PERM_PUBLIC));
	CU_ASSERT_FALSE(slate_auth_allows(0, SLATE_PERM_READ));
	CU_ASSERT_TRUE(slate_auth_allows(V, SLATE_PERM_READ));
	CU_ASSERT_FALSE(slate_auth_allows(V, SLATE_PERM_WRITE));
	CU_ASSERT_TRUE(slate_auth_allows(E, SLATE_PERM_READ));
	CU_ASSERT_TRUE(slate_auth_allows(E, SLATE_PERM_WRITE));
	CU_ASSERT_FALSE(slate_auth_allows(E, SLATE_PERM_ADMIN));
	CU_ASSERT_TRUE(slate_auth_allows(A, SLATE_PERM_READ));
	CU_ASSERT_TRUE(slate_auth_allows(A, SLATE_PERM_WRITE));
	CU_ASSERT_TRUE(slate_auth_allows(A, SLATE_PERM_ADMIN));
	CU_ASSERT_FALSE(slate_auth_allows(A, (slate_perm)0));
}

/* ---- tokens ----------------------------------------------------------- */

static slate_config cfg;
static slate_auth *auth;
static char *rsa_pem, *other_pem;
static char *pub_pem; /* rsa_pem's public half, as the JWKS gives it */
static char jwks_path[64];

static void setup(void)
{
	json_t *jwks, *other;
	slate_config_defaults(&cfg);
	rsa_pem = th_rsa_new("k1", &jwks);
	other_pem = th_rsa_new("k1", &other);
	snprintf(jwks_path, sizeof(jwks_path), "/tmp/slate-unit-jwks-XXXXXX");
	int fd = mkstemp(jwks_path);
	close(fd);
	json_dump_file(jwks, jwks_path, 0);
	json_t *k0 = json_array_get(json_object_get(jwks, "keys"), 0);
	pub_pem = slate_jwt_rsa_pem_from_jwk(
	    json_string_value(json_object_get(k0, "n")),
	    json_string_value(json_object_get(k0, "e")));
	json_decref(jwks);
	json_decref(other);
	cfg.oidc_issuer = strdup(ISS);
	cfg.oidc_audience = strdup(CLIENT);
	cfg.oidc_jwks_file = strdup(jwks_path);
	char err[256];
	if (slate_auth_init_keys(&auth, &cfg, SECRET, err, sizeof(err)))
		fprintf(stderr, "auth keys: %s\n", err);
}

static void teardown(void)
{
	slate_auth_free(auth);
	slate_config_release(&cfg);
	unlink(jwks_path);
	free(rsa_pem);
	free(other_pem);
	free(pub_pem);
}

static int verify(const char *tok, slate_identity *id)
{
	char why[128];
	return slate_auth_verify(auth, tok, (long)time(NULL), id, why,
				 sizeof(why));
}

static json_t *local_claims(long exp_delta)
{
	long now = (long)time(NULL);
	return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:I, s:I}", "iss",
			 "slate", "sub", "0b6a8a9e-8f4e-4b7e-9d3f-5c1c2a3b4d5e",
			 "email", "u@x.io", "groups", "editor", "token_use",
			 "access", "iat", (json_int_t)now, "exp",
			 (json_int_t)(now + exp_delta));
}

static void test_local_tokens(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(auth);
	slate_identity id;
	char *t = slate_auth_issue_access(auth,
					  "0b6a8a9e-8f4e-4b7e-9d3f-"
					  "5c1c2a3b4d5e",
					  "u@x.io", SLATE_GROUP_ADMIN);
	CU_ASSERT_EQUAL(verify(t, &id), 0);
	UNIT_ASSERT_STR_EQ(id.user_id, "0b6a8a9e-8f4e-4b7e-9d3f-5c1c2a3b4d5e");
	UNIT_ASSERT_STR_EQ(id.email, "u@x.io");
	CU_ASSERT_EQUAL(id.groups, SLATE_GROUP_ADMIN);
	CU_ASSERT_FALSE(id.external);
	/* one flipped signature character */
	size_t n = strlen(t);
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);

	json_t *c = local_claims(600);
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), 0);
	CU_ASSERT_EQUAL(id.groups, SLATE_GROUP_EDITOR);
	free(t);
	/* another key */
	t = slate_jwt_sign_hs256(c, (const unsigned char *)"another-secret",
				 14);
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* alg none */
	t = th_token_none(c);
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* RS256 with a key of ours is still not a local token */
	t = slate_jwt_sign_rs256(c, rsa_pem, NULL);
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* wrong iss, wrong token_use, no exp */
	json_object_set_new(c, "iss", json_string("someone-else"));
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_object_set_new(c, "iss", json_string("slate"));
	json_object_set_new(c, "token_use", json_string("refresh"));
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_object_set_new(c, "token_use", json_string("access"));
	json_object_del(c, "exp");
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_decref(c);
	/* expired (beyond the leeway), and not yet valid */
	c = local_claims(-120);
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_object_set_new(c, "exp", json_integer(time(NULL) + 600));
	json_object_set_new(c, "nbf", json_integer(time(NULL) + 300));
	t = slate_jwt_sign_hs256(c, (const unsigned char *)SECRET,
				 strlen(SECRET));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_decref(c);
	/* garbage */
	CU_ASSERT_EQUAL(verify("", &id), -1);
	CU_ASSERT_EQUAL(verify("abc.def", &id), -1);
	CU_ASSERT_EQUAL(verify("a.b.c", &id), -1);
}

static json_t *cognito_claims(void)
{
	long now = (long)time(NULL);
	return json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:I, s:I}", "iss",
			 ISS, "sub", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
			 "client_id", CLIENT, "token_use", "access",
			 "cognito:groups", "viewer", "marketing", "username",
			 "jane", "iat", (json_int_t)now, "exp",
			 (json_int_t)(now + 600));
}

static void test_oidc_tokens(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(auth);
	slate_identity id;
	json_t *c = cognito_claims();
	char *t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), 0);
	CU_ASSERT_TRUE(id.external);
	CU_ASSERT_EQUAL(id.groups, SLATE_GROUP_VIEWER);
	UNIT_ASSERT_STR_EQ(id.user_id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	UNIT_ASSERT_STR_EQ(id.email, "jane");
	free(t);
	/* unknown kid; no kid with a kid'ed key set; another key, same kid */
	t = slate_jwt_sign_rs256(c, rsa_pem, "k2");
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	t = slate_jwt_sign_rs256(c, other_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* HS256 signed with the issuer's public key PEM (alg confusion) */
	t = slate_jwt_sign_hs256(c, (const unsigned char *)pub_pem,
				 strlen(pub_pem));
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* alg none with the issuer's iss */
	t = th_token_none(c);
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* wrong client, an ID token when access is configured */
	json_object_set_new(c, "client_id", json_string("other-client"));
	t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	json_object_del(c, "client_id");
	json_object_set_new(c, "aud", json_string(CLIENT));
	json_object_set_new(c, "token_use", json_string("id"));
	t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* expired */
	json_object_set_new(c, "token_use", json_string("access"));
	json_object_set_new(c, "exp", json_integer(time(NULL) - 3600));
	t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), -1);
	free(t);
	/* aud as an array holding the client: accepted */
	json_object_set_new(c, "exp", json_integer(time(NULL) + 600));
	json_object_set_new(c, "aud", json_pack("[s, s]", "x", CLIENT));
	json_object_set_new(c, "cognito:groups", json_pack("[s]", "admin"));
	t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(verify(t, &id), 0);
	CU_ASSERT_EQUAL(id.groups, SLATE_GROUP_ADMIN);
	free(t);
	json_decref(c);
}

/* RFC 9068 access tokens (typ at+jwt) and the typ values refused, and
 * token_use checked only when present. */
static void test_oidc_typ_token_use(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(auth);
	slate_identity id;
	json_t *c = cognito_claims();
	static const char *const good[] = {
	    "at+jwt", "JWT", "application/at+jwt", "AT+JWT", "jwt"};
	static const char *const bad[] = {"JOSE", "id+jwt", "", "at+jwt2"};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		char *t = th_token_rs256_typ(c, rsa_pem, "k1", good[i]);
		CU_ASSERT_EQUAL(verify(t, &id), 0);
		free(t);
	}
	char why[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *t = th_token_rs256_typ(c, rsa_pem, "k1", bad[i]);
		CU_ASSERT_EQUAL(slate_auth_verify(auth, t, (long)time(NULL),
						  &id, why, sizeof(why)),
				-1);
		UNIT_ASSERT_STR_CONTAINS(why, "typ");
		free(t);
	}
	/* the real reason, not "malformed or no iss" */
	json_object_del(c, "iss");
	char *t = th_token_rs256_typ(c, rsa_pem, "k1", "at+jwt");
	CU_ASSERT_EQUAL(
	    slate_auth_verify(auth, t, (long)time(NULL), &id, why, sizeof(why)),
	    -1);
	UNIT_ASSERT_STR_EQ(why, "no iss claim");
	free(t);
	json_object_set_new(c, "iss", json_string(ISS));
	/* default token_use (access): absent is fine, id is not */
	json_object_del(c, "token_use");
	t = th_token_rs256_typ(c, rsa_pem, "k1", "at+jwt");
	CU_ASSERT_EQUAL(verify(t, &id), 0);
	free(t);
	json_object_set_new(c, "token_use", json_string("id"));
	t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	CU_ASSERT_EQUAL(
	    slate_auth_verify(auth, t, (long)time(NULL), &id, why, sizeof(why)),
	    -1);
	UNIT_ASSERT_STR_CONTAINS(why, "token_use");
	free(t);
	json_decref(c);
}

/* A JWKS URL nobody answers: the keys still load (as nothing), the
 * issuer's tokens are refused with the reason, and close stops the
 * retrying thread. */
static void test_jwks_unreachable(void)
{
	slate_config c2;
	slate_config_defaults(&c2);
	c2.oidc_issuer = strdup(ISS);
	c2.oidc_audience = strdup(CLIENT);
	c2.oidc_jwks_url = strdup("http://127.0.0.1:9/jwks");
	slate_auth *a = NULL;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(
	    slate_auth_init_keys(&a, &c2, SECRET, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(slate_auth_oidc_ready(a));
	json_t *c = cognito_claims();
	char *t = slate_jwt_sign_rs256(c, rsa_pem, "k1");
	slate_identity id;
	char why[128];
	CU_ASSERT_EQUAL(
	    slate_auth_verify(a, t, (long)time(NULL), &id, why, sizeof(why)),
	    -1);
	UNIT_ASSERT_STR_CONTAINS(why, "JWKS is not loaded");
	free(t);
	json_decref(c);
	slate_auth_free(a);
	slate_config_release(&c2);
	CU_ASSERT_TRUE(slate_auth_oidc_ready(auth)); /* the file's keys */
}

static void test_jwks(void)
{
	slate_jwt_keyset ks = {0};
	char err[256];
	json_t *bad =
	    json_pack("{s:[{s:s, s:s}]}", "keys", "kty", "EC", "kid", "e1");
	CU_ASSERT_EQUAL(slate_jwt_keyset_from_jwks(&ks, bad, err, sizeof(err)),
			-1);
	UNIT_ASSERT_STR_CONTAINS(err, "no RSA");
	json_decref(bad);
	slate_jwt_keyset_clear(&ks);
	bad = json_pack("{s:[{s:s, s:s, s:s}]}", "keys", "kty", "RSA", "n",
			"AQAB", "e", "AQAB"); /* a 3-byte modulus */
	CU_ASSERT_EQUAL(slate_jwt_keyset_from_jwks(&ks, bad, err, sizeof(err)),
			-1);
	json_decref(bad);
	slate_jwt_keyset_clear(&ks);
	CU_ASSERT_EQUAL(
	    slate_jwt_keyset_from_jwks(&ks, json_null(), err, sizeof(err)), -1);
}

/* ---- client address --------------------------------------------------- */

static void test_ip_match(void)
{
	CU_ASSERT_TRUE(slate_client_ip_match("10.1.2.3", "10.0.0.0/8"));
	CU_ASSERT_FALSE(slate_client_ip_match("11.1.2.3", "10.0.0.0/8"));
	CU_ASSERT_TRUE(slate_client_ip_match("192.168.1.7", "192.168.1.7"));
	CU_ASSERT_FALSE(slate_client_ip_match("192.168.1.8", "192.168.1.7"));
	CU_ASSERT_TRUE(slate_client_ip_match("172.16.5.4", "172.16.0.0/12"));
	CU_ASSERT_FALSE(slate_client_ip_match("172.32.0.1", "172.16.0.0/12"));
	CU_ASSERT_TRUE(slate_client_ip_match("::1", "::1"));
	CU_ASSERT_TRUE(slate_client_ip_match("fd00::5", "fd00::/8"));
	CU_ASSERT_FALSE(slate_client_ip_match("10.0.0.1", "::/0"));
	CU_ASSERT_TRUE(slate_client_ip_match("8.8.8.8", "0.0.0.0/0"));
	CU_ASSERT_FALSE(slate_client_ip_match("10.0.0.1", "10.0.0.0/33"));
	CU_ASSERT_FALSE(slate_client_ip_match("garbage", "10.0.0.0/8"));
}

static void test_forwarded_for(void)
{
	char *trusted[] = {"127.0.0.1", "10.0.0.0/8", NULL};
	char out[64];
	/* an untrusted peer: the header is ignored */
	slate_client_ip(trusted, "203.0.113.9", "1.2.3.4", out, sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "203.0.113.9");
	/* trusted peer: the rightmost untrusted hop */
	slate_client_ip(trusted, "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2",
			out, sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "198.51.100.7");
	slate_client_ip(trusted, "127.0.0.1", "198.51.100.7", out, sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "198.51.100.7");
	/* all trusted: the leftmost */
	slate_client_ip(trusted, "127.0.0.1", "10.0.0.3,10.0.0.2", out,
			sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "10.0.0.3");
	/* garbage stops the walk at the last good hop */
	slate_client_ip(trusted, "127.0.0.1", "evil, 10.0.0.2", out,
			sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "10.0.0.2");
	/* no header, no trusted list */
	slate_client_ip(trusted, "127.0.0.1", NULL, out, sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "127.0.0.1");
	slate_client_ip(NULL, "127.0.0.1", "1.2.3.4", out, sizeof(out));
	UNIT_ASSERT_STR_EQ(out, "127.0.0.1");
}

static void test_config_keys(void)
{
	slate_config c;
	char err[256];
	slate_config_defaults(&c);
	CU_ASSERT_TRUE(c.rate_limit_enabled);
	CU_ASSERT_EQUAL(c.rl_api_max, 100);
	CU_ASSERT_EQUAL(c.rl_api_window_s, 900);
	CU_ASSERT_EQUAL(c.rl_upload_max, 50);
	CU_ASSERT_EQUAL(c.rl_upload_window_s, 3600);
	CU_ASSERT_EQUAL(c.access_ttl_s, 3600);
	CU_ASSERT_EQUAL(c.refresh_ttl_s, 30 * 86400);
	json_t *j =
	    json_loads("{\"rate_limit\": {\"enabled\": false, \"api_max\": 7, "
		       "\"trusted_proxies\": [\"10.0.0.0/8\", \"::1\"]}, "
		       "\"auth\": {\"lockout_account_max\": 3}, \"oidc\": "
		       "{\"issuer\": \"https://x\", \"audience\": \"a\", "
		       "\"jwks_file\": \"/k.json\"}}",
		       0, NULL);
	CU_ASSERT_EQUAL(slate_config_apply_json(&c, j, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(c.rate_limit_enabled);
	CU_ASSERT_EQUAL(c.rl_api_max, 7);
	CU_ASSERT_EQUAL(c.lockout_account_max, 3);
	UNIT_ASSERT_STR_EQ(c.trusted_proxies[1], "::1");
	CU_ASSERT_PTR_NULL(c.trusted_proxies[2]);
	UNIT_ASSERT_STR_EQ(c.oidc_issuer, "https://x");
	json_decref(j);
	j = json_loads("{\"rate_limit\": {\"trusted_proxies\": \"10.0.0.1\"}}",
		       0, NULL);
	CU_ASSERT_EQUAL(slate_config_apply_json(&c, j, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "array of strings");
	json_decref(j);
	j = json_loads("{\"auth\": {\"secret\": \"x\"}}", 0, NULL);
	CU_ASSERT_EQUAL(slate_config_apply_json(&c, j, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "auth.secret");
	json_decref(j);
	slate_config_release(&c);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"password policy", test_password_policy},
	    {"argon2id hash and verify", test_password_hash},
	    {"random passwords and tokens", test_random_password},
	    {"groups", test_groups},
	    {"permissions by group", test_permissions},
	    {"local access tokens", test_local_tokens},
	    {"OIDC (Cognito) tokens", test_oidc_tokens},
	    {"OIDC typ at+jwt, token_use when present",
	     test_oidc_typ_token_use},
	    {"JWKS URL unreachable at start", test_jwks_unreachable},
	    {"JWKS refusals", test_jwks},
	    {"IP and CIDR match", test_ip_match},
	    {"X-Forwarded-For from trusted proxies", test_forwarded_for},
	    {"config keys", test_config_keys},
	    {NULL, NULL},
	};
	setup();
	int rc = unit_run("auth", tests);
	teardown();
	return rc;
}
