/* test_storage_local.c - core/files/store_local.c: the temporary files of
 * writes that died are removed, at open and by every sweep, and those of
 * live writers (this process's or another's) are kept. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "files/store_local.h"
#include "unit.h"

/* A one-byte file at `path`; with `lock`, the descriptor holding an
 * exclusive flock on it (a live writer), otherwise -1 (closed). */
static int make_tmp(const char *path, bool lock)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "x", 1) == 1);
	if (lock) {
		CU_ASSERT(flock(fd, LOCK_EX) == 0);
		return fd;
	}
	close(fd);
	return -1;
}

/* How many files <root>/.tmp holds. */
static int tmp_files(const char *root)
{
	char dir[200];
	snprintf(dir, sizeof(dir), "%s/.tmp", root);
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void rm_rf(const char *root)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CU_ASSERT(system(cmd) == 0);
}

static void test_dead_tmp_swept_at_open(void)
{
	char root[] = "/tmp/slate-unit-store-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(root) != NULL);
	char dir[128], dead[160], live[160];
	snprintf(dir, sizeof(dir), "%s/.tmp", root);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	snprintf(dead, sizeof(dead), "%s/0badc0de.part", dir);
	snprintf(live, sizeof(live), "%s/0a11fe.part", dir);
	make_tmp(dead, false);		 /* fresh, but nobody holds its lock */
	int hold = make_tmp(live, true); /* being written now */

	char err[256];
	slate_store *s =
	    slate_store_local_new("primary", root, err, sizeof(err));
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(access(dead, F_OK) != 0);
	CU_ASSERT(access(live, F_OK) == 0);
	/* the writer dies: the next sweep takes its file */
	close(hold);
	CU_ASSERT_EQUAL(slate_store_sweep_tmp(s), 1);
	CU_ASSERT(access(live, F_OK) != 0);
	s->ops->free(s);
	rm_rf(root);
}

/* A writer in another process killed mid-write leaves its temporary file;
 * a sweep removes it while a writer of this process goes on and commits. */
static void test_killed_writer_swept(void)
{
	char root[] = "/tmp/slate-unit-store-XXXXXX";
	CU_ASSERT_FATAL(mkdtemp(root) != NULL);
	char err[256];
	slate_store *s =
	    slate_store_local_new("primary", root, err, sizeof(err));
	CU_ASSERT_FATAL(s != NULL);

	int ready[2];
	CU_ASSERT_FATAL(pipe(ready) == 0);
	pid_t child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		slate_store_writer *w;
		static char buf[1 << 20];
		memset(buf, 'c', sizeof(buf));
		if (slate_store_put_begin(s, "a/dead", NULL, UINT64_MAX, &w) ||
		    slate_store_put_write(w, buf, sizeof(buf)))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause(); /* killed mid-write */
		_exit(0);
	}
	close(ready[1]);
	char c;
	CU_ASSERT_FATAL(read(ready[0], &c, 1) == 1);
	close(ready[0]);

	slate_store_writer *mine;
	CU_ASSERT_FATAL(
	    slate_store_put_begin(s, "a/live", NULL, UINT64_MAX, &mine) == 0);
	CU_ASSERT(slate_store_put_write(mine, "live", 4) == 0);
	CU_ASSERT_EQUAL(tmp_files(root), 2);
	/* alive: nothing is swept */
	CU_ASSERT_EQUAL(slate_store_sweep_tmp(s), 0);

	CU_ASSERT(kill(child, SIGKILL) == 0);
	int st;
	CU_ASSERT(waitpid(child, &st, 0) == child);
	CU_ASSERT_EQUAL(slate_store_sweep_tmp(s), 1);
	CU_ASSERT_EQUAL(tmp_files(root), 1);
	CU_ASSERT(slate_store_put_commit(mine) == 0);
	CU_ASSERT_EQUAL(tmp_files(root), 0);
	slate_store_info info;
	CU_ASSERT(slate_store_stat(s, "a/live", &info) == 0);
	CU_ASSERT_EQUAL(info.size, 4);
	CU_ASSERT_EQUAL(slate_store_stat(s, "a/dead", &info), 1);
	s->ops->free(s);
	rm_rf(root);
}

int main(void)
{
	static const unit_test tests[] = {
	    {"dead writers' temporary files are swept at open",
	     test_dead_tmp_swept_at_open},
	    {"a killed writer's temporary file is swept, a live one kept",
	     test_killed_writer_swept},
	    {NULL, NULL},
	};
	return unit_run("storage_local", tests);
}
