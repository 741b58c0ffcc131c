/*
** test_caps.c -- the capability catalogue (lib/code/caps.c): rule parsing
** and its errors with file and line, the shipped rules (all load, the ids
** other tests rely on), matching imports / strings / resources on PEs
** described in memory, and no hit on the benign MSVC corpus.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anom.h"
#include "arena.h"
#include "buf.h"
#include "caps.h"
#include "json.h"
#include "pe.h"
#include "strs.h"
#include "t.h"

static tells_err parse(tells_caps **c, const char *text, char *err, size_t errsz) {
  *c = tells_caps_new();
  return tells_caps_parse(*c, "t.rules", (const uint8_t *)text, strlen(text), err, errsz);
}

static int parse_fails_at(const char *text, const char *want) {
  tells_caps *c;
  char err[256];
  tells_err e = parse(&c, text, err, sizeof err);
  int ok = e != TELLS_OK && strstr(err, want) != NULL;
  if (!ok) fprintf(stderr, "  wanted error \"%s\", got %d \"%s\"\n", want, e, err);
  tells_caps_destroy(c);
  return ok;
}

static const char GOOD[] =
  "# a comment\n"
  "rule demo-inject\n"
  "  name Injects\n"
  "  attack T1055\n"
  "  tactic defense-evasion\n"
  "  severity high\n"
  "  all\n"
  "    import kernel32.dll!WriteProcessMemory\n"
  "  any\n"
  "    import *!CreateRemoteThread\n"
  "    string \"NtCreateThreadEx\"\n"
  "or confidence low\n"
  "  at-least 2\n"
  "    string \\\\.\\PhysicalDrive\n"
  "    string wevtutil cl\n"
  "    import ws2_32.dll!#4\n"
  "end\n"
  "\n"
  "rule demo-driver\n"
  "  name Driver in resources\n"
  "  attack T1027.009\n"
  "  confidence high\n"
  "  any\n"
  "    resource driver\n"
  "or confidence low\n"
  "  any\n"
  "    resource pe\n"
  "    resource type 10\n"
  "end\n";

static void test_parse_ok(void) {
  tells_caps *c;
  char err[256];
  const tells_caps_rule *r;
  CHECK_EQ_INT(parse(&c, GOOD, err, sizeof err), TELLS_OK);
  CHECK_EQ_INT(tells_caps_n_rules(c), 2);
  r = tells_caps_rule_at(c, 0);
  CHECK(r && strcmp(r->id, "demo-inject") == 0 && strcmp(r->attack, "T1055") == 0);
  CHECK(r && strcmp(r->severity, "high") == 0 && r->line == 2);
  r = tells_caps_rule_at(c, 1);
  CHECK(r && strcmp(r->severity, "medium") == 0 && r->line == 19);
  tells_caps_destroy(c);
}

static void test_parse_errors(void) {
  CHECK(parse_fails_at("rule x\n name n\n attack T1\n any\n  import a!b\nend\n", "t.rules:3: ATT&CK"));
  CHECK(parse_fails_at("bogus\n", "t.rules:1: expected 'rule ID'"));
  CHECK(parse_fails_at("rule Bad_ID!\n", "t.rules:1: rule id"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n import a!b\nend\n", "t.rules:4: item outside a group"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  import nobang\nend\n", "t.rules:5: expected import"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  string ab\nend\n", "t.rules:5: string pattern shorter"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  string \"open\nend\n", "t.rules:5: unterminated"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n at-least 3\n  string abc\n  string def\nend\n", "t.rules:7: at-least N larger"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\nend\n", "t.rules:5: empty group"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  string abc\n", "t.rules:5: missing 'end'"));
  CHECK(parse_fails_at("rule x\n attack T1055\n any\n  string abc\nend\n", "t.rules:5: rule without a name"));
  CHECK(parse_fails_at("rule x\n name n\n any\n  string abc\nend\n", "t.rules:5: rule without an attack"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n severity huge\n", "t.rules:4: severity"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  resource blob\nend\n", "t.rules:5: expected resource"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  frob abc\nend\n", "t.rules:5: unknown keyword: frob"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  string abc\nend\nrule x\n", "t.rules:7: duplicate rule id"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  string abc\nor\nend\n", "t.rules:7: rule (or alternative) without groups"));
  CHECK(parse_fails_at("rule x\n name n\n attack T1055\n any\n  import a!#x1\nend\n", "t.rules:5: bad ordinal"));
  {
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(parse_fails_at(big, "t.rules:1: line longer"));
  }
}

static void test_shipped_rules(void) {
  static const char *const want[][2] = {
    {"raw-disk-access", "T1561"}, {"service-creation", "T1543.003"},
    {"smb-share-spreading", "T1021.002"}, {"c2-http", "T1071.001"},
    {"embedded-driver", "T1027.009"}};
  tells_caps *c = NULL;
  const tells_caps *d = NULL;
  char err[512];
  size_t i, k;
  CHECK_EQ_INT(tells_caps_load_dir(TELLS_SOURCE_DIR "/rules/capabilities", &c, err, sizeof err), TELLS_OK);
  if (!c) { fprintf(stderr, "  %s\n", err); return; }
  CHECK(tells_caps_n_rules(c) >= 30);
  for (k = 0; k < 5; k++) {
    int found = 0;
    for (i = 0; i < tells_caps_n_rules(c); i++) {
      const tells_caps_rule *r = tells_caps_rule_at(c, i);
      if (strcmp(r->id, want[k][0]) == 0) found = strcmp(r->attack, want[k][1]) == 0 && r->tactic && r->name;
    }
    if (!found) fprintf(stderr, "  missing %s %s\n", want[k][0], want[k][1]);
    CHECK(found);
  }
  tells_caps_destroy(c);
  CHECK_EQ_INT(tells_caps_default(&d, err, sizeof err), TELLS_OK);
  CHECK(d && tells_caps_n_rules(d) >= 30);
  CHECK_EQ_INT(tells_caps_load_dir(TELLS_SOURCE_DIR "/no/such/dir", &c, err, sizeof err), TELLS_EIO);
  CHECK(strstr(err, "no/such/dir") != NULL);
}

/* A PE described in memory: imports and resources, plus a file buffer in
** which a resource's data can be an embedded driver. */
typedef struct fake {
  tells_pe pe;
  tells_pe_import imp[3];
  tells_pe_import_fn fk[4], fa[2], fw[2];
  tells_pe_rsrc rs[1];
  uint8_t file[4096];
} fake;

