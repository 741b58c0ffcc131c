/*
** app.c -- the application-layer dispatcher (see app.h): parser choice,
** per-direction stream buffering and skipping, memory accounting.
*/
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "anom.h"
#include "app.h"

/* The parsers, probed in this order.  Content decides; a parser's port
** only lets it accept payloads too short or too plain to be sure of. */
static const tells_app_parser *const parsers[] = {
  &tells_app_tls, &tells_app_http, &tells_app_ssh, &tells_app_smb, &tells_app_dns,
};
#define N_PARSERS (sizeof parsers / sizeof parsers[0])

#define BUF_MIN 512u

struct tells_app_ctx {
  tells_app_rec_fn fn;
  void *ud;
  size_t cap;
  int dns_version;
  int http_headers;
  tells_anoms *anoms;          /* not owned; may be NULL */
  tells_app_stats st;
  int64_t now;
  uint64_t off;
  uint64_t pkts;               /* packets counted by tells_app_tick */
  int at_end;                  /* in tells_app_flow_end: no current packet */
  int cur_dir;                 /* the current TCP packet: direction, */
  uint32_t cur_end;            /*   sequence number past its payload */
  tells_app_tls_memo *tls_memo;  /* app_tls.c's certificate names; NULL until used */
};

struct tells_app_flow {
  tells_app_ctx *ctx;
  tells_flow *f;
  const tells_app_parser *p;
  tells_reasm rs;
  uint64_t skip[2];
  uint8_t *buf[2];
  uint32_t blen[2], bcap[2];
  uint8_t stopped[2];
  uint64_t uncharged[2];       /* consumed bytes not to charge (tells_app_uncharge) */
  uint8_t switching;           /* tells_app_switch: restart after this packet */
  tells_app_body_fn body;      /* tells_app_on_skip */
  tells_app_defer_fn defer;    /* tells_app_defer: pending call, */
  int defer_dir;               /*   the direction whose data waits, */
  uint32_t defer_ack;          /*   the acknowledgement that releases it */
  size_t size;
  max_align_t state[];         /* p->state_size bytes, zeroed */
};

/* f->app of flows that no parser claimed: app_none + k after k probes.  A
** TCP flow is probed for a TLS ClientHello on its first APP_REPROBE payload
** packets (STARTTLS in SMTP, IMAP, FTP, PostgreSQL... upgrades the flow). */
#define APP_REPROBE 16
static char app_none[APP_REPROBE + 1];

static int is_none(const void *a) {
  uintptr_t v = (uintptr_t)a, b = (uintptr_t)app_none;
  return v >= b && v <= b + APP_REPROBE;
}

tells_err tells_app_create(const tells_app_opts *o, tells_app_rec_fn fn, void *ud,
                           tells_app_ctx **out) {
  tells_app_ctx *c = tells_calloc(1, sizeof *c);
  *out = NULL;
  if (!c) return TELLS_ENOMEM;
  c->fn = fn; c->ud = ud;
  c->cap = o && o->mem_cap ? o->mem_cap : (size_t)256 << 20;
  c->dns_version = o && o->dns_version == 3 ? 3 : 2;
  c->http_headers = o ? o->http_headers & 3 : 0;
  c->anoms = o ? o->anoms : NULL;
  *out = c;
  return TELLS_OK;
}

void tells_app_destroy(tells_app_ctx *c) {
  if (c) tells_app_tls_memo_free(c->tls_memo);
  tells_free(c);
}

tells_app_tls_memo **tells_app_tls_memo_of(tells_app_flow *af) { return &af->ctx->tls_memo; }

void tells_app_get_stats(const tells_app_ctx *c, tells_app_stats *st) { *st = c->st; }

void *tells_app_alloc(tells_app_flow *af, size_t n) {
  tells_app_ctx *c = af->ctx;
  void *p;
  if (n > c->cap - c->st.mem_used) return NULL;
  if (!(p = tells_malloc(n))) return NULL;
  c->st.mem_used += n;
  if (c->st.mem_used > c->st.mem_peak) c->st.mem_peak = c->st.mem_used;
  return p;
}

void tells_app_free(tells_app_flow *af, void *p, size_t n) {
  if (!p) return;
  af->ctx->st.mem_used -= n;
  tells_free(p);
}

int64_t tells_app_now(const tells_app_flow *af) { return af->ctx->now; }
uint64_t tells_app_off(const tells_app_flow *af) { return af->ctx->off; }
const tells_flow *tells_app_flow_of(const tells_app_flow *af) { return af->f; }

