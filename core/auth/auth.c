/* auth.c - see auth.h. */
#include "auth/auth.h"
#include "auth/token_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/jwks.h"
#include "auth/users.h"
#include "base/core.h"
#include "base/log.h"
#include "base/util.h"
#include "db/secrets.h"
#include "http/request.h"

/* Clock skew tolerated on exp and nbf, seconds. */
#define LEEWAY_S 30
#define SECRET_NAME "access_token_hs256"

const char *slate_auth_perm_name(slate_perm perm)
{
	switch (perm) {
	case SLATE_PERM_PUBLIC:
		return "public";
	case SLATE_PERM_READ:
		return "read";
	case SLATE_PERM_WRITE:
		return "write";
	case SLATE_PERM_ADMIN:
		return "admin";
	}
	return "unknown";
}

bool slate_auth_allows(unsigned g, slate_perm perm)
{
	switch (perm) {
	case SLATE_PERM_PUBLIC:
		return true;
	case SLATE_PERM_READ:
		return (g & SLATE_GROUP_ALL) != 0;
	case SLATE_PERM_WRITE:
		return (g & (SLATE_GROUP_EDITOR | SLATE_GROUP_ADMIN)) != 0;
	case SLATE_PERM_ADMIN:
		return (g & SLATE_GROUP_ADMIN) != 0;
	}
	return false;
}

/* ---- keys ------------------------------------------------------------- */

static int load_oidc(slate_auth *a, char *err, size_t errlen)
{
	const slate_config *cfg = a->cfg;
	if (!cfg->oidc_issuer)
		return 0;
	if (slate_jwks_open(&a->oidc, cfg->oidc_jwks_file, cfg->oidc_jwks_url,
			    err, errlen))
		return -1;
	if (slate_jwks_ready(a->oidc))
		slate_log(SLATE_LOG_INFO, "core", NULL,
			  "OIDC issuer %s: %zu signing key(s)",
			  cfg->oidc_issuer, slate_jwks_count(a->oidc));
	return 0;
}

bool slate_auth_oidc_ready(const slate_auth *a)
{
	return !a || !a->oidc || slate_jwks_ready(a->oidc);
}

int slate_auth_init_keys(slate_auth **out, const slate_config *cfg,
			 const char *secret, char *err, size_t errlen)
{
	slate_auth *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->cfg = cfg;
	a->verified = slate_token_cache_new(); /* NULL only costs speed */
	if (slate_jwt_keyset_add_secret(&a->local, secret, strlen(secret))) {
		snprintf(err, errlen, "out of memory");
		slate_auth_free(a);
		return -1;
	}
	if (load_oidc(a, err, errlen)) {
		slate_auth_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int slate_auth_init(slate_auth **out, const slate_config *cfg, PGconn *pg,
		    char *err, size_t errlen)
{
	char secret[128];
	if (slate_secret_shared(pg, SECRET_NAME, secret, sizeof(secret), err,
				errlen) ||
	    slate_auth_init_keys(out, cfg, secret, err, errlen))
		return -1;
	char password[24];
	bool created = false;
	if (slate_users_bootstrap(pg, cfg->bootstrap_admin, password,
				  sizeof(password), &created, err, errlen)) {
		slate_auth_free(*out);
		*out = NULL;
		return -1;
	}
	if (created) {
		/* Standard output only, this once: never the log. */
		printf("First start: created the admin account %s with the "
		       "password\n\n    %s\n\nIt is shown only now. Change it "
		       "with: slatectl user passwd %s\n",
		       cfg->bootstrap_admin, password, cfg->bootstrap_admin);
		fflush(stdout);
		memset(password, 0, sizeof(password));
		slate_log(SLATE_LOG_INFO, "core", NULL,
			  "created the first admin account %s; its password "
			  "was printed once on standard output",
			  cfg->bootstrap_admin);
	}
	return 0;
}

void slate_auth_free(slate_auth *a)
{
	if (!a)
		return;
	slate_jwt_keyset_clear(&a->local);
	slate_jwks_close(a->oidc);
	slate_token_cache_free(a->verified);
	free(a);
}

/* ---- tokens ----------------------------------------------------------- */

char *slate_auth_issue_access(const slate_auth *a, const char *user_id,
			      const char *email, unsigned groups)
{
	char jti[37];
	long now = (long)time(NULL);
	if (!a->local.n || slate_uuid_v4(jti))
		return NULL;
	json_t *claims = json_pack(
	    "{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:s}", "iss",
	    a->cfg->auth_issuer, "sub", user_id, "email", email, "groups",
	    slate_users_groups_json(groups), "token_use", "access", "iat",
	    (json_int_t)now, "nbf", (json_int_t)now, "exp",
	    (json_int_t)(now + a->cfg->access_ttl_s), "jti", jti);
	if (!claims)
		return NULL;
	char *tok = slate_jwt_sign_hs256(claims, a->local.keys[0].key,
					 a->local.keys[0].key_len);
	json_decref(claims);
	return tok;
}

/* exp (required), nbf and iat (optional) against now. */
static int check_times(const json_t *c, long now, char *why, size_t n)
{
	json_t *exp = json_object_get(c, "exp");
	json_t *nbf = json_object_get(c, "nbf");
	json_t *iat = json_object_get(c, "iat");
	if (!json_is_integer(exp)) {
		snprintf(why, n, "no exp");
		return -1;
	}
	if (json_integer_value(exp) + LEEWAY_S <= now) {
		snprintf(why, n, "expired");
		return -1;
	}
	if (nbf && (!json_is_integer(nbf) ||
		    json_integer_value(nbf) - LEEWAY_S > now)) {
		snprintf(why, n, "not valid yet (nbf)");
		return -1;
	}
	if (iat && (!json_is_integer(iat) ||
		    json_integer_value(iat) - LEEWAY_S > now)) {
		snprintf(why, n, "issued in the future (iat)");
		return -1;
	}
	return 0;
}

static bool aud_matches(const json_t *c, const char *audience)
{
	const json_t *aud = json_object_get(c, "aud");
	const char *client = json_string_value(json_object_get(c, "client_id"));
	if (client && !strcmp(client, audience))
		return true;
	if (json_is_string(aud))
		return !strcmp(json_string_value(aud), audience);
	size_t i;
	const json_t *v;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) &&
		    !strcmp(json_string_value(v), audience))
			return true;
	}
	return false;
}

