/*
** codelib.c -- the reference library: file format, atomic append, lookups,
** and the `tells lib add|list` entry points.
**
** File (docs/library.md): a text file of lines ending in "\n".
**   line 1    "tells-codelib 1" (format and version)
**   "#..."    comment; blank lines are ignored
**   entry     7 fields separated by one tab:
**             sha256  tlsh  imphash  rich  richpe  family  name
**             sha256: 64 hex digits; tlsh: "T1" + 70 hex digits or "-";
**             imphash, rich, richpe: 32 hex digits or "-"; family: 1..128
**             bytes, no control characters; name: 0..255 bytes, no control
**             characters.
** Every line is read through a bounded buffer (TELLS_CODELIB_MAX_LINE) and
** the entry count is capped (TELLS_CODELIB_MAX_ENTRIES); the first bad line
** stops the load with "PATH:LINE: reason".
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "alloc.h"
#include "arena.h"
#include "anom.h"
#include "codelib.h"
#include "hash.h"
#include "ingest.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"

struct tells_codelib {
  tells_codelib_entry *e;   /* n entries (owned); strings in `strings` */
  size_t n, cap;
  tells_arena strings;
  tells_tlshidx *ix;        /* TLSH index over e[].tlsh, ids = entry index */
  uint32_t *slot[TELLS_CODELIB_NKIND];  /* open addressing over distinct values:
                                           first entry + 1, 0 empty */
  uint32_t *next[TELLS_CODELIB_NKIND];  /* per entry: the next with its value + 1, 0 none */
  size_t mask;
};

static const char *exact_of(const tells_codelib_entry *e, int kind) {
  return kind == TELLS_CODELIB_IMPHASH ? e->imphash : kind == TELLS_CODELIB_RICH ? e->rich : e->richpe;
}

/* ---- parsing ---- */

static int is_hex(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
      return 0;
  return 1;
}

static void lower_copy(char *dst, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) dst[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
  dst[n] = 0;
}

static int plain_text(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
  return 1;
}

/* Parses one entry line s[0..n) (no newline); strings go to the arena.
** Returns NULL or the reason it is bad. */
static const char *parse_entry(tells_codelib *lib, const char *s, size_t n,
                               tells_codelib_entry *e) {
  const char *f[7];
  size_t fl[7], k = 0, i, start = 0;
  memset(e, 0, sizeof *e);
  for (i = 0; i <= n; i++) {
    if (i == n || s[i] == '\t') {
      if (k == 7) return "more than 7 tab-separated fields";
      f[k] = s + start; fl[k] = i - start; k++;
      start = i + 1;
    }
  }
  if (k != 7) return "expected 7 tab-separated fields";
  if (fl[0] != 64 || !is_hex(f[0], 64)) return "sha256 is not 64 hex digits";
  lower_copy(e->sha256, f[0], 64);
  if (!(fl[1] == 1 && f[1][0] == '-')) {
    if (tells_tlsh_parse(f[1], fl[1], &e->tlsh) != TELLS_OK) return "tlsh is not a TLSH digest or \"-\"";
  }
  for (i = 2; i <= 4; i++) {
    char *dst = i == 2 ? e->imphash : i == 3 ? e->rich : e->richpe;
    if (fl[i] == 1 && f[i][0] == '-') continue;
    if (fl[i] != 32 || !is_hex(f[i], 32)) return "imphash, rich and richpe must be 32 hex digits or \"-\"";
    lower_copy(dst, f[i], 32);
  }
  if (fl[5] == 0 || fl[5] > TELLS_CODELIB_MAX_FAMILY || !plain_text(f[5], fl[5]))
    return "family must be 1 to 128 bytes without control characters";
  if (fl[6] > TELLS_CODELIB_MAX_NAME || !plain_text(f[6], fl[6]))
    return "name must be at most 255 bytes without control characters";
  e->family = tells_arena_strndup(&lib->strings, f[5], fl[5]);
  e->name = tells_arena_strndup(&lib->strings, f[6], fl[6]);
  if (!e->family || !e->name) return "out of memory";
  return NULL;
}

static tells_err add_entry(tells_codelib *lib, const tells_codelib_entry *e) {
  if (lib->n == lib->cap) {
    size_t nc = lib->cap ? lib->cap * 2 : 256;
    tells_codelib_entry *v = tells_realloc(lib->e, nc * sizeof *v);
    if (!v) return TELLS_ENOMEM;
    lib->e = v; lib->cap = nc;
  }
  lib->e[lib->n++] = *e;
  return TELLS_OK;
}

