/* th_links.c - see th_links.h. */
#include "th_links.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_ID "00000000-0000-4000-8000-000000000000"

/* An entity named `name`; its id into out (64 bytes). */
static bool make(th_server *s, const th_link_entity *e, const char *name,
		 char *out)
{
	json_t *b = json_loads(e->create, 0, NULL);
	json_object_set_new(b, e->name_key, json_string(name));
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	bool ok = body && th_create(s, e->path, body, e->id_key, out);
	free(body);
	return ok;
}

static long audit_links(th_server *s, const th_link_entity *e, const char *ep,
			const char *action)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND "
		 "action = '%s' AND field_name = '%s'",
		 ep, action, e->sub);
	return th_sql_long(s, sql);
}

/* {"<id_key>":"<id>"<extra>} into out (300 bytes). */
static void link_body(const th_link_entity *e, const char *id,
		      const char *extra, char *out)
{
	snprintf(out, 300, "{\"%s\":\"%s\"%s}", e->id_key, id, extra);
}

void th_links_run(th_server *s, const th_link_entity *e, const char *show_id,
		  const char *ep)
{
	char a[64], b[64], gone_ep[64], body[300], path[400];
	char on_ep[200], on_gone[200], want[300];
	CU_ASSERT_FATAL(make(s, e, "Link A", a) && make(s, e, "Link B", b));
	CU_ASSERT_FATAL(th_episode(s, show_id, "Doomed", 90, gone_ep));
	snprintf(on_ep, sizeof(on_ep), "/api/v1/episodes/%s/%s", ep,
		 e->segment);
	snprintf(on_gone, sizeof(on_gone), "/api/v1/episodes/%s/%s", gone_ep,
		 e->segment);

	th_resp r;
	link_body(e, a,
		  ",\"usage_context\":\"intro\",\"notes\":\"fade in at 00:02\"",
		  body);
	CU_ASSERT_FATAL(th_req(s, "POST", on_ep, body, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "notes") ?: "",
			       "fade in at 00:02");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, e->id_key) ?: "", a);
	th_resp_free(&r);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_ep, body), 409);
	link_body(e, a, ",\"usage_context\":\"outro\"", body);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_ep, body), 201);
	link_body(e, b, "", body);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_ep, body), 201);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_ep, body), 409);
	link_body(e, a, "", body);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_gone, body), 201);
	CU_ASSERT_EQUAL(audit_links(s, e, ep, "link"), 3);

	char title[64];
	snprintf(path, sizeof(path),
		 "SELECT title FROM episodes WHERE "
		 "episode_id = '%s'",
		 ep);
	CU_ASSERT_FATAL(th_sql_text(s, path, title, sizeof(title)) == 0);
	CU_ASSERT(th_expect_names(s, on_ep, e->sub, e->name_key,
				  "Link A,Link A,Link B"));
	CU_ASSERT(th_expect_names(s, on_ep, NULL, "usage_context",
				  "intro,outro,(null)"));
	snprintf(path, sizeof(path), "%s/%s/usage", e->path, a);
	snprintf(want, sizeof(want), "%s,%s,Doomed", title, title);
	CU_ASSERT(th_expect_names(s, path, "episode", "title", want));

	/* soft deletes: the episode, then an entity */
	char item[300];
	snprintf(item, sizeof(item), "/api/v1/episodes/%s", gone_ep);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", item, NULL), 200);
	snprintf(want, sizeof(want), "%s,%s", title, title);
	CU_ASSERT(th_expect_names(s, path, "episode", "title", want));
	CU_ASSERT_EQUAL(th_status(s, "GET", on_gone, NULL), 404);
	snprintf(item, sizeof(item), "%s/%s", e->path, b);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", item, NULL), 200);
	CU_ASSERT(
	    th_expect_names(s, on_ep, e->sub, e->name_key, "Link A,Link A"));
	snprintf(path, sizeof(path), "%s/%s/usage", e->path, b);
	CU_ASSERT_EQUAL(th_status(s, "GET", path, NULL), 404);
	snprintf(path, sizeof(path), "%s?sort=%s&limit=100", e->path,
		 e->name_key);
	CU_ASSERT_FATAL(th_req(s, "GET", path, NULL, NULL, &r) == 0);
	char names[2048];
	th_list_names(&r, NULL, e->name_key, names, sizeof(names));
	CU_ASSERT(strstr(names, "Link A") && !strstr(names, "Link B"));
	th_resp_free(&r);
	link_body(e, b, "", body);
	CU_ASSERT(
	    th_expect_error(s, "POST", on_ep, body, 422, NULL, e->id_key));

	/* unlink: by context, then all; then 404 */
	snprintf(path, sizeof(path), "%s/%s?usage_context=outro", on_ep, a);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", path, NULL), 404);
	snprintf(path, sizeof(path), "%s/%s", on_ep, a);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", path, NULL), 200);
	CU_ASSERT_EQUAL(th_status(s, "DELETE", path, NULL), 404);
	CU_ASSERT(th_expect_names(s, on_ep, e->sub, e->name_key, ""));
	CU_ASSERT_EQUAL(audit_links(s, e, ep, "unlink"), 2);
}

void th_links_bad(th_server *s, const th_link_entity *e, const char *ep)
{
	char id[64], on_ep[200], on_none[200], body[300], unlinked[300];
	char usage[300], missing[300], bad_notes[300], no_id[300];
	CU_ASSERT_FATAL(make(s, e, "Bad link target", id));
	snprintf(on_ep, sizeof(on_ep), "/api/v1/episodes/%s/%s", ep,
		 e->segment);
	snprintf(on_none, sizeof(on_none), "/api/v1/episodes/" NO_ID "/%s",
		 e->segment);
	link_body(e, id, ",\"usage_context\":\"intro\"", body);
	CU_ASSERT_EQUAL(th_status(s, "POST", on_ep, body), 201);
	snprintf(unlinked, sizeof(unlinked), "%s/%s?usage_context=outro", on_ep,
		 id);
	snprintf(usage, sizeof(usage), "%s/" NO_ID "/usage", e->path);
	link_body(e, NO_ID, "", missing);
	link_body(e, NO_ID, ",\"notes\":5", bad_notes);
	snprintf(no_id, sizeof(no_id), "{\"usage_context\":\"intro\"}");
	const struct {
		const char *method, *path, *body;
		long status;
		const char *field;
	} cases[] = {
	    {"POST", on_ep, missing, 422, e->id_key},
	    {"POST", on_ep, body, 409, e->id_key},
	    {"POST", on_ep, no_id, 400, e->id_key},
	    {"POST", on_ep, bad_notes, 400, "notes"},
	    {"POST", on_none, body, 404, "episodeId"},
	    {"DELETE", unlinked, NULL, 404, e->id_param},
	    {"GET", usage, NULL, 404, e->id_param},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long before = th_fingerprint_tables(s, e->tables);
		CU_ASSERT(th_expect_error(s, cases[i].method, cases[i].path,
					  cases[i].body, cases[i].status, NULL,
					  cases[i].field));
		CU_ASSERT_EQUAL(th_fingerprint_tables(s, e->tables), before);
	}
}
