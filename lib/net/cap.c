/*
** cap.c -- capture iterator: format probe, classic pcap reader, interfaces.
**
** Classic pcap (draft-ietf-opsawg-pcap), all fields in the writer's byte
** order, which the magic reveals:
**
**   File header (24 bytes)
**   OFFSET SIZE DESCRIPTION
**        0    4 magic: a1b2c3d4 (microseconds), a1b23c4d (nanoseconds),
**                 a1b2cd34 (Kuznetsov's patched libpcap, 24-byte records)
**        4    2 version major (2)
**        6    2 version minor (4)
**        8    4 reserved (thiszone)
**       12    4 reserved (sigfigs)
**       16    4 snaplen
**       20    4 link type (low 16 bits) and FCS information (high bits)
**
**   Record header (16 bytes; 24 with the a1b2cd34 magic)
**   OFFSET SIZE DESCRIPTION
**        0    4 timestamp seconds (unsigned)
**        4    4 microseconds or nanoseconds
**        8    4 captured length (bytes that follow in the file)
**       12    4 original length (bytes on the wire)
**       16    8 (a1b2cd34 only) ifindex, protocol, pkt_type, pad
**
** The inner loop validates each record header with one overflow-safe bounds
** check and then uses unchecked loads.  It also looks one header ahead: when
** the next header is implausible, the current record may have been cut short
** by a writer that died, so the reader looks inside the current record for a
** chain of two plausible headers and, if one is found, shortens the record
** there and records "pcap.truncated_record".  A header that is itself
** implausible is recorded and the reader scans forward for such a chain.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "cap.h"
#include "tells_limits.h"
#include "rd.h"

#define PCAP_HDR 24u
#define ONE_YEAR_S (366u * 86400u)

const char *tells_cap_fmt_name(tells_cap_fmt f) {
  return f == TELLS_CAP_PCAP ? "pcap" : f == TELLS_CAP_PCAPNG ? "pcapng" : "none";
}

void tells__cap_anom(tells_cap *c, uint64_t off, const char *code,
                     const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  c->n_anoms++;
  if (!c->anoms) return;
  if (c->anoms->n >= TELLS_MAX_ANOMALIES_PER_FILE) {
    c->anoms->dropped++;                 /* full: count without formatting */
    return;
  }
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  tells_anom_add(c->anoms, off, code, "%s", tmp);
}

/* Appends an interface; returns its index, or -1 when the table is full or
** memory runs out (recorded by the caller). */
int tells__cap_add_iface(tells_cap *c, const tells_cap_iface *ifc) {
  if (c->n_ifaces >= TELLS_MAX_PCAPNG_IFACES) return -1;
  if (c->n_ifaces == c->cap_ifaces) {
    uint32_t ncap = c->cap_ifaces ? c->cap_ifaces * 2 : 4;
    tells_cap_iface *v = tells_realloc(c->ifaces, ncap * sizeof *v);
    if (!v) return -1;
    c->ifaces = v; c->cap_ifaces = ncap;
  }
  c->ifaces[c->n_ifaces] = *ifc;
  return (int)c->n_ifaces++;
}

int tells_cap_probe(const uint8_t *p, size_t len) {
  uint32_t m;
  if (len < 4) return 0;
  m = tells_ld32le(p);
  if (m == 0xa1b2c3d4u || m == 0xa1b23c4du || m == 0xa1b2cd34u) return TELLS_CAP_PCAP;
  m = tells_ld32be(p);
  if (m == 0xa1b2c3d4u || m == 0xa1b23c4du || m == 0xa1b2cd34u) return TELLS_CAP_PCAP;
  if (m == 0x0a0d0d0au) return TELLS_CAP_PCAPNG;
  return 0;
}

static tells_err pcap_open(tells_cap *c) {
  tells_rd r = tells_rd_make(c->p, c->len, 0);
  tells_cap_iface ifc;
  uint32_t magic, lt;
  magic = tells_rd_u32le(&r);
  c->big = magic != 0xa1b2c3d4u && magic != 0xa1b23c4du && magic != 0xa1b2cd34u;
  if (c->big) magic = tells_ld32be(c->p);
  c->nsec = magic == 0xa1b23c4du;
  c->rec_hdr = magic == 0xa1b2cd34u ? 24 : 16;
  c->ver_major = tells_rd_u16(&r, c->big);
  c->ver_minor = tells_rd_u16(&r, c->big);
  tells_rd_skip(&r, 8);
  c->snaplen = tells_rd_u32(&r, c->big);
  lt = tells_rd_u32(&r, c->big);
  if (!tells_rd_ok(&r)) {
    tells__cap_anom(c, 0, "pcap.truncated_header",
                    "file header needs %u bytes, file has %zu", PCAP_HDR, c->len);
    return TELLS_ETRUNC;
  }
  if (c->ver_major != 2)
    tells__cap_anom(c, 4, "pcap.version", "unexpected version %u.%u",
                    c->ver_major, c->ver_minor);
  c->maxcap = TELLS_MAX_PCAP_SNAPLEN;
  if (c->snaplen > TELLS_MAX_PCAP_SNAPLEN)
    tells__cap_anom(c, 16, "pcap.snaplen_large", "snaplen %u over the cap %u",
                    c->snaplen, TELLS_MAX_PCAP_SNAPLEN);
  memset(&ifc, 0, sizeof ifc);
  ifc.linktype = lt & 0xffffu;
  ifc.snaplen = c->snaplen;
  ifc.tsresol = c->nsec ? 9 : 6;
  ifc.ts_kind = 0;
  ifc.ts_mul = c->nsec ? 1 : 1000;
  if (tells__cap_add_iface(c, &ifc) < 0) return TELLS_ENOMEM;
  c->pos = PCAP_HDR;
  return TELLS_OK;
}