/* ---- exact-hash tables ---- */

static uint64_t key_of(const char *hex) {    /* first 16 hex digits */
  uint64_t v = 0;
  int i;
  for (i = 0; i < 16; i++) {
    char c = hex[i];
    v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v * 0x9e3779b97f4a7c15ull;
}

/* The slot of value h in table k: where it is, or the empty slot where it
** would go.  One slot per distinct value, so a value that thousands of
** entries share (the imphash of every .NET assembly) is one probe, not a
** run of thousands. */
static size_t slot_of(const tells_codelib *lib, int k, const char *h) {
  size_t s;
  for (s = key_of(h) & lib->mask; lib->slot[k][s]; s = (s + 1) & lib->mask)
    if (strcmp(exact_of(&lib->e[lib->slot[k][s] - 1], k), h) == 0) break;
  return s;
}

static tells_err build_tables(tells_codelib *lib) {
  size_t cap = 16, i;
  int k;
  tells_tlsh *d;
  tells_err e;
  while (cap < 2 * lib->n) cap *= 2;
  lib->mask = cap - 1;
  for (k = 0; k < TELLS_CODELIB_NKIND; k++) {
    lib->slot[k] = tells_calloc(cap, sizeof *lib->slot[k]);
    lib->next[k] = tells_calloc(lib->n ? lib->n : 1, sizeof *lib->next[k]);
    if (!lib->slot[k] || !lib->next[k]) return TELLS_ENOMEM;
    for (i = lib->n; i-- > 0; ) {     /* last first: each chain ends up in entry order */
      const char *h = exact_of(&lib->e[i], k);
      size_t s;
      if (!h[0]) continue;
      s = slot_of(lib, k, h);
      lib->next[k][i] = lib->slot[k][s];
      lib->slot[k][s] = (uint32_t)(i + 1);
    }
  }
  d = tells_malloc((lib->n ? lib->n : 1) * sizeof *d);
  if (!d) return TELLS_ENOMEM;
  for (i = 0; i < lib->n; i++) d[i] = lib->e[i].tlsh;
  e = tells_tlshidx_build(d, NULL, lib->n, 1, &lib->ix, NULL);
  tells_free(d);
  return e;
}

/* ---- load ---- */

static void errf(char *err, size_t errn, const char *path, unsigned long line, const char *why) {
  if (!err || !errn) return;
  if (line) snprintf(err, errn, "%s:%lu: %s", path, line, why);
  else snprintf(err, errn, "%s: %s", path, why);
}

tells_err tells_codelib_load(const char *path, int missing_ok, tells_codelib **out,
                             char *err, size_t errn) {
  tells_codelib *lib;
  FILE *f;
  char line[TELLS_CODELIB_MAX_LINE + 2];
  unsigned long ln = 0;
  tells_err e = TELLS_OK;
  *out = NULL;
  if (err && errn) err[0] = 0;
  lib = tells_calloc(1, sizeof *lib);
  if (!lib) return TELLS_ENOMEM;
  tells_arena_init(&lib->strings, (size_t)4 << 30);
  f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT && missing_ok) goto index;
    e = errno == ENOENT ? TELLS_ENOENT : errno == EACCES ? TELLS_EACCES : TELLS_EIO;
    errf(err, errn, path, 0, errno == ENOENT ? "no such library file" : strerror(errno));
    goto fail;
  }
  while (fgets(line, sizeof line, f)) {
    size_t n = strlen(line);
    const char *why;
    tells_codelib_entry ent;
    ln++;
    if (n == 0 || line[n - 1] != '\n') {
      e = TELLS_ECORRUPT;
      errf(err, errn, path, ln, feof(f) ? "last line does not end in a newline (truncated?)"
                                        : "line longer than 1024 bytes");
      break;
    }
    line[--n] = 0;
    if (strlen(line) != n) { e = TELLS_ECORRUPT; errf(err, errn, path, ln, "NUL byte in line"); break; }
    if (ln == 1) {
      if (strcmp(line, TELLS_CODELIB_MAGIC) != 0) {
        e = TELLS_ECORRUPT;
        errf(err, errn, path, ln, strncmp(line, "tells-codelib ", 14) == 0
             ? "library format version not supported by this tells"
             : "not a tells library (first line is not \"" TELLS_CODELIB_MAGIC "\")");
        break;
      }
      continue;
    }
    if (n == 0 || line[0] == '#') continue;
    if (lib->n >= TELLS_CODELIB_MAX_ENTRIES) {
      e = TELLS_ECORRUPT; errf(err, errn, path, ln, "more entries than the limit (16777216)"); break;
    }
    if ((why = parse_entry(lib, line, n, &ent))) {
      e = strcmp(why, "out of memory") == 0 ? TELLS_ENOMEM : TELLS_ECORRUPT;
      errf(err, errn, path, ln, why);
      break;
    }
    if ((e = add_entry(lib, &ent))) { errf(err, errn, path, ln, "out of memory"); break; }
  }
  if (!e && ferror(f)) { e = TELLS_EIO; errf(err, errn, path, 0, "read error"); }
  if (!e && ln == 0) { e = TELLS_ECORRUPT; errf(err, errn, path, 1, "empty file, no \"" TELLS_CODELIB_MAGIC "\" header"); }
  fclose(f);
  if (e) goto fail;
