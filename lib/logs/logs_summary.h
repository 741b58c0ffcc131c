/*
** logs_summary.h -- intrusion summaries from Windows event logs.
**
** The aggregator reads normalised EVTX events (evtx.h), from one or many
** files, in any order, and keeps what an investigator reads first, grouped:
** logons (4624, 4625, 4771, 4776 failures) by account, logon type, source
** address, source workstation and host; bursts of failed logons per account
** and per source (brute force, T1110); new services (7045, 4697); scheduled
** tasks (4698/4699/4702, TaskScheduler 106/140/141/200); cleared logs (1102,
** 104); account and group changes; RDP sessions (4624/4625 logon type 10,
** RemoteConnectionManager 1149, LocalSessionManager 21/22/24/25); PowerShell
** script blocks (4104) reassembled by ScriptBlockId; file deletions (Sysmon
** 23/26) per host and image, with a wiper signal (T1485) above a threshold.
**
** Memory is bounded by tells_lsum_caps: past a cap, records are counted as
** dropped (tells_lsum_stats) instead of kept.  The JSON records are
** documented in docs/logs-json.md.
**
** Life cycle:
**   tells_lsum_create(NULL, &s);
**   tells_lsum_file(s, path);                 (before each file's records)
**   tells_lsum_add(s, &ev, t_ns, off);        (every record)
**   tells_lsum_each(s, fn, ud);               (the summaries, in type order)
**   tells_lsum_destroy(s);
*/
#ifndef TELLS_LOGS_SUMMARY_H
#define TELLS_LOGS_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include "evtx.h"

/* Failed logons: at least BURST_MIN within BURST_NS for one account or one
** source is a brute-force finding (T1110). */
#define TELLS_LSUM_BURST_MIN 10
#define TELLS_LSUM_BURST_NS  (5 * 60 * INT64_C(1000000000))
/* File deletions: at least WIPE_MIN within WIPE_NS by one image on one host
** is a wiper signal (T1485, Data Destruction). */
#define TELLS_LSUM_WIPE_MIN  100
#define TELLS_LSUM_WIPE_NS   (10 * 60 * INT64_C(1000000000))

typedef enum tells_lsum_type {
  TELLS_LSUM_LOGON = 0, TELLS_LSUM_LOGON_BURST, TELLS_LSUM_SERVICE, TELLS_LSUM_TASK,
  TELLS_LSUM_LOG_CLEAR, TELLS_LSUM_ACCOUNT_CHANGE, TELLS_LSUM_RDP_SESSION,
  TELLS_LSUM_SCRIPT_BLOCK, TELLS_LSUM_MASS_DELETION,
  TELLS_LSUM_NTYPES
} tells_lsum_type;

/* Caps; a zero member takes the default. */
typedef struct tells_lsum_caps {
  uint32_t groups;        /* groups kept per summary type (10000); failure
                             trackers for bursts count as their own type */
  size_t script_bytes;    /* text kept per script block (1 MiB) */
  size_t script_total;    /* text kept over all script blocks (64 MiB) */
  uint32_t script_parts;  /* largest MessageTotal accepted (100000) */
  uint32_t times;         /* timestamps kept for burst and wiper windows,
                             over all groups (1M, 8 MiB) */
  size_t strings;         /* bytes for group names and values (64 MiB) */
} tells_lsum_caps;

typedef struct tells_lsum_stats {
  uint64_t records;                    /* records given to tells_lsum_add */
  uint64_t used;                       /* of which summarised */
  uint64_t groups[TELLS_LSUM_NTYPES];  /* groups held */
  uint64_t dropped[TELLS_LSUM_NTYPES]; /* records not kept: group cap or string cap */
  uint64_t times_dropped;              /* timestamps not kept (times cap) */
  uint64_t script_bytes_dropped;       /* script text not kept (byte caps) */
  uint64_t script_parts_bad;           /* parts with a number outside 1..total,
                                          a total over the cap, or a total
                                          differing from the block's first */
} tells_lsum_stats;

/* One summary, as handed to the tells_lsum_each() callback.  All pointers
** are borrowed for the duration of the call. */
typedef struct tells_lsum_item {
  tells_lsum_type type;
  const char *name;          /* "logon", "logon_burst", ... (the `summary` key) */
  const char *json;          /* the JSON object, one line, no newline */
  size_t json_len;
  const char *text;          /* one sentence for a timeline */
  int64_t first_ns, last_ns; /* INT64_MIN when unknown */
  const char *evidence;      /* file of the first record, or NULL */
  int64_t offset, record;    /* of the first record */
  /* when the summary is a finding, else NULL: */
  const char *rule, *title, *severity, *technique, *tactic;
} tells_lsum_item;

/* Return nonzero to stop. */
typedef int (*tells_lsum_fn)(void *ud, const tells_lsum_item *it);
/* Accounts, source addresses and host names met in logons and RDP
** sessions; type is "account", "ip" or "host". */
typedef void (*tells_lsum_indicator_fn)(void *ud, const char *type, const char *value,
                                        int64_t t_ns, const char *context, int64_t off);

typedef struct tells_lsum tells_lsum;

tells_err tells_lsum_create(const tells_lsum_caps *caps /* NULL: defaults */,
                            tells_lsum **out /* OUT */);
void tells_lsum_destroy(tells_lsum *s);
void tells_lsum_set_indicator_fn(tells_lsum *s, tells_lsum_indicator_fn fn, void *ud);

/* Names the file the next records come from (copied). */
tells_err tells_lsum_file(tells_lsum *s, const char *evidence);

/* Takes one record: `t_ns` is its time (INT64_MIN if unknown), `off` its
** file offset.  Returns TELLS_ENOMEM only; caps are counted, not errors. */
tells_err tells_lsum_add(tells_lsum *s, const tells_evtx_event *ev, int64_t t_ns, int64_t off);

/* Completes the summaries (bursts, reassembly, windows) and calls `fn` for
** each, type by type in enum order, groups in the order first met.  May be
** called more than once.  Returns TELLS_ENOMEM or TELLS_OK. */
tells_err tells_lsum_each(tells_lsum *s, tells_lsum_fn fn, void *ud);

const tells_lsum_stats *tells_lsum_stats_get(const tells_lsum *s);

/* Writes the stats as one JSON object {"summary":"totals", ...}. */
void tells_lsum_stats_json(const tells_lsum *s, tells_json *j);

#endif
