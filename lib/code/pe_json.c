/*
** pe_json.c -- writes a parsed PE as one JSON object (docs/pe-json.md).
**
** Integers are JSON numbers (addresses included); hashes are lowercase hex
** strings; names read from the file are written as bytes through the JSON
** writer, which escapes whatever is not valid UTF-8.  Absent parts are null
** so that every key is always present.
*/
#include <stdio.h>
#include "pe_int.h"

static const char *machine_name(uint16_t m) {
  switch (m) {
  case 0x14c: return "I386";
  case 0x8664: return "AMD64";
  case 0xaa64: return "ARM64";
  case 0x1c0: return "ARM";
  case 0x1c4: return "ARMNT";
  case 0x200: return "IA64";
  case 0xebc: return "EBC";
  case 0x0: return "UNKNOWN";
  default: return NULL;
  }
}

static const char *subsystem_name(uint16_t s) {
  static const char *names[] = {
    "UNKNOWN", "NATIVE", "WINDOWS_GUI", "WINDOWS_CUI", NULL, "OS2_CUI", NULL,
    "POSIX_CUI", "NATIVE_WINDOWS", "WINDOWS_CE_GUI", "EFI_APPLICATION",
    "EFI_BOOT_SERVICE_DRIVER", "EFI_RUNTIME_DRIVER", "EFI_ROM", "XBOX", NULL,
    "WINDOWS_BOOT_APPLICATION"};
  return s < sizeof names / sizeof names[0] ? names[s] : NULL;
}

static const char *dir_name(size_t i) {
  static const char *names[16] = {
    "export", "import", "resource", "exception", "security", "basereloc",
    "debug", "architecture", "globalptr", "tls", "load_config", "bound_import",
    "iat", "delay_import", "clr", "reserved"};
  return i < 16 ? names[i] : "unknown";
}

