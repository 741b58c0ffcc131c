/*
** evtx_write.c -- the EVTX writer for tests and the demo scenario
** (interface and layout: evtx_write.h, docs/internals/evtx-writer.md).
**
** A record is encoded straight into the current 64 KiB chunk image.  Names
** and template definitions new to the chunk are written inline and entered
** into per-chunk caches (with the string and template pointer tables); if
** the record then does not fit, those insertions are undone in reverse
** order, the chunk is written out, and the record is encoded again into an
** empty chunk.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "arena.h"
#include "crc32.h"
#include "evtx_write.h"

#define W_CHUNK   65536u
#define W_HDR     512u
#define W_NAMES   16384u  /* slots; a chunk holds < 5462 names */
#define W_TPLS    4096u   /* slots; a chunk holds < 1700 templates */
#define W_MAX_CHUNKS 65535u
#define W_NS "http://schemas.microsoft.com/win/2004/08/events/event"

typedef struct wslot {
  uint64_t h;
  const char *k;        /* key bytes, in the chunk arena */
  uint32_t kn, off;     /* key length; chunk offset of the name / definition */
  uint32_t used;
} wslot;

struct tells_evtxw {
  tells_evtxw_sink sink; void *ud;
  tells_err err;                 /* sticky: sink failure */
  uint8_t c[W_CHUNK];            /* image of the chunk being filled */
  uint32_t pos;                  /* next free byte */
  int ovf;                       /* the record being encoded ran past the end */
  tells_err rec_err;             /* error of the record being encoded */
  uint32_t strtab[64], tpltab[32];
  wslot names[W_NAMES], tpls[W_TPLS];
  uint32_t undo[W_NAMES + W_TPLS], n_undo; /* slots filled by this record;
                                              bit 31 = template table */
  tells_arena arena;             /* keys, per chunk */
  uint64_t first_id, last_id, next_id;
  uint32_t recs_in_chunk, last_rec;
  uint32_t n_chunks;             /* chunks written */
  uint64_t records;
  tells_buf key;                 /* template key scratch */
  FILE *f; uint64_t fpos; int fpos_ok;  /* file sink */
};

/* ---- byte output into the chunk image ------------------------------------ */
static void w8(tells_evtxw *w, unsigned v) {
  if (w->pos >= W_CHUNK) { w->ovf = 1; return; }
  w->c[w->pos++] = (uint8_t)v;
}
static void w16(tells_evtxw *w, unsigned v) { w8(w, v & 255); w8(w, (v >> 8) & 255); }
static void w32(tells_evtxw *w, uint32_t v) { w16(w, v & 0xffff); w16(w, v >> 16); }
static void w64(tells_evtxw *w, uint64_t v) { w32(w, (uint32_t)v); w32(w, (uint32_t)(v >> 32)); }
static void wbytes(tells_evtxw *w, const void *p, size_t n) {
  if (n > W_CHUNK - w->pos) { w->ovf = 1; w->pos = W_CHUNK; return; }
  if (n) memcpy(w->c + w->pos, p, n);
  w->pos += (uint32_t)n;
}
static void st16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(uint8_t *p, uint32_t v) { st16(p, v & 0xffff); st16(p + 2, v >> 16); }
static void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }
static void p16(tells_evtxw *w, uint32_t at, unsigned v) { if (!w->ovf && at + 2 <= W_CHUNK) st16(w->c + at, v); }
static void p32(tells_evtxw *w, uint32_t at, uint32_t v) { if (!w->ovf && at + 4 <= W_CHUNK) st32(w->c + at, v); }

