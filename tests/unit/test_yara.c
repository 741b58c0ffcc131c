/*
** test_yara.c -- the YARA bridge (lib/code/yara_scan.c): compiling rule sets
** with failures isolated and reported by file and line, external variables,
** hits with metadata, and agreement with Debian's yara CLI on the corpora.
**
** The CLI comparison (test_cli_agrees_on_pe_corpora):
**   1. tells compiles every signature-base file, each in its own namespace
**      (the file's path), with filename/filepath/extension/filetype/owner
**      declared as strings.
**   2. `yarac -w -d filename= -d filepath= ... NS:FILE... out.yarc` compiles
**      the same files into the same namespaces with the same declarations.
**   3. For every file under pe/corkami and pe/msvc, tells derives the five
**      values (tells_yara_ext_derive) and scans the file's bytes; the CLI
**      runs once per file, `yara -C -w -e -d filename=V ... out.yarc FILE`,
**      with exactly those five values, so both sides see identical
**      externals.  A value the CLI would not take as a string (an integer,
**      a float, true/false) makes that file skipped, and counted.
**   4. The sets of "namespace:rule" per file must be equal.
** Corpora come from t_corpora(); absent corpora or CLI make cases skip.
*/
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "t.h"
#include "yara_scan.h"

extern char **environ;

static tells_yara_rules *g_sigbase;   /* compiled once, shared by two cases */

/* ---- helpers ----------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *b = NULL;
  long n;
  *len = 0;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) == (size_t)n) *len = (size_t)n;
    else { free(b); b = NULL; }
  }
  fclose(f);
  return b;
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

typedef struct strs { char **p; size_t n, cap; } strs;

static void strs_add(strs *s, const char *v) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->p = realloc(s->p, s->cap * sizeof *s->p);
  }
  s->p[s->n++] = strdup(v);
}
static void strs_free(strs *s) {
  size_t i;
  for (i = 0; i < s->n; i++) free(s->p[i]);
  free(s->p);
  memset(s, 0, sizeof *s);
}
static int cmp_s(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
static void strs_sort(strs *s) { if (s->n) qsort(s->p, s->n, sizeof *s->p, cmp_s); }

static void list_files(const char *dir, strs *out) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char p[4096];
  if (!d) return;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    if (is_dir(p)) list_files(p, out);
    else strs_add(out, p);
  }
  closedir(d);
}

/* Runs argv (PATH lookup), returns its stdout in *out (malloc'd) and its
** exit status, or -1 when it could not be started. */
static int run_capture(char *const argv[], char **out) {
  int pfd[2], status = -1;
  pid_t pid;
  posix_spawn_file_actions_t fa;
  tells_buf b;
  char chunk[8192];
  ssize_t k;
  *out = NULL;
  if (pipe(pfd) != 0) return -1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pfd[0]);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[0]); close(pfd[1]);
    return -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  close(pfd[1]);
  tells_buf_init(&b, 64u << 20);
  while ((k = read(pfd[0], chunk, sizeof chunk)) > 0) tells_buf_add(&b, chunk, (size_t)k);
  close(pfd[0]);
  if (waitpid(pid, &status, 0) < 0) status = -1;
  *out = strdup(tells_buf_str(&b));
  tells_buf_free(&b);
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int have_tool(const char *name) {
  char *argv[3], *out;
  int rc;
  argv[0] = (char *)name; argv[1] = "--version"; argv[2] = NULL;
  rc = run_capture(argv, &out);
  free(out);
  return rc == 0;
}

/* Would the yara CLI's -d take this value as something other than a string? */
static int cli_not_string(const char *v) {
  const char *p = v;
  char *end;
  if (!strcmp(v, "true") || !strcmp(v, "false")) return 1;
  if (*p == '-') p++;
  if (*p && strspn(p, "0123456789") == strlen(p)) return 1;
  if (*v) { (void)strtod(v, &end); if (*end == '\0') return 1; }
  return 0;
}

static void print_diags(const tells_yara_rules *r) {
  size_t n, i;
  const tells_yara_diag *d = tells_yara_rules_diags(r, &n);
  for (i = 0; i < n && i < 20; i++)
    printf("#   compile %s: %s:%d: %s\n",
           d[i].level == TELLS_YARA_ERROR ? "error" : "warning",
           d[i].file, d[i].line, d[i].msg);
}

