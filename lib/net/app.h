/*
** app.h -- application-layer dispatcher: picks a protocol parser for each
** flow by content (ports are hints), feeds it reassembled TCP streams
** (reasm.h) or UDP datagrams, and passes the records it produces (EVE
** "dns", "http", "tls", "ssh", "smb" events) to a callback.
**
** Parser state lives in flow->app from the first payload until the flow is
** emitted (tells_app_flow_end).  A flow whose first payload matches no
** parser gets a shared marker and costs nothing more.  Memory is accounted
** over all flows: parser state, stream buffers and held segments stay
** under the context's cap; past it new flows are not parsed (counted).
**
** Adding a protocol: write app_NAME.c defining a tells_app_parser and list
** it in the parser table at the top of app.c.
*/
#ifndef TELLS_NET_APP_H
#define TELLS_NET_APP_H

#include <stddef.h>
#include <stdint.h>
#include "decode.h"
#include "flow.h"
#include "json.h"
#include "reasm.h"

typedef struct tells_app_ctx tells_app_ctx;
typedef struct tells_app_flow tells_app_flow;
typedef struct tells_app_parser tells_app_parser;

/* One application record, valid during the callback only. */
typedef struct tells_app_rec {
  const tells_app_parser *parser;
  const char *event_type;      /* "dns", "http", "tls", "ssh" */
  int64_t ts_ns;               /* time of the packet that completed it */
  uint64_t off;                /* file offset of that packet (as given) */
  int from_server;             /* written with the server as src (DNS v3 responses) */
  uint64_t pkt_no;             /* 1-based number of that packet in the run; 0 at flow end */
  int64_t tx_id;               /* transaction number in the flow, -1: none written */
  const void *data;            /* parser's record, read by parser->eve */
} tells_app_rec;

typedef void (*tells_app_rec_fn)(void *ud, const tells_flow *f, const tells_app_rec *r);
/* Indicator of a record: type ("domain", "url", "user_agent", "ja3", ...),
** value and a static context text. */
typedef void (*tells_app_ind_fn)(void *ud, const char *type, const char *value,
                                 const char *context);

/* Parser results */
#define TELLS_APP_MORE 0               /* needs more bytes */
#define TELLS_APP_STOP ((size_t)-1)    /* wants nothing more of this direction */

/* Probe results */
#define TELLS_APP_NO 0
#define TELLS_APP_YES 1
#define TELLS_APP_YES_REVERSED 2       /* and the sender is the server */
#define TELLS_APP_YES_BY_PORT 3        /* and the server is the side on the parser's port */

struct tells_app_parser {
  const char *name;            /* app_proto value */
  const char *event_type;
  uint16_t port;               /* well-known port (hint) */
  uint8_t tcp, udp;            /* transports it parses */
  size_t state_size;           /* zeroed block given to the callbacks */
  size_t max_msg;              /* longest message buffered per direction */
  /* Content probe on the first payload bytes; `port_hint` says the flow
  ** uses the parser's port.  TELLS_APP_NO / _YES / _YES_REVERSED. */
  int (*probe)(const uint8_t *p, size_t n, int to_server, int tcp, int port_hint);
  /* Stream (TCP) or datagram (UDP, whole payload): returns bytes consumed,
  ** TELLS_APP_MORE or TELLS_APP_STOP. */
  size_t (*parse)(tells_app_flow *af, void *st, int dir, const uint8_t *p, size_t n);
  /* Bytes were lost before the next ones (TCP); may be NULL. */
  void (*gap)(tells_app_flow *af, void *st, int dir);
  /* End of flow: emit pending records; may be NULL. */
  void (*end)(tells_app_flow *af, void *st);
  /* Frees memory the state owns; may be NULL. */
  void (*fini)(tells_app_flow *af, void *st);
  /* Writes the protocol member of an EVE record ("dns": {...}). */
  void (*eve)(tells_json *j, const void *rec);
  /* Lists the indicators of a record; may be NULL. */
  void (*indicators)(const void *rec, tells_app_ind_fn fn, void *ud);
};

struct tells_anoms;
typedef struct tells_app_opts {
  size_t mem_cap;              /* bytes for all flows (default 256 MiB) */
  int dns_version;             /* EVE DNS layout 2 (default) or 3 */
  int http_headers;            /* HTTP header arrays: 1 request, 2 response, 3 both */
  struct tells_anoms *anoms;   /* parsers' anomalies go here (NULL: counted only) */
} tells_app_opts;

typedef struct tells_app_stats {
  uint64_t flows_parsed, flows_unknown, flows_over_cap, records, anomalies;
  size_t mem_used, mem_peak;
  tells_reasm_pool reasm;
} tells_app_stats;

tells_err tells_app_create(const tells_app_opts *o, tells_app_rec_fn fn, void *ud,
                           tells_app_ctx **out /* OUT */);
void tells_app_destroy(tells_app_ctx *c);
/* One decoded packet of flow f (from tells_flow_packet); `to_server` may
** be flipped when the parser finds that the first packet came from the
** server (as Suricata does for DNS).  `off` is the packet's file offset. */
void tells_app_packet(tells_app_ctx *c, tells_flow *f, const tells_dec *d, int *to_server,
                      int64_t ts_ns, uint64_t off);
