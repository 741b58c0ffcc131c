/*
** flow.c -- the flow table: a hash of live flows in a fixed slab, with an
** LRU list ordered by last packet for timeouts and cap eviction (flow.h).
*/
#include <arpa/inet.h>
#include <string.h>
#include "alloc.h"
#include "flow.h"

#define NIL 0xffffffffu

struct tells_flow_table {
  tells_flow_opts o;
  tells_flow_emit_fn emit; void *ud;
  tells_flow *slab;         /* n_slab entries, grown up to max_flows; owned */
  uint32_t n_slab;
  uint32_t *bucket;         /* n_bucket heads into slab; owned */
  uint32_t n_bucket;        /* power of two */
  uint32_t free_head;       /* free slots, chained through hnext */
  uint32_t lru_head, lru_tail;  /* oldest ... newest */
  uint32_t live;
  uint32_t last;            /* slot of the last packet's flow, or NIL */
  uint64_t next_id, evicted;
  int64_t last_expire_ns;
};

static uint32_t hash_key(const tells_flow_key *k) {
  /* Eight bytes at a time (keys are zero-padded, so this is stable):
  ** multiply-xorshift per word, then a final mix.  Five independent
  ** multiplies instead of forty dependent ones per packet. */
  const uint8_t *p = (const uint8_t *)k;
  uint64_t h = 0x9e3779b97f4a7c15ull, w;
  size_t i;
  for (i = 0; i + 8 <= sizeof *k; i += 8) {
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < sizeof *k; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ull;
  return (uint32_t)(h ^ (h >> 32));
}

/* Key equality eight bytes at a time (the compiler unrolls it; a call to
** memcmp per chain entry showed in profiles). */
static int key_eq(const tells_flow_key *x, const tells_flow_key *y) {
  const uint8_t *p = (const uint8_t *)x, *q = (const uint8_t *)y;
  uint64_t d = 0, a, b;
  size_t i;
  for (i = 0; i + 8 <= sizeof *x; i += 8) {
    memcpy(&a, p + i, 8); memcpy(&b, q + i, 8);
    d |= a ^ b;
  }
  for (; i < sizeof *x; i++) d |= (uint64_t)(p[i] ^ q[i]);
  return d == 0;
}

/* Doubles the slab (up to max_flows) and rehashes into twice as many
** buckets.  Memory follows the number of live flows, not the cap. */
static tells_err grow(tells_flow_table *t) {
  uint32_t n = t->n_slab ? t->n_slab * 2 : 64, nb, i;
  tells_flow *slab;
  uint32_t *bucket;
  if (n > t->o.max_flows) n = t->o.max_flows;
  if (n <= t->n_slab) return TELLS_ELIMIT;
  for (nb = 128; nb < n * 2; nb *= 2) {}
  slab = tells_realloc(t->slab, (size_t)n * sizeof *slab);
  if (!slab) return TELLS_ENOMEM;
  t->slab = slab;
  bucket = tells_malloc((size_t)nb * sizeof *bucket);
  if (!bucket) return TELLS_ENOMEM;
  for (i = 0; i < nb; i++) bucket[i] = NIL;
  for (i = 0; i < t->n_slab; i++) {     /* every old slot is live when we grow */
    uint32_t h = hash_key(&slab[i].key) & (nb - 1);
    slab[i].hnext = bucket[h];
    bucket[h] = i;
  }
  for (i = t->n_slab; i < n; i++) {
    memset(&slab[i], 0, sizeof slab[i]);
    slab[i].hnext = i + 1 < n ? i + 1 : NIL;
  }
  t->free_head = t->n_slab;
  tells_free(t->bucket);
  t->bucket = bucket;
  t->n_bucket = nb;
  t->n_slab = n;
  return TELLS_OK;
}

tells_err tells_flow_table_create(const tells_flow_opts *o, tells_flow_emit_fn emit,
                                  void *ud, tells_flow_table **out) {
  tells_flow_table *t;
  *out = NULL;
  t = tells_calloc(1, sizeof *t);
  if (!t) return TELLS_ENOMEM;
  if (o) t->o = *o;
  if (!t->o.max_flows) t->o.max_flows = 262144;
  if (t->o.max_flows > (1u << 26)) t->o.max_flows = 1u << 26;
  if (!t->o.idle_ns) t->o.idle_ns = 300 * 1000000000ll;
  if (!t->o.closed_ns) t->o.closed_ns = 10 * 1000000000ll;
  if (!t->o.active_ns) t->o.active_ns = 1800 * 1000000000ll;
  t->emit = emit; t->ud = ud;
  t->free_head = NIL;
  t->lru_head = t->lru_tail = t->last = NIL;
  if (grow(t) != TELLS_OK) { tells_flow_table_destroy(t); return TELLS_ENOMEM; }
  t->last_expire_ns = INT64_MIN;
  *out = t;
  return TELLS_OK;
}

void tells_flow_table_destroy(tells_flow_table *t) {
  if (!t) return;
  tells_free(t->slab);
  tells_free(t->bucket);
  tells_free(t);
}

static void lru_unlink(tells_flow_table *t, uint32_t i) {
  tells_flow *f = &t->slab[i];
  if (f->prev != NIL) t->slab[f->prev].next = f->next; else t->lru_head = f->next;
  if (f->next != NIL) t->slab[f->next].prev = f->prev; else t->lru_tail = f->prev;
}
static void lru_append(tells_flow_table *t, uint32_t i) {
  tells_flow *f = &t->slab[i];
  f->prev = t->lru_tail; f->next = NIL;
  if (t->lru_tail != NIL) t->slab[t->lru_tail].next = i; else t->lru_head = i;
  t->lru_tail = i;
}

/* Emits flow i and returns its slot to the free list. */
static void finish(tells_flow_table *t, uint32_t i, tells_flow_end why) {
  tells_flow *f = &t->slab[i];
  uint32_t *pp = &t->bucket[hash_key(&f->key) & (t->n_bucket - 1)];
  if (t->emit) t->emit(t->ud, f, why);
  while (*pp != NIL && *pp != i) pp = &t->slab[*pp].hnext;
  if (*pp == i) *pp = f->hnext;
  lru_unlink(t, i);
  f->hnext = t->free_head;
  t->free_head = i;
  t->live--;
  if (t->last == i) t->last = NIL;
}

/* True when `later` is more than d after `earlier`.  Capture timestamps can
** be anywhere in int64 (hostile files), so the difference is taken without
** overflow: unsigned, and only when later >= earlier. */
static int after(int64_t later, int64_t earlier, int64_t d) {
  return later >= earlier && (uint64_t)later - (uint64_t)earlier > (uint64_t)d;
}

static int64_t timeout_of(const tells_flow_table *t, const tells_flow *f) {
  return f->closed ? t->o.closed_ns : t->o.idle_ns;
}

void tells_flow_expire(tells_flow_table *t, int64_t now_ns) {
  /* The LRU head is the flow idle longest; closed flows time out sooner,
  ** so walk a bounded prefix instead of stopping at the first live one. */
  uint32_t i = t->lru_head, scanned = 0;
  while (i != NIL && scanned < 64) {
    uint32_t nx = t->slab[i].next;
    tells_flow *f = &t->slab[i];
    if (after(now_ns, f->last_ns, timeout_of(t, f))) finish(t, i, TELLS_FLOW_TIMEOUT);
    else if (!after(now_ns, f->last_ns, t->o.closed_ns)) break; /* all newer are live */
    else scanned++;
    i = nx;
  }
  t->last_expire_ns = now_ns;
}

void tells_flow_flush(tells_flow_table *t) {
  while (t->lru_head != NIL) finish(t, t->lru_head, TELLS_FLOW_SHUTDOWN);
}

uint32_t tells_flow_live(const tells_flow_table *t) { return t->live; }
uint64_t tells_flow_evicted(const tells_flow_table *t) { return t->evicted; }

/* memcmp's sign for addresses, inline: the first byte usually decides. */
static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

static void make_key(const tells_dec *d, tells_flow_key *k, int *a_is_src) {
  size_t n = d->l3 == TELLS_L3_IPV4 ? 4 : 16;
  int c;
  uint16_t sp = d->sport, dp = d->dport;
  memset(k, 0, sizeof *k);
  k->proto = d->proto; k->l3 = d->l3;
  k->vlan = d->n_vlan ? d->vlan[0] : 0;
  if (d->proto == 1 || d->proto == 58) {  /* ICMP: one flow per type/code pair */
    sp = (uint16_t)(d->icmp_type << 8 | d->icmp_code); dp = 0;
  }
  c = addr_cmp(d->src, d->dst, n);
  if (c < 0 || (c == 0 && sp <= dp)) {
    memcpy(k->a, d->src, n); memcpy(k->b, d->dst, n); k->pa = sp; k->pb = dp;
    *a_is_src = 1;
  } else {
    memcpy(k->a, d->dst, n); memcpy(k->b, d->src, n); k->pa = dp; k->pb = sp;
    *a_is_src = 0;
  }
}

tells_flow *tells_flow_packet(tells_flow_table *t, const tells_dec *d, uint32_t len,
                              int64_t ts_ns, int *to_server) {
  tells_flow_key k;
  tells_flow *f;
  uint32_t h, i;
  int a_is_src, ts;
  if ((d->l3 != TELLS_L3_IPV4 && d->l3 != TELLS_L3_IPV6) || (d->flags & TELLS_DEC_FRAG_LATE))
    return NULL;
  if (t->last_expire_ns == INT64_MIN || after(ts_ns, t->last_expire_ns, 1000000000ll))
    tells_flow_expire(t, ts_ns);
  make_key(d, &k, &a_is_src);
  /* Packets come in runs of one flow (a transfer and its ACKs share the
  ** key): try the last packet's flow before hashing. */
  if (t->last != NIL && key_eq(&t->slab[t->last].key, &k)) i = t->last;
  else {
    h = hash_key(&k) & (t->n_bucket - 1);
    for (i = t->bucket[h]; i != NIL; i = t->slab[i].hnext)
      if (key_eq(&t->slab[i].key, &k)) break;
  }
  if (i != NIL) {
    f = &t->slab[i];
    if (after(ts_ns, f->last_ns, timeout_of(t, f)) ||
        (t->o.active_ns > 0 && after(ts_ns, f->first_ns, t->o.active_ns))) {
      finish(t, i, after(ts_ns, f->last_ns, timeout_of(t, f)) ? TELLS_FLOW_TIMEOUT : TELLS_FLOW_ACTIVE);
      i = NIL;
    }
  }
  if (i == NIL) {
    /* full: grow while under the cap, else evict the least recently seen */
    if (t->free_head == NIL && grow(t) != TELLS_OK) {
      finish(t, t->lru_head, TELLS_FLOW_CAP);
      t->evicted++;
    }
    h = hash_key(&k) & (t->n_bucket - 1);
    i = t->free_head;
    f = &t->slab[i];
    t->free_head = f->hnext;
    memset(f, 0, sizeof *f);
    f->key = k;
    f->id = ++t->next_id;
    f->first_ns = f->last_ns = ts_ns;
    /* the sender of the first packet is the client, unless it is a SYN-ACK */
    f->client_is_a = (d->proto == 6 && (d->tcp_flags & 0x12) == 0x12) ? !a_is_src : a_is_src;
    f->hnext = t->bucket[h];
    t->bucket[h] = i;
    t->live++;
    lru_append(t, i);
  } else if (t->lru_tail != i) {  /* already the newest: nothing to move */
    f = &t->slab[i];
    lru_unlink(t, i);
    lru_append(t, i);
  } else f = &t->slab[i];
  t->last = i;
  if (ts_ns > f->last_ns) f->last_ns = ts_ns;
  ts = a_is_src == f->client_is_a;
  if (ts) { f->pkts_ts++; f->bytes_ts += len; } else { f->pkts_tc++; f->bytes_tc += len; }
  if (d->proto == 6) {
    uint8_t fl = d->tcp_flags;
    uint16_t hb = 0;
    if ((fl & 0x12) == 0x02) hb |= TELLS_FH_SYN;
    if ((fl & 0x12) == 0x12) hb |= TELLS_FH_SYNACK;
    if (fl & 0x10) hb |= TELLS_FH_ACK;
    if (d->payload_len) hb |= TELLS_FH_DATA;
    if (fl & 0x01) hb |= TELLS_FH_FIN;
    if (fl & 0x04) hb |= TELLS_FH_RST;
    if (ts) { f->tcp_flags_ts |= fl; f->history |= hb; }
    else { f->tcp_flags_tc |= fl; f->history |= (uint16_t)(hb << 8); }
    if ((fl & 0x04) || ((f->history & TELLS_FH_FIN) && (f->history & (TELLS_FH_FIN << 8))))
      f->closed = 1;
  }
  *to_server = ts;
  return f;
}

void tells_ip_str(uint8_t l3, const uint8_t ip[16], char out[46]) {
  /* IPv4 by hand (inet_ntop goes through sprintf: a few percent of a run);
  ** IPv6 keeps inet_ntop for RFC 5952's zero compression. */
  if (l3 == TELLS_L3_IPV4) {
    char *o = out;
    int i;
    for (i = 0; i < 4; i++) {
      unsigned v = ip[i];
      if (i) *o++ = '.';
      if (v >= 100) { *o++ = (char)('0' + v / 100); v %= 100; *o++ = (char)('0' + v / 10); }
      else if (v >= 10) *o++ = (char)('0' + v / 10);
      *o++ = (char)('0' + v % 10);
    }
    *o = 0;
    return;
  }
  if (!inet_ntop(AF_INET6, ip, out, 46)) out[0] = 0;
}
