/*
** hash.c -- streaming SHA-256/SHA-1/MD5 over evidence bytes via libcrypto.
*/
#include <openssl/evp.h>
#include <string.h>
#include "hash.h"

static const EVP_MD *md_of(int i) {
  return i == 0 ? EVP_sha256() : i == 1 ? EVP_sha1() : EVP_md5();
}

tells_err tells_hash_init(tells_hash *h, int which) {
  int i;
  memset(h, 0, sizeof *h);
  h->which = which;
  if (which & TELLS_HASH_TLSH) tells_tlsh_init(&h->tlsh_ctx, 0);
  for (i = 0; i < 3; i++) {
    if (!(which & (1 << i))) continue;
    h->ctx[i] = EVP_MD_CTX_new();
    if (!h->ctx[i] || !EVP_DigestInit_ex(h->ctx[i], md_of(i), NULL)) {
      tells_hash_free(h);
      return TELLS_ENOMEM;
    }
  }
  return TELLS_OK;
}

void tells_hash_update(tells_hash *h, const void *p, size_t n) {
  int i;
  if (!n) return;
  for (i = 0; i < 3; i++)
    if (h->ctx[i]) EVP_DigestUpdate(h->ctx[i], p, n);
  if (h->which & TELLS_HASH_TLSH) tells_tlsh_update(&h->tlsh_ctx, p, n);
}

static void hex(const unsigned char *d, unsigned n, char *out) {
  static const char x[] = "0123456789abcdef";
  unsigned i;
  for (i = 0; i < n; i++) { out[2 * i] = x[d[i] >> 4]; out[2 * i + 1] = x[d[i] & 15]; }
  out[2 * n] = 0;
}

tells_err tells_hash_final(tells_hash *h) {
  char *outs[3] = {h->sha256, h->sha1, h->md5};
  int i;
  if (h->which & TELLS_HASH_TLSH) {
    tells_tlsh d;
    if (tells_tlsh_final(&h->tlsh_ctx, &d) == TELLS_OK) tells_tlsh_format(&d, 0, h->tlsh);
    h->which &= ~TELLS_HASH_TLSH;
  }
  for (i = 0; i < 3; i++) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!h->ctx[i]) continue;
    if (!EVP_DigestFinal_ex(h->ctx[i], d, &n)) return TELLS_EIO;
    hex(d, n, outs[i]);
    EVP_MD_CTX_free(h->ctx[i]);
    h->ctx[i] = NULL;
  }
  return TELLS_OK;
}

void tells_hash_free(tells_hash *h) {
  int i;
  for (i = 0; i < 3; i++) { EVP_MD_CTX_free(h->ctx[i]); h->ctx[i] = NULL; }
}

static tells_err one_shot(const EVP_MD *md, const void *p, size_t n, char *out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned k = 0;
  if (!EVP_Digest(p, n, d, &k, md, NULL)) return TELLS_EIO;
  hex(d, k, out);
  return TELLS_OK;
}

tells_err tells_sha256_hex(const void *p, size_t n, char out[65]) {
  return one_shot(EVP_sha256(), p, n, out);
}
tells_err tells_md5_hex(const void *p, size_t n, char out[33]) {
  return one_shot(EVP_md5(), p, n, out);
}

/* ---- the hashing worker ---- */

#include <pthread.h>
#include "alloc.h"

struct tells_hasher {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tells_hash *h;            /* current job, NULL when idle */
  const void *p;
  size_t n;
  int busy, quit;
};

static void *worker(void *arg) {
  tells_hasher *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->busy && !w->quit) pthread_cond_wait(&w->cv, &w->mu);
    if (w->busy) {
      tells_hash *h = w->h;
      const void *p = w->p;
      size_t n = w->n;
      pthread_mutex_unlock(&w->mu);
      tells_hash_update(h, p, n);
      pthread_mutex_lock(&w->mu);
      w->busy = 0;
      pthread_cond_broadcast(&w->cv);
      continue;
    }
    if (w->quit) break;
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

tells_err tells_hasher_start(tells_hasher **out) {
  tells_hasher *w = tells_calloc(1, sizeof *w);
  *out = NULL;
  if (!w) return TELLS_ENOMEM;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  if (pthread_create(&w->thread, NULL, worker, w) != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    tells_free(w);
    return TELLS_ENOMEM;
  }
  *out = w;
  return TELLS_OK;
}

void tells_hasher_submit(tells_hasher *w, tells_hash *h, const void *p, size_t n) {
  pthread_mutex_lock(&w->mu);
  while (w->busy) pthread_cond_wait(&w->cv, &w->mu);
  w->h = h; w->p = p; w->n = n; w->busy = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

void tells_hasher_wait(tells_hasher *w) {
  pthread_mutex_lock(&w->mu);
  while (w->busy) pthread_cond_wait(&w->cv, &w->mu);
  pthread_mutex_unlock(&w->mu);
}

void tells_hasher_stop(tells_hasher *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  while (w->busy) pthread_cond_wait(&w->cv, &w->mu);
  w->quit = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  tells_free(w);
}
