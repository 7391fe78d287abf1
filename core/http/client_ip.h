/*
 * client_ip.h - who is on the other end of a connection: the peer address,
 * or, when the peer is a trusted proxy (config trusted_proxies), the
 * address that proxy and the trusted ones before it saw in
 * X-Forwarded-For. Rate limits, lockouts and logs key on it.
 */
#ifndef SLATE_CLIENT_IP_H
#define SLATE_CLIENT_IP_H

#include <stdbool.h>
#include <stddef.h>

/* Whether `ip` is `spec`: an address or a CIDR block (v4 or v6). */
bool slate_client_ip_match(const char *ip, const char *spec);

/* The client's address: `peer` itself unless it is one of `trusted`
 * (NULL-terminated, may be NULL); then the rightmost X-Forwarded-For entry
 * that is not a trusted proxy (the leftmost when all are). */
void slate_client_ip(char *const *trusted, const char *peer, const char *xff,
		     char *out, size_t len);

#endif
