/* test_plugin_check.c - core/plugin_loader.h slate_plugin_check_desc: what
 * the host accepts of a plugin's descriptor, and the reason it gives. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/host_api.h"
#include "plugin/loader.h"
#include "unit.h"

static int init_ok(slate_plugin *self, const slate_host *host, char *err,
		   size_t errlen)
{
	return 0;
}

static const slate_migration migrations[] = {
    {1, "create_things", "CREATE TABLE things (id int)", NULL},
    {2, "add_name", "ALTER TABLE things ADD name text", NULL},
};

static slate_plugin_desc good(void)
{
	slate_plugin_desc d;
	memset(&d, 0, sizeof(d));
	d.struct_size = sizeof(d);
	d.abi_major = SLATE_ABI_MAJOR;
	d.abi_minor = SLATE_ABI_MINOR;
	d.id = "casting";
	d.version = "1.2.3";
	d.summary = "casting";
	d.migrations = migrations;
	d.n_migrations = 2;
	d.migration_size = sizeof(slate_migration);
	d.init = init_ok;
	return d;
}

/* Whether `s` contains the decimal number `n` as a whole token. */
static bool has_number(const char *s, unsigned n)
{
	char want[16];
	snprintf(want, sizeof(want), "%u", n);
	size_t wl = strlen(want);
	for (const char *p = s; (p = strstr(p, want)); p++) {
		bool before = p == s || !isdigit((unsigned char)p[-1]);
		bool after = !isdigit((unsigned char)p[wl]);
		if (before && after)
			return true;
	}
	return false;
}

static int check(const slate_plugin_desc *d, const char *file_id, char *reason,
		 size_t len)
{
	reason[0] = '\0';
	int rc = slate_plugin_check_desc(d, file_id, reason, len);
	if (rc && !reason[0])
		return -2; /* a refusal must say why */
	return rc;
}

static void test_accept_good(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), 0);
	/* No file id to compare against. */
	CU_ASSERT_EQUAL(check(&d, NULL, reason, sizeof(reason)), 0);
	/* No migrations, no shutdown, no version: all optional. */
	d.migrations = NULL;
	d.n_migrations = 0;
	d.migration_size = 0;
	d.shutdown = NULL;
	d.version = NULL;
	d.summary = NULL;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), 0);
	/* An older minor of the same major. */
	if (SLATE_ABI_MINOR > 0) {
		d.abi_minor = SLATE_ABI_MINOR - 1;
		CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)),
				0);
	}
	/* Ids use the whole allowed alphabet, up to 64 characters. */
	d = good();
	d.id = "a-b_c-0123456789";
	CU_ASSERT_EQUAL(check(&d, NULL, reason, sizeof(reason)), 0);
	char id64[65];
	memset(id64, 'x', 64);
	id64[64] = '\0';
	d.id = id64;
	CU_ASSERT_EQUAL(check(&d, id64, reason, sizeof(reason)), 0);
}

static void test_refuse_null(void)
{
	char reason[512];
	CU_ASSERT_EQUAL(check(NULL, "casting", reason, sizeof(reason)), -1);
}

static void test_refuse_other_major(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	const unsigned other = SLATE_ABI_MAJOR + 6;
	d.abi_major = (uint16_t)other;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	CU_ASSERT_TRUE(has_number(reason, other));
	CU_ASSERT_TRUE(has_number(reason, SLATE_ABI_MAJOR));
	/* An older major is refused the same way. */
	d.abi_major = SLATE_ABI_MAJOR - 1;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	CU_ASSERT_TRUE(has_number(reason, SLATE_ABI_MAJOR - 1));
}

static void test_refuse_newer_minor(void)
{
	char reason[512], plugin_v[32], host_v[32];
	slate_plugin_desc d = good();
	d.abi_minor = SLATE_ABI_MINOR + 3;
	snprintf(plugin_v, sizeof(plugin_v), "%u.%u", SLATE_ABI_MAJOR,
		 SLATE_ABI_MINOR + 3);
	snprintf(host_v, sizeof(host_v), "%u.%u", SLATE_ABI_MAJOR,
		 SLATE_ABI_MINOR);
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_CONTAINS(reason, plugin_v);
	UNIT_ASSERT_STR_CONTAINS(reason, host_v);
}

static void test_refuse_small_struct(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	d.struct_size = (uint32_t)offsetof(slate_plugin_desc, shutdown);
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	CU_ASSERT_TRUE(has_number(reason, d.struct_size));
	d.struct_size = 0;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	/* A larger descriptor (fields this host does not know) is fine. */
	d.struct_size = sizeof(d) + 64;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), 0);
}

static void test_refuse_bad_id(void)
{
	char reason[512];
	char id65[66];
	memset(id65, 'x', 65);
	id65[65] = '\0';
	static const char *bad[] = {
	    "",	    "Casting",	"cast ing",    "cast.ing",
	    "../x", "cast/ing", "caf\xc3\xa9", NULL};
	slate_plugin_desc d = good();
	for (int i = 0; bad[i]; i++) {
		d.id = bad[i];
		CU_ASSERT_EQUAL(check(&d, NULL, reason, sizeof(reason)), -1);
	}
	d.id = id65;
	CU_ASSERT_EQUAL(check(&d, NULL, reason, sizeof(reason)), -1);
	d.id = NULL;
	CU_ASSERT_EQUAL(check(&d, NULL, reason, sizeof(reason)), -1);
}

