/*
 * hash.h - what the hash plugin's files share.
 *
 * hash.c: the processor (a job per stored file: SHA-256 of the object, the
 * result written to the entity and to file_hashes). hash_dupes.c: the
 * duplicate reports over file_hashes. hash_sha256.c: the digest itself.
 */
#ifndef HASH_H
#define HASH_H

#include <slate/host.h>

/* Set once by init, read-only afterwards. */
extern const slate_host *hash_host;
extern slate_plugin *hash_self;
/* The plugin's files call the table `host`, as every Slate plugin does. */
#define host hash_host

/* The duplicate routes, registered by init. */
extern const slate_route_def hash_route_dupes;
extern const slate_route_def hash_route_dupes_of;

#endif
