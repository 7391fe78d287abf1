/*
 * test_auth.c - authentication, permissions, audit and rate limits over real
 * HTTP: the permission matrix over every registered route (asked from the
 * router, so new routes are covered as they land), login, refresh rotation
 * and reuse, logout, disabled accounts, slatectl, the first-start admin,
 * Cognito-style RS256 tokens signed with the test's own key, audit rows
 * against the changes made, the audit-log API, API rate limits, failed-login
 * lockouts, and X-Forwarded-For from a trusted proxy.
 */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/jwt_token.h"
#include "harness.h"
#include "th_keys.h"

#define ISS "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
#define CLIENT "slate-test-client"
#define COGNITO_SUB "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static th_server srv;
static char *rsa_pem;
static char jwks_path[64];

static int suite_init(void)
{
	json_t *jwks;
	rsa_pem = th_rsa_new("test-kid", &jwks);
	snprintf(jwks_path, sizeof(jwks_path), "/tmp/slate-jwks-XXXXXX");
	int fd = mkstemp(jwks_path);
	if (fd < 0)
		return -1;
	close(fd);
	json_dump_file(jwks, jwks_path, 0);
	json_decref(jwks);
	char cfg[2048];
	snprintf(cfg, sizeof(cfg),
		 "{\"plugins\": {\"testplug\": {\"enabled\": true}, "
		 /* the shipped plugins: a missing one is skipped by slated,
		  * and every loaded one's routes join the matrix */
		 "\"scripts\": {\"enabled\": true}, "
		 "\"outfits\": {\"enabled\": true}, "
		 "\"ui-elements\": {\"enabled\": true}, "
		 "\"backgrounds\": {\"enabled\": true}, "
		 "\"clips\": {\"enabled\": true}, "
		 "\"components\": {\"enabled\": true}, "
		 "\"guests\": {\"enabled\": true}}, "
		 "\"oidc\": {\"issuer\": \"%s\", \"audience\": \"%s\", "
		 "\"jwks_file\": \"%s\"}}",
		 ISS, CLIENT, jwks_path);
	return th_start(&srv, cfg);
}

static int suite_clean(void)
{
	th_stop(&srv);
	unlink(jwks_path);
	free(rsa_pem);
	return 0;
}

static long status_as(const char *token, const char *method, const char *path,
		      const char *body)
{
	th_resp r;
	if (th_req_as(&srv, token, method, path, body, NULL, &r))
		return -1;
	long st = r.status;
	th_resp_free(&r);
	return st;
}

/* The shared HS256 secret, read from the database as a forger with
 * database access would. */
static char *local_secret(void)
{
	th_sql_long(&srv, "SELECT 1"); /* opens srv.db */
	PGresult *r = PQexec(srv.db, "SELECT secret FROM auth_secrets WHERE "
				     "name = 'access_token_hs256'");
	char *s = PQntuples(r) == 1 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return s;
}

static char *local_token(const char *secret, const char *groups, long exp_delta)
{
	long now = (long)time(NULL);
	json_t *c = json_pack(
	    "{s:s, s:s, s:s, s:[s], s:s, s:I, s:I}", "iss", "slate", "sub",
	    "0b6a8a9e-8f4e-4b7e-9d3f-5c1c2a3b4d5e", "email", "forged@x.io",
	    "groups", groups, "token_use", "access", "iat", (json_int_t)now,
	    "exp", (json_int_t)(now + exp_delta));
	char *t = slate_jwt_sign_hs256(c, (const unsigned char *)secret,
				       strlen(secret));
	json_decref(c);
	return t;
}

static char *cognito_token(const char *groups_json, long exp_delta)
{
	long now = (long)time(NULL);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I}", "iss",
			      ISS, "sub", COGNITO_SUB, "client_id", CLIENT,
			      "token_use", "access", "cognito:groups",
			      json_loads(groups_json, 0, NULL), "username",
			      "jane@cognito.test", "iat", (json_int_t)now,
			      "exp", (json_int_t)(now + exp_delta));
	char *t = slate_jwt_sign_rs256(c, rsa_pem, "test-kid");
	json_decref(c);
	return t;
}

/* ---- the permission matrix ------------------------------------------- */

