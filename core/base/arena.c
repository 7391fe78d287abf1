/* arena.c - see arena.h. */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slate_arena_chunk {
	slate_arena_chunk *next;
	size_t size, used;
	_Alignas(16) char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void slate_arena_init(slate_arena *a)
{
	a->head = NULL;
	a->inline_used = 0;
}

void *slate_arena_alloc(slate_arena *a, size_t n)
{
	/* A size from a client (count * size in a plugin) must not wrap. */
	if (n > SIZE_MAX / 2)
		return NULL;
	n = ALIGN16(n ? n : 1);
	if (a->inline_used + n <= sizeof(a->inline_buf)) {
		/* inline_buf sits at a 16-aligned offset in practice; align the
		 * pointer itself so that holds whatever the struct layout. */
		uintptr_t base = (uintptr_t)a->inline_buf + a->inline_used;
		uintptr_t p = ALIGN16(base);
		if (p + n <= (uintptr_t)a->inline_buf + sizeof(a->inline_buf)) {
			a->inline_used =
			    (size_t)(p + n - (uintptr_t)a->inline_buf);
			return (void *)p;
		}
	}
	slate_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t sz = n > 8192 ? n : 8192;
		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

char *slate_arena_strndup(slate_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *d = slate_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *slate_arena_strdup(slate_arena *a, const char *s)
{
	return s ? slate_arena_strndup(a, s, strlen(s)) : NULL;
}

void slate_arena_release(slate_arena *a)
{
	slate_arena_chunk *c = a->head;
	while (c) {
		slate_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->inline_used = 0;
}
