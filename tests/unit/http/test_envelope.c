/* test_envelope.c - core/request.h slate_req_envelope and the res_*
 * functions that fill it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/envelope.h"
#include "http/request.h"
#include "http/validate.h"
#include "unit.h"

static slate_req *req_new(const char *id)
{
	slate_req *r = slate_req_new(NULL);
	if (r)
		snprintf(r->request_id, sizeof(r->request_id), "%s", id);
	return r;
}

/* The envelope parsed back; NULL (and a failed assertion) when the text is
 * not one JSON object whose length is `len`. */
static json_t *envelope(slate_req *r)
{
	size_t len = 0;
	char *text = slate_req_envelope(r, &len);
	CU_ASSERT_PTR_NOT_NULL(text);
	if (!text)
		return NULL;
	CU_ASSERT_EQUAL(len, strlen(text));
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		fprintf(stderr, "envelope is not JSON (%s): %s\n", jerr.text,
			text);
	CU_ASSERT(json_is_object(v));
	free(text);
	return v;
}

/* Seconds between `ts` (as "YYYY-MM-DDTHH:MM:SS.mmmZ") and now. */
static double age_of(const char *ts)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end)
		return 1e9;
	return difftime(time(NULL), timegm(&tm));
}

static void assert_metadata(const json_t *env, const char *request_id)
{
	json_t *meta = json_object_get(env, "metadata");
	CU_ASSERT_TRUE(json_is_object(meta));
	UNIT_ASSERT_STR_EQ(
	    json_string_value(json_object_get(meta, "schema_version")), "1.0");
	UNIT_ASSERT_STR_EQ(
	    json_string_value(json_object_get(meta, "request_id")), request_id);
	const char *ts = json_string_value(json_object_get(meta, "timestamp"));
	CU_ASSERT_PTR_NOT_NULL(ts);
	if (ts) {
		CU_ASSERT_TRUE(slate_valid_timestamp(ts));
		CU_ASSERT(ts[strlen(ts) - 1] == 'Z');
		double age = age_of(ts);
		CU_ASSERT(age > -5 && age < 5);
	}
}

static void test_success_shape(void)
{
	slate_req *r = req_new("req-success-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	json_t *data = json_pack("{s:s,s:i,s:[i,i]}", "name", "Pilot", "n", 3,
				 "list", 1, 2);
	json_t *expect = json_deep_copy(data);
	CU_ASSERT_EQUAL(slate_res_json(r, 200, data), 0);
	CU_ASSERT_EQUAL(r->status, 200);
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_EQUAL(json_object_size(env), 2);
	CU_ASSERT_TRUE(json_equal(json_object_get(env, "data"), expect));
	CU_ASSERT_PTR_NULL(json_object_get(env, "errors"));
	assert_metadata(env, "req-success-1");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(env, "metadata")), 3);
	json_decref(env);
	json_decref(expect);
	CU_ASSERT_FALSE(slate_req_failed(r));
	slate_req_free(r);
}

static void test_scalar_and_null_data(void)
{
	slate_req *r = req_new("req-scalar");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_json(r, 200, json_string("just text"));
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(env, "data")),
			   "just text");
	json_decref(env);
	slate_req_free(r);

	/* Nothing set: data is null. */
	r = req_new("req-empty");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	json_t *d = json_object_get(env, "data");
	CU_ASSERT(d != NULL && json_is_null(d));
	assert_metadata(env, "req-empty");
	json_decref(env);
	slate_req_free(r);

	/* res_json steals even NULL and reports it. */
	r = req_new("req-null");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(slate_res_json(r, 200, NULL), -1);
	slate_req_free(r);
}

static void test_raw_verbatim(void)
{
	slate_req *r = req_new("req-raw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* Text PostgreSQL might build: key order and spacing kept. */
	static const char raw[] = "[{\"z\": 1, \"a\": [true, null]}, \"x\"]";
	char copy[sizeof(raw)];
	memcpy(copy, raw, sizeof(raw));
	CU_ASSERT_EQUAL(slate_res_raw(r, 201, copy, strlen(copy)), 0);
	memset(copy, 'X', sizeof(copy) - 1); /* res_raw copied it */
	CU_ASSERT_EQUAL(r->status, 201);
	size_t len = 0;
	char *text = slate_req_envelope(r, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	char want[128];
	snprintf(want, sizeof(want), "{\"data\":%s,", raw);
	CU_ASSERT_EQUAL(strncmp(text, want, strlen(want)), 0);
	free(text);
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	json_t *d = json_object_get(env, "data");
	CU_ASSERT_EQUAL(json_array_size(d), 2);
	assert_metadata(env, "req-raw");
	json_decref(env);

	/* Only `len` bytes are taken; and a later res_json replaces raw. */
	CU_ASSERT_EQUAL(slate_res_raw(r, 200, "{}trailing", 2), 0);
	env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_TRUE(json_is_object(json_object_get(env, "data")));
	json_decref(env);
	slate_res_json(r, 200, json_integer(5));
	env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(env, "data")), 5);
	json_decref(env);
	slate_req_free(r);
}

