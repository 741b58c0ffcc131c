/*
** pe_tells.c -- the tells of one PE file: timestamps and the build time,
** languages, scripts of its UTF-16 text, Rich header versus linker
** version, PDB path parts; and their JSON (the "tells" key of the PE
** artifact, docs/pe-json.md).  Tables live in pe_tells_lang.c, the PDB
** path in pe_tells_pdb.c, the set statistics in pe_tells_set.c.
*/
#include <stdio.h>
#include <string.h>
#include "pe_tells.h"
#include "tstamp.h"

/* ---- timestamps --------------------------------------------------------- */

static int plausible(uint32_t v, int64_t now) {
  return v != 0 && v != 0xffffffffu && v >= TELLS_PETELLS_EPOCH_MIN &&
         (int64_t)v <= now + TELLS_PETELLS_FUTURE_SLACK;
}

static uint32_t dist(uint32_t a, uint32_t b) { return a > b ? a - b : b - a; }

static void add_stamp(tells_petells *t, const char *src, int idx, uint32_t v) {
  tells_petells_stamp *s;
  if (t->n_stamps >= TELLS_PETELLS_MAX_STAMPS) return;
  s = &t->stamps[t->n_stamps++];
  s->source = src; s->index = idx; s->value = v; s->flags = 0;
}

void tells_petells_stamps(const tells_pe *pe, int64_t now, tells_petells *t) {
  size_t i, k;
  uint32_t coff = pe->timestamp, lo = 0, hi = 0;
  int have = 0;
  t->now = now;
  t->n_stamps = 0;
  t->has_build = 0; t->build_source = NULL; t->build_index = -1; t->spread = 0;
  add_stamp(t, "coff", -1, coff);
  if (pe->has_exports) add_stamp(t, "export", -1, pe->export_timestamp);
  if (pe->dirs[TELLS_PE_DIR_RESOURCE].rva) add_stamp(t, "resource", -1, pe->rsrc_timestamp);
  for (i = 0; i < pe->n_debug; i++) add_stamp(t, "debug", (int)i, pe->debug[i].timestamp);
  /* Flags that depend on the stamp alone, and /Brepro: with a REPRO debug
  ** entry the linker writes a hash of the output wherever a time would be. */
  for (i = 0; i < t->n_stamps; i++) {
    tells_petells_stamp *s = &t->stamps[i];
    if (s->value == 0) s->flags |= TELLS_PETELLS_TS_ZERO;
    else if (s->value == 0xffffffffu) s->flags |= TELLS_PETELLS_TS_UNSET;
    else {
      if ((int64_t)s->value > now + TELLS_PETELLS_FUTURE_SLACK) s->flags |= TELLS_PETELLS_TS_FUTURE;
      if (s->value < TELLS_PETELLS_EPOCH_MIN) s->flags |= TELLS_PETELLS_TS_OLD;
      if (pe->has_repro && (i == 0 || s->value == coff)) s->flags |= TELLS_PETELLS_TS_REPRO;
    }
  }
  /* Hash-like: an implausible value far from every plausible stamp. */
  for (i = 0; i < t->n_stamps; i++) {
    tells_petells_stamp *s = &t->stamps[i];
    int far = 0, near = 0;
    if (!(s->flags & (TELLS_PETELLS_TS_FUTURE | TELLS_PETELLS_TS_OLD))) continue;
    for (k = 0; k < t->n_stamps; k++) {
      if (k == i || !plausible(t->stamps[k].value, now)) continue;
      if (dist(t->stamps[k].value, s->value) > TELLS_PETELLS_SPREAD_MAX) far = 1; else near = 1;
    }
    if (far && !near) s->flags |= TELLS_PETELLS_TS_HASHLIKE;
  }
  /* The build time: the first usable stamp in the order coff, debug,
  ** export, resource (the linker writes the first two at link time). */
  {
    static const char *const order[] = {"coff", "debug", "export", "resource"};
    size_t o;
    for (o = 0; o < 4 && !t->has_build; o++)
      for (i = 0; i < t->n_stamps; i++) {
        const tells_petells_stamp *s = &t->stamps[i];
        if (strcmp(s->source, order[o]) || !plausible(s->value, now) ||
            (s->flags & (TELLS_PETELLS_TS_REPRO | TELLS_PETELLS_TS_HASHLIKE)))
          continue;
        t->has_build = 1; t->build_time = s->value;
        t->build_source = s->source; t->build_index = s->index;
        break;
      }
  }
  /* Spread and consistency over the plausible, non-hash stamps. */
  for (i = 0; i < t->n_stamps; i++) {
    tells_petells_stamp *s = &t->stamps[i];
    if (!plausible(s->value, now) || (s->flags & (TELLS_PETELLS_TS_REPRO | TELLS_PETELLS_TS_HASHLIKE)))
      continue;
    if (!have || s->value < lo) lo = s->value;
    if (!have || s->value > hi) hi = s->value;
    have = 1;
    if (t->has_build && dist(s->value, t->build_time) > TELLS_PETELLS_SPREAD_MAX)
      s->flags |= TELLS_PETELLS_TS_INCONSISTENT;
  }
  t->spread = have ? hi - lo : 0;
}

