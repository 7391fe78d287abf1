/* users.c - see users.h. */
#include "auth/users.h"

#include <argon2.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* OWASP's argon2id floor: 19 MiB, 2 passes, 1 lane. */
#define ARGON_T 2
#define ARGON_M 19456
#define ARGON_P 1
#define ARGON_SALT 16
#define ARGON_HASH 32

int slate_users_password_check(const char *pw, char *msg, size_t msglen)
{
	bool up = false, low = false, digit = false, special = false;
	if (!pw || strlen(pw) > SLATE_PASSWORD_MAX) {
		snprintf(msg, msglen, "The password must be at most %d bytes",
			 SLATE_PASSWORD_MAX);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(msg, msglen,
				 "The password must not contain "
				 "control characters");
			return -1;
		}
		up |= isupper(*p) != 0;
		low |= islower(*p) != 0;
		digit |= isdigit(*p) != 0;
		special |= *p < 0x80 && (ispunct(*p) || *p == ' ');
	}
	if (slate_utf8_len(pw) < 12)
		snprintf(msg, msglen,
			 "The password must be 12 characters or more");
	else if (!up)
		snprintf(msg, msglen,
			 "The password needs an upper-case letter");
	else if (!low)
		snprintf(msg, msglen, "The password needs a lower-case letter");
	else if (!digit)
		snprintf(msg, msglen, "The password needs a digit");
	else if (!special)
		snprintf(msg, msglen, "The password needs a special character");
	else
		return 0;
	return -1;
}

int slate_users_password_hash(const char *pw, char out[SLATE_PASSWORD_HASH_LEN])
{
	unsigned char salt[ARGON_SALT];
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    argon2_encodedlen(ARGON_T, ARGON_M, ARGON_P, ARGON_SALT, ARGON_HASH,
			      Argon2_id) > SLATE_PASSWORD_HASH_LEN)
		return -1;
	int rc = argon2id_hash_encoded(
	    ARGON_T, ARGON_M, ARGON_P, pw, strlen(pw), salt, sizeof(salt),
	    ARGON_HASH, out, SLATE_PASSWORD_HASH_LEN);
	return rc == ARGON2_OK ? 0 : -1;
}

static char dummy_hash[SLATE_PASSWORD_HASH_LEN];

static void dummy_init(void)
{
	char pw[32];
	if (slate_users_password_random(pw, sizeof(pw)) == 0)
		slate_users_password_hash(pw, dummy_hash);
	OPENSSL_cleanse(pw, sizeof(pw));
}

bool slate_users_password_verify(const char *encoded, const char *pw)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (!pw || strlen(pw) > SLATE_PASSWORD_MAX)
		return false;
	if (!encoded) {
		/* A hash of a password nobody has, so an unknown account
		 * costs the same argon2id run as a known one. */
		pthread_once(&once, dummy_init);
		if (dummy_hash[0])
			argon2id_verify(dummy_hash, pw, strlen(pw));
		return false;
	}
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

/* A uniformly random index below n (n <= 256). */
static int rand_below(unsigned n, unsigned *out)
{
	unsigned char b;
	unsigned limit = 256 - 256 % n;
	do {
		if (RAND_bytes(&b, 1) != 1)
			return -1;
	} while (b >= limit);
	*out = b % n;
	return 0;
}

int slate_users_password_random(char *out, size_t len)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
				       "abcdefghijkmnopqrstuvwxyz"
				       "23456789"
				       "-_.!@#%+=";
	char msg[128];
	if (len < 17)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		for (size_t i = 0; i + 1 < len; i++) {
			unsigned k;
			if (rand_below(sizeof(alphabet) - 1, &k))
				return -1;
			out[i] = alphabet[k];
		}
		out[len - 1] = '\0';
		if (slate_users_password_check(out, msg, sizeof(msg)) == 0)
			return 0;
	}
	return -1;
}

