/*
 * plugins_report.h - what slatectl asks of the plugins without a running
 * slated: their states, and the migrations of the enabled ones. Each opens
 * the plugins as slated would, on a registry of its own.
 */
#ifndef SLATE_APP_PLUGINS_REPORT_H
#define SLATE_APP_PLUGINS_REPORT_H

#include <stdio.h>

#include "base/config.h"
#include "db/migrate.h"

/* Open and init like slated (without a database) and print one line per
 * plugin with its state and reason. 0, or -1 when out of memory. */
int slate_app_plugins_report(const slate_config *cfg, FILE *out);

/* The migration sets of the enabled plugins; *out is freed by the caller,
 * the sets inside point into the plugins, which stay loaded for the life
 * of the process. 0, or -1. */
int slate_app_plugins_migrations(const slate_config *cfg,
				 slate_migration_set **out, size_t *n);

#endif