/* ---- Rich header versus LinkerVersion ------------------------------------ */

int tells_petells_rich_linker(uint16_t prodid, uint8_t *maj, uint8_t *min) {
  /* LINK product ids of the Rich header (the published PRODID list). */
  static const struct { uint16_t id; uint8_t maj, min; } t[] = {
    {2, 5, 10}, {4, 6, 0}, {16, 5, 11}, {19, 5, 12}, {30, 6, 10}, {32, 6, 1}, {37, 6, 20},
    {40, 6, 21}, {60, 6, 22}, {61, 7, 0}, {71, 7, 10}, {86, 6, 24}, {90, 7, 10}, {120, 8, 0},
    {145, 9, 0}, {157, 10, 0}, {186, 10, 10}, {204, 11, 0}, {222, 12, 0}, {240, 12, 10},
    {258, 14, 0},
  };
  size_t i;
  for (i = 0; i < sizeof t / sizeof *t; i++)
    if (t[i].id == prodid) { *maj = t[i].maj; *min = t[i].min; return 1; }
  return 0;
}

int tells_petells_msvc14(uint16_t build, uint8_t *minor, const char **vs) {
  /* First build number of each MSVC 14.x toolset (published _MSC_FULL_VER
  ** values of Visual Studio releases); the edges are approximate. */
  static const struct { uint16_t from; uint8_t minor; const char *vs; } t[] = {
    {22000, 0, "VS2015 (14.0)"}, {25017, 10, "VS2017 15.0-15.2"}, {25506, 11, "VS2017 15.3-15.4"},
    {25830, 12, "VS2017 15.5"}, {26128, 13, "VS2017 15.6"}, {26428, 14, "VS2017 15.7"},
    {26726, 15, "VS2017 15.8"}, {27023, 16, "VS2017 15.9"}, {27508, 20, "VS2019 16.0"},
    {27702, 21, "VS2019 16.1"}, {27905, 22, "VS2019 16.2"}, {28105, 23, "VS2019 16.3"},
    {28314, 24, "VS2019 16.4"}, {28610, 25, "VS2019 16.5"}, {28805, 26, "VS2019 16.6"},
    {29110, 27, "VS2019 16.7"}, {29333, 28, "VS2019 16.8-16.9"}, {30037, 29, "VS2019 16.10-16.11"},
    {30705, 30, "VS2022 17.0"}, {31104, 31, "VS2022 17.1"}, {31326, 32, "VS2022 17.2"},
    {31629, 33, "VS2022 17.3"}, {31933, 34, "VS2022 17.4"}, {32215, 35, "VS2022 17.5"},
    {32532, 36, "VS2022 17.6"}, {32822, 37, "VS2022 17.7"}, {33130, 38, "VS2022 17.8"},
    {33519, 39, "VS2022 17.9"}, {33808, 40, "VS2022 17.10"}, {34120, 41, "VS2022 17.11"},
    {34433, 42, "VS2022 17.12"}, {34808, 43, "VS2022 17.13"}, {35207, 44, "VS2022 17.14"},
  };
  size_t i;
  if (build < t[0].from || build >= 35400) return 0;   /* before VS2015 RTM or newer than known */
  for (i = sizeof t / sizeof *t; i-- > 0;)
    if (build >= t[i].from) { *minor = t[i].minor; *vs = t[i].vs; return 1; }
  return 0;
}

static const char *vs_of_major(uint8_t maj) {
  switch (maj) {
  case 5: return "Visual Studio 97";
  case 6: return "Visual Studio 6.0";
  case 7: return "Visual Studio .NET 2002/2003";
  case 8: return "VS2005 (8.0)";
  case 9: return "VS2008 (9.0)";
  case 10: return "VS2010 (10.0)";
  case 11: return "VS2012 (11.0)";
  case 12: return "VS2013 (12.0)";
  case 14: return "VS2015 or later (14.x)";
  default: return NULL;
  }
}

