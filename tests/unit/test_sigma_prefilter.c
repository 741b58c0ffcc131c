/*
** test_sigma_prefilter.c -- the literal prefilter never hides a match:
** literals required by regexes (`|re`), clauses distributed over OR
** conditions, and two-byte punctuation literals.  Each case is checked
** against PCRE2 itself and against the reference evaluation (no
** prefilter), and the prefilter is shown to skip events without the
** literal (the evaluation count stays 0).
*/
#include <stdint.h>
#include "sigma_int.h"
#include "t.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

static int count_hit(void *ud, const tells_sigma_hit *m) {
  (void)m;
  (*(int *)ud)++;
  return 0;
}

static tells_sigma_ruleset *set_of(const char *det) {
  char y[4096];
  tells_sigma_ruleset *s = NULL;
  snprintf(y, sizeof y,
           "title: T\nid: 22222222-2222-2222-2222-222222222222\nstatus: test\nlevel: high\n"
           "author: Tester\nlogsource:\n  product: windows\n  category: process_creation\n"
           "detection:\n%s", det);
  if (tells_sigma_ruleset_create(&s) != TELLS_OK) return NULL;
  if (tells_sigma_load_mem(s, "t.yml", y, strlen(y), NULL, NULL, NULL) != TELLS_OK ||
      tells_sigma_compile(s, NULL, NULL) != TELLS_OK || tells_sigma_rule_count(s) != 1) {
    tells_sigma_ruleset_destroy(s);
    return NULL;
  }
  return s;
}

/* Matches a process creation event with Image and CommandLine; the
** number of detections, with `ref` the reference evaluation. */
static int run(tells_sigma_ruleset *s, const char *image, const char *cmd, int ref) {
  tells_sigma_field f[2];
  tells_sigma_event ev;
  int n = 0;
  memset(&ev, 0, sizeof ev);
  f[0].name = "Image"; f[0].name_len = 5; f[0].val = image; f[0].val_len = strlen(image);
  f[1].name = "CommandLine"; f[1].name_len = 11; f[1].val = cmd; f[1].val_len = strlen(cmd);
  ev.channel = SYSMON; ev.event_id = 1; ev.fields = f; ev.n_fields = 2;
  tells__sigma_set_reference(s, ref);
  if (tells_sigma_match(s, &ev, count_hit, &n) != TELLS_OK) n = -1;
  tells__sigma_set_reference(s, 0);
  return n;
}

static uint64_t evaluated(tells_sigma_ruleset *s) {
  tells_sigma_stats st;
  tells_sigma_get_stats(s, &st);
  return st.evaluated;
}

static int pcre_matches(const char *re, const char *v, int caseless) {
  int ec, rc;
  PCRE2_SIZE eo;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (caseless ? PCRE2_CASELESS : 0),
                                &ec, &eo, NULL);
  pcre2_match_data *md;
  if (!c) return -1;
  md = pcre2_match_data_create(1, NULL);
  rc = pcre2_match(c, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL) >= 0;
  pcre2_match_data_free(md);
  pcre2_code_free(c);
  return rc;
}

