/* slatectl.c - the admin command line: migrations, plugins, accounts. */
#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/plugins_report.h"
#include "auth/users.h"
#include "base/config.h"
#include "base/log.h"
#include "db/cluster.h"
#include "db/migrate.h"

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
    "  user add EMAIL [--groups G,...]\n"
    "                              create an account; the password is read\n"
    "                              from standard input (one line)\n"
    "  user passwd EMAIL           set the password (from standard input)\n"
    "  user disable|enable EMAIL   stop or allow logins (disabling also\n"
    "                              revokes every refresh token)\n"
    "  user groups EMAIL G,...     set the groups: admin, editor, viewer\n"
    "  user list                   list the accounts\n"
    "\n"
    "The database is DATABASE_URL when set (environment or config),\n"
    "otherwise the embedded cluster under data_dir, started if needed and\n"
    "stopped again afterwards when slatectl started it.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef struct cli {
	const char *config;
	const char *cmd;       /* "migrate", "plugins" or "user" */
	const char *action;    /* up, down, status, verify */
	const char *component; /* down only */
	int steps;
	char **rest; /* user: the arguments after "user" */
	int nrest;
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
	if (!strcmp(c->cmd, "user")) {
		c->rest = argv + i;
		c->nrest = argc - i;
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
	if (slate_app_plugins_migrations(cfg, &plugin_sets, &np) < 0)
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

/* Connect to DATABASE_URL or the embedded cluster (started if needed; the
 * handle stops it again only when this process started it). 0 or -1. */
static int db_open(const slate_config *cfg, slate_cluster **cluster,
		   PGconn **conn)
{
	char err[1024];
	const char *conninfo = cfg->database_url;
	*cluster = NULL;
	*conn = NULL;
	if (!conninfo) {
		slate_cluster_opts opts = {.pg_bindir = cfg->pg_bindir,
					   .cluster_user = cfg->cluster_user,
					   .dbname = "slate"};
		if (slate_cluster_start(cfg->data_dir, &opts, cluster, err,
					sizeof(err)) < 0) {
			fprintf(stderr, "slatectl: %s\n", err);
			return -1;
		}
		conninfo = slate_cluster_conninfo(*cluster);
	}
	*conn = PQconnectdb(conninfo);
	if (PQstatus(*conn) != CONNECTION_OK) {
		fprintf(stderr, "slatectl: cannot connect to the database: %s",
			PQerrorMessage(*conn));
		return -1;
	}
	return 0;
}

static int db_close(slate_cluster *cluster, PGconn *conn)
{
	PQfinish(conn);
	return slate_cluster_stop(cluster) < 0 ? -1 : 0;
}

static int cmd_migrate(const cli *c, const slate_config *cfg)
{
	slate_migration_set *sets = NULL;
	size_t nsets = 0;
	slate_cluster *cluster = NULL;
	PGconn *conn = NULL;
	int code = EXIT_FAIL;

	if (collect_sets(cfg, &sets, &nsets) < 0) {
		fputs("slatectl: cannot load the plugins' migrations\n",
		      stderr);
		goto out;
	}
	if (db_open(cfg, &cluster, &conn) < 0)
		goto out;
	code = run_migrate(c, conn, sets, nsets);
out:
	if (db_close(cluster, conn) < 0)
		code = EXIT_FAIL;
	free(sets);
	return code;
}

/* One line of standard input, without its newline; never echoed, never
 * in argv. 0, or -1 when there is none or it is too long. */
static int read_password(char *buf, size_t len)
{
	if (!fgets(buf, (int)len, stdin)) {
		fputs("slatectl: expected the password on standard input\n",
		      stderr);
		return -1;
	}
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && !feof(stdin)) {
		fputs("slatectl: the password line is too long\n", stderr);
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

static int user_list(PGconn *conn)
{
	PGresult *r =
	    PQexec(conn, "SELECT email, array_to_string(groups, ','), "
			 "CASE WHEN disabled_at IS NULL THEN 'active' "
			 "ELSE 'disabled' END, coalesce(last_login_at::"
			 "text, '-') FROM users ORDER BY lower(email)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "slatectl: %s", PQerrorMessage(conn));
		PQclear(r);
		return EXIT_FAIL;
	}
	for (int i = 0; i < PQntuples(r); i++)
		printf("%-40s %-22s %-9s last login %s\n", PQgetvalue(r, i, 0),
		       PQgetvalue(r, i, 1)[0] ? PQgetvalue(r, i, 1) : "-",
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	PQclear(r);
	return EXIT_OK;
}

static int cmd_user(const cli *c, const slate_config *cfg)
{
	const char *action = c->nrest > 0 ? c->rest[0] : NULL;
	const char *email = c->nrest > 1 ? c->rest[1] : NULL;
	const char *groups_arg = NULL;
	unsigned groups = 0;
	char err[1024], pw[SLATE_PASSWORD_MAX + 2];
	int extra_from = 2;
	if (!action)
		return usage_error("user: add, passwd, disable, enable, groups "
				   "or list?");
	if (!strcmp(action, "list")) {
		extra_from = 1;
	} else if (!strcmp(action, "add")) {
		for (int i = 2; i < c->nrest; i++) {
			int r = take_value(c->nrest, c->rest, &i, "--groups",
					   &groups_arg);
			if (r <= 0)
				return usage_error(r < 0 ? "%s needs a value"
							 : "unexpected "
							   "argument %s",
						   c->rest[i]);
		}
		extra_from = c->nrest;
	} else if (!strcmp(action, "groups")) {
		groups_arg = c->nrest > 2 ? c->rest[2] : NULL;
		if (!groups_arg)
			return usage_error("user groups EMAIL G,...: which "
					   "groups?");
		extra_from = 3;
	} else if (strcmp(action, "passwd") && strcmp(action, "disable") &&
		   strcmp(action, "enable")) {
		return usage_error("unknown user action %s", action);
	}
	if (extra_from < c->nrest)
		return usage_error("unexpected argument %s",
				   c->rest[extra_from]);
	if (strcmp(action, "list") && !email)
		return usage_error("user %s: which EMAIL?", action);
	if (groups_arg &&
	    slate_users_groups_parse(groups_arg, &groups, err, sizeof(err)))
		return usage_error("%s", err);
	if ((!strcmp(action, "add") || !strcmp(action, "passwd")) &&
	    read_password(pw, sizeof(pw)))
		return EXIT_FAIL;

	slate_cluster *cluster = NULL;
	PGconn *conn = NULL;
	int rc = -1, code = EXIT_FAIL;
	if (db_open(cfg, &cluster, &conn) < 0)
		goto out;
	if (!strcmp(action, "list")) {
		code = user_list(conn);
		goto out;
	}
	if (!strcmp(action, "add"))
		rc = slate_users_add(conn, email, pw, groups, "slatectl", err,
				     sizeof(err));
	else if (!strcmp(action, "passwd"))
		rc = slate_users_set_password(conn, email, pw, "slatectl", err,
					      sizeof(err));
	else if (!strcmp(action, "groups"))
		rc = slate_users_set_groups(conn, email, groups, "slatectl",
					    err, sizeof(err));
	else
		rc = slate_users_set_disabled(conn, email,
					      !strcmp(action, "disable"),
					      "slatectl", err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "slatectl: user %s %s: %s\n", action, email,
			err);
		goto out;
	}
	printf("user %s %s: done\n", action, email);
	code = EXIT_OK;
out:
	memset(pw, 0, sizeof(pw));
	if (db_close(cluster, conn) < 0)
		code = EXIT_FAIL;
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
		code = slate_app_plugins_report(&cfg, stdout) < 0 ? EXIT_FAIL
								  : EXIT_OK;
	else if (!strcmp(c.cmd, "user"))
		code = cmd_user(&c, &cfg);
	else
		code = cmd_migrate(&c, &cfg);
	slate_config_release(&cfg);
	return code;
}
