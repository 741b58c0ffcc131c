/*
** elf.h -- the ELF parser of the code pillar: structure and tells of Unix
** executables, shared objects, relocatable objects and core files.
**
** tells_elf_parse() reads 32- and 64-bit ELF in either byte order through the
** bounded cursor (rd.h) and returns a tells_elf whose every field comes from
** the caller's arena.  Malformations (tables past the end of the file, names
** out of bounds, counts over elf_limits.h) are recorded in the caller's
** anomaly list with their absolute offsets, and parsing carries on wherever
** that is safe.  tells_elf_json() writes the result as one JSON object whose
** schema is docs/elf-json.md; docs/internals/elf.md explains the design.
**
** On-disk layout (System V gABI, "ELF-64 Object File Format"; all fields in
** the byte order of e_ident[EI_DATA]; "word" is 4 bytes in ELF32 and 8 bytes
** in ELF64).
**
** ELF header                     ELF32 off/size    ELF64 off/size
**   e_ident[EI_MAG0..3] 7f 'E' 'L' 'F'   0/4             0/4
**   e_ident[EI_CLASS]   1=32, 2=64       4/1             4/1
**   e_ident[EI_DATA]    1=LSB, 2=MSB     5/1             5/1
**   e_ident[EI_VERSION] 1                6/1             6/1
**   e_ident[EI_OSABI]                    7/1             7/1
**   e_ident[EI_ABIVERSION]               8/1             8/1
**   e_type     REL/EXEC/DYN/CORE        16/2            16/2
**   e_machine                           18/2            18/2
**   e_version                           20/4            20/4
**   e_entry    entry point address      24/4            24/8
**   e_phoff    program header table     28/4            32/8
**   e_shoff    section header table     32/4            40/8
**   e_flags    machine flags            36/4            48/4
**   e_ehsize   52 or 64                 40/2            52/2
**   e_phentsize 32 or 56                42/2            54/2
**   e_phnum    0xffff: see sh_info[0]   44/2            56/2
**   e_shentsize 40 or 64                46/2            58/2
**   e_shnum    0: see sh_size[0]        48/2            60/2
**   e_shstrndx 0xffff: see sh_link[0]   50/2            62/2
**
** Section header (e_shentsize bytes each, at e_shoff)
**   sh_name    offset in shstrtab        0/4             0/4
**   sh_type                              4/4             4/4
**   sh_flags                             8/4             8/8
**   sh_addr                             12/4            16/8
**   sh_offset                           16/4            24/8
**   sh_size                             20/4            32/8
**   sh_link                             24/4            40/4
**   sh_info                             28/4            44/4
**   sh_addralign                        32/4            48/8
**   sh_entsize                          36/4            56/8
**
** Program header (e_phentsize bytes each, at e_phoff)
**   ELF32: p_type 0/4, p_offset 4/4, p_vaddr 8/4, p_paddr 12/4,
**          p_filesz 16/4, p_memsz 20/4, p_flags 24/4, p_align 28/4
**   ELF64: p_type 0/4, p_flags 4/4, p_offset 8/8, p_vaddr 16/8,
**          p_paddr 24/8, p_filesz 32/8, p_memsz 40/8, p_align 48/8
**
** Dynamic entry: d_tag word, d_val word (8 or 16 bytes); ends at DT_NULL.
**
** Symbol (.dynsym)
**   ELF32: st_name 0/4, st_value 4/4, st_size 8/4, st_info 12/1,
**          st_other 13/1, st_shndx 14/2                      (16 bytes)
**   ELF64: st_name 0/4, st_info 4/1, st_other 5/1, st_shndx 6/2,
**          st_value 8/8, st_size 16/8                        (24 bytes)
**
** Note: n_namesz 0/4, n_descsz 4/4, n_type 8/4, name (padded to the note
** alignment, 4 or 8), desc (padded likewise).
*/
#ifndef TELLS_ELF_H
#define TELLS_ELF_H

#include <stddef.h>
#include <stdint.h>
#include "anom.h"
#include "arena.h"
#include "elf_limits.h"
#include "json.h"
#include "tells.h"

/* A few gABI constants the callers may want. */
#define TELLS_ELF_ET_REL  1
#define TELLS_ELF_ET_EXEC 2
#define TELLS_ELF_ET_DYN  3
#define TELLS_ELF_ET_CORE 4

typedef struct tells_elf_section {
  const char *name;     /* arena; NULL when no valid shstrtab entry */
  uint32_t name_off;    /* sh_name */
  uint32_t type;        /* sh_type */
  uint64_t flags, addr, offset, size;
  uint32_t link, info;
  uint64_t align, entsize;
  uint64_t hdr_off;     /* absolute offset of this section header */
  double entropy;       /* bits per byte of its file bytes; -1 if none */
  int in_file;          /* file bytes lie inside the file (not NOBITS) */
} tells_elf_section;

