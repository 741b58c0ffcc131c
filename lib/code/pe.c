/*
** pe.c -- PE/COFF headers, section table, RVA mapping, entropy, overlay and
** the PE checksum; drives the other pe_*.c parts.
**
** IMAGE_DOS_HEADER (the fields tells reads):
**   OFFSET  SIZE  DESCRIPTION
**   0x00    2     e_magic "MZ"
**   0x3c    4     e_lfanew, file offset of the PE signature
**
** COFF file header, after "PE\0\0" (PE/COFF spec 3.3):
**   OFFSET  SIZE  DESCRIPTION
**   0       2     Machine (0x14c i386, 0x8664 AMD64, 0xaa64 ARM64, ...)
**   2       2     NumberOfSections
**   4       4     TimeDateStamp (seconds since 1970, or a reproducible hash)
**   8       4     PointerToSymbolTable
**   12      4     NumberOfSymbols
**   16      2     SizeOfOptionalHeader
**   18      2     Characteristics
**
** Optional header (PE/COFF spec 3.4); PE32 / PE32+ offsets:
**   OFFSET     SIZE  DESCRIPTION
**   0          2     Magic 0x10b / 0x20b
**   2          1+1   Major/MinorLinkerVersion
**   4          4*3   SizeOfCode, SizeOfInitializedData, SizeOfUninitializedData
**   16         4     AddressOfEntryPoint (RVA)
**   20         4     BaseOfCode
**   24         4     BaseOfData (PE32 only)
**   28 / 24    4/8   ImageBase
**   32         4+4   SectionAlignment, FileAlignment
**   40         2*6   OS, image and subsystem major/minor versions
**   52         4     Win32VersionValue
**   56         4     SizeOfImage
**   60         4     SizeOfHeaders
**   64         4     CheckSum
**   68         2     Subsystem
**   70         2     DllCharacteristics
**   72         4*4 / 8*4  Stack reserve/commit, heap reserve/commit
**   88 / 104   4     LoaderFlags
**   92 / 108   4     NumberOfRvaAndSizes
**   96 / 112   8*n   data directories (RVA, Size); the security one holds a
**                    file offset instead of an RVA
**
** Section header (PE/COFF spec 4), 40 bytes:
**   OFFSET  SIZE  DESCRIPTION
**   0       8     Name, NUL-padded
**   8       4     VirtualSize
**   12      4     VirtualAddress
**   16      4     SizeOfRawData
**   20      4     PointerToRawData
**   24      4+4   PointerToRelocations, PointerToLinenumbers
**   32      2+2   NumberOfRelocations, NumberOfLinenumbers
**   36      4     Characteristics
**
** The PE checksum (as CheckSumMappedFile computes it): the one's-complement
** sum of the file taken as 16-bit little-endian words, with the CheckSum
** field counted as zero and an odd last byte padded with zero, folded to 16
** bits, plus the file length.
*/
#include <math.h>
#include <string.h>
#include "tells_limits.h"
#include "pe_int.h"

/* ---- helpers shared by the pe_*.c files ------------------------------- */

void *tells__pe_alloc(tells__pe_ctx *c, size_t n) {
  void *p = tells_arena_alloc(c->arena, n ? n : 1);
  if (!p) { c->nomem = 1; return NULL; }
  memset(p, 0, n ? n : 1);
  return p;
}

tells_rd tells__pe_at(const tells__pe_ctx *c, uint64_t off, uint64_t n, int clip) {
  if (clip && off <= c->file.len && n > c->file.len - off) n = c->file.len - off;
  if (off > SIZE_MAX || n > SIZE_MAX) {
    tells_rd r = tells_rd_make(c->file.p, 0, off);
    TELLS_RD_FAIL(&r, TELLS_ETRUNC);
    return r;
  }
  return tells_rd_sub(&c->file, (size_t)off, (size_t)n);
}

const uint8_t *tells__pe_ptr(const tells__pe_ctx *c, uint64_t off, uint64_t n) {
  tells_rd r = tells__pe_at(c, off, n, 0);
  return tells_rd_ok(&r) ? tells_rd_bytes(&r, (size_t)n) : NULL;
}

