/*
** test_dtab.c -- the detectors' bounded table (values in blocks apart from
** the slots: zeroed on creation, stable addresses while the table grows,
** the cap on entries, every entry seen when walking the slots) and the
** GeoIP cache that loads its database at its first lookup.
*/
#include <stdint.h>
#include <string.h>
#include "decode.h"
#include "detect.h"
#include "geo.h"
#include "t.h"

typedef struct big { uint64_t id; uint8_t pad[700]; } big;

static void test_values_stable_and_zeroed(void) {
  enum { N = 5000 };
  static big *seen[N];
  tells__dtab t;
  uint32_t i, found = 0;
  int created, zero = 1, stable = 1;
  tells__dtab_init(&t, sizeof(uint32_t), sizeof(big), N);
  for (i = 0; i < N; i++) {
    big *v = tells__dtab_get(&t, &i, 1, &created);
    size_t k;
    CHECK(v != NULL && created);
    if (!v) break;
    for (k = 0; k < sizeof v->pad; k++) zero &= v->pad[k] == 0;
    zero &= v->id == 0;
    v->id = i + 1;
    memset(v->pad, (int)(i & 0xff), sizeof v->pad);
    seen[i] = v;
  }
  CHECK(zero);
  CHECK_EQ_INT(t.n, N);
  CHECK(t.cap >= 2 * N);                 /* grown several times meanwhile */
  for (i = 0; i < N; i++) {
    big *v = tells__dtab_get(&t, &i, 0, &created);
    stable &= v == seen[i] && !created && v->id == i + 1 && v->pad[699] == (uint8_t)(i & 0xff);
  }
  CHECK(stable);
  for (i = 0; i < t.cap; i++) {
    const uint32_t *k = tells__dtab_key(&t, i);
    big *v = tells__dtab_val(&t, i);
    if (!k) { CHECK(v == NULL); continue; }
    found++;
    CHECK(v != NULL && v->id == *k + 1);
  }
  CHECK_EQ_INT(found, N);
  i = N;                                 /* full: no new entry, old ones found */
  CHECK(tells__dtab_get(&t, &i, 1, &created) == NULL && !created);
  i = 7;
  CHECK(tells__dtab_get(&t, &i, 1, &created) == seen[7] && !created);
  tells__dtab_free(&t);
  CHECK(t.slots == NULL && t.blk == NULL && t.n == 0);
  tells__dtab_free(&t);                  /* twice is harmless */
}

static int get_calls;
static const tells_geo *no_db(void) { get_calls++; return NULL; }

static void test_geo_cache_lazy(void) {
  static const uint8_t pub[16] = {8, 8, 8, 8}, priv[16] = {10, 1, 2, 3};
  tells_geo_cache *c = tells_geo_cache_lazy(no_db);
  const tells_geo_info *gi;
  CHECK(c != NULL);
  if (!c) return;
  CHECK_EQ_INT(get_calls, 0);            /* nothing loaded until asked */
  gi = tells_geo_cached(c, TELLS_L3_IPV4, priv);
  CHECK_EQ_STR(gi->scope, "private");
  gi = tells_geo_cached(c, TELLS_L3_IPV4, pub);
  CHECK_EQ_STR(gi->scope, "public");
  CHECK_EQ_STR(gi->country, "");
  CHECK_EQ_INT(get_calls, 1);            /* asked once */
  tells_geo_cache_free(c);
  tells_geo_cache_free(NULL);
}

int main(void) {
  T_RUN(test_values_stable_and_zeroed);
  T_RUN(test_geo_cache_lazy);
  T_END();
}
