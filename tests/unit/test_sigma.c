/*
** test_sigma.c -- the Sigma engine: loading the SigmaHQ Windows rules,
** every modifier, wildcards and escapes, null and exists, the condition
** forms, logsource mapping and the channel/EventID prefilter, keyword
** rules, filters, correlation types, malformed YAML, and the SigmaHQ
** regression tests (rule must fire on its log, read from evtx_dump JSON).
*/
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include "arena.h"
#include "sigma.h"
#include "t.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct rep_log { int fatal, warn; char last[512]; int quiet; } rep_log;

static void on_report(void *ud, const char *path, int line, int fatal, const char *reason) {
  rep_log *r = ud;
  if (fatal) r->fatal++; else r->warn++;
  snprintf(r->last, sizeof r->last, "%s:%d: %s", path, line, reason);
  if (!r->quiet) fprintf(stderr, "  %s %s:%d: %s\n", fatal ? "reject" : "warn", path, line, reason);
}

typedef struct hits { int n; char ids[16][96]; char group[256]; uint64_t count; double value; } hits;

static int on_hit(void *ud, const tells_sigma_hit *m) {
  hits *h = ud;
  if (h->n < 16) snprintf(h->ids[h->n], sizeof h->ids[0], "%s", m->rule->title);
  if (m->group) snprintf(h->group, sizeof h->group, "%s", m->group);
  h->count = m->count;
  h->value = m->value;
  h->n++;
  return 0;
}

/* A ruleset from one YAML text; NULL (and a CHECK failure) if it fails. */
static tells_sigma_ruleset *set_of(const char *yaml, rep_log *r) {
  tells_sigma_ruleset *s = NULL;
  tells_sigma_load_stats st;
  memset(&st, 0, sizeof st);
  memset(r, 0, sizeof *r);
  r->quiet = 1;
  if (tells_sigma_ruleset_create(&s) != TELLS_OK) return NULL;
  if (tells_sigma_load_mem(s, "test.yml", yaml, strlen(yaml), on_report, r, &st) != TELLS_OK ||
      tells_sigma_compile(s, on_report, r) != TELLS_OK) {
    tells_sigma_ruleset_destroy(s);
    return NULL;
  }
  return s;
}

/* Event from "Name=Value" strings; channel/eid given. */
static int match_kv(tells_sigma_ruleset *s, const char *chan, uint32_t eid,
                    const char *const *kv, size_t n, int64_t t, hits *h) {
  tells_sigma_field f[32];
  tells_sigma_event ev;
  size_t i;
  memset(&ev, 0, sizeof ev);
  memset(h, 0, sizeof *h);
  for (i = 0; i < n && i < 32; i++) {
    const char *eq = strchr(kv[i], '=');
    f[i].name = kv[i]; f[i].name_len = (size_t)(eq - kv[i]);
    f[i].val = eq + 1; f[i].val_len = strlen(eq + 1);
  }
  ev.channel = chan; ev.event_id = eid; ev.time_ns = t;
  ev.provider = "Microsoft-Windows-Sysmon"; ev.computer = "host1";
  ev.fields = f; ev.n_fields = n;
  if (tells_sigma_match(s, &ev, on_hit, h) != TELLS_OK) return -1;
  return h->n;
}

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define NKV(a) (sizeof(a) / sizeof((a)[0]))

/* One detection rule over Sysmon process_creation. */
static const char *rule_pc(const char *det, char *buf, size_t n) {
  snprintf(buf, n,
           "title: T\nid: 11111111-1111-1111-1111-111111111111\nstatus: test\n"
           "level: high\nauthor: Tester\ntags:\n  - attack.execution\n  - attack.t1059.001\n"
           "logsource:\n  product: windows\n  category: process_creation\n"
           "detection:\n%s", det);
  return buf;
}

/* Does `det` (a detection block) match the event? -1 on load failure. */
static int det_matches(const char *det, const char *const *kv, size_t n) {
  char buf[8192];
  rep_log r;
  hits h;
  int rc;
  tells_sigma_ruleset *s = set_of(rule_pc(det, buf, sizeof buf), &r);
  if (!s || tells_sigma_rule_count(s) != 1) {
    fprintf(stderr, "  (rejected, as some cases expect) %s\n", r.last);
    if (s) tells_sigma_ruleset_destroy(s);
    return -1;
  }
  rc = match_kv(s, SYSMON, 1, kv, n, 0, &h);
  tells_sigma_ruleset_destroy(s);
  return rc;
}

static const char *k_ev1[] = {
  "Image=C:\\Windows\\System32\\cmd.exe",
  "CommandLine=cmd.exe /c whoami -all & echo Hello*World",
  "ParentImage=C:\\Windows\\explorer.exe",
  "User=HOST\\alice",
  "IntegrityLevel=High",
  "DestinationIp=10.1.2.3",
  "SourceIp=fe80::1",
  "Size=4096",
  "Empty=",
  "OriginalFileName=Cmd.Exe",
  "Target=C:\\Windows\\System32\\cmd.exe",
  "Payload=SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
  "Enc=aW52b2tlLW1pbWlrYXR6",
};

/* ---- (b) unit tests ---------------------------------------------------------- */