/* Regexes whose required literal is easy to get wrong, each with a value
** it matches: optional and repeated characters, groups, classes, escapes,
** back references, inline options, the Kelvin sign and the long s that
** caseless UTF matching folds to k and s, alternations. */
static const struct { const char *re, *value; int caseless; } k_re[] = {
  {"ipconfig\\s+/all", "ipconfig   /all", 0},
  {"ab?cdef", "acdef", 0},
  {"abcde?fg", "abcdfg", 0},
  {"abcdx*yz", "abcdyz", 0},
  {"abcdx{0,2}yz", "abcdyz", 0},
  {"abcd(?:xy)?z", "abcdz", 0},
  {"abcd[xy]?z", "abcdz", 0},
  {"abc*defg", "abdefg", 0},
  {"abc+defg", "abccccdefg", 0},
  {"x{0}abcd", "abcd", 0},
  {"ab{0,3}cde", "acde", 0},
  {"a{2}bcd", "aabcd", 0},
  {"ab*?cde", "acde", 0},
  {"[[:digit:]]+zz9q", "12zz9q", 0},
  {"[\\]abc]defg", "]defg", 0},
  {"[]x]yzw", "]yzw", 0},
  {"\\x41BCD", "ABCD", 0},
  {"\\x{41}bcd", "Abcd", 0},
  {"\\p{L}bcde", "xbcde", 0},
  {"(a)\\1bcd", "aabcd", 0},
  {"(?<n>abc)def\\k<n>", "abcdefabc", 0},
  {"(?:ab|cd)efgh", "cdefgh", 0},
  {"(?:set).*&&\\s?set.*x", "set a&&set bx", 0},
  {"foo|barbaz", "barbaz", 0},
  {"(foo)|barbaz", "barbaz", 0},
  {"\\Qa.b\\E", "a.b", 0},
  {"ab\\$\\E*cd", "abcd", 0},
  {"abc(?#note)?d", "abd", 0},
  {"a\\.exe", "a.exe", 0},
  {"Invoke-Mimikatz", "powershell Invoke-Mimikatz", 0},
  {"(?x) a b c d", "abcd", 0},
  {"^cmd\\.exe$", "cmd.exe", 0},
  {"ab\\d{2}cde", "ab12cde", 0},
  {"\\btest\\s+user\\b", "test user", 0},
  {"\\$\\{env:path\\}", "${env:path}", 0},
  {"(?i)kerberos::list", "\xe2\x84\xaa" "ERBEROS::LIST", 0},
  {"(?i)sekurlsa", "\xc5\xbf" "ekurl" "\xc5\xbf" "a", 0},
  {"tasks", "TA\xc5\xbf\xe2\x84\xaa\xc5\xbf", 1},
  {"x(?i)kill", "xKILL", 0},
  {"(?i)KILLS", "\xe2\x84\xaa" "ill" "\xc5\xbf", 0},
  {"\xd1\x82\xd0\xb5\xd1\x81\xd1\x82\\s+abc", "\xd1\x82\xd0\xb5\xd1\x81\xd1\x82  abc", 0},
  {"\\101bcd", "Abcd", 0},
  {"a\\cJbcd", "a\nbcd", 0},
  {"(?i)e\\w+`(?:\\w+|-|.)`x", "eab`c`x", 0},
  {"\\w+`(?:\\w+|-|.)`[\\w+|\\s]", "ab`cd`e", 0},
  {"echo.*clip.*&&", "echo x | clip && y", 0},
};

static void test_regex_literals_never_hide(void) {
  size_t i;
  for (i = 0; i < sizeof k_re / sizeof k_re[0]; i++) {
    char det[1024], q[512];
    size_t k, o = 0;
    tells_sigma_ruleset *s;
    for (k = 0; k_re[i].re[k] && o + 2 < sizeof q; k++) {   /* YAML single quotes */
      if (k_re[i].re[k] == '\'') q[o++] = '\'';
      q[o++] = k_re[i].re[k];
    }
    q[o] = 0;
    snprintf(det, sizeof det, "    selection:\n        CommandLine|re%s: '%s'\n    condition: selection\n",
             k_re[i].caseless ? "|i" : "", q);
    CHECK_EQ_INT(pcre_matches(k_re[i].re, k_re[i].value, k_re[i].caseless), 1);
    s = set_of(det);
    CHECK(s != NULL);
    if (!s) { fprintf(stderr, "  rule for /%s/ not loaded\n", k_re[i].re); continue; }
    if (run(s, "C:\\x.exe", k_re[i].value, 0) != 1) {
      fprintf(stderr, "  /%s/ on \"%s\": no detection\n", k_re[i].re, k_re[i].value);
      t_case_failed = 1;
    }
    CHECK_EQ_INT(run(s, "C:\\x.exe", k_re[i].value, 1), 1);
    tells_sigma_ruleset_destroy(s);
  }
}

/* Without its literal in the event a regex rule is not evaluated. */
static void test_regex_literal_prefilters(void) {
  tells_sigma_ruleset *s = set_of("    selection:\n        CommandLine|re:\n"
                                  "            - 'ipconfig\\s+/all'\n            - 'route\\s+print'\n"
                                  "    condition: selection\n");
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(run(s, "C:\\Windows\\System32\\cmd.exe", "cmd /c dir c:\\", 0), 0);
  CHECK_EQ_INT(evaluated(s), 0);
  CHECK_EQ_INT(run(s, "C:\\Windows\\System32\\ROUTE.EXE", "ROUTE  PRINT", 0), 0);  /* cased */
  CHECK_EQ_INT(run(s, "C:\\Windows\\System32\\ROUTE.EXE", "route  print", 0), 1);
  CHECK(evaluated(s) >= 1);
  tells_sigma_ruleset_destroy(s);
}

