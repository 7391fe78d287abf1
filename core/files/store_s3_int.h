/*
 * store_s3_int.h - the S3 store's state, shared by the files of the S3
 * backend (store_s3*.c) and by nothing else.
 */
#ifndef SLATE_FILES_STORE_S3_INT_H
#define SLATE_FILES_STORE_S3_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "files/store.h"

typedef struct s3_store {
	slate_store base;
	char *scheme;	/* "http", "https" */
	char *hostport; /* as in the endpoint: "127.0.0.1:9000" */
	char *host;	/* the Host header: hostport less a default port */
	char *region, *bucket, *access_key, *secret_key;
	bool path_style;
	size_t part_size;
	char sigv4[160];
} s3_store;

typedef struct s3_writer {
	slate_store_writer base;
	int fd; /* unlinked temporary file */
	char *key, *content_type;
	uint64_t want, got;
} s3_writer;

#endif
