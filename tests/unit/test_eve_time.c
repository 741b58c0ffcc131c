/*
** test_eve_time.c -- EVE timestamps and addresses formatted by hand
** (lib/net/eve.c) against gmtime_r + snprintf: random instants over the
** whole int64 nanosecond range, day, month, leap-year and epoch edges,
** negative times; IPv6 addresses against the %02x form; the record header
** (rendered without the general escaper when its strings are plain)
** against the same members written one by one through the JSON writer.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "buf.h"
#include "eve.h"
#include "json.h"
#include "t.h"

static void ref_time(int64_t ns, char out[64]) {
  time_t s = (time_t)(ns / 1000000000);
  int64_t us = (ns % 1000000000) / 1000;
  struct tm tm;
  if (us < 0) { us += 1000000; s--; }
  gmtime_r(&s, &tm);
  snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+0000", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)us);
}

static int same(int64_t ns) {
  char a[64], b[64];
  memset(a, 0x55, sizeof a);
  tells_eve_time(ns, a);
  ref_time(ns, b);
  if (strcmp(a, b)) { fprintf(stderr, "  %lld: %s != %s\n", (long long)ns, a, b); return 0; }
  return 1;
}

static void test_edges(void) {
  static const int64_t v[] = {0, 1, -1, 999, -999, 1000, -1000, 999999999, -999999999,
                              1000000000, -1000000000, 86399999999999, 86400000000000,
                              -86400000000000, -86400000000001, 951782400000000000 /* 2000-02-29 */,
                              951868800000000000, 4107542400000000000 /* 2100-03-01 */,
                              1700000000123456789, INT64_MAX, INT64_MIN, INT64_MIN + 1};
  size_t i;
  for (i = 0; i < sizeof v / sizeof v[0]; i++) CHECK(same(v[i]));
}

static void test_random(void) {
  uint64_t x = 88172645463325252ull;
  int64_t d;
  size_t i, bad = 0;
  for (i = 0; i < 200000; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    if (!same((int64_t)x)) bad++;
    if (!same((int64_t)(x % 8000000000000000000ull) - 4000000000000000000)) bad++;
  }
  for (d = -106751; d < 106751; d++)   /* every day 1677..2262, at both ends */
    if (!same(d * 86400000000000) || !same(d * 86400000000000 + 86399999999000)) bad++;
  CHECK_EQ_INT(bad, 0);
}

static void test_ip6(void) {
  uint8_t ip[16];
  char a[46], b[46];
  size_t i, k, o;
  for (k = 0; k < 256; k++) {
    for (i = 0; i < 16; i++) ip[i] = (uint8_t)(k * 37 + i * 101);
    tells_eve_ip6(ip, a);
    for (i = 0, o = 0; i < 8; i++)
      o += (size_t)snprintf(b + o, sizeof b - o, "%s%02x%02x", i ? ":" : "", ip[2 * i], ip[2 * i + 1]);
    CHECK_EQ_STR(a, b);
  }
}

/* The header written member by member, as the EVE format has it. */
static void ref_head(tells_json *j, const tells_flow *f, int64_t ts, const char *et, int from_server,
                     const tells_eve_cfg *cfg) {
  char t[64], a[46], b[46], tmp[8], cid[TELLS_COMMID_LEN];
  const uint8_t *cip = f->client_is_a ? f->key.a : f->key.b, *sip = f->client_is_a ? f->key.b : f->key.a;
  uint16_t cp = f->client_is_a ? f->key.pa : f->key.pb, sp = f->client_is_a ? f->key.pb : f->key.pa;
  int icmp = f->key.proto == 1 || f->key.proto == 58;
  if (from_server) {
    const uint8_t *x = cip; uint16_t y = cp;
    cip = sip; sip = x; cp = sp; sp = y;
  }
  tells_eve_time(ts, t);
  if (cfg->ipv6_compress) { tells_ip_str(f->key.l3, cip, a); tells_ip_str(f->key.l3, sip, b); }
  else { tells_eve_ip(f->key.l3, cip, a); tells_eve_ip(f->key.l3, sip, b); }
  tells_json_obj(j);
  tells_json_kstr(j, "timestamp", t);
  tells_json_ku64(j, "flow_id", f->id);
  tells_json_kstr(j, "event_type", et);
  if (f->key.vlan) { tells_json_key(j, "vlan"); tells_json_arr(j); tells_json_u64(j, f->key.vlan); tells_json_arr_end(j); }
  tells_json_kstr(j, "src_ip", a);
  if (!icmp) tells_json_ku64(j, "src_port", cp);
  tells_json_kstr(j, "dest_ip", b);
  if (!icmp) tells_json_ku64(j, "dest_port", sp);
  tells_json_kstr(j, "proto", tells_eve_proto(f->key.proto, tmp));
  if (icmp) { tells_json_ku64(j, "icmp_type", f->key.pa >> 8); tells_json_ku64(j, "icmp_code", f->key.pa & 0xff); }
  if (cfg->community_id) {
    tells_commid_flow(f, cfg->community_id_seed, cid);
    if (cid[0]) tells_json_kstr(j, "community_id", cid);
  }
  if (f->app_proto[0]) tells_json_kstr(j, "app_proto", f->app_proto);
}

