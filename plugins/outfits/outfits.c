/*
 * outfits.c - the wardrobe: outfits, their links to episodes, and outfit
 * search. Everything here is declaration; the core's entity engine serves
 * CRUD, validation, filters, audit rows and search, and its link engine the
 * episode links (slate/entity.h).
 *
 * Routes:
 *   GET/POST /api/v1/outfits, GET/PATCH/DELETE /api/v1/outfits/:outfitId
 *   GET /api/v1/outfits/:outfitId/usage          episodes using an outfit
 *   POST/GET /api/v1/episodes/:episodeId/outfits  link / list links
 *   DELETE /api/v1/episodes/:episodeId/outfits/:outfitId[?usage_context=]
 *   GET /api/v1/search/outfits?q=                 ranked, with snippets
 *
 * List and search filters:
 *   ?<part>.<key>=<value>   the part (top, bottom, dress, accessories, shoes,
 *                           purse) contains {"<key>": "<value>"}, e.g.
 *                           ?shoes.color=red&shoes.brand=Nike. The value is
 *                           compared as a JSON string, exactly (case and
 *                           all); <key> is [a-z_][a-z0-9_]*, one level deep.
 *                           Served by the GIN indexes on top and shoes.
 *   ?season=fall,winter     any of them
 *   ?occasion= ?category= ?outfit_type= ?approval_status=   exact
 *   ?tags=a,b               outfits carrying all of them
 */
#include <slate/host.h>

#include "outfits_migrations.h"

/* The seed leaves season free text. It is a closed set here because season
 * is mostly used as a filter, and a filter matches exactly: "fall", "Fall"
 * and "autumn" would otherwise be three seasons. */
static const char *const seasons[] = {"spring", "summer", "fall",
				      "winter", "all",	  NULL};

#define RO SLATE_F_READONLY
#define FS (SLATE_F_FILTER | SLATE_F_SORT)
/* A garment part: any JSON object, filterable by containment, searched. */
#define PART(n, d)                                                             \
	{                                                                      \
		.name = n, .type = SLATE_T_JSON_OBJECT,                        \
		.flags = SLATE_F_FILTER | SLATE_F_SEARCH, .doc = d             \
	}

/* Field order matters twice: it is the order of the JSON objects returned,
 * and the SLATE_F_SEARCH fields in this order make the search document that
 * idx_outfits_fts (migrations/0002) indexes. */
static const slate_field outfit_fields[] = {
    {.name = "outfit_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "outfit_name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255},
    {.name = "outfit_type",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_SEARCH,
     .max_len = 50},
    PART("top", "e.g. {\"item\": \"blouse\", \"color\": \"ivory\"}"),
    PART("bottom", "e.g. {\"item\": \"skirt\", \"color\": \"black\"}"),
    PART("dress", "e.g. {\"designer\": \"...\", \"color\": \"red\"}"),
    {.name = "pattern_description",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_SEARCH,
     .max_len = 100000},
    {.name = "overall_image_reference", .type = SLATE_T_TEXT, .max_len = 1024},
    PART("accessories", "e.g. {\"belt\": \"gold chain\"}"),
    PART("shoes", "e.g. {\"color\": \"red\", \"brand\": \"...\"}"),
    PART("purse", "e.g. {\"style\": \"clutch\"}"),
    {.name = "tags",
     .type = SLATE_T_TEXT_ARRAY,
     .flags = SLATE_F_FILTER | SLATE_F_SEARCH,
     .max_len = 100},
    {.name = "category",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_SEARCH,
     .max_len = 100},
    {.name = "season",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_SEARCH,
     .max_len = 50,
     .one_of = seasons},
    {.name = "occasion",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_SEARCH,
     .max_len = 100},
    {.name = "approval_status",
     .type = SLATE_T_TEXT,
     .flags = FS | SLATE_F_NOT_NULL,
     .max_len = 50,
     .one_of = slate_enum_approval_status},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/* The seed's IMAGE upload, into the outfit's overall image. */
static const slate_file_target outfit_files[] = {
    {.field = "overall_image_reference",
     .kind = "image",
     .max_bytes = 10ull * 1024 * 1024,
     .content_types = slate_content_types_image,
     .key_template = "wardrobe/{id}/{upload}-{filename}"},
};

static const slate_entity_def outfit_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "outfit",
    .path = "/api/v1/outfits",
    .table = "outfits",
    .id_column = "outfit_id",
    .id_param = "outfitId",
    SLATE_ENTITY_FIELDS(outfit_fields),
    .default_sort = "-created_at", /* outfit_name is optional */
    .ops = SLATE_OP_CRUD,
    .search_path = "/api/v1/search/outfits",
    SLATE_ENTITY_FILE_TARGETS(outfit_files),
};

static const slate_field link_fields[] = {
    {.name = "usage_context",
     .type = SLATE_T_TEXT,
     .max_len = 255,
     .doc = "e.g. \"opening look\"; one outfit may be linked once per "
	    "context"},
    {.name = "notes", .type = SLATE_T_TEXT, .max_len = 100000},
};

static const slate_link_def episode_outfits = {
    .struct_size = sizeof(slate_link_def),
    .table = "episode_outfits",
    .id_column = "episode_outfit_id",
    .owner_entity = "episode",
    .owner_field = "episode_id",
    .target_entity = "outfit",
    .target_field = "outfit_id",
    .target_param = "outfitId",
    .collection_path = "/api/v1/episodes/:episodeId/outfits",
    .usage_path = "/api/v1/outfits/:outfitId/usage",
    SLATE_ENTITY_FIELDS(link_fields),
};

/* Nothing but declarations: the host registers them (no init). */
static const slate_plugin_desc outfits_desc = {
    SLATE_PLUGIN_HEADER("outfits", "1.0.0",
			"Outfits, their episode links and outfit search"),
    SLATE_PLUGIN_MIGRATIONS(outfits_migrations, OUTFITS_N_MIGRATIONS),
    .entities = (const slate_entity_def *const[]){&outfit_def, NULL},
    .links = (const slate_link_def *const[]){&episode_outfits, NULL},
};

SLATE_PLUGIN_DEFINE(outfits_desc)
