/* thumb_image.c - libvips: set-up, images, and the three JPEGs of any
 * source (see thumb_render.h). */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "thumb_render.h"

const thumb_size thumb_sizes[THUMB_NSIZES] = {
    {"primary", 1280, 720},
    {"medium", 640, 360},
    {"small", 320, 180},
};

/* The loaders a source may be read with, by format. Everything else under
 * VipsForeignLoad is blocked (thumb_setup). */
static const struct {
	unsigned fmt;
	const char *nickname, *type, *label;
} loaders[] = {
    {THUMB_FMT_JPEG, "jpegload_source", "VipsForeignLoadJpegSource", "JPEG"},
    {THUMB_FMT_PNG, "pngload_source", "VipsForeignLoadPngSource", "PNG"},
    {THUMB_FMT_WEBP, "webpload_source", "VipsForeignLoadWebpSource", "WebP"},
    {THUMB_FMT_SVG, "svgload_source", "VipsForeignLoadSvgSource", "SVG"},
};
#define N_LOADERS (sizeof(loaders) / sizeof(loaders[0]))

/* The kernel of every resize after shrink-on-load, which leaves less than
 * a factor of two to do (and the smaller sizes are 2x and 4x of the
 * primary): a tent of the reduction's width antialiases that well, at a
 * third of the taps of libvips's default lanczos3, whose generic 8.14
 * code was a sixth of a 24-megapixel photo's CPU. */
#define THUMB_KERNEL VIPS_KERNEL_LINEAR

int thumb_fail(thumb_set *set, bool rejected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(set->error, sizeof(set->error), fmt, ap);
	va_end(ap);
	set->rejected = rejected;
	return -1;
}

/* libvips's error buffer as one line (newlines become ";"), which is then
 * cleared. Points into `buf`. */
static const char *vips_reason(char *buf, size_t len)
{
	snprintf(buf, len, "%s", vips_error_buffer());
	vips_error_clear();
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ';';
	return n ? buf : "unknown libvips error";
}

static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static bool setup_done;

/* libvips's warnings. Hostile input can raise thousands (one per row of a
 * truncated PNG), so they are not printed; the first of a decode is kept,
 * because libvips 8.14's PNG source loader reports a truncated file only
 * as warnings ("not enough data") and fills the rest in. A worker decodes
 * one file at a time, but libvips's threads may raise them: hence the
 * lock. */
static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned warn_count;
static char warn_first[160];

static void on_vips_warning(const gchar *domain, GLogLevelFlags level,
			    const gchar *message, gpointer ud)
{
	(void)domain;
	(void)level;
	(void)ud;
	pthread_mutex_lock(&warn_lock);
	if (warn_count++ == 0)
		snprintf(warn_first, sizeof(warn_first), "%s",
			 message ? message : "");
	pthread_mutex_unlock(&warn_lock);
}

static void warnings_reset(void)
{
	pthread_mutex_lock(&warn_lock);
	warn_count = 0;
	warn_first[0] = '\0';
	pthread_mutex_unlock(&warn_lock);
}

/* How many warnings since warnings_reset; the first into buf. */
static unsigned warnings_take(char *buf, size_t len)
{
	pthread_mutex_lock(&warn_lock);
	unsigned n = warn_count;
	snprintf(buf, len, "%s", warn_first);
	pthread_mutex_unlock(&warn_lock);
	return n;
}

void thumb_teardown(void)
{
	pthread_mutex_lock(&setup_lock);
	if (setup_done) {
		/* Joins libvips' worker threads before the process exits:
		 * left running, they race the exit (and LeakSanitizer's
		 * tracer crashes on them in sanitizer builds). */
		vips_shutdown();
		setup_done = false;
	}
	pthread_mutex_unlock(&setup_lock);
}

