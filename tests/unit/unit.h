/*
 * unit.h - the runner shared by the CUnit unit tests: one suite per program.
 *
 * Each test program lists its tests in a NULL-terminated table and returns
 * unit_run() from main, which prints CUnit's verbose "Run Summary" and
 * answers 0 only when every assertion passed.
 */
#ifndef SLATE_UNIT_H
#define SLATE_UNIT_H

#include <CUnit/CUnit.h>
#include <string.h>

typedef struct unit_test {
	const char *name;
	CU_TestFunc fn;
} unit_test;

/* Run `tests` as the suite `suite`. 0 when all passed, 1 when an assertion
 * failed, 2 when CUnit itself could not run. */
int unit_run(const char *suite, const unit_test *tests);

/* String assertions that report instead of crashing on NULL. */
#define UNIT_ASSERT_STR_EQ(actual, expected)                                   \
	CU_ASSERT((actual) != NULL && strcmp((actual), (expected)) == 0)
#define UNIT_ASSERT_STR_CONTAINS(haystack, needle)                             \
	CU_ASSERT((haystack) != NULL && strstr((haystack), (needle)) != NULL)

#endif
