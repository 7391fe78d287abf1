/* secrets.c - see secrets.h. */
#include "db/secrets.h"

#include <openssl/rand.h>
#include <stdio.h>

#include "base/util.h"

int slate_secret_shared(PGconn *pg, const char *name, char *out, size_t len,
			char *err, size_t errlen)
{
	unsigned char rnd[48];
	char fresh[2 * sizeof(rnd) + 1];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return slate_errf(err, errlen, "cannot make a random secret");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(fresh + 2 * i, 3, "%02x", rnd[i]);
	/* Insert ours unless one exists, and read whichever won: concurrent
	 * first starts agree without a lock. */
	const char *p[2] = {name, fresh};
	PGresult *r = PQexecParams(
	    pg,
	    "WITH ins AS (INSERT INTO auth_secrets (name, secret) VALUES "
	    "($1, $2) ON CONFLICT (name) DO NOTHING RETURNING secret) "
	    "SELECT secret FROM ins UNION ALL SELECT secret FROM "
	    "auth_secrets WHERE name = $1",
	    2, NULL, p, NULL, NULL, 0);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1) {
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	} else {
		slate_errf(err, errlen, "secret %s: %s", name,
			   PQerrorMessage(pg));
	}
	PQclear(r);
	return rc;
}