static inline uint32_t ld32(const uint8_t *q, int big) {
  return big ? tells_ld32be(q) : tells_ld32le(q);
}

/* A record header at q that a careful writer could have produced: it fits,
** its lengths are sane and its time is within a year of the last packet. */
static int pcap_strict(const tells_cap *c, size_t q, int64_t ref_sec, int have_ref) {
  const uint8_t *h;
  uint32_t sec, frac, cl, ol;
  if (!tells_fits(c->len, q, c->rec_hdr)) return 0;
  h = c->p + q;
  sec = ld32(h, c->big); frac = ld32(h + 4, c->big);
  cl = ld32(h + 8, c->big); ol = ld32(h + 12, c->big);
  if (cl == 0 || cl > c->maxcap || cl > ol || ol > TELLS_MAX_PCAPNG_BLOCK) return 0;
  if (c->snaplen && cl > c->snaplen) return 0;
  if (frac >= (c->nsec ? 1000000000u : 1000000u)) return 0;
  if (cl > c->len - q - c->rec_hdr) return 0;
  if (have_ref &&
      ((int64_t)sec + (int64_t)ONE_YEAR_S < ref_sec || (int64_t)sec > ref_sec + (int64_t)ONE_YEAR_S))
    return 0;
  return 1;
}

/* Two plausible headers in a row (or one that ends exactly at the end). */
static int pcap_chain(const tells_cap *c, size_t q, int64_t ref_sec, int have_ref) {
  size_t q2;
  if (!pcap_strict(c, q, ref_sec, have_ref)) return 0;
  q2 = q + c->rec_hdr + ld32(c->p + q + 8, c->big);
  return q2 == c->len || pcap_strict(c, q2, ref_sec, have_ref);
}

/* First chain start in [from, to), or 0.  Times are checked against the
** seconds of the last packet returned, when there is one. */
static size_t pcap_find(const tells_cap *c, size_t from, size_t to, int64_t ref_sec,
                        int have_ref) {
  size_t q;
  if (to > c->len) to = c->len;
  for (q = from; q < to; q++)
    if (pcap_chain(c, q, ref_sec, have_ref)) return q;
  return 0;
}

static int pcap_next(tells_cap *c, tells_pkt *o) {
  const size_t hl = c->rec_hdr;
  const int big = c->big;
  for (;;) {
    size_t pos = c->pos, left = c->len - pos, next, q;
    const uint8_t *h;
    uint32_t sec, frac, cl, ol;
    if (left < hl) {
      if (left)
        tells__cap_anom(c, pos, "pcap.truncated_header",
                        "%zu bytes left, record header needs %zu", left, hl);
      c->done = 1;
      return 0;
    }
    h = c->p + pos;
    if (big) {
      sec = tells_ld32be(h); frac = tells_ld32be(h + 4);
      cl = tells_ld32be(h + 8); ol = tells_ld32be(h + 12);
    } else {
      sec = tells_ld32le(h); frac = tells_ld32le(h + 4);
      cl = tells_ld32le(h + 8); ol = tells_ld32le(h + 12);
    }
    if (cl > c->maxcap || cl > left - hl) {
      if (cl > c->maxcap)
        tells__cap_anom(c, pos, "pcap.caplen_too_large",
                        "caplen %u over the cap %u", cl, c->maxcap);
      else
        tells__cap_anom(c, pos, "pcap.truncated_record",
                        "caplen %u but only %zu bytes left", cl, left - hl);
      c->n_resync++;
      q = pcap_find(c, pos + 1, c->len, c->last_ts / 1000000000, c->n_pkts != 0);
      if (!q) { c->done = 1; return 0; }
      tells__cap_anom(c, q, "pcap.resync", "skipped %zu bytes to the next record",
                      q - pos);
      c->pos = q;
      continue;
    }
    next = pos + hl + cl;
    /* Look ahead: an implausible next header suggests this record was cut. */
    if (next != c->len && cl && (c->len - next < hl || !pcap_strict(c, next, sec, 1))) {
      q = pcap_find(c, pos + hl, next, sec, 1);
      if (q) {
        tells__cap_anom(c, pos, "pcap.truncated_record",
                        "caplen %u, but the next record starts after %zu bytes",
                        cl, q - pos - hl);
        c->n_resync++;
        cl = (uint32_t)(q - pos - hl);
        next = q;
      }
    } else if (c->len - next >= hl) {
      /* The next header is in cache now (checked above unless cl is 0; its
      ** caplen only aims a prefetch): the one after it is the cache miss
      ** the next call would stall on, so ask for it (and the packet
      ** headers behind it) while this packet is processed. */
      size_t n2 = next + hl + ld32(c->p + next + 8, big);
      if (n2 < c->len) __builtin_prefetch(c->p + n2);
      if (n2 + 64 < c->len) __builtin_prefetch(c->p + n2 + 64);
      /* Past that the headers are unknown, but a bulk transfer repeats its
      ** packet size: guess eight records ahead at this one's size (a wrong
      ** guess costs a line of bandwidth, a right one hides a memory miss). */
      n2 = next + 8 * (size_t)(hl + cl);
      if (n2 + 64 < c->len) {
        __builtin_prefetch(c->p + n2);
        __builtin_prefetch(c->p + n2 + 64);
      }
    }
    if (cl > c->snaplen && c->snaplen)
      tells__cap_anom(c, pos, "pcap.caplen_over_snaplen", "caplen %u > snaplen %u",
                      cl, c->snaplen);
    if (cl > ol)
      tells__cap_anom(c, pos, "pcap.caplen_over_origlen", "caplen %u > origlen %u",
                      cl, ol);
    if (frac >= (c->nsec ? 1000000000u : 1000000u))
      tells__cap_anom(c, pos + 4, "pcap.ts_fraction", "fraction %u out of range", frac);
    o->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (c->nsec ? 1 : 1000);
    o->data = h + hl;
    o->caplen = cl;
    o->origlen = ol;
    o->linktype = c->ifaces[0].linktype;
    o->iface = 0;
    o->off = pos;
    c->ifaces[0].n_pkts++;
    c->n_pkts++;
    c->last_ts = o->ts_ns;
    c->pos = next;
    return 1;
  }
}

