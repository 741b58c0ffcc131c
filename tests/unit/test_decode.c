/*
** test_decode.c -- the link/network/transport decoders on hand-built frames.
**
** Each case builds a frame byte by byte for one link type or encapsulation
** and checks the summary of the innermost packet; the robustness cases cut
** or corrupt frames and check the decoder reports an anomaly inside the
** packet instead of reading past it (every frame is decoded from an
** exact-size heap copy, so ASan sees any overread).
*/
#include <stdint.h>
#include <stdlib.h>
#include "anom.h"
#include <string.h>
#include "decode.h"
#include "ipfrag.h"
#include "t.h"

typedef struct fb { uint8_t b[2048]; uint32_t n; } fb;

static void b8(fb *f, unsigned v) { f->b[f->n++] = (uint8_t)v; }
static void b16(fb *f, unsigned v) { b8(f, v >> 8); b8(f, v); }
static void b32(fb *f, uint32_t v) { b16(f, v >> 16); b16(f, v & 0xffff); }
static void bfill(fb *f, int c, uint32_t n) { memset(f->b + f->n, c, n); f->n += n; }

static void eth(fb *f, unsigned type) {
  static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
  memcpy(f->b + f->n, mac, 12); f->n += 12; b16(f, type);
}
/* IPv4 header with a correct checksum; returns its offset. */
static uint32_t ipv4(fb *f, unsigned proto, unsigned paylen, uint32_t src, uint32_t dst,
                     unsigned fragword) {
  uint32_t o = f->n, sum = 0, i;
  b8(f, 0x45); b8(f, 0); b16(f, 20 + paylen); b16(f, 0x1234); b16(f, fragword);
  b8(f, 64); b8(f, proto); b16(f, 0); b32(f, src); b32(f, dst);
  for (i = 0; i < 20; i += 2) sum += (uint32_t)(f->b[o + i] << 8 | f->b[o + i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f->b[o + 10] = (uint8_t)(~sum >> 8); f->b[o + 11] = (uint8_t)~sum;
  return o;
}
static void ipv6(fb *f, unsigned nh, unsigned paylen, uint8_t last) {
  int i;
  b32(f, 0x60000000); b16(f, paylen); b8(f, nh); b8(f, 63);
  for (i = 0; i < 15; i++) b8(f, i == 0 ? 0x20 : i == 1 ? 0x01 : 0);
  b8(f, 1);
  for (i = 0; i < 15; i++) b8(f, i == 0 ? 0x20 : i == 1 ? 0x01 : 0);
  b8(f, last);
}
static void tcp(fb *f, unsigned sp, unsigned dp, unsigned flags, unsigned paylen) {
  b16(f, sp); b16(f, dp); b32(f, 1000); b32(f, 2000); b8(f, 0x50); b8(f, flags);
  b16(f, 512); b16(f, 0); b16(f, 0); bfill(f, 'x', paylen);
}
static void udp(fb *f, unsigned sp, unsigned dp, unsigned paylen) {
  b16(f, sp); b16(f, dp); b16(f, 8 + paylen); b16(f, 0); bfill(f, 'u', paylen);
}

static int dec(const fb *f, uint32_t linktype, tells_dec *d) {
  uint8_t *c = malloc(f->n ? f->n : 1);
  int r;
  memcpy(c, f->b, f->n);
  r = tells_decode(c, f->n, linktype, d);
  if (d->payload) {              /* payload must lie inside the frame */
    CHECK(d->payload >= c && d->payload <= c + f->n);
    CHECK(d->payload_len <= (uint32_t)(c + f->n - d->payload));
  }
  if (d->anom) CHECK(d->anom_off <= f->n);
  free(c);
  d->payload = NULL;
  return r;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void test_ethernet_ipv4_tcp(void) {
  fb f = {{0}, 0};
  tells_dec d;
  eth(&f, 0x0800);
  ipv4(&f, 6, 20 + 5, IP(10, 0, 0, 1), IP(192, 168, 1, 2), 0);
  tcp(&f, 1234, 80, 0x18, 5);
  bfill(&f, 0, 6);                                    /* Ethernet padding */
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV4);
  CHECK_EQ_INT(d.proto, 6);
  CHECK_EQ_INT(d.src[0], 10); CHECK_EQ_INT(d.src[3], 1);
  CHECK_EQ_INT(d.dst[0], 192); CHECK_EQ_INT(d.dst[3], 2);
  CHECK_EQ_INT(d.sport, 1234); CHECK_EQ_INT(d.dport, 80);
  CHECK_EQ_INT(d.tcp_flags, 0x18);
  CHECK_EQ_INT(d.seq, 1000); CHECK_EQ_INT(d.ack, 2000);
  CHECK_EQ_INT(d.tcp_win, 512);
  CHECK_EQ_INT(d.payload_len, 5);                     /* padding trimmed */
  CHECK_EQ_INT(d.flags & TELLS_DEC_IP_CSUM, 0);
  CHECK_EQ_INT(d.l3_off, 14); CHECK_EQ_INT(d.l4_off, 34);
  CHECK(d.anom == NULL);
  f.b[24] ^= 0xff;                                    /* break the checksum */
  dec(&f, 1, &d);
  CHECK(d.flags & TELLS_DEC_IP_CSUM);
}

static void test_qinq_ipv6_udp(void) {
  fb f = {{0}, 0};
  tells_dec d;
  eth(&f, 0x88a8);
  b16(&f, 0x0064); b16(&f, 0x8100);                   /* S-tag 100 */
  b16(&f, 0x20c8); b16(&f, 0x86dd);                   /* C-tag 200, PCP 1 */
  ipv6(&f, 17, 8 + 3, 9);
  udp(&f, 5353, 53, 3);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.n_vlan, 2);
  CHECK_EQ_INT(d.vlan[0], 100); CHECK_EQ_INT(d.vlan[1], 200);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV6);
  CHECK_EQ_INT(d.dst[15], 9); CHECK_EQ_INT(d.src[0], 0x20);
  CHECK_EQ_INT(d.proto, 17); CHECK_EQ_INT(d.dport, 53);
  CHECK_EQ_INT(d.payload_len, 3);
  CHECK_EQ_INT(d.ttl, 63);
}

