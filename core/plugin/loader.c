/* loader.c - see loader.h. */
#include "plugin/loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <slate/host.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "entity/engine.h"
#include "entity/link.h"
#include "http/router.h"
#include "plugin/host_api.h"

static bool valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Whether a plugin's descriptor is new enough to carry member `m`. */
#define HAS_DECL(d, m)                                                         \
	((d)->struct_size >= offsetof(slate_plugin_desc, m) + sizeof((d)->m))

int slate_plugin_check_desc(const slate_plugin_desc *d, const char *file_id,
			    char *reason, size_t len)
{
	const size_t need =
	    offsetof(slate_plugin_desc, shutdown) + sizeof(d->shutdown);
	if (!d) {
		snprintf(reason, len, "slate_plugin_entry() returned NULL");
		return -1;
	}
	if (d->abi_major != SLATE_ABI_MAJOR) {
		snprintf(reason, len,
			 "ABI major %u, but this slated has ABI major %u "
			 "(rebuild the plugin against SDK %u.x)",
			 d->abi_major, SLATE_ABI_MAJOR, SLATE_ABI_MAJOR);
		return -1;
	}
	if (d->abi_minor > SLATE_ABI_MINOR) {
		snprintf(reason, len,
			 "built for ABI %u.%u, newer than this slated's %u.%u "
			 "(upgrade slated or rebuild the plugin against %u.%u)",
			 d->abi_major, d->abi_minor, SLATE_ABI_MAJOR,
			 SLATE_ABI_MINOR, SLATE_ABI_MAJOR, SLATE_ABI_MINOR);
		return -1;
	}
	if (d->struct_size < need) {
		snprintf(reason, len,
			 "descriptor is %u bytes, ABI %u.%u needs at least %zu",
			 d->struct_size, d->abi_major, d->abi_minor, need);
		return -1;
	}
	if (!valid_id(d->id)) {
		snprintf(reason, len, "id '%s' is not [a-z0-9_-]{1,64}",
			 d->id ? d->id : "(null)");
		return -1;
	}
	if (file_id && strcmp(d->id, file_id)) {
		snprintf(reason, len,
			 "file is named %s.so but declares id '%s' (name the "
			 "file %s.so)",
			 file_id, d->id, d->id);
		return -1;
	}
	if (!d->init && !(HAS_DECL(d, entities) && d->entities) &&
	    !(HAS_DECL(d, links) && d->links) &&
	    !(HAS_DECL(d, routes) && d->routes) &&
	    !(HAS_DECL(d, processors) && d->processors)) {
		snprintf(reason, len,
			 "descriptor has neither an init function nor "
			 "declarations");
		return -1;
	}
	if (d->n_migrations &&
	    (!d->migrations || d->migration_size < sizeof(slate_migration))) {
		snprintf(reason, len,
			 "migrations declared with element size %u, ABI %u.%u "
			 "needs %zu",
			 d->migration_size, d->abi_major, d->abi_minor,
			 sizeof(slate_migration));
		return -1;
	}
	/* The same rules the migration runner applies, checked here so that
	 * a bad plugin is refused alone instead of stopping slated. */
	for (uint32_t i = 0; i < d->n_migrations; i++) {
		const slate_migration *m =
		    (const slate_migration *)((const char *)d->migrations +
					      (size_t)i * d->migration_size);
		if (m->version != i + 1 || !m->name || !m->up) {
			snprintf(reason, len,
				 "migration %u: versions must run 1, 2, 3... "
				 "and each needs a name and up SQL",
				 i + 1);
			return -1;
		}
	}
	return 0;
}

static slate_plugin *record_new(slate_core *core, const char *id,
				const char *file)
{
	slate_plugin **list =
	    realloc(core->plugins, (core->nplugins + 1) * sizeof(*list));
	if (!list)
		return NULL;
	core->plugins = list;
	slate_plugin *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->id = strdup(id);
	p->file = file ? strdup(file) : NULL;
	p->core = core;
	core->plugins[core->nplugins++] = p;
	return p;
}

