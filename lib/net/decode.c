/*
** decode.c -- link, network and transport decoders (see decode.h).
**
** Each layer gets the packet, the offset of its header and the end of the
** bytes it may use (a tunnel's inner packet ends where the outer IP payload
** ends).  It checks its fixed header fits with one overflow-free test
** (`end - off < n`, off <= end always holds) and reads fields with the
** unchecked tells_ld16be/32be loads.  Header layouts (offsets from the start
** of each header; network byte order unless noted):
**
**   Ethernet          0 dst(6) 6 src(6) 12 ethertype(2)            14 bytes
**   802.1Q/802.1ad    0 TCI(2: PCP 3, DEI 1, VID 12) 2 ethertype(2)  4 bytes
**   MPLS label        0 label(20) TC(3) S(1) TTL(8)                  4 bytes
**   PPPoE session     0 ver/type(1)=0x11 1 code(1)=0 2 session(2) 4 length(2)
**                     6 PPP protocol(2)                              8 bytes
**   Linux SLL         0 pkttype(2) 2 hatype(2) 4 halen(2) 6 addr(8)
**                     14 protocol(2)                                16 bytes
**   Linux SLL2        0 protocol(2) 2 reserved(2) 4 ifindex(4) 8 hatype(2)
**                     10 pkttype(1) 11 halen(1) 12 addr(8)          20 bytes
**   BSD loopback      0 address family(4): NULL in the writer's byte order,
**                     LOOP big-endian; 2 IPv4, 24/28/30 IPv6         4 bytes
**   PPP               [ff 03] protocol(1 or 2): 0x21 IPv4, 0x57 IPv6, 0x281 MPLS
**   NFLOG             0 family(1) 1 version(1) 2 resource id(2), then TLVs of
**                     length(2, host order) type(2, host order) value, padded
**                     to 4; type 9 is the packet (raw IP)
**   IPv4 (RFC 791)    0 ver/ihl 1 tos 2 total length 4 id 6 flags/fragment
**                     8 ttl 9 protocol 10 checksum 12 src 16 dst 20 options
**   IPv6 (RFC 8200)   0 ver/class/flow(4) 4 payload length 6 next header
**                     7 hop limit 8 src(16) 24 dst(16)               40 bytes
**     extension       0 next header 1 length in 8-byte units, minus 1
**     fragment        0 next header 2 offset(13)/M(1) 4 identification
**     AH              0 next header 1 length in 4-byte units, minus 2
**   TCP (RFC 9293)    0 sport 2 dport 4 seq 8 ack 12 data offset 13 flags
**                     14 window                                20..60 bytes
**   UDP               0 sport 2 dport 4 length 6 checksum            8 bytes
**   ICMP / ICMPv6     0 type 1 code 2 checksum 4 rest                 8 bytes
**   GRE (RFC 2784/2890, PPTP 2637)  0 C.K.S..flags(2) ver(3) 2 protocol
**                     then checksum+reserved (C), key (K), sequence (S),
**                     acknowledgment (version 1, A)
**   ERSPAN II         8 bytes, then Ethernet (type I has no header)
**   ERSPAN III        12 bytes (+8 when the O bit of byte 11 is set)
**   VXLAN (RFC 7348)  0 flags (0x08 = VNI valid) 4 VNI(3) 7 reserved  8 bytes
**   802.1ah PBB       I-TAG(4), then customer Ethernet              4 bytes
**   UDP tunnels       see dec_udp_tunnel (Geneve, GRE-in-UDP, GTP-U, Teredo)
**
** Every step into an inner Ethernet frame or IP packet (GRE, ERSPAN, VXLAN,
** Geneve, GTP-U, Teredo, IP-in-IP, PBB, MPLS pseudowire, transparent
** bridging) adds one level; past TELLS_DEC_MAX_TUNNEL the decoder stops with
** "tunnel.too_deep", so recursion depth is bounded whatever the input.
*/
#include <string.h>
#include "decode.h"
#include "rd.h"

static int dec_ethertype(const uint8_t *p, uint32_t off, uint32_t end,
                         uint16_t type, tells_dec *d, int depth);
static int dec_ipv4(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                    int depth);
static int dec_ipv6(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                    int depth);
static int dec_ip_guess(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                        int depth);