static void test_mpls_and_pppoe(void) {
  fb f = {{0}, 0};
  tells_dec d;
  eth(&f, 0x8847);
  b32(&f, (16u << 12) | 64); b32(&f, (17u << 12) | 0x100 | 64);
  ipv4(&f, 1, 8, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  b8(&f, 8); b8(&f, 0); b16(&f, 0); b32(&f, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.n_mpls, 2); CHECK_EQ_INT(d.mpls[0], 16); CHECK_EQ_INT(d.mpls[1], 17);
  CHECK(d.flags & TELLS_DEC_MPLS);
  CHECK_EQ_INT(d.proto, 1); CHECK_EQ_INT(d.icmp_type, 8);
  /* PPPoE session carrying IPv4/UDP */
  f.n = 0;
  eth(&f, 0x8864);
  b8(&f, 0x11); b8(&f, 0); b16(&f, 0x0abc); b16(&f, 2 + 20 + 8); b16(&f, 0x0021);
  ipv4(&f, 17, 8, IP(3, 3, 3, 3), IP(4, 4, 4, 4), 0);
  udp(&f, 1000, 2000, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_PPPOE);
  CHECK_EQ_INT(d.sport, 1000);
  /* MPLS with a pseudowire control word and Ethernet inside */
  f.n = 0;
  eth(&f, 0x8847);
  b32(&f, (99u << 12) | 0x100 | 1);
  b32(&f, 0);
  eth(&f, 0x0800);
  ipv4(&f, 6, 20, IP(5, 5, 5, 5), IP(6, 6, 6, 6), 0);
  tcp(&f, 22, 40000, 0x12, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.sport, 22); CHECK_EQ_INT(d.tcp_flags, 0x12);
}

static void test_sll_sll2(void) {
  fb f = {{0}, 0};
  tells_dec d;
  b16(&f, 0); b16(&f, 1); b16(&f, 6); bfill(&f, 0xaa, 8); b16(&f, 0x0800);
  ipv4(&f, 6, 20, IP(7, 7, 7, 7), IP(8, 8, 8, 8), 0);
  tcp(&f, 443, 5555, 0x10, 0);
  CHECK_EQ_INT(dec(&f, 113, &d), 1);
  CHECK_EQ_INT(d.sport, 443); CHECK_EQ_INT(d.l3_off, 16);
  f.n = 0;
  b16(&f, 0x86dd); b16(&f, 0); b32(&f, 3); b16(&f, 1); b8(&f, 0); b8(&f, 6); bfill(&f, 0xbb, 8);
  ipv6(&f, 6, 20, 7);
  tcp(&f, 80, 6000, 0x11, 0);
  CHECK_EQ_INT(dec(&f, 276, &d), 1);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV6); CHECK_EQ_INT(d.tcp_flags, 0x11); CHECK_EQ_INT(d.l3_off, 20);
}

