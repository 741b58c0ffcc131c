/*
** detect.h -- detections over the flows (and DNS queries) of a run:
** exfiltration, beaconing, lateral movement, scanning and DNS tunnelling.
**
** Each emitted flow is folded into bounded aggregate tables (per internal
** and external host pair, per source, per base domain); at the end of the
** run tells_detect_finish() evaluates them and reports each detection as an
** alert carrying its ATT&CK technique, its figures and sample flows as
** evidence.  Thresholds and caps are in tells_detect_opts; their defaults
** and the reasons for them are in docs/internals/net-detect.md.  When a
** table is full, the entry furthest from a detection is evicted (sampled,
** see tells__dtab) and counted; tells_detect_note() says so.  Memory stays
** under tells_detect_mem_bound() (128 MB by default) whatever the input.
*/
#ifndef TELLS_NET_DETECT_H
#define TELLS_NET_DETECT_H

#include <stddef.h>
#include <stdint.h>
#include "app.h"
#include "flow.h"
#include "geo.h"
#include "tells.h"

#define TELLS_DETECT_MAX_NETS 32
#define TELLS_DETECT_EVIDENCE 16      /* sample flows kept per aggregate */

typedef struct tells_detect_net { uint8_t l3, bits, ip[16]; } tells_detect_net;

typedef struct tells_detect_opts {
  /* exfiltration: per (internal, external) host pair over the run */
  uint64_t exfil_bytes;         /* outbound bytes at least (100 MB) */
  double exfil_ratio;           /* outbound / inbound at least (10) */
  /* beaconing: internal client -> one external server:port */
  uint32_t beacon_min_conns;    /* connections at least (8) */
  double beacon_max_cv;         /* interval stddev / mean at most (0.2) */
  double beacon_min_period;     /* mean interval, seconds, at least (10) */
  /* lateral movement: internal -> internal admin services */
  uint32_t lateral_min_hosts;   /* distinct answering hosts at least (10) */
  /* scanning: one source, TCP */
  uint32_t scan_min_hosts;      /* distinct hosts at least (25), or */
  uint32_t scan_min_ports;      /* distinct ports on one host at least (50) */
  double scan_min_failed;       /* failed share of those attempts (0.6) */
  /* DNS tunnelling: per base domain */
  uint32_t dns_min_queries;     /* queries at least (40) */
  uint32_t dns_min_unique;      /* distinct names at least (30) */
  uint32_t dns_min_len;         /* subdomain characters for "long" (24) */
  double dns_min_entropy;       /* bits per character for "random" (3.3) */
  double dns_min_share;         /* long random share of the queries (0.5) */
  /* caps: sized so that all detector state stays under memory_mb (128);
  ** "memory_mb=N" scales every cap below but max_times (see
  ** docs/internals/net-detect.md for the table of sizes) */
  uint32_t max_pairs;           /* host pairs tracked (65536) */
  uint32_t max_sources;         /* sources tracked (32768) */
  uint32_t max_hosts;           /* source-host pairs (262144) */
  uint32_t max_targets;         /* (source, host, port) triples (524288) */
  uint32_t max_domains;         /* base domains (16384) */
  uint32_t max_names;           /* distinct query names (262144) */
  uint32_t max_times;           /* connection times kept per pair (256) */
  uint32_t max_times_total;     /* connection times kept in all (1048576) */
  uint32_t max_evidence;        /* sample flows kept in all (262144) */
  uint32_t memory_mb;           /* the budget the caps were sized for (128) */
  /* internal networks; none given = RFC 1918 + ULA */
  tells_detect_net nets[TELLS_DETECT_MAX_NETS];
  uint32_t n_nets;
} tells_detect_opts;

void tells_detect_opts_default(tells_detect_opts *o /* OUT */);
/* Sets one option from "name=value" (names as the fields above, e.g.
** "exfil_bytes=50000000", "internal=10.0.0.0/8" adds an internal network).
** TELLS_EARG with a reason in err. */
tells_err tells_detect_opts_set(tells_detect_opts *o, const char *setting, char *err,
                                size_t errlen);

typedef struct tells_detect_ref {   /* one evidence flow */
  uint64_t flow_id;
  uint16_t sport, dport;
  int64_t first_ns;
  uint64_t bytes_out, bytes_in;
} tells_detect_ref;

