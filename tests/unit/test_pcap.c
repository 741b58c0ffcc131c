/*
** test_pcap.c -- the capture readers (classic pcap, pcapng) and the summary.
**
** Three kinds of check: hand-built hostile files (each damage is an anomaly
** at the right offset and the packets after it are still read), hand-built
** files for every header variant (byte orders, nanosecond magic, if_tsresol
** and if_tsoffset, several sections and interfaces, SPB and obsolete PB), and
** every capture of the shared corpora read under the sanitizers, with packet
** counts, link types and first/last timestamps compared with
** zeek-traces/MANIFEST.tsv.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "anom.h"
#include "cap.h"
#include "capsum.h"
#include "decode.h"
#include "json.h"
#include "t.h"

/* ---- a tiny writer for test captures ------------------------------------ */
typedef struct wbuf { uint8_t b[8192]; size_t n; int big; } wbuf;

static void w8(wbuf *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static void w16(wbuf *w, unsigned v) {
  if (w->big) { w8(w, v >> 8); w8(w, v); } else { w8(w, v); w8(w, v >> 8); }
}
static void w32(wbuf *w, uint32_t v) {
  if (w->big) { w16(w, v >> 16); w16(w, v & 0xffff); } else { w16(w, v & 0xffff); w16(w, v >> 16); }
}
static void wbytes(wbuf *w, const void *p, size_t n) { memcpy(w->b + w->n, p, n); w->n += n; }
static void wfill(wbuf *w, int c, size_t n) { memset(w->b + w->n, c, n); w->n += n; }

static void pcap_hdr(wbuf *w, uint32_t magic, uint32_t snap, uint32_t lt) {
  w32(w, magic); w16(w, 2); w16(w, 4); w32(w, 0); w32(w, 0); w32(w, snap); w32(w, lt);
}
static void pcap_rec(wbuf *w, uint32_t sec, uint32_t frac, uint32_t cl, uint32_t ol, int fill) {
  w32(w, sec); w32(w, frac); w32(w, cl); w32(w, ol); wfill(w, fill, cl);
}

static void ng_shb(wbuf *w) {
  w32(w, 0x0a0d0d0a); w32(w, 28); w32(w, 0x1a2b3c4d); w16(w, 1); w16(w, 0);
  w32(w, 0xffffffff); w32(w, 0xffffffff); w32(w, 28);
}
/* IDB with optional if_tsresol (tsresol >= 0) and if_tsoffset (tsoff != 0). */
static void ng_idb(wbuf *w, unsigned lt, uint32_t snap, int tsresol, int64_t tsoff) {
  uint32_t len = 20 + (tsresol >= 0 ? 8 : 0) + (tsoff ? 12 : 0) + ((tsresol >= 0 || tsoff) ? 4 : 0);
  w32(w, 1); w32(w, len); w16(w, lt); w16(w, 0); w32(w, snap);
  if (tsresol >= 0) { w16(w, 9); w16(w, 1); w8(w, (unsigned)tsresol); wfill(w, 0, 3); }
  if (tsoff) {
    w16(w, 14); w16(w, 8);
    if (w->big) { w32(w, (uint32_t)((uint64_t)tsoff >> 32)); w32(w, (uint32_t)tsoff); }
    else { w32(w, (uint32_t)tsoff); w32(w, (uint32_t)((uint64_t)tsoff >> 32)); }
  }
  if (tsresol >= 0 || tsoff) { w16(w, 0); w16(w, 0); }
  w32(w, len);
}
static void ng_epb(wbuf *w, uint32_t id, uint64_t ts, uint32_t cl, uint32_t ol, int fill) {
  uint32_t pad = (4 - (cl & 3)) & 3, len = 32 + cl + pad;
  w32(w, 6); w32(w, len); w32(w, id); w32(w, (uint32_t)(ts >> 32)); w32(w, (uint32_t)ts);
  w32(w, cl); w32(w, ol); wfill(w, fill, cl); wfill(w, 0, pad); w32(w, len);
}

typedef struct got { int n; tells_pkt p[16]; } got;

static void read_all(const wbuf *w, tells_anoms *an, got *g, tells_err *e) {
  tells_cap c;
  tells_pkt pk;
  /* exact-size heap copy so ASan sees any overread */
  uint8_t *copy = malloc(w->n ? w->n : 1);
  memcpy(copy, w->b, w->n);
  g->n = 0;
  *e = tells_cap_open(copy, w->n, an, &c);
  while (tells_cap_next(&c, &pk)) {
    if (g->n < 16) { g->p[g->n] = pk; g->p[g->n].data = NULL; }
    g->n++;
  }
  tells_cap_close(&c);
  free(copy);
}

static int has_anom(const tells_anoms *an, const char *code, uint64_t off) {
  size_t i;
  for (i = 0; i < an->n; i++)
    if (strcmp(an->v[i].code, code) == 0 && an->v[i].off == off) return 1;
  for (i = 0; i < an->n; i++)
    fprintf(stderr, "    anomaly %s at %llu: %s\n", an->v[i].code,
            (unsigned long long)an->v[i].off, an->v[i].detail);
  return 0;
}

/* ---- classic pcap -------------------------------------------------------- */
static void test_pcap_magics_and_orders(void) {
  static const uint32_t magics[2] = {0xa1b2c3d4u, 0xa1b23c4du};
  int big, m;
  for (big = 0; big < 2; big++) {
    for (m = 0; m < 2; m++) {
      static wbuf w;
      tells_anoms an;
      got g;
      tells_err e;
      memset(&w, 0, sizeof w);
      w.big = big;
      pcap_hdr(&w, magics[m], 65535, 1);
      pcap_rec(&w, 1700000000, 123456, 60, 1514, 0xab);
      pcap_rec(&w, 1700000001, 999999, 42, 42, 0xcd);
      tells_anoms_init(&an);
      read_all(&w, &an, &g, &e);
      CHECK_EQ_INT(e, TELLS_OK);
      CHECK_EQ_INT(g.n, 2);
      CHECK_EQ_INT(g.p[0].ts_ns, 1700000000LL * 1000000000 + (m ? 123456 : 123456000));
      CHECK_EQ_INT(g.p[1].ts_ns, 1700000001LL * 1000000000 + (m ? 999999 : 999999000));
      CHECK_EQ_INT(g.p[0].caplen, 60);
      CHECK_EQ_INT(g.p[0].origlen, 1514);
      CHECK_EQ_INT(g.p[0].linktype, 1);
      CHECK_EQ_INT(g.p[0].off, 24);
      CHECK_EQ_INT(g.p[1].off, 24 + 16 + 60);
      CHECK_EQ_INT(an.n, 0);
      tells_anoms_free(&an);
    }
  }
}

static void test_pcap_truncated_at_end(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  pcap_rec(&w, 100, 0, 40, 40, 1);
  pcap_rec(&w, 101, 0, 40, 40, 2);
  w.n -= 10;                             /* the last record is cut short */
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 1);
  CHECK(has_anom(&an, "pcap.truncated_record", 24 + 56));
  tells_anoms_free(&an);
  /* a cut in the record header itself */
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  pcap_rec(&w, 100, 0, 40, 40, 1);
  w32(&w, 101); w32(&w, 0);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 1);
  CHECK(has_anom(&an, "pcap.truncated_header", 24 + 56));
  tells_anoms_free(&an);
  /* a file header cut short */
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  w.n = 20;
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(e, TELLS_ETRUNC);
  CHECK_EQ_INT(g.n, 0);
  CHECK(has_anom(&an, "pcap.truncated_header", 0));
  tells_anoms_free(&an);
}