/* `path` with every ":param" segment replaced by a random UUID. */
static void fill_params(const char *path, char *out, size_t len)
{
	static const char uuid[] = "5d0c1e2a-9b8f-4c3d-a1e2-f3a4b5c6d7e8";
	size_t o = 0;
	for (const char *p = path; *p && o + 40 < len;) {
		if (*p == ':' && (p == path || p[-1] == '/')) {
			memcpy(out + o, uuid, sizeof(uuid) - 1);
			o += sizeof(uuid) - 1;
			while (*p && *p != '/')
				p++;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static void test_permission_matrix(void)
{
	th_resp routes;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/admin/routes", NULL, NULL,
			       &routes) == 0);
	CU_ASSERT_EQUAL_FATAL(routes.status, 200);
	json_t *list = json_object_get(routes.json, "data");
	CU_ASSERT_FATAL(json_array_size(list) > 15);

	char *secret = local_secret();
	CU_ASSERT_PTR_NOT_NULL_FATAL(secret);
	char *expired = local_token(secret, "admin", -3600);
	char *other =
	    local_token("not-the-secret-not-the-secret-0123", "admin", 600);
	/* complete claims, so that only the missing signature is wrong */
	long now = (long)time(NULL);
	json_t *nc =
	    json_pack("{s:s, s:s, s:s, s:[s], s:s, s:I, s:I}", "iss", "slate",
		      "sub", "0b6a8a9e-8f4e-4b7e-9d3f-5c1c2a3b4d5e", "email",
		      "forged@x.io", "groups", "admin", "token_use", "access",
		      "iat", (json_int_t)now, "exp", (json_int_t)(now + 600));
	char *none = th_token_none(nc);
	json_decref(nc);
	/* the secret itself is good: the same claims signed with it pass */
	char *good = local_token(secret, "admin", 600);
	CU_ASSERT_EQUAL(status_as(good, "GET", "/api/v1/auth/me", NULL), 200);

	const char *bad[] = {NULL,    "not-a-token", "a.b.c",
			     expired, other,	     none};
	const char *bad_names[] = {"none",    "malformed", "malformed3",
				   "expired", "other key", "alg none"};
	size_t i;
	json_t *rt;
	int seen_plugin = 0, seen_public = 0, checked = 0;
	json_array_foreach(list, i, rt)
	{
		const char *method =
		    json_string_value(json_object_get(rt, "method"));
		const char *path =
		    json_string_value(json_object_get(rt, "path"));
		const char *perm =
		    json_string_value(json_object_get(rt, "permission"));
		const char *owner =
		    json_string_value(json_object_get(rt, "owner"));
		CU_ASSERT_FATAL(method && path && perm && owner);
		CU_ASSERT(!strcmp(perm, "public") || !strcmp(perm, "read") ||
			  !strcmp(perm, "write") || !strcmp(perm, "admin"));
		seen_plugin |= !strcmp(owner, "testplug");
		char url[600];
		fill_params(path, url, sizeof(url));
		bool has_body = !strcmp(method, "POST") ||
				!strcmp(method, "PUT") ||
				!strcmp(method, "PATCH");
		const char *body = has_body ? "{}" : NULL;
		if (!strcmp(perm, "public")) {
			seen_public++;
			/* reachable without a token; the signed upload PUT
			 * takes its signature as the credential instead, so
			 * without one it is refused with 403, never 401 */
			long st = status_as(NULL, method, url, body);
			CU_ASSERT(st != 401 &&
				  (st != 403 || strstr(url, "/upload/put/")));
			continue;
		}
		/* logout as admin would end the harness's own sessions:
		 * harmless (access tokens stay valid), and still checked */
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			th_resp r;
			CU_ASSERT_FATAL(th_req_as(&srv, bad[k], method, url,
						  body, NULL, &r) == 0);
			char h[200] = "";
			if (r.status != 401 ||
			    strcmp(th_err_code(&r), "UNAUTHORIZED") ||
			    !th_header(&r, "WWW-Authenticate", h, sizeof(h)) ||
			    strncmp(h, "Bearer", 6)) {
				fprintf(stderr,
					"matrix: %s %s with %s token: %ld %s\n",
					method, url, bad_names[k], r.status,
					r.body);
				CU_FAIL("expected 401 UNAUTHORIZED");
			}
			th_resp_free(&r);
		}
		struct {
			const char *tok, *name;
			bool allowed;
		} who[] = {
		    {srv.tok_viewer, "viewer", !strcmp(perm, "read")},
		    {srv.tok_editor, "editor", strcmp(perm, "admin") != 0},
		    {srv.tok_admin, "admin", true},
		};
		for (size_t k = 0; k < 3; k++) {
			th_resp r;
			CU_ASSERT_FATAL(th_req_as(&srv, who[k].tok, method, url,
						  body, NULL, &r) == 0);
			bool ok =
			    who[k].allowed
				? r.status != 401 && r.status != 403
				: r.status == 403 &&
				      !strcmp(th_err_code(&r), "FORBIDDEN");
			if (!ok) {
				fprintf(stderr,
					"matrix: %s %s (%s) as %s: %ld %s\n",
					method, url, perm, who[k].name,
					r.status, r.body);
				CU_FAIL("permission matrix");
			}
			th_resp_free(&r);
		}
		checked++;
	}
	CU_ASSERT(seen_plugin);
	/* /health, login, refresh, and the signed upload PUT */
	CU_ASSERT_EQUAL(seen_public, 4);
	CU_ASSERT(checked > 10);
	/* the harness's admin token still works after the logout above */
	CU_ASSERT_EQUAL(
	    status_as(srv.tok_admin, "GET", "/api/v1/auth/me", NULL), 200);
	th_resp_free(&routes);
	free(secret);
	free(expired);
	free(other);
	free(none);
	free(good);
}

