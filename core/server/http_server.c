/*
 * http_server.c - libmicrohttpd glue and the request worker pool.
 *
 * Threading model, and why. libmicrohttpd runs `io_threads` threads in epoll
 * mode (MHD_USE_EPOLL_INTERNAL_THREAD with a thread pool): each owns a share
 * of the connections and does only non-blocking work on them: parsing
 * headers, reading bodies, routing, writing responses. A slow or idle client
 * costs a file descriptor and a little memory, never a thread, and the
 * connection timeout closes it (slow-loris). Anything that may block, i.e.
 * every handler, since handlers talk to PostgreSQL, runs on a separate pool
 * of `workers` threads: the I/O thread suspends the connection
 * (MHD_suspend_connection), queues the request, and goes on serving its
 * other connections; the worker runs the handler, builds the response and
 * resumes the connection. So a slow query holds one worker and one database
 * connection, and the listener and every other connection keep moving.
 * Requests answered without a handler (input refused by req_input.h,
 * 404, 405, 413) never leave the I/O thread; when such a request has a
 * body it is read and dropped first, up to DISCARD_BYTES. Everything else,
 * bad JSON included, is checked on the worker after authentication, so an
 * anonymous caller learns nothing of a route but that it exists.
 *
 * Streaming routes (slate_route.stream: the upload PUT) are the exception
 * to buffering: their body is handed to the route's sink piece by piece on
 * the I/O thread as it arrives, so memory stays constant whatever the size.
 * The sink writes on the I/O thread: a local write(2) of at most the
 * sink's buffer returns as soon as the page cache has it, which costs less
 * than a suspend/resume and a thread hop per piece; the one slow step,
 * fsync and rename, is the handler's, on a worker. `make bench` measures
 * it (bench/upload.sh). A client that goes away mid-body is seen in
 * on_completed, and the sink drops what it had.
 */
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/util.h"
#include "http/client_ip.h"
#include "http/envelope.h"
#include "http/req_input.h"
#include "http/request.h"
#include "http/router.h"
#include "server/dispatch.h"

struct slate_http {
	slate_core *core;
	struct MHD_Daemon *mhd;

	pthread_mutex_t lock;
	pthread_cond_t ready;
	slate_req *head, *tail;
	bool stopping;
	pthread_t *threads;
	int nthreads;
	int active; /* requests queued or running */
	pthread_cond_t idle;
};

/* ---- worker pool ------------------------------------------------------ */

static void *worker_main(void *arg)
{
	slate_http *h = arg;
	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (!h->head && !h->stopping)
			pthread_cond_wait(&h->ready, &h->lock);
		if (!h->head) {
			pthread_mutex_unlock(&h->lock);
			return NULL;
		}
		slate_req *r = h->head;
		h->head = r->next;
		if (!h->head)
			h->tail = NULL;
		pthread_mutex_unlock(&h->lock);

		slate_req_execute(r);
		struct MHD_Connection *conn = r->conn;
		/* After resume the I/O thread owns r again. */
		MHD_resume_connection(conn);

		pthread_mutex_lock(&h->lock);
		if (--h->active == 0)
			pthread_cond_broadcast(&h->idle);
		pthread_mutex_unlock(&h->lock);
	}
}

static void enqueue(slate_http *h, slate_req *r)
{
	pthread_mutex_lock(&h->lock);
	r->next = NULL;
	if (h->tail)
		h->tail->next = r;
	else
		h->head = r;
	h->tail = r;
	h->active++;
	pthread_cond_signal(&h->ready);
	pthread_mutex_unlock(&h->lock);
}

/* ---- request intake (I/O threads) ------------------------------------ */

static bool request_id_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 128 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.:") == n;
}

/* Headers and query arguments come with their lengths: a decoded %00
 * would otherwise cut them short unseen (req_input.h checks them). */
