/*
** elf_dyn.c -- the loader's view of an ELF file and its toolchain tells:
** interpreter, dynamic table, dynamic symbols, notes (build-id, ABI tag, Go
** build id) and .comment strings.
**
** Called by tells_elf_parse() (elf.c) once headers, segments and sections
** are read.  The dynamic table is found through PT_DYNAMIC (or an
** SHT_DYNAMIC section when there is none); its string table through
** DT_STRTAB mapped by the PT_LOAD segments, falling back to the dynamic
** section's sh_link or .dynstr.  Dynamic symbols come from .dynsym, or, in a
** file with no section headers (sstrip'd), from DT_SYMTAB with the count
** taken from DT_HASH or DT_GNU_HASH.  Layouts are tabled in elf.h.
*/
#include <stdio.h>
#include <string.h>
#include "elf.h"

#define DT_NULL     0u
#define DT_NEEDED   1u
#define DT_HASH     4u
#define DT_STRTAB   5u
#define DT_SYMTAB   6u
#define DT_STRSZ    10u
#define DT_SYMENT   11u
#define DT_SONAME   14u
#define DT_RPATH    15u
#define DT_TEXTREL  22u
#define DT_BIND_NOW 24u
#define DT_RUNPATH  29u
#define DT_FLAGS    30u
#define DT_GNU_HASH 0x6ffffef5u
#define DT_FLAGS_1  0x6ffffffbu
#define DF_TEXTREL  0x4u
#define DF_BIND_NOW 0x8u
#define DF_1_NOW    0x1u
#define NT_GNU_ABI_TAG  1u
#define NT_GNU_BUILD_ID 3u
#define NT_GO_BUILD_ID  4u

/* ---- interpreter ---------------------------------------------------- */

void tells__elf_interp(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  const tells_elf_segment *pi = NULL;
  size_t i;
  for (i = 0; i < e->n_segments; i++) {
    if (e->segments[i].type != TELLS__PT_INTERP) continue;
    if (pi) {
      tells__elf_anom(c, e->segments[i].hdr_off, "elf.multiple_interp",
                     "second PT_INTERP segment ignored");
      continue;
    }
    pi = &e->segments[i];
  }
  if (pi) {
    if (!pi->filesz || !tells_fits(c->len, pi->offset, pi->filesz)) {
      tells__elf_anom(c, pi->hdr_off, "elf.bad_interp",
                     "PT_INTERP has no bytes inside the file");
      return;
    }
    e->interp = tells__elf_str(c, pi->offset, pi->filesz, 0, pi->hdr_off,
                               "PT_INTERP");
    return;
  }
  if (!e->n_segments) {   /* objects without a loader view */
    const tells_elf_section *s = tells__elf_find_section(c, ".interp");
    if (s && s->in_file && s->size)
      e->interp = tells__elf_str(c, s->offset, s->size, 0, s->hdr_off,
                                 ".interp");
  }
}

/* ---- dynamic table -------------------------------------------------- */

