/*
** evtx.c -- EVTX file, chunk and record walking, and Binary XML decoding.
**
** tells_evtx_next() walks the chunks of the file in order, checks each
** chunk's signature and CRC-32s (a mismatch is an anomaly; the chunk is
** still read), steps through its records, and decodes each record's Binary
** XML into the record tree (evtx_int.h explains the two steps: compile to
** ops, expand with substitution values).  Damaged structures are recorded
** as anomalies with absolute offsets; a record whose Binary XML breaks is
** still returned, flagged `broken`, with what was decoded.  After the last
** record of a chunk, the slack up to the chunk end is scanned for records
** that still carry a valid signature and size (carved, flagged `recovered`).
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "crc32.h"
#include "evtx_int.h"
#include "tells_limits.h"

/* Anomalies from Binary XML per chunk, so a rotten chunk cannot flood the
** list (the list itself is capped too). */
#define EVTX_ANOM_PER_CHUNK 16

static void banom(tells_evtx *x, uint64_t off, const char *code, const char *msg) {
  if (x->quiet) return;                /* trial decode of a carved candidate */
  if (x->anom_budget == 0) { x->an->dropped++; return; }
  x->anom_budget--;
  tells_anom_add(x->an, off, code, "%s", msg);
}

/* ---- caches (open addressing keyed by chunk offset, cleared by bumping
** the generation) ------------------------------------------------------- */
static hslot *hfind(hslot *tab, uint32_t gen, uint32_t key, int *found) {
  uint32_t h = (key * 2654435761u) >> 21, i;
  for (i = 0; i < 64; i++) {
    hslot *s = &tab[(h + i) & (EVTX_HASH - 1)];
    if (s->gen != gen) { *found = 0; return s; }
    if (s->key == key) { *found = 1; return s; }
  }
  *found = 0;
  return NULL;                       /* probe limit: not cached */
}

static uint64_t ld64(const uint8_t *q) {
  return tells_ld32le(q) | (uint64_t)tells_ld32le(q + 4) << 32;
}

static void *aalloc(tells_evtx *x, size_t n) { return tells_arena_alloc(&x->arena, n); }
/* Symbolic template trees have an arena of their own (same cap, same life),
** so they never take room the decoding itself would have had. */
static void *symalloc(tells_evtx *x, size_t n) { return tells_arena_alloc(&x->sym_arena, n); }

/* Position of a cursor relative to the chunk start. */
static uint32_t cpos(const tells_evtx *x, const tells_rd *r) {
  return (uint32_t)(r->base + r->off - x->ck.base);
}

static int wk_of(const char *s, uint32_t n) {
  static const char *const wk[WK_COUNT] = {
    NULL,
#define EVTX__WK_STR(n) #n,
    EVTX_WK_MAP(EVTX__WK_STR)
#undef EVTX__WK_STR
  };
  static const uint8_t len[WK_COUNT] = {
    0,
#define EVTX__WK_LEN(n) sizeof #n - 1,
    EVTX_WK_MAP(EVTX__WK_LEN)
#undef EVTX__WK_LEN
  };
  int i;
  if (n < 4 || n > 13) return WK_NONE;
  for (i = 1; i < WK_COUNT; i++)
    if (len[i] == n && memcmp(wk[i], s, n) == 0) return i;
  return WK_NONE;
}

/* Reads a name structure at r: u32 next, u16 hash, u16 count, UTF-16, NUL. */
static const evtx_name *read_name(tells_evtx *x, tells_rd *r) {
  tells_buf *b = &x->nb;
  evtx_name *nm;
  const uint8_t *chars;
  uint16_t nch;
  tells_rd_skip(r, 6);
  nch = tells_rd_u16le(r);
  chars = tells_rd_bytes(r, (size_t)nch * 2);
  tells_rd_skip(r, 2);
  if (!tells_rd_ok(r)) return NULL;
  tells_buf_reset(b);
  tells__evtx_utf16(b, chars, nch);
  nm = aalloc(x, sizeof *nm);
  if (!nm || b->err) return NULL;
  nm->n = (uint32_t)b->n;
  nm->s = tells_arena_strndup(&x->arena, b->p ? b->p : "", b->n);
  nm->wk = nm->s ? wk_of(nm->s, nm->n) : WK_NONE;
  return nm->s ? nm : NULL;
}

/* Notes name field number rec->n of the definition compiling for the
** cache: its offset field ends at chunk offset `here`. */
static void tc_note(evtx_tc_rec *rec, uint32_t here, int inl, const evtx_name *nm) {
  evtx_tc_name *v;
  if (rec->bad) return;
  if (rec->n == rec->cap) {
    uint32_t cap = rec->cap ? rec->cap * 2 : 64;
    if (cap > EVTX_MAX_OPS || !(v = tells_realloc(rec->v, cap * sizeof *v))) {
      rec->bad = 1;
      return;
    }
    rec->v = v; rec->cap = cap;
  }
  v = &rec->v[rec->n++];
  memset(v, 0, sizeof *v);
  v->rel = here - 4 - rec->body;
  v->inl = inl;
  v->nm = nm;
}

static const evtx_name *get_name_at(tells_evtx *x, tells_rd *r, uint32_t off);

/* Name at chunk offset `off`; inline (and skipped over) when off is r's
** position. */
static const evtx_name *get_name(tells_evtx *x, tells_rd *r, uint32_t off) {
  uint32_t here;
  const evtx_name *nm;
  if (!x->tc_rec) return get_name_at(x, r, off);
  here = cpos(x, r);
  if ((nm = get_name_at(x, r, off)) != NULL) tc_note(x->tc_rec, here, off == here, nm);
  return nm;
}

static const evtx_name *get_name_at(tells_evtx *x, tells_rd *r, uint32_t off) {
  int found;
  hslot *s;
  const evtx_name *nm;
  if (off == cpos(x, r)) {
    nm = read_name(x, r);
    s = hfind(x->names, x->gen, off, &found);
    if (nm && s && !found) { s->gen = x->gen; s->key = off; s->v = (void *)nm; }
    return nm;
  }
  s = hfind(x->names, x->gen, off, &found);
  if (s && found) return s->v;
  /* A carved record may reference names of the chunk's previous life:
  ** accept only names already seen stored inline. */
  if (x->carving) return NULL;
  {
    tells_rd nr = tells_rd_sub(&x->ck, off, x->ck.len > off ? x->ck.len - off : 0);
    if (off < EVTX_CHUNK_HEADER || !tells_rd_ok(&nr)) return NULL;
    nm = read_name(x, &nr);
  }
  if (nm && s) { s->gen = x->gen; s->key = off; s->v = (void *)nm; }
  return nm;
}

/* ---- compile: Binary XML stream -> ops --------------------------------- */
typedef evtx_opvec opvec;

typedef struct cctx {
  tells_evtx *x;
  opvec *ov;
} cctx;

static evtx_op *emit(cctx *c, uint8_t op) {
  opvec *ov = c->ov;
  evtx_op *o;
  if (ov->n == ov->cap) {
    uint32_t cap = ov->cap ? ov->cap * 2 : 256;
    evtx_op *v;
    if (cap > EVTX_MAX_OPS) return NULL;
    v = tells_realloc(ov->v, cap * sizeof *v);
    if (!v) return NULL;
    ov->v = v; ov->cap = cap;
  }
  o = &ov->v[ov->n++];
  memset(o, 0, sizeof *o);
  o->op = op;
  return o;
}

static int compile(tells_evtx *x, opvec *ov, tells_rd *r, int in_subst, int nest);

/* The largest op vector emit() can grow to: a compile emitting past it
** fails there. */
static uint32_t ops_capmax(void) {
  uint32_t c = 256;
  while (c <= EVTX_MAX_OPS / 2) c *= 2;
  return c;
}