static tells_yara_rules *compile_dir(const char *dir, double *secs) {
  tells_yara_rules *r = NULL;
  const char *paths[1];
  double t0 = now_s();
  paths[0] = dir;
  if (tells_yara_compile(paths, 1, NULL, &r) != TELLS_OK) return NULL;
  *secs = now_s() - t0;
  return r;
}

/* ---- (a) signature-base compiles with externals ------------------------ */

static void test_signature_base_compiles(void) {
  char dir[4096];
  const tells_yara_stats *st;
  double secs = 0;
  size_t n, i, ext_files = 0;
  const tells_yara_file *f;
  static const char *const ext_users[] = {
    "configured_vulns_ext_vars.yar", "thor_inverse_matches.yar",
    "yara-rules_vuln_drivers_strict_renamed.yar", "yara_mixed_ext_vars.yar",
    "generic_anomalies.yar", "gen_vcruntime140_dll_sideloading.yar",
  };
  snprintf(dir, sizeof dir, "%s/yara/signature-base", t_corpora());
  if (!is_dir(dir)) T_SKIP("corpus absent: %.200s", dir);
  g_sigbase = compile_dir(dir, &secs);
  CHECK(g_sigbase != NULL);
  if (!g_sigbase) return;
  st = tells_yara_rules_stats(g_sigbase);
  printf("# signature-base: %u files, %u compiled, %u failed, %u rules, "
         "%u warnings, %u compiler pass(es), %.2f s\n",
         st->n_files, st->n_files_ok, st->n_files_failed, st->n_rules,
         st->n_warnings, st->n_compiles, secs);
  print_diags(g_sigbase);
  CHECK_EQ_INT(st->n_files, 741);
  CHECK_EQ_INT(st->n_files_failed, 0);
  CHECK_EQ_INT(st->n_files_ok, 741);
  CHECK_EQ_INT(st->n_compiles, 1);
  CHECK(st->n_rules > 5000);
  /* the files that need the external variables are in, with their rules */
  f = tells_yara_rules_files(g_sigbase, &n);
  for (i = 0; i < n; i++) {
    size_t k;
    const char *base = strrchr(f[i].path, '/');
    base = base ? base + 1 : f[i].path;
    for (k = 0; k < sizeof ext_users / sizeof ext_users[0]; k++)
      if (!strcmp(base, ext_users[k])) {
        ext_files++;
        CHECK(f[i].ok);
        CHECK(f[i].n_rules > 0);
      }
  }
  CHECK_EQ_INT(ext_files, sizeof ext_users / sizeof ext_users[0]);
  /* files come in sorted order */
  for (i = 1; i < n; i++) CHECK(strcmp(f[i - 1].path, f[i].path) < 0);
}

/* ---- (b) same hits as the yara CLI ------------------------------------- */

typedef struct file_hits { strs mine, cli; int skipped; } file_hits;

/* Lists every file under pe/corkami and pe/msvc, sorted. */
static void pe_corpus_files(strs *files) {
  char d[4096];
  snprintf(d, sizeof d, "%s/pe/corkami", t_corpora());
  list_files(d, files);
  snprintf(d, sizeof d, "%s/pe/msvc", t_corpora());
  list_files(d, files);
  strs_sort(files);
}

