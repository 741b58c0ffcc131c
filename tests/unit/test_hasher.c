/*
** test_hasher.c -- the hashing worker (lib/intake/hash.c): jobs queued ahead
** and joined in order, a caller taking over the algorithms of a job the
** worker has not started, and digests equal to one-pass hashing.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "hash.h"
#include "t.h"

#define ALL (TELLS_HASH_SHA256 | TELLS_HASH_SHA1 | TELLS_HASH_MD5 | TELLS_HASH_TLSH)

/* Deterministic bytes with some structure, so that TLSH has a digest. */
static void fill(uint8_t *p, size_t n, uint32_t seed) {
  size_t i;
  uint32_t x = seed * 2654435761u + 1;
  for (i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    p[i] = (uint8_t)(i % 7 == 0 ? 'A' + (x % 26) : x >> 24);
  }
}

/* The digests of one buffer hashed on this thread, in one update. */
static void reference(const uint8_t *p, size_t n, int which, tells_hash *out) {
  tells_hash_init(out, which);
  tells_hash_update(out, p, n);
  tells_hash_final(out);
  tells_hash_free(out);
}

static int same(const tells_hash *a, const tells_hash *b) {
  return strcmp(a->sha256, b->sha256) == 0 && strcmp(a->sha1, b->sha1) == 0 &&
         strcmp(a->md5, b->md5) == 0 && strcmp(a->tlsh, b->tlsh) == 0;
}

#define NJOBS 24

/* Many jobs queued at once, joined in order: the caller helps with the ones
** the worker has not reached. */
static void test_hasher_queue(void) {
  tells_hasher *w = NULL;
  static tells_hash h[NJOBS];
  static tells_hash_job j[NJOBS];
  uint8_t *buf[NJOBS];
  size_t len[NJOBS];
  int i, which[NJOBS];
  CHECK_EQ_INT(tells_hasher_start(&w), TELLS_OK);
  if (!w) return;
  for (i = 0; i < NJOBS; i++) {
    len[i] = i % 5 == 0 ? (size_t)(3u << 20) + (size_t)i : (size_t)(1000 + 977 * i);
    if (i == 7) len[i] = 0;                     /* an empty file */
    buf[i] = tells_malloc(len[i] ? len[i] : 1);
    CHECK(buf[i] != NULL);
    if (!buf[i]) return;
    fill(buf[i], len[i], (uint32_t)i);
    which[i] = i % 3 == 0 ? TELLS_HASH_SHA256 : ALL;
    CHECK_EQ_INT(tells_hash_init(&h[i], which[i]), TELLS_OK);
    memset(&j[i], 0, sizeof j[i]);
    j[i].h = &h[i]; j[i].p = buf[i]; j[i].n = len[i];
    tells_hasher_post(w, &j[i]);
  }
  for (i = 0; i < NJOBS; i++) {
    tells_hash ref;
    tells_hasher_join(w, &j[i]);
    CHECK_EQ_INT(j[i].state, 2);
    CHECK_EQ_INT(tells_hash_final(&h[i]), TELLS_OK);
    reference(buf[i], len[i], which[i], &ref);
    CHECK(same(&h[i], &ref));
    if (which[i] & TELLS_HASH_TLSH) CHECK(len[i] < 50 || h[i].tlsh[0] == 'T');
    tells_hash_free(&h[i]);
  }
  tells_hasher_stop(w);
  for (i = 0; i < NJOBS; i++) tells_free(buf[i]);
}

/* Joining a job the worker is busy with, and joining out of order. */
static void test_hasher_join_order(void) {
  tells_hasher *w = NULL;
  tells_hash a, b, ref;
  tells_hash_job ja, jb;
  size_t n = 4u << 20;
  uint8_t *p = tells_malloc(n);
  CHECK(p != NULL);
  if (!p) return;
  fill(p, n, 99);
  CHECK_EQ_INT(tells_hasher_start(&w), TELLS_OK);
  if (!w) { tells_free(p); return; }
  tells_hash_init(&a, ALL);
  tells_hash_init(&b, ALL);
  memset(&ja, 0, sizeof ja); memset(&jb, 0, sizeof jb);
  ja.h = &a; ja.p = p; ja.n = n;
  jb.h = &b; jb.p = p + 1; jb.n = n - 1;
  tells_hasher_post(w, &ja);
  tells_hasher_post(w, &jb);
  tells_hasher_join(w, &jb);                  /* the later one first */
  CHECK_EQ_INT(jb.state, 2);
  tells_hasher_join(w, &ja);
  CHECK_EQ_INT(ja.state, 2);
  tells_hash_final(&a); tells_hash_final(&b);
  reference(p, n, ALL, &ref);
  CHECK(same(&a, &ref));
  reference(p + 1, n - 1, ALL, &ref);
  CHECK(same(&b, &ref));
  tells_hash_free(&a); tells_hash_free(&b);
  /* the one-slot interface on the same worker */
  tells_hash_init(&a, ALL);
  tells_hasher_submit(w, &a, p, n);
  tells_hasher_wait(w);
  tells_hash_final(&a);
  reference(p, n, ALL, &ref);
  CHECK(same(&a, &ref));
  tells_hash_free(&a);
  tells_hasher_stop(w);
  tells_free(p);
}

/* Without a worker, posting hashes at once and joining returns. */
static void test_hasher_inline(void) {
  tells_hash a, ref;
  tells_hash_job j;
  uint8_t p[5000];
  fill(p, sizeof p, 5);
  tells_hash_init(&a, ALL);
  memset(&j, 0, sizeof j);
  j.h = &a; j.p = p; j.n = sizeof p;
  tells_hasher_post(NULL, &j);
  CHECK_EQ_INT(j.state, 2);
  tells_hasher_join(NULL, &j);
  tells_hash_final(&a);
  reference(p, sizeof p, ALL, &ref);
  CHECK(same(&a, &ref));
  CHECK(a.tlsh[0] == 'T');
  tells_hash_free(&a);
  tells_hasher_stop(NULL);
}

int main(void) {
  T_RUN(test_hasher_queue);
  T_RUN(test_hasher_join_order);
  T_RUN(test_hasher_inline);
  T_END();
}
