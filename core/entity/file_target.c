/* file_target.c - see file_target.h. */
#include "entity/file_target.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define KB ((uint64_t)1024)
#define MB (1024 * KB)
#define GB (1024 * MB)

/* The words a 413 uses for a limit: "5 GB", "10 MB", as the seed's
 * FILE_SIZE_LIMITS comments write them; exact bytes when not round. */
static void limit_words(uint64_t n, char *out, size_t len)
{
	if (n % GB == 0)
		snprintf(out, len, "%" PRIu64 " GB", n / GB);
	else if (n % MB == 0)
		snprintf(out, len, "%" PRIu64 " MB", n / MB);
	else if (n % KB == 0)
		snprintf(out, len, "%" PRIu64 " KB", n / KB);
	else
		snprintf(out, len, "%" PRIu64 " bytes", n);
}

bool slate_file_target_placeholder_ok(const slate_entity *e, const char *name)
{
	static const char *const fixed[] = {"id", "upload", "filename", "n",
					    NULL};
	for (size_t i = 0; fixed[i]; i++)
		if (!strcmp(fixed[i], name))
			return true;
	return slate_entity_field(e, name) != NULL;
}

/* Every "{name}" of tmpl is known to e, and braces pair up. */
static int check_template(const slate_entity *e, const char *kind,
			  const char *tmpl, char *err, size_t errlen)
{
	if (!tmpl || !*tmpl)
		return slate_errf(err, errlen,
				  "entity %s: file target %s: a key_template "
				  "is required",
				  e->name, kind);
	for (const char *p = tmpl; *p; p++) {
		if (*p == '}')
			return slate_errf(err, errlen,
					  "entity %s: file target %s: '}' "
					  "without '{' in key_template '%s'",
					  e->name, kind, tmpl);
		if (*p != '{')
			continue;
		const char *end = strchr(p, '}');
		char name[64];
		if (!end || end - p - 1 <= 0 ||
		    (size_t)(end - p - 1) >= sizeof(name) ||
		    memchr(p + 1, '{', (size_t)(end - p - 1)))
			return slate_errf(err, errlen,
					  "entity %s: file target %s: "
					  "unbalanced braces in key_template "
					  "'%s'",
					  e->name, kind, tmpl);
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		if (!slate_file_target_placeholder_ok(e, name))
			return slate_errf(err, errlen,
					  "entity %s: file target %s: unknown "
					  "placeholder {%s} in key_template "
					  "(not id, upload, filename, n or a "
					  "field)",
					  e->name, kind, name);
		p = end;
	}
	return 0;
}

/* The declared checks of one target, before anything is copied. */
static int check_target(const slate_entity *e, const slate_file_target *t,
			char *err, size_t errlen)
{
	const char *kind = t->kind ? t->kind : "(null)";
	if (!slate_ident_valid(t->kind))
		return slate_errf(err, errlen,
				  "entity %s: file target %s: kind must match "
				  "[a-z_][a-z0-9_]*",
				  e->name, kind);
	if (slate_file_target_find(e, t->kind))
		return slate_errf(err, errlen,
				  "entity %s: file target %s: kind declared "
				  "twice",
				  e->name, kind);
	const slate_field *f =
	    t->field ? slate_entity_field(e, t->field) : NULL;
	if (!f)
		return slate_errf(err, errlen,
				  "entity %s: file target %s: field %s is not "
				  "a field of the entity",
				  e->name, kind,
				  t->field ? t->field : "(null)");
	if (f->type != SLATE_T_TEXT || (f->flags & SLATE_F_SECRET) ||
	    !strcmp(f->name, e->id_column))
		return slate_errf(err, errlen,
				  "entity %s: file target %s: field %s must be "
				  "a text field that is not secret (it holds "
				  "the object key)",
				  e->name, kind, f->name);
	if (!t->max_bytes)
		return slate_errf(err, errlen,
				  "entity %s: file target %s: max_bytes must "
				  "be more than 0",
				  e->name, kind);
	if (!t->content_types || !t->content_types[0])
		return slate_errf(err, errlen,
				  "entity %s: file target %s: at least one "
				  "content type is required",
				  e->name, kind);
	for (size_t i = 0; t->content_types[i]; i++)
		if (!strchr(t->content_types[i], '/') ||
		    strpbrk(t->content_types[i], " \t\r\n;,"))
			return slate_errf(err, errlen,
					  "entity %s: file target %s: '%s' is "
					  "not a type/subtype content type",
					  e->name, kind, t->content_types[i]);
	return check_template(e, kind, t->key_template, err, errlen);
}

static int copy_target(slate_entity_file *dst, const slate_file_target *t)
{
	size_t n = 0;
	while (t->content_types[n])
		n++;
	dst->field = strdup(t->field);
	dst->kind = strdup(t->kind);
	dst->key_template = strdup(t->key_template);
	dst->content_types = calloc(n + 1, sizeof(char *));
	dst->max_bytes = t->max_bytes;
	if (!dst->field || !dst->kind || !dst->key_template ||
	    !dst->content_types)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(dst->content_types[i] = strdup(t->content_types[i])))
			return -1;
	size_t i = 0;
	for (; t->kind[i] && i + 1 < sizeof(dst->label); i++)
		dst->label[i] = (char)(t->kind[i] >= 'a' && t->kind[i] <= 'z'
					   ? t->kind[i] - 'a' + 'A'
					   : t->kind[i]);
	dst->label[i] = '\0';
	limit_words(t->max_bytes, dst->human, sizeof(dst->human));
	return 0;
}

int slate_file_target_import(slate_entity *e, const slate_file_target *targets,
			     uint32_t n, uint32_t size, char *err,
			     size_t errlen)
{
	if (!n)
		return 0;
	if (!targets)
		return slate_errf(err, errlen,
				  "entity %s: n_file_targets is %u but "
				  "file_targets is NULL",
				  e->name, n);
	/* older plugins' elements are smaller: nothing is optional yet */
	if (size < sizeof(slate_file_target))
		return slate_errf(err, errlen,
				  "entity %s: file target size %u too small",
				  e->name, size);
	e->files = calloc(n, sizeof(*e->files));
	if (!e->files)
		return slate_errf(err, errlen, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const slate_file_target *t =
		    (const slate_file_target *)((const char *)targets +
						(size_t)i * size);
		if (check_target(e, t, err, errlen))
			return -1;
		/* counted first: a half-copied target is freed with e */
		if (copy_target(&e->files[e->nfiles++], t))
			return slate_errf(err, errlen, "out of memory");
	}
	return 0;
}

const slate_entity_file *slate_file_target_find(const slate_entity *e,
						const char *kind)
{
	for (size_t i = 0; kind && i < e->nfiles; i++)
		if (!strcmp(e->files[i].kind, kind))
			return &e->files[i];
	return NULL;
}

const slate_entity_file *slate_file_target_any(const slate_core *core,
					       const char *kind)
{
	for (size_t i = 0; i < core->nentities; i++) {
		const slate_entity_file *t =
		    slate_file_target_find(core->entities[i], kind);
		if (t)
			return t;
	}
	return NULL;
}

bool slate_file_target_field(const slate_entity *e, const char *field)
{
	for (size_t i = 0; field && i < e->nfiles; i++)
		if (!strcmp(e->files[i].field, field))
			return true;
	return false;
}
