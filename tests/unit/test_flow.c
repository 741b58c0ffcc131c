/*
** test_flow.c -- the flow table: direction, counters, TCP history, timeouts,
** the cap that bounds memory, and flows that cross capture files.
*/
#include <string.h>
#include "flow.h"
#include "t.h"

static tells_flow emitted[64];
static tells_flow_end why[64];
static int n_emitted;

static void on_emit(void *ud, const tells_flow *f, tells_flow_end w) {
  (void)ud;
  if (n_emitted < 64) { emitted[n_emitted] = *f; why[n_emitted] = w; }
  n_emitted++;
}

static tells_dec tcp(const char *src, const char *dst, uint16_t sp, uint16_t dp,
                     uint8_t flags, uint32_t payload) {
  tells_dec d;
  memset(&d, 0, sizeof d);
  d.l3 = TELLS_L3_IPV4; d.proto = 6;
  memcpy(d.src, src, 4); memcpy(d.dst, dst, 4);
  d.sport = sp; d.dport = dp; d.tcp_flags = flags; d.payload_len = payload;
  return d;
}

#define S 1000000000ll

static void test_handshake_direction_and_counts(void) {
  tells_flow_table *t;
  tells_dec d;
  tells_flow *f;
  int ts;
  n_emitted = 0;
  CHECK_EQ_INT(tells_flow_table_create(NULL, on_emit, NULL, &t), TELLS_OK);
  /* client 10.0.0.9:50000 -> server 10.0.0.1:445; the server sorts first */
  d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", 50000, 445, 0x02, 0);
  f = tells_flow_packet(t, &d, 60, 1 * S, &ts);
  CHECK(f && ts == 1);
  d = tcp("\x0a\x00\x00\x01", "\x0a\x00\x00\x09", 445, 50000, 0x12, 0);
  f = tells_flow_packet(t, &d, 60, 1 * S + 1000, &ts);
  CHECK(f && ts == 0);
  d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", 50000, 445, 0x18, 100);
  f = tells_flow_packet(t, &d, 160, 2 * S, &ts);
  CHECK(ts == 1);
  CHECK_EQ_INT(f->pkts_ts, 2); CHECK_EQ_INT(f->pkts_tc, 1);
  CHECK_EQ_INT(f->bytes_ts, 220); CHECK_EQ_INT(f->bytes_tc, 60);
  CHECK(f->history & TELLS_FH_SYN);
  CHECK(f->history & (TELLS_FH_SYNACK << 8));
  CHECK(f->history & TELLS_FH_DATA);
  CHECK_EQ_INT(tells_flow_live(t), 1);
  d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", 50000, 445, 0x04, 0);
  f = tells_flow_packet(t, &d, 60, 3 * S, &ts);
  CHECK(f->closed);
  tells_flow_flush(t);
  CHECK_EQ_INT(n_emitted, 1);
  CHECK_EQ_INT(why[0], TELLS_FLOW_SHUTDOWN);
  CHECK_EQ_INT(emitted[0].first_ns, 1 * S);
  CHECK_EQ_INT(emitted[0].last_ns, 3 * S);
  tells_flow_table_destroy(t);
}

static void test_synack_first_makes_receiver_client(void) {
  tells_flow_table *t;
  tells_dec d = tcp("\x0a\x00\x00\x01", "\x0a\x00\x00\x09", 80, 40000, 0x12, 0);
  tells_flow *f;
  int ts;
  n_emitted = 0;
  CHECK_EQ_INT(tells_flow_table_create(NULL, on_emit, NULL, &t), TELLS_OK);
  f = tells_flow_packet(t, &d, 60, S, &ts);
  CHECK(f && ts == 0);   /* the SYN-ACK travels to the client */
  tells_flow_table_destroy(t);
}

