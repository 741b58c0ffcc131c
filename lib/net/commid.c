/*
** commid.c -- Community ID v1 flow hashes (github.com/corelight/community-id-spec):
** "1:" + base64(SHA-1(seed . addr_lo . addr_hi . proto . 0 . port_lo . port_hi)),
** the endpoint with the smaller address (then port) first, every field in
** network byte order.  ICMP and ICMPv6 use the type as the source port and
** the type of the matching reply (requests and replies hash alike) or, for
** messages without one, the code as the destination port.  Protocols other
** than TCP, UDP, SCTP and ICMP hash the addresses and protocol only.
*/
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>
#include "eve.h"
#include "hash.h"

/* ICMP request/reply type pairs (ICMPv4 then ICMPv6), each both ways. */
static const uint8_t commid_icmp4[][2] = {
  {8, 0}, {13, 14}, {15, 16}, {17, 18}, {10, 9},
};
static const uint8_t commid_icmp6[][2] = {
  {128, 129}, {133, 134}, {135, 136}, {130, 131}, {144, 145}, {146, 147}, {139, 140},
};

/* The port pair of an ICMP message: (type, reply type) or (type, code). */
static void commid_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sp,
                              uint16_t *dp) {
  const uint8_t (*t)[2] = proto == 1 ? commid_icmp4 : commid_icmp6;
  size_t n = proto == 1 ? sizeof commid_icmp4 / sizeof commid_icmp4[0]
                        : sizeof commid_icmp6 / sizeof commid_icmp6[0], i;
  *sp = type;
  *dp = code;
  for (i = 0; i < n; i++) {
    if (t[i][0] == type) { *dp = t[i][1]; return; }
    if (t[i][1] == type) { *dp = t[i][0]; return; }
  }
}

static void commid_b64(const uint8_t *in, size_t n, char *out) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, o = 0;
  for (i = 0; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = A[v >> 18]; out[o++] = A[v >> 12 & 63]; out[o++] = A[v >> 6 & 63]; out[o++] = A[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = A[v >> 18]; out[o++] = A[v >> 12 & 63]; out[o++] = '='; out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = A[v >> 18]; out[o++] = A[v >> 12 & 63]; out[o++] = A[v >> 6 & 63]; out[o++] = '=';
  }
  out[o] = 0;
}

void tells_commid(uint8_t l3, uint8_t proto, const uint8_t a[16], uint16_t pa,
                  const uint8_t b[16], uint16_t pb, uint16_t seed, char out[TELLS_COMMID_LEN]) {
  uint8_t buf[2 + 16 + 16 + 2 + 4], md[EVP_MAX_MD_SIZE];
  size_t alen = l3 == TELLS_L3_IPV6 ? 16 : 4, o = 0;
  unsigned mdn = 0;
  int c = memcmp(a, b, alen), ports = proto == 6 || proto == 17 || proto == 132 ||
                                      proto == 1 || proto == 58;
  if (c > 0 || (c == 0 && pa > pb)) {         /* the smaller endpoint first */
    const uint8_t *t = a; uint16_t tp = pa;
    a = b; pa = pb; b = t; pb = tp;
  }
  buf[0] = (uint8_t)(seed >> 8); buf[1] = (uint8_t)seed; o = 2;
  memcpy(buf + o, a, alen); o += alen;
  memcpy(buf + o, b, alen); o += alen;
  buf[o++] = proto;
  buf[o++] = 0;
  if (ports) {
    buf[o++] = (uint8_t)(pa >> 8); buf[o++] = (uint8_t)pa;
    buf[o++] = (uint8_t)(pb >> 8); buf[o++] = (uint8_t)pb;
  }
  out[0] = 0;
  if (EVP_Digest(buf, o, md, &mdn, tells_hash_md(TELLS_HASH_SHA1), NULL) != 1 || mdn != 20) {
    ERR_clear_error();
    return;
  }
  out[0] = '1'; out[1] = ':';
  commid_b64(md, 20, out + 2);
}

void tells_commid_flow(const tells_flow *f, uint16_t seed, char out[TELLS_COMMID_LEN]) {
  uint16_t pa = f->key.pa, pb = f->key.pb;
  const uint8_t *a = f->key.a, *b = f->key.b;
  if (f->key.proto == 1 || f->key.proto == 58) {
    /* the flow key holds the first packet's type << 8 | code, sent by the client */
    const uint8_t *cip = f->client_is_a ? f->key.a : f->key.b;
    const uint8_t *sip = f->client_is_a ? f->key.b : f->key.a;
    uint16_t tc = f->key.pa ? f->key.pa : f->key.pb;
    commid_icmp_ports(f->key.proto, (uint8_t)(tc >> 8), (uint8_t)(tc & 0xff), &pa, &pb);
    a = cip; b = sip;
  }
  tells_commid(f->key.l3, f->key.proto, a, pa, b, pb, seed, out);
}
