/*
** pe_rsrc.c -- the resource tree (type / name / language) and the version
** information resource (RT_VERSION).
**
** IMAGE_RESOURCE_DIRECTORY (PE/COFF spec 6.9.2), 16 bytes, followed by its
** entries; every offset in the tree is relative to the start of the
** resource directory (data directory 2):
**   OFFSET  SIZE  DESCRIPTION
**   0       4     Characteristics
**   4       4     TimeDateStamp
**   8       2+2   MajorVersion, MinorVersion
**   12      2     NumberOfNamedEntries (come first)
**   14      2     NumberOfIdEntries
** IMAGE_RESOURCE_DIRECTORY_ENTRY, 8 bytes:
**   0       4     Name: high bit set -> offset of a string (u16 length in
**                 UTF-16 units, then the units); clear -> integer id
**   4       4     OffsetToData: high bit set -> offset of a subdirectory;
**                 clear -> offset of a data entry
** IMAGE_RESOURCE_DATA_ENTRY, 16 bytes:
**   0       4     OffsetToData (an RVA, not relative to the tree)
**   4       4     Size
**   8       4     CodePage
**   12      4     Reserved
** Level 1 is the type (RT_VERSION = 16, RT_RCDATA = 10, ...), level 2 the
** name or id, level 3 the language (LANGID, e.g. 0x0412 Korean).  A hostile
** tree may point back at itself: the walk keeps a set of visited
** directories and a depth cap, so it always ends.
**
** Version information (VS_VERSIONINFO, "Version Information" in the Win32
** docs) is a tree of blocks, each aligned on 4 bytes from the start of the
** resource data:
**   OFFSET  SIZE  DESCRIPTION
**   0       2     wLength, bytes of the block with its children
**   2       2     wValueLength (UTF-16 units for text values, else bytes)
**   4       2     wType (1 text, 0 binary)
**   6       ..    szKey, UTF-16, NUL-terminated; padding to 4
**   ..      ..    Value; padding to 4; then the child blocks
** The root "VS_VERSION_INFO" holds VS_FIXEDFILEINFO (signature 0xFEEF04BD,
** struct version, FileVersionMS/LS, ProductVersionMS/LS, ...), then
** "StringFileInfo" (StringTables keyed "040904b0", each holding key/value
** Strings) and "VarFileInfo" (a "Translation" value of dwords: language in
** the low word, code page in the high word).
*/
#include <string.h>
#include "pe_int.h"

typedef struct rwalk {
  tells__pe_ctx *c;
  uint32_t base_rva;           /* RVA of the resource directory */
  uint32_t dir_size;
  uint32_t *seen; size_t seen_cap, n_seen;  /* open-addressed set of dir offsets + 1 */
  size_t n_entries, n_leaves, cap_leaves;
  size_t name_units;           /* UTF-16 units of names decoded so far */
  int capped;
  uint32_t type_id, name_id;
  const char *type_name, *name;
} rwalk;

static int seen_add(rwalk *w, uint32_t rel) {
  uint32_t key = rel + 1, h = (rel * 2654435761u) & (uint32_t)(w->seen_cap - 1);
  while (w->seen[h]) {
    if (w->seen[h] == key) return 0;
    h = (h + 1) & (uint32_t)(w->seen_cap - 1);
  }
  w->seen[h] = key;
  w->n_seen++;
  return 1;
}

static const uint8_t *rel_ptr(rwalk *w, uint32_t rel, uint64_t n, uint64_t *off) {
  uint64_t o;
  if (rel > 0xffffffffu - w->base_rva) return NULL;
  if (!tells__pe_rva_to_off(w->c, w->base_rva + rel, &o)) return NULL;
  if (off) *off = o;
  return tells__pe_ptr(w->c, o, n);
}

static const char *res_string(rwalk *w, uint32_t rel, uint64_t ref) {
  uint64_t off;
  const uint8_t *p = rel_ptr(w, rel, 2, &off), *q;
  uint16_t n;
  if (!p) {
    tells_anom_add(w->c->anoms, ref, "pe.rsrc.name_unmapped",
                   "resource name at tree offset 0x%x is outside the file", rel);
    return NULL;
  }
  n = tells_ld16le(p);
  if (n > TELLS_MAX_PE_RSRC_NAME) {
    tells_anom_add(w->c->anoms, off, "pe.rsrc.name_long",
                   "resource name of %u units, only %d kept", n, TELLS_MAX_PE_RSRC_NAME);
    n = TELLS_MAX_PE_RSRC_NAME;
  }
  if (w->name_units + n > TELLS_MAX_PE_RSRC_NAME_UNITS) {
    if (w->name_units <= TELLS_MAX_PE_RSRC_NAME_UNITS)
      tells_anom_add(w->c->anoms, off, "pe.rsrc.name_budget",
                     "more than %u units of resource names, the rest not decoded",
                     TELLS_MAX_PE_RSRC_NAME_UNITS);
    w->name_units = TELLS_MAX_PE_RSRC_NAME_UNITS + 1;
    return NULL;
  }
  w->name_units += n;
  q = tells__pe_ptr(w->c, off + 2, 2 * (uint64_t)n);
  if (!q) {
    tells_anom_add(w->c->anoms, off, "pe.rsrc.name_truncated",
                   "resource name of %u units runs past the end of file", n);
    return NULL;
  }
  return tells__pe_utf16(w->c, q, n);
}

