/*
** elf.c -- parses ELF headers, sections and segments, and drives the rest.
**
** tells_elf_parse() reads the ELF header, resolves the section-0 escapes
** (e_shnum, e_phnum, e_shstrndx too large for 16 bits), reads the program
** and section header tables, names sections through shstrtab, then hands
** over to elf_dyn.c for the loader view (interpreter, dynamic table,
** dynamic symbols, notes, .comment) and finishes with section entropy, the
** overlay and the derived hardening flags.  Layouts are tabled in elf.h.
**
** Every byte is read through a tells_rd over the whole file; every table is
** checked to fit with tells_fits() before a window is cut; every count is
** capped by elf_limits.h.  Malformations become anomalies with the absolute
** offset of the field or structure that is wrong.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "elf.h"

/* ---- small helpers shared with elf_dyn.c ---------------------------- */

void tells__elf_anom(tells__elf_ctx *c, uint64_t off, const char *code,
                     const char *fmt, ...) {
  char tmp[400];
  va_list ap;
  size_t i;
  for (i = 0; i < c->n_rep; i++)
    if (!strcmp(c->rep[i].code, code)) break;
  if (i == c->n_rep && i < sizeof c->rep / sizeof c->rep[0]) {
    c->rep[i].code = code;
    c->rep[i].n = 0;
    c->n_rep++;
  }
  if (i < c->n_rep && c->rep[i].n++ >= TELLS_ELF_MAX_ANOM_REPEAT) {
    if (c->rep[i].n == TELLS_ELF_MAX_ANOM_REPEAT + 1) c->rep[i].first_off = off;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  tells_anom_add(c->an, off, code, "%s", tmp);
}

/* Adds one summary record per code whose anomalies were only counted. */
void tells__elf_anom_flush(tells__elf_ctx *c) {
  size_t i;
  for (i = 0; i < c->n_rep; i++)
    if (c->rep[i].n > TELLS_ELF_MAX_ANOM_REPEAT)
      tells_anom_add(c->an, c->rep[i].first_off, c->rep[i].code,
                     "%llu more anomalies of this kind, from this offset on, "
                     "not listed",
                     (unsigned long long)(c->rep[i].n - TELLS_ELF_MAX_ANOM_REPEAT));
}

/* Machine word: 4 bytes in ELF32, 8 in ELF64. */
uint64_t tells__elf_word(const tells__elf_ctx *c, tells_rd *r) {
  return c->is64 ? tells_rd_u64(r, c->big) : tells_rd_u32(r, c->big);
}

/* A cursor over [off, off+n) of the file; 0 when it does not fit. */
int tells__elf_sub(const tells__elf_ctx *c, uint64_t off, uint64_t n,
                   tells_rd *out) {
  if (!tells_fits(c->len, off, n)) return 0;
  *out = tells_rd_sub(&c->file, (size_t)off, (size_t)n);
  return tells_rd_ok(out);
}

/* Zeroed arena array of n items; records "elf.mem_limit" on failure. */
void *tells__elf_array(tells__elf_ctx *c, uint64_t n, size_t size,
                       uint64_t off, const char *what) {
  void *p;
  if (n == 0) return NULL;
  if (n > SIZE_MAX / size ||
      !(p = tells_arena_alloc(c->a, (size_t)n * size))) {
    tells__elf_anom(c, off, "elf.mem_limit",
                   "%s: %llu entries do not fit in the arena", what,
                   (unsigned long long)n);
    return NULL;
  }
  memset(p, 0, (size_t)n * size);
  return p;
}

/* The NUL-terminated string at index idx of the string table
** [tab_off, tab_off+tab_size), copied into the arena.  `ref` is the absolute
** offset of the field that holds idx, named in anomalies.  Returns NULL (with
** an anomaly) when idx is out of the table; a string that runs to the end of
** the table or past TELLS_ELF_MAX_STR is cut, with an anomaly. */
const char *tells__elf_str(tells__elf_ctx *c, uint64_t tab_off,
                           uint64_t tab_size, uint64_t idx, uint64_t ref,
                           const char *what) {
  tells_rd r;
  const uint8_t *p, *z;
  uint64_t avail;
  size_t n;
  if (idx >= tab_size || !tells__elf_sub(c, tab_off, tab_size, &r)) {
    tells__elf_anom(c, ref, "elf.str_out_of_bounds",
                   "%s: string index %llu outside its table of %llu bytes",
                   what, (unsigned long long)idx, (unsigned long long)tab_size);
    return NULL;
  }
  avail = tab_size - idx;
  if (avail > TELLS_ELF_MAX_STR + 1) avail = TELLS_ELF_MAX_STR + 1;
  tells_rd_seek(&r, (size_t)idx);
  p = tells_rd_bytes(&r, (size_t)avail);
  if (!p) return NULL;
  z = memchr(p, 0, (size_t)avail);
  if (z) {
    n = (size_t)(z - p);
  } else {
    n = (size_t)avail;
    if (n > TELLS_ELF_MAX_STR) n = TELLS_ELF_MAX_STR;
    tells__elf_anom(c, tab_off + idx, avail > TELLS_ELF_MAX_STR ?
                   "elf.str_too_long" : "elf.str_unterminated",
                   "%s: string at index %llu %s", what,
                   (unsigned long long)idx, avail > TELLS_ELF_MAX_STR ?
                   "longer than the cap, cut" : "runs to the end of its table");
  }
  if (n > c->str_left) {
    if (!c->str_noted)
      tells__elf_anom(c, tab_off + idx, "elf.str_budget",
                     "strings copied exceed 4 x file size + 16 MiB; "
                     "further names are left out");
    c->str_noted = 1;
    return NULL;
  }
  c->str_left -= n;
  return tells_arena_strndup(c->a, (const char *)p, n);
}

/* Maps a virtual address to a file offset through the PT_LOAD segments.
** *avail is set to the file bytes from there to the end of the segment
** (clamped to the file).  Returns 0 when no segment holds va in its file
** part. */
int tells__elf_va2off(const tells__elf_ctx *c, uint64_t va, uint64_t *off,
                      uint64_t *avail) {
  const tells_elf *e = c->e;
  size_t i;
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *s = &e->segments[i];
    uint64_t d;
    if (s->type != TELLS__PT_LOAD || va < s->vaddr) continue;
    d = va - s->vaddr;
    if (d >= s->filesz || s->offset > c->len || d >= c->len - s->offset) continue;
    *off = s->offset + d;
    *avail = s->filesz - d;
    if (*avail > c->len - *off) *avail = c->len - *off;
    return 1;
  }
  return 0;
}