int tells__pe_rva_to_off_n(const tells__pe_ctx *c, uint32_t rva, uint64_t *off,
                           uint64_t *avail) {
  const tells_pe *pe = c->pe;
  size_t i;
  for (i = 0; i < pe->n_sections; i++) {
    const tells__pe_map *m = &c->map[i];
    if (rva >= m->va && (uint64_t)(rva - m->va) < m->size) {
      uint64_t d = rva - m->va, o = m->raw + d;
      if (d >= m->rawsz || o >= c->file.len) return 0;
      *off = o;
      *avail = m->rawsz - d;
      return 1;
    }
  }
  /* Outside every section: the headers are mapped at RVA 0 as in the file. */
  if (rva < c->file.len) { *off = rva; *avail = c->file.len - rva; return 1; }
  return 0;
}

int tells__pe_rva_to_off(const tells__pe_ctx *c, uint32_t rva, uint64_t *off) {
  uint64_t avail;
  return tells__pe_rva_to_off_n(c, rva, off, &avail);
}

const char *tells__pe_cstr(tells__pe_ctx *c, uint64_t off, size_t max, int *trunc) {
  const uint8_t *p, *z;
  size_t n;
  if (trunc) *trunc = 0;
  if (off >= c->file.len) return NULL;
  n = c->file.len - (size_t)off;
  if (n > max) n = max;
  p = tells__pe_ptr(c, off, n);
  if (!p) return NULL;
  z = memchr(p, 0, n);
  if (!z) { if (trunc) *trunc = 1; }
  else n = (size_t)(z - p);
  {
    char *s = tells_arena_strndup(c->arena, (const char *)p, n);
    if (!s) c->nomem = 1;
    return s;
  }
}

const char *tells__pe_cstr_rva(tells__pe_ctx *c, uint32_t rva, size_t max, int *trunc) {
  uint64_t off, avail;
  const char *s;
  if (trunc) *trunc = 0;
  if (!tells__pe_rva_to_off_n(c, rva, &off, &avail)) return NULL;
  /* A string that runs into the zero fill ends there, as in memory. */
  s = tells__pe_cstr(c, off, avail < max ? (size_t)avail : max, trunc);
  if (trunc && avail < max) *trunc = 0;
  return s;
}

char *tells__pe_utf16(tells__pe_ctx *c, const uint8_t *p, size_t n) {
  char *s = tells__pe_alloc(c, n * 3 + 1), *o = s;
  size_t i;
  if (!s) return NULL;
  for (i = 0; i < n; i++) {
    uint32_t u = tells_ld16le(p + 2 * i);
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < n) {
      uint32_t l = tells_ld16le(p + 2 * i + 2);
      if (l >= 0xdc00 && l < 0xe000) {
        u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
        i++;
      } else u = 0xfffd;
    } else if (u >= 0xd800 && u < 0xe000) u = 0xfffd;
    if (u < 0x80) *o++ = (char)u;
    else if (u < 0x800) { *o++ = (char)(0xc0 | u >> 6); *o++ = (char)(0x80 | (u & 63)); }
    else if (u < 0x10000) {
      *o++ = (char)(0xe0 | u >> 12); *o++ = (char)(0x80 | (u >> 6 & 63));
      *o++ = (char)(0x80 | (u & 63));
    } else {  /* 4 bytes from 2 code units: fits the 3-per-unit budget */
      *o++ = (char)(0xf0 | u >> 18); *o++ = (char)(0x80 | (u >> 12 & 63));
      *o++ = (char)(0x80 | (u >> 6 & 63)); *o++ = (char)(0x80 | (u & 63));
    }
  }
  *o = 0;
  return s;
}

/* ---- headers ------------------------------------------------------------ */

