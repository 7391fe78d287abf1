/* jwks.c - see jwks.h. */
#include "auth/jwks.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define JWKS_MAX_BYTES (1 << 20)
#define RETRY_FIRST_S 1	   /* first retry after a failed fetch */
#define RETRY_MAX_S 60	   /* backoff ceiling */
#define NUDGE_UNLOADED_S 5 /* a token may bring a retry forward this often */
#define NUDGE_LOADED_S 60  /* an unknown kid may cause a refetch this often */

struct slate_jwks {
	char *url; /* NULL for a file: then no thread */
	/* The keys: read-locked by verify, write-locked only for the swap
	 * after a successful fetch (the fetch itself runs unlocked). */
	pthread_rwlock_t keys_lock;
	slate_jwt_keyset keys;
	/* The fetcher's state, under `lock`; `wake` signals it. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool nudged;	     /* a request asked for an attempt */
	bool loaded;	     /* keys came at least once */
	time_t last_attempt; /* monotonic seconds */
	time_t next_retry;   /* while not loaded */
	int backoff_s;
	atomic_bool stopping; /* read by curl's progress callback too */
	pthread_t thread;
	bool thread_started;
};

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- fetching --------------------------------------------------------- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	char **buf = ud;
	size_t old = *buf ? strlen(*buf) : 0;
	if (old + sz * n > JWKS_MAX_BYTES)
		return 0;
	char *nb = realloc(*buf, old + sz * n + 1);
	if (!nb)
		return 0;
	memcpy(nb + old, p, sz * n);
	nb[old + sz * n] = '\0';
	*buf = nb;
	return sz * n;
}

/* Non-zero aborts the transfer: shutdown does not wait out a slow IdP. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	const slate_jwks *k = ud;
	return atomic_load(&k->stopping) ? 1 : 0;
}

/* GET the JWKS document. New reference, or NULL with a reason in err. */
static json_t *fetch(slate_jwks *k, char *err, size_t errlen)
{
	char *body = NULL;
	long status = 0;
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "JWKS %s: cannot start libcurl", k->url);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, k->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, k);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	json_t *doc = NULL;
	if (rc != CURLE_OK)
		snprintf(err, errlen, "JWKS %s: %s", k->url,
			 curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(err, errlen, "JWKS %s: HTTP %ld", k->url, status);
	else if (!(doc = json_loads(body ? body : "", 0, NULL)))
		snprintf(err, errlen, "JWKS %s: not JSON", k->url);
	free(body);
	return doc;
}

/* Replace the keys with those of `doc` (borrowed). 0, or -1 with a reason
 * and the old keys kept. */
static int install(slate_jwks *k, const json_t *doc, char *err, size_t errlen)
{
	slate_jwt_keyset fresh = {0};
	if (slate_jwt_keyset_from_jwks(&fresh, doc, err, errlen)) {
		slate_jwt_keyset_clear(&fresh);
		return -1;
	}
	pthread_rwlock_wrlock(&k->keys_lock);
	slate_jwt_keyset old = k->keys;
	k->keys = fresh;
	pthread_rwlock_unlock(&k->keys_lock);
	slate_jwt_keyset_clear(&old);
	return 0;
}

/* One fetch-and-install, unlocked. 0 or -1 with a reason. */
static int attempt(slate_jwks *k, char *err, size_t errlen)
{
	json_t *doc = fetch(k, err, errlen);
	if (!doc)
		return -1;
	int rc = install(k, doc, err, errlen);
	json_decref(doc);
	return rc;
}

/* Whether an attempt is due now; if not, *wait_until is when one may be
 * (0: only when nudged). Under k->lock. */
static bool due(const slate_jwks *k, time_t now, time_t *wait_until)
{
	time_t nudge_at =
	    k->last_attempt + (k->loaded ? NUDGE_LOADED_S : NUDGE_UNLOADED_S);
	if (!k->loaded && now >= k->next_retry)
		return true;
	if (k->nudged && now >= nudge_at)
		return true;
	*wait_until = k->loaded ? 0 : k->next_retry;
	if (k->nudged && (!*wait_until || nudge_at < *wait_until))
		*wait_until = nudge_at;
	return false;
}

