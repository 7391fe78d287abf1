/* db_cluster.c - the embedded PostgreSQL cluster; see db_cluster.h. */
#include "db/cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define PG_LIBDIR "/usr/lib/postgresql"
#define FALLBACK_ROOT "/var/lib/slate"
#define FALLBACK_DIR FALLBACK_ROOT "/clusters"
#define PG_PORT "5432"
#define SOCKET_FILE ".s.PGSQL." PG_PORT
#define SOCKET_NAME "/" SOCKET_FILE
/* sun_path is 108 bytes; stay well inside it. */
#define SOCKET_PATH_MAX 100
#define PG_SUPERUSER "slate"
#define START_TIMEOUT_S "60"
#define CONF_FILE "slate.conf"
#define CONF_INCLUDE "include_if_exists = '" CONF_FILE "'"

struct slate_cluster {
	char *data_dir;	   /* absolute, as configured */
	char *cluster_dir; /* PostgreSQL's data dir, symlinks resolved */
	char *bindir;
	char *server_log;
	char *conninfo;
	char *user;   /* the cluster user when root, for messages */
	bool started; /* we ran pg_ctl start, so we stop it */
	bool drop;    /* run pg binaries as uid/gid below */
	bool no_fsync;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

static char *path_join(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

static bool exists(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	bool ok = p && access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* ---- child processes -------------------------------------------------- */

/* Runs argv[0] as the cluster user (when root) with a minimal environment,
 * stdout and stderr to out_fd (-1: /dev/null). The child only uses
 * async-signal-safe calls because slated may already have threads. It
 * closes every other descriptor so that a long-lived postmaster does not
 * keep slated's sockets open, and resets the signal state slated may have
 * changed (ignored SIGPIPE, blocked SIGTERM), which exec would inherit.
 * new_session detaches the postmaster from the terminal's Ctrl-C.
 * Returns the exit status (128 + signal when killed), or -1. */
static int run(const slate_cluster *c, char *const argv[], int out_fd,
	       bool new_session)
{
	static char *const envp[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8",
				     NULL};
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(devnull);
		return -1;
	}
	if (pid == 0) {
		int out = out_fd >= 0 ? out_fd : devnull;
		if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(out, 2) < 0)
			_exit(126);
		if (close_range(3, ~0U, 0) < 0) {
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		}
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		for (int sig = 1; sig < NSIG; sig++) {
			if (sig != SIGKILL && sig != SIGSTOP)
				sigaction(sig, &dfl, NULL);
		}
		if (new_session)
			setsid();
		if (c && c->drop &&
		    (setgroups((size_t)c->ngroups, c->groups) < 0 ||
		     setgid(c->gid) < 0 || setuid(c->uid) < 0 ||
		     getuid() != c->uid)) {
			static const char msg[] =
			    "slated: cannot drop privileges\n";
			ssize_t w = write(2, msg, sizeof(msg) - 1);
			(void)w;
			_exit(126);
		}
		execve(argv[0], argv, envp);
		static const char msg[] = "slated: cannot execute program\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		_exit(127);
	}
	close(devnull);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Whether the cluster user can traverse `dir`: tested as that user, since
 * root's own access() would always say yes. */
static bool user_can_reach(const slate_cluster *c, const char *dir)
{
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (setgroups((size_t)c->ngroups, c->groups) < 0 ||
		    setgid(c->gid) < 0 || setuid(c->uid) < 0)
			_exit(2);
		_exit(access(dir, X_OK) == 0 ? 0 : 1);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool is_error_line(const char *l)
{
	return strstr(l, "FATAL:") || strstr(l, "PANIC:") ||
	       strstr(l, "ERROR:") || strstr(l, "error:");
}

/* What went wrong, from what a program wrote to `path` past offset `from`:
 * the last error line (with the hint after it) when there is one, else the
 * last three lines; joined with " | " into buf. */
static void log_tail(const char *path, off_t from, char *buf, size_t n)
{
	char data[8192];
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size - from > (off_t)sizeof(data) - 1)
		from = size - (off_t)sizeof(data) + 1;
	ssize_t got = pread(fd, data, sizeof(data) - 1, from);
	close(fd);
	if (got <= 0)
		return;
	data[got] = '\0';

	const char *lines[3] = {NULL, NULL, NULL};
	const char *error = NULL, *hint = NULL;
	int nl = 0;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (l[strspn(l, " \t\r")] == '\0')
			continue;
		if (error && !hint && lines[2] == error && strstr(l, "HINT:"))
			hint = l;
		if (is_error_line(l)) {
			error = l;
			hint = NULL;
		}
		lines[0] = lines[1];
		lines[1] = lines[2];
		lines[2] = l;
		nl++;
	}
	if (error) {
		snprintf(buf, n, "%s%s%s", error, hint ? " | " : "",
			 hint ? hint : "");
		return;
	}
	size_t used = 0;
	for (int i = nl >= 3 ? 0 : 3 - nl; i < 3 && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s",
				 used ? " | " : "", lines[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ---- setup steps -------------------------------------------------------- */

/* The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or
 * of `prefer` (the cluster's PG_VERSION) when that one is installed, since
 * a cluster only starts with binaries of its own major version. */
static char *find_bindir(const char *prefer)
{
	char *path = NULL;
	if (prefer && prefer[0] &&
	    asprintf(&path, PG_LIBDIR "/%s/bin/pg_ctl", prefer) >= 0) {
		bool ok = access(path, X_OK) == 0;
		free(path);
		path = NULL;
		if (ok && asprintf(&path, PG_LIBDIR "/%s/bin", prefer) >= 0)
			return path;
	}

	DIR *d = opendir(PG_LIBDIR);
	if (!d)
		return NULL;
	long best = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end || v <= best)
			continue;
		char *pg_ctl = NULL;
		if (asprintf(&pg_ctl, PG_LIBDIR "/%s/bin/pg_ctl", e->d_name) <
		    0)
			continue;
		if (access(pg_ctl, X_OK) == 0)
			best = v;
		free(pg_ctl);
	}
	closedir(d);
	if (best < 0 || asprintf(&path, PG_LIBDIR "/%ld/bin", best) < 0)
		return NULL;
	return path;
}

static int resolve_bindir(slate_cluster *c, const char *configured, char *err,
			  size_t errlen)
{
	static const char *const progs[] = {"initdb", "pg_ctl", "postgres"};
	char version[16] = "";
	char *pv = path_join(c->cluster_dir, "PG_VERSION");
	if (!pv)
		return slate_errf(err, errlen, "out of memory");
	FILE *f = fopen(pv, "re");
	free(pv);
	if (f) {
		if (!fgets(version, sizeof(version), f))
			version[0] = '\0';
		version[strcspn(version, "\r\n")] = '\0';
		fclose(f);
	}

	c->bindir = configured ? strdup(configured) : find_bindir(version);
	if (!c->bindir)
		return slate_errf(
		    err, errlen,
		    "PostgreSQL server binaries not found under " PG_LIBDIR
		    "/*/bin: install the Debian package postgresql-15 "
		    "(`make deps` does)");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char *p = path_join(c->bindir, progs[i]);
		bool ok = p && access(p, X_OK) == 0;
		free(p);
		if (!ok)
			return slate_errf(
			    err, errlen,
			    "%s/%s is missing or not executable: install "
			    "the Debian package postgresql-15 (`make "
			    "deps` does) or fix pg_bindir",
			    c->bindir, progs[i]);
	}
	return 0;
}

/* Looks up (creating it when missing) the unprivileged user. */
static int resolve_user(slate_cluster *c, const char *user, char *err,
			size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		char *argv[] = {"/usr/sbin/useradd",
				"--system",
				"--no-create-home",
				"--shell",
				"/usr/sbin/nologin",
				(char *)user,
				NULL};
		slate_log(SLATE_LOG_INFO, "core", NULL,
			  "creating system user %s to run the database cluster",
			  user);
		int rc = run(NULL, argv, STDERR_FILENO, false);
		if (rc != 0)
			return slate_errf(
			    err, errlen,
			    "useradd %s failed (status %d): PostgreSQL "
			    "will not run as root, so it needs that user",
			    user, rc);
		pw = getpwnam(user);
		if (!pw)
			return slate_errf(err, errlen,
					  "user %s not found after useradd",
					  user);
	}
	if (pw->pw_uid == 0)
		return slate_errf(
		    err, errlen,
		    "cluster_user %s is root; PostgreSQL refuses to run "
		    "as root",
		    user);
	c->user = strdup(user);
	if (!c->user)
		return slate_errf(err, errlen, "out of memory");
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->drop = true;