/* Scans `files` with `r` and with the yara CLI (method in the file header
** comment); prints a summary and up to 10 differing files.  Returns the
** number of files whose (namespace:rule) sets differ, or -1 when the CLI
** failed.  *n_hits gets tells' hit count. */
static long compare_with_cli(const char *label, const tells_yara_rules *r,
                             const strs *files, size_t *n_hits) {
  char tmpl[] = "/tmp/tells-yara-cli-XXXXXX", yarc[4200];
  static const char *const names[5] = {
    "filename", "filepath", "extension", "filetype", "owner"
  };
  strs argv_c = {0}, rulehits = {0};
  file_hits *fh;
  tells_yara_scanner *sc = NULL;
  size_t n_rf, i, k, n_skipped = 0, hits_mine = 0, hits_cli = 0;
  long n_differ = 0;
  const tells_yara_file *rf;
  double t_mine, t_cli, t0;
  char *out;
  int rc;

  *n_hits = 0;
  if (tells_yara_scanner_new(r, &sc) != TELLS_OK) return -1;
  fh = calloc(files->n ? files->n : 1, sizeof *fh);

  /* tells: derive the externals from the path and content, scan */
  t0 = now_s();
  for (i = 0; i < files->n; i++) {
    tells_arena a;
    tells_yara_result res;
    const tells_yara_hit *h;
    size_t len;
    uint8_t *buf = read_all(files->p[i], &len);
    tells_arena_init(&a, 0);
    CHECK_EQ_INT(tells_yara_scan(sc, files->p[i], buf, len, NULL, &a, &res), TELLS_OK);
    for (h = res.hits; h; h = h->next) {
      char key[2048];
      snprintf(key, sizeof key, "%s:%s", h->ns, h->rule);
      strs_add(&fh[i].mine, key);
    }
    tells_arena_free(&a);
    free(buf);
  }
  t_mine = now_s() - t0;
  tells_yara_scanner_free(sc);

  /* the CLI: yarac once, same namespaces and declarations; yara per file */
  if (!mkdtemp(tmpl)) { free(fh); return -1; }
  snprintf(yarc, sizeof yarc, "%s/rules.yarc", tmpl);
  strs_add(&argv_c, "yarac");
  strs_add(&argv_c, "-w");
  for (k = 0; k < 5; k++) {
    char d[64];
    snprintf(d, sizeof d, "%s=", names[k]);
    strs_add(&argv_c, "-d");
    strs_add(&argv_c, d);
  }
  rf = tells_yara_rules_files(r, &n_rf);
  for (i = 0; i < n_rf; i++) {
    char a[8400];
    if (!rf[i].ok) continue;
    snprintf(a, sizeof a, "%s:%s", rf[i].path, rf[i].path);
    strs_add(&argv_c, a);
  }
  strs_add(&argv_c, yarc);
  argv_c.p = realloc(argv_c.p, (argv_c.n + 1) * sizeof *argv_c.p);
  argv_c.p[argv_c.n] = NULL;
  t0 = now_s();
  rc = run_capture(argv_c.p, &out);
  free(out);
  strs_free(&argv_c);
  if (rc != 0) {
    printf("# %s: yarac failed (%d)\n", label, rc);
    n_differ = -1;
  }
  for (i = 0; n_differ >= 0 && i < files->n; i++) {
    tells_arena a;
    tells_yara_ext ext;
    const char *v[5];
    size_t len;
    uint8_t *buf = read_all(files->p[i], &len);
    char d[5][4200], *argv[20], *line, *save = NULL;
    int n = 0, odd = 0;
    tells_arena_init(&a, 0);
    CHECK_EQ_INT(tells_yara_ext_derive(&a, files->p[i], buf, len, &ext), TELLS_OK);
    free(buf);
    v[0] = ext.filename; v[1] = ext.filepath; v[2] = ext.extension;
    v[3] = ext.filetype; v[4] = ext.owner;
    for (k = 0; k < 5; k++) {
      odd |= cli_not_string(v[k]);
      snprintf(d[k], sizeof d[k], "%s=%s", names[k], v[k]);
    }
    tells_arena_free(&a);
    if (odd) { fh[i].skipped = 1; n_skipped++; continue; }
    argv[n++] = "yara"; argv[n++] = "-C"; argv[n++] = "-w"; argv[n++] = "-e";
    for (k = 0; k < 5; k++) { argv[n++] = "-d"; argv[n++] = d[k]; }
    argv[n++] = yarc; argv[n++] = files->p[i]; argv[n] = NULL;
    rc = run_capture(argv, &out);
    CHECK_EQ_INT(rc, 0);
    /* match lines are "namespace:rule FILE" */
    for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      char *sp = strchr(line, ' ');
      if (!sp || strcmp(sp + 1, files->p[i]) != 0) continue;
      *sp = 0;
      strs_add(&fh[i].cli, line);
    }
    free(out);
  }
  t_cli = now_s() - t0;
  unlink(yarc);
  rmdir(tmpl);

  for (i = 0; n_differ >= 0 && i < files->n; i++) {
    int same;
    if (fh[i].skipped) continue;
    strs_sort(&fh[i].mine);
    strs_sort(&fh[i].cli);
    hits_mine += fh[i].mine.n;
    hits_cli += fh[i].cli.n;
    for (k = 0; k < fh[i].mine.n; k++) {
      const char *c = strrchr(fh[i].mine.p[k], ':');
      strs_add(&rulehits, c ? c + 1 : fh[i].mine.p[k]);
    }
    same = fh[i].mine.n == fh[i].cli.n;
    for (k = 0; same && k < fh[i].mine.n; k++)
      same = strcmp(fh[i].mine.p[k], fh[i].cli.p[k]) == 0;
    if (!same && ++n_differ <= 10) {
      printf("#   differs: %s\n", files->p[i]);
      for (k = 0; k < fh[i].mine.n; k++) printf("#     tells: %s\n", fh[i].mine.p[k]);
      for (k = 0; k < fh[i].cli.n; k++) printf("#     yara:  %s\n", fh[i].cli.p[k]);
    }
  }
  printf("# %s: %zu files, %zu compared, %zu skipped (externals the CLI would not "
         "take as strings), (file, rule) hits: tells %zu, yara CLI %zu; "
         "%ld files differ; tells %.2f s, CLI %.2f s\n",
         label, files->n, files->n - n_skipped, n_skipped, hits_mine, hits_cli,
         n_differ, t_mine, t_cli);
  strs_sort(&rulehits);
  for (i = 0; i < rulehits.n; i++) {
    size_t j = i;
    while (j + 1 < rulehits.n && !strcmp(rulehits.p[j + 1], rulehits.p[i])) j++;
    printf("#   %s: rule %s hit %zu file(s)\n", label, rulehits.p[i], j - i + 1);
    i = j;
  }
  strs_free(&rulehits);
  for (i = 0; i < files->n; i++) { strs_free(&fh[i].mine); strs_free(&fh[i].cli); }
  free(fh);
  *n_hits = hits_mine;
  return n_differ;
}

