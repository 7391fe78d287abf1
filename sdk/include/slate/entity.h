/*
 * slate/entity.h - declaring an entity type that the core serves.
 *
 * A plugin (or the core itself: shows and episodes are declared this way)
 * describes a table once: its fields with types and validation, which fields
 * filter and sort, which sub-resources it has. The core then serves list,
 * get, create, patch and soft delete with validation, pagination, audit rows
 * in the same transaction and the envelope. A plugin writes code only for what
 * is special about its entity (a validate hook, extra routes).
 *
 * All declaration structs are read by the host at registration and copied:
 * strings and arrays must stay valid for the life of the process (static
 * storage is the normal case). Arrays carry the element size the plugin was
 * built with so the host can read older, smaller elements.
 */
#ifndef SLATE_ENTITY_H
#define SLATE_ENTITY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slate_type {
	SLATE_T_TEXT = 1,    /* JSON string -> text/varchar */
	SLATE_T_INT,	     /* JSON integer -> integer (32 bit) */
	SLATE_T_BIGINT,	     /* JSON integer -> bigint */
	SLATE_T_BOOL,	     /* JSON true/false -> boolean */
	SLATE_T_DATE,	     /* "YYYY-MM-DD" -> date */
	SLATE_T_TIMESTAMPTZ, /* RFC 3339 string -> timestamptz */
	SLATE_T_UUID,	     /* canonical UUID string -> uuid */
	SLATE_T_TEXT_ARRAY,  /* JSON array of strings -> text[] */
	SLATE_T_JSON_OBJECT, /* JSON object -> jsonb */
	SLATE_T_JSON_ARRAY,  /* JSON array -> jsonb */
	SLATE_T_NUMERIC,     /* JSON number -> numeric */
} slate_type;

/* Field flags. */
#define SLATE_F_REQUIRED (1u << 0)  /* must be present (non-null) on create */
#define SLATE_F_READONLY (1u << 1)  /* set by the server; rejected in bodies */
#define SLATE_F_IMMUTABLE (1u << 2) /* set on create, refused on patch */
#define SLATE_F_FILTER (1u << 3)    /* list filter ?name=value (arrays: a,b) */
#define SLATE_F_SORT (1u << 4)	    /* list sort key ?sort=name or -name */
#define SLATE_F_SEARCH (1u << 5)    /* part of full-text search */
#define SLATE_F_NOT_NULL (1u << 6)  /* JSON null is rejected */
#define SLATE_F_SECRET (1u << 7)    /* never returned, audited masked */
#define SLATE_F_PRIVATE                                                        \
	(1u << 8) /* returned, but masked in audit rows                        \
		     (contact details, tokens) */

/* Extra value checks beyond the type. */
typedef enum slate_check {
	SLATE_CHECK_NONE = 0,
	SLATE_CHECK_EMAIL,
	SLATE_CHECK_URL,      /* http(s) URL */
	SLATE_CHECK_PHONE,    /* E.164-ish: + and digits, spaces, dashes */
	SLATE_CHECK_LANGUAGE, /* BCP 47 tag such as en-US */
	SLATE_CHECK_IDENT,    /* [a-z0-9_-]+ */
} slate_check;

/* What happens to a row whose ref_entity is soft-deleted. */
typedef enum slate_on_delete {
	SLATE_REF_KEEP = 0, /* nothing (the default) */
	SLATE_REF_CASCADE,  /* the row is soft-deleted with it */
	SLATE_REF_SET_NULL, /* the field is set to null (audited) */
	SLATE_REF_RESTRICT, /* the delete is refused with 409 */
} slate_on_delete;

typedef struct slate_field {
	const char *name; /* column name and JSON key */
	slate_type type;
	uint32_t flags;	  /* SLATE_F_* */
	uint32_t max_len; /* text: max characters (0 = none) */
	int64_t min, max; /* integers: inclusive range when min < max */
	const char *const *one_of; /* NULL-terminated allowed values, or NULL */
	const char *ref_entity;	   /* name of an entity whose live id this is */
	slate_check check;
	const char *doc;	   /* one line, for the OpenAPI document */
	slate_on_delete on_delete; /* with ref_entity */
} slate_field;

/* A list filter whose SQL the plugin writes: `sql` is a boolean expression
 * over the row alias `t` with exactly one "$?" standing for the value,
 * e.g. "t.episode_id IS NULL = $?::boolean" for ?standalone=true. The value
 * is checked against `type` first and always travels as a parameter. */
typedef struct slate_filter {
	const char *name; /* query parameter */
	slate_type type;
	const char *sql;
	const char *doc;
} slate_filter;

/* A sub-resource exposing a group of fields: GET returns them, PUT replaces
 * them (fields missing from the body become null). e.g. /episodes/:id/script
 */
typedef struct slate_view {
	const char *suffix;	   /* "script" */
	const char *const *fields; /* NULL-terminated field names */
} slate_view;

