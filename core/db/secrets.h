/* secrets.h - secrets every slated process on one database must share. */
#ifndef SLATE_SECRETS_H
#define SLATE_SECRETS_H

#include <libpq-fe.h>
#include <stddef.h>

/* The secret called `name` in auth_secrets (48 random bytes as hex). The
 * first process to ask creates it; every later one, on any machine, reads
 * the same value, so tokens and URLs one signs another accepts. `out` needs
 * 97 bytes. 0, or -1 with a reason in err. */
int slate_secret_shared(PGconn *pg, const char *name, char *out, size_t len,
			char *err, size_t errlen);

#endif
