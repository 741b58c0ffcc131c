/*
** test_stix_syntax.c -- the value syntax of the STIX export
** (lib/case/case_stix_syntax.c): host names as the schemas' "idn-hostname"
** accepts them (RFC 1034/5890), IP literals to canonical text, RFC 3986 URIs
** (cases from the grammar and from the corpora: bad percent-encodings,
** CONNECT targets glued to a host), and the set of written ids, including
** every allocation failing in turn.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_stix_syntax.h"
#include "tells.h"
#include "t.h"

static void test_hostname(void) {
  static const char *const good[] = {"example.com", "EXAMPLE.Com.", "a", "localhost", "123.456",
                                     "a-b.c-d.e", "x1.y2", "WORKGROUP.localdomain"};
  static const char *const bad[] = {"", ".", "a..b", ".a", "-a.com", "a-.com", "ab--cd.com",
                                    "xn--bcher-kva.de", "foo_bar.com", "_ldap._tcp.dc.example",
                                    "a b.com", "[::1]", "a/b.com", "h:80", "\xc3\xa9.com",
                                    "hvMA+/=.srv.tunnel.com", "a.b..", "a\t.com"};
  char lab[80], name[300];
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) CHECK(tells__stix_hostname(good[i]));
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (tells__stix_hostname(bad[i])) { fprintf(stderr, "  accepted %s\n", bad[i]); CHECK(0); }
  memset(lab, 'a', 63); lab[63] = 0;
  snprintf(name, sizeof name, "%s.com", lab);
  CHECK(tells__stix_hostname(name));            /* 63-byte label */
  memset(lab, 'a', 64); lab[64] = 0;
  snprintf(name, sizeof name, "%s.com", lab);
  CHECK(!tells__stix_hostname(name));           /* 64 */
  memset(name, 'a', 253); name[253] = 0;
  for (i = 63; i < 253; i += 64) name[i] = '.';
  CHECK(tells__stix_hostname(name));            /* 253 bytes */
  name[253] = '.'; name[254] = 0;
  CHECK(tells__stix_hostname(name));            /* plus the root dot */
  name[253] = 'a';
  CHECK(!tells__stix_hostname(name));           /* 254 */
}

static void test_ip_literal(void) {
  static const struct { const char *in, *out; int v; } c[] = {
    {"1.2.3.4", "1.2.3.4", 4}, {"255.255.255.255", "255.255.255.255", 4},
    {"[::1]", "::1", 6}, {"0:0:0:0:0:0:0:1", "::1", 6}, {"FE80::1%10", "fe80::1", 6},
    {"[fd00:2:1::2]", "fd00:2:1::2", 6}, {"::ffff:1.2.3.4", "::ffff:1.2.3.4", 6},
    {"01.2.3.4", NULL, 0}, {"1.2.3", NULL, 0}, {"256.1.1.1", NULL, 0}, {"[1.2.3.4]", NULL, 0},
    {"fe80::1%", NULL, 0}, {"example.com", NULL, 0}, {"[::1", NULL, 0}, {"", NULL, 0},
    {"1.2.3.4/24", NULL, 0}, {"[fe80::1%10]", NULL, 0},
  };
  size_t i;
  for (i = 0; i < sizeof c / sizeof c[0]; i++) {
    char out[48] = "";
    int v = tells__stix_ip_literal(c[i].in, out);
    CHECK_EQ_INT(v, c[i].v);
    if (c[i].out) CHECK_EQ_STR(out, c[i].out);
  }
}

static void test_uri(void) {
  static const char *const good[] = {
    "http://example.com", "http://u:p@h:1/a/b?c=d&e#f", "http://[::1]:8080/x", "http://[v1.a:b]/",
    "urn:isbn:0451450523", "mailto:a@b.c", "http://h/%41%7e", "http://h/a?b/c?d#e/f?g", "x:",
    "http://h:/", "https://h/a;b=c,d!$&'()*+", "ftp://1.2.3.4/", "a+b-c.d:e", "http://",
    "http://h/~a_b.c-d"};
  static const char *const bad[] = {
    "http://icir.org/%", "http://icir.org/%5", "http://h/%zz", "http://a b/",
    "http://secure.newegg.com:443secure.newegg.com:443", "http://[zz]/", "http://[::1]x/",
    "1http://x", "://x", "noscheme", "http://h/a|b", "http://h/{x}", "http://h/\xc3\xa9",
    "http://h/#a#b", "http://[v.x]/", "http://[fe80::1%25eth0]/", "http://h/\"", "http://a@b@c/",
    "http://h:8o/", "http://[::1/", "", "http://h/a\\b", "http://h/a b"};
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!tells__stix_uri(good[i])) { fprintf(stderr, "  rejected %s\n", good[i]); CHECK(0); }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (tells__stix_uri(bad[i])) { fprintf(stderr, "  accepted %s\n", bad[i]); CHECK(0); }
}

static void test_idset(void) {
  tells__stix_idset s;
  char id[64];
  int i, added = 0, again = 0;
  tells__stix_idset_init(&s);
  CHECK_EQ_INT(tells__stix_idset_add(&s, "url--1"), 1);
  CHECK_EQ_INT(tells__stix_idset_add(&s, "url--1"), 0);
  CHECK_EQ_INT(tells__stix_idset_add(&s, "domain-name--1"), 1);   /* same uuid, other type */
  for (i = 0; i < 5000; i++) {
    snprintf(id, sizeof id, "network-traffic--%08d", i);
    added += tells__stix_idset_add(&s, id) == 1;
  }
  for (i = 0; i < 5000; i++) {
    snprintf(id, sizeof id, "network-traffic--%08d", i);
    again += tells__stix_idset_add(&s, id) == 0;
  }
  CHECK_EQ_INT(added, 5000);
  CHECK_EQ_INT(again, 5000);
  CHECK_EQ_INT((long long)s.n, 5002);
  tells__stix_idset_free(&s);
}

static int g_calls, g_fail_at;
static void *failing_alloc(void *ud, void *ptr, size_t size) {
  (void)ud;
  if (size == 0) { free(ptr); return NULL; }
  if (++g_calls == g_fail_at) return NULL;
  return realloc(ptr, size);
}

/* Each allocation may fail: add reports -1, the set stays usable and frees. */
static void test_idset_alloc_failure(void) {
  int n, i, failed = 0;
  for (n = 1; n < 12; n++) {
    tells__stix_idset s;
    char id[64];
    int r, lost = 0;
    g_calls = 0; g_fail_at = n;
    tells_set_allocator(failing_alloc, NULL);
    tells__stix_idset_init(&s);
    for (i = 0; i < 3000; i++) {
      snprintf(id, sizeof id, "ipv4-addr--%d", i);
      r = tells__stix_idset_add(&s, id);
      if (r < 0) { failed++; lost++; }
    }
    tells_set_allocator(NULL, NULL);
    for (i = 0; i < 3000; i++) {   /* every id either present or reported lost */
      snprintf(id, sizeof id, "ipv4-addr--%d", i);
      if (tells__stix_idset_add(&s, id) == 1) lost--;
    }
    CHECK_EQ_INT(lost, 0);
    tells__stix_idset_free(&s);
  }
  CHECK(failed > 0);
}

int main(void) {
  T_RUN(test_hostname);
  T_RUN(test_ip_literal);
  T_RUN(test_uri);
  T_RUN(test_idset);
  T_RUN(test_idset_alloc_failure);
  T_END();
}
