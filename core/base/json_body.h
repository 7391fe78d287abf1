/*
 * json_body.h - turning a request body into JSON, with the limits a public
 * server needs: size (checked while reading), nesting depth (checked on the
 * bytes before the parser runs, so a hostile document costs no allocation),
 * duplicate keys, invalid UTF-8 and NUL characters (refused by jansson).
 */
#ifndef SLATE_JSON_BODY_H
#define SLATE_JSON_BODY_H

#include <jansson.h>
#include <stddef.h>

/* Deepest nesting of arrays/objects in `buf`, ignoring brackets inside
 * strings. Stops counting once past `limit` (returns limit + 1). */
int slate_json_depth(const char *buf, size_t len, int limit);

/* Parse `buf` as one JSON value. NULL on failure with a message naming the
 * line and column (or the depth) in err. New reference. */
json_t *slate_json_parse(const char *buf, size_t len, int max_depth, char *err,
			 size_t errlen);

#endif
