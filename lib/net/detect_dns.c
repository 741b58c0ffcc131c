/*
** detect_dns.c -- DNS tunnelling detection (see detect.h): per base domain,
** the queries, the distinct names, the share of names whose subdomain part
** is long and random-looking (Shannon entropy per character), and the TXT
** and NULL queries that tunnels favour for their larger answers.
**
** The base domain is the last two labels, or three under a country code
** whose second level is a generic one (co.uk, com.au, ...): an
** approximation of the Public Suffix List that errs towards grouping more.
** Reverse lookups (.arpa) and .local names are ignored.
**
** Both tables are bounded (max_domains, max_names): a full domains table
** evicts the sampled domain with the fewest queries and names, a full names
** table (64-bit hashes of the names) the least recently seen name.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "buf.h"
#include "decode.h"
#include "detect.h"
#include "eve.h"
#include "json.h"

#define DNS_SAMPLES 5

typedef struct dom {
  char base[96];
  uint8_t l3, client[16];
  uint32_t queries, unique, random, txtnull, clients_more;
  double ent_sum;                  /* over random names */
  int64_t first, last;
  char sample[DNS_SAMPLES][80];
  uint32_t n_sample;
} dom;

typedef struct nkey { uint64_t d, n; } nkey;

struct tells__ddns {
  const tells_detect_opts *o;     /* the detector's (not owned) */
  tells__dtab doms, names;
  tells__dmem *mem;               /* the detector's account (not owned) */
  uint64_t dropped;               /* out of memory */
};

static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

/* Eviction weight of a domain: its progress towards the thresholds. */
static double dom_weight(void *ud, const void *key, const void *val) {
  const tells_detect_opts *o = ud;
  const dom *d = val;
  double a = o->dns_min_queries ? (double)d->queries / o->dns_min_queries : d->queries;
  double b = o->dns_min_unique ? (double)d->unique / o->dns_min_unique : d->unique;
  (void)key;
  return a > b ? a : b;
}

tells__ddns *tells__ddns_new(const tells_detect_opts *o, tells__dmem *mem) {
  tells__ddns *x = tells__dmem_calloc(mem, 1, sizeof *x);
  if (!x) return NULL;
  x->o = o;
  x->mem = mem;
  tells__dtab_init(&x->doms, sizeof(uint64_t), sizeof(dom), o->max_domains, mem);
  tells__dtab_policy(&x->doms, dom_weight, NULL, (void *)(uintptr_t)o);
  tells__dtab_init(&x->names, sizeof(nkey), 1, o->max_names, mem);
  return x;
}

size_t tells__ddns_bound(const tells_detect_opts *o) {
  return sizeof(tells__ddns) + tells__dtab_bound(sizeof(uint64_t), sizeof(dom), o->max_domains) +
         tells__dtab_bound(sizeof(nkey), 1, o->max_names);
}

void tells__ddns_free(tells__ddns *x) {
  if (!x) return;
  tells__dtab_free(&x->doms);
  tells__dtab_free(&x->names);
  tells__dmem_free(x->mem, x, sizeof *x);
}

void tells__ddns_evicted(const tells__ddns *x, uint64_t *domains, uint64_t *names) {
  *domains = x->doms.evicted + x->dropped;
  *names = x->names.evicted;
}

double tells__ddns_entropy(const char *s, size_t n) {
  uint32_t cnt[256];
  size_t i, m = 0;
  double h = 0;
  memset(cnt, 0, sizeof cnt);
  for (i = 0; i < n; i++) if (s[i] != '.') { cnt[(uint8_t)s[i]]++; m++; }
  if (!m) return 0;
  for (i = 0; i < 256; i++)
    if (cnt[i]) { double p = (double)cnt[i] / (double)m; h -= p * log2(p); }
  return h;
}

size_t tells__ddns_base(const char *name, size_t n) {
  static const char *const SLD[] = {"co", "com", "net", "org", "gov", "edu", "ac", "or",
                                    "ne", "go", "mil", "gob", "nic", NULL};
  size_t dots[3] = {0, 0, 0};
  int nd = 0, k;
  size_t i;
  for (i = n; i > 0; i--) {
    if (name[i - 1] != '.') continue;
    dots[nd++] = i;                /* offset just after the dot */
    if (nd == 3) break;
  }
  if (nd < 2) return 0;             /* one or two labels: the whole name */
  /* tld = name[dots[0]..n), sld = name[dots[1]..dots[0]-1) */
  if (n - dots[0] == 2) {
    size_t sl = dots[0] - 1 - dots[1];
    for (k = 0; SLD[k]; k++)
      if (strlen(SLD[k]) == sl && memcmp(name + dots[1], SLD[k], sl) == 0)
        return nd == 3 ? dots[2] : 0;
  }
  return dots[1];
}

