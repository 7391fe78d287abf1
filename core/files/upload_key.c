/* upload_key.c - see upload_key.h. */
#include "files/upload_key.h"

#include <stdio.h>
#include <string.h>

#include "files/storage.h"
#include "http/request.h"

int slate_upload_key_expand(slate_req *r, const char *tmpl, const json_t *row,
			    const char *id, const char *upload_id,
			    const char *filename, long n, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = tmpl; *p;) {
		char val[300] = "";
		if (*p != '{') {
			if (o + 1 >= len)
				return -1;
			out[o++] = *p++;
			continue;
		}
		const char *end = strchr(p, '}');
		if (!end)
			return -1;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		p = end + 1;
		if (!strcmp(name, "id"))
			snprintf(val, sizeof(val), "%s", id);
		else if (!strcmp(name, "upload"))
			snprintf(val, sizeof(val), "%s", upload_id);
		else if (!strcmp(name, "filename"))
			snprintf(val, sizeof(val), "%s", filename);
		else if (!strcmp(name, "n"))
			snprintf(val, sizeof(val), "%ld", n);
		else {
			const json_t *v = json_object_get(row, name);
			snprintf(val, sizeof(val), "%s",
				 json_is_string(v) ? json_string_value(v)
						   : "standalone");
		}
		size_t vl = strlen(val);
		if (o + vl + 1 >= len)
			return -1;
		memcpy(out + o, val, vl);
		o += vl;
	}
	out[o] = '\0';
	if (!slate_store_key_valid(out))
		return slate_res_error(r, 400, "VALIDATION_ERROR", NULL,
				       "The entity's values do not make a "
				       "valid storage key (%s)",
				       out);
	return 0;
}
