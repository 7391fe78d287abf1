/*
 * storage.c - the registry of a process's stores (see storage.h): builds
 * primary and thumbnails from the config with the backend it names, and
 * hands them out by name. The only file that knows the backends.
 */
#include "files/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files/store_local.h"
#include "files/store_s3.h"

/* One store of the configured backend. The caller owns the result (free
 * through ops->free); NULL with a reason in err. */
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

int slate_storage_sweep_tmp(const slate_storage *st)
{
	if (!st)
		return 0;
	return slate_store_sweep_tmp(st->primary) +
	       slate_store_sweep_tmp(st->thumbnails);
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
