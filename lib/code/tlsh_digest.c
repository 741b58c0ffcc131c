/*
** tlsh_digest.c -- TLSH digests as text, and the distance between two.
**
** Text form: see the table in tlsh.h.  The header bytes (checksum, L) are
** written low nibble first, the Q ratios as one hex digit each, the body
** as plain hex bytes.
**
** Distance (the paper, section "distance"; the `tlsh` tool):
**   L term     d = circular |La - Lb| over 256: 0, 1, else d * 12
**              (only with the length term)
**   Q1, Q2     d = circular difference over 16: d if d <= 1, else
**              (d - 1) * 12
**   checksum   1 if any checksum byte differs
**   body       per bucket |ca - cb|, except 6 for a 0/3 pair
** The body sum runs two bits per bucket over 64-bit words (no tables), so
** one comparison costs a few dozen instructions.
*/
#include <string.h>
#include "tlsh.h"

static const char HEX[] = "0123456789ABCDEF";

size_t tells_tlsh_format(const tells_tlsh *d, unsigned fmt,
                         char out[TELLS_TLSH_STRMAX]) {
  size_t n = 0;
  unsigned i;
  if (!d || (d->nbody != 32 && d->nbody != 64) ||
      (d->nchecksum != 1 && d->nchecksum != 3)) {
    memcpy(out, TELLS_TLSH_NULL, sizeof TELLS_TLSH_NULL);
    return sizeof TELLS_TLSH_NULL - 1;
  }
  if (!(fmt & TELLS_TLSH_FMT_OLD)) { out[n++] = 'T'; out[n++] = '1'; }
  for (i = 0; i < d->nchecksum; i++) {
    out[n++] = HEX[d->checksum[i] & 15];
    out[n++] = HEX[d->checksum[i] >> 4];
  }
  out[n++] = HEX[d->lvalue & 15];
  out[n++] = HEX[d->lvalue >> 4];
  out[n++] = HEX[d->q1ratio & 15];
  out[n++] = HEX[d->q2ratio & 15];
  for (i = 0; i < d->nbody; i++) {
    out[n++] = HEX[d->body[i] >> 4];
    out[n++] = HEX[d->body[i] & 15];
  }
  out[n] = '\0';
  return n;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

/* Byte from two hex digits at s (hi first); -1 if not hex. */
static int hexbyte(const char *s) {
  int h = hexval(s[0]), l = hexval(s[1]);
  return h < 0 || l < 0 ? -1 : h << 4 | l;
}

tells_err tells_tlsh_parse(const char *s, size_t n, tells_tlsh *out) {
  tells_tlsh d;
  size_t pos = 0;
  unsigned i, nck, nbody;
  int v;

  memset(out, 0, sizeof *out);
  if (!s) return TELLS_ECORRUPT;
  if (n >= 2 && s[0] == 'T' && s[1] == '1') pos = 2;
  switch (n - pos) {                     /* hex digits say the variant */
    case 70:  nck = 1; nbody = 32; break;
    case 74:  nck = 3; nbody = 32; break;
    case 134: nck = 1; nbody = 64; break;
    case 138: nck = 3; nbody = 64; break;
    default: return TELLS_ECORRUPT;
  }
  memset(&d, 0, sizeof d);
  for (i = 0; i < nck; i++, pos += 2) {  /* low nibble first */
    if ((v = hexbyte(s + pos)) < 0) return TELLS_ECORRUPT;
    d.checksum[i] = (uint8_t)((v & 15) << 4 | v >> 4);
  }
  if ((v = hexbyte(s + pos)) < 0) return TELLS_ECORRUPT;
  d.lvalue = (uint8_t)((v & 15) << 4 | v >> 4);
  pos += 2;
  if ((v = hexbyte(s + pos)) < 0) return TELLS_ECORRUPT;
  d.q1ratio = (uint8_t)(v >> 4);
  d.q2ratio = (uint8_t)(v & 15);
  pos += 2;
  for (i = 0; i < nbody; i++, pos += 2) {
    if ((v = hexbyte(s + pos)) < 0) return TELLS_ECORRUPT;
    d.body[i] = (uint8_t)v;
  }
  d.nchecksum = (uint8_t)nck;
  d.nbody = (uint8_t)nbody;
  *out = d;
  return TELLS_OK;
}

int tells_tlsh_bucket(const tells_tlsh *d, unsigned i) {
  unsigned nb = d->nbody * 4u;
  if (i >= nb) return -1;
  return d->body[d->nbody - 1 - i / 4] >> (2 * (i % 4)) & 3;
}

static unsigned mod_diff(unsigned x, unsigned y, unsigned range) {
  unsigned dl = x > y ? x - y : y - x, dr = range - dl;
  return dl < dr ? dl : dr;
}

static uint64_t ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);               /* lane order does not matter */
  return v;
}

unsigned tells__tlsh_header_diff(unsigned la, unsigned lb, unsigned q1a, unsigned q1b,
                                 unsigned q2a, unsigned q2b, int with_len) {
  unsigned diff = 0, d;
  if (with_len) {
    d = mod_diff(la & 255u, lb & 255u, 256);
    diff += d <= 1 ? d : d * 12;
  }
  d = mod_diff(q1a & 15u, q1b & 15u, 16);
  diff += d <= 1 ? d : (d - 1) * 12;
  d = mod_diff(q2a & 15u, q2b & 15u, 16);
  diff += d <= 1 ? d : (d - 1) * 12;
  return diff;
}

unsigned tells__tlsh_header_lb(unsigned la, unsigned lb, unsigned q1a, unsigned q1b,
                               unsigned q2a, unsigned q2b, int with_len) {
  return (with_len ? mod_diff(la & 255u, lb & 255u, 256) : 0) +
         mod_diff(q1a & 15u, q1b & 15u, 16) + mod_diff(q2a & 15u, q2b & 15u, 16);
}

int tells_tlsh_distance(const tells_tlsh *a, const tells_tlsh *b,
                        int with_len) {
  unsigned diff, i;
  if (!a || !b || a->nbody != b->nbody || a->nchecksum != b->nchecksum ||
      (a->nbody != 32 && a->nbody != 64) || a->nchecksum > 3)
    return -1;
  diff = tells__tlsh_header_diff(a->lvalue, b->lvalue, a->q1ratio, b->q1ratio,
                                 a->q2ratio, b->q2ratio, with_len);
  for (i = 0; i < a->nchecksum; i++)
    if (a->checksum[i] != b->checksum[i]) { diff += 1; break; }
  for (i = 0; i < a->nbody; i += 8)
    diff += tells__tlsh_body_diff64(ld64(a->body + i), ld64(b->body + i));
  return (int)diff;
}
