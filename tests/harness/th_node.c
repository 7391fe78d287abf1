/*
 * th_node.c - the node helper servers some tests need (s3rver for the S3
 * store, oidc-provider for OIDC tokens): each is a script under tests/ that
 * listens on loopback and writes its port to a file once it does.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

bool th_find_bin(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dup = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *d = dup ? strtok_r(dup, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		found = access(out, X_OK) == 0;
	}
	free(dup);
	return found;
}

int th_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int port = -1;
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &al))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* `arg` with a leading "{dir}" replaced by the server's directory, into
 * buf (or arg itself). */
static const char *expand(const th_node *n, const char *arg, char *buf,
			  size_t len)
{
	if (strncmp(arg, "{dir}", 5))
		return arg;
	snprintf(buf, len, "%s%s", n->dir, arg + 5);
	return buf;
}

/* In the child: stdout and stderr to the server's files, then exec. */
static void exec_node(const th_node *n, const char *script,
		      const char *const args[], const char *port_arg,
		      const char *port_file)
{
	char out[128], err[128], node[512];
	snprintf(out, sizeof(out), "%s/%s.out", n->dir, n->name);
	snprintf(err, sizeof(err), "%s/%s.log", n->dir, n->name);
	if (!freopen(err, "w", stderr) || !freopen(out, "w", stdout) ||
	    !th_find_bin("node", node, sizeof(node)))
		_exit(127);
	enum { MAX_ARGS = 32 };
	const char *argv[MAX_ARGS + 8];
	static char bufs[MAX_ARGS][256];
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", SLATE_SOURCE_DIR, script);
	int k = 0;
	argv[k++] = "node";
	argv[k++] = path;
	argv[k++] = "--port";
	argv[k++] = port_arg;
	argv[k++] = "--port-file";
	argv[k++] = port_file;
	for (int i = 0; args && args[i] && i < MAX_ARGS; i++)
		argv[k++] = expand(n, args[i], bufs[i], sizeof(bufs[i]));
	argv[k] = NULL;
	execv(node, (char *const *)argv);
	_exit(127);
}

int th_node_start(th_node *n, const char *name, const char *script, int port,
		  const char *const args[], int timeout_s)
{
	memset(n, 0, sizeof(*n));
	n->pid = -1;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->dir, sizeof(n->dir), "/tmp/slate-%s-XXXXXX", name);
	if (!mkdtemp(n->dir))
		return -1;
	char port_file[128], port_arg[16];
	snprintf(port_file, sizeof(port_file), "%s/port", n->dir);
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	n->pid = fork();
	if (n->pid == 0)
		exec_node(n, script, args, port_arg, port_file);
	if (n->pid < 0)
		return -1;
	for (int i = 0; i < timeout_s * 10; i++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			int ok = fscanf(f, "%d", &n->port) == 1;
			fclose(f);
			if (ok) {
				snprintf(n->url, sizeof(n->url),
					 "http://127.0.0.1:%d", n->port);
				return 0;
			}
		}
		if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
			n->pid = -1;
			break;
		}
		usleep(100 * 1000);
	}
	fprintf(stderr, "%s did not start; see %s/%s.log\n", name, n->dir,
		name);
	return -1;
}

void th_node_stop(th_node *n)
{
	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		waitpid(n->pid, NULL, 0);
		n->pid = -1;
	}
	if (n->dir[0] && !getenv("SLATE_TEST_KEEP")) {
		char *argv[] = {"/bin/rm", "-rf", n->dir, NULL};
		char out[64];
		th_run(argv, out, sizeof(out));
	}
	n->dir[0] = '\0';
}