static void test_cli_agrees_on_pe_corpora(void) {
  strs files = {0};
  size_t hits = 0;
  if (!g_sigbase) T_SKIP("signature-base not compiled");
  if (!have_tool("yara") || !have_tool("yarac")) T_SKIP("yara/yarac CLI not installed");
  pe_corpus_files(&files);
  if (files.n == 0) { strs_free(&files); T_SKIP("pe corpora absent"); }
  CHECK(files.n > 200);
  CHECK_EQ_INT(compare_with_cli("signature-base", g_sigbase, &files, &hits), 0);
  CHECK(hits > 0);
  strs_free(&files);
}

/* The corpora trigger none of signature-base's external-variable rules, so
** this set makes every external decide some hits, and so proves that the
** values tells defines per file are those given to the CLI. */
static const char ext_rules[] =
  "rule ext_is_exe { condition: extension == \".exe\" }\n"
  "rule ext_none { condition: extension == \"\" }\n"
  "rule type_exe { condition: filetype == \"EXE\" }\n"
  "rule type_unknown { condition: filetype == \"UNKNOWN\" }\n"
  "rule owner_root { condition: owner == \"root\" }\n"
  "rule owner_set { condition: owner != \"\" }\n"
  "rule path_corkami { condition: filepath contains \"/corkami\" }\n"
  "rule path_msvc { condition: filepath matches /\\/msvc$/ }\n"
  "rule name_a_to_m { condition: filename matches /^[a-mA-M]/ }\n"
  "rule tiny_exe_named { condition: uint16(0) == 0x5A4D and filesize < 1024\n"
  "  and filename endswith \".exe\" }\n";