static void test_errors_shape(void)
{
	slate_req *r = req_new("req-errors");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_json(r, 200, json_object()); /* dropped: errors win */
	CU_ASSERT_EQUAL(slate_res_error(r, 404, "NOT_FOUND", NULL,
					"Episode %s not found", "e-1"),
			-1);
	CU_ASSERT_EQUAL(slate_res_error(r, 400, "VALIDATION_ERROR", "title",
					"'%s' is required", "title"),
			-1);
	CU_ASSERT_TRUE(slate_req_failed(r));
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_EQUAL(json_object_size(env), 2);
	CU_ASSERT_PTR_NULL(json_object_get(env, "data"));
	assert_metadata(env, "req-errors");
	json_t *errs = json_object_get(env, "errors");
	CU_ASSERT_EQUAL_FATAL(json_array_size(errs), 2);
	json_t *e0 = json_array_get(errs, 0), *e1 = json_array_get(errs, 1);
	CU_ASSERT_EQUAL(json_object_size(e0), 3);
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(e0, "code")),
			   "NOT_FOUND");
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(e0, "message")),
			   "Episode e-1 not found");
	CU_ASSERT_TRUE(json_is_null(json_object_get(e0, "field")));
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(e1, "code")),
			   "VALIDATION_ERROR");
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(e1, "field")),
			   "title");
	json_decref(env);
	slate_req_free(r);
}

static void test_error_message_invalid_utf8(void)
{
	/* A message built from client bytes that are not UTF-8 still makes
	 * a valid envelope. */
	slate_req *r = req_new("req-lossy");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_error(r, 400, "BAD_REQUEST", "q\xff", "bad value '%s'",
			"\xc3\x28");
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	json_t *e = json_array_get(json_object_get(env, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e, "message"));
	UNIT_ASSERT_STR_CONTAINS(msg, "bad value");
	UNIT_ASSERT_STR_CONTAINS(msg, "\xef\xbf\xbd");
	const char *field = json_string_value(json_object_get(e, "field"));
	CU_ASSERT(field && field[0] == 'q');
	json_decref(env);
	slate_req_free(r);
}

static void test_extra_metadata(void)
{
	slate_req *r = req_new("req-meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_json(r, 200, json_array());
	CU_ASSERT_EQUAL(slate_res_meta(r, "total", json_integer(120)), 0);
	CU_ASSERT_EQUAL(slate_res_meta(r, "next_cursor", json_string("abc")),
			0);
	/* Setting a key again replaces it. */
	CU_ASSERT_EQUAL(slate_res_meta(r, "total", json_integer(121)), 0);
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	assert_metadata(env, "req-meta");
	json_t *meta = json_object_get(env, "metadata");
	CU_ASSERT_EQUAL(json_object_size(meta), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")),
			121);
	UNIT_ASSERT_STR_EQ(
	    json_string_value(json_object_get(meta, "next_cursor")), "abc");
	CU_ASSERT_TRUE(json_is_array(json_object_get(env, "data")));
	json_decref(env);

	/* Metadata also accompanies errors. */
	slate_res_error(r, 409, "CONFLICT", NULL, "taken");
	env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	meta = json_object_get(env, "metadata");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")),
			121);
	json_decref(env);
	slate_req_free(r);
}

static void test_first_error_decides_status(void)
{
	slate_req *r = req_new("req-status");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_error(r, 422, "UNPROCESSABLE_ENTITY", NULL, "first");
	slate_res_error(r, 500, "INTERNAL_ERROR", NULL, "second");
	slate_res_error(r, 400, "VALIDATION_ERROR", "x", "third");
	CU_ASSERT_EQUAL(r->status, 422);
	CU_ASSERT_EQUAL(json_array_size(r->errors), 3);
	slate_req_free(r);

	/* An error after a success status replaces it. */
	r = req_new("req-status-2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	slate_res_json(r, 201, json_object());
	CU_ASSERT_EQUAL(r->status, 201);
	slate_res_error(r, 409, "CONFLICT", NULL, "exists");
	CU_ASSERT_EQUAL(r->status, 409);
	slate_res_error(r, 503, "SERVICE_UNAVAILABLE", NULL, "later");
	CU_ASSERT_EQUAL(r->status, 409);
	slate_req_free(r);
}

static void test_request_id_round_trip(void)
{
	/* The request id is JSON-escaped, not pasted. */
	slate_req *r = req_new("id \"with\" quotes\\");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	json_t *env = envelope(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	assert_metadata(env, "id \"with\" quotes\\");
	json_decref(env);
	UNIT_ASSERT_STR_EQ(slate_req_id(r), "id \"with\" quotes\\");
	slate_req_free(r);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"success shape", test_success_shape},
	    {"scalar and null data", test_scalar_and_null_data},
	    {"raw data embedded verbatim", test_raw_verbatim},
	    {"errors shape", test_errors_shape},
	    {"error text that is not UTF-8", test_error_message_invalid_utf8},
	    {"extra metadata keys", test_extra_metadata},
	    {"first error decides the status", test_first_error_decides_status},
	    {"request id is escaped", test_request_id_round_trip},
	    {NULL, NULL},
	};
	return unit_run("envelope", tests);
}
