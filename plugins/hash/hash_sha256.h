/*
 * hash_sha256.h - SHA-256 of a whole file descriptor, streamed.
 *
 * Kept apart from the plugin so that bench/hash_bench.c measures exactly the
 * code the plugin runs.
 */
#ifndef HASH_SHA256_H
#define HASH_SHA256_H

#include <stdint.h>

/* Bytes read per call: large enough that the syscall cost vanishes beside
 * the digest, small enough that what read() copied is still in L2 when
 * SHA-256 reads it. Measured with bench/hash.sh on a 512 KiB-L2 core:
 * 128 KiB ran at about 1.1x `openssl dgst`, 1 MiB at 0.7x (the copy
 * evicts itself before it is hashed). */
#define HASH_CHUNK (128u * 1024u)

/* Read `fd` from its current offset to end of file and hash it into
 * digest[32]; *bytes gets how many bytes were read. `max_bytes_per_s`
 * limits the read rate (0: no limit) for stores that other readers share.
 * The caller keeps and closes fd. 0, or -1 with errno set (a read error,
 * ENOMEM, or EPROTO when OpenSSL fails). */
int hash_sha256_fd(int fd, uint64_t max_bytes_per_s, unsigned char digest[32],
		   uint64_t *bytes);

/* Lowercase hex of a digest into out[65]. */
void hash_hex(const unsigned char digest[32], char out[65]);

#endif
