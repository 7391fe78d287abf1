/*
 * fuzz_json_body.c - a request body as slated reads it: the bounded JSON
 * parser, then field-by-field validation against a declaration that uses
 * every field type and format, in the three modes.
 */
#include "base/json_body.h"
#include "fuzz.h"
#include "http/request.h"
#include "http/validate.h"

static const char *const statuses[] = {"draft", "approved", NULL};

static const slate_field fields[] = {
    {.name = "name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_NOT_NULL,
     .max_len = 50},
    {.name = "status", .type = SLATE_T_TEXT, .one_of = statuses},
    {.name = "count", .type = SLATE_T_INT, .min = 0, .max = 100},
    {.name = "big", .type = SLATE_T_BIGINT},
    {.name = "ratio", .type = SLATE_T_NUMERIC},
    {.name = "flag", .type = SLATE_T_BOOL},
    {.name = "id", .type = SLATE_T_UUID, .flags = SLATE_F_IMMUTABLE},
    {.name = "day", .type = SLATE_T_DATE},
    {.name = "at", .type = SLATE_T_TIMESTAMPTZ},
    {.name = "made", .type = SLATE_T_TIMESTAMPTZ, .flags = SLATE_F_READONLY},
    {.name = "tags", .type = SLATE_T_TEXT_ARRAY},
    {.name = "meta", .type = SLATE_T_JSON_OBJECT},
    {.name = "list", .type = SLATE_T_JSON_ARRAY},
    {.name = "mail", .type = SLATE_T_TEXT, .check = SLATE_CHECK_EMAIL},
    {.name = "site", .type = SLATE_T_TEXT, .check = SLATE_CHECK_URL},
    {.name = "phone", .type = SLATE_T_TEXT, .check = SLATE_CHECK_PHONE},
    {.name = "lang", .type = SLATE_T_TEXT, .check = SLATE_CHECK_LANGUAGE},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *body =
	    slate_json_parse((const char *)data, size, 32, err, sizeof(err));
	if (!body)
		return 0;
	for (int mode = SLATE_VALIDATE_CREATE; mode <= SLATE_VALIDATE_REPLACE;
	     mode++) {
		slate_req *r = slate_req_new(NULL);
		if (!r)
			break;
		slate_validate_object(r, body, fields,
				      sizeof(fields) / sizeof(fields[0]),
				      (slate_validate_mode)mode);
		slate_req_free(r);
	}
	json_decref(body);
	return 0;
}