/* ABI 1.2: a field that takes signed uploads (POST /api/v1/upload/
 * generate-url with {entity_type, entity_id, kind, filename, size,
 * content_type}, the PUT, then POST /api/v1/upload/confirm), and that
 * GET /api/v1/files/<entity>/<id>?field= serves. The host checks each one at
 * registration (the plugin is refused with the reason) and copies it whole:
 * unlike the other declarations, the array, its strings and the
 * content-type lists may go once the entity is registered. */
typedef struct slate_file_target {
	/* A SLATE_T_TEXT field of the entity, not secret and not the id: it
	 * receives the object key on confirm. Targets may share a field. */
	const char *field;
	/* What clients send as "kind" ([a-z_][a-z0-9_]*, unique within the
	 * entity), stored on the upload; its upper-case form names the limit
	 * in a 413 ("RAW_CLIP files are limited to 5 GB (5368709120 bytes)").
	 * A signed PUT names only the kind: entities that share a kind name
	 * should share its limit. */
	const char *kind;
	uint64_t max_bytes; /* > 0: a larger upload is refused with 413 */
	/* NULL-terminated type/subtype list, at least one: any other
	 * Content-Type is refused with 415 */
	const char *const *content_types;
	/* The object key. Placeholders: {id} the entity id, {upload} the
	 * upload id, {filename} the client's file name (checked), {n} 1 + the
	 * uploads of this kind the entity already had, and {<field>} any
	 * field of the entity (its text value, or "standalone" when it is not
	 * a string). Anything else is refused. Without {upload} (or {n}) a new
	 * upload overwrites the object the entity still references. */
	const char *key_template;
} slate_file_target;

/* Content types that targets of several entities accept. */
static const char *const slate_content_types_video[] = {
    "video/mp4",  "video/quicktime", "video/webm",	"video/x-matroska",
    "video/mp2t", "video/mpeg",	     "application/mxf", NULL};
static const char *const slate_content_types_image[] = {
    "image/jpeg", "image/png", "image/webp", NULL};

/* The seed's enumerations (its section 11) that several entities share, for
 * slate_field.one_of, so a plugin never spells them again. An enumeration of
 * one entity lives in the plugin that declares it (talent sources: clips,
 * since ABI 1.2); others ask for it through host->entity_check_value. */
static const char *const slate_enum_approval_status[] = {"draft", "approved",
							 "rejected", NULL};
static const char *const slate_enum_clip_quality[] = {"hero", "good", "maybe",
						      "reject", NULL};
static const char *const slate_enum_episode_status[] = {
    "draft",	"in_production", "ready_for_publish", "published",
    "archived", "on_hold",	 "canceled",	      NULL};

/* Operations the core serves for an entity. */
#define SLATE_OP_LIST (1u << 0)
#define SLATE_OP_GET (1u << 1)
#define SLATE_OP_CREATE (1u << 2)
#define SLATE_OP_PATCH (1u << 3)
#define SLATE_OP_DELETE (1u << 4)
#define SLATE_OP_CRUD 0x1fu

struct slate_req;
struct json_t;

