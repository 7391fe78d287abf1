/*
 * validate.h - checking a JSON object against declared fields (slate/entity.h)
 * so that every route and entity reports bad input the same way: one
 * VALIDATION_ERROR per problem, each naming its field.
 */
#ifndef SLATE_VALIDATE_H
#define SLATE_VALIDATE_H

#include <slate/entity.h>
#include <slate/host.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum slate_validate_mode {
	SLATE_VALIDATE_CREATE = 1, /* required fields must be there */
	SLATE_VALIDATE_PATCH,	   /* any non-empty subset; no immutables */
	SLATE_VALIDATE_REPLACE,	   /* any subset, nothing required */
} slate_validate_mode;

/* Append one error per problem to `req`; returns how many were found. */
int slate_validate_object(slate_req *req, const json_t *body,
			  const slate_field *fields, size_t n,
			  slate_validate_mode mode);

/* Check one value against its field. 0, or -1 with a message (which does not
 * repeat the field name) in msg. */
int slate_validate_value(const slate_field *f, const json_t *v, char *msg,
			 size_t msglen);

/* Format checks, exposed for the tests. */
bool slate_valid_date(const char *s);
bool slate_valid_timestamp(const char *s);
bool slate_valid_email(const char *s);
bool slate_valid_url(const char *s);
bool slate_valid_phone(const char *s);
bool slate_valid_language(const char *s);

/* Copy a plugin's field array (element size `elem_size`) into a new array
 * in the host's layout, zero-filling members the plugin did not know.
 * NULL when out of memory or when a field is malformed (reason in err). */
slate_field *slate_fields_import(const slate_field *src, size_t n,
				 size_t elem_size, char *err, size_t errlen);

#endif