static void parse_optional(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  uint8_t tmp[240];
  size_t have, want = sizeof tmp, i;
  tells_rd r;
  /* Windows reads the fields whatever SizeOfOptionalHeader says (tiny and
  ** folded headers overlap them with the section table); read them from
  ** the file, zero past its end. */
  memset(tmp, 0, sizeof tmp);
  have = pe->opt_off < c->file.len ? c->file.len - (size_t)pe->opt_off : 0;
  if (have > want) have = want;
  if (have) memcpy(tmp, tells__pe_ptr(c, pe->opt_off, have), have);
  r = tells_rd_make(tmp, sizeof tmp, pe->opt_off);
  pe->magic = tells_rd_u16le(&r);
  if (pe->magic != 0x10b && pe->magic != 0x20b) {
    tells_anom_add(c->anoms, pe->opt_off, "pe.opt.magic",
                   "optional header magic 0x%x is neither PE32 nor PE32+", pe->magic);
  }
  pe->is64 = pe->magic == 0x20b;
  if (have < (pe->is64 ? 112u : 96u))
    tells_anom_add(c->anoms, pe->opt_off, "pe.opt.truncated",
                   "optional header cut by the end of file (%zu bytes)", have);
  if (pe->size_opt_hdr < (pe->is64 ? 112u : 96u) && pe->size_opt_hdr != 0)
    tells_anom_add(c->anoms, pe->opt_off - 4, "pe.opt.small",
                   "SizeOfOptionalHeader %u is smaller than the fixed fields",
                   pe->size_opt_hdr);
  pe->linker_major = tells_rd_u8(&r);
  pe->linker_minor = tells_rd_u8(&r);
  pe->size_code = tells_rd_u32le(&r);
  pe->size_init = tells_rd_u32le(&r);
  pe->size_uninit = tells_rd_u32le(&r);
  pe->entry_point = tells_rd_u32le(&r);
  pe->base_of_code = tells_rd_u32le(&r);
  if (pe->is64) pe->image_base = tells_rd_u64le(&r);
  else { (void)tells_rd_u32le(&r); pe->image_base = tells_rd_u32le(&r); }
  pe->section_align = tells_rd_u32le(&r);
  pe->file_align = tells_rd_u32le(&r);
  pe->os_major = tells_rd_u16le(&r); pe->os_minor = tells_rd_u16le(&r);
  pe->img_major = tells_rd_u16le(&r); pe->img_minor = tells_rd_u16le(&r);
  pe->subsys_major = tells_rd_u16le(&r); pe->subsys_minor = tells_rd_u16le(&r);
  pe->win32_version = tells_rd_u32le(&r);
  pe->size_image = tells_rd_u32le(&r);
  pe->size_headers = tells_rd_u32le(&r);
  pe->checksum = tells_rd_u32le(&r);
  pe->subsystem = tells_rd_u16le(&r);
  pe->dll_characteristics = tells_rd_u16le(&r);
  if (pe->is64) {
    pe->stack_reserve = tells_rd_u64le(&r); pe->stack_commit = tells_rd_u64le(&r);
    pe->heap_reserve = tells_rd_u64le(&r); pe->heap_commit = tells_rd_u64le(&r);
  } else {
    pe->stack_reserve = tells_rd_u32le(&r); pe->stack_commit = tells_rd_u32le(&r);
    pe->heap_reserve = tells_rd_u32le(&r); pe->heap_commit = tells_rd_u32le(&r);
  }
  pe->loader_flags = tells_rd_u32le(&r);
  pe->n_rva_sizes = tells_rd_u32le(&r);
  if (pe->n_rva_sizes > TELLS_MAX_PE_DATA_DIRS)
    tells_anom_add(c->anoms, pe->opt_off + (pe->is64 ? 108 : 92), "pe.opt.dirs.cap",
                   "NumberOfRvaAndSizes %u, only %d read", pe->n_rva_sizes,
                   TELLS_MAX_PE_DATA_DIRS);
  for (i = 0; i < TELLS_MAX_PE_DATA_DIRS && i < pe->n_rva_sizes; i++) {
    pe->dirs[i].rva = tells_rd_u32le(&r);
    pe->dirs[i].size = tells_rd_u32le(&r);
  }
  if (pe->file_align && (pe->file_align & (pe->file_align - 1)))
    tells_anom_add(c->anoms, pe->opt_off + 36, "pe.opt.file_align",
                   "FileAlignment 0x%x is not a power of two", pe->file_align);
  if (pe->section_align && (pe->section_align & (pe->section_align - 1)))
    tells_anom_add(c->anoms, pe->opt_off + 32, "pe.opt.section_align",
                   "SectionAlignment 0x%x is not a power of two", pe->section_align);
}

