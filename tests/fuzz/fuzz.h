/*
 * fuzz.h - what the libFuzzer targets share: each target defines
 * LLVMFuzzerTestOneInput and may use these to cut its input into pieces.
 */
#ifndef SLATE_FUZZ_H
#define SLATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; NULL when out of
 * memory). Embedded NULs end it early, as they would in C strings. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* Split `s` in place on '\n' into at most `max` fields; missing fields
 * are "". Returns how many were present. */
static inline int fuzz_fields(char *s, const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < max; i++)
		out[i] = "";
	while (s && n < max) {
		out[n++] = s;
		s = strchr(s, '\n');
		if (s)
			*s++ = '\0';
	}
	return n;
}

#endif
