/*
** evtx.h -- Windows XML Event Log (EVTX) reader: records, evtx_dump JSON,
** normalised events.
**
** The logs pillar reads EVTX files through this interface.  The caller maps
** the file read-only and hands the bytes to tells_evtx_open(); the reader
** walks the 64 KiB chunks in file order, checks their CRC-32s, decodes each
** record's Binary XML (templates, substitutions, nested fragments) into a
** small tree, and lets the caller render that record either as the JSON
** shape of the Rust evtx crate's `evtx_dump` or as a normalised event for
** the rule engine.  Malformed structures become anomalies (with absolute
** file offsets) in the caller's tells_anoms list; parsing carries on with
** the next record or chunk.  Layout of the format: docs/internals/evtx.md
** and the tables in evtx_int.h.
**
** Ownership: the input buffer must outlive the reader.  Everything a record
** points at (tree, strings in a tells_evtx_event) stays valid until the
** next call of tells_evtx_next() or tells_evtx_close().
*/
#ifndef TELLS_EVTX_H
#define TELLS_EVTX_H

#include <stddef.h>
#include <stdint.h>
/* relative paths, so fuzz/ and tools can include this header directly */
#include "../base/anom.h"
#include "../base/json.h"
#include "tells.h"

typedef struct tells_evtx tells_evtx;

/* One event record, filled by tells_evtx_next(). */
typedef struct tells_evtx_rec {
  uint64_t off;         /* absolute file offset of the record signature */
  uint64_t id;          /* record identifier (EventRecordID) */
  uint64_t written;     /* written time, FILETIME (100 ns ticks since 1601) */
  uint32_t size;        /* record size in bytes */
  uint32_t chunk;       /* index of the chunk holding it */
  int recovered;        /* 1: carved from outside the record list (chunk
                           slack, a damaged list, a chunk whose header is
                           unusable); carved records are returned only when
                           their Binary XML decodes fully */
  int broken;           /* 1: its Binary XML could not be fully decoded; the
                           tree holds what was decoded before the fault */
} tells_evtx_rec;

/* Counters over the whole file, readable at any time. */
typedef struct tells_evtx_stats {
  uint64_t chunks;          /* chunks with a valid signature */
  uint64_t chunks_skipped;  /* header unusable: bad signature (the body is
                               still carved, records flagged recovered) or
                               truncated header */
  uint64_t chunks_empty;    /* all-zero chunks */
  uint64_t chunks_bad_crc;  /* header or records CRC-32 mismatch */
  uint64_t records;         /* records returned, recovered included */
  uint64_t records_broken;  /* records returned with broken = 1 */
  uint64_t records_recovered;
  uint64_t templates;       /* template definitions decoded */
  uint64_t carve_rejected;  /* record-like structures outside the record
                               list not returned: Binary XML not decodable
                               (templates or names overwritten) or an
                               implausible written time */
  uint64_t carve_duplicates;/* carved records not returned because they are
                               byte-identical to a live record of the file */
} tells_evtx_stats;

/* Opens a reader over buf[0..len).  Problems with the file header are
** anomalies, not errors: the reader still scans for chunks.  `an` may be
** NULL (anomalies are then only counted internally).  Returns TELLS_ENOMEM,
** TELLS_EARG, or TELLS_EUNSUP when no chunk can possibly be present. */
tells_err tells_evtx_open(const uint8_t *buf, size_t len, tells_anoms *an,
                          tells_evtx **out /* OUT */);
void tells_evtx_close(tells_evtx *x);

/* Optional hint: the holes of the input (sparse files), `n` pairs
** (offset, length) sorted by offset, as map.h records them.  A chunk lying
** wholly inside one reads as zeros, so it is counted in chunks_empty without
** being read (no page faults of a mapping); every other chunk is read as
** without the hint.  The array must outlive the reader; call before the
** first tells_evtx_next(). */
void tells_evtx_set_holes(tells_evtx *x, const uint64_t *ranges, size_t n);

/* Template cache, shared by the readers of one run (one thread at a time):
** definitions compiled once are reused by the chunks and files that hold
** them again, with the same records, events and anomalies as without it
** (evtx_int.h).  Bounded (EVTX_TC_BYTES); NULL when out of memory. */
typedef struct tells_evtx_tcache tells_evtx_tcache;
tells_evtx_tcache *tells_evtx_tcache_new(void);
void tells_evtx_tcache_free(tells_evtx_tcache *tc);
/* Definitions taken from the cache, and added to it, so far. */
uint64_t tells_evtx_tcache_hits(const tells_evtx_tcache *tc);
uint64_t tells_evtx_tcache_adds(const tells_evtx_tcache *tc);
/* Attaches tc (which must outlive the reader; NULL detaches); call before
** the first tells_evtx_next(). */
void tells_evtx_set_tcache(tells_evtx *x, tells_evtx_tcache *tc);

/* Decodes the next record in file order into *out.  Returns 1 for a record,
** 0 at the end of the file, or a negative tells_err on a fatal error (out
** of memory).  Records whose Binary XML is damaged are still returned, with
** `broken` set and an anomaly recorded. */
int tells_evtx_next(tells_evtx *x, tells_evtx_rec *out /* OUT */);

const tells_evtx_stats *tells_evtx_stats_get(const tells_evtx *x);

/* Writes the last record returned by tells_evtx_next() as one JSON object in
** the shape of evtx_dump's JSON output ({"Event": {"#attributes": ...,
** "System": {...}, "EventData": {...}}}).  No trailing newline. */
tells_err tells_evtx_rec_json(tells_evtx *x, tells_json *j);

/* Writes the last record as XML text (as evtx_dump -o xml, without the XML
** declaration), into b.  For debugging and the docs. */
tells_err tells_evtx_rec_xml(tells_evtx *x, tells_buf *b);

/* A named field of EventData or UserData. */
typedef struct tells_evtx_field {
  const char *name;     /* Data Name attribute, or the element name */
  const char *value;    /* value as text (NUL-terminated) */
  uint32_t name_len, value_len;
} tells_evtx_field;

/* The normalised event the rule engine and the case consume.  Strings are
** NUL-terminated UTF-8, "" when absent, owned by the reader. */
typedef struct tells_evtx_event {
  uint64_t record_id;        /* System/EventRecordID, else the record header's */
  int64_t time;              /* System/TimeCreated, 100 ns ticks since
                                1970-01-01 UTC (INT64_MIN if absent) */
  uint32_t event_id;         /* System/EventID */
  uint32_t qualifiers;       /* EventID Qualifiers attribute, 0 if absent */
  uint32_t level, task, opcode, version;
  uint32_t pid, tid;         /* System/Execution */
  const char *channel;       /* System/Channel */
  const char *provider;      /* System/Provider Name */
  const char *provider_guid; /* System/Provider Guid */
  const char *computer;      /* System/Computer */
  const char *user_sid;      /* System/Security UserID */
  const char *keywords;      /* System/Keywords, "0x..." */
  tells_evtx_field *fields;  /* EventData Data by Name; UserData leaves by name */
  size_t n_fields;
  int user_data;             /* 1 when fields came from UserData */
} tells_evtx_event;

/* Fills *ev from the last record.  Cheap: one walk over the record tree. */
tells_err tells_evtx_rec_event(tells_evtx *x, tells_evtx_event *ev /* OUT */);

/* Field lookup by exact name; NULL if absent. */
const char *tells_evtx_event_field(const tells_evtx_event *ev, const char *name);

#endif