/* Where the dynamic string table is: DT_STRTAB through PT_LOAD, else the
** dynamic section's sh_link, else .dynstr. */
static void find_dynstr(tells__elf_ctx *c, const tells_elf_section *dsec,
                        uint64_t strtab_ref) {
  tells_elf *e = c->e;
  uint64_t off, avail;
  const tells_elf_section *s = NULL;
  if (c->has_strtab) {
    if (tells__elf_va2off(c, c->dt_strtab, &off, &avail)) {
      c->have_dynstr = 1;
      c->dynstr_off = off;
      c->dynstr_size = avail;
      if (c->has_strsz) {
        if (c->dt_strsz > avail)
          tells__elf_anom(c, strtab_ref, "elf.dyn_strsz_too_big",
                         "DT_STRSZ %llu runs past its segment (%llu bytes)",
                         (unsigned long long)c->dt_strsz,
                         (unsigned long long)avail);
        else
          c->dynstr_size = c->dt_strsz;
      }
      if (off < e->dyn_off + c->dyn_size && e->dyn_off < off + c->dynstr_size)
        tells__elf_anom(c, strtab_ref, "elf.dyn_strtab_overlaps_dynamic",
                       "DT_STRTAB 0x%llx overlaps the dynamic table itself",
                       (unsigned long long)c->dt_strtab);
      return;
    }
    if (e->n_segments)
      tells__elf_anom(c, strtab_ref, "elf.dyn_strtab_unmapped",
                     "DT_STRTAB 0x%llx is in no PT_LOAD segment's file bytes",
                     (unsigned long long)c->dt_strtab);
  }
  if (dsec && dsec->link && dsec->link < e->n_sections)
    s = &e->sections[dsec->link];
  if (!s || s->type != TELLS__SHT_STRTAB) s = tells__elf_find_section(c, ".dynstr");
  if (s && s->in_file) {
    c->have_dynstr = 1;
    c->dynstr_off = s->offset;
    c->dynstr_size = s->size;
  }
}

static const char *dynstr(tells__elf_ctx *c, uint64_t idx, uint64_t ref,
                          const char *what) {
  if (!c->have_dynstr) {
    tells__elf_anom(c, ref, "elf.dyn_no_strtab",
                   "%s: no dynamic string table to resolve it", what);
    return NULL;
  }
  return tells__elf_str(c, c->dynstr_off, c->dynstr_size, idx, ref, what);
}