void tells_petells_rich_check(const tells_pe *pe, tells_petells_rich *r) {
  size_t i;
  memset(r, 0, sizeof *r);
  if (!pe->has_rich) return;
  r->present = 1;
  r->checksum_ok = pe->rich_checksum_ok;
  r->hdr_major = pe->linker_major; r->hdr_minor = pe->linker_minor;
  for (i = 0; i < pe->n_rich; i++) {
    uint8_t maj, min;
    const tells_pe_rich_entry *e = &pe->rich[i];
    if (!tells_petells_rich_linker(e->prodid, &maj, &min)) continue;
    if (!r->has_linker || maj > r->rich_major || (maj == r->rich_major && min > r->rich_minor) ||
        (maj == r->rich_major && min == r->rich_minor && e->build > r->build)) {
      r->has_linker = 1; r->prodid = e->prodid; r->build = e->build;
      r->rich_major = maj; r->rich_minor = min;
    }
  }
  if (r->has_linker) {
    r->vs = vs_of_major(r->rich_major);
    r->minor_known = r->rich_major != 14;
    if (r->rich_major == 14) {
      uint8_t m;
      const char *vs;
      if (tells_petells_msvc14(r->build, &m, &vs)) { r->rich_minor = m; r->vs = vs; r->minor_known = 1; }
    }
    r->major_mismatch = r->hdr_major != r->rich_major;
    /* Only 14.x minors are compared: older linkers wrote .0 for service
    ** packs of the same product id. */
    r->minor_mismatch = !r->major_mismatch && r->rich_major == 14 && r->minor_known &&
                        r->hdr_minor != r->rich_minor;
  }
  r->forged = !r->checksum_ok || r->major_mismatch;
}

/* ---- languages ---------------------------------------------------------- */

static void languages(const tells_pe *pe, tells_petells *t) {
  size_t i, k;
  uint32_t best_n = 0;
  for (i = 0; i < pe->n_rsrc; i++) {
    uint16_t l = (uint16_t)pe->rsrc[i].lang;
    for (k = 0; k < t->n_langs && t->langs[k].lang != l; k++) {}
    if (k == t->n_langs) {
      if (k == TELLS_PETELLS_MAX_LANGS) { t->langs_dropped++; continue; }
      t->langs[k].lang = l; t->langs[k].count = 0; t->n_langs++;
    }
    t->langs[k].count++;
  }
  t->translations = pe->translations;
  t->n_translations = pe->n_translations;
  /* The primary language: the non-weak one with most resources, a version
  ** translation counting as one resource. */
  for (k = 0; k < t->n_langs; k++) {
    uint32_t n = t->langs[k].count;
    if (tells_petells_lang_weak(t->langs[k].lang)) continue;
    for (i = 0; i < t->n_translations; i++)
      if ((uint16_t)t->translations[i] == t->langs[k].lang) n++;
    if (n > best_n) { best_n = n; t->primary_lang = t->langs[k].lang; t->has_primary = 1; }
  }
  for (i = 0; i < t->n_translations && !t->has_primary; i++) {
    uint16_t l = (uint16_t)t->translations[i];
    if (!tells_petells_lang_weak(l)) { t->primary_lang = l; t->has_primary = 1; }
  }
}

/* ---- scripts: which bytes are scanned ------------------------------------
** Sections with code (CNT_CODE or MEM_EXECUTE) or entropy of 7.2 bits per
** byte or more (compressed or encrypted) are skipped: their 16-bit units
** are arbitrary and half of all values fall in CJK blocks.  So are the
** binary tables that data directories point at (exports, imports, IAT,
** exception data, relocations, debug data, TLS, load config, certificates)
** and the sections that usually hold such tables (.pdata, .xdata, .reloc,
** .idata, DWARF .debug_* ...).
** Text resources (string tables, dialogs, menus, message tables, version
** info) are scanned wherever they are.  The overlay is not scanned. */

#define MAX_EXCL 48

typedef struct span { uint64_t lo, hi; } span;