static void test_plain_and_case(void) {
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'c:\\windows\\system32\\CMD.EXE'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|endswith: '\\CMD.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|startswith: 'C:\\Windows\\'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains: 'WHOAMI'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains|all:\n      - whoami\n      - hello\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains|all:\n      - whoami\n      - nothere\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  /* cased */
  CHECK_EQ_INT(det_matches("  sel:\n    OriginalFileName|cased: 'Cmd.Exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    OriginalFileName|cased: 'cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    OriginalFileName|contains|cased: 'd.E'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  /* list = OR; map = AND; list of maps = OR */
  CHECK_EQ_INT(det_matches("  sel:\n    Image|endswith:\n      - '\\powershell.exe'\n      - '\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|endswith: '\\cmd.exe'\n    User: 'nobody'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    - Image|endswith: '\\x.exe'\n    - User: 'host\\alice'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
}

/* One rule set over events whose names change at the same positions (the
** matcher compares each name with the last event's at its position first):
** a field of another name but the same length and value must not be read
** as the rule's field, in either order. */
static void test_names_by_position(void) {
  char buf[8192];
  rep_log r;
  hits h;
  static const char *a[] = {"Image=C:\\x\\evil.exe", "User=bob"};
  static const char *b[] = {"Other=C:\\x\\evil.exe", "User=bob"};
  static const char *c[] = {"User=bob", "Image=C:\\x\\evil.exe"};
  tells_sigma_ruleset *s = set_of(rule_pc("  sel:\n    Image|endswith: '\\evil.exe'\n"
                                          "  condition: sel\n", buf, sizeof buf), &r);
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, a, NKV(a), 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, b, NKV(b), 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, a, NKV(a), 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, c, NKV(c), 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, b, NKV(b), 0, &h), 0);
  tells_sigma_ruleset_destroy(s);
}

static void test_wildcards_escapes(void) {
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'C:\\Windows\\Sys*32\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  /* '\\*' is an escaped star, not a wildcard */
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'C:\\Windows\\*\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'C:\\Windows\\System3?\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'C:\\Windows\\System?\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: '*'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Missing: '*'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  /* escaped star is a literal star; \\ is one backslash */
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|endswith: 'Hello\\*World'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|endswith: 'Hellox\\*World'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: 'C:\\\\Windows\\\\System32\\\\cmd.exe'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine: '*who?mi*Hello\\*W*'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
}

static void test_null_exists(void) {
  CHECK_EQ_INT(det_matches("  sel:\n    Missing: null\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Empty: null\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: null\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Empty: ''\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|exists: true\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Missing|exists: true\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Missing|exists: false\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|exists: maybe\n  condition: sel\n", k_ev1, NKV(k_ev1)), -1);
}

static void test_modifiers_typed(void) {
  /* re with sub-modifiers; re is case-sensitive by default */
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re: 'whoami\\s+-all'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re: 'WHOAMI'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re|i: 'WHOAMI'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re|m: '^cmd'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re|s: 'cmd.*World'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|re: '(unclosed'\n  condition: sel\n", k_ev1, NKV(k_ev1)), -1);
  /* cidr v4 and v6 */
  CHECK_EQ_INT(det_matches("  sel:\n    DestinationIp|cidr: '10.0.0.0/8'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    DestinationIp|cidr:\n      - '192.168.0.0/16'\n      - '10.1.2.0/25'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    DestinationIp|cidr: '10.1.2.4/31'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    SourceIp|cidr: 'fe80::/10'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    SourceIp|cidr: '10.0.0.0/8'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    SourceIp|cidr: 'nonsense/8'\n  condition: sel\n", k_ev1, NKV(k_ev1)), -1);
  /* numeric comparisons */
  CHECK_EQ_INT(det_matches("  sel:\n    Size|gt: 4000\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Size|gte: 4096\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Size|lt: 4096\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Size|lte: 4096\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|gt: 1\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  /* fieldref */
  CHECK_EQ_INT(det_matches("  sel:\n    Image|fieldref: Target\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|fieldref: ParentImage\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  CHECK_EQ_INT(det_matches("  sel:\n    Image|fieldref|endswith: OriginalFileName\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  /* neq */
  CHECK_EQ_INT(det_matches("  sel:\n    IntegrityLevel|neq: 'Low'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    IntegrityLevel|neq: 'high'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  /* unknown modifier */
  CHECK_EQ_INT(det_matches("  sel:\n    Image|frobnicate: x\n  condition: sel\n", k_ev1, NKV(k_ev1)), -1);
}

static void test_modifiers_encoding(void) {
  /* windash: '-' matches '/', en dash, ... */
  static const char *ev[] = {"CommandLine=ping /n 1 \xe2\x80\x93w 5 host"};
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains|windash: ' -n '\n  condition: sel\n", ev, 1), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains|windash: ' -w '\n  condition: sel\n", ev, 1), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    CommandLine|contains|windash: ' -x '\n  condition: sel\n", ev, 1), 0);
  /* base64 and base64offset */
  CHECK_EQ_INT(det_matches("  sel:\n    Enc|base64: 'invoke-mimikatz'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Enc|base64offset|contains: 'mimikatz'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Enc|base64offset|contains: 'invoke'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Enc|base64offset|contains: 'kerberoast'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  /* utf16le / wide + base64offset: "IEX (New-Object" in UTF-16LE base64 */
  CHECK_EQ_INT(det_matches("  sel:\n    Payload|wide|base64offset|contains: 'New-Object'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Payload|utf16le|base64offset|contains: 'IEX'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 1);
  CHECK_EQ_INT(det_matches("  sel:\n    Payload|utf16be|base64offset|contains: 'IEX'\n  condition: sel\n", k_ev1, NKV(k_ev1)), 0);
  {
    /* utf16 (with BOM) and utf16be: base64 of FF FE 'a' 00 = "//5hAA==" */
    static const char *e2[] = {"B=//5hAA==", "C=AGE="};
    CHECK_EQ_INT(det_matches("  sel:\n    B|utf16|base64: 'a'\n  condition: sel\n", e2, 2), 1);
    CHECK_EQ_INT(det_matches("  sel:\n    C|utf16be|base64: 'a'\n  condition: sel\n", e2, 2), 1);
  }
  /* base64 of a wildcard is an error */
  CHECK_EQ_INT(det_matches("  sel:\n    Enc|base64: 'a*b'\n  condition: sel\n", k_ev1, NKV(k_ev1)), -1);
}

static void test_expand(void) {
  tells_sigma_ruleset *s = NULL;
  rep_log r;
  hits h;
  static const char *const admins[] = {"alice", "root"};
  static const char *ev[] = {"User=HOST\\alice"};
  static const char *ev2[] = {"User=HOST\\bob"};
  const char *y =
      "title: Expand\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    User|expand: 'HOST\\%admins%'\n  condition: sel\n";
  memset(&r, 0, sizeof r);
  r.quiet = 1;
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  CHECK(tells_sigma_set_placeholder(s, "admins", admins, 2) == TELLS_OK);
  CHECK(tells_sigma_load_mem(s, "x.yml", y, strlen(y), on_report, &r, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(s, on_report, &r) == TELLS_OK);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev2, 1, 0, &h), 0);
  tells_sigma_ruleset_destroy(s);
  /* an unknown placeholder matches anything and warns */
  s = set_of(y, &r);
  CHECK(s != NULL);
  CHECK(r.warn >= 1);
  if (s) {
    CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev2, 1, 0, &h), 1);
    tells_sigma_ruleset_destroy(s);
  }
}

static void test_conditions(void) {
  const char *sels =
      "  sel_a:\n    Image|endswith: '\\cmd.exe'\n"
      "  sel_b:\n    User|contains: 'alice'\n"
      "  sel_c:\n    User|contains: 'bob'\n"
      "  filter_x:\n    IntegrityLevel: 'High'\n";
  char det[2048];
  struct { const char *cond; int want; } cases[] = {
    {"sel_a and sel_b", 1}, {"sel_a and sel_c", 0}, {"sel_a or sel_c", 1},
    {"not sel_c", 1}, {"not sel_a", 0}, {"sel_a and not filter_x", 0},
    {"(sel_b or sel_c) and sel_a", 1}, {"sel_a and (sel_c or not filter_x)", 0},
    {"1 of sel_*", 1}, {"all of sel_*", 0}, {"2 of sel_*", 1}, {"3 of sel_*", 0},
    {"1 of them", 1}, {"all of them", 0}, {"any of sel_*", 1},
    {"all of sel_a*", 1}, {"sel_a AND NOT 1 of filter_*", 0},
    {"not not sel_a", 1}, {"sel_c or sel_b and sel_a", 1},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got;
    snprintf(det, sizeof det, "%s  condition: %s\n", sels, cases[i].cond);
    got = det_matches(det, k_ev1, NKV(k_ev1));
    if (got != cases[i].want) fprintf(stderr, "  condition '%s': got %d\n", cases[i].cond, got);
    CHECK_EQ_INT(got, cases[i].want);
  }
  /* bad conditions are load errors */
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  condition: sel and\n", k_ev1, 1), -1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  condition: nosuch\n", k_ev1, 1), -1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  condition: (sel\n", k_ev1, 1), -1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  condition: 1 of zz*\n", k_ev1, 1), -1);
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  condition: sel | count() > 5\n", k_ev1, 1), -1);
  /* a condition list is an OR */
  CHECK_EQ_INT(det_matches("  sel:\n    Image: x\n  sel2:\n    User|endswith: alice\n  condition:\n    - sel\n    - sel2\n", k_ev1, NKV(k_ev1)), 1);
}

static void test_keywords(void) {
  const char *y =
      "title: KW\nlogsource:\n  product: windows\n  service: system\n"
      "detection:\n  keywords:\n    - 'mimikatz'\n    - 'sekurlsa*logon'\n  condition: keywords\n";
  const char *y2 =
      "title: KW all\nlogsource:\n  product: windows\n  service: system\n"
      "detection:\n  keywords:\n    '|all':\n      - 'alpha'\n      - 'beta'\n  condition: keywords\n";
  static const char *e1[] = {"Param1=run Sekurlsa::LogonPasswords now"};
  static const char *e2[] = {"Param1=nothing here"};
  static const char *e3[] = {"A=alpha", "B=xbetax"};
  rep_log r;
  hits h;
  tells_sigma_ruleset *s = set_of(y, &r);
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(match_kv(s, "System", 7045, e1, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, "System", 7045, e2, 1, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, "Security", 4688, e1, 1, 0, &h), 0);   /* wrong channel */
  tells_sigma_ruleset_destroy(s);
  s = set_of(y2, &r);
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(match_kv(s, "System", 1, e3, 2, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, "System", 1, e3, 1, 0, &h), 0);
  tells_sigma_ruleset_destroy(s);
}

static void test_logsource_mapping(void) {
  const char *y =
      "title: PC\nid: pc-1\nlevel: medium\nauthor: A, B\ntags: [attack.t1003.001, attack.credential_access]\n"
      "logsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    Image|endswith: '\\mimikatz.exe'\n    ParentImage|endswith: '\\cmd.exe'\n"
      "    User|contains: alice\n  condition: sel\n"
      "---\n"
      "title: PS\nlogsource:\n  product: windows\n  category: ps_script\n"
      "detection:\n  sel:\n    ScriptBlockText|contains: 'Invoke-Mimikatz'\n  condition: sel\n"
      "---\n"
      "title: SEC\nlogsource:\n  product: windows\n  service: security\n"
      "detection:\n  sel:\n    EventID: 4624\n    LogonType: 10\n  condition: sel\n"
      "---\n"
      "title: REG\nlogsource:\n  product: windows\n  category: registry_event\n"
      "detection:\n  sel:\n    TargetObject|contains: '\\Run\\'\n  condition: sel\n";
  static const char *sysmon1[] = {"Image=C:\\t\\mimikatz.exe", "ParentImage=C:\\x\\cmd.exe", "User=H\\alice"};
  static const char *sec4688[] = {"NewProcessName=C:\\t\\mimikatz.exe", "ParentProcessName=C:\\x\\cmd.exe",
                                  "SubjectUserName=alice"};
  static const char *ps[] = {"ScriptBlockText=IEX; Invoke-Mimikatz -DumpCreds"};
  static const char *logon[] = {"LogonType=10"};
  static const char *reg[] = {"TargetObject=HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x"};
  rep_log r;
  hits h;
  tells_sigma_ruleset *s = set_of(y, &r);
  const tells_sigma_rule_info *ri;
  tells_sigma_stats st;
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(tells_sigma_rule_count(s), 4);
  ri = tells_sigma_rule_at(s, 0);
  CHECK_EQ_STR(ri->author, "A, B");
  CHECK_EQ_INT(ri->n_attack, 1);
  if (ri->n_attack) CHECK_EQ_STR(ri->attack[0], "T1003.001");
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, sysmon1, 3, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 3, sysmon1, 3, 0, &h), 0);   /* not EID 1 */
  CHECK_EQ_INT(match_kv(s, "Security", 4688, sec4688, 3, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, "Security", 4624, sec4688, 3, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, "Microsoft-Windows-PowerShell/Operational", 4104, ps, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, "Microsoft-Windows-PowerShell/Operational", 4103, ps, 1, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, "Security", 4624, logon, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, "Security", 4625, logon, 1, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, "System", 4624, logon, 1, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, SYSMON, 13, reg, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 12, reg, 1, 0, &h), 1);
  CHECK_EQ_INT(match_kv(s, SYSMON, 11, reg, 1, 0, &h), 0);
  tells_sigma_get_stats(s, &st);
  CHECK(st.literals > 0);
  tells_sigma_ruleset_destroy(s);
}

static void test_filters(void) {
  const char *y =
      "title: Base\nid: base-1\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n"
      "---\n"
      "title: No DC\nlogsource:\n  product: windows\nfilter:\n  rules:\n    - base-1\n"
      "  selection:\n    Computer|startswith: 'DC-'\n  condition: not selection\n";
  static const char *ev[] = {"Image=C:\\cmd.exe", "Computer=DC-01"};
  static const char *ev2[] = {"Image=C:\\cmd.exe", "Computer=WS-01"};
  rep_log r;
  hits h;
  tells_sigma_ruleset *s = set_of(y, &r);
  CHECK(s != NULL);
  if (!s) return;
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev, 2, 0, &h), 0);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev2, 2, 0, &h), 1);
  tells_sigma_ruleset_destroy(s);
}

static const char *k_base =
    "title: Failed logon\nname: failed_logon\nid: fl-1\nlogsource:\n  product: windows\n  service: security\n"
    "detection:\n  sel:\n    EventID: 4625\n  condition: sel\n"
    "---\n"
    "title: Recon A\nname: recon_a\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n"
    "---\n"
    "title: Recon B\nname: recon_b\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    Image|endswith: '\\net.exe'\n  condition: sel\n";

#define SEC_NS 1000000000LL

static void test_corr_event_count(void) {
  char y[4096];
  rep_log r;
  hits h;
  tells_sigma_ruleset *s;
  static const char *ev[] = {"TargetUserName=admin", "IpAddress=10.0.0.9"};
  int i, fired = 0, base = 0;
  snprintf(y, sizeof y, "%s---\ntitle: Many failed\nid: c-1\nauthor: X\nlevel: high\ncorrelation:\n"
           "  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n"
           "  timespan: 1m\n  condition:\n    gte: 5\n", k_base);
  s = set_of(y, &r);
  CHECK(s != NULL);
  if (!s) return;
  for (i = 0; i < 5; i++) {
    match_kv(s, "Security", 4625, ev, 2, i * SEC_NS, &h);
    fired += h.n;
    if (h.n && strcmp(h.ids[0], "Failed logon") == 0) base++;
  }
  CHECK_EQ_INT(fired, 1);            /* base rule suppressed (generate: false) */
  CHECK_EQ_INT(base, 0);
  CHECK(strstr(h.group, "TargetUserName=admin") != NULL);
  CHECK_EQ_INT(h.count, 5);
  /* outside the window: 5 events spread over 5 minutes never fire */
  fired = 0;
  for (i = 0; i < 5; i++) { match_kv(s, "Security", 4625, ev, 2, 1000 * SEC_NS + i * 61 * SEC_NS, &h); fired += h.n; }
  CHECK_EQ_INT(fired, 0);
  tells_sigma_ruleset_destroy(s);
}

static void test_corr_value_count_and_temporal(void) {
  char y[4096];
  rep_log r;
  hits h;
  tells_sigma_ruleset *s;
  int i, fired = 0;
  snprintf(y, sizeof y, "%s---\ntitle: Spray\ncorrelation:\n  type: value_count\n  rules: [failed_logon]\n"
           "  group-by: [IpAddress]\n  timespan: 5m\n  condition:\n    field: TargetUserName\n    gte: 3\n"
           "---\ntitle: Recon seq\ncorrelation:\n  type: temporal_ordered\n  rules: [recon_a, recon_b]\n"
           "  group-by: [User]\n  timespan: 1m\n  generate: true\n"
           "---\ntitle: Recon any\ncorrelation:\n  type: temporal\n  rules: [recon_a, recon_b]\n"
           "  group-by: [User]\n  timespan: 1m\n  generate: true\n", k_base);
  s = set_of(y, &r);
  CHECK(s != NULL);
  if (!s) { fprintf(stderr, "  %s\n", r.last); return; }
  {
    const char *users[] = {"TargetUserName=a", "TargetUserName=a", "TargetUserName=b", "TargetUserName=c"};
    for (i = 0; i < 4; i++) {
      const char *ev[2];
      ev[0] = users[i]; ev[1] = "IpAddress=10.9.9.9";
      match_kv(s, "Security", 4625, ev, 2, i * SEC_NS, &h);
      if (h.n && !strcmp(h.ids[0], "Spray")) fired++;
    }
    CHECK_EQ_INT(fired, 1);
    CHECK_EQ_INT(h.count, 3);
  }
  {
    static const char *b[] = {"Image=C:\\net.exe", "User=u1"};
    static const char *a[] = {"Image=C:\\whoami.exe", "User=u1"};
    int seq = 0, any = 0;
    /* b then a: temporal fires, temporal_ordered does not */
    match_kv(s, SYSMON, 1, b, 2, 100 * SEC_NS, &h);
    match_kv(s, SYSMON, 1, a, 2, 101 * SEC_NS, &h);
    for (i = 0; i < h.n; i++) { if (!strcmp(h.ids[i], "Recon seq")) seq++; if (!strcmp(h.ids[i], "Recon any")) any++; }
    CHECK_EQ_INT(seq, 0);
    CHECK_EQ_INT(any, 1);
    /* then b again: a -> b in order, within 1 minute */
    match_kv(s, SYSMON, 1, b, 2, 102 * SEC_NS, &h);
    seq = 0;
    for (i = 0; i < h.n; i++) if (!strcmp(h.ids[i], "Recon seq")) seq++;
    CHECK_EQ_INT(seq, 1);
  }
  tells_sigma_ruleset_destroy(s);
}

static void test_corr_value_aggregates(void) {
  const char *y =
      "title: Transfer\nname: xfer\nlogsource:\n  product: windows\n  category: network_connection\n"
      "detection:\n  sel:\n    Initiated: 'true'\n  condition: sel\n"
      "---\ntitle: Big sum\ncorrelation:\n  type: value_sum\n  rules: xfer\n  group-by: [Image]\n"
      "  timespan: 1h\n  condition:\n    field: Bytes\n    gt: 1000\n"
      "---\ntitle: Big avg\ncorrelation:\n  type: value_avg\n  rules: xfer\n  group-by: [Image]\n"
      "  timespan: 1h\n  condition:\n    field: Bytes\n    gte: 500\n"
      "---\ntitle: Big p90\ncorrelation:\n  type: value_percentile\n  rules: xfer\n  group-by: [Image]\n"
      "  timespan: 1h\n  condition:\n    field: Bytes\n    percentile: 90\n    gte: 900\n";
  rep_log r;
  hits h;
  tells_sigma_ruleset *s = set_of(y, &r);
  const char *vals[] = {"Bytes=100", "Bytes=200", "Bytes=950"};
  int i, sum = 0, avg = 0, p90 = 0, k;
  CHECK(s != NULL);
  if (!s) { fprintf(stderr, "  %s\n", r.last); return; }
  for (i = 0; i < 3; i++) {
    const char *ev[3];
    ev[0] = "Initiated=true"; ev[1] = "Image=C:\\x.exe"; ev[2] = vals[i];
    match_kv(s, SYSMON, 3, ev, 3, i * SEC_NS, &h);
    for (k = 0; k < h.n; k++) {
      if (!strcmp(h.ids[k], "Big sum")) sum++;
      if (!strcmp(h.ids[k], "Big avg")) avg++;
      if (!strcmp(h.ids[k], "Big p90")) p90++;
    }
  }
  CHECK_EQ_INT(sum, 1);   /* 100+200+950 > 1000 on the third */
  CHECK_EQ_INT(avg, 0);   /* averages 100, 150, 416 */
  CHECK_EQ_INT(p90, 1);   /* p90 of {100,200,950} = 950 */
  tells_sigma_ruleset_destroy(s);
}

static void test_global_action(void) {
  const char *y =
      "action: global\ntitle: Multi\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  common:\n    User|contains: alice\n  condition: sel and common\n"
      "---\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n"
      "---\ndetection:\n  sel:\n    Image|endswith: '\\powershell.exe'\n";
  static const char *ev[] = {"Image=C:\\cmd.exe", "User=alice"};
  rep_log r;
  hits h;
  tells_sigma_ruleset *s = set_of(y, &r);
  CHECK(s != NULL);
  if (!s) { return; }
  CHECK_EQ_INT(tells_sigma_rule_count(s), 2);
  CHECK_EQ_INT(match_kv(s, SYSMON, 1, ev, 2, 0, &h), 1);
  tells_sigma_ruleset_destroy(s);
}

/* ---- (d) malformed input ----------------------------------------------- */

static void test_malformed(void) {
  static const char *bad[] = {
    "", "title: x\n", "{{{{", "- a\n- b\n", "title: [unclosed\n",
    "title: X\ndetection:\n  condition: sel\n",
    "title: X\ndetection:\n  sel: null\n  condition: sel\n",
    "title: X\ndetection:\n  sel:\n    A: {b: c}\n  condition: sel\n",
    "title: X\ndetection:\n  sel:\n    A: x\n",
    "title: X\ndetection:\n  sel: &a [*a]\n  condition: sel\n",
    "title: X\ndetection: 5\n",
    "title: X\ncorrelation:\n  type: nope\n",
    "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5 parsecs\n",
    "\t\tbad: indentation:\n",
    "title: X\ndetection:\n  sel:\n    A: x\n  condition: ((((((((((((((((((((((((((((((((((((((sel\n",
    "title: \"\\xZZ\"\n",
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tells_sigma_ruleset *s = NULL;
    rep_log r;
    tells_sigma_load_stats st;
    memset(&r, 0, sizeof r);
    memset(&st, 0, sizeof st);
    r.quiet = 1;
    CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
    CHECK(tells_sigma_load_mem(s, "bad.yml", bad[i], strlen(bad[i]), on_report, &r, &st) == TELLS_OK);
    if (st.loaded != 0 || r.fatal == 0 || !strstr(r.last, "bad.yml"))
      fprintf(stderr, "  case %zu: loaded=%llu fatal=%d last=%s\n", i,
              (unsigned long long)st.loaded, r.fatal, r.last);
    CHECK_EQ_INT(st.loaded, 0);
    CHECK(r.fatal >= 1);
    CHECK(strstr(r.last, "bad.yml") != NULL);
    CHECK(tells_sigma_compile(s, on_report, &r) == TELLS_OK);
    tells_sigma_ruleset_destroy(s);
  }
  {
    /* the YAML error names the line */
    tells_sigma_ruleset *s = NULL;
    rep_log r;
    const char *y = "title: X\nlogsource:\n  product: windows\ndetection:\n  sel:\n    A: 'x\n";
    memset(&r, 0, sizeof r);
    r.quiet = 1;
    CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
    tells_sigma_load_mem(s, "line.yml", y, strlen(y), on_report, &r, NULL);
    CHECK(strstr(r.last, "line.yml:") != NULL && strstr(r.last, "YAML") != NULL);
    tells_sigma_ruleset_destroy(s);
  }
}

/* Every allocation of load, compile and match may fail: no crash, no leak
** (ASan reports leaks at exit). */
static long g_calls, g_fail_at;

static void *failing_alloc(void *ud, void *ptr, size_t size) {
  (void)ud;
  if (size == 0) { free(ptr); return NULL; }
  if (++g_calls == g_fail_at) return NULL;
  return realloc(ptr, size);
}

static void test_allocation_failures(void) {
  char y[8192];
  long n, total = 0;
  static const char *ev[] = {"Image=C:\\cmd.exe", "User=alice", "CommandLine=whoami /all",
                             "TargetUserName=a"};
  snprintf(y, sizeof y, "%s---\ntitle: C\ncorrelation:\n  type: value_count\n  rules: [recon_a]\n"
           "  group-by: [User]\n  timespan: 1m\n  condition:\n    field: CommandLine\n    gte: 1\n"
           "---\ntitle: F\nlogsource:\n  product: windows\nfilter:\n  rules: [recon_a]\n"
           "  s:\n    User: bob\n  condition: not s\n"
           "---\ntitle: R\nlogsource:\n  category: process_creation\n  product: windows\n"
           "detection:\n  s:\n    CommandLine|re: 'who.mi'\n    Image|contains|windash|all: ['-x', 'cmd']\n"
           "  k:\n    - 'whoami'\n  condition: s or k\n", k_base);
  for (n = 1; n < 100000; n++) {
    tells_sigma_ruleset *s = NULL;
    hits h;
    g_calls = 0; g_fail_at = n;
    tells_set_allocator(failing_alloc, NULL);
    if (tells_sigma_ruleset_create(&s) == TELLS_OK) {
      tells_sigma_load_mem(s, "a.yml", y, strlen(y), NULL, NULL, NULL);
      if (tells_sigma_compile(s, NULL, NULL) == TELLS_OK) {
        match_kv(s, SYSMON, 1, ev, 4, 0, &h);
        match_kv(s, SYSMON, 1, ev, 4, 1, &h);
      }
      tells_sigma_ruleset_destroy(s);
    }
    tells_set_allocator(NULL, NULL);
    total = g_calls;
    if (g_calls < n) break;          /* the run no longer reaches call n */
  }
  printf("# sigma: allocation failure injected at each of %ld calls\n", n - 1);
  CHECK(n > 100);
  (void)total;
}

/* ---- (a) the SigmaHQ Windows rules ---------------------------------------- */

typedef struct fail_log { int n; int quiet; } fail_log;

static void on_corpus_report(void *ud, const char *path, int line, int fatal, const char *reason) {
  fail_log *f = ud;
  if (!fatal) return;
  f->n++;
  fprintf(stderr, "  rule rejected: %s:%d: %s\n", path, line, reason);
}

static void test_load_windows_rules(void) {
  char dir[1024];
  struct stat sb;
  tells_sigma_ruleset *s = NULL;
  tells_sigma_load_stats st;
  fail_log fl = {0, 0};
  struct timespec t0, t1;
  snprintf(dir, sizeof dir, "%s/sigma/rules/rules/windows", t_corpora());
  if (stat(dir, &sb) != 0) T_SKIP("sigma rules corpus absent");
  memset(&st, 0, sizeof st);
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(tells_sigma_load_path(s, dir, on_corpus_report, &fl, &st) == TELLS_OK);
  CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  {
    tells_sigma_stats ms;
    tells_sigma_get_stats(s, &ms);
    printf("# sigma: rules/windows: %llu files, %llu documents, %llu loaded, %llu rejected "
           "(%.2f%% loaded), %llu literals, %llu AC states, %.0f ms\n",
           (unsigned long long)st.files, (unsigned long long)st.docs,
           (unsigned long long)st.loaded, (unsigned long long)st.failed,
           st.docs ? 100.0 * (double)st.loaded / (double)st.docs : 0.0,
           (unsigned long long)ms.literals, (unsigned long long)ms.ac_states,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  }
  CHECK(st.files >= 2000);
  CHECK(st.loaded * 100 >= st.docs * 99);
  tells_sigma_ruleset_destroy(s);
}

/* ---- (c) regression tests -------------------------------------------------- */

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  char *b;
  long len;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (len < 0) { fclose(f); return NULL; }
  b = malloc((size_t)len + 1);
  if (b && fread(b, 1, (size_t)len, f) != (size_t)len) { free(b); b = NULL; }
  fclose(f);
  if (b) { b[len] = 0; *n = (size_t)len; }
  return b;
}

/* First value of `key:` in a YAML text at any indentation ("  - id: x" too). */
static int yaml_value(const char *text, const char *key, int nth, char *out, size_t outsz) {
  const char *p = text;
  size_t kl = strlen(key);
  int seen = 0;
  while ((p = strstr(p, key)) != NULL) {
    const char *ls = p;
    while (ls > text && ls[-1] != '\n') ls--;
    if (p[kl] == ':' && (p == ls || p[-1] == ' ')) {
      const char *q = ls;
      int ok = 1;
      while (q < p) { if (*q != ' ' && *q != '-') ok = 0; q++; }
      if (ok && seen++ == nth) {
        const char *v = p + kl + 1, *e;
        size_t n;
        while (*v == ' ') v++;
        e = v;
        while (*e && *e != '\n' && *e != '\r') e++;
        n = (size_t)(e - v);
        if (n && (*v == '\'' || *v == '"')) { v++; n -= 2; }
        if (n >= outsz) n = outsz - 1;
        memcpy(out, v, n); out[n] = 0;
        return 0;
      }
    }
    p += kl;
  }
  return -1;
}

typedef struct rtest { char dir[1024]; } rtest;

static void find_info(const char *dir, rtest **list, size_t *n, size_t *cap, int depth) {
  struct dirent **ents;
  int k, m;
  if (depth > 16) return;
  m = scandir(dir, &ents, NULL, alphasort);
  if (m < 0) return;
  for (k = 0; k < m; k++) {
    char p[1024];
    struct stat sb;
    if (ents[k]->d_name[0] != '.' &&
        (size_t)snprintf(p, sizeof p, "%s/%s", dir, ents[k]->d_name) < sizeof p &&
        stat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode)) find_info(p, list, n, cap, depth + 1);
      else if (!strcmp(ents[k]->d_name, "info.yml")) {
        if (*n == *cap) { *cap = *cap ? *cap * 2 : 64; *list = realloc(*list, *cap * sizeof **list); }
        snprintf((*list)[*n].dir, sizeof (*list)[*n].dir, "%s", dir);
        (*n)++;
      }
    }
    free(ents[k]);
  }
  free(ents);
}

