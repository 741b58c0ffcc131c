/*
** test_evtx.c -- the EVTX reader: CRC-32, every corpus file under ASan,
** record counts against the upstream table and Debian's evtxexport, the
** evtx_dump JSON of the SigmaHQ regression logs and of the evtx crate's
** snapshots, the normalised event, and hand-built hostile files.
*/
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "crc32.h"
#include "evtx.h"
#include "evtx_int.h"
#include "t.h"

/* ---- helpers ------------------------------------------------------------ */
static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  uint8_t *b;
  long k;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  k = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)k + 1);
  if (!b || fread(b, 1, (size_t)k, f) != (size_t)k) { free(b); fclose(f); return NULL; }
  fclose(f);
  *n = (size_t)k;
  b[k] = 0;
  return b;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Collects files under dir ending in ext, recursively, sorted per folder. */
typedef struct paths { char **v; size_t n, cap; } paths;
static void walk(const char *dir, const char *ext, paths *out) {
  struct dirent **ents;
  int i, m = scandir(dir, &ents, NULL, alphasort);
  for (i = 0; i < m; i++) {
    char p[4096];
    const char *nm = ents[i]->d_name;
    if (nm[0] != '.') {
      size_t l = strlen(nm), el = strlen(ext);
      snprintf(p, sizeof p, "%s/%s", dir, nm);
      if (is_dir(p)) walk(p, ext, out);
      else if (l > el && strcmp(nm + l - el, ext) == 0) {
        if (out->n == out->cap) {
          out->cap = out->cap ? out->cap * 2 : 64;
          out->v = realloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->n++] = strdup(p);
      }
    }
    free(ents[i]);
  }
  if (m >= 0) free(ents);
}
static void paths_free(paths *p) {
  size_t i;
  for (i = 0; i < p->n; i++) free(p->v[i]);
  free(p->v);
}

/* ---- a small JSON reader for structural comparison ------------------------ */
typedef struct jv {
  int t;                    /* 'n'ull 'b'ool 'd' number 's'tring 'a'rray 'o'bject */
  double d; int b;
  char *s; size_t sn;
  struct jv *kids; char **keys; size_t n;
} jv;

static void jv_free(jv *v) {
  size_t i;
  free(v->s);
  for (i = 0; i < v->n; i++) { jv_free(&v->kids[i]); if (v->keys) free(v->keys[i]); }
  free(v->kids); free(v->keys);
  memset(v, 0, sizeof *v);
}

static const char *ws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++; return p; }

static void put_utf8(char **o, size_t *n, size_t *cap, unsigned c) {
  char t[4]; int k = 0, i;
  if (c < 0x80) t[k++] = (char)c;
  else if (c < 0x800) { t[k++] = (char)(0xc0 | c >> 6); t[k++] = (char)(0x80 | (c & 63)); }
  else if (c < 0x10000) { t[k++] = (char)(0xe0 | c >> 12); t[k++] = (char)(0x80 | ((c >> 6) & 63)); t[k++] = (char)(0x80 | (c & 63)); }
  else { t[k++] = (char)(0xf0 | c >> 18); t[k++] = (char)(0x80 | ((c >> 12) & 63)); t[k++] = (char)(0x80 | ((c >> 6) & 63)); t[k++] = (char)(0x80 | (c & 63)); }
  for (i = 0; i < k; i++) {
    if (*n + 1 >= *cap) { *cap = *cap ? *cap * 2 : 64; *o = realloc(*o, *cap); }
    (*o)[(*n)++] = t[i];
  }
}

static const char *jstr(const char *p, char **out, size_t *outn) {
  char *o = NULL; size_t n = 0, cap = 0;
  p++;
  while (*p && *p != '"') {
    unsigned c = (unsigned char)*p++;
    if (c == '\\') {
      char e = *p++;
      switch (e) {
      case 'n': c = '\n'; break; case 't': c = '\t'; break; case 'r': c = '\r'; break;
      case 'b': c = '\b'; break; case 'f': c = '\f'; break; case '/': c = '/'; break;
      case 'u': {
        c = (unsigned)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16); p += 4;
        if (c >= 0xd800 && c < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
          unsigned d = (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
          if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); p += 6; }
        }
        put_utf8(&o, &n, &cap, c);
        continue;
      }
      default: c = (unsigned char)e;
      }
    }
    if (n + 1 >= cap) { cap = cap ? cap * 2 : 64; o = realloc(o, cap); }
    o[n++] = (char)c;
  }
  if (!o) o = calloc(1, 1); else o[n] = 0;
  *out = o; *outn = n;
  return *p ? p + 1 : p;
}

static const char *jparse(const char *p, jv *v) {
  memset(v, 0, sizeof *v);
  p = ws(p);
  if (*p == '{' || *p == '[') {
    int obj = *p == '{';
    size_t cap = 0;
    v->t = obj ? 'o' : 'a';
    p = ws(p + 1);
    if (*p == (obj ? '}' : ']')) return p + 1;
    for (;;) {
      if (v->n == cap) {
        cap = cap ? cap * 2 : 8;
        v->kids = realloc(v->kids, cap * sizeof *v->kids);
        if (obj) v->keys = realloc(v->keys, cap * sizeof *v->keys);
      }
      if (obj) {
        size_t kn;
        p = ws(p);
        if (*p != '"') return NULL;
        p = jstr(p, &v->keys[v->n], &kn);
        p = ws(p);
        if (*p++ != ':') return NULL;
      }
      p = jparse(p, &v->kids[v->n]);
      v->n++;
      if (!p) return NULL;
      p = ws(p);
      if (*p == ',') { p++; continue; }
      if (*p == (obj ? '}' : ']')) return p + 1;
      return NULL;
    }
  }
  if (*p == '"') { v->t = 's'; return jstr(p, &v->s, &v->sn); }
  if (!strncmp(p, "null", 4)) { v->t = 'n'; return p + 4; }
  if (!strncmp(p, "true", 4)) { v->t = 'b'; v->b = 1; return p + 4; }
  if (!strncmp(p, "false", 5)) { v->t = 'b'; return p + 5; }
  {
    char *e;
    v->t = 'd';
    v->d = strtod(p, &e);
    return e == p ? NULL : e;
  }
}

/* evtx_dump versions differ in one respect: the newest prints FILETIMEs
** with nanoseconds ("...26.751156500Z") where older ones print micro-
** seconds.  One SigmaHQ regression file was dumped by the newer one; such
** a pair is counted apart (t_ns_equal), not as a mismatch. */
static int t_ns_equal;
static int ts_ns_variant(const char *a, size_t an, const char *b, size_t bn) {
  /* a: 6 fractional digits, b: 9, same prefix */
  return an == 27 && bn == 30 && a[19] == '.' && a[26] == 'Z' && b[29] == 'Z' &&
         memcmp(a, b, 26) == 0;
}

/* Structural equality; object key order is ignored.  On a difference the
** path is written to `where`. */
static int jeq(const jv *a, const jv *b, char *where, size_t wn) {
  size_t i, k;
  if (a->t != b->t) { snprintf(where, wn, "type %c vs %c", a->t, b->t); return 0; }
  switch (a->t) {
  case 'n': return 1;
  case 'b': return a->b == b->b;
  case 'd': if (a->d == b->d) return 1; snprintf(where, wn, "%.17g vs %.17g", a->d, b->d); return 0;
  case 's':
    if (a->sn == b->sn && !memcmp(a->s, b->s, a->sn)) return 1;
    if (ts_ns_variant(a->s, a->sn, b->s, b->sn) || ts_ns_variant(b->s, b->sn, a->s, a->sn)) {
      t_ns_equal++;
      return 1;
    }
    snprintf(where, wn, "\"%.80s\" vs \"%.80s\"", a->s, b->s);
    return 0;
  case 'a':
    if (a->n != b->n) { snprintf(where, wn, "array length %zu vs %zu", a->n, b->n); return 0; }
    for (i = 0; i < a->n; i++) if (!jeq(&a->kids[i], &b->kids[i], where, wn)) return 0;
    return 1;
  default:
    if (a->n != b->n) {
      snprintf(where, wn, "object size %zu vs %zu (first keys %s / %s)", a->n, b->n,
               a->n ? a->keys[0] : "-", b->n ? b->keys[0] : "-");
      return 0;
    }
    for (i = 0; i < a->n; i++) {
      for (k = 0; k < b->n; k++) if (!strcmp(a->keys[i], b->keys[k])) break;
      if (k == b->n) { snprintf(where, wn, "key %s missing", a->keys[i]); return 0; }
      if (!jeq(&a->kids[i], &b->kids[k], where, wn)) {
        char t[512];
        snprintf(t, sizeof t, "%s/%s", a->keys[i], where);
        snprintf(where, wn, "%s", t);
        return 0;
      }
    }
    return 1;
  }
}

/* Renders the current record's JSON into b and parses it into v. */
static int rec_jv(tells_evtx *x, tells_buf *b, jv *v) {
  tells_json j;
  tells_buf_reset(b);
  tells_json_init_buf(&j, b, 0);
  if (tells_evtx_rec_json(x, &j) != TELLS_OK || tells_json_flush(&j) != TELLS_OK) return 0;
  return jparse(tells_buf_str(b), v) != NULL;
}

