/*
** pe_imports.c -- import, delay-load import and export tables, and imphash.
**
** IMAGE_IMPORT_DESCRIPTOR (PE/COFF spec 6.4.1), 20 bytes, a table ended by
** an all-zero descriptor:
**   OFFSET  SIZE  DESCRIPTION
**   0       4     OriginalFirstThunk, RVA of the import lookup table (ILT)
**   4       4     TimeDateStamp (-1 when bound)
**   8       4     ForwarderChain
**   12      4     Name, RVA of the ASCII DLL name
**   16      4     FirstThunk, RVA of the import address table (IAT)
** ILT/IAT entries are 4 bytes (PE32) or 8 (PE32+), ended by 0.  The top bit
** set means import by ordinal (low 16 bits); otherwise the low 31 bits are
** the RVA of a hint/name entry: 2-byte hint, then the ASCII name.
**
** Delay-load descriptor (spec 5.8.1), 32 bytes, ended by all zero:
**   OFFSET  SIZE  DESCRIPTION
**   0       4     Attributes (bit 0 set: fields are RVAs; clear: VAs)
**   4       4     Name (DLL name)
**   8       4     ModuleHandle
**   12      4     DelayImportAddressTable
**   16      4     DelayImportNameTable (entries as in the ILT)
**   20      4     BoundDelayImportTable
**   24      4     UnloadDelayImportTable
**   28      4     TimeStamp
**
** IMAGE_EXPORT_DIRECTORY (spec 6.3.1), 40 bytes:
**   OFFSET  SIZE  DESCRIPTION
**   0       4     Characteristics
**   4       4     TimeDateStamp
**   8       2+2   MajorVersion, MinorVersion
**   12      4     Name (RVA of the DLL name)
**   16      4     Base (ordinal of the first address-table entry)
**   20      4     NumberOfFunctions (address table entries)
**   24      4     NumberOfNames
**   28      4     AddressOfFunctions (RVA, 4 bytes per entry)
**   32      4     AddressOfNames (RVA, 4-byte name RVAs)
**   36      4     AddressOfNameOrdinals (RVA, 2-byte address-table indexes)
** An address inside the export directory's own range is a forwarder string
** "DLL.Function" rather than code.
**
** imphash is pefile's get_imphash(): for each import (not delay-load) in
** file order, "<dll>.<func>" with the DLL name lowercased and its extension
** dropped when it is dll, ocx or sys, the function name lowercased, and an
** ordinal import named through pe_ordnames.c or as "ord<N>"; joined by ","
** and hashed with MD5.  Malformed tables are filtered the way pefile
** filters them (see pefile_keeps below), so damaged files hash alike too.
*/
#include <ctype.h>
#include <string.h>
#include "buf.h"
#include "hash.h"
#include "pe_int.h"

