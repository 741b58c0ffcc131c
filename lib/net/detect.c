/*
** detect.c -- the flow detectors (see detect.h): exfiltration and
** beaconing over (internal, external) host pairs, lateral movement and
** scanning over sources; DNS tunnelling is in detect_dns.c.
**
** Tables (all bounded, see tells_detect_opts caps; a full one evicts the
** sampled entry furthest from a detection, see detect_tab.c):
**   pairs   internal host x external host: bytes each way, flows, the
**           start times of connections the internal host opened
**   hosts   source x destination (any scope): distinct TCP ports tried,
**           admin services answered
**   srcs    source: lateral fan-out and scan counters, sample flows
**   targets source x destination x port (a 64-bit fingerprint): whether
**           any attempt succeeded; least recently used evicted
** Sample flows are in the evidence pool (ev), connection times in arrays
** of at most max_times per pair and max_times_total in all.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "buf.h"
#include "decode.h"
#include "detect.h"
#include "eve.h"
#include "json.h"

typedef struct pkey { uint8_t a[16], b[16]; uint8_t l3, pad[3]; } pkey;
typedef struct tkey { uint8_t a[16], b[16]; uint8_t l3, pad; uint16_t port; } tkey;
typedef struct skey { uint8_t a[16]; uint8_t l3, pad[3]; } skey;

typedef struct ptime { int64_t t; uint64_t out; } ptime;

typedef struct pair {
  uint64_t out, in;                 /* bytes internal -> external and back */
  uint32_t n_flows, n_conn;         /* flows; connections opened inside */
  uint32_t n_times, cap_times;
  uint16_t dport; uint8_t many_ports, proto;
  int64_t first, last;
  ptime *times;                     /* owned; at most max_times */
  tells__devlist ev;
} pair;

typedef struct hostp { uint32_t ports, failed, svc; uint8_t lat; } hostp;

typedef struct src {
  uint32_t lat_hosts, lat_svc;
  uint32_t scan_targets, scan_failed, scan_hosts, scan_max_ports;
  uint32_t scan_vert_ports, scan_vert_failed; /* the host scanned port by port, if any */
  int64_t lat_first, lat_last, scan_first, scan_last;
  uint16_t last_port;
  tells__devlist lat_ev, scan_ev;   /* lateral ones with their destination */
} src;

struct tells_detect {
  tells_detect_opts o;
  tells_geo_cache *geo;             /* not owned, may be NULL */
  tells__dtab pairs, hosts, srcs, targets;
  tells__dev ev;                    /* sample flows */
  tells__ddns *dns;
  tells__dhttp *http;
  tells__dmem mem;                  /* what all of the above hold */
  uint64_t dropped;                 /* out of memory */
  uint64_t times_total, times_dropped;
};

/* admin services for lateral movement */
static const struct { uint16_t port; const char *name, *technique; } SVC[] = {
  {445, "smb", "T1021.002"}, {139, "smb", "T1021.002"}, {135, "rpc", "T1021.003"},
  {3389, "rdp", "T1021.001"}, {5985, "winrm", "T1021.006"}, {5986, "winrm", "T1021.006"}};
#define N_SVC (sizeof SVC / sizeof *SVC)

/* ---- eviction policies: the progress towards the nearest detection ---- */

static double ratio(double v, double thr) { return thr > 0 ? v / thr : v; }

static double pair_weight(void *ud, const void *key, const void *val) {
  const tells_detect *d = ud;
  const pair *p = val;
  double a = ratio((double)p->out, (double)d->o.exfil_bytes);
  double b = ratio(p->n_conn, d->o.beacon_min_conns);
  (void)key;
  return a > b ? a : b;
}

static void pair_evict(void *ud, const void *key, void *val) {
  tells_detect *d = ud;
  pair *p = val;
  (void)key;
  tells__dmem_free(&d->mem, p->times, (size_t)p->cap_times * sizeof *p->times);
  d->times_total -= p->cap_times;
  tells__dev_release(&d->ev, &p->ev);
}

