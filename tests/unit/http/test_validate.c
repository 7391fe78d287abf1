/* test_validate.c - core/validate.h: values, objects, format checks and
 * importing a plugin's field array. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "http/validate.h"
#include "unit.h"

/* A field of `type` with nothing else declared. */
static slate_field field(slate_type type)
{
	slate_field f;
	memset(&f, 0, sizeof(f));
	f.name = "f";
	f.type = type;
	return f;
}

/* Validate `json` (a JSON text, steals nothing) against `f`: 0 or -1. */
static int check(const slate_field *f, const char *json)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
	if (!v) {
		fprintf(stderr, "bad test JSON %s: %s\n", json, jerr.text);
		return -2;
	}
	char msg[300] = "";
	int rc = slate_validate_value(f, v, msg, sizeof(msg));
	if (rc && !msg[0])
		rc = -3; /* a refusal must say why */
	json_decref(v);
	return rc;
}

/* The wrong JSON kinds for each type, as texts. */
static const char *const kinds[] = {
    "\"s\"", "1", "1.5", "true", "[]", "{}", "[\"a\"]", NULL,
};

/* Assert that among `kinds`, exactly those in `ok` (a NULL-terminated list)
 * pass for a field of `type`. */
static void check_kinds(slate_type type, const char *const *ok)
{
	slate_field f = field(type);
	for (int i = 0; kinds[i]; i++) {
		int want = -1;
		for (int k = 0; ok[k]; k++)
			if (!strcmp(ok[k], kinds[i]))
				want = 0;
		int got = check(&f, kinds[i]);
		if (got != want)
			fprintf(stderr, "type %d, value %s: got %d want %d\n",
				(int)type, kinds[i], got, want);
		CU_ASSERT_EQUAL(got, want);
	}
}

static void test_types_accept_their_kinds(void)
{
	check_kinds(SLATE_T_TEXT, (const char *const[]){"\"s\"", NULL});
	check_kinds(SLATE_T_INT, (const char *const[]){"1", NULL});
	check_kinds(SLATE_T_BIGINT, (const char *const[]){"1", NULL});
	check_kinds(SLATE_T_BOOL, (const char *const[]){"true", NULL});
	check_kinds(SLATE_T_NUMERIC, (const char *const[]){"1", "1.5", NULL});
	check_kinds(SLATE_T_TEXT_ARRAY,
		    (const char *const[]){"[]", "[\"a\"]", NULL});
	check_kinds(SLATE_T_JSON_OBJECT, (const char *const[]){"{}", NULL});
	check_kinds(SLATE_T_JSON_ARRAY,
		    (const char *const[]){"[]", "[\"a\"]", NULL});
	/* Strings of the wrong shape and other kinds. */
	check_kinds(SLATE_T_DATE, (const char *const[]){NULL});
	check_kinds(SLATE_T_TIMESTAMPTZ, (const char *const[]){NULL});
	check_kinds(SLATE_T_UUID, (const char *const[]){NULL});

	slate_field f = field(SLATE_T_DATE);
	CU_ASSERT_EQUAL(check(&f, "\"2024-02-29\""), 0);
	f = field(SLATE_T_TIMESTAMPTZ);
	CU_ASSERT_EQUAL(check(&f, "\"2025-12-31T12:00:00Z\""), 0);
	f = field(SLATE_T_UUID);
	CU_ASSERT_EQUAL(check(&f, "\"0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a10\""),
			0);
	CU_ASSERT_EQUAL(check(&f, "\"0B6F8D4E-3C2A-4F1E-9A7B-5D8C6E4F2A10\""),
			0);
	CU_ASSERT_EQUAL(check(&f, "\"0b6f8d4e3c2a4f1e9a7b5d8c6e4f2a10\""), -1);
	f = field(SLATE_T_JSON_ARRAY);
	CU_ASSERT_EQUAL(check(&f, "[1,{\"a\":null},\"x\"]"), 0);
	f = field(SLATE_T_TEXT_ARRAY);
	CU_ASSERT_EQUAL(check(&f, "[\"a\",1]"), -1);
	CU_ASSERT_EQUAL(check(&f, "[\"a\",null]"), -1);

	/* A type the enum does not have. */
	f = field((slate_type)99);
	CU_ASSERT_EQUAL(check(&f, "\"s\""), -1);
}

