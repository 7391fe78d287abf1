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

typedef struct slate_req slate_req;	  /* opaque: one HTTP request */
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

/* A stored file as a processor job sees it (job_file, ABI 1.1). Strings are
 * borrowed from the job's payload: valid until the handler returns. */
typedef struct slate_file {
	const char *entity_type, *entity_id; /* whose file it is */
	const char *field;		     /* which field holds it */
	const char *store, *key;	     /* where it is */
	const char *kind;		     /* "raw_clip", "image"... */
	const char *content_type;
	const char *sha256; /* as computed when stored; NULL when unknown */
	uint64_t size;
} slate_file;

/* A processor of stored files (processor_add, ABI 1.1). */
typedef struct slate_processor_def {
	uint32_t struct_size; /* sizeof(slate_processor_def) */
	const char *kind;     /* its job kind, as for job_handler_add */
	/* Order in the pipeline, lowest first: hash 10, probe 20,
	 * thumbnails 30. */
	int stage;
	/* NULL-terminated file kinds it handles ("raw_clip", "trailer",
	 * "image", "audio", "ui_element", "script"); NULL: every kind. */
	const char *const *file_kinds;
	slate_job_fn fn;
	void *ud;
} slate_processor_def;

struct slate_host {
	uint32_t struct_size; /* sizeof(struct slate_host) in the host */
	uint16_t abi_major;
	uint16_t abi_minor;

	/* ---- ABI 1.0 ---- */

	/* [any] One JSON log line tagged with the plugin id, and with the
	 * request id ("requestId") when called on the thread running a request
	 * handler, an event subscriber of that request, or a task. */
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

	/* ---- ABI 1.1 ---- */

	/* ---- tasks: work a plugin starts itself ----
	 * A task is a slate_req with no HTTP request behind it (a watch-folder
	 * ingest, a job's result written back to an entity). Every [request]
	 * function may be called on it; its statements share one transaction
	 * on a pooled connection, committed by task_end. Audit rows name
	 * `actor` ("ingest", "probe") as their user_email, with no user_id.
	 * res_* calls only record an outcome: the first error set on a task
	 * makes task_end roll back, and task_error tells it. */

	/* [any, but not on a thread inside another task or request] A new
	 * task, or NULL when no database connection became free (logged).
	 * In a worker process, tasks use the worker's own small pool. */
	slate_req *(*task_begin)(slate_plugin *p, const char *actor);
	/* [the task's thread] Commit when `commit` is non-zero and no error
	 * was set, then deliver the task's events; roll back otherwise. Frees
	 * the task. 0 when it committed, -1 when it rolled back. */
	int (*task_end)(slate_req *task, int commit);
	/* [request] The message of the first error set on this request or
	 * task ("No clip with id ..."), or NULL when none. Borrowed. */
	const char *(*req_error)(slate_req *req);

	/* ---- entities, beyond entity_patch ---- */

	/* [request] Create a row of a declared entity exactly as POST would
	 * (validation, references, prepare hook, audit, event). `body` is
	 * borrowed. On success *row_out is the new row (a new reference). -1
	 * after the error was set. */
	int (*entity_create)(slate_req *req, const char *entity,
			     const json_t *body, json_t **row_out);
	/* [request] The live row `id` of `entity` as a new reference in
	 * *row_out; -1 after a 404 (or 400 for a bad id) was set. */
	int (*entity_get)(slate_req *req, const char *entity, const char *id,
			  json_t **row_out);
	/* [any] Whether a declared entity (served now: its plugin enabled)
	 * has a field called `field`; `field` NULL asks whether the entity
	 * exists. */
	int (*entity_has_field)(slate_plugin *p, const char *entity,
				const char *field);

	/* ---- files ----
	 * Objects in slated's two stores, "primary" (what clients upload) and
	 * "thumbnails", each a local directory or an S3 bucket (README
	 * "Files"). Keys are checked by the host: '/'-separated components of
	 * [A-Za-z0-9._-], none starting with '.', so nothing reaches outside
	 * the store. */