/* ---- tests ---------------------------------------------------------------- */
static void test_crc32(void) {
  static const char s[] = "123456789";
  static uint8_t big[1000];
  uint32_t a, b2;
  size_t i;
  CHECK_EQ_INT(tells__crc32(0, s, 9), 0xCBF43926u);
  CHECK_EQ_INT(tells__crc32(0, "", 0), 0);
  for (i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
  a = tells__crc32(0, big, sizeof big);
  b2 = tells__crc32(tells__crc32(0, big, 333), big + 333, sizeof big - 333);
  CHECK_EQ_INT(a, b2);
  CHECK_EQ_INT(tells__crc32(0, big + 1, 17), tells__crc32(tells__crc32(0, big + 1, 5), big + 6, 12));
  CHECK_EQ_INT(tells__crc32_sw(0, s, 9), 0xCBF43926u);
}

/* The folding path (PCLMULQDQ where present) equals the table path at every
** length 0..600 and alignment 0..15, on pseudo-random bytes, with a
** non-zero starting value too; and a whole 64 KiB chunk body. */
static void test_crc32_fold(void) {
  static uint8_t buf[65536 + 64];
  uint32_t seed = 12345, bad = 0;
  size_t i, n, a;
  for (i = 0; i < sizeof buf; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
  for (a = 0; a < 16; a++)
    for (n = 0; n <= 600; n++) {
      if (tells__crc32(0, buf + a, n) != tells__crc32_sw(0, buf + a, n)) bad++;
      if (tells__crc32(0xdeadbeefu, buf + a, n) != tells__crc32_sw(0xdeadbeefu, buf + a, n)) bad++;
    }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(tells__crc32(0, buf + 3, 65536 - 512), tells__crc32_sw(0, buf + 3, 65536 - 512));
  memset(buf, 0, sizeof buf);
  CHECK_EQ_INT(tells__crc32(0, buf, 4096), tells__crc32_sw(0, buf, 4096));
}

/* Parses one file fully (JSON + event for every record) and returns counts. */
typedef struct fstat_ { long recs, broken, recovered, anoms, skipped; int fatal; } fstat_;
static int discard(void *ud, const char *p, size_t n) { (void)ud; (void)p; (void)n; return 0; }

static fstat_ parse_all(const uint8_t *b, size_t n) {
  fstat_ s;
  tells_anoms an;
  tells_evtx *x;
  tells_evtx_rec r;
  tells_json j;
  int rc;
  memset(&s, 0, sizeof s);
  tells_anoms_init(&an);
  if (tells_evtx_open(b, n, &an, &x) != TELLS_OK) { s.fatal = 1; tells_anoms_free(&an); return s; }
  tells_json_init(&j, discard, NULL, 0);
  while ((rc = tells_evtx_next(x, &r)) == 1) {
    tells_evtx_event ev;
    if (r.recovered) s.recovered++;
    else { s.recs++; if (r.broken) s.broken++; }
    if (tells_evtx_rec_json(x, &j) != TELLS_OK) s.fatal = 1;
    if (tells_evtx_rec_event(x, &ev) != TELLS_OK) s.fatal = 1;
  }
  if (rc < 0) s.fatal = 1;
  s.anoms = (long)tells_anoms_total(&an);
  {
    size_t i;
    /* units an error-counting parser reports as failed: chunks with a bad
    ** signature, record headers with an impossible size */
    for (i = 0; i < an.n; i++)
      if (!strcmp(an.v[i].code, "evtx.chunk_magic") || !strcmp(an.v[i].code, "evtx.record_size") ||
          !strcmp(an.v[i].code, "evtx.record_sig"))
        s.skipped++;
  }
  tells_evtx_close(x);
  tells_anoms_free(&an);
  return s;
}

/* Every corpus file decodes without a fatal error; and every record is the
** same whether its tree is a copy of its template's symbolic tree or
** expanded (evtx_check.c), most records taking the copy. */
static void test_corpus_all_files(void) {
  char dir[2048], why[2048];
  paths ps = {0};
  size_t i;
  long recs = 0, rec_ok = 0, recovered = 0, anoms = 0;
  uint64_t sym = 0, checked = 0;
  int differ = 0;
  snprintf(dir, sizeof dir, "%s/evtx", t_corpora());
  if (!is_dir(dir)) T_SKIP("no corpus at %.200s", dir);
  walk(dir, ".evtx", &ps);
  for (i = 0; i < ps.n; i++) {
    size_t n;
    uint8_t *b = slurp(ps.v[i], &n);
    fstat_ s;
    if (!b) { CHECK(!"unreadable corpus file"); continue; }
    s = parse_all(b, n);
    if (s.fatal) fprintf(stderr, "  fatal: %s\n", ps.v[i]);
    CHECK(!s.fatal);
    recs += s.recs; rec_ok += s.recs - s.broken; recovered += s.recovered; anoms += s.anoms;
    {
      uint64_t s1 = 0, r1 = 0;
      if (tells__evtx_check(b, n, &s1, &r1, why, sizeof why)) {
        fprintf(stderr, "  decoding paths differ in %s: %s\n", ps.v[i], why);
        differ++;
      }
      sym += s1; checked += r1;
    }
    free(b);
  }
  fprintf(stderr, "  both decoding paths agree on %llu records, %llu of them copies of symbolic trees\n",
          (unsigned long long)checked, (unsigned long long)sym);
  CHECK_EQ_INT(differ, 0);
  CHECK(sym * 10 >= checked * 9);
  fprintf(stderr, "  %zu files, %ld records (%ld fully decoded), %ld recovered from slack, %ld anomalies\n",
          ps.n, recs, rec_ok, recovered, anoms);
  CHECK(ps.n >= 200);
  paths_free(&ps);
}

/* UTF-16LE to UTF-8 against a one-unit-at-a-time reference: random
** strings mixing ASCII runs of every length (the converter takes eight
** ASCII units at a time), 2- and 3-byte characters, surrogate pairs and
** lone surrogates (U+FFFD). */
static size_t utf16_ref(char *o, const uint16_t *u, size_t n) {
  size_t i, k = 0;
  for (i = 0; i < n; i++) {
    uint32_t c = u[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00u);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x80) o[k++] = (char)c;
    else if (c < 0x800) { o[k++] = (char)(0xc0 | c >> 6); o[k++] = (char)(0x80 | (c & 63)); }
    else if (c < 0x10000) {
      o[k++] = (char)(0xe0 | c >> 12); o[k++] = (char)(0x80 | ((c >> 6) & 63));
      o[k++] = (char)(0x80 | (c & 63));
    } else {
      o[k++] = (char)(0xf0 | c >> 18); o[k++] = (char)(0x80 | ((c >> 12) & 63));
      o[k++] = (char)(0x80 | ((c >> 6) & 63)); o[k++] = (char)(0x80 | (c & 63));
    }
  }
  return k;
}

static void test_utf16_random(void) {
  static uint16_t u[600];
  static uint8_t le[1200];
  static char want[2400];
  uint64_t rs = 0x9e3779b97f4a7c15ull;
  tells_buf b;
  int iter, bad = 0;
  tells_buf_init(&b, 1u << 20);
  tells_buf_adds(&b, "prefix:");
  for (iter = 0; iter < 20000; iter++) {
    size_t n = 0, i, k;
    while (n < 580) {
      unsigned kind, len;
      rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
      kind = (unsigned)(rs % 6); len = (unsigned)((rs >> 8) % 21);
      if (rs % 17 == 0) break;
      for (i = 0; i < len && n < 580; i++) {
        uint16_t c;
        rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
        switch (kind) {
        case 0: case 1: c = (uint16_t)(0x20 + rs % 95); break;        /* ASCII */
        case 2: c = (uint16_t)(0x80 + rs % 0x780); break;            /* 2 bytes */
        case 3: c = (uint16_t)(0x800 + rs % 0xd000); break;          /* 3 bytes */
        case 4: c = (uint16_t)(0xd800 + rs % 0x800); break;          /* surrogates, paired or not */
        default: c = (uint16_t)(rs % 0x10000); break;
        }
        u[n++] = c;
      }
    }
    for (i = 0; i < n; i++) { le[2 * i] = (uint8_t)u[i]; le[2 * i + 1] = (uint8_t)(u[i] >> 8); }
    k = utf16_ref(want, u, n);
    tells_buf_reset(&b);
    tells_buf_adds(&b, "x");
    tells__evtx_utf16(&b, le, n);
    if (b.n != k + 1 || memcmp(b.p + 1, want, k) != 0 || b.p[b.n] != 0) bad++;
  }
  tells_buf_free(&b);
  CHECK_EQ_INT(bad, 0);
}

static void test_parser_sample_counts(void) {
  char path[4096], line[1024];
  FILE *f;
  int rows = 0, ok_rows = 0;
  snprintf(path, sizeof path, "%s/evtx/parser-samples/expected_record_counts.tsv", t_corpora());
  if (!(f = fopen(path, "r"))) T_SKIP("no count table at %.200s", path);
  while (fgets(line, sizeof line, f)) {
    char name[512], okc[32], errc[32];
    long total;
    size_t n;
    uint8_t *b;
    fstat_ s;
    if (sscanf(line, "%511[^\t]\t%31[^\t]\t%31[^\t]\t%ld", name, okc, errc, &total) != 4) continue;
    snprintf(path, sizeof path, "%s/evtx/parser-samples/%s", t_corpora(), name);
    if (!(b = slurp(path, &n))) { fprintf(stderr, "  missing %s\n", name); CHECK(0); continue; }
    s = parse_all(b, n);
    free(b);
    rows++;
    /* every record the upstream parser iterates is returned; at least as
    ** many fully decoded as its ok count */
    if (s.recs + s.skipped >= total && (okc[0] == '-' || s.recs - s.broken >= atol(okc))) ok_rows++;
    else
      fprintf(stderr, "  %s: %ld records (%ld decoded) + %ld skipped units, expected total %ld ok %s\n",
              name, s.recs, s.recs - s.broken, s.skipped, total, okc);
  }
  fclose(f);
  fprintf(stderr, "  count table: %d/%d samples match\n", ok_rows, rows);
  CHECK(rows > 0);
  CHECK_EQ_INT(ok_rows, rows);
}

/* Regression folders whose expected JSON does not come from their own .evtx
** bytes (checked by hand; reported, not counted as failures). */
static const char *const known_divergent[] = {
  /* the .json says ParentCommandLine "C:\Windows\Explorer.exe"; the
  ** .evtx holds only the UTF-16 string "Explorer.EXE" */
  "ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx",
  NULL
};
static int is_known_divergent(const char *path) {
  int i;
  for (i = 0; known_divergent[i]; i++)
    if (strstr(path, known_divergent[i])) return 1;
  return 0;
}

static void test_sigma_regression_json(void) {
  char dir[2048];
  paths ps = {0};
  size_t i;
  long recs = 0, pass = 0, files_ok = 0, known = 0;
  tells_buf b;
  snprintf(dir, sizeof dir, "%s/sigma/regression", t_corpora());
  if (!is_dir(dir)) T_SKIP("no corpus at %.200s", dir);
  walk(dir, ".evtx", &ps);
  tells_buf_init(&b, 64u << 20);
  for (i = 0; i < ps.n; i++) {
    char jp[4096];
    size_t n, jn;
    uint8_t *e = slurp(ps.v[i], &n), *js;
    const char *p;
    tells_evtx *x;
    tells_evtx_rec r;
    int file_ok = 1, shown = 0;
    snprintf(jp, sizeof jp, "%.*s.json", (int)(strlen(ps.v[i]) - 5), ps.v[i]);
    js = slurp(jp, &jn);
    if (!e || !js) { free(e); free(js); continue; }
    p = (const char *)js;
    if (tells_evtx_open(e, n, NULL, &x) != TELLS_OK) { CHECK(0); free(e); free(js); continue; }
    while (tells_evtx_next(x, &r) == 1) {
      jv want, got;
      char where[1024] = "";
      if (r.recovered) continue;
      recs++;
      p = jparse(p, &want);
      if (!p) { file_ok = 0; jv_free(&want); break; }
      if (rec_jv(x, &b, &got) && jeq(&want, &got, where, sizeof where)) pass++;
      else if (is_known_divergent(ps.v[i])) {
        known++;
        fprintf(stderr, "  known divergence (expected JSON edited by hand): %s: %s\n",
                ps.v[i] + strlen(dir), where);
      } else {
        file_ok = 0;
        if (!shown++) fprintf(stderr, "  %s record %llu: %s\n", ps.v[i] + strlen(dir),
                              (unsigned long long)r.id, where);
      }
      jv_free(&want); jv_free(&got);
    }
    /* no expected object left over */
    if (p && *ws(p)) file_ok = 0;
    files_ok += file_ok;
    tells_evtx_close(x);
    free(e); free(js);
  }
  fprintf(stderr, "  sigma regression: %ld/%ld records equal (FILETIME digit-only differences seen: %d)"
          ", %ld known divergent, %ld/%zu folders\n",
          pass, recs, t_ns_equal, known, files_ok, ps.n);
  CHECK(ps.n > 0);
  CHECK_EQ_INT(pass + known, recs);
  tells_buf_free(&b);
  paths_free(&ps);
}

/* Snapshots of the evtx crate (JSON, default attribute mode). */
static void test_snapshots(void) {
  char dir[2048], path[4096], line[1024];
  FILE *f;
  int n_snap = 0, n_pass = 0;
  tells_buf b;
  snprintf(dir, sizeof dir, "%s/evtx/parser-samples/expected", t_corpora());
  snprintf(path, sizeof path, "%s/INDEX.tsv", dir);
  if (!(f = fopen(path, "r"))) T_SKIP("no snapshots at %.200s", dir);
  tells_buf_init(&b, 64u << 20);
  while (fgets(line, sizeof line, f)) {
    char snap[256], sample[512], rec[64], fmt[16], mode[64];
    size_t n, sn;
    uint8_t *e, *s;
    const char *body;
    unsigned long want_id = 0;
    tells_evtx *x;
    tells_evtx_rec r;
    jv want;
    int found = 0;
    if (sscanf(line, "%255[^\t]\t%511[^\t]\t%63[^\t]\t%15[^\t]\t%63s", snap, sample, rec, fmt, mode) != 5)
      continue;
    if (strcmp(fmt, "json") || strcmp(mode, "default")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, snap);
    s = slurp(path, &sn);
    snprintf(path, sizeof path, "%s/../%s", dir, sample);
    e = slurp(path, &n);
    if (!s || !e) { free(s); free(e); continue; }
    n_snap++;
    body = strstr((char *)s + 3, "\n---");
    body = body ? body + 4 : (char *)s;
    if (!strncmp(rec, "EventRecordID ", 14)) want_id = strtoul(rec + 14, NULL, 10);
    if (!jparse(body, &want)) { free(s); free(e); continue; }
    tells_evtx_open(e, n, NULL, &x);
    while (tells_evtx_next(x, &r) == 1) {
      tells_evtx_event ev;
      jv got;
      char where[1024] = "";
      tells_evtx_rec_event(x, &ev);
      if (want_id && ev.record_id != want_id) continue;
      found = 1;
      if (rec_jv(x, &b, &got) && jeq(&want, &got, where, sizeof where)) n_pass++;
      else fprintf(stderr, "  snapshot %s: %s\n", snap, where);
      jv_free(&got);
      break;
    }
    if (!found) fprintf(stderr, "  snapshot %s: record not found\n", snap);
    tells_evtx_close(x);
    jv_free(&want);
    free(s); free(e);
  }
  fclose(f);
  fprintf(stderr, "  snapshots: %d/%d equal\n", n_pass, n_snap);
  CHECK(n_snap > 0);
  CHECK_EQ_INT(n_pass, n_snap);
  tells_buf_free(&b);
}

/* EVTX-ATTACK-SAMPLES record counts against Debian's evtxexport. */
static void test_attack_counts_vs_evtxexport(void) {
  char dir[2048];
  paths ps = {0};
  size_t i;
  int same = 0, diff = 0;
  if (system("command -v evtxexport >/dev/null 2>&1") != 0) T_SKIP("evtxexport not installed");
  snprintf(dir, sizeof dir, "%s/evtx/attack-samples", t_corpora());
  if (!is_dir(dir)) T_SKIP("no corpus at %.200s", dir);
  walk(dir, ".evtx", &ps);
  for (i = 0; i < ps.n; i++) {
    char cmd[8192], out[64] = "";
    FILE *pp;
    long theirs, ours;
    size_t n;
    uint8_t *b = slurp(ps.v[i], &n);
    fstat_ s;
    if (!b) continue;
    s = parse_all(b, n);
    free(b);
    ours = s.recs;
    snprintf(cmd, sizeof cmd, "evtxexport '%s' 2>/dev/null | grep -c '^Event number'", ps.v[i]);
    if (!(pp = popen(cmd, "r"))) continue;
    if (!fgets(out, sizeof out, pp)) out[0] = 0;
    pclose(pp);
    theirs = atol(out);
    if (theirs == ours) same++;
    else { diff++; fprintf(stderr, "  %s: tells %ld, evtxexport %ld\n", ps.v[i] + strlen(dir), ours, theirs); }
  }
  fprintf(stderr, "  evtxexport: %d/%d files with equal record counts\n", same, same + diff);
  CHECK(same + diff > 0);
  CHECK_EQ_INT(diff, 0);
  paths_free(&ps);
}

/* Record counts of the 222 EVTX-ATTACK-SAMPLES files, so the check runs
** without evtxexport too.  `records`: records in the record lists, as
** counted once with Debian's evtxexport 20181227
**   evtxexport FILE | grep -c '^Event number'
** (test_attack_counts_vs_evtxexport re-runs it when installed).
** `recovered`: records tells carves from outside the record lists and
** returns (fully decoded, template ids checked, not copies of live
** records), as of 2026-11-27: a regression guard, not an outside truth
** (`evtxexport -m recovered` returns 1,507 records here, most decoded
** against templates overwritten since, see docs/internals/evtx.md). */
static const struct { const char *path; long records, recovered; } attack_counts[] = {
  {"AutomatedTestingTools/Malware/DE_timestomp_and_dll_sideloading_and_RunPersist.evtx", 23, 0},
  {"AutomatedTestingTools/Malware/rundll32_cmd_schtask.evtx", 50, 0},
  {"AutomatedTestingTools/Malware/rundll32_hollowing_wermgr_masquerading.evtx", 4, 0},
  {"AutomatedTestingTools/Malware/sideloading_injection_persistence_run_key.evtx", 7, 0},
  {"AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx", 565, 0},
  {"AutomatedTestingTools/WinDefender_Events_1117_1116_AtomicRedTeam.evtx", 11, 0},
  {"AutomatedTestingTools/panache_sysmon_vs_EDRTestingScript.evtx", 122, 0},
  {"Command and Control/DE_RDP_Tunnel_5156.evtx", 101, 0},
  {"Command and Control/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx", 228, 0},
  {"Command and Control/DE_sysmon-3-rdp-tun.evtx", 73, 0},
  {"Command and Control/bits_openvpn.evtx", 1537, 0},
  {"Command and Control/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx", 12, 0},
  {"Credential Access/ACL_ForcePwd_SPNAdd_User_Computer_Accounts.evtx", 55, 0},
  {"Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx", 4, 0},
  {"Credential Access/CA_DCSync_4662.evtx", 3, 0},
  {"Credential Access/CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx", 1, 0},
  {"Credential Access/CA_hashdump_4663_4656_lsass_access.evtx", 2, 0},
  {"Credential Access/CA_keefarce_keepass_credump.evtx", 5, 0},
  {"Credential Access/CA_keepass_KeeThief_Get-KeePassDatabaseKey.evtx", 2, 0},
  {"Credential Access/CA_protectedstorage_5145_rpc_masterkey.evtx", 1, 0},
  {"Credential Access/CA_teamviewer-dumper_sysmon_10.evtx", 1, 0},
  {"Credential Access/LsassSilentProcessExit_process_exit_monitor_3001_lsass.evtx", 2, 0},
  {"Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx", 10, 0},
  {"Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx", 4, 0},
  {"Credential Access/Sysmon_13_Local_Admin_Password_Changed.evtx", 1, 0},
  {"Credential Access/Zerologon_CVE-2020-1472_DFIR_System_NetLogon_Error_EventID_5805.evtx", 2, 0},
  {"Credential Access/Zerologon_VoidSec_CVE-2020-1472_4626_LT3_Anonym_follwedby_4742_DC_Anony_DC.evtx", 9, 0},
  {"Credential Access/babyshark_mimikatz_powershell.evtx", 33, 0},
  {"Credential Access/discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx", 40, 0},
  {"Credential Access/etw_rpc_zerologon.evtx", 415, 0},
  {"Credential Access/kerberos_pwd_spray_4771.evtx", 12, 0},
  {"Credential Access/phish_windows_credentials_powershell_scriptblockLog_4104.evtx", 2, 0},
  {"Credential Access/remote_pwd_reset_rpc_mimikatz_postzerologon_target_DC.evtx", 7, 60},
  {"Credential Access/remote_sam_registry_access_via_backup_operator_priv.evtx", 31, 0},
  {"Credential Access/sysmon17_18_kekeo_tsssp_default_np.evtx", 3, 0},
  {"Credential Access/sysmon_10_11_lsass_memdump.evtx", 4, 0},
  {"Credential Access/sysmon_10_1_memdump_comsvcs_minidump.evtx", 6, 0},
  {"Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx", 1, 0},
  {"Credential Access/sysmon_13_keylogger_directx.evtx", 6, 0},
  {"Credential Access/sysmon_2x10_lsass_with_different_pid_RtlCreateProcessReflection.evtx", 3, 0},
  {"Credential Access/sysmon_rdrleakdiag_lsass_dump.evtx", 4, 0},
  {"Credential Access/tutto_malseclogon.evtx", 15, 3},
  {"Defense Evasion/DE_104_system_log_cleared.evtx", 1, 0},
  {"Defense Evasion/DE_1102_security_log_cleared.evtx", 112, 0},
  {"Defense Evasion/DE_EventLog_Service_Crashed.evtx", 4, 0},
  {"Defense Evasion/DE_Fake_ComputerAccount_4720.evtx", 2, 0},
  {"Defense Evasion/DE_KernelDebug_and_TestSigning_ON_Security_4826.evtx", 6, 0},
  {"Defense Evasion/DE_Powershell_CLM_Disabled_Sysmon_12.evtx", 1, 0},
  {"Defense Evasion/DE_UAC_Disabled_Sysmon_12_13.evtx", 3, 0},
  {"Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx", 6, 0},
  {"Defense Evasion/DE_remote_eventlog_svc_crash_byt3bl33d3r_sysmon_17_1_3.evtx", 11, 0},
  {"Defense Evasion/DE_renamed_psexec_service_sysmon_17_18.evtx", 11, 0},
  {"Defense Evasion/DE_xp_cmdshell_enabled_MSSQL_EID_15457.evtx", 4, 0},
  {"Defense Evasion/DSE_bypass_BYOV_TDL_dummydriver_sysmon_6_7_13.evtx", 8, 0},
  {"Defense Evasion/Sysmon 7  Update Session Orchestrator Dll Hijack.evtx", 64, 0},
  {"Defense Evasion/Sysmon 7 dllhijack_cdpsshims_CDPSvc.evtx", 13, 0},
  {"Defense Evasion/Sysmon_12_DE_AntiForensics_MRU_DeleteKey.evtx", 3, 0},
  {"Defense Evasion/Win_4985_T1186_Process_Doppelganging.evtx", 2, 0},
  {"Defense Evasion/apt10_jjs_sideloading_prochollowing_persist_as_service_sysmon_1_7_8_13.evtx", 11, 0},
  {"Defense Evasion/de_PsScriptBlockLogging_disabled_sysmon12_13.evtx", 2, 29},
  {"Defense Evasion/de_portforward_netsh_rdp_sysmon_13_1.evtx", 3, 0},
  {"Defense Evasion/de_powershell_execpolicy_changed_sysmon_13.evtx", 5, 0},
  {"Defense Evasion/de_sysmon_13_VBA_Security_AccessVBOM.evtx", 1, 0},
  {"Defense Evasion/de_unmanagedpowershell_psinject_sysmon_7_8_10.evtx", 84, 0},
  {"Defense Evasion/evasion_codeinj_odzhan_spoolsv_sysmon_10_1.evtx", 4, 0},
  {"Defense Evasion/faxhell_sysmon_7_1_18_3_bindshell_dllhijack.evtx", 10, 0},
  {"Defense Evasion/meterpreter_migrate_to_explorer_sysmon_8.evtx", 1, 0},
  {"Defense Evasion/process_suspend_sysmon_10_ga_800.evtx", 1, 0},
  {"Defense Evasion/sysmon_10_1_ppid_spoofing.evtx", 5, 0},
  {"Defense Evasion/sysmon_13_rdp_settings_tampering.evtx", 20, 0},
  {"Defense Evasion/sysmon_2_11_evasion_timestomp_MACE.evtx", 2, 0},
  {"Discovery/4799_remote_local_groups_enumeration.evtx", 5, 0},
  {"Discovery/dicovery_4661_net_group_domain_admins_target.evtx", 63, 0},
  {"Discovery/discovery_UEFI_Settings_rweverything_sysmon_6.evtx", 1, 0},
  {"Discovery/discovery_bloodhound.evtx", 10, 0},
  {"Discovery/discovery_enum_shares_target_sysmon_3_18.evtx", 4, 0},
  {"Discovery/discovery_meterpreter_ps_cmd_process_listing_sysmon_10.evtx", 52, 0},
  {"Discovery/discovery_psloggedon.evtx", 4, 0},
  {"Discovery/discovery_sysmon_18_Invoke_UserHunter_NetSessionEnum_DC-srvsvc.evtx", 1, 0},
  {"Discovery/discovery_sysmon_3_Invoke_UserHunter_SourceMachine.evtx", 9, 0},
  {"Execution/Exec_via_cpl_Application_Experience_EventID_17_ControlPanelApplet.evtx", 4, 0},
  {"Execution/Sysmon_Exec_CompiledHTML.evtx", 2, 0},
  {"Execution/Sysmon_meterpreter_ReflectivePEInjection_to_notepad_.evtx", 13, 0},
  {"Execution/evasion_execution_imageload_wuauclt_lolbas.evtx", 3, 0},
  {"Execution/exec_msxsl_xsl_sysmon_1_7.evtx", 3, 0},
  {"Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx", 8, 0},
  {"Execution/exec_sysmon_1_11_lolbin_rundll32_openurl_FileProtocolHandler.evtx", 11, 0},
  {"Execution/exec_sysmon_1_11_lolbin_rundll32_shdocvw_openurl.evtx", 6, 0},
  {"Execution/exec_sysmon_1_7_jscript9_defense_evasion.evtx", 3, 0},
  {"Execution/exec_sysmon_1_ftp.evtx", 4, 0},
  {"Execution/exec_sysmon_1_lolbin_pcalua.evtx", 3, 0},
  {"Execution/exec_sysmon_1_lolbin_renamed_regsvr32_scrobj.evtx", 2, 0},
  {"Execution/exec_sysmon_1_rundll32_pcwutl_LaunchApplication.evtx", 1, 0},
  {"Execution/exec_sysmon_lobin_regsvr32_sct.evtx", 3, 0},
  {"Execution/exec_wmic_xsl_internet_sysmon_3_1_11.evtx", 8, 0},
  {"Execution/execution_evasion_visual_studio_prebuild_event.evtx", 29, 0},
  {"Execution/rogue_msi_url_1040_1042.evtx", 351, 0},
  {"Execution/susp_explorer_exec.evtx", 3, 0},
  {"Execution/susp_explorer_exec_root_cmdline_@rimpq_@CyberRaiju.evtx", 10, 0},
  {"Execution/sysmon_11_1_lolbas_downldr_desktopimgdownldr.evtx", 3, 0},
  {"Execution/sysmon_exec_from_vss_persistence.evtx", 17, 0},
  {"Execution/sysmon_lolbas_rundll32_zipfldr_routethecall_shell.evtx", 2, 0},
  {"Execution/sysmon_lolbin_bohops_vshadow_exec.evtx", 6, 0},
  {"Execution/sysmon_mshta_sharpshooter_stageless_meterpreter.evtx", 3, 0},
  {"Execution/sysmon_zipexec.evtx", 8, 0},
  {"Execution/temp_scheduled_task_4698_4699.evtx", 2, 0},
  {"Execution/windows_bits_4_59_60_lolbas desktopimgdownldr.evtx", 5, 0},
  {"Lateral Movement/DFIR_RDP_Client_TimeZone_RdpCoreTs_104_example.evtx", 21, 0},
  {"Lateral Movement/LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx", 6, 0},
  {"Lateral Movement/LM_5145_Remote_FileCopy.evtx", 869, 0},
  {"Lateral Movement/LM_DCOM_MSHTA_LethalHTA_Sysmon_3_1.evtx", 2, 0},
  {"Lateral Movement/LM_ImageLoad_NFSH_Sysmon_7.evtx", 2, 0},
  {"Lateral Movement/LM_PowershellRemoting_sysmon_1_wsmprovhost.evtx", 1, 0},
  {"Lateral Movement/LM_REMCOM_5145_TargetHost.evtx", 30, 0},
  {"Lateral Movement/LM_Remote_Service01_5145_svcctl.evtx", 1, 0},
  {"Lateral Movement/LM_Remote_Service02_7045.evtx", 3, 0},
  {"Lateral Movement/LM_WMIC_4648_rpcss.evtx", 5, 0},
  {"Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx", 8, 0},
  {"Lateral Movement/LM_add_new_namedpipe_tp_nullsession_registry_turla_like_ttp.evtx", 1, 0},
  {"Lateral Movement/LM_dcom_shwnd_shbrwnd_mmc20_failed_traces_system_10016.evtx", 4, 0},
  {"Lateral Movement/LM_regsvc_DirectoryServiceExtPt_Lsass_NTDS_AdamXpn.evtx", 6, 0},
  {"Lateral Movement/LM_renamed_psexecsvc_5145.evtx", 22, 0},
  {"Lateral Movement/LM_sysmon_1_12_13_3_tsclient_SharpRdp.evtx", 9, 0},
  {"Lateral Movement/LM_sysmon_3_12_13_1_SharpRDP.evtx", 38, 0},
  {"Lateral Movement/LM_sysmon_psexec_smb_meterpreter.evtx", 10, 0},
  {"Lateral Movement/LM_sysmon_remote_task_src_powershell.evtx", 3, 0},
  {"Lateral Movement/LM_tsclient_startup_folder.evtx", 4, 0},
  {"Lateral Movement/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx", 4, 0},
  {"Lateral Movement/LM_winrm_target_wrmlogs_91_wsmanShellStarted_poorLog.evtx", 1, 0},
  {"Lateral Movement/LM_wmi_PoisonHandler_Mr-Un1k0d3r_sysmon_1_13.evtx", 15, 18},
  {"Lateral Movement/LM_wmiexec_impacket_sysmon_whoami.evtx", 7, 4},
  {"Lateral Movement/LM_xp_cmdshell_MSSQL_Events.evtx", 21, 0},
  {"Lateral Movement/RemotePowerShell_MS_Windows-Remote_Management_EventID_169.evtx", 6, 55},
  {"Lateral Movement/dfir_rdpsharp_target_RdpCoreTs_168_68_131.evtx", 40, 0},
  {"Lateral Movement/lateral_movement_startup_3_11.evtx", 2, 16},
  {"Lateral Movement/lm_remote_registry_sysmon_1_13_3.evtx", 4, 0},
  {"Lateral Movement/net_share_drive_5142.evtx", 2, 0},
  {"Lateral Movement/powercat_revShell_sysmon_1_3.evtx", 9, 0},
  {"Lateral Movement/remote task update 4624 4702 same logonid.evtx", 8, 0},
  {"Lateral Movement/remote_file_copy_system_proc_file_write_sysmon_11.evtx", 2, 0},
  {"Lateral Movement/smb_bi_auth_conn_spoolsample.evtx", 2, 0},
  {"Lateral Movement/smbmap_upload_exec_sysmon.evtx", 27, 0},
  {"Lateral Movement/spoolsample_5145.evtx", 1, 0},
  {"Lateral Movement/sysmon_1_exec_via_sql_xpcmdshell.evtx", 1, 0},
  {"Other/emotet/exec_emotet_ps_4104.evtx", 1, 0},
  {"Other/emotet/exec_emotet_ps_800_get-item.evtx", 1, 0},
  {"Other/emotet/exec_emotet_ps_800_invoke-item.evtx", 1, 0},
  {"Other/emotet/exec_emotet_ps_800_new-item.evtx", 1, 0},
  {"Other/emotet/exec_emotet_sysmon_1.evtx", 1, 0},
  {"Other/maldoc_mshta_via_shellbrowserwind_rundll32.evtx", 11, 0},
  {"Other/rdpcorets_148_mst120_bluekeep_rpdscan_full.evtx", 733, 0},
  {"Persistence/DACL_DCSync_Right_Powerview_ Add-DomainObjectAcl.evtx", 28, 0},
  {"Persistence/Persistence_Shime_Microsoft-Windows-Application-Experience_Program-Telemetry_500.evtx", 7, 0},
  {"Persistence/Persistence_Winsock_Catalog Change EventId_1.evtx", 2, 0},
  {"Persistence/evasion_persis_hidden_run_keyvalue_sysmon_13.evtx", 1, 0},
  {"Persistence/persist_bitsadmin_Microsoft-Windows-Bits-Client-Operational.evtx", 6, 0},
  {"Persistence/persist_turla_outlook_backdoor_comhijack.evtx", 3, 0},
  {"Persistence/persist_valid_account_guest_rid_hijack.evtx", 4, 4},
  {"Persistence/persistence_SilentProcessExit_ImageHijack_sysmon_13_1.evtx", 13, 0},
  {"Persistence/persistence_accessibility_features_osk_sysmon1.evtx", 3, 0},
  {"Persistence/persistence_pendingGPO_sysmon_13.evtx", 4, 0},
  {"Persistence/persistence_security_dcshadow_4742.evtx", 10, 0},
  {"Persistence/persistence_startup_UserShellStartup_Folder_Changed_sysmon_13.evtx", 1, 0},
  {"Persistence/persistence_sysmon_11_13_1_shime_appfix.evtx", 237, 0},
  {"Persistence/sysmon_1_persist_bitsjob_SetNotifyCmdLine.evtx", 6, 0},
  {"Persistence/sysmon_1_smss_child_proc_bootexecute_setupexecute.evtx", 1, 0},
  {"Persistence/sysmon_20_21_1_CommandLineEventConsumer.evtx", 17, 0},
  {"Persistence/sysmon_local_account_creation_and_added_admingroup_12_13.evtx", 17, 0},
  {"Privilege Escalation/4624 LT3 AnonymousLogon Localhost - JuicyPotato.evtx", 3, 0},
  {"Privilege Escalation/4765_sidhistory_add_t1178.evtx", 3, 0},
  {"Privilege Escalation/CVE-2020-0796_SMBV3Ghost_LocalPrivEsc_Sysmon_3_1_10.evtx", 4, 0},
  {"Privilege Escalation/EfsPotato_sysmon_17_18_privesc_seimpersonate_to_system.evtx", 20, 20},
  {"Privilege Escalation/NTLM2SelfRelay-med0x2e-security_4624_4688.evtx", 11, 0},
  {"Privilege Escalation/PrivEsc_CVE-2020-1313_Sysmon_13_UScheduler_Cmdline.evtx", 4, 0},
  {"Privilege Escalation/PrivEsc_Imperson_NetSvc_to_Sys_Decoder_Sysmon_1_17_18.evtx", 13, 0},
  {"Privilege Escalation/PrivEsc_NetSvc_SessionToken_Retrival_via_localSMB_Auth_5145.evtx", 1, 0},
  {"Privilege Escalation/RogueWinRM.evtx", 7, 0},
  {"Privilege Escalation/Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx", 3, 0},
  {"Privilege Escalation/Sysmon_13_1_UACBypass_SDCLTBypass.evtx", 5, 0},
  {"Privilege Escalation/Sysmon_13_1_UAC_Bypass_EventVwrBypass.evtx", 6, 0},
  {"Privilege Escalation/Sysmon_UACME_23.evtx", 8, 0},
  {"Privilege Escalation/Sysmon_UACME_30.evtx", 11, 0},
  {"Privilege Escalation/Sysmon_UACME_32.evtx", 8, 0},
  {"Privilege Escalation/Sysmon_UACME_33.evtx", 9, 0},
  {"Privilege Escalation/Sysmon_UACME_36_FileCreate.evtx", 13, 0},
  {"Privilege Escalation/Sysmon_UACME_37_FileCreate.evtx", 7, 0},
  {"Privilege Escalation/Sysmon_UACME_38.evtx", 8, 0},
  {"Privilege Escalation/Sysmon_UACME_39.evtx", 7, 0},
  {"Privilege Escalation/Sysmon_UACME_43.evtx", 5, 0},
  {"Privilege Escalation/Sysmon_UACME_45.evtx", 8, 0},
  {"Privilege Escalation/Sysmon_UACME_53.evtx", 14, 0},
  {"Privilege Escalation/Sysmon_UACME_54.evtx", 10, 0},
  {"Privilege Escalation/Sysmon_UACME_63.evtx", 3, 0},
  {"Privilege Escalation/Sysmon_UACME_64.evtx", 530, 0},
  {"Privilege Escalation/Sysmon_uacme_58.evtx", 6, 10},
  {"Privilege Escalation/System_7045_namedpipe_privesc.evtx", 1, 0},
  {"Privilege Escalation/UACME_61_Changepk.evtx", 2, 0},
  {"Privilege Escalation/eop_appcontainer_il_broker_filewrite.evtx", 3, 0},
  {"Privilege Escalation/privesc_KrbRelayUp_windows_4624.evtx", 1, 0},
  {"Privilege Escalation/privesc_registry_symlink_CVE-2020-1377.evtx", 30, 0},
  {"Privilege Escalation/privesc_rotten_potato_from_webshell_metasploit_sysmon_1_8_3.evtx", 13, 0},
  {"Privilege Escalation/privesc_seimpersonate_tosys_spoolsv_sysmon_17_18.evtx", 7, 0},
  {"Privilege Escalation/privesc_spoolfool_mahdihtm_sysmon_1_11_7_13.evtx", 4, 0},
  {"Privilege Escalation/privesc_spoolsv_spl_file_write_sysmon11.evtx", 37, 0},
  {"Privilege Escalation/privesc_unquoted_svc_sysmon_1_11.evtx", 87, 0},
  {"Privilege Escalation/privexchange_dirkjan.evtx", 8, 0},
  {"Privilege Escalation/samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.evtx", 18, 0},
  {"Privilege Escalation/security_4624_4673_token_manip.evtx", 14, 0},
  {"Privilege Escalation/sysmon_11_1_7_uacbypass_cliconfg.evtx", 8, 10},
  {"Privilege Escalation/sysmon_11_7_1_uacbypass_windirectory_mocking.evtx", 10, 0},
  {"Privilege Escalation/sysmon_13_1_12_11_perfmonUACBypass.evtx", 5, 0},
  {"Privilege Escalation/sysmon_13_1_compmgmtlauncherUACBypass.evtx", 4, 0},
  {"Privilege Escalation/sysmon_1_11_exec_as_system_via_schedtask.evtx", 6, 0},
  {"Privilege Escalation/sysmon_1_13_11_cmstp_ini_uacbypass.evtx", 5, 0},
  {"Privilege Escalation/sysmon_1_13_UACBypass_AppPath_Control.evtx", 3, 0},
  {"Privilege Escalation/sysmon_1_7_11_mcx2prov_uacbypass.evtx", 9, 0},
  {"Privilege Escalation/sysmon_1_7_11_sysprep_uacbypass.evtx", 7, 1},
  {"Privilege Escalation/sysmon_1_7_elevate_uacbypass_sysprep.evtx", 15, 0},
  {"Privilege Escalation/sysmon_privesc_from_admin_to_system_handle_inheritance.evtx", 3, 0},
  {"Privilege Escalation/sysmon_privesc_psexec_dwell.evtx", 12, 0},
  {"Privilege Escalation/win10_4703_SeDebugPrivilege_enabled.evtx", 1, 0},
  {"UACME_59_Sysmon.evtx", 7, 24},
};

/* Every attack sample against the table above; on these healthy files no
** carved candidate may surface as Binary XML noise (evtx.binxml,
** evtx.template_*), and rejected candidates are summed up per chunk. */
static void test_attack_counts_table(void) {
  char path[4096];
  size_t i, k, n_ok = 0, n_files = 0;
  long recs = 0, rec = 0, noise = 0;
  for (i = 0; i < sizeof attack_counts / sizeof attack_counts[0]; i++) {
    size_t n;
    uint8_t *b;
    tells_anoms an;
    tells_evtx *x;
    tells_evtx_rec r;
    long live = 0, carved = 0;
    snprintf(path, sizeof path, "%s/evtx/attack-samples/%s", t_corpora(), attack_counts[i].path);
    if (!(b = slurp(path, &n))) continue;
    n_files++;
    tells_anoms_init(&an);
    if (tells_evtx_open(b, n, &an, &x) == TELLS_OK) {
      while (tells_evtx_next(x, &r) == 1) {
        if (r.recovered) { carved++; CHECK(!r.broken); } else live++;
      }
      CHECK_EQ_INT(tells_evtx_stats_get(x)->records_recovered, (uint64_t)carved);
      tells_evtx_close(x);
    }
    for (k = 0; k < an.n; k++)
      if (!strcmp(an.v[k].code, "evtx.binxml") || !strncmp(an.v[k].code, "evtx.template", 13)) noise++;
    if (live == attack_counts[i].records && carved == attack_counts[i].recovered) n_ok++;
    else fprintf(stderr, "  %s: tells %ld + %ld carved, table %ld + %ld\n", attack_counts[i].path,
                 live, carved, attack_counts[i].records, attack_counts[i].recovered);
    recs += live; rec += carved;
    tells_anoms_free(&an);
    free(b);
  }
  if (!n_files) T_SKIP("no attack samples under %.200s", t_corpora());
  fprintf(stderr, "  attack samples: %zu/%zu files match the table (%ld records, %ld carved), "
          "%ld Binary XML anomalies\n", n_ok, n_files, recs, rec, noise);
  CHECK_EQ_INT(n_files, sizeof attack_counts / sizeof attack_counts[0]);
  CHECK_EQ_INT(n_ok, n_files);
  CHECK_EQ_INT(noise, 0);
}

static void test_event_normalised(void) {
  char path[4096];
  size_t n;
  uint8_t *b;
  tells_evtx *x;
  tells_evtx_rec r;
  tells_evtx_event ev;
  snprintf(path, sizeof path, "%s/sigma/regression/rules-emerging-threats/2026/Exploits/RedSun/"
           "file_event_win_exploit_redsun_indicators/f2e4b7d9-5c3a-4f8b-9e1d-7a6c2b3f4e5d.evtx",
           t_corpora());
  if (!(b = slurp(path, &n))) T_SKIP("no %.200s", path);
  CHECK_EQ_INT(tells_evtx_open(b, n, NULL, &x), TELLS_OK);
  CHECK_EQ_INT(tells_evtx_next(x, &r), 1);
  CHECK_EQ_INT(tells_evtx_rec_event(x, &ev), TELLS_OK);
  CHECK_EQ_INT(ev.event_id, 11);
  CHECK_EQ_INT(ev.record_id, 83239);
  CHECK_EQ_STR(ev.channel, "Microsoft-Windows-Sysmon/Operational");
  CHECK_EQ_STR(ev.provider, "Microsoft-Windows-Sysmon");
  CHECK_EQ_STR(ev.computer, "swachchhanda");
  CHECK_EQ_STR(ev.user_sid, "S-1-5-18");
  CHECK_EQ_INT(ev.pid, 3208);
  /* 2026-04-17T05:24:53.092051Z */
  CHECK_EQ_INT(ev.time / 10, INT64_C(1776403493092051));
  CHECK_EQ_STR(tells_evtx_event_field(&ev, "Image"), "C:\\Users\\xodih\\Downloads\\RedSun.exe");
  CHECK_EQ_STR(tells_evtx_event_field(&ev, "ProcessId"), "15596");
  CHECK_EQ_STR(tells_evtx_event_field(&ev, "ProcessGuid"), "0197231E-C424-69E1-C922-000000000800");
  CHECK(tells_evtx_event_field(&ev, "Nope") == NULL);
  CHECK_EQ_INT(tells_evtx_next(x, &r), 0);
  tells_evtx_close(x);
  free(b);
}

/* UserData fields (CAPI2) and unnamed Data (forwarded MSExchange). */
static void test_event_userdata_and_unnamed(void) {
  char path[4096];
  size_t n;
  uint8_t *b;
  tells_evtx *x;
  tells_evtx_rec r;
  tells_evtx_event ev;
  int found = 0;
  snprintf(path, sizeof path, "%s/evtx/parser-samples/"
           "E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%%4Operational.evtx", t_corpora());
  if (!(b = slurp(path, &n))) T_SKIP("no %.200s", path);
  tells_evtx_open(b, n, NULL, &x);
  while (tells_evtx_next(x, &r) == 1) {
    CHECK_EQ_INT(tells_evtx_rec_event(x, &ev), TELLS_OK);
    if (ev.record_id != 28) continue;
    found = 1;
    CHECK(ev.user_data);
    CHECK_EQ_INT(ev.event_id, 53);
    CHECK_EQ_STR(ev.channel, "Microsoft-Windows-CAPI2/Operational");
    CHECK_EQ_STR(ev.user_sid, "S-1-5-21-1223297778-3299746493-1462173606-500");
    CHECK_EQ_STR(tells_evtx_event_field(&ev, "Timeout"), "PT9.984S");
    CHECK_EQ_STR(tells_evtx_event_field(&ev, "scheme"), "http");
    CHECK_EQ_STR(tells_evtx_event_field(&ev, "URL"),
                 "http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl");
    CHECK_EQ_STR(tells_evtx_event_field(&ev, "Header"),
                 "GET /pki/crl/products/microsoftrootcert.crl HTTP/1.1");
    CHECK_EQ_STR(tells_evtx_event_field(&ev, "ProcessName"), "Setup.exe");
  }
  CHECK(found);
  tells_evtx_close(x);
  free(b);
  snprintf(path, sizeof path, "%s/evtx/parser-samples/MSExchange_Management_wec.evtx", t_corpora());
  if (!(b = slurp(path, &n))) T_SKIP("no %.200s", path);
  tells_evtx_open(b, n, NULL, &x);
  CHECK_EQ_INT(tells_evtx_next(x, &r), 1);
  CHECK_EQ_INT(r.broken, 0);
  CHECK_EQ_INT(tells_evtx_rec_event(x, &ev), TELLS_OK);
  CHECK_EQ_INT(ev.event_id, 1);
  CHECK_EQ_INT(ev.qualifiers, 16384);
  CHECK_EQ_INT(ev.record_id, 3229);
  CHECK_EQ_STR(ev.computer, "WEC.ave.local");
  /* WEC renders TimeCreated as text: 2021-11-19T16:52:33.833733500Z */
  CHECK_EQ_INT(ev.time, INT64_C(16373407538337335));
  CHECK_EQ_INT(ev.n_fields, 27);
  CHECK_EQ_STR(tells_evtx_event_field(&ev, "Data"), "Set-Mailbox");
  CHECK_EQ_STR(tells_evtx_event_field(&ev, "Data_26"), "fr-FR");
  tells_evtx_close(x);
  free(b);
}

/* ---- hand-built files ------------------------------------------------------ */
typedef struct bb { uint8_t *p; size_t n; } bb;
static void b8(bb *b, unsigned v) { b->p[b->n++] = (uint8_t)v; }
static void b16(bb *b, unsigned v) { b8(b, v & 255); b8(b, (v >> 8) & 255); }
static void b32(bb *b, uint32_t v) { b16(b, v & 0xffff); b16(b, v >> 16); }
static void bname(bb *b, const char *s) {           /* inline name */
  size_t i, l = strlen(s);
  b32(b, 0); b16(b, 0); b16(b, (unsigned)l);
  for (i = 0; i < l; i++) b16(b, (unsigned char)s[i]);
  b16(b, 0);
}
static void bstr(bb *b, const char *s) {
  size_t i, l = strlen(s);
  b16(b, (unsigned)l);
  for (i = 0; i < l; i++) b16(b, (unsigned char)s[i]);
}

/* A one-chunk file with one record: Event > Data Name="X" = %subst.  The
** chunk starts at 4096; positions in the Binary XML are chunk-relative.
** defoff: 0 = inline definition, else that offset; subst: index used. */
static uint8_t *build(size_t *len, uint32_t defoff, unsigned subst) {
  uint8_t *f = calloc(1, 4096 + 65536);
  bb b;
  uint32_t rec = 512, size, fso, def_at, dsize_at, data_start;
  memcpy(f, "ElfFile", 8);
  f[32] = 128; f[36] = 1; f[38] = 3; f[41] = 0x10; f[42] = 1;
  {
    uint32_t c = tells__crc32(0, f, 120);
    memcpy(f + 124, &c, 4);
  }
  b.p = f + 4096;
  b.n = rec + 24;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);          /* fragment */
  b8(&b, 0x0c); b8(&b, 1); b32(&b, 7);                     /* template instance */
  def_at = (uint32_t)b.n + 4;
  b32(&b, defoff ? defoff : def_at);
  b32(&b, 0);                                              /* next def */
  { int i; for (i = 0; i < 16; i++) b8(&b, (unsigned)i); } /* GUID */
  dsize_at = (uint32_t)b.n; b32(&b, 0);
  data_start = (uint32_t)b.n;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x01); b16(&b, 0xffff); b32(&b, 0); b32(&b, (uint32_t)b.n + 4); bname(&b, "Event");
  b8(&b, 0x02);
  b8(&b, 0x41); b16(&b, 0xffff); b32(&b, 0); b32(&b, (uint32_t)b.n + 4); bname(&b, "Data");
  b32(&b, 0);
  b8(&b, 0x06); b32(&b, (uint32_t)b.n + 4); bname(&b, "Name");
  b8(&b, 0x05); b8(&b, 0x01); bstr(&b, "X");
  b8(&b, 0x02);
  b8(&b, 0x0d); b16(&b, subst); b8(&b, 0x01);
  b8(&b, 0x04);
  b8(&b, 0x04);
  b8(&b, 0x00);
  {
    uint32_t ds = (uint32_t)b.n - data_start;
    memcpy(b.p + dsize_at, &ds, 4);
  }
  b32(&b, 1);                                              /* one value */
  b16(&b, 4); b8(&b, 0x01); b8(&b, 0);
  b16(&b, 'h'); b16(&b, 'i');
  while ((b.n + 4) % 8) b8(&b, 0);
  size = (uint32_t)b.n + 4 - rec;
  b32(&b, size);
  fso = (uint32_t)b.n;
  {
    bb h; h.p = b.p; h.n = rec;
    b32(&h, 0x00002a2a); b32(&h, size); b32(&h, 1); b32(&h, 0);
    b32(&h, 0x5a4e5800u); b32(&h, 0x01d2f0c1u);
  }
  memcpy(b.p, "ElfChnk", 8);
  b.p[8] = 1; b.p[16] = 1; b.p[24] = 1; b.p[32] = 1; b.p[40] = 128;
  memcpy(b.p + 44, &rec, 4);
  memcpy(b.p + 48, &fso, 4);
  {
    uint32_t c = tells__crc32(0, b.p + 512, fso - 512);
    memcpy(b.p + 52, &c, 4);
    c = tells__crc32(tells__crc32(0, b.p, 120), b.p + 128, 384);
    memcpy(b.p + 124, &c, 4);
  }
  (void)def_at;
  *len = 4096 + 65536;
  return f;
}