static int scanned_section(const tells_pe_section *s) {
  static const char *const binary[] = {".pdata", ".xdata", ".reloc", ".buildid", ".idata",
                                       ".edata", ".tls", ".CRT", ".didat"};
  size_t i;
  if (!s->raw_size || (s->characteristics & (0x20u | 0x20000000u)) || s->entropy >= 7.2)
    return 0;
  /* Sections of binary tables by their usual names, DWARF (.debug_*) and
  ** the long names of GNU objects ("/4"). */
  if (strncmp(s->name, ".debug", 6) == 0 || s->name[0] == '/') return 0;
  for (i = 0; i < sizeof binary / sizeof *binary; i++)
    if (strcmp(s->name, binary[i]) == 0) return 0;
  return 1;
}

/* File offset of an RVA through the section table; 0 when unmapped. */
static uint64_t rva_off(const tells_pe *pe, uint32_t rva) {
  size_t i;
  for (i = 0; i < pe->n_sections; i++) {
    const tells_pe_section *s = &pe->sections[i];
    uint32_t span_len = s->vsize > s->raw_size ? s->vsize : s->raw_size;
    if (rva >= s->vaddr && rva - s->vaddr < span_len && rva - s->vaddr < s->raw_size)
      return (uint64_t)s->raw_off + (rva - s->vaddr);
  }
  return 0;
}

static void excl_add(span *x, size_t *n, uint64_t lo, uint64_t size) {
  if (!lo || !size || *n >= MAX_EXCL) return;
  x[*n].lo = lo; x[*n].hi = lo + size; (*n)++;
}

static size_t exclusions(const tells_pe *pe, span *x) {
  static const int dirs[] = {TELLS_PE_DIR_EXPORT, TELLS_PE_DIR_IMPORT, TELLS_PE_DIR_EXCEPTION,
                             TELLS_PE_DIR_BASERELOC, TELLS_PE_DIR_DEBUG, TELLS_PE_DIR_TLS,
                             TELLS_PE_DIR_LOAD_CONFIG, TELLS_PE_DIR_IAT, TELLS_PE_DIR_DELAY_IMPORT};
  size_t n = 0, i;
  for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    const tells_pe_dir *d = &pe->dirs[dirs[i]];
    if (d->rva && d->size) excl_add(x, &n, rva_off(pe, d->rva), d->size);
  }
  excl_add(x, &n, pe->dirs[TELLS_PE_DIR_SECURITY].rva, pe->dirs[TELLS_PE_DIR_SECURITY].size);
  for (i = 0; i < pe->n_debug; i++) excl_add(x, &n, pe->debug[i].raw_ptr, pe->debug[i].size);
  return n;
}

/* Scans [lo, hi) of the file minus the excluded spans. */
static void scan_span(const uint8_t *buf, uint64_t lo, uint64_t hi, const span *x, size_t nx,
                      uint64_t *budget, tells_petells *t) {
  while (lo < hi && *budget) {
    uint64_t end = hi, n;
    size_t i;
    int skip = 0;
    for (i = 0; i < nx; i++) {
      if (x[i].lo <= lo && lo < x[i].hi) { lo = x[i].hi; skip = 1; break; }
      if (x[i].lo > lo && x[i].lo < end) end = x[i].lo;
    }
    if (skip) continue;
    n = end - lo;
    if (n > *budget) n = *budget;
    t->scanned += tells_petells_scan_utf16(buf + lo, (size_t)n, lo, t->scripts);
    *budget -= n;
    lo = end;
  }
}

static void scripts(const tells_pe *pe, const uint8_t *buf, size_t len, tells_petells *t) {
  size_t i, k, nx;
  uint64_t budget = TELLS_PETELLS_SCAN_MAX;
  span x[MAX_EXCL];
  nx = exclusions(pe, x);
  for (i = 0; i < pe->n_sections && budget; i++) {
    const tells_pe_section *s = &pe->sections[i];
    uint64_t n = s->raw_size;
    if (!scanned_section(s) || s->raw_off >= len) continue;
    /* Sections that overlap an earlier scanned one are scanned once. */
    for (k = 0; k < i; k++)
      if (scanned_section(&pe->sections[k]) && pe->sections[k].raw_off <= s->raw_off &&
          s->raw_off - pe->sections[k].raw_off < pe->sections[k].raw_size)
        break;
    if (k < i) continue;
    if (n > len - s->raw_off) n = len - s->raw_off;
    scan_span(buf, s->raw_off, s->raw_off + n, x, nx, &budget, t);
  }
  for (i = 0; i < pe->n_rsrc && budget; i++) {
    const tells_pe_rsrc *r = &pe->rsrc[i];
    uint64_t n = r->size;
    int inside = 0;
    if (r->type_name || !(r->type_id == 4 || r->type_id == 5 || r->type_id == 6 ||
                          r->type_id == 11 || r->type_id == 16))
      continue;
    if (!r->off || r->off >= len) continue;
    for (k = 0; k < pe->n_sections && !inside; k++) {
      const tells_pe_section *s = &pe->sections[k];
      inside = scanned_section(s) && r->off >= s->raw_off && r->off - s->raw_off < s->raw_size;
    }
    if (inside) continue;
    if (n > len - r->off) n = len - r->off;
    scan_span(buf, r->off, r->off + n, x, nx, &budget, t);
  }
}