int slate_users_random_b64(char *out, size_t outlen, size_t n)
{
	unsigned char raw[64];
	unsigned char b64[96];
	if (n > sizeof(raw) || outlen < n * 4 / 3 + 2 ||
	    RAND_bytes(raw, (int)n) != 1)
		return -1;
	int k = EVP_EncodeBlock(b64, raw, (int)n);
	OPENSSL_cleanse(raw, sizeof(raw));
	size_t j = 0;
	for (int i = 0; i < k && b64[i] != '='; i++)
		out[j++] = b64[i] == '+'   ? '-'
			   : b64[i] == '/' ? '_'
					   : (char)b64[i];
	out[j] = '\0';
	OPENSSL_cleanse(b64, sizeof(b64));
	return 0;
}

void slate_users_sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static const struct {
	const char *name;
	unsigned bit;
} group_names[] = {
    {"admin", SLATE_GROUP_ADMIN},
    {"editor", SLATE_GROUP_EDITOR},
    {"viewer", SLATE_GROUP_VIEWER},
};

static unsigned group_bit(const char *name, size_t n)
{
	for (size_t i = 0; i < 3; i++)
		if (strlen(group_names[i].name) == n &&
		    !strncmp(group_names[i].name, name, n))
			return group_names[i].bit;
	return 0;
}

int slate_users_groups_parse(const char *csv, unsigned *mask, char *err,
			     size_t errlen)
{
	*mask = 0;
	const char *p = csv ? csv : "";
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned bit = group_bit(p, n);
		if (!bit && n) {
			snprintf(err, errlen,
				 "unknown group '%.*s' (admin, editor, viewer)",
				 (int)(n > 64 ? 64 : n), p);
			return -1;
		}
		*mask |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *slate_users_groups_pg(unsigned mask, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "{");
	for (size_t i = 0; i < 3; i++) {
		if (!(mask & group_names[i].bit))
			continue;
		used += (size_t)snprintf(
		    buf + used, used < len ? len - used : 0, "%s%s",
		    used > 1 ? "," : "", group_names[i].name);
	}
	snprintf(buf + used, used < len ? len - used : 0, "}");
	return buf;
}

