/*
 * testplug.c - the plugin the loader tests use. Built several times with
 * different defines (tests/plugins/CMakeLists.txt): the good one registers a
 * route, a route with a declared body, an entity backed by its own
 * migration, and an event subscription; the others are each wrong in one way
 * the host must refuse.
 */
#include <slate/host.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR SLATE_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR_BUMP
#define TP_ABI_MINOR_BUMP 0
#endif

extern const slate_migration TP_MIGRATIONS[];

/* The initfail variant never uses most of what follows. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"

static const slate_host *host;
static slate_plugin *me;
static atomic_int created_events;

static int h_ping(slate_req *req, void *ud)
{
	const char *echo = host->req_query(req, "echo");
	/* log lines the tests find by the echo, with the request id */
	host->log(me, SLATE_LOG_INFO, "ping log %s", echo ? echo : "");
	if (SLATE_HOST_HAS(host, req_log))
		host->req_log(me, req, SLATE_LOG_INFO, "ping req_log %s",
			      echo ? echo : "");
	return host->res_json(req, 200,
			      json_pack("{s:s, s:s, s:s?}", "plugin", TP_ID,
					"pong", (const char *)ud, "echo",
					echo));
}

static int h_events(slate_req *req, void *ud)
{
	(void)ud;
	return host->res_json(
	    req, 200,
	    json_pack("{s:i}", "created", atomic_load(&created_events)));
}

/* Echoes a validated body back, and counts rows through db_exec. */
static int h_note(slate_req *req, void *ud)
{
	(void)ud;
	const json_t *body = host->req_body(req);
	slate_result *res = host->db_exec(
	    req, "SELECT count(*) FROM testplug_widgets", 0, NULL);
	if (!res)
		return host->res_error(req, 503, "SERVICE_UNAVAILABLE", NULL,
				       "database: %s", host->db_sqlstate(req));
	json_t *out = json_deep_copy(body);
	json_object_set_new(out, "widgets",
			    json_string(host->db_value(res, 0, 0)));
	return host->res_json(req, 201, out);
}

/* Holds a worker and a database connection for ?ms=, as a slow query. */
static int h_sleep(slate_req *req, void *ud)
{
	(void)ud;
	const char *ms = host->req_query(req, "ms");
	const char *p[1] = {ms ? ms : "100"};
	if (!host->db_exec(req, "SELECT pg_sleep($1::int / 1000.0)", 1, p))
		return host->res_error(req, 400, "VALIDATION_ERROR", "ms",
				       "bad ms");
	return host->res_json(req, 200, json_pack("{s:s}", "slept", p[0]));
}

static void on_created(const char *event, const json_t *payload, void *ud)
{
	(void)event;
	(void)ud;
	if (!strcmp(json_string_value(json_object_get(payload, "entity_type")),
		    "widget"))
		atomic_fetch_add(&created_events, 1);
}

static const slate_field note_fields[] = {
    {.name = "text",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED,
     .max_len = 20},
    {.name = "count", .type = SLATE_T_INT, .min = 1, .max = 10},
};

static const slate_field widget_fields[] = {
    {.name = "widget_id", .type = SLATE_T_UUID, .flags = SLATE_F_READONLY},
    {.name = "name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_FILTER,
     .max_len = 100},
    {.name = "size",
     .type = SLATE_T_INT,
     .flags = SLATE_F_SORT | SLATE_F_FILTER,
     .min = 1,
     .max = 1000},
    {.name = "episode_id", .type = SLATE_T_UUID, .ref_entity = "episode"},
    {.name = "drawing_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    {.name = "created_at",
     .type = SLATE_T_TIMESTAMPTZ,
     .flags = SLATE_F_READONLY | SLATE_F_SORT},
    {.name = "updated_at",
     .type = SLATE_T_TIMESTAMPTZ,
     .flags = SLATE_F_READONLY},
};

/* A third party's upload target: the core knows nothing of widgets and
 * takes signed uploads of their drawings (tests/integration/test_storage.c).
 */
static const char *const drawing_types[] = {"text/plain", "image/png", NULL};
static const slate_file_target widget_files[] = {
    {.field = "drawing_reference",
     .kind = "drawing",
     .max_bytes = 64 * 1024,
     .content_types = drawing_types,
     .key_template = "widgets/{name}/{id}-{upload}-{filename}"},
};

