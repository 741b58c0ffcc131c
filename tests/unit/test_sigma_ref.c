/*
** test_sigma_ref.c -- the optimised Sigma matcher (buckets, Aho-Corasick
** literal prefilter, inverted index, pattern gates) against the reference
** evaluation (every rule whose logsource targets the event, evaluated on
** its whole condition, no prefilter): same detections on every record of
** the EVTX-ATTACK-SAMPLES with all rules/windows, and on synthetic events
** that probe the automaton's lanes, value separators and UTF-8 folding.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "evtx.h"
#include "logs_sigma.h"
#include "map.h"
#include "sigma_int.h"
#include "t.h"

typedef struct hitset { size_t n, cap; const void **r; } hitset;

static int on_hit(void *ud, const tells_sigma_hit *h) {
  hitset *s = ud;
  if (h->group) return 0;                 /* correlations: fed twice here */
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 16;
    const void **nr = realloc(s->r, nc * sizeof *nr);
    if (!nr) return 1;
    s->r = nr; s->cap = nc;
  }
  s->r[s->n++] = h->rule;
  return 0;
}

static int cmp_ptr(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;
  return x < y ? -1 : x > y;
}

/* Matches ev both ways; returns 1 when the detections differ. */
static uint64_t g_ref_evals;    /* rules evaluated by the reference */

static int both(tells_sigma_ruleset *s, const tells_sigma_event *ev, hitset *opt, hitset *ref) {
  tells_sigma_stats a, b;
  opt->n = ref->n = 0;
  CHECK(tells_sigma_match(s, ev, on_hit, opt) == TELLS_OK);
  tells__sigma_set_reference(s, 1);
  tells_sigma_get_stats(s, &a);
  CHECK(tells_sigma_match(s, ev, on_hit, ref) == TELLS_OK);
  tells_sigma_get_stats(s, &b);
  g_ref_evals += b.evaluated - a.evaluated;
  tells__sigma_set_reference(s, 0);
  if (opt->n > 1) qsort(opt->r, opt->n, sizeof *opt->r, cmp_ptr);
  if (ref->n > 1) qsort(ref->r, ref->n, sizeof *ref->r, cmp_ptr);
  return opt->n != ref->n || (opt->n && memcmp(opt->r, ref->r, opt->n * sizeof *opt->r) != 0);
}

typedef struct walkst {
  tells_sigma_ruleset *s;
  hitset opt, ref;
  tells_logs_sigev sev;
  uint64_t events, hits, diffs;
} walkst;

static void one_file(walkst *w, const char *path) {
  tells_map m;
  tells_evtx *x = NULL;
  tells_evtx_rec rec;
  tells_evtx_event ev;
  if (tells_map_open(path, &m) != TELLS_OK) return;
  if (tells_evtx_open(m.p, m.len, NULL, &x) == TELLS_OK && x) {
    while (tells_evtx_next(x, &rec) > 0) {
      if (tells_evtx_rec_event(x, &ev) != TELLS_OK) continue;
      if (tells_logs_sigev_fill(&w->sev, &ev, 0) != TELLS_OK) break;
      w->events++;
      if (both(w->s, &w->sev.ev, &w->opt, &w->ref)) {
        if (w->diffs++ < 5)
          fprintf(stderr, "  %s record %llu: optimised %zu detections, reference %zu\n", path,
                  (unsigned long long)rec.id, w->opt.n, w->ref.n);
      }
      w->hits += w->ref.n;
    }
    tells_evtx_close(x);
  }
  tells_map_close(&m);
}

static void walk(walkst *w, const char *dir, int depth) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, i;
  if (!d) return;
  while ((e = readdir(d)) != NULL) {
    char **nn;
    if (e->d_name[0] == '.') continue;
    nn = realloc(names, (n + 1) * sizeof *nn);
    if (!nn) break;
    names = nn;
    names[n] = strdup(e->d_name);
    if (names[n]) n++;
  }
  closedir(d);
  for (i = 0; i < n; i++) {
    char p[2048];
    struct stat sb;
    size_t l = strlen(names[i]);
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 8) walk(w, p, depth + 1);
    else if (l > 5 && strcmp(names[i] + l - 5, ".evtx") == 0) one_file(w, p);
    free(names[i]);
  }
  free(names);
}

