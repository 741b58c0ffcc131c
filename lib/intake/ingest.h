/*
** ingest.h -- what a scanner sees while it analyses one evidence file, and
** the sink its results go to.
**
** Intake identifies a file, maps it, and hands a tells_ingest to the scanner
** registered for its kind (kinds.c).  The scanner reads the bytes through
** bounded cursors, records anomalies, and sends artifacts, indicators,
** findings and events to the sink: the case store during `tells
** investigate`, a JSON writer for the single-pillar commands and the
** fuzzers.  As it moves through the file it calls tells_ingest_advance(), so
** the chain-of-custody hashes are computed over bytes that are already in
** cache: one pass for both.
*/
#ifndef TELLS_INGEST_H
#define TELLS_INGEST_H

#include <stdint.h>
#include "anom.h"
#include "arena.h"
#include "buf.h"
#include "hash.h"
#include "tells.h"

#define TELLS_NO_TIME INT64_MIN
#define TELLS_NO_REF  (-1)

typedef struct tells_finding {
  const char *source;      /* "intake", "code", "net", "logs", "correlate" */
  const char *rule;        /* stable rule identifier */
  const char *title;
  const char *severity;    /* "info", "low", "medium", "high", "critical" */
  const char *technique;   /* ATT&CK technique id, or NULL */
  const char *tactic;      /* ATT&CK tactic short name, or NULL */
  const char *summary;     /* one sentence with the figures behind it */
  const char *author;      /* rule author (Sigma/YARA licences), or NULL */
  int64_t first_ns, last_ns;        /* TELLS_NO_TIME when unknown */
  int64_t ref_offset, ref_record;   /* TELLS_NO_REF when not applicable */
  const char *details_json;         /* a JSON object, or NULL */
} tells_finding;

typedef struct tells_event {
  int64_t time_ns;
  const char *source;      /* pillar */
  const char *kind;        /* e.g. "pe.compiled", "capture.start" */
  const char *summary;
  int64_t ref_offset, ref_record;
  const char *details_json;
} tells_event;

/* A network flow as the case stores it (fields named as in EVE). */
typedef struct tells_flow_row {
  int64_t first_ns, last_ns;
  const char *proto, *app_proto;          /* "TCP"...; app_proto may be NULL */
  const char *src_ip, *dest_ip;           /* client, server */
  int src_port, dest_port;                /* -1 when the protocol has none */
  uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
  const char *state;
  const char *eve_json;                   /* the whole EVE flow record */
} tells_flow_row;

typedef struct tells_sink {
  void *ud;
  /* The structured result of a parser (PE, ELF, capture...), as JSON. */
  tells_err (*artifact)(void *ud, const char *kind, const char *json);
  /* One sighting: seen `count` times in this file between time_ns and
  ** last_ns, first at ref_offset. */
  tells_err (*indicator)(void *ud, const char *type, const char *value,
                         int64_t time_ns, int64_t last_ns, uint64_t count,
                         const char *context, int64_t ref_offset);
  tells_err (*finding)(void *ud, const tells_finding *f);
  tells_err (*event)(void *ud, const tells_event *e);
  tells_err (*flow)(void *ud, const tells_flow_row *f);
} tells_sink;

