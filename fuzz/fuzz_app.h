/*
** fuzz_app.h -- the driver shared by the fuzz_app_*.c targets: one parser
** of lib/net/app.c fed through the TCP reassembly or as datagrams.
**
** Input: a control byte, then chunks.  Each chunk starts with a byte whose
** low 6 bits + 1 give its length, bit 6 its direction (server to client)
** and bit 7 "send the next chunk of that direction first" (out of order),
** so the stream reassembly and buffering paths are exercised too.  A
** target defines FUZZ_APP_PROTO (6 or 17) and FUZZ_APP_PORT (the server
** port that selects its parser) before including this file.  Bits 1-2 of
** the control byte ask for HTTP header arrays (tells_app_opts.http_headers).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/net/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_ind(void *ud, const char *type, const char *value, const char *context) {
  (void)ud; (void)type; (void)value; (void)context;
}

static void on_rec(void *ud, const tells_flow *f, const tells_app_rec *r) {
  tells_buf b;
  tells_json j;
  tells_app_file file;
  (void)ud; (void)f;
  if (r->parser->indicators) r->parser->indicators(r->data, on_ind, NULL);
  (void)tells_app_http_file(r, &file);
  tells_buf_init(&b, 1 << 20);
  tells_json_init_buf(&j, &b, 0);
  tells_json_obj(&j);
  r->parser->eve(&j, r->data);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  tells_buf_free(&b);
}

static void pkt(tells_app_ctx *c, tells_flow *f, int to_server, uint32_t seq, uint32_t ack,
                const uint8_t *p, size_t n) {
  tells_dec d;
  int ts = to_server;
  memset(&d, 0, sizeof d);
  d.l3 = TELLS_L3_IPV4; d.proto = f->key.proto;
  d.sport = to_server ? f->key.pa : f->key.pb;
  d.dport = to_server ? f->key.pb : f->key.pa;
  d.payload = p; d.payload_len = (uint32_t)n;
  d.tcp_flags = 0x18; d.seq = seq; d.ack = ack;
  if (to_server) f->pkts_ts++; else f->pkts_tc++;
  tells_app_packet(c, f, &d, &ts, 0, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_app_ctx *c;
  tells_app_opts o;
  tells_flow f;
  tells_app_stats st;
  uint32_t seq[2] = {1000, 900000};
  size_t i = 1;
  if (size < 1 || size > 200000) return 0;
  memset(&o, 0, sizeof o);
  o.http_headers = (data[0] >> 1) & 3;
  if (tells_app_create(&o, on_rec, NULL, &c)) return 0;
  memset(&f, 0, sizeof f);
  f.key.proto = FUZZ_APP_PROTO;
  if (FUZZ_APP_PROTO == 17 && (data[0] & 1)) f.key.proto = 6;   /* DNS over TCP too */
  f.key.l3 = TELLS_L3_IPV4; f.key.pa = 40000; f.key.pb = FUZZ_APP_PORT; f.client_is_a = 1;
  while (i < size) {
    uint8_t h = data[i++];
    size_t n = (size_t)(h & 63) + 1, n2;
    int dir = (h >> 6) & 1;
    if (n > size - i) n = size - i;
    if ((h & 0x80) && i + n < size) {          /* the following chunk goes first */
      uint8_t h2 = data[i + n];
      n2 = (size_t)(h2 & 63) + 1;
      if (n2 > size - i - n - 1) n2 = size - i - n - 1;
      pkt(c, &f, !dir, seq[dir] + (uint32_t)n, seq[!dir], data + i + n + 1, n2);
      pkt(c, &f, !dir, seq[dir], seq[!dir], data + i, n);
      seq[dir] += (uint32_t)(n + n2);
      i += n + 1 + n2;
      continue;
    }
    pkt(c, &f, !dir, seq[dir], seq[!dir], data + i, n);
    seq[dir] += (uint32_t)n;
    i += n;
  }
  tells_app_flow_end(c, &f);
  tells_app_get_stats(c, &st);
  if (st.mem_used != 0 || st.reasm.used != 0) abort();   /* leak in the accounting */
  tells_app_destroy(c);
  return 0;
}