/* ---- accounts and tokens --------------------------------------------- */

static json_t *post_json(const char *token, const char *path, const char *body,
			 long *status)
{
	th_resp r;
	*status = -1;
	if (th_req_as(&srv, token, "POST", path, body, NULL, &r))
		return NULL;
	*status = r.status;
	json_t *d = json_incref(json_object_get(r.json, "data"));
	th_resp_free(&r);
	return d;
}

static void test_login_refresh_logout(void)
{
	char tok[1024], ref[128], body[256];
	CU_ASSERT_EQUAL(th_login(&srv, TH_EDITOR, "Wrong-Passw0rd!", tok,
				 sizeof(tok), NULL, 0),
			401);
	CU_ASSERT_EQUAL(th_login(&srv, "nobody@test.local", TH_PASSWORD, tok,
				 sizeof(tok), NULL, 0),
			401);
	/* emails are case-insensitive */
	CU_ASSERT_EQUAL_FATAL(th_login(&srv, "Editor@Test.Local", TH_PASSWORD,
				       tok, sizeof(tok), ref, sizeof(ref)),
			      200);
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&srv, tok, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "email") ?: "", TH_EDITOR);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "source") ?: "", "local");
	th_resp_free(&r);
	/* only the hash is stored */
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM refresh_tokens WHERE token_hash = '%s'",
		 ref);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 0);

	/* rotation: the new pair works, the old refresh token is spent */
	long st;
	snprintf(body, sizeof(body), "{\"refresh_token\": \"%s\"}", ref);
	json_t *d = post_json(NULL, "/api/v1/auth/refresh", body, &st);
	CU_ASSERT_EQUAL_FATAL(st, 200);
	char ref2[128];
	snprintf(ref2, sizeof(ref2), "%s",
		 json_string_value(json_object_get(d, "refresh_token")));
	CU_ASSERT_NOT_EQUAL(strcmp(ref, ref2), 0);
	const char *acc2 =
	    json_string_value(json_object_get(d, "access_token"));
	CU_ASSERT_EQUAL(status_as(acc2, "GET", "/api/v1/auth/me", NULL), 200);
	json_decref(d);
	/* the old one again: reuse, which revokes the family, ref2 included */
	d = post_json(NULL, "/api/v1/auth/refresh", body, &st);
	CU_ASSERT_EQUAL(st, 401);
	json_decref(d);
	snprintf(body, sizeof(body), "{\"refresh_token\": \"%s\"}", ref2);
	d = post_json(NULL, "/api/v1/auth/refresh", body, &st);
	CU_ASSERT_EQUAL(st, 401);
	json_decref(d);
	CU_ASSERT(th_sql_long(&srv, "SELECT count(*) FROM audit_log WHERE "
				    "action = 'token_reuse'") >= 1);
	d = post_json(NULL, "/api/v1/auth/refresh",
		      "{\"refresh_token\": \"x\"}", &st);
	CU_ASSERT_EQUAL(st, 401);
	json_decref(d);
	d = post_json(NULL, "/api/v1/auth/refresh", "{}", &st);
	CU_ASSERT_EQUAL(st, 400);
	json_decref(d);

	/* logout with a refresh token revokes that login only */
	char ref3[128], ref4[128], tok3[1024];
	CU_ASSERT_EQUAL_FATAL(th_login(&srv, TH_EDITOR, TH_PASSWORD, tok3,
				       sizeof(tok3), ref3, sizeof(ref3)),
			      200);
	CU_ASSERT_EQUAL_FATAL(th_login(&srv, TH_EDITOR, TH_PASSWORD, tok,
				       sizeof(tok), ref4, sizeof(ref4)),
			      200);
	snprintf(body, sizeof(body), "{\"refresh_token\": \"%s\"}", ref3);
	d = post_json(tok3, "/api/v1/auth/logout", body, &st);
	CU_ASSERT_EQUAL(st, 200);
	json_decref(d);
	d = post_json(NULL, "/api/v1/auth/refresh", body, &st);
	CU_ASSERT_EQUAL(st, 401);
	json_decref(d);
	snprintf(body, sizeof(body), "{\"refresh_token\": \"%s\"}", ref4);
	d = post_json(NULL, "/api/v1/auth/refresh", body, &st);
	CU_ASSERT_EQUAL(st, 200);
	json_decref(d);
	/* logout without a body: every session of the account */
	d = post_json(tok3, "/api/v1/auth/logout", NULL, &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT(json_integer_value(
		      json_object_get(d, "refresh_tokens_revoked")) >= 1);
	json_decref(d);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM refresh_tokens t "
				    "JOIN users u USING (user_id) WHERE "
				    "u.email = '" TH_EDITOR
				    "' AND t.revoked_at IS NULL AND "
				    "t.used_at IS NULL"),
			0);
}