/* Reads one thunk table (ILT or IAT) at rva into fns; returns the count. */
static size_t read_thunks(tells__pe_ctx *c, uint32_t rva, int va_base,
                          tells_pe_import_fn **out, size_t budget,
                          const char *what, uint64_t ref, int *bad) {
  tells_pe *pe = c->pe;
  uint64_t off, avail;
  size_t w = pe->is64 ? 8 : 4, n = 0, i;
  tells_pe_import_fn *v;
  tells_rd r;
  *out = NULL;
  if (!tells__pe_rva_to_off_n(c, rva, &off, &avail)) {
    tells_anom_add(c->anoms, ref, "pe.imports.thunks_unmapped",
                   "%s thunk table RVA 0x%x maps to no file offset", what, rva);
    return 0;
  }
  /* The table ends at the section's zero fill at the latest, as in memory. */
  r = tells__pe_at(c, off, avail, 1);
  /* Count first, so one arena array holds them all. */
  for (;;) {
    uint64_t t = pe->is64 ? tells_rd_u64le(&r) : tells_rd_u32le(&r);
    if (!tells_rd_ok(&r)) {
      if (off + avail >= c->file.len)
        tells_anom_rd(c->anoms, &r, "pe.imports.thunks_truncated", what);
      break;
    }
    if (!t) break;
    if (n == budget) {
      tells_anom_add(c->anoms, tells_rd_pos(&r) - w, "pe.imports.cap",
                     "more than %d imported functions, the rest ignored",
                     TELLS_MAX_PE_IMPORT_FUNCS);
      break;
    }
    n++;
  }
  if (!n) return 0;
  v = tells__pe_alloc(c, n * sizeof *v);
  if (!v) return 0;
  r = tells__pe_at(c, off, (uint64_t)n * w, 0);
  for (i = 0; i < n; i++) {
    uint64_t t = pe->is64 ? tells_rd_u64le(&r) : tells_rd_u32le(&r);
    uint64_t flag = pe->is64 ? (uint64_t)1 << 63 : (uint64_t)1 << 31;
    if (t & flag) {
      v[i].ordinal = (uint32_t)(t & 0xffff);
      if ((t & ~flag) >> 16) {   /* bits between the ordinal and the flag */
        tells_anom_add(c->anoms, off + i * w, "pe.imports.bad_ordinal_thunk",
                       "%s: ordinal thunk 0x%llx has bits set above the ordinal", what,
                       (unsigned long long)t);
        if (bad) *bad = 1;
      }
    } else {
      uint32_t nrva = (uint32_t)(t & 0x7fffffff);
      uint64_t hoff;
      const uint8_t *h;
      int trunc = 0;
      if (va_base && nrva >= pe->image_base && pe->image_base < 0x80000000u)
        nrva -= (uint32_t)pe->image_base;
      if (tells__pe_rva_to_off(c, nrva, &hoff) && (h = tells__pe_ptr(c, hoff, 2)) != NULL) {
        v[i].hint = tells_ld16le(h);
        v[i].name = tells__pe_cstr(c, hoff + 2, TELLS_MAX_PE_NAME, &trunc);
      }
      if (c->nomem) { n = i; break; }   /* arena exhausted: keep what fits */
      if (!v[i].name) {
        tells_anom_add(c->anoms, off + i * w, "pe.imports.name_unmapped",
                       "%s: hint/name RVA 0x%x maps to no file offset", what, nrva);
        v[i].name = "*invalid*";
      } else if (trunc)
        tells_anom_add(c->anoms, hoff + 2, "pe.imports.name_unterminated",
                       "%s: import name not terminated", what);
    }
  }
  *out = v;
  return n;
}

static void lower_ascii(char *s) {
  for (; *s; s++) if (*s >= 'A' && *s <= 'Z') *s = (char)(*s + 32);
}

void tells__pe_imports(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_IMPORT];
  uint64_t off;
  size_t n = 0, i, budget = TELLS_MAX_PE_IMPORT_FUNCS;
  tells_rd r;
  if (!d.rva) return;
  if (!tells__pe_rva_to_off(c, d.rva, &off)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_IMPORT), "pe.imports.unmapped",
                   "import directory RVA 0x%x maps to no file offset", d.rva);
    return;
  }
  /* Count descriptors up to the zero one. */
  r = tells__pe_at(c, off, c->file.len - off, 1);
  for (;;) {
    const uint8_t *p = tells_rd_bytes(&r, 20);
    static const uint8_t zero[20];
    if (!p) {
      tells_anom_add(c->anoms, tells_rd_pos(&r), "pe.imports.truncated",
                     "import descriptors run past the end of file");
      break;
    }
    if (!memcmp(p, zero, 20)) break;
    if (n == TELLS_MAX_PE_IMPORT_DLLS) {
      tells_anom_add(c->anoms, tells_rd_pos(&r) - 20, "pe.imports.dll_cap",
                     "more than %d import descriptors", TELLS_MAX_PE_IMPORT_DLLS);
      break;
    }
    n++;
  }
  if (!n) return;
  pe->imports = tells__pe_alloc(c, n * sizeof *pe->imports);
  if (!pe->imports) return;
  r = tells__pe_at(c, off, (uint64_t)n * 20, 0);
  for (i = 0; i < n; i++) {
    tells_pe_import *imp = &pe->imports[i];
    uint32_t oft = tells_rd_u32le(&r), name, ft;
    int trunc, bad = 0;
    imp->timestamp = tells_rd_u32le(&r);
    (void)tells_rd_u32le(&r);
    name = tells_rd_u32le(&r);
    ft = tells_rd_u32le(&r);
    imp->dll = tells__pe_cstr_rva(c, name, TELLS_MAX_PE_NAME, &trunc);
    if (!imp->dll) {
      tells_anom_add(c->anoms, off + 20 * i + 12, "pe.imports.dll_unmapped",
                     "import DLL name RVA 0x%x maps to no file offset", name);
      imp->dll = "";
    }
    imp->n_fns = 0;
    if (oft)
      imp->n_fns = read_thunks(c, oft, 0, &imp->fns, budget, "import lookup table",
                               off + 20 * i, &bad);
    /* An empty or malformed lookup table: take the address table, as the
    ** file on disk holds the same entries there (pefile does the same). */
    if ((!imp->n_fns || bad) && ft && ft != oft && !c->nomem) {
      tells_pe_import_fn *fns2;
      size_t n2 = read_thunks(c, ft, 0, &fns2, budget, "import address table",
                              off + 20 * i + 16, NULL);
      if (n2 || !imp->n_fns) { imp->fns = fns2; imp->n_fns = n2; }
    }
    budget -= imp->n_fns;
    pe->n_imports = i + 1;
    if (!budget || c->nomem) break;
  }
}

