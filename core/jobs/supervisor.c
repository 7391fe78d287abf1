/*
 * supervisor.c - the supervisor thread of the API process (see
 * workers.h): fork+exec the workers with their resource limits, read what
 * they report, SIGKILL one whose job overran jobs.timeout_s, fail or give
 * back a dead worker's jobs, and restart it with a growing delay against
 * crash loops.
 */
#include "jobs/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "jobs/jobs.h"
#include "jobs/worker_link.h"

extern char **environ;

/* A worker that dies sooner than this after its start counts as a quick
 * crash; quick crashes in a row back off up to RESTART_MAX_MS. */
#define QUICK_CRASH_MS 10000.0
#define RESTART_MIN_MS 100.0
#define RESTART_MAX_MS 5000.0
/* How long a stopping worker may take to finish its job. */
#define STOP_GRACE_MS 5000.0

typedef struct wproc {
	pid_t pid; /* 0: not running */
	int rfd;   /* read end of its report pipe, -1 after EOF */
	char buf[256];
	size_t blen;
	char job[37]; /* the job it runs now, "" when none */
	double job_t0;
	bool timed_out;
	double started;
	double restart_at;
	int quick_crashes;
} wproc;

struct slate_workers {
	const slate_config *cfg;
	char *conninfo;
	char exe[PATH_MAX];
	char *argv[5];
	char **envp;
	struct rlimit mem, cpu;
	bool mem_limit, cpu_limit;
	int devnull;
	long max_fd;

	wproc *w;
	int n;
	int wake[2]; /* written by slate_workers_stop */
	bool stopping;
	pthread_t th;
	bool th_started;
	PGconn *pg; /* for failing and releasing a dead worker's jobs */
};

/* Between fork and exec only async-signal-safe calls: everything the child
 * needs (paths, argv, envp, limits) was prepared by the parent. */
static void child_exec(slate_workers *s, int wfd)
{
	/* Die with the supervisor thread (the "parent" of PDEATHSIG), so a
	 * kill -9 of slated leaves no orphan holding leases. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Its own group: the supervisor kills the worker and anything a
	 * decoder forked together, and a terminal's Ctrl-C goes to slated,
	 * which stops the workers in order. */
	setpgid(0, 0);
	if (wfd == WORKER_LINK_FD)
		fcntl(WORKER_LINK_FD, F_SETFD, 0);
	else if (dup2(wfd, WORKER_LINK_FD) < 0)
		_exit(126);
	if (s->devnull >= 0)
		dup2(s->devnull, 0);
		/* Nothing else of the server crosses exec: listening socket,
		 * client connections, database connections, the cluster's
		 * files. Most are close-on-exec already; this catches any that
		 * are not. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, WORKER_LINK_FD + 1, ~0U, 0) != 0)
#endif
		for (long fd = WORKER_LINK_FD + 1; fd < s->max_fd; fd++)
			close((int)fd);
	if (s->mem_limit)
		setrlimit(RLIMIT_AS, &s->mem);
	if (s->cpu_limit)
		setrlimit(RLIMIT_CPU, &s->cpu);
	/* slated blocks SIGINT/SIGTERM in every thread (main sigwaits);
	 * a blocked mask survives exec, so clear it. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(s->exe, s->argv, s->envp);
	_exit(127);
}

static void spawn(slate_workers *s, wproc *w)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		slate_log(SLATE_LOG_ERROR, "workers", NULL, "pipe: %s",
			  strerror(errno));
		w->restart_at = slate_now_ms() + RESTART_MAX_MS;
		return;
	}
	/* only our end is non-blocking; the worker's writes may block */
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(s, p[1]);
	close(p[1]);
	if (pid < 0) {
		slate_log(SLATE_LOG_ERROR, "workers", NULL, "fork: %s",
			  strerror(errno));
		close(p[0]);
		w->restart_at = slate_now_ms() + RESTART_MAX_MS;
		return;
	}
	w->pid = pid;
	w->rfd = p[0];
	w->blen = 0;
	w->job[0] = '\0';
	w->timed_out = false;
	w->started = slate_now_ms();
	slate_log(SLATE_LOG_INFO, "workers", NULL, "started worker %d",
		  (int)pid);
}

static void on_line(wproc *w, const char *line)
{
	if (line[0] == 'S' && line[1] == ' ') {
		snprintf(w->job, sizeof(w->job), "%s", line + 2);
		w->job_t0 = slate_now_ms();
	} else if (line[0] == 'E') {
		w->job[0] = '\0';
	}
}