static void leaf(rwalk *w, uint32_t rel, uint32_t lang, uint64_t ref) {
  tells__pe_ctx *c = w->c;
  tells_pe *pe = c->pe;
  uint64_t off;
  const uint8_t *p = rel_ptr(w, rel, 16, &off);
  tells_pe_rsrc *e;
  tells_rd r;
  if (!p) {
    tells_anom_add(c->anoms, ref, "pe.rsrc.data_entry_unmapped",
                   "resource data entry at tree offset 0x%x is outside the file", rel);
    return;
  }
  if (w->n_leaves == TELLS_MAX_PE_RSRC_LEAVES) {
    if (!w->capped)
      tells_anom_add(c->anoms, off, "pe.rsrc.cap", "more than %d resources, the rest ignored",
                     TELLS_MAX_PE_RSRC_LEAVES);
    w->capped = 1;
    return;
  }
  if (w->n_leaves == w->cap_leaves) {   /* grow by doubling in the arena */
    size_t cap = w->cap_leaves ? w->cap_leaves * 2 : 16;
    tells_pe_rsrc *v = tells__pe_alloc(c, cap * sizeof *v);
    if (!v) return;
    if (w->n_leaves) memcpy(v, pe->rsrc, w->n_leaves * sizeof *v);
    pe->rsrc = v; w->cap_leaves = cap;
  }
  e = &pe->rsrc[w->n_leaves++];
  pe->n_rsrc = w->n_leaves;
  r = tells_rd_make(p, 16, off);
  e->data_rva = tells_rd_u32le(&r);
  e->size = tells_rd_u32le(&r);
  e->codepage = tells_rd_u32le(&r);
  e->type_id = w->type_id; e->type_name = w->type_name;
  e->name_id = w->name_id; e->name = w->name;
  e->lang = lang;
  if (!tells__pe_rva_to_off(c, e->data_rva, &e->off) || !tells_fits(c->file.len, e->off, e->size)) {
    tells_anom_add(c->anoms, off, "pe.rsrc.data_outside",
                   "resource data (RVA 0x%x, %u bytes) is outside the file", e->data_rva, e->size);
    if (!tells__pe_rva_to_off(c, e->data_rva, &e->off)) e->off = 0;
  }
}

static void walk_dir(rwalk *w, uint32_t rel, int depth, uint64_t ref) {
  tells__pe_ctx *c = w->c;
  uint64_t off;
  const uint8_t *h = rel_ptr(w, rel, 16, &off), *ents;
  uint32_t n, i;
  if (!h) {
    tells_anom_add(c->anoms, ref, "pe.rsrc.dir_unmapped",
                   "resource directory at tree offset 0x%x is outside the file", rel);
    return;
  }
  if (depth > TELLS_MAX_PE_RSRC_DEPTH) {
    tells_anom_add(c->anoms, off, "pe.rsrc.depth", "resource tree deeper than %d levels",
                   TELLS_MAX_PE_RSRC_DEPTH);
    return;
  }
  if (w->n_seen >= TELLS_MAX_PE_RSRC_DIRS) {
    tells_anom_add(c->anoms, off, "pe.rsrc.dir_cap", "more than %d resource directories",
                   TELLS_MAX_PE_RSRC_DIRS);
    return;
  }
  if (!seen_add(w, rel)) {
    tells_anom_add(c->anoms, off, "pe.rsrc.loop",
                   "resource directory at tree offset 0x%x is reached twice (loop)", rel);
    return;
  }
  if (depth == 0) c->pe->rsrc_timestamp = tells_ld32le(h + 4);
  n = (uint32_t)tells_ld16le(h + 12) + tells_ld16le(h + 14);
  ents = tells__pe_ptr(c, off + 16, 8 * (uint64_t)n);
  if (!ents) {
    tells_anom_add(c->anoms, off + 12, "pe.rsrc.entries_truncated",
                   "%u resource entries run past the end of file", n);
    n = (uint32_t)((c->file.len - off - 16) / 8);
    ents = tells__pe_ptr(c, off + 16, 8 * (uint64_t)n);
    if (!ents) return;
  }
  for (i = 0; i < n; i++) {
    uint32_t name = tells_ld32le(ents + 8 * i), to = tells_ld32le(ents + 8 * i + 4);
    uint64_t eoff = off + 16 + 8 * (uint64_t)i;
    const char *s = NULL;
    if (++w->n_entries > TELLS_MAX_PE_RSRC_ENTRIES) {
      tells_anom_add(c->anoms, off + 16 + 8 * (uint64_t)i, "pe.rsrc.entry_cap",
                     "more than %d resource entries", TELLS_MAX_PE_RSRC_ENTRIES);
      w->n_entries = 0;   /* report once per cap hit, then stop the walk */
      w->n_seen = TELLS_MAX_PE_RSRC_DIRS;
      return;
    }
    if (name & 0x80000000u) s = res_string(w, name & 0x7fffffffu, eoff);
    if (depth == 0) { w->type_id = s ? 0 : name; w->type_name = s; }
    else if (depth == 1) { w->name_id = s ? 0 : name; w->name = s; }
    if (to & 0x80000000u) walk_dir(w, to & 0x7fffffffu, depth + 1, eoff + 4);
    else {
      if (depth < 2) {
        tells_anom_add(c->anoms, off + 16 + 8 * (uint64_t)i, "pe.rsrc.shallow_leaf",
                       "resource data entry at level %d (expected 3)", depth + 1);
        if (depth == 0) { w->name_id = 0; w->name = NULL; }
      }
      leaf(w, to, depth >= 2 ? (s ? 0 : name) : 0, eoff + 4);
    }
  }
}

