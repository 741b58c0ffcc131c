/*
** yara_scan.h -- the YARA bridge: user rule sets compiled once per run
** through libyara, and scans of mapped evidence files with those rules.
**
** Role in the pipeline: the code pillar (lib/code/) calls this module for
** every PE or ELF file when the user passed rule sets (`--yara RULES`).
** Each hit becomes a finding that carries the rule's metadata (author,
** description, reference), as the rule licences (DRL 1.1) require.
**
** Compiling.  Each argument is a rules file or a folder, walked recursively
** for *.yar and *.yara files in sorted order.  Every rules file gets its own
** namespace (its path), so rule names and global rules never collide across
** files.  The five external variables of LOKI/THOR (filename, filepath,
** extension, filetype, owner) are declared for every file.  A file that does
** not compile is reported with its file, line and message and left out; the
** other files still make up the rule set (see docs/internals/yara.md for how
** failures are isolated).  Warnings are reported and never drop a rule.
**
** Scanning.  One tells_yara_rules is shared, read-only, by every thread; each
** thread creates its own tells_yara_scanner.  A scan defines the external
** variables for the file being scanned, runs with a timeout, and stores its
** hits in the caller's arena (the per-evidence-file arena): rule, namespace,
** tags, every meta as key/value, and a bounded list of matched strings.
**
** libyara's own allocations go through libyara's allocator; this module's
** allocations go through tells_malloc.  tells_yara_compile() calls
** yr_initialize() and tells_yara_rules_free() the matching yr_finalize().
*/
#ifndef TELLS_YARA_SCAN_H
#define TELLS_YARA_SCAN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "ingest.h"
#include "json.h"
#include "tells.h"

/* Defaults of tells_yara_opts (0 in a field selects the default). */
#define TELLS_YARA_DEFAULT_TIMEOUT_S      60    /* per scanned file */
#define TELLS_YARA_DEFAULT_MAX_HITS       1024  /* hits kept per file */
#define TELLS_YARA_DEFAULT_MAX_STRINGS    16    /* matched strings kept per hit */
#define TELLS_YARA_MAX_DIAGS_PER_FILE     100   /* diagnostics kept per rules file */

/* ---- Compiling --------------------------------------------------------- */

typedef enum tells_yara_level {
  TELLS_YARA_ERROR = 0,     /* the rules file was left out of the rule set */
  TELLS_YARA_WARNING = 1    /* reported only; the rule is kept */
} tells_yara_level;

/* One compiler message.  Strings are owned by the tells_yara_rules. */
typedef struct tells_yara_diag {
  tells_yara_level level;
  const char *source;       /* the rules file being compiled (walked/given) */
  const char *file;         /* file libyara names: `source`, or an included file */
  int line;                 /* 1-based; 0 when the file could not be read */
  const char *rule;         /* rule identifier when libyara names it, or NULL */
  const char *msg;
} tells_yara_diag;

typedef void (*tells_yara_diag_fn)(void *ud, const tells_yara_diag *d);
/* A tells_yara_diag_fn for tells code and tells investigate: holds the
** message ("FILE:LINE", "YARA error: MSG in rule R") in the tells_buf ud
** for tells_held_replay (held.h). */
void tells_yara_diag_hold(void *ud, const tells_yara_diag *d);

typedef struct tells_yara_opts {
  int timeout_s;            /* per-scan timeout in seconds */
  size_t max_hits;          /* hits kept per scanned file; more are counted */
  size_t max_strings;       /* matched strings kept per hit; more are counted */
  tells_yara_diag_fn diag;  /* called once per diagnostic after compiling */
  void *diag_ud;
} tells_yara_opts;

/* One rules file of the set, in compile order. */
typedef struct tells_yara_file {
  const char *path;         /* also the namespace of its rules; owned */
  int ok;                   /* compiled into the rule set */
  uint32_t n_rules;         /* rules it contributed (0 when !ok) */
  uint32_t n_errors, n_warnings;
} tells_yara_file;