static int has_anom(const tells_anoms *an, const char *code) {
  size_t i;
  for (i = 0; i < an->n; i++) if (!strcmp(an->v[i].code, code)) return 1;
  return 0;
}

/* Runs the reader over f; returns records and the JSON of the first. */
static long run_hostile(const uint8_t *f, size_t n, tells_anoms *an, char *json, size_t jn, int *broken) {
  tells_evtx *x;
  tells_evtx_rec r;
  tells_buf b;
  long cnt = 0;
  *broken = 0;
  json[0] = 0;
  if (tells_evtx_open(f, n, an, &x) != TELLS_OK) return -1;
  tells_buf_init(&b, 1 << 20);
  while (tells_evtx_next(x, &r) == 1) {
    tells_json j;
    tells_evtx_event ev;
    tells_json_init_buf(&j, &b, 0);
    tells_buf_reset(&b);
    tells_evtx_rec_json(x, &j);
    tells_json_flush(&j);
    tells_evtx_rec_event(x, &ev);
    if (!cnt) { snprintf(json, jn, "%s", tells_buf_str(&b)); *broken = r.broken; }
    cnt++;
  }
  tells_buf_free(&b);
  tells_evtx_close(x);
  return cnt;
}

/* A record of `depth` nested elements, the last with text: the JSON writer
** of the caller must stay usable (its errors stick). */
static uint8_t *build_deep(size_t *len, int depth) {
  uint8_t *f = calloc(1, 4096 + 65536);
  bb b;
  uint32_t rec = 512, size, fso;
  int i;
  memcpy(f, "ElfFile", 8);
  b.p = f + 4096;
  b.n = rec + 24;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  for (i = 0; i < depth; i++) {
    b8(&b, 0x01); b16(&b, 0xffff); b32(&b, 0);
    if (i == 0) { b32(&b, (uint32_t)b.n + 4); bname(&b, "E"); }
    else b32(&b, rec + 24 + 4 + 11);      /* the name stored by element 0 */
    b8(&b, 0x02);
  }
  b8(&b, 0x05); b8(&b, 0x01); bstr(&b, "deep");
  for (i = 0; i < depth; i++) b8(&b, 0x04);
  b8(&b, 0x00);
  while ((b.n + 4) % 8) b8(&b, 0);
  size = (uint32_t)b.n + 4 - rec;
  b32(&b, size);
  fso = (uint32_t)b.n;
  {
    bb h; h.p = b.p; h.n = rec;
    b32(&h, 0x00002a2a); b32(&h, size); b32(&h, 1); b32(&h, 0); b32(&h, 0); b32(&h, 0);
  }
  memcpy(b.p, "ElfChnk", 8);
  memcpy(b.p + 48, &fso, 4);
  *len = 4096 + 65536;
  return f;
}