static int fail(tells_dec *d, const char *code, uint32_t off) {
  if (!d->anom) { d->anom = code; d->anom_off = off; }
  return 0;
}

static void set_payload(tells_dec *d, const uint8_t *p, uint32_t off, uint32_t end) {
  d->payload = p + off;
  d->payload_len = end - off;
}

static int dec_eth(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                   int depth) {
  if (end - off < 14) return fail(d, "eth.truncated", off);
  return dec_ethertype(p, off + 14, end, tells_ld16be(p + off + 12), d, depth);
}

/* By version nibble: raw IP links and MPLS payloads. */
static int dec_ip_guess(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                        int depth) {
  if (end - off < 1) return fail(d, "ip.truncated", off);
  switch (p[off] >> 4) {
  case 4: return dec_ipv4(p, off, end, d, depth);
  case 6: return dec_ipv6(p, off, end, d, depth);
  }
  return fail(d, "ip.version", off);
}

static int dec_ppp(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                   int depth) {
  uint16_t proto;
  if (end - off >= 2 && p[off] == 0xff && p[off + 1] == 0x03) off += 2;
  if (end - off < 1) return fail(d, "ppp.truncated", off);
  if (p[off] & 1) {                 /* protocol field compressed to 1 byte */
    proto = p[off]; off += 1;
  } else {
    if (end - off < 2) return fail(d, "ppp.truncated", off);
    proto = tells_ld16be(p + off); off += 2;
  }
  switch (proto) {
  case 0x0021: return dec_ipv4(p, off, end, d, depth);
  case 0x0057: return dec_ipv6(p, off, end, d, depth);
  case 0x0281: return dec_ethertype(p, off, end, 0x8847, d, depth);
  }
  d->l3 = TELLS_L3_OTHER;
  return 0;
}

static int dec_mpls(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                    int depth) {
  for (;;) {
    uint32_t e;
    if (end - off < 4) return fail(d, "mpls.truncated", off);
    e = tells_ld32be(p + off);
    off += 4;
    if (d->n_mpls >= TELLS_DEC_MAX_MPLS) return fail(d, "mpls.too_many_labels", off - 4);
    d->mpls[d->n_mpls++] = e >> 12;
    if (e & 0x100u) break;              /* bottom of stack */
  }
  d->flags |= TELLS_DEC_MPLS;
  if (end - off < 1) return fail(d, "mpls.truncated", off);
  switch (p[off] >> 4) {
  case 4: return dec_ipv4(p, off, end, d, depth);
  case 6: return dec_ipv6(p, off, end, d, depth);
  case 0:                               /* pseudowire control word, Ethernet */
    if (end - off < 4) return fail(d, "mpls.truncated", off);
    if (depth >= TELLS_DEC_MAX_TUNNEL) return fail(d, "tunnel.too_deep", off);
    return dec_eth(p, off + 4, end, d, depth + 1);
  }
  d->l3 = TELLS_L3_OTHER;
  return 0;
}

static int dec_ethertype(const uint8_t *p, uint32_t off, uint32_t end,
                         uint16_t type, tells_dec *d, int depth) {
  for (;;) {
    switch (type) {
    case 0x0800: return dec_ipv4(p, off, end, d, depth);
    case 0x86dd: return dec_ipv6(p, off, end, d, depth);
    case 0x8100: case 0x88a8: case 0x9100: case 0x9200:
      if (end - off < 4) return fail(d, "vlan.truncated", off);
      if (d->n_vlan >= TELLS_DEC_MAX_VLAN) return fail(d, "vlan.too_many_tags", off);
      d->vlan[d->n_vlan++] = tells_ld16be(p + off) & 0x0fffu;
      type = tells_ld16be(p + off + 2);
      off += 4;
      continue;
    case 0x8847: case 0x8848:
      return dec_mpls(p, off, end, d, depth);
    case 0x8864:                                     /* PPPoE session */
      if (end - off < 8) return fail(d, "pppoe.truncated", off);
      if (p[off] != 0x11 || p[off + 1] != 0) return fail(d, "pppoe.header", off);
      d->flags |= TELLS_DEC_PPPOE;
      {
        uint32_t plen = tells_ld16be(p + off + 4);
        if (plen <= end - off - 6) end = off + 6 + plen;
      }
      return dec_ppp(p, off + 6, end, d, depth);
    case 0x6558:                                     /* transparent bridging */
      if (depth >= TELLS_DEC_MAX_TUNNEL) return fail(d, "tunnel.too_deep", off);
      return dec_eth(p, off, end, d, depth + 1);
    case 0x88e7:                                     /* 802.1ah PBB: I-TAG */
      if (end - off < 4) return fail(d, "pbb.truncated", off);
      if (depth >= TELLS_DEC_MAX_TUNNEL) return fail(d, "tunnel.too_deep", off);
      return dec_eth(p, off + 4, end, d, depth + 1);
    case 0x0806: case 0x8035:
      d->l3 = TELLS_L3_ARP;
      d->ethertype = type;
      return 0;
    default:
      if (type < 0x0600) {                           /* 802.3 length, LLC */
        if (end - off >= 8 && p[off] == 0xaa && p[off + 1] == 0xaa && p[off + 2] == 0x03) {
          type = tells_ld16be(p + off + 6);
          off += 8;
          continue;
        }
      }
      d->l3 = TELLS_L3_OTHER;
      d->ethertype = type;
      return 0;
    }
  }
}

