/* http_server.h - the HTTP front: libmicrohttpd plus the worker pool. */
#ifndef SLATE_HTTP_SERVER_H
#define SLATE_HTTP_SERVER_H

#include <stddef.h>

#include "base/core.h"

typedef struct slate_http slate_http;

/* Listen on cfg->bind:cfg->port and serve core->router. -1 with a reason. */
int slate_http_start(slate_core *core, slate_http **out, char *err,
		     size_t errlen);
/* Stop accepting, finish the requests in flight, and free. NULL is fine. */
void slate_http_stop(slate_http *h);
/* The port actually bound (useful with port 0). */
unsigned slate_http_port(const slate_http *h);

#endif