/* Read what the worker reported; at EOF close our end. */
static void drain(wproc *w)
{
	while (w->rfd >= 0) {
		ssize_t k = read(w->rfd, w->buf + w->blen,
				 sizeof(w->buf) - 1 - w->blen);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return; /* EAGAIN: nothing more now */
		if (k == 0) {
			close(w->rfd);
			w->rfd = -1;
			return;
		}
		w->blen += (size_t)k;
		w->buf[w->blen] = '\0';
		char *start = w->buf, *nl;
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			on_line(w, start);
			start = nl + 1;
		}
		w->blen = strlen(start);
		memmove(w->buf, start, w->blen);
		if (w->blen == sizeof(w->buf) - 1)
			w->blen = 0; /* garbage: drop it */
	}
}

static PGconn *sup_db(slate_workers *s)
{
	if (s->pg && PQstatus(s->pg) == CONNECTION_OK)
		return s->pg;
	if (s->pg)
		PQreset(s->pg);
	else
		s->pg = PQconnectdb(s->conninfo);
	if (PQstatus(s->pg) != CONNECTION_OK) {
		slate_log(SLATE_LOG_ERROR, "workers", NULL,
			  "cannot reach the database to settle a worker's jobs "
			  "(their leases will expire): %s",
			  PQerrorMessage(s->pg));
		return NULL;
	}
	return s->pg;
}

/* A worker exited: settle its jobs and plan its restart. */
static void reaped(slate_workers *s, wproc *w, int st)
{
	drain(w);
	if (w->rfd >= 0) {
		close(w->rfd);
		w->rfd = -1;
	}
	char me[HOST_NAME_MAX + 32], reason[200] = "";
	worker_link_name(me, sizeof(me), w->pid);
	if (w->timed_out)
		snprintf(reason, sizeof(reason), "timeout after %ds",
			 s->cfg->jobs_timeout_s);
	else if (WIFSIGNALED(st))
		snprintf(reason, sizeof(reason),
			 "worker crashed: signal %d (%s)", WTERMSIG(st),
			 sigdescr_np(WTERMSIG(st)) ?: "unknown");
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		snprintf(reason, sizeof(reason), "worker exited with status %d",
			 WEXITSTATUS(st));

	PGconn *pg = sup_db(s);
	if (pg) {
		/* The job it was running failed (unless we stopped it);
		 * the rest of its batch never started: give it back. */
		if (w->job[0] && reason[0] && !s->stopping)
			slate_jobs_fail(pg, s->cfg, me, w->job, reason);
		slate_jobs_release(pg, me, NULL);
	}
	double now = slate_now_ms();
	if (reason[0] && !s->stopping)
		slate_log(SLATE_LOG_WARN, "workers", NULL, "worker %d: %s%s%s",
			  (int)w->pid, reason,
			  w->job[0] ? " while running job " : "", w->job);
	bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (clean) {
		w->restart_at = now; /* recycled itself */
	} else {
		if (now - w->started < QUICK_CRASH_MS)
			w->quick_crashes++;
		else
			w->quick_crashes = 1;
		double d = RESTART_MIN_MS;
		for (int i = 1; i < w->quick_crashes && d < RESTART_MAX_MS; i++)
			d *= 2;
		w->restart_at = now + (d < RESTART_MAX_MS ? d : RESTART_MAX_MS);
	}
	w->pid = 0;
	w->job[0] = '\0';
}

static int alive(const slate_workers *s)
{
	int n = 0;
	for (int i = 0; i < s->n; i++)
		n += s->w[i].pid > 0;
	return n;
}