static void test_raw_null_loop_ppp(void) {
  fb f = {{0}, 0};
  tells_dec d;
  static const uint32_t raws[] = {101, 228, 12, 14};
  int i;
  ipv4(&f, 17, 8 + 20, IP(9, 9, 9, 9), IP(10, 10, 10, 10), 0);
  udp(&f, 1, 2, 20);
  for (i = 0; i < 4; i++) {
    CHECK_EQ_INT(dec(&f, raws[i], &d), 1);
    CHECK_EQ_INT(d.dport, 2);
  }
  CHECK_EQ_INT(dec(&f, 229, &d), 0);                  /* not IPv6 */
  CHECK(d.anom && strcmp(d.anom, "ipv6.version") == 0);
  f.n = 0;
  ipv6(&f, 58, 8, 1);
  b8(&f, 128); b8(&f, 0); b16(&f, 0); b32(&f, 0);
  CHECK_EQ_INT(dec(&f, 229, &d), 1);
  CHECK_EQ_INT(d.proto, 58); CHECK_EQ_INT(d.icmp_type, 128);
  CHECK_EQ_INT(dec(&f, 101, &d), 1);
  /* DLT_NULL little-endian AF_INET, big-endian AF_INET6 (30), LOOP (24) */
  f.n = 0;
  b8(&f, 2); b8(&f, 0); b8(&f, 0); b8(&f, 0);
  ipv4(&f, 17, 8, IP(9, 9, 9, 9), IP(10, 10, 10, 10), 0);
  udp(&f, 1, 2, 0);
  CHECK_EQ_INT(dec(&f, 0, &d), 1);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV4);
  f.n = 0;
  b32(&f, 30);
  ipv6(&f, 17, 8, 1);
  udp(&f, 3, 4, 0);
  CHECK_EQ_INT(dec(&f, 0, &d), 1);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV6);
  f.b[3] = 24;
  CHECK_EQ_INT(dec(&f, 108, &d), 1);
  CHECK_EQ_INT(d.dport, 4);
  /* PPP with address/control, and with a compressed protocol field */
  f.n = 0;
  b8(&f, 0xff); b8(&f, 0x03); b16(&f, 0x0021);
  ipv4(&f, 6, 20, IP(1, 2, 3, 4), IP(5, 6, 7, 8), 0);
  tcp(&f, 1, 2, 2, 0);
  CHECK_EQ_INT(dec(&f, 9, &d), 1);
  CHECK_EQ_INT(d.tcp_flags, 2);
  f.n = 0;
  b8(&f, 0x57);
  ipv6(&f, 17, 8, 1);
  udp(&f, 3, 4, 0);
  CHECK_EQ_INT(dec(&f, 9, &d), 1);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV6);
}

