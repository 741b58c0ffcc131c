/*
** codelib.h -- the reference library of known samples (`tells lib`).
**
** A library file lists known executables with their family: SHA-256, TLSH,
** imphash, Rich hash and RichPE hash (format: docs/library.md).  Loading it
** builds a TLSH index (tlsh_index.h) and hash tables for the exact hashes;
** `tells code --library` and `tells investigate --library` then report, for
** each PE/ELF, the nearest entries by TLSH distance and the entries sharing
** its imphash, Rich hash or RichPE hash.  Appending is atomic: a new file
** is written next to the library and renamed over it.
*/
#ifndef TELLS_CODELIB_H
#define TELLS_CODELIB_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "pe.h"
#include "tells.h"
#include "tlsh.h"
#include "tlsh_index.h"

#define TELLS_CODELIB_MAGIC      "tells-codelib 1"
#define TELLS_CODELIB_MAX_ENTRIES (16u << 20)   /* entries per library */
#define TELLS_CODELIB_MAX_LINE   1024           /* bytes per line, newline included */
#define TELLS_CODELIB_MAX_FAMILY 128
#define TELLS_CODELIB_MAX_NAME   255

/* Nearest entries reported per query, and the distances of the findings. */
#define TELLS_CODELIB_K          5
#define TELLS_CODELIB_NEAR_MAX   100  /* nearest entries listed up to this */
#define TELLS_CODELIB_SIMILAR    70   /* finding "similar to known family" */
#define TELLS_CODELIB_VERY       30   /* finding "very similar ..." */
#define TELLS_CODELIB_MAX_EXACT  16   /* exact-hash matches listed per kind */

/* One known sample. */
typedef struct tells_codelib_entry {
  char sha256[65];
  tells_tlsh tlsh;                 /* nbody 0: no digest */
  char imphash[33], rich[33], richpe[33];  /* "" when absent */
  const char *family, *name;       /* owned by the library (or the caller) */
} tells_codelib_entry;

typedef struct tells_codelib tells_codelib;

/* Exact-hash kinds. */
enum { TELLS_CODELIB_IMPHASH, TELLS_CODELIB_RICH, TELLS_CODELIB_RICHPE, TELLS_CODELIB_NKIND };

/* What a library knows about one sample. */
typedef struct tells_codelib_result {
  tells_tlshidx_hit near[TELLS_CODELIB_K];
  size_t n_near;
  uint32_t exact[TELLS_CODELIB_NKIND][TELLS_CODELIB_MAX_EXACT];
  size_t n_exact[TELLS_CODELIB_NKIND];
} tells_codelib_result;

/* Loads and indexes the library at path.  A missing file is an empty
** library when missing_ok, else TELLS_ENOENT.  On TELLS_ECORRUPT (bad
** header, bad line, too many entries) err holds "PATH:LINE: reason"; on
** other errors "PATH: reason". */
tells_err tells_codelib_load(const char *path, int missing_ok, tells_codelib **out /* OUT */,
                             char *err, size_t errn);
void tells_codelib_free(tells_codelib *lib);
size_t tells_codelib_count(const tells_codelib *lib);
const tells_codelib_entry *tells_codelib_get(const tells_codelib *lib, size_t i);

/* Appends entries to the library file at path (created with its header if
** missing) by writing PATH.tmp.PID and renaming it over PATH: readers see
** the old or the new file, never a half-written one.  The existing file is
** validated first; a corrupt one is left alone (TELLS_ECORRUPT, err set). */
tells_err tells_codelib_append(const char *path, const tells_codelib_entry *e, size_t n,
                               char *err, size_t errn);

/* The RichPE hash of a PE (docs/library.md): MD5 over the Rich entries and
** eleven header fields.  Writes "" and returns 0 when pe has no Rich
** header. */
int tells_codelib_richpe(const tells_pe *pe, char out[33] /* OUT */);

/* Looks a sample up: tlsh may be NULL or without a digest, the hashes NULL
** or "". */
void tells_codelib_query(const tells_codelib *lib, const tells_tlsh *tlsh, const char *imphash,
                         const char *rich, const char *richpe,
                         tells_codelib_result *r /* OUT */);

/* Writes r as the JSON object of the "library" key (docs/library.md). */
void tells_codelib_result_json(const tells_codelib *lib, const tells_codelib_result *r,
                               tells_json *j);

/* ---- intake (code_scan.c) ---- */
struct tells_ingest;
/* Writes the TLSH digest of the file into ig->tlsh ("" when the file has
** none) and sends it as a "tlsh" indicator.  Every PE and ELF scan calls it. */
void tells_codelib_digest(struct tells_ingest *ig);
/* With ig->library set: looks the file up (TLSH from ig->tlsh; imphash,
** Rich and RichPE hashes from pe, which is NULL for ELF) into *r and sends
** a finding "similar to known family X" per family within
** TELLS_CODELIB_SIMILAR, with the library object as its details.  Without
** a library *r is empty. */
void tells_codelib_scan(struct tells_ingest *ig, const tells_pe *pe,
                        tells_codelib_result *r /* OUT */);
/* Writes the "tlsh" and (with a library) "library" members of the
** artifact into an open object. */
void tells_codelib_scan_json(const struct tells_ingest *ig, const tells_codelib_result *r,
                             tells_json *j);
/* Renders obj with render() (a JSON object) and adds those same members
** at its end. */
void tells_codelib_wrap_json(const struct tells_ingest *ig, const tells_codelib_result *r,
                             void (*render)(const void *, tells_json *), const void *obj,
                             tells_json *j);

#endif /* TELLS_CODELIB_H */
