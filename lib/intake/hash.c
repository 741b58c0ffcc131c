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
