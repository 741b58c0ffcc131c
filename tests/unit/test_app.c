/*
** test_app.c -- TCP reassembly (reasm.c), the application dispatcher and
** the DNS, HTTP, TLS and SSH parsers, on crafted segments and on real
** captures from the corpora.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "../../lib/net/app.h"
#include "../../lib/net/eve.h"
#include "../../lib/net/reasm.h"
#include "buf.h"
#include "t.h"
#include "tells.h"

/* ---- reassembly ---- */

typedef struct sink {
  char data[200000];
  size_t n;
  uint32_t gaps, gap_bytes, calls;
  int charge_none;          /* return 0: nothing counts toward the budget */
} sink;

static uint32_t on_bytes(void *ud, int dir, const uint8_t *p, uint32_t n, uint32_t gap) {
  sink *s = ud;
  (void)dir;
  s->calls++;
  if (gap) { s->gaps++; s->gap_bytes += gap; }
  if (s->n + n <= sizeof s->data) { memcpy(s->data + s->n, p, n); s->n += n; }
  return s->charge_none ? 0 : n;
}

static void seg(tells_reasm_pool *pl, tells_reasm *r, uint32_t seq, const char *d, sink *s) {
  tells_reasm_segment(pl, r, 0, seq, 0x10, (const uint8_t *)d, (uint32_t)strlen(d), on_bytes, s);
}

static void test_reasm_in_order_and_syn(void) {
  static sink s;
  tells_reasm_pool pl;
  tells_reasm r;
  memset(&s, 0, sizeof s); memset(&pl, 0, sizeof pl); memset(&r, 0, sizeof r);
  tells_reasm_segment(&pl, &r, 0, 1000, 0x02, NULL, 0, on_bytes, &s);    /* SYN */
  seg(&pl, &r, 1001, "GET / ", &s);
  seg(&pl, &r, 1007, "HTTP/1.1\r\n", &s);
  CHECK_EQ_INT(s.n, 16);
  CHECK(memcmp(s.data, "GET / HTTP/1.1\r\n", 16) == 0);
  CHECK_EQ_INT(s.gaps, 0);
  tells_reasm_free(&pl, &r);
  CHECK_EQ_INT(pl.used, 0);
}

static void test_reasm_out_of_order(void) {
  static sink s;
  tells_reasm_pool pl;
  tells_reasm r;
  memset(&s, 0, sizeof s); memset(&pl, 0, sizeof pl); memset(&r, 0, sizeof r);
  tells_reasm_segment(&pl, &r, 0, 0xfffffff0u, 0x02, NULL, 0, on_bytes, &s);  /* wraps */
  seg(&pl, &r, 0xfffffff1u + 8, "89ab", &s);   /* third */
  seg(&pl, &r, 0xfffffff1u + 4, "4567", &s);   /* second */
  CHECK_EQ_INT(s.n, 0);
  CHECK_EQ_INT(pl.used, 8);
  seg(&pl, &r, 0xfffffff1u, "0123", &s);       /* first: all three flow */
  CHECK_EQ_INT(s.n, 12);
  CHECK(memcmp(s.data, "0123456789ab", 12) == 0);
  CHECK_EQ_INT(pl.used, 0);
  tells_reasm_free(&pl, &r);
}

static void test_reasm_overlap_first_wins(void) {
  static sink s;
  tells_reasm_pool pl;
  tells_reasm r;
  memset(&s, 0, sizeof s); memset(&pl, 0, sizeof pl); memset(&r, 0, sizeof r);
  tells_reasm_segment(&pl, &r, 0, 99, 0x02, NULL, 0, on_bytes, &s);
  seg(&pl, &r, 100, "AAAA", &s);
  seg(&pl, &r, 100, "XXXXBB", &s);             /* retransmission + 2 new bytes */
  seg(&pl, &r, 110, "CCCC", &s);               /* held */
  seg(&pl, &r, 108, "YYYYYYDD", &s);           /* overlaps the held one: held wins */
  seg(&pl, &r, 106, "ZZ", &s);
  seg(&pl, &r, 100, "QQQQ", &s);               /* an old retransmission: dropped */
  CHECK_EQ_INT(s.n, 16);
  CHECK(memcmp(s.data, "AAAABBZZYYCCCCDD", 16) == 0);
  CHECK(pl.dropped_dup >= 1);
  tells_reasm_free(&pl, &r);
  CHECK_EQ_INT(pl.used, 0);
}