/* Both, followed by one more member, in both writer modes: plain strings
** (the direct rendering) and app protocols or event types that need
** escaping (the writer's path). */
#define N_HEAD (2 * 6 * 6 * 6 * 2 * 4 * 2)   /* mode, type, app, proto, family, cfg, direction */
static void test_head(void) {
  static const char *const ets[] = {"flow", "dns", "fileinfo", "a\"quote", "<b>", "caf\xc3\xa9"};
  static const char *const aps[] = {"", "http", "smb", "x\"y", "a&b", "\x01"};
  static const uint8_t protos[] = {6, 17, 1, 58, 132, 99};
  size_t bad = 0, n = 0, k, n_server = 0;
  for (k = 0; k < N_HEAD; k++) {
    tells_flow f;
    tells_eve_cfg cfg;
    tells_buf got, want;
    tells_json jg, jw;
    size_t r = k;
    int html = (int)(r % 2), from_server;
    const char *et = ets[(r /= 2) % 6];
    memset(&f, 0, sizeof f); memset(&cfg, 0, sizeof cfg);
    snprintf(f.app_proto, sizeof f.app_proto, "%s", aps[(r /= 6) % 6]);
    f.key.proto = protos[(r /= 6) % 6];
    f.key.l3 = (r /= 6) % 2 ? TELLS_L3_IPV6 : TELLS_L3_IPV4;
    cfg.community_id = (int)((r /= 2) % 2); cfg.ipv6_compress = (int)((r / 2) % 2);
    from_server = (int)((r /= 4) % 2);
    n_server += (size_t)from_server;
    f.key.a[0] = 10; f.key.a[3] = 7; f.key.b[0] = 192; f.key.b[1] = 168; f.key.b[15] = 1;
    f.key.pa = (uint16_t)(k & 1 ? 0x0800 : 445); f.key.pb = 51234;
    f.key.vlan = (uint16_t)(k % 3 == 0 ? 100 : 0);
    f.client_is_a = (int)(k % 5 & 1);
    f.id = 1234567890123ull + k;
    tells_buf_init(&got, 0); tells_buf_init(&want, 0);
    tells_json_init_buf(&jg, &got, html ? TELLS_JSON_HTML : 0);
    tells_json_init_buf(&jw, &want, html ? TELLS_JSON_HTML : 0);
    tells_eve_head_cfg(&jg, &f, 1417000000123456789ll + (int64_t)k, et, from_server, &cfg);
    ref_head(&jw, &f, 1417000000123456789ll + (int64_t)k, et, from_server, &cfg);
    tells_json_ku64(&jg, "more", k); tells_json_obj_end(&jg); tells_json_nl(&jg);
    tells_json_ku64(&jw, "more", k); tells_json_obj_end(&jw); tells_json_nl(&jw);
    tells_json_flush(&jg); tells_json_flush(&jw);
    if (got.n != want.n || memcmp(got.p, want.p, got.n)) {
      if (bad++ < 3) fprintf(stderr, "  %.*s  !=\n  %.*s", (int)got.n, got.p, (int)want.n, want.p);
    }
    n++;
    tells_buf_free(&got); tells_buf_free(&want);
  }
  CHECK_EQ_INT(bad, 0);
  CHECK(n == N_HEAD);
  CHECK(n_server == N_HEAD / 2);
}

int main(void) {
  T_RUN(test_edges);
  T_RUN(test_random);
  T_RUN(test_ip6);
  T_RUN(test_head);
  T_END();
}