static void make_fake(fake *f, int driver) {
  memset(f, 0, sizeof *f);
  f->fk[0].name = "CreateFileW"; f->fk[1].name = "DeviceIoControl";
  f->fk[2].name = "WriteProcessMemory"; f->fk[3].name = "CreateRemoteThread";
  f->fa[0].name = "OpenSCManagerW"; f->fa[1].name = "CreateServiceW";
  f->fw[0].ordinal = 4; f->fw[1].ordinal = 19;   /* ws2_32 connect, send */
  f->imp[0].dll = "KERNEL32.dll"; f->imp[0].fns = f->fk; f->imp[0].n_fns = 4;
  f->imp[1].dll = "ADVAPI32.dll"; f->imp[1].fns = f->fa; f->imp[1].n_fns = 2;
  f->imp[2].dll = "WS2_32.dll"; f->imp[2].fns = f->fw; f->imp[2].n_fns = 2;
  f->pe.imports = f->imp; f->pe.n_imports = 3;
  /* RCDATA/101 at offset 1024: MZ, e_lfanew 0x80, PE\0\0, subsystem at +24+68 */
  f->rs[0].type_id = 10; f->rs[0].name_id = 101; f->rs[0].lang = 0x412;
  f->rs[0].off = 1024; f->rs[0].size = 1024;
  f->file[1024] = 'M'; f->file[1025] = 'Z';
  f->file[1024 + 0x3c] = 0x80;
  memcpy(f->file + 1024 + 0x80, "PE\0\0", 4);
  f->file[1024 + 0x80 + 24 + 68] = driver ? 1 : 2;
  f->pe.rsrc = f->rs; f->pe.n_rsrc = 1;
}

