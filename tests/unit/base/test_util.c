/* test_util.c - core/util.h: UUIDs, UTF-8, lossy JSON strings, idents. */
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "unit.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void test_uuid_v4_format(void)
{
	char seen[64][37];
	for (int n = 0; n < 64; n++) {
		char u[37];
		memset(u, 'Z', sizeof(u));
		CU_ASSERT_EQUAL_FATAL(slate_uuid_v4(u), 0);
		CU_ASSERT_EQUAL(u[36], '\0');
		CU_ASSERT_EQUAL(strlen(u), 36);
		for (int i = 0; i < 36; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;
			CU_ASSERT(dash ? u[i] == '-' : is_lower_hex(u[i]));
		}
		/* Version 4, RFC 4122 variant. */
		CU_ASSERT_EQUAL(u[14], '4');
		CU_ASSERT(u[19] == '8' || u[19] == '9' || u[19] == 'a' ||
			  u[19] == 'b');
		CU_ASSERT_TRUE(slate_uuid_valid(u));
		for (int k = 0; k < n; k++)
			CU_ASSERT_NOT_EQUAL(strcmp(seen[k], u), 0);
		memcpy(seen[n], u, sizeof(u));
	}
}

static void test_uuid_valid(void)
{
	static const char *const good[] = {
	    "00000000-0000-0000-0000-000000000000",
	    "0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a10",
	    "0B6F8D4E-3C2A-4F1E-9A7B-5D8C6E4F2A10",
	    "ffffffff-ffff-ffff-ffff-ffffffffffff",
	    NULL,
	};
	static const char *const bad[] = {
	    "",
	    "0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a1",   /* 35 */
	    "0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a100", /* 37 */
	    "0b6f8d4e3c2a-4f1e-9a7b-5d8c6e4f2a10-",  /* hyphens moved */
	    "0b6f8d4e-3c2a-4f1e-9a7b_5d8c6e4f2a10",
	    "0b6f8d4g-3c2a-4f1e-9a7b-5d8c6e4f2a10", /* 'g' */
	    "{0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a1}",
	    "0b6f8d4e3c2a4f1e9a7b5d8c6e4f2a10",
	    " 0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a10",
	    "0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a10 ",
	    "0b6f8d4e-3c2a-4f1e-9a7b-5d8c6e4f2a1\xc3\xa9",
	    NULL,
	};
	for (int i = 0; good[i]; i++)
		CU_ASSERT_TRUE(slate_uuid_valid(good[i]));
	for (int i = 0; bad[i]; i++) {
		if (slate_uuid_valid(bad[i]))
			fprintf(stderr, "uuid accepted: %s\n", bad[i]);
		CU_ASSERT_FALSE(slate_uuid_valid(bad[i]));
	}
	CU_ASSERT_FALSE(slate_uuid_valid(NULL));
	/* A short string is not read past its end (ASan would tell). */
	char shortbuf[4] = "0b6";
	CU_ASSERT_FALSE(slate_uuid_valid(shortbuf));
}

static void test_utf8_len(void)
{
	CU_ASSERT_EQUAL(slate_utf8_len(""), 0);
	CU_ASSERT_EQUAL(slate_utf8_len("abc"), 3);
	CU_ASSERT_EQUAL(slate_utf8_len("\xc3\xa9"), 1);		/* é */
	CU_ASSERT_EQUAL(slate_utf8_len("\xe2\x82\xac"), 1);	/* € */
	CU_ASSERT_EQUAL(slate_utf8_len("\xf0\x9f\x98\x80"), 1); /* 😀 */
	CU_ASSERT_EQUAL(
	    slate_utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), 5);
	/* Combining marks are code points of their own. */
	CU_ASSERT_EQUAL(slate_utf8_len("e\xcc\x81"), 2);
}