/* Takes kept definition e as the compile of the definition whose body is
** at chunk offset `body` into t (allocated and cached by offset already),
** leaving the chunk as the compile would have: each name read registered
** at its offset unless one is there, the arena allocations of the names,
** text and ops made in the same order and sizes.  Returns 0, changing
** nothing, when the compile could have failed here (the op vector's cap,
** the arena's), so that the caller compiles instead. */
static int tc_adopt(tells_evtx *x, evtx_tc_ent *e, opvec *ov, evtx_tmpl *t, uint32_t body) {
  size_t total = 0, largest = 0, count = 0, sz;
  uint32_t k, j = 0;
  evtx_op *ops;
  if (ov->n > ops_capmax() || e->n_ops > ops_capmax() - ov->n) return 0;
  for (k = 0; k < e->n_ops; k++) {
    const evtx_op *o = &e->ops[k];
    if (o->op == OP_TEXT) sz = (size_t)o->n + 1;
    else if (evtx_op_named(o->op)) {
      sz = (size_t)o->u.name->n + 1;
      total += sizeof(evtx_name); count++;
    } else continue;
    total += sz; count++;
    if (sz > largest) largest = sz;
  }
  sz = (size_t)e->n_ops * sizeof *ops;
  total += sz; count++;
  if (sz > largest) largest = sz;
  if (!tells_arena_room(&x->arena, total, largest, count)) return 0;
  for (k = 0; k < e->n_ops; k++) {
    const evtx_op *o = &e->ops[k];
    if (o->op == OP_TEXT) {
      (void)tells_arena_alloc(&x->arena, (size_t)o->n + 1);    /* compile_text's copy */
    } else if (evtx_op_named(o->op)) {
      const evtx_tc_name *n = &e->names[j++];
      uint32_t here = body + n->rel + 4, at = n->inl ? here : tells_ld32le(x->ck.p + body + n->rel);
      int found = 0;
      hslot *s = NULL;
      evtx_name *nm;
      if (!n->inl) {                     /* a reference: read unless known */
        s = hfind(x->names, x->gen, at, &found);
        if (s && found) continue;
      }
      nm = aalloc(x, sizeof *nm);        /* read_name's copy */
      if (!nm || !(nm->s = tells_arena_strndup(&x->arena, n->nm->s, n->nm->n))) {
        t->bad = 1;                      /* malloc failed (the room was there) */
        return 1;
      }
      nm->n = n->nm->n; nm->wk = n->nm->wk;
      if (n->inl) s = hfind(x->names, x->gen, at, &found);
      if (s && !found) { s->gen = x->gen; s->key = at; s->v = nm; }
    }
  }
  if (!(ops = aalloc(x, sz))) { t->bad = 1; return 1; }
  memcpy(ops, e->ops, sz);
  t->ops = ops; t->n_ops = e->n_ops;
  t->bad = 0;
  t->tc = e;
  return 1;
}