static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind,
				   const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	(void)kind;
	return slate_req_input_header(cls, key, key_size, value, value_size)
		   ? MHD_NO
		   : MHD_YES;
}

static enum MHD_Result copy_query(void *cls, enum MHD_ValueKind kind,
				  const char *key, size_t key_size,
				  const char *value, size_t value_size)
{
	(void)kind;
	return slate_req_input_query(cls, key, key_size, value, value_size)
		   ? MHD_NO
		   : MHD_YES;
}

/* libmicrohttpd's URI log callback: the first thing it tells of a request,
 * with the target as received, before it is percent-decoded. The request
 * is made here so that the target is kept; what is returned becomes the
 * request's *con_cls (NULL, out of memory: on_request refuses it). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)conn;
	slate_http *h = cls;
	slate_req *r = slate_req_new(h->core);
	if (r && slate_req_input_raw_target(r, uri)) {
		slate_req_free(r);
		return NULL;
	}
	return r;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)n);
}

static enum MHD_Result queue(struct MHD_Connection *conn, slate_req *r)
{
	if (!r->response && slate_req_build_response(r))
		return MHD_NO;
	return MHD_queue_response(conn, r->status, r->response);
}

static bool is_stream(const slate_req *r)
{
	return r->route_status == 200 && r->match.route->stream;
}

/* First call for request r (made by on_uri): fill it, check its input
 * (req_input.h), route it, refuse what we can now. -1 out of memory. */
static int begin(slate_http *h, slate_req *r, struct MHD_Connection *conn,
		 const char *url, const char *method, const char *version)
{
	r->method = slate_arena_strdup(&r->arena, method);
	r->path = slate_arena_strdup(&r->arena, url);
	r->match_path = slate_arena_strdup(&r->arena, url);
	char peer[64];
	client_ip(conn, peer, sizeof(peer));
	if (!r->method || !r->path || !r->match_path ||
	    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, copy_header, r) <
		0 ||
	    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, copy_query,
					r) < 0)
		return -1;
	/* Behind a trusted proxy the client is in X-Forwarded-For. */
	slate_client_ip(h->core->cfg->trusted_proxies, peer,
			slate_req_header(r, "X-Forwarded-For"), r->client_ip,
			sizeof(r->client_ip));
	const char *rid = slate_req_header(r, "X-Request-Id");
	if (rid && request_id_valid(rid))
		snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
	else
		slate_uuid_v4(r->request_id);

	/* The router never sees a path or framing refused here: its
	 * status stays 0 and the first error answers. */
	if (slate_req_input_framing(r, version,
				    h->core->cfg->max_header_bytes) ||
	    slate_req_input_target(r, url) || r->errors)
		return 0;
	r->route_status = slate_router_match(h->core->router, method,
					     r->match_path, &r->match);
	if (r->route_status == 404) {
		slate_res_error(r, 404, "NOT_FOUND", NULL, "No route for %s %s",
				method, url);
	} else if (r->route_status == 405) {
		slate_res_error(r, 405, "METHOD_NOT_ALLOWED", NULL,
				"%s is not allowed here; allowed: %s", method,
				r->match.allow);
		slate_res_header(r, "Allow", r->match.allow);
	}
	const char *cl = slate_req_header(r, "Content-Length");
	if (cl && !is_stream(r) &&
	    strtoull(cl, NULL, 10) > h->core->cfg->max_body_bytes)
		r->body_too_large = true;
	return 0;
}

static void body_too_large(slate_http *h, slate_req *r)
{
	slate_res_error(r, 413, "PAYLOAD_TOO_LARGE", NULL,
			"The request body exceeds %zu bytes",
			h->core->cfg->max_body_bytes);
}

/* Bytes of body read and dropped after a request is refused, so that a
 * client that sends its whole body before it reads (Python's urllib and
 * requests do) sees the answer instead of a connection reset; past this the
 * connection is closed. nginx's lingering close does the same, bounded by
 * time. libmicrohttpd has no lingering close of its own: a response queued
 * before the body makes it close with the body unread. */
