/*
** test_sigma_bg.c -- the Sigma prefilter's literal scanners against a naive
** search: the two-byte-anchor scanner (sigma_bg.c) and the automaton
** (sigma_ac.c, 1 to 8 lanes) must find exactly the literals that occur in
** random lowercase text (the anchor scanner also in mixed-case text), at
** the edges of the input, with ids remapped; literals longer than the
** automaton's cap are found by their heads;
** keyword rules must still see keywords in fields no rule names; regexes
** decided by their glob must agree with PCRE2.
*/
#include <stdint.h>
#include <strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "sigma_ac.h"
#include "sigma_bg.h"
#include "sigma_int.h"
#include "t.h"

static uint32_t rng_state = 12345;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13; rng_state ^= rng_state >> 17; rng_state ^= rng_state << 5;
  return rng_state;
}

/* A small alphabet so that literals occur often; upper case in the
** literals (the scanners fold it), none in the text (it is lowercased). */
static const char alpha[] = "abc:\\.x1";

#define NL 40
#define MAXT 1500

static void naive(const char *const *lits, const size_t *lens, size_t n, const uint32_t *ids,
                  const uint8_t *p, size_t len, uint64_t *want) {
  size_t i, j, k;
  for (i = 0; i < n; i++)
    for (j = 0; j + lens[i] <= len; j++) {
      for (k = 0; k < lens[i]; k++) {
        char c = lits[i][k];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if ((char)p[j + k] != c) break;
      }
      if (k == lens[i]) { want[ids[i] >> 6] |= (uint64_t)1 << (ids[i] & 63); break; }
    }
}

static void test_random_sets(void) {
  int round, bad_bg = 0, bad_ac = 0, bad_list = 0, bad_mixed = 0;
  for (round = 0; round < 300; round++) {
    char store[NL][16];
    const char *lits[NL];
    size_t lens[NL], n = 2 + rnd() % (NL - 2), i, len = rnd() % MAXT;
    uint32_t ids[NL], list[NL * 2], nlist = 0;
    uint64_t want[4] = {0}, got[4] = {0};
    uint8_t text[MAXT];
    sg_bg *g;
    sg_ac *ac;
    for (i = 0; i < n; i++) {            /* distinct literals of 2..12 bytes */
      size_t k, j;
      int dup;
      do {
        lens[i] = 2 + rnd() % 11;
        for (k = 0; k < lens[i]; k++) {
          char c = alpha[rnd() % (sizeof alpha - 1)];
          store[i][k] = (char)(c >= 'a' && c <= 'z' && rnd() % 4 == 0 ? c - 32 : c);
        }
        dup = 0;
        for (j = 0; j < i && !dup; j++)
          if (lens[j] == lens[i] && !strncasecmp(store[j], store[i], lens[i])) dup = 1;
      } while (dup);
      lits[i] = store[i];
      ids[i] = (uint32_t)(255 - 3 * i);   /* remapped ids */
    }
    for (i = 0; i < len; i++) text[i] = (uint8_t)alpha[rnd() % (sizeof alpha - 1)];
    if (len > 20 && round % 3 == 0) {    /* a literal at the very start and end */
      memcpy(text, store[0], lens[0]);
      memcpy(text + len - lens[1], store[1], lens[1]);
      for (i = 0; i < lens[0]; i++) if (text[i] >= 'A' && text[i] <= 'Z') text[i] += 32;
      for (i = len - lens[1]; i < len; i++) if (text[i] >= 'A' && text[i] <= 'Z') text[i] += 32;
    }
    naive(lits, lens, n, ids, text, len, want);
    g = tells__sigma_bg_build(lits, lens, n, ids);
    CHECK(g != NULL);
    if (!g) return;
    tells__sigma_bg_scan(g, text, len, got, list, &nlist);
    if (memcmp(got, want, sizeof got)) bad_bg++;
    {                                    /* the same text with upper case: */
      uint8_t mixed[MAXT];               /* both scanners fold it */
      uint64_t got2[4] = {0};
      uint32_t list2[NL * 2], n2 = 0;
      for (i = 0; i < len; i++)
        mixed[i] = (uint8_t)(text[i] >= 'a' && text[i] <= 'z' && rnd() % 2 ? text[i] - 32 : text[i]);
      tells__sigma_bg_scan(g, mixed, len, got2, list2, &n2);
      if (memcmp(got2, want, sizeof got2)) bad_mixed++;
    }
    for (i = 0; i < nlist; i++)          /* the list holds each set bit once */
      if (!((got[list[i] >> 6] >> (list[i] & 63)) & 1)) bad_list++;
    {
      size_t bits = 0, w;
      for (w = 0; w < 256; w++) bits += (size_t)((got[w >> 6] >> (w & 63)) & 1);
      if (bits != nlist) bad_list++;
    }
    tells__sigma_bg_free(g);
    /* the automaton, same ids: exact on ASCII */
    memset(got, 0, sizeof got);
    nlist = 0;
    ac = tells__sigma_ac_build(lits, lens, n, ids);
    CHECK(ac != NULL);
    if (!ac) return;
    tells__sigma_ac_scan(ac, text, len, got, list, &nlist);
    if (memcmp(got, want, sizeof got)) bad_ac++;
    tells__sigma_ac_free(ac);
  }
  CHECK_EQ_INT(bad_bg, 0);
  CHECK_EQ_INT(bad_mixed, 0);
  CHECK_EQ_INT(bad_ac, 0);
  CHECK_EQ_INT(bad_list, 0);
}

