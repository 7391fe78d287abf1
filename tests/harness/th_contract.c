/* th_contract.c - see th_contract.h. */
#include "th_contract.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_ID "00000000-0000-4000-8000-000000000000"

/* What the contract needs while it runs: the entity, its two rows and the
 * paths built from them. */
typedef struct run {
	th_server *s;
	const th_entity *e;
	char a[64], b[64];
	char item_a[300], item_b[300];
	long total; /* the list's total before the contract made rows */
} run;

static long fingerprint(const run *x)
{
	const char *tables[] = {x->e->table, NULL};
	return th_fingerprint_tables(x->s, tables);
}

static void item_path(const run *x, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/%s",
		 x->e->item_path ? x->e->item_path : x->e->path, id);
}

/* Every member of `body` (a JSON object) equal in the answer's data. */
static bool echoes(const th_resp *r, const char *body)
{
	json_t *want = json_loads(body, 0, NULL), *v;
	json_t *data = json_object_get(r->json, "data");
	const char *k;
	bool ok = want != NULL;
	json_object_foreach(want, k, v)
	{
		if (!json_equal(json_object_get(data, k), v)) {
			fprintf(stderr, "\n%s: not echoed in %s\n", k,
				r->body ? r->body : "(no body)");
			ok = false;
		}
	}
	json_decref(want);
	return ok;
}

/* Where id stands in the list at path (-1: absent). */
static long position(th_server *s, const char *path, const char *id_key,
		     const char *id)
{
	th_resp r;
	long at = -1;
	size_t i;
	json_t *it;
	if (th_req(s, "GET", path, NULL, NULL, &r))
		return -2;
	json_array_foreach(json_object_get(r.json, "data"), i, it)
	{
		const char *v = json_string_value(json_object_get(it, id_key));
		if (at < 0 && v && !strcmp(v, id))
			at = (long)i;
	}
	if (r.status != 200) {
		fprintf(stderr, "\nGET %s: %ld %s\n", path, r.status, r.body);
		at = -2;
	}
	th_resp_free(&r);
	return at;
}

static long audit_rows(const run *x, const char *id, const char *action)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_type = '%s' AND "
		 "entity_id = '%s' AND action = '%s'",
		 x->e->audit_type, id, action);
	return th_sql_long(x->s, sql);
}

static void check_create_get(run *x)
{
	const th_entity *e = x->e;
	th_resp r;
	x->total = th_total(x->s, e->path);
	CU_ASSERT_FATAL(x->total >= 0);
	CU_ASSERT_FATAL(th_req(x->s, "POST", e->path, e->create_a, NULL, &r) ==
			0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT(echoes(&r, e->create_a));
	snprintf(x->a, sizeof(x->a), "%s", th_data_str(&r, e->id_key) ?: "");
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_create(x->s, e->path, e->create_b, e->id_key, x->b));
	CU_ASSERT_FATAL(x->a[0] != '\0');
	item_path(x, x->a, x->item_a, sizeof(x->item_a));
	item_path(x, x->b, x->item_b, sizeof(x->item_b));

	CU_ASSERT_FATAL(th_req(x->s, "GET", x->item_a, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, e->id_key) ?: "", x->a);
	CU_ASSERT(echoes(&r, e->create_a));
	th_resp_free(&r);
	CU_ASSERT_EQUAL(audit_rows(x, x->a, "create"), 1);
}

static void check_list(run *x)
{
	const th_entity *e = x->e;
	char path[600];
	th_resp r;
	CU_ASSERT_EQUAL(th_total(x->s, e->path), x->total + 2);
	snprintf(path, sizeof(path), "%s?limit=1&offset=1", e->path);
	CU_ASSERT_FATAL(th_req(x->s, "GET", path, NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	json_t *meta = json_object_get(r.json, "metadata");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "total")),
			x->total + 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "limit")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "offset")), 1);
	th_resp_free(&r);

	snprintf(path, sizeof(path), "%s?%s&limit=100", e->path, e->filter);
	CU_ASSERT(position(x->s, path, e->id_key, x->a) >= 0);
	CU_ASSERT_EQUAL(position(x->s, path, e->id_key, x->b), -1);

	snprintf(path, sizeof(path), "%s?sort=%s&limit=100", e->path, e->sort);
	long a = position(x->s, path, e->id_key, x->a);
	long b = position(x->s, path, e->id_key, x->b);
	CU_ASSERT(a >= 0 && b > a);
	snprintf(path, sizeof(path), "%s?sort=-%s&limit=100", e->path, e->sort);
	a = position(x->s, path, e->id_key, x->a);
	b = position(x->s, path, e->id_key, x->b);
	CU_ASSERT(b >= 0 && a > b);
}

