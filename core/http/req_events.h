/*
 * req_events.h - events a request emits, held until its change has
 * committed and then delivered to the subscribers of the core registry.
 */
#ifndef SLATE_REQ_EVENTS_H
#define SLATE_REQ_EVENTS_H

#include "http/request.h"

int slate_req_event_emit(slate_req *r, const char *event, json_t *payload);

/* Deliver the queued events to the subscribers (after commit). */
void slate_req_events_deliver(slate_req *r);

#endif
