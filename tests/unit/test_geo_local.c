/*
** test_geo_local.c -- the GeoIP cache of flow records answers addresses
** that have no country (private, ULA, loopback, link-local, multicast,
** broadcast, unspecified) without loading a database, and gives the same
** answer a database lookup gives for them.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "geo.h"
#include "t.h"

static int get_calls;
static const tells_geo *no_db(void) { get_calls++; return NULL; }

static void parse_ip(const char *s, uint8_t *l3, uint8_t ip[16]) {
  memset(ip, 0, 16);
  if (inet_pton(AF_INET, s, ip) == 1) *l3 = TELLS_L3_IPV4;
  else { *l3 = TELLS_L3_IPV6; if (inet_pton(AF_INET6, s, ip) != 1) memset(ip, 0xee, 16); }
}

static const char *const LOCAL[][2] = {
  {"10.1.2.3", "private"},     {"172.16.0.1", "private"},  {"192.168.44.1", "private"},
  {"127.0.0.1", "loopback"},   {"169.254.1.1", "link-local"}, {"224.0.0.251", "multicast"},
  {"255.255.255.255", "broadcast"}, {"0.0.0.0", "unspecified"}, {"fd00::1", "private"},
  {"::1", "loopback"},         {"fe80::1", "link-local"},  {"ff02::fb", "multicast"},
  {"::ffff:192.168.1.1", "private"}};
#define N_LOCAL (sizeof LOCAL / sizeof LOCAL[0])

static void test_no_load_for_local(void) {
  tells_geo_cache *c = tells_geo_cache_lazy(no_db);
  const tells_geo_info *gi;
  uint8_t l3, ip[16];
  size_t i;
  CHECK(c != NULL);
  if (!c) return;
  get_calls = 0;
  for (i = 0; i < N_LOCAL; i++) {
    parse_ip(LOCAL[i][0], &l3, ip);
    gi = tells_geo_cached(c, l3, ip);
    CHECK_EQ_STR(gi->scope, LOCAL[i][1]);
    CHECK_EQ_STR(gi->country, "");
    CHECK(gi->asn == 0 && gi->as_org[0] == 0);
  }
  CHECK_EQ_INT(get_calls, 0);                /* nothing loaded for them */
  parse_ip("192.0.2.1", &l3, ip);            /* documentation: databases asked */
  gi = tells_geo_cached(c, l3, ip);
  CHECK_EQ_STR(gi->scope, "documentation");
  CHECK_EQ_INT(get_calls, 1);
  parse_ip("8.8.8.8", &l3, ip);
  gi = tells_geo_cached(c, l3, ip);
  CHECK_EQ_STR(gi->scope, "public");
  CHECK_EQ_INT(get_calls, 1);                /* loaded once */
  tells_geo_cache_free(c);
}

/* With the system's tor-geoipdb: the cache's answer for every local
** address equals a lookup in the database, and public ones still resolve. */
static void test_same_as_lookup(void) {
  const char *p[2] = {"/usr/share/tor/geoip", "/usr/share/tor/geoip6"};
  tells_geo *g = NULL;
  tells_geo_cache *c;
  tells_geo_info gi;
  const tells_geo_info *ci;
  uint8_t l3, ip[16];
  char err[600];
  size_t i;
  FILE *f = fopen(p[0], "r");
  if (!f) T_SKIP("tor-geoipdb not installed");
  fclose(f);
  CHECK_EQ_INT(tells_geo_open(p, 2, 0, &g, err, sizeof err), TELLS_OK);
  if (!g) return;
  c = tells_geo_cache_new(g);
  CHECK(c != NULL);
  for (i = 0; c && i < N_LOCAL; i++) {
    parse_ip(LOCAL[i][0], &l3, ip);
    tells_geo_lookup(g, l3, ip, 0, &gi);
    ci = tells_geo_cached(c, l3, ip);
    CHECK_EQ_STR(ci->scope, gi.scope);
    CHECK_EQ_STR(ci->country, gi.country);
  }
  parse_ip("2001:200::1", &l3, ip);          /* WIDE project, JP */
  if (c) CHECK_EQ_STR(tells_geo_cached(c, l3, ip)->country, "JP");
  tells_geo_cache_free(c);
  tells_geo_close(g);
}

int main(void) {
  T_RUN(test_no_load_for_local);
  T_RUN(test_same_as_lookup);
  T_END();
}
