/*
** hash.c -- streaming SHA-256/SHA-1/MD5 over evidence bytes via libcrypto.
*/
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include "drop.h"
#include "hash.h"

static EVP_MD *md_sha256, *md_sha1, *md_md5;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void) {
  md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
  md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
  ERR_clear_error();
}

const EVP_MD *tells_hash_md(int alg) {
  pthread_once(&md_once, md_fetch);
  return alg == TELLS_HASH_SHA256 ? md_sha256 : alg == TELLS_HASH_SHA1 ? md_sha1
         : alg == TELLS_HASH_MD5 ? md_md5 : NULL;
}

/* ctx[i] holds the algorithm of bit i of `which` */
static const EVP_MD *md_of(int i) { return tells_hash_md(1 << i); }

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
  if (!EVP_Digest(p, n, d, &k, md, NULL)) {   /* a NULL md fails here too */
    ERR_clear_error();
    out[0] = 0;
    return TELLS_EIO;
  }
  hex(d, k, out);
  return TELLS_OK;
}

tells_err tells_sha256_hex(const void *p, size_t n, char out[65]) {
  return one_shot(tells_hash_md(TELLS_HASH_SHA256), p, n, out);
}
tells_err tells_md5_hex(const void *p, size_t n, char out[33]) {
  return one_shot(tells_hash_md(TELLS_HASH_MD5), p, n, out);
}

/* ---- the hashing worker ---- */

#include <pthread.h>
#include "alloc.h"

/* A job is split into parts, one per algorithm, so that both threads can
** work on one large file: the worker takes parts in queue order, largest
** first, and a caller that joins a job still in the queue takes its
** remaining parts instead of sleeping.  A job is done when no part is left
** or running; whoever finishes its last part unlinks it. */
#define PART_TLSH 3             /* bit index of TLSH among the parts */

struct tells_hasher {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;        /* worker: a job arrived or quit */
  pthread_cond_t done_cv;   /* callers: a job finished */
  tells_hash_job *head, *tail;
  tells_hash_job own;       /* the job of tells_hasher_submit */
  int quit;
  int idle;                 /* the worker sleeps on cv */
  int waiters;              /* callers sleeping on done_cv */
};

/* Parts by cost, most expensive first: TLSH, MD5, SHA-1, SHA-256. */
static const int part_order[4] = {PART_TLSH, 2, 1, 0};

static void part_update(tells_hash *h, int part, const void *p, size_t n) {
  if (!n) return;
  if (part == PART_TLSH) tells_tlsh_update(&h->tlsh_ctx, p, n);
  else EVP_DigestUpdate(h->ctx[part], p, n);
}

/* One part over the job's bytes; with a page release, in steps that
** report the part's offset, so the pages behind it can go. */
#define PART_STEP ((size_t)4 << 20)
static void part_run(tells_hash_job *j, int part) {
  size_t off = 0, k;
  if (!j->drop) { part_update(j->h, part, j->p, j->n); return; }
  for (; off < j->n; off += k) {
    k = j->n - off < PART_STEP ? j->n - off : PART_STEP;
    part_update(j->h, part, (const char *)j->p + off, k);
    tells_drop_at(j->drop, 1 + part, off + k);
  }
  tells_drop_done(j->drop, 1 + part);
}

static unsigned parts_of(const tells_hash *h) {
  unsigned m = 0;
  int i;
  for (i = 0; i < 3; i++) if (h->ctx[i]) m |= 1u << i;
  if (h->which & TELLS_HASH_TLSH) m |= 1u << PART_TLSH;
  return m;
}

/* Takes the next part of j (mu held); -1 when none is left. */
static int take_part(tells_hash_job *j) {
  int i;
  for (i = 0; i < 4; i++)
    if (j->todo & (1u << part_order[i])) {
      j->todo &= ~(1u << part_order[i]);
      j->running++;
      return part_order[i];
    }
  return -1;
}

/* Runs one part with mu released, then retires it (mu held again). */
static void run_part(tells_hasher *w, tells_hash_job *j, int part) {
  pthread_mutex_unlock(&w->mu);
  part_run(j, part);
  pthread_mutex_lock(&w->mu);
  if (--j->running || j->todo) return;
  {                                      /* the job is done: unlink it */
    tells_hash_job **pp = &w->head, *prev = NULL;
    while (*pp && *pp != j) { prev = *pp; pp = &(*pp)->next; }
    if (*pp) {
      *pp = j->next;
      if (w->tail == j) w->tail = prev;
    }
  }
  j->state = 2;
  if (w->waiters) pthread_cond_broadcast(&w->done_cv);   /* wake-ups cost syscalls */
}

static void *worker(void *arg) {
  tells_hasher *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    tells_hash_job *j;
    int part = -1;
    for (j = w->head; j && (part = take_part(j)) < 0; j = j->next) {}
    if (j) { run_part(w, j, part); continue; }
    if (w->quit) break;
    w->idle = 1;
    pthread_cond_wait(&w->cv, &w->mu);
    w->idle = 0;
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
  pthread_cond_init(&w->done_cv, NULL);
  if (pthread_create(&w->thread, NULL, worker, w) != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_cond_destroy(&w->done_cv);
    tells_free(w);
    return TELLS_ENOMEM;
  }
  *out = w;
  return TELLS_OK;
}

void tells_hasher_post(tells_hasher *w, tells_hash_job *j) {
  unsigned parts = parts_of(j->h);
  if (!w || !parts) {                    /* no worker (or nothing to do): now */
    int i;
    for (i = 0; i < 4; i++) if (parts & (1u << i)) part_run(j, i);
    j->state = 2;
    return;
  }
  pthread_mutex_lock(&w->mu);
  j->next = NULL;
  j->todo = parts;
  j->running = 0;
  j->state = 1;
  if (w->tail) w->tail->next = j; else w->head = j;
  w->tail = j;
  if (w->idle && !j->lazy) pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

void tells_hasher_join(tells_hasher *w, tells_hash_job *j) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  while (j->state == 1) {
    int part = take_part(j);
    if (part >= 0) { run_part(w, j, part); continue; }   /* help, do not sleep */
    w->waiters++;
    pthread_cond_wait(&w->done_cv, &w->mu);
    w->waiters--;
  }
  pthread_mutex_unlock(&w->mu);
}

void tells_hasher_submit(tells_hasher *w, tells_hash *h, const void *p, size_t n) {
  tells_hasher_join(w, &w->own);
  w->own.h = h; w->own.p = p; w->own.n = n;
  tells_hasher_post(w, &w->own);
}

void tells_hasher_wait(tells_hasher *w) {
  pthread_mutex_lock(&w->mu);
  if (w->head && w->idle) pthread_cond_signal(&w->cv);   /* lazy jobs too */
  w->waiters++;
  while (w->head) pthread_cond_wait(&w->done_cv, &w->mu);
  w->waiters--;
  pthread_mutex_unlock(&w->mu);
}

void tells_hasher_stop(tells_hasher *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  if (w->head && w->idle) pthread_cond_signal(&w->cv);   /* lazy jobs too */
  w->waiters++;
  while (w->head) pthread_cond_wait(&w->done_cv, &w->mu);
  w->waiters--;
  w->quit = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  pthread_cond_destroy(&w->done_cv);
  tells_free(w);
}
