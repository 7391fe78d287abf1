/*
 * dispatch.h - running a matched route: rate limit, authentication, input
 * checks, the handler in its transaction, the response. The one place that
 * sits above request, auth, rate limit and validation.
 */
#ifndef SLATE_DISPATCH_H
#define SLATE_DISPATCH_H

#include "http/request.h"

/* Run the matched route on the current (worker) thread: the API rate
 * limit, authentication against the route's permission, the body and query
 * checks, then transaction, handler, commit or rollback, events, and build
 * r->response. */
void slate_req_execute(slate_req *r);

/* Parse and check the body and query against the route (done after
 * authentication, so an anonymous caller learns nothing of the input
 * rules). Errors are added to the request. */
void slate_req_check_input(slate_req *r);

#endif