/* A writer died in the middle of record 2 (20 of its 100 bytes written) and
** later records were appended: the reader shortens record 2, says so, and
** reads records 3 and 4. */
static void test_pcap_truncated_mid_file(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t r2;
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  pcap_rec(&w, 1000, 1, 50, 50, 0x11);
  r2 = w.n;
  w32(&w, 1000); w32(&w, 2); w32(&w, 100); w32(&w, 100); wfill(&w, 0x22, 20);
  pcap_rec(&w, 1000, 3, 30, 30, 0x33);
  pcap_rec(&w, 1000, 4, 30, 30, 0x44);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 4);
  CHECK_EQ_INT(g.p[1].caplen, 20);
  CHECK_EQ_INT(g.p[2].off, r2 + 16 + 20);
  CHECK_EQ_INT(g.p[3].ts_ns, 1000LL * 1000000000 + 4000);
  CHECK(has_anom(&an, "pcap.truncated_record", r2));
  tells_anoms_free(&an);
}

static void test_pcap_caplen_over_snaplen(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 64, 1);
  pcap_rec(&w, 5, 0, 60, 60, 1);
  pcap_rec(&w, 5, 1, 100, 1500, 2);      /* over the snaplen: kept, flagged */
  pcap_rec(&w, 5, 2, 64, 64, 3);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK_EQ_INT(g.p[1].caplen, 100);
  CHECK_EQ_INT(g.p[2].caplen, 64);
  CHECK(has_anom(&an, "pcap.caplen_over_snaplen", 24 + 76));
  tells_anoms_free(&an);
  /* a caplen beyond any sane bound: skipped, the reader finds the next record */
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  pcap_rec(&w, 5, 0, 60, 60, 1);
  w32(&w, 5); w32(&w, 1); w32(&w, 0x7fffffff); w32(&w, 40); wfill(&w, 0x77, 40);
  pcap_rec(&w, 5, 2, 70, 70, 3);
  pcap_rec(&w, 5, 3, 70, 70, 4);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK(has_anom(&an, "pcap.caplen_too_large", 24 + 76));
  CHECK(has_anom(&an, "pcap.resync", 24 + 76 + 56));
  CHECK_EQ_INT(g.p[1].caplen, 70);
  tells_anoms_free(&an);
}

