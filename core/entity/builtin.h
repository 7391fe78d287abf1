/* builtin.h - shows and episodes, the only domain the core knows. */
#ifndef SLATE_ENTITY_BUILTIN_H
#define SLATE_ENTITY_BUILTIN_H

#include <stddef.h>

#include "base/core.h"

/* Declare shows and episodes. -1 with a reason in err. */
int slate_core_entities_register(slate_core *core, char *err, size_t errlen);

#endif
