/*
** test_evtxw.c -- property tests of the EVTX writer (lib/logs/evtx_write.c):
** thousands of random records (every value type, arrays, empty and long
** strings, non-ASCII UTF-16 with surrogate pairs, many chunks) are written,
** read back with tells' reader, and every field compared with text the test
** formats itself.  Also: the string and template pointer tables, records
** larger than a chunk, and Debian's evtxexport on a written file.
*/
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "evtx.h"
#include "evtx_int.h"
#include "evtx_write.h"
#include "t.h"

/* ---- PRNG (xorshift64*) ------------------------------------------------------ */
static uint64_t rs;
static uint64_t rnd(void) { rs ^= rs >> 12; rs ^= rs << 25; rs ^= rs >> 27; return rs * 0x2545F4914F6CDD1Dull; }
static uint32_t rn(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

/* ---- growable text -------------------------------------------------------- */
typedef struct sb { char *p; size_t n, cap; } sb;
static void sb_add(sb *s, const void *p, size_t n) {
  if (s->n + n + 1 > s->cap) { s->cap = (s->n + n + 1) * 2; s->p = realloc(s->p, s->cap); }
  memcpy(s->p + s->n, p, n); s->n += n; s->p[s->n] = 0;
}
static void sb_f(sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_f(sb *s, const char *fmt, ...) {
  char t[256];
  va_list ap;
  int k;
  va_start(ap, fmt); k = vsnprintf(t, sizeof t, fmt, ap); va_end(ap);
  sb_add(s, t, (size_t)k);
}
static char *sb_take(sb *s) { char *p = s->p ? s->p : calloc(1, 1); s->p = NULL; s->n = s->cap = 0; return p; }
static void trim(char *s) {
  size_t n = strlen(s);
  while (n && strchr(" \t\r\n", s[n - 1])) s[--n] = 0;
}

/* ---- the model of one record ----------------------------------------------- */
typedef struct mfield { char *name; uint8_t type; uint8_t *bytes; uint32_t n; char *text; } mfield;
typedef struct mrec {
  tells_evtxw_sys s;
  char *channel, *provider, *computer, *sid, *guid, *root;
  char *guid_text;
  uint64_t id, ft;
  mfield *f; size_t nf;
} mrec;

/* random code point, as UTF-8 into u (and its UTF-16 unit count) */
static void rand_char(sb *u8, int ascii_only) {
  static const char *const pool[] = {"\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xf0\x90\x8d\x88",
                                     "<", "&", "\"", " ", "\xd0\x96", "\xe2\x82\xac", "\t"};
  uint32_t k = rn(10);
  if (ascii_only || k < 6) { char c = (char)(0x20 + rn(95)); sb_add(u8, &c, 1); return; }
  k = rn(sizeof pool / sizeof pool[0]);
  sb_add(u8, pool[k], strlen(pool[k]));
}
static char *rand_text(uint32_t maxlen, int ascii_only) {
  sb s = {0};
  uint32_t n = rn(8) == 0 ? 0 : rn(20) == 0 ? 300 + rn(maxlen) : 1 + rn(24), i;
  for (i = 0; i < n; i++) rand_char(&s, ascii_only);
  return sb_take(&s);
}
static char *rand_name(void) {
  static const char *const pool[] = {"TargetUserName", "SubjectUserSid", "LogonType", "IpAddress",
                                     "ProcessName", "CommandLine", "Image", "Hashes", "ServiceName",
                                     "ImagePath", "param1", "param2", "Data", "Caf\xc3\xa9",
                                     "\xe5\x90\x8d\xe5\x89\x8d", "x\xf0\x9f\x98\x80y"};
  if (rn(10)) return strdup(pool[rn(sizeof pool / sizeof pool[0])]);
  {
    sb s = {0};
    uint32_t i, n = 1 + rn(12);
    for (i = 0; i < n; i++) { char c = (char)('a' + rn(26)); sb_add(&s, &c, 1); }
    return sb_take(&s);
  }
}

static void fmt_ft(sb *s, uint64_t ft) {
  time_t secs = (time_t)(ft / 10000000u) - (time_t)11644473600LL;
  struct tm tm;
  gmtime_r(&secs, &tm);
  sb_f(s, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
       tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ft % 10000000u / 10));
}
static void fmt_guid(sb *s, const uint8_t *g) {
  sb_f(s, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
       (unsigned)(g[0] | g[1] << 8 | g[2] << 16 | (uint32_t)g[3] << 24), (unsigned)(g[4] | g[5] << 8),
       (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}
static void put_le(sb *b, uint64_t v, int w) { int i; for (i = 0; i < w; i++) { uint8_t c = (uint8_t)(v >> 8 * i); sb_add(b, &c, 1); } }

/* One scalar of type t: raw bytes into b, text into s. */
static void rand_scalar(uint8_t t, sb *b, sb *s, int in_array) {
  uint64_t v = rnd();
  switch (t) {
  case 0x01: {
    char *u = rand_text(2500, 0);
    uint8_t *w = malloc(4 * strlen(u) + 2);
    size_t k = tells_evtxw_utf16(w, 4 * strlen(u) + 2, u, strlen(u));
    if (in_array) { /* elements are NUL-separated: no NUL inside */ }
    sb_add(b, w, k);
    if (in_array) put_le(b, 0, 2);
    sb_add(s, u, strlen(u));
    free(w); free(u);
    return;
  }
  case 0x02: {
    uint32_t n = rn(6) ? rn(30) : rn(400), i;
    for (i = 0; i < n; i++) {
      uint8_t c = (uint8_t)(rn(4) ? 0x20 + rn(95) : 0xa0 + rn(96));
      sb_add(b, &c, 1);
      if (c < 0x80) sb_add(s, &c, 1);
      else { char u[2] = {(char)(0xc0 | c >> 6), (char)(0x80 | (c & 63))}; sb_add(s, u, 2); }
    }
    if (in_array) put_le(b, 0, 1);
    return;
  }
  case 0x03: put_le(b, v, 1); sb_f(s, "%d", (int8_t)v); return;
  case 0x04: put_le(b, v, 1); sb_f(s, "%u", (uint8_t)v); return;
  case 0x05: put_le(b, v, 2); sb_f(s, "%d", (int16_t)v); return;
  case 0x06: put_le(b, v, 2); sb_f(s, "%u", (uint16_t)v); return;
  case 0x07: put_le(b, v, 4); sb_f(s, "%d", (int32_t)v); return;
  case 0x08: put_le(b, v, 4); sb_f(s, "%u", (uint32_t)v); return;
  case 0x09: put_le(b, v, 8); sb_f(s, "%lld", (long long)(int64_t)v); return;
  case 0x0a: put_le(b, v, 8); sb_f(s, "%llu", (unsigned long long)v); return;
  case 0x0b: {
    float f = (float)((double)(int32_t)v / (1 + rn(1000)));
    uint32_t u; memcpy(&u, &f, 4); put_le(b, u, 4); sb_f(s, "%.9g", f); return;
  }
  case 0x0c: {
    double d = (double)(int64_t)v / (1 + rn(100000)) * (rn(2) ? 1e-9 : 1e9);
    uint64_t u; memcpy(&u, &d, 8); put_le(b, u, 8); sb_f(s, "%.17g", d); return;
  }
  case 0x0d: put_le(b, v & 1, 4); sb_f(s, "%s", v & 1 ? "true" : "false"); return;
  case 0x0e: {
    uint32_t n = rn(64), i;
    for (i = 0; i < n; i++) { uint8_t c = (uint8_t)rnd(); sb_add(b, &c, 1); sb_f(s, "%02X", c); }
    return;
  }
  case 0x0f: {
    uint8_t g[16]; int i;
    for (i = 0; i < 16; i++) g[i] = (uint8_t)rnd();
    sb_add(b, g, 16); fmt_guid(s, g); return;
  }
  case 0x10: put_le(b, v, 8); sb_f(s, "0x%llx", (unsigned long long)v); return;
  case 0x11: {
    uint64_t ft = 116444736000000000ull + v % (130ull * 365 * 86400 * 10000000ull);
    put_le(b, ft, 8); fmt_ft(s, ft); return;
  }
  case 0x12: {
    unsigned y = 1990 + rn(80), mo = 1 + rn(12), d = 1 + rn(28), h = rn(24), mi = rn(60), se = rn(60), ms = rn(1000);
    put_le(b, y, 2); put_le(b, mo, 2); put_le(b, rn(7), 2); put_le(b, d, 2);
    put_le(b, h, 2); put_le(b, mi, 2); put_le(b, se, 2); put_le(b, ms, 2);
    sb_f(s, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", y, mo, d, h, mi, se, ms * 1000);
    return;
  }
  case 0x13: {
    uint32_t cnt = rn(6), i;
    uint64_t auth = rn(4) ? rn(20) : v & 0xffffffffffffull;
    uint8_t h[8] = {1, (uint8_t)cnt};
    for (i = 0; i < 6; i++) h[2 + i] = (uint8_t)(auth >> (8 * (5 - i)));
    sb_add(b, h, 8);
    sb_f(s, "S-1-%llu", (unsigned long long)auth);
    for (i = 0; i < cnt; i++) { uint32_t sa = (uint32_t)rnd(); put_le(b, sa, 4); sb_f(s, "-%u", sa); }
    return;
  }
  case 0x14: put_le(b, v, 4); sb_f(s, "0x%x", (uint32_t)v); return;
  case 0x15: put_le(b, v, 8); sb_f(s, "0x%llx", (unsigned long long)v); return;
  default: return;
  }
}

static const uint8_t SCALARS[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                                  0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15};
/* array element types the reader renders (0x82, ANSI arrays: see
** test_parser_ansi_array) */
static const uint8_t ARRAYS[] = {0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c,
                                 0x8d, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95};
/* what libevtx 20181227 (evtxexport) substitutes: no SID, bool, size_t arrays */
static const uint8_t ARRAYS_LIBEVTX[] = {0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
                                         0x8c, 0x8f, 0x91, 0x92, 0x94, 0x95};

static void rand_field(mfield *f, const uint8_t *arrs, size_t n_arrs) {
  sb b = {0}, s = {0};
  uint32_t k = rn(100);
  f->name = rand_name();
  if (k < 4) f->type = 0;
  else if (k < 20) f->type = arrs[rn((uint32_t)n_arrs)];
  else f->type = SCALARS[rn(sizeof SCALARS)];
  if (f->type & 0x80) {
    /* libevtx rejects an empty array of a fixed-width type */
    uint32_t n = arrs == ARRAYS_LIBEVTX && f->type != 0x81 ? 1 + rn(5) : rn(6), i;
    for (i = 0; i < n; i++) {
      if (i) sb_add(&s, ",", 1);
      rand_scalar(f->type & 0x7f, &b, &s, 1);
    }
  } else if (f->type) rand_scalar(f->type, &b, &s, 0);
  f->n = (uint32_t)b.n;
  f->bytes = (uint8_t *)sb_take(&b);
  f->text = sb_take(&s);
  trim(f->text);
}

static char *pick(const char *const *pool, size_t n) { return strdup(pool[rn((uint32_t)n)]); }

static void rand_rec(mrec *r, uint64_t *next_id, const uint8_t *arrs, size_t n_arrs) {
  static const char *const chans[] = {"Security", "System", "Microsoft-Windows-Sysmon/Operational",
                                      "Application", "Caf\xc3\xa9/\xf0\x9f\x98\x80"};
  static const char *const provs[] = {"Microsoft-Windows-Security-Auditing", "Service Control Manager",
                                      "Microsoft-Windows-Sysmon", "\xe4\xb8\xad\xe6\x96\x87"};
  static const char *const comps[] = {"WS01.corp.local", "DC01", "", "h\xc3\xb4te"};
  size_t i;
  memset(r, 0, sizeof *r);
  r->channel = pick(chans, 5); r->provider = pick(provs, 4); r->computer = pick(comps, 4);
  /* libevtx cannot export a record with an empty Computer (Windows always
  ** has one) */
  if (arrs == ARRAYS_LIBEVTX && !*r->computer) { free(r->computer); r->computer = strdup("WS02"); }
  r->s.channel = r->channel; r->s.provider = r->provider; r->s.computer = r->computer;
  if (rn(2)) {
    uint8_t sid[68]; char t[200]; int k = snprintf(t, sizeof t, "S-1-5-21-%u-%u-%u", (uint32_t)rnd(), (uint32_t)rnd(), rn(5000));
    (void)k; r->sid = strdup(t); r->s.user_sid = r->sid;
    CHECK(tells_evtxw_sid(sid, t) == 8 + 4 * 4);
  }
  if (rn(2)) {
    uint8_t g[16]; sb s = {0}, br = {0}; int j;
    for (j = 0; j < 16; j++) g[j] = (uint8_t)rnd();
    fmt_guid(&s, g);
    sb_add(&br, "{", 1); sb_add(&br, s.p, s.n); sb_add(&br, "}", 1);
    r->guid_text = sb_take(&s); r->guid = sb_take(&br);
    r->s.provider_guid = r->guid;
  }
  if (rn(4) == 0) r->root = rand_name(), r->s.user_data = r->root;
  r->s.time_ns = (int64_t)(946684800ull * 1000000000ull + rnd() % (30ull * 365 * 86400 * 1000000000ull));
  r->s.event_id = rn(8) ? rn(65536) : 65536 + rn(1u << 20);
  r->s.level = (uint8_t)rn(6); r->s.opcode = (uint8_t)rnd(); r->s.version = (uint8_t)rn(4);
  r->s.task = (uint16_t)rnd(); r->s.keywords = rnd(); r->s.pid = (uint32_t)rnd(); r->s.tid = (uint32_t)rnd();
  r->s.record_id = rn(50) ? 0 : *next_id + rn(1000);
  r->id = r->s.record_id ? r->s.record_id : *next_id;
  *next_id = r->id + 1;
  r->ft = tells_evtxw_filetime(r->s.time_ns);
  r->nf = rn(5) ? rn(10) : rn(60);
  r->f = calloc(r->nf + 1, sizeof *r->f);
  for (i = 0; i < r->nf; i++) rand_field(&r->f[i], arrs, n_arrs);
}

static void free_rec(mrec *r) {
  size_t i;
  for (i = 0; i < r->nf; i++) { free(r->f[i].name); free(r->f[i].bytes); free(r->f[i].text); }
  free(r->f); free(r->channel); free(r->provider); free(r->computer); free(r->sid);
  free(r->guid); free(r->guid_text); free(r->root);
}

static tells_err add_rec(tells_evtxw *w, const mrec *r) {
  tells_evtxw_field fs[64];
  size_t i;
  for (i = 0; i < r->nf; i++) {
    fs[i].name = r->f[i].name; fs[i].v.type = r->f[i].type;
    fs[i].v.p = r->f[i].bytes; fs[i].v.n = r->f[i].n;
  }
  return tells_evtxw_add_vals(w, &r->s, fs, r->nf);
}

/* Reals compare by value, element by element. */
static int same_text(uint8_t type, const char *got, const char *want) {
  if ((type & 0x7f) != 0x0b && (type & 0x7f) != 0x0c) return strcmp(got, want) == 0;
  for (;;) {
    char *e1, *e2;
    double a = strtod(got, &e1), b = strtod(want, &e2);
    if ((type & 0x7f) == 0x0b ? (float)a != (float)b : a != b) return 0;
    if (*e1 != *e2) return 0;
    if (!*e1) return 1;
    got = e1 + 1; want = e2 + 1;
  }
}

/* Reads f back and compares every record with the model.  Returns the
** number of records that differ. */
static int compare(const uint8_t *f, size_t n, mrec *m, size_t nm, tells_evtx_stats *st_out) {
  tells_evtx *x;
  tells_evtx_rec rec;
  tells_anoms an;
  tells_buf jb;
  size_t i = 0, k;
  int bad = 0;
  tells_anoms_init(&an);
  tells_buf_init(&jb, 1u << 22);
  CHECK_EQ_INT(tells_evtx_open(f, n, &an, &x), TELLS_OK);
  while (tells_evtx_next(x, &rec) == 1) {
    tells_evtx_event ev;
    tells_json j;
    mrec *r = &m[i];
    char kw[32];
    int d = 0;
    if (i >= nm) { bad++; break; }
    tells_buf_reset(&jb);
    tells_json_init_buf(&j, &jb, 0);
    d |= tells_evtx_rec_json(x, &j) != TELLS_OK || tells_json_flush(&j) != TELLS_OK;
    d |= tells_evtx_rec_event(x, &ev) != TELLS_OK;
    snprintf(kw, sizeof kw, "0x%llx", (unsigned long long)r->s.keywords);
    d |= rec.broken || rec.recovered || rec.id != r->id || rec.written != r->ft;
    d |= ev.record_id != r->id || ev.time != (int64_t)(r->ft - 116444736000000000ull);
    d |= ev.event_id != r->s.event_id || ev.level != r->s.level || ev.task != r->s.task;
    d |= ev.opcode != r->s.opcode || ev.version != r->s.version || ev.pid != r->s.pid || ev.tid != r->s.tid;
    d |= strcmp(ev.channel, r->channel) || strcmp(ev.provider, r->provider);
    d |= strcmp(ev.computer, r->computer) || strcmp(ev.keywords, kw);
    d |= strcmp(ev.user_sid, r->sid ? r->sid : "") || strcmp(ev.provider_guid, r->guid_text ? r->guid_text : "");
    d |= ev.user_data != (r->root != NULL);
    if (!r->root) {
      d |= ev.n_fields != r->nf;
      for (k = 0; k < r->nf && k < ev.n_fields && !d; k++) {
        if (strcmp(ev.fields[k].name, r->f[k].name) || !same_text(r->f[k].type, ev.fields[k].value, r->f[k].text)) {
          fprintf(stderr, "  record %zu field %zu type 0x%02x: got %s=\"%.80s\" want %s=\"%.80s\"\n", i, k,
                  r->f[k].type, ev.fields[k].name, ev.fields[k].value, r->f[k].name, r->f[k].text);
          d = 1;
        }
      }
    } else {
      /* UserData: NULL-valued leaves are absent */
      size_t e = 0;
      for (k = 0; k < r->nf && !d; k++) {
        if (!r->f[k].type) continue;
        if (e >= ev.n_fields || strcmp(ev.fields[e].name, r->f[k].name) ||
            !same_text(r->f[k].type, ev.fields[e].value, r->f[k].text)) {
          fprintf(stderr, "  record %zu user field %zu differs\n", i, k);
          d = 1;
        }
        e++;
      }
      d |= e != ev.n_fields;
    }
    if (d && bad < 5) fprintf(stderr, "  record %zu (id %llu) differs: %s\n", i, (unsigned long long)r->id, tells_buf_str(&jb));
    bad += d;
    i++;
  }
  if (i != nm) { fprintf(stderr, "  read %zu records of %zu\n", i, nm); bad++; }
  if (st_out) *st_out = *tells_evtx_stats_get(x);
  if (an.n) { fprintf(stderr, "  %zu anomalies, first: %s at %llu\n", an.n, an.v[0].code, (unsigned long long)an.v[0].off); bad++; }
  tells_evtx_close(x);
  tells_buf_free(&jb);
  tells_anoms_free(&an);
  return bad;
}

/* ---- tests ----------------------------------------------------------------- */
static void test_roundtrip_random(void) {
  enum { N = 4000 };
  mrec *m = calloc(N, sizeof *m);
  tells_buf b;
  tells_evtxw *w;
  tells_evtx_stats st;
  uint64_t next = 1;
  size_t i;
  int bad;
  rs = 0x5eed1234abcdull;
  tells_buf_init(&b, 1u << 30);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, &b), TELLS_OK);
  for (i = 0; i < N; i++) {
    rand_rec(&m[i], &next, ARRAYS, sizeof ARRAYS);
    CHECK_EQ_INT(add_rec(w, &m[i]), TELLS_OK);
  }
  CHECK_EQ_INT(tells_evtxw_records(w), N);
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  bad = compare((const uint8_t *)b.p, b.n, m, N, &st);
  fprintf(stderr, "  %d records, %llu chunks, %llu template definitions, %zu bytes, %d differ\n", N,
          (unsigned long long)st.chunks, (unsigned long long)st.templates, b.n, bad);
  CHECK_EQ_INT(bad, 0);
  {
    /* both decoding paths agree, and these records (optional values left
    ** NULL, EventData and UserData as nested BinXml) take the copy path */
    uint64_t nsym = 0, nrec = 0;
    char why[2048];
    int rc = tells__evtx_check((const uint8_t *)b.p, b.n, &nsym, &nrec, why, sizeof why);
    if (rc) fprintf(stderr, "  decoding paths differ: %s\n", why);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(nrec, N);
    CHECK_EQ_INT(nsym, N);
  }
  CHECK(st.chunks >= 20);
  CHECK_EQ_INT(b.n, 4096 + st.chunks * 65536);
  CHECK_EQ_INT(st.chunks_bad_crc, 0);
  CHECK_EQ_INT(st.records_recovered, 0);
  CHECK_EQ_INT(st.carve_rejected, 0);
  for (i = 0; i < N; i++) free_rec(&m[i]);
  free(m);
  tells_buf_free(&b);
}

static uint32_t ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* String table: every name in bucket (hash % 64) with the format's hash;
** template pointers: each definition's GUID starts with an id of that bucket. */
static void test_tables(void) {
  tells_buf b;
  tells_evtxw *w;
  mrec r;
  uint64_t next = 1;
  size_t c, i, names = 0, tpls = 0;
  rs = 77;
  tells_buf_init(&b, 1u << 26);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, &b), TELLS_OK);
  for (i = 0; i < 600; i++) { rand_rec(&r, &next, ARRAYS, sizeof ARRAYS); CHECK_EQ_INT(add_rec(w, &r), TELLS_OK); free_rec(&r); }
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  for (c = 4096; c + 65536 <= b.n; c += 65536) {
    const uint8_t *k = (const uint8_t *)b.p + c;
    for (i = 0; i < 64; i++) {
      uint32_t o = ld32(k + 128 + 4 * i), hops = 0;
      while (o && hops++ < 10000) {
        uint32_t h = 0, j, cnt;
        CHECK(o >= 512 && o + 8 < 65536);
        if (!(o >= 512 && o + 8 < 65536)) break;
        cnt = (uint32_t)(k[o + 6] | k[o + 7] << 8);
        for (j = 0; j < cnt; j++) h = h * 65599u + (uint32_t)(k[o + 8 + 2 * j] | k[o + 9 + 2 * j] << 8);
        CHECK_EQ_INT(h & 0xffff, k[o + 4] | k[o + 5] << 8);
        CHECK_EQ_INT((h & 0xffff) % 64, i);
        names++;
        o = ld32(k + o);
      }
    }
    for (i = 0; i < 32; i++) {
      uint32_t o = ld32(k + 384 + 4 * i), hops = 0;
      while (o && hops++ < 10000) {
        CHECK(o >= 512 && o + 24 < 65536);
        if (!(o >= 512 && o + 24 < 65536)) break;
        CHECK_EQ_INT(ld32(k + o + 4) % 32, i);
        tpls++;
        o = ld32(k + o);
      }
    }
  }
  fprintf(stderr, "  %zu names, %zu template definitions in the tables\n", names, tpls);
  CHECK(names > 100 && tpls > 20);
  tells_buf_free(&b);
}

