/*
 * test_schema.c - the migrated schema, core and every entity plugin, is the
 * seed's: each table column by column (name, order, type, length, default,
 * nullability), every constraint (primary keys, uniques, foreign keys with
 * their ON DELETE), every index and trigger of the seed, and an updated_at
 * trigger on every table that has updated_at. The reference is a second
 * database built from tests/schema/seed.sql, a verbatim copy of the seed's
 * DDL, in the same cluster.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_server srv;
static PGconn *ours, *seed;

static const char config[] =
    "{\"plugins\": {\"scripts\": {\"enabled\": true}, \"outfits\": "
    "{\"enabled\": true}, \"ui-elements\": {\"enabled\": true}, "
    "\"backgrounds\": {\"enabled\": true}, \"clips\": {\"enabled\": true}, "
    "\"components\": {\"enabled\": true}, \"guests\": {\"enabled\": "
    "true}}}";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static PGconn *connect_db(const char *db)
{
	char ci[400];
	snprintf(ci, sizeof(ci), "host=%s dbname=%s user=slate",
		 th_cluster_dir(&srv), db);
	PGconn *c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect %s: %s", db, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int suite_init(void)
{
	if (th_start(&srv, config))
		return -1;
	if (th_sql(&srv, "CREATE DATABASE seedref"))
		return -1;
	ours = connect_db("slate");
	seed = connect_db("seedref");
	char *ddl = slurp(SLATE_SOURCE_DIR "/tests/schema/seed.sql");
	if (!ours || !seed || !ddl) {
		free(ddl);
		return -1;
	}
	PGresult *r = PQexec(seed, ddl);
	free(ddl);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "seed.sql: %s", PQerrorMessage(seed));
	PQclear(r);
	return ok ? 0 : -1;
}

static int suite_clean(void)
{
	PQfinish(ours);
	PQfinish(seed);
	th_stop(&srv);
	return 0;
}

/* Every row of `sql` on `db`, one line each, fields joined by " | ". */
static char *rows(PGconn *db, const char *sql)
{
	PGresult *r = PQexecParams(db, sql, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "query: %s", PQerrorMessage(db));
		PQclear(r);
		return strdup("(error)");
	}
	size_t cap = 1024, len = 0;
	char *out = malloc(cap);
	out[0] = '\0';
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < PQnfields(r); j++) {
			const char *v = PQgetvalue(r, i, j);
			size_t need = len + strlen(v) + 8;
			if (need > cap) {
				while (cap < need)
					cap *= 2;
				out = realloc(out, cap);
			}
			len += (size_t)sprintf(out + len, "%s%s",
					       j ? " | " : "", v);
		}
		out[len++] = '\n';
		out[len] = '\0';
	}
	PQclear(r);
	return out;
}

/* Compare the query's result on both databases. "$TABLES" in `query`
 * becomes the seed's table names as a text[] literal. */
static void same(const char *what, const char *query)
{
	PGresult *t = PQexec(seed, "SELECT string_agg(quote_literal(tablename)"
				   ", ',') FROM pg_tables WHERE schemaname = "
				   "'public'");
	char list[4096];
	snprintf(list, sizeof(list), "ARRAY[%s]::text[]", PQgetvalue(t, 0, 0));
	PQclear(t);
	char sql[8192];
	const char *at = strstr(query, "$TABLES");
	if (at)
		snprintf(sql, sizeof(sql), "%.*s%s%s", (int)(at - query), query,
			 list, at + 7);
	else
		snprintf(sql, sizeof(sql), "%s", query);
	char *a = rows(ours, sql), *b = rows(seed, sql);
	if (strcmp(a, b))
		fprintf(stderr, "\n%s differ.\n--- migrated:\n%s--- seed:\n%s",
			what, a, b);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
}

