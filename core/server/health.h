/*
 * health.h - GET /health (public): the process answers and its database
 * does; load balancers and the systemd unit poll it.
 */
#ifndef SLATE_HEALTH_H
#define SLATE_HEALTH_H

#include <stddef.h>

#include "base/core.h"

/* Add the route to core->router (main thread, at start). 0, or -1 with a
 * reason in err. */
int slate_health_register(slate_core *core, char *err, size_t errlen);

#endif