static uint32_t align_va(const tells_pe *pe, uint32_t va) {
  uint32_t a = pe->section_align < 0x1000 ? pe->file_align : pe->section_align;
  return a && va % a ? va - va % a : va;
}

static double entropy(const uint8_t *p, size_t n) {
  uint32_t h[4][256];
  size_t i;
  double e = 0;
  if (!n) return 0;
  memset(h, 0, sizeof h);
  for (i = 0; i + 4 <= n; i += 4) {   /* four tables break store dependencies */
    h[0][p[i]]++; h[1][p[i + 1]]++; h[2][p[i + 2]]++; h[3][p[i + 3]]++;
  }
  for (; i < n; i++) h[0][p[i]]++;
  for (i = 0; i < 256; i++) {
    uint64_t k = (uint64_t)h[0][i] + h[1][i] + h[2][i] + h[3][i];
    if (k) { double q = (double)k / (double)n; e -= q * log2(q); }
  }
  return e;
}

static void parse_sections(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  uint64_t off = pe->opt_off + pe->size_opt_hdr;
  size_t n = pe->n_sections_hdr, i;
  tells_rd r;
  if (n > TELLS_MAX_PE_SECTIONS) {
    tells_anom_add(c->anoms, pe->e_lfanew + 6, "pe.sections.cap",
                   "NumberOfSections %zu, only the first %d parsed", n,
                   TELLS_MAX_PE_SECTIONS);
    n = TELLS_MAX_PE_SECTIONS;
  }
  if (!n) return;
  pe->sections = tells__pe_alloc(c, n * sizeof *pe->sections);
  c->map = tells__pe_alloc(c, n * sizeof *c->map);
  if (!pe->sections || !c->map) return;
  r = tells__pe_at(c, off, (uint64_t)n * 40, 1);
  for (i = 0; i < n; i++) {
    tells_pe_section *s = &pe->sections[i];
    const uint8_t *nm;
    size_t k;
    if (tells_rd_left(&r) < 40) {
      tells_anom_add(c->anoms, off + 40 * i, "pe.sections.truncated",
                     "section table cut by the end of file after %zu of %u headers",
                     i, pe->n_sections_hdr);
      break;
    }
    s->hdr_off = tells_rd_pos(&r);
    nm = tells_rd_bytes(&r, 8);
    for (k = 0; k < 8 && nm[k]; k++) s->name[k] = (char)nm[k];
    s->vsize = tells_rd_u32le(&r);
    s->vaddr = tells_rd_u32le(&r);
    s->raw_size = tells_rd_u32le(&r);
    s->raw_off = tells_rd_u32le(&r);
    tells_rd_skip(&r, 12);
    s->characteristics = tells_rd_u32le(&r);
    pe->n_sections = i + 1;
  }
  /* Mapping facts and per-section checks. */
  for (i = 0; i < pe->n_sections; i++) {
    tells_pe_section *s = &pe->sections[i];
    tells__pe_map *m = &c->map[i];
    uint64_t raw = pe->file_align >= 0x200 ? (s->raw_off & ~(uint64_t)0x1ff) : s->raw_off;
    uint64_t size;
    m->va = align_va(pe, s->vaddr);
    m->raw = raw;
    if (raw > c->file.len || s->raw_size > c->file.len - raw) {
      if (s->raw_size)
        tells_anom_add(c->anoms, s->hdr_off + 16, "pe.section.raw_outside",
                       "section %zu raw data [0x%x, +0x%x) ends past the file", i,
                       s->raw_off, s->raw_size);
      size = s->vsize;
    } else size = s->raw_size > s->vsize ? s->raw_size : s->vsize;
    if (i + 1 < pe->n_sections) {
      uint32_t next = pe->sections[i + 1].vaddr;
      if (next > s->vaddr && (uint64_t)m->va + size > next) size = next - m->va;
    }
    m->size = size;
    /* The raw data ends where the header says, even when its start was
    ** rounded down. */
    {
      uint64_t rend = (uint64_t)s->raw_off + s->raw_size;
      if (rend > c->file.len) rend = c->file.len;
      m->rawsz = rend > raw ? rend - raw : 0;
    }
    if (m->rawsz > size) m->rawsz = size;
    if (i && s->vaddr < pe->sections[i - 1].vaddr)
      tells_anom_add(c->anoms, s->hdr_off + 12, "pe.section.order",
                     "section %zu VirtualAddress 0x%x is below the previous one", i,
                     s->vaddr);
    if (raw < c->file.len) {
      uint64_t k = s->raw_size < c->file.len - raw ? s->raw_size : c->file.len - raw;
      const uint8_t *q = tells__pe_ptr(c, raw, k);
      if (q) s->entropy = entropy(q, (size_t)k);
    }
  }
}

