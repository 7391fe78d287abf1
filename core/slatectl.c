/* slatectl.c - the admin command line: migrations and plugins. */
#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db_cluster.h"
#include "log.h"
#include "migrate.h"
#include "plugin_loader.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: slatectl [--config FILE] COMMAND\n"
    "\n"
    "commands:\n"
    "  migrate up                  apply every pending migration\n"
    "  migrate down [--steps N] [--component ID]\n"
    "                              revert the newest N (1) migrations of\n"
    "                              ID (core)\n"
    "  migrate status              list migrations and their state\n"
    "  migrate verify              fail when an applied migration was\n"
    "                              edited or is unknown to this build\n"
    "  plugins                     list plugins and whether they load\n"
    "\n"
    "The database is DATABASE_URL when set (environment or config),\n"
    "otherwise the embedded cluster under data_dir, started if needed and\n"
    "stopped again afterwards when slatectl started it.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef struct cli {
	const char *config;
	const char *cmd;       /* "migrate" or "plugins" */
	const char *action;    /* up, down, status, verify */
	const char *component; /* down only */
	int steps;
} cli;

static int usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("slatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'slatectl --help'.\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value. */
static int take_value(int argc, char **argv, int *i, const char *name,
		      const char **value)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

/* 0 to run, or an exit status (help printed, or a usage error). */
static int parse(int argc, char **argv, cli *c, int *exit_code)
{
	const char *steps = NULL;
	int r;
	*c = (cli){.steps = 1, .component = "core"};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			*exit_code = usage(stdout, EXIT_OK);
			return -1;
		}
		if ((r = take_value(argc, argv, &i, "--config", &c->config)) ==
		    1)
			continue;
		*exit_code = usage_error(
		    r < 0 ? "%s needs a value" : "unknown option %s", argv[i]);
		return -1;
	}
	if (i >= argc) {
		*exit_code = usage(stderr, EXIT_USAGE);
		return -1;
	}
	c->cmd = argv[i++];
	if (!strcmp(c->cmd, "plugins")) {
		if (i < argc) {
			*exit_code =
			    usage_error("unexpected argument %s", argv[i]);
			return -1;
		}
		return 0;
	}
	if (strcmp(c->cmd, "migrate") != 0) {
		*exit_code = usage_error("unknown command %s", c->cmd);
		return -1;
	}
	if (i >= argc) {
		*exit_code =
		    usage_error("%s: up, down, status or verify?", "migrate");
		return -1;
	}
	c->action = argv[i++];
	if (strcmp(c->action, "up") && strcmp(c->action, "down") &&
	    strcmp(c->action, "status") && strcmp(c->action, "verify")) {
		*exit_code =
		    usage_error("unknown migrate action %s", c->action);
		return -1;
	}
	bool down = !strcmp(c->action, "down");
	for (; i < argc; i++) {
		r = 0;
		if (down) {
			r = take_value(argc, argv, &i, "--steps", &steps);
			if (r == 0)
				r = take_value(argc, argv, &i, "--component",
					       &c->component);
		}
		if (r <= 0) {
			*exit_code =
			    usage_error(r < 0 ? "%s needs a value"
					      : "unexpected argument %s",
					argv[i]);
			return -1;
		}
	}
	if (steps) {
		char *end;
		errno = 0;
		long v = strtol(steps, &end, 10);
		if (errno || end == steps || *end || v < 1 || v > 100000) {
			*exit_code = usage_error("--steps wants a positive "
						 "number, not '%s'",
						 steps);
			return -1;
		}
		c->steps = (int)v;
	}
	return 0;
}

