/*
** decode.h -- from a captured packet and its link type to a layer summary.
**
** tells_decode() walks the link layer (Ethernet with VLAN/QinQ, MPLS and
** PPPoE; Linux SLL and SLL2; raw IPv4/IPv6; BSD loopback; PPP; NFLOG), the
** network layer (IPv4 with header checks and fragment flags, IPv6 with a
** bounded extension-header chain) and the transport layer (TCP, UDP, ICMP,
** ICMPv6), and decapsulates GRE (incl. ERSPAN and transparent Ethernet),
** VXLAN, Geneve, GRE-in-UDP, GTP-U, Teredo, IP-in-IP, 6in4 and 802.1ah
** up to TELLS_DEC_MAX_TUNNEL levels; the
** summary describes the innermost packet.  It never allocates and never
** reads outside [p, p+len): every header is checked to fit once and then
** read with tells_ld* loads.  A malformed header stops decoding at that
** layer and sets `anom` (a static code) and `anom_off` (offset in the
** packet); the caller counts it and records a bounded number of them.
*/
#ifndef TELLS_NET_DECODE_H
#define TELLS_NET_DECODE_H

#include <stdint.h>

#define TELLS_DEC_MAX_TUNNEL 8      /* nested tunnel / inner-frame levels */
#define TELLS_DEC_MAX_VLAN 4        /* stacked 802.1Q/802.1ad tags */
#define TELLS_DEC_MAX_MPLS 8        /* MPLS labels */
#define TELLS_DEC_MAX_V6EXT 8       /* IPv6 extension headers */

/* Network layer of the innermost packet. */
enum { TELLS_L3_NONE = 0, TELLS_L3_IPV4, TELLS_L3_IPV6, TELLS_L3_ARP, TELLS_L3_OTHER };

/* Flags */
#define TELLS_DEC_FRAG      0x0001u  /* IPv4/IPv6 fragment (any) */
#define TELLS_DEC_FRAG_LATE 0x0002u  /* not the first fragment: no L4 header */
#define TELLS_DEC_IP_CSUM   0x0004u  /* IPv4 header checksum wrong */
#define TELLS_DEC_TRUNC     0x0008u  /* IP total length beyond the capture */
#define TELLS_DEC_GRE       0x0010u  /* went through GRE */
#define TELLS_DEC_VXLAN     0x0020u
#define TELLS_DEC_IPIP      0x0040u  /* IPv4/IPv6 inside IP */
#define TELLS_DEC_MPLS      0x0080u
#define TELLS_DEC_PPPOE     0x0100u
#define TELLS_DEC_ERSPAN    0x0200u
#define TELLS_DEC_L2_UNSUP  0x0400u  /* link type or ethertype not decoded */
#define TELLS_DEC_GENEVE    0x0800u
#define TELLS_DEC_GTP       0x1000u
#define TELLS_DEC_TEREDO    0x2000u
#define TELLS_DEC_FRAG_MORE 0x4000u  /* more fragments follow (MF / M bit) */

typedef struct tells_dec {
  uint8_t l3;                 /* TELLS_L3_* */
  uint8_t proto;              /* IP protocol of the L4 header (6 TCP, ...) */
  uint8_t ttl;                /* TTL / hop limit */
  uint8_t tcp_flags;          /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ... */
  uint8_t icmp_type, icmp_code;
  uint8_t n_vlan, n_mpls, tunnel_depth;
  uint8_t src[16], dst[16];   /* IPv4 in the first 4 bytes */
  uint16_t sport, dport;
  uint16_t ethertype;         /* of the innermost L3 (0x0800, 0x86dd, ...) */
  uint16_t vlan[TELLS_DEC_MAX_VLAN]; /* VLAN ids, outermost first */
  uint16_t tcp_win;
  uint16_t frag_off;          /* fragment offset in bytes */
  uint32_t flags;             /* TELLS_DEC_* */
  uint32_t seq, ack;
  uint32_t ip_id;             /* IPv4 id or IPv6 fragment id */
  uint32_t mpls[TELLS_DEC_MAX_MPLS];
  uint32_t l3_off;            /* offset of the innermost IP header */
  uint32_t l4_off;            /* offset of the L4 header */
  const uint8_t *payload;     /* L4 payload (inside the packet; not owned) */
  uint32_t payload_len;
  const uint8_t *frag_data;   /* whole payload of the innermost IP packet */
  uint32_t frag_len;          /*   (what fragment reassembly stores) */
  uint8_t frag_proto;         /* protocol of that payload */
  const char *anom;           /* first decode anomaly (static code) or NULL */
  uint32_t anom_off;          /* its offset in the packet */
} tells_dec;

/* Decodes p[0..len) captured on `linktype`.  Returns 1 when an IP header was
** decoded, 0 otherwise (non-IP frames, unsupported link types, or a fault
** before the IP layer: see d->anom). */
int tells_decode(const uint8_t *p, uint32_t len, uint32_t linktype,
                 tells_dec *d /* OUT */);

/* Decodes a transport header of IP protocol `proto` at p[0..len) into d,
** keeping d's network-layer fields: used on a datagram rebuilt by ipfrag.c
** (d->payload then points into p). */
int tells_decode_l4(const uint8_t *p, uint32_t len, uint8_t proto, tells_dec *d);

/* Name of an L3 kind / IP protocol for summaries ("ipv4", "tcp", ...);
** NULL for protocols without a name. */
const char *tells_l3_name(int l3);
const char *tells_ipproto_name(int proto);

#endif