static void test_cli_agrees_on_externals(void) {
  char dir[] = "/tmp/tells-yara-ext-XXXXXX", p[256];
  const char *paths[1];
  tells_yara_rules *r = NULL;
  strs files = {0};
  size_t hits = 0;
  if (!have_tool("yara") || !have_tool("yarac")) T_SKIP("yara/yarac CLI not installed");
  pe_corpus_files(&files);
  if (files.n == 0) { strs_free(&files); T_SKIP("pe corpora absent"); }
  CHECK(mkdtemp(dir) != NULL);
  snprintf(p, sizeof p, "%s/externals.yar", dir);
  CHECK(write_file(p, ext_rules) == 0);
  paths[0] = p;
  CHECK_EQ_INT(tells_yara_compile(paths, 1, NULL, &r), TELLS_OK);
  if (r) {
    CHECK_EQ_INT(tells_yara_rules_stats(r)->n_rules, 10);
    CHECK_EQ_INT(compare_with_cli("externals", r, &files, &hits), 0);
    CHECK(hits > files.n);
    tells_yara_rules_free(r);
  }
  unlink(p);
  rmdir(dir);
  strs_free(&files);
}

/* ---- (c) a bad rule file is reported by file and line ------------------ */

static const char good_rules[] =
  "rule good_ext : tag1 tag2 {\n"
  "  meta:\n"
  "    author = \"Test Author\"\n"
  "    description = \"evil filename and marker\"\n"
  "    reference = \"https://example.org/ref\"\n"
  "    score = 75\n"
  "    hash = \"aa\"\n"
  "    hash = \"bb\"\n"
  "    active = true\n"
  "  strings:\n"
  "    $m = \"MARKER\"\n"
  "  condition:\n"
  "    $m and filename == \"evil.exe\" and extension == \".exe\"\n"
  "    and filetype == \"EXE\" and filepath == \"/cases/host1\"\n"
  "}\n"
  "rule many { strings: $x = \"xyzzy\" condition: #x > 3 }\n";

static const char bad_rules[] =
  "rule fine_in_bad_file { condition: true }\n"
  "\n"
  "rule bad_one {\n"
  "  strings:\n"
  "    $a = \"xyzzy\"\n"
  "  condition:\n"
  "    $a and and\n"
  "}\n";

static const char warn_rules[] =
  "rule slow_one { strings: $a = \"a\" condition: $a }\n";

static const char last_rules[] =
  "rule after_bad { strings: $z = \"ZZTOP\" condition: $z at 0 }\n";

static void on_diag(void *ud, const tells_yara_diag *d) {
  (*(int *)ud)++;
  printf("#   diag: %s %s:%d: %s\n", d->level == TELLS_YARA_ERROR ? "error" : "warning",
         d->file, d->line, d->msg);
}