int tells_app_dns_version(const tells_app_flow *af) { return af->ctx->dns_version; }
int tells_app_http_headers(const tells_app_flow *af) { return af->ctx->http_headers; }
void tells_app_switch(tells_app_flow *af) { af->switching = 1; }
void tells_app_on_skip(tells_app_flow *af, tells_app_body_fn fn) { af->body = fn; }

void tells_app_defer(tells_app_flow *af, tells_app_defer_fn fn) {
  if (af->ctx->at_end) { fn(af, af->state); return; }
  af->defer = fn;
  af->defer_dir = af->ctx->cur_dir;
  af->defer_ack = af->ctx->cur_end;
}

static void defer_fire(tells_app_flow *af) {
  tells_app_defer_fn fn = af->defer;
  af->defer = NULL;
  if (fn) fn(af, af->state);
}

void tells_app_tick(tells_app_ctx *c) { c->pkts++; }

void tells_app_rec_head(tells_json *j, const tells_app_rec *r) {
  if (r->pkt_no) tells_json_ku64(j, "pcap_cnt", r->pkt_no);
  tells_json_kstr(j, "pkt_src", r->pkt_no ? "wire/pcap" : "stream (flow timeout)");
  if (r->tx_id >= 0) tells_json_ku64(j, "tx_id", (uint64_t)r->tx_id);
}

void tells_app_emit(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server) {
  tells_app_emit_tx(af, rec, ts_ns, from_server, -1);
}

void tells_app_emit_tx(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server,
                       int64_t tx_id) {
  tells_app_emit_ev(af, rec, ts_ns, from_server, tx_id, NULL);
}

void tells_app_emit_ev(tells_app_flow *af, const void *rec, int64_t ts_ns, int from_server,
                       int64_t tx_id, const char *event_type) {
  tells_app_rec r;
  r.from_server = from_server;
  r.tx_id = tx_id;
  r.pkt_no = af->ctx->at_end ? 0 : af->ctx->pkts;
  r.parser = af->p;
  r.event_type = event_type ? event_type : af->p->event_type;
  r.ts_ns = ts_ns == TELLS_APP_NOW ? af->ctx->now : ts_ns;
  r.off = af->ctx->off;
  r.data = rec;
  af->ctx->st.records++;
  if (af->ctx->fn) af->ctx->fn(af->ctx->ud, af->f, &r);
}

void tells_app_skip(tells_app_flow *af, int dir, uint64_t n) {
  af->skip[dir & 1] += n;
}

void tells_app_uncharge(tells_app_flow *af, int dir, uint32_t n) {
  af->uncharged[dir & 1] += n;
}

void tells_app_anom(tells_app_flow *af, const char *code, const char *detail) {
  af->ctx->st.anomalies++;
  if (af->ctx->anoms)
    tells_anom_add(af->ctx->anoms, af->ctx->off, code, "%s: %s", af->p->name, detail);
}

static void stop_dir(tells_app_flow *af, int dir) {
  af->stopped[dir] = 1;
  tells_app_free(af, af->buf[dir], af->bcap[dir]);
  af->buf[dir] = NULL;
  af->blen[dir] = af->bcap[dir] = 0;
}

/* Appends to the direction's buffer, growing it up to the parser's cap. */
static int buf_put(tells_app_flow *af, int dir, const uint8_t *p, size_t n) {
  uint32_t need = af->blen[dir] + (uint32_t)n;
  if (need > af->bcap[dir]) {
    uint32_t cap = af->bcap[dir] ? af->bcap[dir] : BUF_MIN;
    uint8_t *nb;
    while (cap < need) cap *= 2;
    if (cap > af->p->max_msg) cap = (uint32_t)af->p->max_msg;
    if (cap < need || !(nb = tells_app_alloc(af, cap))) return 0;
    if (af->blen[dir]) memcpy(nb, af->buf[dir], af->blen[dir]);
    tells_app_free(af, af->buf[dir], af->bcap[dir]);
    af->buf[dir] = nb;
    af->bcap[dir] = cap;
  }
  memcpy(af->buf[dir] + af->blen[dir], p, n);
  af->blen[dir] = need;
  return 1;
}

