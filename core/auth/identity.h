/*
 * identity.h - who a verified token says the caller is. Its own header so
 * that the token cache, which only stores identities, does not depend on
 * the authentication that produces them.
 */
#ifndef SLATE_AUTH_IDENTITY_H
#define SLATE_AUTH_IDENTITY_H

#include <stdbool.h>

/* A verified caller. Strings point into `buf`-like storage of the caller's
 * choosing (see slate_auth_verify). */
typedef struct slate_identity {
	char user_id[37]; /* "" when the subject is not a UUID (external) */
	char email[256];
	char subject[256];
	unsigned groups; /* SLATE_GROUP_* (users.h) */
	bool external;	 /* from the OIDC issuer */
	long expires_at; /* the token's exp, epoch seconds */
} slate_identity;

#endif
