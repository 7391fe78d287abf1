/* test_json_body.c - core/json_body.h: depth scan and the body parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_body.h"
#include "unit.h"

static int depth(const char *s, int limit)
{
	return slate_json_depth(s, strlen(s), limit);
}

/* `n` opening brackets of `open`, then `n` of `close`. New string. */
static char *nested(int n, char open, char close)
{
	char *s = malloc((size_t)n * 2 + 1);
	if (!s)
		return NULL;
	memset(s, open, (size_t)n);
	memset(s + n, close, (size_t)n);
	s[n * 2] = '\0';
	return s;
}

static json_t *parse(const char *s, int max_depth, char *err, size_t errlen)
{
	err[0] = '\0';
	return slate_json_parse(s, strlen(s), max_depth, err, errlen);
}

static void test_depth_basic(void)
{
	CU_ASSERT_EQUAL(depth("", 10), 0);
	CU_ASSERT_EQUAL(depth("42", 10), 0);
	CU_ASSERT_EQUAL(depth("\"text\"", 10), 0);
	CU_ASSERT_EQUAL(depth("[]", 10), 1);
	CU_ASSERT_EQUAL(depth("{}", 10), 1);
	CU_ASSERT_EQUAL(depth("{\"a\":[{}]}", 10), 3);
	/* Depth is the deepest point, not the number of containers. */
	CU_ASSERT_EQUAL(depth("[[1],[2],[3],{\"a\":1}]", 10), 2);
}

static void test_depth_ignores_strings(void)
{
	CU_ASSERT_EQUAL(depth("[\"[[[{{{\"]", 10), 1);
	CU_ASSERT_EQUAL(depth("{\"k]}\":\"}}]]\"}", 10), 1);
	/* An escaped quote does not end the string. */
	CU_ASSERT_EQUAL(depth("[\"a\\\"[[[[\"]", 10), 1);
	/* An escaped backslash does: the brackets after it count. */
	CU_ASSERT_EQUAL(depth("[\"a\\\\\",[[1]]]", 10), 3);
	/* Unicode escapes are plain characters. */
	CU_ASSERT_EQUAL(depth("[\"\\u005b\\u005b\"]", 10), 1);
}

static void test_depth_limit(void)
{
	char *deep = nested(100, '[', ']');
	CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
	CU_ASSERT_EQUAL(depth(deep, 10), 11);
	CU_ASSERT_EQUAL(depth(deep, 99), 100);
	CU_ASSERT_EQUAL(depth(deep, 100), 100);
	free(deep);
	char *at = nested(10, '[', ']');
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	CU_ASSERT_EQUAL(depth(at, 10), 10);
	CU_ASSERT_EQUAL(depth(at, 9), 10);
	free(at);
	/* Only `len` bytes are looked at. */
	CU_ASSERT_EQUAL(slate_json_depth("[[[[", 2, 10), 2);
}

static void test_parse_accepts(void)
{
	char err[256];
	json_t *v = parse("{\"name\":\"Pilot\",\"tags\":[\"a\",\"b\"],"
			  "\"n\":3,\"x\":null}",
			  32, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(json_is_object(v));
	UNIT_ASSERT_STR_EQ(json_string_value(json_object_get(v, "name")),
			   "Pilot");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "tags")), 2);
	json_decref(v);

	/* Scalars at the top level (JSON_DECODE_ANY). */
	v = parse("42", 32, err, sizeof(err));
	CU_ASSERT(json_is_integer(v) && json_integer_value(v) == 42);
	json_decref(v);
	v = parse("\"hi\"", 32, err, sizeof(err));
	UNIT_ASSERT_STR_EQ(json_string_value(v), "hi");
	json_decref(v);
	v = parse("null", 32, err, sizeof(err));
	CU_ASSERT(json_is_null(v));
	json_decref(v);
	v = parse("true", 32, err, sizeof(err));
	CU_ASSERT(json_is_true(v));
	json_decref(v);
	v = parse("-1.5e3", 32, err, sizeof(err));
	CU_ASSERT(json_is_real(v) && json_real_value(v) == -1500.0);
	json_decref(v);

	/* Valid multi-byte UTF-8 and an escaped non-NUL code point. */
	v = parse("[\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"\\u0041\"]", 32, err,
		  sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	UNIT_ASSERT_STR_EQ(json_string_value(json_array_get(v, 0)),
			   "caf\xc3\xa9 \xf0\x9f\x98\x80");
	UNIT_ASSERT_STR_EQ(json_string_value(json_array_get(v, 1)), "A");
	json_decref(v);

	/* Only `len` bytes are parsed. */
	const char *buf = "[1]garbage";
	v = slate_json_parse(buf, 3, 32, err, sizeof(err));
	CU_ASSERT(json_is_array(v));
	json_decref(v);
}

