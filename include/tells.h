/*
** tells.h -- the one public header of libtells, the breach-forensics engine.
**
** The CLI (cli/), the fuzzers (fuzz/) and any embedding program include only
** this file.  It declares the error codes, the evidence kinds, the intake of
** evidence into a case file, and the read side of a case (show, report).
** Everything else in lib/ is internal and built with hidden visibility.
*/
#ifndef TELLS_H
#define TELLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TELLS_API __attribute__((visibility("default")))
#else
#define TELLS_API
#endif

#define TELLS_VERSION "0.1.0"
#define TELLS_SCHEMA_VERSION 3

/* Error codes.  TELLS_OK is 0, every error is a negative constant.  The list
** generates both the enum and tells_strerror() (as libuv's UV_ERRNO_MAP). */
#define TELLS_ERR_MAP(X)                                              \
  X(NOMEM,    -1, "out of memory")                                    \
  X(IO,       -2, "input/output error")                               \
  X(TRUNC,    -3, "truncated input")                                  \
  X(CORRUPT,  -4, "corrupt structure")                                \
  X(LIMIT,    -5, "limit exceeded")                                   \
  X(NOENT,    -6, "no such file or directory")                        \
  X(ACCES,    -7, "permission denied")                                \
  X(CHANGED,  -8, "file changed while it was being read")             \
  X(LOOP,     -9, "directory loop")                                   \
  X(NOTREG,  -10, "not a regular file")                               \
  X(UNSUP,   -11, "unsupported format")                               \
  X(DB,      -12, "case store error")                                 \
  X(ARG,     -13, "invalid argument")                                 \
  X(SCHEMA,  -14, "case file schema is newer than this tells")        \
  X(NOTCASE, -15, "not a tells case file")                            \
  X(EMPTY,   -16, "empty file")                                      \
  X(OLDCASE, -17, "case file is empty or from an older tells; run tells investigate on it")

typedef enum tells_err {
  TELLS_OK = 0,
#define TELLS__ERR_ENUM(name, val, msg) TELLS_E##name = val,
  TELLS_ERR_MAP(TELLS__ERR_ENUM)
#undef TELLS__ERR_ENUM
} tells_err;

/* Human text for an error code; never NULL. */
TELLS_API const char *tells_strerror(tells_err err);

/* Evidence kinds that intake recognises by content.  The list is the one
** registry of kinds (lib/intake/kinds.c binds each to its prober and
** scanner); NONE is anything else, recorded as "not analysed". */
#define TELLS_KIND_MAP(X)                                             \
  X(NONE,   "none",   "none")                                         \
  X(PE,     "pe",     "code")                                         \
  X(ELF,    "elf",    "code")                                         \
  X(PCAP,   "pcap",   "net")                                          \
  X(PCAPNG, "pcapng", "net")                                          \
  X(EVTX,   "evtx",   "logs")

typedef enum tells_kind {
#define TELLS__KIND_ENUM(name, str, pillar) TELLS_KIND_##name,
  TELLS_KIND_MAP(TELLS__KIND_ENUM)
#undef TELLS__KIND_ENUM
  TELLS_KIND_COUNT
} tells_kind;

TELLS_API const char *tells_kind_name(tells_kind kind);   /* "pe", ... */
TELLS_API const char *tells_kind_pillar(tells_kind kind); /* "code", ... */

/* ---- Allocation ------------------------------------------------------
** Every allocation of the library goes through one function that a test can
** replace (as lua_Alloc).  realloc semantics: ptr NULL allocates, size 0
** frees and returns NULL. */
typedef void *(*tells_alloc_fn)(void *ud, void *ptr, size_t size);
TELLS_API void tells_set_allocator(tells_alloc_fn fn, void *ud);

/* ---- Analysis of one buffer, without a case ---------------------------
** Identifies the buffer by content and runs the scanner of its kind over it.
** Used by the fuzzers and by `tells sniff`.  Results go to a JSON object on
** `out` when it is not NULL. */
typedef struct tells_scan_result {
  tells_kind kind;
  const char *reason;      /* why NONE, static text; NULL when analysed */
  uint64_t n_anomalies;    /* anomalies recorded by the scanner */
  int64_t first_ns;        /* earliest time seen, INT64_MIN if none */
  int64_t last_ns;         /* latest time seen, INT64_MIN if none */
} tells_scan_result;

TELLS_API tells_err tells_scan_buffer(const uint8_t *buf, size_t len,
                                      FILE *json_out,
                                      tells_scan_result *res /* OUT */);

/* ---- Investigation into a case ---------------------------------------- */
typedef struct tells_case tells_case;

