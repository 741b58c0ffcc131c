/*
** detect_opts.c -- defaults and "name=value" settings of the flow
** detectors (detect.h), and the internal-network test.  The reasons for
** each default are in docs/internals/net-detect.md.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "decode.h"
#include "detect.h"

/* RFC 1918 and ULA: the internal networks when none are given. */
static const tells_detect_net DEFAULT_NETS[] = {
  {TELLS_L3_IPV4, 8, {10}}, {TELLS_L3_IPV4, 12, {172, 16}}, {TELLS_L3_IPV4, 16, {192, 168}},
  {TELLS_L3_IPV6, 7, {0xfc}}};

/* The caps for a budget of mb megabytes: the defaults below are sized for
** 128 MB (docs/internals/net-detect.md has the table); each scales with
** the budget, at least 64 entries. */
static uint32_t scaled(uint32_t at128, uint32_t mb) {
  uint64_t v = (uint64_t)at128 * mb / 128;
  return v < 64 ? 64 : v > 0x7fffffffu ? 0x7fffffffu : (uint32_t)v;
}

static void set_memory(tells_detect_opts *o, uint32_t mb) {
  o->memory_mb = mb;
  o->max_pairs = scaled(65536, mb);
  o->max_sources = scaled(32768, mb);
  o->max_hosts = scaled(1u << 18, mb);
  o->max_targets = scaled(1u << 19, mb);
  o->max_domains = scaled(16384, mb);
  o->max_names = scaled(1u << 18, mb);
  o->max_times_total = scaled(1u << 20, mb);
  o->max_evidence = scaled(1u << 18, mb);
}

void tells_detect_opts_default(tells_detect_opts *o) {
  memset(o, 0, sizeof *o);
  o->exfil_bytes = 100000000u;
  o->exfil_ratio = 10.0;
  o->beacon_min_conns = 8;
  o->beacon_max_cv = 0.2;
  o->beacon_min_period = 10.0;
  o->lateral_min_hosts = 10;
  o->scan_min_hosts = 25;
  o->scan_min_ports = 50;
  o->scan_min_failed = 0.6;
  o->dns_min_queries = 40;
  o->dns_min_unique = 30;
  o->dns_min_len = 24;
  o->dns_min_entropy = 3.3;
  o->dns_min_share = 0.5;
  set_memory(o, 128);
  o->max_times = 256;
}

static int in_net(const tells_detect_net *n, uint8_t l3, const uint8_t ip[16]) {
  int full = n->bits / 8, rest = n->bits % 8;
  if (n->l3 != l3) return 0;
  if (memcmp(n->ip, ip, (size_t)full) != 0) return 0;
  return !rest || ((n->ip[full] ^ ip[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int tells_detect_internal(const tells_detect_opts *o, uint8_t l3, const uint8_t ip[16]) {
  const tells_detect_net *v = o->n_nets ? o->nets : DEFAULT_NETS;
  uint32_t i, n = o->n_nets ? o->n_nets : (uint32_t)(sizeof DEFAULT_NETS / sizeof *DEFAULT_NETS);
  for (i = 0; i < n; i++) if (in_net(&v[i], l3, ip)) return 1;
  return 0;
}

static int parse_cidr(const char *v, tells_detect_net *n) {
  char ip[64];
  const char *slash = strchr(v, '/');
  size_t len = slash ? (size_t)(slash - v) : strlen(v);
  char *end;
  unsigned long bits;
  int k;
  if (len == 0 || len >= sizeof ip) return 0;
  memcpy(ip, v, len); ip[len] = 0;
  memset(n, 0, sizeof *n);
  if (inet_pton(AF_INET, ip, n->ip) == 1) n->l3 = TELLS_L3_IPV4;
  else if (inet_pton(AF_INET6, ip, n->ip) == 1) n->l3 = TELLS_L3_IPV6;
  else return 0;
  bits = n->l3 == TELLS_L3_IPV4 ? 32 : 128;
  if (slash) {
    bits = strtoul(slash + 1, &end, 10);
    if (!slash[1] || *end || bits > (n->l3 == TELLS_L3_IPV4 ? 32u : 128u)) return 0;
  }
  n->bits = (uint8_t)bits;
  for (k = (int)bits; k < 128; k++) n->ip[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
  return 1;
}

tells_err tells_detect_opts_set(tells_detect_opts *o, const char *s, char *err, size_t errlen) {
  static const struct { const char *name; size_t off; char kind; } F[] = {
#define U64(f) {#f, offsetof(tells_detect_opts, f), 'q'}
#define U32(f) {#f, offsetof(tells_detect_opts, f), 'u'}
#define DBL(f) {#f, offsetof(tells_detect_opts, f), 'd'}
    U64(exfil_bytes), DBL(exfil_ratio), U32(beacon_min_conns), DBL(beacon_max_cv),
    DBL(beacon_min_period), U32(lateral_min_hosts), U32(scan_min_hosts),
    U32(scan_min_ports), DBL(scan_min_failed), U32(dns_min_queries), U32(dns_min_unique),
    U32(dns_min_len), DBL(dns_min_entropy), DBL(dns_min_share), U32(max_pairs),
    U32(max_sources), U32(max_hosts), U32(max_targets), U32(max_domains), U32(max_names),
    U32(max_times), U32(max_times_total), U32(max_evidence),
#undef U64
#undef U32
#undef DBL
  };
  const char *eq = strchr(s, '=');
  size_t nl, i;
  char *end;
  if (!eq) { snprintf(err, errlen, "'%s': expected NAME=VALUE", s); return TELLS_EARG; }
  nl = (size_t)(eq - s);
  if (nl == 8 && memcmp(s, "internal", 8) == 0) {
    tells_detect_net n;
    if (!parse_cidr(eq + 1, &n)) { snprintf(err, errlen, "'%s': not an address/prefix", eq + 1); return TELLS_EARG; }
    if (o->n_nets >= TELLS_DETECT_MAX_NETS) { snprintf(err, errlen, "more than %d internal networks", TELLS_DETECT_MAX_NETS); return TELLS_EARG; }
    o->nets[o->n_nets++] = n;
    return TELLS_OK;
  }
  if (nl == 9 && memcmp(s, "memory_mb", 9) == 0) {   /* scales every cap */
    unsigned long v = strtoul(eq + 1, &end, 10);
    if (eq[1] < '0' || eq[1] > '9' || *end || v < 4 || v > 1048576) {
      snprintf(err, errlen, "'%s': memory_mb is 4..1048576", s);
      return TELLS_EARG;
    }
    set_memory(o, (uint32_t)v);
    return TELLS_OK;
  }
  for (i = 0; i < sizeof F / sizeof *F; i++) {
    char *p = (char *)o + F[i].off;
    if (strlen(F[i].name) != nl || memcmp(F[i].name, s, nl) != 0) continue;
    if (F[i].kind == 'd') {
      double v = strtod(eq + 1, &end);
      if (!eq[1] || *end || !(v >= 0) || v > 1e12) break;
      memcpy(p, &v, sizeof v);
    } else {
      unsigned long long v;
      if (eq[1] < '0' || eq[1] > '9') break;
      v = strtoull(eq + 1, &end, 10);
      if (*end || (F[i].kind == 'u' && (v == 0 || v > 0x7fffffffu))) break;
      if (F[i].kind == 'u') { uint32_t w = (uint32_t)v; memcpy(p, &w, sizeof w); }
      else { uint64_t w = v; memcpy(p, &w, sizeof w); }
    }
    return TELLS_OK;
  }
  snprintf(err, errlen, "'%s': unknown detection setting or bad value", s);
  return TELLS_EARG;
}