#define DISCARD_BYTES ((size_t)16 << 20)

static bool closes(const slate_req *r)
{
	for (int i = 0; i < r->nres_headers; i++)
		if (!strcasecmp(r->res_headers[i].key, "Connection"))
			return true;
	return false;
}

/* Whether a refused request is answered before its body is read. */
static bool answer_now(const slate_req *r)
{
	/* framing refused: where the body ends is not known */
	if (closes(r))
		return true;
	/* the client waits for "100 Continue" and sends nothing: answer */
	if (slate_req_header((slate_req *)r, "Expect"))
		return true;
	const char *cl = slate_req_header((slate_req *)r, "Content-Length");
	if (!cl)
		return !slate_req_header((slate_req *)r, "Transfer-Encoding");
	return strtoull(cl, NULL, 10) == 0 ||
	       strtoull(cl, NULL, 10) > DISCARD_BYTES;
}

/* r has been refused (its errors are set): answer now, or drop its body
 * first (on_request answers when the body is in). */
static enum MHD_Result refuse(struct MHD_Connection *conn, slate_req *r)
{
	if (answer_now(r))
		return queue(conn, r);
	r->body_discard = true;
	return MHD_YES;
}

/* A piece of the body of a refused request: dropped, up to DISCARD_BYTES. */
static enum MHD_Result discard(slate_req *r, size_t n)
{
	r->body_discarded += n;
	return r->body_discarded > DISCARD_BYTES ? MHD_NO : MHD_YES;
}

/* Append a piece to r's body; past max_body_bytes r is refused with 413
 * and the rest is discarded. MHD_NO out of memory. */
static enum MHD_Result body_append(slate_http *h, slate_req *r,
				   const char *data, size_t n)
{
	if (r->body_len + n > h->core->cfg->max_body_bytes) {
		r->body_too_large = true;
		body_too_large(h, r);
		r->body_discard = true;
		r->body_discarded = r->body_len;
		free(r->body_buf);
		r->body_buf = NULL;
		r->body_len = 0;
		return discard(r, n);
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 1024;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		char *nb = realloc(r->body_buf, cap);
		if (!nb)
			return MHD_NO;
		r->body_buf = nb;
		r->body_cap = cap;
	}
	memcpy(r->body_buf + r->body_len, data, n);
	r->body_len += n;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	slate_http *h = cls;
	slate_req *r = *con_cls;
	if (!r) /* on_uri ran out of memory */
		return MHD_NO;
	if (!r->method) {
		if (begin(h, r, conn, url, method, version))
			return MHD_NO;
		if (r->errors)
			return refuse(conn, r);
		if (r->body_too_large) {
			body_too_large(h, r);
			return refuse(conn, r);
		}
		/* A streaming route refuses before any body is read (and so
		 * before "100 Continue"); otherwise it opens its sink. */
		if (is_stream(r) && r->match.route->stream->begin(r))
			return refuse(conn, r);
		return MHD_YES;
	}
	if (r->response) /* resumed: the worker has answered */
		return queue(conn, r);
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->body_discard)
			return discard(r, n);
		if (is_stream(r)) {
			if (!r->stream_failed &&
			    r->match.route->stream->data(r, upload_data, n))
				r->stream_failed = true;
			return MHD_YES;
		}
		return body_append(h, r, upload_data, n);
	}
	/* The whole request has arrived. */
	if (r->stream_failed || r->body_discard)
		return queue(conn, r);
	/* Body and query checks run on the worker after authentication
	 * (slate_req_execute): an anonymous caller gets 401, not 400. */
	r->conn = conn;
	MHD_suspend_connection(conn);
	enqueue(h, r);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	slate_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	if (!r->method) {
		/* libmicrohttpd refused the request itself before slated saw
		 * its headers (an invalid Content-Length): its own answer */
		slate_log(
		    SLATE_LOG_WARN, "http", NULL,
		    "request %s refused by libmicrohttpd before slated saw "
		    "it (termination %d)",
		    r->raw_target ? r->raw_target : "", (int)toe);
		slate_req_free(r);
		return;
	}
	if (is_stream(r))
		r->match.route->stream->end(
		    r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	slate_log_request(r->request_id, r->method, r->path,
			  r->status ? r->status : 499,
			  slate_now_ms() - r->t_start, r->client_ip);
	slate_req_free(r);
}

