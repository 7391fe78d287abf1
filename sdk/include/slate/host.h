/*
 * slate/host.h - the host function table a plugin receives at init.
 *
 * Host services reach a plugin only through this table; the core exports no
 * other symbol to plugins. The table is append-only: new functions are added
 * at the end with a minor ABI bump. A plugin built for minor N may check
 * SLATE_HOST_HAS(host, member) before calling something newer.
 *
 * Threads. Every function says which threads may call it:
 *   [init]    only from the plugin's init(), on the main thread;
 *   [request] only from a route handler or validate hook, on the worker thread
 *             running that request, with the slate_req it was given;
 *   [any]     any thread, at any time after init began;
 *   [job]     only from a job handler, in a worker process (see "jobs").
 *
 * Ownership. Strings and JSON a function returns are borrowed: valid until the
 * request ends ([request]) or for the life of the process ([init], [any]),
 * never freed by the plugin. A parameter documented as "stolen" is owned by
 * the host from the call on, even when the call fails (as jansson's _new
 * functions do), so `host->res_json(req, 200, json_object())` cannot leak.
 *
 * JSON crosses the boundary as jansson values (json_t *), not as bytes. Both
 * sides share the one libjansson.so.4 in the process, whose ABI has been
 * stable since 2.0; this saves a serialise/parse on every request and lets a
 * plugin read a body the core has already validated (duplicate keys, depth,
 * size). The price is that a plugin links jansson 2.x, which the SDK states.
 */
#ifndef SLATE_HOST_H
#define SLATE_HOST_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "entity.h"
#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slate_req slate_req;       /* opaque: one HTTP request */
typedef struct slate_result slate_result; /* opaque: one SQL result */

typedef enum slate_log_level {
	SLATE_LOG_DEBUG = 0,
	SLATE_LOG_INFO,
	SLATE_LOG_WARN,
	SLATE_LOG_ERROR,
} slate_log_level;

/* What a route requires of its caller. There is deliberately no zero value:
 * a route registered without a permission is refused. */
typedef enum slate_perm {
	SLATE_PERM_PUBLIC = 1, /* no token: /health, login */
	SLATE_PERM_READ,       /* viewer and above */
	SLATE_PERM_WRITE,      /* editor and above */
	SLATE_PERM_ADMIN,      /* admin only */
} slate_perm;

/* A handler sets the response with res_* and returns 0, or returns -1 to
 * answer 500 when it set nothing. For methods other than GET and HEAD the
 * request runs in one transaction, committed only when the handler returned
 * 0 and the status is below 400. */
typedef int (*slate_handler_fn)(slate_req *req, void *ud);

/* How a route's body is checked before the handler runs. */
#define SLATE_BODY_NONE 0u     /* a body is refused with 400 */
#define SLATE_BODY_FIELDS 1u   /* an object checked against `body` fields */
#define SLATE_BODY_ANY_JSON 2u /* any JSON; the handler validates */

typedef struct slate_route_def {
	uint32_t struct_size; /* sizeof(slate_route_def) */
	const char *method;   /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;     /* "/api/v1/things/:thingId" */
	slate_handler_fn handler;
	void *ud;
	slate_perm perm;
	const char *summary; /* one line for the OpenAPI document */
	/* NULL-terminated names of accepted query parameters; any other one is
	 * refused with 400 naming it. NULL accepts none. */
	const char *const *query;
	uint32_t body_mode; /* SLATE_BODY_* */
	const slate_field *body;
	uint32_t n_body;
	uint32_t body_field_size; /* sizeof(slate_field) */
} slate_route_def;

/* [request thread of the request that emitted it, after its commit] */
typedef void (*slate_event_fn)(const char *event, const json_t *payload,
			       void *ud);

/* One job being run by a job handler (see "jobs" at the end of the table).
 * Opaque; valid only during the handler call it was given to. */
typedef struct slate_job slate_job;