index:
  if ((e = build_tables(lib))) { errf(err, errn, path, 0, "out of memory"); goto fail; }
  *out = lib;
  return TELLS_OK;
fail:
  tells_codelib_free(lib);
  return e;
}

void tells_codelib_free(tells_codelib *lib) {
  int k;
  if (!lib) return;
  tells_tlshidx_free(lib->ix);
  for (k = 0; k < TELLS_CODELIB_NKIND; k++) { tells_free(lib->slot[k]); tells_free(lib->next[k]); }
  tells_free(lib->e);
  tells_arena_free(&lib->strings);
  tells_free(lib);
}

size_t tells_codelib_count(const tells_codelib *lib) { return lib ? lib->n : 0; }

const tells_codelib_entry *tells_codelib_get(const tells_codelib *lib, size_t i) {
  return lib && i < lib->n ? &lib->e[i] : NULL;
}

/* ---- append ---- */

static int write_entry(FILE *f, const tells_codelib_entry *e) {
  char t[TELLS_TLSH_STRMAX];
  if (e->tlsh.nbody) tells_tlsh_format(&e->tlsh, 0, t);
  else strcpy(t, "-");
  return fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e->sha256, t,
                 e->imphash[0] ? e->imphash : "-", e->rich[0] ? e->rich : "-",
                 e->richpe[0] ? e->richpe : "-", e->family, e->name ? e->name : "") < 0;
}

tells_err tells_codelib_append(const char *path, const tells_codelib_entry *e, size_t n,
                               char *err, size_t errn) {
  tells_codelib *old = NULL;
  tells_err r = tells_codelib_load(path, 1, &old, err, errn);
  FILE *in, *out;
  char *tmp;
  size_t i, len = strlen(path) + 32;
  int bad = 0;
  if (r) return r;
  if (old->n + n > TELLS_CODELIB_MAX_ENTRIES) {
    tells_codelib_free(old);
    errf(err, errn, path, 0, "the library would exceed 16777216 entries");
    return TELLS_ELIMIT;
  }
  tells_codelib_free(old);
  if (!(tmp = tells_malloc(len))) return TELLS_ENOMEM;
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
  if (!(out = fopen(tmp, "wb"))) {
    errf(err, errn, tmp, 0, strerror(errno));
    tells_free(tmp);
    return TELLS_EIO;
  }
  if ((in = fopen(path, "rb"))) {       /* the validated old content, as is */
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
      if (fwrite(buf, 1, k, out) != k) { bad = 1; break; }
    if (ferror(in)) bad = 1;
    fclose(in);
  } else {
    bad = fprintf(out, "%s\n# sha256\ttlsh\timphash\trich\trichpe\tfamily\tname\n",
                  TELLS_CODELIB_MAGIC) < 0;
  }
  for (i = 0; i < n && !bad; i++) bad = write_entry(out, &e[i]);
  if (fflush(out) != 0 || fsync(fileno(out)) != 0) bad = 1;
  if (fclose(out) != 0) bad = 1;
  if (bad || rename(tmp, path) != 0) {
    errf(err, errn, path, 0, bad ? "cannot write the new library" : strerror(errno));
    remove(tmp);
    tells_free(tmp);
    return TELLS_EIO;
  }
  tells_free(tmp);
  return TELLS_OK;
}

