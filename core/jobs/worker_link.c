/* worker_link.c - the name of a worker; see worker_link.h. */
#include "jobs/worker_link.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

/* Never fails: a host name that cannot be read is "localhost". */
void worker_link_name(char *out, size_t len, pid_t pid)
{
	char host[HOST_NAME_MAX + 1] = "localhost";
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s:%d", host, (int)pid);
}
