/* hash_sha256.c - see hash_sha256.h. */
#include "hash_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until `done` bytes since `t0` keep to `rate` bytes per second. */
static void throttle(double t0, uint64_t done, uint64_t rate)
{
	double ahead = (double)done / (double)rate - (now_s() - t0);
	if (ahead <= 0)
		return;
	struct timespec ts = {
	    .tv_sec = (time_t)ahead,
	    .tv_nsec = (long)((ahead - (double)(time_t)ahead) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int hash_sha256_fd(int fd, uint64_t max_bytes_per_s, unsigned char digest[32],
		   uint64_t *bytes)
{
	/* The kernel may read ahead harder for a sequential reader; advice
	 * only, so its failure (a pipe, a tmpfs) changes nothing. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	unsigned char *buf = malloc(HASH_CHUNK);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1, err = ENOMEM;
	uint64_t total = 0;
	if (!buf || !ctx)
		goto out;
	err = EPROTO;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	double t0 = now_s();
	for (;;) {
		ssize_t n = read(fd, buf, HASH_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			err = EPROTO;
			goto out;
		}
		total += (uint64_t)n;
		if (max_bytes_per_s)
			throttle(t0, total, max_bytes_per_s);
	}
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(ctx, digest, &len) != 1 || len != 32) {
		err = EPROTO;
		goto out;
	}
	*bytes = total;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (rc)
		errno = err;
	return rc;
}

void hash_hex(const unsigned char digest[32], char out[65])
{
	static const char hexd[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hexd[digest[i] >> 4];
		out[2 * i + 1] = hexd[digest[i] & 15];
	}
	out[64] = '\0';
}
