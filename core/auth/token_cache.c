/* token_cache.c - see token_cache.h. */
#include "auth/token_cache.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Direct-mapped: a colliding token evicts the older one, which only costs
 * a verification. 1024 slots hold every active user of a production team. */
#define SLOTS 1024

typedef struct slot {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	long until; /* 0: empty */
	slate_identity id;
} slot;

struct slate_token_cache {
	pthread_mutex_t lock;
	slot slots[SLOTS];
};

slate_token_cache *slate_token_cache_new(void)
{
	slate_token_cache *c = calloc(1, sizeof(*c));
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void slate_token_cache_free(slate_token_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static slot *slot_of(slate_token_cache *c, const char *token,
		     unsigned char digest[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)token, strlen(token), digest);
	unsigned idx = ((unsigned)digest[0] << 8 | digest[1]) % SLOTS;
	return &c->slots[idx];
}

bool slate_token_cache_get(slate_token_cache *c, const char *token, long now,
			   slate_identity *out)
{
	if (!c)
		return false;
	unsigned char d[SHA256_DIGEST_LENGTH];
	slot *s = slot_of(c, token, d);
	bool hit = false;
	pthread_mutex_lock(&c->lock);
	if (s->until > now && !memcmp(s->digest, d, sizeof(d))) {
		*out = s->id;
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void slate_token_cache_put(slate_token_cache *c, const char *token, long until,
			   const slate_identity *id)
{
	if (!c)
		return;
	unsigned char d[SHA256_DIGEST_LENGTH];
	slot *s = slot_of(c, token, d);
	pthread_mutex_lock(&c->lock);
	memcpy(s->digest, d, sizeof(d));
	s->until = until;
	s->id = *id;
	pthread_mutex_unlock(&c->lock);
}