/* (A1 and A2) or B: the clauses (A1 or B) and (A2 or B) are both required. */
static void test_or_distributes(void) {
  static const char *det =
      "    selection_1:\n        Image|contains: '\\Windows\\'\n"
      "        CommandLine|contains:\n            - '\\..\\Windows\\'\n            - '\\..\\..\\'\n"
      "    selection_2:\n        CommandLine|contains: '.exe\\..\\'\n"
      "    selection_3:\n        - Image|endswith: '\\evil.exe'\n"
      "          CommandLine|contains: 'zzqx'\n        - CommandLine|contains: 'qqzzy'\n"
      "    filter:\n        CommandLine|contains: 'googledrive'\n"
      "    condition: 1 of selection_* and not filter\n";
  static const struct { const char *image, *cmd; int hit; } ev[] = {
    {"C:\\Windows\\System32\\cmd.exe", "cmd /c dir", 0},
    {"C:\\Windows\\System32\\cmd.exe", "cmd /c a\\..\\..\\b", 1},
    {"C:\\Tools\\cmd.exe", "cmd /c a\\..\\..\\b", 0},
    {"C:\\Tools\\a.exe", "c:\\a.exe\\..\\b.exe", 1},
    {"C:\\Tools\\a.exe", "c:\\googledrive.exe\\..\\b.exe", 0},
    {"C:\\Tools\\evil.exe", "zzqx", 1},
    {"C:\\Tools\\good.exe", "zzqx", 0},
    {"C:\\Tools\\good.exe", "qqzzy", 1},
  };
  tells_sigma_ruleset *s = set_of(det);
  size_t i;
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(run(s, ev[0].image, ev[0].cmd, 0), 0);
  CHECK_EQ_INT(evaluated(s), 0);          /* '\windows\' alone does not evaluate it */
  for (i = 0; i < sizeof ev / sizeof ev[0]; i++) {
    CHECK_EQ_INT(run(s, ev[i].image, ev[i].cmd, 0), ev[i].hit);
    CHECK_EQ_INT(run(s, ev[i].image, ev[i].cmd, 1), ev[i].hit);
  }
  tells_sigma_ruleset_destroy(s);
}

/* Two rare punctuation characters are a literal; other pairs are not. */
static void test_punctuation_pairs(void) {
  tells_sigma_ruleset *s = set_of("    selection:\n        CommandLine|contains:\n"
                                  "            - '^^'\n            - ',;,'\n            - ' c^md'\n"
                                  "    condition: selection\n");
  tells_sigma_ruleset *t = set_of("    selection:\n        CommandLine|contains:\n"
                                  "            - 'ab'\n            - ',;,'\n"
                                  "    condition: selection\n");
  CHECK(s != NULL && t != NULL);
  if (s) {
    CHECK_EQ_INT(run(s, "C:\\x.exe", "cmd /c echo ^hello", 0), 0);
    CHECK_EQ_INT(evaluated(s), 0);
    CHECK_EQ_INT(run(s, "C:\\x.exe", "cmd /c echo ^^hello", 0), 1);
    CHECK_EQ_INT(run(s, "C:\\x.exe", "cmd /c echo ^^hello", 1), 1);
  }
  if (t) {                                 /* 'ab' is too common: no prefilter */
    CHECK_EQ_INT(run(t, "C:\\x.exe", "cmd /c echo", 0), 0);
    CHECK_EQ_INT(evaluated(t), 1);
    CHECK_EQ_INT(run(t, "C:\\x.exe", "cmd /c echo ab", 0), 1);
  }
  tells_sigma_ruleset_destroy(s);
  tells_sigma_ruleset_destroy(t);
}

/* ---- random regexes: the prefilter against the reference ------------- */

static uint32_t g_rng = 12345;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13; g_rng ^= g_rng >> 17; g_rng ^= g_rng << 5;
  return g_rng % n;
}

typedef struct idset { int n; unsigned ids[64]; } idset;
static int collect(void *ud, const tells_sigma_hit *m) {
  idset *d = ud;
  if (d->n < 64) d->ids[d->n++] = (unsigned)atoi(m->rule->title + 1);
  return 0;
}

