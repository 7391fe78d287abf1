/* router.c - see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slate_router {
	slate_route *routes;
	size_t n, cap;
};

slate_router *slate_router_new(void)
{
	return calloc(1, sizeof(slate_router));
}

static void route_release(slate_route *rt)
{
	free(rt->method);
	free(rt->path);
	for (int i = 0; i < rt->nsegs; i++)
		free(rt->segs[i]);
	free(rt->summary);
	free(rt->body);
}

void slate_router_free(slate_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		route_release(&r->routes[i]);
	free(r->routes);
	free(r);
}

int slate_path_split(char *path, char **segs, int max)
{
	int n = 0;
	char *p = path;
	while (*p) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return -1;
		segs[n++] = p;
		while (*p && *p != '/')
			p++;
	}
	return n;
}

static const char *const methods[] = {"GET",   "POST",	 "PUT",
				      "PATCH", "DELETE", NULL};

static int valid_method(const char *m)
{
	for (int i = 0; methods[i]; i++)
		if (!strcmp(m, methods[i]))
			return 1;
	return 0;
}

static int same_pattern(const slate_route *a, char **segs, int nsegs)
{
	if (a->nsegs != nsegs)
		return 0;
	for (int i = 0; i < nsegs; i++) {
		int pa = a->segs[i][0] == ':', pb = segs[i][0] == ':';
		if (pa != pb || (!pa && strcmp(a->segs[i], segs[i])))
			return 0;
	}
	return 1;
}

int slate_router_add(slate_router *r, const slate_route *tmpl, char *err,
		     size_t errlen)
{
	if (!tmpl->method || !valid_method(tmpl->method)) {
		snprintf(err, errlen, "route %s: unsupported method %s",
			 tmpl->path ? tmpl->path : "?",
			 tmpl->method ? tmpl->method : "(null)");
		return -1;
	}
	if (!tmpl->path || tmpl->path[0] != '/') {
		snprintf(err, errlen, "route %s: path must start with /",
			 tmpl->path ? tmpl->path : "(null)");
		return -1;
	}
	if (!tmpl->handler) {
		snprintf(err, errlen, "route %s %s: no handler", tmpl->method,
			 tmpl->path);
		return -1;
	}
	if (tmpl->perm < SLATE_PERM_PUBLIC || tmpl->perm > SLATE_PERM_ADMIN) {
		snprintf(err, errlen,
			 "route %s %s: no permission declared (every route "
			 "must say who may call it)",
			 tmpl->method, tmpl->path);
		return -1;
	}
	char *copy = strdup(tmpl->path);
	char *segs[SLATE_ROUTE_MAX_SEGS];
	int nsegs =
	    copy ? slate_path_split(copy, segs, SLATE_ROUTE_MAX_SEGS) : -1;
	int nparams = 0;
	for (int i = 0; i < nsegs; i++) {
		if (segs[i][0] == ':' &&
		    (!segs[i][1] || ++nparams > SLATE_ROUTE_MAX_PARAMS))
			nsegs = -1;
	}
	if (nsegs < 0) {
		free(copy);
		snprintf(err, errlen, "route %s %s: malformed path pattern",
			 tmpl->method, tmpl->path);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->routes[i].method, tmpl->method) &&
		    same_pattern(&r->routes[i], segs, nsegs)) {
			snprintf(err, errlen,
				 "route %s %s: already registered by %s",
				 tmpl->method, tmpl->path, r->routes[i].owner);
			free(copy);
			return -1;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		slate_route *nr = realloc(r->routes, cap * sizeof(*nr));
		if (!nr) {
			free(copy);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->routes = nr;
		r->cap = cap;
	}
	slate_route *rt = &r->routes[r->n];
	*rt = *tmpl;
	rt->method = strdup(tmpl->method);
	rt->path = strdup(tmpl->path);
	rt->summary = tmpl->summary ? strdup(tmpl->summary) : NULL;
	rt->nsegs = nsegs;
	rt->literal_mask = 0;
	for (int i = 0; i < nsegs; i++) {
		rt->segs[i] = strdup(segs[i]);
		if (segs[i][0] != ':')
			rt->literal_mask |= 1u << (nsegs - 1 - i);
	}
	free(copy);
	/* body is handed over by the caller already copied (host layout) */
	r->n++;
	return 0;
}

/* Whether route `rt` matches the split path; fills params when it does. */
static int route_matches(const slate_route *rt, char **segs, int nsegs,
			 slate_match *m)
{
	if (rt->nsegs != nsegs)
		return 0;
	for (int i = 0; i < nsegs; i++)
		if (rt->segs[i][0] != ':' && strcmp(rt->segs[i], segs[i]))
			return 0;
	if (m) {
		m->nparams = 0;
		for (int i = 0; i < nsegs; i++) {
			if (rt->segs[i][0] == ':') {
				m->params[m->nparams].key = rt->segs[i] + 1;
				m->params[m->nparams].value = segs[i];
				m->nparams++;
			}
		}
	}
	return 1;
}

int slate_router_match(const slate_router *r, const char *method, char *path,
		       slate_match *m)
{
	char *segs[SLATE_ROUTE_MAX_SEGS];
	memset(m, 0, sizeof(*m));
	int nsegs = slate_path_split(path, segs, SLATE_ROUTE_MAX_SEGS);
	if (nsegs < 0)
		return 404;
	const char *want = strcmp(method, "HEAD") ? method : "GET";
	int any = 0;
	const slate_route *best = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const slate_route *rt = &r->routes[i];
		if (strcmp(rt->method, want) ||
		    !route_matches(rt, segs, nsegs, NULL))
			continue;
		if (!best || rt->literal_mask > best->literal_mask)
			best = rt;
	}
	if (best) {
		route_matches(best, segs, nsegs, m);
		m->route = best;
		return 200;
	}
	for (size_t i = 0; i < r->n; i++) {
		const slate_route *rt = &r->routes[i];
		if (!route_matches(rt, segs, nsegs, NULL))
			continue;
		size_t len = strlen(m->allow);
		if (strstr(m->allow, rt->method))
			continue;
		snprintf(m->allow + len, sizeof(m->allow) - len, "%s%s",
			 any ? ", " : "", rt->method);
		any = 1;
	}
	return any ? 405 : 404;
}

void slate_router_truncate(slate_router *r, size_t n)
{
	while (r->n > n)
		route_release(&r->routes[--r->n]);
}

size_t slate_router_count(const slate_router *r)
{
	return r->n;
}

const slate_route *slate_router_at(const slate_router *r, size_t i)
{
	return i < r->n ? &r->routes[i] : NULL;
}

int slate_router_add_all(slate_router *r, const slate_route *routes, size_t n,
			 char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (slate_router_add(r, &routes[i], err, errlen))
			return -1;
	return 0;
}