static void test_slatectl_accounts(void)
{
	char out[4096];
	const char *add[] = {"user",	 "add",	   "carol@test.local",
			     "--groups", "editor", NULL};
	/* the policy is enforced */
	CU_ASSERT_NOT_EQUAL(
	    th_ctl(&srv, "weakpassword\n", out, sizeof(out), add), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "upper-case"));
	CU_ASSERT_PTR_NULL(strstr(out, "weakpassword"));
	/* unknown group: usage error */
	const char *badg[] = {"user",	  "add",  "x@test.local",
			      "--groups", "root", NULL};
	CU_ASSERT_EQUAL(
	    th_ctl(&srv, "Carol-Passw0rd!\n", out, sizeof(out), badg), 2);
	/* a password in argv is not an option */
	const char *argvpw[] = {"user", "add", "x@test.local",
				"Carol-Passw0rd!", NULL};
	CU_ASSERT_EQUAL(th_ctl(&srv, "", out, sizeof(out), argvpw), 2);
	CU_ASSERT_EQUAL_FATAL(
	    th_ctl(&srv, "Carol-Passw0rd!\n", out, sizeof(out), add), 0);
	CU_ASSERT_NOT_EQUAL(
	    th_ctl(&srv, "Carol-Passw0rd!\n", out, sizeof(out), add),
	    0); /* exists */
	char tok[1024], ref[128];
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local", "Carol-Passw0rd!",
				 tok, sizeof(tok), ref, sizeof(ref)),
			200);
	CU_ASSERT_EQUAL(status_as(tok, "POST", "/api/v1/shows",
				  "{\"name\": \"carol's show\"}"),
			201);
	/* the hash is argon2id, never the password */
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM users WHERE email = "
				    "'carol@test.local' AND password_hash LIKE "
				    "'$argon2id$%' AND password_hash NOT LIKE "
				    "'%Carol%'"),
			1);
	/* groups: viewer now; the old refresh token no longer works */
	const char *grp[] = {"user", "groups", "carol@test.local", "viewer",
			     NULL};
	CU_ASSERT_EQUAL(th_ctl(&srv, NULL, out, sizeof(out), grp), 0);
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local", "Carol-Passw0rd!",
				 tok, sizeof(tok), NULL, 0),
			200);
	CU_ASSERT_EQUAL(status_as(tok, "POST", "/api/v1/shows",
				  "{\"name\": \"carol's second\"}"),
			403);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM audit_log a JOIN "
				    "users u ON a.entity_id = u.user_id WHERE "
				    "u.email = 'carol@test.local' AND "
				    "a.field_name = 'groups' AND a.old_value = "
				    "'{editor}' AND a.new_value = '{viewer}'"),
			1);
	/* passwd from stdin */
	const char *pw[] = {"user", "passwd", "carol@test.local", NULL};
	CU_ASSERT_EQUAL(
	    th_ctl(&srv, "Carol-N3w-Passw0rd!\n", out, sizeof(out), pw), 0);
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local", "Carol-Passw0rd!",
				 tok, sizeof(tok), NULL, 0),
			401);
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local",
				 "Carol-N3w-Passw0rd!", tok, sizeof(tok), ref,
				 sizeof(ref)),
			200);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log "
					  "WHERE old_value LIKE '%Passw0rd%' "
					  "OR new_value LIKE '%Passw0rd%'"),
			0);
	/* disable: no login, no refresh */
	const char *dis[] = {"user", "disable", "carol@test.local", NULL};
	CU_ASSERT_EQUAL(th_ctl(&srv, NULL, out, sizeof(out), dis), 0);
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local",
				 "Carol-N3w-Passw0rd!", tok, sizeof(tok), NULL,
				 0),
			401);
	char body[200];
	snprintf(body, sizeof(body), "{\"refresh_token\": \"%s\"}", ref);
	CU_ASSERT_EQUAL(status_as(NULL, "POST", "/api/v1/auth/refresh", body),
			401);
	const char *en[] = {"user", "enable", "carol@test.local", NULL};
	CU_ASSERT_EQUAL(th_ctl(&srv, NULL, out, sizeof(out), en), 0);
	CU_ASSERT_EQUAL(th_login(&srv, "carol@test.local",
				 "Carol-N3w-Passw0rd!", tok, sizeof(tok), NULL,
				 0),
			200);
	const char *list[] = {"user", "list", NULL};
	CU_ASSERT_EQUAL(th_ctl(&srv, NULL, out, sizeof(out), list), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "carol@test.local"));
	CU_ASSERT_PTR_NULL(strstr(out, "argon2"));
	/* the admin API lists accounts without hashes */
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", "/api/v1/users", NULL, NULL, &r) ==
			0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "carol@test.local"));
	CU_ASSERT_PTR_NULL(strstr(r.body, "argon2"));
	th_resp_free(&r);
}

