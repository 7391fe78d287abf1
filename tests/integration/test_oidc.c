/*
 * test_oidc.c - tokens from a standard identity provider over real HTTP:
 * oidc-provider (tests/oidc/start.js, a certified OpenID provider run by
 * node on loopback) mints RFC 9068 access tokens (typ "at+jwt") with the
 * client_credentials grant, POST /token, and slated, with the default
 * oidc.token_use, checks them against the provider's JWKS URL:
 * - a minted token is accepted (its groups claim mapped), a tampered one
 *   refused;
 * - with the provider down, slated still starts, answers 401 with the
 *   error envelope to the issuer's tokens, and once the provider comes up
 *   on the port it was configured with, accepts its tokens.
 * Needs node and tests/oidc/node_modules/oidc-provider (scripts/deps.sh).
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/jwt_token.h"
#include "harness.h"
#include "th_keys.h"

#define CLIENT "slate-test-client"

/* ---- the identity provider -------------------------------------------- */

/* oidc-provider on loopback (tests/oidc/start.js) with one client; its
 * url is the issuer. */
static int idp_start(th_node *p, int port)
{
	static const char *const args[] = {"--client-id", CLIENT, "--groups",
					   "editor", NULL};
	return th_node_start(p, "oidc", "tests/oidc/start.js", port, args, 30);
}

/* An access token from the provider: the client_credentials grant, the
 * client authenticated with HTTP Basic, as a client of it would. New
 * string, or NULL (the answer printed). */
static char *idp_mint(const th_node *p)
{
	char url[128];
	snprintf(url, sizeof(url), "%s/token", p->url);
	th_body b = {0};
	long status = 0;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERPWD, CLIENT ":secret");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			 "grant_type=client_credentials&scope=api");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	json_t *doc = b.p ? json_loads(b.p, 0, NULL) : NULL;
	const char *tok =
	    json_string_value(json_object_get(doc, "access_token"));
	char *out = status == 200 && tok ? strdup(tok) : NULL;
	if (!out)
		fprintf(stderr, "POST %s: %s %ld %s\n", url,
			curl_easy_strerror(rc), status, b.p ? b.p : "");
	json_decref(doc);
	free(b.p);
	return out;
}

/* The token's header, decoded (not verified). New reference or NULL. */
static json_t *token_header(const char *tok)
{
	const char *dot = strchr(tok, '.');
	if (!dot)
		return NULL;
	size_t n = (size_t)(dot - tok), padded = (n + 3) / 4 * 4;
	char *b = calloc(1, padded + 1);
	unsigned char *raw = calloc(1, padded);
	for (size_t i = 0; i < padded; i++)
		b[i] = i >= n	       ? '='
		       : tok[i] == '-' ? '+'
		       : tok[i] == '_' ? '/'
				       : tok[i];
	int k = EVP_DecodeBlock(raw, (unsigned char *)b, (int)padded);
	json_t *h =
	    k > 0 ? json_loadb((char *)raw, (size_t)k - (padded - n), 0, NULL)
		  : NULL;
	free(b);
	free(raw);
	return h;
}