static void refuse(slate_plugin *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(slate_plugin *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->state = SLATE_PLUGIN_REFUSED;
	slate_log(SLATE_LOG_ERROR, "core", NULL, "plugin %s (%s) refused: %s",
		  p->id, p->file ? p->file : "no file", p->reason);
}

/* dlopen, find the entry, check the descriptor. */
static void open_one(slate_plugin *p)
{
	/* Clear any stale error so dlerror() below speaks of this call. */
	dlerror();
	p->dl = dlopen(p->file, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		refuse(p, "dlopen failed: %s", dlerror());
		return;
	}
	void *sym = dlsym(p->dl, SLATE_PLUGIN_ENTRY_NAME);
	if (!sym) {
		refuse(p, "no exported function %s()", SLATE_PLUGIN_ENTRY_NAME);
		return;
	}
	slate_plugin_entry_fn entry;
	memcpy(&entry, &sym, sizeof(entry)); /* object to function pointer */
	p->desc = entry();
	char why[sizeof(p->reason)];
	if (slate_plugin_check_desc(p->desc, p->id, why, sizeof(why))) {
		refuse(p, "%s", why);
		p->desc = NULL;
		return;
	}
	p->state = SLATE_PLUGIN_OPENED;
}

typedef struct found {
	char *id;
	char *file;
} found;

static int by_id(const void *a, const void *b)
{
	return strcmp(((const found *)a)->id, ((const found *)b)->id);
}

/* Every <id>.so in the ':'-separated directories; the first directory
 * holding an id wins. The array and its strings are the caller's. */
static found *discover(const char *dirs, size_t *count)
{
	found *list = NULL;
	size_t n = 0;
	char *copy = strdup(dirs), *save = NULL;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		DIR *d = opendir(dir);
		if (!d) {
			slate_log(SLATE_LOG_WARN, "core", NULL,
				  "plugin directory %s cannot be read", dir);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len < 4 || strcmp(de->d_name + len - 3, ".so"))
				continue;
			char *id = strndup(de->d_name, len - 3);
			bool dup = false;
			for (size_t i = 0; id && i < n; i++)
				dup |= !strcmp(list[i].id, id);
			found *nl = dup || !id
					? NULL
					: realloc(list, (n + 1) * sizeof(*nl));
			if (!nl) {
				free(id);
				continue;
			}
			list = nl;
			list[n].id = id;
			if (asprintf(&list[n].file, "%s/%s", dir, de->d_name) <
			    0) {
				free(id);
				continue;
			}
			n++;
		}
		closedir(d);
	}
	free(copy);
	if (n)
		qsort(list, n, sizeof(*list), by_id);
	*count = n;
	return list;
}

int slate_plugins_open(slate_core *core)
{
	const slate_config *cfg = core->cfg;
	size_t n = 0;
	found *files = discover(cfg->plugin_dir, &n);
	for (size_t i = 0; i < n; i++) {
		slate_plugin *p = record_new(core, files[i].id, files[i].file);
		if (!p)
			continue;
		if (!slate_config_plugin_enabled(cfg, files[i].id)) {
			p->state = SLATE_PLUGIN_DISABLED;
			snprintf(p->reason, sizeof(p->reason),
				 "not enabled in config");
			continue;
		}
		open_one(p);
	}
	/* enabled in config but not found */
	const char *id;
	json_t *v;
	json_object_foreach(cfg->plugins, id, v)
	{
		bool present = false;
		for (size_t i = 0; i < n; i++)
			present |= !strcmp(files[i].id, id);
		if (present || !slate_config_plugin_enabled(cfg, id))
			continue;
		slate_plugin *p = record_new(core, id, NULL);
		if (!p)
			continue;
		p->state = SLATE_PLUGIN_MISSING;
		snprintf(p->reason, sizeof(p->reason),
			 "enabled in config but no %s.so in %s", id,
			 cfg->plugin_dir);
		slate_log(SLATE_LOG_ERROR, "core", NULL, "plugin %s: %s", id,
			  p->reason);
	}
	for (size_t i = 0; i < n; i++) {
		free(files[i].id);
		free(files[i].file);
	}
	free(files);
	return 0;
}

