/*
** test_evtx_tcache.c -- the EVTX template cache (lib/logs/evtx_tcache.c):
** files read one after another through one cache give exactly what each
** gives alone (every record's header, JSON, XML and event, the anomalies
** and counters), and the cache is used; a definition whose referenced name
** was changed is not taken from the cache; the corpus read through one
** cache gives what it gives without.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "evtx.h"
#include "evtx_int.h"
#include "evtx_write.h"
#include "t.h"

/* All a reader gives for buf (records, anomalies, counters) into out. */
static void read_all(const uint8_t *buf, size_t len, tells_evtx_tcache *tc, tells_buf *out) {
  tells_anoms an;
  tells_evtx *x = NULL;
  tells_evtx_rec r;
  tells_buf t;
  size_t i;
  char line[200];
  tells_anoms_init(&an);
  tells_buf_init(&t, 64u << 20);
  if (tells_evtx_open(buf, len, &an, &x) == TELLS_OK && x) {
    const tells_evtx_stats *st;
    tells_evtx_set_tcache(x, tc);
    while (tells_evtx_next(x, &r) == 1) {
      tells__evtx_record_text(x, &r, &t);
      tells_buf_add(out, t.p, t.n);
      tells_buf_adds(out, "\n");
    }
    st = tells_evtx_stats_get(x);
    snprintf(line, sizeof line, "%llu %llu %llu %llu %llu %llu\n", (unsigned long long)st->chunks,
             (unsigned long long)st->records, (unsigned long long)st->records_broken,
             (unsigned long long)st->records_recovered, (unsigned long long)st->templates,
             (unsigned long long)st->carve_rejected);
    tells_buf_adds(out, line);
    tells_evtx_close(x);
  }
  for (i = 0; i < an.n; i++) {
    snprintf(line, sizeof line, "%llu %s ", (unsigned long long)an.v[i].off, an.v[i].code);
    tells_buf_adds(out, line);
    tells_buf_adds(out, an.v[i].detail ? an.v[i].detail : "");
    tells_buf_adds(out, "\n");
  }
  tells_anoms_free(&an);
  tells_buf_free(&t);
}

static int same(const tells_buf *a, const tells_buf *b) {
  return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* A file of n records cycling through shapes (field name sets) from
** `first`: the order decides where each template and name lands. */
static void write_file(tells_buf *b, int first, int n) {
  static const char *const shapes[4][4] = {
    {"TargetUserName", "LogonType", "IpAddress", "WorkstationName"},
    {"Image", "CommandLine", "ParentImage", "User"},
    {"ServiceName", "ImagePath", "ServiceType", "StartType"},
    {"IpAddress", "Image", "TargetUserName", "ProcessId"},
  };
  static const char *const vals[4] = {"alice", "C:\\Windows\\System32\\cmd.exe /c whoami", "10",
                                      "10.0.0.5"};
  tells_evtxw *w;
  tells_evtxw_sys s;
  int i;
  memset(&s, 0, sizeof s);
  s.channel = "Security"; s.provider = "Microsoft-Windows-Security-Auditing"; s.computer = "DC01";
  s.user_sid = "S-1-5-18";
  tells_buf_init(b, 1u << 26);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, b), TELLS_OK);
  for (i = 0; i < n; i++) {
    int k = (first + i + i / 7) % 4;
    s.event_id = 4624 + (uint32_t)k;
    s.time_ns = INT64_C(1700000000000000000) + (int64_t)i * 1000000;
    CHECK_EQ_INT(tells_evtxw_add(w, &s, shapes[k], vals, 4), TELLS_OK);
  }
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
}

/* Two files in a row through one cache: each as when read alone. */
static void test_files_through_one_cache(void) {
  tells_buf f[2], alone[2], cached[2];
  tells_evtx_tcache *tc = tells_evtx_tcache_new();
  int k;
  CHECK(tc != NULL);
  if (!tc) return;
  write_file(&f[0], 0, 2500);
  write_file(&f[1], 2, 1800);
  for (k = 0; k < 2; k++) {
    tells_buf_init(&alone[k], 1u << 30);
    tells_buf_init(&cached[k], 1u << 30);
    read_all((const uint8_t *)f[k].p, f[k].n, NULL, &alone[k]);
  }
  for (k = 0; k < 2; k++) read_all((const uint8_t *)f[k].p, f[k].n, tc, &cached[k]);
  for (k = 0; k < 2; k++) CHECK(same(&alone[k], &cached[k]));
  fprintf(stderr, "  %llu definitions kept, %llu taken from the cache\n",
          (unsigned long long)tells_evtx_tcache_adds(tc), (unsigned long long)tells_evtx_tcache_hits(tc));
  CHECK(tells_evtx_tcache_adds(tc) > 0);
  CHECK(tells_evtx_tcache_hits(tc) > 10);
  for (k = 0; k < 2; k++) {
    tells_buf_free(&f[k]); tells_buf_free(&alone[k]); tells_buf_free(&cached[k]);
  }
  tells_evtx_tcache_free(tc);
}