static const slate_entity_def widget_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "widget",
    .path = "/api/v1/widgets",
    .table = "testplug_widgets",
    .id_column = "widget_id",
    .id_param = "widgetId",
    .fields = widget_fields,
    .n_fields = sizeof(widget_fields) / sizeof(widget_fields[0]),
    .field_size = sizeof(slate_field),
    .default_sort = "name",
    .ops = SLATE_OP_CRUD,
    SLATE_ENTITY_FILE_TARGETS(widget_files),
};

static int tp_init(slate_plugin *self, const slate_host *h, char *err,
		   size_t errlen)
{
	host = h;
	me = self;
#ifdef TP_INIT_FAIL
	(void)self;
	snprintf(err, errlen, "the test plugin was told to fail");
	return -1;
#else
	static char pong[64];
	const json_t *cfg = h->config(self);
	const char *word = json_string_value(json_object_get(cfg, "pong"));
	snprintf(pong, sizeof(pong), "%s", word ? word : "pong");
	static const char *const ping_query[] = {"echo", NULL};
	slate_route_def ping = {
	    .struct_size = sizeof(slate_route_def),
	    .method = "GET",
	    .path = "/api/v1/" TP_ID "/ping",
	    .handler = h_ping,
	    .ud = pong,
	    .perm = SLATE_PERM_READ,
	    .summary = "Answer pong",
	    .query = ping_query,
	};
#ifdef TP_ROUTE_WITHOUT_PERM
	ping.perm = 0;
#endif
	slate_route_def events = {
	    .struct_size = sizeof(slate_route_def),
	    .method = "GET",
	    .path = "/api/v1/" TP_ID "/events",
	    .handler = h_events,
	    .perm = SLATE_PERM_READ,
	    .summary = "How many widgets were created",
	};
	static const char *const sleep_query[] = {"ms", NULL};
	slate_route_def sleep_route = {
	    .struct_size = sizeof(slate_route_def),
	    .method = "GET",
	    .path = "/api/v1/" TP_ID "/sleep",
	    .handler = h_sleep,
	    .perm = SLATE_PERM_READ,
	    .summary = "Hold a worker like a slow query",
	    .query = sleep_query,
	};
	slate_route_def note = {
	    .struct_size = sizeof(slate_route_def),
	    .method = "POST",
	    .path = "/api/v1/" TP_ID "/notes",
	    .handler = h_note,
	    .perm = SLATE_PERM_WRITE,
	    .summary = "Echo a validated note",
	    .body_mode = SLATE_BODY_FIELDS,
	    .body = note_fields,
	    .n_body = sizeof(note_fields) / sizeof(note_fields[0]),
	    .body_field_size = sizeof(slate_field),
	};
	/* ping last: the variant that breaks it must leave no route behind */
	if (h->route_add(self, &events) || h->route_add(self, &note) ||
	    h->route_add(self, &sleep_route) || h->route_add(self, &ping)) {
		snprintf(err, errlen, "route registration failed");
		return -1;
	}
	if (h->entity_add(self, &widget_def) ||
	    h->event_subscribe(self, "entity.created", on_created, NULL)) {
		snprintf(err, errlen, "entity registration failed");
		return -1;
	}
	h->log(self, SLATE_LOG_INFO, "test plugin %s ready", TP_ID);
	return 0;
#endif
}

static const slate_plugin_desc desc = {
    .struct_size = sizeof(slate_plugin_desc),
    .abi_major = TP_ABI_MAJOR,
    .abi_minor = SLATE_ABI_MINOR + TP_ABI_MINOR_BUMP,
    .id = TP_ID,
    .version = "0.0.1",
    .summary = "test plugin",
    .migrations = TP_MIGRATIONS,
    .n_migrations = 1, /* the variants share one migrations folder */
    .migration_size = sizeof(slate_migration),
    .init = tp_init,
};

#ifndef TP_NO_ENTRY
SLATE_PLUGIN_DEFINE(desc)
#else
/* Built without the entry: the loader must say the symbol is missing. A
 * different, exported function keeps the object from being empty. */
SLATE_EXPORT const slate_plugin_desc *not_the_entry(void);
SLATE_EXPORT const slate_plugin_desc *not_the_entry(void)
{
	return &desc;
}
#endif
