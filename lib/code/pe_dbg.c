/*
** pe_dbg.c -- the debug directory (CodeView PDB path, POGO, REPRO) and the
** TLS directory with its callbacks.
**
** IMAGE_DEBUG_DIRECTORY (PE/COFF spec 6.1.1), 28 bytes per entry:
**   OFFSET  SIZE  DESCRIPTION
**   0       4     Characteristics
**   4       4     TimeDateStamp
**   8       2+2   MajorVersion, MinorVersion
**   12      4     Type (2 CODEVIEW, 13 POGO, 16 REPRO, ...)
**   16      4     SizeOfData
**   20      4     AddressOfRawData (RVA)
**   24      4     PointerToRawData (file offset)
**
** CodeView RSDS record (PDB 7.0):
**   OFFSET  SIZE  DESCRIPTION
**   0       4     "RSDS"
**   4       16    GUID (Data1 u32, Data2 u16, Data3 u16, Data4 8 bytes)
**   20      4     Age
**   24      ..    PDB path, NUL-terminated (UTF-8)
** CodeView NB10 record (PDB 2.0): "NB10", offset u32, signature u32
** (a timestamp), age u32, then the path.
**
** IMAGE_TLS_DIRECTORY (spec 6.7.1); PE32 4-byte / PE32+ 8-byte fields:
**   OFFSET    SIZE  DESCRIPTION
**   0         4/8   StartAddressOfRawData (VA)
**   4 / 8     4/8   EndAddressOfRawData (VA)
**   8 / 16    4/8   AddressOfIndex (VA)
**   12 / 24   4/8   AddressOfCallBacks (VA of a 0-terminated VA array)
**   16 / 32   4     SizeOfZeroFill
**   20 / 36   4     Characteristics
*/
#include <stdio.h>
#include <string.h>
#include "pe_int.h"

static void codeview(tells__pe_ctx *c, const tells_pe_debug *d, uint64_t ent_off) {
  tells_pe *pe = c->pe;
  uint64_t off = d->raw_ptr;
  tells_rd r;
  uint32_t sig;
  if (!off || off >= c->file.len) {
    if (!d->rva || !tells__pe_rva_to_off(c, d->rva, &off)) {
      tells_anom_add(c->anoms, ent_off + 20, "pe.debug.codeview_unmapped",
                     "CodeView record (ptr 0x%x, rva 0x%x) is outside the file",
                     d->raw_ptr, d->rva);
      return;
    }
  }
  r = tells__pe_at(c, off, d->size, 1);
  sig = tells_rd_u32le(&r);
  if (sig == 0x53445352) {   /* "RSDS" */
    const uint8_t *g = tells_rd_bytes(&r, 16);
    uint32_t age = tells_rd_u32le(&r);
    size_t left;
    const uint8_t *z, *q;
    if (!tells_rd_ok(&r)) {
      tells_anom_rd(c->anoms, &r, "pe.debug.codeview_truncated", "RSDS record");
      return;
    }
    snprintf(pe->pdb_guid, sizeof pe->pdb_guid,
             "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", tells_ld32le(g),
             tells_ld16le(g + 4), tells_ld16le(g + 6), g[8], g[9], g[10], g[11], g[12],
             g[13], g[14], g[15]);
    pe->pdb_age = age;
    left = tells_rd_left(&r);
    if (left > TELLS_MAX_PE_NAME) left = TELLS_MAX_PE_NAME;
    q = tells_rd_bytes(&r, left);
    z = q ? memchr(q, 0, left) : NULL;
    if (!z) tells_anom_add(c->anoms, tells_rd_pos(&r), "pe.debug.pdb_unterminated",
                           "PDB path not NUL-terminated within the record");
    if (q) pe->pdb_path = tells_arena_strndup(c->arena, (const char *)q,
                                              z ? (size_t)(z - q) : left);
  } else if (sig == 0x3031424e) {   /* "NB10" */
    uint32_t ts, age;
    size_t left;
    const uint8_t *z, *q;
    (void)tells_rd_u32le(&r);
    ts = tells_rd_u32le(&r);
    age = tells_rd_u32le(&r);
    if (!tells_rd_ok(&r)) {
      tells_anom_rd(c->anoms, &r, "pe.debug.codeview_truncated", "NB10 record");
      return;
    }
    snprintf(pe->pdb_guid, sizeof pe->pdb_guid, "%08X", ts);
    pe->pdb_age = age;
    left = tells_rd_left(&r);
    if (left > TELLS_MAX_PE_NAME) left = TELLS_MAX_PE_NAME;
    q = tells_rd_bytes(&r, left);
    z = q ? memchr(q, 0, left) : NULL;
    if (q) pe->pdb_path = tells_arena_strndup(c->arena, (const char *)q,
                                              z ? (size_t)(z - q) : left);
  } else if (tells_rd_ok(&r)) {
    tells_anom_add(c->anoms, off, "pe.debug.codeview_unknown",
                   "CodeView record with unknown signature 0x%08x", sig);
  }
}