	/* Computed here because getgrouplist is not safe after fork. */
	int n = 16;
	for (;;) {
		gid_t *g = realloc(c->groups, (size_t)n * sizeof(gid_t));
		if (!g)
			return slate_errf(err, errlen, "out of memory");
		c->groups = g;
		int want = n;
		if (getgrouplist(user, c->gid, c->groups, &want) >= 0) {
			c->ngroups = want;
			return 0;
		}
		if (want <= n)
			return slate_errf(err, errlen,
					  "getgrouplist(%s) failed", user);
		n = want;
	}
}

static int mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0)
		return 0;
	return errno == EEXIST ? 0 : -1;
}

/* mkdir -p: parents 0755, the last component `mode`. */
static int mkdir_parents(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir_mode(p, 0755) < 0) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir_mode(p, mode);
	free(p);
	return rc;
}

/* Creates `dir` (0700) when missing and, when root, hands an empty one to
 * the cluster user; refuses an initialised cluster owned by someone else,
 * which PostgreSQL would refuse with a less helpful message. */
static int prepare_cluster_dir(const slate_cluster *c, const char *dir,
			       char *err, size_t errlen)
{
	if (mkdir_mode(dir, 0700) < 0)
		return slate_errf(err, errlen, "cannot create %s: %s", dir,
				  strerror(errno));
	struct stat st;
	if (stat(dir, &st) < 0)
		return slate_errf(err, errlen, "cannot stat %s: %s", dir,
				  strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return slate_errf(err, errlen, "%s is not a directory", dir);
	uid_t want = c->drop ? c->uid : geteuid();
	if (st.st_uid == want)
		return 0;
	if (exists(dir, "PG_VERSION"))
		return slate_errf(
		    err, errlen,
		    "the cluster in %s belongs to uid %u, not to uid %u "
		    "that runs it: chown -R it or remove it",
		    dir, (unsigned)st.st_uid, (unsigned)want);
	/* Not root: nothing to hand over; initdb reports what it dislikes. */
	if (!c->drop)
		return 0;
	if (chown(dir, c->uid, c->gid) < 0 || chmod(dir, 0700) < 0)
		return slate_errf(err, errlen, "cannot hand %s to uid %u: %s",
				  dir, (unsigned)c->uid, strerror(errno));
	return 0;
}

static bool socket_fits(const char *dir)
{
	return strlen(dir) + strlen(SOCKET_NAME) < SOCKET_PATH_MAX;
}

static int check_socket(const char *dir, char *err, size_t errlen)
{
	if (socket_fits(dir))
		return 0;
	return slate_errf(err, errlen,
			  "the database socket %s%s would be longer than %d "
			  "characters, which unix sockets cannot hold: use a "
			  "shorter data_dir",
			  dir, SOCKET_NAME, SOCKET_PATH_MAX - 1);
}

/* /var/lib/slate/clusters/<first 16 hex of sha256(data_dir)>. */
static char *fallback_dir(const char *data_dir)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data_dir, strlen(data_dir), md, &mdlen, EVP_sha256(),
			NULL) ||
	    mdlen < 8)
		return NULL;
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return path_join(FALLBACK_DIR, hex);
}

