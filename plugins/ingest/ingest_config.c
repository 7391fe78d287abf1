/*
 * ingest_config.c - plugins.ingest.config, checked at init: a mistake
 * refuses the plugin with one line naming the key, rather than a folder
 * silently never being watched.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define KEY "plugins.ingest.config."

/* The integer settings: name, range, default, where it goes. */
static const struct int_opt {
	const char *name;
	int min, max, def;
	size_t off;
} int_opts[] = {
    {"settle_ms", 0, 3600000, 2000, offsetof(ing_config, settle_ms)},
    {"reconcile_interval_s", 0, 86400, 300,
     offsetof(ing_config, reconcile_interval_s)},
    {"poll_interval_ms", 50, 3600000, 2000,
     offsetof(ing_config, poll_interval_ms)},
    {"lease_s", 2, 3600, 30, offsetof(ing_config, lease_s)},
    {"threads", 1, 16, 2, offsetof(ing_config, threads)},
};
#define N_INT_OPTS (sizeof(int_opts) / sizeof(int_opts[0]))

static const char *const folder_keys[] = {
    "path",	"talent_source", "pattern", "on_ingest",
    "done_dir", "force_polling", NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* Copy an absolute directory path without trailing slashes; refuse
 * relative paths, "/" itself and "." or ".." components, so that every
 * process configured alike names the folder alike (it is the lease key). */
static char *norm_dir(const char *s, char *why, size_t whylen)
{
	if (s[0] != '/') {
		snprintf(why, whylen, "must be an absolute path");
		return NULL;
	}
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (n <= 1 || n > 3000) {
		snprintf(why, whylen, "must be a directory other than /");
		return NULL;
	}
	char *p = strndup(s, n);
	if (!p) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (char *c = p; (c = strchr(c, '/')); c++) {
		if (!strncmp(c, "/./", 3) || !strncmp(c, "/../", 4) ||
		    !strcmp(c, "/.") || !strcmp(c, "/..") ||
		    !strncmp(c, "//", 2)) {
			snprintf(why, whylen,
				 "must not contain '.', '..' or '//'");
			free(p);
			return NULL;
		}
	}
	return p;
}

static bool path_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return !strncmp(inner, outer, n) && (inner[n] == '/' || !inner[n]);
}

/* One element of "folders". 0 or -1 with err set. */
static int parse_folder(const slate_host *host, slate_plugin *self,
			const json_t *o, size_t i, ing_folder_cfg *f,
			bool force_default, char *err, size_t errlen)
{
	char why[200];
	const char *k;
	json_t *v;
	if (!json_is_object(o)) {
		snprintf(err, errlen, KEY "folders[%zu]: must be an object", i);
		return -1;
	}
	json_object_foreach((json_t *)o, k, v)
	{
		if (!in_list(folder_keys, k)) {
			snprintf(err, errlen,
				 KEY "folders[%zu].%s: unknown key (known: "
				     "path, talent_source, pattern, "
				     "on_ingest, done_dir, force_polling)",
				 i, k);
			return -1;
		}
	}
	const char *path = json_string_value(json_object_get(o, "path"));
	if (!path) {
		snprintf(err, errlen, KEY "folders[%zu].path: required string",
			 i);
		return -1;
	}
	if (!(f->path = norm_dir(path, why, sizeof(why)))) {
		snprintf(err, errlen, KEY "folders[%zu].path: %s", i, why);
		return -1;
	}
	/* the clip entity owns the list of talent sources */
	const json_t *tsv = json_object_get(o, "talent_source");
	const char *ts = json_string_value(tsv);
	if (host->entity_check_value(self, "clip", "talent_source", tsv, why,
				     sizeof(why))) {
		snprintf(err, errlen, KEY "folders[%zu].talent_source: %s", i,
			 why);
		return -1;
	}
	f->talent_source = strdup(ts);
	json_t *pat = json_object_get(o, "pattern");
	if (pat && !json_is_null(pat)) {
		if (!json_is_string(pat) ||
		    ing_pattern_check(json_string_value(pat), why,
				      sizeof(why))) {
			snprintf(err, errlen, KEY "folders[%zu].pattern: %s", i,
				 json_is_string(pat) ? why
						     : "must be a string");
			return -1;
		}
		f->pattern = strdup(json_string_value(pat));
	}
	json_t *on = json_object_get(o, "on_ingest");
	if (on && !json_is_null(on)) {
		const char *s = json_string_value(on);
		if (!s || (strcmp(s, "copy") && strcmp(s, "move"))) {
			snprintf(err, errlen,
				 KEY "folders[%zu].on_ingest: must be \"copy\" "
				     "or \"move\"",
				 i);
			return -1;
		}
		f->move = !strcmp(s, "move");
	}
	json_t *done = json_object_get(o, "done_dir");
	if (done && !json_is_null(done)) {
		if (!json_is_string(done) ||
		    !(f->done_dir = norm_dir(json_string_value(done), why,
					     sizeof(why)))) {
			snprintf(
			    err, errlen, KEY "folders[%zu].done_dir: %s", i,
			    json_is_string(done) ? why : "must be a string");
			return -1;
		}
		if (!f->move) {
			snprintf(err, errlen,
				 KEY "folders[%zu].done_dir: only used with "
				     "on_ingest \"move\"",
				 i);
			return -1;
		}
		if (!strcmp(f->done_dir, f->path)) {
			snprintf(err, errlen,
				 KEY "folders[%zu].done_dir: must differ from "
				     "path",
				 i);
			return -1;
		}
	}
	f->force_polling = force_default;
	json_t *fp = json_object_get(o, "force_polling");
	if (fp) {
		if (!json_is_boolean(fp)) {
			snprintf(err, errlen,
				 KEY "folders[%zu].force_polling: must be "
				     "true or false",
				 i);
			return -1;
		}
		f->force_polling = json_is_true(fp);
	}
	if (!f->talent_source || (pat && !json_is_null(pat) && !f->pattern)) {
		snprintf(err, errlen, KEY "folders[%zu]: out of memory", i);
		return -1;
	}
	return 0;
}

