/*
 * ingestproc.c - a test-only processor of raw clips, so test_ingest can
 * check that every ingested clip had its pipeline queued (file_attach does
 * that) without depending on the real hash, probe and thumbnail plugins.
 * It does nothing; the test runs no job workers, so its jobs stay queued.
 */
#include <slate/host.h>

static int noop(slate_job *job, void *ud)
{
	(void)job;
	(void)ud;
	return 0;
}

static int proc_init(slate_plugin *self, const slate_host *host, char *err,
		     size_t errlen)
{
	(void)err;
	(void)errlen;
	static const char *const kinds[] = {"raw_clip", NULL};
	static const slate_processor_def def = {
	    .struct_size = sizeof(slate_processor_def),
	    .kind = "ingestproc.check",
	    .stage = 15,
	    .file_kinds = kinds,
	    .fn = noop,
	};
	return host->processor_add(self, &def);
}

static const slate_plugin_desc proc_desc = {
    SLATE_PLUGIN_HEADER("ingestproc", "1.0.0",
			"Test processor: queued for every raw clip"),
    .init = proc_init,
};

SLATE_PLUGIN_DEFINE(proc_desc)
