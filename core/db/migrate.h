/*
 * migrate.h - versioned schema migrations for the core and for each plugin.
 *
 * Each component ("core", or a plugin id) owns an ordered list of
 * slate_migration (slate/plugin.h), embedded at build time. Applied ones are
 * recorded in slate_schema_migrations (component, version, name, checksum,
 * applied_at); the checksum is the SHA-256 of the `up` text. The runner holds
 * a PostgreSQL advisory lock so that several slated processes starting at
 * once migrate exactly once, runs each migration in its own transaction, and
 * refuses to go on when an applied migration's text has changed.
 */
#ifndef SLATE_MIGRATE_H
#define SLATE_MIGRATE_H

#include <libpq-fe.h>
#include <slate/plugin.h>
#include <stddef.h>
#include <stdio.h>

typedef struct slate_migration_set {
	const char *component; /* "core" or a plugin id */
	const slate_migration *list;
	size_t n;
	size_t elem_size; /* sizeof(slate_migration) as its builder saw it */
} slate_migration_set;

/* The core's own migrations, generated from migrations/. */
extern const slate_migration slate_core_migrations[];
extern const uint32_t slate_core_n_migrations;

/* Apply every pending migration of every set, in order (sets in the order
 * given). Verifies checksums first. 0, or -1 with a reason in err. */
int slate_migrate_up(PGconn *conn, const slate_migration_set *sets,
		     size_t nsets, char *err, size_t errlen);

/* Only verify: -1 when an applied migration was edited or is unknown. */
int slate_migrate_verify(PGconn *conn, const slate_migration_set *sets,
			 size_t nsets, char *err, size_t errlen);

/* Revert the newest `steps` applied migrations of `component`. */
int slate_migrate_down(PGconn *conn, const slate_migration_set *set, int steps,
		       char *err, size_t errlen);

/* Print one line per known migration: component, version, name, state
 * (applied at ..., pending, or EDITED). */
int slate_migrate_status(PGconn *conn, const slate_migration_set *sets,
			 size_t nsets, FILE *out, char *err, size_t errlen);

#endif