/* ---- version info ------------------------------------------------------ */

typedef struct vblk {
  size_t at, end;          /* block [at, end) within the version data */
  uint16_t vlen, type;
  const uint8_t *key; size_t nkey;   /* UTF-16 units, no NUL */
  size_t val;              /* offset of the value */
} vblk;

typedef struct vctx {
  tells__pe_ctx *c;
  tells_rd d;              /* the version resource data */
  size_t nodes;
  size_t cap_str;
} vctx;

static size_t align4(size_t v) { return (v + 3) & ~(size_t)3; }

static int vblk_read(vctx *v, size_t at, size_t limit, vblk *b) {
  tells_rd r = tells_rd_sub(&v->d, at, limit - at);
  uint16_t len = tells_rd_u16le(&r);
  size_t k;
  b->vlen = tells_rd_u16le(&r);
  b->type = tells_rd_u16le(&r);
  if (!tells_rd_ok(&r) || len < 6) {
    tells_anom_add(v->c->anoms, tells_rd_pos(&r), "pe.version.block",
                   "version-info block of %u bytes is malformed", len);
    return 0;
  }
  b->at = at;
  b->end = len <= limit - at ? at + len : limit;
  if (len > limit - at)
    tells_anom_add(v->c->anoms, v->d.base + at, "pe.version.overrun",
                   "version-info block of %u bytes overruns its parent", len);
  r = tells_rd_sub(&v->d, at + 6, b->end - at - 6);
  b->key = r.p;
  for (k = 0; ; k++) {
    uint16_t u = tells_rd_u16le(&r);
    if (!tells_rd_ok(&r)) { b->nkey = k; b->val = b->end; return 1; }
    if (!u) break;
  }
  b->nkey = k;
  b->val = align4(at + 6 + 2 * (k + 1));
  if (b->val > b->end) b->val = b->end;
  return 1;
}

static int key_is(const vblk *b, const char *s) {
  size_t i, n = strlen(s);
  if (b->nkey != n) return 0;
  for (i = 0; i < n; i++)
    if (tells_ld16le(b->key + 2 * i) != (uint8_t)s[i]) return 0;
  return 1;
}

/* Iterates the children of b, calling fn on each. */
static void children(vctx *v, const vblk *b, size_t first,
                     void (*fn)(vctx *, const vblk *, void *), void *ud) {
  size_t at = align4(first);
  while (at + 6 <= b->end) {
    vblk k;
    if (++v->nodes > TELLS_MAX_PE_VERSION_NODES) {
      tells_anom_add(v->c->anoms, v->d.base + at, "pe.version.node_cap",
                     "more than %d version-info blocks", TELLS_MAX_PE_VERSION_NODES);
      return;
    }
    if (!vblk_read(v, at, b->end, &k)) return;
    fn(v, &k, ud);
    at = align4(k.end);
  }
}

