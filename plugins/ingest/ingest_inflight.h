/*
 * ingest_inflight.h - object keys in flight (see ing.inflight): an ingest
 * marks its key from before its intent row until after its commit; a
 * sweep claims a key while it decides whether to delete the object. Each
 * call takes ing->mu. Used by ingest_db.c and ingest_file.c, and calls
 * neither.
 */
#ifndef SLATE_INGEST_INFLIGHT_H
#define SLATE_INGEST_INFLIGHT_H

#include <stdbool.h>

#include "ingest.h"

/* Mark `key` in flight (counted: two ingests of one key may overlap),
 * waiting while a sweep has it claimed. */
void ing_inflight_begin(ing *g, const char *key);
/* Undo one ing_inflight_begin. */
void ing_inflight_end(ing *g, const char *key);
/* Claim `key` for a sweep unless an ingest has it in flight: true when
 * claimed (release it with ing_inflight_unclaim), false otherwise or when
 * out of memory. */
bool ing_inflight_claim(ing *g, const char *key);
/* Release a claim and wake the ingests waiting for the key. */
void ing_inflight_unclaim(ing *g, const char *key);

#endif
