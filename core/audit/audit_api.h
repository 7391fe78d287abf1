/*
 * audit_api.h - admin reading routes: GET /api/v1/audit-log (filtered,
 * newest first, paginated), GET /api/v1/admin/routes (the route table, the
 * permission matrix test's source of truth) and GET /api/v1/admin/plugins.
 */
#ifndef SLATE_AUDIT_API_H
#define SLATE_AUDIT_API_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes to core->router (main thread, at start). 0 or -1. */
int slate_audit_api_register(slate_core *core, char *err, size_t errlen);

#endif