static void *fetcher(void *arg)
{
	slate_jwks *k = arg;
	char err[512];
	pthread_mutex_lock(&k->lock);
	while (!atomic_load(&k->stopping)) {
		time_t now = mono_now(), until = 0;
		if (!due(k, now, &until)) {
			if (!until) {
				pthread_cond_wait(&k->wake, &k->lock);
			} else {
				struct timespec ts = {.tv_sec = until};
				pthread_cond_timedwait(&k->wake, &k->lock, &ts);
			}
			continue;
		}
		k->nudged = false;
		k->last_attempt = now;
		pthread_mutex_unlock(&k->lock);
		int rc = attempt(k, err, sizeof(err));
		pthread_mutex_lock(&k->lock);
		if (atomic_load(&k->stopping))
			break;
		if (rc == 0) {
			k->loaded = true;
			k->backoff_s = RETRY_FIRST_S;
			slate_log(SLATE_LOG_INFO, "auth", NULL,
				  "OIDC JWKS loaded from %s: %zu signing "
				  "key(s)",
				  k->url, slate_jwks_count(k));
		} else if (!k->loaded) {
			k->next_retry = mono_now() + k->backoff_s;
			slate_log(SLATE_LOG_WARN, "auth", NULL,
				  "%s; the issuer's tokens are refused until "
				  "it loads; next attempt in %d s",
				  err, k->backoff_s);
			k->backoff_s = k->backoff_s * 2 > RETRY_MAX_S
					   ? RETRY_MAX_S
					   : k->backoff_s * 2;
		} else {
			slate_log(SLATE_LOG_WARN, "auth", NULL,
				  "refetch after an unknown kid: %s; keeping "
				  "the keys loaded before",
				  err);
		}
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

static int start_thread(slate_jwks *k, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&k->wake, &ca)) {
		snprintf(err, errlen, "JWKS: cannot make a condition variable");
		return -1;
	}
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&k->thread, NULL, fetcher, k);
	if (rc) {
		pthread_cond_destroy(&k->wake);
		snprintf(err, errlen, "JWKS: cannot start its thread: %s",
			 strerror(rc));
		return -1;
	}
	k->thread_started = true;
	return 0;
}

int slate_jwks_open(slate_jwks **out, const char *file, const char *url,
		    char *err, size_t errlen)
{
	*out = NULL;
	slate_jwks *k = calloc(1, sizeof(*k));
	if (!k || (url && !(k->url = strdup(url)))) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_rwlock_init(&k->keys_lock, NULL);
	pthread_mutex_init(&k->lock, NULL);
	atomic_init(&k->stopping, false);
	k->backoff_s = RETRY_FIRST_S;
	if (file) {
		json_error_t jerr;
		json_t *doc = json_load_file(file, 0, &jerr);
		int rc = -1;
		if (!doc)
			snprintf(err, errlen, "JWKS %s: %s", file, jerr.text);
		else
			rc = install(k, doc, err, errlen);
		json_decref(doc);
		if (rc) {
			slate_jwks_close(k);
			return -1;
		}
		k->loaded = true;
		*out = k;
		return 0;
	}
	/* Once, now, so a normal start serves the issuer's tokens at once;
	 * failing is only a warning (see jwks.h). Main thread, at start:
	 * curl_global_init is reference-counted, undone in close. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	char why[512];
	k->last_attempt = mono_now();
	if (attempt(k, why, sizeof(why)) == 0) {
		k->loaded = true;
	} else {
		k->next_retry = k->last_attempt + k->backoff_s;
		slate_log(SLATE_LOG_WARN, "auth", NULL,
			  "%s; starting without the OIDC issuer's keys: its "
			  "tokens are refused (401) until they load; "
			  "retrying in the background",
			  why);
		k->backoff_s *= 2;
	}
	if (start_thread(k, err, errlen)) {
		slate_jwks_close(k);
		return -1;
	}
	*out = k;
	return 0;
}

void slate_jwks_close(slate_jwks *k)
{
	if (!k)
		return;
	if (k->thread_started) {
		pthread_mutex_lock(&k->lock);
		atomic_store(&k->stopping, true);
		pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
		pthread_join(k->thread, NULL);
		pthread_cond_destroy(&k->wake);
	}
	if (k->url)
		curl_global_cleanup();
	slate_jwt_keyset_clear(&k->keys);
	pthread_mutex_destroy(&k->lock);
	pthread_rwlock_destroy(&k->keys_lock);
	free(k->url);
	free(k);
}

/* ---- use -------------------------------------------------------------- */

bool slate_jwks_ready(slate_jwks *k)
{
	pthread_mutex_lock(&k->lock);
	bool r = k->loaded;
	pthread_mutex_unlock(&k->lock);
	return r;
}

size_t slate_jwks_count(slate_jwks *k)
{
	pthread_rwlock_rdlock(&k->keys_lock);
	size_t n = k->keys.n;
	pthread_rwlock_unlock(&k->keys_lock);
	return n;
}

/* Ask the fetcher for an attempt; it applies the rate limits. */
static void nudge(slate_jwks *k)
{
	if (!k->thread_started)
		return;
	pthread_mutex_lock(&k->lock);
	if (!k->nudged) {
		k->nudged = true;
		pthread_cond_signal(&k->wake);
	}
	pthread_mutex_unlock(&k->lock);
}

slate_jwt_status slate_jwks_verify(slate_jwks *k, const char *token,
				   json_t **claims)
{
	pthread_rwlock_rdlock(&k->keys_lock);
	slate_jwt_status st =
	    slate_jwt_verify(token, SLATE_JWT_RS256, &k->keys, claims);
	pthread_rwlock_unlock(&k->keys_lock);
	if (st == SLATE_JWT_NO_KEYS || st == SLATE_JWT_NO_KEY)
		nudge(k);
	return st;
}