/* First section whose name is `name`, or NULL. */
tells_elf_section *tells__elf_find_section(const tells__elf_ctx *c,
                                           const char *name) {
  size_t i;
  for (i = 0; i < c->e->n_sections; i++)
    if (c->e->sections[i].name && strcmp(c->e->sections[i].name, name) == 0)
      return &c->e->sections[i];
  return NULL;
}

/* Shannon entropy in bits per byte of [off, off+n), within the budget. */
double tells__elf_entropy(tells__elf_ctx *c, uint64_t off, uint64_t n) {
  uint64_t count[256];
  const uint8_t *p;
  tells_rd r;
  double h = 0;
  size_t i;
  if (n == 0 || !tells__elf_sub(c, off, n, &r)) return -1;
  if (n > c->entropy_left) {
    if (!c->entropy_noted)
      tells__elf_anom(c, off, "elf.entropy_budget",
                     "overlapping areas: entropy budget spent, not computed");
    c->entropy_noted = 1;
    return -1;
  }
  c->entropy_left -= n;
  p = tells_rd_bytes(&r, (size_t)n);
  if (!p) return -1;
  memset(count, 0, sizeof count);
  for (i = 0; i < (size_t)n; i++) count[p[i]]++;
  for (i = 0; i < 256; i++) {
    double q;
    if (!count[i]) continue;
    q = (double)count[i] / (double)n;
    h -= q * log2(q);
  }
  return h;
}