/* ---- RichPE ---- */

int tells_codelib_richpe(const tells_pe *pe, char out[33]) {
  tells_buf b;
  size_t i;
  int ok;
  out[0] = 0;
  if (!pe || !pe->has_rich) return 0;
  tells_buf_init(&b, 1u << 20);
  for (i = 0; i < pe->n_rich; i++) {
    uint32_t compid = (uint32_t)pe->rich[i].prodid << 16 | pe->rich[i].build;
    uint32_t count = pe->rich[i].count, bits = 0, mask;
    while (bits < 32 && (count >> bits)) bits++;      /* bit length */
    mask = (uint32_t)((1ull << (bits / 2 + 1)) - 1);
    tells_buf_addf(&b, "%s%u %u", i ? " " : "", compid, count | mask);
  }
  tells_buf_addf(&b, "%s%u %u %u %u %u %u %u %u %u %u %u", pe->n_rich ? " " : "",
                 pe->machine, pe->characteristics, pe->subsystem, pe->linker_major,
                 pe->linker_minor, pe->os_major, pe->os_minor, pe->img_major, pe->img_minor,
                 pe->subsys_major, pe->subsys_minor);
  ok = !b.err && tells_md5_hex(b.p, b.n, out) == TELLS_OK;
  tells_buf_free(&b);
  if (!ok) out[0] = 0;
  return ok;
}

/* ---- lookups ---- */

void tells_codelib_query(const tells_codelib *lib, const tells_tlsh *tlsh, const char *imphash,
                         const char *rich, const char *richpe, tells_codelib_result *r) {
  const char *h[TELLS_CODELIB_NKIND];
  int k;
  memset(r, 0, sizeof *r);
  if (!lib || !lib->n) return;
  if (tlsh && tlsh->nbody)
    r->n_near = tells_tlshidx_query(lib->ix, tlsh, TELLS_CODELIB_K, TELLS_CODELIB_NEAR_MAX,
                                    r->near, NULL);
  h[TELLS_CODELIB_IMPHASH] = imphash; h[TELLS_CODELIB_RICH] = rich; h[TELLS_CODELIB_RICHPE] = richpe;
  for (k = 0; k < TELLS_CODELIB_NKIND; k++) {
    char low[33];
    uint32_t x;
    if (!h[k] || strlen(h[k]) != 32 || !is_hex(h[k], 32)) continue;
    lower_copy(low, h[k], 32);
    for (x = lib->slot[k][slot_of(lib, k, low)]; x && r->n_exact[k] < TELLS_CODELIB_MAX_EXACT;
         x = lib->next[k][x - 1])
      r->exact[k][r->n_exact[k]++] = x - 1;
  }
}

static void entry_json(tells_json *j, const tells_codelib_entry *e) {
  tells_json_kstr(j, "family", e->family);
  tells_json_kstr(j, "sha256", e->sha256);
  if (e->name && e->name[0]) tells_json_kstr(j, "name", e->name);
}