/* Tunnels carried in UDP, recognised by port and checked by header:
**   VXLAN 4789 (RFC 7348), Geneve 6081 (RFC 8926: 0 ver(2)/optlen(6) in
**   4-byte words, 1 flags, 2 protocol type, 4 VNI(3)+reserved, options),
**   GRE-in-UDP 4754 (RFC 8086), GTP-U 2152 (3GPP TS 29.281: 0 flags
**   (version 1, PT, E S PN), 1 type (255 = G-PDU), 2 length, 4 TEID, then
**   seq(2) N-PDU(1) next-extension(1) when E, S or PN is set; extension
**   headers of 4*n bytes whose last byte names the next), Teredo 3544
**   (RFC 4380: optional authentication and origin indicators, then IPv6).
** [off, end) is the UDP payload; returns 1 with the outer summary kept when
** the payload is not a tunnel. */
static int dec_udp_tunnel(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                          int depth) {
  uint16_t sp = d->sport, dp = d->dport;
  uint32_t n = end - off;
  if (d->flags & TELLS_DEC_FRAG) return 1;   /* inner packet incomplete */
  if (dp == 4789 && n >= 8 + 14 && (p[off] & 0x08)) {
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", off); return 1; }
    d->flags |= TELLS_DEC_VXLAN;
    d->tunnel_depth++;
    d->n_vlan = 0;
    return dec_eth(p, off + 8, end, d, depth + 1);
  }
  if (dp == 6081 && n >= 8 && (p[off] >> 6) == 0) {
    uint32_t hl = 8 + (uint32_t)(p[off] & 0x3f) * 4;
    uint16_t pt = tells_ld16be(p + off + 2);
    if (hl > n) { fail(d, "geneve.truncated", off); return 1; }
    if (pt != 0x6558 && pt != 0x0800 && pt != 0x86dd) return 1;
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", off); return 1; }
    d->flags |= TELLS_DEC_GENEVE;
    d->tunnel_depth++;
    if (pt == 0x6558) d->n_vlan = 0;
    return dec_ethertype(p, off + hl, end, pt, d, depth + 1);
  }
  if (dp == 4754 && n >= 4) {
    uint16_t fl = tells_ld16be(p + off), gp = tells_ld16be(p + off + 2);
    uint32_t hl = 4 + ((fl & 0x8000u) ? 4 : 0) + ((fl & 0x2000u) ? 4 : 0) + ((fl & 0x1000u) ? 4 : 0);
    if ((fl & 7) != 0 || hl > n) return 1;
    if (gp != 0x0800 && gp != 0x86dd && gp != 0x6558 && gp != 0x8847) return 1;
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", off); return 1; }
    d->flags |= TELLS_DEC_GRE;
    d->tunnel_depth++;
    if (gp == 0x6558) d->n_vlan = 0;
    return dec_ethertype(p, off + hl, end, gp, d, depth + 1);
  }
  if ((dp == 2152 || sp == 2152) && n >= 8 && (p[off] >> 5) == 1 && (p[off] & 0x10) &&
      p[off + 1] == 0xff) {
    uint32_t o = off + 8;
    int k;
    if (p[off] & 0x07) {
      uint8_t nx;
      if (end - o < 4) { fail(d, "gtp.truncated", o); return 1; }
      nx = p[o + 3];
      o += 4;
      for (k = 0; nx && k < 8; k++) {          /* extension headers */
        uint32_t el;
        if (end - o < 4) { fail(d, "gtp.truncated", o); return 1; }
        el = (uint32_t)p[o] * 4;
        if (el == 0 || el > end - o) { fail(d, "gtp.extension_length", o); return 1; }
        nx = p[o + el - 1];
        o += el;
      }
      if (nx) { fail(d, "gtp.too_many_extensions", o); return 1; }
    }
    if (end - o < 1 || ((p[o] >> 4) != 4 && (p[o] >> 4) != 6)) return 1;
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", o); return 1; }
    d->flags |= TELLS_DEC_GTP;
    d->tunnel_depth++;
    return dec_ip_guess(p, o, end, d, depth + 1);
  }
  if ((dp == 3544 || sp == 3544) && n >= 40) {
    uint32_t o = off;
    if (p[o] == 0 && p[o + 1] == 1) {          /* authentication indicator */
      uint32_t al = 4u + (uint32_t)p[o + 2] + (uint32_t)p[o + 3] + 9u;
      if (al > end - o) return 1;
      o += al;
    }
    if (end - o >= 8 && p[o] == 0 && p[o + 1] == 0) o += 8;  /* origin indicator */
    if (end - o < 40 || (p[o] >> 4) != 6) return 1;
    if (tells_ld16be(p + o + 4) > end - o - 40) return 1;
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", o); return 1; }
    d->flags |= TELLS_DEC_TEREDO;
    d->tunnel_depth++;
    return dec_ipv6(p, o, end, d, depth + 1);
  }
  return 1;
}