/* Whether slated's log has a line containing `what`. */
static bool log_has(const th_server *s, const char *what)
{
	FILE *f = fopen(s->log_path, "r");
	char line[4096];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static int start_slated(th_server *s, const char *issuer)
{
	char cfg[512];
	/* oidc.token_use left at its default */
	snprintf(cfg, sizeof(cfg),
		 "{\"oidc\": {\"issuer\": \"%s\", \"audience\": \"" CLIENT
		 "\", \"jwks_url\": \"%s/jwks\", \"groups_claim\": "
		 "\"groups\"}}",
		 issuer, issuer);
	return th_start(s, cfg);
}

/* ---- the tests -------------------------------------------------------- */

static th_node up;
static th_server srv;

static int suite_init(void)
{
	if (idp_start(&up, 0))
		return -1;
	return start_slated(&srv, up.url);
}

static int suite_clean(void)
{
	th_stop(&srv);
	th_node_stop(&up);
	return 0;
}

static void test_provider_token(void)
{
	char *tok = idp_mint(&up);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	json_t *h = token_header(tok);
	/* what the provider really issues: RFC 9068, no token_use */
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(h, "typ")) ?: "", "at+jwt");
	json_decref(h);
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&srv, tok, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "source") ?: "", "oidc");
	CU_ASSERT_STRING_EQUAL(th_data_str(&r, "email") ?: "", CLIENT);
	th_resp_free(&r);
	/* groups: ["editor"] from the provider */
	CU_ASSERT_FATAL(th_req_as(&srv, tok, "POST", "/api/v1/shows",
				  "{\"name\": \"made with an at+jwt\"}", NULL,
				  &r) == 0);
	CU_ASSERT_EQUAL(r.status, 201);
	th_resp_free(&r);
	CU_ASSERT_FATAL(th_req_as(&srv, tok, "DELETE",
				  "/api/v1/shows/"
				  "5d0c1e2a-9b8f-4c3d-a1e2-f3a4b5c6d7e8",
				  NULL, NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 403);
	th_resp_free(&r);
	/* one flipped signature character */
	size_t n = strlen(tok);
	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_FATAL(th_req_as(&srv, tok, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "UNAUTHORIZED");
	th_resp_free(&r);
	CU_ASSERT(log_has(&srv, "token refused: OIDC token: bad signature"));
	free(tok);
}

static void test_provider_down_at_start(void)
{
	int port = th_free_port();
	CU_ASSERT_FATAL(port > 0);
	char issuer[64];
	snprintf(issuer, sizeof(issuer), "http://127.0.0.1:%d", port);
	th_server down;
	/* slated starts although its JWKS URL answers nothing */
	CU_ASSERT_FATAL(start_slated(&down, issuer) == 0);
	CU_ASSERT(log_has(&down, "starting without the OIDC issuer's keys"));
	/* a token naming that issuer (signed by a key of our own: the
	 * provider is down) is refused with the envelope */
	json_t *jwks;
	char *pem = th_rsa_new("k", &jwks);
	json_decref(jwks);
	long now = (long)time(NULL);
	json_t *c =
	    json_pack("{s:s, s:s, s:s, s:[s], s:I, s:I}", "iss", issuer, "sub",
		      CLIENT, "client_id", CLIENT, "groups", "editor", "iat",
		      (json_int_t)now, "exp", (json_int_t)(now + 600));
	char *early = th_token_rs256_typ(c, pem, "k", "at+jwt");
	json_decref(c);
	free(pem);
	th_resp r;
	CU_ASSERT_FATAL(th_req_as(&down, early, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 401);
	CU_ASSERT_STRING_EQUAL(th_err_code(&r), "UNAUTHORIZED");
	char www[256] = "";
	CU_ASSERT(th_header(&r, "WWW-Authenticate", www, sizeof(www)));
	CU_ASSERT(strstr(www, "Bearer") != NULL);
	th_resp_free(&r);
	CU_ASSERT(log_has(&down, "JWKS is not loaded yet"));
	/* local tokens are not affected */
	CU_ASSERT_EQUAL(th_status(&down, "GET", "/api/v1/shows", NULL), 200);

	/* the provider comes up on the configured port */
	th_node late;
	CU_ASSERT_FATAL(idp_start(&late, port) == 0);
	char *tok = idp_mint(&late);
	CU_ASSERT_PTR_NOT_NULL(tok);
	long st = -1;
	for (int i = 0; tok && i < 60 && st != 200; i++) { /* 30 s */
		CU_ASSERT_FATAL(th_req_as(&down, tok, "GET", "/api/v1/auth/me",
					  NULL, NULL, &r) == 0);
		st = r.status;
		th_resp_free(&r);
		if (st != 200)
			usleep(500 * 1000);
	}
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT(log_has(&down, "OIDC JWKS loaded from"));
	/* the early token, signed by a key the provider never had: still
	 * refused */
	CU_ASSERT_FATAL(th_req_as(&down, early, "GET", "/api/v1/auth/me", NULL,
				  NULL, &r) == 0);
	CU_ASSERT_EQUAL(r.status, 401);
	th_resp_free(&r);
	free(tok);
	free(early);
	th_stop(&down);
	th_node_stop(&late);
}

int main(void)
{
	struct stat sb;
	char node_bin[512];
	if (!th_find_bin("node", node_bin, sizeof(node_bin)) ||
	    stat(SLATE_SOURCE_DIR
		 "/tests/oidc/node_modules/oidc-provider/package.json",
		 &sb)) {
		fprintf(stderr, "test_oidc: cannot run without node and "
				"oidc-provider (npm ci --prefix tests/oidc); "
				"`bash scripts/deps.sh` installs everything\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	static const th_test tests[] = {
	    {"at+jwt from oidc-provider, default config", test_provider_token},
	    {"provider down at start: 401, then accepted",
	     test_provider_down_at_start},
	    {NULL, NULL},
	};
	int rc = th_main("oidc", suite_init, suite_clean, tests);
	curl_global_cleanup();
	return rc;
}
