/*
 * admin_api.h - what an admin asks of the running process itself:
 * GET /api/v1/admin/routes (the route table with permission and owner; the
 * permission matrix test's source of truth) and GET /api/v1/admin/plugins
 * (each plugin found, its state and the reason for a refusal).
 */
#ifndef SLATE_ADMIN_API_H
#define SLATE_ADMIN_API_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes to core->router (main thread, at start). 0 or -1. */
int slate_admin_api_register(slate_core *core, char *err, size_t errlen);

#endif