static void test_bad_rule_file_named_with_line(void) {
  char dir[] = "/tmp/tells-yara-bad-XXXXXX";
  char pa[256], pb[256], pc[256], pd[256], missing[256];
  const char *paths[2];
  tells_yara_rules *r = NULL;
  tells_yara_opts opts;
  const tells_yara_stats *st;
  const tells_yara_diag *d;
  const tells_yara_file *f;
  size_t n, i;
  int n_cb = 0, found_err = 0, found_warn = 0;
  CHECK(mkdtemp(dir) != NULL);
  snprintf(pa, sizeof pa, "%s/a_good.yar", dir);
  snprintf(pb, sizeof pb, "%s/b_bad.yar", dir);
  snprintf(pc, sizeof pc, "%s/c_warn.yara", dir);
  snprintf(pd, sizeof pd, "%s/d_last.YAR", dir);
  snprintf(missing, sizeof missing, "%s/no-such-file.yar", dir);
  CHECK(write_file(pa, good_rules) == 0);
  CHECK(write_file(pb, bad_rules) == 0);
  CHECK(write_file(pc, warn_rules) == 0);
  CHECK(write_file(pd, last_rules) == 0);

  memset(&opts, 0, sizeof opts);
  opts.diag = on_diag; opts.diag_ud = &n_cb;
  opts.max_strings = 2;
  paths[0] = dir; paths[1] = missing;
  CHECK_EQ_INT(tells_yara_compile(paths, 2, &opts, &r), TELLS_OK);
  if (!r) return;
  st = tells_yara_rules_stats(r);
  CHECK_EQ_INT(st->n_files, 5);
  CHECK_EQ_INT(st->n_files_ok, 3);
  CHECK_EQ_INT(st->n_files_failed, 2);
  CHECK_EQ_INT(st->n_rules, 4);           /* good_ext, many, slow_one, after_bad */
  CHECK(st->n_compiles >= 3);             /* optimistic, trial, final */
  d = tells_yara_rules_diags(r, &n);
  CHECK_EQ_INT((size_t)n_cb, n);
  for (i = 0; i < n; i++) {
    if (d[i].level == TELLS_YARA_ERROR && !strcmp(d[i].file, pb)) {
      found_err++;
      CHECK_EQ_INT(d[i].line, 7);
      CHECK(strstr(d[i].msg, "syntax error") != NULL);
      CHECK_EQ_STR(d[i].source, pb);
    }
    if (d[i].level == TELLS_YARA_ERROR && !strcmp(d[i].file, missing)) {
      CHECK_EQ_INT(d[i].line, 0);
      found_err++;
    }
    if (d[i].level == TELLS_YARA_WARNING && !strcmp(d[i].file, pc)) {
      found_warn++;
      CHECK_EQ_INT(d[i].line, 1);
      CHECK_EQ_STR(d[i].rule, "slow_one");
    }
  }
  CHECK_EQ_INT(found_err, 2);
  CHECK_EQ_INT(found_warn, 1);   /* reported once, though compiled twice */
  f = tells_yara_rules_files(r, &n);
  CHECK_EQ_INT(n, 5);
  if (n == 5) {
    CHECK_EQ_STR(f[0].path, pa); CHECK(f[0].ok); CHECK_EQ_INT(f[0].n_rules, 2);
    CHECK_EQ_STR(f[1].path, pb); CHECK(!f[1].ok); CHECK_EQ_INT(f[1].n_errors, 1);
    CHECK_EQ_STR(f[2].path, pc); CHECK(f[2].ok); CHECK_EQ_INT(f[2].n_warnings, 1);
    CHECK_EQ_STR(f[3].path, pd); CHECK(f[3].ok);
    CHECK_EQ_STR(f[4].path, missing); CHECK(!f[4].ok);
  }
  {
    /* the good files scan, with externals, metas and bounded strings */
    static const char data[] = "MARKER..xyzzy xyzzy xyzzy xyzzy xyzzy a";
    tells_yara_scanner *sc = NULL;
    tells_yara_result res;
    tells_yara_ext ext;
    tells_arena a;
    const tells_yara_hit *h, *good = NULL, *many = NULL;
    tells_finding fd;
    tells_buf b;
    tells_json j;
    tells_arena_init(&a, 0);
    CHECK_EQ_INT(tells_yara_scanner_new(r, &sc), TELLS_OK);
    ext.filename = "evil.exe"; ext.filepath = "/cases/host1"; ext.extension = ".exe";
    ext.filetype = "EXE"; ext.owner = "root";
    CHECK_EQ_INT(tells_yara_scan(sc, NULL, (const uint8_t *)data, sizeof data - 1,
                                 &ext, &a, &res), TELLS_OK);
    for (h = res.hits; h; h = h->next) {
      if (!strcmp(h->rule, "good_ext")) good = h;
      if (!strcmp(h->rule, "many")) many = h;
    }
    CHECK_EQ_INT(res.n_hits, 3);              /* good_ext, many, slow_one */
    CHECK(good && many);
    if (good) {
      CHECK_EQ_STR(good->ns, pa);
      CHECK_EQ_INT(good->n_tags, 2);
      CHECK_EQ_STR(tells_yara_hit_meta(good, "author"), "Test Author");
      CHECK_EQ_STR(tells_yara_hit_meta(good, "reference"), "https://example.org/ref");
      CHECK_EQ_INT(good->n_metas, 7);
      CHECK_EQ_INT(good->n_strings, 1);
      CHECK_EQ_INT(good->strings[0].offset, 0);
      CHECK_EQ_INT(good->strings[0].len, 6);
      CHECK_EQ_STR(good->strings[0].id, "$m");
      CHECK_EQ_INT(tells_yara_hit_finding(good, &a, &fd), TELLS_OK);
      CHECK_EQ_STR(fd.rule, "yara:good_ext");
      CHECK_EQ_STR(fd.author, "Test Author");
      CHECK_EQ_STR(fd.title, "evil filename and marker");
      CHECK_EQ_STR(fd.severity, "medium");
      CHECK(fd.details_json && strstr(fd.details_json, "\"hash\":[\"aa\",\"bb\"]"));
      CHECK(fd.details_json && strstr(fd.details_json, "\"score\":75"));
      CHECK(fd.details_json && strstr(fd.details_json, "\"active\":true"));
      CHECK(fd.details_json && strstr(fd.details_json, "\"tags\":[\"tag1\",\"tag2\"]"));
    }
    if (many) {
      CHECK_EQ_INT(many->n_strings, 2);          /* opts.max_strings */
      CHECK_EQ_INT(many->n_strings_total, 5);
      CHECK_EQ_INT(many->strings[1].offset, 14);
    }
    tells_buf_init(&b, 1u << 20);
    tells_json_init_buf(&j, &b, 0);
    tells_yara_hits_json(&j, &res);
    tells_json_nl(&j);
    tells_yara_rules_json(&j, r);
    CHECK_EQ_INT(tells_json_flush(&j), TELLS_OK);
    CHECK(strstr(tells_buf_str(&b), "\"rule\":\"good_ext\"") != NULL);
    CHECK(strstr(tells_buf_str(&b), "\"line\":7") != NULL);
    tells_buf_free(&b);

    /* derived externals: a different name does not match good_ext */
    CHECK_EQ_INT(tells_yara_scan(sc, "/cases/host1/evil.exe", (const uint8_t *)data,
                                 sizeof data - 1, NULL, &a, &res), TELLS_OK);
    CHECK_EQ_INT(res.n_hits, 2);   /* filetype is not EXE: content has no MZ */
    CHECK_EQ_INT(tells_yara_ext_derive(&a, "/cases/host1/Evil.Tar.GZ",
                                       (const uint8_t *)"MZ", 2, &ext), TELLS_OK);
    CHECK_EQ_STR(ext.filename, "Evil.Tar.GZ");
    CHECK_EQ_STR(ext.filepath, "/cases/host1");
    CHECK_EQ_STR(ext.extension, ".gz");
    CHECK_EQ_STR(ext.filetype, "EXE");
    CHECK_EQ_STR(ext.owner, "");    /* no such file */
    CHECK_EQ_INT(tells_yara_ext_derive(&a, "/x/.bashrc", NULL, 0, &ext), TELLS_OK);
    CHECK_EQ_STR(ext.extension, "");
    CHECK_EQ_STR(ext.filetype, "UNKNOWN");
    CHECK_EQ_INT(tells_yara_ext_derive(&a, pa, NULL, 0, &ext), TELLS_OK);
    CHECK(ext.owner[0] != '\0');
    tells_yara_scanner_free(sc);
    tells_arena_free(&a);
  }
  tells_yara_rules_free(r);

  /* the bad file alone: reported, zero rules, still a usable empty set */
  r = NULL;
  paths[0] = pb;
  CHECK_EQ_INT(tells_yara_compile(paths, 1, NULL, &r), TELLS_OK);
  if (r) {
    st = tells_yara_rules_stats(r);
    CHECK_EQ_INT(st->n_files_failed, 1);
    CHECK_EQ_INT(st->n_rules, 0);
    d = tells_yara_rules_diags(r, &n);
    CHECK(n >= 1 && d[0].line == 7 && !strcmp(d[0].file, pb));
    tells_yara_rules_free(r);
  }
  unlink(pa); unlink(pb); unlink(pc); unlink(pd);
  rmdir(dir);
}

