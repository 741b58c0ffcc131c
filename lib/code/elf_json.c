/*
** elf_json.c -- writes a parsed tells_elf as one JSON object, and names the
** gABI constants it contains.
**
** The schema is docs/elf-json.md; change both together.  Strings from the
** file go through the JSON writer, which escapes any byte that is not valid
** UTF-8, so nothing read from evidence reaches the output raw.  Numbers are
** written exactly as unsigned integers (addresses may exceed 2^53).
*/
#include <string.h>
#include "elf.h"

/* ---- names of constants (System V gABI and the GNU extensions) ------ */

const char *tells_elf_type_name(uint16_t type) {
  static const char *const t[] = {"NONE", "REL", "EXEC", "DYN", "CORE"};
  return type < 5 ? t[type] : NULL;
}

const char *tells_elf_machine_name(uint16_t m) {
  switch (m) {
  case 0: return "none";
  case 2: return "sparc";
  case 3: return "i386";
  case 4: return "m68k";
  case 8: return "mips";
  case 10: return "mips_rs3_le";
  case 15: return "parisc";
  case 18: return "sparc32plus";
  case 20: return "ppc";
  case 21: return "ppc64";
  case 22: return "s390";
  case 40: return "arm";
  case 42: return "sh";
  case 43: return "sparcv9";
  case 50: return "ia64";
  case 62: return "x86_64";
  case 83: return "avr";
  case 92: return "openrisc";
  case 94: return "xtensa";
  case 164: return "hexagon";
  case 183: return "aarch64";
  case 243: return "riscv";
  case 247: return "bpf";
  case 258: return "loongarch";
  default: return NULL;
  }
}

const char *tells_elf_osabi_name(uint8_t o) {
  switch (o) {
  case 0: return "SYSV";
  case 1: return "HPUX";
  case 2: return "NetBSD";
  case 3: return "GNU";
  case 6: return "Solaris";
  case 7: return "AIX";
  case 8: return "IRIX";
  case 9: return "FreeBSD";
  case 10: return "Tru64";
  case 11: return "Modesto";
  case 12: return "OpenBSD";
  case 13: return "OpenVMS";
  case 14: return "NSK";
  case 15: return "AROS";
  case 16: return "FenixOS";
  case 17: return "CloudABI";
  case 18: return "OpenVOS";
  case 255: return "standalone";
  default: return NULL;
  }
}

const char *tells_elf_sh_type_name(uint32_t t) {
  static const char *const n[] = {
    "NULL", "PROGBITS", "SYMTAB", "STRTAB", "RELA", "HASH", "DYNAMIC", "NOTE",
    "NOBITS", "REL", "SHLIB", "DYNSYM", NULL, NULL, "INIT_ARRAY",
    "FINI_ARRAY", "PREINIT_ARRAY", "GROUP", "SYMTAB_SHNDX", "RELR"};
  if (t < sizeof n / sizeof n[0]) return n[t];
  switch (t) {
  case 0x6ffffff5u: return "GNU_ATTRIBUTES";
  case 0x6ffffff6u: return "GNU_HASH";
  case 0x6ffffff7u: return "GNU_LIBLIST";
  case 0x6ffffffdu: return "VERDEF";
  case 0x6ffffffeu: return "VERNEED";
  case 0x6fffffffu: return "VERSYM";
  default: return NULL;
  }
}

const char *tells_elf_p_type_name(uint32_t t) {
  static const char *const n[] = {"NULL", "LOAD", "DYNAMIC", "INTERP", "NOTE",
                                  "SHLIB", "PHDR", "TLS"};
  if (t < sizeof n / sizeof n[0]) return n[t];
  switch (t) {
  case 0x6474e550u: return "GNU_EH_FRAME";
  case 0x6474e551u: return "GNU_STACK";
  case 0x6474e552u: return "GNU_RELRO";
  case 0x6474e553u: return "GNU_PROPERTY";
  case 0x6474e554u: return "GNU_SFRAME";
  default: return NULL;
  }
}

static const char *bind_name(uint8_t b) {
  switch (b) {
  case 0: return "LOCAL";
  case 1: return "GLOBAL";
  case 2: return "WEAK";
  case 10: return "GNU_UNIQUE";
  default: return NULL;
  }
}

static const char *sym_type_name(uint8_t t) {
  static const char *const n[] = {"NOTYPE", "OBJECT", "FUNC", "SECTION",
                                  "FILE", "COMMON", "TLS"};
  if (t < 7) return n[t];
  return t == 10 ? "GNU_IFUNC" : NULL;
}

/* ---- writer --------------------------------------------------------- */

static void kdbl(tells_json *j, const char *k, double v) {
  tells_json_key(j, k);
  if (v < 0) tells_json_null(j);
  else tells_json_dbl(j, (double)(long)(v * 10000 + 0.5) / 10000);
}

