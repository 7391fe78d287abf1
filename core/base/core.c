/* core.c - see core.h. */
#include "base/core.h"

#include <stdlib.h>
#include <string.h>

void slate_core_init(slate_core *core, slate_config *cfg)
{
	memset(core, 0, sizeof(*core));
	core->cfg = cfg;
}

void slate_core_release(slate_core *core)
{
	for (size_t i = 0; i < core->nsubs; i++)
		free(core->subs[i].event);
	free(core->subs);
	core->subs = NULL;
	core->nsubs = 0;
}

int slate_core_subscribe(slate_core *core, const char *owner, const char *event,
			 slate_event_fn fn, void *ud)
{
	if (!event || !fn)
		return -1;
	slate_sub *subs =
	    realloc(core->subs, (core->nsubs + 1) * sizeof(*subs));
	if (!subs)
		return -1;
	core->subs = subs;
	slate_sub *s = &subs[core->nsubs];
	s->event = strdup(event);
	if (!s->event)
		return -1;
	s->fn = fn;
	s->ud = ud;
	s->owner = owner;
	core->nsubs++;
	return 0;
}
