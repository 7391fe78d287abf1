/*
 * audit_api.h - GET /api/v1/audit-log (admin): the audit rows, filtered,
 * newest first, paginated.
 */
#ifndef SLATE_AUDIT_API_H
#define SLATE_AUDIT_API_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes to core->router (main thread, at start). 0 or -1. */
int slate_audit_api_register(slate_core *core, char *err, size_t errlen);

#endif
