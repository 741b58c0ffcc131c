/*
** test_detect.c -- the flow detectors on synthetic flows: each fires on its
** pattern and stays quiet on the near-misses (an internal poller, a big
** download, a host using three file servers, ordinary browsing, ordinary
** DNS), and the tables stay within their caps.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "detect.h"
#include "t.h"

#define S 1000000000ll

typedef struct got {
  int n;
  char rule[32][32], tech[32][16], summary[32][400], details[32][2048];
} got;

static void collect(void *ud, const tells_detect_alert *a) {
  got *g = ud;
  if (g->n >= 32) return;
  snprintf(g->rule[g->n], sizeof g->rule[0], "%s", a->rule);
  snprintf(g->tech[g->n], sizeof g->tech[0], "%s", a->technique ? a->technique : "");
  snprintf(g->summary[g->n], sizeof g->summary[0], "%s", a->summary);
  snprintf(g->details[g->n], sizeof g->details[0], "%s", a->details_json ? a->details_json : "");
  g->n++;
}

static int count(const got *g, const char *rule) {
  int i, n = 0;
  for (i = 0; i < g->n; i++) n += strcmp(g->rule[i], rule) == 0;
  return n;
}

static int find(const got *g, const char *rule) {
  int i;
  for (i = 0; i < g->n; i++) if (strcmp(g->rule[i], rule) == 0) return i;
  return -1;
}

static uint64_t next_id;

/* A flow from client c:sport to server s:dport. */
static void flow(tells_detect *d, const char *c, const char *s, uint16_t sport, uint16_t dport,
                 uint8_t proto, int64_t t, uint64_t bts, uint64_t btc, uint16_t history) {
  tells_flow f;
  memset(&f, 0, sizeof f);
  f.key.l3 = strchr(c, ':') ? TELLS_L3_IPV6 : TELLS_L3_IPV4;
  inet_pton(f.key.l3 == TELLS_L3_IPV4 ? AF_INET : AF_INET6, c, f.key.a);
  inet_pton(f.key.l3 == TELLS_L3_IPV4 ? AF_INET : AF_INET6, s, f.key.b);
  f.key.pa = sport; f.key.pb = dport; f.key.proto = proto;
  f.client_is_a = 1;
  f.id = ++next_id;
  f.first_ns = t; f.last_ns = t + 2 * S;
  f.bytes_ts = bts; f.bytes_tc = btc;
  f.pkts_ts = bts / 1000 + 1; f.pkts_tc = btc ? btc / 1000 + 1 : 0;
  f.history = history;
  tells_detect_flow(d, &f);
}

/* TCP histories */
#define OK_TCP (TELLS_FH_SYN | TELLS_FH_ACK | TELLS_FH_DATA | TELLS_FH_FIN | \
                (TELLS_FH_SYNACK | TELLS_FH_DATA | TELLS_FH_FIN) << 8)
#define REFUSED (TELLS_FH_SYN | (TELLS_FH_RST << 8))
#define NO_ANSWER TELLS_FH_SYN

static uint32_t rng = 12345;
static double jitter(double amp) {   /* uniform in [-amp, amp] */
  rng = rng * 1103515245u + 12345u;
  return amp * (2.0 * ((rng >> 8) & 0xffff) / 65535.0 - 1.0);
}

static tells_detect *mk(void) {
  tells_detect *d = NULL;
  tells_detect_new(NULL, NULL, &d);
  return d;
}