/* Literals longer than TELLS_SIGMA_AC_LIT_MAX: the automaton reports
** exactly the literals whose first TELLS_SIGMA_AC_LIT_MAX bytes occur, so
** never misses one; texts long enough for 8 lanes, whose overlap is then
** TELLS_SIGMA_AC_LIT_MAX - 1 bytes. */
static void test_long_literals(void) {
  int round, missed = 0, wrong = 0, heads_only = 0;
  for (round = 0; round < 200; round++) {
    char store[NL][64];
    const char *lits[NL];
    size_t lens[NL], cut[NL], n = 2 + rnd() % (NL - 2), i, k, len = 300 + rnd() % (MAXT - 300);
    uint32_t ids[NL], list[NL * 2], nlist = 0;
    uint64_t full[4] = {0}, heads[4] = {0}, got[4] = {0};
    uint8_t text[MAXT];
    sg_ac *ac;
    for (i = 0; i < n; i++) {            /* 2..60 bytes; distinct enough by id */
      lens[i] = 2 + rnd() % 59;
      for (k = 0; k < lens[i]; k++) store[i][k] = "ab"[rnd() % 2];
      if (i % 3 == 0 && i) memcpy(store[i], store[i - 1], lens[i] < lens[i - 1] ? lens[i] : lens[i - 1]);
      lits[i] = store[i];
      ids[i] = (uint32_t)(3 * i + 1);
      cut[i] = lens[i] < TELLS_SIGMA_AC_LIT_MAX ? lens[i] : TELLS_SIGMA_AC_LIT_MAX;
    }
    for (i = 0; i < len; i++) text[i] = (uint8_t)"ab"[rnd() % 2];
    for (i = 0; i + 64 < len; i += 97 + rnd() % 200) {   /* whole literals and heads */
      size_t w = rnd() % n, l = rnd() % 2 ? lens[w] : cut[w];
      memcpy(text + i, store[w], l);
    }
    naive(lits, lens, n, ids, text, len, full);
    naive(lits, cut, n, ids, text, len, heads);
    ac = tells__sigma_ac_build(lits, lens, n, ids);
    CHECK(ac != NULL);
    if (!ac) return;
    tells__sigma_ac_scan(ac, text, len, got, list, &nlist);
    for (i = 0; i < 4; i++) {
      if (full[i] & ~got[i]) missed++;
      if (got[i] != heads[i]) wrong++;
      if (got[i] != full[i]) heads_only++;
    }
    tells__sigma_ac_free(ac);
  }
  CHECK_EQ_INT(missed, 0);
  CHECK_EQ_INT(wrong, 0);
  CHECK(heads_only > 0);                 /* the superset was exercised */
}

