/*
** pcapng.c -- pcapng block walker (draft-ietf-opsawg-pcapng).
**
** Every block shares one frame, in the byte order of its section:
**
**   OFFSET  SIZE DESCRIPTION
**        0     4 block type
**        4     4 block total length (multiple of 4, >= 12)
**        8     n block body
**    len-4     4 block total length again
**
**   Section Header Block (type 0x0A0D0D0A, the same in both byte orders)
**        8     4 byte-order magic 0x1A2B3C4D (as read decides the order)
**       12     2 major version (1)       14  2 minor version
**       16     8 section length (-1 = unknown)
**       24     . options
**   Interface Description Block (type 1)
**        8     2 link type              10  2 reserved
**       12     4 snaplen (0 = none)
**       16     . options: if_tsresol (9, 1 byte: bit 7 clear = 10^-n s,
**                 set = 2^-n s; default 10^-6), if_tsoffset (14, 8 bytes,
**                 seconds added to every timestamp)
**   Enhanced Packet Block (type 6)
**        8     4 interface id (per section)
**       12     4 timestamp, high 32 bits   16  4 timestamp, low 32 bits
**       20     4 captured length          24  4 original length
**       28     . packet data, padded to 4; options
**   Simple Packet Block (type 3): 8 original length, 12 data (interface 0
**        of the section, no timestamp; captured length from the block)
**   Packet Block (type 2, obsolete): 8 interface id (2), 10 drops (2),
**        12 timestamp high, 16 low, 20 caplen, 24 origlen, 28 data
**   Options: 2 code, 2 length, value padded to 4; code 0 ends the list.
**
** Other blocks (name resolution, statistics, decryption secrets, custom,
** unknown) are skipped by their length.  A block whose length is zero, not a
** multiple of 4, past the end of the file, over TELLS_MAX_PCAPNG_BLOCK, or
** different in its trailer is an anomaly; the walker then scans forward
** byte by byte for a block whose type is known and whose two length fields
** agree, and resumes there.
*/
#include <string.h>
#include "cap.h"
#include "tells_limits.h"
#include "rd.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u

static inline uint32_t ld32(const uint8_t *q, int big) {
  return big ? tells_ld32be(q) : tells_ld32le(q);
}

/* Byte order of an SHB at q: 0 little, 1 big, -1 not an SHB. */
static int shb_order(const tells_cap *c, size_t q) {
  uint32_t m;
  if (!tells_fits(c->len, q, 12)) return -1;
  m = tells_ld32le(c->p + q + 8);
  if (m == 0x1a2b3c4du) return 0;
  if (m == 0x4d3c2b1au) return 1;
  return -1;
}

static int known_type(uint32_t t) {
  switch (t) {
  case BT_SHB: case 1: case 2: case 3: case 4: case 5: case 6: case 9: case 0xa:
  case 0xbad: case 0x40000bad:
    return 1;
  }
  return 0;
}

/* A whole, well-framed block of a known type starts at q. */
static int block_ok(const tells_cap *c, size_t q) {
  uint32_t t, n;
  int big = c->big;
  if (!tells_fits(c->len, q, 12)) return 0;
  t = ld32(c->p + q, big);
  if (t == BT_SHB) {
    int o = shb_order(c, q);
    if (o < 0) return 0;
    big = o;
  } else if (!known_type(t)) {
    return 0;
  }
  n = ld32(c->p + q + 4, big);
  if (n < 12 || (n & 3) || n > TELLS_MAX_PCAPNG_BLOCK || n > c->len - q) return 0;
  return ld32(c->p + q + n - 4, big) == n;
}

/* Moves to the next well-framed block after `from`; 0 when there is none. */
static int resync(tells_cap *c, size_t bad, size_t from) {
  size_t q;
  c->n_resync++;
  for (q = from; c->len - q >= 12 && q < c->len; q++) {
    if (block_ok(c, q)) {
      tells__cap_anom(c, q, "pcapng.resync", "skipped %zu bytes to the next block",
                      q - bad);
      c->pos = q;
      return 1;
    }
  }
  c->done = 1;
  return 0;
}

static void set_tsresol(tells_cap_iface *ifc, uint8_t v) {
  unsigned n = v & 0x7fu;
  static const uint64_t p10[] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
    1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
    100000000000000u, 1000000000000000u, 10000000000000000u,
    100000000000000000u, 1000000000000000000u, 10000000000000000000u };
  ifc->tsresol = v;
  if (v & 0x80u) {
    ifc->ts_kind = 2; ifc->ts_shift = (uint8_t)n; ifc->ts_mul = 1;
  } else if (n <= 9) {
    ifc->ts_kind = 0; ifc->ts_mul = p10[9 - n];
  } else if (n - 9 <= 19) {
    ifc->ts_kind = 1; ifc->ts_mul = p10[n - 9];
  } else {
    ifc->ts_kind = 3; ifc->ts_mul = 1;          /* every tick rounds to 0 */
  }
}