typedef struct tells_elf_segment {
  uint32_t type, flags; /* p_type, p_flags (PF_X 1, PF_W 2, PF_R 4) */
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
  uint64_t hdr_off;     /* absolute offset of this program header */
} tells_elf_segment;

typedef struct tells_elf_sym {
  const char *name;     /* arena; NULL when the name is out of bounds */
  uint64_t value, size;
  uint8_t bind, type;   /* ELF_ST_BIND, ELF_ST_TYPE of st_info */
  uint8_t other;        /* st_other (visibility in its low 2 bits) */
  uint16_t shndx;
  int defined;          /* shndx != SHN_UNDEF: exported, not imported */
} tells_elf_sym;

typedef struct tells_elf_note {
  const char *owner;    /* arena; note name without its NUL */
  uint32_t type;
  uint64_t desc_off;    /* absolute offset of the descriptor */
  uint32_t desc_size;
  uint64_t off;         /* absolute offset of the note header */
} tells_elf_note;

typedef struct tells_elf {
  uint64_t file_size;
  /* e_ident */
  int bits;             /* 32, 64, or 0 when EI_CLASS is invalid */
  int big;              /* 1 when EI_DATA is ELFDATA2MSB */
  uint8_t ei_class, ei_data, ei_version, osabi, abi_version;
  /* ELF header */
  uint16_t type, machine;
  uint32_t version, flags;
  uint64_t entry, phoff, shoff;
  uint16_t ehsize, phentsize, shentsize;
  uint16_t e_phnum, e_shnum, e_shstrndx;  /* as stored */
  uint64_t phnum, shnum, shstrndx;        /* after the section-0 escapes */
  /* tables (arena arrays) */
  tells_elf_section *sections; size_t n_sections;
  tells_elf_segment *segments; size_t n_segments;
  /* loader view */
  const char *interp;   /* PT_INTERP (or .interp) path; NULL if none */
  int has_dynamic;
  uint64_t dyn_off, n_dyn;        /* dynamic table offset and entries read */
  const char **needed; size_t n_needed;   /* DT_NEEDED, in order */
  const char *soname, *rpath, *runpath;   /* NULL when absent */
  uint64_t dt_flags, dt_flags_1;
  int bind_now, textrel;
  tells_elf_sym *dynsyms; size_t n_dynsyms;  /* without symbol 0 */
  const char *dynsym_source;      /* ".dynsym", "DT_HASH", "DT_GNU_HASH" */
  /* notes and tells */
  tells_elf_note *notes; size_t n_notes;
  uint8_t build_id[TELLS_ELF_MAX_BUILD_ID]; size_t build_id_len;
  const char *abi_tag;            /* "Linux 3.2.0" from NT_GNU_ABI_TAG */
  const char *go_build_id;        /* Go toolchain build id note */
  const char **comments; size_t n_comments;  /* .comment strings */
  int has_symtab;                 /* SHT_SYMTAB present (not stripped) */
  /* hardening, derived */
  int nx;                         /* PT_GNU_STACK without PF_X; -1 unknown */
  int relro;                      /* 0 none, 1 partial, 2 full */
  int pie;                        /* ET_DYN with an interpreter or DF_1_PIE */
  int canary;                     /* imports __stack_chk_fail */
  int fortify;                    /* imports some __*_chk */
  int rwx_segment;                /* a PT_LOAD that is W and X */
  /* bytes past the last section, segment or header table */
  uint64_t overlay_off, overlay_size;
  double overlay_entropy;         /* -1 when no overlay */
} tells_elf;

/* Parses the ELF image buf[0..len).  buf is only read during the call: every
** string and table of *out is copied into arena `a`, which owns them.
** Anomalies go to `an`.
** Returns:
**   TELLS_OK      *out is set (possibly with anomalies, even for a file that
**                 is truncated right after e_ident);
**   TELLS_EUNSUP  not ELF (no \x7fELF magic); *out is NULL;
**   TELLS_ENOMEM  the arena could not hold the top object; *out is NULL.
** Tables that do not fit in the arena are dropped with an "elf.mem_limit"
** anomaly. */
tells_err tells_elf_parse(const uint8_t *buf, size_t len, tells_arena *a,
                          tells_anoms *an, tells_elf **out /* OUT */);

/* Writes e as one JSON object (docs/elf-json.md).  Anomalies are not part of
** it: the caller writes its tells_anoms list. */
void tells_elf_json(const tells_elf *e, tells_json *j);