static void *supervise(void *arg)
{
	slate_workers *s = arg;
	double stop_deadline = 0;
	bool killed = false;
	for (;;) {
		double now = slate_now_ms();
		if (!s->stopping)
			for (int i = 0; i < s->n; i++)
				if (!s->w[i].pid && now >= s->w[i].restart_at)
					spawn(s, &s->w[i]);

		struct pollfd pfd[65];
		int np = 0;
		pfd[np++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		for (int i = 0; i < s->n; i++)
			if (s->w[i].pid && s->w[i].rfd >= 0)
				pfd[np++] = (struct pollfd){.fd = s->w[i].rfd,
							    .events = POLLIN};
		/* 100 ms: the granularity of timeouts and restarts. */
		poll(pfd, (nfds_t)np, 100);
		if (pfd[0].revents && !s->stopping) {
			char c;
			while (read(s->wake[0], &c, 1) < 0 && errno == EINTR)
				;
			s->stopping = true;
			stop_deadline = slate_now_ms() + STOP_GRACE_MS;
			for (int i = 0; i < s->n; i++)
				if (s->w[i].pid)
					killpg(s->w[i].pid, SIGTERM);
		}
		now = slate_now_ms();
		for (int i = 0; i < s->n; i++) {
			wproc *w = &s->w[i];
			if (!w->pid)
				continue;
			drain(w);
			if (w->job[0] && !w->timed_out && !s->stopping &&
			    now - w->job_t0 > s->cfg->jobs_timeout_s * 1000.0) {
				slate_log(SLATE_LOG_WARN, "workers", NULL,
					  "job %s ran over %ds: killing worker "
					  "%d",
					  w->job, s->cfg->jobs_timeout_s,
					  (int)w->pid);
				w->timed_out = true;
				killpg(w->pid, SIGKILL);
			}
			int st;
			pid_t r = waitpid(w->pid, &st, WNOHANG);
			if (r == w->pid)
				reaped(s, w, st);
			else if (r < 0 && errno == ECHILD)
				w->pid = 0; /* reaped elsewhere: restart */
		}
		if (s->stopping) {
			if (!alive(s))
				break;
			if (!killed && slate_now_ms() > stop_deadline) {
				for (int i = 0; i < s->n; i++)
					if (s->w[i].pid)
						killpg(s->w[i].pid, SIGKILL);
				killed = true;
			}
		}
	}
	return NULL;
}

static char **build_envp(const char *conninfo)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **e = calloc(n + 3, sizeof(*e));
	if (!e)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "DATABASE_URL=", 13) &&
		    strncmp(environ[i], WORKER_LINK_ENV "=",
			    sizeof(WORKER_LINK_ENV)))
			e[k++] = environ[i]; /* borrowed: environ is stable */
	size_t len = strlen(conninfo) + 16;
	e[k] = malloc(len);
	if (!e[k]) {
		free(e);
		return NULL;
	}
	snprintf(e[k++], len, "DATABASE_URL=%s", conninfo);
	e[k++] = WORKER_LINK_ENV "=3";
	return e;
}

static void free_envp(char **e)
{
	if (!e)
		return;
	for (size_t i = 0; e[i]; i++)
		if (!strncmp(e[i], "DATABASE_URL=", 13)) {
			free(e[i]);
			break;
		}
	free(e);
}

int slate_workers_start(slate_core *core, const char *conninfo,
			slate_workers **out, char *err, size_t errlen)
{
	const slate_config *cfg = core->cfg;
	*out = NULL;
	if (cfg->jobs_workers <= 0)
		return 0;
	slate_workers *s = calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->cfg = cfg;
	s->wake[0] = s->wake[1] = -1;
	s->devnull = -1;
	ssize_t k = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
	if (k <= 0) {
		snprintf(err, errlen, "jobs: cannot find slated's own path: %s",
			 strerror(errno));
		slate_workers_stop(s);
		return -1;
	}
	s->exe[k] = '\0';
	s->conninfo = strdup(conninfo);
	s->argv[0] = "slated";
	s->argv[1] = "--worker";
	if (cfg->path) {
		s->argv[2] = "--config";
		s->argv[3] = cfg->path;
	}
	s->envp = build_envp(conninfo);
	s->w = calloc((size_t)cfg->jobs_workers, sizeof(*s->w));
	if (!s->conninfo || !s->envp || !s->w)
		goto oom;
	s->n = cfg->jobs_workers;
	for (int i = 0; i < s->n; i++)
		s->w[i].rfd = -1;
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of address space for its
	 * shadow: under RLIMIT_AS it cannot start. Sanitizer builds run
	 * workers without the memory limit. */
	s->mem_limit = false;
#else
	s->mem_limit = cfg->jobs_worker_memory_mb > 0;
#endif
	s->mem.rlim_cur = s->mem.rlim_max =
	    (rlim_t)cfg->jobs_worker_memory_mb * 1024 * 1024;
	s->cpu_limit = cfg->jobs_worker_cpu_s > 0;
	/* The soft limit sends SIGXCPU; the hard one, a little later,
	 * SIGKILL for a handler that ignores it. */
	s->cpu.rlim_cur = (rlim_t)cfg->jobs_worker_cpu_s;
	s->cpu.rlim_max = (rlim_t)cfg->jobs_worker_cpu_s + 5;
	s->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->max_fd = sysconf(_SC_OPEN_MAX);
	if (s->max_fd < 0 || s->max_fd > 65536)
		s->max_fd = 65536;
	if (pipe2(s->wake, O_CLOEXEC) ||
	    pthread_create(&s->th, NULL, supervise, s)) {
		snprintf(err, errlen, "jobs: cannot start the supervisor");
		slate_workers_stop(s);
		return -1;
	}
	s->th_started = true;
	*out = s;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	slate_workers_stop(s);
	return -1;
}

void slate_workers_stop(slate_workers *s)
{
	if (!s)
		return;
	if (s->th_started) {
		ssize_t k;
		do
			k = write(s->wake[1], "x", 1);
		while (k < 0 && errno == EINTR);
		pthread_join(s->th, NULL);
	}
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	if (s->devnull >= 0)
		close(s->devnull);
	PQfinish(s->pg);
	free_envp(s->envp);
	free(s->w);
	free(s->conninfo);
	free(s);
}