int thumb_setup(int concurrency, char *err, size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&setup_lock);
	if (setup_done)
		goto out;
	if (VIPS_INIT("slate-thumbnails")) {
		snprintf(err, errlen, "vips_init failed: %s",
			 vips_error_buffer());
		vips_error_clear();
		rc = -1;
		goto out;
	}
	/* libvips 8.14 flags as untrusted, among others, svgload (librsvg),
	 * pdfload, magickload, the jp2k, jxl, fits, mat and csv loaders. On
	 * top of that block, every loader is blocked but the four the upload
	 * kinds allow, so content that merely claims to be an image (a TIFF
	 * or a FITS file uploaded as image/png) reaches no other parser.
	 * svgload_source is then unblocked again on purpose: UI elements are
	 * SVG by design (the seed's image/svg+xml), and thumb_from_image
	 * lets SVG through only for the ui_element kind. librsvg resolves no
	 * external reference for a source with no base file. */
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, on_vips_warning, NULL);
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (size_t i = 0; i < N_LOADERS; i++)
		vips_operation_block_set(loaders[i].type, FALSE);
	/* One job at a time per worker: caching operations only holds
	 * memory, and a small thread count keeps RLIMIT_AS honest. */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(concurrency > 0 ? concurrency : 1);
	setup_done = true;
out:
	pthread_mutex_unlock(&setup_lock);
	return rc;
}

void thumb_set_release(thumb_set *set)
{
	for (int i = 0; i < THUMB_NSIZES; i++) {
		g_free(set->jpeg[i]);
		set->jpeg[i] = NULL;
		set->len[i] = 0;
	}
}

void thumb_fit(double w, double h, int size, bool enlarge, int *ow, int *oh)
{
	double s = thumb_sizes[size].width / w;
	if (thumb_sizes[size].height / h < s)
		s = thumb_sizes[size].height / h;
	if (s > 1 && !enlarge)
		s = 1;
	*ow = (int)floor(w * s + 0.5);
	*oh = (int)floor(h * s + 0.5);
	if (*ow < 1)
		*ow = 1;
	if (*oh < 1)
		*oh = 1;
}

/* One smaller size of the primary: a plain resize to the exact fit (the
 * primary is upright, 8-bit and flat already, so none of vips_thumbnail's
 * checks apply; this halves its cost). 0 or -1. */
static int resize_to(VipsImage *primary, int size, VipsImage **out)
{
	int w, h;
	thumb_fit(primary->Xsize, primary->Ysize, size, false, &w, &h);
	if (w == primary->Xsize && h == primary->Ysize) {
		*out = primary;
		g_object_ref(primary);
		return 0;
	}
	return vips_resize(primary, out, (double)w / primary->Xsize, "vscale",
			   (double)h / primary->Ysize, "kernel", THUMB_KERNEL,
			   NULL);
}

int thumb_encode(VipsImage *primary, const thumb_limits *lim, thumb_set *set)
{
	char why[200];
	for (int i = 0; i < THUMB_NSIZES; i++) {
		VipsImage *im = primary;
		if (i > 0 && resize_to(primary, i, &im))
			return thumb_fail(set, false, "resizing to %s: %s",
					  thumb_sizes[i].name,
					  vips_reason(why, sizeof(why)));
		void *buf = NULL;
		size_t len = 0;
		int rc = vips_jpegsave_buffer(im, &buf, &len, "Q", lim->quality,
					      "strip", TRUE, "optimize_coding",
					      TRUE, NULL);
		set->width[i] = im->Xsize;
		set->height[i] = im->Ysize;
		if (im != primary)
			g_object_unref(im);
		if (rc)
			return thumb_fail(set, false, "JPEG encoding: %s",
					  vips_reason(why, sizeof(why)));
		set->jpeg[i] = buf;
		set->len[i] = len;
	}
	return 0;
}

/* Which of `loaders` the source is, or -1. libvips sniffs the content
 * with the loaders that are not blocked, and names the class. */
static int loader_of(VipsSource *src)
{
	const char *name = vips_foreign_find_load_source(src);
	vips_error_clear();
	for (size_t i = 0; name && i < N_LOADERS; i++)
		if (!strcmp(name, loaders[i].type) ||
		    !strcmp(name, loaders[i].nickname))
			return (int)i;
	return -1;
}

/* "JPEG, PNG or WebP" for the formats in `accept`. */
static const char *accepted(unsigned accept, char *buf, size_t len)
{
	const char *names[N_LOADERS];
	size_t n = 0, o = 0;
	for (size_t i = 0; i < N_LOADERS; i++)
		if (accept & loaders[i].fmt)
			names[n++] = loaders[i].label;
	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s",
			      i == 0	   ? ""
			      : i == n - 1 ? " or "
					   : ", ",
			      names[i]);
	return buf;
}

/* What the header told. */
typedef struct src_info {
	int loader; /* index in loaders */
	bool icc;   /* an embedded ICC profile */
	bool swap;  /* EXIF orientation turns it by 90 degrees */
} src_info;

