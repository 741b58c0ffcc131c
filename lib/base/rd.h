/*
** rd.h -- the bounded cursor through which all untrusted bytes are read.
**
** Every parser in tells reads evidence through a tells_rd.  Reads name their
** width and byte order; nothing casts a struct onto input bytes.  Errors
** stick: a short read sets TELLS_ETRUNC, returns 0 (or NULL) and every later
** read fails too, so a header can be read field by field and checked once
** (curl's STRPARSE chaining, Lua's single loadBlock path).
**
** Bounds checks are written so they cannot overflow: `n <= len - off`, never
** `off + n <= len`.  A sub-cursor covers a slice of its parent and cannot see
** past it; its `base` keeps the absolute offset in the evidence file so
** anomalies name the right place.
*/
#ifndef TELLS_RD_H
#define TELLS_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "tells.h"

typedef struct tells_rd {
  const uint8_t *p;     /* first byte of the window (not owned) */
  size_t len;           /* bytes in the window */
  size_t off;           /* read position, 0..len */
  uint64_t base;        /* absolute file offset of p[0] */
  tells_err err;        /* sticky: TELLS_OK until the first failure */
  uint64_t err_off;     /* absolute offset where the error was raised */
  const char *err_file; /* source file and line that raised it */
  int err_line;
} tells_rd;

static inline tells_rd tells_rd_make(const uint8_t *p, size_t len, uint64_t base) {
  tells_rd r;
  memset(&r, 0, sizeof r);
  r.p = p; r.len = len; r.base = base;
  return r;
}

/* Records an error once (the first one wins). */
static inline void tells_rd_fail_at(tells_rd *r, tells_err e, const char *file,
                                    int line) {
  if (r->err == TELLS_OK) {
    r->err = e; r->err_off = r->base + r->off;
    r->err_file = file; r->err_line = line;
  }
}
#define TELLS_RD_FAIL(r, e) tells_rd_fail_at((r), (e), __FILE__, __LINE__)
/* Corruption with the place in the source that detected it (SQLite's
** SQLITE_CORRUPT_BKPT). */
#define TELLS_CORRUPT(r) tells_rd_fail_at((r), TELLS_ECORRUPT, __FILE__, __LINE__)

static inline int tells_rd_ok(const tells_rd *r) { return r->err == TELLS_OK; }
static inline size_t tells_rd_left(const tells_rd *r) {
  return r->err ? 0 : r->len - r->off;
}
static inline uint64_t tells_rd_pos(const tells_rd *r) { return r->base + r->off; }

/* True when n more bytes can be read; fails the cursor (ETRUNC) if not. */
static inline int tells_rd_need(tells_rd *r, size_t n) {
  if (r->err) return 0;
  if (n > r->len - r->off) { TELLS_RD_FAIL(r, TELLS_ETRUNC); return 0; }
  return 1;
}

/* Returns a pointer to the next n bytes and advances, or NULL. */
static inline const uint8_t *tells_rd_bytes(tells_rd *r, size_t n) {
  const uint8_t *q;
  if (!tells_rd_need(r, n)) return NULL;
  q = r->p + r->off; r->off += n;
  return q;
}
static inline void tells_rd_skip(tells_rd *r, size_t n) { (void)tells_rd_bytes(r, n); }

/* Moves to an offset relative to the window start. */
static inline void tells_rd_seek(tells_rd *r, size_t off) {
  if (r->err) return;
  if (off > r->len) { TELLS_RD_FAIL(r, TELLS_ETRUNC); return; }
  r->off = off;
}

/* A child cursor over [off, off+n) of r's window, not moving r.  A window
** that does not fit gives a failed child (ETRUNC) and leaves r untouched. */
static inline tells_rd tells_rd_sub(const tells_rd *r, size_t off, size_t n) {
  tells_rd c = tells_rd_make(r->p, 0, r->base);
  if (r->err) { c.err = r->err; c.err_off = r->err_off; return c; }
  if (off > r->len || n > r->len - off) {
    c.base = r->base + (off <= r->len ? off : r->len);
    TELLS_RD_FAIL(&c, TELLS_ETRUNC);
    return c;
  }
  return tells_rd_make(r->p + off, n, r->base + off);
}

/* Takes the next n bytes as a child cursor and advances past them. */
static inline tells_rd tells_rd_take(tells_rd *r, size_t n) {
  tells_rd c = tells_rd_sub(r, r->off, n);
  if (c.err) TELLS_RD_FAIL(r, c.err); else r->off += n;
  return c;
}

#define TELLS__RD_LE(W)                                                      \
  static inline uint##W##_t tells_rd_u##W##le(tells_rd *r) {                 \
    const uint8_t *q = tells_rd_bytes(r, W / 8); uint##W##_t v = 0; int i;   \
    if (!q) return 0;                                                        \
    for (i = W / 8 - 1; i >= 0; i--) v = (uint##W##_t)((v << 8) | q[i]);    \
    return v;                                                                \
  }                                                                          \
  static inline uint##W##_t tells_rd_u##W##be(tells_rd *r) {                 \
    const uint8_t *q = tells_rd_bytes(r, W / 8); uint##W##_t v = 0; int i;   \
    if (!q) return 0;                                                        \
    for (i = 0; i < W / 8; i++) v = (uint##W##_t)((v << 8) | q[i]);          \
    return v;                                                                \
  }
TELLS__RD_LE(16)
TELLS__RD_LE(32)
TELLS__RD_LE(64)
#undef TELLS__RD_LE

static inline uint8_t tells_rd_u8(tells_rd *r) {
  const uint8_t *q = tells_rd_bytes(r, 1);
  return q ? q[0] : 0;
}

/* Byte order chosen at run time (pcap, ELF, pcapng sections). */
static inline uint16_t tells_rd_u16(tells_rd *r, int big) {
  return big ? tells_rd_u16be(r) : tells_rd_u16le(r);
}
static inline uint32_t tells_rd_u32(tells_rd *r, int big) {
  return big ? tells_rd_u32be(r) : tells_rd_u32le(r);
}
static inline uint64_t tells_rd_u64(tells_rd *r, int big) {
  return big ? tells_rd_u64be(r) : tells_rd_u64le(r);
}

/* Unchecked loads from a pointer already validated by tells_rd_bytes. */
static inline uint16_t tells_ld16le(const uint8_t *q) { return (uint16_t)(q[0] | q[1] << 8); }
static inline uint32_t tells_ld32le(const uint8_t *q) {
  return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}
static inline uint16_t tells_ld16be(const uint8_t *q) { return (uint16_t)(q[0] << 8 | q[1]); }
static inline uint32_t tells_ld32be(const uint8_t *q) {
  return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | (uint32_t)q[3];
}

/* Overflow-safe "does [off, off+n) fit in len" (YARA's fits_in_pe). */
static inline int tells_fits(uint64_t len, uint64_t off, uint64_t n) {
  return off <= len && n <= len - off;
}

#endif /* TELLS_RD_H */
