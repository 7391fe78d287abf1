/*
 * buf.h - a growable string, for building SQL text and small documents.
 * Modelled on git's strbuf: `len` is always the string length and the data
 * is always NUL-terminated. A failed allocation sets `oom`; later appends do
 * nothing, and the caller checks once at the end.
 */
#ifndef SLATE_BUF_H
#define SLATE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct slate_buf {
	char *data;
	size_t len, cap;
	bool oom;
} slate_buf;

#define SLATE_BUF_INIT                                                         \
	{                                                                      \
		NULL, 0, 0, false                                              \
	}

void slate_buf_add(slate_buf *b, const char *s);
void slate_buf_addn(slate_buf *b, const char *s, size_t n);
void slate_buf_addf(slate_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the string over to the caller (free() it); the buffer is reset. */
char *slate_buf_detach(slate_buf *b);
void slate_buf_release(slate_buf *b);

#endif