typedef struct rule_hit { const char *want; int got; int any; } rule_hit;

static int on_reg_hit(void *ud, const tells_sigma_hit *m) {
  rule_hit *rh = ud;
  rh->any++;
  if (!strcmp(m->rule->id, rh->want)) rh->got++;
  return 0;
}

static void test_regression(void) {
  char root[1024], rules[1024];
  struct stat sb;
  rtest *list = NULL;
  size_t n = 0, cap = 0, i, tests = 0, pass = 0, skipped = 0;
  tells_sigma_ruleset *s = NULL;
  fail_log fl = {0, 0};
  uint64_t events = 0;
  double secs = 0;
  snprintf(root, sizeof root, "%s/sigma/regression", t_corpora());
  snprintf(rules, sizeof rules, "%s/sigma/rules", t_corpora());
  if (stat(root, &sb) != 0 || stat(rules, &sb) != 0) T_SKIP("sigma regression corpus absent");
  find_info(root, &list, &n, &cap, 0);
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  CHECK(tells_sigma_load_path(s, rules, on_corpus_report, &fl, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
  for (i = 0; i < n; i++) {
    char info_path[1200], want[128], title[512], jpath[1300], mc[32];
    size_t len = 0, off = 0, jlen = 0;
    char *info, *json;
    rule_hit rh;
    int need = 1, nrec = 0, bad = 0;
    tells_arena a;
    struct timespec t0, t1;
    snprintf(info_path, sizeof info_path, "%s/info.yml", list[i].dir);
    info = slurp(info_path, &len);
    if (!info) continue;
    if (yaml_value(info, "id", 1, want, sizeof want) || !strstr(info, "\n    - name:") ||
        strstr(info, "# regression_tests_info")) {
      /* no active test (e.g. the commented-out cisco one) */
      skipped++;
      free(info);
      continue;
    }
    if (yaml_value(info, "title", 0, title, sizeof title)) title[0] = 0;
    if (!yaml_value(info, "match_count", 0, mc, sizeof mc)) need = atoi(mc);
    free(info);
    tests++;
    snprintf(jpath, sizeof jpath, "%s/%s.json", list[i].dir, want);
    json = slurp(jpath, &jlen);
    if (!json) {
      printf("# regression FAIL %s: no %s.json\n", list[i].dir + strlen(root), want);
      continue;
    }
    memset(&rh, 0, sizeof rh);
    rh.want = want;
    tells_arena_init(&a, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tells_sigma_reset_state(s);
    for (;;) {
      tells_sigma_event ev;
      int rc = tells_sigma_json_next(json, jlen, &off, &a, &ev);
      if (rc == 0) break;
      if (rc < 0) { bad++; if (off >= jlen) break; continue; }
      nrec++;
      CHECK(tells_sigma_match(s, &ev, on_reg_hit, &rh) == TELLS_OK);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    events += (uint64_t)nrec;
    tells_arena_free(&a);
    free(json);
    if (rh.got >= need && bad == 0) {
      pass++;
    } else {
      printf("# regression FAIL %s: rule %s (%s): %d of %d records matched, need %d%s\n",
             list[i].dir + strlen(root), want, title, rh.got, nrec, need,
             bad ? ", JSON records unreadable" : "");
    }
  }
  printf("# sigma regression: %zu/%zu passed (%.1f%%), %zu folders without an active test; "
         "%llu events read from JSON and matched against all rules, %.0f events/s wall clock\n",
         pass, tests, tests ? 100.0 * (double)pass / (double)tests : 0.0, skipped,
         (unsigned long long)events, secs > 0 ? (double)events / secs : 0.0);
  CHECK(tests >= 150);
  CHECK(pass * 100 >= tests * 95);
  tells_sigma_ruleset_destroy(s);
  free(list);
}

/* ---- throughput (informational) ------------------------------------------- */

static void test_throughput(void) {
  char rules[1024], root[1024];
  struct stat sb;
  rtest *list = NULL;
  size_t n = 0, cap = 0, i, nev = 0, evcap = 0;
  tells_sigma_ruleset *s = NULL;
  tells_sigma_event *evs = NULL;
  tells_arena a;
  char **bufs = NULL;
  struct timespec t0, t1;
  uint64_t matches = 0;
  int rounds, r;
  double secs;
  tells_sigma_stats st;
  snprintf(rules, sizeof rules, "%s/sigma/rules/rules/windows", t_corpora());
  snprintf(root, sizeof root, "%s/sigma/regression", t_corpora());
  if (stat(rules, &sb) != 0 || stat(root, &sb) != 0) T_SKIP("corpora absent");
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  CHECK(tells_sigma_load_path(s, rules, NULL, NULL, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
  find_info(root, &list, &n, &cap, 0);
  bufs = calloc(n ? n : 1, sizeof *bufs);
  tells_arena_init(&a, 0);
  for (i = 0; i < n; i++) {
    DIR *d = opendir(list[i].dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      size_t l = strlen(e->d_name), len = 0, off = 0;
      char p[1400];
      if (l < 5 || strcmp(e->d_name + l - 5, ".json")) continue;
      snprintf(p, sizeof p, "%s/%s", list[i].dir, e->d_name);
      bufs[i] = slurp(p, &len);
      if (!bufs[i]) continue;
      for (;;) {
        tells_sigma_event ev;
        int rc = tells_sigma_json_next(bufs[i], len, &off, &a, &ev);
        if (rc == 0) break;
        if (rc < 0) { if (off >= len) break; continue; }
        if (nev == evcap) { evcap = evcap ? evcap * 2 : 1024; evs = realloc(evs, evcap * sizeof *evs); }
        evs[nev++] = ev;
      }
      break;
    }
    if (d) closedir(d);
  }
  rounds = nev ? (int)(200000 / nev) + 1 : 0;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);   /* CPU time: the VM is shared */
  for (r = 0; r < rounds; r++)
    for (i = 0; i < nev; i++) {
      rule_hit rh = {"", 0, 0};
      tells_sigma_match(s, &evs[i], on_reg_hit, &rh);
      matches += (uint64_t)rh.any;
    }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  tells_sigma_get_stats(s, &st);
  printf("# sigma throughput: %zu distinct events x %d rounds against %zu rules: %.0f events/s; "
         "per event %.1f candidate rules (%.1f without literal prefilter), %.2f evaluated, "
         "%.3f matches, %.0f bytes scanned\n",
         nev, rounds, tells_sigma_rule_count(s), secs > 0 ? (double)nev * rounds / secs : 0.0,
         st.events ? (double)st.candidates / (double)st.events : 0.0,
         st.events ? (double)st.unfiltered / (double)st.events : 0.0,
         st.events ? (double)st.evaluated / (double)st.events : 0.0,
         st.events ? (double)matches / (double)st.events : 0.0,
         st.events ? (double)st.bytes_scanned / (double)st.events : 0.0);
  for (i = 0; i < n; i++) free(bufs[i]);
  free(bufs); free(evs); free(list);
  tells_arena_free(&a);
  tells_sigma_ruleset_destroy(s);
}

int main(void) {
  T_RUN(test_plain_and_case);
  T_RUN(test_names_by_position);
  T_RUN(test_wildcards_escapes);
  T_RUN(test_null_exists);
  T_RUN(test_modifiers_typed);
  T_RUN(test_modifiers_encoding);
  T_RUN(test_expand);
  T_RUN(test_conditions);
  T_RUN(test_keywords);
  T_RUN(test_logsource_mapping);
  T_RUN(test_filters);
  T_RUN(test_corr_event_count);
  T_RUN(test_corr_value_count_and_temporal);
  T_RUN(test_corr_value_aggregates);
  T_RUN(test_global_action);
  T_RUN(test_malformed);
  T_RUN(test_allocation_failures);
  T_RUN(test_load_windows_rules);
  T_RUN(test_regression);
  T_RUN(test_throughput);
  T_END();
}