void tells__elf_dynamic(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  const tells_elf_segment *ps = NULL;
  const tells_elf_section *dsec = NULL;
  uint64_t off = 0, size = 0, n, i, entsz = c->is64 ? 16 : 8;
  uint64_t *need_val = NULL, *need_ref = NULL, strtab_ref = 0;
  uint64_t soname = 0, rpath = 0, runpath = 0;
  uint64_t soname_ref = 0, rpath_ref = 0, runpath_ref = 0;
  int have_soname = 0, have_rpath = 0, have_runpath = 0, found_null = 0;
  size_t n_need = 0, k;
  tells_rd r;

  for (k = 0; k < e->n_segments; k++) {
    if (e->segments[k].type != TELLS__PT_DYNAMIC) continue;
    if (ps) {
      tells__elf_anom(c, e->segments[k].hdr_off, "elf.multiple_dynamic",
                     "second PT_DYNAMIC segment ignored");
      continue;
    }
    ps = &e->segments[k];
  }
  for (k = 0; k < e->n_sections; k++)
    if (e->sections[k].type == TELLS__SHT_DYNAMIC) { dsec = &e->sections[k]; break; }
  if (ps) {
    if (!tells_fits(c->len, ps->offset, ps->filesz) || !ps->filesz) {
      tells__elf_anom(c, ps->hdr_off, "elf.dynamic_outside_file",
                     "PT_DYNAMIC [0x%llx, +0x%llx) is not inside the file",
                     (unsigned long long)ps->offset,
                     (unsigned long long)ps->filesz);
      ps = NULL;
    } else {
      off = ps->offset;
      size = ps->filesz;
    }
  }
  if (ps && dsec && dsec->in_file && dsec->offset != ps->offset)
    tells__elf_anom(c, dsec->hdr_off, "elf.dynamic_mismatch",
                   "SHT_DYNAMIC at 0x%llx but PT_DYNAMIC at 0x%llx",
                   (unsigned long long)dsec->offset,
                   (unsigned long long)ps->offset);
  if (!ps) {
    if (!dsec || !dsec->in_file || !dsec->size) return;
    off = dsec->offset;
    size = dsec->size;
  }
  e->has_dynamic = 1;
  e->dyn_off = off;
  c->dyn_size = size;
  n = size / entsz;
  if (n > TELLS_ELF_MAX_DYN) n = TELLS_ELF_MAX_DYN;
  if (!tells__elf_sub(c, off, n * entsz, &r)) return;
  for (i = 0; i < n; i++) {
    uint64_t at = off + i * entsz;
    uint64_t tag = tells__elf_word(c, &r);
    uint64_t val = tells__elf_word(c, &r);
    if (!tells_rd_ok(&r)) break;
    e->n_dyn++;
    if (tag == DT_NULL) { found_null = 1; break; }
    switch (tag) {
    case DT_NEEDED:
      if (!need_val) {
        uint64_t cap = n - i < TELLS_ELF_MAX_NEEDED ? n - i : TELLS_ELF_MAX_NEEDED;
        need_val = tells__elf_array(c, cap, sizeof *need_val, at, "DT_NEEDED");
        need_ref = tells__elf_array(c, cap, sizeof *need_ref, at, "DT_NEEDED");
        if (!need_val || !need_ref) { need_val = need_ref = NULL; break; }
      }
      if (n_need < TELLS_ELF_MAX_NEEDED) {
        need_val[n_need] = val;
        need_ref[n_need++] = at;
      } else if (n_need++ == TELLS_ELF_MAX_NEEDED) {
        tells__elf_anom(c, at, "elf.too_many_needed",
                       "more than %u DT_NEEDED entries, the rest ignored",
                       TELLS_ELF_MAX_NEEDED);
      }
      break;
    case DT_SONAME: soname = val; soname_ref = at; have_soname = 1; break;
    case DT_RPATH: rpath = val; rpath_ref = at; have_rpath = 1; break;
    case DT_RUNPATH: runpath = val; runpath_ref = at; have_runpath = 1; break;
    case DT_STRTAB: c->dt_strtab = val; c->has_strtab = 1; strtab_ref = at; break;
    case DT_STRSZ: c->dt_strsz = val; c->has_strsz = 1; break;
    case DT_SYMTAB: c->dt_symtab = val; c->has_symtab = 1; break;
    case DT_SYMENT: c->dt_syment = val; c->has_syment = 1; break;
    case DT_HASH: c->dt_hash = val; c->has_hash = 1; break;
    case DT_GNU_HASH: c->dt_gnu_hash = val; c->has_gnu_hash = 1; break;
    case DT_TEXTREL: e->textrel = 1; break;
    case DT_BIND_NOW: e->bind_now = 1; break;
    case DT_FLAGS:
      e->dt_flags = val;
      if (val & DF_BIND_NOW) e->bind_now = 1;
      if (val & DF_TEXTREL) e->textrel = 1;
      break;
    case DT_FLAGS_1:
      e->dt_flags_1 = val;
      if (val & DF_1_NOW) e->bind_now = 1;
      break;
    default: break;
    }
  }
  if (!found_null) {
    if (size / entsz > TELLS_ELF_MAX_DYN)
      tells__elf_anom(c, off + n * entsz, "elf.too_many_dyn",
                     "no DT_NULL in the first %u dynamic entries",
                     TELLS_ELF_MAX_DYN);
    else
      tells__elf_anom(c, off, "elf.dynamic_no_null",
                     "dynamic table of %llu entries has no DT_NULL",
                     (unsigned long long)n);
  }
  find_dynstr(c, dsec, strtab_ref);
  if (n_need > TELLS_ELF_MAX_NEEDED) n_need = TELLS_ELF_MAX_NEEDED;
  if (n_need && need_val) {
    e->needed = tells__elf_array(c, n_need, sizeof *e->needed, off, "DT_NEEDED");
    for (k = 0; e->needed && k < n_need; k++) {
      const char *s = dynstr(c, need_val[k], need_ref[k], "DT_NEEDED");
      if (s) e->needed[e->n_needed++] = s;
    }
  }
  if (have_soname) e->soname = dynstr(c, soname, soname_ref, "DT_SONAME");
  if (have_rpath) e->rpath = dynstr(c, rpath, rpath_ref, "DT_RPATH");
  if (have_runpath) e->runpath = dynstr(c, runpath, runpath_ref, "DT_RUNPATH");
}

/* ---- dynamic symbols ------------------------------------------------ */