/* Transport layer and tunnels inside IP.  [off, end) is the IP payload. */
static int dec_l4(const uint8_t *p, uint32_t off, uint32_t end, uint8_t proto,
                  tells_dec *d, int depth) {
  d->proto = proto;
  d->l4_off = off;
  switch (proto) {
  case 6: {
    uint32_t doff;
    if (end - off < 20) { set_payload(d, p, end, end); fail(d, "tcp.truncated", off); return 1; }
    d->sport = tells_ld16be(p + off);
    d->dport = tells_ld16be(p + off + 2);
    d->seq = tells_ld32be(p + off + 4);
    d->ack = tells_ld32be(p + off + 8);
    d->tcp_flags = p[off + 13];
    d->tcp_win = tells_ld16be(p + off + 14);
    doff = (uint32_t)(p[off + 12] >> 4) * 4;
    if (doff < 20) { set_payload(d, p, end, end); fail(d, "tcp.header_length", off + 12); return 1; }
    if (doff > end - off) {
      set_payload(d, p, end, end);
      fail(d, "tcp.header_past_end", off + 12);
      return 1;
    }
    set_payload(d, p, off + doff, end);
    return 1;
  }
  case 17: {
    uint32_t ulen;
    if (end - off < 8) { set_payload(d, p, end, end); fail(d, "udp.truncated", off); return 1; }
    d->sport = tells_ld16be(p + off);
    d->dport = tells_ld16be(p + off + 2);
    ulen = tells_ld16be(p + off + 4);
    if (ulen < 8) fail(d, "udp.length", off + 4);
    else if (ulen <= end - off) end = off + ulen;
    set_payload(d, p, off + 8, end);
    return dec_udp_tunnel(p, off + 8, end, d, depth);
  }
  case 1: case 58:
    if (end - off < 4) { set_payload(d, p, end, end); fail(d, proto == 1 ? "icmp.truncated" : "icmpv6.truncated", off); return 1; }
    d->icmp_type = p[off];
    d->icmp_code = p[off + 1];
    set_payload(d, p, end - off >= 8 ? off + 8 : end, end);
    return 1;
  case 132:                                          /* SCTP common header */
    if (end - off < 12) { set_payload(d, p, end, end); fail(d, "sctp.truncated", off); return 1; }
    d->sport = tells_ld16be(p + off);
    d->dport = tells_ld16be(p + off + 2);
    set_payload(d, p, off + 12, end);
    return 1;
  case 4: case 41:                                   /* IP-in-IP, 6in4 */
    set_payload(d, p, off, end);
    if (d->flags & TELLS_DEC_FRAG) return 1;
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", off); return 1; }
    d->flags |= TELLS_DEC_IPIP;
    d->tunnel_depth++;
    return proto == 4 ? dec_ipv4(p, off, end, d, depth + 1)
                      : dec_ipv6(p, off, end, d, depth + 1);
  case 47: {
    uint16_t fl, gp;
    uint32_t hl = 4;
    set_payload(d, p, off, end);
    if (d->flags & TELLS_DEC_FRAG) return 1;
    if (end - off < 4) { fail(d, "gre.truncated", off); return 1; }
    fl = tells_ld16be(p + off);
    gp = tells_ld16be(p + off + 2);
    if ((fl & 7) > 1) { fail(d, "gre.version", off); return 1; }
    if (fl & 0x8000u) hl += 4;
    if (fl & 0x2000u) hl += 4;
    if (fl & 0x1000u) hl += 4;
    if ((fl & 7) == 1 && (fl & 0x0080u)) hl += 4;
    if (end - off < hl) { fail(d, "gre.truncated", off); return 1; }
    if (depth >= TELLS_DEC_MAX_TUNNEL) { fail(d, "tunnel.too_deep", off); return 1; }
    off += hl;
    set_payload(d, p, off, end);
    if (gp == 0x88be || gp == 0x22eb) {             /* ERSPAN */
      uint32_t eh = 0;
      if (gp == 0x22eb) {
        eh = 12;
        if (end - off >= 12 && (p[off + 11] & 1)) eh = 20;
      } else if (fl & 0x1000u) {
        eh = 8;                                     /* type II; type I has none */
      }
      if (end - off < eh) { fail(d, "erspan.truncated", off); return 1; }
      d->flags |= TELLS_DEC_GRE | TELLS_DEC_ERSPAN;
      d->tunnel_depth++;
      d->n_vlan = 0;
      return dec_eth(p, off + eh, end, d, depth + 1);
    }
    if (gp == 0x0800 || gp == 0x86dd || gp == 0x6558 || gp == 0x8847 || gp == 0x880b) {
      d->flags |= TELLS_DEC_GRE;
      d->tunnel_depth++;
      if (gp == 0x6558) d->n_vlan = 0;
      if (gp == 0x880b) return dec_ppp(p, off, end, d, depth + 1);
      return dec_ethertype(p, off, end, gp, d, depth + 1);
    }
    return 1;
  }
  default:
    set_payload(d, p, off, end);
    return 1;
  }
}

