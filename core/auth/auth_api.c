/*
 * auth_api.c - POST /api/v1/auth/login, /auth/refresh, /auth/logout,
 * GET /auth/me, GET /api/v1/users.
 *
 * Refresh tokens are random 256-bit strings; only their SHA-256 is stored.
 * Each is used once: a refresh marks it used and issues the next of the same
 * family; a used or revoked token shown again revokes the whole family (it
 * was stolen, or the client is confused: either way, log in again).
 */
#include "auth/auth_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "auth/users.h"
#include "base/util.h"
#include "http/ratelimit.h"
#include "http/req_db.h"
#include "http/request.h"
#include "http/router.h"

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

/* A string member of the body, or NULL (and a 400 added) when missing. */
static const char *body_str(slate_req *r, const char *key, size_t max)
{
	const char *v = json_string_value(json_object_get(r->body, key));
	if (!v || !*v) {
		slate_res_error(r, 400, "VALIDATION_ERROR", key,
				"'%s' is required (a string)", key);
		return NULL;
	}
	if (strlen(v) > max) {
		slate_res_error(r, 400, "VALIDATION_ERROR", key,
				"'%s' is too long", key);
		return NULL;
	}
	return v;
}

/* Make a refresh token of `family` (NULL: a new family) for `user_id`;
 * the token text into out. 0 or -1. */
static int refresh_issue(slate_req *r, const char *user_id, const char *family,
			 char out[64])
{
	char hash[65], ttl[24], fam[37];
	if (slate_users_random_b64(out, 64, 32))
		return -1;
	if (!family) {
		if (slate_uuid_v4(fam))
			return -1;
		family = fam;
	}
	slate_users_sha256_hex(out, hash);
	snprintf(ttl, sizeof(ttl), "%d", r->core->cfg->refresh_ttl_s);
	const char *p[4] = {family, user_id, hash, ttl};
	return slate_db_exec_req(r,
				 "INSERT INTO refresh_tokens (family_id, "
				 "user_id, token_hash, expires_at) VALUES "
				 "($1::uuid, $2::uuid, $3, now() + "
				 "make_interval(secs => $4::int))",
				 4, p)
		   ? 0
		   : -1;
}

/* The login/refresh answer: tokens and who they are for. */
static int answer_tokens(slate_req *r, const char *user_id, const char *email,
			 unsigned groups, const char *refresh)
{
	char *access =
	    slate_auth_issue_access(r->core->auth, user_id, email, groups);
	if (!access)
		return -1;
	json_t *data = json_pack("{s:s, s:s, s:i, s:s, s:i, s:{s:s, s:s, s:o}}",
				 "access_token", access, "token_type", "Bearer",
				 "expires_in", r->core->cfg->access_ttl_s,
				 "refresh_token", refresh, "refresh_expires_in",
				 r->core->cfg->refresh_ttl_s, "user", "user_id",
				 user_id, "email", email, "groups",
				 slate_users_groups_json(groups));
	free(access);
	return slate_res_json(r, 200, data);
}

/* A failed login: count it, audit it, and answer; the transaction commits
 * all the same (commit_on_error). */
static int login_failed(slate_req *r, const char *user_id, const char *email,
			const char *reason, const char *acct_bucket,
			const char *ip_bucket)
{
	const slate_config *cfg = r->core->cfg;
	slate_ratelimit_info info;
	r->commit_on_error = true;
	if (acct_bucket &&
	    (slate_ratelimit_hit(r, acct_bucket, cfg->lockout_window_s,
				 &info) ||
	     slate_ratelimit_hit(r, ip_bucket, cfg->lockout_window_s, &info)))
		return slate_res_db_error(r);
	/* The actor of a failed login is unknown: the row names the account
	 * tried (nil UUID and no email when there is none). */
	const char *saved_id = r->user_id, *saved_email = r->user_email;
	r->user_id = NULL;
	r->user_email = user_id ? email : NULL;
	int rc = slate_audit_write(r, "user", user_id ? user_id : NIL_UUID,
				   "login_failed", "reason", NULL, reason);
	r->user_id = saved_id;
	r->user_email = saved_email;
	if (rc)
		return slate_res_db_error(r);
	if (!acct_bucket) /* locked out: already answered by the caller */
		return -1;
	slate_res_header(r, "WWW-Authenticate", "Bearer realm=\"slate\"");
	return slate_res_error(r, 401, "UNAUTHORIZED", NULL,
			       "Invalid email or password");
}