/* Number of symbols covered by a DT_GNU_HASH table (the highest symbol
** index reached through the buckets and chains, plus one), or 0. */
static uint64_t gnu_hash_count(tells__elf_ctx *c, uint64_t off, uint64_t avail) {
  uint32_t nbuckets, symoffset, bloom, b, v;
  uint64_t i, max = 0, steps = 0;
  tells_rd r;
  if (!tells__elf_sub(c, off, avail, &r)) return 0;
  nbuckets = tells_rd_u32(&r, c->big);
  symoffset = tells_rd_u32(&r, c->big);
  bloom = tells_rd_u32(&r, c->big);
  tells_rd_skip(&r, 4);                          /* bloom_shift */
  if (nbuckets > TELLS_ELF_MAX_GNU_BUCKETS) {
    tells__elf_anom(c, off, "elf.bad_gnu_hash",
                   "DT_GNU_HASH claims %u buckets", nbuckets);
    return 0;
  }
  if ((uint64_t)bloom * (c->is64 ? 8 : 4) > tells_rd_left(&r)) {
    tells__elf_anom(c, off, "elf.bad_gnu_hash",
                   "DT_GNU_HASH bloom filter runs past its segment");
    return 0;
  }
  tells_rd_skip(&r, (size_t)bloom * (c->is64 ? 8 : 4));
  for (i = 0; i < nbuckets; i++) {
    b = tells_rd_u32(&r, c->big);
    if (b > max) max = b;
  }
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(c->an, &r, "elf.bad_gnu_hash", "DT_GNU_HASH buckets");
    return 0;
  }
  if (max == 0 || max < symoffset) return symoffset;   /* no chains used */
  if ((max - symoffset) > tells_rd_left(&r) / 4) {
    tells__elf_anom(c, off, "elf.bad_gnu_hash",
                   "DT_GNU_HASH bucket points past its chains");
    return 0;
  }
  tells_rd_skip(&r, (size_t)(max - symoffset) * 4);
  for (;;) {
    v = tells_rd_u32(&r, c->big);
    if (!tells_rd_ok(&r)) {
      tells_anom_rd(c->an, &r, "elf.bad_gnu_hash", "DT_GNU_HASH chain");
      break;
    }
    if (v & 1) break;
    max++;
    if (++steps > TELLS_ELF_MAX_DYNSYMS) break;
  }
  return max + 1;
}

