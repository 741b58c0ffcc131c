/*
** test_evtxbad.c -- bad EVTX input (issue 5 acceptance): files written by
** the EVTX writer, then damaged -- truncated, a chunk with a wrong CRC, a
** template pointing outside its chunk, a substitution index out of range.
** Each must give the right anomaly at the right offset, and every other
** record must still be read intact.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evtx.h"
#include "evtx_int.h"
#include "evtx_write.h"
#include "t.h"

#define NREC 600
#define CH(i) (4096u + 65536u * (i))

static uint8_t *g_file;
static size_t g_len;
static uint64_t g_off[NREC];     /* record offsets in the clean file */
static uint32_t g_size[NREC], g_chunk[NREC];
static size_t g_n;

/* A clean file of NREC records over several chunks. */
static int build(void) {
  tells_buf b;
  tells_evtxw *w;
  tells_evtxw_sys s;
  const char *names[4] = {"TargetUserName", "LogonType", "IpAddress", "CommandLine"};
  char user[32], cmd[200];
  const char *vals[4];
  tells_evtx *x;
  tells_evtx_rec r;
  int i;
  memset(&s, 0, sizeof s);
  s.channel = "Security"; s.provider = "Microsoft-Windows-Security-Auditing";
  s.computer = "WS01.corp.local"; s.user_sid = "S-1-5-18"; s.event_id = 4624;
  vals[0] = user; vals[1] = "3"; vals[2] = "10.1.2.3"; vals[3] = cmd;
  tells_buf_init(&b, 1u << 26);
  if (tells_evtxw_open_buf(&w, &b)) return -1;
  for (i = 0; i < NREC; i++) {
    snprintf(user, sizeof user, "user%d", i);
    snprintf(cmd, sizeof cmd, "cmd.exe /c echo %0*d", 20 + i % 60, i);
    s.time_ns = INT64_C(1700000000000000000) + (int64_t)i * 1000000000;
    if (tells_evtxw_add(w, &s, names, vals, 4)) return -1;
  }
  if (tells_evtxw_close(w)) return -1;
  g_file = (uint8_t *)b.p; g_len = b.n;
  if (tells_evtx_open(g_file, g_len, NULL, &x)) return -1;
  while (g_n < NREC && tells_evtx_next(x, &r) == 1) {
    g_off[g_n] = r.off; g_size[g_n] = r.size; g_chunk[g_n] = r.chunk; g_n++;
  }
  tells_evtx_close(x);
  return g_n == NREC ? 0 : -1;
}

/* Damaged files run through both decoding paths (records copied from
** symbolic template trees, records expanded) must agree: counted here. */
static int g_checked, g_differ;

/* Reads f: records by id into seen[] (1 intact, 2 broken, 3 recovered). */
typedef struct res { int seen[NREC + 1]; long n, broken, recovered, other; tells_anoms an; } res;
static void run(const uint8_t *f, size_t n, res *o) {
  tells_evtx *x;
  tells_evtx_rec r;
  char why[2048];
  g_checked++;
  if (tells__evtx_check(f, n, NULL, NULL, why, sizeof why)) {
    fprintf(stderr, "  decoding paths differ: %s\n", why);
    g_differ++;
  }
  memset(o, 0, sizeof *o);
  tells_anoms_init(&o->an);
  if (tells_evtx_open(f, n, &o->an, &x) != TELLS_OK) return;
  while (tells_evtx_next(x, &r) == 1) {
    tells_evtx_event ev;
    tells_buf jb;
    tells_json j;
    tells_buf_init(&jb, 1u << 20);
    tells_json_init_buf(&j, &jb, 0);
    tells_evtx_rec_json(x, &j);           /* renderers must cope too */
    tells_json_flush(&j);
    tells_evtx_rec_event(x, &ev);
    tells_buf_free(&jb);
    o->n++;
    if (r.id >= 1 && r.id <= NREC) o->seen[r.id] = r.broken ? 2 : r.recovered ? 3 : 1;
    else o->other++;
    o->broken += r.broken != 0;
    o->recovered += r.recovered != 0;
  }
  tells_evtx_close(x);
}
static const tells_anom *find(const res *o, const char *code) {
  size_t i;
  for (i = 0; i < o->an.n; i++) if (!strcmp(o->an.v[i].code, code)) return &o->an.v[i];
  return NULL;
}
static void dump_anoms(const res *o) {
  size_t i;
  for (i = 0; i < o->an.n && i < 6; i++)
    fprintf(stderr, "    anomaly %s at %llu: %s\n", o->an.v[i].code, (unsigned long long)o->an.v[i].off, o->an.v[i].detail);
}
/* every record except those in [lo, hi] (1-based ids) read intact */
static int others_intact(const res *o, int lo, int hi) {
  int i, bad = 0;
  for (i = 1; i <= NREC; i++) if ((i < lo || i > hi) && o->seen[i] != 1) bad++;
  if (bad) fprintf(stderr, "  %d other records not read intact\n", bad);
  return bad == 0;
}
static uint8_t *copy(void) { uint8_t *c = malloc(g_len); memcpy(c, g_file, g_len); return c; }
static void st32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static uint32_t ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
/* the first record of chunk c, and the one after it (it references the
** chunk's templates instead of holding them) */
static int first_of(uint32_t c) { size_t i; for (i = 0; i < g_n; i++) if (g_chunk[i] == c) return (int)i; return -1; }

