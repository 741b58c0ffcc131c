/*
** tlsh.h -- TLSH, the Trend Micro Locality Sensitive Hash, of the code pillar.
**
** Intake feeds the bytes of every executable through a tells_tlsh_ctx while
** it reads them (init/update/final); the digest is stored with the artifact
** and later compared with tells_tlsh_distance(), which a nearest-neighbour
** search runs over a large library, so a digest is a small flat struct and
** the distance is table-driven.  Digests and distances are those of the
** reference implementation (Oliver, Cheng, Chen: "TLSH -- A Locality
** Sensitive Hash", 2013; the `tlsh` tool), checked against its test vectors
** in tests/unit/test_tlsh.c.  Design note: docs/internals/tlsh.md.
**
** Text form of the standard digest (128 buckets, 1-byte checksum), 72 chars:
**
**   OFFSET  SIZE  DESCRIPTION
**   0       2     "T1", the version prefix (absent in the old format)
**   2       2     checksum byte, hex, low nibble first
**   4       2     L-value (log of the length), hex, low nibble first
**   6       1     Q1 ratio, one hex digit
**   7       1     Q2 ratio, one hex digit
**   8       64    bucket codes, 2 bits each, buckets 127..0: each hex digit
**                 holds two buckets, (code[2k+1] << 2) | code[2k]
**
** The 3-byte checksum variant has 3 checksum bytes (6 hex digits), the
** 256-bucket variant 128 hex digits of body.
**
** Nothing here includes more than <stddef.h>, <stdint.h> and "tells.h", so
** fuzzers can include this header by path.
*/
#ifndef TELLS_TLSH_H
#define TELLS_TLSH_H

#include <stddef.h>
#include <stdint.h>
#include "tells.h"

/* Options for tells_tlsh_init() (bit flags). */
#define TELLS_TLSH_BUCKETS256   0x01  /* 256 buckets (body of 64 bytes) */
#define TELLS_TLSH_CHECKSUM3    0x02  /* 3 checksum bytes */
#define TELLS_TLSH_CONSERVATIVE 0x04  /* need >= 256 bytes, as `-conservative` */
#define TELLS_TLSH_PRIVATE      0x08  /* checksum written as 0, as `-private` */

#define TELLS_TLSH_MIN_LEN              50   /* shorter input: no digest */
#define TELLS_TLSH_MIN_LEN_CONSERVATIVE 256

/* Longest text form plus NUL: "T1" + 6 checksum + 2 L + 2 Q + 128 body. */
#define TELLS_TLSH_STRMAX 141
/* Text of "no digest", as the reference tool prints it. */
#define TELLS_TLSH_NULL "TNULL"

/* Options for tells_tlsh_format(). */
#define TELLS_TLSH_FMT_OLD 0x01   /* no "T1" version prefix */

/* A digest.  Compare two with tells_tlsh_distance(); equal digests of the
** same variant have distance 0. */
typedef struct tells_tlsh {
  uint8_t body[64];     /* bucket codes in text order: body[0] holds the
                        ** highest 4 buckets; 32 bytes used, 64 for 256 */
  uint8_t checksum[3];  /* checksum[0] only, unless nchecksum == 3 */
  uint8_t lvalue;       /* L: log-scaled input length, 0..255 */
  uint8_t q1ratio;      /* (q1 * 100 / q3) mod 16 */
  uint8_t q2ratio;      /* (q2 * 100 / q3) mod 16 */
  uint8_t nbody;        /* 32 or 64; 0 for no digest */
  uint8_t nchecksum;    /* 1 or 3 */
} tells_tlsh;

/* Streaming state.  Caller-allocated (about 1 KB), no heap. */
typedef struct tells_tlsh_ctx {
  uint32_t bucket[256]; /* triplet counts */
  uint64_t len;         /* bytes fed so far */
  uint8_t win[4];       /* the last 4 bytes, win[0] most recent */
  uint8_t checksum[3];
  unsigned opts;
} tells_tlsh_ctx;

/* Starts a digest with the TELLS_TLSH_* options (0 for the standard T1). */
void tells_tlsh_init(tells_tlsh_ctx *c, unsigned opts);

/* Feeds n bytes; any chunking gives the same digest. */
void tells_tlsh_update(tells_tlsh_ctx *c, const void *p, size_t n);

/* Finishes the digest into *out (the ctx may then be discarded).
** Returns TELLS_OK, or, with out->nbody == 0 ("TNULL"):
**   TELLS_ETRUNC  fewer bytes than the minimum (50, or 256 conservative)
**   TELLS_EEMPTY  not enough variation (half the buckets or more are
**                 empty, or the third quartile is 0) */
tells_err tells_tlsh_final(tells_tlsh_ctx *c, tells_tlsh *out /* OUT */);

/* One-shot digest of a buffer; same returns as tells_tlsh_final(). */
tells_err tells_tlsh_hash(const void *p, size_t n, unsigned opts,
                          tells_tlsh *out /* OUT */);

