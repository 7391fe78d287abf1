/* test_file_target.c - entity/file_target.h through slate_entity_register:
 * which file-target declarations an entity may make, the reason a refused
 * one is given, what is copied, and that a def built before ABI 1.2 (too
 * short to hold file targets) registers with none. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/core.h"
#include "entity/engine.h"
#include "entity/file_target.h"
#include "entity/register.h"
#include "http/router.h"
#include "unit.h"

static const slate_field fields[] = {
    {.name = "gadget_id", .type = SLATE_T_UUID, .flags = SLATE_F_READONLY},
    {.name = "name", .type = SLATE_T_TEXT},
    {.name = "file_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "token", .type = SLATE_T_TEXT, .flags = SLATE_F_SECRET},
    {.name = "size", .type = SLATE_T_INT},
    SLATE_FIELD_TIMESTAMP("created_at"),
};

static const char *const pdf[] = {"application/pdf", NULL};
static const char *const none[] = {NULL};
static const char *const spaced[] = {"text/plain; charset=utf-8", NULL};

#define T(field_, kind_, max_, types_, key_)                                   \
	{                                                                      \
		.field = (field_), .kind = (kind_), .max_bytes = (max_),       \
		.content_types = (types_), .key_template = (key_)              \
	}

static slate_entity_def def_with(const slate_file_target *t, uint32_t n)
{
	slate_entity_def d = {
	    .struct_size = sizeof(slate_entity_def),
	    .name = "gadget",
	    .path = "/api/v1/gadgets",
	    .table = "gadgets",
	    .id_column = "gadget_id",
	    .id_param = "gadgetId",
	    SLATE_ENTITY_FIELDS(fields),
	    .ops = SLATE_OP_CRUD,
	    .file_targets = t,
	    .n_file_targets = n,
	    .file_target_size = sizeof(slate_file_target),
	};
	return d;
}

/* Register d in a core of its own: 0 with *nfiles set, or -1 with the
 * reason in err (-2 when a refusal gave none). */
static int reg(const slate_entity_def *d, size_t *nfiles, char *err,
	       size_t errlen)
{
	slate_core core;
	slate_core_init(&core, NULL);
	core.router = slate_router_new();
	err[0] = '\0';
	int rc = slate_entity_register(&core, "test", d, err, errlen);
	if (rc && !err[0])
		rc = -2;
	if (!rc)
		*nfiles = core.entities[0]->nfiles;
	slate_entities_release(&core);
	slate_router_free(core.router);
	return rc;
}