static const evtx_tmpl *get_template(tells_evtx *x, opvec *ov, uint32_t off, int nest) {
  int found, use_tc;
  hslot *s = hfind(x->tmpls, x->gen, off, &found);
  evtx_tmpl *t;
  evtx_tc_ent *e;
  evtx_tc_rec *rec = NULL;
  tells_rd d, body;
  uint32_t dsize, start;
  if (s && found) return s->v;
  if (off < EVTX_CHUNK_HEADER || off >= x->ck.len) return NULL;
  d = tells_rd_sub(&x->ck, off, x->ck.len - off);
  tells_rd_skip(&d, 20);                 /* next definition, GUID */
  dsize = tells_rd_u32le(&d);
  body = tells_rd_take(&d, dsize);
  if (!tells_rd_ok(&d)) return NULL;
  t = aalloc(x, sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->off = off;
  t->guid4 = tells_ld32le(x->ck.p + off + 4);   /* 20 bytes readable: checked */
  t->bad = 1;                            /* until compiled: self-reference */
  if (s) { s->gen = x->gen; s->key = off; s->v = t; }
  start = ov->n;
  use_tc = x->tc && !x->carving && !x->expand_only;
  if (use_tc && x->tc_rec) x->tc_rec->bad = 1;  /* a definition inside one: not kept */
  if (use_tc && (e = tells__evtx_tc_find(x, off, dsize)) != NULL &&
      tc_adopt(x, e, ov, t, off + 24)) {
    x->st.templates++;
    t->next_def = x->defs;
    x->defs = t;
    return t;
  }
  if (use_tc && !x->tc_rec) {
    rec = &x->tc_scratch;
    rec->body = off + 24; rec->n = 0; rec->el = -1; rec->bad = 0;
    x->tc_rec = rec;
  }
  t->bad = compile(x, ov, &body, 0, nest + 1) != 0;
  if (rec) x->tc_rec = NULL;
  t->n_ops = ov->n - start;
  if (t->n_ops) {
    evtx_op *ops = aalloc(x, t->n_ops * sizeof *ops);
    if (!ops) { ov->n = start; t->n_ops = 0; t->bad = 1; return t; }
    memcpy(ops, ov->v + start, t->n_ops * sizeof *ops);
    t->ops = ops;
  }
  ov->n = start;
  /* kept, the ops are the cache's: the same, naming its copies of the
  ** names and text (a symbolic tree built from them is then the cache's
  ** to keep too) */
  if (rec && !t->bad && (e = tells__evtx_tc_add(x, off, dsize, t->ops, t->n_ops, rec))) {
    memcpy((evtx_op *)t->ops, e->ops, t->n_ops * sizeof *t->ops);
    t->tc = e;
  }
  x->st.templates++;
  t->next_def = x->defs;
  x->defs = t;
  return t;
}

/* Template instance: definition reference (maybe inline) and values. */
static int compile_instance(cctx *c, tells_rd *r, int nest) {
  tells_evtx *x = c->x;
  uint32_t defoff, count, i, at, tid;
  const uint8_t *desc;
  evtx_val *vals;
  const evtx_tmpl *t;
  evtx_op *o;
  int inl;
  tells_rd_skip(r, 1);
  tid = tells_rd_u32le(r);               /* template id: GUID's first 4 bytes */
  at = cpos(x, r);
  defoff = tells_rd_u32le(r);
  if (!tells_rd_ok(r)) return -1;
  inl = defoff == cpos(x, r);
  if (inl) {                             /* inline definition: skip it */
    uint32_t dsize;
    tells_rd_skip(r, 20);
    dsize = tells_rd_u32le(r);
    tells_rd_skip(r, dsize);
    if (!tells_rd_ok(r)) return -1;
  }
  if (nest >= EVTX_MAX_NEST) {
    banom(x, x->ck.base + at, "evtx.nest", "template nesting too deep");
    return -1;
  }
  t = get_template(x, c->ov, defoff, nest);
  /* A carved record from the chunk's previous life may point at a
  ** definition since overwritten: the definition must carry its id.  When
  ** it does not, a definition with that id compiled elsewhere in the chunk
  ** (by the chunk's live records) has the same structure and names. */
  if (x->carving && !inl && (!t || t->guid4 != tid)) {
    const evtx_tmpl *d;
    for (d = x->defs; d && (d->guid4 != tid || d->bad); d = d->next_def) {}
    if (!d) return -1;
    t = d;
  }
  if (!t) {
    char m[112];
    int outside = defoff < EVTX_CHUNK_HEADER || defoff >= x->ck.len;
    snprintf(m, sizeof m, "template definition at chunk offset %u %s", defoff,
             outside ? "is outside the chunk's record area" : "cannot be read (size past the chunk end)");
    banom(x, x->ck.base + at, outside ? "evtx.template_range" : "evtx.template_bad", m);
  }
  count = tells_rd_u32le(r);
  if (!tells_rd_ok(r)) return -1;
  if (count > EVTX_MAX_VALUES) {
    banom(x, tells_rd_pos(r) - 4, "evtx.values", "template instance value count over the cap");
    return -1;
  }
  desc = tells_rd_bytes(r, (size_t)count * 4);
  if (!desc) return -1;
  vals = count ? aalloc(x, count * sizeof *vals) : NULL;
  if (count && !vals) return -1;
  for (i = 0; i < count; i++) {
    vals[i].n = tells_ld16le(desc + 4 * i);
    vals[i].type = desc[4 * i + 2];
    vals[i].p = tells_rd_bytes(r, vals[i].n);
    if (!vals[i].p) {
      if (vals[i].n) return -1;
      vals[i].p = desc;
    }
  }
  o = emit(c, OP_TEMPLATE);
  if (!o) return -1;
  o->u.ti.t = t; o->u.ti.vals = vals; o->n = count;
  return t && !t->bad ? 0 : -1;
}

/* Literal UTF-16 text (u16 count + chars) to an OP_TEXT. */
static int compile_text(cctx *c, tells_rd *r) {
  uint16_t nch = tells_rd_u16le(r);
  const uint8_t *ch = tells_rd_bytes(r, (size_t)nch * 2);
  tells_buf *b = &c->x->sb;
  evtx_op *o;
  char *s;
  if (!ch) return -1;
  tells_buf_reset(b);
  tells__evtx_utf16(b, ch, nch);
  s = tells_arena_strndup(&c->x->arena, b->p ? b->p : "", b->n);
  o = emit(c, OP_TEXT);
  if (!s || !o) return -1;
  o->u.text = s; o->n = (uint32_t)b->n;
  return 0;
}

/* Whether an element start at r (after the token) reads sensibly with or
** without the dependency id: 2 when the name is inline right after it, 1
** when the data size and the name offset fit in the chunk, 0 otherwise. */
int tells__evtx_layout(const tells_evtx *x, const tells_rd *r, int dep) {
  size_t at = r->off + (dep ? 2u : 0u);
  uint32_t size, noff, here;
  if (r->err || r->len < at || r->len - at < 8) return 0;
  size = tells_ld32le(r->p + at);
  noff = tells_ld32le(r->p + at + 4);
  here = (uint32_t)(r->base + at + 8 - x->ck.base);
  if (size > x->ck.len) return 0;
  if (noff == here) return 2;                   /* name inline: certain */
  return noff >= EVTX_CHUNK_HEADER && noff < x->ck.len;
}


/* Compiles the stream at r up to its end-of-stream token (or the end of
** r's window).  Returns 0, or -1 after a fault (the ops hold a prefix). */
static int compile(tells_evtx *x, opvec *ov, tells_rd *r, int in_subst, int nest) {
  cctx c;
  int dep_mode = -1;        /* element starts carry a dependency id */
  c.x = x; c.ov = ov;
  while (tells_rd_left(r) > 0) {
    uint8_t tok = tells_rd_u8(r);
    evtx_op *o;
    switch (tok) {
    case 0x00:
      if (!emit(&c, OP_EOS)) return -1;
      return 0;
    case 0x01: case 0x41: {
      uint32_t noff;
      const evtx_name *nm;
      /* The u16 dependency id is absent inside BinXml values, and in some
      ** forwarded (WEC) record streams too: the first element of a stream
      ** picks the layout whose name offset and data size are plausible
      ** (the usual one on a tie); the rest of the stream follows it. */
      int dep;
      if (dep_mode < 0) {       /* decided by the stream's first element */
        dep_mode = !in_subst;
        if (x->tc_rec && x->tc_rec->el < 0 && !in_subst) {
          x->tc_rec->el = (int32_t)(cpos(x, r) - x->tc_rec->body);
          x->tc_rec->lay[0] = (uint8_t)tells__evtx_layout(x, r, 1);
          x->tc_rec->lay[1] = (uint8_t)tells__evtx_layout(x, r, 0);
        }
        if (tells__evtx_layout(x, r, !dep_mode) > tells__evtx_layout(x, r, dep_mode))
          dep_mode = !dep_mode;
      }
      dep = dep_mode;
      if (dep) tells_rd_skip(r, 2);
      tells_rd_skip(r, 4);
      noff = tells_rd_u32le(r);
      if (!tells_rd_ok(r)) return -1;
      nm = get_name(x, r, noff);
      if (!nm) return -1;
      if (tok & 0x40) tells_rd_skip(r, 4);
      if (!tells_rd_ok(r) || !(o = emit(&c, OP_OPEN))) return -1;
      o->u.name = nm;
      break;
    }
    case 0x02:
      if (!emit(&c, OP_CLOSE_START)) return -1;
      break;
    case 0x03: case 0x04:
      if (!emit(&c, OP_END)) return -1;
      break;
    case 0x05: case 0x45: {
      uint8_t vt = tells_rd_u8(r);
      if (vt != EV_STR || compile_text(&c, r)) return -1;
      break;
    }
    case 0x07: case 0x47:
      if (compile_text(&c, r)) return -1;
      break;
    case 0x06: case 0x46: case 0x09: case 0x49: case 0x0a: {
      uint32_t noff = tells_rd_u32le(r);
      const evtx_name *nm;
      if (!tells_rd_ok(r)) return -1;
      nm = get_name(x, r, noff);
      if (!nm) return -1;
      o = emit(&c, (tok & 0x1f) == 0x06 ? OP_ATTR : (tok & 0x1f) == 0x09 ? OP_ENTITY : OP_PI);
      if (!o) return -1;
      o->u.name = nm;
      break;
    }
    case 0x08: case 0x48: {
      uint16_t v = tells_rd_u16le(r);
      if (!tells_rd_ok(r) || !(o = emit(&c, OP_CHARREF))) return -1;
      o->idx = v;
      break;
    }
    case 0x0b: {                          /* PI data: kept out of the tree */
      uint16_t nch = tells_rd_u16le(r);
      tells_rd_skip(r, (size_t)nch * 2);
      if (!tells_rd_ok(r)) return -1;
      break;
    }
    case 0x0c:
      if (compile_instance(&c, r, nest)) return -1;
      break;
    case 0x0d: case 0x0e: {
      uint16_t idx = tells_rd_u16le(r);
      tells_rd_skip(r, 1);
      if (!tells_rd_ok(r) || !(o = emit(&c, OP_SUBST))) return -1;
      o->idx = idx; o->optional = tok == 0x0e;
      break;
    }
    case 0x0f:
      tells_rd_skip(r, 3);
      break;
    default:
      TELLS_CORRUPT(r);
      return -1;
    }
    if (!tells_rd_ok(r)) return -1;
  }
  return tells_rd_ok(r) ? 0 : -1;
}

/* ---- expand: ops + values -> record tree ------------------------------- */
typedef struct xctx {
  tells_evtx *x;
  uint32_t stack[EVTX_MAX_DEPTH];
  int depth;
  uint32_t attr;        /* open attribute, 0 = none */
  uint32_t root_last;
  int stop;
  int maxd;             /* deepest element nesting reached */
  uint32_t loose;       /* values, attributes and ends met outside any
                           element (dropped; they would attach to the
                           enclosing element were the stream nested) */
} xctx;

/* Grows the node array (slow path of new_node). */
static int grow_nodes(tells_evtx *x) {
  uint32_t cap = x->cap_nodes ? x->cap_nodes * 2 : 1024;
  evtx_node *v;
  if (cap > EVTX_MAX_NODES) {
    banom(x, x->cur.off, "evtx.nodes", "record tree over the node cap; rest dropped");
    return -1;
  }
  v = tells_realloc(x->nodes, cap * sizeof *v);
  if (!v) return -1;
  x->nodes = v; x->cap_nodes = cap;
  return 0;
}

/* A new zeroed node of `kind`; 0 when the cap is reached or memory ran out. */
static inline uint32_t new_node(tells_evtx *x, uint16_t kind) {
  evtx_node *nd;
  if (x->n_nodes == x->cap_nodes && grow_nodes(x)) return 0;
  nd = &x->nodes[x->n_nodes];
  *nd = (evtx_node){0};
  nd->kind = kind;
  return x->n_nodes++;
}

/* Appends node k to the children of element/attribute p (0 = top level). */
static void link_kid(xctx *e, uint32_t p, uint32_t k) {
  tells_evtx *x = e->x;
  if (!p) {
    if (e->root_last) x->nodes[e->root_last].next = k; else x->root = k;
    e->root_last = k;
    return;
  }
  if (x->nodes[p].last) x->nodes[x->nodes[p].last].next = k;
  else x->nodes[p].kids = k;
  x->nodes[p].last = k;
}

static inline void add_value(xctx *e, uint16_t type, const uint8_t *p, uint32_t n) {
  tells_evtx *x = e->x;
  uint32_t k, parent = e->attr ? e->attr : e->depth ? e->stack[e->depth - 1] : 0;
  evtx_node *nd, *pn;
  if (!parent) { e->loose++; return; } /* text outside any element */
  k = new_node(x, N_VAL);
  if (!k) { e->stop = 1; return; }
  nd = &x->nodes[k];
  nd->type = type;
  nd->u.p = p;
  nd->n = n;
  pn = &x->nodes[parent];              /* append to the parent's children */
  if (pn->last) x->nodes[pn->last].next = k; else pn->kids = k;
  pn->last = k;
}

static void expand(xctx *e, const evtx_op *ops, uint32_t n_ops, const evtx_val *vals,
                   uint32_t nv, int nest);

/* Charges n units of expansion work; over the per-record cap the record is
** flagged and its expansion stops.  Returns 0, or -1 over the cap. */
static int charge(xctx *e, uint32_t n) {
  tells_evtx *x = e->x;
  x->work += n;
  if (x->work <= EVTX_MAX_WORK) return 0;
  banom(x, x->cur.off, "evtx.work", "record expansion over the work cap (template bomb?)");
  x->tree_bad = 1; e->stop = 1;
  return -1;
}

/* A BinXml-typed value compiled, once per chunk (cached by its offset in
** the template cache's key space + 0x10000; a miss charges its bytes as
** work).  NULL when it cannot be (flagged; e->stop when over a cap).
** `ahead` (sym_inst) compiles without charging: the bytes stay owed, and
** are charged where expand() first meets the value, as if it compiled it
** there, or by sym_inst when its copy is used. */
static evtx_tmpl *binxml_ops(xctx *e, const evtx_val *v, int nest, int ahead) {
  tells_evtx *x = e->x;
  opvec *ov = &x->ov_tmp;
  tells_rd r;
  uint32_t off = (uint32_t)(v->p - x->ck.p), start = ov->n, n;
  evtx_tmpl *t;
  hslot *s;
  int found, rc;
  if (nest >= EVTX_MAX_NEST) {
    banom(x, x->ck.base + off, "evtx.nest", "nested BinXml too deep");
    x->tree_bad = 1;
    return NULL;
  }
  s = hfind(x->tmpls, x->gen, off + 0x10000u, &found);
  /* the length is part of the key: damaged records may overlap, and a
  ** value at the same offset but of another length decodes differently */
  if (s && found && ((evtx_tmpl *)s->v)->bx_len == v->n) {
    t = s->v;
    if (t->bx_owed && !ahead) {
      t->bx_owed = 0;
      if (charge(e, v->n)) return NULL;
    }
  } else {
    if (charge(e, ahead ? 0 : v->n)) return NULL;
    t = aalloc(x, sizeof *t);
    if (!t) { x->tree_bad = 1; e->stop = 1; return NULL; }
    memset(t, 0, sizeof *t);
    t->off = off;
    t->bx_len = v->n;
    t->bx_owed = ahead;
    r = tells_rd_sub(&x->ck, off, v->n);
    rc = compile(x, ov, &r, 1, nest + 1);
    if (rc) {
      banom(x, r.err ? r.err_off : x->ck.base + off, "evtx.binxml",
            "nested BinXml value could not be decoded");
      t->bad = 1;
    }
    n = ov->n - start;
    if (n) {
      evtx_op *ops = aalloc(x, n * sizeof *ops);
      if (ops) { memcpy(ops, ov->v + start, n * sizeof *ops); t->ops = ops; t->n_ops = n; }
      else t->bad = 1;
    }
    ov->n = start;
    if (s) { s->gen = x->gen; s->key = off + 0x10000u; s->v = t; }
  }
  return t;
}

/* A BinXml-typed value, compiled (binxml_ops) and expanded in place. */
static void expand_binxml(xctx *e, const evtx_val *v, int nest) {
  evtx_tmpl *t = binxml_ops(e, v, nest, 0);
  if (!t) return;
  if (t->bad) e->x->tree_bad = 1;
  if (t->n_ops) expand(e, t->ops, t->n_ops, NULL, 0, nest + 1);
}

static void expand(xctx *e, const evtx_op *ops, uint32_t n_ops, const evtx_val *vals,
                   uint32_t nv, int nest) {
  tells_evtx *x = e->x;
  uint32_t i, k;
  /* the ops of this call are charged up front (each is visited once) */
  if (charge(e, n_ops)) return;
  for (i = 0; i < n_ops && !e->stop; i++) {
    const evtx_op *o = &ops[i];
    switch (o->op) {
    case OP_OPEN:
      if (e->depth >= EVTX_MAX_DEPTH) {
        banom(x, x->cur.off, "evtx.depth", "element nesting over the cap");
        x->tree_bad = 1; e->stop = 1;
        return;
      }
      k = new_node(x, N_ELEM);
      if (!k) { e->stop = 1; return; }
      x->nodes[k].u.name = o->u.name;
      link_kid(e, e->depth ? e->stack[e->depth - 1] : 0, k);
      e->stack[e->depth++] = k;
      if (e->depth > e->maxd) e->maxd = e->depth;
      e->attr = 0;
      break;
    case OP_ATTR: {
      uint32_t el;
      if (!e->depth) { e->loose++; break; }
      el = e->stack[e->depth - 1];
      k = new_node(x, N_ATTR);
      if (!k) { e->stop = 1; return; }
      x->nodes[k].u.name = o->u.name;
      /* attributes list: `attrs` first, `n` last */
      if (x->nodes[el].n) x->nodes[x->nodes[el].n].next = k;
      else x->nodes[el].attrs = k;
      x->nodes[el].n = k;
      e->attr = k;
      break;
    }
    case OP_CLOSE_START: e->attr = 0; break;
    case OP_END:
      e->attr = 0;
      if (e->depth) e->depth--; else e->loose++;
      break;
    case OP_TEXT: add_value(e, EV_UTF8, (const uint8_t *)o->u.text, o->n); break;
    case OP_ENTITY: add_value(e, EV_ENTITY, (const uint8_t *)o->u.name->s, o->u.name->n); break;
    case OP_CHARREF: add_value(e, EV_CHARREF, NULL, o->idx); break;
    case OP_PI: case OP_EOS: break;
    case OP_TEMPLATE:
      if (!o->u.ti.t) { x->tree_bad = 1; break; }
      if (o->u.ti.t->bad) x->tree_bad = 1;
      if (nest >= EVTX_MAX_NEST) { x->tree_bad = 1; break; }
      expand(e, o->u.ti.t->ops, o->u.ti.t->n_ops, o->u.ti.vals, o->n, nest + 1);
      break;
    case OP_SUBST: {
      const evtx_val *v;
      if (o->idx >= nv) {
        char m[96];
        snprintf(m, sizeof m, "substitution index %u out of range (%u values)", o->idx, nv);
        banom(x, x->cur.off, "evtx.subst_range", m);
        x->tree_bad = 1;
        break;
      }
      v = &vals[o->idx];
      if (v->type == EV_NULL) break;
      if (v->type == EV_BINXML) {
        if (!e->attr) expand_binxml(e, v, nest);
        break;
      }
      if (v->type & EV_ARRAY && (v->type & 0x7f) == EV_BINXML) break;
      add_value(e, v->type, v->p, v->n);
      break;
    }
    default: break;
    }
  }
}

/* ---- chunks and records ------------------------------------------------ */
/* Whether p[0..n) is all zero bytes: 256 bytes per step, ORed as 64-bit
** words (the compiler vectorises the inner loop), so the many all-zero
** chunks of preallocated files cost little. */
static int all_zero(const uint8_t *p, size_t n) {
  size_t i = 0, k;
  while (n - i >= 256) {
    uint64_t acc = 0, w;
    for (k = 0; k < 256; k += 8) { memcpy(&w, p + i + k, 8); acc |= w; }
    if (acc) return 0;
    i += 256;
  }
  for (; i < n; i++) if (p[i]) return 0;
  return 1;
}

/* Ends the current chunk, first summing up the carved candidates that were
** not returned. */
static void close_chunk(tells_evtx *x) {
  uint32_t n = x->rej_xml + x->rej_time + x->rej_dup;
  if (n)
    tells_anom_add(x->an, x->ck.base + x->carve_first, "evtx.carve_rejected",
                   "chunk %u: %u record-like structure(s) outside the record list not returned, "
                   "first at chunk offset %u: %u with Binary XML that does not decode (names or "
                   "templates overwritten), %u with an implausible written time, %u identical "
                   "to a live record of the file", x->ci, n, x->carve_first, x->rej_xml,
                   x->rej_time, x->rej_dup);
  x->st.carve_rejected += x->rej_xml + x->rej_time;
  x->st.carve_duplicates += x->rej_dup;
  x->in_chunk = 0;
  x->ci++;
}

/* Resets the per-chunk state for the chunk at c (avail bytes, file offset
** off) whose record area ends at rec_end. */
static void start_chunk(tells_evtx *x, const uint8_t *c, size_t avail, uint64_t off,
                        uint32_t rec_end) {
  tells_arena_free(&x->arena);
  tells_arena_free(&x->sym_arena);
  x->gen++;
  if (x->gen == 0) {                     /* wrapped: clear the caches */
    memset(x->names, 0, sizeof x->names);
    memset(x->tmpls, 0, sizeof x->tmpls);
    x->gen = 1;
  }
  x->ck = tells_rd_make(c, avail, off);
  x->rec_pos = EVTX_CHUNK_HEADER;
  x->rec_end = rec_end;
  x->carving = 0;
  x->anom_budget = EVTX_ANOM_PER_CHUNK;
  x->chunk_work = 0;
  x->rej_xml = x->rej_time = x->rej_dup = 0;
  x->defs = NULL;
  x->dup_builds = 0;
  x->in_chunk = 1;
}

/* Whether the n bytes at file offset off lie in one hole of the file
** (tells_evtx_set_holes): zero bytes that need not be read. */
static int in_hole(const tells_evtx *x, uint64_t off, uint64_t n) {
  size_t i;
  for (i = 0; i < x->n_holes; i++)
    if (off >= x->holes[2 * i] && x->holes[2 * i + 1] - (off - x->holes[2 * i]) >= n &&
        off - x->holes[2 * i] < x->holes[2 * i + 1])
      return 1;
  return 0;
}

/* Opens chunk x->ci.  Returns 1 when opened, 0 to skip it, -1 at the end. */
static int open_chunk(tells_evtx *x) {
  uint64_t off = EVTX_FILE_HEADER + (uint64_t)x->ci * EVTX_CHUNK_SIZE;
  size_t avail;
  const uint8_t *c;
  uint32_t fso, crc;
  if (x->ci >= x->n_chunks || off >= x->len) return -1;
  avail = x->len - off < EVTX_CHUNK_SIZE ? (size_t)(x->len - off) : EVTX_CHUNK_SIZE;
  c = x->buf + off;
  /* a chunk inside a hole reads as zero bytes: empty, like an all-zero
  ** chunk, without touching its pages */
  if (in_hole(x, off, avail)) { x->st.chunks_empty++; x->ci++; return 0; }
  if (avail < EVTX_CHUNK_HEADER || memcmp(c, "ElfChnk", 8) != 0) {
    if (all_zero(c, avail)) { x->st.chunks_empty++; x->ci++; return 0; }
    x->st.chunks_skipped++;
    if (avail < EVTX_CHUNK_HEADER) {
      tells_anom_add(x->an, off, "evtx.chunk_trunc",
                     "chunk %u: truncated before the end of its header; %zu bytes skipped",
                     x->ci, avail);
      x->ci++;
      return 0;
    }
    /* header unusable, body maybe intact: carve it for records */
    tells_anom_add(x->an, off, "evtx.chunk_magic",
                   "chunk %u: bad signature; header ignored, %zu bytes scanned for records "
                   "(returned as recovered)", x->ci, avail);
    start_chunk(x, c, avail, off, EVTX_CHUNK_HEADER);
    x->carving = 1;
    return 1;
  }
  x->st.chunks++;
  if (avail < EVTX_CHUNK_SIZE)
    tells_anom_add(x->an, off, "evtx.chunk_trunc",
                   "chunk %u truncated: %zu of %u bytes present", x->ci, avail, EVTX_CHUNK_SIZE);
  crc = tells__crc32(tells__crc32(0, c, 120), c + 128, EVTX_CHUNK_HEADER - 128);
  fso = tells_ld32le(c + 48);
  {
    int bad = 0;
    if (crc != tells_ld32le(c + 124)) {
      tells_anom_add(x->an, off + 124, "evtx.chunk_crc",
                     "chunk %u header CRC-32 mismatch (stored %08x, computed %08x); chunk read anyway",
                     x->ci, tells_ld32le(c + 124), crc);
      bad = 1;
    }
    if (fso < EVTX_CHUNK_HEADER || fso > avail) {
      tells_anom_add(x->an, off + 48, "evtx.chunk_free",
                     "chunk %u free space offset %u out of range; records read to the chunk end",
                     x->ci, fso);
      fso = (uint32_t)avail;
      bad = 1;
    } else {
      crc = tells__crc32(0, c + EVTX_CHUNK_HEADER, fso - EVTX_CHUNK_HEADER);
      if (crc != tells_ld32le(c + 52)) {
        tells_anom_add(x->an, off + 52, "evtx.records_crc",
                       "chunk %u records CRC-32 mismatch (stored %08x, computed %08x); records read anyway",
                       x->ci, tells_ld32le(c + 52), crc);
        bad = 1;
      }
    }
    if (bad) x->st.chunks_bad_crc++;
  }
  start_chunk(x, c, avail, off, fso);
  return 1;
}

/* Record-like structure at chunk offset p (for carving): signature, size,
** size copy, fragment header. */
static int rec_plausible(const tells_evtx *x, uint32_t p) {
  const uint8_t *c = x->ck.p;
  uint32_t sz;
  if (p > x->ck.len || x->ck.len - p < EVTX_REC_MIN + 4) return 0;
  if (tells_ld32le(c + p) != 0x00002a2a) return 0;
  sz = tells_ld32le(c + p + 4);
  if (sz < EVTX_REC_MIN + 4 || sz > x->ck.len - p) return 0;
  if (tells_ld32le(c + p + sz - 4) != sz) return 0;
  return c[p + 24] == 0x0f && c[p + 25] == 0x01 && c[p + 26] == 0x01;
}

/* The first chunk offset q = p + 8k holding a plausible record, or one
** past the last place a record could start.  A signature starts with byte
** 0x2a, so memchr skips the slack between candidates (zeros or old record
** data) many bytes at a time; the result is the one the plain 8-byte walk
** from p would find. */
static uint32_t next_plausible(const tells_evtx *x, uint32_t p) {
  const uint8_t *c = x->ck.p, *q;
  uint32_t p0 = p;
  size_t lim;
  if (x->ck.len < EVTX_REC_MIN + 4) return p;
  lim = x->ck.len - (EVTX_REC_MIN + 4);   /* last offset a candidate can start at */
  while (p <= lim) {
    uint32_t f;
    q = memchr(c + p, 0x2a, lim + 1 - p);
    if (!q) return (uint32_t)lim + 1;
    f = (uint32_t)(q - c);
    p = f + ((8 - ((f - p0) & 7)) & 7);  /* the next step of the walk at or after f */
    if (p != f) continue;
    if (rec_plausible(x, p)) return p;
    p += 8;
  }
  return p;
}

/* Written times a real record can carry: 2000-01-01 to 2100-01-01 (EVTX
** exists since 2006), FILETIME ticks. */
#define EVTX_FT_MIN UINT64_C(125911584000000000)
#define EVTX_FT_MAX UINT64_C(157469184000000000)

/* ---- duplicates: a carved record byte-identical to a live record (a
** record rewritten into the next chunk leaves its copy in the slack) ---- */
static int crange_cmp(const void *a, const void *b) {
  const evtx_crange *p = a, *q = b;
  return p->first < q->first ? -1 : p->first > q->first;
}

/* Id ranges of every chunk with a valid signature, once per file. */
static void build_cranges(tells_evtx *x) {
  uint32_t i, n = 0;
  x->cr_built = 1;
  if (!x->n_chunks) return;
  x->cr = tells_malloc((size_t)x->n_chunks * sizeof *x->cr);
  if (!x->cr) return;                    /* no duplicate check then */
  for (i = 0; i < x->n_chunks; i++) {
    uint64_t off = EVTX_FILE_HEADER + (uint64_t)i * EVTX_CHUNK_SIZE;
    const uint8_t *c = x->buf + off;
    if (off >= x->len || x->len - off < EVTX_CHUNK_HEADER) break;
    if (in_hole(x, off, x->len - off < EVTX_CHUNK_SIZE ? x->len - off : EVTX_CHUNK_SIZE) ||
        memcmp(c, "ElfChnk", 8) != 0)
      continue;
    x->cr[n].first = ld64(c + 24);
    x->cr[n].last = ld64(c + 32);
    x->cr[n].ci = i;
    if (x->cr[n].first <= x->cr[n].last) n++;
  }
  x->n_cr = n;
  qsort(x->cr, n, sizeof *x->cr, crange_cmp);
}

/* Walks the record list of chunk ci (signature and size only) into the
** record index.  Returns 0 when the index is usable. */
static int build_ridx(tells_evtx *x, uint32_t ci) {
  uint64_t off = EVTX_FILE_HEADER + (uint64_t)ci * EVTX_CHUNK_SIZE;
  const uint8_t *c = x->buf + off;
  size_t avail = x->len - off < EVTX_CHUNK_SIZE ? (size_t)(x->len - off) : EVTX_CHUNK_SIZE;
  uint32_t p = EVTX_CHUNK_HEADER, end = tells_ld32le(c + 48), n = 0;
  if (x->ridx_ok && x->ridx_ci == ci) return 0;
  if (x->dup_builds >= EVTX_DUP_BUILDS) return -1;
  x->dup_builds++;
  if (!x->ridx_off) {
    x->ridx_off = tells_malloc(EVTX_CHUNK_RECS * sizeof *x->ridx_off);
    x->ridx_id = tells_malloc(EVTX_CHUNK_RECS * sizeof *x->ridx_id);
    if (!x->ridx_off || !x->ridx_id) return -1;
  }
  if (end < EVTX_CHUNK_HEADER || end > avail) end = (uint32_t)avail;
  while (end - p >= EVTX_REC_MIN && n < EVTX_CHUNK_RECS) {
    uint32_t sz;
    if (tells_ld32le(c + p) != 0x00002a2a) break;
    sz = tells_ld32le(c + p + 4);
    if (sz < EVTX_REC_MIN || sz > end - p) break;
    x->ridx_off[n] = p;
    x->ridx_id[n] = ld64(c + p + 8);
    n++;
    p += sz;
  }
  x->ridx_n = n; x->ridx_ci = ci; x->ridx_ok = 1;
  return 0;
}

/* Whether the carved record at chunk offset p (size sz, id) is a byte copy
** of a live record of another chunk. */
static int carved_dup(tells_evtx *x, uint32_t p, uint32_t sz, uint64_t id) {
  uint32_t lo = 0, hi, k, j, tries;
  const uint8_t *rec = x->ck.p + p;
  if (!x->cr_built) build_cranges(x);
  hi = x->n_cr;
  while (lo < hi) {                      /* first range with first > id */
    uint32_t mid = lo + (hi - lo) / 2;
    if (x->cr[mid].first <= id) lo = mid + 1; else hi = mid;
  }
  for (k = lo, tries = 0; k > 0 && tries < 4; k--, tries++) {
    const evtx_crange *r = &x->cr[k - 1];
    const uint8_t *c;
    if (id > r->last || build_ridx(x, r->ci)) continue;
    c = x->buf + EVTX_FILE_HEADER + (uint64_t)r->ci * EVTX_CHUNK_SIZE;
    j = (uint32_t)(id - r->first);
    if (j >= x->ridx_n || x->ridx_id[j] != id)
      for (j = 0; j < x->ridx_n && x->ridx_id[j] != id; j++) {}
    if (j < x->ridx_n && (r->ci != x->ci || x->ridx_off[j] != p) &&
        tells_ld32le(c + x->ridx_off[j] + 4) == sz &&
        (uint64_t)EVTX_FILE_HEADER + (uint64_t)r->ci * EVTX_CHUNK_SIZE + x->ridx_off[j] + sz <= x->len &&
        memcmp(c + x->ridx_off[j], rec, sz) == 0)
      return 1;
  }
  return 0;
}

/* Notes a rejected carved candidate at chunk offset p. */
static void carve_reject(tells_evtx *x, uint32_t *counter, uint32_t p) {
  if (x->rej_xml + x->rej_time + x->rej_dup == 0) x->carve_first = p;
  (*counter)++;
}

/* ---- symbolic template trees ------------------------------------------ */
static int symref_cmp(const void *a, const void *b) {
  const evtx_symref *p = a, *q = b;
  return p->node < q->node ? -1 : p->node > q->node;
}

/* Builds t's tree with every value symbolic (value i as an EV_SYM node of
** length i), quietly, and keeps it with the list of its value nodes.  Not
** usable when the definition holds a nested instance, has anything outside
** its elements, or faults. */
static void sym_build(tells_evtx *x, evtx_tmpl *t, uint64_t *charged) {
  uint32_t i, k, nidx = 0, nrefs = 0, work = x->work;
  int quiet = x->quiet, bad = x->tree_bad, fail;
  evtx_val *sv = NULL;
  evtx_node *nodes;
  evtx_symref *refs;
  xctx e;
  t->sym = -1;
  if (t->bad || !t->n_ops) return;
  for (i = 0; i < t->n_ops; i++) {
    if (t->ops[i].op == OP_TEMPLATE) return;
    if (t->ops[i].op == OP_SUBST && t->ops[i].idx + 1u > nidx) nidx = t->ops[i].idx + 1u;
  }
  if (nidx && !(sv = symalloc(x, nidx * sizeof *sv))) return;
  for (i = 0; i < nidx; i++) { sv[i].p = NULL; sv[i].n = i; sv[i].type = EV_SYM; }
  x->n_nodes = 1; x->root = 0; x->tree_bad = 0; x->quiet = 1;
  memset(&e, 0, sizeof e);
  e.x = x;
  expand(&e, t->ops, t->n_ops, sv, nidx, 1);
  *charged = x->work - work;
  x->quiet = quiet; x->work = work;
  /* values, attributes or ends outside any element: a BinXml value there
  ** would still expand into top-level elements, a symbolic node not */
  fail = e.stop || x->tree_bad || e.loose;
  x->tree_bad = bad;
  if (fail) return;
  for (k = 1; k < x->n_nodes; k++)
    if (x->nodes[k].kind == N_VAL && x->nodes[k].type == EV_SYM) nrefs++;
  nodes = symalloc(x, x->n_nodes * sizeof *nodes);
  refs = nrefs ? symalloc(x, nrefs * sizeof *refs) : NULL;
  if (!nodes || (nrefs && !refs)) return;
  memcpy(nodes, x->nodes, x->n_nodes * sizeof *nodes);
  for (i = 0, k = 1; k < x->n_nodes; k++) {
    uint32_t c;
    if (nodes[k].kind != N_ELEM && nodes[k].kind != N_ATTR) continue;
    for (c = nodes[k].kids; c; c = nodes[c].next)
      if (nodes[c].kind == N_VAL && nodes[c].type == EV_SYM && i < nrefs) {
        refs[i].node = c; refs[i].parent = k;
        refs[i].idx = (uint16_t)nodes[c].n;
        refs[i].in_attr = nodes[k].kind == N_ATTR;
        i++;
      }
  }
  if (i != nrefs) return;
  /* in node order, which is document order: nested values are then
  ** compiled, and their anomalies raised, in the order expand() would */
  if (nrefs > 1) qsort(refs, nrefs, sizeof *refs, symref_cmp);
  t->sym_nodes = nodes; t->sym_n = x->n_nodes; t->sym_root = x->root;
  t->sym_depth = (uint32_t)e.maxd;
  t->sym_refs = refs; t->sym_nrefs = nrefs; t->sym_nidx = nidx;
  t->sym_nest_ok = e.depth == 0 && e.attr == 0;
  t->sym = 1;
}

/* t's symbolic tree taken from its cache entry, leaving the chunk as
** sym_build() would: the same symbolic-arena allocations.  Returns 0,
** changing nothing, when sym_build could have failed here (its expansion
** over the work cap, the arena's cap). */
static int sym_adopt(tells_evtx *x, evtx_tmpl *t, const evtx_tc_ent *e) {
  size_t a = (size_t)e->sym_nidx * sizeof(evtx_val), b = (size_t)e->sym_n * sizeof(evtx_node),
         c = (size_t)e->sym_nrefs * sizeof(evtx_symref), largest = a > b ? a : b;
  evtx_node *nodes;
  evtx_symref *refs = NULL;
  if (c > largest) largest = c;
  if (e->sym_work > EVTX_MAX_WORK || x->work > EVTX_MAX_WORK - e->sym_work ||
      !tells_arena_room(&x->sym_arena, a + b + c, largest, 3))
    return 0;
  if (a && !symalloc(x, a)) return 1;    /* malloc failed: t->sym stays -1 */
  nodes = symalloc(x, b);
  if (c) refs = symalloc(x, c);
  if (!nodes || (c && !refs)) return 1;
  memcpy(nodes, e->sym_nodes, b);
  if (c) memcpy(refs, e->sym_refs, c);
  t->sym_nodes = nodes; t->sym_n = e->sym_n; t->sym_root = e->sym_root;
  t->sym_depth = e->sym_depth; t->sym_refs = refs; t->sym_nrefs = e->sym_nrefs;
  t->sym_nidx = e->sym_nidx; t->sym_nest_ok = e->sym_nest_ok;
  t->sym = 1;
  return 1;
}

/* t's symbolic tree: the cache's when it keeps one, else built (and kept
** when t's ops are the cache's). */
static void sym_get(tells_evtx *x, evtx_tmpl *t) {
  uint64_t charged = 0;
  t->sym = -1;
  if (t->tc && t->tc->sym == 1 && sym_adopt(x, t, t->tc)) return;
  sym_build(x, t, &charged);
  if (t->tc && t->sym == 1) tells__evtx_tc_keep_sym(x, t->tc, t, charged);
}

/* Puts the chain first..last (first 0: nothing) in place of node k among
** the children or values of p. */
static void replace_kid(tells_evtx *x, uint32_t p, uint32_t k, uint32_t first, uint32_t last) {
  uint32_t c, prev = 0, after = x->nodes[k].next;
  for (c = x->nodes[p].kids; c && c != k; c = x->nodes[c].next) prev = c;
  if (!c) return;
  if (first) { x->nodes[last].next = after; after = first; } else last = prev;
  if (prev) x->nodes[prev].next = after; else x->nodes[p].kids = after;
  if (x->nodes[p].last == k) x->nodes[p].last = last;
}

/* Whether expand() leaves value v out of the tree at the place of ref r. */
static int sym_dropped(const evtx_val *v, const evtx_symref *r) {
  return v->type == EV_NULL || (v->type == EV_BINXML && r->in_attr) ||
         (v->type & EV_ARRAY && (v->type & 0x7f) == EV_BINXML);
}

/* Fills the value nodes of t's tree, copied with its node i at i + shift. */
static void sym_fill(tells_evtx *x, const evtx_tmpl *t, uint32_t shift, const evtx_val *vals) {
  uint32_t i;
  for (i = 0; i < t->sym_nrefs; i++) {
    const evtx_symref *r = &t->sym_refs[i];
    const evtx_val *v = &vals[r->idx];
    if (sym_dropped(v, r)) {
      replace_kid(x, r->parent + shift, r->node + shift, 0, 0);
    } else if (v->type != EV_BINXML) {      /* BinXml in content: spliced */
      evtx_node *nd = &x->nodes[r->node + shift];
      nd->type = v->type; nd->u.p = v->p; nd->n = v->n;
    }
  }
}

/* Whether values vals (nv of them) fill t's symbolic tree without nesting. */
static int sym_flat(const evtx_tmpl *t, const evtx_val *vals, uint32_t nv) {
  uint32_t i;
  if (t->sym <= 0 || t->sym_nidx > nv) return 0;
  for (i = 0; i < t->sym_nrefs; i++)
    if (vals[t->sym_refs[i].idx].type == EV_BINXML && !t->sym_refs[i].in_attr) return 0;
  return 1;
}

/* t's symbolic nodes 1.. with every link moved by `shift`, for copying
** in at node 1 + shift, in t->sh_nodes (allocated by the caller): kept for
** the last shift asked, as a chunk's records usually share one outer
** template and so one shift. */
static const evtx_node *sym_shifted(evtx_tmpl *t, uint32_t shift) {
  evtx_node *d = t->sh_nodes;
  uint32_t k;
  if (t->sh_shift == shift) return d;
  memcpy(d, t->sym_nodes + 1, (t->sym_n - 1) * sizeof *d);
  for (k = 0; k + 1 < t->sym_n; k++) {
    if (d[k].next) d[k].next += shift;
    if (d[k].kind == N_VAL) continue;
    if (d[k].attrs) d[k].attrs += shift;
    if (d[k].kids) d[k].kids += shift;
    if (d[k].last) d[k].last += shift;
    if (d[k].kind == N_ELEM && d[k].n) d[k].n += shift;  /* last attribute */
  }
  t->sh_nodes = d; t->sh_shift = shift;
  return d;
}

#define EVTX_SYM_SUBS 4
typedef struct symsub {
  uint32_t ref;
  const evtx_tmpl *t;                   /* NULL: an empty value */
  const evtx_val *vals;
  evtx_tmpl *bt;                        /* the value compiled */
} symsub;

/* The nested values of an instance of t (values vals, nv of them), compiled
** ahead of the copy (sym_inst), in document order, as expand() would compile
** them and with the same anomalies, but their bytes left owed (binxml_ops),
** so that a record falling back to expand() is charged exactly where
** expand() meets each value.  A value is compiled only when expand() would
** certainly reach it (the work and nodes so far are far from the caps) and
** the cache has a slot for it (else expand() would compile it a second
** time).  Fills sub[0..*ns), *acc (the work expand() would charge for the
** copy, from x->work) and *total (nodes).  Returns 0, -1 when the record
** needs expand() (a value index out of range, deeper nesting, a cap), or
** -2 when a value that expand() would certainly reach does not decode: the
** record's tree is then certainly bad (expand_binxml flags it). */
static int sym_ahead(tells_evtx *x, const evtx_tmpl *t, const evtx_val *vals, uint32_t nv,
                     symsub *sub, uint32_t *ns_out, uint64_t *acc_out, uint32_t *total_out) {
  uint32_t ns = 0, i, total;
  uint64_t acc = x->work;                /* what expand() would have charged */
  xctx e;
  if (t->sym <= 0 || t->sym_nidx > nv) return -1;
  total = t->sym_n;
  memset(&e, 0, sizeof e);
  e.x = x;
  for (i = 0; i < t->sym_nrefs; i++) {
    const evtx_val *v = &vals[t->sym_refs[i].idx];
    evtx_tmpl *bt, *t2;
    int found;
    if (v->type != EV_BINXML || t->sym_refs[i].in_attr) continue;
    if (ns == EVTX_SYM_SUBS || acc + v->n > EVTX_MAX_WORK || total > EVTX_MAX_NODES ||
        !hfind(x->tmpls, x->gen, (uint32_t)(v->p - x->ck.p) + 0x10000u, &found))
      return -1;
    bt = binxml_ops(&e, v, 1, 1);
    if (!bt || e.stop) return -1;
    if (bt->bx_owed) acc += v->n;
    sub[ns].ref = i; sub[ns].t = NULL; sub[ns].vals = NULL; sub[ns].bt = bt;
    if (bt->bad) {
      *ns_out = ns + 1; *acc_out = acc; *total_out = total;
      return -2;
    }
    if (bt->n_ops == 0 || (bt->n_ops == 1 && bt->ops[0].op == OP_EOS)) {
      acc += bt->n_ops;                     /* empty: nothing to put in */
      ns++;
      continue;
    }
    if (bt->n_ops > 2 || bt->ops[0].op != OP_TEMPLATE || !bt->ops[0].u.ti.t ||
        (bt->n_ops == 2 && bt->ops[1].op != OP_EOS))
      return -1;
    t2 = (evtx_tmpl *)bt->ops[0].u.ti.t;    /* the reader owns its templates */
    if (!t2->sym) sym_get(x, t2);
    if (!sym_flat(t2, bt->ops[0].u.ti.vals, bt->ops[0].n) || !t2->sym_nest_ok ||
        t->sym_depth + t2->sym_depth > EVTX_MAX_DEPTH)
      return -1;
    if (!t2->sh_nodes) {                      /* room for sym_shifted() */
      if (!(t2->sh_nodes = symalloc(x, (t2->sym_n - 1) * sizeof *t2->sh_nodes))) return -1;
      t2->sh_shift = UINT32_MAX;
    }
    acc += bt->n_ops + t2->n_ops;
    sub[ns].t = t2; sub[ns].vals = bt->ops[0].u.ti.vals;
    ns++;
    total += t2->sym_n - 1;
  }
  *ns_out = ns; *acc_out = acc; *total_out = total;
  return 0;
}

/* The record tree of an instance of t with values vals: a copy of t's
** symbolic tree with the values filled in, each BinXml value in content
** that holds one instance replaced by that instance's tree (sub[0..ns),
** from sym_ahead, which counted the work acc and the nodes total): the tree
** expand() would build, its work charged as expand() would.  Returns -1,
** the tree then undefined, when the record needs expand(). */
static int sym_inst(tells_evtx *x, const evtx_tmpl *t, const evtx_val *vals,
                    const symsub *sub, uint32_t ns, uint64_t acc, uint32_t total) {
  uint32_t j;
  if (total > EVTX_MAX_NODES) return -1;
  if (x->cap_nodes < total) {
    uint32_t cap = x->cap_nodes ? x->cap_nodes : 1024;
    evtx_node *grown;
    while (cap < total) cap *= 2;
    if (cap > EVTX_MAX_NODES || !(grown = tells_realloc(x->nodes, cap * sizeof *grown))) return -1;
    x->nodes = grown; x->cap_nodes = cap;
  }
  /* the copy is used: the values' bytes are charged (in acc) */
  for (j = 0; j < ns; j++) sub[j].bt->bx_owed = 0;
  x->work = acc;
  memcpy(x->nodes, t->sym_nodes, t->sym_n * sizeof *x->nodes);
  x->n_nodes = t->sym_n;
  x->root = t->sym_root;
  sym_fill(x, t, 0, vals);
  for (j = 0; j < ns; j++) {
    evtx_tmpl *t2 = (evtx_tmpl *)sub[j].t;
    const evtx_symref *r = &t->sym_refs[sub[j].ref];
    uint32_t shift = x->n_nodes - 1, first = 0, last = 0;
    evtx_node *d = &x->nodes[x->n_nodes];
    if (!t2) { replace_kid(x, r->parent, r->node, 0, 0); continue; }
    memcpy(d, sym_shifted(t2, shift), (t2->sym_n - 1) * sizeof *d);
    x->n_nodes += t2->sym_n - 1;
    sym_fill(x, t2, shift, sub[j].vals);
    if (t2->sym_root) {
      first = last = t2->sym_root + shift;
      while (x->nodes[last].next) last = x->nodes[last].next;
    }
    replace_kid(x, r->parent, r->node, first, last);
  }
  return 0;
}

/* Whether a carved candidate (decoded quietly) whose nested value sub[ns-1]
** does not decode (sym_ahead returned -2) can be rejected without being
** expanded: when expanding it could change nothing but its own tree.  The
** value compiled to no op at all, and no BinXml value follows it in
** content: expansion would then compile nothing more (no inline name or
** template definition that later candidates could use), charge exactly
** the work sym_ahead counted, and flag the tree bad.  The reader that only
** expands (tells__evtx_expand_only, the reference of evtx_check.c) does not
** take this path, so the check compares it with expansion. */
static int carve_reject_ok(const evtx_tmpl *t, const evtx_val *vals, const symsub *sub,
                           uint32_t ns) {
  uint32_t j;
  if (sub[ns - 1].bt->n_ops) return 0;
  for (j = sub[ns - 1].ref + 1; j < t->sym_nrefs; j++)
    if (vals[t->sym_refs[j].idx].type == EV_BINXML && !t->sym_refs[j].in_attr) return 0;
  return 1;
}

/* Decodes the record's Binary XML into the tree. */
static int build_tree(tells_evtx *x, uint32_t p, uint32_t size) {
  opvec *ov = &x->ov_rec;
  tells_rd r = tells_rd_sub(&x->ck, p + 24, size - EVTX_REC_MIN);
  xctx e;
  int rc;
  x->n_nodes = 0;                       /* node 0 is the "none" index */
  if (!x->cap_nodes && (new_node(x, 0), x->cap_nodes == 0)) return TELLS_ENOMEM;
  x->n_nodes = 1;
  x->root = 0;
  x->tree_bad = 0;
  x->work = 0;
  if (size == EVTX_REC_MIN) {
    banom(x, x->ck.base + p, "evtx.record_empty", "record data size 0");
    x->tree_bad = 1;
    return 0;
  }
  ov->n = 0;
  if (x->chunk_work > EVTX_MAX_CHUNK_WORK) {
    if (x->chunk_work != UINT64_MAX) {
      banom(x, x->ck.base + p, "evtx.work",
            "chunk expansion over the work cap; its remaining records are not decoded");
      x->chunk_work = UINT64_MAX;
    }
    x->tree_bad = 1;
    return 0;
  }
  rc = compile(x, ov, &r, 0, 0);
  if (rc) {
    char m[128];
    if (!x->quiet) {                     /* a carved candidate's is not kept */
      snprintf(m, sizeof m, "record %llu: Binary XML could not be decoded (%s)",
               (unsigned long long)x->cur.id, tells_strerror(r.err ? r.err : TELLS_ECORRUPT));
      banom(x, r.err ? r.err_off : x->ck.base + p, "evtx.binxml", m);
    }
    x->tree_bad = 1;
  } else if (ov->n >= 1 && ov->n <= 2 && ov->v[0].op == OP_TEMPLATE &&
             ov->v[0].u.ti.t && (ov->n == 1 || ov->v[1].op == OP_EOS)) {
    /* one template instance, the usual record: its tree is a copy of the
    ** template's symbolic tree (the reader owns its templates) */
    evtx_tmpl *t = (evtx_tmpl *)ov->v[0].u.ti.t;
    const evtx_val *vals = ov->v[0].u.ti.vals;
    x->work = ov->n + t->n_ops;             /* what expand() charges */
    if (!x->expand_only) {
      symsub sub[EVTX_SYM_SUBS];
      uint32_t ns, total, j;
      uint64_t acc;
      if (!t->sym) sym_get(x, t);
      rc = sym_ahead(x, t, vals, ov->v[0].n, sub, &ns, &acc, &total);
      if (rc == -2 && x->quiet && carve_reject_ok(t, vals, sub, ns)) {
        for (j = 0; j < ns; j++) sub[j].bt->bx_owed = 0;   /* charged in acc */
        x->work = acc;
        x->tree_bad = 1;
        x->chunk_work += x->work;
        return 0;
      }
      if (rc == 0 && sym_inst(x, t, vals, sub, ns, acc, total) == 0) {
        x->sym_records++;
        x->chunk_work += x->work;
        return 0;
      }
    }
    x->n_nodes = 1; x->root = 0; x->work = 0;
  }
  memset(&e, 0, sizeof e);
  e.x = x;
  expand(&e, ov->v, ov->n, NULL, 0, 0);
  x->chunk_work += x->work;
  if (e.stop) x->tree_bad = 1;
  return 0;
}

int tells_evtx_next(tells_evtx *x, tells_evtx_rec *out) {
  for (;;) {
    const uint8_t *c;
    uint32_t p, sz;
    if (!x->in_chunk) {
      int rc = open_chunk(x);
      if (rc < 0) { x->have_cur = 0; return 0; }
      if (rc == 0) continue;
    }
    c = x->ck.p;
    p = x->rec_pos;
    if (!x->carving) {
      if (p >= x->rec_end || x->rec_end - p < EVTX_REC_MIN) {
        x->carving = 1;
        x->rec_pos = (p + 7) & ~7u;
        continue;
      }
      if (tells_ld32le(c + p) != 0x00002a2a) {
        tells_anom_add(x->an, x->ck.base + p, "evtx.record_sig",
                       "chunk %u: no record signature at chunk offset %u; %u bytes of record data skipped",
                       x->ci, p, x->rec_end - p);
        x->carving = 1;
        x->rec_pos = (p + 8) & ~7u;
        continue;
      }
      sz = tells_ld32le(c + p + 4);
      if (sz < EVTX_REC_MIN || sz > x->ck.len - p) {
        tells_anom_add(x->an, x->ck.base + p, "evtx.record_size",
                       "chunk %u: record size %u at chunk offset %u out of range; rest of chunk scanned",
                       x->ci, sz, p);
        x->carving = 1;
        x->rec_pos = (p + 8) & ~7u;
        continue;
      }
      if (tells_ld32le(c + p + sz - 4) != sz)
        tells_anom_add(x->an, x->ck.base + p + sz - 4, "evtx.record_size_copy",
                       "record at chunk offset %u: trailing size copy %u differs from size %u",
                       p, tells_ld32le(c + p + sz - 4), sz);
      x->rec_pos = p + sz;
      x->cur.recovered = 0;
    } else {
      /* outside the record list (slack after it, the rest of a damaged
      ** list, a chunk with an unusable header): look for carvable records
      ** on 8-byte boundaries.  A candidate is returned only when its
      ** written time is plausible, it is not a byte copy of a live record,
      ** and its Binary XML decodes fully into an Event (decoded quietly). */
      uint64_t wt;
      p = next_plausible(x, p);
      if (p + EVTX_REC_MIN + 4 > x->ck.len) { close_chunk(x); continue; }
      sz = tells_ld32le(c + p + 4);
      wt = ld64(c + p + 16);
      if (wt < EVTX_FT_MIN || wt >= EVTX_FT_MAX) {
        carve_reject(x, &x->rej_time, p);
        x->rec_pos = p + 8;
        continue;
      }
      if (carved_dup(x, p, sz, ld64(c + p + 8))) {
        carve_reject(x, &x->rej_dup, p);
        x->rec_pos = p + sz;
        continue;
      }
      x->cur.off = x->ck.base + p;
      x->cur.size = sz;
      x->cur.id = ld64(c + p + 8);
      x->quiet = 1;
      if (build_tree(x, p, sz)) { x->quiet = 0; return TELLS_ENOMEM; }
      x->quiet = 0;
      if (x->tree_bad || !x->root || x->nodes[x->root].kind != N_ELEM ||
          x->nodes[x->root].u.name->wk != WK_Event) {
        carve_reject(x, &x->rej_xml, p);
        x->rec_pos = p + 8;
        continue;
      }
      x->rec_pos = p + sz;
      x->cur.recovered = 1;
      x->st.records_recovered++;
      if (x->carving == 1)
        tells_anom_add(x->an, x->ck.base + p, "evtx.record_recovered",
                       "chunk %u: record(s) carved from space outside the record list "
                       "(slack, damaged area or unusable chunk), first at chunk offset %u "
                       "(flagged recovered)", x->ci, p);
      x->carving = 2;
      x->cur.written = wt;
      x->cur.chunk = x->ci;
      x->cur.broken = 0;
      x->st.records++;
      x->have_cur = 1;
      *out = x->cur;
      return 1;
    }
    x->cur.off = x->ck.base + p;
    x->cur.size = sz;
    x->cur.id = tells_ld32le(c + p + 8) | (uint64_t)tells_ld32le(c + p + 12) << 32;
    x->cur.written = tells_ld32le(c + p + 16) | (uint64_t)tells_ld32le(c + p + 20) << 32;
    x->cur.chunk = x->ci;
    if (build_tree(x, p, sz)) return TELLS_ENOMEM;
    x->cur.broken = x->tree_bad;
    if (x->tree_bad) x->st.records_broken++;
    x->st.records++;
    x->have_cur = 1;
    *out = x->cur;
    return 1;
  }
}

tells_err tells_evtx_open(const uint8_t *buf, size_t len, tells_anoms *an, tells_evtx **out) {
  tells_evtx *x;
  uint64_t nch;
  *out = NULL;
  if (!buf && len) return TELLS_EARG;
  x = tells_calloc(1, sizeof *x);
  if (!x) return TELLS_ENOMEM;
  x->buf = buf; x->len = len;
  if (!an) { tells_anoms_init(&x->own_an); an = &x->own_an; }
  x->an = an;
  tells_arena_init(&x->arena, 8u << 20);
  tells_arena_init(&x->sym_arena, 8u << 20);
  tells_buf_init(&x->sb, 16u << 20);
  tells_buf_init(&x->ev_strs, 16u << 20);
  tells_buf_init(&x->keys, 16u << 20);
  tells_buf_init(&x->nb, 1u << 20);
  x->gen = 1;
  if (len < 8 || memcmp(buf, "ElfFile", 8) != 0) {
    tells_anom_add(an, 0, "evtx.file_magic", "file header signature missing; scanning for chunks");
  } else if (len < 128) {
    tells_anom_add(an, 0, "evtx.file_trunc", "file header truncated (%zu bytes)", len);
  } else {
    uint32_t crc = tells__crc32(0, buf, 120);
    uint32_t flags = tells_ld32le(buf + 120);
    if (crc != tells_ld32le(buf + 124))
      tells_anom_add(an, 124, "evtx.file_crc",
                     "file header CRC-32 mismatch (stored %08x, computed %08x)",
                     tells_ld32le(buf + 124), crc);
    if (flags & 1)
      tells_anom_add(an, 120, "evtx.file_dirty", "file header flags: dirty (not closed cleanly)");
    if (tells_ld16le(buf + 38) != 3)
      tells_anom_add(an, 38, "evtx.file_version", "unexpected major version %u",
                     tells_ld16le(buf + 38));
  }
  nch = len > EVTX_FILE_HEADER ? (len - EVTX_FILE_HEADER + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE : 0;
  if (nch > TELLS_MAX_EVTX_CHUNKS) {
    tells_anom_add(an, 0, "evtx.chunks", "%llu chunks; only the first %u are read",
                   (unsigned long long)nch, TELLS_MAX_EVTX_CHUNKS);
    nch = TELLS_MAX_EVTX_CHUNKS;
  }
  if (len <= EVTX_FILE_HEADER && len >= 8)
    tells_anom_add(an, len, "evtx.file_trunc", "file ends before the first chunk");
  x->n_chunks = (uint32_t)nch;
  *out = x;
  return TELLS_OK;
}

void tells_evtx_close(tells_evtx *x) {
  if (!x) return;
  tells_arena_free(&x->arena);
  tells_arena_free(&x->sym_arena);
  tells_free(x->nodes);
  tells_free(x->fields);
  tells_free(x->fl);
  tells_free(x->ov_rec.v);
  tells_free(x->ov_tmp.v);
  tells_buf_free(&x->sb);
  tells_buf_free(&x->ev_strs);
  tells_buf_free(&x->keys);
  tells_buf_free(&x->nb);
  tells_free(x->kt);
  tells_free(x->cr);
  tells_free(x->ridx_off);
  tells_free(x->ridx_id);
  tells_free(x->tc_scratch.v);
  if (x->an == &x->own_an) tells_anoms_free(&x->own_an);
  tells_free(x);
}

const tells_evtx_stats *tells_evtx_stats_get(const tells_evtx *x) { return &x->st; }

void tells__evtx_expand_only(tells_evtx *x, int on) { x->expand_only = on; }
uint64_t tells__evtx_chunk_work(const tells_evtx *x) { return x->chunk_work; }
uint64_t tells__evtx_sym_records(const tells_evtx *x) { return x->sym_records; }

void tells_evtx_set_holes(tells_evtx *x, const uint64_t *ranges, size_t n) {
  x->holes = n ? ranges : NULL;
  x->n_holes = ranges ? n : 0;
}
