/* pipeline.c - see pipeline.h. */
#include "jobs/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/plugin_record.h"
#include "http/req_db.h"
#include "http/request.h"

typedef struct processor {
	char *kind;
	int stage;
	char **file_kinds; /* NULL: every kind */
} processor;

/* Process-wide like the job registry: filled by plugin init on the main
 * thread, read-only afterwards. */
static processor *procs;
static size_t nprocs;

static void free_kinds(char **k)
{
	for (size_t i = 0; k && k[i]; i++)
		free(k[i]);
	free(k);
}

static char **copy_kinds(const char *const *src, bool *oom)
{
	*oom = false;
	if (!src)
		return NULL;
	size_t n = 0;
	while (src[n])
		n++;
	char **out = calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(src[i]))) {
			free_kinds(out);
			out = NULL;
		}
	*oom = out == NULL;
	return out;
}

int slate_pipeline_add(slate_plugin *p, const slate_processor_def *def)
{
	if (!def || def->struct_size < sizeof(slate_processor_def) ||
	    !def->kind || !def->fn) {
		slate_log(SLATE_LOG_ERROR, p->id, NULL,
			  "processor_add: a processor needs struct_size, kind "
			  "and fn");
		return -1;
	}
	if (slate_jobs_handler_add(p, def->kind, def->fn, def->ud))
		return -1;
	bool oom;
	char **kinds = copy_kinds(def->file_kinds, &oom);
	processor *grown =
	    oom ? NULL : realloc(procs, (nprocs + 1) * sizeof(*procs));
	char *kind = grown ? strdup(def->kind) : NULL;
	if (!kind) {
		free_kinds(kinds);
		if (grown)
			procs = grown;
		slate_log(SLATE_LOG_ERROR, p->id, NULL, "out of memory");
		return -1;
	}
	procs = grown;
	/* Insertion sort by stage keeps the list in pipeline order; equal
	 * stages run in registration order. */
	size_t at = nprocs;
	while (at > 0 && procs[at - 1].stage > def->stage) {
		procs[at] = procs[at - 1];
		at--;
	}
	procs[at] = (processor){kind, def->stage, kinds};
	nprocs++;
	return 0;
}

void slate_pipeline_free(void)
{
	for (size_t i = 0; i < nprocs; i++) {
		free(procs[i].kind);
		free_kinds(procs[i].file_kinds);
	}
	free(procs);
	procs = NULL;
	nprocs = 0;
}

static bool handles(const processor *pr, const char *file_kind)
{
	if (!pr->file_kinds)
		return true;
	for (size_t i = 0; pr->file_kinds[i]; i++)
		if (file_kind && !strcmp(pr->file_kinds[i], file_kind))
			return true;
	return false;
}

int slate_pipeline_enqueue(slate_req *r, const json_t *file, const char *only,
			   const char **job_id_out)
{
	if (job_id_out)
		*job_id_out = NULL;
	const char *fkind = json_string_value(json_object_get(file, "kind"));
	const char *etype =
	    json_string_value(json_object_get(file, "entity_type"));
	const char *eid = json_string_value(json_object_get(file, "entity_id"));
	json_t *chain = json_array();
	if (!chain)
		return slate_res_error(r, 500, "INTERNAL_ERROR", NULL,
				       "Out of memory");
	for (size_t i = 0; i < nprocs; i++) {
		const processor *pr = &procs[i];
		/* slate_jobs_find is NULL for a plugin whose init failed */
		if ((only && strcmp(only, pr->kind)) || !handles(pr, fkind) ||
		    !slate_jobs_find(pr->kind))
			continue;
		json_array_append_new(chain, json_string(pr->kind));
	}
	int rc = 0;
	if (json_array_size(chain) > 0) {
		const char *first = json_string_value(json_array_get(chain, 0));
		json_t *payload = json_deep_copy(file);
		json_t *rest = json_array();
		for (size_t i = 1; i < json_array_size(chain); i++)
			json_array_append(rest, json_array_get(chain, i));
		json_object_set_new(payload, "chain", rest);
		const char *id =
		    slate_jobs_enqueue(r, first, payload, etype, eid);
		if (!id)
			rc = slate_res_db_error(r);
		else if (job_id_out)
			*job_id_out = id;
	}
	json_decref(chain);
	return rc;
}

bool slate_pipeline_has_next(const json_t *payload)
{
	return json_array_size(json_object_get(payload, "chain")) > 0;
}

int slate_pipeline_complete(PGconn *pg, const char *me, const slate_job *job)
{
	json_t *payload = json_deep_copy(job->payload);
	json_t *chain = json_object_get(payload, "chain");
	const char *n0 = json_string_value(json_array_get(chain, 0));
	char *next = n0 ? strdup(n0) : NULL;
	char *text = NULL;
	if (next) {
		json_array_remove(chain, 0);
		text = json_dumps(payload, JSON_COMPACT);
	}
	int rc;
	if (next && text) {
		rc = slate_jobs_complete_next(pg, me, job->id, next, text,
					      job->entity_type, job->entity_id);
	} else {
		/* A malformed chain (or no memory) must not leave the job
		 * running: complete it and say the chain stopped. */
		char ids[40];
		snprintf(ids, sizeof(ids), "{%s}", job->id);
		slate_log(SLATE_LOG_ERROR, "pipeline", NULL,
			  "job %s: cannot queue the next stage; the chain "
			  "stops here",
			  job->id);
		rc = slate_jobs_complete(pg, me, ids);
	}
	free(text);
	free(next);
	json_decref(payload);
	return rc;
}

int slate_pipeline_job_file(slate_job *job, slate_file *out)
{
	static const char *const need[] = {"entity_type", "entity_id", "field",
					   "store",	  "key",       "kind",
					   "content_type"};
	const json_t *pl = job->payload;
	const char *v[7];
	for (size_t i = 0; i < 7; i++)
		if (!(v[i] = json_string_value(json_object_get(pl, need[i])))) {
			/* a malformed payload never gets better: no retry */
			slate_job_fail(job,
				       "the job's payload names no file (no "
				       "'%s')",
				       need[i]);
			job->reject = true;
			return -1;
		}
	json_t *size = json_object_get(pl, "size");
	*out = (slate_file){
	    .entity_type = v[0],
	    .entity_id = v[1],
	    .field = v[2],
	    .store = v[3],
	    .key = v[4],
	    .kind = v[5],
	    .content_type = v[6],
	    .sha256 = json_string_value(json_object_get(pl, "sha256")),
	    .size = json_is_integer(size) && json_integer_value(size) > 0
			? (uint64_t)json_integer_value(size)
			: 0,
	};
	return 0;
}
