/*
** mkpcap.c -- writes small, valid packet captures for tests and the demo.
**
**   mkpcap OUT.pcap http-download FILE [START_EPOCH [CLIENT SERVER HOST]]
**
** Writes a classic pcap (microsecond, little-endian, Ethernet) of one TCP
** connection from 10.1.2.3 (or CLIENT) to 203.0.113.80 (or SERVER) port 80,
** Host update.example-cdn.test (or HOST): the handshake, a GET, the
** HTTP/1.1 response carrying FILE's bytes in 1460-byte segments, and the
** close.  Checksums are correct, so any reader (tshark, tells) accepts it.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktw.h"

static FILE *out;
static uint32_t t_sec, t_usec;

static void le32(uint32_t v) { uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)}; fwrite(b, 1, 4, out); }
static void le16(uint16_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; fwrite(b, 1, 2, out); }

static void packet(const uint8_t src[4], const uint8_t dst[4], uint16_t sp, uint16_t dp,
                   uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *data, size_t n) {
  uint8_t f[1600];
  size_t len = pktw_ipv4(f, (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3],
                         (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 | (uint32_t)dst[2] << 8 | dst[3],
                         6, sp, dp, seq, ack, flags, data, n);
  le32(t_sec); le32(t_usec); le32((uint32_t)len); le32((uint32_t)len);
  fwrite(f, 1, len, out);
  t_usec += 1500;
  if (t_usec >= 1000000) { t_usec -= 1000000; t_sec++; }
}

int main(int argc, char **argv) {
  uint8_t cli[4] = {10, 1, 2, 3}, srv[4] = {203, 0, 113, 80};
  const char *host = "update.example-cdn.test";
  uint8_t *body;
  long n;
  FILE *in;
  char hdr[512];
  uint32_t cs = 1000, ss = 5000;
  size_t off;
  const char *name;
  if ((argc != 4 && argc != 5 && argc != 8) || strcmp(argv[2], "http-download") != 0) {
    fprintf(stderr, "usage: mkpcap OUT.pcap http-download FILE [START_EPOCH [CLIENT SERVER HOST]]\n");
    return 2;
  }
  if (argc == 8) {
    unsigned a[8];
    char x;
    if (sscanf(argv[5], "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &x) != 4 ||
        sscanf(argv[6], "%u.%u.%u.%u%c", &a[4], &a[5], &a[6], &a[7], &x) != 4 ||
        strlen(argv[7]) > 200) {
      fprintf(stderr, "mkpcap: bad CLIENT, SERVER or HOST\n");
      return 2;
    }
    for (n = 0; n < 8; n++) {
      if (a[n] > 255) { fprintf(stderr, "mkpcap: bad address\n"); return 2; }
      if (n < 4) cli[n] = (uint8_t)a[n]; else srv[n - 4] = (uint8_t)a[n];
    }
    host = argv[7];
  }
  in = fopen(argv[3], "rb");
  if (!in) { perror(argv[3]); return 1; }
  fseek(in, 0, SEEK_END); n = ftell(in); fseek(in, 0, SEEK_SET);
  body = malloc((size_t)n + 1);
  if (!body || fread(body, 1, (size_t)n, in) != (size_t)n) { fprintf(stderr, "read failed\n"); return 1; }
  fclose(in);
  t_sec = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 1416819600u; /* 2014-11-24 09:00 UTC */
  out = fopen(argv[1], "wb");
  if (!out) { perror(argv[1]); return 1; }
  le32(0xa1b2c3d4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1);
  name = strrchr(argv[3], '/'); name = name ? name + 1 : argv[3];
  packet(cli, srv, 49152, 80, cs, 0, 0x02, NULL, 0);
  packet(srv, cli, 80, 49152, ss, cs + 1, 0x12, NULL, 0);
  cs++; ss++;
  packet(cli, srv, 49152, 80, cs, ss, 0x10, NULL, 0);
  snprintf(hdr, sizeof hdr, "GET /%s HTTP/1.1\r\nHost: %s\r\n"
           "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0)\r\nAccept: */*\r\n\r\n", name, host);
  packet(cli, srv, 49152, 80, cs, ss, 0x18, (const uint8_t *)hdr, strlen(hdr));
  cs += (uint32_t)strlen(hdr);
  snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
           "Content-Length: %ld\r\n\r\n", n);
  packet(srv, cli, 80, 49152, ss, cs, 0x18, (const uint8_t *)hdr, strlen(hdr));
  ss += (uint32_t)strlen(hdr);
  for (off = 0; off < (size_t)n; off += 1460) {
    size_t k = (size_t)n - off < 1460 ? (size_t)n - off : 1460;
    packet(srv, cli, 80, 49152, ss, cs, 0x18, body + off, k);
    ss += (uint32_t)k;
    if ((off / 1460) % 2 == 1) packet(cli, srv, 49152, 80, cs, ss, 0x10, NULL, 0);
  }
  packet(srv, cli, 80, 49152, ss, cs, 0x11, NULL, 0);
  packet(cli, srv, 49152, 80, cs, ss + 1, 0x11, NULL, 0);
  packet(srv, cli, 80, 49152, ss + 1, cs + 1, 0x10, NULL, 0);
  free(body);
  return fclose(out) == 0 ? 0 : 1;
}