static const char *debug_type(uint32_t t) {
  static const char *names[] = {
    "UNKNOWN", "COFF", "CODEVIEW", "FPO", "MISC", "EXCEPTION", "FIXUP",
    "OMAP_TO_SRC", "OMAP_FROM_SRC", "BORLAND", "RESERVED10", "CLSID",
    "VC_FEATURE", "POGO", "ILTCG", "MPX", "REPRO", NULL, NULL, NULL,
    "EX_DLLCHARACTERISTICS"};
  return t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

static const char *rsrc_type(uint32_t t) {
  static const char *names[] = {
    NULL, "CURSOR", "BITMAP", "ICON", "MENU", "DIALOG", "STRING", "FONTDIR",
    "FONT", "ACCELERATOR", "RCDATA", "MESSAGETABLE", "GROUP_CURSOR", NULL,
    "GROUP_ICON", NULL, "VERSION", "DLGINCLUDE", NULL, "PLUGPLAY", "VXD",
    "ANICURSOR", "ANIICON", "HTML", "MANIFEST"};
  return t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

static void ver4(tells_json *j, const char *k, uint32_t ms, uint32_t ls) {
  char b[48];
  snprintf(b, sizeof b, "%u.%u.%u.%u", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff);
  tells_json_kstr(j, k, b);
}

static void imports(tells_json *j, const tells_pe_import *v, size_t n) {
  size_t i, k;
  tells_json_arr(j);
  for (i = 0; i < n; i++) {
    tells_json_obj(j);
    tells_json_kstr(j, "dll", v[i].dll);
    tells_json_ku64(j, "timestamp", v[i].timestamp);
    tells_json_key(j, "functions");
    tells_json_arr(j);
    for (k = 0; k < v[i].n_fns; k++) {
      const tells_pe_import_fn *f = &v[i].fns[k];
      tells_json_obj(j);
      if (f->name) {
        tells_json_kstr(j, "name", f->name);
        tells_json_ku64(j, "hint", f->hint);
      } else tells_json_ku64(j, "ordinal", f->ordinal);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

void tells_pe_json(const tells_pe *pe, tells_json *j) {
  tells_json_obj(j);
  tells_pe_json_fields(pe, j);
  tells_json_obj_end(j);
}

void tells_pe_json_fields(const tells_pe *pe, tells_json *j) {
  size_t i;
  char hx[24];
  tells_json_kstr(j, "format", "pe");
  tells_json_kstr(j, "pe_type", pe->magic == 0x20b ? "PE32+" : pe->magic == 0x10b ? "PE32" : "unknown");
  tells_json_ku64(j, "file_size", pe->file_size);

  tells_json_key(j, "dos"); tells_json_obj(j);
  tells_json_ku64(j, "e_lfanew", pe->e_lfanew);
  tells_json_obj_end(j);

  tells_json_key(j, "coff"); tells_json_obj(j);
  tells_json_ku64(j, "machine", pe->machine);
  tells_json_kstr(j, "machine_name", machine_name(pe->machine));
  tells_json_ku64(j, "number_of_sections", pe->n_sections_hdr);
  tells_json_ku64(j, "time_date_stamp", pe->timestamp);
  tells_json_ku64(j, "pointer_to_symbol_table", pe->ptr_symtab);
  tells_json_ku64(j, "number_of_symbols", pe->n_symbols);
  tells_json_ku64(j, "size_of_optional_header", pe->size_opt_hdr);
  tells_json_ku64(j, "characteristics", pe->characteristics);
  tells_json_obj_end(j);

  tells_json_key(j, "optional"); tells_json_obj(j);
  tells_json_ku64(j, "magic", pe->magic);
  snprintf(hx, sizeof hx, "%u.%u", pe->linker_major, pe->linker_minor);
  tells_json_kstr(j, "linker_version", hx);
  tells_json_ku64(j, "size_of_code", pe->size_code);
  tells_json_ku64(j, "size_of_initialized_data", pe->size_init);
  tells_json_ku64(j, "size_of_uninitialized_data", pe->size_uninit);
  tells_json_ku64(j, "address_of_entry_point", pe->entry_point);
  tells_json_ku64(j, "base_of_code", pe->base_of_code);
  tells_json_ku64(j, "image_base", pe->image_base);
  tells_json_ku64(j, "section_alignment", pe->section_align);
  tells_json_ku64(j, "file_alignment", pe->file_align);
  snprintf(hx, sizeof hx, "%u.%u", pe->os_major, pe->os_minor);
  tells_json_kstr(j, "os_version", hx);
  snprintf(hx, sizeof hx, "%u.%u", pe->img_major, pe->img_minor);
  tells_json_kstr(j, "image_version", hx);
  snprintf(hx, sizeof hx, "%u.%u", pe->subsys_major, pe->subsys_minor);
  tells_json_kstr(j, "subsystem_version", hx);
  tells_json_ku64(j, "win32_version_value", pe->win32_version);
  tells_json_ku64(j, "size_of_image", pe->size_image);
  tells_json_ku64(j, "size_of_headers", pe->size_headers);
  tells_json_ku64(j, "checksum", pe->checksum);
  tells_json_ku64(j, "subsystem", pe->subsystem);
  tells_json_kstr(j, "subsystem_name", subsystem_name(pe->subsystem));
  tells_json_ku64(j, "dll_characteristics", pe->dll_characteristics);
  tells_json_ku64(j, "size_of_stack_reserve", pe->stack_reserve);
  tells_json_ku64(j, "size_of_stack_commit", pe->stack_commit);
  tells_json_ku64(j, "size_of_heap_reserve", pe->heap_reserve);
  tells_json_ku64(j, "size_of_heap_commit", pe->heap_commit);
  tells_json_ku64(j, "loader_flags", pe->loader_flags);
  tells_json_ku64(j, "number_of_rva_and_sizes", pe->n_rva_sizes);
  tells_json_obj_end(j);

  tells_json_key(j, "data_directories"); tells_json_arr(j);
  for (i = 0; i < 16; i++) {
    if (!pe->dirs[i].rva && !pe->dirs[i].size) continue;
    tells_json_obj(j);
    tells_json_ku64(j, "index", i);
    tells_json_kstr(j, "name", dir_name(i));
    tells_json_ku64(j, "rva", pe->dirs[i].rva);
    tells_json_ku64(j, "size", pe->dirs[i].size);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);

  tells_json_key(j, "sections"); tells_json_arr(j);
  for (i = 0; i < pe->n_sections; i++) {
    const tells_pe_section *s = &pe->sections[i];
    tells_json_obj(j);
    tells_json_kstr(j, "name", s->name);
    tells_json_ku64(j, "virtual_address", s->vaddr);
    tells_json_ku64(j, "virtual_size", s->vsize);
    tells_json_ku64(j, "raw_offset", s->raw_off);
    tells_json_ku64(j, "raw_size", s->raw_size);
    tells_json_ku64(j, "characteristics", s->characteristics);
    tells_json_key(j, "entropy"); tells_json_dbl(j, (double)(int64_t)(s->entropy * 1e4 + 0.5) / 1e4);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);

  tells_json_key(j, "imports"); imports(j, pe->imports, pe->n_imports);
  tells_json_key(j, "delay_imports"); imports(j, pe->delay_imports, pe->n_delay_imports);

  tells_json_key(j, "exports");
  if (!pe->has_exports) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_kstr(j, "dll", pe->export_dll);
    tells_json_ku64(j, "timestamp", pe->export_timestamp);
    tells_json_key(j, "functions"); tells_json_arr(j);
    for (i = 0; i < pe->n_exports; i++) {
      const tells_pe_export *e = &pe->exports[i];
      tells_json_obj(j);
      tells_json_ku64(j, "ordinal", e->ordinal);
      tells_json_ku64(j, "rva", e->rva);
      tells_json_kstr(j, "name", e->name);
      tells_json_kstr(j, "forwarder", e->forwarder);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "resources");
  if (!pe->dirs[TELLS_PE_DIR_RESOURCE].rva) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_ku64(j, "timestamp", pe->rsrc_timestamp);
    tells_json_key(j, "entries"); tells_json_arr(j);
    for (i = 0; i < pe->n_rsrc; i++) {
      const tells_pe_rsrc *r = &pe->rsrc[i];
      tells_json_obj(j);
      if (r->type_name) tells_json_kstr(j, "type", r->type_name);
      else {
        const char *tn = rsrc_type(r->type_id);
        if (tn) tells_json_kstr(j, "type", tn); else tells_json_ku64(j, "type", r->type_id);
      }
      if (r->name) tells_json_kstr(j, "name", r->name); else tells_json_ku64(j, "name", r->name_id);
      tells_json_ku64(j, "lang", r->lang);
      tells_json_ku64(j, "codepage", r->codepage);
      tells_json_ku64(j, "rva", r->data_rva);
      tells_json_ku64(j, "size", r->size);
      tells_json_ku64(j, "offset", r->off);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "version_info");
  if (!pe->has_version) tells_json_null(j);
  else {
    tells_json_obj(j);
    ver4(j, "file_version", pe->file_ver_ms, pe->file_ver_ls);
    ver4(j, "product_version", pe->prod_ver_ms, pe->prod_ver_ls);
    tells_json_key(j, "strings"); tells_json_arr(j);
    for (i = 0; i < pe->n_ver_strings; i++) {
      tells_json_obj(j);
      tells_json_kstr(j, "key", pe->ver_strings[i].key);
      tells_json_kstr(j, "value", pe->ver_strings[i].value);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_key(j, "translations"); tells_json_arr(j);
    for (i = 0; i < pe->n_translations; i++) {
      tells_json_obj(j);
      tells_json_ku64(j, "lang", pe->translations[i] & 0xffff);
      tells_json_ku64(j, "codepage", pe->translations[i] >> 16);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "rich");
  if (!pe->has_rich) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_ku64(j, "offset", pe->rich_off);
    tells_json_ku64(j, "xor_key", pe->rich_key);
    tells_json_ku64(j, "checksum_computed", pe->rich_key_computed);
    tells_json_key(j, "checksum_valid"); tells_json_bool(j, pe->rich_checksum_ok);
    tells_json_key(j, "entries"); tells_json_arr(j);
    for (i = 0; i < pe->n_rich; i++) {
      tells_json_obj(j);
      tells_json_ku64(j, "prodid", pe->rich[i].prodid);
      tells_json_ku64(j, "build", pe->rich[i].build);
      tells_json_ku64(j, "count", pe->rich[i].count);
      tells_json_kstr(j, "product", tells_pe_rich_prodid_name(pe->rich[i].prodid));
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }
  tells_json_kstr(j, "rich_hash", pe->rich_hash[0] ? pe->rich_hash : NULL);

  tells_json_key(j, "debug"); tells_json_obj(j);
  tells_json_key(j, "entries"); tells_json_arr(j);
  for (i = 0; i < pe->n_debug; i++) {
    const tells_pe_debug *d = &pe->debug[i];
    tells_json_obj(j);
    tells_json_ku64(j, "type", d->type);
    tells_json_kstr(j, "type_name", debug_type(d->type));
    tells_json_ku64(j, "timestamp", d->timestamp);
    tells_json_ku64(j, "size", d->size);
    tells_json_ku64(j, "rva", d->rva);
    tells_json_ku64(j, "pointer", d->raw_ptr);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_kstr(j, "pdb_path", pe->pdb_path);
  tells_json_kstr(j, "pdb_guid", pe->pdb_guid[0] ? pe->pdb_guid : NULL);
  tells_json_ku64(j, "pdb_age", pe->pdb_age);
  tells_json_key(j, "pogo"); tells_json_bool(j, pe->has_pogo);
  tells_json_key(j, "repro"); tells_json_bool(j, pe->has_repro);
  tells_json_obj_end(j);

  tells_json_key(j, "tls");
  if (!pe->has_tls) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_key(j, "callbacks"); tells_json_arr(j);
    for (i = 0; i < pe->n_tls_callbacks; i++) tells_json_u64(j, pe->tls_callbacks[i]);
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "overlay");
  if (!pe->overlay_size) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_ku64(j, "offset", pe->overlay_off);
    tells_json_ku64(j, "size", pe->overlay_size);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "signature");
  if (!pe->dirs[TELLS_PE_DIR_SECURITY].rva) tells_json_null(j);
  else {
    tells_json_obj(j);
    tells_json_ku64(j, "offset", pe->dirs[TELLS_PE_DIR_SECURITY].rva);
    tells_json_ku64(j, "size", pe->dirs[TELLS_PE_DIR_SECURITY].size);
    tells_json_key(j, "certificates"); tells_json_arr(j);
    for (i = 0; i < pe->n_certs; i++) {
      const tells_pe_cert *ct = &pe->certs[i];
      tells_json_obj(j);
      tells_json_ku64(j, "offset", ct->off);
      tells_json_ku64(j, "length", ct->length);
      tells_json_ku64(j, "revision", ct->revision);
      tells_json_ku64(j, "type", ct->type);
      tells_json_kstr(j, "subject", ct->subject);
      tells_json_kstr(j, "issuer", ct->issuer);
      tells_json_obj_end(j);
    }
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  }

  tells_json_key(j, "checksum"); tells_json_obj(j);
  tells_json_ku64(j, "header", pe->checksum);
  tells_json_ku64(j, "computed", pe->checksum_computed);
  tells_json_key(j, "present"); tells_json_bool(j, pe->checksum != 0);
  tells_json_key(j, "valid"); tells_json_bool(j, pe->checksum == pe->checksum_computed);
  tells_json_obj_end(j);

  tells_json_kstr(j, "imphash", pe->imphash[0] ? pe->imphash : NULL);

  tells_json_key(j, "timestamps"); tells_json_obj(j);
  tells_json_ku64(j, "coff", pe->timestamp);
  tells_json_key(j, "export");
  if (pe->has_exports) tells_json_u64(j, pe->export_timestamp); else tells_json_null(j);
  tells_json_key(j, "resource");
  if (pe->dirs[TELLS_PE_DIR_RESOURCE].rva) tells_json_u64(j, pe->rsrc_timestamp); else tells_json_null(j);
  tells_json_key(j, "debug"); tells_json_arr(j);
  for (i = 0; i < pe->n_debug; i++) tells_json_u64(j, pe->debug[i].timestamp);
  tells_json_arr_end(j);
  tells_json_obj_end(j);
}