typedef struct tells_detect_alert {
  const char *rule;             /* "net.exfil", "net.beacon", "net.lateral", ... */
  const char *signature;        /* EVE alert.signature */
  const char *category;         /* EVE alert.category */
  int severity;                 /* EVE 1 (high) .. 3 (low) */
  const char *level;            /* finding severity: "high", "medium", "low" */
  const char *technique, *tactic;
  uint8_t l3, proto;
  uint8_t src[16], dst[16];     /* dst all zero when many destinations */
  int has_dst;
  uint16_t dport;               /* 0 when not one port */
  int64_t first_ns, last_ns;
  const char *summary;          /* one sentence with the figures */
  const char *details_json;     /* {"figures": {...}, "flows": [...]} */
  const tells_detect_ref *flows;
  size_t n_flows;
} tells_detect_alert;

typedef void (*tells_detect_fn)(void *ud, const tells_detect_alert *a);

typedef struct tells_detect tells_detect;

/* `geo` (may be NULL) gives countries for the figures; not owned. */
tells_err tells_detect_new(const tells_detect_opts *o, tells_geo_cache *geo,
                           tells_detect **out /* OUT */);
void tells_detect_free(tells_detect *d);
/* Folds one finished flow in. */
void tells_detect_flow(tells_detect *d, const tells_flow *f);
/* Folds one DNS query in: the client's address, the query name (text,
** dot-separated), its type (16 TXT, 10 NULL, ...) and time. */
void tells_detect_dns(tells_detect *d, uint8_t l3, const uint8_t client[16], const char *qname,
                      uint16_t qtype, int64_t ts_ns);
/* Folds one HTTP body in (an executable downloaded over plain HTTP from an
** external server to an internal client is a detection, detect_http.c). */
void tells_detect_http_file(tells_detect *d, const tells_flow *f, const tells_app_file *file,
                            int64_t ts_ns);
/* Evaluates the tables and calls fn once per detection; returns how many. */
uint32_t tells_detect_finish(tells_detect *d, tells_detect_fn fn, void *ud);
/* Keys evicted from full tables, plus connection times and sample flows
** not kept because their pools were full. */
uint64_t tells_detect_dropped(const tells_detect *d);
/* When a cap was reached: one line saying which tables evicted how many
** entries (and how), what was not kept, and the peak memory against the
** bound; returns its length, 0 (and "") when no cap was reached. */
size_t tells_detect_note(const tells_detect *d, char *buf, size_t n);
/* The most memory, in bytes, the detectors can hold under these caps, and
** the most a detector has held so far. */
size_t tells_detect_mem_bound(const tells_detect_opts *o);
size_t tells_detect_mem_peak(const tells_detect *d);
/* Whether an address is internal under the options. */
int tells_detect_internal(const tells_detect_opts *o, uint8_t l3, const uint8_t ip[16]);

/* ---- internal: memory account, tables and evidence pool (detect_tab.c) ---- */
typedef struct tells__dmem { size_t cur, peak; } tells__dmem;   /* bytes the detectors hold */
void *tells__dmem_calloc(tells__dmem *m, size_t count, size_t size);
void *tells__dmem_realloc(tells__dmem *m, void *p, size_t old, size_t size);
void tells__dmem_free(tells__dmem *m, void *p, size_t size);

/* Eviction policy of a full table: the entry least worth keeping among
** DTAB_SAMPLES sampled ones goes -- the lowest weight (the progress towards
** the nearest detection), the least recently used among equals.  on_evict
** (may be NULL) releases what the value owns before the entry is reused. */
typedef double (*tells__dtab_weight_fn)(void *ud, const void *key, const void *val);
typedef void (*tells__dtab_evict_fn)(void *ud, const void *key, void *val);

typedef struct tells__dtab {
  uint64_t *slots;              /* cap slots: 0 empty, else the hash's high
                                   half << 32 | entry number + 1 */
  uint8_t **blk;                /* entries in blocks of per_blk: header (last
                                   use; values of <= 4 bytes), key, value */
  size_t ksize, vsize, esize, voff;
  uint32_t cap, n, max, nblk, cblk, per_blk, clock;
  uint64_t evicted, rng;
  tells__dtab_weight_fn weight;
  tells__dtab_evict_fn on_evict;
  void *ud;
  tells__dmem *mem;             /* not owned; may be NULL */
} tells__dtab;
void tells__dtab_init(tells__dtab *t, size_t ksize, size_t vsize, uint32_t max, tells__dmem *mem);
void tells__dtab_policy(tells__dtab *t, tells__dtab_weight_fn weight, tells__dtab_evict_fn on_evict,
                        void *ud);