/* ---- text ------------------------------------------------------------------ */
/* Next code point of UTF-8 s[0..n) at *i; invalid sequences give U+FFFD. */
static uint32_t u8next(const unsigned char *s, size_t n, size_t *i) {
  uint32_t c = s[*i], m;
  size_t k, need;
  (*i)++;
  if (c < 0x80) return c;
  if (c >= 0xc2 && c <= 0xdf) { need = 1; m = 0x80; c &= 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { need = 2; m = 0x800; c &= 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { need = 3; m = 0x10000; c &= 0x07; }
  else return 0xfffd;
  for (k = 0; k < need; k++) {
    if (*i >= n || (s[*i] & 0xc0) != 0x80) return 0xfffd;
    c = c << 6 | (s[(*i)++] & 0x3f);
  }
  if (c < m || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0xfffd;
  return c;
}

size_t tells_evtxw_utf16(uint8_t *out, size_t cap, const char *s, size_t n) {
  size_t i = 0, o = 0;
  while (i < n) {
    uint32_t c = u8next((const unsigned char *)s, n, &i);
    if (c >= 0x10000) {
      if (cap - o < 4) break;
      c -= 0x10000;
      st16(out + o, 0xd800 | (c >> 10)); st16(out + o + 2, 0xdc00 | (c & 0x3ff));
      o += 4;
    } else {
      if (cap - o < 2) break;
      st16(out + o, c);
      o += 2;
    }
  }
  return o;
}

/* Writes s as UTF-16LE code units; returns their count, folds them into
** *hash (the name hash of the format: h = h * 65599 + unit). */
static uint32_t wutf16(tells_evtxw *w, const char *s, size_t n, uint32_t *hash) {
  size_t i = 0;
  uint32_t units = 0, h = 0;
  while (i < n && !w->ovf) {
    uint32_t c = u8next((const unsigned char *)s, n, &i), u[2];
    int k, m = 1;
    if (c >= 0x10000) { c -= 0x10000; u[0] = 0xd800 | (c >> 10); u[1] = 0xdc00 | (c & 0x3ff); m = 2; }
    else u[0] = c;
    for (k = 0; k < m; k++) { w16(w, u[k]); h = h * 65599u + u[k]; units++; }
  }
  if (hash) *hash = h;
  return units;
}

/* ---- per-chunk caches ---------------------------------------------------- */
static uint64_t fnv(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for (i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
  return h;
}

static wslot *slot_find(wslot *t, uint32_t cap, uint64_t h, const void *k, size_t kn, uint32_t *idx) {
  uint32_t i = (uint32_t)h & (cap - 1);
  while (t[i].used) {
    if (t[i].h == h && t[i].kn == kn && memcmp(t[i].k, k, kn) == 0) { *idx = i; return &t[i]; }
    i = (i + 1) & (cap - 1);
  }
  *idx = i;
  return NULL;
}

static int slot_add(tells_evtxw *w, int tpl, uint32_t idx, uint64_t h, const void *k, size_t kn, uint32_t off) {
  wslot *s = tpl ? &w->tpls[idx] : &w->names[idx];
  char *kk = tells_arena_strndup(&w->arena, k, kn);
  if (!kk) { w->rec_err = TELLS_ENOMEM; return -1; }
  s->h = h; s->k = kk; s->kn = (uint32_t)kn; s->off = off; s->used = 1;
  w->undo[w->n_undo++] = idx | (tpl ? 0x80000000u : 0);
  return 0;
}

/* Name reference: the offset of a name the chunk holds, else the name
** itself, inline, entered at the head of its string-table bucket. */
static void name_ref(tells_evtxw *w, const char *s) {
  size_t n = strlen(s);
  uint64_t h = fnv(s, n);
  uint32_t idx, at, units, nh = 0;
  wslot *sl = slot_find(w->names, W_NAMES, h, s, n, &idx);
  if (sl) { w32(w, sl->off); return; }
  at = w->pos + 4;
  w32(w, at);
  w32(w, 0); w16(w, 0); w16(w, 0);          /* next, hash, count: patched */
  units = wutf16(w, s, n, &nh);
  w16(w, 0);
  if (w->ovf) return;
  if (units > 0xffff) { w->rec_err = TELLS_ELIMIT; return; }
  p32(w, at, w->strtab[(nh & 0xffff) % 64]);
  p16(w, at + 4, nh & 0xffff);
  p16(w, at + 6, units);
  w->strtab[(nh & 0xffff) % 64] = at;
  if (w->n_undo < W_NAMES + W_TPLS) slot_add(w, 0, idx, h, s, n, at);
}

/* ---- Binary XML tokens ------------------------------------------------- */
/* Element start; returns the position of its data size (for el_end). */
static uint32_t el_open(tells_evtxw *w, const char *name, unsigned dep, int attrs, uint32_t *alist) {
  uint32_t sz;
  w8(w, attrs ? 0x41 : 0x01);
  w16(w, dep);
  sz = w->pos;
  w32(w, 0);
  name_ref(w, name);
  if (attrs) { *alist = w->pos; w32(w, 0); }
  return sz;
}
static void attr(tells_evtxw *w, const char *name, int more) { w8(w, more ? 0x46 : 0x06); name_ref(w, name); }
static void alist_end(tells_evtxw *w, uint32_t alist) { p32(w, alist, w->pos - (alist + 4)); }
static void el_size(tells_evtxw *w, uint32_t sz) { p32(w, sz, w->pos - (sz + 4)); }
static void subst(tells_evtxw *w, int opt, unsigned idx, unsigned type) {
  w8(w, opt ? 0x0e : 0x0d); w16(w, idx); w8(w, type);
}
static void text(tells_evtxw *w, const char *s) {
  uint32_t at, units;
  w8(w, 0x05); w8(w, 0x01);
  at = w->pos;
  w16(w, 0);
  units = wutf16(w, s, strlen(s), NULL);
  if (units > 0xffff) w->rec_err = TELLS_ELIMIT;
  p16(w, at, units);
}
static void frag(tells_evtxw *w) { w8(w, 0x0f); w8(w, 1); w8(w, 1); w8(w, 0); }

/* <name dep>%?idx:type</name> */
static void el_subst(tells_evtxw *w, const char *name, unsigned idx, unsigned type) {
  uint32_t sz = el_open(w, name, idx, 0, NULL);
  w8(w, 0x02); subst(w, 1, idx, type); w8(w, 0x04);
  el_size(w, sz);
}
/* <name a1=%?i1:t1 [a2=%?i2:t2]/> */
static void el_attrs(tells_evtxw *w, const char *name, const char *a1, unsigned i1, unsigned t1,
                     const char *a2, unsigned i2, unsigned t2) {
  uint32_t al = 0, sz = el_open(w, name, 0xffff, 1, &al);
  attr(w, a1, a2 != NULL); subst(w, 1, i1, t1);
  if (a2) { attr(w, a2, 0); subst(w, 1, i2, t2); }
  alist_end(w, al);
  w8(w, 0x03);
  el_size(w, sz);
}

/* Template instance header.  A definition the chunk holds is referenced;
** otherwise body() writes it inline.  key identifies the shape. */
typedef void (*body_fn)(tells_evtxw *w, const void *ctx);
static void tpl_instance(tells_evtxw *w, const void *key, size_t kn, body_fn body, const void *ctx) {
  uint64_t h = fnv(key, kn), h2 = fnv(&h, sizeof h);
  uint8_t guid[16];
  uint32_t idx, id, def, size_at;
  wslot *sl = slot_find(w->tpls, W_TPLS, h, key, kn, &idx);
  st64(guid, h); st64(guid + 8, h2);
  id = (uint32_t)h;
  w8(w, 0x0c); w8(w, 1); w32(w, id);
  if (sl) { w32(w, sl->off); return; }
  def = w->pos + 4;
  w32(w, def);
  w32(w, w->tpltab[id % 32]);                /* next definition in the bucket */
  wbytes(w, guid, 16);
  size_at = w->pos;
  w32(w, 0);
  frag(w);
  body(w, ctx);
  w8(w, 0x00);                               /* end of stream */
  p32(w, size_at, w->pos - (size_at + 4));
  if (w->ovf) return;
  w->tpltab[id % 32] = def;
  if (w->n_undo < W_NAMES + W_TPLS) slot_add(w, 1, idx, h, key, kn, def);
}

/* ---- the System template ------------------------------------------------- */
typedef struct sysctx { const tells_evtxw_sys *s; unsigned eid_type; } sysctx;

static void sys_body(tells_evtxw *w, const void *vctx) {
  const sysctx *x = vctx;
  const char *comp = x->s->computer ? x->s->computer : "";
  uint32_t al = 0, ev, sy, sz;
  ev = el_open(w, "Event", 17, 1, &al);
  attr(w, "xmlns", 0); text(w, W_NS);
  alist_end(w, al);
  w8(w, 0x02);
  sy = el_open(w, "System", 0xffff, 0, NULL);
  w8(w, 0x02);
  el_attrs(w, "Provider", "Name", 14, 0x01, "Guid", 15, 0x0f);
  sz = el_open(w, "EventID", 3, 1, &al);
  attr(w, "Qualifiers", 0); subst(w, 1, 4, 0x06);
  alist_end(w, al);
  w8(w, 0x02); subst(w, 1, 3, x->eid_type); w8(w, 0x04);
  el_size(w, sz);
  el_subst(w, "Version", 11, 0x04);
  el_subst(w, "Level", 0, 0x04);
  el_subst(w, "Task", 2, 0x06);
  el_subst(w, "Opcode", 1, 0x04);
  el_subst(w, "Keywords", 5, 0x15);
  el_attrs(w, "TimeCreated", "SystemTime", 6, 0x11, NULL, 0, 0);
  el_subst(w, "EventRecordID", 10, 0x0a);
  el_attrs(w, "Correlation", "ActivityID", 7, 0x0f, "RelatedActivityID", 13, 0x0f);
  el_attrs(w, "Execution", "ProcessID", 8, 0x08, "ThreadID", 9, 0x08);
  el_subst(w, "Channel", 16, 0x01);
  sz = el_open(w, "Computer", 0xffff, 0, NULL);
  w8(w, 0x02);
  text(w, comp);                             /* even empty: readers want content */
  w8(w, 0x04);
  el_size(w, sz);
  el_attrs(w, "Security", "UserID", 12, 0x13, NULL, 0, 0);
  w8(w, 0x04);
  el_size(w, sy);
  subst(w, 1, 17, 0x21);
  w8(w, 0x04);
  el_size(w, ev);
}

/* ---- the EventData / UserData template ------------------------------------ */
typedef struct datactx { const tells_evtxw_field *f; size_t n; const char *root; } datactx;

static void data_body(tells_evtxw *w, const void *vctx) {
  const datactx *x = vctx;
  uint32_t top, inner = 0, sz, al = 0;
  size_t i;
  top = el_open(w, x->root ? "UserData" : "EventData", 0xffff, 0, NULL);
  w8(w, 0x02);
  if (x->root) { inner = el_open(w, x->root, 0xffff, 0, NULL); w8(w, 0x02); }
  for (i = 0; i < x->n; i++) {
    if (x->root) {
      sz = el_open(w, x->f[i].name, 0xffff, 0, NULL);
    } else {
      sz = el_open(w, "Data", 0xffff, 1, &al);
      attr(w, "Name", 0); text(w, x->f[i].name);
      alist_end(w, al);
    }
    w8(w, 0x02);
    /* a NULL value: optional substitution (readers reject a normal one) */
    subst(w, x->f[i].v.type == 0, (unsigned)i, x->f[i].v.type);
    w8(w, 0x04);
    el_size(w, sz);
  }
  if (x->root) { w8(w, 0x04); el_size(w, inner); }
  w8(w, 0x04);
  el_size(w, top);
}

/* Instance data: count, descriptors, values.  put() writes value i. */
typedef void (*put_fn)(tells_evtxw *w, const void *ctx, size_t i, uint8_t *type);
static void inst_data(tells_evtxw *w, size_t n, put_fn put, const void *ctx) {
  uint32_t d;
  size_t i;
  w32(w, (uint32_t)n);
  d = w->pos;
  for (i = 0; i < n; i++) w32(w, 0);
  for (i = 0; i < n && !w->ovf; i++) {
    uint32_t start = w->pos, len;
    uint8_t type = 0;
    put(w, ctx, i, &type);
    len = w->pos - start;
    if (len > 0xffff) { w->rec_err = TELLS_ELIMIT; return; }
    p16(w, d + 4 * (uint32_t)i, len);
    if (!w->ovf) { w->c[d + 4 * i + 2] = type; w->c[d + 4 * i + 3] = 0; }
  }
}

static void put_field(tells_evtxw *w, const void *vctx, size_t i, uint8_t *type) {
  const datactx *x = vctx;
  const tells_evtxw_val *v = &x->f[i].v;
  *type = v->type;
  if (v->n > 0xffff) { w->rec_err = TELLS_ELIMIT; return; }
  wbytes(w, v->p, v->n);
}

/* The nested Binary XML value of EventData / UserData. */
static void put_data(tells_evtxw *w, const datactx *x) {
  size_t i;
  tells_buf_reset(&w->key);
  tells_buf_adds(&w->key, x->root ? "U" : "E");
  if (x->root) tells_buf_add(&w->key, x->root, strlen(x->root) + 1);
  for (i = 0; i < x->n; i++) {
    tells_buf_addc(&w->key, (char)x->f[i].v.type);
    tells_buf_add(&w->key, x->f[i].name, strlen(x->f[i].name) + 1);
  }
  if (w->key.err) { w->rec_err = w->key.err; return; }
  frag(w);
  tpl_instance(w, w->key.p, w->key.n, data_body, x);
  inst_data(w, x->n, put_field, x);
  w8(w, 0x00);
}

typedef struct recctx {
  const sysctx *sc; const datactx *dc;
  uint8_t sid[68]; size_t sid_n;
  uint8_t pguid[16], act[16]; int has_pguid, has_act;
  uint64_t id, ft;
} recctx;

static void put_sys(tells_evtxw *w, const void *vctx, size_t i, uint8_t *type) {
  const recctx *r = vctx;
  const tells_evtxw_sys *s = r->sc->s;
  switch (i) {
  case 0: *type = 0x04; w8(w, s->level); break;
  case 1: *type = 0x04; w8(w, s->opcode); break;
  case 2: *type = 0x06; w16(w, s->task); break;
  case 3:
    *type = (uint8_t)r->sc->eid_type;
    if (r->sc->eid_type == 0x06) w16(w, s->event_id); else w32(w, s->event_id);
    break;
  case 4: if (s->has_qualifiers) { *type = 0x06; w16(w, s->qualifiers); } break;
  case 5: *type = 0x15; w64(w, s->keywords); break;
  case 6: *type = 0x11; w64(w, r->ft); break;
  case 7: if (r->has_act) { *type = 0x0f; wbytes(w, r->act, 16); } break;
  case 8: *type = 0x08; w32(w, s->pid); break;
  case 9: *type = 0x08; w32(w, s->tid); break;
  case 10: *type = 0x0a; w64(w, r->id); break;
  case 11: *type = 0x04; w8(w, s->version); break;
  case 12: if (r->sid_n) { *type = 0x13; wbytes(w, r->sid, r->sid_n); } break;
  case 13: break;                            /* RelatedActivityID: NULL */
  case 14: case 16: {
    const char *t = i == 14 ? s->provider : s->channel;
    *type = 0x01;
    if (t) wutf16(w, t, strlen(t), NULL);
    break;
  }
  case 15: if (r->has_pguid) { *type = 0x0f; wbytes(w, r->pguid, 16); } break;
  case 17: *type = 0x21; put_data(w, r->dc); break;
  default: break;
  }
}

/* Encodes one record at w->pos. */
static void put_record(tells_evtxw *w, const recctx *r) {
  uint32_t rec = w->pos, size;
  const tells_evtxw_sys *s = r->sc->s;
  const char *comp = s->computer ? s->computer : "";
  w32(w, 0x00002a2a); w32(w, 0); w64(w, r->id); w64(w, r->ft);
  frag(w);
  tells_buf_reset(&w->key);
  tells_buf_addc(&w->key, 'S');
  tells_buf_addc(&w->key, (char)r->sc->eid_type);
  tells_buf_add(&w->key, comp, strlen(comp));
  if (w->key.err) { w->rec_err = w->key.err; return; }
  tpl_instance(w, w->key.p, w->key.n, sys_body, r->sc);
  inst_data(w, 18, put_sys, r);
  w8(w, 0x00);
  while ((w->pos - rec + 4) % 8 && !w->ovf) w8(w, 0);
  size = w->pos - rec + 4;
  w32(w, size);
  p32(w, rec + 4, size);
}

/* ---- chunks and the file --------------------------------------------------- */
static void chunk_reset(tells_evtxw *w) {
  memset(w->c, 0, sizeof w->c);
  memset(w->names, 0, sizeof w->names);
  memset(w->tpls, 0, sizeof w->tpls);
  memset(w->strtab, 0, sizeof w->strtab);
  memset(w->tpltab, 0, sizeof w->tpltab);
  tells_arena_free(&w->arena);
  w->pos = W_HDR;
  w->recs_in_chunk = 0;
  w->last_rec = 0;
}

static tells_err chunk_write(tells_evtxw *w) {
  uint8_t *c = w->c;
  uint32_t i, crc;
  if (w->n_chunks >= W_MAX_CHUNKS) return TELLS_ELIMIT;
  memcpy(c, "ElfChnk", 8);
  st64(c + 8, w->first_id); st64(c + 16, w->last_id);
  st64(c + 24, w->first_id); st64(c + 32, w->last_id);
  st32(c + 40, 128);
  st32(c + 44, w->last_rec);
  st32(c + 48, w->pos);
  st32(c + 52, tells__crc32(0, c + W_HDR, w->pos - W_HDR));
  st32(c + 120, 1);
  for (i = 0; i < 64; i++) st32(c + 128 + 4 * i, w->strtab[i]);
  for (i = 0; i < 32; i++) st32(c + 384 + 4 * i, w->tpltab[i]);
  crc = tells__crc32(tells__crc32(0, c, 120), c + 128, 384);
  st32(c + 124, crc);
  if (w->sink(w->ud, 4096 + (uint64_t)w->n_chunks * W_CHUNK, c, W_CHUNK)) return TELLS_EIO;
  w->n_chunks++;
  chunk_reset(w);
  return TELLS_OK;
}

static tells_err hdr_write(tells_evtxw *w) {
  uint8_t h[4096];
  memset(h, 0, sizeof h);
  memcpy(h, "ElfFile", 8);
  st64(h + 8, 0);
  st64(h + 16, w->n_chunks ? w->n_chunks - 1 : 0);
  st64(h + 24, w->next_id);
  st32(h + 32, 128);
  st16(h + 36, 1); st16(h + 38, 3);
  st16(h + 40, 4096);
  st16(h + 42, w->n_chunks);
  st32(h + 120, 0);
  st32(h + 124, tells__crc32(0, h, 120));
  return w->sink(w->ud, 0, h, sizeof h) ? TELLS_EIO : TELLS_OK;
}

tells_err tells_evtxw_open(tells_evtxw **out, tells_evtxw_sink sink, void *ud) {
  tells_evtxw *w;
  *out = NULL;
  if (!sink) return TELLS_EARG;
  if (!(w = tells_calloc(1, sizeof *w))) return TELLS_ENOMEM;
  w->sink = sink; w->ud = ud;
  tells_arena_init(&w->arena, 16u << 20);
  tells_buf_init(&w->key, 1u << 20);
  w->next_id = 1;
  chunk_reset(w);
  *out = w;
  return TELLS_OK;
}

static int file_sink(void *ud, uint64_t off, const void *p, size_t n) {
  tells_evtxw *w = ud;
  if (!w->fpos_ok || w->fpos != off) {
    if (fseeko(w->f, (off_t)off, SEEK_SET) != 0) return -1;
  }
  if (fwrite(p, 1, n, w->f) != n) { w->fpos_ok = 0; return -1; }
  w->fpos = off + n; w->fpos_ok = 1;
  return 0;
}

tells_err tells_evtxw_open_file(tells_evtxw **out, FILE *f) {
  tells_err e = tells_evtxw_open(out, file_sink, NULL);
  if (e) return e;
  (*out)->ud = *out;
  (*out)->f = f;
  (*out)->fpos_ok = ftello(f) == 0;
  return TELLS_OK;
}

static int buf_sink(void *ud, uint64_t off, const void *p, size_t n) {
  tells_buf *b = ud;
  static const char z[256];
  while (b->n < off) {
    size_t k = off - b->n < sizeof z ? (size_t)(off - b->n) : sizeof z;
    if (tells_buf_add(b, z, k)) return -1;
  }
  if (off + n <= b->n) { memcpy(b->p + off, p, n); return 0; }
  if (off < b->n) {
    size_t k = (size_t)(b->n - off);
    memcpy(b->p + off, p, k);
    p = (const uint8_t *)p + k; n -= k;
  }
  return tells_buf_add(b, p, n) ? -1 : 0;
}

tells_err tells_evtxw_open_buf(tells_evtxw **out, tells_buf *b) {
  return tells_evtxw_open(out, buf_sink, b);
}

uint64_t tells_evtxw_filetime(int64_t ns) {
  int64_t t = ns >= 0 ? ns / 100 : -((-(ns + 1)) / 100) - 1;
  if (t < -INT64_C(116444736000000000)) return 0;
  return (uint64_t)(t + INT64_C(116444736000000000));
}

size_t tells_evtxw_sid(uint8_t out[68], const char *s) {
  uint64_t v, auth;
  unsigned cnt = 0, rev;
  const char *p = s;
  char *e;
  if (!s || (p[0] != 'S' && p[0] != 's') || p[1] != '-') return 0;
  p += 2;
  if (*p < '0' || *p > '9') return 0;
  v = strtoull(p, &e, 10);
  if (e == p || v > 255 || *e != '-') return 0;
  rev = (unsigned)v;
  p = e + 1;
  if (*p < '0' || *p > '9') return 0;
  auth = strtoull(p, &e, 0);
  if (e == p || auth > 0xffffffffffffull) return 0;
  p = e;
  while (*p == '-') {
    p++;
    if (*p < '0' || *p > '9' || cnt == 15) return 0;
    v = strtoull(p, &e, 10);
    if (e == p || v > 0xffffffffu) return 0;
    st32(out + 8 + 4 * cnt, (uint32_t)v);
    cnt++;
    p = e;
  }
  if (*p) return 0;
  out[0] = (uint8_t)rev; out[1] = (uint8_t)cnt;
  {
    int i;
    for (i = 0; i < 6; i++) out[2 + i] = (uint8_t)(auth >> (8 * (5 - i)));
  }
  return 8 + 4u * cnt;
}

static int hexv(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 32) >= 'a' && (c | 32) <= 'f') return (c | 32) - 'a' + 10;
  return -1;
}

size_t tells_evtxw_guid(uint8_t out[16], const char *s) {
  /* text order of the 16 bytes: the first three groups are little-endian */
  static const int ord[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  int k = 0, brace;
  if (!s) return 0;
  brace = *s == '{';
  s += brace;
  while (k < 16) {
    int hi, lo;
    if ((k == 4 || k == 6 || k == 8 || k == 10)) { if (*s != '-') return 0; s++; }
    if ((hi = hexv(s[0])) < 0 || (lo = hexv(s[1])) < 0) return 0;
    out[ord[k]] = (uint8_t)(hi << 4 | lo);
    s += 2; k++;
  }
  if (brace && *s++ != '}') return 0;
  return *s ? 0 : 16;
}

tells_err tells_evtxw_add_vals(tells_evtxw *w, const tells_evtxw_sys *s,
                               const tells_evtxw_field *f, size_t n) {
  sysctx sc;
  datactx dc;
  recctx r;
  size_t i, tot;
  int attempt;
  if (!w || !s) return TELLS_EARG;
  if (w->err) return w->err;
  if (n > 4096 || (n && !f)) return TELLS_EARG;
  for (i = 0, tot = 0; i < n; i++) {
    if (!f[i].name || (f[i].v.n && !f[i].v.p)) return TELLS_EARG;
    tot += f[i].v.n;
  }
  if (tot > W_CHUNK - W_HDR) return TELLS_ELIMIT;  /* cannot fit any chunk */
  memset(&r, 0, sizeof r);
  if (s->user_sid && !(r.sid_n = tells_evtxw_sid(r.sid, s->user_sid))) return TELLS_EARG;
  if (s->provider_guid) { if (!tells_evtxw_guid(r.pguid, s->provider_guid)) return TELLS_EARG; r.has_pguid = 1; }
  if (s->activity_id) { if (!tells_evtxw_guid(r.act, s->activity_id)) return TELLS_EARG; r.has_act = 1; }
  sc.s = s; sc.eid_type = s->event_id > 0xffff ? 0x08 : 0x06;
  dc.f = f; dc.n = n; dc.root = s->user_data;
  r.sc = &sc; r.dc = &dc;
  r.id = s->record_id ? s->record_id : w->next_id;
  r.ft = tells_evtxw_filetime(s->time_ns);
  for (attempt = 0; attempt < 2; attempt++) {
    uint32_t save_pos = w->pos, st[64], tt[32];
    tells_err e;
    memcpy(st, w->strtab, sizeof st); memcpy(tt, w->tpltab, sizeof tt);
    w->ovf = 0; w->rec_err = TELLS_OK; w->n_undo = 0;
    put_record(w, &r);
    if (!w->ovf && !w->rec_err) {
      if (!w->recs_in_chunk) w->first_id = r.id;
      w->last_id = r.id;
      w->last_rec = save_pos;
      w->recs_in_chunk++;
      w->records++;
      w->next_id = r.id + 1;
      return TELLS_OK;
    }
    /* undo: the slots this record filled, newest first */
    while (w->n_undo) {
      uint32_t u = w->undo[--w->n_undo];
      if (u & 0x80000000u) memset(&w->tpls[u & 0x7fffffffu], 0, sizeof(wslot));
      else memset(&w->names[u], 0, sizeof(wslot));
    }
    memcpy(w->strtab, st, sizeof st); memcpy(w->tpltab, tt, sizeof tt);
    memset(w->c + save_pos, 0, W_CHUNK - save_pos);
    w->pos = save_pos;
    e = w->rec_err;
    w->ovf = 0; w->rec_err = TELLS_OK;
    if (e) return e;
    if (!w->recs_in_chunk) return TELLS_ELIMIT;  /* larger than a chunk */
    if ((e = chunk_write(w)) != TELLS_OK) return w->err = e;
  }
  return TELLS_ELIMIT;
}

tells_err tells_evtxw_add(tells_evtxw *w, const tells_evtxw_sys *s, const char *const *names,
                          const char *const *values, size_t n) {
  tells_evtxw_field *f;
  uint8_t *u;
  size_t i, tot = 0, o = 0;
  tells_err e;
  if (n > 4096 || (n && (!names || !values))) return TELLS_EARG;
  for (i = 0; i < n; i++) {
    if (!names[i]) return TELLS_EARG;
    tot += 4 * (values[i] ? strlen(values[i]) : 0);
  }
  f = tells_calloc(n ? n : 1, sizeof *f);
  u = tells_malloc(tot ? tot : 1);
  if (!f || !u) { tells_free(f); tells_free(u); return TELLS_ENOMEM; }
  for (i = 0; i < n; i++) {
    size_t k = values[i] ? tells_evtxw_utf16(u + o, tot - o, values[i], strlen(values[i])) : 0;
    f[i].name = names[i];
    f[i].v.type = values[i] ? TELLS_EVTXW_STR : TELLS_EVTXW_NULL;
    f[i].v.p = u + o;
    f[i].v.n = (uint32_t)k;
    o += k;
  }
  e = tells_evtxw_add_vals(w, s, f, n);
  tells_free(f);
  tells_free(u);
  return e;
}

tells_err tells_evtxw_close(tells_evtxw *w) {
  tells_err e;
  if (!w) return TELLS_EARG;
  e = w->err;
  if (!e && (w->recs_in_chunk || !w->n_chunks)) e = chunk_write(w);
  if (!e) e = hdr_write(w);
  if (!e && w->f && fflush(w->f) != 0) e = TELLS_EIO;
  tells_arena_free(&w->arena);
  tells_buf_free(&w->key);
  tells_free(w);
  return e;
}

uint64_t tells_evtxw_records(const tells_evtxw *w) { return w->records; }
uint32_t tells_evtxw_chunks(const tells_evtxw *w) { return w->n_chunks; }
