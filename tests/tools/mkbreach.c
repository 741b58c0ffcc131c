/*
** mkbreach.c -- writes packet captures of a breach, and of ordinary use,
** packet by packet, for the network detection tests.
**
**   mkbreach OUT.pcap breach|benign [START_EPOCH]
**   mkbreach OUT.pcap script SCRIPT|-        (used by scenarios/gen.py)
**
** breach (internal 10.0.0.0/8, in time order):
**   - beaconing: 10.0.0.5 opens a TLS-port connection to 185.220.101.7:443
**     every 60 s +- 5 s, 24 times;
**   - lateral movement: 10.0.0.66 opens SMB sessions to 10.0.1.10..29:445;
**   - exfiltration: 10.0.0.7 uploads 150 MB to 45.33.32.156:443 (data
**     packets captured headers-only, snaplen style: caplen < origlen);
**   - scanning: 10.0.0.99 sends SYNs to ports 1..300 of 10.0.2.1 (RST back);
**   - DNS tunnelling: 10.0.0.5 queries 80 long base32 names under
**     t.exfil-dns.com (TXT) from 10.0.0.53.
** benign: browsing 30 foreign sites, three file servers used often, one
** 200 MB download, ordinary DNS queries, a regular internal poller.
** script: one session per line, "TIME VERB ARGS" (TIME in seconds since
** 1970, fractions allowed; the capture clock never goes back, so a session
** due while another is still being written starts after it):
**   T tcp CLIENT SERVER DPORT UP DOWN [full]   connection (bulk > 100 kB
**                                              headers-only unless full)
**   T tls CLIENT SERVER DPORT SNI UP DOWN      ClientHello with SNI first
**   T syn CLIENT SERVER DPORT                  refused SYN (RST back)
**   T dns CLIENT RESOLVER NAME QTYPE           query and empty answer
** Lines starting with # and blank lines are skipped; a bad line stops the
** run with "mkbreach: SCRIPT:LINE: reason" (exit 1).
** Classic pcap, microsecond, little-endian, Ethernet, correct checksums.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktw.h"

static FILE *out;
static uint64_t now_us;
static uint32_t rng = 2014;

static void le32(uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  fwrite(b, 1, 4, out);
}
static void le16(uint16_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; fwrite(b, 1, 2, out); }
static uint32_t rnd(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

/* One IPv4 packet.  proto 6 (TCP) or 17 (UDP); `n` payload bytes of which
** `data` (may be NULL = zeros); with `headers_only` only the headers are
** captured. */
static void packet(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp,
                   uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *data, size_t n,
                   int headers_only) {
  static uint8_t f[1600];
  size_t l4 = proto == 6 ? 20 : 8, len, cap;
  len = pktw_ipv4(f, src, dst, proto, sp, dp, seq, ack, flags, data, n);
  cap = headers_only ? 14 + 20 + l4 : len;
  le32((uint32_t)(now_us / 1000000)); le32((uint32_t)(now_us % 1000000));
  le32((uint32_t)cap); le32((uint32_t)len);
  fwrite(f, 1, cap, out);
  now_us += 200;
}

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define FIN 0x01
#define RST 0x04
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static uint16_t next_port = 40000;

/* A TCP connection: handshake, `up` bytes from the client and `down` from
** the server in 1460-byte segments (bulk ones headers-only), then FIN. */
static void tcp_conn2(uint32_t c, uint32_t s, uint16_t dp, uint64_t up, uint64_t down,
                      const uint8_t *first, size_t nfirst, int full);
static void tcp_conn(uint32_t c, uint32_t s, uint16_t dp, uint64_t up, uint64_t down) {
  tcp_conn2(c, s, dp, up, down, NULL, 0, 0);
}