/* ---- checksum, overlay -------------------------------------------------- */

static uint32_t pe_checksum(const uint8_t *p, size_t len, uint64_t csum_off) {
  uint64_t sum = 0;
  size_t i, nd = len / 4;
  for (i = 0; i < nd; i++) {
    uint32_t v = tells_ld32le(p + 4 * i);
    uint64_t a = 4 * (uint64_t)i;
    if (a + 4 > csum_off && a < csum_off + 4) {   /* bytes of the CheckSum field count 0 */
      uint8_t b[4]; int k;
      for (k = 0; k < 4; k++) b[k] = (a + k >= csum_off && a + k < csum_off + 4) ? 0 : p[a + k];
      v = tells_ld32le(b);
    }
    sum += v;
  }
  if (len % 4) {
    uint8_t b[4] = {0, 0, 0, 0}; size_t k;
    for (k = 0; k < len % 4; k++) {
      uint64_t a = 4 * (uint64_t)nd + k;
      b[k] = (a >= csum_off && a < csum_off + 4) ? 0 : p[a];
    }
    sum += tells_ld32le(b);
  }
  while (sum >> 32) sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint32_t)((sum & 0xffff) + len);
}

static void find_overlay(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  uint64_t end = 0, len = c->file.len;
  size_t i;
  /* The headers up to the end of the section table are not overlay. */
  end = pe->opt_off + pe->size_opt_hdr + 40 * (uint64_t)pe->n_sections;
  if (end > len) end = 0;
  for (i = 0; i < pe->n_sections; i++) {
    uint64_t e = (uint64_t)pe->sections[i].raw_off + pe->sections[i].raw_size;
    if (e <= len && e > end) end = e;
  }
  for (i = 0; i < TELLS_MAX_PE_DATA_DIRS; i++) {
    uint64_t off, e;
    if (i == TELLS_PE_DIR_SECURITY || !pe->dirs[i].rva) continue;
    if (!tells__pe_rva_to_off(c, pe->dirs[i].rva, &off)) continue;
    e = off + pe->dirs[i].size;
    if (e <= len && e > end) end = e;
  }
  if (end && end < len) { pe->overlay_off = end; pe->overlay_size = len - end; }
}

/* ---- driver ------------------------------------------------------------- */