static void test_ipv4_fragments(void) {
  fb f = {{0}, 0};
  tells_dec d;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 100, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0x2000);  /* MF, offset 0 */
  udp(&f, 53, 53, 100);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_FRAG);
  CHECK(!(d.flags & TELLS_DEC_FRAG_LATE));
  CHECK_EQ_INT(d.dport, 53);
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 17, 40, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 14);           /* offset 112 */
  bfill(&f, 'z', 40);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_FRAG_LATE);
  CHECK_EQ_INT(d.frag_off, 112);
  CHECK_EQ_INT(d.dport, 0);
  CHECK_EQ_INT(d.payload_len, 40);
  CHECK_EQ_INT(d.ip_id, 0x1234);
}

static void test_ipv6_extension_headers(void) {
  fb f = {{0}, 0};
  tells_dec d;
  int i;
  eth(&f, 0x86dd);
  ipv6(&f, 0, 8 + 8 + 8 + 8, 1);
  b8(&f, 60); b8(&f, 0); bfill(&f, 0, 6);             /* hop-by-hop -> dst opts */
  b8(&f, 44); b8(&f, 0); bfill(&f, 0, 6);             /* dst opts -> fragment */
  b8(&f, 17); b8(&f, 0); b16(&f, 0x0001); b32(&f, 0xcafe); /* offset 0, M */
  udp(&f, 7, 9, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.proto, 17); CHECK_EQ_INT(d.dport, 9);
  CHECK(d.flags & TELLS_DEC_FRAG);
  CHECK_EQ_INT(d.ip_id, 0xcafe);
  /* a later fragment */
  f.b[14 + 40 + 16 + 2] = 0x01; f.b[14 + 40 + 16 + 3] = 0x00;   /* offset 256 */
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_FRAG_LATE);
  CHECK_EQ_INT(d.frag_off, 256);
  /* routing header, then a chain longer than the cap */
  f.n = 0;
  eth(&f, 0x86dd);
  ipv6(&f, 43, 8 * 12, 1);
  for (i = 0; i < 12; i++) { b8(&f, 60); b8(&f, 0); bfill(&f, 0, 6); }
  dec(&f, 1, &d);
  CHECK(d.anom && strcmp(d.anom, "ipv6.too_many_extensions") == 0);
  /* an extension header whose length runs past the packet */
  f.n = 0;
  eth(&f, 0x86dd);
  ipv6(&f, 0, 8, 1);
  b8(&f, 17); b8(&f, 9); bfill(&f, 0, 6);
  dec(&f, 1, &d);
  CHECK(d.anom && strcmp(d.anom, "ipv6.extension_past_end") == 0);
  CHECK_EQ_INT(d.anom_off, 54);
}

static void test_gre_erspan_vxlan(void) {
  fb f = {{0}, 0};
  tells_dec d;
  /* GRE with key and sequence, IPv4 inside */
  eth(&f, 0x0800);
  ipv4(&f, 47, 12 + 20 + 20, IP(100, 0, 0, 1), IP(100, 0, 0, 2), 0);
  b16(&f, 0x3000); b16(&f, 0x0800); b32(&f, 42); b32(&f, 7);
  ipv4(&f, 6, 20, IP(10, 1, 1, 1), IP(10, 2, 2, 2), 0);
  tcp(&f, 3333, 445, 0x02, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_GRE);
  CHECK_EQ_INT(d.tunnel_depth, 1);
  CHECK_EQ_INT(d.src[1], 1); CHECK_EQ_INT(d.dport, 445);
  /* GRE transparent Ethernet bridging */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 47, 4 + 14 + 20 + 8, IP(100, 0, 0, 1), IP(100, 0, 0, 2), 0);
  b16(&f, 0); b16(&f, 0x6558);
  eth(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 1, 1, 1), IP(10, 2, 2, 2), 0);
  udp(&f, 67, 68, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.dport, 68);
  /* ERSPAN type II (GRE with sequence number) */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 47, 8 + 8 + 14 + 20 + 8, IP(100, 0, 0, 1), IP(100, 0, 0, 2), 0);
  b16(&f, 0x1000); b16(&f, 0x88be); b32(&f, 1);
  b32(&f, 0x10000001); b32(&f, 0);
  eth(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 1, 1, 1), IP(10, 2, 2, 2), 0);
  udp(&f, 67, 69, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_ERSPAN);
  CHECK_EQ_INT(d.dport, 69);
  /* VXLAN */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 8 + 14 + 20 + 20, IP(100, 0, 0, 1), IP(100, 0, 0, 2), 0);
  udp(&f, 50000, 4789, 0);
  f.b[f.n - 4] = 0; f.b[f.n - 3] = 8 + 8 + 14 + 20 + 20;     /* UDP length */
  b32(&f, 0x08000000); b32(&f, 0x00123400);
  eth(&f, 0x0800);
  ipv4(&f, 6, 20, IP(172, 16, 0, 1), IP(172, 16, 0, 2), 0);
  tcp(&f, 2222, 3389, 0x02, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_VXLAN);
  CHECK_EQ_INT(d.src[0], 172); CHECK_EQ_INT(d.dport, 3389);
}