/* Writes at chunk offset `at` a record (id, written time ft) that uses the
** template defined by build()'s record (at chunk offset 550) by reference,
** naming template id tid, with the value "hi".  Returns its size. */
static uint32_t carve_rec(uint8_t *ch, uint32_t at, uint32_t id, uint32_t tid, uint64_t ft) {
  bb b;
  uint32_t size;
  b.p = ch; b.n = at;
  b32(&b, 0x00002a2a); b32(&b, 0); b32(&b, id); b32(&b, 0);
  b32(&b, (uint32_t)ft); b32(&b, (uint32_t)(ft >> 32));
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x0c); b8(&b, 1); b32(&b, tid); b32(&b, 550);
  b32(&b, 1); b16(&b, 4); b8(&b, 0x01); b8(&b, 0);
  b16(&b, 'h'); b16(&b, 'i');
  b8(&b, 0x00);
  while ((b.n + 4) % 8) b8(&b, 0);
  size = (uint32_t)b.n + 4 - at;
  b32(&b, size);
  memcpy(ch + at + 4, &size, 4);
  return size;
}

/* Runs the reader; returns records (carved ones in *carved) and the stats. */
static long run_carve(const uint8_t *f, size_t n, tells_anoms *an, long *carved,
                      tells_evtx_stats *st, char *json, size_t jn) {
  tells_evtx *x;
  tells_evtx_rec r;
  tells_buf b;
  long cnt = 0;
  *carved = 0;
  json[0] = 0;
  if (tells_evtx_open(f, n, an, &x) != TELLS_OK) return -1;
  tells_buf_init(&b, 1 << 20);
  while (tells_evtx_next(x, &r) == 1) {
    cnt++;
    if (r.recovered) {
      tells_json j;
      (*carved)++;
      CHECK(!r.broken);
      tells_buf_reset(&b);
      tells_json_init_buf(&j, &b, 0);
      tells_evtx_rec_json(x, &j);
      tells_json_flush(&j);
      snprintf(json, jn, "%s", tells_buf_str(&b));
    }
  }
  *st = *tells_evtx_stats_get(x);
  tells_buf_free(&b);
  tells_evtx_close(x);
  return cnt;
}