void tells__pe_delay_imports(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_DELAY_IMPORT];
  uint64_t off;
  size_t n = 0, i, budget = TELLS_MAX_PE_IMPORT_FUNCS;
  tells_rd r;
  if (!d.rva) return;
  if (!tells__pe_rva_to_off(c, d.rva, &off)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_DELAY_IMPORT), "pe.delay.unmapped",
                   "delay-import directory RVA 0x%x maps to no file offset", d.rva);
    return;
  }
  r = tells__pe_at(c, off, c->file.len - off, 1);
  for (;;) {
    const uint8_t *p = tells_rd_bytes(&r, 32);
    static const uint8_t zero[32];
    if (!p) {
      tells_anom_add(c->anoms, tells_rd_pos(&r), "pe.delay.truncated",
                     "delay-import descriptors run past the end of file");
      break;
    }
    if (!memcmp(p, zero, 32)) break;
    if (n == TELLS_MAX_PE_IMPORT_DLLS) {
      tells_anom_add(c->anoms, tells_rd_pos(&r) - 32, "pe.delay.dll_cap",
                     "more than %d delay-import descriptors", TELLS_MAX_PE_IMPORT_DLLS);
      break;
    }
    n++;
  }
  if (!n) return;
  pe->delay_imports = tells__pe_alloc(c, n * sizeof *pe->delay_imports);
  if (!pe->delay_imports) return;
  r = tells__pe_at(c, off, (uint64_t)n * 32, 0);
  for (i = 0; i < n; i++) {
    tells_pe_import *imp = &pe->delay_imports[i];
    uint32_t attr = tells_rd_u32le(&r), name, iat, int_;
    int va = !(attr & 1), trunc;
    name = tells_rd_u32le(&r);
    (void)tells_rd_u32le(&r);
    iat = tells_rd_u32le(&r);
    int_ = tells_rd_u32le(&r);
    tells_rd_skip(&r, 8);
    imp->timestamp = tells_rd_u32le(&r);
    if (va && pe->image_base < 0x100000000ull) {  /* old style: VAs */
      uint32_t ib = (uint32_t)pe->image_base;
      if (name >= ib) name -= ib;
      if (iat >= ib) iat -= ib;
      if (int_ >= ib) int_ -= ib;
    }
    imp->dll = tells__pe_cstr_rva(c, name, TELLS_MAX_PE_NAME, &trunc);
    if (!imp->dll) {
      tells_anom_add(c->anoms, off + 32 * i + 4, "pe.delay.dll_unmapped",
                     "delay-import DLL name RVA 0x%x maps to no file offset", name);
      imp->dll = "";
    }
    if (int_) imp->n_fns = read_thunks(c, int_, va, &imp->fns, budget, "delay-import name table",
                                        off + 32 * i + 16, NULL);
    (void)iat;
    budget -= imp->n_fns;
    pe->n_delay_imports = i + 1;
    if (!budget || c->nomem) break;
  }
}