static void test_beacon(void) {
  tells_detect *d = mk();
  got g;
  int i, k;
  int64_t t = 1700000000 * S;
  memset(&g, 0, sizeof g);
  for (i = 0; i < 30; i++)   /* every 60 s +- 6 s to a foreign address on 443 */
    flow(d, "10.1.1.5", "185.220.101.7", (uint16_t)(40000 + i), 443, 6,
         t + (int64_t)((60.0 * i + jitter(6)) * S), 900 + (uint64_t)i, 4000, OK_TCP);
  for (i = 0; i < 30; i++)   /* near-miss: a regular internal poller */
    flow(d, "10.1.1.6", "10.1.9.9", (uint16_t)(40000 + i), 161, 17, t + 60 * i * S, 90, 300, 0);
  for (i = 0; i < 30; i++)   /* near-miss: irregular visits to one site */
    flow(d, "10.1.1.7", "93.184.216.34", (uint16_t)(40000 + i), 443, 6,
         t + (int64_t)((i * i * 37 % 3600) + 4000.0 * i) * S, 2000, 90000, OK_TCP);
  for (i = 0; i < 6; i++)    /* near-miss: too few connections */
    flow(d, "10.1.1.8", "185.220.101.8", (uint16_t)(40000 + i), 443, 6, t + 60 * i * S, 900,
         4000, OK_TCP);
  for (i = 0; i < 40; i++)   /* near-miss: a browser's burst of parallel connections */
    flow(d, "10.1.1.9", "151.101.1.69", (uint16_t)(40000 + i), 443, 6, t + i * (S / 10), 900,
         40000, OK_TCP);
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.beacon"), 1);
  CHECK_EQ_INT(g.n, 1);
  k = find(&g, "net.beacon");
  if (k >= 0) {
    CHECK_EQ_STR(g.tech[k], "T1573");
    CHECK(strstr(g.summary[k], "10.1.1.5") && strstr(g.summary[k], "185.220.101.7"));
    CHECK(strstr(g.details[k], "\"connections\":30") != NULL);
    if (!strstr(g.details[k], "\"period_s\":60") && !strstr(g.details[k], "\"period_s\":59"))
      { fprintf(stderr, "  %s\n", g.details[k]); CHECK(0); }
    CHECK(strstr(g.details[k], "\"flows\":[{\"flow_id\":") != NULL);
  }
  tells_detect_free(d);
}

static void test_exfil(void) {
  tells_detect *d = mk();
  got g;
  int i, k;
  int64_t t = 1700000000 * S;
  memset(&g, 0, sizeof g);
  for (i = 0; i < 5; i++)    /* 150 MB out to one foreign host */
    flow(d, "10.2.0.7", "45.33.32.156", (uint16_t)(50000 + i), 443, 6, t + i * 100 * S,
         30000000, 200000, OK_TCP);
  flow(d, "10.2.0.8", "151.101.1.69", 50000, 443, 6, t, 1000000, 500000000, OK_TCP); /* download */
  flow(d, "10.2.0.9", "10.2.0.100", 50000, 445, 6, t, 900000000, 10000, OK_TCP);   /* internal */
  flow(d, "10.2.0.10", "45.33.32.157", 50000, 443, 6, t, 60000000, 10000, OK_TCP);  /* 60 MB */
  flow(d, "10.2.0.11", "45.33.32.158", 50000, 443, 6, t, 200000000, 50000000, OK_TCP); /* 4:1 */
  /* an external client pulling from an internal server counts as outbound */
  flow(d, "198.199.80.1", "10.2.0.12", 50000, 22, 6, t, 100000, 120000000, OK_TCP);
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.exfil"), 2);
  CHECK_EQ_INT(g.n, 2);
  k = find(&g, "net.exfil");
  if (k >= 0) {
    CHECK_EQ_STR(g.tech[k], "T1048");
    CHECK(strstr(g.details[k], "\"bytes_out\":150000000") ||
          strstr(g.details[k], "\"bytes_out\":120000000"));
  }
  for (k = 0; k < g.n; k++) CHECK(strstr(g.summary[k], "10.2.0.7") || strstr(g.summary[k], "10.2.0.12"));
  tells_detect_free(d);
}

static void test_lateral(void) {
  tells_detect *d = mk();
  got g;
  int i, k;
  char ip[32];
  int64_t t = 1700000000 * S;
  memset(&g, 0, sizeof g);
  for (i = 0; i < 20; i++) {   /* SMB to 20 internal hosts */
    snprintf(ip, sizeof ip, "10.3.1.%d", 10 + i);
    flow(d, "10.3.0.66", ip, (uint16_t)(49000 + i), 445, 6, t + i * S, 5000, 3000, OK_TCP);
  }
  for (i = 0; i < 30; i++) {   /* near-miss: a host using three file servers */
    snprintf(ip, sizeof ip, "10.3.2.%d", 1 + i % 3);
    flow(d, "10.3.0.67", ip, (uint16_t)(49000 + i), 445, 6, t + i * S, 5000, 300000, OK_TCP);
  }
  for (i = 0; i < 20; i++) {   /* near-miss: 20 internal web servers */
    snprintf(ip, sizeof ip, "10.3.3.%d", 1 + i);
    flow(d, "10.3.0.68", ip, (uint16_t)(49000 + i), 80, 6, t + i * S, 500, 3000, OK_TCP);
  }
  for (i = 0; i < 20; i++) {   /* near-miss: RDP to 20 external hosts */
    snprintf(ip, sizeof ip, "45.33.40.%d", 1 + i);
    flow(d, "10.3.0.69", ip, (uint16_t)(49000 + i), 3389, 6, t + i * S, 500, 3000, OK_TCP);
  }
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.lateral"), 1);
  CHECK_EQ_INT(g.n, 1);
  k = find(&g, "net.lateral");
  if (k >= 0) {
    CHECK_EQ_STR(g.tech[k], "T1021.002");
    CHECK(strstr(g.summary[k], "20 internal hosts") != NULL);
    CHECK(strstr(g.details[k], "\"dest_ip\":\"10.3.1.10\"") != NULL);
  }
  tells_detect_free(d);
}