typedef struct tells_ingest {
  const char *path;          /* evidence path, or NULL for a bare buffer */
  const uint8_t *buf;        /* the whole file, read-only (not owned) */
  size_t len;
  tells_kind kind;
  tells_arena arena;         /* freed when the file is done */
  tells_anoms anoms;
  tells_hash *hash;          /* NULL when not hashing; not owned */
  size_t hashed;             /* prefix of buf already hashed */
  int64_t first_ns, last_ns; /* time span of the evidence content */
  tells_buf summary;         /* JSON members (no braces) for the evidence row */
  const tells_sink *sink;
  tells_err sink_err;        /* first sink failure; fatal for the file */
  struct tells_yara_scanner *yara;  /* YARA scanner of the run, or NULL */
  const struct tells_yara_result *yara_pre;  /* the hits of a scan made ahead of
                                   the file's turn (investigate's YARA
                                   workers), used instead of scanning, or NULL */
  tells_err yara_pre_err;       /* what that scan returned */
  uint64_t yara_hits;        /* hits recorded for this file */
  struct tells_sigma_ruleset *sigma;  /* Sigma rules of the run, or NULL */
  struct tells_evtx_tcache *evtx_tc;  /* EVTX template cache of the run, or NULL */
  struct tells_sight *sight; /* sightings gathered for this file (owned) */
  uint32_t n_sight, cap_sight;
  uint64_t sight_seq;           /* order of first sightings (flush sends in it) */
  int64_t run_time_s;           /* the run's one wall-clock stamp (UTC seconds), the
                                   "now" that future timestamps are judged against;
                                   0: the scanner takes the time itself */
  uint64_t sigma_hits;
  const struct tells_codelib *library;  /* reference library of the run, or NULL */
  char tlsh[TELLS_TLSH_STRMAX];  /* TLSH of a PE/ELF (code scanners); "" if none */
  tells_hash *tlsh_from;     /* hash that computes the TLSH (TELLS_HASH_TLSH),
                                or NULL: the code scanners compute it */
  tells_hasher *tlsh_wait;   /* worker feeding tlsh_from, or NULL (inline) */
  tells_hash_job *tlsh_job;  /* the job of tlsh_wait feeding tlsh_from, or NULL:
                                wait for the whole queue */
  struct tells_drop *drop;   /* buf is a mapping whose pages are released
                                behind the scanner (drop.h), or NULL */
  const uint64_t *holes;     /* holes of buf, pairs (offset, length) sorted
                                (tells_map.holes), or NULL; not owned */
  size_t n_holes;
} tells_ingest;

typedef tells_err (*tells_scan_fn)(tells_ingest *ig);

void tells_ingest_init(tells_ingest *ig, const char *path, const uint8_t *buf,
                       size_t len, tells_kind kind, tells_hash *hash,
                       const tells_sink *sink);
void tells_ingest_free(tells_ingest *ig);

/* Hashes the bytes up to `off` (called by scanners as they advance). */
void tells_ingest_advance(tells_ingest *ig, size_t off);
/* Widens the content time span with a timestamp seen in the evidence. */
void tells_ingest_time(tells_ingest *ig, int64_t ns);

/* Sink helpers: remember the first failure, ignore later calls.
** Indicators are gathered per (type, value, context) while the file is
** scanned and reach the sink as one sighting each -- first and last time,
** count, first offset -- when tells_ingest_flush() runs (tells_ingest_run
** calls it; call it again after adding indicators later).  The value is
** copied; type and context are kept as given until then (contexts are told
** apart by address), so they must be static text or live in ig->arena. */
void tells_ingest_indicator(tells_ingest *ig, const char *type, const char *value,
                            int64_t time_ns, const char *context, int64_t off);
void tells_ingest_finding(tells_ingest *ig, const tells_finding *f);
void tells_ingest_event(tells_ingest *ig, const tells_event *e);
void tells_ingest_artifact(tells_ingest *ig, const char *kind, const char *json);
void tells_ingest_flow(tells_ingest *ig, const tells_flow_row *f);
void tells_ingest_flush(tells_ingest *ig);

/* Runs the scanner of ig->kind, then the checks common to all kinds, and
** hashes whatever the scanner did not reach.  Returns a sink error; parse
** problems are anomalies, not errors. */
tells_err tells_ingest_run(tells_ingest *ig);
/* The same in two steps: the kind's scanner, then YARA (ig->yara, which may
** be set in between), the common checks and the hashes.  tells_scan_paths
** scans files while the rules still compile and finishes them after. */
tells_err tells_ingest_scan(tells_ingest *ig);
tells_err tells_ingest_finish(tells_ingest *ig);
/* Whether YARA rules look at a file of this kind and length. */
int tells_ingest_yara_applies(tells_kind kind, size_t len);

/* The scanner registered for a kind, or NULL. */
tells_scan_fn tells_kind_scanner(tells_kind kind);

#endif