/* Runs the parser over the buffered bytes; 0 when it stopped. */
static int parse_buffered(tells_app_flow *af, int dir) {
  size_t used = 0, len = af->blen[dir];
  while (used < len) {
    size_t c;
    if (af->skip[dir]) {
      uint64_t k = af->skip[dir] < len - used ? af->skip[dir] : len - used;
      af->skip[dir] -= k;
      if (af->body) af->body(af, af->state, dir, af->buf[dir] + used, (size_t)k);
      used += (size_t)k;
      continue;
    }
    c = af->p->parse(af, af->state, dir, af->buf[dir] + used, len - used);
    if (c == TELLS_APP_STOP || af->stopped[dir]) { stop_dir(af, dir); return 0; }
    if (c == TELLS_APP_MORE) break;
    used += c < len - used ? c : len - used;
  }
  if (used) {
    memmove(af->buf[dir], af->buf[dir] + used, len - used);
    af->blen[dir] = (uint32_t)(len - used);
  }
  return 1;
}

/* In-order stream bytes (reasm callback) or a datagram. */
static uint32_t feed(void *ud, int dir, const uint8_t *p, uint32_t n, uint32_t gap) {
  tells_app_flow *af = ud;
  uint32_t skipped = 0, n0 = n;
  if (af->stopped[dir]) return TELLS_REASM_STOP;
  if (gap) {
    af->blen[dir] = 0;
    if (af->skip[dir] >= gap) {
      af->skip[dir] -= gap;              /* lost inside a skipped body: harmless */
      if (af->body) af->body(af, af->state, dir, NULL, gap);
    } else {
      af->skip[dir] = 0;
      if (!af->p->gap) { stop_dir(af, dir); return TELLS_REASM_STOP; }
      af->p->gap(af, af->state, dir);
      if (af->stopped[dir]) { stop_dir(af, dir); return TELLS_REASM_STOP; }
    }
  }
  while (n) {
    if (af->skip[dir]) {
      uint32_t k = af->skip[dir] < n ? (uint32_t)af->skip[dir] : n;
      af->skip[dir] -= k;
      if (af->body) af->body(af, af->state, dir, p, k);
      p += k; n -= k; skipped += k;
      continue;
    }
    if (!af->blen[dir]) {
      size_t c = af->p->parse(af, af->state, dir, p, n);
      if (c == TELLS_APP_STOP || af->stopped[dir]) { stop_dir(af, dir); return TELLS_REASM_STOP; }
      if (c == TELLS_APP_MORE) {
        if (!buf_put(af, dir, p, n)) { stop_dir(af, dir); return TELLS_REASM_STOP; }
        break;
      }
      if (c > n) c = n;
      p += c; n -= (uint32_t)c;
    } else {
      uint32_t room = (uint32_t)af->p->max_msg - af->blen[dir];
      uint32_t k = n < room ? n : room;
      if (!k || !buf_put(af, dir, p, k)) { stop_dir(af, dir); return TELLS_REASM_STOP; }
      p += k; n -= k;
      if (!parse_buffered(af, dir)) return TELLS_REASM_STOP;
    }
  }
  {
    uint32_t charged = n0 - skipped, k;
    k = af->uncharged[dir] < charged ? (uint32_t)af->uncharged[dir] : charged;
    af->uncharged[dir] -= k;
    return charged - k;
  }
}

static void app_free(tells_app_ctx *c, tells_flow *f, tells_app_flow *af);

static void flip(tells_flow *f) {
  uint64_t t;
  uint8_t b;
  f->client_is_a = !f->client_is_a;
  t = f->pkts_ts; f->pkts_ts = f->pkts_tc; f->pkts_tc = t;
  t = f->bytes_ts; f->bytes_ts = f->bytes_tc; f->bytes_tc = t;
  b = f->tcp_flags_ts; f->tcp_flags_ts = f->tcp_flags_tc; f->tcp_flags_tc = b;
  f->history = (uint16_t)(f->history >> 8 | f->history << 8);
}