/* tcp_conn with `first` (nfirst <= 1460 bytes, counted in `up`) as the
** client's first segment; `full` captures bulk data too. */
static void tcp_conn2(uint32_t c, uint32_t s, uint16_t dp, uint64_t up, uint64_t down,
                      const uint8_t *first, size_t nfirst, int full) {
  uint16_t sp = next_port++;
  uint32_t cs = rnd(), ss = rnd(), k = 0;
  uint64_t left;
  if (next_port > 60000) next_port = 40000;
  packet(c, s, 6, sp, dp, cs, 0, SYN, NULL, 0, 0);
  packet(s, c, 6, dp, sp, ss, cs + 1, SYN | ACK, NULL, 0, 0);
  packet(c, s, 6, sp, dp, cs + 1, ss + 1, ACK, NULL, 0, 0);
  cs++; ss++;
  if (first && nfirst <= 1460 && nfirst <= up) {
    packet(c, s, 6, sp, dp, cs, ss, ACK | PSH, first, nfirst, 0);
    cs += (uint32_t)nfirst; up -= nfirst;
    packet(s, c, 6, dp, sp, ss, cs, ACK, NULL, 0, 0);
  }
  for (left = up; left; k++) {
    size_t n = left > 1460 ? 1460 : (size_t)left;
    packet(c, s, 6, sp, dp, cs, ss, ACK | PSH, NULL, n, !full && up > 100000);
    cs += (uint32_t)n; left -= n;
    if (k % 8 == 7 || !left) packet(s, c, 6, dp, sp, ss, cs, ACK, NULL, 0, 0);
  }
  for (left = down, k = 0; left; k++) {
    size_t n = left > 1460 ? 1460 : (size_t)left;
    packet(s, c, 6, dp, sp, ss, cs, ACK | PSH, NULL, n, !full && down > 100000);
    ss += (uint32_t)n; left -= n;
    if (k % 8 == 7 || !left) packet(c, s, 6, sp, dp, cs, ss, ACK, NULL, 0, 0);
  }
  packet(c, s, 6, sp, dp, cs, ss, FIN | ACK, NULL, 0, 0);
  packet(s, c, 6, dp, sp, ss, cs + 1, FIN | ACK, NULL, 0, 0);
  packet(c, s, 6, sp, dp, cs + 1, ss + 1, ACK, NULL, 0, 0);
}

static void dns_query(uint32_t c, uint32_t r, const char *name, uint16_t qtype) {
  uint8_t q[300];
  size_t n = 12;
  const char *p = name;
  uint16_t id = (uint16_t)rnd(), sp = next_port++;
  memset(q, 0, 12);
  w16(q, id); q[2] = 0x01; q[5] = 1;       /* RD, one question */
  while (*p && n < 270) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    if (l > 63) l = 63;
    q[n++] = (uint8_t)l; memcpy(q + n, p, l); n += l;
    p += l + (dot ? 1 : 0);
    if (!dot) break;
  }
  q[n++] = 0; w16(q + n, qtype); w16(q + n + 2, 1); n += 4;
  packet(c, r, 17, sp, 53, 0, 0, 0, q, n, 0);
  q[2] = 0x81; q[3] = 0x80;                /* the answer: no records */
  packet(r, c, 17, 53, sp, 0, 0, 0, q, n, 0);
}

static void gap(double s) { now_us += (uint64_t)(s * 1e6); }

static void breach(void) {
  const uint32_t beacon = IP(10, 0, 0, 5), c2 = IP(185, 220, 101, 7);
  int i;
  char name[200], lab[64];
  for (i = 0; i < 24; i++) {            /* beaconing, every 60 s +- 5 s */
    tcp_conn(beacon, c2, 443, 517, 1400);
    gap(60.0 + ((double)(rnd() % 1001) / 100.0 - 5.0));
  }
  for (i = 0; i < 20; i++) {            /* SMB fan-out */
    tcp_conn(IP(10, 0, 0, 66), IP(10, 0, 1, 10 + i), 445, 3200, 2800);
    gap(2);
  }
  tcp_conn(IP(10, 0, 0, 7), IP(45, 33, 32, 156), 443, 150000000, 40000);   /* upload */
  gap(5);
  for (i = 1; i <= 300; i++) {          /* scan: SYN, RST|ACK */
    uint16_t sp = 61000;
    uint32_t seq = rnd();
    packet(IP(10, 0, 0, 99), IP(10, 0, 2, 1), 6, sp, (uint16_t)i, seq, 0, SYN, NULL, 0, 0);
    packet(IP(10, 0, 2, 1), IP(10, 0, 0, 99), 6, (uint16_t)i, sp, 0, seq + 1, RST | ACK, NULL, 0, 0);
  }
  gap(5);
  for (i = 0; i < 80; i++) {            /* DNS tunnelling */
    int k;
    for (k = 0; k < 52; k++) lab[k] = "abcdefghijklmnopqrstuvwxyz234567"[rnd() % 32];
    lab[52] = 0;
    snprintf(name, sizeof name, "%.26s.%s.t.exfil-dns.com", lab, lab + 26);
    dns_query(beacon, IP(10, 0, 0, 53), name, 16);
    gap(0.5);
  }
}