static void test_scan(void) {
  tells_detect *d = mk();
  got g;
  int i;
  char ip[32];
  int64_t t = 1700000000 * S;
  memset(&g, 0, sizeof g);
  for (i = 0; i < 200; i++)    /* port scan of one host: RST for closed ports */
    flow(d, "10.4.0.99", "10.4.1.1", 61000, (uint16_t)(1 + i), 6, t + i * (S / 100), 60, 60,
         i % 50 == 0 ? OK_TCP : REFUSED);
  for (i = 0; i < 40; i++) {   /* host sweep on 22 from outside, no answers */
    snprintf(ip, sizeof ip, "10.4.2.%d", 1 + i);
    flow(d, "45.33.32.200", ip, 61000, 22, 6, t + i * S, 60, 0, NO_ANSWER);
  }
  for (i = 0; i < 60; i++) {   /* near-miss: browsing 60 sites, all answered */
    snprintf(ip, sizeof ip, "151.101.%d.1", 1 + i);
    flow(d, "10.4.0.50", ip, (uint16_t)(50000 + i), 443, 6, t + i * S, 3000, 90000, OK_TCP);
  }
  for (i = 0; i < 20; i++) {   /* near-miss: a few refused ports */
    flow(d, "10.4.0.51", "10.4.1.2", 61000, (uint16_t)(8000 + i), 6, t + i * S, 60, 60, REFUSED);
  }
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.scan"), 2);
  CHECK_EQ_INT(g.n, 2);
  for (i = 0; i < g.n; i++) {
    if (strstr(g.summary[i], "10.4.0.99")) {
      CHECK_EQ_STR(g.tech[i], "T1046");
      CHECK(strstr(g.details[i], "\"max_ports_per_host\":200") != NULL);
      CHECK(strstr(g.details[i], "\"failed\":196") != NULL);
    } else {
      CHECK(strstr(g.summary[i], "45.33.32.200") != NULL);
      CHECK_EQ_STR(g.tech[i], "T1595");
    }
  }
  tells_detect_free(d);
}

static void b32(char *out, int n) {
  static const char A[] = "abcdefghijklmnopqrstuvwxyz234567";
  int i;
  for (i = 0; i < n; i++) { rng = rng * 1103515245u + 12345u; out[i] = A[(rng >> 10) & 31]; }
  out[n] = 0;
}