/* Tunnels in UDP: Geneve, GTP-U with an extension header, Teredo with an
** origin indicator, GRE-in-UDP; and 802.1ah frames nested past the cap. */
/* Sets the UDP length at u to reach the end of the frame. */
static void fix_udp(fb *f, uint32_t u) {
  f->b[u + 4] = (uint8_t)((f->n - u) >> 8);
  f->b[u + 5] = (uint8_t)(f->n - u);
}

static void test_udp_tunnels_and_pbb(void) {
  fb f = {{0}, 0};
  tells_dec d;
  int i;
  uint32_t u;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 12 + 14 + 20 + 8, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  u = f.n;
  udp(&f, 999, 6081, 0);
  b8(&f, 1); b8(&f, 0); b16(&f, 0x6558); b32(&f, 0x00000100); b32(&f, 0x01020304); /* 1 option word */
  eth(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 9, 8, 7), IP(10, 9, 8, 6), 0);
  udp(&f, 53, 5353, 0);
  fix_udp(&f, u);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_GENEVE);
  CHECK_EQ_INT(d.src[1], 9); CHECK_EQ_INT(d.dport, 5353);
  /* GTP-U G-PDU with E flag and one 4-byte extension header */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 8 + 4 + 4 + 20 + 20, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  u = f.n;
  udp(&f, 2152, 2152, 0);
  b8(&f, 0x34); b8(&f, 0xff); b16(&f, 4 + 4 + 40); b32(&f, 77);
  b16(&f, 0); b8(&f, 0); b8(&f, 0x85);
  b8(&f, 1); b8(&f, 0); b8(&f, 0); b8(&f, 0);
  ipv4(&f, 6, 20, IP(10, 0, 0, 5), IP(10, 0, 0, 6), 0);
  tcp(&f, 1111, 443, 0x02, 0);
  fix_udp(&f, u);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_GTP);
  CHECK_EQ_INT(d.dport, 443);
  /* Teredo with an origin indicator */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 8 + 40 + 8, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  u = f.n;
  udp(&f, 3544, 40000, 0);
  b16(&f, 0); b16(&f, 0x1234); b32(&f, 0x01020304);
  ipv6(&f, 17, 8, 5);
  udp(&f, 7000, 7001, 0);
  fix_udp(&f, u);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_TEREDO);
  CHECK_EQ_INT(d.l3, TELLS_L3_IPV6); CHECK_EQ_INT(d.dport, 7001);
  /* GRE in UDP (port 4754) */
  f.n = 0;
  eth(&f, 0x0800);
  ipv4(&f, 17, 8 + 4 + 20 + 8, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  u = f.n;
  udp(&f, 1, 4754, 0);
  b16(&f, 0); b16(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 0, 0, 5), IP(10, 0, 0, 6), 0);
  udp(&f, 5, 53, 0);
  fix_udp(&f, u);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.flags & TELLS_DEC_GRE);
  CHECK_EQ_INT(d.dport, 53);
  /* PBB once decodes; nested 20 times stops at the cap */
  f.n = 0;
  eth(&f, 0x88e7); b32(&f, 0x00000100);
  eth(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 0, 0, 5), IP(10, 0, 0, 6), 0);
  udp(&f, 5, 54, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.dport, 54);
  f.n = 0;
  for (i = 0; i < 20; i++) { eth(&f, 0x88e7); b32(&f, 0x00000100); }
  eth(&f, 0x0800);
  ipv4(&f, 17, 8, IP(10, 0, 0, 5), IP(10, 0, 0, 6), 0);
  udp(&f, 5, 54, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 0);
  CHECK(d.anom && strcmp(d.anom, "tunnel.too_deep") == 0);
}