unsigned slate_users_groups_from_pg(const char *array)
{
	unsigned mask = 0;
	const char *p = array ? array : "";
	if (*p == '{')
		p++;
	while (*p && *p != '}') {
		size_t n = strcspn(p, ",}");
		mask |= group_bit(p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	return mask;
}

json_t *slate_users_groups_json(unsigned mask)
{
	json_t *a = json_array();
	for (size_t i = 0; i < 3; i++)
		if (mask & group_names[i].bit)
			json_array_append_new(a,
					      json_string(group_names[i].name));
	return a;
}

unsigned slate_users_groups_from_json(const json_t *arr)
{
	unsigned mask = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		if (s)
			mask |= group_bit(s, strlen(s));
	}
	return mask;
}

/* ---- account changes ------------------------------------------------- */

/* A user name: local@domain, printable ASCII, no spaces. Looser than the
 * entity fields' email check, so that admin@localhost is one. */
static bool email_ok(const char *e)
{
	const char *at = e ? strchr(e, '@') : NULL;
	if (!at || at == e || !at[1] || strchr(at + 1, '@') || strlen(e) > 255)
		return false;
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static int exec_ok(PGconn *pg, const char *sql, int n, const char *const *p,
		   PGresult **out, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state && !strcmp(state, "23505"))
			snprintf(err, errlen, "that account already exists");
		else
			snprintf(err, errlen, "database: %s",
				 PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static int audit(PGconn *pg, const char *user_id, const char *action,
		 const char *field, const char *old_v, const char *new_v,
		 const char *actor, char *err, size_t errlen)
{
	const char *p[6] = {user_id, action, field, old_v, new_v, actor};
	return exec_ok(pg,
		       "INSERT INTO audit_log (entity_type, entity_id, action, "
		       "field_name, old_value, new_value, user_agent) VALUES "
		       "('user', $1::uuid, $2, $3, $4, $5, $6)",
		       6, p, NULL, err, errlen);
}

static void rollback(PGconn *pg)
{
	PQclear(PQexec(pg, "ROLLBACK"));
}

static int begin(PGconn *pg, char *err, size_t errlen)
{
	return exec_ok(pg, "BEGIN", 0, NULL, NULL, err, errlen);
}

static int commit(PGconn *pg, char *err, size_t errlen)
{
	return exec_ok(pg, "COMMIT", 0, NULL, NULL, err, errlen);
}

int slate_users_add(PGconn *pg, const char *email, const char *password,
		    unsigned groups, const char *actor, char *err,
		    size_t errlen)
{
	char hash[SLATE_PASSWORD_HASH_LEN], gbuf[64];
	PGresult *r = NULL;
	if (!email_ok(email)) {
		snprintf(err, errlen, "'%s' is not an email address",
			 email ? email : "");
		return -1;
	}
	if (slate_users_password_check(password, err, errlen))
		return -1;
	if (slate_users_password_hash(password, hash)) {
		snprintf(err, errlen, "cannot hash the password");
		return -1;
	}
	const char *p[3] = {email, hash,
			    slate_users_groups_pg(groups, gbuf, sizeof(gbuf))};
	if (begin(pg, err, errlen))
		return -1;
	if (exec_ok(pg,
		    "INSERT INTO users (email, password_hash, groups) VALUES "
		    "($1, $2, $3::text[]) RETURNING user_id",
		    3, p, &r, err, errlen))
		goto fail;
	char id[37];
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	char summary[400];
	snprintf(summary, sizeof(summary),
		 "{\"email\":\"%s\",\"groups\":\"%s\"}", email, gbuf);
	json_t *s = json_pack("{s:s, s:o}", "email", email, "groups",
			      slate_users_groups_json(groups));
	char *sj = s ? json_dumps(s, JSON_COMPACT) : NULL;
	json_decref(s);
	int rc = audit(pg, id, "create", NULL, NULL, sj ? sj : summary, actor,
		       err, errlen);
	free(sj);
	if (rc || commit(pg, err, errlen))
		goto fail;
	return 0;
fail:
	rollback(pg);
	return -1;
}

/* Lock the account row and read its id and a column; -1 when missing. */
static int lock_user(PGconn *pg, const char *email, const char *column,
		     char id[37], char *old, size_t oldlen, bool *old_null,
		     char *err, size_t errlen)
{
	char sql[200];
	PGresult *r = NULL;
	const char *p[1] = {email};
	snprintf(sql, sizeof(sql),
		 "SELECT user_id, %s FROM users WHERE lower(email) = "
		 "lower($1) FOR UPDATE",
		 column);
	if (exec_ok(pg, sql, 1, p, &r, err, errlen))
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "no account %s", email);
		return -1;
	}
	snprintf(id, 37, "%s", PQgetvalue(r, 0, 0));
	if (old)
		snprintf(old, oldlen, "%s", PQgetvalue(r, 0, 1));
	if (old_null)
		*old_null = PQgetisnull(r, 0, 1);
	PQclear(r);
	return 0;
}

int slate_users_set_password(PGconn *pg, const char *email,
			     const char *password, const char *actor, char *err,
			     size_t errlen)
{
	char hash[SLATE_PASSWORD_HASH_LEN], id[37];
	if (slate_users_password_check(password, err, errlen))
		return -1;
	if (slate_users_password_hash(password, hash)) {
		snprintf(err, errlen, "cannot hash the password");
		return -1;
	}
	if (begin(pg, err, errlen))
		return -1;
	if (lock_user(pg, email, "email", id, NULL, 0, NULL, err, errlen))
		goto fail;
	const char *p[2] = {id, hash};
	/* A new password ends every session made with the old one. */
	if (exec_ok(pg,
		    "UPDATE users SET password_hash = $2 WHERE user_id = $1", 2,
		    p, NULL, err, errlen) ||
	    exec_ok(pg,
		    "UPDATE refresh_tokens SET revoked_at = now() WHERE "
		    "user_id = $1 AND revoked_at IS NULL",
		    1, p, NULL, err, errlen) ||
	    audit(pg, id, "update", "password", "[redacted]", "[redacted]",
		  actor, err, errlen) ||
	    commit(pg, err, errlen))
		goto fail;
	return 0;
fail:
	rollback(pg);
	return -1;
}

int slate_users_set_disabled(PGconn *pg, const char *email, bool disabled,
			     const char *actor, char *err, size_t errlen)
{
	char id[37], old[64];
	bool was_null = true;
	PGresult *r = NULL;
	if (begin(pg, err, errlen))
		return -1;
	if (lock_user(pg, email, "disabled_at", id, old, sizeof(old), &was_null,
		      err, errlen))
		goto fail;
	if (was_null != disabled) { /* already as asked */
		rollback(pg);
		return 0;
	}
	const char *p[1] = {id};
	if (exec_ok(pg,
		    disabled ? "UPDATE users SET disabled_at = now() WHERE "
			       "user_id = $1 RETURNING disabled_at::text"
			     : "UPDATE users SET disabled_at = NULL WHERE "
			       "user_id = $1 RETURNING NULL::text",
		    1, p, &r, err, errlen))
		goto fail;
	char nv[64];
	bool nv_null = PQgetisnull(r, 0, 0);
	snprintf(nv, sizeof(nv), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if ((disabled && exec_ok(pg,
				 "UPDATE refresh_tokens SET revoked_at = now() "
				 "WHERE user_id = $1 AND revoked_at IS NULL",
				 1, p, NULL, err, errlen)) ||
	    audit(pg, id, "update", "disabled_at", was_null ? NULL : old,
		  nv_null ? NULL : nv, actor, err, errlen) ||
	    commit(pg, err, errlen))
		goto fail;
	return 0;
fail:
	rollback(pg);
	return -1;
}

int slate_users_set_groups(PGconn *pg, const char *email, unsigned groups,
			   const char *actor, char *err, size_t errlen)
{
	char id[37], old[128], nb[64];
	if (begin(pg, err, errlen))
		return -1;
	if (lock_user(pg, email, "groups", id, old, sizeof(old), NULL, err,
		      errlen))
		goto fail;
	unsigned before = slate_users_groups_from_pg(old);
	if (before == groups) {
		rollback(pg);
		return 0;
	}
	char ob[64];
	const char *p[2] = {id, slate_users_groups_pg(groups, nb, sizeof(nb))};
	/* Groups travel in tokens: make the account log in again. */
	if (exec_ok(pg,
		    "UPDATE users SET groups = $2::text[] WHERE user_id = $1",
		    2, p, NULL, err, errlen) ||
	    exec_ok(pg,
		    "UPDATE refresh_tokens SET revoked_at = now() WHERE "
		    "user_id = $1 AND revoked_at IS NULL",
		    1, p, NULL, err, errlen) ||
	    audit(pg, id, "update", "groups",
		  slate_users_groups_pg(before, ob, sizeof(ob)), nb, actor, err,
		  errlen) ||
	    commit(pg, err, errlen))
		goto fail;
	return 0;
fail:
	rollback(pg);
	return -1;
}

int slate_users_bootstrap(PGconn *pg, const char *email, char *password,
			  size_t len, bool *created, char *err, size_t errlen)
{
	PGresult *r = NULL;
	*created = false;
	/* Cheap check first: almost every start finds accounts. */
	if (exec_ok(pg, "SELECT EXISTS (SELECT 1 FROM users)", 0, NULL, &r, err,
		    errlen))
		return -1;
	bool any = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (any)
		return 0;
	if (slate_users_password_random(password, len)) {
		snprintf(err, errlen, "cannot make a random password");
		return -1;
	}
	/* Session advisory lock: two processes starting together create one
	 * admin, and the second sees it. */
	if (exec_ok(pg, "SELECT pg_advisory_lock(hashtext('slate_bootstrap'))",
		    0, NULL, NULL, err, errlen))
		return -1;
	int rc = exec_ok(pg, "SELECT EXISTS (SELECT 1 FROM users)", 0, NULL, &r,
			 err, errlen);
	if (rc == 0) {
		any = !strcmp(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
		if (!any) {
			rc = slate_users_add(pg, email, password,
					     SLATE_GROUP_ADMIN, "slated", err,
					     errlen);
			*created = rc == 0;
		}
	}
	PQclear(PQexec(
	    pg, "SELECT pg_advisory_unlock(hashtext('slate_bootstrap'))"));
	if (!*created)
		OPENSSL_cleanse(password, len);
	return rc;
}
