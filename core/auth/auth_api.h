/*
 * auth_api.h - the account routes: login, refresh, logout, me (public or
 * any group), and the account list (admin).
 */
#ifndef SLATE_AUTH_API_H
#define SLATE_AUTH_API_H

#include <stddef.h>

#include "base/core.h"

/* Add the routes to core->router (main thread, at start). 0 or -1. */
int slate_auth_api_register(slate_core *core, char *err, size_t errlen);

#endif