/* Refuse the source before decoding unless it is an accepted format whose
 * header declares at most lim->max_pixels. 0 (*info filled) or -1 (set
 * failed). */
static int check_source(VipsSource *src, unsigned accept,
			const thumb_limits *lim, thumb_set *set, src_info *info)
{
	char names[64], why[200];
	int li = loader_of(src);
	if (li < 0 || !(accept & loaders[li].fmt))
		return thumb_fail(set, true, "not a %s image%s%s",
				  accepted(accept, names, sizeof(names)),
				  li < 0 ? "" : ": it is ",
				  li < 0 ? "" : loaders[li].label);
	VipsImage *hdr = vips_image_new_from_source(
	    src, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!hdr)
		return thumb_fail(set, true, "unreadable %s header: %s",
				  loaders[li].label,
				  vips_reason(why, sizeof(why)));
	set->src_width = hdr->Xsize;
	set->src_height = hdr->Ysize;
	info->loader = li;
	info->icc = vips_image_get_typeof(hdr, VIPS_META_ICC_NAME) != 0;
	info->swap = vips_image_get_orientation_swap(hdr);
	g_object_unref(hdr);
	uint64_t px = (uint64_t)set->src_width * (uint64_t)set->src_height;
	if (px > lim->max_pixels)
		return thumb_fail(
		    set, true,
		    "%s of %dx%d is %.1f megapixels, over the limit of %.1f "
		    "(refused before decoding: a decompression bomb?)",
		    loaders[li].label, set->src_width, set->src_height,
		    (double)px / 1e6, (double)lim->max_pixels / 1e6);
	return 0;
}

/* The JPEG shrink-on-load factor: libjpeg decodes at 1/2, 1/4 or 1/8 in
 * the DCT domain at a fraction of the cost. libvips 8.14's thumbnail
 * leaves a factor of two to its own filter (a 6000x4000 photo is decoded
 * at 3000x2000 for the 1280x720 box); like sharp, take the largest power
 * of two that still covers the box (1500x1000), then resize exactly. It
 * saves about 40% of the CPU of a 24-megapixel photo. */
static int jpeg_shrink(const thumb_set *set, bool swap)
{
	double w = swap ? set->src_height : set->src_width;
	double h = swap ? set->src_width : set->src_height;
	double f = w / thumb_sizes[0].width;
	if (h / thumb_sizes[0].height > f)
		f = h / thumb_sizes[0].height;
	int s = 1;
	while (s < 8 && s * 2 <= f)
		s *= 2;
	return s;
}

/* A JPEG shrunk on load, then fitted exactly to the largest box, upright
 * and in sRGB: what vips_thumbnail does, minus its lanczos3. CMYK goes
 * through vips_thumbnail_image, which converts it. 0 or -1. */
static int load_jpeg(VipsSource *src, const src_info *info,
		     const thumb_set *set, VipsImage **out)
{
	VipsImage *in = NULL, *r = NULL, *up = NULL;
	if (vips_jpegload_source(
		src, &in, "shrink", jpeg_shrink(set, info->swap), "fail_on",
		VIPS_FAIL_ON_ERROR, "access", VIPS_ACCESS_SEQUENTIAL, NULL))
		return -1;
	int rc;
	if (in->Type == VIPS_INTERPRETATION_CMYK) {
		rc = vips_thumbnail_image(in, out, thumb_sizes[0].width,
					  "height", thumb_sizes[0].height,
					  "size", VIPS_SIZE_DOWN, NULL);
		g_object_unref(in);
		return rc;
	}
	/* the fit of the upright original, then its unrotated size */
	int ow, oh;
	thumb_fit(info->swap ? set->src_height : set->src_width,
		  info->swap ? set->src_width : set->src_height, 0, false, &ow,
		  &oh);
	int rw = info->swap ? oh : ow, rh = info->swap ? ow : oh;
	rc = vips_resize(in, &r, (double)rw / in->Xsize, "vscale",
			 (double)rh / in->Ysize, "kernel", THUMB_KERNEL, NULL);
	if (!rc)
		rc = vips_autorot(r, &up, NULL);
	if (!rc && info->icc)
		rc =
		    vips_icc_transform(up, out, "srgb", "embedded", TRUE, NULL);
	else if (!rc)
		*out = g_object_ref(up);
	if (up)
		g_object_unref(up);
	if (r)
		g_object_unref(r);
	g_object_unref(in);
	return rc;
}

