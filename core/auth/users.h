/*
 * users.h - local accounts: the password policy, argon2id hashes (libargon2),
 * the three groups, random secrets, and the account changes slatectl and
 * start-up make on a plain libpq connection.
 *
 * Accounts are rows of `users` (migrations/0002_auth.up.sql); the email is
 * the user name, compared case-insensitively. Every change made here writes
 * its audit_log rows in the same transaction; a password never reaches a
 * log, an audit value or an error message.
 */
#ifndef SLATE_USERS_H
#define SLATE_USERS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Group bits. admin implies editor implies viewer for permissions; the
 * stored groups are exactly those given. */
#define SLATE_GROUP_VIEWER 1u
#define SLATE_GROUP_EDITOR 2u
#define SLATE_GROUP_ADMIN 4u
#define SLATE_GROUP_ALL 7u

/* Longest password accepted (bytes). */
#define SLATE_PASSWORD_MAX 256
/* Size of a buffer for an encoded argon2id hash. */
#define SLATE_PASSWORD_HASH_LEN 160

/* The seed's policy: 12 characters or more, with an upper-case letter, a
 * lower-case letter, a digit and a special character (ASCII punctuation
 * or space). 0, or -1 with the first rule broken in msg. */
int slate_users_password_check(const char *pw, char *msg, size_t msglen);

/* argon2id with a random salt, encoded ("$argon2id$v=19$m=..."). 0 or -1. */
int slate_users_password_hash(const char *pw,
			      char out[SLATE_PASSWORD_HASH_LEN]);

/* Whether `pw` matches `encoded`. A NULL `encoded` still spends the time a
 * real check takes (unknown accounts answer no faster) and returns false. */
bool slate_users_password_verify(const char *encoded, const char *pw);

/* A random password that meets the policy: `len` - 1 characters (len >= 17,
 * so 16 or more). 0 or -1. */
int slate_users_password_random(char *out, size_t len);

/* `n` random bytes as base64url without padding into out (>= 4n/3 + 2).
 * 0 or -1. */
int slate_users_random_b64(char *out, size_t outlen, size_t n);

/* Lower-case hex SHA-256 of `s`. */
void slate_users_sha256_hex(const char *s, char out[65]);

/* "admin,editor" -> bits. 0, or -1 naming the unknown group in err. An empty
 * list is allowed (an account with no group can log in and do nothing). */
int slate_users_groups_parse(const char *csv, unsigned *mask, char *err,
			     size_t errlen);
/* A PostgreSQL text[] literal "{admin,editor}" (both directions). */
const char *slate_users_groups_pg(unsigned mask, char *buf, size_t len);
unsigned slate_users_groups_from_pg(const char *array);
/* ["admin", "editor"]: new reference. */
json_t *slate_users_groups_json(unsigned mask);
/* Bits of a JSON array of group names; unknown names are ignored. */
unsigned slate_users_groups_from_json(const json_t *arr);

/* ---- account changes on a plain connection (slatectl, start-up) ------ */

/* Each runs in its own transaction with its audit rows (user_agent
 * `actor`, no user). 0, or -1 with a reason in err. */
int slate_users_add(PGconn *pg, const char *email, const char *password,
		    unsigned groups, const char *actor, char *err,
		    size_t errlen);
int slate_users_set_password(PGconn *pg, const char *email,
			     const char *password, const char *actor, char *err,
			     size_t errlen);
/* Disabling also revokes every refresh token of the account. */
int slate_users_set_disabled(PGconn *pg, const char *email, bool disabled,
			     const char *actor, char *err, size_t errlen);
int slate_users_set_groups(PGconn *pg, const char *email, unsigned groups,
			   const char *actor, char *err, size_t errlen);

/* On a database with no account at all, create `email` in group admin with
 * a random password, written to `password` (len >= 21); *created says
 * whether it happened. Safe when several processes start at once. */
int slate_users_bootstrap(PGconn *pg, const char *email, char *password,
			  size_t len, bool *created, char *err, size_t errlen);

#endif