static void test_reasm_gap(void) {
  static sink s;
  tells_reasm_pool pl;
  tells_reasm r;
  char d[8];
  int i;
  memset(&s, 0, sizeof s); memset(&pl, 0, sizeof pl); memset(&r, 0, sizeof r);
  seg(&pl, &r, 0, "ab", &s);                   /* mid-stream: ISN from here */
  /* bytes 2..9 never come; more than TELLS_REASM_MAX_HELD later segments */
  for (i = 0; i < TELLS_REASM_MAX_HELD + 1; i++) {
    snprintf(d, sizeof d, "%c", 'A' + i);
    seg(&pl, &r, (uint32_t)(10 + i), d, &s);
  }
  CHECK_EQ_INT(s.gaps, 1);
  CHECK_EQ_INT(s.gap_bytes, 8);
  CHECK_EQ_INT(s.n, 2 + TELLS_REASM_MAX_HELD + 1);
  CHECK(memcmp(s.data, "abABCDEFGHIJKLMNOPQ", s.n) == 0);
  /* a hole at the end of the flow: flush reports it */
  seg(&pl, &r, 100, "zz", &s);
  CHECK_EQ_INT(s.gaps, 1);
  tells_reasm_flush(&pl, &r, on_bytes, &s);
  CHECK_EQ_INT(s.gaps, 2);
  CHECK(memcmp(s.data + s.n - 2, "zz", 2) == 0);
  tells_reasm_free(&pl, &r);
  CHECK_EQ_INT(pl.used, 0);
}

static void test_reasm_budget(void) {
  static sink s;
  static char big[1461];
  tells_reasm_pool pl;
  tells_reasm r;
  uint32_t seq = 1;
  int i;
  memset(&s, 0, sizeof s); memset(&pl, 0, sizeof pl); memset(&r, 0, sizeof r);
  memset(big, 'x', 1460);
  for (i = 0; i < 100; i++, seq += 1460) seg(&pl, &r, seq, big, &s);
  CHECK(s.n >= TELLS_REASM_BUDGET && s.n < TELLS_REASM_BUDGET + 1460);
  CHECK_EQ_INT(r.d[0].state, TELLS_REASM_DONE);
  /* bytes the parser skips are not charged */
  memset(&s, 0, sizeof s); memset(&r, 0, sizeof r);
  s.charge_none = 1;
  for (i = 0, seq = 1; i < 100; i++, seq += 1460) seg(&pl, &r, seq, big, &s);
  CHECK_EQ_INT(s.n, 146000);
  /* the pool cap stops holding */
  memset(&s, 0, sizeof s); memset(&r, 0, sizeof r);
  pl.cap = 3000;
  seg(&pl, &r, 1, "a", &s);
  seg(&pl, &r, 3, big, &s);
  seg(&pl, &r, 3000, big, &s);
  seg(&pl, &r, 6000, big, &s);                 /* over the pool: hole given up */
  CHECK(pl.used <= 3000);
  CHECK(s.gaps >= 1);
  tells_reasm_free(&pl, &r);
  CHECK_EQ_INT(pl.used, 0);
}

/* ---- dispatcher + parsers on crafted packets ---- */

typedef struct out {
  tells_buf b;
  tells_json j;
  int n;
  char ind[1024];   /* the records' indicators, "type=value;" */
} out;

static void on_ind(void *ud, const char *type, const char *value, const char *ctx) {
  out *o = ud;
  size_t l = strlen(o->ind);
  (void)ctx;
  snprintf(o->ind + l, sizeof o->ind - l, "%s=%s;", type, value);
}