	/* [any] A read-only descriptor on the object (on S3 a temporary copy,
	 * fetched whole: fine for workers, which is where media is read).
	 * *size_out gets its length. The caller closes it. -1 when there is
	 * no such object (errno ENOENT) or on error (logged). Read it through
	 * "/proc/self/fd/<fd>" when a library wants a path. */
	int (*file_open)(slate_plugin *p, const char *store, const char *key,
			 uint64_t *size_out);
	/* [any] Store `len` bytes (copied) under `key`, atomically: readers
	 * see the old object or the whole new one. 0 or -1 (logged). */
	int (*file_put)(slate_plugin *p, const char *store, const char *key,
			const char *content_type, const void *data, size_t len);
	/* [any] Store what can be read from `fd` until end of file, in
	 * constant memory, atomically, and compute its SHA-256 on the way
	 * (lowercase hex into sha256_hex[65], when not NULL) and its size
	 * (*size_out, when not NULL). The caller keeps and closes fd. 0 or
	 * -1 (logged; nothing is left in the store). */
	int (*file_put_fd)(slate_plugin *p, const char *store, const char *key,
			   const char *content_type, int fd,
			   char sha256_hex[65], uint64_t *size_out);
	/* [any] Delete the object; 0 also when there was none, -1 on error. */
	int (*file_delete)(slate_plugin *p, const char *store, const char *key);
	/* [request] Answer with the object itself, as the core's download
	 * endpoint does: 200/206/304 with ETag and Range from a local store,
	 * or a 302 to a short-lived presigned GET with S3. `etag` may be NULL
	 * (the store's own is used). 404 when there is no such object. */
	int (*res_file)(slate_req *req, const char *store, const char *key,
			const char *content_type, const char *etag);
	/* [request] Record that `key` in `store` is now the file in `field`
	 * of entity row `id`, as confirming an upload does: the field is
	 * patched (with file_hash and file_size_bytes when the entity has
	 * them and they are known: sha256 may be NULL), the object is
	 * recorded as a confirmed upload of `kind` ("raw_clip", "image"...,
	 * README "Files"), the processing pipeline is queued in the same
	 * transaction, and "file.stored" is emitted after commit. -1 after
	 * the error was set. */
	int (*file_attach)(slate_req *req, const char *entity, const char *id,
			   const char *field, const char *store,
			   const char *key, const char *kind,
			   const char *content_type, uint64_t size,
			   const char *sha256);
	/* [request] What file_attach or an upload last stored for the entity
	 * row (in `field`, or in any field when NULL), as a new object
	 * {"entity_type", "entity_id", "field", "store", "key", "kind",
	 * "content_type", "size", "sha256"} in *file_out; 0 with *file_out
	 * NULL when it has none; -1 on a database error (set). */
	int (*file_current)(slate_req *req, const char *entity, const char *id,
			    const char *field, json_t **file_out);

	/* ---- processing pipeline ----
	 * Storing a file (file_attach, or a confirmed upload) queues the
	 * processors that handle its kind, one job after the other in stage
	 * order: the next is queued in the same statement that marks the
	 * previous succeeded, so a crash between them loses nothing. A
	 * processor's job payload is the file_current object plus "chain"
	 * (the kinds still to come). A stage that ends dead stops the chain
	 * for that file; an admin retry that succeeds resumes it. */

	/* [init] Register a processor: a job handler (as job_handler_add)
	 * that the pipeline runs for stored files of the given kinds. */
	int (*processor_add)(slate_plugin *p, const slate_processor_def *def);
	/* [request] Queue the pipeline for a stored file (a file_current
	 * object, borrowed) again, from its first stage, e.g. to re-probe.
	 * `only` names one processor kind to run alone, or NULL for all.
	 * *job_id_out (when not NULL) gets the first queued job's id
	 * (borrowed until the request ends), NULL when no processor applies.
	 * 0, or -1 (database error set). */
	int (*pipeline_enqueue)(slate_req *req, const json_t *file,
				const char *only, const char **job_id_out);
	/* [job] Fail the job for good: no retry, straight to "dead", with the
	 * reason. For input that can never succeed (not a media file, a
	 * decompression bomb). Always returns -1, like job_fail. */
	int (*job_reject)(slate_job *job, const char *fmt, ...)
	    SLATE_PRINTF(2, 3);
	/* [job] The file a processor's job is about, from its payload. 0, or
	 * -1 with the job rejected (as job_reject) naming what it lacks. */
	int (*job_file)(slate_job *job, slate_file *out);
	/* [request] Whether `f` is still the file in its entity's field and
	 * the entity is live: 1 yes (the row, a new reference, in *row_out
	 * when row_out is not NULL), 0 no (a newer file replaced it, or the
	 * entity was deleted: a processor has nothing to record), -1 on a
	 * database error (set on req). */
	int (*file_is_current)(slate_req *req, const slate_file *f,
			       json_t **row_out);