/* Progress callback, called at most a few times a second during ingest. */
typedef struct tells_progress {
  uint64_t files_done, files_total;
  uint64_t bytes_done, bytes_total;
  const char *current;     /* path being read */
} tells_progress;
typedef void (*tells_progress_fn)(void *ud, const tells_progress *p);

/* Diagnostics (one line each: file and reason) go to this callback. */
typedef void (*tells_diag_fn)(void *ud, const char *path, const char *msg);

typedef struct tells_investigate_opts {
  tells_progress_fn progress;  void *progress_ud;
  tells_diag_fn diag;          void *diag_ud;
  const char *argv_text;       /* command line, kept in the run record */
  const char *const *yara_paths;  /* YARA rules files or folders, or NULL */
  size_t n_yara_paths;
  const char *const *sigma_paths; /* Sigma rules files or folders, or NULL */
  size_t n_sigma_paths;
  const char *library_path;    /* reference library (tells lib), or NULL */
  unsigned threads;            /* CPUs to use: with YARA rules, threads - 1
                                  workers scan the files ahead; 0 = every CPU
                                  the process may use */
} tells_investigate_opts;

typedef struct tells_investigate_stats {
  uint64_t files_seen, files_ingested, files_skipped, files_duplicate;
  uint64_t files_not_analysed, files_failed, bytes_read, anomalies;
  uint64_t yara_rules, yara_rule_files_failed, yara_hits;
  uint64_t sigma_rules, sigma_rules_rejected, sigma_hits;
  uint64_t per_kind[TELLS_KIND_COUNT];
  int resumed_run;             /* id of an interrupted run found, or 0 */
} tells_investigate_stats;

/* Opens (creating or migrating) the case file at `path`.  Returns
** TELLS_ENOTCASE for a file that is not a case, TELLS_ESCHEMA for a case
** written by a newer tells, TELLS_EDB for any SQLite failure.
** `readonly` opens an existing case for reading only. */
TELLS_API tells_err tells_case_open(const char *path, int readonly,
                                    tells_case **out /* OUT */);
TELLS_API void tells_case_close(tells_case *c);
/* Last error text of the case store (SQLite's message), never NULL. */
TELLS_API const char *tells_case_errmsg(const tells_case *c);

/* Walks `paths` (files and folders), ingests each file into the case, one
** transaction per file, skipping files already ingested.  Per-file problems
** are reported through opts->diag and counted in files_failed; the return
** value is an error only when the case itself fails. */
TELLS_API tells_err tells_investigate(tells_case *c, const char *const *paths,
                                      size_t n_paths,
                                      const tells_investigate_opts *opts,
                                      tells_investigate_stats *st /* OUT */);

/* ---- Single pillars, for scripting ---------------------------------------- */
typedef struct tells_scan_opts {
  unsigned kinds;              /* bit (1 << tells_kind) per kind to report; 0 = all */
  const char *const *yara_paths;  /* YARA rules files or folders, or NULL */
  size_t n_yara_paths;
  tells_diag_fn diag;          void *diag_ud;
  const char *library_path;    /* reference library (tells lib), or NULL */
  unsigned threads;            /* files analysed at once; 0 = one per CPU the
                                  process may use (at most 16) */
} tells_scan_opts;

/* Analyses the files under `paths` without a case and writes one JSON
** object per file (path, hashes, kind, summary, the parser's description,
** indicators, findings, events, anomalies) as JSON lines on `out`. */
TELLS_API tells_err tells_scan_paths(const char *const *paths, size_t n_paths,
                                     const tells_scan_opts *opts, FILE *out,
                                     uint64_t *n_files /* OUT, may be NULL */);

/* The reference library of known samples (format: docs/library.md).
** tells_lib_add() records every PE and ELF file under `paths` (SHA-256, TLSH,
** imphash, Rich hash, RichPE hash, file name) with `family`, appending
** atomically to the file `library` (created if missing); other kinds of
** file are skipped silently, files already in it with this family with a
** note to `diag`.  A corrupt library is left unchanged: TELLS_ECORRUPT, and diag
** gets "LIBRARY:LINE: reason".  tells_lib_list() writes the entries as a
** text table or JSON lines. */
TELLS_API tells_err tells_lib_add(const char *library, const char *family,
                                  const char *const *paths, size_t n_paths,
                                  tells_diag_fn diag, void *diag_ud,
                                  uint64_t *n_added /* OUT, may be NULL */);
TELLS_API tells_err tells_lib_list(const char *library, int jsonl, FILE *out,
                                   tells_diag_fn diag, void *diag_ud,
                                   uint64_t *n_entries /* OUT, may be NULL */);

