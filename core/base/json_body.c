/* json_body.c - see json_body.h. */
#include "base/json_body.h"

#include <stdio.h>

int slate_json_depth(const char *buf, size_t len, int limit)
{
	int depth = 0, max = 0;
	int in_str = 0, esc = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max) {
				max = depth;
				if (max > limit)
					return limit + 1;
			}
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

json_t *slate_json_parse(const char *buf, size_t len, int max_depth, char *err,
			 size_t errlen)
{
	if (slate_json_depth(buf, len, max_depth) > max_depth) {
		snprintf(err, errlen, "JSON nesting deeper than %d levels",
			 max_depth);
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(buf, len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v)
		snprintf(err, errlen, "Malformed JSON at line %d column %d: %s",
			 jerr.line, jerr.column, jerr.text);
	return v;
}
