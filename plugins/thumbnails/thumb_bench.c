/*
 * thumb_bench.c - the plugin's own thumbnail code (thumb_image.c,
 * thumb_video.c) timed on one file, for bench/thumbnails.sh.
 *
 *   thumb_bench image|video FILE SETS [CONCURRENCY [THREADS [OUTDIR]]]
 *
 * Makes one warm-up set, then SETS sets of the three sizes from FILE (each
 * set opens the file, decodes once, encodes three JPEGs), and prints one
 * line per set: "set <n> wall_s <s> cpu_s <s>", CPU being user + system
 * time of every thread (getrusage). With OUTDIR the warm-up's JPEGs are
 * written there as primary.jpg, medium.jpg and small.jpg.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "thumb_render.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One set from `path`. 0 or -1 (reason printed). */
static int one_set(const char *mode, const char *path, const thumb_limits *lim,
		   thumb_set *set)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	int rc = strcmp(mode, "video") == 0
		     ? thumb_from_video(fd, lim, set)
		     : thumb_from_image(fd,
					THUMB_FMT_JPEG | THUMB_FMT_PNG |
					    THUMB_FMT_WEBP | THUMB_FMT_SVG,
					lim, set);
	close(fd);
	if (rc)
		fprintf(stderr, "thumb_bench: %s: %s\n", path, set->error);
	return rc;
}

static int write_set(const char *dir, const thumb_set *set)
{
	for (int i = 0; i < THUMB_NSIZES; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s.jpg", dir, thumb_sizes[i].name);
		FILE *f = fopen(p, "wb");
		if (!f ||
		    fwrite(set->jpeg[i], 1, set->len[i], f) != set->len[i]) {
			perror(p);
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 ||
	    (strcmp(argv[1], "image") && strcmp(argv[1], "video"))) {
		fprintf(stderr,
			"usage: %s image|video FILE SETS [CONCURRENCY "
			"[THREADS [OUTDIR]]]\n",
			argv[0]);
		return 2;
	}
	int sets = atoi(argv[3]);
	int conc = argc > 4 ? atoi(argv[4]) : 1;
	thumb_limits lim = {.max_pixels = 100000000,
			    .quality = 80,
			    .threads = argc > 5 ? atoi(argv[5]) : 1};
	char err[256];
	if (thumb_setup(conc, err, sizeof(err))) {
		fprintf(stderr, "thumb_bench: %s\n", err);
		return 1;
	}
	thumb_set set;
	if (one_set(argv[1], argv[2], &lim, &set))
		return 1;
	printf("sizes");
	for (int i = 0; i < THUMB_NSIZES; i++)
		printf(" %s=%dx%d/%zuB", thumb_sizes[i].name, set.width[i],
		       set.height[i], set.len[i]);
	if (set.frame_s >= 0)
		printf(" frame_s=%.3f", set.frame_s);
	printf("\n");
	if (argc > 6 && write_set(argv[6], &set))
		return 1;
	thumb_set_release(&set);
	for (int n = 1; n <= sets; n++) {
		double w0 = now_s(), c0 = cpu_s();
		if (one_set(argv[1], argv[2], &lim, &set))
			return 1;
		double w = now_s() - w0, c = cpu_s() - c0;
		thumb_set_release(&set);
		printf("set %d wall_s %.4f cpu_s %.4f\n", n, w, c);
	}
	return 0;
}
