/*
** flow.h -- bidirectional five-tuple flows with bounded memory.
**
** Packets (decoded by decode.c) are folded into flows keyed by protocol,
** VLAN, and the two endpoints in canonical order.  The side that sent the
** first packet is the client ("toserver"), except that a SYN-ACK seen first
** makes its receiver the client, as in Suricata's EVE flow records.
**
** Memory is bounded by a cap on live flows: when the table is full the
** least recently seen flow is emitted (reason "cap") to make room.  Flows
** also end by timeout -- idle (no packet for a while, shorter once TCP has
** closed) or active (a long-lived flow is emitted and starts again) -- and
** every remaining flow is emitted by tells_flow_flush() at the end.  Time is
** the capture's, not the wall clock's, so a folder of captures read in
** order is one continuous capture and its flows cross file boundaries.
*/
#ifndef TELLS_NET_FLOW_H
#define TELLS_NET_FLOW_H

#include <stdint.h>
#include "decode.h"
#include "tells.h"

typedef struct tells_flow_key {
  uint8_t a[16], b[16];     /* endpoints in canonical order (a <= b) */
  uint16_t pa, pb;          /* ports of a and b (ICMP: type/code in pa) */
  uint16_t vlan;            /* outermost VLAN id, 0 when none */
  uint8_t proto, l3;        /* IP protocol, TELLS_L3_IPV4/IPV6 */
} tells_flow_key;

/* TCP history bits, per direction (client = low byte, server = high). */
#define TELLS_FH_SYN 0x01
#define TELLS_FH_SYNACK 0x02
#define TELLS_FH_ACK 0x04
#define TELLS_FH_DATA 0x08
#define TELLS_FH_FIN 0x10
#define TELLS_FH_RST 0x20

typedef enum tells_flow_end {
  TELLS_FLOW_TIMEOUT = 1,   /* idle too long */
  TELLS_FLOW_ACTIVE,        /* active timeout: emitted, continues as new */
  TELLS_FLOW_CAP,           /* evicted to keep within the flow cap */
  TELLS_FLOW_SHUTDOWN       /* end of input */
} tells_flow_end;

typedef struct tells_flow {
  tells_flow_key key;
  int client_is_a;          /* the client is endpoint a of the key */
  uint64_t id;              /* sequence number, unique per table */
  int64_t first_ns, last_ns;
  uint64_t pkts_ts, pkts_tc, bytes_ts, bytes_tc;  /* toserver / toclient */
  uint8_t tcp_flags_ts, tcp_flags_tc;             /* OR of TCP flags */
  uint16_t history;         /* TELLS_FH_* (client) | TELLS_FH_* << 8 (server) */
  uint8_t closed;           /* FIN both ways or RST seen */
  char app_proto[12];       /* set by protocol parsers; "" when unknown */
  void *app;                /* protocol parser state (not owned here) */
  /* internal: LRU list and hash chain */
  uint32_t prev, next, hnext;
} tells_flow;

typedef void (*tells_flow_emit_fn)(void *ud, const tells_flow *f, tells_flow_end why);

typedef struct tells_flow_opts {
  uint32_t max_flows;       /* cap on live flows (default 262144) */
  int64_t idle_ns;          /* idle timeout (default 300 s; UDP/ICMP too) */
  int64_t closed_ns;        /* idle timeout after TCP close (default 10 s) */
  int64_t active_ns;        /* active timeout (default 1800 s, 0 = none) */
} tells_flow_opts;

typedef struct tells_flow_table tells_flow_table;

tells_err tells_flow_table_create(const tells_flow_opts *o, tells_flow_emit_fn emit,
                                  void *ud, tells_flow_table **out /* OUT */);
void tells_flow_table_destroy(tells_flow_table *t);

/* Folds one decoded packet (wire length `len`, time `ts_ns`) into its flow
** and returns the flow, or NULL for packets without an IP five-tuple.
** `*to_server` tells the direction.  May emit flows (timeouts, cap). */
tells_flow *tells_flow_packet(tells_flow_table *t, const tells_dec *d, uint32_t len,
                              int64_t ts_ns, int *to_server /* OUT */);
/* Emits every flow idle at time `now_ns` (called as capture time moves). */
void tells_flow_expire(tells_flow_table *t, int64_t now_ns);
/* Emits every remaining flow (end of input). */
void tells_flow_flush(tells_flow_table *t);
uint32_t tells_flow_live(const tells_flow_table *t);
uint64_t tells_flow_evicted(const tells_flow_table *t);

/* Text of an endpoint ("10.0.0.1", "2001:db8::1") into out[46]. */
void tells_ip_str(uint8_t l3, const uint8_t ip[16], char out[46]);

#endif