/* ---- ELF header ----------------------------------------------------- */

/* Reads e_ident and the ELF header.  Returns 0 when the rest of the file
** cannot be interpreted (invalid class or a header cut inside e_ident). */
static int parse_header(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  tells_rd r = c->file;
  tells_rd_skip(&r, 4);
  e->ei_class = tells_rd_u8(&r);
  e->ei_data = tells_rd_u8(&r);
  e->ei_version = tells_rd_u8(&r);
  e->osabi = tells_rd_u8(&r);
  e->abi_version = tells_rd_u8(&r);
  tells_rd_skip(&r, 7);                    /* EI_PAD */
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(c->an, &r, "elf.truncated_header", "e_ident");
    return 0;
  }
  if (e->ei_class == 1 || e->ei_class == 2) {
    e->bits = e->ei_class == 1 ? 32 : 64;
    c->is64 = e->ei_class == 2;
  } else {
    tells__elf_anom(c, 4, "elf.bad_class",
                   "EI_CLASS %u is neither ELFCLASS32 nor ELFCLASS64",
                   e->ei_class);
    return 0;
  }
  if (e->ei_data == 1 || e->ei_data == 2) {
    c->big = e->big = e->ei_data == 2;
  } else {
    tells__elf_anom(c, 5, "elf.bad_data",
                   "EI_DATA %u is neither LSB nor MSB; read as LSB",
                   e->ei_data);
  }
  if (e->ei_version != 1)
    tells__elf_anom(c, 6, "elf.bad_version", "EI_VERSION is %u, not 1",
                   e->ei_version);

  e->type = tells_rd_u16(&r, c->big);
  e->machine = tells_rd_u16(&r, c->big);
  e->version = tells_rd_u32(&r, c->big);
  e->entry = tells__elf_word(c, &r);
  e->phoff = tells__elf_word(c, &r);
  e->shoff = tells__elf_word(c, &r);
  e->flags = tells_rd_u32(&r, c->big);
  e->ehsize = tells_rd_u16(&r, c->big);
  e->phentsize = tells_rd_u16(&r, c->big);
  e->e_phnum = tells_rd_u16(&r, c->big);
  e->shentsize = tells_rd_u16(&r, c->big);
  e->e_shnum = tells_rd_u16(&r, c->big);
  e->e_shstrndx = tells_rd_u16(&r, c->big);
  if (!tells_rd_ok(&r)) {
    /* Fields past the cut read as 0: no tables, parsing stays safe. */
    tells_anom_rd(c->an, &r, "elf.truncated_header", "ELF header");
  }
  if (e->version != 1 && tells_rd_ok(&r))
    tells__elf_anom(c, 20, "elf.bad_version", "e_version is %u, not 1",
                   e->version);
  if (tells_rd_ok(&r) && e->ehsize != (c->is64 ? 64 : 52))
    tells__elf_anom(c, c->is64 ? 52 : 40, "elf.bad_ehsize",
                   "e_ehsize is %u, expected %u", e->ehsize, c->is64 ? 64 : 52);
  return 1;
}