/* A record larger than a chunk is refused; the writer goes on.  A record
** that does not fit the rest of a chunk starts the next one. */
static void test_too_large(void) {
  tells_buf b;
  tells_evtxw *w;
  tells_evtxw_sys s;
  tells_evtxw_field f[2];
  static uint8_t big[65535];
  tells_evtx *x;
  tells_evtx_rec rec;
  int n = 0;
  memset(&s, 0, sizeof s);
  s.channel = "Security"; s.provider = "P"; s.computer = "C"; s.event_id = 1;
  f[0].name = "A"; f[0].v.type = TELLS_EVTXW_BIN; f[0].v.p = big; f[0].v.n = sizeof big;
  f[1] = f[0];
  tells_buf_init(&b, 1u << 24);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, &b), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_add(w, &s, NULL, NULL, 0), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_add_vals(w, &s, f, 2), TELLS_ELIMIT);
  f[0].v.n = 40000;
  CHECK_EQ_INT(tells_evtxw_add_vals(w, &s, f, 1), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_chunks(w), 0);
  CHECK_EQ_INT(tells_evtxw_add_vals(w, &s, f, 1), TELLS_OK);  /* next chunk */
  CHECK_EQ_INT(tells_evtxw_chunks(w), 1);
  s.user_sid = "S-1-x";
  CHECK_EQ_INT(tells_evtxw_add(w, &s, NULL, NULL, 0), TELLS_EARG);
  s.user_sid = NULL;
  CHECK_EQ_INT(tells_evtxw_add(w, &s, NULL, NULL, 0), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  CHECK_EQ_INT(b.n, 4096 + 2 * 65536);
  CHECK_EQ_INT(tells_evtx_open((const uint8_t *)b.p, b.n, NULL, &x), TELLS_OK);
  while (tells_evtx_next(x, &rec) == 1) {
    CHECK_EQ_INT(rec.id, (uint64_t)n + 1);
    CHECK_EQ_INT(rec.chunk, n >= 2);
    CHECK(!rec.broken);
    n++;
  }
  CHECK_EQ_INT(n, 4);
  CHECK_EQ_INT(tells_evtx_stats_get(x)->chunks_bad_crc, 0);
  tells_evtx_close(x);
  tells_buf_free(&b);
}

