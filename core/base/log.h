/*
 * log.h - one JSON object per line on stderr, the seed's logging shape:
 * {"timestamp","level","message","service","requestId",...}.
 *
 * Lines are written with a single write(2) so that lines from many threads
 * and many processes sharing a file never interleave.
 */
#ifndef SLATE_LOG_H
#define SLATE_LOG_H

#include <slate/host.h> /* slate_log_level */

/* Set the minimum level; "debug", "info", "warn", "error". -1 if unknown. */
int slate_log_set_level_name(const char *name);
void slate_log_set_level(slate_log_level level);
int slate_log_enabled(slate_log_level level);

/* `module` is "core", a core module or a plugin id (the JSON key
 * "module"); `request_id` may be NULL. */
void slate_log(slate_log_level level, const char *module,
	       const char *request_id, const char *fmt, ...) SLATE_PRINTF(4, 5);
void slate_logv(slate_log_level level, const char *module,
		const char *request_id, const char *fmt, va_list ap)
    SLATE_PRINTF(4, 0);

/* The request id of what this thread is running now (a request's handler
 * and its events, or a task), so that a plugin's host->log line names it;
 * NULL unbinds. `request_id` is borrowed: the caller unbinds before it is
 * freed. */
void slate_log_bind_request(const char *request_id);
/* The id bound on this thread, or NULL. */
const char *slate_log_bound_request(void);
/* The access log line of one finished request. */
void slate_log_request(const char *request_id, const char *method,
		       const char *path, unsigned status, double duration_ms,
		       const char *client_ip);

#endif
