/*
 * store.c - the one rule for keys and the dispatch wrappers of store.h:
 * each wrapper checks the key before any backend sees it, so no backend
 * needs to.
 */
#include "files/store.h"

#include <errno.h>
#include <string.h>

bool slate_store_key_valid(const char *key)
{
	if (!key)
		return false;
	size_t n = strlen(key);
	if (n == 0 || n > SLATE_STORE_KEY_MAX)
		return false;
	const char *p = key;
	for (;;) {
		size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789._-");
		/* empty ("a//b", "/a", "a/"), hidden, ".", ".." */
		if (len == 0 || len > SLATE_STORE_COMPONENT_MAX || p[0] == '.')
			return false;
		if (p[len] == '\0')
			return true;
		if (p[len] != '/')
			return false; /* any other byte, NUL included */
		p += len + 1;
	}
}

int slate_store_put_begin(slate_store *s, const char *key,
			  const char *content_type, uint64_t size,
			  slate_store_writer **out)
{
	if (!slate_store_key_valid(key)) {
		errno = EINVAL;
		return -1;
	}
	return s->ops->put_begin(s, key, content_type, size, out);
}

int slate_store_put_write(slate_store_writer *w, const void *buf, size_t n)
{
	return w->store->ops->put_write(w, buf, n);
}

int slate_store_put_commit(slate_store_writer *w)
{
	return w->store->ops->put_commit(w);
}

void slate_store_put_abort(slate_store_writer *w)
{
	if (w)
		w->store->ops->put_abort(w);
}

int slate_store_sweep_tmp(slate_store *s)
{
	return s && s->ops->sweep_tmp ? s->ops->sweep_tmp(s) : 0;
}

int slate_store_stat(slate_store *s, const char *key, slate_store_info *st)
{
	if (!slate_store_key_valid(key))
		return 1;
	return s->ops->stat(s, key, st);
}

int slate_store_delete(slate_store *s, const char *key)
{
	if (!slate_store_key_valid(key))
		return 0; /* nothing can be stored there */
	return s->ops->del(s, key);
}

int slate_store_open_fd(slate_store *s, const char *key, slate_store_info *st)
{
	if (!slate_store_key_valid(key)) {
		errno = ENOENT;
		return -1;
	}
	if (!s->ops->open_fd) {
		errno = ENOTSUP;
		return -1;
	}
	return s->ops->open_fd(s, key, st);
}

char *slate_store_presign(slate_store *s, const char *method, const char *key,
			  const char *content_type, uint64_t size, long ttl_s)
{
	if (!slate_store_key_valid(key) || !s->ops->presign)
		return NULL;
	return s->ops->presign(s, method, key, content_type, size, ttl_s);
}
