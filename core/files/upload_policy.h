/*
 * upload_policy.h - what an upload request may ask for: which entity's
 * target of which kind, how large, of which content type, under which
 * file name. The targets are the entities' declarations
 * (entity/file_target.h); nothing here knows an entity by name.
 */
#ifndef SLATE_UPLOAD_POLICY_H
#define SLATE_UPLOAD_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entity/engine.h"
#include "http/request.h"

/* The body's member `name`, a non-empty string (borrowed from r's body),
 * or NULL after answering 400. */
const char *slate_upload_policy_body_str(slate_req *r, const char *name);

/* e's target of kind `kind` that takes `jsize` bytes of `ctype`, with the
 * size in *size_out; or NULL after answering 400 (no such kind, bad size),
 * 413 (over the target's limit) or 415 (a type it does not accept).
 * Borrowed from e. */
const slate_entity_file *
slate_upload_policy_target(slate_req *r, const slate_entity *e,
			   const char *kind, const json_t *jsize,
			   const char *ctype, uint64_t *size_out);

/* A client file name as one key component: no '/', no leading '.', no
 * "..", only [A-Za-z0-9._-] with spaces made '_'; at most 200 characters.
 * Copied into out; false when refused. */
bool slate_upload_policy_filename(const char *name, char *out, size_t len);

#endif