static void test_text_max_len_counts_code_points(void)
{
	slate_field f = field(SLATE_T_TEXT);
	f.max_len = 3;
	/* Three emoji are 12 bytes but 3 characters. */
	CU_ASSERT_EQUAL(check(&f, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x81"
				  "\xf0\x9f\x98\x82\""),
			0);
	CU_ASSERT_EQUAL(check(&f, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x81"
				  "\xf0\x9f\x98\x82\xf0\x9f\x98\x83\""),
			-1);
	CU_ASSERT_EQUAL(check(&f, "\"\xc3\xa9t\xc3\xa9\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"abc\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"abcd\""), -1);
	CU_ASSERT_EQUAL(check(&f, "\"\""), 0);
	/* An escaped code point is one character too. */
	CU_ASSERT_EQUAL(check(&f, "\"\\u00e9\\u00e9\\u00e9\""), 0);
	/* 0 means no limit. */
	f.max_len = 0;
	char big[5003];
	big[0] = '"';
	memset(big + 1, 'x', 5000);
	big[5001] = '"';
	big[5002] = '\0';
	CU_ASSERT_EQUAL(check(&f, big), 0);
	/* The limit applies to each element of a text array. */
	slate_field a = field(SLATE_T_TEXT_ARRAY);
	a.max_len = 2;
	CU_ASSERT_EQUAL(check(&a, "[\"ab\",\"\xc3\xa9\xc3\xa9\"]"), 0);
	CU_ASSERT_EQUAL(check(&a, "[\"ab\",\"abc\"]"), -1);
}

static void test_text_array_item_limit(void)
{
	slate_field a = field(SLATE_T_TEXT_ARRAY);
	json_t *arr = json_array();
	for (int i = 0; i < 1000; i++)
		json_array_append_new(arr, json_string("x"));
	char msg[300];
	CU_ASSERT_EQUAL(slate_validate_value(&a, arr, msg, sizeof(msg)), 0);
	json_array_append_new(arr, json_string("x"));
	CU_ASSERT_EQUAL(slate_validate_value(&a, arr, msg, sizeof(msg)), -1);
	json_decref(arr);
}

static void test_one_of(void)
{
	static const char *const statuses[] = {"draft", "review", "final",
					       NULL};
	slate_field f = field(SLATE_T_TEXT);
	f.one_of = statuses;
	CU_ASSERT_EQUAL(check(&f, "\"draft\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"final\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"Draft\""), -1);
	CU_ASSERT_EQUAL(check(&f, "\"\""), -1);
	CU_ASSERT_EQUAL(check(&f, "\"drafts\""), -1);
	/* The message lists the allowed values. */
	json_t *v = json_string("other");
	char msg[300] = "";
	CU_ASSERT_EQUAL(slate_validate_value(&f, v, msg, sizeof(msg)), -1);
	UNIT_ASSERT_STR_CONTAINS(msg, "draft");
	UNIT_ASSERT_STR_CONTAINS(msg, "review");
	UNIT_ASSERT_STR_CONTAINS(msg, "final");
	json_decref(v);
	/* Each element of a text array is checked. */
	slate_field a = field(SLATE_T_TEXT_ARRAY);
	a.one_of = statuses;
	CU_ASSERT_EQUAL(check(&a, "[\"draft\",\"final\"]"), 0);
	CU_ASSERT_EQUAL(check(&a, "[\"draft\",\"gone\"]"), -1);
}

static int check_int(const slate_field *f, json_int_t i)
{
	json_t *v = json_integer(i);
	char msg[300];
	int rc = slate_validate_value(f, v, msg, sizeof(msg));
	json_decref(v);
	return rc;
}

