/* link.h - links between declared entities; see link.c. */
#ifndef SLATE_LINK_H
#define SLATE_LINK_H

#include <slate/entity.h>
#include <stddef.h>

#include "base/core.h"

typedef struct slate_link slate_link;

/* Copy `def` for `owner` and add its four routes. -1 with a reason. */
int slate_link_register(slate_core *core, const char *owner,
			const slate_link_def *def, char *err, size_t errlen);
/* Free every link of the core (at shutdown). */
void slate_links_release(slate_core *core);
/* Drop links added after the core had `n` (a plugin's failed init). */
void slate_links_truncate(slate_core *core, size_t n);

#endif
