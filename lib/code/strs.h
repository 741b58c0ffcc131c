/*
** strs.h -- strings and indicators of an executable, in one linear pass.
**
** tells_strs_scan() walks a whole file (PE, ELF, any bytes) once and finds
** its printable strings: ASCII runs and UTF-16LE runs of ASCII-range
** characters, at least TELLS_STRS_MIN_LEN characters long (tab and
** 0x20..0x7e).  Each string is offered to the caller (the capability
** matcher reads them) and searched for indicators, each validated to keep
** false positives low (docs/pe-json.md, "strings"):
**
**   ipv4      four decimal octets, no leading zeros, not a version number
**   ipv6      RFC 4291 text form with at least two groups written
**   domain    labels per RFC 1035 ending in a real top-level domain that is
**             not also a common file extension; one letter case throughout
**   url       scheme://host... with a valid host (its host is also a domain)
**   email     local@domain with a valid domain
**   win_path  C:\..., \\server\share, \\.\device, %VAR%\..., \Device\...
**   registry  HKLM\ / HKEY_...\ / \Registry\... / Software\... / System\CurrentControlSet\...
**   mutex     Global\name, Local\name, \BaseNamedObjects\name
**
** A piece of a string is one indicator at most: a URL's text is not also
** scanned for domains or addresses (its host is reported once as such), an
** e-mail's domain likewise.  Offsets are file offsets of the indicator's
** first byte (for UTF-16 strings, of its first UTF-16 unit).
*/
#ifndef TELLS_STRS_H
#define TELLS_STRS_H

#include <stddef.h>
#include <stdint.h>
#include "../base/arena.h"
#include "../base/json.h"
#include "tells.h"

#define TELLS_STRS_MIN_LEN   5      /* shortest string reported, in characters */
#define TELLS_STRS_CHUNK     4096   /* longer strings are examined in pieces of this size */
#define TELLS_STRS_KEEP      200    /* distinct values kept per type for the artifact */
#define TELLS_STRS_MAX_SIGHT 10000  /* occurrences per type passed to on_indicator */
#define TELLS_STRS_MAX_VALUE 1024   /* longer candidate indicators are ignored */

typedef enum tells_strs_type {
  TELLS_STRS_IPV4, TELLS_STRS_IPV6, TELLS_STRS_DOMAIN, TELLS_STRS_URL,
  TELLS_STRS_EMAIL, TELLS_STRS_WIN_PATH, TELLS_STRS_REGISTRY, TELLS_STRS_MUTEX,
  TELLS_STRS_NTYPES
} tells_strs_type;

typedef struct tells_strs_ind {
  int type;                /* tells_strs_type */
  int wide;                /* found in a UTF-16LE string */
  uint64_t off;            /* file offset of the first byte */
  const char *value;       /* NUL-terminated; in the callback valid during the
                              call only, in tells_strs.kept owned by the arena */
  size_t len;
  uint64_t count;          /* tells_strs.kept: occurrences in the file */
} tells_strs_ind;

/* Called for every string: s is ASCII (UTF-16 converted), not
** NUL-terminated, at most TELLS_STRS_CHUNK bytes, valid during the call. */
typedef void (*tells_strs_string_fn)(void *ud, const char *s, size_t n,
                                     uint64_t off, int wide);
/* Called for each indicator occurrence (the first TELLS_STRS_MAX_SIGHT per type). */
typedef void (*tells_strs_ind_fn)(void *ud, const tells_strs_ind *ind);

typedef struct tells_strs_opts {
  size_t min_len;                /* 0 means TELLS_STRS_MIN_LEN; at least 2 */
  tells_strs_string_fn on_string; /* may be NULL */
  tells_strs_ind_fn on_indicator; /* may be NULL */
  void *ud;
} tells_strs_opts;

typedef struct tells_strs_seen tells_strs_seen;

typedef struct tells_strs {
  uint64_t n_ascii, n_wide;               /* strings found */
  uint32_t min_len;                       /* shortest string length used */
  uint64_t counts[TELLS_STRS_NTYPES];     /* indicator occurrences per type */
  uint32_t n_kept_type[TELLS_STRS_NTYPES];
  tells_strs_ind *kept; size_t n_kept;    /* arena; first TELLS_STRS_KEEP distinct
                                             values per type, in file order */
  tells_err err;                          /* ENOMEM/ELIMIT when the arena ran out
                                             (counting went on, keeping stopped) */
  tells_strs_seen *seen;                  /* arena; dedup table */
  tells_arena *arena;
} tells_strs;

/* Scans buf[0..len) (the whole file; offsets are relative to buf).  Kept
** values come from `arena`.  Returns TELLS_OK, or the arena's error (the
** counts stay exact). */
tells_err tells_strs_scan(const uint8_t *buf, size_t len, const tells_strs_opts *o,
                          tells_arena *arena, tells_strs *out /* OUT */);

/* Writes {"counts": {...}, "strings": {...}, "indicators": [...]}. */
void tells_strs_json(const tells_strs *s, tells_json *j);

/* "ipv4", "ipv6", "domain", "url", "email", "win_path", "registry", "mutex". */
const char *tells_strs_type_name(int type);

/* True when `tld` (n bytes, any case) is a delegated top-level domain
** (strs_tld.c). */
int tells__strs_is_tld(const char *tld, size_t n);

#endif /* TELLS_STRS_H */