/* Records of one shape share one System and one EventData template per
** chunk. */
static void test_template_reuse(void) {
  tells_buf b;
  tells_evtxw *w;
  tells_evtxw_sys s;
  const char *names[3] = {"TargetUserName", "LogonType", "IpAddress"};
  const char *vals[3] = {"alice", "10", "10.0.0.5"};
  tells_evtx *x;
  tells_evtx_rec rec;
  int i, n = 0;
  memset(&s, 0, sizeof s);
  s.channel = "Security"; s.provider = "Microsoft-Windows-Security-Auditing"; s.computer = "DC01";
  s.event_id = 4624; s.user_sid = "S-1-5-18";
  tells_buf_init(&b, 1u << 26);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, &b), TELLS_OK);
  for (i = 0; i < 3000; i++) {
    s.time_ns = INT64_C(1700000000000000000) + (int64_t)i * 1000000;
    CHECK_EQ_INT(tells_evtxw_add(w, &s, names, vals, 3), TELLS_OK);
  }
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  CHECK_EQ_INT(tells_evtx_open((const uint8_t *)b.p, b.n, NULL, &x), TELLS_OK);
  while (tells_evtx_next(x, &rec) == 1) n++;
  CHECK_EQ_INT(n, 3000);
  fprintf(stderr, "  3000 records: %llu chunks, %llu template definitions\n",
          (unsigned long long)tells_evtx_stats_get(x)->chunks, (unsigned long long)tells_evtx_stats_get(x)->templates);
  CHECK(tells_evtx_stats_get(x)->chunks >= 5);
  CHECK_EQ_INT(tells_evtx_stats_get(x)->templates, 2 * tells_evtx_stats_get(x)->chunks);
  tells_evtx_close(x);
  tells_buf_free(&b);
}