void tells__pe_debug(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_DEBUG];
  uint64_t off;
  size_t n, i;
  tells_rd r;
  if (!d.rva || !d.size) return;
  if (!tells__pe_rva_to_off(c, d.rva, &off)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_DEBUG), "pe.debug.unmapped",
                   "debug directory RVA 0x%x maps to no file offset", d.rva);
    return;
  }
  n = d.size / 28;
  if (d.size % 28)
    tells_anom_add(c->anoms, off, "pe.debug.size", "debug directory size %u is not a multiple of 28",
                   d.size);
  if (n > TELLS_MAX_PE_DEBUG_ENTRIES) {
    tells_anom_add(c->anoms, off, "pe.debug.cap", "%zu debug entries, only %d read", n,
                   TELLS_MAX_PE_DEBUG_ENTRIES);
    n = TELLS_MAX_PE_DEBUG_ENTRIES;
  }
  if (!n) return;
  pe->debug = tells__pe_alloc(c, n * sizeof *pe->debug);
  if (!pe->debug) return;
  r = tells__pe_at(c, off, (uint64_t)n * 28, 1);
  for (i = 0; i < n; i++) {
    tells_pe_debug *e = &pe->debug[i];
    (void)tells_rd_u32le(&r);
    e->timestamp = tells_rd_u32le(&r);
    e->major = tells_rd_u16le(&r);
    e->minor = tells_rd_u16le(&r);
    e->type = tells_rd_u32le(&r);
    e->size = tells_rd_u32le(&r);
    e->rva = tells_rd_u32le(&r);
    e->raw_ptr = tells_rd_u32le(&r);
    if (!tells_rd_ok(&r)) {
      tells_anom_rd(c->anoms, &r, "pe.debug.truncated", "debug directory");
      break;
    }
    pe->n_debug = i + 1;
    if (e->type == 2 && !pe->pdb_path && !pe->pdb_guid[0]) codeview(c, e, off + 28 * i);
    else if (e->type == 13) pe->has_pogo = 1;
    else if (e->type == 16) pe->has_repro = 1;
  }
}

void tells__pe_tls(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_TLS];
  uint64_t off, cb, cboff, v;
  size_t w = pe->is64 ? 8 : 4, n = 0;
  tells_rd r;
  if (!d.rva) return;
  if (!tells__pe_rva_to_off(c, d.rva, &off)) {
    tells_anom_add(c->anoms, tells__pe_dir_off(pe, TELLS_PE_DIR_TLS), "pe.tls.unmapped",
                   "TLS directory RVA 0x%x maps to no file offset", d.rva);
    return;
  }
  r = tells__pe_at(c, off, 4 * w, 1);
  tells_rd_skip(&r, 3 * w);
  cb = pe->is64 ? tells_rd_u64le(&r) : tells_rd_u32le(&r);
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(c->anoms, &r, "pe.tls.truncated", "TLS directory");
    return;
  }
  pe->has_tls = 1;
  if (!cb) return;
  if (cb < pe->image_base || cb - pe->image_base > 0xffffffffu ||
      !tells__pe_rva_to_off(c, (uint32_t)(cb - pe->image_base), &cboff)) {
    tells_anom_add(c->anoms, off + 3 * w, "pe.tls.callbacks_unmapped",
                   "AddressOfCallBacks 0x%llx maps to no file offset", (unsigned long long)cb);
    return;
  }
  r = tells__pe_at(c, cboff, (uint64_t)(TELLS_MAX_PE_TLS_CALLBACKS + 1) * w, 1);
  for (;;) {   /* count, then copy */
    v = pe->is64 ? tells_rd_u64le(&r) : tells_rd_u32le(&r);
    if (!tells_rd_ok(&r) || !v) break;
    if (n == TELLS_MAX_PE_TLS_CALLBACKS) {
      tells_anom_add(c->anoms, cboff, "pe.tls.cap", "more than %d TLS callbacks",
                     TELLS_MAX_PE_TLS_CALLBACKS);
      break;
    }
    n++;
  }
  if (!tells_rd_ok(&r))
    tells_anom_add(c->anoms, cboff, "pe.tls.callbacks_truncated",
                   "TLS callback array runs past the end of file");
  if (!n) return;
  pe->tls_callbacks = tells__pe_alloc(c, n * sizeof *pe->tls_callbacks);
  if (!pe->tls_callbacks) return;
  r = tells__pe_at(c, cboff, (uint64_t)n * w, 0);
  for (pe->n_tls_callbacks = 0; pe->n_tls_callbacks < n; pe->n_tls_callbacks++)
    pe->tls_callbacks[pe->n_tls_callbacks] = pe->is64 ? tells_rd_u64le(&r) : tells_rd_u32le(&r);
}