/* The longest literal at every position of texts cut into 1 to 8 lanes:
** found wherever it ends, also right at a lane's edge. */
static void test_lane_edges(void) {
  static const size_t sizes[] = {40, 130, 256, 300, 517, 1024, 1499};
  char big[48], mid[8] = "abcabca";
  const char *lits[2];
  size_t lens[2], z, j;
  uint32_t ids[2] = {7, 9};
  int missed = 0;
  sg_ac *ac;
  for (j = 0; j < sizeof big; j++) big[j] = "ab:."[(j * 7 + j / 3) % 4];
  lits[0] = big; lens[0] = sizeof big;
  lits[1] = mid; lens[1] = 7;
  ac = tells__sigma_ac_build(lits, lens, 2, ids);
  CHECK(ac != NULL);
  if (!ac) return;
  for (z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
    uint8_t text[MAXT];
    size_t n = sizes[z];
    for (j = 0; j + TELLS_SIGMA_AC_LIT_MAX <= n; j++) {
      uint64_t got[4] = {0};
      uint32_t list[4], nl = 0;
      memset(text, 'x', n);
      memcpy(text + j, big, TELLS_SIGMA_AC_LIT_MAX);
      tells__sigma_ac_scan(ac, text, n, got, list, &nl);
      if (!((got[0] >> 7) & 1)) missed++;
    }
  }
  tells__sigma_ac_free(ac);
  CHECK_EQ_INT(missed, 0);
}

static void test_build_limits(void) {
  const char *one[1] = {"a"};
  size_t l1[1] = {1};
  const char *two[2] = {"ab", "Kiwi"};
  size_t l2[2] = {2, 4};
  uint64_t hits[1] = {0};
  uint32_t list[2], n = 0;
  sg_bg *g;
  CHECK(tells__sigma_bg_build(one, l1, 1, NULL) == NULL);   /* too short: automaton */
  CHECK(tells__sigma_bg_build(two, l2, 0, NULL) == NULL);
  g = tells__sigma_bg_build(two, l2, 2, NULL);
  CHECK(g != NULL);
  if (!g) return;
  tells__sigma_bg_scan(g, (const uint8_t *)"a", 1, hits, list, &n);
  CHECK_EQ_INT(n, 0);
  tells__sigma_bg_scan(g, (const uint8_t *)"xkiwi", 5, hits, list, &n);
  CHECK_EQ_INT(n, 1);
  CHECK(hits[0] == 2);
  tells__sigma_bg_scan(g, (const uint8_t *)"kiwi ab", 7, hits, list, &n);   /* kiwi seen */
  CHECK_EQ_INT(n, 2);
  CHECK(hits[0] == 3);
  tells__sigma_bg_free(g);
}

static int count_hit(void *ud, const tells_sigma_hit *h) { (void)h; ++*(int *)ud; return 0; }