/* Three IPv4 fragments out of order (one overlapping with different bytes)
** rebuild the UDP datagram; IPv6 fragments too; limits evict and drop. */
static void test_ipfrag_reassembly(void) {
  fb f[3];
  tells_dec d;
  tells_ipfrag *fr;
  tells_anoms an;
  const uint8_t *data;
  uint32_t len, k;
  uint8_t proto, dgram[8 + 40];
  int order[3] = {2, 0, 1}, i, done = 0;
  for (k = 0; k < 40; k++) dgram[8 + k] = (uint8_t)k;
  dgram[0] = 0x30; dgram[1] = 0x39; dgram[2] = 0; dgram[3] = 53;
  dgram[4] = 0; dgram[5] = 48; dgram[6] = 0; dgram[7] = 0;
  for (i = 0; i < 3; i++) {                   /* [0,16) [16,32) [32,48) */
    f[i].n = 0;
    eth(&f[i], 0x0800);
    ipv4(&f[i], 17, 16, IP(1, 1, 1, 1), IP(2, 2, 2, 2), (unsigned)((i < 2 ? 0x2000 : 0) | (i * 2)));
    memcpy(f[i].b + f[i].n, dgram + 16 * i, 16);
    f[i].n += 16;
  }
  tells_anoms_init(&an);
  CHECK_EQ_INT(tells_ipfrag_create(0, 0, 0, &fr), TELLS_OK);
  for (i = 0; i < 3; i++) {
    tells_decode(f[order[i]].b, f[order[i]].n, 1, &d);
    CHECK(d.flags & TELLS_DEC_FRAG);
    if (tells_ipfrag_add(fr, &d, 1000, 0, &an, &data, &len, &proto)) {
      done = 1;
      CHECK_EQ_INT(i, 2);
      CHECK_EQ_INT(len, 48);
      CHECK_EQ_INT(proto, 17);
      CHECK(memcmp(data, dgram, 48) == 0);
      CHECK_EQ_INT(tells_decode_l4(data, len, proto, &d), 1);
      CHECK_EQ_INT(d.sport, 12345); CHECK_EQ_INT(d.dport, 53);
      CHECK_EQ_INT(d.payload_len, 40);
    }
  }
  CHECK(done);
  /* an overlapping resend with different bytes is flagged */
  f[1].b[f[1].n - 1] ^= 0xff;
  tells_decode(f[0].b, f[0].n, 1, &d);
  tells_ipfrag_add(fr, &d, 2000, 0, &an, &data, &len, &proto);
  tells_decode(f[1].b, f[1].n, 1, &d);
  tells_ipfrag_add(fr, &d, 2000, 0, &an, &data, &len, &proto);
  tells_decode(f[1].b, f[1].n, 1, &d);
  f[1].b[f[1].n - 1] ^= 0xff;
  tells_decode(f[1].b, f[1].n, 1, &d);
  tells_ipfrag_add(fr, &d, 2000, 77, &an, &data, &len, &proto);
  CHECK_EQ_INT(tells_ipfrag_stats_get(fr)->overlaps, 1);
  CHECK(an.n >= 1 && strcmp(an.v[an.n - 1].code, "ipfrag.overlap") == 0 && an.v[an.n - 1].off == 77);
  tells_ipfrag_destroy(fr);
  /* IPv6: fragment header, two pieces */
  {
    fb g[2];
    for (i = 0; i < 2; i++) {
      g[i].n = 0;
      eth(&g[i], 0x86dd);
      ipv6(&g[i], 44, 8 + 24, 1);
      b8(&g[i], 17); b8(&g[i], 0); b16(&g[i], (unsigned)(i ? 24 : 1)); b32(&g[i], 99);
      memcpy(g[i].b + g[i].n, dgram + 24 * i, 24);
      g[i].n += 24;
    }
    CHECK_EQ_INT(tells_ipfrag_create(0, 0, 0, &fr), TELLS_OK);
    tells_decode(g[1].b, g[1].n, 1, &d);
    CHECK_EQ_INT(tells_ipfrag_add(fr, &d, 5, 0, &an, &data, &len, &proto), 0);
    tells_decode(g[0].b, g[0].n, 1, &d);
    CHECK_EQ_INT(tells_ipfrag_add(fr, &d, 6, 0, &an, &data, &len, &proto), 1);
    CHECK_EQ_INT(len, 48);
    CHECK(memcmp(data, dgram, 48) == 0);
    tells_ipfrag_destroy(fr);
  }
  /* two slots: a third datagram evicts the oldest; timeouts expire */
  CHECK_EQ_INT(tells_ipfrag_create(2, 0, 1000, &fr), TELLS_OK);
  for (i = 0; i < 3; i++) {
    f[0].b[14 + 5] = (uint8_t)i;                      /* IP id */
    tells_decode(f[0].b, f[0].n, 1, &d);
    tells_ipfrag_add(fr, &d, 10 + i, 0, &an, &data, &len, &proto);
  }
  CHECK_EQ_INT(tells_ipfrag_stats_get(fr)->evicted, 1);
  tells_decode(f[0].b, f[0].n, 1, &d);
  tells_ipfrag_add(fr, &d, 5000, 0, &an, &data, &len, &proto);
  CHECK_EQ_INT(tells_ipfrag_stats_get(fr)->timed_out, 2);
  tells_ipfrag_destroy(fr);
  /* a datagram in more pieces than the cap is dropped with an anomaly */
  CHECK_EQ_INT(tells_ipfrag_create(0, 0, 0, &fr), TELLS_OK);
  for (i = 0; i < TELLS_IPFRAG_MAX_RANGES + 2; i++) {
    fb h = {{0}, 0};
    eth(&h, 0x0800);
    ipv4(&h, 17, 8, IP(1, 1, 1, 1), IP(2, 2, 2, 2), (unsigned)(0x2000 | (i * 2)));
    bfill(&h, 1, 8);
    tells_decode(h.b, h.n, 1, &d);
    tells_ipfrag_add(fr, &d, 1, 0, &an, &data, &len, &proto);
  }
  CHECK(tells_ipfrag_stats_get(fr)->dropped >= 1);
  tells_ipfrag_destroy(fr);
  tells_anoms_free(&an);
}

