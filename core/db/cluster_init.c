/*
 * cluster_init.c - making a new cluster (initdb) and writing the settings
 * slated wants (socket only, fsync) into it before every start.
 */
#include "db/cluster_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

int cluster_init_db(slate_cluster *c, char *err, size_t errlen)
{
	char *log = cluster_path_join(c->data_dir, "pg-initdb.log");
	char *prog = cluster_path_join(c->bindir, "initdb");
	int rc = -1;
	if (!log || !prog) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	int fd = cluster_proc_open_log(log, true);
	if (fd < 0) {
		slate_errf(err, errlen, "cannot open %s: %s", log,
			   strerror(errno));
		goto out;
	}
	char *argv[] = {prog,
			"-D",
			c->cluster_dir,
			"-U",
			PG_SUPERUSER,
			"--auth-local=trust",
			"--auth-host=reject",
			"-E",
			"UTF8",
			"--locale=C.UTF-8",
			c->no_fsync ? "--no-sync" : NULL,
			NULL};
	slate_log(SLATE_LOG_INFO, "core", NULL,
		  "creating the database cluster in %s", c->cluster_dir);
	int status = cluster_proc_run(c, argv, fd, false);
	close(fd);
	if (status != 0) {
		char tail[600];
		cluster_proc_log_tail(log, 0, tail, sizeof(tail));
		slate_errf(err, errlen, "initdb failed (status %d), see %s: %s",
			   status, log, tail);
		goto out;
	}
	rc = 0;
out:
	free(log);
	free(prog);
	return rc;
}

/* Appends `s` quoted for postgresql.conf (backslash escapes are honoured
 * there, so both ' and \ are escaped). */
static void conf_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc(*s == '\'' ? '\'' : '\\', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* Settings go through an included file rather than `pg_ctl -o`, because
 * pg_ctl hands -o to a shell and the socket directory is a user's path. */
int cluster_init_conf(const slate_cluster *c, char *err, size_t errlen)
{
	char *conf = cluster_path_join(c->cluster_dir, CONF_FILE);
	char *main_conf = cluster_path_join(c->cluster_dir, "postgresql.conf");
	FILE *f = NULL;
	int rc = -1;
	if (!conf || !main_conf) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}

	int fd = open(
	    conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (c->drop && fchown(fd, c->uid, c->gid) < 0) ||
	    !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		slate_errf(err, errlen, "cannot write %s: %s", conf,
			   strerror(errno));
		goto out;
	}
	fputs(
	    "# Written by slated at each start of the cluster: edits here are "
	    "lost.\n"
	    "listen_addresses = ''\n"
	    "port = " PG_PORT "\n"
	    "unix_socket_directories = ",
	    f);
	conf_quote(f, c->cluster_dir);
	fprintf(f,
		"\nunix_socket_permissions = 0700\n"
		"max_connections = 200\n"
		"fsync = %s\n",
		c->no_fsync ? "off" : "on");
	if (fclose(f) != 0) {
		f = NULL;
		slate_errf(err, errlen, "cannot write %s: %s", conf,
			   strerror(errno));
		goto out;
	}

	/* Add the include once; postgresql.conf is initdb's otherwise. */
	f = fopen(main_conf, "r+e");
	if (!f) {
		slate_errf(err, errlen, "cannot open %s: %s", main_conf,
			   strerror(errno));
		goto out;
	}
	char line[512];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, CONF_INCLUDE, strlen(CONF_INCLUDE)) == 0)
			found = true;
	}
	if (!found && (fseek(f, 0, SEEK_END) < 0 ||
		       fputs("\n# slated's settings, see " CONF_FILE
			     "\n" CONF_INCLUDE "\n",
			     f) < 0)) {
		slate_errf(err, errlen, "cannot append to %s", main_conf);
		goto out;
	}
	int closed = fclose(f);
	f = NULL;
	if (closed != 0) {
		slate_errf(err, errlen, "cannot write %s: %s", main_conf,
			   strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(conf);
	free(main_conf);
	return rc;
}