static void test_clean(void) {
  res o;
  CHECK(g_file != NULL);
  if (!g_file) return;
  CHECK(g_len >= CH(4));
  run(g_file, g_len, &o);
  CHECK_EQ_INT(o.n, NREC);
  CHECK_EQ_INT(o.an.n, 0);
  CHECK(others_intact(&o, 0, 0));
  tells_anoms_free(&o.an);
}

/* Truncated in the middle of chunk 2: chunks 0 and 1 whole, chunk 2's
** records up to the cut, an anomaly at the chunk's offset. */
static void test_truncated(void) {
  res o;
  int f2 = first_of(2), k, last = -1;
  size_t cut;
  const tells_anom *a;
  if (!g_file || f2 < 0) { CHECK(0); return; }
  cut = (size_t)g_off[f2 + 5] + 10;       /* inside the 6th record of chunk 2 */
  run(g_file, cut, &o);
  dump_anoms(&o);
  CHECK((a = find(&o, "evtx.chunk_trunc")) != NULL);
  if (a) CHECK_EQ_INT(a->off, CH(2));
  for (k = 0; k < NREC; k++) if (g_off[k] + g_size[k] <= cut) last = k;
  CHECK_EQ_INT(last, f2 + 4);
  CHECK(others_intact(&o, last + 2, NREC));
  for (k = last + 2; k <= NREC; k++) CHECK(o.seen[k] == 0);
  tells_anoms_free(&o.an);
}

/* Wrong CRCs in chunk 1: flagged at the chunk, every record still read. */
static void test_wrong_crc(void) {
  uint8_t *f = copy();
  res o;
  const tells_anom *a;
  int f1 = first_of(1);
  /* records CRC: change a character of the first record's CommandLine */
  f[g_off[f1] + g_size[f1] - 40] ^= 0x01;
  run(f, g_len, &o);
  dump_anoms(&o);
  CHECK((a = find(&o, "evtx.records_crc")) != NULL);
  if (a) CHECK_EQ_INT(a->off, CH(1) + 52);  /* the stored checksum */
  CHECK(find(&o, "evtx.chunk_crc") == NULL);
  CHECK_EQ_INT(o.n, NREC);
  CHECK(others_intact(&o, 0, 0));
  tells_anoms_free(&o.an);
  /* header CRC: change the stored checksum */
  f[g_off[f1] + g_size[f1] - 40] ^= 0x01;
  f[CH(1) + 124] ^= 0x80;
  run(f, g_len, &o);
  CHECK((a = find(&o, "evtx.chunk_crc")) != NULL);
  if (a) CHECK_EQ_INT(a->off, CH(1) + 124);
  CHECK(find(&o, "evtx.records_crc") == NULL);
  CHECK_EQ_INT(o.n, NREC);
  CHECK(others_intact(&o, 0, 0));
  tells_anoms_free(&o.an);
  free(f);
}

