/* validate.c - see validate.h. */
#include "http/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "http/request.h"

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool valid_ymd(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return false;
	int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

bool slate_valid_date(const char *s)
{
	return strlen(s) == 10 && valid_ymd(s);
}

bool slate_valid_timestamp(const char *s)
{
	size_t len = strlen(s);
	if (len < 20 || !valid_ymd(s) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return false;
	const char *t = s + 11;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' ||
	    !digits(t + 6, 2))
		return false;
	if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 60)
		return false;
	const char *p = t + 8;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			p++;
			n++;
		}
		if (n == 0 || n > 9)
			return false;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' &&
	    digits(p + 4, 2) && p[6] == '\0')
		return num(p + 1, 2) <= 23 && num(p + 4, 2) <= 59;
	return false;
}

bool slate_valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	size_t len = strlen(s);
	if (!at || at == s || strchr(at + 1, '@') || len > 254)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == ',' || *p == ';' || *p == '"' || *p == '\\')
			return false;
	const char *dom = at + 1;
	const char *dot = strrchr(dom, '.');
	return dot && dot > dom && dot[1] && dom[0] != '.' &&
	       !strstr(dom, "..") && dom[strlen(dom) - 1] != '.';
}

bool slate_valid_url(const char *s)
{
	const char *host;
	if (!strncasecmp(s, "https://", 8))
		host = s + 8;
	else if (!strncasecmp(s, "http://", 7))
		host = s + 7;
	else
		return false;
	if (!*host || *host == '/' || *host == ':' || *host == '.')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '\\')
			return false;
	return strlen(s) <= 2048;
}

bool slate_valid_phone(const char *s)
{
	int nd = 0;
	const char *p = s;
	if (*p == '+')
		p++;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			nd++;
		else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')' &&
			 *p != '.')
			return false;
	}
	return nd >= 7 && nd <= 15;
}

bool slate_valid_language(const char *s)
{
	/* BCP 47 shape: 2-3 letter primary tag, then 1-8 alnum subtags. */
	const char *p = s;
	int n = 0;
	while (isalpha((unsigned char)*p)) {
		p++;
		n++;
	}
	if (n < 2 || n > 3)
		return false;
	while (*p == '-') {
		p++;
		n = 0;
		while (isalnum((unsigned char)*p)) {
			p++;
			n++;
		}
		if (n < 1 || n > 8)
			return false;
	}
	return *p == '\0';
}

static bool valid_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) ||
		      isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int check_text(const slate_field *f, const char *s, char *msg,
		      size_t msglen)
{
	if (f->max_len && slate_utf8_len(s) > f->max_len) {
		snprintf(msg, msglen, "must be at most %u characters",
			 f->max_len);
		return -1;
	}
	if (f->one_of) {
		bool found = false;
		for (int i = 0; f->one_of[i]; i++)
			found |= !strcmp(f->one_of[i], s);
		if (!found) {
			char list[256] = "";
			for (int i = 0; f->one_of[i]; i++) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%s",
					 i ? ", " : "", f->one_of[i]);
			}
			snprintf(msg, msglen, "must be one of: %s", list);
			return -1;
		}
	}
	static const char *const check_msg[] = {
	    NULL,
	    "must be a valid email address",
	    "must be an http or https URL",
	    "must be a phone number (7 to 15 digits, optional +)",
	    "must be a language tag such as en-US",
	    "must contain only a-z, 0-9, _ and -",
	};
	bool ok = true;
	switch (f->check) {
	case SLATE_CHECK_NONE:
		break;
	case SLATE_CHECK_EMAIL:
		ok = slate_valid_email(s);
		break;
	case SLATE_CHECK_URL:
		ok = slate_valid_url(s);
		break;
	case SLATE_CHECK_PHONE:
		ok = slate_valid_phone(s);
		break;
	case SLATE_CHECK_LANGUAGE:
		ok = slate_valid_language(s);
		break;
	case SLATE_CHECK_IDENT:
		ok = valid_ident(s);
		break;
	}
	if (!ok) {
		snprintf(msg, msglen, "%s", check_msg[f->check]);
		return -1;
	}
	return 0;
}