static const tells_caps_hit *hit(const tells_caps_hit *h, size_t n, const char *id) {
  size_t i;
  for (i = 0; i < n; i++) if (strcmp(h[i].rule->id, id) == 0) return &h[i];
  return NULL;
}

static int has_ev(const tells_caps_hit *h, const char *type, const char *value) {
  size_t i;
  for (i = 0; h && i < h->n_ev; i++)
    if (strcmp(h->ev[i].type, type) == 0 && strstr(h->ev[i].value, value)) return 1;
  return 0;
}

static void test_match_custom(void) {
  tells_caps *c;
  tells_caps_match *m;
  tells_caps_hit *h;
  size_t n;
  tells_arena a;
  char err[256];
  static fake f;
  const tells_caps_hit *x;
  CHECK_EQ_INT(parse(&c, GOOD, err, sizeof err), TELLS_OK);
  tells_arena_init(&a, 0);
  make_fake(&f, 1);
  CHECK_EQ_INT(tells_caps_match_new(c, &a, &m), TELLS_OK);
  tells_caps_feed(m, "call NTCREATETHREADEX now", 25, 500, 0);
  CHECK_EQ_INT(tells_caps_finish(m, &f.pe, f.file, sizeof f.file, &h, &n), TELLS_OK);
  CHECK_EQ_INT(n, 2);
  x = hit(h, n, "demo-inject");
  CHECK(x && strcmp(x->confidence, "medium") == 0);
  CHECK(has_ev(x, "import", "KERNEL32.dll!WriteProcessMemory"));
  CHECK(has_ev(x, "import", "KERNEL32.dll!CreateRemoteThread"));
  CHECK(has_ev(x, "string", "call NTCREATETHREADEX now"));
  x = hit(h, n, "demo-driver");
  CHECK(x && strcmp(x->confidence, "high") == 0);
  CHECK(has_ev(x, "resource", "RCDATA/101 lang 0x0412"));
  CHECK(has_ev(x, "resource", "native subsystem"));
  CHECK(x && x->n_ev && x->ev[0].off == 1024);
  tells_arena_free(&a);

  /* second alternative: 2 of (string, string, ws2_32 ordinal 4) */
  tells_arena_init(&a, 0);
  make_fake(&f, 0);
  f.fk[2].name = "ReadProcessMemory";
  CHECK_EQ_INT(tells_caps_match_new(c, &a, &m), TELLS_OK);
  tells_caps_feed(m, "\\\\.\\physicaldrive%d", 19, 77, 1);
  CHECK_EQ_INT(tells_caps_finish(m, &f.pe, f.file, sizeof f.file, &h, &n), TELLS_OK);
  x = hit(h, n, "demo-inject");
  CHECK(x && strcmp(x->confidence, "low") == 0);
  CHECK(has_ev(x, "import", "WS2_32.dll!connect"));
  CHECK(x && x->n_ev == 2);
  x = hit(h, n, "demo-driver");     /* a plain PE: only the low alternative */
  CHECK(x && strcmp(x->confidence, "low") == 0);
  CHECK(has_ev(x, "resource", "PE executable"));
  tells_arena_free(&a);
  tells_caps_destroy(c);
}