/* The core's set followed by every enabled plugin's. */
static int collect_sets(const slate_config *cfg, slate_migration_set **out,
			size_t *n)
{
	slate_migration_set *plugin_sets = NULL;
	size_t np = 0;
	if (slate_plugins_migration_sets(cfg, &plugin_sets, &np) < 0)
		return -1;
	slate_migration_set *all = calloc(np + 1, sizeof(*all));
	if (!all) {
		free(plugin_sets);
		fputs("slatectl: out of memory\n", stderr);
		return -1;
	}
	all[0] = (slate_migration_set){"core", slate_core_migrations,
				       slate_core_n_migrations,
				       sizeof(slate_migration)};
	if (np)
		memcpy(all + 1, plugin_sets, np * sizeof(*all));
	/* The array is ours to free; the strings and lists it points to
	 * belong to the loaded plugins. */
	free(plugin_sets);
	*out = all;
	*n = np + 1;
	return 0;
}

static int run_migrate(const cli *c, PGconn *conn,
		       const slate_migration_set *sets, size_t nsets)
{
	char err[1024];
	int rc;
	if (!strcmp(c->action, "up")) {
		rc = slate_migrate_up(conn, sets, nsets, err, sizeof(err));
	} else if (!strcmp(c->action, "verify")) {
		rc = slate_migrate_verify(conn, sets, nsets, err, sizeof(err));
	} else if (!strcmp(c->action, "status")) {
		rc = slate_migrate_status(conn, sets, nsets, stdout, err,
					  sizeof(err));
	} else {
		const slate_migration_set *set = NULL;
		for (size_t i = 0; i < nsets; i++) {
			if (!strcmp(sets[i].component, c->component))
				set = &sets[i];
		}
		if (!set) {
			fprintf(stderr,
				"slatectl: no component %s: it is neither core "
				"nor an enabled plugin\n",
				c->component);
			return EXIT_FAIL;
		}
		rc = slate_migrate_down(conn, set, c->steps, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "slatectl: %s\n", err);
		return EXIT_FAIL;
	}
	if (!strcmp(c->action, "up") || !strcmp(c->action, "down"))
		printf("migrate %s: done\n", c->action);
	else if (!strcmp(c->action, "verify"))
		printf("migrate verify: applied migrations match this build\n");
	return EXIT_OK;
}

static int cmd_migrate(const cli *c, const slate_config *cfg)
{
	slate_migration_set *sets = NULL;
	size_t nsets = 0;
	slate_cluster *cluster = NULL;
	PGconn *conn = NULL;
	int code = EXIT_FAIL;
	char err[1024];

	if (collect_sets(cfg, &sets, &nsets) < 0) {
		fputs("slatectl: cannot load the plugins' migrations\n",
		      stderr);
		goto out;
	}
	const char *conninfo = cfg->database_url;
	if (!conninfo) {
		slate_cluster_opts opts = {.pg_bindir = cfg->pg_bindir,
					   .cluster_user = cfg->cluster_user,
					   .dbname = "slate"};
		if (slate_cluster_start(cfg->data_dir, &opts, &cluster, err,
					sizeof(err)) < 0) {
			fprintf(stderr, "slatectl: %s\n", err);
			goto out;
		}
		conninfo = slate_cluster_conninfo(cluster);
	}
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "slatectl: cannot connect to the database: %s",
			PQerrorMessage(conn));
		goto out;
	}
	code = run_migrate(c, conn, sets, nsets);
out:
	PQfinish(conn);
	if (slate_cluster_stop(cluster) < 0)
		code = EXIT_FAIL;
	free(sets);
	return code;
}

int main(int argc, char **argv)
{
	cli c;
	int code;
	if (parse(argc, argv, &c, &code) < 0)
		return code;

	slate_config cfg;
	char err[1024];
	if (slate_config_load(&cfg, c.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "slatectl: %s\n", err);
		slate_config_release(&cfg);
		return EXIT_FAIL;
	}
	slate_log_set_level_name(cfg.log_level);
	if (!strcmp(c.cmd, "plugins"))
		code = slate_plugins_report(&cfg, stdout) < 0 ? EXIT_FAIL
							      : EXIT_OK;
	else
		code = cmd_migrate(&c, &cfg);
	slate_config_release(&cfg);
	return code;
}