static void check_patch(run *x)
{
	th_resp r;
	CU_ASSERT_FATAL(
	    th_req(x->s, "PATCH", x->item_a, x->e->patch, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT(echoes(&r, x->e->patch));
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req(x->s, "GET", x->item_a, NULL, NULL, &r) == 0);
	CU_ASSERT(echoes(&r, x->e->patch));
	th_resp_free(&r);
	/* one audit row per field changed: the patch changes each of its */
	json_t *patch = json_loads(x->e->patch, 0, NULL);
	CU_ASSERT_EQUAL(audit_rows(x, x->a, "update"),
			(long)json_object_size(patch));
	json_decref(patch);
}

/* a's unique value, as a body of its own ({"<unique>": <value>}). */
static char *unique_body(const th_entity *e)
{
	json_t *a = json_loads(e->create_a, 0, NULL);
	json_t *b =
	    json_pack("{s:O}", e->unique, json_object_get(a, e->unique));
	char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(a);
	json_decref(b);
	return body;
}

static void check_unique(run *x)
{
	const th_entity *e = x->e;
	if (!e->unique)
		return;
	char *taken = unique_body(e);
	CU_ASSERT_FATAL(taken != NULL);
	long before = fingerprint(x);
	CU_ASSERT(th_expect_error(x->s, "POST", e->path, e->create_a, 409,
				  "CONFLICT", e->unique));
	CU_ASSERT(th_expect_error(x->s, "PATCH", x->item_b, taken, 409,
				  "CONFLICT", e->unique));
	CU_ASSERT_EQUAL(fingerprint(x), before);
	free(taken);
}

/* The error code an answer of `status` carries. */
static const char *code_of(long status)
{
	switch (status) {
	case 404:
		return "NOT_FOUND";
	case 409:
		return "CONFLICT";
	case 422:
		return "UNPROCESSABLE_ENTITY";
	default:
		return "VALIDATION_ERROR";
	}
}

/* One bad input: its error, and nothing changed by it. */
static void check_bad(run *x, const th_bad_input *b)
{
	const th_entity *e = x->e;
	char path[600];
	const char *body = b->body;
	const char *method = b->on_item ? "PATCH" : b->method;
	if (b->on_item)
		snprintf(path, sizeof(path), "%s", x->item_a);
	else if (!strcmp(b->method, "GET"))
		snprintf(path, sizeof(path), "%s?%s", e->path, b->body);
	else
		snprintf(path, sizeof(path), "%s", e->path);
	if (!b->on_item && !strcmp(b->method, "GET"))
		body = NULL;
	long before = fingerprint(x);
	long status = b->status ? b->status : 400;
	th_resp r;
	CU_ASSERT_FATAL(th_req(x->s, method, path, body, NULL, &r) == 0);
	if (r.status != status || strcmp(th_err_field(&r), b->field))
		fprintf(stderr, "\n%s %s %s: %ld %s\n", method, path,
			body ? body : "", r.status, r.body ? r.body : "");
	/* one assertion each, so a failure says which part differs */
	CU_ASSERT_EQUAL(r.status, status);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), code_of(status));
	CU_ASSERT_STRING_EQUAL(th_err_field(&r), b->field);
	th_resp_free(&r);
	if (b->message)
		CU_ASSERT(
		    th_expect_message(x->s, method, path, body, b->message));
	CU_ASSERT_EQUAL(fingerprint(x), before);
}