static int verify_local(const slate_auth *a, const char *token, long now,
			slate_identity *id, char *why, size_t n)
{
	json_t *c = NULL;
	slate_jwt_status st =
	    slate_jwt_verify(token, SLATE_JWT_HS256, &a->local, &c);
	if (st != SLATE_JWT_OK) {
		snprintf(why, n, "local token: %s", slate_jwt_status_str(st));
		return -1;
	}
	int rc = -1;
	const char *sub = json_string_value(json_object_get(c, "sub"));
	const char *email = json_string_value(json_object_get(c, "email"));
	const char *use = json_string_value(json_object_get(c, "token_use"));
	const char *iss = json_string_value(json_object_get(c, "iss"));
	if (check_times(c, now, why, n))
		goto out;
	if (!iss || strcmp(iss, a->cfg->auth_issuer) || !use ||
	    strcmp(use, "access") || !sub || !slate_uuid_valid(sub) || !email ||
	    strlen(email) >= sizeof(id->email)) {
		snprintf(why, n, "local token: wrong claims");
		goto out;
	}
	memset(id, 0, sizeof(*id));
	snprintf(id->user_id, sizeof(id->user_id), "%s", sub);
	snprintf(id->subject, sizeof(id->subject), "%s", sub);
	snprintf(id->email, sizeof(id->email), "%s", email);
	id->groups = slate_users_groups_from_json(json_object_get(c, "groups"));
	id->expires_at = (long)json_integer_value(json_object_get(c, "exp"));
	rc = 0;
out:
	json_decref(c);
	return rc;
}