int slate_validate_value(const slate_field *f, const json_t *v, char *msg,
			 size_t msglen)
{
	if (json_is_null(v)) {
		if (f->flags & (SLATE_F_NOT_NULL | SLATE_F_REQUIRED)) {
			snprintf(msg, msglen, "must not be null");
			return -1;
		}
		return 0;
	}
	switch (f->type) {
	case SLATE_T_TEXT:
		if (!json_is_string(v)) {
			snprintf(msg, msglen, "must be a string");
			return -1;
		}
		return check_text(f, json_string_value(v), msg, msglen);
	case SLATE_T_INT:
	case SLATE_T_BIGINT: {
		if (!json_is_integer(v)) {
			snprintf(msg, msglen, "must be an integer");
			return -1;
		}
		json_int_t i = json_integer_value(v);
		int64_t lo = f->type == SLATE_T_INT ? INT32_MIN : INT64_MIN;
		int64_t hi = f->type == SLATE_T_INT ? INT32_MAX : INT64_MAX;
		if (f->min <
		    f->max) { /* narrows the type's range, never widens */
			lo = f->min > lo ? f->min : lo;
			hi = f->max < hi ? f->max : hi;
		}
		if (i < lo || i > hi) {
			snprintf(msg, msglen, "must be between %lld and %lld",
				 (long long)lo, (long long)hi);
			return -1;
		}
		return 0;
	}
	case SLATE_T_NUMERIC:
		if (!json_is_number(v)) {
			snprintf(msg, msglen, "must be a number");
			return -1;
		}
		return 0;
	case SLATE_T_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(msg, msglen, "must be true or false");
			return -1;
		}
		return 0;
	case SLATE_T_DATE:
		if (!json_is_string(v) ||
		    !slate_valid_date(json_string_value(v))) {
			snprintf(msg, msglen, "must be a date as YYYY-MM-DD");
			return -1;
		}
		return 0;
	case SLATE_T_TIMESTAMPTZ:
		if (!json_is_string(v) ||
		    !slate_valid_timestamp(json_string_value(v))) {
			snprintf(msg, msglen,
				 "must be an RFC 3339 timestamp such as "
				 "2025-12-31T12:00:00Z");
			return -1;
		}
		return 0;
	case SLATE_T_UUID:
		if (!json_is_string(v) ||
		    !slate_uuid_valid(json_string_value(v))) {
			snprintf(msg, msglen, "must be a UUID");
			return -1;
		}
		return 0;
	case SLATE_T_TEXT_ARRAY: {
		size_t i;
		json_t *e;
		if (!json_is_array(v)) {
			snprintf(msg, msglen, "must be an array of strings");
			return -1;
		}
		if (json_array_size(v) > 1000) {
			snprintf(msg, msglen, "must have at most 1000 items");
			return -1;
		}
		json_array_foreach((json_t *)v, i, e)
		{
			if (!json_is_string(e)) {
				snprintf(msg, msglen,
					 "must be an array of strings");
				return -1;
			}
			if (check_text(f, json_string_value(e), msg, msglen))
				return -1;
		}
		return 0;
	}
	case SLATE_T_JSON_OBJECT:
		if (!json_is_object(v)) {
			snprintf(msg, msglen, "must be a JSON object");
			return -1;
		}
		return 0;
	case SLATE_T_JSON_ARRAY:
		if (!json_is_array(v)) {
			snprintf(msg, msglen, "must be a JSON array");
			return -1;
		}
		return 0;
	}
	snprintf(msg, msglen, "has an unsupported type");
	return -1;
}

static const slate_field *find_field(const slate_field *fields, size_t n,
				     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

int slate_validate_object(slate_req *req, const json_t *body,
			  const slate_field *fields, size_t n,
			  slate_validate_mode mode)
{
	int errors = 0;
	char msg[300];
	if (!json_is_object(body)) {
		slate_res_error(req, 400, "VALIDATION_ERROR", NULL,
				"The request body must be a JSON object");
		return 1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		const slate_field *f = find_field(fields, n, key);
		if (!f) {
			slate_res_error(req, 400, "VALIDATION_ERROR", key,
					"Unknown field '%s'", key);
			errors++;
			continue;
		}
		if (f->flags & SLATE_F_READONLY) {
			slate_res_error(req, 400, "VALIDATION_ERROR", key,
					"'%s' is set by the server and cannot "
					"be written",
					key);
			errors++;
			continue;
		}
		if (mode == SLATE_VALIDATE_PATCH &&
		    (f->flags & SLATE_F_IMMUTABLE)) {
			slate_res_error(req, 400, "VALIDATION_ERROR", key,
					"'%s' cannot be changed after creation",
					key);
			errors++;
			continue;
		}
		if (slate_validate_value(f, v, msg, sizeof(msg))) {
			slate_res_error(req, 400, "VALIDATION_ERROR", key,
					"'%s' %s", key, msg);
			errors++;
		}
	}
	if (mode == SLATE_VALIDATE_CREATE) {
		for (size_t i = 0; i < n; i++) {
			const slate_field *f = &fields[i];
			if (!(f->flags & SLATE_F_REQUIRED))
				continue;
			json_t *fv = json_object_get(body, f->name);
			if (!fv) {
				slate_res_error(req, 400, "VALIDATION_ERROR",
						f->name, "'%s' is required",
						f->name);
				errors++;
			}
		}
	}
	if (mode == SLATE_VALIDATE_PATCH && json_object_size(body) == 0) {
		slate_res_error(req, 400, "VALIDATION_ERROR", NULL,
				"The body names no field to update");
		errors++;
	}
	return errors;
}

slate_field *slate_fields_import(const slate_field *src, size_t n,
				 size_t elem_size, char *err, size_t errlen)
{
	if (elem_size < offsetof(slate_field, flags) + sizeof(uint32_t)) {
		snprintf(err, errlen, "field element size %zu is too small",
			 elem_size);
		return NULL;
	}
	slate_field *out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	size_t copy =
	    elem_size < sizeof(slate_field) ? elem_size : sizeof(slate_field);
	for (size_t i = 0; i < n; i++) {
		memcpy(&out[i], (const char *)src + i * elem_size, copy);
		if (!slate_ident_valid(out[i].name)) {
			snprintf(err, errlen,
				 "field %zu: name '%s' is not an "
				 "identifier [a-z_][a-z0-9_]*",
				 i, out[i].name ? out[i].name : "(null)");
			free(out);
			return NULL;
		}
		if (out[i].type < SLATE_T_TEXT ||
		    out[i].type > SLATE_T_NUMERIC) {
			snprintf(err, errlen, "field %s: unknown type %d",
				 out[i].name, (int)out[i].type);
			free(out);
			return NULL;
		}
		if ((unsigned)out[i].check > SLATE_CHECK_IDENT) {
			snprintf(err, errlen, "field %s: unknown check %d",
				 out[i].name, (int)out[i].check);
			free(out);
			return NULL;
		}
	}
	return out;
}