/* ---- a scan that runs too long stops at the timeout -------------------- */

static void test_scan_timeout(void) {
  char dir[] = "/tmp/tells-yara-slow-XXXXXX", p[256];
  const char *paths[1];
  tells_yara_rules *r = NULL;
  tells_yara_scanner *sc = NULL;
  tells_yara_opts opts;
  tells_yara_result res;
  tells_arena a;
  uint8_t *buf;
  CHECK(mkdtemp(dir) != NULL);
  snprintf(p, sizeof p, "%s/slow.yar", dir);
  CHECK(write_file(p,
    "rule quadratic {\n"
    "  condition:\n"
    "    for all i in (0..filesize - 1) : (\n"
    "      for all j in (0..filesize - 1) : (uint8(i) == uint8(j)))\n"
    "}\n") == 0);
  memset(&opts, 0, sizeof opts);
  opts.timeout_s = 1;
  paths[0] = p;
  CHECK_EQ_INT(tells_yara_compile(paths, 1, &opts, &r), TELLS_OK);
  buf = calloc(1, 1u << 20);
  tells_arena_init(&a, 0);
  if (r && buf && tells_yara_scanner_new(r, &sc) == TELLS_OK) {
    CHECK_EQ_INT(tells_yara_scan(sc, NULL, buf, 1u << 20, NULL, &a, &res), TELLS_ELIMIT);
    CHECK_EQ_INT(res.timed_out, 1);
    CHECK_EQ_INT(res.n_hits, 0);
    tells_yara_scanner_free(sc);
  }
  tells_arena_free(&a);
  free(buf);
  tells_yara_rules_free(r);
  unlink(p);
  rmdir(dir);
}