static void test_refused(void)
{
	static const struct {
		const char *what;
		slate_file_target t;
		const char *reason;
	} cases[] = {
	    {"unknown field", T("nope", "doc", 1024, pdf, "d/{id}"),
	     "field nope is not a field"},
	    {"no field", T(NULL, "doc", 1024, pdf, "d/{id}"),
	     "field (null) is not a field"},
	    {"integer field", T("size", "doc", 1024, pdf, "d/{id}"),
	     "field size must be a text field"},
	    {"secret field", T("token", "doc", 1024, pdf, "d/{id}"),
	     "field token must be a text field"},
	    {"zero limit", T("file_reference", "doc", 0, pdf, "d/{id}"),
	     "max_bytes must be more than 0"},
	    {"no types", T("file_reference", "doc", 1024, NULL, "d/{id}"),
	     "at least one content type"},
	    {"empty types", T("file_reference", "doc", 1024, none, "d/{id}"),
	     "at least one content type"},
	    {"type with parameters",
	     T("file_reference", "doc", 1024, spaced, "d/{id}"),
	     "not a type/subtype content type"},
	    {"bad kind", T("file_reference", "Doc-1", 1024, pdf, "d/{id}"),
	     "kind must match"},
	    {"no kind", T("file_reference", NULL, 1024, pdf, "d/{id}"),
	     "kind must match"},
	    {"unknown placeholder",
	     T("file_reference", "doc", 1024, pdf, "d/{id}/{nope}"),
	     "unknown placeholder {nope}"},
	    {"empty placeholder", T("file_reference", "doc", 1024, pdf, "d/{}"),
	     "unbalanced braces"},
	    {"open brace", T("file_reference", "doc", 1024, pdf, "d/{id"),
	     "unbalanced braces"},
	    {"close brace", T("file_reference", "doc", 1024, pdf, "d/id}"),
	     "'}' without '{'"},
	    {"no template", T("file_reference", "doc", 1024, pdf, NULL),
	     "a key_template is required"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		slate_entity_def d = def_with(&cases[i].t, 1);
		char err[512];
		size_t n = 0;
		int rc = reg(&d, &n, err, sizeof(err));
		if (rc != -1 || !strstr(err, cases[i].reason) ||
		    !strstr(err, "entity gadget"))
			fprintf(stderr, "%s: rc %d, reason '%s'\n",
				cases[i].what, rc, err);
		CU_ASSERT_EQUAL(rc, -1);
		UNIT_ASSERT_STR_CONTAINS(err, cases[i].reason);
		UNIT_ASSERT_STR_CONTAINS(err, "entity gadget");
	}
}

static void test_refused_array(void)
{
	char err[512];
	size_t n;
	const slate_file_target twice[] = {
	    T("file_reference", "doc", 1024, pdf, "a/{upload}"),
	    T("name", "doc", 2048, pdf, "b/{upload}"),
	};
	slate_entity_def d = def_with(twice, 2);
	CU_ASSERT_EQUAL(reg(&d, &n, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "file target doc: kind declared twice");
	/* an element smaller than ABI 1.2's */
	d = def_with(twice, 1);
	d.file_target_size = sizeof(slate_file_target) - 1;
	CU_ASSERT_EQUAL(reg(&d, &n, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "file target size");
	d = def_with(NULL, 1);
	CU_ASSERT_EQUAL(reg(&d, &n, err, sizeof(err)), -1);
	UNIT_ASSERT_STR_CONTAINS(err, "file_targets is NULL");
}

static void test_accepted_and_copied(void)
{
	char err[512], types0[2][32] = {"application/pdf", "image/png"};
	const char *types[] = {types0[0], types0[1], NULL};
	char kind[] = "raw_doc",
	     tmpl[] = "docs/{name}/{id}-{upload}-{filename}";
	const slate_file_target t[] = {
	    T("file_reference", kind, 5ull << 30, types, tmpl),
	    T("file_reference", "sheet", 1536, pdf, "sheets/{id}/v{n}.pdf"),
	    T("name", "note", 3ull << 20, pdf, "notes/{created_at}"),
	};
	slate_entity_def d = def_with(t, 3);
	slate_core core;
	slate_core_init(&core, NULL);
	core.router = slate_router_new();
	CU_ASSERT_FATAL(
	    slate_entity_register(&core, "test", &d, err, sizeof(err)) == 0);
	/* the declaration may go once registered: it was copied */
	memset(types0, 'x', sizeof(types0[0]) - 1);
	memset(kind, 'x', sizeof(kind) - 1);
	memset(tmpl, 'x', sizeof(tmpl) - 1);
	const slate_entity *e = core.entities[0];
	CU_ASSERT_EQUAL(e->nfiles, 3);
	const slate_entity_file *f = slate_file_target_find(e, "raw_doc");
	CU_ASSERT_FATAL(f != NULL);
	UNIT_ASSERT_STR_EQ(f->field, "file_reference");
	UNIT_ASSERT_STR_EQ(f->label, "RAW_DOC");
	UNIT_ASSERT_STR_EQ(f->human, "5 GB");
	CU_ASSERT_EQUAL(f->max_bytes, 5ull << 30);
	UNIT_ASSERT_STR_EQ(f->content_types[0], "application/pdf");
	UNIT_ASSERT_STR_EQ(f->content_types[1], "image/png");
	CU_ASSERT_PTR_NULL(f->content_types[2]);
	UNIT_ASSERT_STR_EQ(f->key_template,
			   "docs/{name}/{id}-{upload}-{filename}");
	UNIT_ASSERT_STR_EQ(slate_file_target_find(e, "sheet")->human,
			   "1536 bytes");
	UNIT_ASSERT_STR_EQ(slate_file_target_find(e, "note")->human, "3 MB");
	CU_ASSERT_PTR_NULL(slate_file_target_find(e, "xxxxxxx"));
	CU_ASSERT(slate_file_target_field(e, "name"));
	CU_ASSERT(!slate_file_target_field(e, "token"));
	CU_ASSERT(slate_file_target_any(&core, "sheet") ==
		  slate_file_target_find(e, "sheet"));
	CU_ASSERT_PTR_NULL(slate_file_target_any(&core, "audio"));
	slate_entities_release(&core);
	slate_router_free(core.router);
}

/* A def as a 1.0 or 1.1 plugin built it ends before the file targets:
 * whatever lies past its end is never read. */
static void test_old_def_has_none(void)
{
	char err[512];
	size_t n = 99;
	slate_entity_def d = def_with((const slate_file_target *)"garbage", 7);
	d.file_target_size = 3;
	d.struct_size = offsetof(slate_entity_def, file_targets);
	CU_ASSERT_EQUAL(reg(&d, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
	/* one that holds the members but declares none */
	d = def_with(NULL, 0);
	CU_ASSERT_EQUAL(reg(&d, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"refused targets, each with its reason", test_refused},
	    {"refused target arrays", test_refused_array},
	    {"accepted targets are copied", test_accepted_and_copied},
	    {"a pre-1.2 def has no targets", test_old_def_has_none},
	    {NULL, NULL},
	};
	return unit_run("file_target", tests);
}