/* The flow is being emitted: flush held bytes, emit pending records, free
** the state and clear f->app. */
void tells_app_flow_end(tells_app_ctx *c, tells_flow *f);
void tells_app_get_stats(const tells_app_ctx *c, tells_app_stats *st);
/* Counts one packet read (any packet, flow or not): records carry the number
** of the packet that completed them as EVE's `pcap_cnt`. */
void tells_app_tick(tells_app_ctx *c);
/* Writes the members every application record has after the EVE head:
** `pcap_cnt` (when emitted by a packet) and `tx_id` (when the parser numbers
** transactions). */
void tells_app_rec_head(tells_json *j, const tells_app_rec *r);

/* For parsers */
/* Emits a record; ts_ns = TELLS_APP_NOW takes the current packet's time. */
#define TELLS_APP_NOW INT64_MIN
void tells_app_emit(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server);
/* The same with the record's transaction number (EVE's top-level tx_id). */
void tells_app_emit_tx(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server,
                       int64_t tx_id);
/* The same with another event type than the parser's ("fileinfo"). */
void tells_app_emit_ev(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server,
                       int64_t tx_id, const char *event_type);
/* The protocol changes after this message (HTTP CONNECT answered, STARTTLS):
** once the current packet is parsed the parser ends (end, fini) and the
** flow's next payload is probed afresh. */
void tells_app_switch(tells_app_flow *af);
/* Calls fn at the packet of the other direction that acknowledges the
** current packet's data -- when Suricata, in IDS mode, hands stream data to
** its parsers, so records carry that packet's number and time -- or at the
** end of the flow.  One pending call per flow; a new one replaces it. */
typedef void (*tells_app_defer_fn)(tells_app_flow *af, void *st);
void tells_app_defer(tells_app_flow *af, tells_app_defer_fn fn);
int tells_app_dns_version(const tells_app_flow *af);
/* The query type of the question named `name` in a DNS record (r->data of a
** record of tells_app_dns; `name` as its indicator function gave it), 0 if
** none: the tunnel detector weighs TXT and NULL queries. */
uint16_t tells_app_dns_qtype(const void *rec, const char *name);
int tells_app_http_headers(const tells_app_flow *af);
uint64_t tells_app_off(const tells_app_flow *af);  /* current packet's offset */
void tells_app_skip(tells_app_flow *af, int dir, uint64_t n); /* skip n stream bytes */
/* n bytes already consumed do not count toward the reassembly budget
** (parsers that read only the headers of long streams, such as SMB). */
void tells_app_uncharge(tells_app_flow *af, int dir, uint32_t n);
/* A malformed structure: an anomaly at the current packet's file offset
** (code: static text; detail: copied). */
void tells_app_anom(tells_app_flow *af, const char *code, const char *detail);
/* Bytes passed over by tells_app_skip go to fn, in stream order (p NULL: n
** of them were lost in a gap).  Set by the parser; NULL: none. */
typedef void (*tells_app_body_fn)(tells_app_flow *af, void *st, int dir, const uint8_t *p,
                                  size_t n);
void tells_app_on_skip(tells_app_flow *af, tells_app_body_fn fn);
void *tells_app_alloc(tells_app_flow *af, size_t n);       /* accounted; NULL at cap */
void tells_app_free(tells_app_flow *af, void *p, size_t n);
int64_t tells_app_now(const tells_app_flow *af);
const tells_flow *tells_app_flow_of(const tells_app_flow *af);

/* TLS fingerprint pieces (app_tls.c), exposed for tests: the JA3 string
** (GREASE dropped from ciphers, extensions and groups), and the two hashed
** JA4 parts from GREASE-free lists (sorts cs and ext in place). */
void tells_app_tls_ja3(const uint16_t *cs, size_t ncs, const uint16_t *ext, size_t next,
                       const uint16_t *groups, size_t ngroups, const uint8_t *pf, size_t npf,
                       uint16_t version, char *out, size_t cap);
void tells_app_tls_ja4_hashes(uint16_t *cs, size_t ncs, uint16_t *ext, size_t next,
                              const uint16_t *sig, size_t nsig, char b[13], char c[13]);

/* Decoded certificate names by certificate digest (app_tls.c): a small
** bounded memo per context, freed with it.  _of gives the context's slot
** (NULL until the TLS parser first fills it). */
typedef struct tells_app_tls_memo tells_app_tls_memo;
tells_app_tls_memo **tells_app_tls_memo_of(tells_app_flow *af);
void tells_app_tls_memo_free(tells_app_tls_memo *m);

/* An HTTP body of a "fileinfo" record (app_http.c), for the detectors. */
typedef struct tells_app_file {
  char host[128], uri[512], ctype[96], filename[520];
  const char *magic;           /* kind of the first bytes ("PE executable (MZ)"...) or NULL */
  char sha256[65], md5[33];    /* "" unless the body was seen whole */
  uint64_t size;               /* bytes, lost ones included */
  int to_client;               /* a response body (download), else a request body (upload) */
  int complete;                /* framing ended without loss */
} tells_app_file;
/* Fills `out` when r is an HTTP "fileinfo" record; 0 otherwise. */
int tells_app_http_file(const tells_app_rec *r, tells_app_file *out /* OUT */);

/* The parsers (app_*.c) */
extern const tells_app_parser tells_app_dns, tells_app_http, tells_app_tls, tells_app_ssh,
    tells_app_smb;

#endif