static void check_bad_inputs(run *x)
{
	const th_entity *e = x->e;
	char id_member[200], no_item[300], bad_item[300];
	snprintf(id_member, sizeof(id_member), "{\"%s\":\"" NO_ID "\"}",
		 e->id_key);
	/* what every entity refuses, whatever its fields */
	const th_bad_input common[] = {
	    {"PATCH", "{\"no_such_field\":1}", true, "no_such_field", 0, NULL},
	    {"PATCH", id_member, true, e->id_key, 0, NULL},
	    {"PATCH", "{}", true, "", 0, NULL},
	    {"POST", "[]", false, "", 0, NULL},
	    {"GET", "limit=0", false, "limit", 0, NULL},
	    {"GET", "limit=101", false, "limit", 0, NULL},
	    {"GET", "offset=-1", false, "offset", 0, NULL},
	    {"GET", "sort=no_such_field", false, "sort", 0, NULL},
	    {"GET", "no_such_field=x", false, "no_such_field", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	for (const th_bad_input *b = common; b->method; b++)
		check_bad(x, b);
	for (const th_bad_input *b = e->bad; b && b->method; b++)
		check_bad(x, b);
	long before = fingerprint(x);
	CU_ASSERT(th_expect_error(x->s, "POST", e->path, "{\"a\":1,}", 400,
				  "INVALID_JSON", ""));
	CU_ASSERT_EQUAL(fingerprint(x), before);
	/* ids that name no row, or are no id */
	item_path(x, NO_ID, no_item, sizeof(no_item));
	item_path(x, "not-a-uuid", bad_item, sizeof(bad_item));
	before = fingerprint(x);
	CU_ASSERT(th_expect_error(x->s, "GET", no_item, NULL, 404, "NOT_FOUND",
				  e->id_param));
	CU_ASSERT(th_expect_error(x->s, "PATCH", no_item, e->patch, 404,
				  "NOT_FOUND", e->id_param));
	CU_ASSERT(th_expect_error(x->s, "DELETE", no_item, NULL, 404,
				  "NOT_FOUND", e->id_param));
	CU_ASSERT(th_expect_error(x->s, "GET", bad_item, NULL, 400,
				  "VALIDATION_ERROR", e->id_param));
	CU_ASSERT_EQUAL(fingerprint(x), before);
}

static void check_soft_delete(run *x)
{
	const th_entity *e = x->e;
	char sql[400], path[600];
	CU_ASSERT_EQUAL(th_status(x->s, "DELETE", x->item_a, NULL), 200);
	CU_ASSERT(th_expect_error(x->s, "GET", x->item_a, NULL, 404,
				  "NOT_FOUND", e->id_param));
	CU_ASSERT_EQUAL(th_status(x->s, "PATCH", x->item_a, e->patch), 404);
	CU_ASSERT_EQUAL(th_status(x->s, "DELETE", x->item_a, NULL), 404);
	CU_ASSERT_EQUAL(audit_rows(x, x->a, "delete"), 1);
	CU_ASSERT_EQUAL(th_total(x->s, e->path), x->total + 1);
	snprintf(path, sizeof(path), "%s?limit=100", e->path);
	CU_ASSERT_EQUAL(position(x->s, path, e->id_key, x->a), -1);
	snprintf(path, sizeof(path), "%s?%s&limit=100", e->path, e->filter);
	CU_ASSERT_EQUAL(position(x->s, path, e->id_key, x->a), -1);
	/* soft: the row stays, marked */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM %s WHERE %s = '%s' AND deleted_at IS "
		 "NOT NULL",
		 e->table, e->id_key, x->a);
	CU_ASSERT_EQUAL(th_sql_long(x->s, sql), 1);
	if (e->unique && e->unique_kept_deleted) {
		long before = fingerprint(x);
		CU_ASSERT(th_expect_error(x->s, "POST", e->path, e->create_a,
					  409, "CONFLICT", e->unique));
		CU_ASSERT_EQUAL(fingerprint(x), before);
	}
	CU_ASSERT_EQUAL(th_status(x->s, "DELETE", x->item_b, NULL), 200);
	CU_ASSERT_EQUAL(th_total(x->s, e->path), x->total);
}

void th_contract_run(th_server *s, const th_entity *e)
{
	run x = {.s = s, .e = e};
	check_create_get(&x);
	check_list(&x);
	check_patch(&x);
	check_unique(&x);
	check_bad_inputs(&x);
	check_soft_delete(&x);
}