/* Resolves e_shnum == 0, e_phnum == PN_XNUM and e_shstrndx == SHN_XINDEX
** through section header 0 (gABI "Extended section numbering"). */
static void resolve_escapes(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  unsigned shsz = c->is64 ? 64 : 40;
  uint64_t sh0_size = 0, sh0_link = 0, sh0_info = 0;
  int have0 = 0;
  tells_rd r;
  if (e->shoff && e->shentsize >= shsz &&
      tells__elf_sub(c, e->shoff, shsz, &r)) {
    tells_rd_skip(&r, c->is64 ? 32 : 20);    /* to sh_size */
    sh0_size = tells__elf_word(c, &r);
    sh0_link = tells_rd_u32(&r, c->big);
    sh0_info = tells_rd_u32(&r, c->big);
    have0 = tells_rd_ok(&r);
  }
  e->shnum = e->e_shnum;
  if (e->e_shnum == 0 && e->shoff) {
    if (have0) e->shnum = sh0_size;
    else tells__elf_anom(c, c->is64 ? 60 : 48, "elf.bad_escape",
                        "e_shnum is 0 and section header 0 is unreadable");
  }
  e->phnum = e->e_phnum;
  if (e->e_phnum == TELLS__PN_XNUM) {
    if (have0) e->phnum = sh0_info;
    else tells__elf_anom(c, c->is64 ? 56 : 44, "elf.bad_escape",
                        "e_phnum is PN_XNUM and section header 0 is unreadable");
  }
  e->shstrndx = e->e_shstrndx;
  if (e->e_shstrndx == TELLS__SHN_XINDEX) {
    if (have0) e->shstrndx = sh0_link;
    else {
      e->shstrndx = 0;
      tells__elf_anom(c, c->is64 ? 62 : 50, "elf.bad_escape",
                     "e_shstrndx is SHN_XINDEX and section header 0 is unreadable");
    }
  } else if (e->e_shstrndx >= TELLS__SHN_LORESERVE) {
    tells__elf_anom(c, c->is64 ? 62 : 50, "elf.bad_shstrndx",
                   "e_shstrndx 0x%x is a reserved index", e->e_shstrndx);
    e->shstrndx = 0;
  }
}

/* ---- program headers ------------------------------------------------ */

static void parse_segments(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  unsigned esz = c->is64 ? 56 : 32;
  uint64_t n = e->phnum, avail, i;
  if (!e->phoff) {
    if (n) tells__elf_anom(c, c->is64 ? 32 : 28, "elf.bad_phoff",
                          "%llu program headers claimed at offset 0",
                          (unsigned long long)n);
    return;
  }
  if (!n) return;
  if (e->phentsize < esz) {
    tells__elf_anom(c, c->is64 ? 54 : 42, "elf.bad_phentsize",
                   "e_phentsize %u is smaller than %u", e->phentsize, esz);
    return;
  }
  if (e->phentsize != esz)
    tells__elf_anom(c, c->is64 ? 54 : 42, "elf.bad_phentsize",
                   "e_phentsize %u is not %u", e->phentsize, esz);
  if (n > TELLS_ELF_MAX_SEGMENTS) {
    tells__elf_anom(c, c->is64 ? 56 : 44, "elf.too_many_segments",
                   "%llu program headers, only %u kept",
                   (unsigned long long)n, TELLS_ELF_MAX_SEGMENTS);
    n = TELLS_ELF_MAX_SEGMENTS;
  }
  if (e->phoff >= c->len) {
    tells__elf_anom(c, c->is64 ? 32 : 28, "elf.ph_table_outside_file",
                   "program header table at 0x%llx is past the end of the file",
                   (unsigned long long)e->phoff);
    return;
  }
  avail = (c->len - e->phoff) / e->phentsize;
  if (avail < n) {
    tells__elf_anom(c, e->phoff + avail * e->phentsize,
                   "elf.ph_table_truncated",
                   "program header table cut by the end of the file: "
                   "%llu of %llu entries", (unsigned long long)avail,
                   (unsigned long long)n);
    n = avail;
  }
  e->segments = tells__elf_array(c, n, sizeof *e->segments, e->phoff,
                                 "program headers");
  if (!e->segments) return;
  for (i = 0; i < n; i++) {
    tells_elf_segment *s = &e->segments[i];
    uint64_t at = e->phoff + i * e->phentsize;
    tells_rd r;
    if (!tells__elf_sub(c, at, esz, &r)) break;
    s->hdr_off = at;
    s->type = tells_rd_u32(&r, c->big);
    if (c->is64) {
      s->flags = tells_rd_u32(&r, c->big);
      s->offset = tells_rd_u64(&r, c->big);
      s->vaddr = tells_rd_u64(&r, c->big);
      s->paddr = tells_rd_u64(&r, c->big);
      s->filesz = tells_rd_u64(&r, c->big);
      s->memsz = tells_rd_u64(&r, c->big);
      s->align = tells_rd_u64(&r, c->big);
    } else {
      s->offset = tells_rd_u32(&r, c->big);
      s->vaddr = tells_rd_u32(&r, c->big);
      s->paddr = tells_rd_u32(&r, c->big);
      s->filesz = tells_rd_u32(&r, c->big);
      s->memsz = tells_rd_u32(&r, c->big);
      s->flags = tells_rd_u32(&r, c->big);
      s->align = tells_rd_u32(&r, c->big);
    }
    e->n_segments++;
    if (s->filesz && !tells_fits(c->len, s->offset, s->filesz))
      tells__elf_anom(c, at, "elf.segment_outside_file",
                     "segment %llu [0x%llx, +0x%llx) runs past the end of the "
                     "file (%llu bytes)", (unsigned long long)i,
                     (unsigned long long)s->offset,
                     (unsigned long long)s->filesz, (unsigned long long)c->len);
    if (s->type == TELLS__PT_LOAD && s->filesz > s->memsz)
      tells__elf_anom(c, at, "elf.filesz_gt_memsz",
                     "PT_LOAD %llu has p_filesz 0x%llx > p_memsz 0x%llx",
                     (unsigned long long)i, (unsigned long long)s->filesz,
                     (unsigned long long)s->memsz);
  }
}