static void test_idle_timeout_splits_flows(void) {
  tells_flow_opts o = {0};
  tells_flow_table *t;
  tells_dec d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", 5000, 53, 0x18, 10);
  int ts;
  o.idle_ns = 60 * S;
  n_emitted = 0;
  CHECK_EQ_INT(tells_flow_table_create(&o, on_emit, NULL, &t), TELLS_OK);
  tells_flow_packet(t, &d, 100, 0, &ts);
  tells_flow_packet(t, &d, 100, 30 * S, &ts);
  tells_flow_packet(t, &d, 100, 200 * S, &ts);   /* 170 s later: a new flow */
  CHECK_EQ_INT(n_emitted, 1);
  CHECK_EQ_INT(why[0], TELLS_FLOW_TIMEOUT);
  CHECK_EQ_INT(emitted[0].pkts_ts, 2);
  tells_flow_flush(t);
  CHECK_EQ_INT(n_emitted, 2);
  CHECK_EQ_INT(emitted[1].pkts_ts, 1);
  CHECK(emitted[1].id != emitted[0].id);
  tells_flow_table_destroy(t);
}

static void test_cap_bounds_memory(void) {
  tells_flow_opts o = {0};
  tells_flow_table *t;
  int i, ts;
  o.max_flows = 8;
  n_emitted = 0;
  CHECK_EQ_INT(tells_flow_table_create(&o, on_emit, NULL, &t), TELLS_OK);
  for (i = 0; i < 100; i++) {
    tells_dec d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", (uint16_t)(1000 + i), 80, 0x02, 0);
    tells_flow_packet(t, &d, 60, (int64_t)i * 1000, &ts);
    CHECK(tells_flow_live(t) <= 8);
  }
  CHECK_EQ_INT(tells_flow_evicted(t), 92);
  CHECK_EQ_INT(why[0], TELLS_FLOW_CAP);
  CHECK_EQ_INT(emitted[0].key.pb == 1000 || emitted[0].key.pa == 1000, 1); /* oldest first */
  tells_flow_flush(t);
  CHECK_EQ_INT(n_emitted, 100);
  tells_flow_table_destroy(t);
}

static void test_non_ip_and_late_fragments_ignored(void) {
  tells_flow_table *t;
  tells_dec d;
  int ts;
  CHECK_EQ_INT(tells_flow_table_create(NULL, on_emit, NULL, &t), TELLS_OK);
  memset(&d, 0, sizeof d);
  d.l3 = TELLS_L3_ARP;
  CHECK(tells_flow_packet(t, &d, 60, S, &ts) == NULL);
  d = tcp("\x0a\x00\x00\x09", "\x0a\x00\x00\x01", 1, 2, 0, 0);
  d.flags = TELLS_DEC_FRAG | TELLS_DEC_FRAG_LATE;
  CHECK(tells_flow_packet(t, &d, 60, S, &ts) == NULL);
  CHECK_EQ_INT(tells_flow_live(t), 0);
  tells_flow_table_destroy(t);
}

static void test_ip_str(void) {
  char b[46];
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, v4[16] = {203, 0, 113, 80};
  tells_ip_str(TELLS_L3_IPV4, v4, b);
  CHECK_EQ_STR(b, "203.0.113.80");
  tells_ip_str(TELLS_L3_IPV6, v6, b);
  CHECK_EQ_STR(b, "2001:db8::1");
  {
    static const struct { uint8_t a[4]; const char *s; } v[] = {
      {{0, 0, 0, 0}, "0.0.0.0"}, {{255, 255, 255, 255}, "255.255.255.255"},
      {{10, 100, 9, 101}, "10.100.9.101"}, {{1, 20, 200, 99}, "1.20.200.99"}};
    size_t i;
    for (i = 0; i < sizeof v / sizeof *v; i++) {
      memcpy(v4, v[i].a, 4);
      tells_ip_str(TELLS_L3_IPV4, v4, b);
      CHECK_EQ_STR(b, v[i].s);
    }
  }
}

int main(void) {
  T_RUN(test_handshake_direction_and_counts);
  T_RUN(test_synack_first_makes_receiver_client);
  T_RUN(test_idle_timeout_splits_flows);
  T_RUN(test_cap_bounds_memory);
  T_RUN(test_non_ip_and_late_fragments_ignored);
  T_RUN(test_ip_str);
  T_END();
}