static void test_int_ranges(void)
{
	slate_field f = field(SLATE_T_INT);
	CU_ASSERT_EQUAL(check_int(&f, 0), 0);
	CU_ASSERT_EQUAL(check_int(&f, INT32_MAX), 0);
	CU_ASSERT_EQUAL(check_int(&f, INT32_MIN), 0);
	CU_ASSERT_EQUAL(check_int(&f, (json_int_t)INT32_MAX + 1), -1);
	CU_ASSERT_EQUAL(check_int(&f, (json_int_t)INT32_MIN - 1), -1);
	CU_ASSERT_EQUAL(check(&f, "1.0"), -1);
	CU_ASSERT_EQUAL(check(&f, "\"1\""), -1);

	slate_field b = field(SLATE_T_BIGINT);
	CU_ASSERT_EQUAL(check_int(&b, (json_int_t)INT32_MAX + 1), 0);
	CU_ASSERT_EQUAL(check_int(&b, INT64_MAX), 0);
	CU_ASSERT_EQUAL(check_int(&b, INT64_MIN), 0);

	/* An explicit inclusive range. */
	f.min = -5;
	f.max = 10;
	CU_ASSERT_EQUAL(check_int(&f, -5), 0);
	CU_ASSERT_EQUAL(check_int(&f, 10), 0);
	CU_ASSERT_EQUAL(check_int(&f, -6), -1);
	CU_ASSERT_EQUAL(check_int(&f, 11), -1);
	json_t *v = json_integer(11);
	char msg[300] = "";
	CU_ASSERT_EQUAL(slate_validate_value(&f, v, msg, sizeof(msg)), -1);
	UNIT_ASSERT_STR_CONTAINS(msg, "-5");
	UNIT_ASSERT_STR_CONTAINS(msg, "10");
	json_decref(v);

	/* min == max (both unset) means the type's own limits. */
	f.min = f.max = 7;
	CU_ASSERT_EQUAL(check_int(&f, 1000), 0);

	b.min = 1;
	b.max = (int64_t)1 << 40;
	CU_ASSERT_EQUAL(check_int(&b, (json_int_t)1 << 40), 0);
	CU_ASSERT_EQUAL(check_int(&b, 0), -1);
}

/*
 * Regression guard for a fixed bug (validate.c:245-250): an explicit range on
 * SLATE_T_INT replaces the int32 limits instead of narrowing them, so {min 0,
 * max INT64_MAX} lets 2^31 through and PostgreSQL then fails the insert (a 500
 * instead of a 400). It failed until the explicit range is clamped to the
 * type's limits.
 */
static void test_int_range_stays_within_int32(void)
{
	slate_field f = field(SLATE_T_INT);
	f.min = 0;
	f.max = INT64_MAX;
	CU_ASSERT_EQUAL(check_int(&f, INT32_MAX), 0);
	CU_ASSERT_EQUAL(check_int(&f, (json_int_t)INT32_MAX + 1), -1);
}

static void test_null_handling(void)
{
	static const slate_type types[] = {
	    SLATE_T_TEXT,	SLATE_T_INT,	    SLATE_T_BIGINT,
	    SLATE_T_BOOL,	SLATE_T_DATE,	    SLATE_T_TIMESTAMPTZ,
	    SLATE_T_UUID,	SLATE_T_TEXT_ARRAY, SLATE_T_JSON_OBJECT,
	    SLATE_T_JSON_ARRAY, SLATE_T_NUMERIC,
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		slate_field f = field(types[i]);
		CU_ASSERT_EQUAL(check(&f, "null"), 0);
		f.flags = SLATE_F_NOT_NULL;
		CU_ASSERT_EQUAL(check(&f, "null"), -1);
		f.flags = SLATE_F_REQUIRED;
		CU_ASSERT_EQUAL(check(&f, "null"), -1);
		f.flags = SLATE_F_FILTER | SLATE_F_SORT;
		CU_ASSERT_EQUAL(check(&f, "null"), 0);
	}
}

static void test_dates(void)
{
	static const char *const good[] = {
	    "2024-02-29", "2000-02-29", "2025-01-31", "2025-12-31",
	    "0001-01-01", "9999-12-31", NULL,
	};
	static const char *const bad[] = {
	    "2023-02-29",
	    "1900-02-29",
	    "2025-13-01",
	    "2025-00-10",
	    "2025-04-31",
	    "2025-01-32",
	    "2025-01-00",
	    "0000-01-01",
	    "2025-1-01",
	    "25-01-01",
	    "2025/01/01",
	    "2025-01-01x",
	    "2025-01-01T00:00:00Z",
	    "",
	    "abcd-ef-gh",
	    " 2025-01-01",
	    NULL,
	};
	for (int i = 0; good[i]; i++) {
		if (!slate_valid_date(good[i]))
			fprintf(stderr, "date refused: %s\n", good[i]);
		CU_ASSERT_TRUE(slate_valid_date(good[i]));
	}
	for (int i = 0; bad[i]; i++) {
		if (slate_valid_date(bad[i]))
			fprintf(stderr, "date accepted: %s\n", bad[i]);
		CU_ASSERT_FALSE(slate_valid_date(bad[i]));
	}
}