static void test_first_admin(void)
{
	/* printed once on stdout, never in the log */
	char buf[8192] = "", pw[64] = "";
	FILE *f = fopen(srv.out_path, "r");
	CU_ASSERT_FATAL(f != NULL);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	const char *p = strstr(buf, "\n\n    ");
	CU_ASSERT_FATAL(p != NULL);
	sscanf(p + 6, "%63s", pw);
	CU_ASSERT(strlen(pw) >= 16);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "admin@localhost"));
	f = fopen(srv.log_path, "r");
	CU_ASSERT_FATAL(f != NULL);
	static char log[1 << 20];
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	CU_ASSERT_PTR_NULL(strstr(log, pw));
	CU_ASSERT_PTR_NULL(strstr(log, TH_PASSWORD));
	char tok[1024];
	CU_ASSERT_EQUAL(
	    th_login(&srv, "admin@localhost", pw, tok, sizeof(tok), NULL, 0),
	    200);
	/* a restart does not make another */
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM users WHERE "
					  "email = 'admin@localhost'"),
			1);
}

/* ---- external identity (Cognito) ------------------------------------- */

static void test_cognito_tokens(void)
{
	char *viewer = cognito_token("[\"viewer\", \"marketing\"]", 600);
	char *admin = cognito_token("[\"admin\"]", 600);
	char *none = cognito_token("[\"marketing\"]", 600);
	char *expired = cognito_token("[\"admin\"]", -3600);
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&srv, viewer, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "source") ?: "", "oidc");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "email") ?: "",
			       "jane@cognito.test");
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_as(viewer, "GET", "/api/v1/shows", NULL), 200);
	CU_ASSERT_EQUAL(status_as(viewer, "POST", "/api/v1/shows",
				  "{\"name\": \"cognito viewer\"}"),
			403);
	CU_ASSERT_EQUAL(status_as(none, "GET", "/api/v1/shows", NULL), 403);
	CU_ASSERT_EQUAL(status_as(expired, "GET", "/api/v1/shows", NULL), 401);
	CU_ASSERT_FATAL(th_req_as(&srv, admin, "POST", "/api/v1/shows",
				  "{\"name\": \"made by cognito\"}", NULL,
				  &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'create' AND user_id = '" COGNITO_SUB
		 "' AND user_email = 'jane@cognito.test'",
		 th_data_str(&r, "show_id")
		     ?: "00000000-0000-0000-0000-"
			"000000000000");
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	th_resp_free(&r);
	free(viewer);
	free(admin);
	free(none);
	free(expired);
}

/* The default oidc.token_use checks the claim when a token has it: a
 * Cognito ID token is refused, a Cognito access token and a token without
 * the claim (every standard provider's) are accepted. */
static void test_token_use_default(void)
{
	static const char *const uses[] = {"id", "access", NULL};
	static const long want[] = {401, 200, 200};
	long now = (long)time(NULL);
	for (size_t i = 0; i < 3; i++) {
		json_t *c =
		    json_pack("{s:s, s:s, s:s, s:[s], s:I, s:I}", "iss", ISS,
			      "sub", COGNITO_SUB, "client_id", CLIENT,
			      "cognito:groups", "viewer", "iat",
			      (json_int_t)now, "exp", (json_int_t)(now + 600));
		if (uses[i])
			json_object_set_new(c, "token_use",
					    json_string(uses[i]));
		char *t = slate_jwt_sign_rs256(c, rsa_pem, "test-kid");
		json_decref(c);
		CU_ASSERT_EQUAL(status_as(t, "GET", "/api/v1/auth/me", NULL),
				want[i]);
		free(t);
	}
}