tells_err tells_pe_parse(const uint8_t *buf, size_t len, tells_arena *arena,
                         tells_anoms *anoms, tells_pe **out) {
  tells__pe_ctx ctx, *c = &ctx;
  tells_pe *pe;
  tells_rd r;
  uint32_t sig;
  *out = NULL;
  if (!len) {
    tells_anom_add(anoms, 0, "pe.empty", "zero-length file");
    return TELLS_EEMPTY;
  }
  memset(c, 0, sizeof *c);
  c->file = tells_rd_make(buf, len, 0);
  c->arena = arena; c->anoms = anoms;
  r = c->file;
  if (tells_rd_u16le(&r) != 0x5a4d) {   /* "MZ" */
    if (r.err) tells_anom_rd(anoms, &r, "pe.dos.truncated", "DOS header");
    else tells_anom_add(anoms, 0, "pe.dos.magic", "no MZ signature");
    return r.err ? TELLS_ETRUNC : TELLS_EUNSUP;
  }
  pe = tells__pe_alloc(c, sizeof *pe);
  if (!pe) return TELLS_ENOMEM;
  c->pe = pe;
  pe->file_size = len;
  tells_rd_seek(&r, 0x3c);
  pe->e_lfanew = tells_rd_u32le(&r);
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(anoms, &r, "pe.dos.truncated", "DOS header (e_lfanew)");
    return TELLS_ETRUNC;
  }
  if (len < 64)
    tells_anom_add(anoms, 0, "pe.dos.short", "file of %zu bytes is shorter than a DOS header", len);
  r = tells__pe_at(c, pe->e_lfanew, 24, 0);
  sig = tells_rd_u32le(&r);
  if (!tells_rd_ok(&r)) {
    tells_anom_add(anoms, pe->e_lfanew, "pe.nt.truncated",
                   "PE signature and COFF header at e_lfanew 0x%x cut by the end of file",
                   pe->e_lfanew);
    return TELLS_ETRUNC;
  }
  if (sig != 0x00004550) {
    tells_anom_add(anoms, pe->e_lfanew, "pe.nt.magic", "no PE signature at 0x%x",
                   pe->e_lfanew);
    return TELLS_EUNSUP;
  }
  pe->machine = tells_rd_u16le(&r);
  pe->n_sections_hdr = tells_rd_u16le(&r);
  pe->timestamp = tells_rd_u32le(&r);
  pe->ptr_symtab = tells_rd_u32le(&r);
  pe->n_symbols = tells_rd_u32le(&r);
  pe->size_opt_hdr = tells_rd_u16le(&r);
  pe->characteristics = tells_rd_u16le(&r);
  pe->opt_off = (uint64_t)pe->e_lfanew + 24;

  parse_optional(c);
  parse_sections(c);
  if (c->nomem) return TELLS_ENOMEM;
  if (pe->entry_point) {
    uint64_t off;
    if (!tells__pe_rva_to_off(c, pe->entry_point, &off))
      tells_anom_add(anoms, pe->opt_off + 16, "pe.entry.unmapped",
                     "AddressOfEntryPoint 0x%x maps to no file offset", pe->entry_point);
  }

  tells__pe_rich(c);
  tells__pe_imports(c);
  tells__pe_delay_imports(c);
  tells__pe_exports(c);
  tells__pe_rsrc(c);
  tells__pe_debug(c);
  tells__pe_tls(c);
  tells__pe_sig(c);
  tells__pe_imphash(c);
  find_overlay(c);
  pe->checksum_computed = pe_checksum(tells__pe_ptr(c, 0, len), len, pe->opt_off + 64);
  if (pe->checksum && pe->checksum != pe->checksum_computed)
    tells_anom_add(anoms, pe->opt_off + 64, "pe.checksum.mismatch",
                   "CheckSum 0x%x, computed 0x%x", pe->checksum, pe->checksum_computed);
  *out = pe;
  if (c->nomem) {
    /* Some part could not be kept: the arena's cap (a hostile file asking
    ** for too much) or the heap.  What was parsed stays usable. */
    int cap = arena->cap && arena->used + (1u << 17) > arena->cap;
    tells_anom_add(anoms, 0, cap ? "pe.arena_limit" : "pe.nomem",
                   "memory for this file exhausted (%zu bytes used), results are partial",
                   arena->used);
    return cap ? TELLS_ELIMIT : TELLS_ENOMEM;
  }
  return TELLS_OK;
}