static int dec_ipv4(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                    int depth) {
  uint32_t hl, tot, sum = 0, i;
  uint16_t ff;
  if (end - off < 20) return fail(d, "ipv4.truncated", off);
  if (p[off] >> 4 != 4) return fail(d, "ipv4.version", off);
  hl = (uint32_t)(p[off] & 15) * 4;
  if (hl < 20) return fail(d, "ipv4.header_length", off);
  if (hl > end - off) return fail(d, "ipv4.header_past_end", off);
  d->l3 = TELLS_L3_IPV4;
  d->ethertype = 0x0800;
  d->l3_off = off;
  memset(d->src, 0, sizeof d->src);
  memset(d->dst, 0, sizeof d->dst);
  memcpy(d->src, p + off + 12, 4);
  memcpy(d->dst, p + off + 16, 4);
  d->ttl = p[off + 8];
  d->proto = p[off + 9];
  d->ip_id = tells_ld16be(p + off + 4);
  for (i = 0; i < hl; i += 2) sum += tells_ld16be(p + off + i);
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  if (sum != 0xffffu) d->flags |= TELLS_DEC_IP_CSUM;
  tot = tells_ld16be(p + off + 2);
  if (tot == 0) {
    tot = end - off;                         /* TSO: length left to the NIC */
  } else if (tot < hl) {
    fail(d, "ipv4.total_length", off + 2);
    tot = hl;
  }
  if (tot > end - off) { d->flags |= TELLS_DEC_TRUNC; tot = end - off; }
  end = off + tot;
  ff = tells_ld16be(p + off + 6);
  d->frag_off = (uint16_t)((ff & 0x1fffu) * 8u);
  if (ff & 0x3fffu) {
    d->flags |= TELLS_DEC_FRAG;
    if (ff & 0x2000u) d->flags |= TELLS_DEC_FRAG_MORE;
    if (ff & 0x1fffu) {
      d->flags |= TELLS_DEC_FRAG_LATE;
      d->l4_off = off + hl;
      set_payload(d, p, off + hl, end);
      d->frag_data = d->payload;
      d->frag_len = d->payload_len;
      d->frag_proto = d->proto;
      return 1;
    }
  }
  d->frag_data = p + off + hl;
  d->frag_len = end - off - hl;
  d->frag_proto = d->proto;
  return dec_l4(p, off + hl, end, d->proto, d, depth);
}

