/*
** pe_int.h -- objects used internally by the pe_*.c files and not published.
**
** The parse context carries the whole file as one cursor, the caller's arena
** and anomaly list, and per-section mapping facts (VirtualAddress and
** PointerToRawData adjusted the way the Windows loader rounds them) so that
** every structure found by RVA is reached through one mapping function.
*/
#ifndef TELLS_PE_INT_H
#define TELLS_PE_INT_H

#include "pe.h"
#include "pe_limits.h"
#include "rd.h"

typedef struct tells__pe_map {
  uint32_t va;      /* VirtualAddress rounded down to the section alignment */
  uint64_t raw;     /* PointerToRawData rounded down to 512 when FileAlignment >= 512 */
  uint64_t size;    /* mapped extent: max(raw size, virtual size), cut at the next section */
  uint64_t rawsz;   /* bytes of the extent backed by the file; the rest is zero fill */
} tells__pe_map;

typedef struct tells__pe_ctx {
  tells_rd file;          /* the whole evidence file, base 0 */
  tells_arena *arena;
  tells_anoms *anoms;
  tells_pe *pe;
  tells__pe_map *map;     /* arena; one per pe->sections */
  int nomem;              /* an arena allocation failed */
} tells__pe_ctx;

/* Maps an RVA to a file offset, as the loader would place the bytes; 0 on
** failure (the RVA falls in no section and past the file, or in the zero
** fill of a section past its raw data). */
int tells__pe_rva_to_off(const tells__pe_ctx *c, uint32_t rva, uint64_t *off /* OUT */);
/* Same, and *avail gets the bytes from there that the file backs before the
** section's zero fill begins (the loader reads zeros past them). */
int tells__pe_rva_to_off_n(const tells__pe_ctx *c, uint32_t rva, uint64_t *off /* OUT */,
                           uint64_t *avail /* OUT */);

/* A cursor over [off, off+n) of the file (failed with ETRUNC when it does
** not fit); n is clipped to the file when `clip` is set. */
tells_rd tells__pe_at(const tells__pe_ctx *c, uint64_t off, uint64_t n, int clip);

/* Pointer to the n bytes at file offset off, taken through the file
** cursor, or NULL when they do not fit in the file. */
const uint8_t *tells__pe_ptr(const tells__pe_ctx *c, uint64_t off, uint64_t n);

/* Copies the NUL-terminated byte string at file offset off (at most max
** bytes) into the arena.  Returns NULL when off is outside the file; sets
** *trunc when no NUL was found within max bytes or the file. */
const char *tells__pe_cstr(tells__pe_ctx *c, uint64_t off, size_t max, int *trunc);
/* Same, at an RVA. */
const char *tells__pe_cstr_rva(tells__pe_ctx *c, uint32_t rva, size_t max, int *trunc);

/* Converts n UTF-16LE code units at p into an arena UTF-8 string; lone
** surrogates become U+FFFD. */
char *tells__pe_utf16(tells__pe_ctx *c, const uint8_t *p, size_t n);

/* File offset of data directory entry i in the optional header. */
static inline uint64_t tells__pe_dir_off(const tells_pe *pe, int i) {
  return pe->opt_off + (pe->is64 ? 112 : 96) + 8 * (uint64_t)i;
}

void *tells__pe_alloc(tells__pe_ctx *c, size_t n);   /* zeroed, counts ENOMEM */

/* The parts, each in its own file. */
void tells__pe_imports(tells__pe_ctx *c);      /* pe_imports.c */
void tells__pe_delay_imports(tells__pe_ctx *c);
void tells__pe_exports(tells__pe_ctx *c);
void tells__pe_imphash(tells__pe_ctx *c);
void tells__pe_rsrc(tells__pe_ctx *c);         /* pe_rsrc.c */
void tells__pe_rich(tells__pe_ctx *c);         /* pe_rich.c */
void tells__pe_sig(tells__pe_ctx *c);          /* pe_sig.c */
void tells__pe_debug(tells__pe_ctx *c);        /* pe_dbg.c */
void tells__pe_tls(tells__pe_ctx *c);

/* Name of an ordinal import from ws2_32/wsock32/oleaut32 (dll lowercased), or NULL. */
const char *tells__pe_ordname(const char *dll, uint32_t ord);     /* pe_ordnames.c */

#endif /* TELLS_PE_INT_H */