static void test_dns(void) {
  tells_detect *d = mk();
  got g;
  uint8_t c[16] = {10, 5, 0, 3}, c2[16] = {10, 5, 0, 4};
  char lab[64], lab2[64], q[200];
  int i, k;
  static const char *const normal[] = {"www.google.com", "mail.google.com", "docs.google.com",
                                       "www.bbc.co.uk", "news.bbc.co.uk", "fonts.gstatic.com",
                                       "a1234.dscb.akamai.net", "e6858.dsce9.akamaiedge.net",
                                       "ec2-54-210-1-23.compute-1.amazonaws.com",
                                       "1.0.0.10.in-addr.arpa"};
  int64_t t = 1700000000 * S;
  memset(&g, 0, sizeof g);
  for (i = 0; i < 80; i++) {
    b32(lab, 40); b32(lab2, 30);
    snprintf(q, sizeof q, "%s.%s.t.evil-tunnel.com", lab, lab2);
    tells_detect_dns(d, TELLS_L3_IPV4, c, q, 16, t + i * S);
  }
  for (i = 0; i < 400; i++) {  /* near-miss: ordinary names, many queries */
    snprintf(q, sizeof q, "%s", normal[i % 10]);
    tells_detect_dns(d, TELLS_L3_IPV4, c2, q, 1, t + i * S);
  }
  for (i = 0; i < 60; i++) {   /* near-miss: many distinct short names (a CDN) */
    snprintf(q, sizeof q, "img%d.cdn.example.net", i);
    tells_detect_dns(d, TELLS_L3_IPV4, c2, q, 1, t + i * S);
  }
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.dns_tunnel"), 1);
  CHECK_EQ_INT(g.n, 1);
  k = find(&g, "net.dns_tunnel");
  if (k >= 0) {
    CHECK_EQ_STR(g.tech[k], "T1071.004");
    CHECK(strstr(g.summary[k], "evil-tunnel.com") != NULL);
    CHECK(strstr(g.details[k], "\"txt_null_queries\":80") != NULL);
  }
  tells_detect_free(d);
  /* helpers */
  CHECK_EQ_INT(tells__ddns_base("a.b.example.com", 15), 4);
  CHECK_EQ_INT(tells__ddns_base("news.bbc.co.uk", 14), 5);
  CHECK_EQ_INT(tells__ddns_base("bbc.co.uk", 9), 0);
  CHECK_EQ_INT(tells__ddns_base("example.com", 11), 0);
  CHECK_EQ_INT(tells__ddns_base("localhost", 9), 0);
  CHECK(tells__ddns_entropy("aaaa", 4) == 0);
  CHECK(tells__ddns_entropy("abcd", 4) == 2);
  CHECK(tells__ddns_entropy("", 0) == 0);
}

static void test_caps_and_opts(void) {
  tells_detect_opts o;
  tells_detect *d = NULL;
  got g;
  char err[200], ip[32];
  int i;
  uint8_t a[16] = {10, 9, 9, 9}, b[16] = {172, 20, 1, 1}, e[16] = {8, 8, 8, 8};
  tells_detect_opts_default(&o);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_pairs=4", err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_sources=3", err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "exfil_bytes=1000", err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "beacon_max_cv=0.3", err, sizeof err), TELLS_OK);
  CHECK(o.exfil_bytes == 1000 && o.beacon_max_cv == 0.3);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "nonsense=1", err, sizeof err), TELLS_EARG);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_pairs=-1", err, sizeof err), TELLS_EARG);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "max_pairs", err, sizeof err), TELLS_EARG);
  CHECK_EQ_INT(tells_detect_opts_set(&o, "internal=10.0.0.0/33", err, sizeof err), TELLS_EARG);
  /* internal networks: defaults, then a custom list replaces them */
  CHECK(tells_detect_internal(&o, TELLS_L3_IPV4, a) && tells_detect_internal(&o, TELLS_L3_IPV4, b));
  CHECK(!tells_detect_internal(&o, TELLS_L3_IPV4, e));
  CHECK_EQ_INT(tells_detect_opts_set(&o, "internal=10.9.0.0/16", err, sizeof err), TELLS_OK);
  CHECK(tells_detect_internal(&o, TELLS_L3_IPV4, a) && !tells_detect_internal(&o, TELLS_L3_IPV4, b));
  CHECK_EQ_INT(tells_detect_opts_set(&o, "internal=8.8.8.0/24", err, sizeof err), TELLS_OK);
  CHECK(tells_detect_internal(&o, TELLS_L3_IPV4, e));
  tells_detect_opts_default(&o);
  o.max_pairs = 4; o.max_sources = 3; o.exfil_bytes = 1000;
  CHECK_EQ_INT(tells_detect_new(&o, NULL, &d), TELLS_OK);
  memset(&g, 0, sizeof g);
  for (i = 0; i < 10; i++) {
    snprintf(ip, sizeof ip, "10.9.9.%d", i + 1);
    flow(d, ip, "45.33.32.1", 50000, 443, 6, 0, 5000, 10, OK_TCP);
  }
  CHECK(tells_detect_dropped(d) > 0);
  tells_detect_finish(d, collect, &g);
  CHECK_EQ_INT(count(&g, "net.exfil"), 4);     /* only the pairs tracked */
  tells_detect_free(d);
}

int main(void) {
  T_RUN(test_beacon);
  T_RUN(test_exfil);
  T_RUN(test_lateral);
  T_RUN(test_scan);
  T_RUN(test_dns);
  T_RUN(test_caps_and_opts);
  T_END();
}