/* The source loaded and fitted to the largest box, lazily: nothing is
 * decoded until the pixels are asked for. 0 or -1. */
static int load_fitted(VipsSource *src, const src_info *info,
		       const thumb_set *set, VipsImage **out)
{
	if (loaders[info->loader].fmt == THUMB_FMT_JPEG)
		return load_jpeg(src, info, set, out);
	/* Vector art is rendered at the box size; rasters never grow. */
	VipsSize size = loaders[info->loader].fmt == THUMB_FMT_SVG
			    ? VIPS_SIZE_BOTH
			    : VIPS_SIZE_DOWN;
	/* An embedded ICC profile (Display P3, Adobe RGB) is honoured by
	 * converting to sRGB, since the JPEGs carry no profile. Only then:
	 * libvips 8.14 given export_profile for an untagged image runs an
	 * sRGB-to-sRGB transform that moves saturated colours (pure blue
	 * comes out as 85,15,253). */
	if (info->icc)
		return vips_thumbnail_source(
		    src, out, thumb_sizes[0].width, "height",
		    thumb_sizes[0].height, "size", size, "fail_on",
		    VIPS_FAIL_ON_ERROR, "export_profile", "srgb", NULL);
	return vips_thumbnail_source(src, out, thumb_sizes[0].width, "height",
				     thumb_sizes[0].height, "size", size,
				     "fail_on", VIPS_FAIL_ON_ERROR, NULL);
}

/* The source decoded once, shrunk on load to fit the largest box, as 8-bit
 * sRGB (or grey) with alpha flattened onto white, in memory. NULL on
 * failure (set failed). */
static VipsImage *decode_primary(VipsSource *src, const src_info *info,
				 thumb_set *set)
{
	char why[200];
	VipsImage *t = NULL, *u = NULL, *f = NULL, *mem = NULL;
	warnings_reset();
	if (load_fitted(src, info, set, &t))
		goto fail;
	u = t;
	if (t->BandFmt != VIPS_FORMAT_UCHAR) {
		VipsInterpretation to = t->Bands <= 2
					    ? VIPS_INTERPRETATION_B_W
					    : VIPS_INTERPRETATION_sRGB;
		if (vips_colourspace(t, &u, to, NULL))
			goto fail;
	}
	f = u;
	if (vips_image_hasalpha(u)) {
		VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
		int rc = vips_flatten(u, &f, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rc)
			goto fail;
	}
	/* The one decode happens here. */
	mem = vips_image_copy_memory(f);
	if (!mem)
		goto fail;
	char warning[160];
	if (loaders[info->loader].fmt == THUMB_FMT_PNG &&
	    warnings_take(warning, sizeof(warning))) {
		thumb_fail(set, true,
			   "PNG decoding failed: %s (a truncated "
			   "or damaged file)",
			   warning);
		g_object_unref(mem);
		mem = NULL;
	}
	if (f != u)
		g_object_unref(f);
	if (u != t)
		g_object_unref(u);
	g_object_unref(t);
	return mem;
fail:
	warnings_reset();
	thumb_fail(set, true, "%s decoding failed: %s",
		   loaders[info->loader].label, vips_reason(why, sizeof(why)));
	if (f && f != u)
		g_object_unref(f);
	if (u && u != t)
		g_object_unref(u);
	if (t)
		g_object_unref(t);
	return NULL;
}

int thumb_from_image(int fd, unsigned accept, const thumb_limits *lim,
		     thumb_set *set)
{
	char why[200];
	memset(set, 0, sizeof(*set));
	set->frame_s = -1;
	VipsSource *src = vips_source_new_from_descriptor(fd);
	if (!src)
		return thumb_fail(set, false, "libvips source: %s",
				  vips_reason(why, sizeof(why)));
	int rc = -1;
	src_info info = {0};
	VipsImage *primary = NULL;
	if (check_source(src, accept, lim, set, &info) == 0 &&
	    (primary = decode_primary(src, &info, set)) != NULL) {
		/* the primary is a copy in memory: the source may go */
		g_object_unref(src);
		src = NULL;
		rc = thumb_encode(primary, lim, set);
	}
	if (primary)
		g_object_unref(primary);
	if (src)
		g_object_unref(src);
	return rc;
}