static void on_rec(void *ud, const tells_flow *f, const tells_app_rec *r) {
  out *o = ud;
  (void)f;
  tells_json_obj(&o->j);
  tells_json_kstr(&o->j, "event_type", r->event_type);
  r->parser->eve(&o->j, r->data);
  tells_json_obj_end(&o->j);
  tells_json_nl(&o->j);
  tells_json_flush(&o->j);
  if (r->parser->indicators) r->parser->indicators(r->data, on_ind, o);
  o->n++;
}

typedef struct rig {
  tells_app_ctx *c;
  tells_flow f;
  out o;
  uint32_t seq[2];
} rig;

static void rig_init(rig *g, uint8_t proto, uint16_t sport, uint16_t dport) {
  memset(g, 0, sizeof *g);
  tells_buf_init(&g->o.b, 1 << 20);
  tells_json_init_buf(&g->o.j, &g->o.b, 0);
  CHECK(tells_app_create(NULL, on_rec, &g->o, &g->c) == TELLS_OK);
  g->f.key.proto = proto; g->f.key.l3 = TELLS_L3_IPV4;
  g->f.key.pa = sport; g->f.key.pb = dport; g->f.client_is_a = 1;
  g->seq[0] = 1000; g->seq[1] = 5000;
}

static void rig_pkt(rig *g, int to_server, const void *p, size_t n) {
  tells_dec d;
  int ts = to_server;
  memset(&d, 0, sizeof d);
  d.l3 = TELLS_L3_IPV4; d.proto = g->f.key.proto;
  d.sport = to_server ? g->f.key.pa : g->f.key.pb;
  d.dport = to_server ? g->f.key.pb : g->f.key.pa;
  d.payload = p; d.payload_len = (uint32_t)n;
  d.tcp_flags = 0x18;
  d.seq = g->seq[to_server ? 0 : 1];
  d.ack = g->seq[to_server ? 1 : 0];
  g->seq[to_server ? 0 : 1] += (uint32_t)n;
  if (to_server) g->f.pkts_ts++; else g->f.pkts_tc++;
  tells_app_packet(g->c, &g->f, &d, &ts, 1000000000ll, 0);
}

static const char *rig_end(rig *g) {
  tells_app_stats st;
  tells_app_flow_end(g->c, &g->f);
  tells_app_get_stats(g->c, &st);
  CHECK_EQ_INT(st.mem_used, 0);
  CHECK_EQ_INT(st.reasm.used, 0);
  tells_app_destroy(g->c);
  return tells_buf_str(&g->o.b);
}

static void test_dns_udp_compression(void) {
  static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                              3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                              0, 1, 0, 1};
  static const uint8_t a[] = {0x12, 0x34, 0x81, 0x83, 0, 1, 0, 3, 0, 0, 0, 0,
    3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
    /* CNAME www.example.com -> web.example.com (compressed) */
    0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'e', 'b', 0xc0, 16,
    /* A web.example.com 192.0.2.7 */
    0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
    /* TXT with a self-pointing name: rejected, parsing stops there */
    0xc0, 73, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 1, 'x'};
  rig g;
  const char *s;
  rig_init(&g, 17, 40000, 53);
  rig_pkt(&g, 1, q, sizeof q);
  rig_pkt(&g, 0, a, sizeof a);
  CHECK_EQ_STR(g.f.app_proto, "dns");
  s = rig_end(&g);
  CHECK(strstr(s, "\"type\":\"query\",\"id\":4660,\"rrname\":\"www.example.com\",\"rrtype\":\"A\"") != NULL);
  CHECK(strstr(s, "\"rcode\":\"NXDOMAIN\"") != NULL);
  CHECK(strstr(s, "{\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"ttl\":60,\"rdata\":\"web.example.com\"}") != NULL);
  CHECK(strstr(s, "\"rdata\":\"192.0.2.7\"") != NULL);
  CHECK(strstr(s, "\"grouped\":{\"CNAME\":[\"web.example.com\"],\"A\":[\"192.0.2.7\"]}") != NULL);
  CHECK(strstr(s, "TXT") == NULL);
  tells_buf_free(&g.o.b);
}