/* IP-in-IP nested past the cap stops with an anomaly, not a deep recursion. */
static void test_tunnel_depth_cap(void) {
  fb f = {{0}, 0};
  tells_dec d;
  int i, levels = TELLS_DEC_MAX_TUNNEL + 3;
  for (i = 0; i < levels; i++)
    ipv4(&f, 4, (unsigned)(20 * (levels - i - 1) + 8), IP(1, 0, 0, i), IP(2, 0, 0, i), 0);
  f.b[9 + 20 * (levels - 1)] = 17;
  udp(&f, 1, 2, 0);
  dec(&f, 101, &d);
  CHECK(d.anom && strcmp(d.anom, "tunnel.too_deep") == 0);
  CHECK_EQ_INT(d.tunnel_depth, TELLS_DEC_MAX_TUNNEL);
}

static void test_malformed_headers(void) {
  fb f = {{0}, 0};
  tells_dec d;
  eth(&f, 0x0800);
  ipv4(&f, 6, 20, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  tcp(&f, 1, 2, 0, 0);
  f.b[14] = 0x43;                                     /* IHL 3 */
  CHECK_EQ_INT(dec(&f, 1, &d), 0);
  CHECK(d.anom && strcmp(d.anom, "ipv4.header_length") == 0);
  CHECK_EQ_INT(d.anom_off, 14);
  f.b[14] = 0x4f;                                     /* IHL 15: 60 bytes, 40 left */
  CHECK_EQ_INT(dec(&f, 1, &d), 0);
  CHECK(d.anom && strcmp(d.anom, "ipv4.header_past_end") == 0);
  f.b[14] = 0x45;
  f.b[14 + 20 + 12] = 0xf0;                           /* TCP data offset 60 */
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK(d.anom && strcmp(d.anom, "tcp.header_past_end") == 0);
  CHECK_EQ_INT(d.dport, 2);
  f.b[14 + 20 + 12] = 0x20;                           /* TCP data offset 8 */
  dec(&f, 1, &d);
  CHECK(d.anom && strcmp(d.anom, "tcp.header_length") == 0);
  /* unknown link type, ARP, VLAN stack over the cap */
  CHECK_EQ_INT(dec(&f, 147, &d), 0);
  CHECK(d.flags & TELLS_DEC_L2_UNSUP);
  f.n = 0;
  eth(&f, 0x0806); bfill(&f, 0, 28);
  CHECK_EQ_INT(dec(&f, 1, &d), 0);
  CHECK_EQ_INT(d.l3, TELLS_L3_ARP);
  f.n = 0;
  eth(&f, 0x8100);
  { int i; for (i = 0; i < 6; i++) { b16(&f, 1); b16(&f, 0x8100); } }
  dec(&f, 1, &d);
  CHECK(d.anom && strcmp(d.anom, "vlan.too_many_tags") == 0);
}

/* Every prefix of a deeply encapsulated frame decodes without overreading. */
static void test_every_prefix(void) {
  fb f = {{0}, 0}, g;
  tells_dec d;
  uint32_t n, lts[] = {1, 113, 276, 0, 101, 9, 239, 274};
  unsigned k;
  eth(&f, 0x8100); b16(&f, 5); b16(&f, 0x0800);
  ipv4(&f, 47, 4 + 40 + 8 + 8 + 14 + 20 + 20, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 0);
  b16(&f, 0); b16(&f, 0x86dd);
  ipv6(&f, 17, 8 + 8 + 14 + 20 + 20, 3);
  udp(&f, 9, 4789, 8 + 14 + 20 + 20);
  f.n -= 8 + 14 + 20 + 20;
  b32(&f, 0x08000000); b32(&f, 0);
  eth(&f, 0x0800);
  ipv4(&f, 6, 20, IP(3, 3, 3, 3), IP(4, 4, 4, 4), 0);
  tcp(&f, 5, 6, 0x02, 0);
  CHECK_EQ_INT(dec(&f, 1, &d), 1);
  CHECK_EQ_INT(d.dport, 6);
  CHECK_EQ_INT(d.tunnel_depth, 2);
  CHECK_EQ_INT(d.n_vlan, 0);                          /* inner frame has none */
  for (k = 0; k < sizeof lts / sizeof lts[0]; k++) {
    for (n = 0; n <= f.n; n++) {
      g = f;
      g.n = n;
      dec(&g, lts[k], &d);
    }
  }
}

int main(void) {
  T_RUN(test_ethernet_ipv4_tcp);
  T_RUN(test_qinq_ipv6_udp);
  T_RUN(test_mpls_and_pppoe);
  T_RUN(test_sll_sll2);
  T_RUN(test_raw_null_loop_ppp);
  T_RUN(test_ipv4_fragments);
  T_RUN(test_ipv6_extension_headers);
  T_RUN(test_gre_erspan_vxlan);
  T_RUN(test_udp_tunnels_and_pbb);
  T_RUN(test_ipfrag_reassembly);
  T_RUN(test_tunnel_depth_cap);
  T_RUN(test_malformed_headers);
  T_RUN(test_every_prefix);
  T_END();
}
