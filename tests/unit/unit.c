/* unit.c - see unit.h. */
#include "unit.h"

#include <CUnit/Basic.h>
#include <stdio.h>

int unit_run(const char *suite, const unit_test *tests)
{
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "%s: %s\n", suite, CU_get_error_msg());
		return 2;
	}
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		goto fail;
	for (const unit_test *t = tests; t->name; t++)
		if (!CU_add_test(s, t->name, t->fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	unsigned failures = CU_get_number_of_failures();
	unsigned failed = CU_get_number_of_tests_failed();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	printf("\n");
	return failures || failed || ran == 0 ? 1 : 0;
fail:
	fprintf(stderr, "%s: %s\n", suite, CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}
