/*
** test_detect_mem.c -- the network detectors' memory bound: the bound of
** the default caps is within the documented 128 MB and scales with
** memory_mb; under a flood that overflows every table the detectors stay
** under their bound, say so (tells_detect_note), and still find the
** exfiltration, beaconing, lateral movement and DNS tunnel that the flood
** surrounds, because a full table evicts the entries furthest from a
** detection; without a cap reached there is no note.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "detect.h"
#include "t.h"

#define S 1000000000ll
#define MIB (1024.0 * 1024.0)
#define OK_TCP (TELLS_FH_SYN | TELLS_FH_ACK | TELLS_FH_DATA | TELLS_FH_FIN | \
                (TELLS_FH_SYNACK | TELLS_FH_DATA | TELLS_FH_FIN) << 8)

typedef struct got { int n; char rule[64][32]; } got;

static void collect(void *ud, const tells_detect_alert *a) {
  got *g = ud;
  if (g->n < 64) snprintf(g->rule[g->n++], sizeof g->rule[0], "%s", a->rule);
}

static int count(const got *g, const char *rule) {
  int i, n = 0;
  for (i = 0; i < g->n; i++) n += strcmp(g->rule[i], rule) == 0;
  return n;
}

static uint64_t next_id;

static void flow4(tells_detect *d, uint32_t c, uint32_t s, uint16_t sport, uint16_t dport,
                  int64_t t, uint64_t out, uint16_t history) {
  tells_flow f;
  memset(&f, 0, sizeof f);
  f.key.l3 = TELLS_L3_IPV4;
  f.key.a[0] = (uint8_t)(c >> 24); f.key.a[1] = (uint8_t)(c >> 16);
  f.key.a[2] = (uint8_t)(c >> 8); f.key.a[3] = (uint8_t)c;
  f.key.b[0] = (uint8_t)(s >> 24); f.key.b[1] = (uint8_t)(s >> 16);
  f.key.b[2] = (uint8_t)(s >> 8); f.key.b[3] = (uint8_t)s;
  f.key.pa = sport; f.key.pb = dport; f.key.proto = 6;
  f.client_is_a = 1;
  f.id = ++next_id;
  f.first_ns = t; f.last_ns = t + S;
  f.bytes_ts = out; f.bytes_tc = 1000;
  f.history = history;
  tells_detect_flow(d, &f);
}

/* A TXT query for a long random-looking name under tx.com. */
static void tunnel(tells_detect *d, uint32_t i, int64_t t) {
  char name[96];
  snprintf(name, sizeof name, "%08x%08x%08x%04x.tx.com", i * 2654435761u, i ^ 0x5bd1e995u,
           i * 40503u, i & 0xffff);
  tells_detect_dns(d, TELLS_L3_IPV4, (const uint8_t[16]){10, 0, 0, 8}, name, 16, t);
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void test_bound(void) {
  tells_detect_opts o;
  char err[200];
  tells_detect_opts_default(&o);
  CHECK(o.memory_mb == 128);
  CHECK(tells_detect_mem_bound(&o) <= 128 * MIB);
  CHECK(tells_detect_mem_bound(&o) >= 64 * MIB);      /* the budget is used, not wasted */
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=16", err, sizeof err), TELLS_OK);
  CHECK(o.max_pairs == 8192 && o.max_targets == 65536);
  CHECK(tells_detect_mem_bound(&o) <= 16 * MIB);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=1024", err, sizeof err), TELLS_OK);
  CHECK(tells_detect_mem_bound(&o) <= 1024 * MIB && tells_detect_mem_bound(&o) > 512 * MIB);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=4", err, sizeof err), TELLS_OK);
  CHECK(tells_detect_mem_bound(&o) <= 4 * MIB);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_targets=1000", err, sizeof err), TELLS_OK);
  CHECK(o.max_targets == 1000);                       /* a cap set after memory_mb stays */
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=3", err, sizeof err), TELLS_EARG);
  CHECK(strstr(err, "memory_mb") != NULL);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=12x", err, sizeof err), TELLS_EARG);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_evidence=0", err, sizeof err), TELLS_EARG);
}

