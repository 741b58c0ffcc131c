/*
** pktw.h -- the frame builder shared by the test capture writers (mkpcap,
** mkbreach): one Ethernet + IPv4 + TCP or UDP frame with correct IPv4 and
** transport checksums, big-endian stores and the Internet checksum.
*/
#ifndef TELLS_TOOLS_PKTW_H
#define TELLS_TOOLS_PKTW_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)(v >> 16)); w16(p + 2, (uint16_t)v); }

static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
  size_t i;
  for (i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)(p[n - 1] << 8);
  return s;
}
static inline uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* Builds the frame into f (room for 14 + 20 + 20 + n bytes): proto 6 (TCP,
** with seq, ack and flags) or 17 (UDP); `n` payload bytes from `data`, or
** zeros when data is NULL.  Returns the frame's length. */
static inline size_t pktw_ipv4(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
                               uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
                               uint8_t flags, const uint8_t *data, size_t n) {
  uint8_t ph[12];
  size_t l4 = proto == 6 ? 20 : 8, ip_len = 20 + l4 + n;
  memset(f, 0, 14 + ip_len);
  memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
  f[14] = 0x45; w16(f + 16, (uint16_t)ip_len); f[22] = 64; f[23] = proto;
  w32(f + 26, src); w32(f + 30, dst);
  w16(f + 24, fold(sum16(f + 14, 20, 0)));
  w16(f + 34, sp); w16(f + 36, dp);
  if (proto == 6) {
    w32(f + 38, seq); w32(f + 42, ack); f[46] = 0x50; f[47] = flags; w16(f + 48, 64240);
  } else {
    w16(f + 38, (uint16_t)(8 + n));
  }
  if (n && data) memcpy(f + 34 + l4, data, n);
  w32(ph, src); w32(ph + 4, dst); ph[8] = 0; ph[9] = proto; w16(ph + 10, (uint16_t)(l4 + n));
  w16(f + (proto == 6 ? 50 : 40), fold(sum16(f + 34, l4 + n, sum16(ph, 12, 0))));
  return 14 + ip_len;
}
#endif