void tells__ddns_query(tells__ddns *x, uint8_t l3, const uint8_t client[16], const char *qname,
                       uint16_t qtype, int64_t ts_ns) {
  char name[256];
  size_t n = 0, b, sub;
  uint64_t dh;
  dom *d;
  nkey nk;
  int created;
  const tells_detect_opts *o = x->o;
  if (!qname) return;
  for (; qname[n] && n < sizeof name - 1; n++) {
    char c = qname[n];
    name[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  while (n && name[n - 1] == '.') n--;
  name[n] = 0;
  if (n == 0) return;
  if ((n >= 5 && memcmp(name + n - 5, ".arpa", 5) == 0) ||
      (n >= 6 && memcmp(name + n - 6, ".local", 6) == 0)) return;
  b = tells__ddns_base(name, n);
  sub = b ? b - 1 : 0;              /* subdomain characters before the base's dot */
  dh = fnv(name + b, n - b);
  if (!(d = tells__dtab_get(&x->doms, &dh, 1, &created))) { x->dropped++; return; }
  if (created) {
    snprintf(d->base, sizeof d->base, "%.*s", (int)(n - b), name + b);
    d->l3 = l3; memcpy(d->client, client, 16);
    d->first = d->last = ts_ns;
  } else if (d->l3 != l3 || memcmp(d->client, client, 16) != 0) {
    d->clients_more = 1;
  }
  if (ts_ns < d->first) d->first = ts_ns;
  if (ts_ns > d->last) d->last = ts_ns;
  d->queries++;
  if (qtype == 16 || qtype == 10) d->txtnull++;
  nk.d = dh; nk.n = fnv(name, n);
  if (!tells__dtab_get(&x->names, &nk, 1, &created)) { x->dropped++; return; }
  if (!created) return;
  d->unique++;
  if (sub) {
    size_t i, chars = 0;
    double e;
    for (i = 0; i < sub; i++) chars += name[i] != '.';
    e = tells__ddns_entropy(name, sub);
    if (chars >= o->dns_min_len && e >= o->dns_min_entropy) {
      d->random++;
      d->ent_sum += e;
      if (d->n_sample < DNS_SAMPLES)
        snprintf(d->sample[d->n_sample++], sizeof d->sample[0], "%.79s", name);
    }
  }
}

uint32_t tells__ddns_finish(tells__ddns *x, tells_detect_fn fn, void *ud) {
  const tells_detect_opts *o = x->o;
  tells_buf sum, det;
  tells_json j;
  uint32_t i, k, n = 0;
  tells_buf_init(&sum, 4096);
  tells_buf_init(&det, 1u << 14);
  for (i = 0; i < x->doms.cap; i++) {
    dom *d = tells__dtab_val(&x->doms, i);
    tells_detect_alert a;
    char ca[46];
    double share, ent;
    if (!d || d->queries < o->dns_min_queries || d->unique < o->dns_min_unique) continue;
    share = (double)d->random / (double)d->unique;
    if (share < o->dns_min_share) continue;
    ent = d->random ? d->ent_sum / d->random : 0;
    memset(&a, 0, sizeof a);
    a.rule = "net.dns_tunnel";
    a.signature = "TELLS NET many long random names under one domain (possible DNS tunnelling)";
    a.category = "Command and Control";
    a.severity = d->txtnull * 2 >= d->queries ? 1 : 2;
    a.level = a.severity == 1 ? "high" : "medium";
    a.technique = "T1071.004"; a.tactic = "command-and-control";
    a.l3 = d->l3; a.proto = 17;
    memcpy(a.src, d->client, 16);
    a.first_ns = d->first; a.last_ns = d->last;
    tells_ip_str(d->l3, d->client, ca);
    tells_buf_reset(&sum);
    tells_buf_addf(&sum, "%s%s sent %u queries for %u distinct names under %s; %.0f%% of the "
                   "names have long random labels (%.2f bits/char), %u TXT/NULL queries", ca,
                   d->clients_more ? " and other hosts" : "", d->queries, d->unique, d->base,
                   100.0 * share, ent, d->txtnull);
    tells_buf_reset(&det);
    tells_json_init_buf(&j, &det, 0);
    tells_json_obj(&j);
    tells_json_key(&j, "figures");
    tells_json_obj(&j);
    tells_json_kstr(&j, "domain", d->base);
    tells_json_ku64(&j, "queries", d->queries);
    tells_json_ku64(&j, "unique_names", d->unique);
    tells_json_ku64(&j, "random_names", d->random);
    tells_json_key(&j, "entropy"); tells_json_dbl(&j, round(ent * 100) / 100);
    tells_json_ku64(&j, "txt_null_queries", d->txtnull);
    tells_json_obj_end(&j);
    tells_json_key(&j, "samples");
    tells_json_arr(&j);
    for (k = 0; k < d->n_sample; k++) tells_json_str(&j, d->sample[k]);
    tells_json_arr_end(&j);
    tells_json_obj_end(&j);
    tells_json_flush(&j);
    a.summary = sum.err ? "" : tells_buf_str(&sum);
    a.details_json = det.err ? NULL : tells_buf_str(&det);
    fn(ud, &a);
    n++;
  }
  tells_buf_free(&sum);
  tells_buf_free(&det);
  return n;
}