static void test_dns_reversed_and_tcp(void) {
  static const uint8_t a[] = {0, 36, 0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
    1, 'a', 0, 0, 15, 0, 1,
    0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 9, 0, 5, 0, 10, 1, 'm', 0};
  rig g;
  const char *s;
  size_t i;
  /* TCP DNS: the response arrives one byte per segment, length prefix first */
  rig_init(&g, 6, 40001, 53);
  rig_pkt(&g, 0, a, 2);
  for (i = 2; i < sizeof a; i++) rig_pkt(&g, 0, a + i, 1);
  s = rig_end(&g);
  CHECK(strstr(s, "\"type\":\"answer\"") != NULL);
  CHECK(strstr(s, "\"rrtype\":\"MX\",\"ttl\":9,\"rdata\":\"m\"") != NULL);
  if (t_case_failed) fprintf(stderr, "%s\n", s);
  tells_buf_free(&g.o.b);
  /* UDP: a lone response first makes its receiver the client */
  rig_init(&g, 17, 53, 40002);
  rig_pkt(&g, 1, a + 2, sizeof a - 2);
  CHECK_EQ_INT(g.f.client_is_a, 0);
  CHECK_EQ_INT(g.f.pkts_tc, 1);
  rig_end(&g);
  tells_buf_free(&g.o.b);
}

