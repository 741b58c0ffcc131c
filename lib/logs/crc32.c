/*
** crc32.c -- CRC-32/ISO-HDLC (the zlib / RFC 1952 / EVTX checksum):
** carry-less-multiply folding on x86-64 CPUs with PCLMULQDQ, slice-by-8
** tables elsewhere and for the head and tail of a buffer.
**
** Polynomial 0x04C11DB7, bit-reflected (0xEDB88320), initial value and final
** XOR 0xFFFFFFFF.  (The SSE4.2 crc32 instruction computes CRC-32C, another
** polynomial, so it cannot be used here.)
**
** Folding, in the reflected bit order: a 16-byte block X loaded little-endian
** holds the message polynomial with register bit i as the coefficient of
** x^(127-i).  Split X = H*x^64 + L (H = the low 64 register bits).  Moving X
** forward by D bits over the message keeps the remainder mod P when it is
** replaced by H*(x^(D+64) mod P) + L*(x^D mod P), which fits in 95 bits and
** is XORed into the block D bits further on.  A 64x64 carry-less product of
** a register half (bit i ~ x^(63-i)) and a constant word whose bit j stands
** for x^(64-j) lands with bit m ~ x^(127-m), the block layout; so the word
** for x^E is bitrev32(x^(E-1) mod P) << 32.  The constants are computed from
** the polynomial on first use, not copied from anywhere.  Four lanes (64
** bytes per step) hide the multiply latency; they are folded into one, and
** the last 16-byte remainder goes through the tables with a zero register.
*/
#include "crc32.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_CLMUL 1
#include <immintrin.h>
#endif

static uint32_t crc_tab[8][256];
static volatile int crc_ready;

static void crc_init(void) {
  uint32_t i, k, c;
  for (i = 0; i < 256; i++) {
    c = i;
    for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_tab[0][i] = c;
  }
  for (i = 0; i < 256; i++) {
    c = crc_tab[0][i];
    for (k = 1; k < 8; k++) {
      c = crc_tab[0][c & 0xff] ^ (c >> 8);
      crc_tab[k][i] = c;
    }
  }
  crc_ready = 1;
}

/* The table loop over the raw register c (no pre/post inversion). */
static uint32_t crc_sw(uint32_t c, const uint8_t *b, size_t n) {
  while (n && ((uintptr_t)b & 7)) { c = crc_tab[0][(c ^ *b++) & 0xff] ^ (c >> 8); n--; }
  while (n >= 8) {
    uint32_t lo = c ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                       (uint32_t)b[3] << 24);
    uint32_t hi = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
                  (uint32_t)b[7] << 24;
    c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
        crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
        crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
        crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
    b += 8; n -= 8;
  }
  while (n--) c = crc_tab[0][(c ^ *b++) & 0xff] ^ (c >> 8);
  return c;
}

#ifdef CRC_CLMUL
/* x^e mod P in the normal (unreflected) bit order, P = x^32 + 0x04C11DB7. */
static uint32_t crc_xpow(unsigned e) {
  uint32_t r = 1;
  while (e--) r = (r & 0x80000000u) ? (r << 1) ^ 0x04C11DB7u : r << 1;
  return r;
}

static uint32_t crc_rev32(uint32_t v) {
  uint32_t r = 0;
  int i;
  for (i = 0; i < 32; i++) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

/* The folding word for multiplying by x^e (header comment). */
static uint64_t crc_k(unsigned e) { return (uint64_t)crc_rev32(crc_xpow(e - 1)) << 32; }

static uint64_t crc_k512[2], crc_k128[2];   /* {x^(D+64), x^D} for D = 512, 128 */
static volatile int crc_hw = -1;            /* -1 unknown, 0 no, 1 PCLMULQDQ */

static void crc_hw_init(void) {
  crc_k512[0] = crc_k(512 + 64); crc_k512[1] = crc_k(512);
  crc_k128[0] = crc_k(128 + 64); crc_k128[1] = crc_k(128);
  __builtin_cpu_init();
  crc_hw = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

__attribute__((target("pclmul,sse4.1")))
static __m128i crc_fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/* Raw register c over n >= 64 bytes; returns the raw register. */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_clmul(uint32_t c, const uint8_t *b, size_t n) {
  __m128i k4 = _mm_set_epi64x((long long)crc_k512[1], (long long)crc_k512[0]);
  __m128i k1 = _mm_set_epi64x((long long)crc_k128[1], (long long)crc_k128[0]);
  __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)b);
  __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(b + 16));
  __m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(b + 32));
  __m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(b + 48));
  uint8_t last[16];
  x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)c));
  b += 64; n -= 64;
  while (n >= 64) {
    x0 = _mm_xor_si128(crc_fold(x0, k4), _mm_loadu_si128((const __m128i *)(const void *)b));
    x1 = _mm_xor_si128(crc_fold(x1, k4), _mm_loadu_si128((const __m128i *)(const void *)(b + 16)));
    x2 = _mm_xor_si128(crc_fold(x2, k4), _mm_loadu_si128((const __m128i *)(const void *)(b + 32)));
    x3 = _mm_xor_si128(crc_fold(x3, k4), _mm_loadu_si128((const __m128i *)(const void *)(b + 48)));
    b += 64; n -= 64;
  }
  x0 = _mm_xor_si128(crc_fold(x0, k1), x1);
  x0 = _mm_xor_si128(crc_fold(x0, k1), x2);
  x0 = _mm_xor_si128(crc_fold(x0, k1), x3);
  while (n >= 16) {
    x0 = _mm_xor_si128(crc_fold(x0, k1), _mm_loadu_si128((const __m128i *)(const void *)b));
    b += 16; n -= 16;
  }
  _mm_storeu_si128((__m128i *)(void *)last, x0);
  return crc_sw(crc_sw(0, last, 16), b, n);
}
#endif

uint32_t tells__crc32_sw(uint32_t crc, const void *p, size_t n) {
  if (!crc_ready) crc_init();
  return ~crc_sw(~crc, p, n);
}

uint32_t tells__crc32(uint32_t crc, const void *p, size_t n) {
  if (!crc_ready) crc_init();
#ifdef CRC_CLMUL
  if (n >= 64) {
    if (crc_hw < 0) crc_hw_init();
    if (crc_hw) return ~crc_clmul(~crc, p, n);
  }
#endif
  return ~crc_sw(~crc, p, n);
}
