/*
 * file_target.h - an entity's uploadable fields (slate_file_target,
 * slate/entity.h): checked and copied at registration, looked up by the
 * upload and download routes (files/).
 */
#ifndef SLATE_ENTITY_FILE_TARGET_H
#define SLATE_ENTITY_FILE_TARGET_H

#include <slate/entity.h>
#include <stdbool.h>
#include <stddef.h>

#include "entity/engine.h"

/* Check def's file targets against e's fields (already imported) and copy
 * them into e->files; `size` is def->file_target_size. A refusal names the
 * entity, the target and what is wrong. 0, or -1 with a reason (e->files
 * then holds what was copied so far, freed with e). */
int slate_file_target_import(slate_entity *e, const slate_file_target *targets,
			     uint32_t n, uint32_t size, char *err,
			     size_t errlen);

/* Whether `name` may stand in braces in a key template of e: one of the
 * placeholders every upload has ({id}, {upload}, {filename}, {n}) or a
 * field of e. */
bool slate_file_target_placeholder_ok(const slate_entity *e, const char *name);

/* e's target of kind `kind`, or NULL. Borrowed from e. */
const slate_entity_file *slate_file_target_find(const slate_entity *e,
						const char *kind);

/* The first target of kind `kind` of any registered entity, or NULL: what
 * a signed PUT, which names only the kind, quotes its limit from. Borrowed
 * from the core's entities. */
const slate_entity_file *slate_file_target_any(const slate_core *core,
					       const char *kind);

/* Whether some target of e writes into `field`. */
bool slate_file_target_field(const slate_entity *e, const char *field);

#endif