/* ---- section headers ------------------------------------------------ */

static void parse_sections(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  unsigned esz = c->is64 ? 64 : 40;
  uint64_t n = e->shnum, avail, i;
  if (!e->shoff) {
    if (n) tells__elf_anom(c, c->is64 ? 40 : 32, "elf.bad_shoff",
                          "%llu section headers claimed at offset 0",
                          (unsigned long long)n);
    return;
  }
  if (!n) return;
  if (e->shentsize < esz) {
    tells__elf_anom(c, c->is64 ? 58 : 46, "elf.bad_shentsize",
                   "e_shentsize %u is smaller than %u", e->shentsize, esz);
    return;
  }
  if (e->shentsize != esz)
    tells__elf_anom(c, c->is64 ? 58 : 46, "elf.bad_shentsize",
                   "e_shentsize %u is not %u", e->shentsize, esz);
  if (n > TELLS_ELF_MAX_SECTIONS) {
    tells__elf_anom(c, c->is64 ? 60 : 48, "elf.too_many_sections",
                   "%llu section headers, only %u kept",
                   (unsigned long long)n, TELLS_ELF_MAX_SECTIONS);
    n = TELLS_ELF_MAX_SECTIONS;
  }
  if (e->shoff >= c->len) {
    tells__elf_anom(c, c->is64 ? 40 : 32, "elf.sh_table_outside_file",
                   "section header table at 0x%llx is past the end of the file",
                   (unsigned long long)e->shoff);
    return;
  }
  avail = (c->len - e->shoff) / e->shentsize;
  if (avail < n) {
    tells__elf_anom(c, e->shoff + avail * e->shentsize,
                   "elf.sh_table_truncated",
                   "section header table cut by the end of the file: "
                   "%llu of %llu entries", (unsigned long long)avail,
                   (unsigned long long)n);
    n = avail;
  }
  e->sections = tells__elf_array(c, n, sizeof *e->sections, e->shoff,
                                 "section headers");
  if (!e->sections) return;
  for (i = 0; i < n; i++) {
    tells_elf_section *s = &e->sections[i];
    uint64_t at = e->shoff + i * e->shentsize;
    tells_rd r;
    if (!tells__elf_sub(c, at, esz, &r)) break;
    s->hdr_off = at;
    s->name_off = tells_rd_u32(&r, c->big);
    s->type = tells_rd_u32(&r, c->big);
    s->flags = tells__elf_word(c, &r);
    s->addr = tells__elf_word(c, &r);
    s->offset = tells__elf_word(c, &r);
    s->size = tells__elf_word(c, &r);
    s->link = tells_rd_u32(&r, c->big);
    s->info = tells_rd_u32(&r, c->big);
    s->align = tells__elf_word(c, &r);
    s->entsize = tells__elf_word(c, &r);
    s->entropy = -1;
    e->n_sections++;
    if (s->type == TELLS__SHT_NULL || s->type == TELLS__SHT_NOBITS) continue;
    if (tells_fits(c->len, s->offset, s->size)) {
      s->in_file = 1;
    } else {
      tells__elf_anom(c, at, "elf.section_outside_file",
                     "section %llu [0x%llx, +0x%llx) runs past the end of the "
                     "file (%llu bytes)", (unsigned long long)i,
                     (unsigned long long)s->offset,
                     (unsigned long long)s->size, (unsigned long long)c->len);
    }
  }
}

