/*
 * ingest_inflight.c - the set of object keys this process is ingesting
 * or sweeping (ing.inflight), which keeps the sweep from deleting an
 * object between its intent row and its commit. Its own file so that the
 * database side (ingest_db.c) and one file's ingest (ingest_file.c) both
 * use it without calling each other for it.
 */
#include "ingest_inflight.h"

#include <pthread.h>
#include <stdint.h>

/* Never fails: out of memory only weakens the protection (below). */
void ing_inflight_begin(ing *g, const char *key)
{
	pthread_mutex_lock(&g->mu);
	intptr_t n;
	while ((n = (intptr_t)ing_map_get(g->inflight, key)) < 0)
		pthread_cond_wait(&g->inflight_cv, &g->mu);
	/* out of memory only weakens the sweep's protection: it then waits
	 * for the next reconcile's look at a committed key */
	ing_map_set(g->inflight, key, (void *)(n + 1));
	pthread_mutex_unlock(&g->mu);
}

/* Never fails. */
void ing_inflight_end(ing *g, const char *key)
{
	pthread_mutex_lock(&g->mu);
	intptr_t n = (intptr_t)ing_map_get(g->inflight, key);
	if (n > 1)
		ing_map_set(g->inflight, key, (void *)(n - 1));
	else
		ing_map_del(g->inflight, key);
	pthread_mutex_unlock(&g->mu);
}

/* Claim `key` for deleting unless an ingest of this process has it in
 * flight; while claimed, an ingest of the key waits in
 * ing_inflight_begin. */
bool ing_inflight_claim(ing *g, const char *key)
{
	pthread_mutex_lock(&g->mu);
	bool ok = !ing_map_get(g->inflight, key) &&
		  ing_map_set(g->inflight, key, (void *)(intptr_t)-1) == 0;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

/* Never fails. */
void ing_inflight_unclaim(ing *g, const char *key)
{
	pthread_mutex_lock(&g->mu);
	ing_map_del(g->inflight, key);
	pthread_cond_broadcast(&g->inflight_cv);
	pthread_mutex_unlock(&g->mu);
}
