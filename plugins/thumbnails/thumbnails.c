/*
 * thumbnails.c - the "thumbnail" processor and the seed's /thumbnails
 * routes.
 *
 * Stage 30 of the processing pipeline (after hash and probe), for stored
 * files of kind image, ui_element, raw_clip and trailer. Its job
 * (thumb_job.c) decodes the file once in a worker process (thumb_image.c
 * with libvips, thumb_video.c with FFmpeg), stores the seed's three sizes as
 * JPEG in the thumbnail store under {entity plural}/{entity_id}/{size}.jpg,
 * records them in the core's `thumbnails` table and points the entity's
 * thumbnail_reference at the primary one. The routes (thumb_api.c) list
 * them, serve them, and queue the job again.
 *
 * Configuration (plugins.thumbnails.config), every key optional:
 *   max_megapixels   refuse sources declaring more pixels (100)
 *   jpeg_quality     1 to 100 (80)
 *   vips_concurrency libvips worker threads per job (1: the job workers
 *                    already run in parallel, and a second thread per job
 *                    saved no wall time on 2 cores but cost 10% more CPU)
 *   decoder_threads  FFmpeg decoder threads per job (1)
 */
#include <stdio.h>
#include <string.h>

#include "thumb.h"

const slate_host *thumb_host;
slate_plugin *thumb_self;

thumb_config thumb_cfg = {
    .lim = {.max_pixels = 100000000, .quality = 80, .threads = 1},
    .vips_concurrency = 1,
};

/* The seed's thumbnail layout names clips/, outfits/, backgrounds/ and
 * episodes/; ui-elements/ and components/ follow the upload keys. An
 * episode's thumbnails come from its trailer. */
static const thumb_entity entities[] = {
    {"clip", "clips", "file_reference"},
    {"episode", "episodes", "trailer_reference"},
    {"outfit", "outfits", "overall_image_reference"},
    {"background", "backgrounds", "file_reference"},
    {"ui_element", "ui-elements", "file_reference"},
    {"component", "components", "file_reference"},
};
#define N_ENTITIES (sizeof(entities) / sizeof(entities[0]))

const char *const thumb_entity_names[] = {
    "clip", "episode", "outfit", "background", "ui_element", "component", NULL};

const thumb_entity *thumb_entity_find(const char *name)
{
	for (size_t i = 0; name && i < N_ENTITIES; i++)
		if (!strcmp(entities[i].name, name))
			return &entities[i];
	return NULL;
}

int thumb_size_find(const char *name)
{
	for (int i = 0; name && i < THUMB_NSIZES; i++)
		if (!strcmp(thumb_sizes[i].name, name))
			return i;
	return -1;
}

void thumb_key(const thumb_entity *e, const char *id, int size, char *out,
	       size_t len)
{
	snprintf(out, len, "%s/%s/%s.jpg", e->plural, id,
		 thumb_sizes[size].name);
}

const char *thumb_source_type(const char *kind)
{
	if (!kind)
		return NULL;
	if (!strcmp(kind, "image") || !strcmp(kind, "ui_element"))
		return "image";
	if (!strcmp(kind, "raw_clip") || !strcmp(kind, "trailer"))
		return "video";
	return NULL;
}

int thumb_rows_summary(slate_req *req, const char *etype, const char *id,
		       const char **out)
{
	const char *p[2] = {etype, id};
	slate_result *res = thumb_host->db_exec(
	    req,
	    "SELECT string_agg(size_variant || ' ' || width || 'x' || height "
	    "|| ' ' || coalesce(status, 'pending'), ', ' ORDER BY CASE "
	    "size_variant WHEN 'primary' THEN 1 WHEN 'medium' THEN 2 ELSE 3 "
	    "END) || coalesce('; ' || max(error_message), '') FROM thumbnails "
	    "WHERE entity_type = $1 AND entity_id = $2::uuid",
	    2, p);
	if (!res)
		return -1;
	*out = thumb_host->db_value(res, 0, 0);
	return 0;
}

/* A number member of cfg between lo and hi into *out; absent keeps it. */
static int cfg_number(const json_t *cfg, const char *key, double lo, double hi,
		      double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(cfg, key);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < lo ||
	    json_number_value(v) > hi) {
		snprintf(err, errlen, "%s must be a number from %g to %g", key,
			 lo, hi);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

static int read_config(const json_t *cfg, char *err, size_t errlen)
{
	static const char *const known[] = {"max_megapixels", "jpeg_quality",
					    "vips_concurrency",
					    "decoder_threads", NULL};
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg, k, v)
	{
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(k, known[i]);
		if (!ok) {
			snprintf(err, errlen, "unknown config key '%s'", k);
			return -1;
		}
	}
	double mp = (double)thumb_cfg.lim.max_pixels / 1e6;
	double q = thumb_cfg.lim.quality, vc = thumb_cfg.vips_concurrency;
	double dt = thumb_cfg.lim.threads;
	if (cfg_number(cfg, "max_megapixels", 0.01, 10000, &mp, err, errlen) ||
	    cfg_number(cfg, "jpeg_quality", 1, 100, &q, err, errlen) ||
	    cfg_number(cfg, "vips_concurrency", 1, 16, &vc, err, errlen) ||
	    cfg_number(cfg, "decoder_threads", 1, 16, &dt, err, errlen))
		return -1;
	thumb_cfg.lim.max_pixels = (uint64_t)(mp * 1e6);
	thumb_cfg.lim.quality = (int)q;
	thumb_cfg.lim.threads = (int)dt;
	thumb_cfg.vips_concurrency = (int)vc;
	return 0;
}

static const char *const file_kinds[] = {"image", "ui_element", "raw_clip",
					 "trailer", NULL};

static const slate_processor_def processor = {
    .struct_size = sizeof(slate_processor_def),
    .kind = "thumbnail",
    .stage = 30,
    .file_kinds = file_kinds,
    .fn = thumb_job,
};

/* libvips is not started here: init runs in the API process too, which
 * must never decode media. The job handler starts it in workers. */
static int thumbnails_init(slate_plugin *self, const slate_host *h, char *err,
			   size_t errlen)
{
	thumb_host = h;
	thumb_self = self;
	return read_config(h->config(self), err, errlen);
}

static void thumbnails_shutdown(slate_plugin *self)
{
	(void)self;
	thumb_teardown();
}

static const slate_plugin_desc thumbnails_desc = {
    SLATE_PLUGIN_HEADER("thumbnails", "1.0.0",
			"Thumbnails of images and videos (libvips, FFmpeg): "
			"the seed's three JPEG sizes"),
    .init = thumbnails_init,
    .shutdown = thumbnails_shutdown,
    .routes = thumb_routes,
    .processors = (const slate_processor_def *const[]){&processor, NULL},
};

SLATE_PLUGIN_DEFINE(thumbnails_desc)
