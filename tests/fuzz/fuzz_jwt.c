/*
 * fuzz_jwt.c - bearer tokens and key sets from outside: the first byte
 * picks what the rest is. Even: a token, verified against a fixed HMAC key
 * and peeked for its issuer. Odd: a JWKS document (RSA keys become PEM).
 */
#include "auth/jwt_token.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *in = fuzz_strdup(data + 1, size - 1);
	if (!in)
		return 0;
	if (data[0] % 2 == 0) {
		slate_jwt_keyset ks = {0};
		if (slate_jwt_keyset_add_secret(&ks, "fuzz-secret", 11) == 0) {
			json_t *claims = NULL;
			if (slate_jwt_verify(in, SLATE_JWT_HS256, &ks,
					     &claims) == SLATE_JWT_OK)
				json_decref(claims);
			if (slate_jwt_verify(in, SLATE_JWT_RS256, &ks,
					     &claims) == SLATE_JWT_OK)
				json_decref(claims);
		}
		slate_jwt_keyset_clear(&ks);
		char *iss = NULL;
		if (slate_jwt_peek_issuer(in, &iss) != SLATE_JWT_OK && iss)
			abort(); /* no issuer handed out on failure */
		free(iss);
	} else {
		json_t *jwks = json_loadb(in, strlen(in), 0, NULL);
		if (jwks) {
			slate_jwt_keyset ks = {0};
			char err[256];
			(void)slate_jwt_keyset_from_jwks(&ks, jwks, err,
							 sizeof(err));
			slate_jwt_keyset_clear(&ks);
			json_decref(jwks);
		}
	}
	free(in);
	return 0;
}