/* ---- audit ------------------------------------------------------------ */

static void test_audit_rows(void)
{
	th_resp r;
	const char *ua[] = {"User-Agent: audit-test/1.0", NULL};
	CU_ASSERT_FATAL(th_req_as(&srv, srv.tok_editor, "POST", "/api/v1/shows",
				  "{\"name\": \"Audited\", \"description\": "
				  "\"before\"}",
				  ua, &r) == 0);
	CU_ASSERT_EQUAL_FATAL(r.status, 201);
	char id[64], sql[600], path[128];
	snprintf(id, sizeof(id), "%s", th_data_str(&r, "show_id") ?: "");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/shows/%s", id);
	/* the create: who, from where, with what */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log a JOIN users u ON u.user_id = "
		 "a.user_id WHERE a.entity_type = 'show' AND a.entity_id = "
		 "'%s' AND a.action = 'create' AND u.email = '" TH_EDITOR
		 "' AND a.user_email = '" TH_EDITOR
		 "' AND host(a.ip_address) = '127.0.0.1' AND a.user_agent = "
		 "'audit-test/1.0'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);
	/* an update of two fields (one unchanged): two rows, old and new */
	CU_ASSERT_EQUAL(status_as(srv.tok_editor, "PATCH", path,
				  "{\"name\": \"Audited 2\", \"description\": "
				  "\"after\", \"status\": \"active\"}"),
			200);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'update'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'update' AND ((field_name = 'name' AND old_value = "
		 "'Audited' AND new_value = 'Audited 2') OR (field_name = "
		 "'description' AND old_value = 'before' AND new_value = "
		 "'after')) AND user_email = '" TH_EDITOR "'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 2);
	/* a refused change writes nothing */
	long before = th_sql_long(&srv, "SELECT count(*) FROM audit_log");
	CU_ASSERT_EQUAL(
	    status_as(srv.tok_viewer, "PATCH", path, "{\"name\": \"nope\"}"),
	    403);
	CU_ASSERT_EQUAL(status_as(srv.tok_editor, "DELETE", path, NULL), 403);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log"),
			before);
	/* admin deletes */
	CU_ASSERT_EQUAL(status_as(srv.tok_admin, "DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(status_as(srv.tok_admin, "GET", path, NULL), 404);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = 'delete' AND user_email = '" TH_ADMIN "'",
		 id);
	CU_ASSERT_EQUAL(th_sql_long(&srv, sql), 1);

	/* the audit-log API: filters, newest first, pages */
	char url[300];
	snprintf(url, sizeof(url), "/api/v1/audit-log?entity_id=%s", id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", url, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *rows = json_object_get(r.json, "data");
	CU_ASSERT_EQUAL(json_array_size(rows),
			4); /* create, 2 updates, delete */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_array_get(rows, 0), "action"))
				   ?: "",
			       "delete");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				   json_array_get(rows, 3), "action"))
				   ?: "",
			       "create");
	th_resp_free(&r);
	snprintf(
	    url, sizeof(url),
	    "/api/v1/audit-log?entity_id=%s&action=update&limit=1&offset=1",
	    id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", url, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    json_object_get(r.json, "metadata"), "total")),
			2);
	th_resp_free(&r);
	snprintf(url, sizeof(url),
		 "/api/v1/audit-log?entity_type=show&user=" TH_EDITOR
		 "&from=2000-01-01T00:00:00Z&entity_id=%s",
		 id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", url, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 3);
	th_resp_free(&r);
	snprintf(url, sizeof(url),
		 "/api/v1/audit-log?entity_id=%s&to=2000-01-01T00:00:00Z", id);
	CU_ASSERT_FATAL(th_req(&srv, "GET", url, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 0);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(status_as(srv.tok_admin, "GET",
				  "/api/v1/audit-log?entity_id=x", NULL),
			400);
	CU_ASSERT_EQUAL(status_as(srv.tok_admin, "GET",
				  "/api/v1/audit-log?from=yesterday", NULL),
			400);
	CU_ASSERT_EQUAL(status_as(srv.tok_admin, "GET",
				  "/api/v1/audit-log?limit=1000", NULL),
			400);
	CU_ASSERT_EQUAL(
	    status_as(srv.tok_admin, "GET", "/api/v1/audit-log?secret=1", NULL),
	    400);
	CU_ASSERT_EQUAL(
	    status_as(srv.tok_editor, "GET", "/api/v1/audit-log", NULL), 403);

	/* logins and failed logins */
	char tok[1024];
	th_login(&srv, TH_VIEWER, TH_PASSWORD, tok, sizeof(tok), NULL, 0);
	th_login(&srv, TH_VIEWER, "Not-The-Passw0rd!", tok, sizeof(tok), NULL,
		 0);
	th_login(&srv, "ghost@test.local", "Not-The-Passw0rd!", tok,
		 sizeof(tok), NULL, 0);
	CU_ASSERT(th_sql_long(&srv,
			      "SELECT count(*) FROM audit_log a JOIN "
			      "users u ON u.user_id = a.entity_id WHERE "
			      "a.entity_type = 'user' AND a.action = "
			      "'login' AND u.email = '" TH_VIEWER "'") >= 1);
	CU_ASSERT_EQUAL(th_sql_long(&srv,
				    "SELECT count(*) FROM audit_log a JOIN "
				    "users u ON u.user_id = a.entity_id WHERE "
				    "a.action = 'login_failed' AND "
				    "a.new_value = 'bad_password' AND u.email "
				    "= '" TH_VIEWER "'"),
			1);
	CU_ASSERT(th_sql_long(&srv,
			      "SELECT count(*) FROM audit_log WHERE "
			      "action = 'login_failed' AND entity_id = "
			      "'00000000-0000-0000-0000-000000000000' AND "
			      "new_value = 'unknown_user' AND user_email "
			      "IS NULL") >= 1);
	/* no password ever reaches the audit log */
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log "
					  "WHERE coalesce(old_value, '') || "
					  "coalesce(new_value, '') LIKE "
					  "'%Passw0rd%'"),
			0);
}