static void test_flood(void) {
  tells_detect_opts o;
  tells_detect *d = NULL;
  got g;
  char err[200], note[1024];
  uint32_t i;
  int64_t t = 1000 * S;
  tells_detect_opts_default(&o);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "memory_mb=4", err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_detect_new(&o, NULL, &d), TELLS_OK);
  if (!d) return;
  /* before the flood: a large upload, the first beacons and lateral sessions */
  flow4(d, IP(10, 0, 0, 5), IP(8, 8, 4, 4), 40000, 443, t, 300000000, OK_TCP);
  for (i = 0; i < 2; i++) {
    flow4(d, IP(10, 0, 0, 6), IP(9, 9, 9, 9), (uint16_t)(41000 + i), 443, t + i * 60 * S, 500, OK_TCP);
    flow4(d, IP(10, 0, 0, 7), IP(10, 1, 0, 1 + i), (uint16_t)(42000 + i), 445, t + i * S, 5000, OK_TCP);
  }
  for (i = 0; i < 5; i++) tunnel(d, 100000 + i, t);
  /* the flood: single small flows from 40,000 hosts to their own peers,
  ** 40,000 SYNs to distinct internal hosts, 40,000 DNS names under 3,000
  ** domains; the beacon, the lateral movement and the tunnel carry on in
  ** between (each already ahead of any one flood entry when it began) */
  for (i = 0; i < 40000; i++) {
    uint32_t k = i + 1;
    char name[96];
    t += S / 100;
    flow4(d, IP(10, 128, k >> 8, k), IP(45, 0, k >> 8, k), 50000, 443, t, 800, OK_TCP);
    flow4(d, IP(10, 64, (k % 5000) >> 8, k % 5000), IP(172, 16, k >> 8, k), 50001, 80, t,
          0, TELLS_FH_SYN);
    snprintf(name, sizeof name, "n%u.d%u.org", i, i % 3000);
    tells_detect_dns(d, TELLS_L3_IPV4, (const uint8_t[16]){10, 0, 0, 9}, name, 1, t);
    if (i % 4000 == 3999) {
      uint32_t j = i / 4000;
      flow4(d, IP(10, 0, 0, 6), IP(9, 9, 9, 9), (uint16_t)(41002 + j), 443,
            1000 * S + (2 + j) * 60 * S, 500, OK_TCP);
      flow4(d, IP(10, 0, 0, 7), IP(10, 1, 0, 3 + j), (uint16_t)(42002 + j), 445, t, 5000, OK_TCP);
    }
    if (i % 100 == 99) tunnel(d, i, t);
  }
  /* after the flood: another large upload */
  flow4(d, IP(10, 0, 0, 10), IP(9, 9, 8, 8), 43000, 443, t, 250000000, OK_TCP);
  memset(&g, 0, sizeof g);
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.exfil"), 2);
  CHECK_EQ_INT(count(&g, "net.beacon"), 1);
  CHECK_EQ_INT(count(&g, "net.lateral"), 1);
  CHECK_EQ_INT(count(&g, "net.dns_tunnel"), 1);
  CHECK(tells_detect_dropped(d) > 0);
  CHECK(tells_detect_note(d, note, sizeof note) > 0);
  CHECK(strstr(note, "host pairs evicted") && strstr(note, "sources evicted") &&
        strstr(note, "source-host pairs evicted") && strstr(note, "host/port targets evicted") &&
        strstr(note, "DNS base domains evicted") && strstr(note, "DNS names evicted") &&
        strstr(note, "peak detector memory"));
  CHECK(tells_detect_mem_peak(d) <= tells_detect_mem_bound(&o));
  printf("# %s\n", note);
  tells_detect_free(d);
}

static void test_no_note(void) {
  tells_detect *d = NULL;
  char note[64] = "x";
  CHECK_EQ_INT(tells_detect_new(NULL, NULL, &d), TELLS_OK);
  if (!d) return;
  flow4(d, IP(10, 0, 0, 5), IP(8, 8, 4, 4), 40000, 443, S, 3000, OK_TCP);
  CHECK_EQ_INT(tells_detect_note(d, note, sizeof note), 0);
  CHECK_EQ_STR(note, "");
  CHECK(tells_detect_mem_peak(d) < 1024 * 1024);       /* a small capture costs little */
  tells_detect_free(d);
}

int main(void) {
  T_RUN(test_bound);
  T_RUN(test_flood);
  T_RUN(test_no_note);
  T_END();
}