static void test_not_a_capture(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  memset(&w, 0, sizeof w);
  wbytes(&w, "MZ\x90\x00 hello", 10);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(e, TELLS_EUNSUP);
  CHECK_EQ_INT(g.n, 0);
  w.n = 0;
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(e, TELLS_EUNSUP);
  tells_anoms_free(&an);
}

/* ---- pcapng --------------------------------------------------------------- */
static void test_pcapng_basic_both_orders(void) {
  int big;
  for (big = 0; big < 2; big++) {
    static wbuf w;
    tells_anoms an;
    got g;
    tells_err e;
    memset(&w, 0, sizeof w);
    w.big = big;
    ng_shb(&w);
    ng_idb(&w, 1, 65535, -1, 0);                       /* default: microseconds */
    ng_idb(&w, 113, 128, 9, 0);                        /* SLL, nanoseconds */
    ng_idb(&w, 101, 0, 0x80 | 10, 0);                  /* raw IP, 2^-10 s */
    ng_idb(&w, 1, 0, 3, 1000);                         /* milliseconds, +1000 s */
    w32(&w, 0x12345678); w32(&w, 16); w32(&w, 0xdeadbeef); w32(&w, 16); /* unknown block */
    ng_epb(&w, 0, 1700000000123456ULL, 60, 60, 1);
    ng_epb(&w, 1, 1700000000123456789ULL, 61, 100, 2);
    ng_epb(&w, 2, (5ULL << 10) | 512, 20, 20, 3);
    ng_epb(&w, 3, 1500, 20, 20, 4);
    tells_anoms_init(&an);
    read_all(&w, &an, &g, &e);
    CHECK_EQ_INT(e, TELLS_OK);
    CHECK_EQ_INT(g.n, 4);
    CHECK_EQ_INT(g.p[0].ts_ns, 1700000000123456000LL);
    CHECK_EQ_INT(g.p[0].linktype, 1);
    CHECK_EQ_INT(g.p[1].ts_ns, 1700000000123456789LL);
    CHECK_EQ_INT(g.p[1].linktype, 113);
    CHECK_EQ_INT(g.p[1].iface, 1);
    CHECK_EQ_INT(g.p[1].caplen, 61);
    CHECK_EQ_INT(g.p[1].origlen, 100);
    CHECK_EQ_INT(g.p[2].ts_ns, 5500000000LL);
    CHECK_EQ_INT(g.p[2].linktype, 101);
    CHECK_EQ_INT(g.p[3].ts_ns, 1001500000000LL);
    CHECK_EQ_INT(an.n, 0);
    tells_anoms_free(&an);
  }
}

