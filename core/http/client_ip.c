/* client_ip.c - see client_ip.h. */
#include "http/client_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_ip(const char *s, unsigned char out[16], int *bits)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*bits = 32;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*bits = 128;
		return AF_INET6;
	}
	return -1;
}

bool slate_client_ip_match(const char *ip, const char *spec)
{
	char net[64];
	unsigned char a[16], b[16];
	int abits, bbits;
	const char *slash = strchr(spec, '/');
	size_t n = slash ? (size_t)(slash - spec) : strlen(spec);
	if (n >= sizeof(net))
		return false;
	memcpy(net, spec, n);
	net[n] = '\0';
	int fa = parse_ip(ip, a, &abits), fb = parse_ip(net, b, &bbits);
	if (fa < 0 || fa != fb)
		return false;
	int prefix = bbits;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v < 0 || v > bbits)
			return false;
		prefix = (int)v;
	}
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, (size_t)full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((a[full] & mask) != (b[full] & mask))
			return false;
	}
	return true;
}

static bool trusted_ip(char *const *trusted, const char *ip)
{
	for (size_t i = 0; trusted && trusted[i]; i++)
		if (slate_client_ip_match(ip, trusted[i]))
			return true;
	return false;
}

void slate_client_ip(char *const *trusted, const char *peer, const char *xff,
		     char *out, size_t len)
{
	snprintf(out, len, "%s", peer ? peer : "");
	if (!xff || !peer || !trusted_ip(trusted, peer))
		return;
	/* Walk right to left: each hop appended the address it saw. */
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *a = start, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		char ip[64];
		unsigned char tmp[16];
		int bits;
		if (b > a && (size_t)(b - a) < sizeof(ip)) {
			memcpy(ip, a, (size_t)(b - a));
			ip[b - a] = '\0';
			if (parse_ip(ip, tmp, &bits) < 0)
				return; /* garbage: keep what we have */
			snprintf(out, len, "%s", ip);
			if (!trusted_ip(trusted, ip))
				return;
		}
		end = start > xff ? start - 1 : xff;
	}
}
