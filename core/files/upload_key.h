/*
 * upload_key.h - the object key of one upload, from its target's key
 * template (slate_file_target.key_template; the placeholders were checked
 * at registration, entity/file_target.h).
 */
#ifndef SLATE_UPLOAD_KEY_H
#define SLATE_UPLOAD_KEY_H

#include <jansson.h>
#include <stddef.h>

#include "http/request.h"

/* Expand `tmpl` into out: {id} is `id`, {upload} `upload_id`, {filename}
 * `filename` (already checked), {n} `n`, any other {name} the text of
 * row's field (borrowed), or "standalone" when it is not a string.
 * 0; -1 when it does not fit in len (nothing answered); -1 after answering
 * 400 when the result is not a valid storage key. */
int slate_upload_key_expand(slate_req *r, const char *tmpl, const json_t *row,
			    const char *id, const char *upload_id,
			    const char *filename, long n, char *out,
			    size_t len);

#endif
