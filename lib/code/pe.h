/*
** pe.h -- the PE/COFF parser of the code pillar (PE32 and PE32+).
**
** tells_pe_parse() reads a Portable Executable from a buffer and returns a
** tells_pe whose every field comes from the caller's arena: headers,
** sections with entropy, data directories, imports (by name, by ordinal,
** delay-load), exports, the resource tree, version info, the Rich header,
** the debug directory, TLS callbacks, the overlay, the Authenticode
** signature and the PE checksum, plus imphash and Rich hash.  Every read
** goes through a tells_rd; every malformation is an anomaly with its file
** offset, and parsing goes on where that is safe.
**
** Layout on disk (Microsoft PE/COFF specification, "PE Format"):
**
**   OFFSET            SIZE  DESCRIPTION
**   0                 64    IMAGE_DOS_HEADER, "MZ" at 0, e_lfanew at 0x3c
**   64                ..    DOS stub; the Rich header ("DanS".."Rich") ends it
**   e_lfanew          4     "PE\0\0"
**   e_lfanew+4        20    COFF file header (IMAGE_FILE_HEADER)
**   e_lfanew+24       n     optional header, n = SizeOfOptionalHeader
**                           (magic 0x10b PE32, 0x20b PE32+), ending with
**                           NumberOfRvaAndSizes data directories of 8 bytes
**   e_lfanew+24+n     40*k  section table, k = NumberOfSections
**   ..                      section raw data, then possibly the overlay
**
** The COFF header, optional header and section header fields are laid out
** in pe.c; the other structures in the file that parses them.
*/
#ifndef TELLS_PE_H
#define TELLS_PE_H

#include <stddef.h>
#include <stdint.h>
/* Relative paths, so that fuzz/ can include this header without lib/base
** on its include path. */
#include "../base/anom.h"
#include "../base/arena.h"
#include "../base/json.h"
#include "tells.h"

/* Data directory indices (PE/COFF spec, "Optional Header Data Directories"). */
enum {
  TELLS_PE_DIR_EXPORT = 0, TELLS_PE_DIR_IMPORT = 1, TELLS_PE_DIR_RESOURCE = 2,
  TELLS_PE_DIR_EXCEPTION = 3, TELLS_PE_DIR_SECURITY = 4, TELLS_PE_DIR_BASERELOC = 5,
  TELLS_PE_DIR_DEBUG = 6, TELLS_PE_DIR_ARCH = 7, TELLS_PE_DIR_GLOBALPTR = 8,
  TELLS_PE_DIR_TLS = 9, TELLS_PE_DIR_LOAD_CONFIG = 10, TELLS_PE_DIR_BOUND_IMPORT = 11,
  TELLS_PE_DIR_IAT = 12, TELLS_PE_DIR_DELAY_IMPORT = 13, TELLS_PE_DIR_CLR = 14
};

typedef struct tells_pe_dir { uint32_t rva, size; } tells_pe_dir;

typedef struct tells_pe_section {
  char name[9];            /* the 8 raw name bytes up to the first NUL */
  uint32_t vaddr, vsize;   /* VirtualAddress, VirtualSize */
  uint32_t raw_off, raw_size; /* PointerToRawData, SizeOfRawData */
  uint32_t characteristics;
  uint64_t hdr_off;        /* file offset of the 40-byte section header */
  double entropy;          /* Shannon entropy of the raw bytes in the file, bits/byte */
} tells_pe_section;

typedef struct tells_pe_import_fn {
  const char *name;        /* arena; NULL when imported by ordinal */
  uint32_t ordinal;        /* valid when name is NULL */
  uint16_t hint;           /* valid when name is not NULL */
} tells_pe_import_fn;

typedef struct tells_pe_import {
  const char *dll;         /* arena; never NULL ("" when unreadable) */
  tells_pe_import_fn *fns; /* arena array of n_fns */
  size_t n_fns;
  uint32_t timestamp;      /* TimeDateStamp of the descriptor */
} tells_pe_import;

typedef struct tells_pe_export {
  const char *name;        /* arena; NULL for exports by ordinal only */
  const char *forwarder;   /* arena; "DLL.Func" when forwarded, else NULL */
  uint32_t ordinal, rva;
} tells_pe_export;

typedef struct tells_pe_rsrc {
  uint32_t type_id;  const char *type_name;  /* name NULL when by id */
  uint32_t name_id;  const char *name;
  uint32_t lang;                             /* LANGID, e.g. 0x412 Korean */
  uint32_t data_rva, size, codepage;
  uint64_t off;            /* file offset of the data, 0 when unmapped */
} tells_pe_rsrc;

typedef struct tells_pe_kv { const char *key, *value; } tells_pe_kv;

typedef struct tells_pe_rich_entry {
  uint16_t prodid, build;
  uint32_t count;
} tells_pe_rich_entry;

typedef struct tells_pe_debug {
  uint32_t type, timestamp, size, rva, raw_ptr;
  uint16_t major, minor;
} tells_pe_debug;

