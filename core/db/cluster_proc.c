/*
 * cluster_proc.c - running the cluster's programs (initdb, pg_ctl,
 * useradd) as child processes: as the cluster user when slated is root,
 * with a clean environment and signal state, their output going to a log
 * file; and reading back from that log what went wrong.
 *
 * Nothing here knows which program it runs or why: the callers in
 * cluster_bin.c, cluster_init.c and cluster.c decide that.
 */
#include "db/cluster_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv[0] as the cluster user (when root) with a minimal environment,
 * stdout and stderr to out_fd (-1: /dev/null). The child only uses
 * async-signal-safe calls because slated may already have threads. It
 * closes every other descriptor so that a long-lived postmaster does not
 * keep slated's sockets open, and resets the signal state slated may have
 * changed (ignored SIGPIPE, blocked SIGTERM), which exec would inherit.
 * new_session detaches the postmaster from the terminal's Ctrl-C.
 * Returns the exit status (128 + signal when killed), or -1. */
int cluster_proc_run(const slate_cluster *c, char *const argv[], int out_fd,
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
bool cluster_proc_can_reach(const slate_cluster *c, const char *dir)
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
void cluster_proc_log_tail(const char *path, off_t from, char *buf, size_t n)
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

/* Opens a log file the cluster's programs write through an inherited
 * descriptor, so it can sit where the cluster user has no access. */
int cluster_proc_open_log(const char *path, bool truncate)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    (truncate ? O_TRUNC : O_APPEND);
	return open(path, flags, 0600);
}