/* libmicrohttpd hands over its own format strings */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    SLATE_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	slate_log(SLATE_LOG_WARN, "http", NULL, "%s", msg);
}

/* ---- lifecycle -------------------------------------------------------- */

/* libmicrohttpd's memory per connection, which bounds the request line and
 * headers it reads. It answers a request past it itself, with its own HTML
 * 414 or 431, before slated sees it; so it is set well above slated's own
 * limits (SLATE_MAX_URI_BYTES, max_header_bytes), which answer in the
 * envelope (req_input.h), and only a request far past them meets
 * libmicrohttpd's. Pages are touched only as a request fills them. */
static size_t mhd_memory_limit(const slate_config *cfg)
{
	return 2 * (cfg->max_header_bytes + SLATE_MAX_URI_BYTES) + (64 << 10);
}

int slate_http_start(slate_core *core, slate_http **out, char *err,
		     size_t errlen)
{
	const slate_config *cfg = core->cfg;
	slate_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->core = core;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->ready, NULL);
	pthread_cond_init(&h->idle, NULL);
	h->threads = calloc((size_t)cfg->workers, sizeof(pthread_t));
	if (!h->threads) {
		snprintf(err, errlen, "out of memory");
		slate_http_stop(h);
		return -1;
	}
	for (int i = 0; i < cfg->workers; i++) {
		if (pthread_create(&h->threads[i], NULL, worker_main, h)) {
			snprintf(err, errlen, "cannot start worker threads");
			slate_http_stop(h);
			return -1;
		}
		h->nthreads++;
	}

	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_TURBO;
	memset(&sa6, 0, sizeof(sa6));
	memset(&sa4, 0, sizeof(sa4));
	if (strchr(cfg->bind, ':')) {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET6, cfg->bind, &sa6.sin6_addr) != 1)
			goto bad_bind;
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else {
		sa4.sin_family = AF_INET;
		sa4.sin_port = htons((uint16_t)cfg->port);
		if (inet_pton(AF_INET, cfg->bind, &sa4.sin_addr) != 1)
			goto bad_bind;
		sa = (struct sockaddr *)&sa4;
	}
	h->mhd = MHD_start_daemon(
	    flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->io_threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connection_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->per_ip_connection_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, mhd_memory_limit(cfg),
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
	    MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen,
			 "cannot listen on %s:%d (in use, or not permitted)",
			 cfg->bind, cfg->port);
		slate_http_stop(h);
		return -1;
	}
	*out = h;
	return 0;
bad_bind:
	snprintf(err, errlen, "bind address '%s' is not an IP address",
		 cfg->bind);
	slate_http_stop(h);
	return -1;
}

void slate_http_stop(slate_http *h)
{
	if (!h)
		return;
	if (h->mhd) {
		/* Stop accepting, let queued requests finish, then close. */
		MHD_quiesce_daemon(h->mhd);
		pthread_mutex_lock(&h->lock);
		while (h->active > 0)
			pthread_cond_wait(&h->idle, &h->lock);
		pthread_mutex_unlock(&h->lock);
		MHD_stop_daemon(h->mhd);
	}
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->ready);
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	free(h->threads);
	pthread_cond_destroy(&h->idle);
	pthread_cond_destroy(&h->ready);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

unsigned slate_http_port(const slate_http *h)
{
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}
