/*
 * audit.h - rows of audit_log, written on the request's connection inside its
 * transaction, so a change and its audit rows commit or vanish together.
 */
#ifndef SLATE_AUDIT_H
#define SLATE_AUDIT_H

#include <jansson.h>
#include <slate/host.h>

/* One row: the caller's identity, IP and user agent are taken from `req`.
 * field, old_value, new_value may be NULL. 0, or -1 (the transaction is then
 * doomed: the handler must fail the request). */
int slate_audit_write(slate_req *req, const char *entity_type,
		      const char *entity_id, const char *action,
		      const char *field, const char *old_value,
		      const char *new_value);

/* The text stored for a JSON value in old_value/new_value: strings as they
 * are, null as SQL NULL (returns NULL), anything else as compact JSON.
 * The result is allocated from the request. */
const char *slate_audit_text(slate_req *req, const json_t *v);

#endif