void tells_codelib_result_json(const tells_codelib *lib, const tells_codelib_result *r,
                               tells_json *j) {
  static const char *const key[TELLS_CODELIB_NKIND] = {"imphash_matches", "rich_matches",
                                                       "richpe_matches"};
  size_t i;
  int k;
  tells_json_obj(j);
  tells_json_key(j, "nearest");
  tells_json_arr(j);
  for (i = 0; i < r->n_near; i++) {
    const tells_codelib_entry *e = &lib->e[r->near[i].id];
    char t[TELLS_TLSH_STRMAX];
    tells_json_obj(j);
    entry_json(j, e);
    tells_tlsh_format(&e->tlsh, 0, t);
    tells_json_kstr(j, "tlsh", t);
    tells_json_ki64(j, "tlsh_distance", r->near[i].dist);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  for (k = 0; k < TELLS_CODELIB_NKIND; k++) {
    tells_json_key(j, key[k]);
    tells_json_arr(j);
    for (i = 0; i < r->n_exact[k]; i++) {
      tells_json_obj(j);
      entry_json(j, &lib->e[r->exact[k][i]]);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
  }
  tells_json_ku64(j, "library_entries", lib->n);
  tells_json_obj_end(j);
}

/* ---- `tells lib add` and `tells lib list` ---- */

static void diag(tells_diag_fn fn, void *ud, const char *path, const char *msg) {
  if (fn) fn(ud, path, msg);
}

/* Describes one executable: hashes, and for a PE imphash, Rich, RichPE.
** Returns 0 when the file is not a PE or ELF file (why says so). */
static int describe(const tells_map *m, tells_codelib_entry *e, const char **why) {
  const char *reason = NULL;
  tells_kind kind = tells_sniff(m->p, m->len, &reason);
  memset(e, 0, sizeof *e);
  if (kind != TELLS_KIND_PE && kind != TELLS_KIND_ELF) { *why = "not a PE or ELF file"; return 0; }
  if (tells_sha256_hex(m->p ? (const void *)m->p : "", m->len, e->sha256)) { *why = "cannot hash"; return 0; }
  tells_tlsh_hash(m->p, m->len, 0, &e->tlsh);   /* no digest: nbody stays 0 */
  if (kind == TELLS_KIND_PE) {
    tells_arena a;
    tells_anoms an;
    tells_pe *pe = NULL;
    tells_arena_init(&a, 0);
    tells_anoms_init(&an);
    tells_pe_parse(m->p, m->len, &a, &an, &pe);
    if (pe) {
      memcpy(e->imphash, pe->imphash, sizeof e->imphash);
      memcpy(e->rich, pe->rich_hash, sizeof e->rich);
      tells_codelib_richpe(pe, e->richpe);
    }
    tells_anoms_free(&an);
    tells_arena_free(&a);
  }
  return 1;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Whether sha256 is in the set (open addressing over the strings' first 16
** hex digits; cap a power of two above the count); if not, it is added. */
static int sha_seen(const char **set, size_t mask, const char *sha256) {
  size_t s;
  for (s = key_of(sha256) & mask; set[s]; s = (s + 1) & mask)
    if (strcmp(set[s], sha256) == 0) return 1;
  set[s] = sha256;
  return 0;
}

tells_err tells_lib_add(const char *library, const char *family, const char *const *paths,
                        size_t n_paths, tells_diag_fn dfn, void *ud, uint64_t *n_added) {
  tells_walk w;
  tells_codelib *old = NULL;
  tells_codelib_entry *add = NULL;
  char err[1200], *names = NULL;
  const char **seen = NULL;           /* sha256 of this family, old and added */
  size_t i, j, n = 0, cap = 16;
  tells_err e;
  if (n_added) *n_added = 0;
  if (!family || !family[0] || strlen(family) > TELLS_CODELIB_MAX_FAMILY ||
      !plain_text(family, strlen(family))) {
    diag(dfn, ud, library, "--family must be 1 to 128 bytes without control characters");
    return TELLS_EARG;
  }
  if ((e = tells_codelib_load(library, 1, &old, err, sizeof err))) {
    diag(dfn, ud, NULL, err);
    return e;
  }
  memset(&w, 0, sizeof w);
  w.diag = dfn; w.diag_ud = ud;
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  add = tells_calloc(w.n ? w.n : 1, sizeof *add);
  names = tells_malloc((w.n ? w.n : 1) * (TELLS_CODELIB_MAX_NAME + 1));
  while (cap < 2 * (old->n + w.n)) cap *= 2;
  seen = tells_calloc(cap, sizeof *seen);
  if (!add || !names || !seen) { e = TELLS_ENOMEM; goto done; }
  for (j = 0; j < old->n; j++)
    if (strcmp(old->e[j].family, family) == 0) sha_seen(seen, cap - 1, old->e[j].sha256);
  for (i = 0; i < w.n; i++) {
    tells_map m;
    const char *why = NULL, *bn;
    char *nm = names + n * (TELLS_CODELIB_MAX_NAME + 1);
    if (w.v[i].not_regular) continue;
    if (tells_map_open(w.v[i].path, &m)) { diag(dfn, ud, w.v[i].path, "cannot open, not added"); continue; }
    if (!describe(&m, &add[n], &why)) { tells_map_close(&m); continue; }  /* not a sample */
    tells_map_close(&m);
    if (sha_seen(seen, cap - 1, add[n].sha256)) {
      diag(dfn, ud, w.v[i].path, "already in the library with this family, not added again");
      continue;
    }
    bn = base_name(w.v[i].path);
    for (j = 0; bn[j] && j < TELLS_CODELIB_MAX_NAME; j++)
      nm[j] = (unsigned char)bn[j] < 0x20 || bn[j] == 0x7f ? '?' : bn[j];
    nm[j] = 0;
    add[n].family = family;
    add[n].name = nm;
    n++;
  }
  if (n && (e = tells_codelib_append(library, add, n, err, sizeof err))) diag(dfn, ud, NULL, err);
  if (!e && n_added) *n_added = n;
done:
  tells_walk_free(&w);
  tells_free(add);
  tells_free(names);
  tells_free(seen);
  tells_codelib_free(old);
  return e;
}

tells_err tells_lib_list(const char *library, int jsonl, FILE *out, tells_diag_fn dfn, void *ud,
                         uint64_t *n_entries) {
  tells_codelib *lib = NULL;
  char err[1200];
  tells_json j;
  size_t i;
  tells_err e;
  if (n_entries) *n_entries = 0;
  if ((e = tells_codelib_load(library, 0, &lib, err, sizeof err))) {
    diag(dfn, ud, NULL, err);
    return e;
  }
  tells_json_init_file(&j, out, 0);
  if (!jsonl) fprintf(out, "%-20s %-64s %-32s %-32s %s\n", "FAMILY", "SHA256", "IMPHASH", "RICHPE", "NAME");
  for (i = 0; i < lib->n; i++) {
    const tells_codelib_entry *x = &lib->e[i];
    if (jsonl) {
      char t[TELLS_TLSH_STRMAX];
      tells_json_obj(&j);
      tells_json_kstr(&j, "family", x->family);
      tells_json_kstr(&j, "sha256", x->sha256);
      if (x->tlsh.nbody) { tells_tlsh_format(&x->tlsh, 0, t); tells_json_kstr(&j, "tlsh", t); }
      if (x->imphash[0]) tells_json_kstr(&j, "imphash", x->imphash);
      if (x->rich[0]) tells_json_kstr(&j, "rich_hash", x->rich);
      if (x->richpe[0]) tells_json_kstr(&j, "richpe_hash", x->richpe);
      tells_json_kstr(&j, "name", x->name);
      tells_json_obj_end(&j);
      tells_json_nl(&j);
    } else {
      fprintf(out, "%-20s %-64s %-32s %-32s %s\n", x->family, x->sha256,
              x->imphash[0] ? x->imphash : "-", x->richpe[0] ? x->richpe : "-", x->name);
    }
  }
  e = tells_json_flush(&j);
  if (!e && (fflush(out) != 0 || ferror(out))) e = TELLS_EIO;
  if (n_entries) *n_entries = lib->n;
  tells_codelib_free(lib);
  return e;
}

/* ---- intake: the TLSH digest of every executable, and the lookups ---- */

void tells_codelib_digest(tells_ingest *ig) {
  tells_tlsh d;
  tells_err e;
  ig->tlsh[0] = 0;
  if (ig->tlsh_from && (ig->tlsh_from->which & TELLS_HASH_TLSH)) {
    /* computed with the chain-of-custody hashes: wait for the worker, or
    ** make sure every byte was fed, then finish a copy of the state */
    tells_tlsh_ctx c;
    if (ig->tlsh_wait && ig->tlsh_job) tells_hasher_join(ig->tlsh_wait, ig->tlsh_job);
    else if (ig->tlsh_wait) tells_hasher_wait(ig->tlsh_wait);
    else tells_ingest_advance(ig, ig->len);
    c = ig->tlsh_from->tlsh_ctx;
    e = tells_tlsh_final(&c, &d);
  } else {
    e = tells_tlsh_hash(ig->buf, ig->len, 0, &d);
  }
  if (e != TELLS_OK) return;
  tells_tlsh_format(&d, 0, ig->tlsh);
  tells_ingest_indicator(ig, "tlsh", ig->tlsh, TELLS_NO_TIME, "TLSH digest of the file", TELLS_NO_REF);
}

/* The library object as JSON text in the file's arena, or NULL. */
static const char *result_text(tells_ingest *ig, const tells_codelib_result *r) {
  tells_buf b;
  tells_json j;
  char *s = NULL;
  tells_buf_init(&b, 1u << 20);
  tells_json_init_buf(&j, &b, 0);
  tells_codelib_result_json(ig->library, r, &j);
  if (tells_json_flush(&j) == TELLS_OK && !b.err) s = tells_arena_strndup(&ig->arena, b.p, b.n);
  tells_buf_free(&b);
  return s;
}

void tells_codelib_scan(tells_ingest *ig, const tells_pe *pe, tells_codelib_result *r) {
  tells_tlsh d;
  char richpe[33] = "";
  const char *details;
  const char *done[TELLS_CODELIB_K];
  size_t i, k, nd = 0;
  memset(r, 0, sizeof *r);
  if (!ig->library) return;
  if (pe) tells_codelib_richpe(pe, richpe);
  if (!ig->tlsh[0] || tells_tlsh_parse(ig->tlsh, strlen(ig->tlsh), &d) != TELLS_OK) d.nbody = 0;
  tells_codelib_query(ig->library, &d, pe ? pe->imphash : NULL, pe ? pe->rich_hash : NULL,
                      richpe, r);
  details = r->n_near ? result_text(ig, r) : NULL;
  /* One finding per family within the "similar" distance, nearest first. */
  for (i = 0; i < r->n_near; i++) {
    const tells_codelib_entry *e = &ig->library->e[r->near[i].id];
    int dist = r->near[i].dist, seen = 0;
    tells_finding f;
    char title[200], sum[600];
    if (dist > TELLS_CODELIB_SIMILAR) break;
    for (k = 0; k < nd; k++) seen |= strcmp(done[k], e->family) == 0;
    if (seen) continue;
    done[nd++] = e->family;
    memset(&f, 0, sizeof f);
    snprintf(title, sizeof title, "%s to known family %s",
             dist <= TELLS_CODELIB_VERY ? "very similar" : "similar", e->family);
    snprintf(sum, sizeof sum, "TLSH distance %d (%s <= %d) to library sample %s%s%s of family %s",
             dist, dist <= TELLS_CODELIB_VERY ? "very similar" : "similar",
             dist <= TELLS_CODELIB_VERY ? TELLS_CODELIB_VERY : TELLS_CODELIB_SIMILAR,
             e->sha256, e->name[0] ? " " : "", e->name, e->family);
    f.source = "code"; f.rule = "library.similar"; f.title = title;
    f.severity = dist <= TELLS_CODELIB_VERY ? "high" : "medium";
    f.summary = sum;
    f.first_ns = f.last_ns = TELLS_NO_TIME;
    f.ref_offset = f.ref_record = TELLS_NO_REF;
    f.details_json = details;
    tells_ingest_finding(ig, &f);
  }
}

void tells_codelib_scan_json(const tells_ingest *ig, const tells_codelib_result *r, tells_json *j) {
  if (ig->tlsh[0]) tells_json_kstr(j, "tlsh", ig->tlsh);
  if (!ig->library) return;
  tells_json_key(j, "library");
  tells_codelib_result_json(ig->library, r, j);
}

void tells_codelib_wrap_json(const tells_ingest *ig, const tells_codelib_result *r,
                             void (*render)(const void *, tells_json *), const void *obj,
                             tells_json *j) {
  tells_buf a, b;
  tells_json ja, jb;
  tells_buf_init(&a, 8u << 20);
  tells_buf_init(&b, 1u << 20);
  tells_json_init_buf(&ja, &a, 0);
  render(obj, &ja);
  tells_json_flush(&ja);
  tells_json_init_buf(&jb, &b, 0);
  tells_json_obj(&jb);
  tells_codelib_scan_json(ig, r, &jb);
  tells_json_obj_end(&jb);
  tells_json_flush(&jb);
  if (a.err || b.err || a.n < 2 || a.p[a.n - 1] != '}' || b.n <= 2) {
    render(obj, j);                      /* as is, without the members */
  } else {
    /* "{...}" + "{m...}" -> "{...,m...}" ("{}" + members: no comma) */
    a.n--;
    if (a.n > 1) tells_buf_addc(&a, ',');
    tells_buf_add(&a, b.p + 1, b.n - 1);
    if (a.err) render(obj, j);
    else tells_json_raw(j, a.p, a.n);
  }
  tells_buf_free(&a);
  tells_buf_free(&b);
}