static void test_timestamps(void)
{
	static const char *const good[] = {
	    "2025-12-31T12:00:00Z",
	    "2025-12-31t12:00:00z",
	    "2025-12-31 12:00:00Z",
	    "2024-02-29T23:59:59+05:30",
	    "2024-02-29T00:00:00-08:00",
	    "2025-06-30T23:59:60Z",
	    "2025-01-01T00:00:00.1Z",
	    "2025-01-01T00:00:00.123456789+00:00",
	    NULL,
	};
	static const char *const bad[] = {
	    "2025-12-31T12:00:00",
	    "2025-12-31",
	    "2025-12-31T12:00Z",
	    "2023-02-29T00:00:00Z",
	    "2025-12-31T24:00:00Z",
	    "2025-12-31T12:60:00Z",
	    "2025-12-31T12:00:61Z",
	    "2025-12-31T12:00:00.Z",
	    "2025-12-31T12:00:00.1234567890Z",
	    "2025-12-31T12:00:00+0530",
	    "2025-12-31T12:00:00+24:00",
	    "2025-12-31T12:00:00+05:60",
	    "2025-12-31T12:00:00Z ",
	    "2025-12-31T12:00:00ZZ",
	    "2025-12-31X12:00:00Z",
	    "",
	    NULL,
	};
	for (int i = 0; good[i]; i++) {
		if (!slate_valid_timestamp(good[i]))
			fprintf(stderr, "timestamp refused: %s\n", good[i]);
		CU_ASSERT_TRUE(slate_valid_timestamp(good[i]));
	}
	for (int i = 0; bad[i]; i++) {
		if (slate_valid_timestamp(bad[i]))
			fprintf(stderr, "timestamp accepted: %s\n", bad[i]);
		CU_ASSERT_FALSE(slate_valid_timestamp(bad[i]));
	}
}

typedef bool (*format_fn)(const char *);

static void check_format(const char *what, format_fn fn,
			 const char *const *good, const char *const *bad)
{
	for (int i = 0; good[i]; i++) {
		if (!fn(good[i]))
			fprintf(stderr, "%s refused: %s\n", what, good[i]);
		CU_ASSERT_TRUE(fn(good[i]));
	}
	for (int i = 0; bad[i]; i++) {
		if (fn(bad[i]))
			fprintf(stderr, "%s accepted: %s\n", what, bad[i]);
		CU_ASSERT_FALSE(fn(bad[i]));
	}
}

static void test_email(void)
{
	check_format(
	    "email", slate_valid_email,
	    (const char *const[]){"a@b.co", "first.last+tag@mail.example.org",
				  "x_y@sub-domain.example.com", NULL},
	    (const char *const[]){"", "plain", "@b.co", "a@b", "a@@b.co",
				  "a@b@c.co", "a b@c.de", "a@.b.co", "a@b..co",
				  "a@b.co.", "a@b.", "<a@b.co>", "a,b@c.de",
				  NULL});
}

static void test_url(void)
{
	check_format(
	    "url", slate_valid_url,
	    (const char *const[]){
		"https://example.com", "http://example.com/a?b=c#d",
		"HTTPS://EXAMPLE.COM/", "https://example.com:8443/x", NULL},
	    (const char *const[]){"", "example.com", "ftp://example.com",
				  "http://", "https:///path", "https://:80",
				  "javascript:alert(1)", "https://exa mple.com",
				  "https://example.com/<script>", NULL});
}

static void test_phone(void)
{
	check_format("phone", slate_valid_phone,
		     (const char *const[]){"+1 (555) 123-4567", "0123456",
					   "+441234567890", "555.123.4567",
					   "+123456789012345", NULL},
		     (const char *const[]){"", "+", "123456", "++15551234567",
					   "+1 555 CALL NOW", "1+5551234567",
					   "+1234567890123456", NULL});
}