/* ---- rate limits and lockouts, on a second server sharing the DB ------ */

static th_server rl;

static long rl_status(const char *token, const char *method, const char *path,
		      const char *body, const char *xff, th_resp *keep)
{
	char h[100];
	snprintf(h, sizeof(h), "X-Forwarded-For: %s", xff);
	const char *hdrs[] = {h, NULL};
	th_resp r;
	if (th_req_as(&rl, token, method, path, body, xff ? hdrs : NULL, &r))
		return -1;
	long st = r.status;
	if (keep)
		*keep = r;
	else
		th_resp_free(&r);
	return st;
}

static long rl_login(const char *email, const char *pw, const char *xff)
{
	char body[300];
	snprintf(body, sizeof(body),
		 "{\"email\": \"%s\", \"password\": \"%s\"}", email, pw);
	return rl_status(NULL, "POST", "/api/v1/auth/login", body, xff, NULL);
}

static void test_rate_limits(void)
{
	char cfg[800];
	snprintf(
	    cfg, sizeof(cfg),
	    "{\"database_url\": \"host=%s dbname=slate user=slate\", "
	    "\"rate_limit\": {\"enabled\": true, \"api_max\": 12, "
	    "\"api_window_s\": 3600, \"trusted_proxies\": [\"127.0.0.1\"]}, "
	    "\"auth\": {\"lockout_account_max\": 3, \"lockout_ip_max\": 5, "
	    "\"lockout_window_s\": 3600}}",
	    th_cluster_dir(&srv));
	CU_ASSERT_FATAL(th_start(&rl, cfg) == 0);

	/* one secret for every process on the database: the first server's
	 * token is good here */
	CU_ASSERT_EQUAL(rl_status(srv.tok_admin, "GET", "/api/v1/auth/me", NULL,
				  "198.51.100.1", NULL),
			200);

	/* API limit per client IP (from X-Forwarded-For: the peer is a
	 * trusted proxy) with the RateLimit headers */
	th_resp r;
	char h[64];
	CU_ASSERT_EQUAL(rl_status(rl.token, "GET", "/api/v1/shows?limit=1",
				  NULL, "198.51.100.2", &r),
			200);
	CU_ASSERT(th_header(&r, "RateLimit-Limit", h, sizeof(h)) &&
		  !strcmp(h, "12"));
	CU_ASSERT(th_header(&r, "RateLimit-Remaining", h, sizeof(h)) &&
		  !strcmp(h, "11"));
	CU_ASSERT(th_header(&r, "RateLimit-Reset", h, sizeof(h)) &&
		  atol(h) > 0 && atol(h) <= 3600);
	th_resp_free(&r);
	for (int i = 0; i < 11; i++)
		CU_ASSERT_EQUAL(rl_status(rl.token, "GET",
					  "/api/v1/shows?limit=1", NULL,
					  "198.51.100.2", NULL),
				200);
	CU_ASSERT_EQUAL(rl_status(rl.token, "GET", "/api/v1/shows?limit=1",
				  NULL, "198.51.100.2", &r),
			429);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "RATE_LIMITED");
	CU_ASSERT(th_header(&r, "Retry-After", h, sizeof(h)) && atol(h) > 0);
	CU_ASSERT(th_header(&r, "RateLimit-Remaining", h, sizeof(h)) &&
		  !strcmp(h, "0"));
	th_resp_free(&r);
	/* also without a token (counted before authentication) */
	CU_ASSERT_EQUAL(
	    rl_status(NULL, "GET", "/api/v1/shows", NULL, "198.51.100.2", NULL),
	    429);
	/* another client is not affected; /health is not limited */
	CU_ASSERT_EQUAL(rl_status(rl.token, "GET", "/api/v1/shows?limit=1",
				  NULL, "198.51.100.3", NULL),
			200);
	for (int i = 0; i < 15; i++)
		CU_ASSERT_EQUAL(rl_status(NULL, "GET", "/health", NULL,
					  "198.51.100.2", NULL),
				200);
	/* the counters live in PostgreSQL, shared by all processes */
	CU_ASSERT(th_sql_long(
		      &srv, "SELECT hits FROM rate_limit_counters "
			    "WHERE bucket = 'api:ip:198.51.100.2/3600'") >= 13);
	/* the address was recorded in the audit log as the client's */
	CU_ASSERT_EQUAL(rl_status(rl.token, "POST", "/api/v1/shows",
				  "{\"name\": \"via proxy\"}", "198.51.100.4",
				  NULL),
			201);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log "
					  "WHERE host(ip_address) = "
					  "'198.51.100.4' AND action = "
					  "'create'"),
			1);

	/* failed logins per account: 3, then locked even with the right
	 * password, from any address */
	const char *add[] = {"user",	 "add",	   "locked@test.local",
			     "--groups", "viewer", NULL};
	char out[2048];
	CU_ASSERT_EQUAL_FATAL(
	    th_ctl(&rl, TH_PASSWORD "\n", out, sizeof(out), add), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(
		    rl_login("locked@test.local", "Wrong-Passw0rd!",
			     i == 0 ? "203.0.113.1" : "203.0.113.2"),
		    401);
	CU_ASSERT_EQUAL(rl_status(NULL, "POST", "/api/v1/auth/login",
				  "{\"email\": \"LOCKED@test.local\", "
				  "\"password\": \"" TH_PASSWORD "\"}",
				  "203.0.113.3", &r),
			429);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "RATE_LIMITED");
	CU_ASSERT(th_header(&r, "Retry-After", h, sizeof(h)) && atol(h) > 0);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(th_sql_long(&srv, "SELECT count(*) FROM audit_log a "
					  "JOIN users u ON u.user_id = "
					  "a.entity_id WHERE u.email = "
					  "'locked@test.local' AND a.action = "
					  "'login_failed' AND a.new_value = "
					  "'locked'"),
			1);
	/* others still log in */
	CU_ASSERT_EQUAL(rl_login(TH_VIEWER, TH_PASSWORD, "203.0.113.3"), 200);

	/* failed logins per IP: 5 over different accounts, then that address
	 * is locked out, others are not */
	for (int i = 0; i < 5; i++) {
		char email[64];
		snprintf(email, sizeof(email), "nobody%d@test.local", i);
		CU_ASSERT_EQUAL(
		    rl_login(email, "Wrong-Passw0rd!", "203.0.113.9"), 401);
	}
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, TH_PASSWORD, "203.0.113.9"), 429);
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, TH_PASSWORD, "203.0.113.10"), 200);
	/* a success clears the account's own failures */
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, "Wrong-Passw0rd!", "203.0.113.11"),
			401);
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, "Wrong-Passw0rd!", "203.0.113.11"),
			401);
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, TH_PASSWORD, "203.0.113.12"), 200);
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, "Wrong-Passw0rd!", "203.0.113.11"),
			401);
	CU_ASSERT_EQUAL(rl_login(TH_EDITOR, TH_PASSWORD, "203.0.113.12"), 200);
	th_stop(&rl);
}

int main(void)
{
	const th_test tests[] = {
	    {"permission matrix over every route", test_permission_matrix},
	    {"login, refresh rotation and reuse, logout",
	     test_login_refresh_logout},
	    {"slatectl accounts", test_slatectl_accounts},
	    {"first-start admin", test_first_admin},
	    {"Cognito RS256 tokens", test_cognito_tokens},
	    {"token_use checked when present (default)",
	     test_token_use_default},
	    {"audit rows and the audit-log API", test_audit_rows},
	    {"rate limits and lockouts", test_rate_limits},
	    {NULL, NULL},
	};
	curl_global_init(CURL_GLOBAL_ALL);
	int rc = th_main("auth", suite_init, suite_clean, tests);
	curl_global_cleanup();
	return rc;
}