/* Slack carving: a byte copy of a live record, a record naming a template
** id that the definition at its offset does not carry, an implausible
** written time are not returned (one evtx.carve_rejected per chunk, no
** Binary XML noise); a record whose template id matches is. */
static void test_carve_validation(void) {
  size_t n;
  uint8_t *f = build(&n, 0, 0), *ch = f + 4096;
  uint32_t size = tells_ld32le(ch + 512 + 4), fso = tells_ld32le(ch + 48);
  uint32_t at = (fso + 7) & ~7u;
  const uint64_t ft = UINT64_C(0x01d2f0c15a4e5800);   /* 2017 */
  tells_anoms an;
  tells_evtx_stats st;
  long carved;
  char js[256];
  /* an identical copy of the live record in the slack */
  memcpy(ch + at, ch + 512, size);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 1);
  CHECK_EQ_INT(carved, 0);
  CHECK_EQ_INT(st.carve_duplicates, 1);
  CHECK(has_anom(&an, "evtx.carve_rejected"));
  CHECK(!has_anom(&an, "evtx.record_recovered"));
  tells_anoms_free(&an);
  /* template id 7 while the definition at 550 carries 0x03020100 */
  memset(ch + at, 0, 65536 - at);
  carve_rec(ch, at, 2, 7, ft);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 1);
  CHECK_EQ_INT(carved, 0);
  CHECK_EQ_INT(st.carve_rejected, 1);
  CHECK(has_anom(&an, "evtx.carve_rejected"));
  CHECK(!has_anom(&an, "evtx.binxml") && !has_anom(&an, "evtx.template_bad") &&
        !has_anom(&an, "evtx.template_range"));
  tells_anoms_free(&an);
  /* the matching id: recovered, decoded with the live definition */
  carve_rec(ch, at, 2, 0x03020100u, ft);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 2);
  CHECK_EQ_INT(carved, 1);
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":\"hi\"}}");
  CHECK_EQ_INT(st.records_recovered, 1);
  CHECK(has_anom(&an, "evtx.record_recovered"));
  CHECK(!has_anom(&an, "evtx.carve_rejected"));
  tells_anoms_free(&an);
  /* the slack scan skips to signature bytes (memchr) but still steps by 8
  ** from the end of the record list: stray 0x2a bytes off the steps and a
  ** signature with a bad size on one are passed over, a record on a step is
  ** found, one off the steps is not */
  memset(ch + at, 0, 65536 - at);
  memcpy(ch + at + 3, "\x2a\x2a\0\0\x2a", 5);
  memcpy(ch + at + 8, "\x2a\x2a\0\0\xff\xff\0\0", 8);
  carve_rec(ch, at + 24, 2, 0x03020100u, ft);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 2);
  CHECK_EQ_INT(carved, 1);
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":\"hi\"}}");
  tells_anoms_free(&an);
  memset(ch + at, 0, 65536 - at);
  memcpy(ch + at + 1, "\x2a", 1);
  carve_rec(ch, at + 20, 2, 0x03020100u, ft);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 1);
  CHECK_EQ_INT(carved, 0);
  tells_anoms_free(&an);
  memset(ch + at, 0, 65536 - at);
  /* the same with a written time of 0 */
  carve_rec(ch, at, 2, 0x03020100u, 0);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_carve(f, n, &an, &carved, &st, js, sizeof js), 1);
  CHECK_EQ_INT(carved, 0);
  CHECK_EQ_INT(st.carve_rejected, 1);
  tells_anoms_free(&an);
  free(f);
}