/* Two sections of different byte order; interface ids restart per section. */
static void test_pcapng_sections_switch_order(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t s2;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 0, -1, 0);
  ng_epb(&w, 0, 1000000, 14, 14, 1);
  s2 = w.n;
  w.big = 1;
  ng_shb(&w);
  ng_idb(&w, 228, 0, 9, 0);
  ng_epb(&w, 0, 2000000000, 20, 20, 0x45);
  ng_epb(&w, 1, 2000000000, 20, 20, 0x45);           /* no interface 1 here */
  ng_epb(&w, 0, 3000000000, 20, 20, 0x45);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK_EQ_INT(g.p[0].ts_ns, 1000000000);
  CHECK_EQ_INT(g.p[1].linktype, 228);
  CHECK_EQ_INT(g.p[1].iface, 1);
  CHECK_EQ_INT(g.p[1].ts_ns, 2000000000);
  CHECK_EQ_INT(g.p[2].ts_ns, 3000000000);
  CHECK(has_anom(&an, "pcapng.undefined_interface", s2 + 28 + 32 + 52));
  tells_anoms_free(&an);
}

static void test_pcapng_spb_and_pb(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 32, -1, 0);
  ng_epb(&w, 0, 7000000, 14, 14, 1);
  /* SPB: origlen 100, 40 bytes stored but the snaplen of 32 cuts it */
  w32(&w, 3); w32(&w, 56); w32(&w, 100); wfill(&w, 5, 40); w32(&w, 56);
  /* obsolete Packet Block: iface 0 (16 bits), drops, ts, caplen 10 */
  w32(&w, 2); w32(&w, 44); w16(&w, 0); w16(&w, 0); w32(&w, 0); w32(&w, 8000000);
  w32(&w, 10); w32(&w, 10); wfill(&w, 6, 12); w32(&w, 44);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK_EQ_INT(g.p[1].caplen, 32);
  CHECK_EQ_INT(g.p[1].origlen, 100);
  CHECK_EQ_INT(g.p[1].ts_ns, 7000000000);             /* SPB: time of the last packet */
  CHECK_EQ_INT(g.p[2].ts_ns, 8000000000);
  CHECK_EQ_INT(g.p[2].caplen, 10);
  CHECK_EQ_INT(an.n, 0);
  tells_anoms_free(&an);
}

static void test_pcapng_zero_length_block(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t bad;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 0, -1, 0);
  ng_epb(&w, 0, 1, 14, 14, 1);
  bad = w.n;
  w32(&w, 6); w32(&w, 0);                             /* zero-length block */
  ng_epb(&w, 0, 2, 14, 14, 2);
  ng_epb(&w, 0, 3, 14, 14, 3);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK(has_anom(&an, "pcapng.zero_length_block", bad));
  CHECK(has_anom(&an, "pcapng.resync", bad + 8));
  CHECK_EQ_INT(g.p[1].off, bad + 8);
  tells_anoms_free(&an);
}

static void test_pcapng_block_past_end(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t bad;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 0, -1, 0);
  ng_epb(&w, 0, 1, 14, 14, 1);
  bad = w.n;
  ng_epb(&w, 0, 2, 14, 14, 2);
  w.b[bad + 4] = 0x00; w.b[bad + 5] = 0x10;            /* length 4096 */
  ng_epb(&w, 0, 3, 14, 14, 3);
  ng_epb(&w, 0, 4, 14, 14, 4);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 3);
  CHECK(has_anom(&an, "pcapng.block_past_end", bad));
  CHECK_EQ_INT(g.p[1].off, bad + 48);
  tells_anoms_free(&an);
  /* the last block of a cut file */
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 0, -1, 0);
  ng_epb(&w, 0, 1, 14, 14, 1);
  bad = w.n;
  ng_epb(&w, 0, 2, 14, 14, 2);
  w.n -= 9;
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 1);
  CHECK(has_anom(&an, "pcapng.block_past_end", bad));
  tells_anoms_free(&an);
}

static void test_pcapng_undefined_interface(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t bad;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 0, -1, 0);
  ng_epb(&w, 0, 1, 14, 14, 1);
  bad = w.n;
  ng_epb(&w, 7, 2, 14, 14, 2);                        /* interface 7 never defined */
  ng_epb(&w, 0, 3, 14, 14, 3);
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 2);
  CHECK(has_anom(&an, "pcapng.undefined_interface", bad));
  CHECK_EQ_INT(g.p[1].ts_ns, 3000);
  tells_anoms_free(&an);
}