void tells__elf_dynsyms(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  const tells_elf_section *sym = NULL;
  uint64_t off = 0, size = 0, esz = c->is64 ? 24 : 16, stride = esz;
  uint64_t str_off = 0, str_size = 0, n, i;
  int have_str = 0;
  size_t k;

  for (k = 0; k < e->n_sections; k++)
    if (e->sections[k].type == TELLS__SHT_DYNSYM) { sym = &e->sections[k]; break; }
  if (sym && sym->in_file) {
    const tells_elf_section *ls = sym->link < e->n_sections ?
                                  &e->sections[sym->link] : NULL;
    off = sym->offset;
    size = sym->size;
    if (sym->entsize && sym->entsize != esz) {
      tells__elf_anom(c, sym->hdr_off, "elf.bad_syment",
                     ".dynsym sh_entsize %llu is not %llu",
                     (unsigned long long)sym->entsize, (unsigned long long)esz);
      if (sym->entsize > esz && sym->entsize < 4096) stride = sym->entsize;
    }
    if (ls && ls->in_file) {
      have_str = 1; str_off = ls->offset; str_size = ls->size;
    } else {
      tells__elf_anom(c, sym->hdr_off, "elf.bad_sh_link",
                     ".dynsym sh_link %u is not a string table in the file",
                     sym->link);
    }
    e->dynsym_source = ".dynsym";
  } else if (c->has_symtab && (c->has_hash || c->has_gnu_hash)) {
    uint64_t avail, hoff, havail, cnt = 0;
    if (!tells__elf_va2off(c, c->dt_symtab, &off, &avail)) {
      tells__elf_anom(c, e->dyn_off, "elf.dyn_symtab_unmapped",
                     "DT_SYMTAB 0x%llx is in no PT_LOAD segment's file bytes",
                     (unsigned long long)c->dt_symtab);
      return;
    }
    if (c->has_syment && c->dt_syment != esz)
      tells__elf_anom(c, e->dyn_off, "elf.bad_syment",
                     "DT_SYMENT %llu is not %llu",
                     (unsigned long long)c->dt_syment, (unsigned long long)esz);
    if (c->has_hash && tells__elf_va2off(c, c->dt_hash, &hoff, &havail)) {
      tells_rd r;
      if (tells__elf_sub(c, hoff, havail, &r)) {
        tells_rd_skip(&r, 4);
        cnt = tells_rd_u32(&r, c->big);             /* nchain */
        e->dynsym_source = "DT_HASH";
      }
    } else if (c->has_gnu_hash &&
               tells__elf_va2off(c, c->dt_gnu_hash, &hoff, &havail)) {
      cnt = gnu_hash_count(c, hoff, havail);
      e->dynsym_source = "DT_GNU_HASH";
    }
    if (cnt > avail / esz) {
      tells__elf_anom(c, e->dyn_off, "elf.dyn_symtab_truncated",
                     "hash table counts %llu symbols, segment holds %llu",
                     (unsigned long long)cnt, (unsigned long long)(avail / esz));
      cnt = avail / esz;
    }
    size = cnt * esz;
    if (c->have_dynstr) {
      have_str = 1; str_off = c->dynstr_off; str_size = c->dynstr_size;
    }
  } else {
    return;
  }
  n = size / stride;
  if (n <= 1) return;
  if (n - 1 > TELLS_ELF_MAX_DYNSYMS) {
    tells__elf_anom(c, off, "elf.too_many_dynsyms",
                   "%llu dynamic symbols, only %u kept",
                   (unsigned long long)(n - 1), TELLS_ELF_MAX_DYNSYMS);
    n = (uint64_t)TELLS_ELF_MAX_DYNSYMS + 1;
  }
  e->dynsyms = tells__elf_array(c, n - 1, sizeof *e->dynsyms, off, "dynsyms");
  if (!e->dynsyms) return;
  for (i = 1; i < n; i++) {              /* symbol 0 is the null symbol */
    tells_elf_sym *s = &e->dynsyms[e->n_dynsyms];
    uint64_t at = off + i * stride;
    uint32_t name;
    uint8_t info;
    tells_rd r;
    if (!tells__elf_sub(c, at, esz, &r)) break;
    name = tells_rd_u32(&r, c->big);
    if (c->is64) {
      info = tells_rd_u8(&r);
      s->other = tells_rd_u8(&r);
      s->shndx = tells_rd_u16(&r, c->big);
      s->value = tells_rd_u64(&r, c->big);
      s->size = tells_rd_u64(&r, c->big);
    } else {
      s->value = tells_rd_u32(&r, c->big);
      s->size = tells_rd_u32(&r, c->big);
      info = tells_rd_u8(&r);
      s->other = tells_rd_u8(&r);
      s->shndx = tells_rd_u16(&r, c->big);
    }
    s->bind = info >> 4;
    s->type = info & 15;
    s->defined = s->shndx != 0;
    if (name && have_str)
      s->name = tells__elf_str(c, str_off, str_size, name, at, "symbol name");
    else if (!name)
      s->name = "";
    e->n_dynsyms++;
  }
}

/* ---- notes ---------------------------------------------------------- */