static int h_login(slate_req *r, void *ud)
{
	(void)ud;
	const slate_config *cfg = r->core->cfg;
	const char *email = body_str(r, "email", 255);
	const char *password = body_str(r, "password", SLATE_PASSWORD_MAX);
	if (!email || !password)
		return -1;
	char acct[320], ipb[96];
	/* lower-cased so "A@x" and "a@x" share the account's counter */
	snprintf(acct, sizeof(acct), "login_fail:acct:%s", email);
	for (char *p = acct; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(ipb, sizeof(ipb), "login_fail:ip:%s", r->client_ip);

	const char *p1[1] = {email};
	slate_result *u = slate_db_exec_req(
	    r,
	    "SELECT user_id, email, password_hash, groups::text, "
	    "disabled_at IS NOT NULL FROM users WHERE lower(email) = "
	    "lower($1)",
	    1, p1);
	if (!u)
		return slate_res_db_error(r);
	bool found = slate_db_rows(u) == 1;
	const char *user_id = found ? slate_db_value(u, 0, 0) : NULL;
	const char *stored_email = found ? slate_db_value(u, 0, 1) : NULL;

	/* Locked out (per account or per IP): refused before the password
	 * is even looked at, right or wrong. */
	slate_ratelimit_info a, i;
	if (slate_ratelimit_peek(r, acct, cfg->lockout_window_s, &a) ||
	    slate_ratelimit_peek(r, ipb, cfg->lockout_window_s, &i))
		return slate_res_db_error(r);
	if (a.hits >= cfg->lockout_account_max ||
	    i.hits >= cfg->lockout_ip_max) {
		long wait =
		    a.hits >= cfg->lockout_account_max ? a.reset_s : i.reset_s;
		if (login_failed(r, user_id, stored_email, "locked", NULL,
				 NULL) &&
		    slate_req_failed(r))
			return -1;
		return slate_ratelimit_refuse(r, wait,
					      "Too many failed logins");
	}

	bool ok = slate_users_password_verify(
	    found ? slate_db_value(u, 0, 2) : NULL, password);
	bool disabled = found && !strcmp(slate_db_value(u, 0, 4), "t");
	if (!ok || disabled)
		return login_failed(r, user_id, stored_email,
				    !found ? "unknown_user"
				    : !ok  ? "bad_password"
					   : "disabled",
				    acct, ipb);

	unsigned groups = slate_users_groups_from_pg(slate_db_value(u, 0, 3));
	r->user_id = user_id;
	r->user_email = stored_email;
	r->groups = groups;
	char refresh[64];
	const char *p2[1] = {user_id};
	if (slate_ratelimit_reset(r, acct, cfg->lockout_window_s) ||
	    !slate_db_exec_req(r,
			       "UPDATE users SET last_login_at = now() WHERE "
			       "user_id = $1::uuid",
			       1, p2) ||
	    refresh_issue(r, user_id, NULL, refresh) ||
	    slate_audit_write(r, "user", user_id, "login", NULL, NULL, NULL))
		return slate_res_db_error(r);
	return answer_tokens(r, user_id, stored_email, groups, refresh);
}

static int refresh_refused(slate_req *r, const char *msg)
{
	slate_res_header(r, "WWW-Authenticate",
			 "Bearer realm=\"slate\", error=\"invalid_token\"");
	return slate_res_error(r, 401, "UNAUTHORIZED", NULL, "%s", msg);
}

static int h_refresh(slate_req *r, void *ud)
{
	(void)ud;
	const char *tok = body_str(r, "refresh_token", 128);
	if (!tok)
		return -1;
	char hash[65];
	slate_users_sha256_hex(tok, hash);
	const char *p[1] = {hash};
	/* FOR UPDATE: two refreshes with one token are serialized, and the
	 * second one sees it used. */
	slate_result *t = slate_db_exec_req(
	    r,
	    "SELECT t.token_id, t.family_id, t.user_id, "
	    "t.used_at IS NOT NULL, t.revoked_at IS NOT NULL, "
	    "t.expires_at <= now(), u.email, u.groups::text, "
	    "u.disabled_at IS NOT NULL FROM refresh_tokens t JOIN users u "
	    "USING (user_id) WHERE t.token_hash = $1 FOR UPDATE OF t",
	    1, p);
	if (!t)
		return slate_res_db_error(r);
	if (slate_db_rows(t) != 1)
		return refresh_refused(r, "Unknown refresh token");
	const char *token_id = slate_db_value(t, 0, 0);
	const char *family = slate_db_value(t, 0, 1);
	const char *user_id = slate_db_value(t, 0, 2);
	const char *email = slate_db_value(t, 0, 6);
	bool used = !strcmp(slate_db_value(t, 0, 3), "t");
	bool revoked = !strcmp(slate_db_value(t, 0, 4), "t");
	bool expired = !strcmp(slate_db_value(t, 0, 5), "t");
	bool disabled = !strcmp(slate_db_value(t, 0, 8), "t");
	r->user_id = user_id;
	r->user_email = email;
	if (used && !revoked) {
		/* Reuse of a rotated token: revoke the family, keep that. */
		const char *pf[1] = {family};
		r->commit_on_error = true;
		if (!slate_db_exec_req(r,
				       "UPDATE refresh_tokens SET revoked_at = "
				       "now() WHERE family_id = $1::uuid AND "
				       "revoked_at IS NULL",
				       1, pf) ||
		    slate_audit_write(r, "user", user_id, "token_reuse", NULL,
				      NULL, NULL))
			return slate_res_db_error(r);
		return refresh_refused(r, "Refresh token already used: every "
					  "session of this login is revoked");
	}
	if (used || revoked || expired || disabled)
		return refresh_refused(r,
				       "The refresh token is no longer valid");
	unsigned groups = slate_users_groups_from_pg(slate_db_value(t, 0, 7));
	r->groups = groups;
	char next[64];
	const char *pt[1] = {token_id};
	if (!slate_db_exec_req(r,
			       "UPDATE refresh_tokens SET used_at = now() "
			       "WHERE token_id = $1::uuid",
			       1, pt) ||
	    refresh_issue(r, user_id, family, next))
		return slate_res_db_error(r);
	return answer_tokens(r, user_id, email, groups, next);
}

static int h_logout(slate_req *r, void *ud)
{
	(void)ud;
	const char *tok =
	    json_string_value(json_object_get(r->body, "refresh_token"));
	long revoked = 0;
	if (r->user_id && !r->auth_external) {
		slate_result *res;
		if (tok) {
			/* that login only (its whole family) */
			char hash[65];
			slate_users_sha256_hex(tok, hash);
			const char *p[2] = {hash, r->user_id};
			res = slate_db_exec_req(
			    r,
			    "UPDATE refresh_tokens SET revoked_at = now() "
			    "WHERE revoked_at IS NULL AND family_id = "
			    "(SELECT family_id FROM refresh_tokens WHERE "
			    "token_hash = $1 AND user_id = $2::uuid) "
			    "RETURNING token_id",
			    2, p);
		} else {
			/* every session of the account */
			const char *p[1] = {r->user_id};
			res = slate_db_exec_req(
			    r,
			    "UPDATE refresh_tokens SET revoked_at = now() "
			    "WHERE revoked_at IS NULL AND user_id = "
			    "$1::uuid RETURNING token_id",
			    1, p);
		}
		if (!res || slate_audit_write(r, "user", r->user_id, "logout",
					      NULL, NULL, NULL))
			return slate_res_db_error(r);
		revoked = slate_db_rows(res);
	}
	return slate_res_json(r, 200,
			      json_pack("{s:b, s:I}", "logged_out", 1,
					"refresh_tokens_revoked",
					(json_int_t)revoked));
}

static int h_me(slate_req *r, void *ud)
{
	(void)ud;
	return slate_res_json(
	    r, 200,
	    json_pack("{s:s?, s:s?, s:s?, s:o, s:s}", "user_id", r->user_id,
		      "email", r->user_email, "subject", r->user_subject,
		      "groups", slate_users_groups_json(r->groups), "source",
		      r->auth_external ? "oidc" : "local"));
}

static int h_users(slate_req *r, void *ud)
{
	(void)ud;
	slate_result *res = slate_db_exec_req(
	    r,
	    "SELECT coalesce(json_agg(json_build_object('user_id', "
	    "user_id, 'email', email, 'groups', groups, 'disabled', "
	    "disabled_at IS NOT NULL, 'last_login_at', last_login_at, "
	    "'created_at', created_at) ORDER BY lower(email)), '[]')::text "
	    "FROM users",
	    0, NULL);
	if (!res)
		return slate_res_db_error(r);
	const char *json = slate_db_value(res, 0, 0);
	return slate_res_raw(r, 200, json, strlen(json));
}

int slate_auth_api_register(slate_core *core, char *err, size_t errlen)
{
#define AUTH_ROUTE(m, p, h, perm_, body, sum)                                  \
	{                                                                      \
		.method = (m), .path = (p), .handler = (h), .perm = (perm_),   \
		.body_mode = (body), .summary = (sum), .owner = "core"         \
	}
	static const slate_route routes[] = {
	    AUTH_ROUTE("POST", "/api/v1/auth/login", h_login, SLATE_PERM_PUBLIC,
		       SLATE_BODY_ANY_JSON,
		       "Log in: access and refresh tokens"),
	    AUTH_ROUTE("POST", "/api/v1/auth/refresh", h_refresh,
		       SLATE_PERM_PUBLIC, SLATE_BODY_ANY_JSON,
		       "Rotate a refresh token"),
	    AUTH_ROUTE("POST", "/api/v1/auth/logout", h_logout, SLATE_PERM_READ,
		       SLATE_BODY_ANY_JSON, "Revoke refresh tokens"),
	    AUTH_ROUTE("GET", "/api/v1/auth/me", h_me, SLATE_PERM_READ,
		       SLATE_BODY_NONE, "Who the token belongs to"),
	    AUTH_ROUTE("GET", "/api/v1/users", h_users, SLATE_PERM_ADMIN,
		       SLATE_BODY_NONE, "List the local accounts"),
	};
#undef AUTH_ROUTE
	return slate_router_add_all(core->router, routes,
				    sizeof(routes) / sizeof(routes[0]), err,
				    errlen);
}