static void test_pcapng_trailer_mismatch_and_caplen(void) {
  static wbuf w;
  tells_anoms an;
  got g;
  tells_err e;
  size_t bad, bad2;
  memset(&w, 0, sizeof w);
  ng_shb(&w);
  ng_idb(&w, 1, 16, -1, 0);
  bad = w.n;
  ng_epb(&w, 0, 1, 14, 14, 1);
  w.b[w.n - 4] ^= 4;                                  /* trailer differs */
  ng_epb(&w, 0, 2, 14, 14, 2);
  bad2 = w.n;
  ng_epb(&w, 0, 3, 20, 20, 3);                        /* caplen over snaplen 16 */
  tells_anoms_init(&an);
  read_all(&w, &an, &g, &e);
  CHECK_EQ_INT(g.n, 2);
  CHECK(has_anom(&an, "pcapng.length_mismatch", bad));
  CHECK(has_anom(&an, "pcapng.caplen_over_snaplen", bad2));
  tells_anoms_free(&an);
}

/* Time conversion corner cases. */
static void test_ticks_conversion(void) {
  tells_cap_iface f;
  memset(&f, 0, sizeof f);
  f.ts_kind = 2; f.ts_shift = 0;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, 3), 3000000000LL);
  f.ts_shift = 40;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, (7ULL << 40) | (1ULL << 39)), 7500000000LL);
  f.ts_shift = 64;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, UINT64_MAX), 999999999);
  f.ts_shift = 127;                                   /* 2^-127 s: fuzzer find */
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, UINT64_MAX), 0);
  f.ts_kind = 0; f.ts_mul = 1000;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, UINT64_MAX), INT64_MAX);
  f.ts_kind = 1; f.ts_mul = 1000;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, 1234567), 1234);
  f.ts_kind = 0; f.ts_mul = 1; f.tsoffset_ns = INT64_MAX;
  CHECK_EQ_INT(tells__cap_ticks_ns(&f, 5), INT64_MAX);
}

static void test_summary_json(void) {
  static wbuf w;
  static const uint8_t frame[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
    0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0 };
  tells_anoms an;
  tells_buf b;
  tells_json j;
  tells_cap_stats st;
  uint8_t *copy;
  memset(&w, 0, sizeof w);
  pcap_hdr(&w, 0xa1b2c3d4u, 65535, 1);
  w32(&w, 1700000000); w32(&w, 5); w32(&w, sizeof frame); w32(&w, 1000);
  wbytes(&w, frame, sizeof frame);
  w32(&w, 1700000002); w32(&w, 5); w32(&w, 10); w32(&w, 10); wfill(&w, 0, 10);
  copy = malloc(w.n);
  memcpy(copy, w.b, w.n);
  tells_anoms_init(&an);
  tells_buf_init(&b, 1 << 20);
  tells_json_init_buf(&j, &b, 0);
  CHECK_EQ_INT(tells_cap_summary_json(copy, w.n, &an, &j, &st), TELLS_OK);
  tells_json_flush(&j);
  CHECK_EQ_INT(st.pkts, 2);
  CHECK_EQ_INT(st.bytes, 1010);
  CHECK_EQ_INT(st.l4[6], 1);
  CHECK_EQ_INT(st.dec_anoms, 1);                      /* 10-byte frame */
  CHECK(strstr(tells_buf_str(&b), "\"format\":\"pcap\"") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"linktype_name\":\"ETHERNET\"") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"tcp\":1") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"first_ts\":\"2023-11-14T22:13:20.000005000Z\"") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"anomalies\":1") != NULL);
  CHECK(has_anom(&an, "eth.truncated", 24 + 16 + sizeof frame + 16));
  if (t_case_failed) fprintf(stderr, "  %s\n", tells_buf_str(&b));
  tells_buf_free(&b);
  tells_anoms_free(&an);
  free(copy);
}

