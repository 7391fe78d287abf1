/*
 * ingest_map.c - a chained hash map from strings to pointers, for the
 * pending files, the paths already seen and the inotify watches. Grows at
 * load 1; never shrinks (a folder's size bounds it).
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

typedef struct ent {
	struct ent *next;
	uint64_t hash;
	void *value;
	char key[];
} ent;

struct ing_map {
	ent **slots;
	size_t nslots, count;
};

/* FNV-1a: short keys, no adversary (paths on our own disk). */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

ing_map *ing_map_new(void)
{
	ing_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nslots = 64;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void ing_map_free(ing_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslots; i++) {
		for (ent *e = m->slots[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(m->slots);
	free(m);
}

static ent **find(const ing_map *m, const char *key, uint64_t h)
{
	ent **pp = &m->slots[h & (m->nslots - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key)))
		pp = &(*pp)->next;
	return pp;
}

void *ing_map_get(const ing_map *m, const char *key)
{
	ent *e = *find(m, key, hash_str(key));
	return e ? e->value : NULL;
}

/* Double the slots; on no memory keep the old ones (just slower). */
static void grow(ing_map *m)
{
	size_t n = m->nslots * 2;
	ent **s = calloc(n, sizeof(*s));
	if (!s)
		return;
	for (size_t i = 0; i < m->nslots; i++) {
		for (ent *e = m->slots[i], *nx; e; e = nx) {
			nx = e->next;
			e->next = s[e->hash & (n - 1)];
			s[e->hash & (n - 1)] = e;
		}
	}
	free(m->slots);
	m->slots = s;
	m->nslots = n;
}

int ing_map_set(ing_map *m, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	ent **pp = find(m, key, h);
	if (*pp) {
		(*pp)->value = value;
		return 0;
	}
	size_t kl = strlen(key);
	ent *e = malloc(sizeof(*e) + kl + 1);
	if (!e)
		return -1;
	memcpy(e->key, key, kl + 1);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*pp = e;
	if (++m->count > m->nslots)
		grow(m);
	return 0;
}

void *ing_map_del(ing_map *m, const char *key)
{
	ent **pp = find(m, key, hash_str(key));
	ent *e = *pp;
	if (!e)
		return NULL;
	void *v = e->value;
	*pp = e->next;
	free(e);
	m->count--;
	return v;
}

size_t ing_map_count(const ing_map *m)
{
	return m->count;
}

void ing_map_each(ing_map *m,
		  bool (*fn)(const char *key, void *value, void *ud), void *ud)
{
	for (size_t i = 0; i < m->nslots; i++) {
		ent **pp = &m->slots[i];
		while (*pp) {
			ent *e = *pp;
			if (fn(e->key, e->value, ud)) {
				*pp = e->next;
				free(e);
				m->count--;
			} else {
				pp = &e->next;
			}
		}
	}
}