	/* [job] job_file, then file_open on it: a read-only descriptor the
	 * handler closes, its size in *size_out (may be NULL). -1 with the job
	 * already ended: rejected when the object is gone from the store (it
	 * will not come back), failed (retried) on any other error. */
	int (*job_file_open)(slate_plugin *p, slate_job *job, slate_file *out,
			     uint64_t *size_out);

	/* [request] 0 when `id` names a live row of `entity`; otherwise -1
	 * after answering 400 (not a UUID) or 404 (no such live row), each
	 * naming `field`, the caller's own name for the id ("entityId" in
	 * its path, "entity_id" in its body), or after a database error. */
	int (*entity_require)(slate_req *req, const char *entity,
			      const char *id, const char *field);

	/* [any] What this process is: "api" (serves HTTP; runs background
	 * work such as watch folders) or "worker" (a job worker: runs job
	 * handlers only). Every process runs every enabled plugin's init, so
	 * a plugin that starts threads of its own checks this first. */
	const char *(*process_role)(slate_plugin *p);

	/* ---- ABI 1.2 ----
	 * What every plugin used to copy from the core, given once. A plugin
	 * built for 1.0 or 1.1 sees a shorter table and never these slots;
	 * one built for 1.2 that may run on an older slated checks
	 * SLATE_HOST_HAS(host, uuid_valid) first. */

	/* [any] 1 when `s` is a UUID in the canonical 8-4-4-4-12 hex form
	 * (either case), 0 otherwise (NULL included). */
	int (*uuid_valid)(const char *s);

	/* [request] Query parameter `name` as a decimal integer in [lo, hi]
	 * into *out; `def` when absent. 0, or -1 after answering 400
	 * VALIDATION_ERROR naming the parameter and the range. */
	int (*req_query_int)(slate_req *req, const char *name, long long lo,
			     long long hi, long long def, long long *out);

	/* [request] Answer a failed db_exec the way the core's routes do:
	 * 503 when the database is unreachable, 409 on a unique violation
	 * (naming the columns) or a serialization failure, 422 on a missing
	 * reference, 500 (with the request id) otherwise. Always returns -1,
	 * so `return host->res_db_error(req);`. */
	int (*res_db_error)(slate_req *req);

	/* [request] Set the paging metadata of a list answer:
	 * metadata.total, .limit and .offset, as every core list has them.
	 * 0, or -1 when out of memory. */
	int (*res_page)(slate_req *req, long long total, long long limit,
			long long offset);

	/* [request] Queue "entity.<what>" ("created", "updated", "deleted")
	 * for row `id` of `entity`, with the payload the core's own entity
	 * events carry ({"entity_type", "id"}), delivered after commit like
	 * event_emit. 0 or -1. */
	int (*entity_emit)(slate_req *req, const char *entity, const char *what,
			   const char *id);

	/* [request] The live row of `entity` that this request's path
	 * addresses: by its :<id_param>, or, for a sequence-addressed entity
	 * (slate_entity_def.seq_field), by its parent's id and its number.
	 * For a request that writes (not GET/HEAD) the parent row is locked
	 * until the transaction ends, so writes to one parent's items are
	 * serialized. *row_out is a new reference the caller owns. -1 after
	 * answering 400 (malformed id or number), 404 (naming the path
	 * parameter) or a database error. */
	int (*entity_at)(slate_req *req, const char *entity, json_t **row_out);

	/* [any] Check `value` (borrowed) against the declared field `field`
	 * of `entity` exactly as a request body would be: 0 when valid; -1
	 * with a reason in why[0..whylen) ("must be one of: ...", "no entity
	 * clip is served") otherwise. For plugins whose configuration names
	 * values of another plugin's enumerations. */
	int (*entity_check_value)(slate_plugin *p, const char *entity,
				  const char *field, const json_t *value,
				  char *why, size_t whylen);

	/* [request] As log, tagged with the plugin id and with this request's
	 * (or task's) id explicitly, from whatever thread holds it. */
	void (*req_log)(slate_plugin *p, slate_req *req, slate_log_level level,
			const char *fmt, ...) SLATE_PRINTF(4, 5);
};

/* True when the host's table is new enough to have `member`. */
#define SLATE_HOST_HAS(host, member)                                           \
	((host)->struct_size >=                                                \
	 offsetof(struct slate_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif
#endif