/* Every truncation and every single-byte corruption of a small pcap and a
** small pcapng is read without fault, and never yields a packet that lies
** outside the buffer (exact-size copies: ASan checks the rest). */
static void test_every_cut_and_flip(void) {
  static wbuf w[2];
  static const uint8_t ipv4[34] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
    0x45, 0, 0, 20, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
  int k;
  size_t n, i;
  memset(w, 0, sizeof w);
  pcap_hdr(&w[0], 0xa1b2c3d4u, 96, 1);
  for (k = 0; k < 4; k++) {
    w32(&w[0], 100 + k); w32(&w[0], 0); w32(&w[0], 34); w32(&w[0], 60); wbytes(&w[0], ipv4, 34);
  }
  ng_shb(&w[1]);
  ng_idb(&w[1], 1, 0, 9, 5);
  ng_idb(&w[1], 101, 0, 0x80 | 20, 0);
  for (k = 0; k < 4; k++) ng_epb(&w[1], (uint32_t)(k & 1), 1000 + (uint64_t)k, 34, 60, 0x45);
  for (k = 0; k < 2; k++) {
    for (n = 0; n <= w[k].n; n++) {
      uint8_t *copy = malloc(n ? n : 1);
      tells_anoms an;
      tells_cap c;
      tells_pkt pk;
      memcpy(copy, w[k].b, n);
      tells_anoms_init(&an);
      if (tells_cap_open(copy, n, &an, &c) == TELLS_OK)
        while (tells_cap_next(&c, &pk)) CHECK(pk.data >= copy && pk.caplen <= (size_t)(copy + n - pk.data));
      tells_cap_close(&c);
      tells_anoms_free(&an);
      free(copy);
    }
    for (i = 0; i < w[k].n; i++) {
      static const uint8_t vals[4] = {0x00, 0xff, 0x80, 0x01};
      int v;
      for (v = 0; v < 4; v++) {
        uint8_t *copy = malloc(w[k].n);
        tells_anoms an;
        tells_buf b;
        tells_json j;
        memcpy(copy, w[k].b, w[k].n);
        copy[i] = vals[v];
        tells_anoms_init(&an);
        tells_buf_init(&b, 1 << 20);
        tells_json_init_buf(&j, &b, 0);
        tells_cap_summary_json(copy, w[k].n, &an, &j, NULL);
        tells_json_flush(&j);
        tells_buf_free(&b);
        tells_anoms_free(&an);
        free(copy);
      }
    }
  }
}

/* ---- the corpora --------------------------------------------------------- */
static uint8_t *load(const char *path, size_t *n) {
  FILE *f;
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  size_t pl = strlen(path);
  int gz = pl > 3 && strcmp(path + pl - 3, ".gz") == 0;
  if (gz) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", path);
    f = popen(cmd, "r");
  } else {
    f = fopen(path, "rb");
  }
  if (!f) return NULL;
  for (;;) {
    size_t r;
    if (len == cap) {
      uint8_t *nb;
      cap = cap ? cap * 2 : 65536;
      nb = realloc(buf, cap);
      if (!nb) { free(buf); buf = NULL; break; }
      buf = nb;
    }
    r = fread(buf + len, 1, cap - len, f);
    if (r == 0) break;
    len += r;
  }
  if (gz) pclose(f); else fclose(f);
  if (gz && len == 0) { free(buf); return NULL; }
  if (buf) {                       /* exact size, so ASan sees overreads */
    uint8_t *ex = malloc(len ? len : 1);
    if (ex) memcpy(ex, buf, len);
    free(buf);
    buf = ex;
  }
  *n = len;
  return buf;
}

/* "2015-08-18 13:01:31.705224" -> ns, and the number of fraction digits. */
static int parse_ts(const char *s, int64_t *ns, int *digits) {
  struct tm tm;
  const char *dot;
  int64_t frac = 0;
  int d = 0;
  memset(&tm, 0, sizeof tm);
  if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900; tm.tm_mon -= 1;
  dot = strchr(s, '.');
  if (dot)
    for (dot++; *dot >= '0' && *dot <= '9'; dot++, d++) frac = frac * 10 + (*dot - '0');
  { int k; for (k = d; k < 9; k++) frac *= 10; }
  *ns = (int64_t)timegm(&tm) * 1000000000 + frac;
  *digits = d;
  return 1;
}

static int ts_match(int64_t got_ns, int64_t want_ns, int digits) {
  int64_t q = 1;
  int k;
  for (k = digits; k < 9; k++) q *= 10;
  return got_ns / q == want_ns / q || (got_ns + q / 2) / q == want_ns / q;
}

typedef struct scan_out {
  tells_cap_stats st;
  int open_err;
  char linktypes[128];
  uint64_t anoms;
} scan_out;