/* Interface Description Block at `pos` with total length n. */
static void read_idb(tells_cap *c, size_t pos, uint32_t n) {
  tells_rd r = tells_rd_make(c->p + pos + 8, n - 12, pos + 8);
  tells_cap_iface ifc;
  memset(&ifc, 0, sizeof ifc);
  ifc.linktype = tells_rd_u16(&r, c->big);
  tells_rd_skip(&r, 2);
  ifc.snaplen = tells_rd_u32(&r, c->big);
  ifc.section = c->n_sections ? c->n_sections - 1 : 0;
  ifc.off = pos;
  set_tsresol(&ifc, 6);
  if (!tells_rd_ok(&r)) {
    tells__cap_anom(c, pos, "pcapng.short_idb", "IDB body of %u bytes", n - 12);
    return;
  }
  while (tells_rd_left(&r) >= 4) {
    uint64_t at = tells_rd_pos(&r);
    uint16_t code = tells_rd_u16(&r, c->big), olen = tells_rd_u16(&r, c->big);
    tells_rd v = tells_rd_take(&r, olen);
    if (!tells_rd_ok(&r)) {
      tells__cap_anom(c, at, "pcapng.bad_option", "option %u of %u bytes overruns the IDB",
                      code, olen);
      break;
    }
    tells_rd_skip(&r, (4u - (olen & 3u)) & 3u);
    if (code == 0) break;
    if (code == 9 && olen == 1) {
      set_tsresol(&ifc, tells_rd_u8(&v));
      if ((ifc.tsresol & 0x7f) > 19 && !(ifc.tsresol & 0x80))
        tells__cap_anom(c, at, "pcapng.tsresol", "if_tsresol 10^-%u", ifc.tsresol & 0x7f);
    } else if (code == 14 && olen == 8) {
      int64_t s = (int64_t)tells_rd_u64(&v, c->big);
      if (s > INT64_MAX / 1000000000 || s < INT64_MIN / 1000000000) {
        tells__cap_anom(c, at, "pcapng.tsoffset", "if_tsoffset %lld s out of range",
                        (long long)s);
      } else {
        ifc.tsoffset_ns = s * 1000000000;
      }
    }
  }
  if (tells__cap_add_iface(c, &ifc) < 0)
    tells__cap_anom(c, pos, "pcapng.too_many_interfaces",
                    "interface %u not kept (cap %u or out of memory)", c->n_ifaces,
                    TELLS_MAX_PCAPNG_IFACES);
}

int tells__pcapng_open(tells_cap *c) {
  int o = shb_order(c, 0);
  if (o < 0) {
    tells__cap_anom(c, 0, "pcapng.bad_shb", "section header block without byte-order magic");
    return 0;
  }
  c->big = o;
  c->pos = 0;
  return 1;
}

/* Fills *o from a packet record; returns 0 when it must be skipped. */
static int emit(tells_cap *c, tells_pkt *o, size_t pos, uint32_t id, uint64_t ticks,
                uint32_t cl, uint32_t ol, const uint8_t *data, int has_ts) {
  uint32_t g = c->section_first + id;
  tells_cap_iface *ifc;
  if (id >= c->n_ifaces - c->section_first || c->n_ifaces <= c->section_first) {
    tells__cap_anom(c, pos, "pcapng.undefined_interface",
                    "packet names interface %u; the section defines %u", id,
                    c->n_ifaces - c->section_first);
    c->n_skipped++;
    return 0;
  }
  ifc = &c->ifaces[g];
  if (ifc->snaplen && cl > ifc->snaplen)
    tells__cap_anom(c, pos, "pcapng.caplen_over_snaplen", "caplen %u > snaplen %u",
                    cl, ifc->snaplen);
  if (cl > ol)
    tells__cap_anom(c, pos, "pcapng.caplen_over_origlen", "caplen %u > origlen %u", cl, ol);
  o->ts_ns = has_ts ? tells__cap_ticks_ns(ifc, ticks) : c->last_ts;
  o->data = data;
  o->caplen = cl;
  o->origlen = ol;
  o->linktype = ifc->linktype;
  o->iface = g;
  o->off = pos;
  ifc->n_pkts++;
  c->n_pkts++;
  c->last_ts = o->ts_ns;
  return 1;
}