/* A record of chunk 1 whose template instance points outside the chunk:
** that record is broken, named by its offset; the others are intact. */
static void test_template_outside(void) {
  uint8_t *f = copy();
  res o;
  const tells_anom *a;
  int r = first_of(1) + 3;                 /* references the chunk's template */
  uint64_t fld = g_off[r] + 24 + 4 + 6;    /* fragment, 0c 01 id, offset */
  CHECK_EQ_INT(f[g_off[r] + 28], 0x0c);
  CHECK(ld32(f + fld) >= 512 && ld32(f + fld) < 65536);
  st32(f + fld, 70000);
  run(f, g_len, &o);
  dump_anoms(&o);
  CHECK((a = find(&o, "evtx.template_range")) != NULL);
  if (a) CHECK_EQ_INT(a->off, fld);      /* the definition offset field */
  CHECK_EQ_INT(o.seen[r + 1], 2);          /* ids are 1-based */
  CHECK_EQ_INT(o.broken, 1);
  CHECK(others_intact(&o, r + 1, r + 1));
  tells_anoms_free(&o.an);
  /* the same inside the chunk header */
  st32(f + fld, 200);
  run(f, g_len, &o);
  CHECK(find(&o, "evtx.template_range") != NULL);
  CHECK(others_intact(&o, r + 1, r + 1));
  tells_anoms_free(&o.an);
  free(f);
}

/* A record of chunk 2 that says it has fewer values than its template
** substitutes: the substitutions past the count are out of range. */
static void test_subst_out_of_range(void) {
  uint8_t *f = copy();
  res o;
  const tells_anom *a;
  int r = first_of(2) + 2;
  uint64_t cnt = g_off[r] + 24 + 4 + 10;   /* value count after the instance header */
  CHECK_EQ_INT(ld32(f + cnt), 18);
  st32(f + cnt, 12);                        /* indices 12..17 now out of range */
  run(f, g_len, &o);
  dump_anoms(&o);
  CHECK((a = find(&o, "evtx.subst_range")) != NULL);
  if (a) CHECK(a->off >= g_off[r] && a->off < g_off[r] + g_size[r]);
  CHECK_EQ_INT(o.seen[r + 1], 2);
  CHECK(others_intact(&o, r + 1, r + 1));
  tells_anoms_free(&o.an);
  free(f);
}

/* All four in one file: each reported, the rest read. */
static void test_all_at_once(void) {
  uint8_t *f = copy();
  res o;
  int r1 = first_of(1) + 3, r2 = first_of(2) + 2, i, hit = 0;
  size_t cut = CH(3) + 30000;
  st32(f + g_off[r1] + 34, 70000);
  st32(f + g_off[r2] + 38, 12);
  f[CH(0) + 52] ^= 0xff;                   /* chunk 0 records CRC */
  run(f, cut, &o);
  dump_anoms(&o);
  CHECK(find(&o, "evtx.template_range") && find(&o, "evtx.subst_range"));
  CHECK(find(&o, "evtx.records_crc") && find(&o, "evtx.chunk_trunc"));
  for (i = 1; i <= NREC; i++) hit += o.seen[i] == 1;
  for (i = 0; i < NREC; i++) if (g_chunk[i] < 3 && i != r1 && i != r2) CHECK(o.seen[i + 1] == 1);
  fprintf(stderr, "  %d records intact of %d\n", hit, NREC);
  tells_anoms_free(&o.an);
  free(f);
}

/* Every damaged file above decoded the same by both paths. */
static void test_paths_agree(void) {
  CHECK(g_checked >= 5);
  CHECK_EQ_INT(g_differ, 0);
}

int main(void) {
  if (build()) fprintf(stderr, "  could not build the test file\n");
  T_RUN(test_clean);
  T_RUN(test_truncated);
  T_RUN(test_wrong_crc);
  T_RUN(test_template_outside);
  T_RUN(test_subst_out_of_range);
  T_RUN(test_all_at_once);
  free(g_file);
  T_RUN(test_paths_agree);
  T_END();
}
