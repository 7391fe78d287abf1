/* host_api.h - the function table handed to plugins (slate/host.h). */
#ifndef SLATE_HOST_API_H
#define SLATE_HOST_API_H

#include <slate/host.h>

/* The one table, static and const: valid for the life of the process. */
const slate_host *slate_host_table(void);

#endif