/* ---- (d) Blockbuster compiles ------------------------------------------ */

static void test_blockbuster_compiles(void) {
  char dir[4096];
  tells_yara_rules *r;
  const tells_yara_stats *st;
  double secs = 0;
  snprintf(dir, sizeof dir, "%s/yara/blockbuster", t_corpora());
  if (!is_dir(dir)) T_SKIP("corpus absent: %.200s", dir);
  r = compile_dir(dir, &secs);
  CHECK(r != NULL);
  if (!r) return;
  st = tells_yara_rules_stats(r);
  printf("# blockbuster: %u files, %u compiled, %u failed, %u rules, %u warnings, %.2f s\n",
         st->n_files, st->n_files_ok, st->n_files_failed, st->n_rules, st->n_warnings, secs);
  print_diags(r);
  CHECK_EQ_INT(st->n_files, 43);
  CHECK_EQ_INT(st->n_files_failed, 0);
  CHECK(st->n_rules >= 80);
  tells_yara_rules_free(r);
}

/* ---- one rule set, a scanner per thread -------------------------------- */

typedef struct thr { const tells_yara_rules *r; int hits; int err; } thr;

static void *thr_main(void *p) {
  thr *t = p;
  tells_yara_scanner *sc = NULL;
  static const char data[] = "ZZTOP and MARKER xyzzy";
  int i;
  if (tells_yara_scanner_new(t->r, &sc)) { t->err = 1; return NULL; }
  for (i = 0; i < 200; i++) {
    tells_arena a;
    tells_yara_result res;
    tells_arena_init(&a, 0);
    if (tells_yara_scan(sc, NULL, (const uint8_t *)data, sizeof data - 1, NULL, &a, &res))
      t->err = 1;
    t->hits += (int)res.n_hits;
    tells_arena_free(&a);
  }
  tells_yara_scanner_free(sc);
  return NULL;
}

static void test_scanner_per_thread(void) {
  char dir[] = "/tmp/tells-yara-thr-XXXXXX", p[256];
  const char *paths[1];
  tells_yara_rules *r = NULL;
  pthread_t th[4];
  thr t[4];
  int i;
  CHECK(mkdtemp(dir) != NULL);
  snprintf(p, sizeof p, "%s/r.yar", dir);
  CHECK(write_file(p, last_rules) == 0);
  paths[0] = p;
  CHECK_EQ_INT(tells_yara_compile(paths, 1, NULL, &r), TELLS_OK);
  if (r) {
    for (i = 0; i < 4; i++) {
      t[i].r = r; t[i].hits = 0; t[i].err = 0;
      CHECK(pthread_create(&th[i], NULL, thr_main, &t[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
      pthread_join(th[i], NULL);
      CHECK_EQ_INT(t[i].err, 0);
      CHECK_EQ_INT(t[i].hits, 200);   /* after_bad: ZZTOP at 0 */
    }
    tells_yara_rules_free(r);
  }
  unlink(p);
  rmdir(dir);
}

int main(void) {
  T_RUN(test_bad_rule_file_named_with_line);
  T_RUN(test_scanner_per_thread);
  T_RUN(test_scan_timeout);
  T_RUN(test_blockbuster_compiles);
  T_RUN(test_signature_base_compiles);
  T_RUN(test_cli_agrees_on_pe_corpora);
  T_RUN(test_cli_agrees_on_externals);
  tells_yara_rules_free(g_sigbase);
  T_END();
}
