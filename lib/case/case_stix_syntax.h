/*
** case_stix_syntax.h -- the value syntax a STIX 2.1 bundle must keep, checked
** before case_export_stix.c writes an object (docs/export.md): host names for
** domain-name (RFC 1034 preferred syntax, RFC 5890 labels), IP literals,
** RFC 3986 URIs for url, and the set of identifiers already written (one id,
** one object).
*/
#ifndef TELLS_CASE_STIX_SYNTAX_H
#define TELLS_CASE_STIX_SYNTAX_H

#include <stddef.h>
#include "arena.h"

/* 1 if v is an ASCII host name: labels of letters, digits and '-', 1..63
** bytes, not starting or ending with '-', without "--" at bytes 3-4 (the
** A-label prefix, which tells does not decode), 253 bytes at most plus one
** optional final dot.  Everything else (underscore labels, tunnelled
** payloads, U-labels, A-labels) is 0. */
int tells__stix_hostname(const char *v);

/* If v is an IPv4 address, an IPv6 address (a zone "%..." is dropped) or an
** IPv6 address in brackets, writes its canonical text (inet_ntop) to out and
** returns 4 or 6; else 0. */
int tells__stix_ip_literal(const char *v, char out[48]);

/* 1 if v is a URI by the RFC 3986 grammar (section 3, appendix A): scheme,
** optional authority (userinfo, reg-name, IPv4 or IP-literal host, port),
** path, query and fragment made only of their allowed characters and
** well-formed percent-encodings. */
int tells__stix_uri(const char *v);

/* Identifiers written so far.  Owns its table and its copies of the ids. */
typedef struct tells__stix_idset {
  char **slot;        /* open addressing, NULL = empty; owned */
  size_t cap, n;
  tells_arena arena;  /* the id strings */
} tells__stix_idset;

void tells__stix_idset_init(tells__stix_idset *s);
/* 1 if id was added, 0 if it was already there, -1 when out of memory. */
int tells__stix_idset_add(tells__stix_idset *s, const char *id);
void tells__stix_idset_free(tells__stix_idset *s);

#endif