static void test_tables_present(void)
{
	char *need = rows(seed, "SELECT tablename FROM pg_tables WHERE "
				"schemaname = 'public' ORDER BY 1");
	char *have = rows(ours, "SELECT tablename FROM pg_tables WHERE "
				"schemaname = 'public' ORDER BY 1");
	for (char *line = strtok(need, "\n"); line; line = strtok(NULL, "\n")) {
		char pat[128];
		snprintf(pat, sizeof(pat), "\n%s\n", line);
		char *padded = malloc(strlen(have) + 2);
		sprintf(padded, "\n%s", have);
		if (!strstr(padded, pat))
			fprintf(stderr, "missing table %s\n", line);
		CU_ASSERT(strstr(padded, pat) != NULL);
		free(padded);
	}
	free(need);
	free(have);
}

static void test_columns(void)
{
	same("columns",
	     "SELECT table_name, ordinal_position, column_name, data_type, "
	     "coalesce(character_maximum_length::text, '-'), "
	     "coalesce(column_default, '-'), is_nullable FROM "
	     "information_schema.columns WHERE table_schema = 'public' AND "
	     "table_name = ANY($TABLES) ORDER BY 1, 2");
}

static void test_constraints(void)
{
	same("constraints",
	     "SELECT conrelid::regclass::text, contype, "
	     "pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace "
	     "= 'public'::regnamespace AND conrelid::regclass::text = "
	     "ANY($TABLES) "
	     "ORDER BY 1, 2, 3");
}

static void test_seed_indexes_present(void)
{
	/* every index of the seed, identical; ours may add search indexes */
	char *want = rows(seed, "SELECT indexdef FROM pg_indexes WHERE "
				"schemaname = 'public' ORDER BY 1");
	char *have = rows(ours, "SELECT indexdef FROM pg_indexes WHERE "
				"schemaname = 'public' ORDER BY 1");
	for (char *line = strtok(want, "\n"); line; line = strtok(NULL, "\n")) {
		bool found = strstr(have, line) != NULL;
		if (!found)
			fprintf(stderr, "missing index: %s\n", line);
		CU_ASSERT(found);
	}
	free(want);
	free(have);
}

static void test_triggers(void)
{
	/* the seed's triggers and functions, identical */
	char *want = rows(seed, "SELECT tgname, pg_get_triggerdef(oid) FROM "
				"pg_trigger WHERE NOT tgisinternal ORDER BY 1");
	char *have = rows(ours, "SELECT tgname, pg_get_triggerdef(oid) FROM "
				"pg_trigger WHERE NOT tgisinternal ORDER BY 1");
	for (char *line = strtok(want, "\n"); line; line = strtok(NULL, "\n")) {
		bool found = strstr(have, line) != NULL;
		if (!found)
			fprintf(stderr, "missing trigger: %s\n", line);
		CU_ASSERT(found);
	}
	free(want);
	free(have);
	same("functions",
	     "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = "
	     "'public'::regnamespace AND proname IN "
	     "('update_updated_at_column', "
	     "'ensure_single_active_script_version') ORDER BY 1");
	/* and "(apply to all tables with updated_at)" */
	char *missing =
	    rows(ours, "SELECT c.table_name FROM information_schema.columns c "
		       "WHERE c.table_schema = 'public' AND c.column_name = "
		       "'updated_at' AND NOT EXISTS (SELECT 1 FROM pg_trigger "
		       "g JOIN pg_proc p ON p.oid = g.tgfoid WHERE "
		       "g.tgrelid = c.table_name::regclass AND p.proname = "
		       "'update_updated_at_column') ORDER BY 1");
	if (*missing)
		fprintf(stderr, "no updated_at trigger on: %s", missing);
	CU_ASSERT_STRING_EQUAL(missing, "");
	free(missing);
}

int main(void)
{
	const th_test tests[] = {
	    {"every seed table exists", test_tables_present},
	    {"columns match the seed", test_columns},
	    {"constraints match the seed", test_constraints},
	    {"the seed's indexes exist", test_seed_indexes_present},
	    {"triggers and functions", test_triggers},
	    {NULL, NULL},
	};
	return th_main("schema", suite_init, suite_clean, tests);
}
