/*
 * hash_bench.c - SHA-256 of one file with the hash plugin's own routine
 * (plugins/hash/hash_sha256.c), for bench/hash.sh.
 *
 * Usage: hash_bench FILE. Prints "<hex>  <bytes> <seconds> <MB/s>": the
 * digest first, so the script can check it against openssl's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash_sha256.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct timespec a, b;
	unsigned char d[32];
	uint64_t n = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rc = hash_sha256_fd(fd, 0, d, &n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	if (rc) {
		perror("hash");
		return 1;
	}
	char hex[65];
	hash_hex(d, hex);
	double s = (double)(b.tv_sec - a.tv_sec) +
		   (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%s  %llu %.6f %.1f\n", hex, (unsigned long long)n, s,
	       (double)n / 1e6 / s);
	return 0;
}
