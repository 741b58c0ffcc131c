/*
** test_dtab.c -- the detectors' bounded table (values in blocks apart from
** the slots: zeroed on creation, stable addresses while the table grows,
** the cap on entries, every entry seen when walking the slots), its
** eviction when full (lowest weight, least recently used, every remaining
** key still found after the backward-shift deletions), the evidence pool,
** the memory account, and the GeoIP cache that loads its database at its
** first lookup.
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
  tells__dmem m = {0, 0};
  uint32_t i, found = 0;
  int created, zero = 1, stable = 1;
  tells__dtab_init(&t, sizeof(uint32_t), sizeof(big), N, &m);
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
  i = 7;
  CHECK(tells__dtab_get(&t, &i, 1, &created) == seen[7] && !created);
  i = N;                                 /* full: lookups do not create */
  CHECK(tells__dtab_get(&t, &i, 0, &created) == NULL && !created);
  CHECK(m.cur > 0 && m.cur <= tells__dtab_bound(sizeof(uint32_t), sizeof(big), N));
  tells__dtab_free(&t);
  CHECK(t.slots == NULL && t.blk == NULL && t.n == 0);
  CHECK_EQ_INT(m.cur, 0);                /* every byte accounted is given back */
  CHECK(m.peak <= tells__dtab_bound(sizeof(uint32_t), sizeof(big), N));
  tells__dtab_free(&t);                  /* twice is harmless */
}

/* weight = the value; evictions counted */
static double w_val(void *ud, const void *key, const void *val) {
  (void)ud; (void)key;
  return (double)*(const uint32_t *)val;
}
static uint32_t n_evicted;
static void on_ev(void *ud, const void *key, void *val) { (void)ud; (void)key; (void)val; n_evicted++; }

static void test_eviction(void) {
  enum { CAP = 3000, KEYS = 200000 };
  tells__dtab t;
  tells__dmem m = {0, 0};
  uint32_t i, heavy_ok = 1, found = 0, walk = 0;
  int created;
  tells__dtab_init(&t, sizeof(uint32_t), sizeof(uint32_t) * 3, CAP, &m);
  tells__dtab_policy(&t, w_val, on_ev, NULL);
  /* 100 heavy keys first, then a flood of light ones */
  for (i = 0; i < 100; i++) *(uint32_t *)tells__dtab_get(&t, &i, 1, &created) = 1000;
  for (i = 100; i < KEYS; i++) {
    uint32_t *v = tells__dtab_get(&t, &i, 1, &created);
    CHECK(v != NULL && created);
    if (!v) break;
    CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0);   /* a reused entry is zeroed */
    v[0] = 1;
  }
  CHECK_EQ_INT(t.n, CAP);
  CHECK_EQ_INT(t.evicted, KEYS - CAP);
  CHECK_EQ_INT(n_evicted, KEYS - CAP);
  for (i = 0; i < 100; i++) {             /* the flood did not push the heavy keys out */
    uint32_t *v = tells__dtab_get(&t, &i, 0, NULL);
    heavy_ok &= v != NULL && *v == 1000;
  }
  CHECK(heavy_ok);
  for (i = 0; i < t.cap; i++) {           /* every slot's key is found again */
    const uint32_t *k = tells__dtab_key(&t, i);
    if (!k) continue;
    walk++;
    found += tells__dtab_get(&t, k, 0, NULL) == tells__dtab_val(&t, i);
  }
  CHECK_EQ_INT(walk, CAP);
  CHECK_EQ_INT(found, CAP);
  CHECK(m.peak <= tells__dtab_bound(sizeof(uint32_t), sizeof(uint32_t) * 3, CAP));
  tells__dtab_free(&t);
  /* no weight: the least recently used goes; a key in use stays */
  tells__dtab_init(&t, sizeof(uint32_t), 1, 64, &m);
  for (i = 0; i < 5000; i++) {
    uint32_t keep = 0;
    CHECK(tells__dtab_get(&t, &i, 1, &created) != NULL);
    CHECK(tells__dtab_get(&t, &keep, 1, &created) != NULL);
    if (i && created) break;
  }
  CHECK_EQ_INT(i, 5000);
  tells__dtab_free(&t);
  CHECK_EQ_INT(m.cur, 0);
}

static void test_evidence_pool(void) {
  tells__dmem m = {0, 0};
  tells__dev p;
  tells__devlist a, b, c;
  tells_detect_ref r, out[TELLS_DETECT_EVIDENCE];
  uint8_t dst[16] = {10, 0, 0, 1}, od[TELLS_DETECT_EVIDENCE][16];
  uint32_t i, n;
  memset(&a, 0, sizeof a); memset(&b, 0, sizeof b); memset(&c, 0, sizeof c);
  memset(&r, 0, sizeof r);
  tells__dev_init(&p, 24, &m);            /* 6 chunks of 4 */
  for (i = 0; i < 20; i++) { r.flow_id = i; dst[3] = (uint8_t)i; tells__dev_add(&p, &a, &r, dst); }
  n = tells__dev_get(&p, &a, out, od);
  CHECK_EQ_INT(n, TELLS_DETECT_EVIDENCE); /* the first 16 */
  CHECK(out[0].flow_id == 0 && out[15].flow_id == 15 && od[15][3] == 15);
  for (i = 0; i < 16; i++) { r.flow_id = 100 + i; tells__dev_add(&p, &b, &r, NULL); }
  CHECK_EQ_INT(b.n, 8);                   /* the pool ran out: cut short */
  CHECK(b.capped && p.dropped == 1);
  tells__dev_release(&p, &a);             /* its 4 chunks back */
  for (i = 0; i < 16; i++) { r.flow_id = 200 + i; tells__dev_add(&p, &c, &r, NULL); }
  n = tells__dev_get(&p, &c, out, NULL);
  CHECK_EQ_INT(n, 16);
  CHECK(out[0].flow_id == 200 && out[15].flow_id == 215);
  n = tells__dev_get(&p, &b, out, NULL);
  CHECK(n == 8 && out[7].flow_id == 107);
  CHECK(m.peak <= tells__dev_bound(24));
  tells__dev_free(&p);
  CHECK_EQ_INT(m.cur, 0);
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
  T_RUN(test_eviction);
  T_RUN(test_evidence_pool);
  T_RUN(test_geo_cache_lazy);
  T_END();
}