/* A keyword rule applies to every event: its keyword must be found in a
** field that no rule names, also when other rules make the event's
** buckets scan named fields. */
static void test_keyword_in_unnamed_field(void) {
  static const char y[] =
      "title: kw\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n  product: windows\n"
      "detection:\n  keywords:\n    - 'sekurlsa::'\n    - 'kerberos::golden'\n  condition: keywords\n"
      "---\n"
      "title: named\nid: 00000000-0000-0000-0000-000000000002\nlogsource:\n  product: windows\n"
      "  category: process_creation\ndetection:\n  sel:\n    CommandLine|contains: 'whoami'\n"
      "  condition: sel\n";
  tells_sigma_ruleset *s = NULL;
  tells_sigma_field f[2];
  tells_sigma_event ev;
  int hits = 0;
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  if (!s) return;
  CHECK(tells_sigma_load_mem(s, "kw.yml", y, sizeof y - 1, NULL, NULL, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
  memset(&ev, 0, sizeof ev);
  ev.channel = "Microsoft-Windows-Sysmon/Operational";
  ev.event_id = 1;
  f[0].name = "CommandLine"; f[0].name_len = 11; f[0].val = "cmd /c whoami"; f[0].val_len = 13;
  f[1].name = "SomethingNoRuleNames"; f[1].name_len = 20;
  f[1].val = "x SEKURLSA::logonpasswords"; f[1].val_len = 26;
  ev.fields = f; ev.n_fields = 2;
  CHECK(tells_sigma_match(s, &ev, count_hit, &hits) == TELLS_OK);
  CHECK_EQ_INT(hits, 2);
  hits = 0;
  f[1].val = "nothing to see"; f[1].val_len = 14;
  CHECK(tells_sigma_match(s, &ev, count_hit, &hits) == TELLS_OK);
  CHECK_EQ_INT(hits, 1);
  tells_sigma_ruleset_destroy(s);
}


/* Regexes of literal characters and `.*` gaps are decided by a glob per
** line (sigma_value.c): the engine must agree with PCRE2 itself on random
** values with line feeds, carriage returns and non-ASCII bytes. */
static void test_gapped_regex(void) {
  static const char *res[] = {"\\+.*\\+.*\\+", "\\{.*\\{", "a.*?\\+", "`.*`.*`", "\\+.*a\\d",
                              "x\\.y.*\\+"};
  static const char *alpha2[] = {"+", "a", "\n", "{", "`", "\xc3\xa9", "\r", "1", "x.y", "\xff"};
  size_t r, flags, differ = 0, matched = 0, round;
  for (r = 0; r < sizeof res / sizeof res[0]; r++)
    for (flags = 0; flags < 2; flags++) {
      char y[512];
      tells_sigma_ruleset *s = NULL;
      tells_sigma_field f;
      tells_sigma_event ev;
      pcre2_code *re;
      pcre2_match_data *md;
      int ec;
      PCRE2_SIZE eo;
      snprintf(y, sizeof y,
               "title: re\nid: 00000000-0000-0000-0000-000000000003\nlogsource:\n  product: windows\n"
               "  category: process_creation\ndetection:\n  sel:\n    CommandLine|re%s: '%s'\n"
               "  condition: sel\n", flags ? "|s" : "", res[r]);
      re = pcre2_compile((PCRE2_SPTR)res[r], PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (flags ? PCRE2_DOTALL : 0), &ec, &eo,
                         NULL);
      md = pcre2_match_data_create(1, NULL);
      CHECK(re != NULL && md != NULL);
      CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
      if (!s || !re || !md) return;
      CHECK(tells_sigma_load_mem(s, "re.yml", y, strlen(y), NULL, NULL, NULL) == TELLS_OK);
      CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
      memset(&ev, 0, sizeof ev);
      ev.channel = "Microsoft-Windows-Sysmon/Operational";
      ev.event_id = 1;
      f.name = "CommandLine"; f.name_len = 11;
      ev.fields = &f; ev.n_fields = 1;
      for (round = 0; round < 3000; round++) {
        char v[200];
        size_t n = 0, parts = rnd() % 24, k;
        int hits = 0, want;
        for (k = 0; k < parts; k++) {
          const char *a = alpha2[rnd() % (sizeof alpha2 / sizeof alpha2[0])];
          if (round % 2 == 0 && a[0] & 0x80) a = "+";     /* half of them ASCII */
          memcpy(v + n, a, strlen(a));
          n += strlen(a);
        }
        f.val = v; f.val_len = n;
        want = pcre2_match(re, (PCRE2_SPTR)v, n, 0, 0, md, NULL) >= 0;
        CHECK(tells_sigma_match(s, &ev, count_hit, &hits) == TELLS_OK);
        if (hits != want) differ++;
        matched += (size_t)want;
      }
      tells_sigma_ruleset_destroy(s);
      pcre2_match_data_free(md);
      pcre2_code_free(re);
    }
  CHECK_EQ_INT(differ, 0);
  CHECK(matched > 1000);
}

int main(void) {
  T_RUN(test_random_sets);
  T_RUN(test_long_literals);
  T_RUN(test_lane_edges);
  T_RUN(test_build_limits);
  T_RUN(test_keyword_in_unnamed_field);
  T_RUN(test_gapped_regex);
  T_END();
}