static void test_language(void)
{
	check_format("language", slate_valid_language,
		     (const char *const[]){"en", "en-US", "fra", "zh-Hant-TW",
					   "es-419", "sr-Latn-RS", NULL},
		     (const char *const[]){"", "e", "english", "en-", "en--US",
					   "en_US", "-en", "en-US-", "12",
					   "en-abcdefghi", NULL});
}

static void test_checks_through_fields(void)
{
	/* The format checks are applied to text fields by `check`. */
	slate_field f = field(SLATE_T_TEXT);
	f.check = SLATE_CHECK_EMAIL;
	CU_ASSERT_EQUAL(check(&f, "\"a@b.co\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"nope\""), -1);
	f.check = SLATE_CHECK_URL;
	CU_ASSERT_EQUAL(check(&f, "\"https://example.com\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"example.com\""), -1);
	f.check = SLATE_CHECK_PHONE;
	CU_ASSERT_EQUAL(check(&f, "\"+15551234567\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"12\""), -1);
	f.check = SLATE_CHECK_LANGUAGE;
	CU_ASSERT_EQUAL(check(&f, "\"en-GB\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"English\""), -1);
	f.check = SLATE_CHECK_IDENT;
	CU_ASSERT_EQUAL(check(&f, "\"my-slug_2\""), 0);
	CU_ASSERT_EQUAL(check(&f, "\"My Slug\""), -1);
	CU_ASSERT_EQUAL(check(&f, "\"\""), -1);
	/* Null skips the check when the field allows null. */
	CU_ASSERT_EQUAL(check(&f, "null"), 0);
}

/* ---- slate_validate_object ---- */

static const slate_field episode_fields[] = {
    {.name = "episode_id", .type = SLATE_T_UUID, .flags = SLATE_F_READONLY},
    {.name = "title",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED,
     .max_len = 10},
    {.name = "show_id",
     .type = SLATE_T_UUID,
     .flags = SLATE_F_REQUIRED | SLATE_F_IMMUTABLE},
    {.name = "number", .type = SLATE_T_INT, .min = 1, .max = 999},
    {.name = "air_date", .type = SLATE_T_DATE},
};
#define N_EPISODE (sizeof(episode_fields) / sizeof(episode_fields[0]))

#define SHOW_ID "\"0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a10\""

/* Validate `json` in `mode`; returns the error count and leaves the request
 * in *out (free with slate_req_free). */
static int validate(const char *json, slate_validate_mode mode, slate_req **out)
{
	slate_req *r = slate_req_new(NULL);
	*out = r;
	if (!r)
		return -1;
	json_error_t jerr;
	json_t *body = json_loads(json, JSON_DECODE_ANY, &jerr);
	if (!body) {
		fprintf(stderr, "bad test JSON %s: %s\n", json, jerr.text);
		return -1;
	}
	int n = slate_validate_object(r, body, episode_fields, N_EPISODE, mode);
	json_decref(body);
	return n;
}

/* The error in r->errors whose field is `field` (NULL: field is null). */
static json_t *error_for(const slate_req *r, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(r->errors, i, e)
	{
		json_t *f = json_object_get(e, "field");
		if ((!field && json_is_null(f)) ||
		    (field && json_is_string(f) &&
		     !strcmp(json_string_value(f), field)))
			return e;
	}
	return NULL;
}

/* Every error has the documented shape and the VALIDATION_ERROR code. */
static void assert_error_shape(const slate_req *r)
{
	size_t i;
	json_t *e;
	CU_ASSERT_TRUE(json_is_array(r->errors));
	json_array_foreach(r->errors, i, e)
	{
		CU_ASSERT_EQUAL(json_object_size(e), 3);
		UNIT_ASSERT_STR_EQ(
		    json_string_value(json_object_get(e, "code")),
		    "VALIDATION_ERROR");
		const char *msg =
		    json_string_value(json_object_get(e, "message"));
		CU_ASSERT(msg && msg[0]);
		json_t *f = json_object_get(e, "field");
		CU_ASSERT(json_is_string(f) || json_is_null(f));
	}
}

