/* upload_policy.c - see upload_policy.h. */
#include "files/upload_policy.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "entity/file_target.h"

const char *slate_upload_policy_body_str(slate_req *r, const char *name)
{
	const json_t *v = json_object_get(r->body, name);
	if (!json_is_string(v) || !json_string_length(v)) {
		slate_res_error(r, 400, "VALIDATION_ERROR", name,
				"'%s' is required (a non-empty string)", name);
		return NULL;
	}
	return json_string_value(v);
}

static bool type_allowed(const slate_entity_file *t, const char *ct)
{
	for (size_t i = 0; t->content_types[i]; i++)
		if (!strcasecmp(t->content_types[i], ct))
			return true;
	return false;
}

const slate_entity_file *
slate_upload_policy_target(slate_req *r, const slate_entity *e,
			   const char *kind, const json_t *jsize,
			   const char *ctype, uint64_t *size_out)
{
	const slate_entity_file *t = slate_file_target_find(e, kind);
	if (!t) {
		slate_res_error(r, 400, "VALIDATION_ERROR", "kind",
				"A %s takes no file of kind '%s'", e->name,
				kind);
		return NULL;
	}
	if (!json_is_integer(jsize) || json_integer_value(jsize) < 1) {
		slate_res_error(r, 400, "VALIDATION_ERROR", "size",
				"'size' must be a positive integer (bytes)");
		return NULL;
	}
	uint64_t size = (uint64_t)json_integer_value(jsize);
	if (size > t->max_bytes) {
		slate_res_error(r, 413, "PAYLOAD_TOO_LARGE", "size",
				"%s files are limited to %s (%" PRIu64
				" bytes)",
				t->label, t->human, t->max_bytes);
		return NULL;
	}
	if (!type_allowed(t, ctype)) {
		char list[256] = "";
		for (size_t i = 0; t->content_types[i]; i++)
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", t->content_types[i]);
		slate_res_error(r, 415, "UNSUPPORTED_MEDIA_TYPE",
				"content_type", "A %s file must be one of: %s",
				kind, list);
		return NULL;
	}
	*size_out = size;
	return t;
}

bool slate_upload_policy_filename(const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200 || n >= len || name[0] == '.' ||
	    strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == ' ')
			c = '_';
		else if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return true;
}