typedef struct slate_entity_def {
	uint32_t struct_size;  /* sizeof(slate_entity_def) */
	const char *name;      /* singular, audit entity_type: "episode" */
	const char *path;      /* collection path: "/api/v1/episodes" */
	const char *table;     /* SQL table; must have deleted_at */
	const char *id_column; /* uuid primary key column: "episode_id" */
	const char *id_param;  /* path parameter name: "episodeId" */

	const slate_field *fields; /* every column the API exposes */
	uint32_t n_fields;
	uint32_t field_size; /* sizeof(slate_field) */

	const char *default_sort; /* "-created_at" */
	uint32_t ops;		  /* SLATE_OP_* */

	const slate_view *views;
	uint32_t n_views;
	uint32_t view_size; /* sizeof(slate_view) */

	/* "table.column" pairs, NULL-terminated: delete is refused with 409
	 * while a live row of that table points at this entity. */
	const char *const *block_delete_if;

	/* [request thread, may be NULL] Runs after the declared checks
	 * passed, before the write. `changes` (borrowed, mutable) is what will
	 * be written: the hook may reject it (host->res_error, return -1) or
	 * add server-set fields (e.g. a consent timestamp), which skip the
	 * read-only check. `current` is the stored row on patch, NULL on
	 * create. Return 0 to go on. */
	int (*prepare)(struct slate_req *req, struct json_t *changes,
		       const struct json_t *current, void *ud);
	void *ud;

	/* Nested collection: list and create live under the parent's item
	 * path ("/api/v1/episodes/:episodeId/components"), get/patch/delete
	 * under `path`. The parent id comes from the URL into `parent_field`
	 * (a ref_entity field); an unknown or deleted parent is 404. NULL for
	 * a top-level entity. */
	const char *parent_path;
	const char *parent_field;

	/* Full-text search over the SLATE_F_SEARCH fields at this path
	 * ("/api/v1/search/clips"): ?q= (websearch syntax), ranked, with a
	 * highlighted snippet, plus the list filters and paging. The document
	 * is to_tsvector('english', f1 || ' ' || f2 ...) in field order, each
	 * coalesced to '' (arrays as slate_array_text(col), an IMMUTABLE
	 * array_to_string(col, ' ')); index it with the same
	 * expression. NULL: no search. */
	const char *search_path;

	const slate_filter *filters; /* extra list filters */
	uint32_t n_filters;
	uint32_t filter_size; /* sizeof(slate_filter) */

	/* ABI 1.2: sequence addressing */
	/* Items of a nested entity (parent_path) addressed under their
	 * parent by a number instead of their id:
	 * "<parent_path>/:<seq_param>" serves get and delete, e.g.
	 * /api/v1/episodes/:episodeId/script-versions/:versionNumber.
	 * `seq_field` is a read-only SLATE_T_INT field the engine sets on
	 * create to 1 + the parent's highest number, deleted items included
	 * (numbers are never reused), with the parent row locked so that
	 * concurrent creations get distinct numbers; the table should have
	 * UNIQUE (parent_field, seq_field). `path` is then not served. NULL:
	 * items are addressed by id under `path`. */
	const char *seq_field;
	const char *seq_param; /* "versionNumber"; 1..2147483647 */
	/* [request thread, may be NULL] After a create's insert, audit row
	 * and event, in the same transaction: more writes that belong to it
	 * (activating the new item). `body` is what the client sent, before
	 * the prepare hook changed it; `row` the new row (both borrowed). The
	 * answer is the row read again afterwards. 0, or -1 after res_error
	 * (the request rolls back). */
	int (*created)(struct slate_req *req, const struct json_t *body,
		       const struct json_t *row, void *ud);
	/* [request thread, may be NULL] Before a soft delete, with the live
	 * row (borrowed; locked): refuse with res_error and -1 (a 409 for a
	 * row that must stay), or 0 to go on. */
	int (*deleting)(struct slate_req *req, const struct json_t *row,
			void *ud);
	/* ABI 1.2: uploadable file fields */
	const slate_file_target *file_targets; /* copied at registration */
	uint32_t n_file_targets;
	/* sizeof(slate_file_target). A def too short to hold these three
	 * (built against ABI 1.0 or 1.1) has no file targets. */
	uint32_t file_target_size;
} slate_entity_def;

/* What most declarations repeat. SLATE_FIELD_TIMESTAMP: a server-set,
 * sortable timestamp column (created_at, updated_at). SLATE_ENTITY_FIELDS:
 * .fields, .n_fields and .field_size of a def from a static array. */
#define SLATE_FIELD_TIMESTAMP(name_)                                           \
	{                                                                      \
		.name = (name_), .type = SLATE_T_TIMESTAMPTZ,                  \
		.flags = SLATE_F_READONLY | SLATE_F_SORT                       \
	}
#define SLATE_ENTITY_FIELDS(array_)                                            \
	.fields = (array_), .n_fields = sizeof(array_) / sizeof((array_)[0]),  \
	.field_size = sizeof(slate_field)
/* The same triple for the other arrays of a def: views, list filters and
 * (ABI 1.2) uploadable file targets. Macros only: no ABI change. */
#define SLATE_ENTITY_VIEWS(array_)                                             \
	.views = (array_), .n_views = sizeof(array_) / sizeof((array_)[0]),    \
	.view_size = sizeof(slate_view)
#define SLATE_ENTITY_FILTERS(array_)                                           \
	.filters = (array_),                                                   \
	.n_filters = sizeof(array_) / sizeof((array_)[0]),                     \
	.filter_size = sizeof(slate_filter)
#define SLATE_ENTITY_FILE_TARGETS(array_)                                      \
	.file_targets = (array_),                                              \
	.n_file_targets = sizeof(array_) / sizeof((array_)[0]),                \
	.file_target_size = sizeof(slate_file_target)

/* A many-to-many link between two entities through a link table, with
 * optional fields of its own (usage_context, notes). The core serves
 *   POST   <collection_path>          {"<target_field>": id, ...fields}
 *   GET    <collection_path>          linked targets with the link fields
 *   DELETE <collection_path>/:<target_param>[?<field>=...]
 *   GET    <usage_path>               the owners using a target
 * with audit rows (action "link"/"unlink" on the owner) in the request's
 * transaction. Rows whose owner or target is soft-deleted are never shown. */
typedef struct slate_link_def {
	uint32_t struct_size;
	const char *table;	     /* "episode_outfits" */
	const char *id_column;	     /* "episode_outfit_id" */
	const char *owner_entity;    /* "episode" */
	const char *owner_field;     /* "episode_id" */
	const char *target_entity;   /* "outfit" */
	const char *target_field;    /* "outfit_id" */
	const char *target_param;    /* "outfitId" */
	const char *collection_path; /* "/api/v1/episodes/:episodeId/outfits" */
	const char *usage_path;	     /* "/api/v1/outfits/:outfitId/usage" */
	const slate_field *fields;   /* the link's own fields */
	uint32_t n_fields;
	uint32_t field_size;
} slate_link_def;

#ifdef __cplusplus
}
#endif
#endif