static void test_hostile_deep(void) {
  int depths[] = {10, 30, 63, 64, 65, 200}, k;
  for (k = 0; k < 6; k++) {
    size_t n;
    uint8_t *f = build_deep(&n, depths[k]);
    tells_anoms an;
    tells_evtx *x;
    tells_evtx_rec r;
    tells_json j;
    tells_buf b;
    tells_anoms_init(&an);
    tells_buf_init(&b, 1 << 20);
    tells_json_init_buf(&j, &b, 0);
    CHECK_EQ_INT(tells_evtx_open(f, n, &an, &x), TELLS_OK);
    CHECK_EQ_INT(tells_evtx_next(x, &r), 1);
    tells_json_arr(&j);                  /* the caller's own nesting */
    CHECK_EQ_INT(tells_evtx_rec_json(x, &j), TELLS_OK);
    tells_json_arr_end(&j);
    CHECK_EQ_INT(tells_json_flush(&j), TELLS_OK);
    if (depths[k] == 10) CHECK(strstr(tells_buf_str(&b), "\"E\":\"deep\"") != NULL);
    if (depths[k] > 64) CHECK(r.broken && has_anom(&an, "evtx.depth"));
    tells_evtx_close(x);
    tells_buf_free(&b);
    tells_anoms_free(&an);
    free(f);
  }
}