static void test_refuse_id_not_file_name(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	CU_ASSERT_EQUAL(check(&d, "locations", reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_CONTAINS(reason, "locations");
	UNIT_ASSERT_STR_CONTAINS(reason, "casting");
	CU_ASSERT_EQUAL(check(&d, "casting2", reason, sizeof(reason)), -1);
	CU_ASSERT_EQUAL(check(&d, "castin", reason, sizeof(reason)), -1);
}

static void test_refuse_missing_init(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	d.init = NULL;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_CONTAINS(reason, "init");
}

/* A processor plugin may be nothing but its declared processors; an ABI
 * 1.0 descriptor (shorter, without the member) is never read past its
 * end. */
static void test_processors_only(void)
{
	static const slate_processor_def proc = {
	    .struct_size = sizeof(slate_processor_def), .kind = "x"};
	static const slate_processor_def *const procs[] = {&proc, NULL};
	char reason[512];
	slate_plugin_desc d = good();
	d.init = NULL;
	d.processors = procs;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), 0);
	d.abi_minor = 0;
	d.struct_size = offsetof(slate_plugin_desc, processors);
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_CONTAINS(reason, "init");
}

static void test_refuse_malformed_migrations(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	d.migrations = NULL;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	UNIT_ASSERT_STR_CONTAINS(reason, "migration");
	d = good();
	d.migration_size = 0;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	/* Too small to hold `up`, the one required SQL text. */
	d.migration_size = (uint32_t)offsetof(slate_migration, up);
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	/* A larger element from a newer SDK is fine. */
	d.migration_size = sizeof(slate_migration) + 16;
	d.n_migrations = 1;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), 0);
}

/*
 * Regression guard for a fixed bug (plugin_loader.c:67-72): the descriptor
 * check lets through migrations that the runner refuses later (migrate.c:71-90,
 * check_set: element smaller than slate_migration, versions not 1, 2, 3..., no
 * name or no up). The runner's refusal stops slated entirely (main.c:135-137)
 * instead of refusing this one plugin with a log line as plugin_loader.h
 * promises. It failed until slate_plugin_check_desc applies the same checks.
 */
static const slate_migration gap[] = {
    {1, "one", "SELECT 1", NULL},
    {3, "three", "SELECT 3", NULL},
};
static const slate_migration no_up[] = {
    {1, "one", NULL, NULL},
};
static const slate_migration no_name[] = {
    {1, NULL, "SELECT 1", NULL},
};

static void test_refuse_migrations_the_runner_refuses(void)
{
	char reason[512];
	slate_plugin_desc d = good();
	d.migration_size = (uint32_t)offsetof(slate_migration, down);
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	d = good();
	d.migrations = gap;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	d.migrations = no_up;
	d.n_migrations = 1;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
	d.migrations = no_name;
	CU_ASSERT_EQUAL(check(&d, "casting", reason, sizeof(reason)), -1);
}

static void test_reason_truncated_safely(void)
{
	char reason[8];
	memset(reason, 'Z', sizeof(reason));
	slate_plugin_desc d = good();
	d.abi_major = SLATE_ABI_MAJOR + 1;
	CU_ASSERT_EQUAL(
	    slate_plugin_check_desc(&d, "casting", reason, sizeof(reason)), -1);
	CU_ASSERT_EQUAL(reason[sizeof(reason) - 1], '\0');
}

/* Every slot of the host table is filled: a plugin calling a slot the
 * host forgot would crash in the middle of its work. The slots after the
 * header are all function pointers (host.h), read here one by one. */
static void test_host_table_complete(void)
{
	const slate_host *h = slate_host_table();
	CU_ASSERT_EQUAL_FATAL(h->struct_size, sizeof(slate_host));
	size_t first = offsetof(slate_host, log);
	size_t slot = sizeof(void (*)(void));
	int empty = 0;
	for (size_t off = first; off + slot <= sizeof(slate_host);
	     off += slot) {
		void (*fn)(void);
		memcpy(&fn, (const char *)h + off, slot);
		if (!fn) {
			fprintf(stderr,
				"host table slot at offset %zu is NULL\n", off);
			empty++;
		}
	}
	CU_ASSERT_EQUAL(empty, 0);
	CU_ASSERT_EQUAL((sizeof(slate_host) - first) % slot, 0);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"good descriptor accepted", test_accept_good},
	    {"NULL refused", test_refuse_null},
	    {"other major refused", test_refuse_other_major},
	    {"newer minor refused", test_refuse_newer_minor},
	    {"too-small struct refused", test_refuse_small_struct},
	    {"bad id refused", test_refuse_bad_id},
	    {"id must match the file name", test_refuse_id_not_file_name},
	    {"missing init refused", test_refuse_missing_init},
	    {"processors alone suffice", test_processors_only},
	    {"malformed migrations refused", test_refuse_malformed_migrations},
	    {"migrations the runner refuses "
	     "are refused here",
	     test_refuse_migrations_the_runner_refuses},
	    {"reason truncated safely", test_reason_truncated_safely},
	    {"every host table slot is filled", test_host_table_complete},
	    {NULL, NULL},
	};
	return unit_run("plugin_check", tests);
}
