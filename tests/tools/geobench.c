/*
** geobench.c -- timings of the two ways tells reads a tor-geoipdb range
** file (docs/PERFORMANCE.md, "tor-geoipdb searched in place").
**
**   geobench FILE 4|6 [N]
**       Maps FILE (Debian's /usr/share/tor/geoip or geoip6), samples it for
**       the in-place search (geo_torx.c), looks up N (default 30000) random
**       addresses of that family (IPv6 within 2000::/3) in place, then
**       parses the file whole (geo_tor.c) and looks the same addresses up
**       in memory.  Prints the times, and exits 1 if any answer differs.
**
** Deterministic addresses (a fixed-seed xorshift); times are wall clock
** on this thread, the best of three rounds.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "decode.h"
#include "geo.h"
#include "map.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void addr(uint64_t *x, int v6, uint8_t ip[16]) {
  int k;
  memset(ip, 0, 16);
  for (k = 0; k < 16; k++) { *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17; ip[k] = (uint8_t)*x; }
  if (v6) ip[0] = (uint8_t)(0x20 | (ip[0] & 0x1f));
}

int main(int argc, char **argv) {
  tells_map m;
  int v6, n, r, i, diff = 0, found = 0;
  double best[3] = {1e9, 1e9, 1e9};
  if (argc < 3 || (argv[2][0] != '4' && argv[2][0] != '6')) {
    fprintf(stderr, "usage: geobench FILE 4|6 [N]\n");
    return 2;
  }
  v6 = argv[2][0] == '6';
  n = argc > 3 ? atoi(argv[3]) : 30000;
  if (n <= 0 || tells_map_open(argv[1], &m) != TELLS_OK) {
    fprintf(stderr, "geobench: %s: cannot map it, or N is not positive\n", argv[1]);
    return 2;
  }
  for (r = 0; r < 3; r++) {
    tells__geo_torx *x = NULL;
    tells__geo_tor *t = NULL;
    uint64_t s = 88172645463325252ull;
    char err[200], ca[3], cb[3];
    double t0 = now_ms(), t1, t2, t3;
    if (tells__geo_torx_open(m.p, m.len, v6 ? TELLS_L3_IPV6 : TELLS_L3_IPV4, &x) != TELLS_OK) {
      fprintf(stderr, "geobench: %s: not searchable in place\n", argv[1]);
      return 2;
    }
    t1 = now_ms();
    for (i = 0; i < n; i++) {
      uint8_t ip[16];
      addr(&s, v6, ip);
      found += tells__geo_torx_find(x, ip, ca) > 0;
    }
    t2 = now_ms();
    if (tells__geo_tor_parse(m.p, m.len, &t, err, sizeof err) != TELLS_OK) {
      fprintf(stderr, "geobench: %s: %s\n", argv[1], err);
      return 2;
    }
    t3 = now_ms();
    if (t1 - t0 < best[0]) best[0] = t1 - t0;
    if (t2 - t1 < best[1]) best[1] = t2 - t1;
    if (t3 - t2 < best[2]) best[2] = t3 - t2;
    for (s = 88172645463325252ull, i = 0; i < n; i++) {   /* the same answers */
      uint8_t ip[16];
      addr(&s, v6, ip);
      tells__geo_torx_find(x, ip, ca);
      tells__geo_tor_find(t, v6 ? TELLS_L3_IPV6 : TELLS_L3_IPV4, ip, cb);
      diff += strcmp(ca, cb) != 0;
    }
    tells__geo_torx_free(x);
    tells__geo_tor_free(t);
  }
  printf("%s: open in place %.2f ms; %d lookups %.2f ms (%.0f ns each, %d with a country);"
         " whole parse %.2f ms; %d answers differ\n", argv[1], best[0], n, best[1], best[1] * 1e6 / n,
         found / 3, best[2], diff);
  tells_map_close(&m);
  return diff != 0;
}