static void test_parse_rejects_duplicates(void)
{
	char err[256];
	CU_ASSERT_PTR_NULL(parse("{\"a\":1,\"a\":2}", 32, err, sizeof(err)));
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_PTR_NULL(
	    parse("{\"o\":{\"b\":1,\"c\":2,\"b\":3}}", 32, err, sizeof(err)));
	CU_ASSERT(err[0] != '\0');
	/* The same key in sibling objects is fine. */
	json_t *v = parse("[{\"a\":1},{\"a\":2}]", 32, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(v);
	json_decref(v);
}

static void test_parse_malformed_names_position(void)
{
	char err[256];
	CU_ASSERT_PTR_NULL(
	    parse("{\n  \"a\": 1,\n  \"b\": }\n", 32, err, sizeof(err)));
	UNIT_ASSERT_STR_CONTAINS(err, "line 3");
	UNIT_ASSERT_STR_CONTAINS(err, "column");

	static const char *const bad[] = {
	    "",	       "{",	     "[1,]", "{\"a\" 1}", "{'a':1}",
	    "[1] [2]", "{} x",	     "tru",  "01",	  "[\"a\nb\"]",
	    "NaN",     "{\"a\":1,}", NULL,
	};
	for (int i = 0; bad[i]; i++) {
		json_t *v = parse(bad[i], 32, err, sizeof(err));
		CU_ASSERT_PTR_NULL(v);
		json_decref(v);
		UNIT_ASSERT_STR_CONTAINS(err, "line");
	}
}

static void test_parse_too_deep(void)
{
	char err[256];
	char *ok = nested(32, '[', ']');
	char *deep = nested(33, '[', ']');
	CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
	json_t *v = parse(ok, 32, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(v);
	json_decref(v);
	CU_ASSERT_PTR_NULL(parse(deep, 32, err, sizeof(err)));
	UNIT_ASSERT_STR_CONTAINS(err, "32");
	free(ok);
	free(deep);

	/* A hostile, unbalanced prefix is refused on depth before parsing. */
	char *huge = nested(100000, '{', '}');
	CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
	huge[100000] = '\0';
	CU_ASSERT_PTR_NULL(parse(huge, 32, err, sizeof(err)));
	UNIT_ASSERT_STR_CONTAINS(err, "32");
	free(huge);
}

static void test_parse_rejects_bad_utf8_and_nul(void)
{
	char err[256];
	static const char *const bad[] = {
	    "[\"\xff\"]",	  /* never valid in UTF-8 */
	    "[\"\xc3\"]",	  /* truncated sequence */
	    "[\"\xc0\xaf\"]",	  /* overlong '/' */
	    "[\"\xed\xa0\x80\"]", /* UTF-16 surrogate */
	    "{\"\xfe\":1}",	  /* in a key */
	    "[\"\\u0000\"]",	  /* NUL escape */
	    "{\"a\\u0000b\":1}",  /* NUL escape in a key */
	    NULL,
	};
	for (int i = 0; bad[i]; i++) {
		json_t *v = parse(bad[i], 32, err, sizeof(err));
		CU_ASSERT_PTR_NULL(v);
		json_decref(v);
		CU_ASSERT(err[0] != '\0');
	}
	/* A raw NUL byte inside the buffer. */
	static const char raw_nul[] = "[\"a\0b\"]";
	json_t *v = slate_json_parse(raw_nul, sizeof(raw_nul) - 1, 32, err,
				     sizeof(err));
	CU_ASSERT_PTR_NULL(v);
	json_decref(v);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"depth of simple documents", test_depth_basic},
	    {"depth ignores brackets in strings", test_depth_ignores_strings},
	    {"depth stops at limit + 1", test_depth_limit},
	    {"parse accepts objects and scalars", test_parse_accepts},
	    {"parse rejects duplicate keys", test_parse_rejects_duplicates},
	    {"parse names line and column",
	     test_parse_malformed_names_position},
	    {"parse rejects deep nesting", test_parse_too_deep},
	    {"parse rejects invalid UTF-8 and NUL",
	     test_parse_rejects_bad_utf8_and_nul},
	    {NULL, NULL},
	};
	return unit_run("json_body", tests);
}
