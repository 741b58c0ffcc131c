/*
** mksmb.c -- writes a small SMB2 capture for tests, packet by packet:
**
**   mksmb OUT.pcap [malformed]
**
** One TCP connection from 10.0.0.5 to 10.0.0.20 port 445: the handshake,
** NEGOTIATE (3.1.1), SESSION_SETUP with an NTLMSSP AUTHENTICATE for
** CORP\alice from workstation WS-ALICE, TREE_CONNECT \\FILESRV\C$, CREATE
** Windows\Temp\payload.exe (created), a 20000-byte WRITE spread over
** 1460-byte segments, CLOSE and the close of the connection.  With
** `malformed`, a message whose NextCommand points past its end, a CREATE
** whose name lies past the message and 64 bytes of garbage come before
** the CLOSE (the parser must resynchronise on it).
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pktw.h"
#include "smbw.h"

static FILE *out;
static uint32_t t_sec = 1700000000, t_usec;
static uint32_t seq_c = 1000, seq_s = 90000;

static void le32(uint32_t v) { uint8_t b[4]; smbw_l32(b, v); fwrite(b, 1, 4, out); }
static void le16(uint16_t v) { uint8_t b[2]; smbw_l16(b, v); fwrite(b, 1, 2, out); }

static void packet(int from_client, uint8_t flags, const uint8_t *data, size_t n) {
  uint8_t f[1600];
  uint32_t c = 0x0a000005u, s = 0x0a000014u;
  size_t len = from_client ? pktw_ipv4(f, c, s, 6, 49700, 445, seq_c, seq_s, flags, data, n)
                           : pktw_ipv4(f, s, c, 6, 445, 49700, seq_s, seq_c, flags, data, n);
  le32(t_sec); le32(t_usec); le32((uint32_t)len); le32((uint32_t)len);
  fwrite(f, 1, len, out);
  if (from_client) seq_c += (uint32_t)n + ((flags & 0x03) ? 1u : 0u);
  else seq_s += (uint32_t)n + ((flags & 0x03) ? 1u : 0u);
  t_usec += 2000;
  if (t_usec >= 1000000) { t_usec -= 1000000; t_sec++; }
}

/* Sends a stream chunk in segments of at most 1460 bytes. */
static void send_data(int from_client, const uint8_t *p, size_t n) {
  while (n) {
    size_t k = n < 1460 ? n : 1460;
    packet(from_client, 0x18, p, k);
    p += k; n -= k;
  }
}

int main(int argc, char **argv) {
  static uint8_t b[32768], blob[1024];
  static const uint8_t fid[16] = {0x41, 0, 0, 0, 0x02, 0,    0,    0,
                                  0x05, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  const uint64_t sess = 0x0000100000000041ull;
  size_t n, bl;
  int bad = argc == 3 && strcmp(argv[2], "malformed") == 0;
  if (argc != 2 && !bad) { fprintf(stderr, "usage: mksmb OUT.pcap [malformed]\n"); return 2; }
  if (!(out = fopen(argv[1], "wb"))) { perror(argv[1]); return 1; }
  le32(0xa1b2c3d4u); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(1);
  packet(1, 0x02, NULL, 0);                        /* SYN */
  packet(0, 0x12, NULL, 0);                        /* SYN-ACK */
  packet(1, 0x10, NULL, 0);
  n = smbw_negotiate_req(b, 0); send_data(1, b, n);
  n = smbw_negotiate_resp(b, 0, 0x0311); send_data(0, b, n);
  bl = smbw_ntlm_auth(blob, "CORP", "alice", "WS-ALICE");
  n = smbw_session_req(b, 1, sess, blob, bl); send_data(1, b, n);
  n = smbw_simple_resp(b, 1, 1, 0, sess, 0); send_data(0, b, n);
  n = smbw_tree_req(b, 2, sess, "\\\\FILESRV\\C$"); send_data(1, b, n);
  n = smbw_tree_resp(b, 2, 1, sess, 1); send_data(0, b, n);
  n = smbw_create_req(b, 3, 1, sess, "Windows\\Temp\\payload.exe", 5); send_data(1, b, n);
  n = smbw_create_resp(b, 3, 1, sess, fid, 2); send_data(0, b, n);
  n = smbw_write_req(b, 4, 1, sess, fid, 20000);
  memset(b + n, 'M', 20000);
  send_data(1, b, n + 20000);
  n = smbw_simple_resp(b, 9, 4, 1, sess, 0); send_data(0, b, n);
  if (bad) {
    n = smbw_tree_req(b, 5, sess, "\\\\FILESRV\\D$");
    smbw_l32(b + 4 + 20, 4000);                    /* NextCommand past the end */
    send_data(1, b, n);
    n = smbw_create_req(b, 6, 1, sess, "x.txt", 1);
    smbw_l16(b + 4 + 64 + 44, 0x7000);             /* name offset past the message */
    send_data(1, b, n);
    memset(b, 0xee, 64);
    send_data(1, b, 64);
  }
  n = smbw_close_req(b, 7, 1, sess, fid); send_data(1, b, n);
  n = smbw_simple_resp(b, 6, 7, 1, sess, 0); send_data(0, b, n);
  packet(1, 0x11, NULL, 0);                        /* FIN */
  packet(0, 0x11, NULL, 0);
  packet(1, 0x10, NULL, 0);
  return fclose(out) == 0 ? 0 : 1;
}