/* [job] Runs in a worker process, never in the process serving the API.
 * Return 0 when the job succeeded, -1 when it failed (after job_fail gave
 * the reason; "handler failed" otherwise): it is then retried with
 * exponential backoff, and moved to "dead" after its maximum attempts.
 * A job can run more than once (a worker that dies mid-job loses its lease
 * and the job runs again), so a handler must be idempotent. */
typedef int (*slate_job_fn)(slate_job *job, void *ud);

#define SLATE_PRINTF(a, b) __attribute__((format(printf, a, b)))

struct slate_host {
	uint32_t struct_size; /* sizeof(struct slate_host) in the host */
	uint16_t abi_major;
	uint16_t abi_minor;

	/* ---- ABI 1.0 ---- */

	/* [any] One JSON log line tagged with the plugin id (and the request
	 * id when called on a request thread). */
	void (*log)(slate_plugin *p, slate_log_level level, const char *fmt,
		    ...) SLATE_PRINTF(3, 4);

	/* [init] The plugin's own section of the config file (the object under
	 * plugins.<id>.config); an empty object when absent. Borrowed. */
	const json_t *(*config)(slate_plugin *p);

	/* [init] Register a route. Fails (-1, and a log line) on a missing
	 * permission, a malformed path, or a method+path already taken. */
	int (*route_add)(slate_plugin *p, const slate_route_def *def);

	/* [init] Declare an entity; the core adds its routes. -1 on error. */
	int (*entity_add)(slate_plugin *p, const slate_entity_def *def);

	/* [init] Subscribe to a core event by name ("entity.created",
	 * "entity.updated", "entity.deleted", or a plugin's own). */
	int (*event_subscribe)(slate_plugin *p, const char *event,
			       slate_event_fn fn, void *ud);

	/* [request] Path parameter (":episodeId" -> "episodeId"), query
	 * parameter, or request header (case-insensitive). NULL if absent. */
	const char *(*req_param)(slate_req *req, const char *name);
	const char *(*req_query)(slate_req *req, const char *name);
	const char *(*req_header)(slate_req *req, const char *name);
	/* [request] The parsed body, or NULL when there was none. Borrowed. */
	const json_t *(*req_body)(slate_req *req);
	/* [request] The request id echoed in X-Request-Id. */
	const char *(*req_id)(slate_req *req);

	/* [request] Answer with `data` (stolen) in the envelope. */
	int (*res_json)(slate_req *req, unsigned status, json_t *data);
	/* [request] Answer with data that is already JSON text (copied),
	 * e.g. built by PostgreSQL. Not re-validated: it must be JSON. */
	int (*res_raw)(slate_req *req, unsigned status, const char *json,
		       size_t len);
	/* [request] Append one error to the response and set its status.
	 * `field` may be NULL. Always returns -1, so handlers can
	 * `return host->res_error(...)`. */
	int (*res_error)(slate_req *req, unsigned status, const char *code,
			 const char *field, const char *fmt, ...)
		SLATE_PRINTF(5, 6);
	/* [request] Add a key to the response metadata (value stolen). */
	int (*res_meta)(slate_req *req, const char *key, json_t *value);
	/* [request] Add a response header (both copied). */
	int (*res_header)(slate_req *req, const char *name, const char *value);

	/* [request] Run one parameterized statement on the request's
	 * connection (inside its transaction when it has one). params are
	 * text (NULL for SQL NULL). Returns NULL on failure; db_sqlstate then
	 * tells why. The result is freed when the request ends. */
	slate_result *(*db_exec)(slate_req *req, const char *sql, int nparams,
				 const char *const *params);
	int (*db_rows)(const slate_result *res);
	/* Borrowed until the request ends; NULL for SQL NULL. */
	const char *(*db_value)(const slate_result *res, int row, int col);
	/* SQLSTATE of the last failed db_exec on this request, "" if none. */
	const char *(*db_sqlstate)(slate_req *req);

