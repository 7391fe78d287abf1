/*
 * envelope.h - the seed's response envelope and the libmicrohttpd response
 * built from a finished request.
 */
#ifndef SLATE_ENVELOPE_H
#define SLATE_ENVELOPE_H

#include "http/request.h"

/* Build r->response from whatever the request holds (also used for errors
 * answered on the I/O thread). 0 or -1. */
int slate_req_build_response(slate_req *r);

/* The response body in the seed's envelope: {"data": ...} or {"errors":
 * [...]} plus "metadata". New string (free()), NULL when out of memory. */
char *slate_req_envelope(slate_req *r, size_t *len);

#endif
