/* req_events.c - see req_events.h. */
#include "http/req_events.h"

#include <string.h>

#include "base/core.h"

int slate_req_event_emit(slate_req *r, const char *event, json_t *payload)
{
	if (!r->events)
		r->events = json_array();
	json_t *pair =
	    json_pack("[so]", event, payload ? payload : json_null());
	if (!pair)
		return -1;
	return json_array_append_new(r->events, pair);
}

void slate_req_events_deliver(slate_req *r)
{
	size_t i;
	json_t *pair;
	if (!r->events)
		return;
	json_array_foreach(r->events, i, pair)
	{
		const char *name = json_string_value(json_array_get(pair, 0));
		const json_t *payload = json_array_get(pair, 1);
		for (size_t k = 0; k < r->core->nsubs; k++) {
			const slate_sub *s = &r->core->subs[k];
			if (!strcmp(s->event, name))
				s->fn(name, payload, s->ud);
		}
	}
}