/* A kept definition that names another by reference; in a copy of the
** file that name's text is changed: the copy's definition must not come
** from the cache (its records show the new name, as when read alone). */
static void test_changed_reference(void) {
  tells_buf f, alone, cached, warm;
  tells_evtx_tcache *tc = tells_evtx_tcache_new();
  uint32_t s, k;
  size_t at = 0;
  int found = 0;
  CHECK(tc != NULL);
  if (!tc) return;
  write_file(&f, 1, 600);
  tells_buf_init(&warm, 1u << 30);
  read_all((const uint8_t *)f.p, f.n, tc, &warm);
  /* a kept definition with a reference, and where the file holds it */
  for (s = 0; s < EVTX_TC_SLOTS && !found; s++) {
    const evtx_tc_ent *e;
    for (e = tc->slot[s]; e && !found; e = e->next)
      for (k = 0; k < e->n_names && !found; k++) {
        size_t p;
        if (e->names[k].inl || e->names[k].nch < 2) continue;
        for (p = EVTX_FILE_HEADER; p + 24 + e->dsize <= f.n && !found; p++)
          if (memcmp(f.p + p + 4, e->guid, 16) == 0 && tells_ld32le((const uint8_t *)f.p + p + 20) == e->dsize) {
            size_t chunk = EVTX_FILE_HEADER + (p - EVTX_FILE_HEADER) / EVTX_CHUNK_SIZE * EVTX_CHUNK_SIZE;
            uint32_t v = tells_ld32le((const uint8_t *)f.p + p + 24 + e->names[k].rel);
            if (v == p - chunk + 24 + e->names[k].rel + 4) continue;   /* inline here */
            at = chunk + v + 8;          /* the referenced name's first character */
            found = 1;
          }
      }
  }
  CHECK(found);
  if (found) {
    f.p[at] = (char)(f.p[at] == 'Q' ? 'R' : 'Q');   /* one character of the name */
    tells_buf_init(&alone, 1u << 30);
    tells_buf_init(&cached, 1u << 30);
    read_all((const uint8_t *)f.p, f.n, NULL, &alone);
    read_all((const uint8_t *)f.p, f.n, tc, &cached);
    CHECK(same(&alone, &cached));
    CHECK(!same(&alone, &warm));           /* the change shows */
    tells_buf_free(&alone); tells_buf_free(&cached);
  }
  tells_buf_free(&warm);
  tells_buf_free(&f);
  tells_evtx_tcache_free(tc);
}

/* Every EVTX file of the corpus, in one run through one cache, against
** each read alone. */
static tells_evtx_tcache *g_tc;
static int g_files, g_differ;

static void corpus_file(const char *path) {
  FILE *fh = fopen(path, "rb");
  long n;
  uint8_t *buf;
  tells_buf a, c;
  if (!fh) return;
  if (fseek(fh, 0, SEEK_END) || (n = ftell(fh)) < 0 || fseek(fh, 0, SEEK_SET)) { fclose(fh); return; }
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, fh) != (size_t)n) { free(buf); fclose(fh); return; }
  fclose(fh);
  tells_buf_init(&a, 1u << 30);
  tells_buf_init(&c, 1u << 30);
  read_all(buf, (size_t)n, NULL, &a);
  read_all(buf, (size_t)n, g_tc, &c);
  g_files++;
  if (!same(&a, &c)) {
    if (g_differ++ < 5) fprintf(stderr, "  %s: differs with the cache\n", path);
  }
  tells_buf_free(&a); tells_buf_free(&c);
  free(buf);
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  if (!d) return;
  while ((de = readdir(d)) != NULL) {
    char p[4096];
    struct stat st;
    size_t l;
    if (de->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    if (stat(p, &st) != 0) continue;
    l = strlen(de->d_name);
    if (S_ISDIR(st.st_mode)) walk(p);
    else if (l > 5 && strcmp(de->d_name + l - 5, ".evtx") == 0) corpus_file(p);
  }
  closedir(d);
}

static void test_corpus_through_one_cache(void) {
  char dir[4096];
  struct stat st;
  snprintf(dir, sizeof dir, "%s/evtx", t_corpora());
  if (stat(dir, &st) != 0) { fprintf(stderr, "  SKIP: %s absent\n", dir); return; }
  g_tc = tells_evtx_tcache_new();
  CHECK(g_tc != NULL);
  if (!g_tc) return;
  walk(dir);
  fprintf(stderr, "  %d files, %d differ; %llu definitions kept, %llu taken from the cache\n",
          g_files, g_differ, (unsigned long long)tells_evtx_tcache_adds(g_tc),
          (unsigned long long)tells_evtx_tcache_hits(g_tc));
  CHECK(g_files > 200);
  CHECK_EQ_INT(g_differ, 0);
  CHECK(tells_evtx_tcache_hits(g_tc) > 1000);
  tells_evtx_tcache_free(g_tc);
}

int main(void) {
  T_RUN(test_files_through_one_cache);
  T_RUN(test_changed_reference);
  T_RUN(test_corpus_through_one_cache);
  T_END();
}