	/* [request] Memory freed when the request ends. NULL on failure. */
	void *(*alloc)(slate_req *req, size_t size);

	/* [request] Write one audit_log row in the request's transaction,
	 * with the caller's user, IP and user agent. field/old/new may be
	 * NULL. 0 or -1. */
	int (*audit)(slate_req *req, const char *entity_type,
		     const char *entity_id, const char *action,
		     const char *field, const char *old_value,
		     const char *new_value);

	/* [request] Queue an event (payload stolen), delivered to the
	 * subscribers only after the request's transaction commits. */
	int (*event_emit)(slate_req *req, const char *event, json_t *payload);

	/* [init] Declare a link between two entities (slate/entity.h). */
	int (*link_add)(slate_plugin *p, const slate_link_def *def);

	/* [request] Update fields of a live row of a declared entity exactly
	 * as PATCH would (validation, references, prepare hook, audit rows,
	 * event), for actions such as "assign this clip to an episode".
	 * `changes` is borrowed. On success *row_out is the new row as a new
	 * reference the caller owns (hand it to res_json). -1 after the
	 * error response was set (404, 400, 422...). */
	int (*entity_patch)(slate_req *req, const char *entity, const char *id,
			    const json_t *changes, json_t **row_out);

	/* ---- jobs ---- */
	/* The job queue (README "Jobs"). A handler runs in a worker process
	 * that slated starts with resource limits, so hostile media is
	 * decoded away from the API: a crash or a timeout fails that one job.
	 * Functions tagged [job] may only be called from a job handler, on
	 * the thread running it, with the slate_job it was given; what they
	 * return is borrowed until the handler returns. */

	/* [init] Run `fn` for jobs of `kind` ([a-z0-9_.-]{1,64}, one plugin
	 * per kind). Registered in every process (the API process uses the
	 * list only to know the kind exists); called only in workers. */
	int (*job_handler_add)(slate_plugin *p, const char *kind,
			       slate_job_fn fn, void *ud);

	/* [request] Queue a job in the request's transaction, so it exists
	 * iff the request's change commits; workers are woken at commit
	 * (NOTIFY). payload: an object, stolen (NULL: {}). entity_type and
	 * entity_id (a UUID) may be NULL. Returns the new job id (borrowed
	 * until the request ends), or NULL when the insert failed
	 * (db_sqlstate says why; the handler should fail the request). */
	const char *(*job_enqueue)(slate_req *req, const char *kind,
				   json_t *payload, const char *entity_type,
				   const char *entity_id);

	/* [job] The job's id, kind, payload object and entity (NULL when
	 * none), and which attempt this is (1 the first time). */
	const char *(*job_id)(slate_job *job);
	const char *(*job_kind)(slate_job *job);
	const json_t *(*job_payload)(slate_job *job);
	const char *(*job_entity_type)(slate_job *job);
	const char *(*job_entity_id)(slate_job *job);
	int (*job_attempt)(slate_job *job);

	/* [job] Record why the job failed (kept in last_error, shown by
	 * GET /api/v1/jobs). Always returns -1, so a handler can
	 * `return host->job_fail(job, "...")`. */
	int (*job_fail)(slate_job *job, const char *fmt, ...)
		SLATE_PRINTF(2, 3);

	/* [job] Run one parameterized statement on the worker's own
	 * connection. Each statement commits on its own (no transaction spans
	 * a job, which may run again after a crash): write idempotently, e.g.
	 * INSERT ... ON CONFLICT DO UPDATE. NULL on failure (logged). Read the
	 * result with db_rows/db_value; it is freed when the handler returns.
	 * The lease is extended automatically while the handler runs. */
	slate_result *(*job_db_exec)(slate_job *job, const char *sql,
				     int nparams, const char *const *params);
};

/* True when the host's table is new enough to have `member`. */
#define SLATE_HOST_HAS(host, member)                                       \
	((host)->struct_size >=                                            \
	 offsetof(struct slate_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif
#endif
