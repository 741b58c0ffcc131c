/*
** sniff.c -- content-based identification of evidence files.
**
** Magic numbers checked (all read through the bounded cursor):
**   PE      "MZ" at 0, u32le e_lfanew at 0x3c, "PE\0\0" at e_lfanew
**   ELF     7f 45 4c 46 at 0, class 1 or 2 at 4, data 1 or 2 at 5
**   pcap    a1b2c3d4 (usec) or a1b23c4d (nsec), in either byte order
**   pcapng  0a0d0d0a at 0 and byte-order magic 1a2b3c4d at 8, either order
**   EVTX    "ElfFile\0" at 0
** Anything else is "not analysed", with a reason naming what it looks like.
*/
#include <string.h>
#include "rd.h"
#include "sniff.h"

static int has_prefix(const uint8_t *b, size_t n, const char *m, size_t k) {
  return n >= k && memcmp(b, m, k) == 0;
}

static const char *looks_like(const uint8_t *b, size_t n) {
  static const uint8_t mmdb[] = "\xab\xcd\xefMaxMind.com";
  size_t i, k, printable = 0, scan = n < 4096 ? n : 4096;
  if (has_prefix(b, n, "\x1f\x8b", 2)) return "gzip-compressed data (decompress it first)";
  if (has_prefix(b, n, "PK\x03\x04", 4)) return "zip archive (extract it first)";
  if (has_prefix(b, n, "7z\xbc\xaf\x27\x1c", 6)) return "7-zip archive (extract it first)";
  if (has_prefix(b, n, "BZh", 3)) return "bzip2-compressed data (decompress it first)";
  if (has_prefix(b, n, "\xfd" "7zXZ", 5)) return "xz-compressed data (decompress it first)";
  if (has_prefix(b, n, "SQLite format 3", 16)) return "SQLite database";
  if (has_prefix(b, n, "%PDF", 4)) return "PDF document";
  if (has_prefix(b, n, "\x89PNG", 4)) return "PNG image";
  if (has_prefix(b, n, "MZ", 2)) return "DOS executable without a valid PE header";
  if (has_prefix(b, n, "\x7f" "ELF", 4)) return "ELF header with an unknown class or byte order";
  if (has_prefix(b, n, "\x0a\x0d\x0d\x0a", 4)) return "pcapng section header with an unknown byte-order magic";
  if (has_prefix(b, n, "ElfChnk", 7)) return "a lone EVTX chunk without a file header";
  for (i = 0; i < scan; i++) {
    uint8_t c = b[i];
    if (c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c != 0x7f) ) printable++;
  }
  if (scan && printable == scan) {
    for (i = 0; i < scan && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'); i++) {}
    if (i < scan && (b[i] == '{' || b[i] == '[')) return "JSON or other text (not an evidence format)";
    if (i < scan && b[i] == '<') return "XML or HTML text (not an evidence format)";
    return "text (not an evidence format)";
  }
  /* MaxMind DB: metadata marker within the last 128 KiB */
  k = sizeof mmdb - 1;
  i = n > 131072 ? n - 131072 : 0;
  if (memmem(b + i, n - i, mmdb, k)) return "MaxMind DB (GeoIP data, not evidence)";
  return "unrecognised binary format";
}

tells_kind tells_sniff(const uint8_t *buf, size_t len, const char **reason) {
  tells_rd r = tells_rd_make(buf, len, 0);
  uint32_t m;
  if (reason) *reason = NULL;
  if (len == 0) { if (reason) *reason = "empty file"; return TELLS_KIND_NONE; }
  m = tells_rd_u32be(&r);
  if (tells_rd_ok(&r)) {
    if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1)
      return TELLS_KIND_PCAP;
    if (m == 0x0a0d0d0a) {
      uint32_t bom;
      tells_rd_seek(&r, 8);
      bom = tells_rd_u32be(&r);
      if (tells_rd_ok(&r) && (bom == 0x1a2b3c4d || bom == 0x4d3c2b1a)) return TELLS_KIND_PCAPNG;
    }
    if (m == 0x7f454c46) {
      uint8_t cls = tells_rd_u8(&r), data = tells_rd_u8(&r);
      if (tells_rd_ok(&r) && (cls == 1 || cls == 2) && (data == 1 || data == 2))
        return TELLS_KIND_ELF;
    }
  }
  if (len >= 8 && memcmp(buf, "ElfFile", 8) == 0) return TELLS_KIND_EVTX;
  if (len >= 2 && buf[0] == 'M' && buf[1] == 'Z') {
    tells_rd p = tells_rd_make(buf, len, 0);
    uint32_t lfanew;
    tells_rd_seek(&p, 0x3c);
    lfanew = tells_rd_u32le(&p);
    tells_rd_seek(&p, lfanew);
    if (tells_rd_ok(&p) && tells_rd_u32be(&p) == 0x50450000 && tells_rd_ok(&p))
      return TELLS_KIND_PE;
  }
  if (reason) *reason = looks_like(buf, len);
  return TELLS_KIND_NONE;
}