tells_err tells_petells_analyse(const tells_pe *pe, const uint8_t *buf, size_t len,
                                int64_t now, tells_arena *a, tells_petells **out) {
  tells_petells *t = tells_arena_alloc(a, sizeof *t);
  *out = NULL;
  if (!t) return TELLS_ENOMEM;
  memset(t, 0, sizeof *t);
  tells_petells_stamps(pe, now, t);
  languages(pe, t);
  scripts(pe, buf, len, t);
  tells_petells_rich_check(pe, &t->rich);
  if (pe->pdb_path && pe->pdb_path[0]) {
    if (tells_petells_pdb_parse(pe->pdb_path, a, &t->pdb)) return TELLS_ENOMEM;
    t->has_pdb = 1;
  }
  *out = t;
  return TELLS_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

/* ISO 8601 UTC of seconds since 1970 (civil-from-days, proleptic Gregorian). */
static void iso(int64_t t, char *o, size_t n) {
  int64_t z = t / 86400, s = t % 86400, y;
  unsigned m, d;
  if (s < 0) { s += 86400; z--; }
  tells_tstamp_civil(z, &y, &m, &d);
  snprintf(o, n, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)y, m, d,
           (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

void tells_petells_flags_json(unsigned f, tells_json *j) {
  static const char *const names[] = {"zero", "unset", "future", "before_1992", "reproducible",
                                      "hash_like", "inconsistent"};
  size_t i;
  tells_json_arr(j);
  for (i = 0; i < sizeof names / sizeof *names; i++)
    if (f & (1u << i)) tells_json_str(j, names[i]);
  tells_json_arr_end(j);
}

static void lang_obj(tells_json *j, uint16_t l) {
  char nm[96], hex[8];
  tells_petells_lang_name(l, nm, sizeof nm);
  snprintf(hex, sizeof hex, "0x%04x", l);
  tells_json_ku64(j, "lang", l);
  tells_json_kstr(j, "hex", hex);
  tells_json_kstr(j, "name", nm);
  tells_json_kbool(j, "weak", tells_petells_lang_weak(l));
}

static void json_stamps(const tells_petells *t, tells_json *j) {
  size_t i;
  char s[40];
  tells_json_key(j, "timestamps"); tells_json_obj(j);
  tells_json_ki64(j, "reference_now", t->now);
  tells_json_ku64(j, "threshold", TELLS_PETELLS_SPREAD_MAX);
  tells_json_key(j, "stamps"); tells_json_arr(j);
  for (i = 0; i < t->n_stamps; i++) {
    const tells_petells_stamp *p = &t->stamps[i];
    tells_json_obj(j);
    tells_json_kstr(j, "source", p->source);
    if (p->index >= 0) tells_json_ki64(j, "index", p->index);
    tells_json_ku64(j, "value", p->value);
    iso(p->value, s, sizeof s);
    tells_json_kstr(j, "utc", s);
    tells_json_key(j, "flags"); tells_petells_flags_json(p->flags, j);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_ku64(j, "spread", t->spread);
  tells_json_key(j, "build_time");
  if (t->has_build) {
    tells_json_obj(j);
    tells_json_ku64(j, "value", t->build_time);
    iso(t->build_time, s, sizeof s);
    tells_json_kstr(j, "utc", s);
    tells_json_kstr(j, "source", t->build_source);
    if (t->build_index >= 0) tells_json_ki64(j, "index", t->build_index);
    tells_json_obj_end(j);
  } else {
    tells_json_null(j);
  }
  tells_json_obj_end(j);
}

static void json_langs(const tells_petells *t, tells_json *j) {
  size_t i;
  tells_json_key(j, "languages"); tells_json_obj(j);
  tells_json_key(j, "resources"); tells_json_arr(j);
  for (i = 0; i < t->n_langs; i++) {
    tells_json_obj(j);
    lang_obj(j, t->langs[i].lang);
    tells_json_ku64(j, "count", t->langs[i].count);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  if (t->langs_dropped) tells_json_ku64(j, "resources_dropped", t->langs_dropped);
  tells_json_key(j, "translations"); tells_json_arr(j);
  for (i = 0; i < t->n_translations; i++) {
    uint32_t cp = t->translations[i] >> 16;
    tells_json_obj(j);
    lang_obj(j, (uint16_t)t->translations[i]);
    tells_json_ku64(j, "codepage", cp);
    tells_json_kstr(j, "codepage_name", tells_petells_codepage_name(cp));
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_key(j, "primary");
  if (t->has_primary) { tells_json_obj(j); lang_obj(j, t->primary_lang); tells_json_obj_end(j); }
  else tells_json_null(j);
  tells_json_obj_end(j);
}

static void json_scripts(const tells_petells *t, tells_json *j) {
  int s;
  tells_json_key(j, "scripts"); tells_json_arr(j);
  for (s = 0; s < TELLS_PETELLS_N_SCRIPTS; s++) {
    const tells_petells_script *p = &t->scripts[s];
    if (!p->code_points) continue;
    tells_json_obj(j);
    tells_json_kstr(j, "script", p->name);
    tells_json_ku64(j, "code_points", p->code_points);
    tells_json_ku64(j, "runs", p->runs);
    tells_json_kstr(j, "example", p->example);
    tells_json_ku64(j, "example_offset", p->example_off);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_ku64(j, "scripts_scanned_bytes", t->scanned);
}

static void json_rich(const tells_petells *t, tells_json *j) {
  const tells_petells_rich *r = &t->rich;
  char v[16];
  tells_json_key(j, "rich");
  if (!r->present) { tells_json_null(j); return; }
  tells_json_obj(j);
  tells_json_key(j, "linker");
  if (r->has_linker) {
    tells_json_obj(j);
    tells_json_ku64(j, "prodid", r->prodid);
    tells_json_ku64(j, "build", r->build);
    if (r->minor_known) snprintf(v, sizeof v, "%u.%u", r->rich_major, r->rich_minor);
    else snprintf(v, sizeof v, "%u.x", r->rich_major);
    tells_json_kstr(j, "version", v);
    tells_json_kstr(j, "visual_studio", r->vs);
    tells_json_obj_end(j);
  } else {
    tells_json_null(j);
  }
  snprintf(v, sizeof v, "%u.%u", r->hdr_major, r->hdr_minor);
  tells_json_kstr(j, "header_linker_version", v);
  tells_json_kbool(j, "linker_major_mismatch", r->major_mismatch);
  tells_json_kbool(j, "linker_minor_mismatch", r->minor_mismatch);
  tells_json_kbool(j, "checksum_valid", r->checksum_ok);
  tells_json_kbool(j, "possible_forgery", r->forged);
  tells_json_obj_end(j);
}

static void json_pdb(const tells_petells *t, tells_json *j) {
  const tells_petells_pdb *p = &t->pdb;
  size_t i;
  int s;
  tells_json_key(j, "pdb");
  if (!t->has_pdb) { tells_json_null(j); return; }
  tells_json_obj(j);
  tells_json_kstr(j, "path", p->path);
  tells_json_kstr(j, "drive", p->drive);
  tells_json_kstr(j, "host", p->host);
  tells_json_kstr(j, "user", p->user);
  tells_json_kstr(j, "project", p->project);
  tells_json_kstr(j, "config", p->config);
  tells_json_kstr(j, "platform", p->platform);
  tells_json_kstr(j, "file", p->file);
  tells_json_kbool(j, "utf8", p->utf8);
  tells_json_key(j, "non_ascii_parts"); tells_json_arr(j);
  for (i = 0; i < p->n_folders; i++) tells_json_str(j, p->folders[i]);
  tells_json_arr_end(j);
  tells_json_key(j, "scripts"); tells_json_arr(j);
  for (s = 0; s < TELLS_PETELLS_N_SCRIPTS; s++)
    if (p->scripts & (1u << s)) tells_json_str(j, tells_petells_script_name(s));
  tells_json_arr_end(j);
  tells_json_obj_end(j);
}

void tells_petells_json(const tells_petells *t, tells_json *j) {
  tells_json_obj(j);
  json_stamps(t, j);
  json_langs(t, j);
  json_scripts(t, j);
  json_rich(t, j);
  json_pdb(t, j);
  tells_json_obj_end(j);
}