static void test_object_valid(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{\"title\":\"Pilot\",\"show_id\":" SHOW_ID
				 ",\"number\":1,\"air_date\":null}",
				 SLATE_VALIDATE_CREATE, &r),
			0);
	CU_ASSERT_PTR_NULL(r->errors);
	CU_ASSERT_EQUAL(r->status, 0);
	slate_req_free(r);

	CU_ASSERT_EQUAL(validate("{\"number\":2}", SLATE_VALIDATE_PATCH, &r),
			0);
	CU_ASSERT_PTR_NULL(r->errors);
	slate_req_free(r);

	CU_ASSERT_EQUAL(validate("{}", SLATE_VALIDATE_REPLACE, &r), 0);
	CU_ASSERT_PTR_NULL(r->errors);
	slate_req_free(r);
}

static void test_object_unknown_field(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{\"title\":\"x\",\"show_id\":" SHOW_ID
				 ",\"bogus\":1}",
				 SLATE_VALIDATE_CREATE, &r),
			1);
	CU_ASSERT_EQUAL(r->status, 400);
	assert_error_shape(r);
	json_t *e = error_for(r, "bogus");
	CU_ASSERT_PTR_NOT_NULL(e);
	UNIT_ASSERT_STR_CONTAINS(
	    json_string_value(json_object_get(e, "message")), "bogus");
	slate_req_free(r);
}

static void test_object_readonly(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{\"episode_id\":" SHOW_ID ",\"number\":3}",
				 SLATE_VALIDATE_PATCH, &r),
			1);
	CU_ASSERT_EQUAL(r->status, 400);
	assert_error_shape(r);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "episode_id"));
	slate_req_free(r);
	/* On create as well. */
	CU_ASSERT_EQUAL(validate("{\"title\":\"x\",\"show_id\":" SHOW_ID
				 ",\"episode_id\":" SHOW_ID "}",
				 SLATE_VALIDATE_CREATE, &r),
			1);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "episode_id"));
	slate_req_free(r);
}

static void test_object_immutable(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(
	    validate("{\"show_id\":" SHOW_ID "}", SLATE_VALIDATE_PATCH, &r), 1);
	CU_ASSERT_EQUAL(r->status, 400);
	assert_error_shape(r);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "show_id"));
	slate_req_free(r);
	/* Accepted on create and on replace. */
	CU_ASSERT_EQUAL(validate("{\"title\":\"x\",\"show_id\":" SHOW_ID "}",
				 SLATE_VALIDATE_CREATE, &r),
			0);
	slate_req_free(r);
	CU_ASSERT_EQUAL(
	    validate("{\"show_id\":" SHOW_ID "}", SLATE_VALIDATE_REPLACE, &r),
	    0);
	slate_req_free(r);
}

static void test_object_required(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{\"number\":5}", SLATE_VALIDATE_CREATE, &r),
			2);
	CU_ASSERT_EQUAL(r->status, 400);
	assert_error_shape(r);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "title"));
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "show_id"));
	CU_ASSERT_EQUAL(json_array_size(r->errors), 2);
	slate_req_free(r);
	/* Present but null is refused too. */
	CU_ASSERT_EQUAL(validate("{\"title\":null,\"show_id\":" SHOW_ID "}",
				 SLATE_VALIDATE_CREATE, &r),
			1);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, "title"));
	slate_req_free(r);
	/* Nothing is required on patch or replace. */
	CU_ASSERT_EQUAL(validate("{\"number\":5}", SLATE_VALIDATE_PATCH, &r),
			0);
	slate_req_free(r);
	CU_ASSERT_EQUAL(validate("{\"number\":5}", SLATE_VALIDATE_REPLACE, &r),
			0);
	slate_req_free(r);
}

static void test_object_empty_patch(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{}", SLATE_VALIDATE_PATCH, &r), 1);
	CU_ASSERT_EQUAL(r->status, 400);
	assert_error_shape(r);
	CU_ASSERT_PTR_NOT_NULL(error_for(r, NULL));
	slate_req_free(r);
}