/* Names sections from the section name string table. */
static void name_sections(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  const tells_elf_section *st;
  size_t i;
  if (!e->n_sections || e->shstrndx == 0) return;
  if (e->shstrndx >= e->n_sections) {
    tells__elf_anom(c, c->is64 ? 62 : 50, "elf.bad_shstrndx",
                   "e_shstrndx %llu is not one of the %zu sections read",
                   (unsigned long long)e->shstrndx, e->n_sections);
    return;
  }
  st = &e->sections[e->shstrndx];
  if (!st->in_file) {
    tells__elf_anom(c, st->hdr_off, "elf.bad_shstrtab",
                   "section name table has no bytes in the file");
    return;
  }
  if (st->type != TELLS__SHT_STRTAB)
    tells__elf_anom(c, st->hdr_off, "elf.bad_shstrtab",
                   "section name table has type %u, not SHT_STRTAB", st->type);
  for (i = 0; i < e->n_sections; i++)
    e->sections[i].name = tells__elf_str(c, st->offset, st->size,
                                         e->sections[i].name_off,
                                         e->sections[i].hdr_off,
                                         "section name");
}

/* ---- entropy, overlay, entry point, hardening ----------------------- */

static void section_entropy(tells__elf_ctx *c) {
  size_t i;
  for (i = 0; i < c->e->n_sections; i++) {
    tells_elf_section *s = &c->e->sections[i];
    if (s->in_file && s->size)
      s->entropy = tells__elf_entropy(c, s->offset, s->size);
  }
}

static uint64_t table_end(uint64_t off, uint64_t n, uint64_t entsize,
                          uint64_t len) {
  if (!off || !n || off >= len) return 0;
  if (n > (len - off) / (entsize ? entsize : 1)) return len;
  return off + n * entsize;
}

/* Bytes past everything the headers account for: appended payloads. */
static void find_overlay(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  uint64_t end = c->is64 ? 64 : 52, t;
  size_t i;
  if (end > c->len) end = c->len;
  t = table_end(e->phoff, e->phnum, e->phentsize, c->len);
  if (t > end) end = t;
  t = table_end(e->shoff, e->shnum, e->shentsize, c->len);
  if (t > end) end = t;
  for (i = 0; i < e->n_sections; i++) {
    const tells_elf_section *s = &e->sections[i];
    if (s->in_file && s->offset + s->size > end) end = s->offset + s->size;
  }
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *s = &e->segments[i];
    uint64_t se;
    if (!s->filesz || s->offset >= c->len) continue;
    se = s->filesz > c->len - s->offset ? c->len : s->offset + s->filesz;
    if (se > end) end = se;
  }
  e->overlay_entropy = -1;
  if (end < c->len) {
    e->overlay_off = end;
    e->overlay_size = c->len - end;
    e->overlay_entropy = tells__elf_entropy(c, end, e->overlay_size);
  }
}