static void benign(void) {
  static const char *const names[] = {"www.wikipedia.org", "upload.wikimedia.org",
                                      "www.debian.org", "deb.debian.org", "www.bbc.co.uk",
                                      "fonts.gstatic.com", "mail.example.com"};
  int i;
  for (i = 0; i < 30; i++) {            /* browsing */
    tcp_conn(IP(10, 0, 0, 20), IP(151, 101, (uint8_t)(1 + i), 69), 443, 1800, 60000);
    gap(3.0 + rnd() % 40);
  }
  for (i = 0; i < 40; i++) {            /* file shares */
    tcp_conn(IP(10, 0, 0, 20 + i % 4), IP(10, 0, 5, 1 + i % 3), 445, 4000, 250000);
    gap(7.0 + rnd() % 90);
  }
  tcp_conn(IP(10, 0, 0, 21), IP(199, 232, 18, 132), 443, 90000, 200000000);  /* download */
  for (i = 0; i < 30; i++) {            /* a regular internal poller */
    tcp_conn(IP(10, 0, 0, 30), IP(10, 0, 9, 9), 8080, 300, 900);
    gap(60);
  }
  for (i = 0; i < 140; i++) {           /* ordinary DNS */
    dns_query(IP(10, 0, 0, 20), IP(10, 0, 0, 53), names[i % 7], 1);
    gap(1.0 + rnd() % 10);
  }
}

/* ---- script mode ---------------------------------------------------------- */

/* A TLS 1.2 ClientHello record naming `sni`; returns its length. */
static size_t client_hello(uint8_t *b, const char *sni) {
  size_t n = strlen(sni) > 200 ? 200 : strlen(sni), i = 0, ext, hs;
  b[i++] = 0x16; b[i++] = 3; b[i++] = 1; i += 2;        /* record, length later */
  hs = i;
  b[i++] = 1; i += 3;                                   /* ClientHello, length later */
  b[i++] = 3; b[i++] = 3;
  for (ext = 0; ext < 32; ext++) b[i++] = (uint8_t)rnd();
  b[i++] = 0;                                           /* no session id */
  b[i++] = 0; b[i++] = 6;                               /* three suites */
  b[i++] = 0xc0; b[i++] = 0x2f; b[i++] = 0xc0; b[i++] = 0x30; b[i++] = 0x00; b[i++] = 0x9c;
  b[i++] = 1; b[i++] = 0;                               /* null compression */
  w16(b + i, (uint16_t)(9 + n)); i += 2;                /* extensions */
  b[i++] = 0; b[i++] = 0; w16(b + i, (uint16_t)(5 + n)); i += 2;
  w16(b + i, (uint16_t)(3 + n)); i += 2; b[i++] = 0; w16(b + i, (uint16_t)n); i += 2;
  memcpy(b + i, sni, n); i += n;
  w16(b + 3, (uint16_t)(i - 5));
  b[hs + 1] = 0; w16(b + hs + 2, (uint16_t)(i - hs - 4));
  return i;
}