static double src_weight(void *ud, const void *key, const void *val) {
  const tells_detect *d = ud;
  const src *s = val;
  double a = ratio(s->lat_hosts, d->o.lateral_min_hosts);
  double b = ratio(s->scan_hosts, d->o.scan_min_hosts);
  double c = ratio(s->scan_max_ports, d->o.scan_min_ports);
  (void)key;
  return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

static void src_evict(void *ud, const void *key, void *val) {
  tells_detect *d = ud;
  src *s = val;
  (void)key;
  tells__dev_release(&d->ev, &s->lat_ev);
  tells__dev_release(&d->ev, &s->scan_ev);
}

static double host_weight(void *ud, const void *key, const void *val) {
  const tells_detect *d = ud;
  const hostp *h = val;
  (void)key;
  return ratio(h->ports, d->o.scan_min_ports) + (h->lat ? 1.0 : 0.0);
}

tells_err tells_detect_new(const tells_detect_opts *o, tells_geo_cache *geo, tells_detect **out) {
  tells_detect *d;
  *out = NULL;
  if (!(d = tells_calloc(1, sizeof *d))) return TELLS_ENOMEM;
  if (o) d->o = *o; else tells_detect_opts_default(&d->o);
  d->geo = geo;
  d->mem.cur = d->mem.peak = sizeof *d;
  tells__dtab_init(&d->pairs, sizeof(pkey), sizeof(pair), d->o.max_pairs, &d->mem);
  tells__dtab_policy(&d->pairs, pair_weight, pair_evict, d);
  tells__dtab_init(&d->hosts, sizeof(pkey), sizeof(hostp), d->o.max_hosts, &d->mem);
  tells__dtab_policy(&d->hosts, host_weight, NULL, d);
  tells__dtab_init(&d->srcs, sizeof(skey), sizeof(src), d->o.max_sources, &d->mem);
  tells__dtab_policy(&d->srcs, src_weight, src_evict, d);
  tells__dtab_init(&d->targets, sizeof(uint64_t), 1, d->o.max_targets, &d->mem);
  tells__dev_init(&d->ev, d->o.max_evidence, &d->mem);
  if (!(d->dns = tells__ddns_new(&d->o, &d->mem))) { tells_free(d); return TELLS_ENOMEM; }
  if (!(d->http = tells__dhttp_new(&d->o, &d->mem))) {
    tells__ddns_free(d->dns);
    tells_free(d);
    return TELLS_ENOMEM;
  }
  *out = d;
  return TELLS_OK;
}

void tells_detect_free(tells_detect *d) {
  uint32_t i;
  if (!d) return;
  for (i = 0; i < d->pairs.cap; i++) {
    pair *p = tells__dtab_val(&d->pairs, i);
    if (p) tells__dmem_free(&d->mem, p->times, (size_t)p->cap_times * sizeof *p->times);
  }
  tells__dtab_free(&d->pairs);
  tells__dtab_free(&d->hosts);
  tells__dtab_free(&d->srcs);
  tells__dtab_free(&d->targets);
  tells__dev_free(&d->ev);
  tells__ddns_free(d->dns);
  tells__dhttp_free(d->http);
  tells_free(d);
}

uint64_t tells_detect_dropped(const tells_detect *d) {
  uint64_t dn, nn;
  tells__ddns_evicted(d->dns, &dn, &nn);
  return d->dropped + d->pairs.evicted + d->hosts.evicted + d->srcs.evicted +
         d->targets.evicted + d->times_dropped + d->ev.dropped + dn + nn +
         tells__dhttp_dropped(d->http);
}

size_t tells_detect_mem_peak(const tells_detect *d) { return d->mem.peak; }

size_t tells_detect_mem_bound(const tells_detect_opts *o) {
  size_t b = sizeof(tells_detect);
  b += tells__dtab_bound(sizeof(pkey), sizeof(pair), o->max_pairs);
  b += tells__dtab_bound(sizeof(pkey), sizeof(hostp), o->max_hosts);
  b += tells__dtab_bound(sizeof(skey), sizeof(src), o->max_sources);
  b += tells__dtab_bound(sizeof(uint64_t), 1, o->max_targets);
  b += tells__dev_bound(o->max_evidence);
  /* connection times: the arrays, and while one grows its old copy */
  b += ((size_t)o->max_times_total + o->max_times) * sizeof(ptime);
  return b + tells__ddns_bound(o) + tells__dhttp_bound();
}

static void mb_str(char *out, size_t n, size_t bytes) {
  snprintf(out, n, "%.1f MiB", (double)bytes / 1048576.0);
}

size_t tells_detect_note(const tells_detect *d, char *buf, size_t n) {
  tells_buf b;
  uint64_t dn, nn;
  char peak[32], bound[32];
  size_t len;
  int k = 0;
  if (n) buf[0] = 0;
  tells__ddns_evicted(d->dns, &dn, &nn);
  if (!tells_detect_dropped(d)) return 0;
  tells_buf_init(&b, 4096);
  tells_buf_addf(&b, "detector capacity reached, results may be partial:");
#define EV(cnt, what, cap, how)                                                              \
  if (cnt) tells_buf_addf(&b, "%s %llu %s evicted (%s, cap %u)", k++ ? ";" : "",              \
                          (unsigned long long)(cnt), what, how, (unsigned)(cap))
  EV(d->pairs.evicted, "host pairs", d->o.max_pairs, "least progress towards exfil/beacon");
  EV(d->srcs.evicted, "sources", d->o.max_sources, "least progress towards lateral/scan");
  EV(d->hosts.evicted, "source-host pairs", d->o.max_hosts, "fewest ports");
  EV(d->targets.evicted, "host/port targets", d->o.max_targets, "least recently seen");
  EV(dn, "DNS base domains", d->o.max_domains, "fewest queries");
  EV(nn, "DNS names", d->o.max_names, "least recently seen");
#undef EV
  if (d->times_dropped)
    tells_buf_addf(&b, "%s %llu connection times not kept (cap %u in all)", k++ ? ";" : "",
                   (unsigned long long)d->times_dropped, (unsigned)d->o.max_times_total);
  if (d->ev.dropped)
    tells_buf_addf(&b, "%s %llu sample flow lists cut short (cap %u sample flows)", k++ ? ";" : "",
                   (unsigned long long)d->ev.dropped, (unsigned)d->o.max_evidence);
  if (tells__dhttp_dropped(d->http))
    tells_buf_addf(&b, "%s %llu HTTP executable downloads not kept (cap 256)", k++ ? ";" : "",
                   (unsigned long long)tells__dhttp_dropped(d->http));
  if (d->dropped)
    tells_buf_addf(&b, "%s %llu updates lost for lack of memory", k++ ? ";" : "",
                   (unsigned long long)d->dropped);
  mb_str(peak, sizeof peak, d->mem.peak);
  mb_str(bound, sizeof bound, tells_detect_mem_bound(&d->o));
  tells_buf_addf(&b, "; peak detector memory %s (bound %s)", peak, bound);
  len = b.err ? 0 : strlen(tells_buf_str(&b));
  if (n) {
    if (len >= n) len = n - 1;
    if (len) memcpy(buf, tells_buf_str(&b), len);
    buf[len] = 0;
  }
  tells_buf_free(&b);
  return len ? len : 1;
}

void tells_detect_dns(tells_detect *d, uint8_t l3, const uint8_t client[16], const char *qname,
                      uint16_t qtype, int64_t ts_ns) {
  tells__ddns_query(d->dns, l3, client, qname, qtype, ts_ns);
}

void tells_detect_http_file(tells_detect *d, const tells_flow *f, const tells_app_file *file,
                            int64_t ts_ns) {
  tells__dhttp_file(d->http, f, file, ts_ns);
}


static void add_ref(tells_detect *d, tells__devlist *l, const tells_flow *f, uint16_t sport,
                    uint16_t dport, uint64_t out, uint64_t in, const uint8_t *dst) {
  tells_detect_ref r;
  if (l->n >= TELLS_DETECT_EVIDENCE || l->capped) return;
  memset(&r, 0, sizeof r);
  r.flow_id = f->id; r.sport = sport; r.dport = dport;
  r.first_ns = f->first_ns; r.bytes_out = out; r.bytes_in = in;
  tells__dev_add(&d->ev, l, &r, dst);
}

static int is_external(const tells_detect *d, uint8_t l3, const uint8_t ip[16]) {
  return !tells_detect_internal(&d->o, l3, ip) && tells_geo_scope(l3, ip) == NULL;
}

static void fold_pair(tells_detect *d, const tells_flow *f, const uint8_t *in_ip,
                      const uint8_t *ex_ip, int inside_is_client, uint16_t sport, uint16_t dport) {
  pkey k;
  pair *p;
  int created;
  uint64_t out = inside_is_client ? f->bytes_ts : f->bytes_tc;
  uint64_t in = inside_is_client ? f->bytes_tc : f->bytes_ts;
  memset(&k, 0, sizeof k);
  memcpy(k.a, in_ip, 16); memcpy(k.b, ex_ip, 16); k.l3 = f->key.l3;
  if (!(p = tells__dtab_get(&d->pairs, &k, 1, &created))) { d->dropped++; return; }
  if (created) { p->first = f->first_ns; p->last = f->last_ns; p->dport = dport; p->proto = f->key.proto; }
  if (f->first_ns < p->first) p->first = f->first_ns;
  if (f->last_ns > p->last) p->last = f->last_ns;
  p->out += out; p->in += in; p->n_flows++;
  if (p->dport != dport) p->many_ports = 1;
  add_ref(d, &p->ev, f, sport, dport, out, in, NULL);
  if (!inside_is_client || (f->key.proto != 6 && f->key.proto != 17)) return;
  /* a connection the internal host opened: keep its start time */
  p->n_conn++;
  if (p->n_times >= d->o.max_times) return;
  if (p->n_times == p->cap_times) {
    uint32_t nc = p->cap_times ? p->cap_times * 2 : 8;
    ptime *nt;
    if (nc > d->o.max_times) nc = d->o.max_times;
    if (d->times_total + (nc - p->cap_times) > d->o.max_times_total) { d->times_dropped++; return; }
    if (!(nt = tells__dmem_realloc(&d->mem, p->times, (size_t)p->cap_times * sizeof *nt,
                                   (size_t)nc * sizeof *nt))) { d->dropped++; return; }
    d->times_total += nc - p->cap_times;
    p->times = nt; p->cap_times = nc;
  }
  p->times[p->n_times].t = f->first_ns;
  p->times[p->n_times].out = out;
  p->n_times++;
}

static src *get_src(tells_detect *d, uint8_t l3, const uint8_t *ip, int create) {
  skey k;
  src *s;
  memset(&k, 0, sizeof k);
  memcpy(k.a, ip, 16); k.l3 = l3;
  if (!(s = tells__dtab_get(&d->srcs, &k, create, NULL)) && create) d->dropped++;
  return s;
}

/* The targets table holds a 64-bit fingerprint of (source, host, port):
** 16 bytes an entry instead of 48; it is never listed, only looked up. */
static uint64_t target_fp(const tkey *k) {
  const uint8_t *p = (const uint8_t *)k;
  uint64_t h = 0x84222325cbf29ce4ull;
  size_t i;
  for (i = 0; i < sizeof *k; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 33; h *= 0xff51afd7ed558ccdull;   /* finaliser (MurmurHash3 fmix64) */
  h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

static hostp *get_host(tells_detect *d, uint8_t l3, const uint8_t *a, const uint8_t *b,
                       int *created) {
  pkey k;
  hostp *h;
  memset(&k, 0, sizeof k);
  memcpy(k.a, a, 16); memcpy(k.b, b, 16); k.l3 = l3;
  if (!(h = tells__dtab_get(&d->hosts, &k, 1, created))) d->dropped++;
  return h;
}

static void fold_tcp(tells_detect *d, const tells_flow *f, const uint8_t *cip, const uint8_t *sip,
                     uint16_t sport, uint16_t dport, int c_in, int s_in) {
  uint16_t h = f->history;
  int answered = (h & (TELLS_FH_SYNACK << 8)) || (h & (TELLS_FH_DATA << 8));
  int failed = !answered || ((h & (TELLS_FH_RST << 8)) && !(h & (TELLS_FH_DATA << 8)));
  src *s;
  hostp *hp;
  size_t i;
  int created;
  if (!(h & TELLS_FH_SYN)) return;      /* picked up mid-stream: not an attempt */
  /* lateral movement: internal to internal admin service that answered */
  if (c_in && s_in && answered && !failed) {
    for (i = 0; i < N_SVC; i++) if (SVC[i].port == dport) break;
    if (i < N_SVC) {
      if (!(s = get_src(d, f->key.l3, cip, 1)) || !(hp = get_host(d, f->key.l3, cip, sip, NULL))) return;
      hp->svc |= 1u << i;
      s->lat_svc |= 1u << i;
      if (!hp->lat) {
        hp->lat = 1;
        add_ref(d, &s->lat_ev, f, sport, dport, f->bytes_ts, f->bytes_tc, sip);
        if (!s->lat_hosts++ || f->first_ns < s->lat_first) s->lat_first = f->first_ns;
        if (f->last_ns > s->lat_last) s->lat_last = f->last_ns;
      }
    }
  }
  /* scanning: distinct (host, port) targets and their outcome */
  {
    tkey k;
    uint64_t fp;
    uint8_t *v;
    memset(&k, 0, sizeof k);
    memcpy(k.a, cip, 16); memcpy(k.b, sip, 16); k.l3 = f->key.l3; k.port = dport;
    fp = target_fp(&k);
    if (!(v = tells__dtab_get(&d->targets, &fp, 1, &created))) { d->dropped++; return; }
    if (!(s = get_src(d, f->key.l3, cip, 1))) return;
    if (!created) {
      if (*v && !failed) {
        *v = 0; s->scan_failed--;
        if ((hp = get_host(d, f->key.l3, cip, sip, NULL)) && hp->failed) hp->failed--;
      }
      return;
    }
    *v = (uint8_t)failed;
    s->scan_targets++;
    if (failed) {   /* the scan's span is that of its failed attempts */
      if (!s->scan_failed++ || f->first_ns < s->scan_first) s->scan_first = f->first_ns;
      if (f->last_ns > s->scan_last) s->scan_last = f->last_ns;
      add_ref(d, &s->scan_ev, f, sport, dport, f->bytes_ts, f->bytes_tc, NULL);
    }
    if (!(hp = get_host(d, f->key.l3, cip, sip, &created))) return;
    if (created) s->scan_hosts++;
    hp->failed += (uint32_t)failed;
    if (++hp->ports > s->scan_max_ports) s->scan_max_ports = hp->ports;
  }
}

void tells_detect_flow(tells_detect *d, const tells_flow *f) {
  uint8_t l3 = f->key.l3;
  const uint8_t *cip = f->client_is_a ? f->key.a : f->key.b;
  const uint8_t *sip = f->client_is_a ? f->key.b : f->key.a;
  uint16_t sport = f->client_is_a ? f->key.pa : f->key.pb;
  uint16_t dport = f->client_is_a ? f->key.pb : f->key.pa;
  int c_in = tells_detect_internal(&d->o, l3, cip), s_in = tells_detect_internal(&d->o, l3, sip);
  if (f->key.proto != 6 && f->key.proto != 17 && f->key.proto != 132) sport = dport = 0;
  if (c_in && !s_in && is_external(d, l3, sip)) fold_pair(d, f, cip, sip, 1, sport, dport);
  else if (s_in && !c_in && is_external(d, l3, cip)) fold_pair(d, f, sip, cip, 0, sport, dport);
  if (f->key.proto == 6) fold_tcp(d, f, cip, sip, sport, dport, c_in, s_in);
}

/* ---- evaluation ------------------------------------------------------ */

typedef struct emit_ctx {
  tells_detect *d;
  tells_detect_fn fn;
  void *ud;
  tells_buf sum, det;
  tells_json j;
  uint32_t n;
  tells_detect_ref ev[TELLS_DETECT_EVIDENCE];   /* the aggregate's sample flows */
  uint8_t ev_dst[TELLS_DETECT_EVIDENCE][16];
  uint32_t n_ev;
} emit_ctx;

static const char *country(tells_detect *d, uint8_t l3, const uint8_t ip[16]) {
  const tells_geo_info *gi;
  if (!d->geo) return "";
  gi = tells_geo_cached(d->geo, l3, ip);
  return gi->country;
}

static void refs_json(tells_json *j, const tells_detect_ref *v, uint32_t n, uint8_t l3,
                      const uint8_t (*dst)[16]) {
  uint32_t i;
  char t[64], a[46];
  tells_json_key(j, "flows");
  tells_json_arr(j);
  for (i = 0; i < n; i++) {
    tells_json_obj(j);
    tells_json_ku64(j, "flow_id", v[i].flow_id);
    tells_eve_time(v[i].first_ns, t);
    tells_json_kstr(j, "start", t);
    if (dst) { tells_ip_str(l3, dst[i], a); tells_json_kstr(j, "dest_ip", a); }
    if (v[i].sport || v[i].dport) {
      tells_json_ku64(j, "src_port", v[i].sport);
      tells_json_ku64(j, "dest_port", v[i].dport);
    }
    tells_json_ku64(j, "bytes_out", v[i].bytes_out);
    tells_json_ku64(j, "bytes_in", v[i].bytes_in);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

/* Starts the details object: {"figures": { ... (left open) */
static void det_begin(emit_ctx *x) {
  tells_buf_reset(&x->det);
  tells_json_init_buf(&x->j, &x->det, 0);
  tells_json_obj(&x->j);
  tells_json_key(&x->j, "figures");
  tells_json_obj(&x->j);
}

static void send(emit_ctx *x, tells_detect_alert *a) {
  tells_json_obj_end(&x->j);
  tells_json_flush(&x->j);
  a->summary = x->sum.err ? "" : tells_buf_str(&x->sum);
  a->details_json = x->det.err ? NULL : tells_buf_str(&x->det);
  x->fn(x->ud, a);
  x->n++;
}

static void mb(char *out, size_t n, uint64_t bytes) {
  snprintf(out, n, "%.1f MB", (double)bytes / 1e6);
}

static int cmp_time(const void *a, const void *b) {
  const ptime *x = a, *y = b;
  return x->t < y->t ? -1 : x->t > y->t;
}

/* Mean and coefficient of variation of the intervals between sorted times,
** and of the sizes. */
static void regularity(ptime *v, uint32_t n, double *mean, double *sd, double *size_cv) {
  double s = 0, ss = 0, zs = 0, zss = 0, m, zm;
  uint32_t i;
  qsort(v, n, sizeof *v, cmp_time);
  for (i = 1; i < n; i++) {
    double iv = (double)(v[i].t - v[i - 1].t) / 1e9;
    s += iv; ss += iv * iv;
  }
  m = s / (n - 1);
  *mean = m;
  *sd = sqrt(fmax(0, ss / (n - 1) - m * m));
  for (i = 0; i < n; i++) { zs += (double)v[i].out; zss += (double)v[i].out * (double)v[i].out; }
  zm = zs / n;
  *size_cv = zm > 0 ? sqrt(fmax(0, zss / n - zm * zm)) / zm : 0;
}

static void eval_pair(emit_ctx *x, const pkey *k, pair *p) {
  tells_detect *d = x->d;
  const tells_detect_opts *o = &d->o;
  tells_detect_alert a;
  char ia[46], ea[46], vol[32];
  const char *cc = country(d, k->l3, k->b);
  int beacon = 0;
  double mean = 0, sd = 0, size_cv = 0;
  tells_ip_str(k->l3, k->a, ia);
  tells_ip_str(k->l3, k->b, ea);
  x->n_ev = tells__dev_get(&d->ev, &p->ev, x->ev, NULL);
  if (p->n_times >= o->beacon_min_conns && p->n_times >= 3) {
    regularity(p->times, p->n_times, &mean, &sd, &size_cv);
    beacon = mean >= o->beacon_min_period && mean > 0 && sd / mean <= o->beacon_max_cv;
  }
  if (beacon) {
    int tls = p->dport == 443 || p->dport == 8443 || p->dport == 993 || p->dport == 995;
    memset(&a, 0, sizeof a);
    a.rule = "net.beacon";
    a.signature = "TELLS NET periodic connections to an external host (possible C2 beaconing)";
    a.category = "Command and Control";
    a.severity = sd / mean <= 0.1 && p->n_times >= 16 ? 1 : 2;
    a.level = a.severity == 1 ? "high" : "medium";
    a.technique = tls ? "T1573" : "T1071"; a.tactic = "command-and-control";
    a.l3 = k->l3; a.proto = p->proto;
    memcpy(a.src, k->a, 16); memcpy(a.dst, k->b, 16); a.has_dst = 1;
    a.dport = p->many_ports ? 0 : p->dport;
    a.first_ns = p->first; a.last_ns = p->last;
    a.flows = x->ev; a.n_flows = x->n_ev;
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s connected to %s%s%s%s %u times every %.1f s (jitter %.1f s, "
                     "%.0f%%) between its first and last connection", ia, ea,
                     cc[0] ? " (" : "", cc, cc[0] ? ")" : "", p->n_conn, mean, sd,
                     100.0 * sd / mean);
    det_begin(x);
    tells_json_ku64(&x->j, "connections", p->n_conn);
    tells_json_key(&x->j, "period_s"); tells_json_dbl(&x->j, round(mean * 100) / 100);
    tells_json_key(&x->j, "jitter_s"); tells_json_dbl(&x->j, round(sd * 100) / 100);
    tells_json_key(&x->j, "interval_cv"); tells_json_dbl(&x->j, round(sd / mean * 1000) / 1000);
    tells_json_key(&x->j, "size_cv"); tells_json_dbl(&x->j, round(size_cv * 1000) / 1000);
    tells_json_ku64(&x->j, "bytes_out", p->out);
    tells_json_ku64(&x->j, "bytes_in", p->in);
    if (cc[0]) tells_json_kstr(&x->j, "dest_country", cc);
    tells_json_obj_end(&x->j);
    refs_json(&x->j, x->ev, x->n_ev, k->l3, NULL);
    send(x, &a);
  }
  if (p->out >= o->exfil_bytes && (double)p->out >= o->exfil_ratio * (double)p->in) {
    memset(&a, 0, sizeof a);
    a.rule = "net.exfil";
    a.signature = "TELLS NET large outbound transfer to an external host (possible exfiltration)";
    a.category = "Exfiltration";
    a.severity = p->out >= o->exfil_bytes * 10 ? 1 : 2;
    a.level = a.severity == 1 ? "high" : "medium";
    a.technique = beacon ? "T1041" : "T1048"; a.tactic = "exfiltration";
    a.l3 = k->l3; a.proto = p->proto;
    memcpy(a.src, k->a, 16); memcpy(a.dst, k->b, 16); a.has_dst = 1;
    a.dport = p->many_ports ? 0 : p->dport;
    a.first_ns = p->first; a.last_ns = p->last;
    a.flows = x->ev; a.n_flows = x->n_ev;
    mb(vol, sizeof vol, p->out);
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s sent %s to %s%s%s%s in %u flows over %.0f s (%.1f MB back, "
                     "ratio %.0f:1)", ia, vol, ea, cc[0] ? " (" : "", cc, cc[0] ? ")" : "",
                     p->n_flows, (double)(p->last - p->first) / 1e9, (double)p->in / 1e6,
                     p->in ? (double)p->out / (double)p->in : (double)p->out);
    det_begin(x);
    tells_json_ku64(&x->j, "bytes_out", p->out);
    tells_json_ku64(&x->j, "bytes_in", p->in);
    tells_json_ku64(&x->j, "flows", p->n_flows);
    tells_json_ku64(&x->j, "duration_s", (uint64_t)(p->last - p->first) / 1000000000u);
    tells_json_key(&x->j, "pcr");   /* producer-consumer ratio, -1..1 */
    tells_json_dbl(&x->j, round(((double)p->out - (double)p->in) /
                                ((double)p->out + (double)p->in) * 1000) / 1000);
    if (cc[0]) tells_json_kstr(&x->j, "dest_country", cc);
    tells_json_obj_end(&x->j);
    refs_json(&x->j, x->ev, x->n_ev, k->l3, NULL);
    send(x, &a);
  }
}

static void eval_src(emit_ctx *x, const skey *k, src *s) {
  tells_detect *d = x->d;
  const tells_detect_opts *o = &d->o;
  tells_detect_alert a;
  char ia[46];
  size_t i;
  tells_ip_str(k->l3, k->a, ia);
  if (s->lat_hosts >= o->lateral_min_hosts) {
    char svcs[64] = "";
    const char *tech = NULL;
    memset(&a, 0, sizeof a);
    for (i = 0; i < N_SVC; i++) {
      if (!(s->lat_svc & (1u << i))) continue;
      if (!tech) tech = SVC[i].technique;
      if (!strstr(svcs, SVC[i].name)) {
        size_t l = strlen(svcs);
        snprintf(svcs + l, sizeof svcs - l, "%s%s", l ? "," : "", SVC[i].name);
      }
    }
    a.rule = "net.lateral";
    a.signature = "TELLS NET one host reaching admin services on many internal hosts "
                  "(possible lateral movement)";
    a.category = "Lateral Movement";
    a.severity = 1; a.level = "high";
    a.technique = tech; a.tactic = "lateral-movement";
    a.l3 = k->l3; a.proto = 6;
    memcpy(a.src, k->a, 16);
    a.first_ns = s->lat_first; a.last_ns = s->lat_last;
    x->n_ev = tells__dev_get(&d->ev, &s->lat_ev, x->ev, x->ev_dst);
    a.flows = x->ev; a.n_flows = x->n_ev;
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s opened %s sessions to %u internal hosts over %.0f s", ia, svcs,
                     s->lat_hosts, (double)(s->lat_last - s->lat_first) / 1e9);
    det_begin(x);
    tells_json_ku64(&x->j, "hosts", s->lat_hosts);
    tells_json_kstr(&x->j, "services", svcs);
    tells_json_obj_end(&x->j);
    refs_json(&x->j, x->ev, x->n_ev, k->l3, (const uint8_t (*)[16])x->ev_dst);
    send(x, &a);
  }
  /* a sweep: many targets, most of all this source's attempts failed; or
  ** a port scan of one host, most of the attempts on that host failed --
  ** a busy host's ordinary connections do not hide a scan of one server */
  if (s->scan_targets && (((s->scan_hosts >= o->scan_min_hosts || s->scan_max_ports >= o->scan_min_ports) &&
                           (double)s->scan_failed >= o->scan_min_failed * (double)s->scan_targets) ||
                          s->scan_vert_ports)) {
    int inside = tells_detect_internal(o, k->l3, k->a);
    memset(&a, 0, sizeof a);
    a.rule = "net.scan";
    a.signature = "TELLS NET host or port scan (many targets, mostly failed TCP handshakes)";
    a.category = inside ? "Discovery" : "Reconnaissance";
    a.severity = 2; a.level = "medium";
    a.technique = inside ? "T1046" : "T1595"; a.tactic = inside ? "discovery" : "reconnaissance";
    a.l3 = k->l3; a.proto = 6;
    memcpy(a.src, k->a, 16);
    a.first_ns = s->scan_first; a.last_ns = s->scan_last;
    x->n_ev = tells__dev_get(&d->ev, &s->scan_ev, x->ev, NULL);
    a.flows = x->ev; a.n_flows = x->n_ev;
    tells_buf_reset(&x->sum);
    tells_buf_addf(&x->sum, "%s tried %u host/port targets on %u hosts (up to %u ports on one "
                     "host); %u (%.0f%%) failed", ia, s->scan_targets, s->scan_hosts,
                     s->scan_max_ports, s->scan_failed,
                     100.0 * s->scan_failed / s->scan_targets);
    det_begin(x);
    tells_json_ku64(&x->j, "targets", s->scan_targets);
    tells_json_ku64(&x->j, "hosts", s->scan_hosts);
    tells_json_ku64(&x->j, "max_ports_per_host", s->scan_max_ports);
    tells_json_ku64(&x->j, "failed", s->scan_failed);
    if (s->scan_vert_ports) {
      tells_json_ku64(&x->j, "port_scan_ports", s->scan_vert_ports);
      tells_json_ku64(&x->j, "port_scan_failed", s->scan_vert_failed);
    }
    tells_json_obj_end(&x->j);
    refs_json(&x->j, x->ev, x->n_ev, k->l3, NULL);
    send(x, &a);
  }
}

uint32_t tells_detect_finish(tells_detect *d, tells_detect_fn fn, void *ud) {
  emit_ctx x;
  uint32_t i;
  memset(&x, 0, sizeof x);
  x.d = d; x.fn = fn; x.ud = ud;
  tells_buf_init(&x.sum, 4096);
  tells_buf_init(&x.det, 1u << 16);
  for (i = 0; i < d->pairs.cap; i++) {
    pair *p = tells__dtab_val(&d->pairs, i);
    if (p) eval_pair(&x, tells__dtab_key(&d->pairs, i), p);
  }
  for (i = 0; i < d->hosts.cap; i++) {    /* port scans of one host */
    hostp *h = tells__dtab_val(&d->hosts, i);
    const pkey *k = tells__dtab_key(&d->hosts, i);
    src *s;
    if (!h || h->ports < d->o.scan_min_ports ||
        (double)h->failed < d->o.scan_min_failed * (double)h->ports) continue;
    if ((s = get_src(d, k->l3, k->a, 0)) && h->ports > s->scan_vert_ports) {
      s->scan_vert_ports = h->ports;
      s->scan_vert_failed = h->failed;
    }
  }
  for (i = 0; i < d->srcs.cap; i++) {
    src *s = tells__dtab_val(&d->srcs, i);
    if (s) eval_src(&x, tells__dtab_key(&d->srcs, i), s);
  }
  tells_buf_free(&x.sum);
  tells_buf_free(&x.det);
  x.n += tells__ddns_finish(d->dns, fn, ud);
  return x.n + tells__dhttp_finish(d->http, fn, ud);
}