static void test_attack_samples_match_reference(void) {
  char rules[1024], dir[1024];
  struct stat sb;
  walkst w;
  tells_sigma_stats st;
  snprintf(rules, sizeof rules, "%s/sigma/rules/rules/windows", t_corpora());
  snprintf(dir, sizeof dir, "%s/evtx/attack-samples", t_corpora());
  if (stat(rules, &sb) != 0 || stat(dir, &sb) != 0) T_SKIP("corpora absent");
  memset(&w, 0, sizeof w);
  CHECK(tells_sigma_ruleset_create(&w.s) == TELLS_OK);
  if (!w.s) return;
  CHECK(tells_sigma_load_path(w.s, rules, NULL, NULL, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(w.s, NULL, NULL) == TELLS_OK);
  g_ref_evals = 0;
  walk(&w, dir, 0);
  tells_sigma_get_stats(w.s, &st);
  printf("# sigma reference: %llu records, %llu detections both ways, %llu records differ; "
         "per record %.1f candidate rules, %.2f evaluated (reference %.1f); automaton %llu literals, "
         "%llu states, %.1f MB table\n",
         (unsigned long long)w.events, (unsigned long long)w.hits, (unsigned long long)w.diffs,
         w.events ? (double)st.candidates / (double)w.events : 0.0,
         w.events ? (double)(st.evaluated - g_ref_evals) / (double)w.events : 0.0,
         w.events ? (double)g_ref_evals / (double)w.events : 0.0,
         (unsigned long long)st.literals, (unsigned long long)st.ac_states, (double)st.ac_bytes / 1e6);
  CHECK(w.events >= 5000);
  CHECK(w.hits >= 500);
  CHECK_EQ_INT(w.diffs, 0);
  CHECK(w.s->n_combos >= 20);              /* scanners per set of buckets */
  CHECK(!w.s->all_built);                  /* and no need of the shared ones */
  tells_sigma_ruleset_destroy(w.s);
  /* again with a cap of 2 MB on the sets' tables: the sets met after it
  ** is reached share the automaton of every literal */
  w.events = w.hits = w.diffs = 0;
  CHECK(tells_sigma_ruleset_create(&w.s) == TELLS_OK);
  if (!w.s) return;
  CHECK(tells_sigma_load_path(w.s, rules, NULL, NULL, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(w.s, NULL, NULL) == TELLS_OK);
  tells__sigma_set_combo_cap(w.s, (size_t)2 << 20);
  walk(&w, dir, 0);
  printf("# sigma reference, tables capped at 2 MB: %llu records, %llu detections, %llu differ, "
         "%zu sets of buckets\n", (unsigned long long)w.events, (unsigned long long)w.hits,
         (unsigned long long)w.diffs, w.s->n_combos);
  CHECK(w.events >= 5000);
  CHECK_EQ_INT(w.diffs, 0);
  CHECK(w.s->all_built && w.s->all.ac != NULL);   /* the later sets share every literal */
  CHECK(w.s->n_combos < 10);
  tells_logs_sigev_free(&w.sev);
  free(w.opt.r); free(w.ref.r);
  tells_sigma_ruleset_destroy(w.s);
}

/* ---- synthetic events ---------------------------------------------------- */

static const char *k_rules =
    "title: LIT\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    CommandLine|contains: 'q7Zx9Kw2Lm'\n  condition: sel\n"
    "---\n"
    "title: SPAN\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    CommandLine|endswith: 'vv8Q'\n    Image|startswith: 'Jn4wq'\n"
    "  condition: sel\n"
    "---\n"
    "title: CYR\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  sel:\n    Product|contains:\n      - \"\\u0410\"\n      - \"\\u0412\"\n"
    "      - \"\\u0415\"\n      - \"\\u041a\"\n  condition: sel\n"
    "---\n"
    "title: KW\nlogsource:\n  product: windows\n  category: process_creation\n"
    "detection:\n  keywords:\n    - 'Zp0Qh7'\n  condition: keywords\n";

static int run_kv(tells_sigma_ruleset *s, const char *cmd, const char *img, const char *prod,
                  hitset *opt, hitset *ref, const char **title) {
  tells_sigma_field f[3];
  tells_sigma_event ev;
  memset(&ev, 0, sizeof ev);
  f[0].name = "CommandLine"; f[0].name_len = 11; f[0].val = cmd; f[0].val_len = strlen(cmd);
  f[1].name = "Image"; f[1].name_len = 5; f[1].val = img; f[1].val_len = strlen(img);
  f[2].name = "Product"; f[2].name_len = 7; f[2].val = prod; f[2].val_len = strlen(prod);
  ev.channel = "Microsoft-Windows-Sysmon/Operational";
  ev.event_id = 1;
  ev.fields = f; ev.n_fields = 3;
  CHECK_EQ_INT(both(s, &ev, opt, ref), 0);
  *title = opt->n ? ((const tells_sigma_rule_info *)opt->r[0])->title : "";
  return (int)opt->n;
}

static void test_synthetic_match_reference(void) {
  tells_sigma_ruleset *s = NULL;
  hitset opt, ref;
  const char *t;
  char cmd[1200];
  size_t n, pos, missed = 0;
  memset(&opt, 0, sizeof opt);
  memset(&ref, 0, sizeof ref);
  CHECK(tells_sigma_ruleset_create(&s) == TELLS_OK);
  if (!s) return;
  CHECK(tells_sigma_load_mem(s, "t.yml", k_rules, strlen(k_rules), NULL, NULL, NULL) == TELLS_OK);
  CHECK(tells_sigma_compile(s, NULL, NULL) == TELLS_OK);
  /* a literal at every position of values of many lengths: the scan cuts
  ** long inputs into lanes, and none may lose a literal at its edges */
  for (n = 10; n < sizeof cmd - 1 && !missed; n += 37) {
    for (pos = 0; pos + 10 <= n; pos++) {
      memset(cmd, 'a', n);
      memcpy(cmd + pos, "Q7zX9kW2lM", 10);   /* case-insensitive */
      cmd[n] = 0;
      if (run_kv(s, cmd, "C:\\x.exe", "P", &opt, &ref, &t) != 1 || strcmp(t, "LIT") != 0) missed++;
    }
  }
  CHECK_EQ_INT(missed, 0);
  /* literals of two rules that only meet across two values: no match */
  CHECK_EQ_INT(run_kv(s, "run vv8Q", "Jn4wq\\a.exe", "P", &opt, &ref, &t), 1);
  CHECK_EQ_INT(run_kv(s, "run vv8", "QJn4wq\\a.exe", "P", &opt, &ref, &t), 0);
  /* UTF-8 folding: a Cyrillic A matches, a registered sign does not */
  CHECK_EQ_INT(run_kv(s, "x", "y", "Micr\xd0\x90soft", &opt, &ref, &t), 1);
  CHECK_EQ_STR(t, "CYR");
  CHECK_EQ_INT(run_kv(s, "x", "y", "Microsoft\xc2\xae Windows\xc2\xae", &opt, &ref, &t), 0);
  CHECK_EQ_INT(run_kv(s, "x", "y", "\xd1\x90\xd0\x80", &opt, &ref, &t), 0);
  /* keywords search every value */
  CHECK_EQ_INT(run_kv(s, "x", "y", "zp0qh7", &opt, &ref, &t), 1);
  CHECK_EQ_STR(t, "KW");
  free(opt.r); free(ref.r);
  tells_sigma_ruleset_destroy(s);
}

int main(void) {
  T_RUN(test_synthetic_match_reference);
  T_RUN(test_attack_samples_match_reference);
  T_END();
}