static void test_object_not_an_object(void)
{
	static const char *const bodies[] = {
	    "[]", "\"x\"", "3", "null", "[{\"title\":\"x\"}]", NULL};
	for (int i = 0; bodies[i]; i++) {
		slate_req *r;
		CU_ASSERT_EQUAL(validate(bodies[i], SLATE_VALIDATE_CREATE, &r),
				1);
		CU_ASSERT_EQUAL(r->status, 400);
		assert_error_shape(r);
		CU_ASSERT_PTR_NOT_NULL(error_for(r, NULL));
		slate_req_free(r);
	}
}

static void test_object_collects_every_problem(void)
{
	slate_req *r;
	CU_ASSERT_EQUAL(validate("{\"title\":\"much too long a title\","
				 "\"number\":0,\"air_date\":\"2023-02-29\","
				 "\"episode_id\":null,\"zzz\":true}",
				 SLATE_VALIDATE_CREATE, &r),
			6);
	assert_error_shape(r);
	static const char *const fields[] = {"title",	   "number", "air_date",
					     "episode_id", "zzz",    "show_id",
					     NULL};
	for (int i = 0; fields[i]; i++) {
		json_t *e = error_for(r, fields[i]);
		CU_ASSERT_PTR_NOT_NULL(e);
		/* The message names the field it is about. */
		if (e)
			UNIT_ASSERT_STR_CONTAINS(
			    json_string_value(json_object_get(e, "message")),
			    fields[i]);
	}
	slate_req_free(r);
}

/* ---- slate_fields_import ---- */

/* A field as an older plugin saw it: everything before `check`. */
#define OLD_FIELD_SIZE offsetof(slate_field, check)

static void test_import_older_smaller_elements(void)
{
	static const char *const vals[] = {"a", NULL};
	slate_field src[3];
	memset(src, 0, sizeof(src));
	src[0] = (slate_field){.name = "title",
			       .type = SLATE_T_TEXT,
			       .flags = SLATE_F_REQUIRED,
			       .max_len = 20,
			       .one_of = vals,
			       .ref_entity = "show"};
	src[1] = (slate_field){
	    .name = "rank", .type = SLATE_T_INT, .min = 1, .max = 9};
	src[2] = (slate_field){.name = "tags", .type = SLATE_T_TEXT_ARRAY};
	/* Pack them at the old element size, with 0xAB between. */
	unsigned char packed[3 * OLD_FIELD_SIZE + sizeof(slate_field)];
	memset(packed, 0xab, sizeof(packed));
	for (int i = 0; i < 3; i++)
		memcpy(packed + i * OLD_FIELD_SIZE, &src[i], OLD_FIELD_SIZE);

	char err[256] = "";
	slate_field *out = slate_fields_import(
	    (const slate_field *)packed, 3, OLD_FIELD_SIZE, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (int i = 0; i < 3; i++) {
		UNIT_ASSERT_STR_EQ(out[i].name, src[i].name);
		CU_ASSERT_EQUAL(out[i].type, src[i].type);
		CU_ASSERT_EQUAL(out[i].flags, src[i].flags);
		CU_ASSERT_EQUAL(out[i].max_len, src[i].max_len);
		CU_ASSERT_EQUAL(out[i].min, src[i].min);
		CU_ASSERT_EQUAL(out[i].max, src[i].max);
		CU_ASSERT_PTR_EQUAL(out[i].one_of, src[i].one_of);
		CU_ASSERT_PTR_EQUAL(out[i].ref_entity, src[i].ref_entity);
		/* What the plugin did not know is zero. */
		CU_ASSERT_EQUAL(out[i].check, SLATE_CHECK_NONE);
		CU_ASSERT_PTR_NULL(out[i].doc);
	}
	free(out);
}

static void test_import_current_and_larger(void)
{
	slate_field src[2] = {
	    {.name = "email",
	     .type = SLATE_T_TEXT,
	     .check = SLATE_CHECK_EMAIL,
	     .doc = "contact"},
	    {.name = "_n2", .type = SLATE_T_NUMERIC},
	};
	char err[256] = "";
	slate_field *out =
	    slate_fields_import(src, 2, sizeof(slate_field), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(out[0].check, SLATE_CHECK_EMAIL);
	UNIT_ASSERT_STR_EQ(out[0].doc, "contact");
	UNIT_ASSERT_STR_EQ(out[1].name, "_n2");
	free(out);

	/* A newer plugin's larger element: the known prefix is read. */
	struct newer {
		slate_field f;
		uint64_t extra;
	} big[2] = {
	    {{.name = "a", .type = SLATE_T_BOOL}, UINT64_MAX},
	    {{.name = "b", .type = SLATE_T_DATE, .flags = SLATE_F_SORT},
	     UINT64_MAX},
	};
	out = slate_fields_import(&big[0].f, 2, sizeof(struct newer), err,
				  sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	UNIT_ASSERT_STR_EQ(out[1].name, "b");
	CU_ASSERT_EQUAL(out[1].type, SLATE_T_DATE);
	CU_ASSERT_EQUAL(out[1].flags, SLATE_F_SORT);
	free(out);

	/* No fields at all. */
	out =
	    slate_fields_import(NULL, 0, sizeof(slate_field), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(out);
	free(out);
}

static void test_import_refuses_bad_fields(void)
{
	static const char *const bad_names[] = {
	    "",	       "Title",	     "1st",   "with space",
	    "dash-ed", "semi;colon", "\"q\"", NULL,
	};
	char err[256];
	for (int i = 0; bad_names[i]; i++) {
		slate_field f = {.name = bad_names[i], .type = SLATE_T_TEXT};
		err[0] = '\0';
		CU_ASSERT_PTR_NULL(
		    slate_fields_import(&f, 1, sizeof(f), err, sizeof(err)));
		CU_ASSERT(err[0] != '\0');
	}
	slate_field nul = {.name = NULL, .type = SLATE_T_TEXT};
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(&nul, 1, sizeof(nul), err, sizeof(err)));
	/* The second of two being bad refuses the whole array. */
	slate_field two[2] = {{.name = "ok", .type = SLATE_T_TEXT},
			      {.name = "Bad", .type = SLATE_T_TEXT}};
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(two, 2, sizeof(two[0]), err, sizeof(err)));
	UNIT_ASSERT_STR_CONTAINS(err, "Bad");
	/* Unknown types and checks. */
	slate_field t = {.name = "x", .type = (slate_type)0};
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(&t, 1, sizeof(t), err, sizeof(err)));
	t.type = (slate_type)(SLATE_T_NUMERIC + 1);
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(&t, 1, sizeof(t), err, sizeof(err)));
	t.type = SLATE_T_TEXT;
	t.check = (slate_check)(SLATE_CHECK_IDENT + 1);
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(&t, 1, sizeof(t), err, sizeof(err)));
	/* An element too small to hold a name, type and flags. */
	slate_field s = {.name = "x", .type = SLATE_T_TEXT};
	CU_ASSERT_PTR_NULL(
	    slate_fields_import(&s, 1, sizeof(char *), err, sizeof(err)));
	CU_ASSERT(err[0] != '\0');
}