void tells__dtab_free(tells__dtab *t);
/* The value of `key` (ksize bytes), created zeroed when absent (*created
** set; a full table evicts an entry for it); NULL when absent and not
** created, or out of memory. */
void *tells__dtab_get(tells__dtab *t, const void *key, int create, int *created);
/* Slot i's key and value, or NULL when empty (i < t->cap). */
const void *tells__dtab_key(const tells__dtab *t, uint32_t i);
void *tells__dtab_val(const tells__dtab *t, uint32_t i);
/* Bytes a table of `max` entries of these sizes holds at most. */
size_t tells__dtab_bound(size_t ksize, size_t vsize, uint32_t max);

/* Evidence: sample flows of the aggregates, in chunks of a shared pool of
** at most max refs; a list keeps its first TELLS_DETECT_EVIDENCE flows, or
** fewer when the pool ran out (then it stops, and the loss is counted). */
typedef struct tells__devlist { uint32_t head, tail; uint8_t n, capped, pad[2]; } tells__devlist;
typedef struct tells__dev {
  uint8_t **blk;                /* chunks in blocks */
  uint32_t n, max, nblk, cblk, free;   /* chunks made, cap; free list head + 1 */
  uint64_t dropped;             /* refs not kept: the pool was full */
  tells__dmem *mem;
} tells__dev;
void tells__dev_init(tells__dev *p, uint32_t max_refs, tells__dmem *mem);
void tells__dev_free(tells__dev *p);
void tells__dev_add(tells__dev *p, tells__devlist *l, const tells_detect_ref *r,
                    const uint8_t *dst /* 16 bytes, may be NULL */);
void tells__dev_release(tells__dev *p, tells__devlist *l);
/* Copies a list out (at most TELLS_DETECT_EVIDENCE); returns its length. */
uint32_t tells__dev_get(const tells__dev *p, const tells__devlist *l, tells_detect_ref *out,
                        uint8_t (*dst)[16] /* may be NULL */);
size_t tells__dev_bound(uint32_t max_refs);

/* ---- internal: the DNS half (detect_dns.c) ---- */
typedef struct tells__ddns tells__ddns;
tells__ddns *tells__ddns_new(const tells_detect_opts *o, tells__dmem *mem);
void tells__ddns_free(tells__ddns *x);
void tells__ddns_query(tells__ddns *x, uint8_t l3, const uint8_t client[16], const char *qname,
                       uint16_t qtype, int64_t ts_ns);
uint32_t tells__ddns_finish(tells__ddns *x, tells_detect_fn fn, void *ud);
/* Entries evicted from the domains and the names tables. */
void tells__ddns_evicted(const tells__ddns *x, uint64_t *domains, uint64_t *names);
size_t tells__ddns_bound(const tells_detect_opts *o);
/* Shannon entropy in bits per character, and the base domain of a name
** (the last two labels, three under a ccTLD's co/com/net/org/... ). */
double tells__ddns_entropy(const char *s, size_t n);
size_t tells__ddns_base(const char *name, size_t n);   /* offset of the base */

/* ---- internal: the HTTP downloads half (detect_http.c) ---- */
typedef struct tells__dhttp tells__dhttp;
tells__dhttp *tells__dhttp_new(const tells_detect_opts *o, tells__dmem *mem);
void tells__dhttp_free(tells__dhttp *x);
void tells__dhttp_file(tells__dhttp *x, const tells_flow *f, const tells_app_file *file,
                       int64_t ts_ns);
uint32_t tells__dhttp_finish(tells__dhttp *x, tells_detect_fn fn, void *ud);
uint64_t tells__dhttp_dropped(const tells__dhttp *x);
size_t tells__dhttp_bound(void);
/* Whether a body's kind (app_http.c's magic) or Content-Type is an executable. */
int tells__dhttp_is_exe(const char *magic, const char *ctype);

#endif