static int parse_ignore(const json_t *a, ing_config *c, char *err,
			size_t errlen)
{
	if (!a)
		return 0;
	if (!json_is_array(a)) {
		snprintf(err, errlen, KEY "ignore: must be an array of globs");
		return -1;
	}
	c->ignore = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!c->ignore) {
		snprintf(err, errlen, KEY "ignore: out of memory");
		return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || !*s || strlen(s) > 255) {
			snprintf(err, errlen,
				 KEY "ignore[%zu]: must be a glob of 1 to 255 "
				     "characters",
				 i);
			return -1;
		}
		if (!(c->ignore[c->n_ignore++] = strdup(s))) {
			snprintf(err, errlen, KEY "ignore: out of memory");
			return -1;
		}
	}
	return 0;
}

int ing_config_parse(const slate_host *host, slate_plugin *self,
		     const json_t *cfg, ing_config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_INT_OPTS; i++)
		*(int *)((char *)c + int_opts[i].off) = int_opts[i].def;
	if (!json_is_object(cfg)) {
		snprintf(err, errlen,
			 "plugins.ingest.config: must be an object");
		return -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg, k, v)
	{
		bool known = !strcmp(k, "folders") || !strcmp(k, "ignore") ||
			     !strcmp(k, "force_polling");
		for (size_t i = 0; i < N_INT_OPTS && !known; i++)
			known = !strcmp(k, int_opts[i].name);
		if (!known) {
			snprintf(err, errlen,
				 KEY "%s: unknown key (known: folders, "
				     "settle_ms, reconcile_interval_s, "
				     "poll_interval_ms, ignore, force_polling, "
				     "lease_s, threads)",
				 k);
			return -1;
		}
	}
	for (size_t i = 0; i < N_INT_OPTS; i++) {
		const struct int_opt *o = &int_opts[i];
		json_t *x = json_object_get(cfg, o->name);
		if (!x)
			continue;
		if (!json_is_integer(x) || json_integer_value(x) < o->min ||
		    json_integer_value(x) > o->max) {
			snprintf(err, errlen,
				 KEY "%s: must be an integer from %d to %d",
				 o->name, o->min, o->max);
			return -1;
		}
		*(int *)((char *)c + o->off) = (int)json_integer_value(x);
	}
	json_t *fp = json_object_get(cfg, "force_polling");
	if (fp && !json_is_boolean(fp)) {
		snprintf(err, errlen,
			 KEY "force_polling: must be true or false");
		return -1;
	}
	if (parse_ignore(json_object_get(cfg, "ignore"), c, err, errlen))
		return -1;
	json_t *folders = json_object_get(cfg, "folders");
	if (!folders)
		return 0; /* loaded, watching nothing */
	if (!json_is_array(folders)) {
		snprintf(err, errlen, KEY "folders: must be an array");
		return -1;
	}
	c->folders = calloc(json_array_size(folders) + 1, sizeof(*c->folders));
	if (!c->folders) {
		snprintf(err, errlen, KEY "folders: out of memory");
		return -1;
	}
	size_t i;
	json_array_foreach(folders, i, v)
	{
		c->n_folders = i + 1;
		if (parse_folder(host, self, v, i, &c->folders[i],
				 json_is_true(fp), err, errlen))
			return -1;
		for (size_t j = 0; j < i; j++) {
			const char *a = c->folders[i].path,
				   *b = c->folders[j].path;
			if (path_inside(a, b) || path_inside(b, a)) {
				snprintf(err, errlen,
					 KEY "folders[%zu].path: overlaps "
					     "folders[%zu].path (%s)",
					 i, j, b);
				return -1;
			}
		}
	}
	return 0;
}

void ing_config_free(ing_config *c)
{
	for (size_t i = 0; i < c->n_folders; i++) {
		free(c->folders[i].path);
		free(c->folders[i].talent_source);
		free(c->folders[i].pattern);
		free(c->folders[i].done_dir);
	}
	free(c->folders);
	for (size_t i = 0; i < c->n_ignore; i++)
		free(c->ignore[i]);
	free(c->ignore);
	memset(c, 0, sizeof(*c));
}
