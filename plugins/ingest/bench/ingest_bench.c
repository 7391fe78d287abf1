/*
 * ingest_bench.c - the client side of bench/ingest.sh: drops media files
 * into a watched folder and times, through the API, when their clips
 * become visible.
 *
 *   ingest_bench latency BASE TOKEN DIR MEDIA N
 *     N files one at a time: write, close, note the time, then GET
 *     /api/v1/clips?limit=1 (newest first) every millisecond until the
 *     newest clip is this file's; prints p50, p95 and max of close ->
 *     visible in ms.
 *   ingest_bench burst BASE TOKEN DIR MEDIA N TALENT
 *     N files written as fast as possible, then GET
 *     /api/v1/clips?talent_source=TALENT&limit=1 until metadata.total grew
 *     by N; prints the time from the first close to the last clip visible
 *     and clips per minute.
 *
 * Each file is MEDIA (a real MP4) plus a distinct tag, so each is new
 * content. Output: "key value" lines for the script.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static CURL *curl;
static char auth[2048];
static const char *base_url;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct buf {
	char *data;
	size_t len;
} buf;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	buf *b = ud;
	char *nd = realloc(b->data, b->len + sz * n + 1);
	if (!nd)
		return 0;
	memcpy(nd + b->len, p, sz * n);
	b->len += sz * n;
	nd[b->len] = '\0';
	b->data = nd;
	return sz * n;
}

/* GET path; the parsed answer (new reference) or NULL. */
static json_t *get(const char *path)
{
	char url[1024];
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	buf b = {0};
	struct curl_slist *h = curl_slist_append(NULL, auth);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	CURLcode rc = curl_easy_perform(curl);
	curl_slist_free_all(h);
	json_t *j =
	    rc == CURLE_OK && b.data ? json_loads(b.data, 0, NULL) : NULL;
	free(b.data);
	return j;
}

static unsigned char *media;
static size_t media_len;

static int load_media(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	media = malloc((size_t)n);
	int rc = media && fread(media, 1, (size_t)n, fp) == (size_t)n ? 0 : -1;
	fclose(fp);
	media_len = (size_t)n;
	return rc;
}

/* Write one distinct media file; the time of its close. */
static double drop(const char *path, const char *tag)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, media, media_len) != (ssize_t)media_len ||
	    write(fd, tag, strlen(tag)) != (ssize_t)strlen(tag)) {
		perror(path);
		exit(1);
	}
	close(fd);
	return now_ms();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int latency(const char *dir, int n)
{
	double *lat = calloc((size_t)n, sizeof(double));
	char stamp[32];
	snprintf(stamp, sizeof(stamp), "%ld", (long)time(NULL));
	for (int i = 0; i < n; i++) {
		char path[1024], name[64], tag[128];
		snprintf(name, sizeof(name), "lat-%s-%04d.mp4", stamp, i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(tag, sizeof(tag), "latency %s %d", stamp, i);
		double t0 = drop(path, tag);
		double t1 = 0;
		while (now_ms() - t0 < 30000) {
			json_t *j = get("/api/v1/clips?limit=1");
			const char *key = json_string_value(json_object_get(
			    json_array_get(json_object_get(j, "data"), 0),
			    "file_reference"));
			size_t kl = key ? strlen(key) : 0, nl = strlen(name);
			bool mine = kl > nl && !strcmp(key + kl - nl, name);
			json_decref(j);
			if (mine) {
				t1 = now_ms();
				break;
			}
			usleep(1000);
		}
		if (!t1) {
			fprintf(stderr, "%s: no clip after 30 s\n", name);
			return 1;
		}
		lat[i] = t1 - t0;
		usleep(20000); /* each file on its own */
	}
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	printf("files %d\n", n);
	printf("p50_ms %.1f\n", pct(lat, n, 0.50));
	printf("p95_ms %.1f\n", pct(lat, n, 0.95));
	printf("max_ms %.1f\n", lat[n - 1]);
	free(lat);
	return 0;
}

static long total(const char *talent)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/clips?talent_source=%s&limit=1",
		 talent);
	json_t *j = get(path);
	json_t *t = json_object_get(json_object_get(j, "metadata"), "total");
	long v = json_is_integer(t) ? (long)json_integer_value(t) : -1;
	json_decref(j);
	return v;
}

static int burst(const char *dir, int n, const char *talent)
{
	long before = total(talent);
	if (before < 0) {
		fprintf(stderr, "cannot read the clip count\n");
		return 1;
	}
	char stamp[32];
	snprintf(stamp, sizeof(stamp), "%ld", (long)time(NULL));
	double first = 0, last = 0;
	for (int i = 0; i < n; i++) {
		char path[1024], tag[128];
		snprintf(path, sizeof(path), "%s/burst-%s-%05d.mp4", dir, stamp,
			 i);
		snprintf(tag, sizeof(tag), "burst %s %d", stamp, i);
		last = drop(path, tag);
		if (!i)
			first = last;
	}
	double done = 0;
	long got = before;
	while (now_ms() - first < 600000) {
		got = total(talent);
		if (got >= before + n) {
			done = now_ms();
			break;
		}
		usleep(10000);
	}
	if (!done) {
		fprintf(stderr, "only %ld of %d clips after 600 s\n",
			got - before, n);
		return 1;
	}
	double s = (done - first) / 1e3;
	printf("files %d\n", n);
	printf("write_s %.2f\n", (last - first) / 1e3);
	printf("all_visible_s %.2f\n", s);
	printf("clips_per_min %.0f\n", n / s * 60);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 7 ||
	    (strcmp(argv[1], "latency") && strcmp(argv[1], "burst")) ||
	    (!strcmp(argv[1], "burst") && argc < 8)) {
		fprintf(stderr,
			"usage: %s latency|burst BASE TOKEN DIR MEDIA N "
			"[TALENT]\n",
			argv[0]);
		return 2;
	}
	base_url = argv[2];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
	int n = atoi(argv[6]);
	if (n < 1 || load_media(argv[5])) {
		fprintf(stderr, "bad N or media file\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	int rc = !strcmp(argv[1], "latency") ? latency(argv[4], n)
					     : burst(argv[4], n, argv[7]);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	free(media);
	return rc;
}