void tells__pe_exports(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_EXPORT];
  uint64_t off, foff = 0, noff = 0, ooff = 0;
  uint32_t name, base, nfuncs, nnames, afuncs, anames, aords, i;
  const char **names;
  tells_rd r;
  int have_names;
  if (!d.rva) return;
  if (!tells__pe_rva_to_off(c, d.rva, &off)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_EXPORT), "pe.exports.unmapped",
                   "export directory RVA 0x%x maps to no file offset", d.rva);
    return;
  }
  r = tells__pe_at(c, off, 40, 0);
  (void)tells_rd_u32le(&r);
  pe->export_timestamp = tells_rd_u32le(&r);
  tells_rd_skip(&r, 4);
  name = tells_rd_u32le(&r);
  base = tells_rd_u32le(&r);
  nfuncs = tells_rd_u32le(&r);
  nnames = tells_rd_u32le(&r);
  afuncs = tells_rd_u32le(&r);
  anames = tells_rd_u32le(&r);
  aords = tells_rd_u32le(&r);
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(c->anoms, &r, "pe.exports.truncated", "export directory");
    return;
  }
  pe->has_exports = 1;
  pe->export_dll = tells__pe_cstr_rva(c, name, TELLS_MAX_PE_NAME, NULL);
  if (nfuncs > TELLS_MAX_PE_EXPORTS) {
    tells_anom_add(c->anoms, off + 20, "pe.exports.cap",
                   "NumberOfFunctions %u, only %d read", nfuncs, TELLS_MAX_PE_EXPORTS);
    nfuncs = TELLS_MAX_PE_EXPORTS;
  }
  if (nnames > TELLS_MAX_PE_EXPORTS) {
    tells_anom_add(c->anoms, off + 24, "pe.exports.names_cap",
                   "NumberOfNames %u, only %d read", nnames, TELLS_MAX_PE_EXPORTS);
    nnames = TELLS_MAX_PE_EXPORTS;
  }
  if (!nfuncs) return;
  if (!tells__pe_rva_to_off(c, afuncs, &foff) ||
      !tells_fits(c->file.len, foff, (uint64_t)nfuncs * 4)) {
    tells_anom_add(c->anoms, off + 28, "pe.exports.functions_outside",
                   "export address table (RVA 0x%x, %u entries) is outside the file",
                   afuncs, nfuncs);
    if (foff < c->file.len && tells__pe_rva_to_off(c, afuncs, &foff))
      nfuncs = (uint32_t)((c->file.len - foff) / 4);
    else return;
    if (!nfuncs) return;
  }
  names = tells__pe_alloc(c, (size_t)nfuncs * sizeof *names);
  if (!names) return;
  have_names = nnames && tells__pe_rva_to_off(c, anames, &noff) &&
               tells__pe_rva_to_off(c, aords, &ooff);
  if (nnames && !have_names)
    tells_anom_add(c->anoms, off + 32, "pe.exports.names_unmapped",
                   "export name tables map to no file offset");
  if (have_names) {
    tells_rd rn = tells__pe_at(c, noff, (uint64_t)nnames * 4, 1);
    tells_rd ro = tells__pe_at(c, ooff, (uint64_t)nnames * 2, 1);
    for (i = 0; i < nnames; i++) {
      uint32_t nrva = tells_rd_u32le(&rn);
      uint16_t idx = tells_rd_u16le(&ro);
      if (!tells_rd_ok(&rn) || !tells_rd_ok(&ro)) {
        tells_anom_add(c->anoms, noff + 4 * (uint64_t)i, "pe.exports.names_truncated",
                       "export name tables cut after %u of %u names", i, nnames);
        break;
      }
      if (idx >= nfuncs) {
        tells_anom_add(c->anoms, ooff + 2 * (uint64_t)i, "pe.exports.bad_ordinal",
                       "export name %u points at function index %u of %u", i, idx, nfuncs);
        continue;
      }
      if (!names[idx]) names[idx] = tells__pe_cstr_rva(c, nrva, TELLS_MAX_PE_NAME, NULL);
    }
  }
  {
    size_t k = 0;
    tells_rd rf = tells__pe_at(c, foff, (uint64_t)nfuncs * 4, 0);
    for (i = 0; i < nfuncs; i++) {
      uint32_t a = tells_rd_u32le(&rf);
      if (a || names[i]) k++;
    }
    pe->exports = tells__pe_alloc(c, (k ? k : 1) * sizeof *pe->exports);
    if (!pe->exports) return;
    rf = tells__pe_at(c, foff, (uint64_t)nfuncs * 4, 0);
    for (i = 0; i < nfuncs; i++) {
      uint32_t a = tells_rd_u32le(&rf);
      tells_pe_export *e;
      if (!a && !names[i]) continue;
      e = &pe->exports[pe->n_exports++];
      e->name = names[i];
      e->ordinal = base + i;
      e->rva = a;
      if (a >= d.rva && a - d.rva < d.size)
        e->forwarder = tells__pe_cstr_rva(c, a, TELLS_MAX_PE_NAME, NULL);
    }
  }
}

