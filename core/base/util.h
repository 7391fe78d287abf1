/* util.h - small helpers with no better home: time, UUIDs, UTF-8. */
#ifndef SLATE_UTIL_H
#define SLATE_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Current UTC time as "2025-12-31T12:00:00.123Z" into buf (>= 25 bytes). */
void slate_time_iso8601(char *buf, size_t n);

/* Monotonic clock in milliseconds. */
double slate_now_ms(void);

/* A random (version 4) UUID, lower case, into out[37]. 0 or -1. */
int slate_uuid_v4(char out[37]);

/* Canonical 8-4-4-4-12 hex UUID (either case). */
bool slate_uuid_valid(const char *s);

/* Whether the n bytes at s are valid UTF-8 (shortest forms, no surrogates)
 * and hold no NUL: text that may reach SQL, JSON or a log as it is. */
bool slate_utf8_valid(const char *s, size_t n);

/* Number of code points in a valid UTF-8 string. */
size_t slate_utf8_len(const char *s);

/* A JSON string for `s` even when it is not valid UTF-8: invalid bytes are
 * replaced with U+FFFD. New reference. */
json_t *slate_json_string_lossy(const char *s);

/* Format a one-line reason into err[0..errlen) (trailing newlines and
 * spaces, as libpq's messages have, removed) and return -1, so that a
 * failing function can `return slate_errf(err, errlen, "...", ...)`. */
int slate_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether s is a plain identifier [a-z_][a-z0-9_]* (SQL names we build). */
bool slate_ident_valid(const char *s);

#endif