tells_err tells_cap_open(const uint8_t *p, size_t len, tells_anoms *anoms,
                         tells_cap *out) {
  int fmt = tells_cap_probe(p, len);
  tells_err e;
  memset(out, 0, sizeof *out);
  out->p = p; out->len = len; out->anoms = anoms;
  out->last_ts = 0;
  if (!fmt) {
    out->done = 1;
    tells__cap_anom(out, 0, "cap.unknown_format", "not a pcap or pcapng file");
    return TELLS_EUNSUP;
  }
  out->fmt = (tells_cap_fmt)fmt;
  if (fmt == TELLS_CAP_PCAP) e = pcap_open(out);
  else e = tells__pcapng_open(out) ? TELLS_OK : TELLS_ETRUNC;
  if (e != TELLS_OK) out->done = 1;
  return e;
}

int tells_cap_next(tells_cap *c, tells_pkt *out) {
  if (c->done) return 0;
  return c->fmt == TELLS_CAP_PCAP ? pcap_next(c, out) : tells__pcapng_next(c, out);
}

void tells_cap_close(tells_cap *c) {
  tells_free(c->ifaces);
  c->ifaces = NULL;
  c->n_ifaces = c->cap_ifaces = 0;
  c->done = 1;
}

/* Ticks of an interface's clock to nanoseconds since the epoch, saturating
** instead of overflowing. */
int64_t tells__cap_ticks_ns(const tells_cap_iface *ifc, uint64_t t) {
  uint64_t ns;
  switch (ifc->ts_kind) {
  case 0:                                         /* ns = ticks * mul */
    ns = t > (uint64_t)INT64_MAX / ifc->ts_mul ? (uint64_t)INT64_MAX : t * ifc->ts_mul;
    break;
  case 1:                                         /* ns = ticks / div */
    ns = t / ifc->ts_mul;
    break;
  case 2: {                                       /* 2^-shift seconds */
    unsigned s = ifc->ts_shift;
    uint64_t sec = s >= 64 ? 0 : t >> s;
    uint64_t frac = s >= 64 ? t : t & ((UINT64_C(1) << s) - 1);
    unsigned fs = s;
    if (fs > 34) {                                /* keep frac * 1e9 in 64 bits */
      unsigned k = fs - 34;
      frac = k >= 64 ? 0 : frac >> k;
      fs = 34;
    }
    if (sec > (uint64_t)INT64_MAX / 1000000000u) { ns = (uint64_t)INT64_MAX; break; }
    ns = sec * 1000000000u + ((frac * 1000000000u) >> fs);
    if (ns > (uint64_t)INT64_MAX) ns = (uint64_t)INT64_MAX;
    break;
  }
  default:
    ns = 0;
  }
  if (ifc->tsoffset_ns) {
    int64_t v = (int64_t)ns;
    if (ifc->tsoffset_ns > 0 && v > INT64_MAX - ifc->tsoffset_ns) return INT64_MAX;
    return v + ifc->tsoffset_ns;
  }
  return (int64_t)ns;
}