static void on_string(vctx *v, const vblk *b, void *ud) {
  tells_pe *pe = v->c->pe;
  size_t n = 0, max = (b->end - b->val) / 2;
  tells_rd r = tells_rd_sub(&v->d, b->val, 2 * max);
  const uint8_t *p = r.p;
  tells_pe_kv *kv;
  (void)ud;
  if (pe->n_ver_strings >= v->cap_str) {
    if (pe->n_ver_strings == TELLS_MAX_PE_VERSION_STRINGS)
      tells_anom_add(v->c->anoms, v->d.base + b->at, "pe.version.string_cap",
                     "more than %d version strings", TELLS_MAX_PE_VERSION_STRINGS);
    return;
  }
  while (n < max) {
    uint16_t u = tells_rd_u16le(&r);
    if (!tells_rd_ok(&r) || !u) break;
    n++;
  }
  kv = &pe->ver_strings[pe->n_ver_strings++];
  kv->key = tells__pe_utf16(v->c, b->key, b->nkey);
  kv->value = tells__pe_utf16(v->c, p, n);
}

static void on_table(vctx *v, const vblk *b, void *ud) {
  children(v, b, b->val, on_string, ud);
}

static void on_var(vctx *v, const vblk *b, void *ud) {
  tells_pe *pe = v->c->pe;
  size_t n = b->vlen / 4, i;
  tells_rd r;
  (void)ud;
  if (!key_is(b, "Translation")) return;
  if (n > (b->end - b->val) / 4) n = (b->end - b->val) / 4;
  if (n > TELLS_MAX_PE_TRANSLATIONS) {
    tells_anom_add(v->c->anoms, v->d.base + b->at, "pe.version.translation_cap",
                   "%zu translations, only %d kept", n, TELLS_MAX_PE_TRANSLATIONS);
    n = TELLS_MAX_PE_TRANSLATIONS;
  }
  if (!n || pe->translations) return;
  pe->translations = tells__pe_alloc(v->c, n * sizeof *pe->translations);
  if (!pe->translations) return;
  r = tells_rd_sub(&v->d, b->val, 4 * n);
  for (i = 0; i < n; i++) pe->translations[i] = tells_rd_u32le(&r);
  pe->n_translations = n;
}

static void on_top(vctx *v, const vblk *b, void *ud) {
  if (key_is(b, "StringFileInfo")) children(v, b, b->val, on_table, ud);
  else if (key_is(b, "VarFileInfo")) children(v, b, b->val, on_var, ud);
}

static void version_info(tells__pe_ctx *c, const tells_pe_rsrc *e) {
  tells_pe *pe = c->pe;
  vctx v;
  vblk root;
  const uint8_t *p = tells__pe_ptr(c, e->off, e->size);
  if (!e->off || !p) return;
  memset(&v, 0, sizeof v);
  v.c = c;
  v.d = tells_rd_make(p, e->size, e->off);
  if (!vblk_read(&v, 0, e->size, &root)) return;
  if (!key_is(&root, "VS_VERSION_INFO")) {
    tells_anom_add(c->anoms, e->off, "pe.version.key", "version resource without VS_VERSION_INFO key");
    return;
  }
  pe->has_version = 1;
  if (root.vlen >= 52) {
    tells_rd r = tells_rd_sub(&v.d, root.val, 52);
    uint32_t sig = tells_rd_u32le(&r);
    (void)tells_rd_u32le(&r);
    pe->file_ver_ms = tells_rd_u32le(&r);
    pe->file_ver_ls = tells_rd_u32le(&r);
    pe->prod_ver_ms = tells_rd_u32le(&r);
    pe->prod_ver_ls = tells_rd_u32le(&r);
    if (!tells_rd_ok(&r) || sig != 0xfeef04bdu)
      tells_anom_add(c->anoms, e->off + root.val, "pe.version.fixed",
                     "VS_FIXEDFILEINFO signature 0x%08x is wrong or cut", sig);
  }
  v.cap_str = TELLS_MAX_PE_VERSION_STRINGS;
  pe->ver_strings = tells__pe_alloc(c, v.cap_str * sizeof *pe->ver_strings);
  if (!pe->ver_strings) { v.cap_str = 0; }
  children(&v, &root, root.val + root.vlen, on_top, NULL);
}

void tells__pe_rsrc(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  tells_pe_dir d = pe->dirs[TELLS_PE_DIR_RESOURCE];
  rwalk w;
  size_t i;
  if (!d.rva) return;
  memset(&w, 0, sizeof w);
  w.c = c;
  w.base_rva = d.rva;
  w.dir_size = d.size;
  w.seen_cap = 2 * TELLS_MAX_PE_RSRC_DIRS;   /* power of two, half full at most */
  w.seen = tells__pe_alloc(c, w.seen_cap * sizeof *w.seen);
  if (!w.seen) return;
  walk_dir(&w, 0, 0, tells__pe_dir_off(pe, TELLS_PE_DIR_RESOURCE));
  for (i = 0; i < pe->n_rsrc; i++)
    if (pe->rsrc[i].type_id == 16 && !pe->rsrc[i].type_name) {
      version_info(c, &pe->rsrc[i]);
      break;
    }
}