int tells__pcapng_next(tells_cap *c, tells_pkt *o) {
  for (;;) {
    size_t pos = c->pos, left = c->len - pos;
    const uint8_t *h;
    uint32_t t, n;
    int big = c->big;
    if (left < 12) {
      if (left)
        tells__cap_anom(c, pos, "pcapng.truncated_block",
                        "%zu bytes left, a block needs at least 12", left);
      c->done = 1;
      return 0;
    }
    h = c->p + pos;
    t = ld32(h, big);
    if (t == BT_SHB) {
      int ord = shb_order(c, pos);
      if (ord < 0) {
        tells__cap_anom(c, pos, "pcapng.bad_shb", "section header without byte-order magic");
        if (!resync(c, pos, pos + 1)) return 0;
        continue;
      }
      big = ord;
    }
    n = ld32(h + 4, big);
    if (n < 12 || (n & 3) || n > left || n > TELLS_MAX_PCAPNG_BLOCK) {
      if (n == 0)
        tells__cap_anom(c, pos, "pcapng.zero_length_block", "block type 0x%x has length 0", t);
      else if (n > left)
        tells__cap_anom(c, pos, "pcapng.block_past_end",
                        "block type 0x%x of %u bytes, %zu left in the file", t, n, left);
      else
        tells__cap_anom(c, pos, "pcapng.bad_block_length", "block type 0x%x length %u", t, n);
      if (!resync(c, pos, pos + 1)) return 0;
      continue;
    }
    if (ld32(h + n - 4, big) != n) {
      tells__cap_anom(c, pos, "pcapng.length_mismatch",
                      "block type 0x%x: length %u, trailer %u", t, n, ld32(h + n - 4, big));
      if (!resync(c, pos, pos + 1)) return 0;
      continue;
    }
    c->pos = pos + n;
    /* The next block starts where this one's trailer ended (in cache now);
    ** past it, guess as cap.c does that the packet size repeats. */
    if (c->pos + 8 * (size_t)n + 64 < c->len) {
      __builtin_prefetch(c->p + c->pos + 8 * (size_t)n);
      __builtin_prefetch(c->p + c->pos + 8 * (size_t)n + 64);
    }
    switch (t) {
    case BT_EPB: {
      uint32_t id, cl, ol;
      uint64_t ticks;
      if (n < 32) {
        tells__cap_anom(c, pos, "pcapng.short_epb", "EPB of %u bytes", n);
        c->n_skipped++;
        break;
      }
      id = ld32(h + 8, big);
      ticks = (uint64_t)ld32(h + 12, big) << 32 | ld32(h + 16, big);
      cl = ld32(h + 20, big);
      ol = ld32(h + 24, big);
      if (cl > n - 32) {
        tells__cap_anom(c, pos, "pcapng.caplen_past_block",
                        "caplen %u, block holds %u", cl, n - 32);
        c->n_skipped++;
        break;
      }
      if (emit(c, o, pos, id, ticks, cl, ol, h + 28, 1)) return 1;
      break;
    }
    case BT_SPB: {
      uint32_t ol, cl;
      if (n < 16) {
        tells__cap_anom(c, pos, "pcapng.short_spb", "SPB of %u bytes", n);
        c->n_skipped++;
        break;
      }
      ol = ld32(h + 8, big);
      cl = n - 16;
      if (cl > ol) cl = ol;
      if (c->n_ifaces > c->section_first) {
        uint32_t sl = c->ifaces[c->section_first].snaplen;
        if (sl && cl > sl) cl = sl;
      }
      if (emit(c, o, pos, 0, 0, cl, ol, h + 12, 0)) return 1;
      break;
    }
    case BT_PB: {
      uint32_t id, cl, ol;
      uint64_t ticks;
      if (n < 32) {
        tells__cap_anom(c, pos, "pcapng.short_pb", "PB of %u bytes", n);
        c->n_skipped++;
        break;
      }
      id = big ? tells_ld16be(h + 8) : tells_ld16le(h + 8);
      ticks = (uint64_t)ld32(h + 12, big) << 32 | ld32(h + 16, big);
      cl = ld32(h + 20, big);
      ol = ld32(h + 24, big);
      if (cl > n - 32) {
        tells__cap_anom(c, pos, "pcapng.caplen_past_block",
                        "caplen %u, block holds %u", cl, n - 32);
        c->n_skipped++;
        break;
      }
      if (emit(c, o, pos, id, ticks, cl, ol, h + 28, 1)) return 1;
      break;
    }
    case BT_IDB:
      read_idb(c, pos, n);
      break;
    case BT_SHB:
      if (n < 28) {
        tells__cap_anom(c, pos, "pcapng.short_shb", "SHB of %u bytes", n);
        break;
      }
      c->big = big;
      c->n_sections++;
      c->section_first = c->n_ifaces;
      c->ver_major = big ? tells_ld16be(h + 12) : tells_ld16le(h + 12);
      c->ver_minor = big ? tells_ld16be(h + 14) : tells_ld16le(h + 14);
      if (c->ver_major != 1)
        tells__cap_anom(c, pos + 12, "pcapng.version", "section version %u.%u",
                        c->ver_major, c->ver_minor);
      break;
    default:
      break;                                  /* NRB, ISB, DSB, custom, unknown */
    }
  }
}
