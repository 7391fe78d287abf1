/*
 * guests.c - people who appear on a show without an account: contact
 * details, a guest session, consent, and what they brought (outfit and
 * upload references). Declared for the core's entity engine, which serves
 * CRUD, validation, filters and audit rows (slate/entity.h); the only code
 * is the consent rule in guest_prepare().
 *
 * Routes: GET/POST /api/v1/guests, GET/PATCH/DELETE /api/v1/guests/:guestId
 * List filters: consent_given=true|false, business_name (exact).
 *
 * Privacy. Contact details are returned by the API but never stored in
 * clear in audit_log (SLATE_F_PRIVATE: "[redacted]" there), and this plugin
 * never logs a value. Besides email and phone, that covers website (a
 * guest's own site is a way to reach a private person), notes (free text
 * where phone numbers and addresses end up) and session_id (a bearer token
 * for the guest's session). name and business_name stay clear so the audit
 * trail still says whose record changed.
 */
#include <slate/host.h>
#include <stdbool.h>
#include <time.h>

#include "guests_migrations.h"

#define RO SLATE_F_READONLY
#define PRIV SLATE_F_PRIVATE

static const slate_field guest_fields[] = {
    {.name = "guest_id", .type = SLATE_T_UUID, .flags = RO},
    {.name = "name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_REQUIRED | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255},
    {.name = "business_name",
     .type = SLATE_T_TEXT,
     .flags = SLATE_F_FILTER | SLATE_F_SORT | SLATE_F_SEARCH,
     .max_len = 255},
    {.name = "business_email",
     .type = SLATE_T_TEXT,
     .flags = PRIV,
     .max_len = 255,
     .check = SLATE_CHECK_EMAIL},
    {.name = "business_phone",
     .type = SLATE_T_TEXT,
     .flags = PRIV,
     .max_len = 50,
     .check = SLATE_CHECK_PHONE},
    {.name = "website",
     .type = SLATE_T_TEXT,
     .flags = PRIV,
     .max_len = 500,
     .check = SLATE_CHECK_URL},
    /* Unique (409). Not a list filter: it is a token, and a token does
     * not belong in URLs. */
    {.name = "session_id", .type = SLATE_T_TEXT, .flags = PRIV, .max_len = 255},
    {.name = "session_expires_at", .type = SLATE_T_TIMESTAMPTZ},
    /* The account a guest became; users belong to the core's auth, which
     * declares no entity to check the id against. */
    {.name = "converted_user_id", .type = SLATE_T_UUID},
    {.name = "converted_at", .type = SLATE_T_TIMESTAMPTZ},
    {.name = "outfit_references",
     .type = SLATE_T_JSON_ARRAY,
     .flags = SLATE_F_NOT_NULL,
     .doc = "JSON array, e.g. outfit ids or descriptions"},
    {.name = "upload_references",
     .type = SLATE_T_JSON_ARRAY,
     .flags = SLATE_F_NOT_NULL,
     .doc = "JSON array, e.g. file references"},
    {.name = "notes", .type = SLATE_T_TEXT, .flags = PRIV, .max_len = 100000},
    {.name = "consent_given",
     .type = SLATE_T_BOOL,
     .flags = SLATE_F_FILTER | SLATE_F_NOT_NULL},
    {.name = "consent_timestamp",
     .type = SLATE_T_TIMESTAMPTZ,
     .flags = RO | SLATE_F_SORT,
     .doc = "When the consent in force was given; set by the server"},
    SLATE_FIELD_TIMESTAMP("created_at"),
    SLATE_FIELD_TIMESTAMP("updated_at"),
};

/*
 * The consent rule, run after the declared checks on create and patch.
 * consent_timestamp says when the consent now in force was given:
 *   - consent_given becomes true (it was false, null, or this is a create):
 *     stamped with the server's clock, never the client's;
 *   - true again while already true: kept, re-confirming moves nothing;
 *   - becomes false (withdrawn): cleared, so a timestamp is never shown
 *     beside a withdrawn consent. The history stays in audit_log, where
 *     both changes are recorded (consent is not a contact detail).
 */
static int guest_prepare(struct slate_req *req, json_t *changes,
			 const json_t *current, void *ud)
{
	(void)req;
	(void)ud;
	json_t *given = json_object_get(changes, "consent_given");
	if (!json_is_boolean(given))
		return 0; /* not being changed */
	bool was =
	    current && json_is_true(json_object_get(current, "consent_given"));
	if (json_is_true(given) && !was) {
		char stamp[32];
		struct tm tm;
		time_t now = time(NULL);
		if (!gmtime_r(&now, &tm) ||
		    !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
			return -1; /* answers 500 */
		return json_object_set_new(changes, "consent_timestamp",
					   json_string(stamp));
	}
	if (json_is_false(given) && was)
		return json_object_set_new(changes, "consent_timestamp",
					   json_null());
	return 0;
}

static const slate_entity_def guest_def = {
    .struct_size = sizeof(slate_entity_def),
    .name = "guest",
    .path = "/api/v1/guests",
    .table = "guests",
    .id_column = "guest_id",
    .id_param = "guestId",
    SLATE_ENTITY_FIELDS(guest_fields),
    .default_sort = "name",
    .ops = SLATE_OP_CRUD,
    .prepare = guest_prepare,
};

/* Nothing but declarations: the host registers them (no init). */
static const slate_plugin_desc guests_desc = {
    SLATE_PLUGIN_HEADER("guests", "1.0.0",
			"Guests: contact details, session and consent"),
    SLATE_PLUGIN_MIGRATIONS(guests_migrations, GUESTS_N_MIGRATIONS),
    .entities = (const slate_entity_def *const[]){&guest_def, NULL},
};

SLATE_PLUGIN_DEFINE(guests_desc)