static const char *const k_tok[] = {
  "a", "b", "k", "s", "K", "S", "ab", "ks", "sk", "abk", "\\.", ".", "*", "+", "?", "{0,2}",
  "{2}", "*?", "(", ")", "(?:", "|", "[ab]", "[^k]", "\\s", "\\d", "\\w", "(?i)", "^", "$",
  "\\Q", "\\E", "\\x61", "\\1", " ", "\\k<n>", "(?<n>", "[[:alpha:]]", "\\$", "{", "(?#c)", "\\E",
  "\\b", "(?=a)", "(?!b)", "(?<=k)", "{1,}", "{,3}", "\\N", "\\R", "\\K", "]", "}", "\\]",
  "\\0", "\\cA", "\\o{141}", "\\p{Lu}", "\\ ", "(*UTF)", "(?-i)", "(?s)", "\\\\",
  "`", "\\{", "\\`", "\\^",
};
static const char *const k_vtok[] = {
  "a", "b", "k", "s", "K", "S", "ab", "ks", " ", ".", "1", "\xe2\x84\xaa", "\xc5\xbf", "$",
  "`", "{", "}", "^",
};

static void test_random_regexes(void) {
  enum { NR = 400, NV = 3000 };
  char *yaml = malloc(NR * 400), vals[NV][48], res[NR][200];
  size_t o = 0, i, j;
  tells_sigma_ruleset *s = NULL;
  int differ = 0, matched = 0;
  if (!yaml) { t_case_failed = 1; return; }
  for (i = 0; i < NR; i++) {
    char re[200];
    size_t k, nt = 1 + rnd(8), ro = 0;
    for (k = 0; k < nt; k++) {
      const char *t = k_tok[rnd(sizeof k_tok / sizeof k_tok[0])];
      if (ro + strlen(t) + 1 < sizeof re) { memcpy(re + ro, t, strlen(t)); ro += strlen(t); }
    }
    re[ro] = 0;
    memcpy(res[i], re, ro + 1);
    o += (size_t)snprintf(yaml + o, NR * 400 - o,
                          "---\ntitle: R%zu\nlogsource:\n  product: windows\n  category: process_creation\n"
                          "detection:\n  sel:\n    CommandLine|re%s: '%s'\n  condition: sel\n",
                          i, rnd(4) == 0 ? "|i" : "", re);
  }
  for (i = 0; i < NV; i++) {
    size_t k, nt = rnd(10), vo = 0;
    for (k = 0; k < nt; k++) {
      const char *t = k_vtok[rnd(sizeof k_vtok / sizeof k_vtok[0])];
      if (vo + strlen(t) + 1 < sizeof vals[i]) { memcpy(vals[i] + vo, t, strlen(t)); vo += strlen(t); }
    }
    vals[i][vo] = 0;
  }
  if (tells_sigma_ruleset_create(&s) == TELLS_OK &&
      tells_sigma_load_mem(s, "r.yml", yaml, o, NULL, NULL, NULL) == TELLS_OK &&
      tells_sigma_compile(s, NULL, NULL) == TELLS_OK) {
    for (i = 0; i < NV; i++) {
      tells_sigma_field f[1];
      tells_sigma_event ev;
      idset a, b;
      memset(&ev, 0, sizeof ev);
      f[0].name = "CommandLine"; f[0].name_len = 11; f[0].val = vals[i]; f[0].val_len = strlen(vals[i]);
      ev.channel = SYSMON; ev.event_id = 1; ev.fields = f; ev.n_fields = 1;
      a.n = b.n = 0;
      tells_sigma_match(s, &ev, collect, &a);
      tells__sigma_set_reference(s, 1);
      tells_sigma_match(s, &ev, collect, &b);
      tells__sigma_set_reference(s, 0);
      matched += b.n;
      for (j = 0; (int)j < a.n && a.n == b.n; j++) if (a.ids[j] != b.ids[j]) break;
      if (a.n != b.n || (int)j != a.n) {
        if (differ++ < 5) {
          int x, y;
          fprintf(stderr, "  value \"%s\": %d detections, reference %d\n", vals[i], a.n, b.n);
          for (x = 0; x < b.n; x++) {
            for (y = 0; y < a.n && a.ids[y] != b.ids[x]; y++) {}
            if (y == a.n) fprintf(stderr, "    missed: /%s/\n", res[b.ids[x]]);
          }
        }
      }
    }
    printf("# random regexes: %zu rules loaded, %d values x rules matched, %d values differ\n",
           tells_sigma_rule_count(s), matched, differ);
  } else {
    t_case_failed = 1;
  }
  CHECK_EQ_INT(differ, 0);
  CHECK(matched > 100);
  tells_sigma_ruleset_destroy(s);
  free(yaml);
}

int main(void) {
  T_RUN(test_random_regexes);
  T_RUN(test_regex_literals_never_hide);
  T_RUN(test_regex_literal_prefilters);
  T_RUN(test_or_distributes);
  T_RUN(test_punctuation_pairs);
  T_END();
}