static void test_http_pipelined_split(void) {
  static const char req[] =
    "GET /a HTTP/1.1\r\nHost: www.example.com:8080\r\nUser-Agent: ua/1\r\n\r\n"
    "POST /b?x=1 HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 5\r\nReferer: http://r/\r\n\r\nhello"
    "HEAD /c HTTP/1.0\r\nHost: h\r\n\r\n";
  static const char resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 10\r\n\r\n0123456789"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 302 Found\r\nLocation: /x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
    "HTTP/1.0 200 OK\r\nContent-Length: 999\r\n\r\n";
  rig g;
  const char *s;
  size_t i, step = 7;
  rig_init(&g, 6, 40003, 80);
  for (i = 0; i < sizeof req - 1; i += step) rig_pkt(&g, 1, req + i, i + step < sizeof req - 1 ? step : sizeof req - 1 - i);
  for (i = 0; i < sizeof resp - 1; i += 3) rig_pkt(&g, 0, resp + i, i + 3 < sizeof resp - 1 ? 3 : sizeof resp - 1 - i);
  CHECK_EQ_STR(g.f.app_proto, "http");
  s = rig_end(&g);
  /* three transactions and three bodies (fileinfo): the upload and the two
  ** responses (the chunked one de-chunked); the answer to HEAD has none */
  CHECK_EQ_INT(g.o.n, 6);
  CHECK(strstr(s, "\"url\":\"/b?x=1\",\"http_refer\":\"http://r/\",\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\",\"length\":0},\"fileinfo\":{\"filename\":\"/b\",\"gaps\":false,\"state\":\"CLOSED\",\"sha256\":\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\",\"stored\":false,\"size\":5,\"tx_id\":1}") != NULL);
  CHECK(strstr(s, "\"sha256\":\"84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882\",\"stored\":false,\"size\":10,\"tx_id\":0}") != NULL);
  CHECK(strstr(s, "\"sha256\":\"7d1a54127b222502f5b79b5fb0803061152a44f92b37e23c6527baf665d4da9a\",\"stored\":false,\"size\":7,\"tx_id\":1}") != NULL);
  CHECK(strstr(s, "\"tx_id\":2}") == NULL);
  CHECK(strstr(s, "\"hostname\":\"www.example.com\",\"http_port\":8080,\"url\":\"/a\",\"http_user_agent\":\"ua/1\",\"http_content_type\":\"text/html\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":10") != NULL);
  CHECK(strstr(s, "\"url\":\"/b?x=1\",\"http_refer\":\"http://r/\",\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\",\"status\":302,\"redirect\":\"/x\",\"length\":7") != NULL);
  CHECK(strstr(s, "\"url\":\"/c\",\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.0\",\"status\":200,\"length\":0") != NULL);
  tells_buf_free(&g.o.b);
}

static void test_ssh_banners(void) {
  static const char c[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\0\0\0\x14";
  static const char sv[] = "SSH-2.0-dropbear_2022.83\r\n";
  rig g;
  const char *s;
  rig_init(&g, 6, 40004, 2222);
  rig_pkt(&g, 0, sv, 4);
  rig_pkt(&g, 0, sv + 4, sizeof sv - 5);
  rig_pkt(&g, 1, c, sizeof c - 1);
  s = rig_end(&g);
  CHECK(strstr(s, "\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.2p1\"},\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"dropbear_2022.83\"}}") != NULL);
  tells_buf_free(&g.o.b);
}

static void test_unknown_and_garbage(void) {
  static const uint8_t junk[] = {0x16, 3, 1, 0xff, 0xff, 1, 0, 0};
  rig g;
  rig_init(&g, 6, 40005, 443);
  rig_pkt(&g, 1, "\x01\x02garbage", 9);
  CHECK_EQ_STR(g.f.app_proto, "");
  rig_end(&g);
  tells_buf_free(&g.o.b);
  /* a TLS record longer than allowed stops the parser without a record */
  rig_init(&g, 6, 40006, 443);
  rig_pkt(&g, 1, junk, sizeof junk);
  CHECK_EQ_STR(g.f.app_proto, "tls");
  CHECK_EQ_INT(g.o.n, 0);
  rig_end(&g);
  tells_buf_free(&g.o.b);
}

/* ---- JA3 / JA4 ---- */

static void test_ja4_published_example(void) {
  /* FoxIO JA4.md: the example's ciphers and extensions (GREASE-free) */
  uint16_t cs[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                   0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  uint16_t ext[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                    0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
  uint16_t sig[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
  char b[13], c[13];
  tells_app_tls_ja4_hashes(cs, 15, ext, 16, sig, 8, b, c);
  CHECK_EQ_STR(b, "8daaf6152771");
  CHECK_EQ_STR(c, "e5627efa2ab1");
  tells_app_tls_ja4_hashes(cs, 15, ext, 16, sig, 0, b, c);   /* no signature algorithms */
  CHECK_EQ_STR(c, "6d807ffa2a79");
  tells_app_tls_ja4_hashes(cs, 0, ext, 0, sig, 0, b, c);
  CHECK_EQ_STR(b, "000000000000");
  CHECK_EQ_STR(c, "000000000000");
}

static void test_ja3_grease(void) {
  uint16_t cs[] = {0x0a0a, 4865, 4866}, ext[] = {0x1a1a, 0, 10}, gr[] = {0x2a2a, 29, 23};
  uint8_t pf[] = {0};
  char s[200];
  tells_app_tls_ja3(cs, 3, ext, 3, gr, 3, pf, 1, 771, s, sizeof s);
  CHECK_EQ_STR(s, "771,4865-4866,0-10,29-23,0");
  tells_app_tls_ja3(cs, 0, ext, 0, gr, 0, pf, 0, 769, s, sizeof s);
  CHECK_EQ_STR(s, "769,,,,");
}

/* ---- real captures (suricata-verify expected values) ---- */

static char *run_capture_opts(const char *rel, const tells_net_opts *o);
static char *run_capture(const char *rel) { return run_capture_opts(rel, NULL); }
static char *run_capture_opts(const char *rel, const tells_net_opts *o) {
  static char buf[1 << 20];
  char path[1024];
  const char *paths[1];
  FILE *f = tmpfile();
  size_t n;
  if (!f) return NULL;
  snprintf(path, sizeof path, "%s/pcap/%s", t_corpora(), rel);
  paths[0] = path;
  {
    FILE *probe = fopen(path, "rb");
    if (!probe) { fclose(f); return NULL; }
    fclose(probe);
  }
  if (tells_net_eve(paths, 1, o, f, NULL) != TELLS_OK) { fclose(f); return NULL; }
  rewind(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void test_real_tls_ja3_ja4(void) {
  const char *s = run_capture("suricata-verify/ja4-tls/input.pcap");
  if (!s) T_SKIP("corpora not found");
  CHECK(strstr(s, "\"ja4\":\"t12i1810s1_27d4652c4487_06a4338d0495\"") != NULL);
  s = run_capture("suricata-verify/tls/tls13-draft22/tls13_draft22.pcap");
  CHECK(s && strstr(s, "\"version\":\"TLS 1.3 draft-22\"") != NULL);
  CHECK(s && strstr(s, "\"hash\":\"786468211b4d23f9b725987b0de9d090\",\"string\":\"771,4865-4867,0-43-13-10-40,23,\"") != NULL);
  s = run_capture("suricata-verify/tls/tls-ja3s/input.pcap");
  CHECK(s && strstr(s, "\"ja3s\":{\"hash\":\"5d79edf64e03689ff559a54e9d9487bc\",\"string\":\"771,49199,65281-0-11-16-23\"}") != NULL);
  s = run_capture("suricata-verify/bug-2646-01/input.pcap");
  CHECK(s && strstr(s, "\"subject\":\"C=US, ST=California, L=San Francisco, O=GitHub, Inc., CN=www.github.com\"") != NULL);
  CHECK(s && strstr(s, "\"serial\":\"08:3A:84:59:2F:77:F2:E7:95:1B:F8:87:CE:DE:C9:66\"") != NULL);
  CHECK(s && strstr(s, "\"sni\":\"raw.githubusercontent.com\"") != NULL);
  s = run_capture("suricata-verify/tls/tls-eve-custom-fields/tls-client-auth.pcap");
  CHECK(s && strstr(s, "\"serial\":\"00:C7:D4:28:8B:80:E0:1E:25\"") != NULL);
  CHECK(s && strstr(s, "\"issuerdn\":\"C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleCA, CN=SampleRoot\"") != NULL);
}

static void test_real_dns_http(void) {
  const char *s = run_capture("suricata-verify/dns/dns-udp-eve-dig/input.pcap");
  if (!s) T_SKIP("corpora not found");
  CHECK(strstr(s, "\"grouped\":{\"CNAME\":[\"suricata-ids.org\"],\"A\":[\"192.0.78.24\",\"192.0.78.25\"]}") != NULL);
  CHECK(strstr(s, "\"flags\":\"81a0\"") != NULL);
  s = run_capture("suricata-verify/dns-reversed-udp-1/input.pcap");
  if (s) {
    CHECK(strstr(s, "\"event_type\":\"dns\",\"src_ip\":\"10.16.1.11\"") != NULL);
    CHECK(strstr(s, "\"event_type\":\"flow\",\"src_ip\":\"10.16.1.11\",") != NULL);
  }
  s = run_capture("suricata-verify/http-ipv6/input.pcap");
  CHECK(s && strstr(s, "\"hostname\":\"[::1]\"") != NULL);
  /* a hole in a response body, and a body 2 bytes longer than announced:
  ** the next responses are still matched to their requests */
  s = run_capture("suricata-verify/http-gap-simple/input.pcap");
  CHECK(s && strstr(s, "\"url\":\"/2\",\"http_user_agent\":\"Mozilla\",\"http_content_type\":\"text/html\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.0\",\"status\":200") != NULL);
  CHECK(s && strstr(s, "\"url\":\"/3\",\"http_user_agent\":\"Mozilla\",\"http_content_type\":\"text/html\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.0\",\"status\":200") != NULL);
  s = run_capture("suricata-verify/tls/tls13-draft14/tls13_draft14.pcap");
  CHECK(s && strstr(s, "\"version\":\"TLS 1.3 draft-<16\"") != NULL);
}

static void test_real_dns_v3(void) {
  tells_net_opts o;
  const char *s;
  memset(&o, 0, sizeof o);
  o.dns_version = 3;
  o.no_geoip = 1;
  s = run_capture_opts("suricata-verify/dns/dns-udp-eve-dig/input.pcap", &o);
  if (!s) T_SKIP("corpora not found");
  /* suricata-verify dns-udp-eve-dig (Suricata 8): the response from the server's side */
  CHECK(strstr(s, "\"src_ip\":\"10.16.1.11\",\"src_port\":41805,\"dest_ip\":\"10.16.1.1\",\"dest_port\":53,\"proto\":\"UDP\",\"app_proto\":\"dns\",\"pcap_cnt\":1,\"pkt_src\":\"wire/pcap\",\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":36146") != NULL);
  CHECK(strstr(s, "\"queries\":[{\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"A\"}]") != NULL);
  /* the response is its own transaction (tx_id 1), written by packet 2 */
  CHECK(strstr(s, "\"src_ip\":\"10.16.1.1\",\"src_port\":53,\"dest_ip\":\"10.16.1.11\",\"dest_port\":41805,\"proto\":\"UDP\",\"app_proto\":\"dns\",\"pcap_cnt\":2,\"pkt_src\":\"wire/pcap\",\"dns\":{\"version\":3,\"type\":\"response\",\"tx_id\":1") != NULL);
  CHECK(strstr(s, "\"flags\":\"81a0\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,\"rcode\":\"NOERROR\"") != NULL);
}

/* Suricata's forms: uncompressed IPv6, one answer per TXT string, rdata that
** is not UTF-8 with \xNN for bytes from 0x80 (suricata-verify dns-udp-null,
** bug-1158). */
static void test_dns_suricata_forms(void) {
  static const uint8_t ip[16] = {0x20, 0x01, 0x48, 0x60, 0, 0, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x68};
  char a[46];
  tells_net_opts o;
  const char *s;
  tells_eve_ip6(ip, a);
  CHECK(strcmp(a, "2001:4860:0000:2001:0000:0000:0000:0068") == 0);
  memset(&o, 0, sizeof o);
  o.no_geoip = 1;
  s = run_capture_opts("suricata-verify/dns/v2/dns-udp-null/input.pcap", &o);
  if (!s) T_SKIP("corpora not found");
  CHECK(strstr(s, "\"rdata\":\"VACKD\\u0003\\\\xc5\\\\xe9\\u0001") != NULL);
  o.dns_version = 3;
  s = run_capture_opts("suricata-verify/dns/bug-1158/input.pcap", &o);
  CHECK(s && strstr(s, "\"answers\":[{\"rrname\":\"AAAAAO1kQA.=auth.srv.tunnel.com\",\"rrtype\":\"TXT\",\"ttl\":3,\"rdata\":\"AhvMAAO1kAFE5TE9QTjFFN09RN1lYSDk\"},{\"rrname\":\"AAAAAO1kQA.=auth.srv.tunnel.com\",\"rrtype\":\"TXT\",\"ttl\":3,\"rdata\":\"\"}") != NULL);
}

/* The HTTP host as an indicator: an IP literal (bracketed IPv6 too) is an
** address, not a domain; URLs only for the origin and absolute forms, never
** for CONNECT's authority form. */
static void test_http_indicators(void) {
  static const char req[] =
    "GET /x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"
    "GET /y HTTP/1.1\r\nHost: 10.1.2.3\r\n\r\n"
    "GET http://a.example/z HTTP/1.1\r\nHost: a.example\r\n\r\n"
    "CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n";
  rig g;
  rig_init(&g, 6, 40004, 80);
  rig_pkt(&g, 1, req, sizeof req - 1);
  rig_end(&g);
  CHECK_EQ_STR(g.o.ind, "ip=::1;url=http://[::1]:8080/x;ip=10.1.2.3;url=http://10.1.2.3/y;"
                        "domain=a.example;url=http://a.example/z;domain=b.example;");
  tells_buf_free(&g.o.b);
}

int main(void) {
  T_RUN(test_reasm_in_order_and_syn);
  T_RUN(test_reasm_out_of_order);
  T_RUN(test_reasm_overlap_first_wins);
  T_RUN(test_reasm_gap);
  T_RUN(test_reasm_budget);
  T_RUN(test_dns_udp_compression);
  T_RUN(test_dns_reversed_and_tcp);
  T_RUN(test_http_pipelined_split);
  T_RUN(test_http_indicators);
  T_RUN(test_ssh_banners);
  T_RUN(test_unknown_and_garbage);
  T_RUN(test_ja4_published_example);
  T_RUN(test_ja3_grease);
  T_RUN(test_real_tls_ja3_ja4);
  T_RUN(test_real_dns_http);
  T_RUN(test_real_dns_v3);
  T_RUN(test_dns_suricata_forms);
  T_END();
}
