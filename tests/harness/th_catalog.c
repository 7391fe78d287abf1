/* th_catalog.c - see th_catalog.h. */
#include "th_catalog.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CUnit tests take no arguments: the program's one table and server. */
static const th_catalog *cat;
static th_server srv;
static char show_id[64], ep[2][64];

/* links.create named `name`, with the members of `extra` (NULL: none)
 * over it; its id into out (64 bytes). */
static bool make(const char *name, const char *extra, char *out)
{
	json_t *b = json_loads(cat->links.create, 0, NULL);
	json_t *x = extra ? json_loads(extra, 0, NULL) : NULL;
	json_object_set_new(b, cat->links.name_key, json_string(name));
	json_object_update(b, x);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	json_decref(x);
	bool ok = body && th_create(&srv, cat->entity.path, body,
				    cat->entity.id_key, out);
	free(body);
	return ok;
}

static int suite_init(void)
{
	char config[200];
	const char *titles[] = {"Pilot", "Second", NULL};
	snprintf(config, sizeof(config),
		 "{\"plugins\": {\"%s\": {\"enabled\": true}}}", cat->plugin);
	return th_start_show(&srv, config, cat->show, show_id, titles, ep);
}

static int suite_clean(void)
{
	th_stop(&srv);
	return 0;
}

static void test_contract(void)
{
	th_contract_run(&srv, &cat->entity);
}

/* A new one is approved unless it says otherwise. */
static void test_defaults(void)
{
	char id[64], path[200];
	CU_ASSERT_FATAL(make("Defaults", NULL, id));
	snprintf(path, sizeof(path), "%s/%s", cat->entity.path, id);
	th_resp r;
	CU_ASSERT_FATAL(th_req(&srv, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "approval_status") ?: "",
			       "approved");
	th_resp_free(&r);
}

static void test_bad_links_change_nothing(void)
{
	th_links_bad(&srv, &cat->links, ep[0]);
}

static void test_links_and_soft_deletes(void)
{
	th_links_run(&srv, &cat->links, show_id, ep[1]);
}

static void test_filters(void)
{
	const char *name = cat->links.name_key;
	char id[64], b[200], sort[100], type[200], own[200], q[600];
	/* A has the field of its own, B the other type */
	json_t *a = json_loads(cat->own_body, 0, NULL);
	json_object_set_new(a, "tags", json_pack("[s,s]", "ftest", "intro"));
	char *a_body = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	snprintf(b, sizeof(b),
		 "{\"%s\":\"%s\",\"tags\":[\"ftest\"],\"approval_status\":"
		 "\"rejected\"}",
		 cat->type_key, cat->other_type);
	CU_ASSERT(make("Flt A", a_body, id));
	CU_ASSERT(make("Flt B", b, id));
	CU_ASSERT(make("Flt C",
		       "{\"tags\":[\"ftest\",\"outro\"],\"approval_status\":"
		       "\"draft\"}",
		       id));
	free(a_body);
	snprintf(sort, sizeof(sort), "&sort=-%s", name);
	snprintf(type, sizeof(type), "&%s=%s", cat->type_key, cat->other_type);
	snprintf(own, sizeof(own), "&%s", cat->own_query);
	const struct {
		const char *query, *want;
	} cases[] = {
	    {"", "Flt A,Flt B,Flt C"},
	    {sort, "Flt C,Flt B,Flt A"},
	    {",intro", "Flt A"},
	    {type, "Flt B"},
	    {own, "Flt A"},
	    {"&approval_status=draft,rejected", "Flt B,Flt C"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(q, sizeof(q), "%s?tags=ftest%s", cat->entity.path,
			 cases[i].query);
		CU_ASSERT(th_expect_names(&srv, q, NULL, name, cases[i].want));
	}
}

int th_catalog_main(const th_catalog *c)
{
	const th_test tests[] = {
	    {"the entity contract", test_contract},
	    {"defaults", test_defaults},
	    {"bad link inputs change nothing", test_bad_links_change_nothing},
	    {"list filters", test_filters},
	    {"episode links, usage, soft deletes hidden",
	     test_links_and_soft_deletes},
	    {NULL, NULL},
	};
	cat = c;
	return th_main(c->plugin, suite_init, suite_clean, tests);
}
