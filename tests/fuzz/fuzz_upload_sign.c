/*
 * fuzz_upload_sign.c - the local store's signed upload URLs. The client
 * chooses the file name (so the key) and the content type; slated makes
 * the rest (upload id, store, a declared kind [a-z_], size and expiry in
 * digits), so those are drawn from their alphabets here. The URL slated
 * signs must verify; anything else a client sends as the signature must
 * not, and must never crash the check.
 *
 * Input, one per line: key, content type, kind, size, expiry, signature.
 */
#include <stdio.h>

#include "files/upload_sign.h"
#include "fuzz.h"

/* `s` with every byte outside `alphabet` dropped; at least one byte. */
static void keep_only(char *s, const char *alphabet, const char *fallback)
{
	char *w = s;
	for (const char *p = s; *p; p++)
		if (strchr(alphabet, *p))
			*w++ = *p;
	*w = '\0';
	if (!*s)
		strcpy(s, fallback); /* fallback is shorter than any field */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	slate_upload_signer s;
	memset(&s, 0, sizeof(s));
	snprintf(s.secret, sizeof(s.secret), "%s", "fuzzing-secret");
	char *in = fuzz_strdup(data, size);
	if (!in)
		return 0;
	const char *f[6];
	fuzz_fields(in, f, 6);
	char kind[64], sz[24], exp[24];
	snprintf(kind, sizeof(kind), "%s", f[2]);
	snprintf(sz, sizeof(sz), "%s", f[3]);
	snprintf(exp, sizeof(exp), "%s", f[4]);
	keep_only(kind, "abcdefghijklmnopqrstuvwxyz_", "k");
	keep_only(sz, "0123456789", "0");
	keep_only(exp, "0123456789", "0");
	const char *id = "3f1c1f7e-0d8b-4c45-9a55-1d7e1f0c2b3a";
	char *url = slate_upload_sign_url(&s, "http://localhost", id, "primary",
					  f[0], kind, sz, f[1], exp);
	const char *sig = url ? strstr(url, "&signature=") : NULL;
	if (url && (!sig || !slate_upload_sign_check(
				&s, id, "primary", f[0], kind, sz, f[1], exp,
				sig + strlen("&signature="))))
		abort(); /* slated's own URL must verify */
	if (slate_upload_sign_check(&s, id, "primary", f[0], kind, sz, f[1],
				    exp, f[5]) &&
	    (!sig || strcmp(f[5], sig + strlen("&signature="))))
		abort(); /* a forged signature verified */
	free(url);
	free(in);
	return 0;
}