static void test_match_shipped(void) {
  const tells_caps *c;
  tells_caps_match *m;
  tells_caps_hit *h;
  size_t n;
  tells_arena a;
  char err[512];
  static fake f;
  static const char *const s[] = {"\\\\.\\PhysicalDrive0", "\\\\%s\\ADMIN$"};
  size_t i;
  if (tells_caps_default(&c, err, sizeof err) != TELLS_OK) { CHECK(0); return; }
  tells_arena_init(&a, 0);
  make_fake(&f, 1);
  CHECK_EQ_INT(tells_caps_match_new(c, &a, &m), TELLS_OK);
  for (i = 0; i < 2; i++) tells_caps_feed(m, s[i], strlen(s[i]), 100 * i, 1);
  CHECK_EQ_INT(tells_caps_finish(m, &f.pe, f.file, sizeof f.file, &h, &n), TELLS_OK);
  CHECK(has_ev(hit(h, n, "raw-disk-access"), "string", "PhysicalDrive0"));
  CHECK(has_ev(hit(h, n, "raw-disk-access"), "import", "DeviceIoControl"));
  CHECK(has_ev(hit(h, n, "service-creation"), "import", "CreateServiceW"));
  CHECK(has_ev(hit(h, n, "embedded-driver"), "resource", "native"));
  CHECK(hit(h, n, "process-injection") == NULL);   /* no VirtualAllocEx */
  CHECK(hit(h, n, "c2-http") == NULL);
  {
    tells_buf b;
    tells_json j;
    tells_buf_init(&b, 1u << 20);
    tells_json_init_buf(&j, &b, 0);
    tells_caps_json(h, n, &j);
    CHECK_EQ_INT(tells_json_flush(&j), TELLS_OK);
    CHECK(strstr(tells_buf_str(&b), "{\"id\":\"raw-disk-access\",\"name\":") != NULL);
    CHECK(strstr(tells_buf_str(&b), "\"attack\":\"T1561\"") != NULL);
    CHECK(strstr(tells_buf_str(&b), "{\"type\":\"string\",\"value\":\"\\\\\\\\.\\\\PhysicalDrive0\",\"offset\":0}") != NULL);
    tells_buf_free(&b);
  }
  tells_arena_free(&a);
}

/* The benign MSVC binaries: parsed, strings fed, no capability. */
static void test_msvc_no_caps(void) {
  static const char *const files[] = {
    "setuptools-66.1.1/cli-64.exe", "setuptools-66.1.1/gui-32.exe", "setuptools-66.1.1/cli-arm64.exe",
    "rollup-win32-x64-msvc-4.68.8/rollup.win32-x64-msvc.node",
    "swc-core-win32-x64-msvc-1.16.22/swc.win32-x64-msvc.node"};
  const tells_caps *c;
  char err[512];
  size_t k, seen = 0;
  if (tells_caps_default(&c, err, sizeof err) != TELLS_OK) { CHECK(0); return; }
  for (k = 0; k < sizeof files / sizeof files[0]; k++) {
    char path[1024];
    FILE *fp;
    long len;
    uint8_t *buf;
    tells_arena a;
    tells_anoms an;
    tells_pe *pe = NULL;
    tells_caps_match *m;
    tells_caps_hit *h;
    size_t n, i;
    tells_strs st;
    tells_strs_opts o;
    snprintf(path, sizeof path, "%s/pe/msvc/%s", t_corpora(), files[k]);
    if (!(fp = fopen(path, "rb"))) continue;
    fseek(fp, 0, SEEK_END); len = ftell(fp); fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len) { fclose(fp); free(buf); continue; }
    fclose(fp);
    seen++;
    tells_arena_init(&a, 0);
    tells_anoms_init(&an);
    CHECK_EQ_INT(tells_pe_parse(buf, (size_t)len, &a, &an, &pe), TELLS_OK);
    CHECK_EQ_INT(tells_caps_match_new(c, &a, &m), TELLS_OK);
    memset(&o, 0, sizeof o);
    o.on_string = tells_caps_feed; o.ud = m;
    CHECK_EQ_INT(tells_strs_scan(buf, (size_t)len, &o, &a, &st), TELLS_OK);
    if (pe) {
      CHECK_EQ_INT(tells_caps_finish(m, pe, buf, (size_t)len, &h, &n), TELLS_OK);
      for (i = 0; i < n; i++) fprintf(stderr, "  %s: unexpected %s\n", files[k], h[i].rule->id);
      CHECK_EQ_INT(n, 0);
    }
    tells_anoms_free(&an);
    tells_arena_free(&a);
    free(buf);
  }
  if (!seen) T_SKIP("MSVC corpus not found under %s", t_corpora());
}

int main(void) {
  T_RUN(test_parse_ok);
  T_RUN(test_parse_errors);
  T_RUN(test_shipped_rules);
  T_RUN(test_match_custom);
  T_RUN(test_match_shipped);
  T_RUN(test_msvc_no_caps);
  T_END();
}
