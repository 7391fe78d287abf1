/*
 * slated.c - the daemon: arguments, signals, then app/daemon.h starts each
 * subsystem, serves until SIGINT or SIGTERM, and releases them in order.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "app/daemon.h"
#include "base/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: slated [--config FILE] [--worker]\n"
		"  Serves the Slate API. Environment: PORT, DATABASE_URL,\n"
		"  SLATE_DATA_DIR, SLATE_PLUGIN_DIR, LOG_LEVEL, SLATE_CONFIG,\n"
		"  SLATE_RATE_LIMIT (on/off).\n"
		"  --worker runs one job worker process (started by slated's\n"
		"  supervisor, with DATABASE_URL set; see README \"Jobs\").\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", 1, NULL, 'c'},
					     {"help", 0, NULL, 'h'},
					     {"worker", 0, NULL, 'w'},
					     {NULL, 0, NULL, 0}};
	const char *config_path = NULL;
	bool worker = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c') {
			config_path = optarg;
		} else if (c == 'w') {
			worker = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}

	/* Block the stop signals in every thread; main waits for them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	static slate_app app;
	int status = 1;
	if (slate_app_start(&app, config_path, worker) == 0) {
		if (worker) {
			status = slate_app_run_worker(&app);
		} else {
			printf("Slate is running: http://localhost:%u/health  "
			       "(Ctrl-C stops)\n",
			       slate_app_port(&app));
			fflush(stdout);
			int sig;
			sigwait(&stop, &sig);
			slate_log(SLATE_LOG_INFO, "core", NULL,
				  "signal %d: shutting down", sig);
			status = 0;
		}
	}
	if (slate_app_stop(&app))
		status = 1;
	return status;
}
