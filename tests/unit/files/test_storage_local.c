/* test_storage_local.c - core/storage_local.c: what opening a local store
 * does to the temporary files of writes that died. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files/store_local.h"
#include "unit.h"

static void touch(const char *path, time_t age_s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "x", 1) == 1);
	close(fd);
	struct timespec t[2] = {{time(NULL) - age_s, 0},
				{time(NULL) - age_s, 0}};
	CU_ASSERT(utimensat(AT_FDCWD, path, t, 0) == 0);
}

static void test_stale_tmp_swept(void)
{
	char root[] = "/tmp/slate-unit-store-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(root) != NULL);
	char dir[128], dead[160], live[160];
	snprintf(dir, sizeof(dir), "%s/.tmp", root);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	snprintf(dead, sizeof(dead), "%s/0badc0de.part", dir);
	snprintf(live, sizeof(live), "%s/0a11fe.part", dir);
	touch(dead, 2 * 3600); /* its writer died two hours ago */
	touch(live, 10);       /* being written now */

	char err[256];
	slate_store *s =
	    slate_store_local_new("primary", root, err, sizeof(err));
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(access(dead, F_OK) != 0);
	CU_ASSERT(access(live, F_OK) == 0);
	s->ops->free(s);
	unlink(live);
	rmdir(dir);
	rmdir(root);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"stale temporary files are swept at open", test_stale_tmp_swept},
	    {NULL, NULL},
	};
	return unit_run("storage_local", tests);
}