/* Section flags as readelf letters: W A X M S I L O G T C. */
static void sh_flags_str(uint64_t f, char *out) {
  static const struct { uint64_t bit; char c; } fl[] = {
    {0x1, 'W'}, {0x2, 'A'}, {0x4, 'X'}, {0x10, 'M'}, {0x20, 'S'}, {0x40, 'I'},
    {0x80, 'L'}, {0x100, 'O'}, {0x200, 'G'}, {0x400, 'T'}, {0x800, 'C'}};
  size_t i, n = 0;
  for (i = 0; i < sizeof fl / sizeof fl[0]; i++)
    if (f & fl[i].bit) out[n++] = fl[i].c;
  out[n] = 0;
}

static void write_sections(const tells_elf *e, tells_json *j) {
  size_t i;
  char fl[16];
  tells_json_key(j, "sections");
  tells_json_arr(j);
  for (i = 0; i < e->n_sections; i++) {
    const tells_elf_section *s = &e->sections[i];
    tells_json_obj(j);
    tells_json_ku64(j, "index", i);
    tells_json_kstr(j, "name", s->name);
    tells_json_ku64(j, "type", s->type);
    tells_json_kstr(j, "type_name", tells_elf_sh_type_name(s->type));
    tells_json_ku64(j, "flags", s->flags);
    sh_flags_str(s->flags, fl);
    tells_json_kstr(j, "flags_str", fl);
    tells_json_ku64(j, "addr", s->addr);
    tells_json_ku64(j, "offset", s->offset);
    tells_json_ku64(j, "size", s->size);
    tells_json_ku64(j, "link", s->link);
    tells_json_ku64(j, "info", s->info);
    tells_json_ku64(j, "align", s->align);
    tells_json_ku64(j, "entsize", s->entsize);
    kdbl(j, "entropy", s->entropy);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

static void write_segments(const tells_elf *e, tells_json *j) {
  size_t i;
  tells_json_key(j, "segments");
  tells_json_arr(j);
  for (i = 0; i < e->n_segments; i++) {
    const tells_elf_segment *s = &e->segments[i];
    char fl[4];
    fl[0] = s->flags & 4 ? 'R' : '-';
    fl[1] = s->flags & 2 ? 'W' : '-';
    fl[2] = s->flags & 1 ? 'X' : '-';
    fl[3] = 0;
    tells_json_obj(j);
    tells_json_ku64(j, "type", s->type);
    tells_json_kstr(j, "type_name", tells_elf_p_type_name(s->type));
    tells_json_ku64(j, "flags", s->flags);
    tells_json_kstr(j, "flags_str", fl);
    tells_json_ku64(j, "offset", s->offset);
    tells_json_ku64(j, "vaddr", s->vaddr);
    tells_json_ku64(j, "paddr", s->paddr);
    tells_json_ku64(j, "filesz", s->filesz);
    tells_json_ku64(j, "memsz", s->memsz);
    tells_json_ku64(j, "align", s->align);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

static void write_dynamic(const tells_elf *e, tells_json *j) {
  size_t i;
  tells_json_key(j, "dynamic");
  if (!e->has_dynamic) { tells_json_null(j); return; }
  tells_json_obj(j);
  tells_json_ku64(j, "offset", e->dyn_off);
  tells_json_ku64(j, "entries", e->n_dyn);
  tells_json_key(j, "needed");
  tells_json_arr(j);
  for (i = 0; i < e->n_needed; i++) tells_json_str(j, e->needed[i]);
  tells_json_arr_end(j);
  tells_json_kstr(j, "soname", e->soname);
  tells_json_kstr(j, "rpath", e->rpath);
  tells_json_kstr(j, "runpath", e->runpath);
  tells_json_ku64(j, "flags", e->dt_flags);
  tells_json_ku64(j, "flags_1", e->dt_flags_1);
  tells_json_kbool(j, "bind_now", e->bind_now);
  tells_json_kbool(j, "textrel", e->textrel);
  tells_json_obj_end(j);
}

static void write_dynsyms(const tells_elf *e, tells_json *j) {
  static const char *const vis[] = {"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"};
  size_t i, imports = 0;
  for (i = 0; i < e->n_dynsyms; i++) imports += !e->dynsyms[i].defined;
  tells_json_kstr(j, "dynsym_source", e->dynsym_source);
  tells_json_ku64(j, "dynsym_imports", imports);
  tells_json_ku64(j, "dynsym_exports", e->n_dynsyms - imports);
  tells_json_key(j, "dynsyms");
  tells_json_arr(j);
  for (i = 0; i < e->n_dynsyms; i++) {
    const tells_elf_sym *s = &e->dynsyms[i];
    tells_json_obj(j);
    tells_json_kstr(j, "name", s->name);
    tells_json_ku64(j, "value", s->value);
    tells_json_ku64(j, "size", s->size);
    tells_json_kstr(j, "bind", bind_name(s->bind));
    tells_json_kstr(j, "type", sym_type_name(s->type));
    tells_json_kstr(j, "visibility", vis[s->other & 3]);
    tells_json_ku64(j, "shndx", s->shndx);
    tells_json_kbool(j, "defined", s->defined);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

static void write_notes(const tells_elf *e, tells_json *j) {
  static const char hex[] = "0123456789abcdef";
  char bid[2 * TELLS_ELF_MAX_BUILD_ID + 1];
  size_t i;
  tells_json_key(j, "build_id");
  if (e->build_id_len) {
    for (i = 0; i < e->build_id_len; i++) {
      bid[2 * i] = hex[e->build_id[i] >> 4];
      bid[2 * i + 1] = hex[e->build_id[i] & 15];
    }
    bid[2 * i] = 0;
    tells_json_str(j, bid);
  } else {
    tells_json_null(j);
  }
  tells_json_kstr(j, "abi_tag", e->abi_tag);
  tells_json_kstr(j, "go_build_id", e->go_build_id);
  tells_json_key(j, "notes");
  tells_json_arr(j);
  for (i = 0; i < e->n_notes; i++) {
    const tells_elf_note *n = &e->notes[i];
    tells_json_obj(j);
    tells_json_kstr(j, "owner", n->owner);
    tells_json_ku64(j, "type", n->type);
    tells_json_ku64(j, "offset", n->off);
    tells_json_ku64(j, "desc_size", n->desc_size);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

void tells_elf_json(const tells_elf *e, tells_json *j) {
  size_t i;
  tells_json_obj(j);
  tells_json_kstr(j, "format", "elf");
  tells_json_ku64(j, "file_size", e->file_size);
  tells_json_key(j, "class");
  if (e->bits) tells_json_u64(j, (uint64_t)e->bits); else tells_json_null(j);
  tells_json_kstr(j, "data", e->big ? "msb" : "lsb");
  tells_json_ku64(j, "ident_version", e->ei_version);
  tells_json_ku64(j, "osabi", e->osabi);
  tells_json_kstr(j, "osabi_name", tells_elf_osabi_name(e->osabi));
  tells_json_ku64(j, "abi_version", e->abi_version);
  tells_json_ku64(j, "type", e->type);
  tells_json_kstr(j, "type_name", tells_elf_type_name(e->type));
  tells_json_ku64(j, "machine", e->machine);
  tells_json_kstr(j, "machine_name", tells_elf_machine_name(e->machine));
  tells_json_ku64(j, "version", e->version);
  tells_json_ku64(j, "entry", e->entry);
  tells_json_ku64(j, "flags", e->flags);
  tells_json_ku64(j, "phoff", e->phoff);
  tells_json_ku64(j, "shoff", e->shoff);
  tells_json_ku64(j, "ehsize", e->ehsize);
  tells_json_ku64(j, "phentsize", e->phentsize);
  tells_json_ku64(j, "phnum", e->phnum);
  tells_json_ku64(j, "shentsize", e->shentsize);
  tells_json_ku64(j, "shnum", e->shnum);
  tells_json_ku64(j, "shstrndx", e->shstrndx);
  write_sections(e, j);
  write_segments(e, j);
  tells_json_kstr(j, "interpreter", e->interp);
  write_dynamic(e, j);
  write_dynsyms(e, j);
  write_notes(e, j);
  tells_json_key(j, "comments");
  tells_json_arr(j);
  for (i = 0; i < e->n_comments; i++) tells_json_str(j, e->comments[i]);
  tells_json_arr_end(j);
  tells_json_kbool(j, "stripped", !e->has_symtab);
  tells_json_key(j, "hardening");
  tells_json_obj(j);
  tells_json_key(j, "nx");
  if (e->nx < 0) tells_json_null(j); else tells_json_bool(j, e->nx);
  tells_json_kstr(j, "relro", e->relro == 2 ? "full" : e->relro ? "partial" : "none");
  tells_json_kbool(j, "pie", e->pie);
  tells_json_kbool(j, "canary", e->canary);
  tells_json_kbool(j, "fortify", e->fortify);
  tells_json_kbool(j, "rwx_segment", e->rwx_segment);
  tells_json_obj_end(j);
  tells_json_key(j, "overlay");
  if (e->overlay_size) {
    tells_json_obj(j);
    tells_json_ku64(j, "offset", e->overlay_off);
    tells_json_ku64(j, "size", e->overlay_size);
    kdbl(j, "entropy", e->overlay_entropy);
    tells_json_obj_end(j);
  } else {
    tells_json_null(j);
  }
  tells_json_obj_end(j);
}