typedef struct tells_pe_cert {
  uint64_t off;            /* file offset of the WIN_CERTIFICATE */
  uint32_t length;
  uint16_t revision, type;
  const char *subject, *issuer; /* arena; signer, NULL when not decoded */
} tells_pe_cert;

/* What a parse found.  Every pointer is owned by the arena given to
** tells_pe_parse(); arrays come with their counts. */
typedef struct tells_pe {
  uint64_t file_size;

  /* DOS and COFF headers */
  uint32_t e_lfanew;
  uint16_t machine, n_sections_hdr, size_opt_hdr, characteristics;
  uint32_t timestamp, ptr_symtab, n_symbols;

  /* Optional header */
  uint16_t magic;          /* as stored: 0x10b PE32, 0x20b PE32+ (else anomaly) */
  int is64;
  uint8_t linker_major, linker_minor;
  uint32_t size_code, size_init, size_uninit, entry_point, base_of_code;
  uint64_t image_base;
  uint32_t section_align, file_align;
  uint16_t os_major, os_minor, img_major, img_minor, subsys_major, subsys_minor;
  uint32_t win32_version, size_image, size_headers, checksum;
  uint16_t subsystem, dll_characteristics;
  uint64_t stack_reserve, stack_commit, heap_reserve, heap_commit;
  uint32_t loader_flags, n_rva_sizes;
  tells_pe_dir dirs[16];   /* zero beyond n_rva_sizes */
  uint64_t opt_off;        /* file offset of the optional header */

  tells_pe_section *sections; size_t n_sections;

  tells_pe_import *imports;  size_t n_imports;
  tells_pe_import *delay_imports; size_t n_delay_imports;

  const char *export_dll;  /* arena; Name of the export directory */
  uint32_t export_timestamp;
  int has_exports;
  tells_pe_export *exports; size_t n_exports;

  tells_pe_rsrc *rsrc; size_t n_rsrc;
  uint32_t rsrc_timestamp;

  /* Version info (RT_VERSION): fixed part, strings, translations */
  int has_version;
  uint32_t file_ver_ms, file_ver_ls, prod_ver_ms, prod_ver_ls;
  tells_pe_kv *ver_strings; size_t n_ver_strings;
  uint32_t *translations; size_t n_translations; /* lang | codepage << 16 */

  /* Rich header */
  int has_rich;
  uint32_t rich_off;       /* file offset of "DanS" */
  uint32_t rich_key;       /* XOR key stored after "Rich" */
  uint32_t rich_key_computed;
  int rich_checksum_ok;
  tells_pe_rich_entry *rich; size_t n_rich;
  char rich_hash[33];      /* MD5 of the decoded DanS..Rich bytes; "" if none */

  /* Debug directory */
  tells_pe_debug *debug; size_t n_debug;
  const char *pdb_path;    /* arena; CodeView path, NULL when absent */
  char pdb_guid[37];       /* "XXXXXXXX-XXXX-..." ; "" when absent */
  uint32_t pdb_age;
  int has_pogo, has_repro;

  /* TLS */
  int has_tls;
  uint64_t *tls_callbacks; size_t n_tls_callbacks; /* VAs */

  /* Overlay */
  uint64_t overlay_off, overlay_size; /* size 0 when none */

  /* Authenticode (security directory) */
  tells_pe_cert *certs; size_t n_certs;

  /* Checksum */
  uint32_t checksum_computed;

  char imphash[33];        /* "" when the file has no imports */
} tells_pe;

/* Parses the PE in buf[0..len).  Objects come from `arena`; anomalies go to
** `anoms` with absolute offsets.  Returns TELLS_OK with *out set when the
** file has at least valid DOS and PE signatures and a COFF header (other
** damage is only an anomaly), TELLS_EEMPTY for len 0, TELLS_EUNSUP when it
** is not a PE, TELLS_ETRUNC when the headers are cut short.  When the
** arena runs out part-way it returns TELLS_ELIMIT (its cap was reached) or
** TELLS_ENOMEM (the heap failed), records an anomaly, and still sets *out
** to the partial, consistent result (NULL if even that failed).  buf must
** stay valid only during the call; nothing in *out points into it. */
tells_err tells_pe_parse(const uint8_t *buf, size_t len, tells_arena *arena,
                         tells_anoms *anoms, tells_pe **out /* OUT */);

/* Writes one JSON object describing pe (schema: docs/pe-json.md). */
void tells_pe_json(const tells_pe *pe, tells_json *j);
/* The same members without the enclosing braces, for callers that add keys. */
void tells_pe_json_fields(const tells_pe *pe, tells_json *j);

/* Name of a Rich product id's toolchain component and Visual Studio
** version, or NULL when unknown (e.g. "Utc1900_C", "VS2015+"). */
const char *tells_pe_rich_prodid_name(uint16_t prodid);

#endif /* TELLS_PE_H */
