/*
** hash.h -- the chain-of-custody hashes of an evidence file.
**
** SHA-256 of every file; SHA-1 and MD5 as well for executables, because
** indicator exchange still uses them, and their TLSH digest for similarity.  Intake and
** `tells code` hash each file on a worker thread beside its scanner (below);
** a caller without one can feed the hashes as its scanner advances (see
** ingest.h).  libcrypto's EVP interface picks the SHA-NI/AVX code paths of
** the machine.
*/
#ifndef TELLS_HASH_H
#define TELLS_HASH_H

#include <stddef.h>
#include "tells.h"
#include "tlsh.h"

#define TELLS_HASH_SHA256 1
#define TELLS_HASH_SHA1   2
#define TELLS_HASH_MD5    4
#define TELLS_HASH_TLSH   8   /* TLSH T1 digest, for similarity */

typedef struct tells_hash {
  void *ctx[3];        /* EVP_MD_CTX * for sha256, sha1, md5; owned */
  int which;
  char sha256[65], sha1[41], md5[33];  /* lowercase hex after final */
  tells_tlsh_ctx tlsh_ctx;
  char tlsh[TELLS_TLSH_STRMAX];        /* "T1..." after final; "" when the file
                                          is too short or too uniform */
} tells_hash;

tells_err tells_hash_init(tells_hash *h, int which);
void tells_hash_update(tells_hash *h, const void *p, size_t n);
/* Adds algorithms after some bytes were hashed: not possible, so callers
** decide `which` before the first update. */
tells_err tells_hash_final(tells_hash *h);
void tells_hash_free(tells_hash *h);

/* libcrypto's digest for TELLS_HASH_SHA256, _SHA1 or _MD5, fetched once per
** process (NULL if the provider lacks it).  EVP_sha256() and the like make
** EVP_DigestInit_ex fetch again on every call, taking the provider store's
** locks: about 0.6 us per digest, more than hashing a short body. */
const struct evp_md_st *tells_hash_md(int alg);

/* One-shot SHA-256 (hex) of a buffer; "" and TELLS_EIO if libcrypto fails. */
tells_err tells_sha256_hex(const void *p, size_t n, char out[65]);
/* One-shot MD5 (hex) of a buffer; "" and TELLS_EIO if libcrypto fails. */
tells_err tells_md5_hex(const void *p, size_t n, char out[33]);

/* A worker thread that hashes buffers while the caller parses: on two cores
** the chain-of-custody hashes then cost no wall time.  Jobs are owned by
** the caller, run in the order posted, and must stay alive (with their
** hash and bytes) until joined.  Intake posts the files ahead of the one it
** analyses, so the worker hashes file i+1.. while the scanner reads file i.
** Each algorithm of a job is a separate part: a caller joining a job that
** is not done computes its parts not yet started, rather than sleeping. */
typedef struct tells_hasher tells_hasher;
typedef struct tells_hash_job {
  tells_hash *h;
  const void *p;
  size_t n;
  int lazy;                        /* do not wake the worker for this job: a
                                      small one, hashed by the worker if it
                                      is awake anyway, else by the joiner */
  int state;                       /* 0 new, 1 queued/running, 2 done */
  unsigned todo;                   /* algorithms not yet started (hasher's) */
  int running;                     /* algorithms being computed (hasher's) */
  struct tells_hash_job *next;     /* the worker's queue */
  struct tells_drop *drop;         /* the mapping's page release (drop.h), or
                                      NULL: each part then reports its offset
                                      as reader 1 + its algorithm's index */
} tells_hash_job;
tells_err tells_hasher_start(tells_hasher **out /* OUT */);
/* Queues a job; with w == NULL hashes it at once on the calling thread. */
void tells_hasher_post(tells_hasher *w, tells_hash_job *j);
/* Waits until the job is done (returns at once if it is, or w is NULL). */
void tells_hasher_join(tells_hasher *w, tells_hash_job *j);
/* One job at a time on the hasher's own slot: submit, then wait. */
void tells_hasher_submit(tells_hasher *w, tells_hash *h, const void *p, size_t n);
void tells_hasher_wait(tells_hasher *w);   /* waits until the queue is empty */
void tells_hasher_stop(tells_hasher *w);   /* waits, joins, frees; NULL is fine */

#endif
