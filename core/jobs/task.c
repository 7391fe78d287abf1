/* task.c - see task.h. */
#include "jobs/task.h"

#include <stdio.h>

#include "base/core.h"
#include "base/log.h"
#include "base/util.h"
#include "http/req_db.h"
#include "http/request.h"

slate_req *slate_task_begin(slate_core *core, const char *owner,
			    const char *actor)
{
	if (!core->db) {
		slate_log(SLATE_LOG_ERROR, owner, NULL,
			  "task_begin: this process has no database pool");
		return NULL;
	}
	slate_req *r = slate_req_new(core);
	if (!r)
		return NULL;
	char id[37];
	if (slate_uuid_v4(id)) {
		slate_req_free(r);
		return NULL;
	}
	snprintf(r->request_id, sizeof(r->request_id), "task-%s", id);
	r->method = "TASK";
	r->user_email =
	    slate_arena_strdup(&r->arena, actor && *actor ? actor : owner);
	r->want_tx = true;
	slate_log_bind_request(r->request_id);
	return r;
}

int slate_task_end(slate_req *r, int commit)
{
	if (!r)
		return -1;
	bool ok = commit && !slate_req_failed(r);
	bool done = slate_req_finish(r, ok);
	if (!done && commit)
		slate_log(SLATE_LOG_WARN, "task", r->request_id,
			  "task rolled back: %s",
			  slate_req_error(r) ? slate_req_error(r)
					     : "(no reason given)");
	if (slate_log_bound_request() == r->request_id)
		slate_log_bind_request(NULL);
	slate_req_free(r);
	return done ? 0 : -1;
}