static void check_entry(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  size_t i;
  int loads = 0;
  if (!e->entry || (e->type != TELLS_ELF_ET_EXEC && e->type != TELLS_ELF_ET_DYN))
    return;
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *s = &e->segments[i];
    if (s->type != TELLS__PT_LOAD) continue;
    loads++;
    if (e->entry >= s->vaddr && e->entry - s->vaddr < s->memsz) {
      if (!(s->flags & TELLS__PF_X))
        tells__elf_anom(c, 24, "elf.entry_not_executable",
                       "entry point 0x%llx is in non-executable segment %zu",
                       (unsigned long long)e->entry, i);
      return;
    }
  }
  if (loads)
    tells__elf_anom(c, 24, "elf.entry_outside_segments",
                   "entry point 0x%llx is in no PT_LOAD segment",
                   (unsigned long long)e->entry);
}

static void derive_hardening(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  size_t i;
  int stack = 0, relro = 0;
  e->nx = e->n_segments ? 0 : -1;
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *s = &e->segments[i];
    if (s->type == TELLS__PT_GNU_STACK && !stack) {
      stack = 1;
      e->nx = !(s->flags & TELLS__PF_X);
    } else if (s->type == TELLS__PT_GNU_RELRO) {
      relro = 1;
    } else if (s->type == TELLS__PT_LOAD &&
               (s->flags & (TELLS__PF_W | TELLS__PF_X)) ==
                   (TELLS__PF_W | TELLS__PF_X)) {
      e->rwx_segment = 1;
    }
  }
  e->relro = relro ? (e->bind_now ? 2 : 1) : 0;
  e->pie = e->type == TELLS_ELF_ET_DYN &&
           (e->interp || (e->dt_flags_1 & TELLS__DF_1_PIE));
  for (i = 0; i < e->n_dynsyms; i++) {
    const tells_elf_sym *s = &e->dynsyms[i];
    size_t n;
    if (s->defined || !s->name) continue;
    if (!strcmp(s->name, "__stack_chk_fail") ||
        !strcmp(s->name, "__stack_chk_guard"))
      e->canary = 1;
    else if ((n = strlen(s->name)) > 6 && !strncmp(s->name, "__", 2) &&
             !strcmp(s->name + n - 4, "_chk"))
      e->fortify = 1;
  }
}

/* ---- entry ---------------------------------------------------------- */

tells_err tells_elf_parse(const uint8_t *buf, size_t len, tells_arena *a,
                          tells_anoms *an, tells_elf **out) {
  static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
  tells__elf_ctx c;
  tells_elf *e;
  *out = NULL;
  if (!buf || len < 4 || memcmp(buf, magic, 4) != 0) return TELLS_EUNSUP;
  e = tells_arena_alloc(a, sizeof *e);
  if (!e) return TELLS_ENOMEM;
  memset(e, 0, sizeof *e);
  e->file_size = len;
  e->nx = -1;
  e->overlay_entropy = -1;
  memset(&c, 0, sizeof c);
  c.file = tells_rd_make(buf, len, 0);
  c.len = len;
  c.a = a;
  c.an = an;
  c.e = e;
  c.entropy_left = (uint64_t)len * 2 + TELLS_ELF_ENTROPY_SLACK;
  c.str_left = (uint64_t)len * 4 + TELLS_ELF_STR_SLACK;
  *out = e;
  if (!parse_header(&c)) { tells__elf_anom_flush(&c); return TELLS_OK; }
  resolve_escapes(&c);
  parse_segments(&c);
  parse_sections(&c);
  name_sections(&c);
  e->has_symtab = 0;
  {
    size_t i;
    for (i = 0; i < e->n_sections; i++)
      if (e->sections[i].type == TELLS__SHT_SYMTAB) e->has_symtab = 1;
  }
  tells__elf_interp(&c);
  tells__elf_dynamic(&c);
  tells__elf_dynsyms(&c);
  tells__elf_notes(&c);
  tells__elf_comment(&c);
  section_entropy(&c);
  find_overlay(&c);
  check_entry(&c);
  derive_hardening(&c);
  tells__elf_anom_flush(&c);
  return TELLS_OK;
}
