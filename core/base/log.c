/* log.c - JSON log lines; see log.h. */
#include "base/log.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static slate_log_level min_level = SLATE_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int slate_log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			min_level = (slate_log_level)i;
			return 0;
		}
	}
	return -1;
}

void slate_log_set_level(slate_log_level level)
{
	min_level = level;
}

int slate_log_enabled(slate_log_level level)
{
	return level >= min_level;
}

/* Serialise and write `line` (stolen) as one line. */
static void emit(json_t *line)
{
	char *s = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(line);
	if (!s)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* overwrite the NUL: written with an explicit length */
	ssize_t w = write(STDERR_FILENO, s, n + 1);
	(void)w;
	free(s);
}

static json_t *line_new(slate_log_level level, const char *message)
{
	char ts[40];
	slate_time_iso8601(ts, sizeof(ts));
	json_t *o = json_object();
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "message", slate_json_string_lossy(message));
	json_object_set_new(o, "service", json_string("slated"));
	return o;
}

void slate_logv(slate_log_level level, const char *module,
		const char *request_id, const char *fmt, va_list ap)
{
	if (level < min_level)
		return;
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_t *o = line_new(level, msg);
	if (module)
		json_object_set_new(o, "module", json_string(module));
	if (request_id)
		json_object_set_new(o, "requestId", json_string(request_id));
	emit(o);
}

/* Per thread: request threads run one request at a time. */
static _Thread_local const char *bound_request;

void slate_log_bind_request(const char *request_id)
{
	bound_request = request_id;
}

const char *slate_log_bound_request(void)
{
	return bound_request;
}

void slate_log(slate_log_level level, const char *module,
	       const char *request_id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	slate_logv(level, module, request_id, fmt, ap);
	va_end(ap);
}

void slate_log_request(const char *request_id, const char *method,
		       const char *path, unsigned status, double duration_ms,
		       const char *client_ip)
{
	if (SLATE_LOG_INFO < min_level)
		return;
	json_t *o = line_new(SLATE_LOG_INFO, "request");
	json_object_set_new(o, "requestId", json_string(request_id));
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "path", slate_json_string_lossy(path));
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(
	    o, "durationMs",
	    json_real((double)(long long)(duration_ms * 1000) / 1000.0));
	if (client_ip)
		json_object_set_new(o, "ip", json_string(client_ip));
	emit(o);
}