int main(void)
{
	static const unit_test tests[] = {
	    {"each type accepts its JSON kinds", test_types_accept_their_kinds},
	    {"max_len counts code points",
	     test_text_max_len_counts_code_points},
	    {"text arrays hold at most 1000 items", test_text_array_item_limit},
	    {"one_of", test_one_of},
	    {"integer ranges", test_int_ranges},
	    {"explicit range on INT stays within "
	     "int32",
	     test_int_range_stays_within_int32},
	    {"null vs NOT_NULL and REQUIRED", test_null_handling},
	    {"dates", test_dates},
	    {"timestamps", test_timestamps},
	    {"email", test_email},
	    {"url", test_url},
	    {"phone", test_phone},
	    {"language", test_language},
	    {"checks through fields", test_checks_through_fields},
	    {"object: valid bodies", test_object_valid},
	    {"object: unknown field", test_object_unknown_field},
	    {"object: read-only field", test_object_readonly},
	    {"object: immutable on patch only", test_object_immutable},
	    {"object: required on create", test_object_required},
	    {"object: empty patch", test_object_empty_patch},
	    {"object: body not an object", test_object_not_an_object},
	    {"object: every problem reported",
	     test_object_collects_every_problem},
	    {"import: older, smaller elements",
	     test_import_older_smaller_elements},
	    {"import: current and larger elements",
	     test_import_current_and_larger},
	    {"import: bad fields refused", test_import_refuses_bad_fields},
	    {NULL, NULL},
	};
	return unit_run("validate", tests);
}