/* Names of gABI constants, static text; NULL when unknown. */
const char *tells_elf_type_name(uint16_t type);
const char *tells_elf_machine_name(uint16_t machine);
const char *tells_elf_osabi_name(uint8_t osabi);
const char *tells_elf_sh_type_name(uint32_t type);
const char *tells_elf_p_type_name(uint32_t type);

/* ---- Internal to lib/code/elf*.c ------------------------------------
** Shared by elf.c (headers, sections, segments), elf_dyn.c (interpreter,
** dynamic table, dynamic symbols, notes, .comment) and elf_json.c.  Not for
** other modules. */
#define TELLS__SHN_LORESERVE 0xff00u
#define TELLS__SHN_XINDEX    0xffffu
#define TELLS__PN_XNUM       0xffffu
#define TELLS__SHT_NULL      0u
#define TELLS__SHT_PROGBITS  1u
#define TELLS__SHT_SYMTAB    2u
#define TELLS__SHT_STRTAB    3u
#define TELLS__SHT_DYNAMIC   6u
#define TELLS__SHT_NOTE      7u
#define TELLS__SHT_NOBITS    8u
#define TELLS__SHT_DYNSYM    11u
#define TELLS__PT_LOAD       1u
#define TELLS__PT_DYNAMIC    2u
#define TELLS__PT_INTERP     3u
#define TELLS__PT_NOTE       4u
#define TELLS__PT_GNU_STACK  0x6474e551u
#define TELLS__PT_GNU_RELRO  0x6474e552u
#define TELLS__PF_X          1u
#define TELLS__PF_W          2u
#define TELLS__DF_1_PIE      0x08000000u

typedef struct tells__elf_ctx {
  tells_rd file;            /* cursor over the whole file (base 0) */
  uint64_t len;             /* file size */
  int is64, big;            /* ELFCLASS64, ELFDATA2MSB */
  tells_arena *a;           /* owns everything in e (not owned here) */
  tells_anoms *an;          /* caller's anomaly list (not owned) */
  tells_elf *e;             /* the object being filled (in a) */
  uint64_t entropy_left;    /* bytes entropy may still look at */
  int entropy_noted;        /* budget anomaly already recorded */
  uint64_t str_left;        /* bytes of names the parser may still copy */
  int str_noted;            /* string budget anomaly already recorded */
  /* dynamic string table, once resolved by elf_dyn.c */
  int have_dynstr;
  uint64_t dynstr_off, dynstr_size;
  uint64_t dt_strtab, dt_strsz, dt_symtab, dt_syment, dt_hash, dt_gnu_hash;
  int has_strtab, has_strsz, has_symtab, has_syment, has_hash, has_gnu_hash;
  uint64_t dyn_size;        /* bytes of the dynamic table */
  size_t notes_cap;         /* entries allocated for e->notes */
  /* per-code anomaly counts, so one flood cannot hide the other kinds */
  struct { const char *code; uint64_t n, first_off; } rep[48];
  size_t n_rep;
} tells__elf_ctx;

/* Records an anomaly; past TELLS_ELF_MAX_ANOM_REPEAT of one code, the rest
** are only counted and summed up by tells__elf_anom_flush(). */
void tells__elf_anom(tells__elf_ctx *c, uint64_t off, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tells__elf_anom_flush(tells__elf_ctx *c);
uint64_t tells__elf_word(const tells__elf_ctx *c, tells_rd *r);
int tells__elf_sub(const tells__elf_ctx *c, uint64_t off, uint64_t n,
                   tells_rd *out /* OUT */);
void *tells__elf_array(tells__elf_ctx *c, uint64_t n, size_t size,
                       uint64_t off, const char *what);
const char *tells__elf_str(tells__elf_ctx *c, uint64_t tab_off,
                           uint64_t tab_size, uint64_t idx, uint64_t ref,
                           const char *what);
int tells__elf_va2off(const tells__elf_ctx *c, uint64_t va,
                      uint64_t *off /* OUT */, uint64_t *avail /* OUT */);
tells_elf_section *tells__elf_find_section(const tells__elf_ctx *c,
                                           const char *name);
double tells__elf_entropy(tells__elf_ctx *c, uint64_t off, uint64_t n);
void tells__elf_interp(tells__elf_ctx *c);
void tells__elf_dynamic(tells__elf_ctx *c);
void tells__elf_dynsyms(tells__elf_ctx *c);
void tells__elf_notes(tells__elf_ctx *c);
void tells__elf_comment(tells__elf_ctx *c);

#endif /* TELLS_ELF_H */
