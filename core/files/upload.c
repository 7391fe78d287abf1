/* upload.c - see upload.h. */
#include "files/upload.h"

#include <stdlib.h>

#include "base/util.h"
#include "files/storage.h"
#include "files/upload_confirm.h"
#include "files/upload_put.h"
#include "files/upload_request.h"
#include "files/upload_sign.h"
#include "files/upload_sweep.h"
#include "http/router.h"

/* core->upload: the routes borrow the signer until slate_upload_stop. */
struct slate_upload {
	slate_upload_signer signer;
	slate_upload_sweeper *sweeper;
};

static const char *const no_query[] = {NULL};

int slate_upload_register(slate_core *core, char *err, size_t errlen)
{
	struct slate_upload *u = calloc(1, sizeof(*u));
	if (!u)
		return slate_errf(err, errlen, "out of memory");
	core->upload = u;
	const slate_route routes[] = {
	    {.method = "POST",
	     .path = "/api/v1/upload/generate-url",
	     .handler = slate_upload_request_h,
	     .ud = &u->signer,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "A signed URL for one upload to one entity's file",
	     .query = no_query,
	     .body_mode = SLATE_BODY_ANY_JSON,
	     .owner = "core"},
	    {.method = "PUT",
	     .path = "/api/v1/upload/put/:uploadId",
	     .handler = slate_upload_put_h,
	     .ud = &u->signer,
	     .perm = SLATE_PERM_PUBLIC, /* the signature is the credential */
	     .summary = "Upload the bytes (signed URL, local storage)",
	     .body_mode = SLATE_BODY_NONE,
	     .self_checks = true,
	     .stream = &slate_upload_put_stream,
	     .owner = "core"},
	    {.method = "POST",
	     .path = "/api/v1/upload/confirm",
	     .handler = slate_upload_confirm_h,
	     .perm = SLATE_PERM_WRITE,
	     .summary = "Bind an uploaded file to its entity",
	     .query = no_query,
	     .body_mode = SLATE_BODY_ANY_JSON,
	     .owner = "core"},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (slate_router_add(core->router, &routes[i], err, errlen))
			return -1;
	return 0;
}

int slate_upload_start(slate_core *core, const char *conninfo, char *err,
		       size_t errlen)
{
	struct slate_upload *u = core->upload;
	if (!u)
		return slate_errf(err, errlen, "uploads not registered");
	if (slate_storage_init(&core->storage, core->cfg, err, errlen) ||
	    slate_upload_sign_load(&u->signer, conninfo, err, errlen))
		return -1;
	u->sweeper = slate_upload_sweep_start(core, conninfo, err, errlen);
	return u->sweeper ? 0 : -1;
}

void slate_upload_stop(slate_core *core)
{
	struct slate_upload *u = core->upload;
	if (u) {
		slate_upload_sweep_stop(u->sweeper);
		slate_upload_sign_clear(&u->signer);
		free(u);
		core->upload = NULL;
	}
	slate_storage_free(core->storage);
	core->storage = NULL;
}