/* Decides where the cluster lives; see db_cluster.h. Sets c->cluster_dir
 * to a real (symlink-free) path. */
static int resolve_cluster_dir(slate_cluster *c, char *err, size_t errlen)
{
	char *link = path_join(c->data_dir, "pg");
	char *dir = NULL;
	int rc = -1;
	if (!link) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}

	struct stat st;
	if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* Placed elsewhere by an earlier start: follow it. */
		char target[PATH_MAX];
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n < 0) {
			slate_errf(err, errlen, "cannot read symlink %s: %s",
				   link, strerror(errno));
			goto out;
		}
		target[n] = '\0';
		if (target[0] != '/') {
			slate_errf(err, errlen,
				   "%s must point to an absolute path", link);
			goto out;
		}
		if (c->drop && mkdir_parents(FALLBACK_DIR, 0755) < 0) {
			slate_errf(err, errlen, "cannot create %s: %s",
				   FALLBACK_DIR, strerror(errno));
			goto out;
		}
		dir = strdup(target);
	} else {
		const char *why = NULL;
		if (c->drop && !user_can_reach(c, c->data_dir))
			why = "cannot reach";
		else if (c->drop && !socket_fits(link))
			why = "would need a socket path too long under";
		if (!why) {
			dir = strdup(link);
		} else if (exists(link, "PG_VERSION")) {
			slate_errf(
			    err, errlen,
			    "user %s %s %s, which holds an existing cluster: "
			    "make the path reachable (chmod o+x on each "
			    "parent) or move the data directory",
			    c->user, why, c->data_dir);
			goto out;
		} else {
			dir = fallback_dir(c->data_dir);
			if (!dir || mkdir_parents(FALLBACK_DIR, 0755) < 0) {
				slate_errf(err, errlen, "cannot create %s: %s",
					   FALLBACK_DIR, strerror(errno));
				goto out;
			}
			rmdir(link); /* an empty one left by an older start */
			if (symlink(dir, link) < 0) {
				slate_errf(err, errlen,
					   "cannot create symlink %s: %s", link,
					   strerror(errno));
				goto out;
			}
			slate_log(SLATE_LOG_WARN, "core", NULL,
				  "database user %s %s %s; the cluster "
				  "lives in %s instead (%s links to it)",
				  c->user, why, c->data_dir, dir, link);
		}
	}
	if (!dir) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	if (check_socket(dir, err, errlen) < 0 ||
	    prepare_cluster_dir(c, dir, err, errlen) < 0)
		goto out;
	c->cluster_dir = realpath(dir, NULL);
	if (!c->cluster_dir) {
		slate_errf(err, errlen, "cannot resolve %s: %s", dir,
			   strerror(errno));
		goto out;
	}
	if (check_socket(c->cluster_dir, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(link);
	free(dir);
	return rc;
}

/* Opens a log file the cluster's programs write through an inherited
 * descriptor, so it can sit where the cluster user has no access. */
static int open_log(const char *path, bool truncate)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    (truncate ? O_TRUNC : O_APPEND);
	return open(path, flags, 0600);
}