/* Template bomb: a template substitutes one BinXml value `refs` times; the
** value holds `texts` text tokens.  The work cap must stop it quickly. */
static uint8_t *build_bomb(size_t *len, int refs, int texts) {
  uint8_t *f = calloc(1, 4096 + 65536);
  bb b;
  uint32_t rec = 512, size, fso, dsize_at, data_start, name_e;
  int i;
  memcpy(f, "ElfFile", 8);
  b.p = f + 4096;
  b.n = rec + 24;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x0c); b8(&b, 1); b32(&b, 7);
  b32(&b, (uint32_t)b.n + 4);
  b32(&b, 0);
  for (i = 0; i < 16; i++) b8(&b, 0);
  dsize_at = (uint32_t)b.n; b32(&b, 0);
  data_start = (uint32_t)b.n;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x01); b16(&b, 0xffff); b32(&b, 0); name_e = (uint32_t)b.n + 4;
  b32(&b, name_e); bname(&b, "E");
  b8(&b, 0x02);
  for (i = 0; i < refs; i++) { b8(&b, 0x0d); b16(&b, 0); b8(&b, 0x21); }
  b8(&b, 0x04); b8(&b, 0x00);
  {
    uint32_t ds = (uint32_t)b.n - data_start;
    memcpy(b.p + dsize_at, &ds, 4);
  }
  b32(&b, 1);
  b16(&b, (unsigned)(4 + 9 + 1 + 4 * texts + 2)); b8(&b, 0x21); b8(&b, 0);
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x01); b32(&b, 0); b32(&b, name_e); b16(&b, 0); b8(&b, 0);  /* E (no dep id) */
  b.n -= 3;
  b8(&b, 0x02);
  for (i = 0; i < texts; i++) { b8(&b, 0x05); b8(&b, 0x01); b16(&b, 0); }
  b8(&b, 0x04); b8(&b, 0x00);
  while ((b.n + 4) % 8) b8(&b, 0);
  size = (uint32_t)b.n + 4 - rec;
  b32(&b, size);
  fso = (uint32_t)b.n;
  {
    bb h; h.p = b.p; h.n = rec;
    b32(&h, 0x00002a2a); b32(&h, size); b32(&h, 1); b32(&h, 0); b32(&h, 0); b32(&h, 0);
  }
  memcpy(b.p, "ElfChnk", 8);
  memcpy(b.p + 48, &fso, 4);
  *len = 4096 + 65536;
  return f;
}

