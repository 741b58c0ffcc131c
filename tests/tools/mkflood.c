/*
** mkflood.c -- writes a hostile capture that fills every table of the
** network detectors (lib/net/detect*.c), for tests/cli/test_net_detect_mem.sh:
**
**   mkflood OUT.pcap [SCALE]
**
** With SCALE 1 (the default; the tables' default caps are for 128 MB):
**   - 70,000 internal hosts each open 9 TCP connections (a SYN each) to its
**     own external address: host pairs (65,536), connection times
**     (1,048,576 in all) and sample flows (262,144) overflow;
**   - 600,000 SYNs from 40,000 internal sources, each to its own internal
**     address: source-host pairs (262,144), host/port targets (524,288)
**     and sources (32,768) overflow;
**   - 300,000 DNS queries for distinct names under 20,000 base domains,
**     in one UDP flow: names (262,144) and domains (16,384) overflow.
** SCALE divides every count (e.g. 8 with --detect memory_mb=16).  About
** 1.5 million packets, 110 MB at SCALE 1; one microsecond apart.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktw.h"

static FILE *out;
static uint64_t ts_us = 1417000000ull * 1000000u;

static void put32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void frame(const uint8_t *f, size_t n) {
  uint8_t h[16];
  put32le(h, (uint32_t)(ts_us / 1000000u));
  put32le(h + 4, (uint32_t)(ts_us % 1000000u));
  put32le(h + 8, (uint32_t)n);
  put32le(h + 12, (uint32_t)n);
  fwrite(h, 1, 16, out);
  fwrite(f, 1, n, out);
  ts_us++;
}

static void syn(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp) {
  uint8_t f[64];
  frame(f, pktw_ipv4(f, src, dst, 6, sp, dp, 1000, 0, 0x02, NULL, 0));
}

/* One DNS query (id, name "hex.hex.dK.net", type A) from client to resolver. */
static void dns_query(uint32_t i, uint32_t ndom) {
  uint8_t q[160], f[256];
  char lab[40];
  size_t n = 12, k;
  const char *labels[3];
  char l1[24], l2[24], l3[16];
  memset(q, 0, 12);
  w16(q, (uint16_t)i); q[2] = 0x01; q[5] = 1;   /* RD, one question */
  snprintf(l1, sizeof l1, "%08x%08x", i * 2654435761u, i ^ 0x5bd1e995u);
  snprintf(l2, sizeof l2, "q%u", i);
  snprintf(l3, sizeof l3, "d%u", i % ndom);
  labels[0] = l1; labels[1] = l2; labels[2] = l3;
  for (k = 0; k < 3; k++) {
    size_t l = strlen(labels[k]);
    q[n++] = (uint8_t)l;
    memcpy(q + n, labels[k], l);
    n += l;
  }
  memcpy(lab, "\003net", 5);     /* "net" and the root */
  memcpy(q + n, lab, 5);
  n += 5;
  w16(q + n, 1); w16(q + n + 2, 1);
  n += 4;
  frame(f, pktw_ipv4(f, 0x0a020001u, 0x0a000035u, 17, 40000, 53, 0, 0, 0, q, n));
}

int main(int argc, char **argv) {
  uint8_t gh[24];
  uint32_t scale = 1, i, c;
  uint32_t pairs, conns = 9, syns, srcs = 40000, names, doms;
  if (argc < 2 || argc > 3 || (argc == 3 && (scale = (uint32_t)strtoul(argv[2], NULL, 10)) == 0)) {
    fprintf(stderr, "usage: mkflood OUT.pcap [SCALE]\n");
    return 2;
  }
  pairs = 70000 / scale; syns = 600000 / scale; srcs = 40000 / scale;
  names = 300000 / scale; doms = 20000 / scale;
  if (!(out = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
  put32le(gh, 0xa1b2c3d4u);
  gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0;
  memset(gh + 8, 0, 8);
  put32le(gh + 16, 65535);
  put32le(gh + 20, 1);
  fwrite(gh, 1, 24, out);
  for (c = 0; c < conns; c++)          /* 10.128.0.0/10 -> 45.0.0.0/8, one each */
    for (i = 0; i < pairs; i++)
      syn(0x0a800000u + i, 0x2d000000u + i, (uint16_t)(20000 + c), 443);
  for (i = 0; i < syns; i++)           /* 10.64.0.0/16 -> 172.16.0.0/12 */
    syn(0x0a400000u + i % srcs, 0xac100000u + i, (uint16_t)(30000 + i % 20000), 80);
  for (i = 0; i < names; i++) dns_query(i, doms);
  if (fclose(out) != 0) { perror(argv[1]); return 1; }
  return 0;
}