static int initdb(slate_cluster *c, char *err, size_t errlen)
{
	char *log = path_join(c->data_dir, "pg-initdb.log");
	char *prog = path_join(c->bindir, "initdb");
	int rc = -1;
	if (!log || !prog) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	int fd = open_log(log, true);
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
	int status = run(c, argv, fd, false);
	close(fd);
	if (status != 0) {
		char tail[600];
		log_tail(log, 0, tail, sizeof(tail));
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
static int write_conf(const slate_cluster *c, char *err, size_t errlen)
{
	char *conf = path_join(c->cluster_dir, CONF_FILE);
	char *main_conf = path_join(c->cluster_dir, "postgresql.conf");
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

/* Appends key='value' to a conninfo string, quoted as libpq wants. */
static int conninfo_add(char **s, const char *key, const char *value)
{
	size_t old = *s ? strlen(*s) : 0;
	size_t need = old + strlen(key) + 2 * strlen(value) + 5;
	char *n = realloc(*s, need);
	if (!n)
		return -1;
	char *p = n + old;
	if (old)
		*p++ = ' ';
	p += sprintf(p, "%s='", key);
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '\'';
	*p = '\0';
	*s = n;
	return 0;
}

static char *make_conninfo(const slate_cluster *c, const char *dbname)
{
	char *s = NULL;
	if (conninfo_add(&s, "host", c->cluster_dir) < 0 ||
	    conninfo_add(&s, "port", PG_PORT) < 0 ||
	    conninfo_add(&s, "dbname", dbname) < 0 ||
	    conninfo_add(&s, "user", PG_SUPERUSER) < 0 ||
	    conninfo_add(&s, "options", "-c TimeZone=UTC") < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* pg_ctl status: 0 running, 3 not running. */
static int pg_ctl_status(const slate_cluster *c)
{
	char *prog = path_join(c->bindir, "pg_ctl");
	if (!prog)
		return -1;
	char *argv[] = {prog, "status", "-D", c->cluster_dir, NULL};
	int rc = run(c, argv, -1, false);
	free(prog);
	return rc;
}

/* The PID on the first line of a lock file in the cluster dir, or -1. */
static long lock_file_pid(const slate_cluster *c, const char *name)
{
	char *p = path_join(c->cluster_dir, name);
	FILE *f = p ? fopen(p, "re") : NULL;
	free(p);
	if (!f)
		return -1;
	long pid = -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

static long postmaster_pid(const slate_cluster *c)
{
	return lock_file_pid(c, "postmaster.pid");
}

/* After a crash of the whole machine, postmaster.pid may name a PID that
 * now belongs to another process of the same user; pg_ctl and postgres
 * then both believe the server runs. A postmaster's working directory is
 * its data directory, which tells the two apart. A killed postmaster that
 * nobody has reaped yet is a zombie, alive to kill(pid, 0) only. */
static bool pid_file_stale(const slate_cluster *c, long pid)
{
	char proc[64], buf[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/%ld/stat", pid);
	FILE *f = fopen(proc, "re");
	if (f) {
		/* "pid (comm) S ...": comm may hold spaces and parentheses. */
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *end = strrchr(buf, ')');
		if (end && (end[1] == ' ') && (end[2] == 'Z' || end[2] == 'X'))
			return true;
	}
	snprintf(proc, sizeof(proc), "/proc/%ld/cwd", pid);
	ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0)
		return false; /* unknown: trust pg_ctl */
	buf[n] = '\0';
	return strcmp(buf, c->cluster_dir) != 0;
}

/* Removes the data dir's and the socket's lock files when the PID they
 * name is provably not this cluster's server; postgres itself only
 * recognises PIDs that are gone. */
static void remove_stale_locks(const slate_cluster *c)
{
	static const char *const names[] = {"postmaster.pid",
					    SOCKET_FILE ".lock"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long pid = lock_file_pid(c, names[i]);
		if (pid <= 0 || !pid_file_stale(c, pid))
			continue;
		char *p = path_join(c->cluster_dir, names[i]);
		if (!p)
			continue;
		slate_log(SLATE_LOG_WARN, "core", NULL,
			  "removing stale %s: PID %ld is not this cluster's "
			  "server",
			  p, pid);
		unlink(p);
		free(p);
	}
}

/* Waits for a server pg_ctl says is running to accept connections; it may
 * still be starting or recovering. */
static int wait_ready(const slate_cluster *c, char *err, size_t errlen)
{
	char *ci = make_conninfo(c, "postgres");
	if (!ci)
		return slate_errf(err, errlen, "out of memory");
	PGPing ping = PQPING_NO_RESPONSE;
	for (int i = 0; i < 600; i++) {
		ping = PQping(ci);
		if (ping == PQPING_OK || ping == PQPING_NO_ATTEMPT)
			break;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	free(ci);
	if (ping != PQPING_OK)
		return slate_errf(
		    err, errlen,
		    "a server runs for %s (PID %ld in postmaster.pid) "
		    "but does not answer on its socket there; see %s",
		    c->cluster_dir, postmaster_pid(c), c->server_log);
	return 0;
}

static int pg_ctl_start(slate_cluster *c, char *err, size_t errlen)
{
	char *prog = path_join(c->bindir, "pg_ctl");
	int rc = -1;
	if (!prog) {
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	int fd = open_log(c->server_log, false);
	if (fd < 0) {
		slate_errf(err, errlen, "cannot open %s: %s", c->server_log,
			   strerror(errno));
		goto out;
	}
	off_t log_start = lseek(fd, 0, SEEK_END);
	/* No -l: the server writes to the inherited descriptor. */
	char *argv[] = {
	    prog, "start", "-D", c->cluster_dir, "-w", "-t", START_TIMEOUT_S,
	    "-s", NULL};
	int status = run(c, argv, fd, true);
	close(fd);
	if (status != 0) {
		/* Another process may have started it at the same moment. */
		if (pg_ctl_status(c) == 0) {
			rc = wait_ready(c, err, errlen);
			goto out;
		}
		char tail[600];
		log_tail(c->server_log, log_start, tail, sizeof(tail));
		slate_errf(
		    err, errlen,
		    "PostgreSQL did not start (pg_ctl status %d), see %s: %s",
		    status, c->server_log, tail);
		goto out;
	}
	c->started = true;
	rc = 0;
out:
	free(prog);
	return rc;
}

static int ensure_database(const slate_cluster *c, const char *dbname,
			   char *err, size_t errlen)
{
	char *ci = make_conninfo(c, "postgres");
	if (!ci)
		return slate_errf(err, errlen, "out of memory");
	PGconn *conn = PQconnectdb(ci);
	free(ci);
	PGresult *res = NULL;
	char *ident = NULL;
	int rc = -1;
	if (PQstatus(conn) != CONNECTION_OK) {
		slate_errf(err, errlen,
			   "cannot connect to the cluster in %s: %s",
			   c->cluster_dir, PQerrorMessage(conn));
		goto out;
	}
	const char *params[] = {dbname};
	res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		slate_errf(err, errlen, "cannot list databases: %s",
			   PQresultErrorMessage(res));
		goto out;
	}
	if (PQntuples(res) > 0) {
		rc = 0;
		goto out;
	}
	PQclear(res);

	/* Utility statements take no parameters; the name is quoted instead. */
	ident = PQescapeIdentifier(conn, dbname, strlen(dbname));
	char *sql = NULL;
	if (!ident || asprintf(&sql, "CREATE DATABASE %s", ident) < 0) {
		res = NULL;
		slate_errf(err, errlen, "out of memory");
		goto out;
	}
	res = PQexec(conn, sql);
	free(sql);
	/* Someone else created it meanwhile (a client not going through
	 * slate_cluster_start): 42P04, or 23505 when both passed the check. */
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	bool raced = state && (strcmp(state, "42P04") == 0 ||
			       strcmp(state, "23505") == 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !raced) {
		slate_errf(err, errlen, "cannot create database %s: %s", dbname,
			   PQresultErrorMessage(res));
		goto out;
	}
	rc = 0;
out:
	PQfreemem(ident);
	PQclear(res);
	PQfinish(conn);
	return rc;
}

static void cluster_free(slate_cluster *c)
{
	if (!c)
		return;
	free(c->data_dir);
	free(c->cluster_dir);
	free(c->bindir);
	free(c->server_log);
	free(c->conninfo);
	free(c->groups);
	free(c->user);
	free(c);
}

/* Runs the server up to the point of accepting connections: reuse a
 * running one, otherwise start it (creating it first when new). */
static int bring_up(slate_cluster *c, char *err, size_t errlen)
{
	if (!exists(c->cluster_dir, "PG_VERSION") && initdb(c, err, errlen) < 0)
		return -1;

	if (pg_ctl_status(c) == 0) {
		long pid = postmaster_pid(c);
		if (pid <= 0 || !pid_file_stale(c, pid))
			return wait_ready(c, err, errlen);
	}
	remove_stale_locks(c);
	if (write_conf(c, err, errlen) < 0)
		return -1;
	return pg_ctl_start(c, err, errlen);
}

int slate_cluster_start(const char *data_dir, const slate_cluster_opts *opts,
			slate_cluster **out, char *err, size_t errlen)
{
	const char *user =
	    opts && opts->cluster_user ? opts->cluster_user : "slate";
	const char *dbname = opts && opts->dbname ? opts->dbname : "slate";
	*out = NULL;

	char *lock_path = NULL;
	int lock_fd = -1;
	slate_cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return slate_errf(err, errlen, "out of memory");
	c->no_fsync = opts && opts->no_fsync;

	if (!data_dir || !data_dir[0]) {
		slate_errf(err, errlen, "no data directory given");
		goto fail;
	}
	/* As root, 0711: others may traverse but not list it, so the cluster
	 * user can reach its own 0700 pg/ inside; otherwise 0700. */
	if (mkdir_parents(data_dir, geteuid() == 0 ? 0711 : 0700) < 0) {
		slate_errf(err, errlen, "cannot create data directory %s: %s",
			   data_dir, strerror(errno));
		goto fail;
	}
	c->data_dir = realpath(data_dir, NULL);
	if (!c->data_dir) {
		slate_errf(err, errlen, "cannot resolve %s: %s", data_dir,
			   strerror(errno));
		goto fail;
	}
	c->server_log = path_join(c->data_dir, "postgresql.log");
	if (!c->server_log) {
		slate_errf(err, errlen, "out of memory");
		goto fail;
	}

	if (geteuid() == 0 && resolve_user(c, user, err, errlen) < 0)
		goto fail;

	/* slated and slatectl may start together: one initdb, one pg_ctl. */
	lock_path = path_join(c->data_dir, "pg.lock");
	lock_fd = lock_path
		      ? open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)
		      : -1;
	if (lock_fd < 0) {
		slate_errf(err, errlen, "cannot open %s: %s",
			   lock_path ? lock_path : "pg.lock", strerror(errno));
		goto fail;
	}
	while (flock(lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			slate_errf(err, errlen, "cannot lock %s: %s", lock_path,
				   strerror(errno));
			goto fail;
		}
	}
	if (resolve_cluster_dir(c, err, errlen) < 0 ||
	    resolve_bindir(c, opts ? opts->pg_bindir : NULL, err, errlen) < 0 ||
	    bring_up(c, err, errlen) < 0 ||
	    ensure_database(c, dbname, err, errlen) < 0)
		goto fail;
	close(lock_fd);
	lock_fd = -1;
	c->conninfo = make_conninfo(c, dbname);
	if (!c->conninfo) {
		slate_errf(err, errlen, "out of memory");
		goto fail;
	}
	slate_log(SLATE_LOG_INFO, "core", NULL, "database cluster %s in %s",
		  c->started ? "started" : "already running", c->cluster_dir);
	free(lock_path);
	*out = c;
	return 0;
fail:
	if (lock_fd >= 0)
		close(lock_fd);
	free(lock_path);
	/* Leave nothing running that the caller cannot stop. */
	if (c->started)
		slate_cluster_stop(c);
	else
		cluster_free(c);
	return -1;
}

const char *slate_cluster_conninfo(const slate_cluster *c)
{
	return c->conninfo;
}

int slate_cluster_stop(slate_cluster *c)
{
	if (!c)
		return 0;
	int rc = 0;
	if (c->started) {
		char *prog = path_join(c->bindir, "pg_ctl");
		char *argv[] = {prog,	"stop", "-D", c->cluster_dir,  "-m",
				"fast", "-w",	"-t", START_TIMEOUT_S, "-s",
				NULL};
		int fd = open_log(c->server_log, false);
		int status = prog ? run(c, argv, fd, false) : -1;
		if (fd >= 0)
			close(fd);
		free(prog);
		if (status != 0) {
			slate_log(SLATE_LOG_ERROR, "core", NULL,
				  "pg_ctl stop failed for %s (status %d), "
				  "see %s",
				  c->cluster_dir, status, c->server_log);
			rc = -1;
		}
	}
	cluster_free(c);
	return rc;
}