static int verify_oidc(const slate_auth *a, const char *token, long now,
		       slate_identity *id, char *why, size_t n)
{
	const slate_config *cfg = a->cfg;
	json_t *c = NULL;
	slate_jwt_status st = slate_jwks_verify(a->oidc, token, &c);
	if (st == SLATE_JWT_NO_KEYS) {
		snprintf(why, n,
			 "OIDC token: the issuer's JWKS is not loaded yet "
			 "(unreachable at start; retrying)");
		return -1;
	}
	if (st != SLATE_JWT_OK) {
		snprintf(why, n, "OIDC token: %s", slate_jwt_status_str(st));
		return -1;
	}
	int rc = -1;
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *use = json_string_value(json_object_get(c, "token_use"));
	const char *sub = json_string_value(json_object_get(c, "sub"));
	const char *email = json_string_value(json_object_get(c, "email"));
	if (!email)
		email = json_string_value(json_object_get(c, "username"));
	if (!email)
		email =
		    json_string_value(json_object_get(c, "cognito:username"));
	if (check_times(c, now, why, n))
		goto out;
	if (!iss || strcmp(iss, cfg->oidc_issuer)) {
		snprintf(why, n, "OIDC token: wrong iss");
		goto out;
	}
	if (!aud_matches(c, cfg->oidc_audience)) {
		snprintf(why, n, "OIDC token: wrong aud/client_id");
		goto out;
	}
	/* token_use is Cognito's own claim: checked when the token has it
	 * (Cognito marks every token), so ID tokens are kept out without
	 * refusing the standard providers' tokens, which never carry it. */
	if (strcmp(cfg->oidc_token_use, "any") && use &&
	    strcmp(use, cfg->oidc_token_use)) {
		snprintf(why, n, "OIDC token: token_use is not %s",
			 cfg->oidc_token_use);
		goto out;
	}
	if (!sub || strlen(sub) >= sizeof(id->subject) ||
	    (email && strlen(email) >= sizeof(id->email))) {
		snprintf(why, n, "OIDC token: bad sub");
		goto out;
	}
	memset(id, 0, sizeof(*id));
	id->external = true;
	snprintf(id->subject, sizeof(id->subject), "%s", sub);
	if (slate_uuid_valid(sub)) /* Cognito's subs are UUIDs */
		snprintf(id->user_id, sizeof(id->user_id), "%s", sub);
	snprintf(id->email, sizeof(id->email), "%s", email ? email : sub);
	id->groups = slate_users_groups_from_json(
	    json_object_get(c, cfg->oidc_groups_claim));
	id->expires_at = (long)json_integer_value(json_object_get(c, "exp"));
	rc = 0;
out:
	json_decref(c);
	return rc;
}

int slate_auth_verify(const slate_auth *a, const char *token, long now,
		      slate_identity *id, char *why, size_t whylen)
{
	if (slate_token_cache_get(a->verified, token, now, id))
		return 0;
	char *iss = NULL;
	slate_jwt_status st = slate_jwt_peek_issuer(token, &iss);
	int rc = -1;
	if (st != SLATE_JWT_OK) {
		snprintf(why, whylen, "%s", slate_jwt_status_str(st));
	} else if (!iss) {
		snprintf(why, whylen, "no iss claim");
	} else if (a->oidc && !strcmp(iss, a->cfg->oidc_issuer)) {
		rc = verify_oidc(a, token, now, id, why, whylen);
	} else {
		rc = verify_local(a, token, now, id, why, whylen);
	}
	free(iss);
	/* valid until exp, with the same leeway check_times gives */
	if (rc == 0)
		slate_token_cache_put(a->verified, token,
				      id->expires_at + LEEWAY_S, id);
	return rc;
}

/* ---- per request ------------------------------------------------------ */

static int unauthorized(slate_req *r, const char *msg)
{
	slate_res_header(r, "WWW-Authenticate",
			 "Bearer realm=\"slate\", error=\"invalid_token\"");
	return slate_res_error(r, 401, "UNAUTHORIZED", NULL, "%s", msg);
}

int slate_auth_request(slate_req *r, slate_perm perm)
{
	const slate_auth *a = r->core->auth;
	const char *h = slate_req_header(r, "Authorization");
	if (!h || !*h) {
		if (perm == SLATE_PERM_PUBLIC)
			return 0;
		slate_res_header(r, "WWW-Authenticate",
				 "Bearer realm=\"slate\"");
		return slate_res_error(r, 401, "UNAUTHORIZED", NULL,
				       "Authentication required: send "
				       "Authorization: Bearer <token>");
	}
	if (perm == SLATE_PERM_PUBLIC)
		return 0; /* a token on a public route is not looked at */
	if (strncasecmp(h, "Bearer ", 7) || !a)
		return unauthorized(r,
				    "Expected Authorization: Bearer <token>");
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	slate_identity id;
	char why[128];
	if (slate_auth_verify(a, tok, (long)time(NULL), &id, why,
			      sizeof(why))) {
		slate_log(SLATE_LOG_INFO, "auth", r->request_id,
			  "token refused: %s", why);
		return unauthorized(r, "The token is invalid or expired");
	}
	r->user_id =
	    id.user_id[0] ? slate_arena_strdup(&r->arena, id.user_id) : NULL;
	r->user_email = slate_arena_strdup(&r->arena, id.email);
	r->user_subject = slate_arena_strdup(&r->arena, id.subject);
	r->groups = id.groups;
	r->auth_external = id.external;
	if (!slate_auth_allows(id.groups, perm))
		return slate_res_error(r, 403, "FORBIDDEN", NULL,
				       "This needs the %s permission, which "
				       "your groups do not give",
				       slate_auth_perm_name(perm));
	return 0;
}
