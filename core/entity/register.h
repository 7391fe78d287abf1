/*
 * register.h - turning a declaration (slate/entity.h) into a live entity:
 * checked, copied, its SQL precomputed, its routes added.
 */
#ifndef SLATE_ENTITY_REGISTER_H
#define SLATE_ENTITY_REGISTER_H

#include "entity/engine.h"

/* Register `def` for `owner` ("core" or a plugin id): copies it and adds
 * its routes to core->router. -1 with a reason in err. */
int slate_entity_register(slate_core *core, const char *owner,
			  const slate_entity_def *def, char *err,
			  size_t errlen);

#endif
