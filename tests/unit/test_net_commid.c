/*
** test_net_commid.c -- Community ID v1 (lib/net/commid.c) against the
** reference values published with the specification (corelight/
** community-id-spec, baseline/baseline_deflt.json, seed 0; ICMP entries are
** given there with type and reply type or code already mapped to ports), and
** ICMP mapping from a flow: an echo request and its reply hash alike.
*/
#include <arpa/inet.h>
#include <string.h>
#include "eve.h"
#include "t.h"

static void addr(const char *s, uint8_t *l3, uint8_t out[16]) {
  memset(out, 0, 16);
  if (strchr(s, ':')) { *l3 = TELLS_L3_IPV6; inet_pton(AF_INET6, s, out); }
  else { *l3 = TELLS_L3_IPV4; inet_pton(AF_INET, s, out); }
}

static const char *cid(uint8_t proto, const char *sa, const char *da, uint16_t sp, uint16_t dp,
                       uint16_t seed) {
  static char out[TELLS_COMMID_LEN];
  uint8_t a[16], b[16], l3;
  addr(sa, &l3, a);
  addr(da, &l3, b);
  tells_commid(l3, proto, a, sp, b, dp, seed, out);
  return out;
}

static void test_baseline(void) {
  /* TCP, UDP, SCTP both ways */
  CHECK_EQ_STR(cid(6, "128.232.110.120", "66.35.250.204", 34855, 80, 0), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK_EQ_STR(cid(6, "66.35.250.204", "128.232.110.120", 80, 34855, 0), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK_EQ_STR(cid(17, "192.168.1.52", "8.8.8.8", 54585, 53, 0), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK_EQ_STR(cid(132, "192.168.170.56", "192.168.170.8", 7, 7, 0), "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
  CHECK_EQ_STR(cid(6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 0),
               "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  /* ICMP and ICMPv6 with mapped ports */
  CHECK_EQ_STR(cid(1, "192.168.0.89", "192.168.0.1", 8, 0, 0), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK_EQ_STR(cid(1, "10.0.0.1", "10.0.0.2", 11, 0, 0), "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
  CHECK_EQ_STR(cid(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, 0),
               "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
  CHECK_EQ_STR(cid(58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, 0),
               "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
  /* a protocol without ports */
  CHECK_EQ_STR(cid(46, "10.1.12.1", "10.1.12.2", 0, 0, 0), "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
  CHECK_EQ_STR(cid(46, "10.1.12.2", "10.1.12.1", 0, 0, 0), "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
}

/* A flow key as flow.c builds it for ICMP: type << 8 | code of the first
** packet in the port of its sender, the other port 0. */
static void icmp_flow(tells_flow *f, const char *src, const char *dst, uint8_t type, uint8_t code) {
  uint8_t a[16], b[16], l3;
  memset(f, 0, sizeof *f);
  addr(src, &l3, a);
  addr(dst, &l3, b);
  f->key.l3 = l3;
  f->key.proto = 1;
  if (memcmp(a, b, 16) <= 0) {
    memcpy(f->key.a, a, 16); memcpy(f->key.b, b, 16);
    f->key.pa = (uint16_t)(type << 8 | code); f->client_is_a = 1;
  } else {
    memcpy(f->key.a, b, 16); memcpy(f->key.b, a, 16);
    f->key.pb = (uint16_t)(type << 8 | code); f->client_is_a = 0;
  }
}

static void test_flow_icmp(void) {
  tells_flow f;
  char x[TELLS_COMMID_LEN], y[TELLS_COMMID_LEN];
  icmp_flow(&f, "192.168.0.89", "192.168.0.1", 8, 0);    /* echo request */
  tells_commid_flow(&f, 0, x);
  CHECK_EQ_STR(x, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  icmp_flow(&f, "192.168.0.1", "192.168.0.89", 0, 0);    /* its reply */
  tells_commid_flow(&f, 0, y);
  CHECK_EQ_STR(y, x);
  icmp_flow(&f, "10.0.0.1", "10.0.0.2", 11, 0);          /* time exceeded: type, code */
  tells_commid_flow(&f, 0, x);
  CHECK_EQ_STR(x, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
}

static void test_seed(void) {
  /* the seed is hashed: another seed, another id; same length and prefix */
  const char *a = cid(6, "128.232.110.120", "66.35.250.204", 34855, 80, 1);
  CHECK(strcmp(a, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=") != 0);
  CHECK_EQ_INT(strlen(a), 30);
  CHECK(strncmp(a, "1:", 2) == 0);
}

int main(void) {
  T_RUN(test_baseline);
  T_RUN(test_flow_icmp);
  T_RUN(test_seed);
  T_END();
}