static int dec_ipv6(const uint8_t *p, uint32_t off, uint32_t end, tells_dec *d,
                    int depth) {
  uint32_t plen, o, n;
  uint8_t nh;
  if (end - off < 40) return fail(d, "ipv6.truncated", off);
  if (p[off] >> 4 != 6) return fail(d, "ipv6.version", off);
  d->l3 = TELLS_L3_IPV6;
  d->ethertype = 0x86dd;
  d->l3_off = off;
  memcpy(d->src, p + off + 8, 16);
  memcpy(d->dst, p + off + 24, 16);
  d->ttl = p[off + 7];
  nh = p[off + 6];
  plen = tells_ld16be(p + off + 4);
  if (plen > end - off - 40) d->flags |= TELLS_DEC_TRUNC;
  else if (plen) end = off + 40 + plen;     /* plen 0: jumbogram, keep all */
  o = off + 40;
  for (n = 0;; n++) {
    uint32_t el;
    switch (nh) {
    case 0: case 43: case 60: case 135: case 139: case 140: case 51:
      if (n >= TELLS_DEC_MAX_V6EXT) {
        d->proto = nh;
        set_payload(d, p, o, end);
        fail(d, "ipv6.too_many_extensions", o);
        return 1;
      }
      if (end - o < 8) { d->proto = nh; set_payload(d, p, end, end); fail(d, "ipv6.extension_truncated", o); return 1; }
      el = nh == 51 ? ((uint32_t)p[o + 1] + 2) * 4 : ((uint32_t)p[o + 1] + 1) * 8;
      if (el > end - o) { d->proto = nh; set_payload(d, p, end, end); fail(d, "ipv6.extension_past_end", o); return 1; }
      nh = p[o];
      o += el;
      continue;
    case 44: {
      uint16_t fo;
      if (n >= TELLS_DEC_MAX_V6EXT) { d->proto = nh; set_payload(d, p, o, end); fail(d, "ipv6.too_many_extensions", o); return 1; }
      if (end - o < 8) { d->proto = nh; set_payload(d, p, end, end); fail(d, "ipv6.extension_truncated", o); return 1; }
      fo = tells_ld16be(p + o + 2);
      d->ip_id = tells_ld32be(p + o + 4);
      d->flags |= TELLS_DEC_FRAG;
      if (fo & 1u) d->flags |= TELLS_DEC_FRAG_MORE;
      d->frag_off = fo & 0xfff8u;
      nh = p[o];
      o += 8;
      d->frag_proto = nh;
      d->frag_data = p + o;
      d->frag_len = end - o;
      if (fo & 0xfff8u) {
        d->flags |= TELLS_DEC_FRAG_LATE;
        d->proto = nh;
        d->l4_off = o;
        set_payload(d, p, o, end);
        return 1;
      }
      continue;
    }
    default:
      if (!(d->flags & TELLS_DEC_FRAG)) {
        d->frag_data = p + o;
        d->frag_len = end - o;
        d->frag_proto = nh;
      }
      return dec_l4(p, o, end, nh, d, depth);
    }
  }
}

/* NFLOG: find the packet TLV (type 9); TLV header fields in host order,
** which for the captures seen in practice is little-endian. */
static int dec_nflog(const uint8_t *p, uint32_t len, tells_dec *d) {
  uint32_t off = 4;
  uint8_t fam;
  if (len < 4) return fail(d, "nflog.truncated", 0);
  fam = p[0];
  while (len - off >= 4) {
    uint32_t tl = tells_ld16le(p + off), ty = tells_ld16le(p + off + 2) & 0x7fffu;
    if (tl < 4 || tl > len - off) return fail(d, "nflog.tlv_length", off);
    if (ty == 9) {
      uint32_t s = off + 4, e = off + tl;
      if (fam == 2) return dec_ipv4(p, s, e, d, 0);
      if (fam == 10) return dec_ipv6(p, s, e, d, 0);
      return dec_ip_guess(p, s, e, d, 0);
    }
    tl = (tl + 3u) & ~3u;
    if (tl > len - off) break;
    off += tl;
  }
  d->l3 = TELLS_L3_OTHER;
  return 0;
}