static int scan_file(const char *path, scan_out *o) {
  size_t n;
  uint8_t *buf = load(path, &n);
  tells_anoms an;
  tells_cap c;
  uint32_t i;
  if (!buf) return 0;
  tells_anoms_init(&an);
  memset(o, 0, sizeof *o);
  o->open_err = tells_cap_open(buf, n, &an, &c);
  o->st.first_ns = o->st.last_ns = INT64_MIN;
  if (o->open_err == TELLS_OK) tells_cap_scan(&c, &o->st);
  for (i = 0; i < c.n_ifaces; i++) {
    char t[16];
    snprintf(t, sizeof t, "%u", c.ifaces[i].linktype);
    if (!strstr(o->linktypes, t) || 1) {
      /* unique, in order of first appearance */
      char want[20]; int dup = 0; const char *q = o->linktypes;
      snprintf(want, sizeof want, "%s", t);
      while (*q) {
        size_t l = strcspn(q, ";");
        if (l == strlen(want) && strncmp(q, want, l) == 0) dup = 1;
        q += l; if (*q) q++;
      }
      if (!dup && strlen(o->linktypes) + strlen(t) + 2 < sizeof o->linktypes) {
        if (o->linktypes[0]) strcat(o->linktypes, ";");
        strcat(o->linktypes, t);
      }
    }
  }
  o->anoms = tells_anoms_total(&an);
  tells_cap_close(&c);
  tells_anoms_free(&an);
  free(buf);
  return 1;
}

/* MANIFEST link types "1=EN10MB(Ethernet);113=LINUX_SLL" -> "1;113". */
static void manifest_lts(const char *s, char *out, size_t cap) {
  out[0] = 0;
  while (*s) {
    size_t l = strcspn(s, ";");
    char num[16];
    size_t k = 0;
    while (k < l && k < 15 && s[k] >= '0' && s[k] <= '9') { num[k] = s[k]; k++; }
    num[k] = 0;
    if (strlen(out) + k + 2 < cap) { if (out[0]) strcat(out, ";"); strcat(out, num); }
    s += l; if (*s) s++;
  }
}

static void test_corpus_zeek_manifest(void) {
  char path[4096], line[8192];
  FILE *mf;
  int rows = 0, read_ok = 0, cnt_ok = 0, ts_ok = 0, lt_ok = 0, cnt_bad = 0, ts_bad = 0, lt_bad = 0;
  uint64_t pkts = 0, anoms = 0;
  snprintf(path, sizeof path, "%s/pcap/zeek-traces/MANIFEST.tsv", t_corpora());
  mf = fopen(path, "r");
  if (!mf) T_SKIP("no %.200s", path);
  if (!fgets(line, sizeof line, mf)) { fclose(mf); T_SKIP("empty manifest"); }
  while (fgets(line, sizeof line, mf)) {
    char *f[10] = {0}, *s = line, lts[128];
    int k = 0;
    scan_out o;
    line[strcspn(line, "\r\n")] = 0;
    while (k < 10) { f[k++] = s; s = strchr(s, '\t'); if (!s) break; *s++ = 0; }
    if (k < 9) continue;
    rows++;
    if (snprintf(path, sizeof path, "%s/pcap/zeek-traces/%s", t_corpora(), f[0]) >= (int)sizeof path)
      continue;
    if (!scan_file(path, &o)) {
      size_t l = strlen(f[0]);
      if (l > 3 && strcmp(f[0] + l - 3, ".gz") == 0) {  /* no gzip on this host */
        printf("# %s: not decompressed, skipped\n", f[0]);
        continue;
      }
      fprintf(stderr, "  cannot load %s\n", f[0]);
      t_case_failed = 1;
      continue;
    }
    read_ok++;
    pkts += o.st.pkts;
    anoms += o.anoms;
    if (f[6][0]) {
      if ((uint64_t)strtoull(f[6], NULL, 10) == o.st.pkts) cnt_ok++;
      else { cnt_bad++; fprintf(stderr, "  %s: %llu packets, manifest %s (anomalies %llu)\n", f[0], (unsigned long long)o.st.pkts, f[6], (unsigned long long)o.anoms); }
    }
    manifest_lts(f[4], lts, sizeof lts);
    if (strcmp(lts, o.linktypes) == 0) lt_ok++;
    else { lt_bad++; fprintf(stderr, "  %s: link types %s, manifest %s\n", f[0], o.linktypes, lts); }
    {
      int64_t a, b; int da, db;
      if (parse_ts(f[7], &a, &da) && parse_ts(f[8], &b, &db)) {
        if (ts_match(o.st.first_ns, a, da) && ts_match(o.st.last_ns, b, db)) ts_ok++;
        else {
          char x[64], y[64];
          tells_ns_iso8601(o.st.first_ns, x); tells_ns_iso8601(o.st.last_ns, y);
          ts_bad++;
          fprintf(stderr, "  %s: first/last %s %s, manifest %s %s\n", f[0], x, y, f[7], f[8]);
        }
      }
    }
  }
  fclose(mf);
  printf("# zeek-traces: %d captures, %d read, packets %d/%d match, link types %d/%d, "
         "first/last ts %d/%d; %llu packets, %llu anomalies\n",
         rows, read_ok, cnt_ok, cnt_ok + cnt_bad, lt_ok, lt_ok + lt_bad, ts_ok, ts_ok + ts_bad,
         (unsigned long long)pkts, (unsigned long long)anoms);
  CHECK(rows > 400);
  CHECK_EQ_INT(cnt_bad, 0);
  CHECK_EQ_INT(lt_bad, 0);
  CHECK_EQ_INT(ts_bad, 0);
}