static int ip4(const char *t, uint32_t *v) {
  unsigned a, b, c, d;
  char x;
  if (sscanf(t, "%u.%u.%u.%u%c", &a, &b, &c, &d, &x) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
    return -1;
  *v = IP(a, b, c, d);
  return 0;
}

/* Runs one script line; returns NULL or the reason it is bad. */
static const char *script_line(char *line) {
  char *tok[10];
  int n = 0;
  uint32_t c, sv;
  double t;
  char *p = strtok(line, " \t\r\n"), *end;
  while (p && n < 10) { tok[n++] = p; p = strtok(NULL, " \t\r\n"); }
  if (!n || tok[0][0] == '#') return NULL;
  if (n < 5) return "too few fields";
  t = strtod(tok[0], &end);
  if (*end || t < 0 || t > 4e9) return "bad time";
  if ((uint64_t)(t * 1e6) > now_us) now_us = (uint64_t)(t * 1e6);
  if (ip4(tok[2], &c) || ip4(tok[3], &sv)) return "bad address";
  if (strcmp(tok[1], "dns") == 0) {
    if (n != 6) return "dns: CLIENT RESOLVER NAME QTYPE";
    dns_query(c, sv, tok[4], (uint16_t)strtoul(tok[5], NULL, 10));
    return NULL;
  }
  {
    unsigned long dp = strtoul(tok[4], &end, 10);
    if (*end || !dp || dp > 65535) return "bad port";
    if (strcmp(tok[1], "syn") == 0) {
      uint32_t seq = rnd();
      uint16_t sp = next_port++;
      if (next_port > 60000) next_port = 40000;
      packet(c, sv, 6, sp, (uint16_t)dp, seq, 0, SYN, NULL, 0, 0);
      packet(sv, c, 6, (uint16_t)dp, sp, 0, seq + 1, RST | ACK, NULL, 0, 0);
      return NULL;
    }
    if (strcmp(tok[1], "tcp") == 0 && (n == 7 || (n == 8 && strcmp(tok[7], "full") == 0))) {
      tcp_conn2(c, sv, (uint16_t)dp, strtoull(tok[5], NULL, 10), strtoull(tok[6], NULL, 10), NULL,
                0, n == 8);
      return NULL;
    }
    if (strcmp(tok[1], "tls") == 0 && n == 8) {
      uint8_t ch[300];
      size_t k = client_hello(ch, tok[5]);
      uint64_t up = strtoull(tok[6], NULL, 10);
      tcp_conn2(c, sv, (uint16_t)dp, up < k ? k : up, strtoull(tok[7], NULL, 10), ch, k, 0);
      return NULL;
    }
  }
  return "unknown verb or wrong field count";
}

static int script(const char *path) {
  static char line[4096];
  FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  unsigned long no = 0;
  const char *why;
  if (!in) { perror(path); return 1; }
  while (fgets(line, sizeof line, in)) {
    no++;
    if ((why = script_line(line))) {
      fprintf(stderr, "mkbreach: %s:%lu: %s\n", path, no, why);
      return 1;
    }
  }
  if (in != stdin) fclose(in);
  return 0;
}

int main(int argc, char **argv) {
  int rc = 0;
  if (argc == 4 && strcmp(argv[2], "script") == 0) {
    now_us = 0;
    if (!(out = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
    le32(0xa1b2c3d4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1);
    rc = script(argv[3]);
    if (fclose(out) != 0) { perror(argv[1]); return 1; }
    if (rc) remove(argv[1]);
    return rc;
  }
  if (argc < 3 || (strcmp(argv[2], "breach") != 0 && strcmp(argv[2], "benign") != 0)) {
    fprintf(stderr, "usage: mkbreach OUT.pcap breach|benign [START_EPOCH]\n"
                    "       mkbreach OUT.pcap script SCRIPT|-\n");
    return 2;
  }
  now_us = (uint64_t)(argc > 3 ? strtoull(argv[3], NULL, 10) : 1416787200ull) * 1000000u;
  if (!(out = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
  le32(0xa1b2c3d4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1);
  if (strcmp(argv[2], "breach") == 0) breach(); else benign();
  if (fclose(out) != 0) { perror(argv[1]); return 1; }
  return 0;
}