/* Arrays of ANSI strings (0x82) are a value type of the format; the reader
** renders them as empty text (elem_size has no width for them). */
static void test_parser_ansi_array(void) {
  tells_buf b;
  tells_evtxw *w;
  tells_evtxw_sys s;
  tells_evtxw_field f;
  tells_evtx *x;
  tells_evtx_rec rec;
  tells_evtx_event ev;
  memset(&s, 0, sizeof s);
  s.channel = "Application"; s.provider = "P"; s.computer = "C"; s.event_id = 1;
  f.name = "A"; f.v.type = 0x82; f.v.p = "ab\0cd\0"; f.v.n = 6;
  tells_buf_init(&b, 1u << 20);
  CHECK_EQ_INT(tells_evtxw_open_buf(&w, &b), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_add_vals(w, &s, &f, 1), TELLS_OK);
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  CHECK_EQ_INT(tells_evtx_open((const uint8_t *)b.p, b.n, NULL, &x), TELLS_OK);
  CHECK_EQ_INT(tells_evtx_next(x, &rec), 1);
  CHECK_EQ_INT(tells_evtx_rec_event(x, &ev), TELLS_OK);
  CHECK_EQ_INT(ev.n_fields, 1);
  if (ev.n_fields == 1) CHECK_EQ_STR(ev.fields[0].value, "ab,cd");
  tells_evtx_close(x);
  tells_buf_free(&b);
}