static void note_tells(tells__elf_ctx *c, const tells_elf_note *nt) {
  tells_elf *e = c->e;
  tells_rd r;
  if (!nt->owner || !tells__elf_sub(c, nt->desc_off, nt->desc_size, &r)) return;
  if (!strcmp(nt->owner, "GNU") && nt->type == NT_GNU_BUILD_ID &&
      !e->build_id_len) {
    size_t n = nt->desc_size;
    const uint8_t *p;
    if (n > TELLS_ELF_MAX_BUILD_ID) {
      tells__elf_anom(c, nt->off, "elf.build_id_too_long",
                     "build-id of %zu bytes cut to %u", n, TELLS_ELF_MAX_BUILD_ID);
      n = TELLS_ELF_MAX_BUILD_ID;
    }
    if ((p = tells_rd_bytes(&r, n)) != NULL) {
      memcpy(e->build_id, p, n);
      e->build_id_len = n;
    }
  } else if (!strcmp(nt->owner, "GNU") && nt->type == NT_GNU_ABI_TAG &&
             nt->desc_size >= 16 && !e->abi_tag) {
    static const char *const os[] = {"Linux", "GNU", "Solaris2", "FreeBSD"};
    uint32_t o = tells_rd_u32(&r, c->big), a = tells_rd_u32(&r, c->big);
    uint32_t b = tells_rd_u32(&r, c->big), d = tells_rd_u32(&r, c->big);
    char tmp[64];
    if (o < 4) snprintf(tmp, sizeof tmp, "%s %u.%u.%u", os[o], a, b, d);
    else snprintf(tmp, sizeof tmp, "os%u %u.%u.%u", o, a, b, d);
    e->abi_tag = tells_arena_strndup(c->a, tmp, strlen(tmp));
  } else if (!strcmp(nt->owner, "Go") && nt->type == NT_GO_BUILD_ID &&
             !e->go_build_id && nt->desc_size) {
    /* an exact-length string, not NUL-terminated */
    size_t n = nt->desc_size;
    const uint8_t *p;
    if (n > TELLS_ELF_MAX_STR) n = TELLS_ELF_MAX_STR;
    if ((p = tells_rd_bytes(&r, n)) != NULL) {
      while (n && p[n - 1] == 0) n--;
      e->go_build_id = tells_arena_strndup(c->a, (const char *)p, n);
    }
  }
}

/* Walks one note area; align is 4 or 8 (8 for .note.gnu.property). */
static void note_area(tells__elf_ctx *c, uint64_t off, uint64_t size,
                      uint64_t align) {
  tells_elf *e = c->e;
  uint64_t a = align == 8 ? 8 : 4;
  tells_rd r;
  if (!tells__elf_sub(c, off, size, &r)) return;
  while (tells_rd_left(&r) >= 12) {
    tells_elf_note *nt;
    uint64_t at = tells_rd_pos(&r), pad;
    uint32_t namesz = tells_rd_u32(&r, c->big);
    uint32_t descsz = tells_rd_u32(&r, c->big);
    uint32_t type = tells_rd_u32(&r, c->big);
    const uint8_t *name;
    if (e->n_notes >= TELLS_ELF_MAX_NOTES) {
      tells__elf_anom(c, at, "elf.too_many_notes",
                     "more than %u notes, the rest ignored", TELLS_ELF_MAX_NOTES);
      return;
    }
    if (namesz > tells_rd_left(&r)) {
      tells__elf_anom(c, at, "elf.bad_note", "note name runs past its area");
      return;
    }
    name = tells_rd_bytes(&r, namesz);
    /* the descriptor starts at the next multiple of `a` from the note */
    pad = (a - (12 + (uint64_t)namesz) % a) % a;
    tells_rd_skip(&r, pad < tells_rd_left(&r) ? pad : tells_rd_left(&r));
    if (descsz > tells_rd_left(&r)) {
      tells__elf_anom(c, at, "elf.bad_note",
                     "note descriptor runs past its area");
      return;
    }
    if (e->n_notes == c->notes_cap) {      /* grow in the arena, doubling */
      size_t cap = c->notes_cap ? c->notes_cap * 2 : 16;
      tells_elf_note *v;
      if (cap > TELLS_ELF_MAX_NOTES) cap = TELLS_ELF_MAX_NOTES;
      v = tells__elf_array(c, cap, sizeof *v, at, "notes");
      if (!v) return;
      if (e->n_notes) memcpy(v, e->notes, e->n_notes * sizeof *v);
      e->notes = v;
      c->notes_cap = cap;
    }
    nt = &e->notes[e->n_notes++];
    nt->off = at;
    nt->type = type;
    nt->desc_off = tells_rd_pos(&r);
    nt->desc_size = descsz;
    if (name) {
      size_t nl = namesz;
      while (nl && name[nl - 1] == 0) nl--;
      if (nl > TELLS_ELF_MAX_STR) nl = TELLS_ELF_MAX_STR;
      nt->owner = tells_arena_strndup(c->a, (const char *)name, nl);
    }
    tells_rd_skip(&r, descsz);
    pad = (a - (tells_rd_pos(&r) - at) % a) % a;
    tells_rd_skip(&r, pad < tells_rd_left(&r) ? pad : tells_rd_left(&r));
    note_tells(c, nt);
  }
}

