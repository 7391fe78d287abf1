/*
 * thumb_render.h - the seed's three JPEG thumbnails from one image or one
 * video, with no host in sight: the plugin's job handler and the bench
 * program (thumb_bench.c) run exactly this code.
 *
 * One decode per source. An image is decoded once, shrunk on load by
 * libvips to fit the largest box (1280x720), flattened onto white and kept
 * in memory; the two smaller sizes are made from that. A video gets one
 * representative frame from FFmpeg, scaled by swscale straight to the
 * largest size, and the same two smaller sizes from it.
 *
 * Every size fits inside its box keeping the aspect ratio; raster sources
 * are never enlarged (a 800x600 photo gives 800x600, 480x360, 240x180),
 * SVG is vector and is rendered to fill the box. The medium and small
 * sizes are fits of the primary, rounded to the nearest pixel.
 *
 * Sources are hostile. libvips runs with its untrusted-operation block on
 * plus an allowlist of exactly the loaders a file kind may use, and a
 * source whose header declares more pixels than a limit is refused before
 * any pixel is decoded. FFmpeg opens local files only (protocol whitelist
 * "file"), with the demuxers of the upload types only.
 */
#ifndef THUMB_RENDER_H
#define THUMB_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THUMB_NSIZES 3

/* One size variant: its name in the thumbnails table and its box. */
typedef struct thumb_size {
	const char *name;
	int width, height;
} thumb_size;

/* primary 1280x720, medium 640x360, small 320x180, largest first. */
extern const thumb_size thumb_sizes[THUMB_NSIZES];

/* Which image formats a source may be; anything else is refused. */
#define THUMB_FMT_JPEG 0x1u
#define THUMB_FMT_PNG 0x2u
#define THUMB_FMT_WEBP 0x4u
#define THUMB_FMT_SVG 0x8u

typedef struct thumb_limits {
	uint64_t max_pixels; /* header width x height above this: refused */
	int quality;	     /* JPEG quality, 1 to 100 */
	int threads;	     /* FFmpeg decoder threads */
} thumb_limits;

/* The three JPEGs of one source, or why there are none. */
typedef struct thumb_set {
	void *jpeg[THUMB_NSIZES]; /* owned: thumb_set_release frees them */
	size_t len[THUMB_NSIZES];
	int width[THUMB_NSIZES], height[THUMB_NSIZES];
	int src_width, src_height; /* as decoded (video: the frame) */
	double frame_s;		   /* video: the frame's time; -1 for images */
	bool rejected;		   /* failed for good: the input's fault */
	char error[300];	   /* why it failed */
} thumb_set;

/* Start libvips once per process with the untrusted-input block, the loader
 * allowlist, no operation cache and `concurrency` threads; later calls do
 * nothing. 0, or -1 with the reason in err. Call it only where media is
 * decoded (worker processes, the bench), never in the API process. */
int thumb_setup(int concurrency, char *err, size_t errlen);
/* Stop libvips if thumb_setup started it (at exit). */
void thumb_teardown(void);

/* The three sizes of the image that can be read from `fd` (the caller
 * keeps and closes it), which must be one of the formats in `accept`
 * (THUMB_FMT_*). 0 with *set filled, or -1 with set->error (and
 * set->rejected when the input can never work). Release *set either way. */
int thumb_from_image(int fd, unsigned accept, const thumb_limits *lim,
		     thumb_set *set);

/* The three sizes of a representative frame of the video in `fd` (kept by
 * the caller): the first frame, sampled near 10%, 25%, 50% and 75% of the
 * duration, that is neither black nor blank, or the most detailed of them.
 * A sample takes the keyframe up to 2 s before its time when that is a
 * frame not judged yet (one frame to decode), else the first frame at or
 * after its time. Same contract as thumb_from_image. */
int thumb_from_video(int fd, const thumb_limits *lim, thumb_set *set);

/* Free the JPEGs; *set may then be reused. */
void thumb_set_release(thumb_set *set);

/* Internal to the two renderers: fail `set` with a printf-style reason,
 * `rejected` telling whether the input is at fault. Always -1. */
int thumb_fail(thumb_set *set, bool rejected, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Internal: the size fitting w x h inside thumb_sizes[size]'s box keeping
 * the aspect ratio, rounded to the nearest pixel (halves up, at least 1);
 * never larger than w x h unless `enlarge`. */
void thumb_fit(double w, double h, int size, bool enlarge, int *ow, int *oh);

/* Internal: the three JPEGs from `primary` (a VipsImage already fitted to
 * the largest box, 8-bit, no alpha), which the caller keeps. 0 or -1. */
struct _VipsImage;
int thumb_encode(struct _VipsImage *primary, const thumb_limits *lim,
		 thumb_set *set);

#endif