static int walk(const char *dir, int *files, uint64_t *pkts, int depth) {
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    char p[4096];
    struct stat sb;
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (stat(p, &sb) != 0) continue;
    if (S_ISDIR(sb.st_mode)) { if (depth < 16) walk(p, files, pkts, depth + 1); continue; }
    if (strstr(e->d_name, ".pcap") || strstr(e->d_name, ".cap") || strstr(e->d_name, ".pcapng")) {
      scan_out o;
      if (scan_file(p, &o)) { (*files)++; *pkts += o.st.pkts; }
    }
  }
  closedir(d);
  return 1;
}

static void test_corpus_suricata_verify(void) {
  char dir[4096];
  int files = 0;
  uint64_t pkts = 0;
  snprintf(dir, sizeof dir, "%s/pcap/suricata-verify", t_corpora());
  if (!walk(dir, &files, &pkts, 0)) T_SKIP("no %.200s", dir);
  printf("# suricata-verify: %d captures read, %llu packets\n", files, (unsigned long long)pkts);
  CHECK(files >= 256);
}

/* The two multi-interface pcapng files and the mixed-resolution one. */
static void test_corpus_multi_interface(void) {
  static const char *names[] = {"ldap/gap-data-missing.pcapng", "ldap/modify-request.pcapng",
                                "pcapng-multi-interface.pcapng"};
  static const uint64_t want[] = {18, 17, 6};
  int i;
  for (i = 0; i < 3; i++) {
    char p[4096];
    scan_out o;
    snprintf(p, sizeof p, "%s/pcap/zeek-traces/%s", t_corpora(), names[i]);
    if (!scan_file(p, &o)) T_SKIP("no %.200s", p);
    CHECK_EQ_INT(o.st.pkts, want[i]);
    CHECK_EQ_INT(o.anoms, 0);
  }
}

int main(void) {
  T_RUN(test_pcap_magics_and_orders);
  T_RUN(test_pcap_truncated_at_end);
  T_RUN(test_pcap_truncated_mid_file);
  T_RUN(test_pcap_caplen_over_snaplen);
  T_RUN(test_not_a_capture);
  T_RUN(test_pcapng_basic_both_orders);
  T_RUN(test_pcapng_sections_switch_order);
  T_RUN(test_pcapng_spb_and_pb);
  T_RUN(test_pcapng_zero_length_block);
  T_RUN(test_pcapng_block_past_end);
  T_RUN(test_pcapng_undefined_interface);
  T_RUN(test_pcapng_trailer_mismatch_and_caplen);
  T_RUN(test_ticks_conversion);
  T_RUN(test_summary_json);
  T_RUN(test_every_cut_and_flip);
  T_RUN(test_corpus_zeek_manifest);
  T_RUN(test_corpus_suricata_verify);
  T_RUN(test_corpus_multi_interface);
  T_END();
}