typedef struct tells_yara_stats {
  uint32_t n_files, n_files_ok, n_files_failed;
  uint32_t n_rules;         /* rules in the compiled set (private ones too) */
  uint32_t n_errors, n_warnings;   /* diagnostics reported (kept or not) */
  uint32_t n_compiles;      /* compilers created (1 when nothing failed) */
} tells_yara_stats;

typedef struct tells_yara_rules tells_yara_rules;

/* Compiles the rules files and folders in `paths` into one rule set.
** Files that fail are reported (stats, diagnostics, opts->diag) and left
** out; that is not an error of the call.  A path that cannot be read is an
** error diagnostic with line 0.
** Returns TELLS_OK with *out set (possibly with zero rules), TELLS_EARG for
** bad arguments, TELLS_ENOMEM.  opts may be NULL.  Free with
** tells_yara_rules_free(). */
tells_err tells_yara_compile(const char *const *paths, size_t n_paths,
                             const tells_yara_opts *opts,
                             tells_yara_rules **out /* OUT */);
void tells_yara_rules_free(tells_yara_rules *r);

/* The same compile on a thread of its own, while the caller does other
** work (`tells code` begins files, `tells investigate` loads Sigma rules):
** start, then wait for the rule set.  opts->diag is called on that thread.
** With no thread to be had, start compiles before it returns. */
typedef struct tells_yara_compiling {
  const char *const *paths;
  size_t n_paths;
  tells_yara_opts opts;
  tells_yara_rules *rules;  /* the result, until wait hands it over */
  tells_err err;
  pthread_t t;
  int on_thread;            /* t runs (or ran) the compile, not yet joined */
} tells_yara_compiling;
void tells_yara_compile_start(tells_yara_compiling *c, const char *const *paths,
                              size_t n_paths, const tells_yara_opts *opts);
/* Waits for the compile; *out gets the rule set (NULL on error), the
** caller's to free.  Returns what tells_yara_compile would have. */
tells_err tells_yara_compile_wait(tells_yara_compiling *c, tells_yara_rules **out /* OUT */);

const tells_yara_stats *tells_yara_rules_stats(const tells_yara_rules *r);
const tells_yara_diag *tells_yara_rules_diags(const tells_yara_rules *r,
                                              size_t *n /* OUT */);
const tells_yara_file *tells_yara_rules_files(const tells_yara_rules *r,
                                              size_t *n /* OUT */);
/* Writes {"files":..,"files_ok":..,"rules":..,"diagnostics":[...]} to j. */
void tells_yara_rules_json(tells_json *j, const tells_yara_rules *r);

/* ---- External variables of one scanned file --------------------------- */

/* The values LOKI and THOR give signature-base's external variables.  All
** are strings, never NULL:
**   filename   base name of the path                 "calc.exe"
**   filepath   directory of the path, absolute       "/evidence/host1"
**   extension  last suffix of the base name, with    ".exe"
**              the dot, lower-cased; "" if none
**   filetype   label from the content's magic bytes  "EXE", "ELF", "MACH-O",
**              (extension for scripts), as           "MDMP", "PDF", "GIF",
**              signature-base's rules compare it     "RTF", "ZIP", "PHP", ...
**                                                    "UNKNOWN" otherwise
**   owner      user name of the file's owner (stat), or the numeric uid when
**              it has no name; "" when there is no path */
typedef struct tells_yara_ext {
  const char *filename, *filepath, *extension, *filetype, *owner;
} tells_yara_ext;

/* Derives the external values for `path` (may be NULL for a bare buffer)
** whose content is buf[0..len), into strings allocated from `a`.
** Returns TELLS_OK or TELLS_ENOMEM. */
tells_err tells_yara_ext_derive(tells_arena *a, const char *path,
                                const uint8_t *buf, size_t len,
                                tells_yara_ext *out /* OUT */);