int tells_decode(const uint8_t *p, uint32_t len, uint32_t linktype, tells_dec *d) {
  memset(d, 0, sizeof *d);
  d->payload = p + len;
  switch (linktype) {
  case 1:                                            /* ETHERNET */
    return dec_eth(p, 0, len, d, 0);
  case 0: case 108: {                                /* NULL, LOOP */
    uint32_t fam;
    if (len < 4) return fail(d, "loopback.truncated", 0);
    fam = linktype == 108 ? tells_ld32be(p) : tells_ld32le(p);
    if (fam > 0xffffu) fam = tells_ld32be(p);        /* other byte order */
    if (fam == 2) return dec_ipv4(p, 4, len, d, 0);
    if (fam == 24 || fam == 28 || fam == 30 || fam == 10) return dec_ipv6(p, 4, len, d, 0);
    d->l3 = TELLS_L3_OTHER;
    return 0;
  }
  case 101: case 12: case 14:                        /* RAW */
    return dec_ip_guess(p, 0, len, d, 0);
  case 228:
    return dec_ipv4(p, 0, len, d, 0);
  case 229:
    return dec_ipv6(p, 0, len, d, 0);
  case 9: case 50:                                   /* PPP, PPP_HDLC */
    return dec_ppp(p, 0, len, d, 0);
  case 51:                                           /* PPP_ETHER (PPPoE) */
    if (len < 6) return fail(d, "pppoe.truncated", 0);
    d->flags |= TELLS_DEC_PPPOE;
    return dec_ppp(p, 6, len, d, 0);
  case 113:                                          /* LINUX_SLL */
    if (len < 16) return fail(d, "sll.truncated", 0);
    return dec_ethertype(p, 16, len, tells_ld16be(p + 14), d, 0);
  case 276:                                          /* LINUX_SLL2 */
    if (len < 20) return fail(d, "sll2.truncated", 0);
    return dec_ethertype(p, 20, len, tells_ld16be(p), d, 0);
  case 239:
    return dec_nflog(p, len, d);
  case 274:                                          /* ETHERNET_MPACKET */
    if (len >= 8 && p[0] == 0x55 && (p[7] == 0xd5 || p[7] == 0xe6 || p[7] == 0x4c ||
                                     p[7] == 0x7f || p[7] == 0xb3))
      return dec_eth(p, 8, len, d, 0);
    d->flags |= TELLS_DEC_L2_UNSUP;
    return 0;
  }
  d->flags |= TELLS_DEC_L2_UNSUP;
  return 0;
}

const char *tells_l3_name(int l3) {
  switch (l3) {
  case TELLS_L3_IPV4: return "ipv4";
  case TELLS_L3_IPV6: return "ipv6";
  case TELLS_L3_ARP: return "arp";
  case TELLS_L3_OTHER: return "other";
  }
  return "none";
}

const char *tells_ipproto_name(int proto) {
  switch (proto) {
  case 1: return "icmp";
  case 2: return "igmp";
  case 4: return "ipip";
  case 6: return "tcp";
  case 17: return "udp";
  case 41: return "ipv6";
  case 47: return "gre";
  case 50: return "esp";
  case 51: return "ah";
  case 58: return "icmpv6";
  case 59: return "ipv6-nonxt";
  case 103: return "pim";
  case 112: return "vrrp";
  case 132: return "sctp";
  }
  return NULL;
}

int tells_decode_l4(const uint8_t *p, uint32_t len, uint8_t proto, tells_dec *d) {
  d->anom = NULL;
  d->flags &= ~(uint32_t)(TELLS_DEC_FRAG_LATE);
  d->sport = d->dport = 0;
  d->tcp_flags = 0;
  return dec_l4(p, 0, len, proto, d, d->tunnel_depth);
}