/* Writes the text form into out (TELLS_TLSH_STRMAX bytes); "TNULL" when
** d holds no digest.  fmt: 0 or TELLS_TLSH_FMT_OLD.  Returns the length. */
size_t tells_tlsh_format(const tells_tlsh *d, unsigned fmt,
                         char out[TELLS_TLSH_STRMAX] /* OUT */);

/* Parses a digest from s[0..n) (not NUL-terminated; untrusted).  Accepts
** "T1" + hex or old-format hex (upper or lower case) of the lengths of the
** four variants; the length says which.  TELLS_ECORRUPT for anything else
** ("TNULL" included), leaving out->nbody == 0. */
tells_err tells_tlsh_parse(const char *s, size_t n, tells_tlsh *out /* OUT */);

/* Distance between two digests: 0 for identical, larger for less similar,
** no upper bound (about 1,000 for unrelated inputs).  with_len adds the
** length term (the default of the `tlsh` tool; 0 is its `-xlen`).
** Returns -1 when either has no digest or their variants differ. */
int tells_tlsh_distance(const tells_tlsh *a, const tells_tlsh *b, int with_len);

/* Code (0..3) of bucket i as the digest holds it; -1 if i is out of range. */
int tells_tlsh_bucket(const tells_tlsh *d, unsigned i);

/* ---- Internal: the parts of tells_tlsh_distance(), for the index
** (tlsh_index.c).  Body words are 8 bytes of tells_tlsh.body as loaded
** with memcpy (lane order does not matter). */
/* The AVX-512 VBMI path of tells_tlsh_update (x86-64 CPUs that have it):
** on = 0 turns it off, 1 back on when the CPU has it, -1 only asks.
** Returns whether it is in use.  For tests and benchmarks; not thread-safe
** against concurrent updates. */
int tells__tlsh_simd(int on);
/* Body distance of 32 buckets: the sum over the 32 two-bit lanes of x and y
** of the bucket distance (the 0/3 pair counts 6).  Inline, for the index.
** For codes x = (x1 x0), y = (y1 y0): |x - y| has low bit x0 ^ y0 and high
** bit set for |x - y| >= 2, i.e. the high bits differ and the pair is not
** {1, 2}; a {0, 3} pair (both bits differ, x1 == x0) adds 3 more. */
static inline unsigned tells__tlsh_body_diff64(uint64_t x, uint64_t y) {
  const uint64_t lo = 0x5555555555555555ull;
  uint64_t x0 = x & lo, x1 = x >> 1 & lo, y0 = y & lo, y1 = y >> 1 & lo;
  uint64_t d0 = x0 ^ y0, dh = x1 ^ y1, xs = x0 ^ x1;
  uint64_t pair12 = dh & d0 & xs;        /* {1, 2}: |x - y| = 1 */
  uint64_t pair03 = dh & d0 & ~xs;       /* {0, 3}: 3 + 3 */
  uint64_t d1 = dh & ~pair12;
  uint64_t v = d1 << 1 | d0;             /* |x - y| per lane, 0..3 */
  uint64_t e = pair03;                   /* 0 or 1 per lane */
  v = (v & 0x3333333333333333ull) + (v >> 2 & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
  e = (e & 0x3333333333333333ull) + (e >> 2 & 0x3333333333333333ull);
  e = (e + (e >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)(((v + 3 * e) * 0x0101010101010101ull) >> 56);
}

/* Sum over the 32 lanes of |x - y| alone: a lower bound of
** tells__tlsh_body_diff64 (the 0/3 pair counts 3, not 6) that, unlike it,
** obeys the triangle inequality (it is an L1 distance). */
static inline unsigned tells__tlsh_body_l1_64(uint64_t x, uint64_t y) {
  const uint64_t lo = 0x5555555555555555ull;
  uint64_t x0 = x & lo, x1 = x >> 1 & lo, y0 = y & lo, y1 = y >> 1 & lo;
  uint64_t d0 = x0 ^ y0, dh = x1 ^ y1, xs = x0 ^ x1;
  uint64_t d1 = dh & ~(dh & d0 & xs);
  uint64_t v = d1 << 1 | d0;
  v = (v & 0x3333333333333333ull) + (v >> 2 & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (unsigned)((v * 0x0101010101010101ull) >> 56);
}

/* L (if with_len), Q1 and Q2 terms of the distance. */
unsigned tells__tlsh_header_diff(unsigned la, unsigned lb, unsigned q1a, unsigned q1b,
                                 unsigned q2a, unsigned q2b, int with_len);
/* Sum of the plain circular differences of the same fields: <= the
** header terms, and a metric. */
unsigned tells__tlsh_header_lb(unsigned la, unsigned lb, unsigned q1a, unsigned q1b,
                               unsigned q2a, unsigned q2b, int with_len);

#endif /* TELLS_TLSH_H */
