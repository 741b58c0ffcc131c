/*
** fuzz_geo.c -- libFuzzer target for the tor-geoipdb range-file readers
** (lib/net/geo_tor.c, geo_torx.c): parse whole, and sample for the
** in-place search of each family, then look up a few addresses in each.  MaxMind DB
** files are parsed by libmaxminddb, whose bad-data corpus is replayed by
** tests/unit/test_geo.c.  Seeds: fuzz/corpus/geo/.
*/
#include <stddef.h>
#include <stdint.h>
#include "../lib/net/decode.h"
#include "../lib/net/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t v4[16] = {1, 0, 1, 7}, v6[16] = {0x20, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  tells__geo_tor *t = NULL;
  tells__geo_torx *x = NULL;
  char err[200], cc[3];
  int fam;
  if (tells__geo_tor_parse(data, size, &t, err, sizeof err) == TELLS_OK) {
    (void)tells__geo_tor_find(t, TELLS_L3_IPV4, v4, cc);
    (void)tells__geo_tor_find(t, TELLS_L3_IPV6, v6, cc);
    (void)tells__geo_tor_find(t, TELLS_L3_IPV4, data + (size > 16 ? size - 16 : 0), cc);
  }
  tells__geo_tor_free(t);
  for (fam = 0; fam < 2; fam++) {
    if (tells__geo_torx_open(data, size, fam ? TELLS_L3_IPV6 : TELLS_L3_IPV4, &x) != TELLS_OK) continue;
    (void)tells__geo_torx_find(x, fam ? v6 : v4, cc);
    if (size >= 16) (void)tells__geo_torx_find(x, data + size - 16, cc);
    if (size >= 32) (void)tells__geo_torx_find(x, data + size / 2 - 16, cc);
    tells__geo_torx_free(x);
  }
  return 0;
}