static void test_hostile_bomb(void) {
  size_t n;
  uint8_t *f = build_bomb(&n, 12000, 1000);
  tells_anoms an;
  char js[512];
  int broken;
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_INT(broken, 1);
  CHECK(has_anom(&an, "evtx.work") || has_anom(&an, "evtx.nodes"));
  tells_anoms_free(&an);
  free(f);
  /* the same shape, small: decodes fully */
  f = build_bomb(&n, 3, 2);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_INT(broken, 0);
  CHECK_EQ_STR(js, "{\"E\":{\"E\":\"\",\"E_1\":\"\",\"E_2\":\"\"}}");
  tells_anoms_free(&an);
  free(f);
}

/* A record without a template: Event > System > TimeCreated SystemTime=
** text, as forwarded (WEC) logs store it. */
static uint8_t *build_timetext(size_t *len, const char *when) {
  uint8_t *f = calloc(1, 4096 + 65536);
  bb b;
  uint32_t rec = 512, size, fso;
  memcpy(f, "ElfFile", 8);
  b.p = f + 4096;
  b.n = rec + 24;
  b8(&b, 0x0f); b8(&b, 1); b8(&b, 1); b8(&b, 0);
  b8(&b, 0x01); b16(&b, 0xffff); b32(&b, 0); b32(&b, (uint32_t)b.n + 4); bname(&b, "Event");
  b8(&b, 0x02);
  b8(&b, 0x01); b16(&b, 0xffff); b32(&b, 0); b32(&b, (uint32_t)b.n + 4); bname(&b, "System");
  b8(&b, 0x02);
  b8(&b, 0x41); b16(&b, 0xffff); b32(&b, 0); b32(&b, (uint32_t)b.n + 4); bname(&b, "TimeCreated");
  b32(&b, 0);
  b8(&b, 0x06); b32(&b, (uint32_t)b.n + 4); bname(&b, "SystemTime");
  b8(&b, 0x05); b8(&b, 0x01); bstr(&b, when);
  b8(&b, 0x03);
  b8(&b, 0x04); b8(&b, 0x04); b8(&b, 0x00);
  while ((b.n + 4) % 8) b8(&b, 0);
  size = (uint32_t)b.n + 4 - rec;
  b32(&b, size);
  fso = (uint32_t)b.n;
  {
    bb h; h.p = b.p; h.n = rec;
    b32(&h, 0x00002a2a); b32(&h, size); b32(&h, 1); b32(&h, 0); b32(&h, 0); b32(&h, 0);
  }
  memcpy(b.p, "ElfChnk", 8);
  memcpy(b.p + 48, &fso, 4);
  *len = 4096 + 65536;
  return f;
}

static void test_event_time_text(void) {
  static const struct { const char *s; int64_t t; } cases[] = {
    {"2021-11-19T16:52:33.833733500Z", INT64_C(16373407538337335)},
    {"1970-01-01T00:00:00Z", 0},
    {"1601-01-01 00:00:00.1", INT64_C(-116444736000000000) + 1000000},
    {"999999999-01-01T00:00:00Z", INT64_MIN},     /* out of range: absent */
    {"2021-13-01T00:00:00Z", INT64_MIN},
    {"garbage", INT64_MIN},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    uint8_t *f = build_timetext(&n, cases[i].s);
    tells_evtx *x;
    tells_evtx_rec r;
    tells_evtx_event ev;
    CHECK_EQ_INT(tells_evtx_open(f, n, NULL, &x), TELLS_OK);
    CHECK_EQ_INT(tells_evtx_next(x, &r), 1);
    CHECK_EQ_INT(tells_evtx_rec_event(x, &ev), TELLS_OK);
    CHECK_EQ_INT(ev.time, cases[i].t);
    tells_evtx_close(x);
    free(f);
  }
}

static void test_hostile_built(void) {
  size_t n, cut;
  uint8_t *f = build(&n, 0, 0);
  tells_anoms an;
  char js[512];
  int broken;
  long k;
  /* the good file */
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":\"hi\"}}");
  CHECK_EQ_INT(broken, 0);
  CHECK_EQ_INT(an.n, 0);
  tells_anoms_free(&an);
  /* wrong chunk header CRC: flagged, record still read */
  f[4096 + 124] ^= 0xff;
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":\"hi\"}}");
  CHECK(has_anom(&an, "evtx.chunk_crc"));
  tells_anoms_free(&an);
  /* wrong records CRC */
  f[4096 + 124] ^= 0xff;
  f[4096 + 52] ^= 0x01;
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK(has_anom(&an, "evtx.records_crc"));
  tells_anoms_free(&an);
  free(f);
  /* truncated at every length: never a crash, anomalies for the cuts */
  f = build(&n, 0, 0);
  for (cut = 0; cut < 4096 + 800; cut += (cut < 4096 ? 512 : 1)) {
    uint8_t *g = malloc(cut ? cut : 1);
    memcpy(g, f, cut);
    tells_anoms_init(&an);
    k = run_hostile(g, cut, &an, js, sizeof js, &broken);
    CHECK(k >= 0);
    if (cut > 4096) CHECK(has_anom(&an, "evtx.chunk_trunc"));
    tells_anoms_free(&an);
    free(g);
  }
  free(f);
  /* template definition outside the chunk */
  f = build(&n, 70000, 0);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_INT(broken, 1);
  CHECK(has_anom(&an, "evtx.template_range"));
  tells_anoms_free(&an);
  free(f);
  /* template definition inside the chunk header */
  f = build(&n, 100, 0);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_INT(broken, 1);
  CHECK(has_anom(&an, "evtx.template_range"));
  tells_anoms_free(&an);
  free(f);
  /* substitution index out of range */
  f = build(&n, 0, 5);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_INT(broken, 1);
  CHECK(has_anom(&an, "evtx.subst_range"));
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":null}}");
  tells_anoms_free(&an);
  free(f);
  /* bad chunk signature: header ignored, the body carved (record recovered) */
  f = build(&n, 0, 0);
  memcpy(f + 4096, "ElfChnX", 7);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK_EQ_STR(js, "{\"Event\":{\"X\":\"hi\"}}");
  CHECK(has_anom(&an, "evtx.chunk_magic"));
  CHECK(has_anom(&an, "evtx.record_recovered"));
  tells_anoms_free(&an);
  /* zeroed chunk header: the same */
  memset(f + 4096, 0, 512);
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile(f, n, &an, js, sizeof js, &broken), 1);
  CHECK(has_anom(&an, "evtx.chunk_magic"));
  tells_anoms_free(&an);
  free(f);
  f = build(&n, 0, 5);
  /* every single-byte corruption of the record area: no crash */
  memcpy(f + 4096, "ElfChnk", 7);
  {
    size_t i;
    for (i = 4096 + 512; i < 4096 + 760; i++) {
      uint8_t save = f[i];
      int v;
      for (v = 0; v < 256; v += 51) {
        f[i] = (uint8_t)(save ^ (v | 1));
        tells_anoms_init(&an);
        CHECK(run_hostile(f, n, &an, js, sizeof js, &broken) >= 0);
        tells_anoms_free(&an);
      }
      f[i] = save;
    }
  }
  free(f);
  /* garbage and empty input */
  tells_anoms_init(&an);
  CHECK_EQ_INT(run_hostile((const uint8_t *)"", 0, &an, js, sizeof js, &broken), 0);
  CHECK(has_anom(&an, "evtx.file_magic"));
  tells_anoms_free(&an);
}

int main(void) {
  T_RUN(test_crc32);
  T_RUN(test_crc32_fold);
  T_RUN(test_utf16_random);
  T_RUN(test_hostile_built);
  T_RUN(test_carve_validation);
  T_RUN(test_hostile_deep);
  T_RUN(test_hostile_bomb);
  T_RUN(test_event_normalised);
  T_RUN(test_event_userdata_and_unnamed);
  T_RUN(test_event_time_text);
  T_RUN(test_sigma_regression_json);
  T_RUN(test_snapshots);
  T_RUN(test_parser_sample_counts);
  T_RUN(test_corpus_all_files);
  T_RUN(test_attack_counts_vs_evtxexport);
  T_RUN(test_attack_counts_table);
  T_END();
}
