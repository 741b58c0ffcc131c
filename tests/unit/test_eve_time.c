/*
** test_eve_time.c -- EVE timestamps and addresses formatted by hand
** (lib/net/eve.c) against gmtime_r + snprintf: random instants over the
** whole int64 nanosecond range, day, month, leap-year and epoch edges,
** negative times; IPv6 addresses against the %02x form.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "eve.h"
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

int main(void) {
  T_RUN(test_edges);
  T_RUN(test_random);
  T_RUN(test_ip6);
  T_END();
}
