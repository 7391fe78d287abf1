/* storage.c - see storage.h: key rules, the store pair, dispatch. */
#include "files/storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static slate_store *make_store(const slate_config *cfg, const char *name,
			       const char *bucket, char *err, size_t errlen)
{
	if (!strcmp(cfg->storage_backend, "s3")) {
		const char *ak = cfg->s3_access_key
				     ? cfg->s3_access_key
				     : getenv("AWS_ACCESS_KEY_ID");
		const char *sk = cfg->s3_secret_key
				     ? cfg->s3_secret_key
				     : getenv("AWS_SECRET_ACCESS_KEY");
		slate_s3_opts o = {.endpoint = cfg->s3_endpoint,
				   .region = cfg->s3_region,
				   .bucket = bucket,
				   .access_key = ak,
				   .secret_key = sk,
				   .path_style = cfg->s3_path_style,
				   .part_size = cfg->s3_part_size};
		return slate_store_s3_new(name, &o, err, errlen);
	}
	char root[4096];
	if (cfg->storage_local_dir)
		snprintf(root, sizeof(root), "%s/%s", cfg->storage_local_dir,
			 name);
	else
		snprintf(root, sizeof(root), "%s/objects/%s", cfg->data_dir,
			 name);
	return slate_store_local_new(name, root, err, errlen);
}

int slate_storage_init(slate_storage **out, const slate_config *cfg, char *err,
		       size_t errlen)
{
	if (strcmp(cfg->storage_backend, "local") &&
	    strcmp(cfg->storage_backend, "s3")) {
		snprintf(
		    err, errlen,
		    "config storage.backend: expected \"local\" or \"s3\"");
		return -1;
	}
	slate_storage *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->s3 = !strcmp(cfg->storage_backend, "s3");
	st->primary =
	    make_store(cfg, "primary", cfg->s3_primary_bucket, err, errlen);
	if (st->primary)
		st->thumbnails = make_store(
		    cfg, "thumbnails", cfg->s3_thumbnail_bucket, err, errlen);
	if (!st->primary || !st->thumbnails) {
		slate_storage_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void slate_storage_free(slate_storage *st)
{
	if (!st)
		return;
	if (st->primary)
		st->primary->ops->free(st->primary);
	if (st->thumbnails)
		st->thumbnails->ops->free(st->thumbnails);
	free(st);
}

slate_store *slate_storage_get(const slate_storage *st, const char *name)
{
	if (!st || !name)
		return NULL;
	if (!strcmp(name, "primary"))
		return st->primary;
	if (!strcmp(name, "thumbnails"))
		return st->thumbnails;
	return NULL;
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