static void test_lossy_valid_unchanged(void)
{
	static const char *const ok[] = {"", "plain", "caf\xc3\xa9",
					 "\xf0\x9f\x98\x80 x", NULL};
	for (int i = 0; ok[i]; i++) {
		json_t *j = slate_json_string_lossy(ok[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		UNIT_ASSERT_STR_EQ(json_string_value(j), ok[i]);
		json_decref(j);
	}
}

/* Lossy-convert `in`; assert the result is valid UTF-8 that starts with
 * `prefix`, ends with `suffix` and holds at least one U+FFFD. */
static void check_lossy(const char *in, const char *prefix, const char *suffix)
{
	json_t *j = slate_json_string_lossy(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	const char *s = json_string_value(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* jansson only makes strings from valid UTF-8: a round trip works. */
	json_t *again = json_string(s);
	CU_ASSERT_PTR_NOT_NULL(again);
	json_decref(again);
	UNIT_ASSERT_STR_CONTAINS(s, REPLACEMENT);
	CU_ASSERT_EQUAL(strncmp(s, prefix, strlen(prefix)), 0);
	size_t sl = strlen(s), xl = strlen(suffix);
	CU_ASSERT(sl >= xl && !strcmp(s + sl - xl, suffix));
	json_decref(j);
}

static void test_lossy_invalid_bytes(void)
{
	check_lossy("a\xff"
		    "b",
		    "a", "b");
	/* Exactly one replacement for one bad byte between good ones. */
	json_t *j = slate_json_string_lossy("a\xff"
					    "b");
	UNIT_ASSERT_STR_EQ(json_string_value(j), "a" REPLACEMENT "b");
	json_decref(j);
	check_lossy("caf\xc3", "caf", REPLACEMENT); /* truncated é */
	check_lossy("x\xe2\x82y", "x", "y");	    /* truncated € */
	check_lossy("x\xc0\xaf"
		    "y",
		    "x", "y");			      /* overlong / */
	check_lossy("x\xed\xa0\x80y", "x", "y");      /* surrogate */
	check_lossy("x\xf4\x90\x80\x80y", "x", "y");  /* > U+10FFFF */
	check_lossy("\x80\x80\x80", "", REPLACEMENT); /* lone tails */
	/* Good sequences around the bad one survive. */
	check_lossy("\xc3\xa9\xfe\xe2\x82\xac", "\xc3\xa9", "\xe2\x82\xac");
}

static void test_ident_valid(void)
{
	static const char *const good[] = {"a",		 "abc", "_x1", "a_b_c",
					   "episode_id", "z9",	"_",   NULL};
	static const char *const bad[] = {"",	   "1abc", "Abc",	  "a-b",
					  "a b",   "a.b",  "caf\xc3\xa9", "a;",
					  "\"a\"", "aB",   NULL};
	for (int i = 0; good[i]; i++)
		CU_ASSERT_TRUE(slate_ident_valid(good[i]));
	for (int i = 0; bad[i]; i++) {
		if (slate_ident_valid(bad[i]))
			fprintf(stderr, "ident accepted: %s\n", bad[i]);
		CU_ASSERT_FALSE(slate_ident_valid(bad[i]));
	}
	CU_ASSERT_FALSE(slate_ident_valid(NULL));
}

static void test_time_iso8601(void)
{
	char ts[40];
	slate_time_iso8601(ts, sizeof(ts));
	/* "2025-12-31T12:00:00.123Z" */
	CU_ASSERT_EQUAL(strlen(ts), 24);
	CU_ASSERT_EQUAL(ts[10], 'T');
	CU_ASSERT_EQUAL(ts[19], '.');
	CU_ASSERT_EQUAL(ts[23], 'Z');
	double a = slate_now_ms();
	double b = slate_now_ms();
	CU_ASSERT(b >= a);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"uuid v4 format", test_uuid_v4_format},
	    {"uuid_valid", test_uuid_valid},
	    {"utf8_len", test_utf8_len},
	    {"lossy string keeps valid UTF-8", test_lossy_valid_unchanged},
	    {"lossy string replaces invalid bytes", test_lossy_invalid_bytes},
	    {"ident_valid", test_ident_valid},
	    {"time and clock", test_time_iso8601},
	    {NULL, NULL},
	};
	return unit_run("util", tests);
}
