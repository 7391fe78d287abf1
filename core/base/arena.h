/*
 * arena.h - a request's memory pool: many small allocations, one free.
 *
 * Everything a request allocates for its own use (copied headers, path
 * parameters, strings a plugin asks for) comes from here and goes away in
 * slate_arena_release() when the request ends, so handlers never free.
 */
#ifndef SLATE_ARENA_H
#define SLATE_ARENA_H

#include <stddef.h>

typedef struct slate_arena_chunk slate_arena_chunk;

typedef struct slate_arena {
	slate_arena_chunk *head;
	char inline_buf[2048]; /* most requests need no malloc at all */
	size_t inline_used;
} slate_arena;

void slate_arena_init(slate_arena *a);
/* 16-byte aligned memory, or NULL when out of memory. */
void *slate_arena_alloc(slate_arena *a, size_t n);
/* Copies; NULL in gives NULL out. */
char *slate_arena_strdup(slate_arena *a, const char *s);
char *slate_arena_strndup(slate_arena *a, const char *s, size_t n);
void slate_arena_release(slate_arena *a);

#endif