/* The filetype label of the content alone (static string). */
const char *tells_yara_filetype(const uint8_t *buf, size_t len,
                                const char *extension);

/* ---- Scanning ---------------------------------------------------------- */

typedef enum tells_yara_meta_type {
  TELLS_YARA_META_INT = 1, TELLS_YARA_META_STR = 2, TELLS_YARA_META_BOOL = 3
} tells_yara_meta_type;

typedef struct tells_yara_meta {
  const char *key;
  tells_yara_meta_type type;
  const char *str;          /* STR: the value; otherwise NULL */
  int64_t i;                /* INT: the value; BOOL: 0 or 1 */
} tells_yara_meta;

typedef struct tells_yara_strmatch {
  const char *id;           /* "$a" */
  uint64_t offset;          /* in the scanned buffer */
  uint32_t len;             /* matched length */
} tells_yara_strmatch;

/* One matching rule.  Everything lives in the arena passed to the scan. */
typedef struct tells_yara_hit {
  const char *rule;         /* rule identifier */
  const char *ns;           /* namespace: path of the rules file */
  const char **tags; size_t n_tags;
  tells_yara_meta *metas; size_t n_metas;      /* in declaration order */
  tells_yara_strmatch *strings; size_t n_strings; /* first max_strings */
  uint64_t n_strings_total;                    /* all matches of all strings */
  struct tells_yara_hit *next;
} tells_yara_hit;

typedef struct tells_yara_result {
  tells_yara_hit *hits;     /* in the order libyara reports them */
  size_t n_hits;            /* hits kept */
  uint64_t n_hits_dropped;  /* hits past opts.max_hits */
  uint32_t n_too_many;      /* strings that reached libyara's match cap */
  int timed_out;
  int yr_error;             /* libyara's code for the scan; 0 when fine */
} tells_yara_result;

typedef struct tells_yara_scanner tells_yara_scanner;

/* A scanner for the calling thread.  `r` must outlive it.  Returns
** TELLS_OK, TELLS_EARG, TELLS_ENOMEM. */
tells_err tells_yara_scanner_new(const tells_yara_rules *r,
                                 tells_yara_scanner **out /* OUT */);
void tells_yara_scanner_free(tells_yara_scanner *s);

/* Scans buf[0..len) (the caller keeps it mapped).  External variables come
** from `ext`, or when ext is NULL are derived from `path` and the content
** (tells_yara_ext_derive).  Hits are allocated from `a`.
** Returns TELLS_OK; TELLS_ELIMIT on timeout (out->timed_out set, hits found
** so far kept); TELLS_ENOMEM; TELLS_EIO for any other libyara failure
** (out->yr_error holds its code). */
tells_err tells_yara_scan(tells_yara_scanner *s, const char *path,
                          const uint8_t *buf, size_t len,
                          const tells_yara_ext *ext, tells_arena *a,
                          tells_yara_result *out /* OUT */);

/* ---- Using hits -------------------------------------------------------- */

/* First string value of meta `key` (exact name), or NULL. */
const char *tells_yara_hit_meta(const tells_yara_hit *h, const char *key);
/* Writes one hit as a JSON object:
** {"rule","namespace","tags":[..],"meta":{key:value|[values]},
**  "strings":[{"id","offset","length"}],"strings_total"} */
void tells_yara_hit_json(tells_json *j, const tells_yara_hit *h);
/* Writes the hits of a result as a JSON array. */
void tells_yara_hits_json(tells_json *j, const tells_yara_result *res);
/* Fills a finding for a hit: rule "yara:<identifier>", title from the
** description meta, severity from signature-base's score meta (80+ high,
** 60+ medium, 40+ low, below info; medium without a score), author from the
** author meta, details_json = the hit's JSON.  Strings come from `a`.
** Returns TELLS_OK or TELLS_ENOMEM. */
tells_err tells_yara_hit_finding(const tells_yara_hit *h, tells_arena *a,
                                 tells_finding *f /* OUT */);

#endif