static tells_app_flow *start(tells_app_ctx *c, tells_flow *f, const tells_dec *d,
                             int *to_server, const tells_app_parser *only) {
  int tcp = d->proto == 6, i, r = TELLS_APP_NO;
  const tells_app_parser *p = NULL;
  tells_app_flow *af;
  size_t size;
  for (i = 0; i < (int)N_PARSERS; i++) {
    int hint;
    p = parsers[i];
    if (!(tcp ? p->tcp : p->udp) || (only && p != only)) continue;
    hint = d->sport == p->port || d->dport == p->port;
    if ((r = p->probe(d->payload, d->payload_len, *to_server, tcp, hint)) != TELLS_APP_NO) break;
  }
  if (r == TELLS_APP_NO) {
    if (!only) c->st.flows_unknown++;
    return NULL;
  }
  size = sizeof *af + p->state_size;
  if (size > c->cap - c->st.mem_used || !(af = tells_calloc(1, size))) {
    f->app = app_none + APP_REPROBE;
    c->st.flows_over_cap++;
    return NULL;
  }
  c->st.mem_used += size;
  if (c->st.mem_used > c->st.mem_peak) c->st.mem_peak = c->st.mem_used;
  af->ctx = c; af->f = f; af->p = p; af->size = size;
  f->app = af;
  snprintf(f->app_proto, sizeof f->app_proto, "%s", p->name);
  if (r == TELLS_APP_YES_BY_PORT)
    r = d->sport == p->port && d->dport != p->port ? TELLS_APP_YES_REVERSED : TELLS_APP_YES;
  if (r == TELLS_APP_YES_REVERSED && f->pkts_tc == 0 && f->pkts_ts == 1) {
    flip(f);
    *to_server = !*to_server;
  }
  if (tcp) {
    int dir = *to_server ? 0 : 1;
    af->rs.d[dir].state = TELLS_REASM_TRACK;
    af->rs.d[dir].next = d->seq + ((d->tcp_flags & 0x02) ? 1u : 0u);
    if (d->tcp_flags & 0x10) {       /* its ACK is the other side's next byte */
      af->rs.d[!dir].state = TELLS_REASM_TRACK;
      af->rs.d[!dir].next = d->ack;
    }
  }
  c->st.flows_parsed++;
  return af;
}

void tells_app_packet(tells_app_ctx *c, tells_flow *f, const tells_dec *d, int *to_server,
                      int64_t ts_ns, uint64_t off) {
  tells_app_flow *af = f->app;
  const tells_app_parser *only = NULL;
  int dir;
  if (is_none(af)) {
    size_t k = (size_t)((uintptr_t)af - (uintptr_t)app_none);
    if (k >= APP_REPROBE || d->proto != 6 || !d->payload_len || !d->payload) return;
    f->app = app_none + k + 1;
    only = &tells_app_tls;
    af = NULL;
  }
  if (d->proto != 6 && d->proto != 17) { f->app = app_none + APP_REPROBE; return; }
  c->now = ts_ns; c->off = off;
  if (af) af->f = f;              /* the flow table may have moved f */
  if (!af) {
    if (!d->payload_len || !d->payload) return;
    if (!(af = start(c, f, d, to_server, only))) {
      if (!only) f->app = app_none + (d->proto == 6 ? 1 : APP_REPROBE);
      return;
    }
  }
  dir = *to_server ? 0 : 1;
  if (d->proto == 17) {
    if (d->payload_len && !af->stopped[dir]) {
      size_t r = af->p->parse(af, af->state, dir, d->payload, d->payload_len);
      if (r == TELLS_APP_STOP) stop_dir(af, dir);
    }
    return;
  }
  if (af->defer && dir != af->defer_dir && (d->tcp_flags & 0x10) &&
      (int32_t)(d->ack - af->defer_ack) >= 0)
    defer_fire(af);
  c->cur_dir = dir;
  c->cur_end = d->seq + d->payload_len;
  tells_reasm_segment(&c->st.reasm, &af->rs, dir, d->seq, d->tcp_flags, d->payload,
                      d->payload_len, feed, af);
  if (af->switching) {             /* a new protocol from the next payload on */
    defer_fire(af);
    if (af->p->end) af->p->end(af, af->state);
    app_free(c, f, af);
  }
}

void tells_app_flow_end(tells_app_ctx *c, tells_flow *f) {
  tells_app_flow *af = f->app;
  if (!af || is_none(af)) { f->app = NULL; return; }
  c->now = f->last_ns;
  c->at_end = 1;
  af->f = f;
  tells_reasm_flush(&c->st.reasm, &af->rs, feed, af);
  defer_fire(af);
  if (af->p->end) af->p->end(af, af->state);
  c->at_end = 0;
  app_free(c, f, af);
}

/* Frees a flow's parser state, held bytes and reassembly. */
static void app_free(tells_app_ctx *c, tells_flow *f, tells_app_flow *af) {
  int dir;
  if (af->p->fini) af->p->fini(af, af->state);
  tells_reasm_free(&c->st.reasm, &af->rs);
  for (dir = 0; dir < 2; dir++) tells_app_free(af, af->buf[dir], af->bcap[dir]);
  c->st.mem_used -= af->size;
  tells_free(af);
  f->app = NULL;
}