/* pefile keeps an imported name only when it is made of letters, digits
** and "._?@$()<>", and a DLL name only when it is made of letters, digits,
** "!#$%&'()-@^_`{}~+,.;=[]" and path separators; other names count as
** "*invalid*" (and invalid function names are dropped). */
static int pefile_fn_ok(const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (!isalnum(ch) && !strchr("._?@$()<>", ch)) return 0;
  }
  return 1;
}

static int pefile_dll_ok(const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (!isalnum(ch) && !strchr("!#$%&'()-@^_`{}~+,.;=[]\\/", ch)) return 0;
  }
  return 1;
}

/* Whether pefile lists this thunk: an ordinal other than 0, or a valid,
** non-empty name. */
static int pefile_keeps(const tells_pe_import_fn *f) {
  if (!f->name) return f->ordinal != 0;
  return f->name[0] && pefile_fn_ok(f->name);
}

void tells__pe_imphash(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_buf b;
  size_t i, k, errors = 0;
  char lib[TELLS_MAX_PE_NAME + 1], full[TELLS_MAX_PE_NAME + 1], num[24];
  if (!pe->n_imports) return;
  tells_buf_init(&b, 64u << 20);
  for (i = 0; i < pe->n_imports; i++) {
    const tells_pe_import *imp = &pe->imports[i];
    char *dot;
    size_t kept = 0;
    for (k = 0; k < imp->n_fns; k++) kept += pefile_keeps(&imp->fns[k]);
    /* As pefile: a descriptor with nothing kept is an error; after six of
    ** them the rest of the table is ignored. */
    if (errors > 5) break;
    if (!kept) { errors++; continue; }
    if (!imp->dll[0]) continue;
    snprintf(full, sizeof full, "%s", pefile_dll_ok(imp->dll) ? imp->dll : "*invalid*");
    lower_ascii(full);
    memcpy(lib, full, sizeof lib);
    dot = strrchr(lib, '.');
    if (dot && (!strcmp(dot, ".dll") || !strcmp(dot, ".ocx") || !strcmp(dot, ".sys")))
      *dot = 0;
    for (k = 0; k < imp->n_fns; k++) {
      const tells_pe_import_fn *f = &imp->fns[k];
      const char *fn = f->name;
      size_t at;
      if (!pefile_keeps(f)) continue;
      if (!fn) fn = tells__pe_ordname(full, f->ordinal);
      if (!fn) { snprintf(num, sizeof num, "ord%u", f->ordinal); fn = num; }
      if (b.n) tells_buf_addc(&b, ',');
      tells_buf_adds(&b, lib);
      tells_buf_addc(&b, '.');
      at = b.n;
      tells_buf_adds(&b, fn);
      if (!b.err) lower_ascii(b.p + at);
    }
  }
  if (!b.err && b.n) (void)tells_md5_hex(b.p, b.n, pe->imphash);
  tells_buf_free(&b);
}