/* Notes come from the SHT_NOTE sections (as readelf lists them), then from
** every PT_NOTE segment that no such section lies in: all of them for a
** file without sections, and notes a doctored section table hides. */
void tells__elf_notes(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  size_t i, k;
  for (i = 0; i < e->n_sections; i++) {
    const tells_elf_section *s = &e->sections[i];
    if (s->type != TELLS__SHT_NOTE || !s->in_file) continue;
    note_area(c, s->offset, s->size, s->align);
  }
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *g = &e->segments[i];
    int covered = 0;
    if (g->type != TELLS__PT_NOTE || !g->filesz ||
        !tells_fits(c->len, g->offset, g->filesz))
      continue;
    for (k = 0; k < e->n_sections && !covered; k++) {
      const tells_elf_section *s = &e->sections[k];
      covered = s->type == TELLS__SHT_NOTE && s->in_file &&
                s->offset >= g->offset && s->offset - g->offset < g->filesz;
    }
    if (!covered) note_area(c, g->offset, g->filesz, g->align);
  }
}

/* ---- .comment ------------------------------------------------------- */

/* Splits .comment at NULs into its strings ("GCC: (Debian 12.2.0-14)
** 12.2.0", "clang version ..."), as `readelf -p .comment` lists them. */
void tells__elf_comment(tells__elf_ctx *c) {
  tells_elf *e = c->e;
  const tells_elf_section *s = tells__elf_find_section(c, ".comment");
  const uint8_t *p;
  size_t i, n, count = 0, start;
  tells_rd r;
  if (!s || !s->in_file || !s->size) return;
  if (!tells__elf_sub(c, s->offset, s->size, &r)) return;
  n = (size_t)s->size;
  if (!(p = tells_rd_bytes(&r, n))) return;
  for (i = 0; i < n; i++)
    if (p[i] && (i == 0 || !p[i - 1])) count++;
  if (!count) return;
  if (count > TELLS_ELF_MAX_COMMENTS) {
    tells__elf_anom(c, s->offset, "elf.too_many_comments",
                   "%zu .comment strings, only %u kept", count,
                   TELLS_ELF_MAX_COMMENTS);
    count = TELLS_ELF_MAX_COMMENTS;
  }
  e->comments = tells__elf_array(c, count, sizeof *e->comments, s->offset,
                                 ".comment");
  if (!e->comments) return;
  for (i = 0; i < n && e->n_comments < count; i++) {
    size_t len;
    if (!p[i]) continue;
    start = i;
    while (i < n && p[i]) i++;
    len = i - start;
    if (len > TELLS_ELF_MAX_STR) {
      tells__elf_anom(c, s->offset + start, "elf.str_too_long",
                     ".comment string of %zu bytes cut", len);
      len = TELLS_ELF_MAX_STR;
    }
    e->comments[e->n_comments] = tells_arena_strndup(c->a, (const char *)p + start,
                                                     len);
    if (e->comments[e->n_comments]) e->n_comments++;
  }
}