/* Debian's evtxexport reads a written file (types libevtx 20181227 knows),
** with the same record count. */
static void test_evtxexport_reads(void) {
  enum { N = 1500 };
  char path[] = "/tmp/tells-evtxw-XXXXXX", cmd[512], line[512];
  tells_evtxw *w;
  FILE *f, *p;
  mrec r;
  uint64_t next = 1;
  long events = 0, unable = 0;
  int fd, i;
  if (system("command -v evtxexport >/dev/null 2>&1") != 0) T_SKIP("evtxexport (libevtx-utils) is not installed");
  if ((fd = mkstemp(path)) < 0) T_SKIP("mkstemp failed");
  f = fdopen(fd, "w+b");
  rs = 4242;
  CHECK_EQ_INT(tells_evtxw_open_file(&w, f), TELLS_OK);
  for (i = 0; i < N; i++) {
    rand_rec(&r, &next, ARRAYS_LIBEVTX, sizeof ARRAYS_LIBEVTX);
    CHECK_EQ_INT(add_rec(w, &r), TELLS_OK);
    free_rec(&r);
  }
  CHECK_EQ_INT(tells_evtxw_close(w), TELLS_OK);
  fclose(f);
  snprintf(cmd, sizeof cmd, "evtxexport '%s' 2>&1", path);
  if ((p = popen(cmd, "r")) != NULL) {
    while (fgets(line, sizeof line, p)) {
      if (!strncmp(line, "Event number", 12)) events++;
      if (strstr(line, "nable to")) { if (unable++ < 3) fprintf(stderr, "  evtxexport: %s", line); }
    }
    pclose(p);
  }
  fprintf(stderr, "  evtxexport: %ld of %d records\n", events, N);
  CHECK_EQ_INT(events, N);
  CHECK_EQ_INT(unable, 0);
  unlink(path);
}

int main(void) {
  T_RUN(test_roundtrip_random);
  T_RUN(test_tables);
  T_RUN(test_too_large);
  T_RUN(test_template_reuse);
  T_RUN(test_evtxexport_reads);
  T_RUN(test_parser_ansi_array);
  T_END();
}