int slate_plugins_collect_migrations(const slate_core *core,
				     slate_migration_set **out, size_t *n)
{
	*out = calloc(core->nplugins ? core->nplugins : 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return -1;
	for (size_t i = 0; i < core->nplugins; i++) {
		const slate_plugin *p = core->plugins[i];
		if (p->state != SLATE_PLUGIN_OPENED &&
		    p->state != SLATE_PLUGIN_LOADED)
			continue;
		if (!p->desc->n_migrations)
			continue;
		slate_migration_set *s = &(*out)[(*n)++];
		s->component = p->id;
		s->list = p->desc->migrations;
		s->n = p->desc->n_migrations;
		s->elem_size = p->desc->migration_size;
	}
	return 0;
}

/* The descriptor's static declarations, through the same host functions a
 * plugin's init would call (they log the precise reason of a refusal). */
static int register_declared(slate_plugin *p, const slate_host *host, char *err,
			     size_t errlen)
{
	const slate_plugin_desc *d = p->desc;
	for (size_t i = 0;
	     HAS_DECL(d, entities) && d->entities && d->entities[i]; i++)
		if (host->entity_add(p, d->entities[i]))
			return slate_errf(
			    err, errlen, "declared entity %s refused",
			    d->entities[i]->name ? d->entities[i]->name
						 : "(unnamed)");
	for (size_t i = 0; HAS_DECL(d, links) && d->links && d->links[i]; i++)
		if (host->link_add(p, d->links[i]))
			return slate_errf(
			    err, errlen, "declared link %s refused",
			    d->links[i]->table ? d->links[i]->table
					       : "(unnamed)");
	for (size_t i = 0; HAS_DECL(d, routes) && d->routes && d->routes[i];
	     i++)
		if (host->route_add(p, d->routes[i]))
			return slate_errf(
			    err, errlen, "declared route %s %s refused",
			    d->routes[i]->method, d->routes[i]->path);
	for (size_t i = 0;
	     HAS_DECL(d, processors) && d->processors && d->processors[i]; i++)
		if (host->processor_add(p, d->processors[i]))
			return slate_errf(
			    err, errlen, "declared processor %s refused",
			    d->processors[i]->kind ? d->processors[i]->kind
						   : "(unnamed)");
	return 0;
}

void slate_plugins_init(slate_core *core)
{
	const slate_host *host = slate_host_table();
	for (size_t i = 0; i < core->nplugins; i++) {
		slate_plugin *p = core->plugins[i];
		if (p->state != SLATE_PLUGIN_OPENED)
			continue;
		size_t nroutes = slate_router_count(core->router);
		size_t nentities = core->nentities;
		size_t nsubs = core->nsubs;
		size_t nlinks = core->nlinks;
		char err[400] = "";
		int rc = p->desc->init
			     ? p->desc->init(p, host, err, sizeof(err))
			     : 0;
		if (rc == 0)
			rc = register_declared(p, host, err, sizeof(err));
		if (rc != 0) {
			/* Undo what it registered before failing. */
			slate_router_truncate(core->router, nroutes);
			slate_entities_truncate(core, nentities);
			while (core->nsubs > nsubs)
				free(core->subs[--core->nsubs].event);
			if (core->nlinks > nlinks)
				slate_links_truncate(core, nlinks);
			refuse(p, "init failed: %s",
			       err[0] ? err : "(no reason given)");
			continue;
		}
		p->state = SLATE_PLUGIN_LOADED;
		slate_log(SLATE_LOG_INFO, "core", NULL,
			  "plugin %s %s loaded from %s (ABI %u.%u)", p->id,
			  p->desc->version ? p->desc->version : "?", p->file,
			  p->desc->abi_major, p->desc->abi_minor);
	}
}

void slate_plugins_shutdown(slate_core *core)
{
	for (size_t i = core->nplugins; i-- > 0;) {
		slate_plugin *p = core->plugins[i];
		if (p->state == SLATE_PLUGIN_LOADED && p->desc->shutdown)
			p->desc->shutdown(p);
	}
}

void slate_plugins_release(slate_core *core)
{
	for (size_t i = 0; i < core->nplugins; i++) {
		free(core->plugins[i]->id);
		free(core->plugins[i]->file);
		free(core->plugins[i]);
	}
	free(core->plugins);
	core->plugins = NULL;
	core->nplugins = 0;
}