typedef struct tells_net_opts {
  uint32_t max_flows;          /* cap on live flows; 0 = default (262144) */
  tells_diag_fn diag;          void *diag_ud;
  const char *const *geoip_paths; /* .mmdb or tor-geoipdb files; NULL = the
                                  Debian defaults that exist (docs/eve.md) */
  size_t n_geoip_paths;
  int no_geoip;                /* no database: address scopes only */
  const char *const *detect_settings; /* "name=value" detection thresholds and
                                  "internal=CIDR" (docs/internals/net-detect.md) */
  size_t n_detect_settings;
  int no_detect;               /* flows only, no alerts */
  int dns_version;             /* EVE DNS layout: 2 (default) or 3 (docs/eve.md) */
  int community_id;            /* "community_id" on every record (Community ID v1) */
  uint16_t community_id_seed;
  int ipv6_compress;           /* IPv6 addresses compressed (RFC 5952), not padded */
  int http_headers;            /* http.request_headers (1), response_headers (2), both (3) */
} tells_net_opts;

/* Reads the captures under `paths` (files and folders, in walk order) as
** one continuous capture -- flows cross file boundaries -- and writes EVE
** JSON lines to `out`.  Per-file problems go to opts->diag. */
TELLS_API tells_err tells_net_eve(const char *const *paths, size_t n_paths,
                                  const tells_net_opts *opts, FILE *out,
                                  uint64_t *n_records /* OUT, may be NULL */);

/* Runs the Sigma rules under `rules` (n_rules may be 0) over the EVTX files
** under `paths` and writes one JSON line per detection (rule_id, rule_title,
** level, author, tags, the event's time, computer, channel, EventID and
** record), then one line per intrusion summary of all the files and a
** totals line (docs/logs-json.md).  Rules that fail to load go to `diag`
** with file, line and reason. */
TELLS_API tells_err tells_logs_detect(const char *const *paths, size_t n_paths,
                                      const char *const *rules, size_t n_rules,
                                      tells_diag_fn diag, void *diag_ud, FILE *out,
                                      uint64_t *n_hits /* OUT, may be NULL */);

/* Writes every record of the EVTX files under `paths` as one JSON line in
** the shape of evtx_dump's JSON output -- or, with count_only, decodes every
** record and writes one line per file with its record counts.  Anomalies go
** to `diag` as notes. */
TELLS_API tells_err tells_logs_dump(const char *const *paths, size_t n_paths,
                                    int count_only, tells_diag_fn diag, void *diag_ud,
                                    FILE *out, uint64_t *n_records /* OUT, may be NULL */);

/* ---- Reading a case ---------------------------------------------------- */
typedef enum tells_view {
  TELLS_VIEW_EVIDENCE, TELLS_VIEW_FINDINGS, TELLS_VIEW_TIMELINE,
  TELLS_VIEW_INDICATORS, TELLS_VIEW_ANOMALIES, TELLS_VIEW_FLOWS,
  TELLS_VIEW_ANSWERS   /* the answers to the case's questions (docs/answers.md) */
} tells_view;

/* Writes a view of the case to `out`, as JSON lines (jsonl != 0) or as an
** aligned text table. */
TELLS_API tells_err tells_case_show(tells_case *c, tells_view view, int jsonl,
                                    FILE *out);

/* Writes the self-contained HTML report of the case to `out`. */
TELLS_API tells_err tells_report_html(tells_case *c, FILE *out);

/* ---- Exports (docs/export.md) ------------------------------------------ */
typedef enum tells_export_format {
  TELLS_EXPORT_TIMESKETCH,     /* JSON lines for Timesketch */
  TELLS_EXPORT_STIX,           /* one STIX 2.1 bundle */
  TELLS_EXPORT_EVE,            /* flows and network alerts as EVE JSON lines */
  TELLS_EXPORT_CSV             /* RFC 4180 CSV of findings or timeline */
} tells_export_format;
typedef enum tells_export_what { TELLS_EXPORT_FINDINGS, TELLS_EXPORT_TIMELINE } tells_export_what;

/* Writes the case in `fmt` to `out`; `what` chooses the CSV table.  The
** output depends only on the case's content (no wall-clock time), in an
** order fixed by stable keys.  n_records counts lines or STIX objects. */
TELLS_API tells_err tells_export_case(tells_case *c, tells_export_format fmt,
                                      tells_export_what what, FILE *out,
                                      uint64_t *n_records /* OUT, may be NULL */);

#ifdef __cplusplus
}
#endif
#endif /* TELLS_H */
