/*
** evtx_tcache.c -- compiled template definitions kept across chunks and
** files: the container, the check that a chunk's definition is one kept,
** and the copies into it (what the cache is, and why decoding stays exact:
** evtx_int.h; the reader's side: get_template() in evtx.c).
*/
#include <string.h>
#include "alloc.h"
#include "evtx_int.h"

tells_evtx_tcache *tells_evtx_tcache_new(void) {
  tells_evtx_tcache *tc = tells_calloc(1, sizeof *tc);
  if (tc) tells_arena_init(&tc->a, EVTX_TC_BYTES);
  return tc;
}

void tells_evtx_tcache_free(tells_evtx_tcache *tc) {
  if (!tc) return;
  tells_arena_free(&tc->a);
  tells_free(tc);
}

uint64_t tells_evtx_tcache_hits(const tells_evtx_tcache *tc) { return tc ? tc->hits : 0; }
uint64_t tells_evtx_tcache_adds(const tells_evtx_tcache *tc) { return tc ? tc->adds : 0; }

void tells_evtx_set_tcache(tells_evtx *x, tells_evtx_tcache *tc) { x->tc = tc; }

static uint32_t key_hash(const uint8_t *guid, uint32_t dsize) {
  uint32_t h = 2166136261u ^ dsize, k;
  for (k = 0; k < 16; k++) h = (h ^ guid[k]) * 16777619u;
  return (h ^ (h >> 16)) & (EVTX_TC_SLOTS - 1);
}

/* Whether the name at chunk offset v reads as reference n did: a name
** structure inside the chunk with the same UTF-16 text (read_name). */
static int ref_same(const tells_evtx *x, uint32_t v, const evtx_tc_name *n) {
  const uint8_t *c = x->ck.p;
  size_t len = x->ck.len;
  if (v < EVTX_CHUNK_HEADER || v > len || len - v < 8) return 0;
  if (tells_ld16le(c + v + 6) != n->nch || (len - v - 8) / 2 < (size_t)n->nch + 1) return 0;
  return memcmp(c + v + 8, n->u16, (size_t)n->nch * 2) == 0;
}

/* Whether the definition body at chunk offset `body` compiles as e's did:
** the same bytes but for the name offsets and the link fields of inline
** names, each name inline where e's was (and only there) or a reference to
** a name with the same text, and the first element read the same way. */
static int same_def(const tells_evtx *x, const evtx_tc_ent *e, uint32_t body) {
  const uint8_t *b = x->ck.p + body;
  uint32_t pos = 0, k;
  for (k = 0; k < e->n_names; k++) {
    const evtx_tc_name *n = &e->names[k];
    uint32_t v, here = body + n->rel + 4;
    if (memcmp(b + pos, e->body + pos, n->rel - pos) != 0) return 0;
    v = tells_ld32le(b + n->rel);
    if (n->inl) {
      if (v != here) return 0;
      pos = n->rel + 8;                /* the field and the name's link */
    } else {
      if (v == here || !ref_same(x, v, n)) return 0;
      pos = n->rel + 4;
    }
  }
  if (memcmp(b + pos, e->body + pos, e->dsize - pos) != 0) return 0;
  if (e->el >= 0) {
    tells_rd r = tells_rd_sub(&x->ck, body, e->dsize);
    r.off = (size_t)e->el;
    if (tells__evtx_layout(x, &r, 1) != e->lay[0] || tells__evtx_layout(x, &r, 0) != e->lay[1])
      return 0;
  }
  return 1;
}

/* The kept definition that the one at chunk offset off (body of dsize
** bytes, inside the chunk) compiles to, or NULL. */
evtx_tc_ent *tells__evtx_tc_find(tells_evtx *x, uint32_t off, uint32_t dsize) {
  const uint8_t *guid = x->ck.p + off + 4;
  evtx_tc_ent *e;
  for (e = x->tc->slot[key_hash(guid, dsize)]; e; e = e->next)
    if (e->dsize == dsize && memcmp(e->guid, guid, 16) == 0 && same_def(x, e, off + 24)) {
      x->tc->hits++;
      return e;
    }
  return NULL;
}

/* A cache-owned copy of name nm. */
static const evtx_name *own_name(tells_evtx_tcache *tc, const evtx_name *nm) {
  evtx_name *c = tells_arena_alloc(&tc->a, sizeof *c);
  char *s = c ? tells_arena_strndup(&tc->a, nm->s, nm->n) : NULL;
  if (!s) return NULL;
  c->s = s; c->n = nm->n; c->wk = nm->wk;
  return c;
}

/* Keeps the definition at chunk offset off just compiled without fault to
** ops[0..n_ops) (no nested instance), its name fields in rec.  Returns the
** entry, whose ops the caller copies over its own (the same ops, pointing
** at the cache's names and text), or NULL when it is not kept (cache full,
** out of memory, or fields the check could not replay). */
evtx_tc_ent *tells__evtx_tc_add(tells_evtx *x, uint32_t off, uint32_t dsize,
                                const evtx_op *ops, uint32_t n_ops, const evtx_tc_rec *rec) {
  tells_evtx_tcache *tc = x->tc;
  tells_arena *a = &tc->a;
  evtx_tc_ent *e;
  evtx_tc_name *names = NULL;
  evtx_op *cops;
  uint8_t *body;
  uint32_t k, j = 0, prev = 0, h;
  if (tc->n >= EVTX_TC_MAX_ENTRIES || rec->bad || !n_ops) return NULL;
  /* the name fields in order, inside the body, one per name op */
  for (k = 0; k < rec->n; k++) {
    uint32_t end = rec->v[k].rel + (rec->v[k].inl ? 8u : 4u);
    if (rec->v[k].rel < prev || end > dsize) return NULL;
    prev = end;
  }
  for (k = 0; k < n_ops; k++) {
    if (ops[k].op == OP_TEMPLATE) return NULL;   /* not replayable: never kept */
    j += evtx_op_named(ops[k].op);
  }
  if (j != rec->n) return NULL;
  e = tells_arena_alloc(a, sizeof *e);
  body = e ? tells_arena_alloc(a, dsize ? dsize : 1) : NULL;
  cops = body ? tells_arena_alloc(a, (size_t)n_ops * sizeof *cops) : NULL;
  if (rec->n && cops) names = tells_arena_alloc(a, (size_t)rec->n * sizeof *names);
  if (!cops || (rec->n && !names)) return NULL;
  memset(e, 0, sizeof *e);
  memcpy(e->guid, x->ck.p + off + 4, 16);
  e->dsize = dsize;
  memcpy(body, x->ck.p + off + 24, dsize);
  e->body = body;
  for (k = 0; k < rec->n; k++) {
    const evtx_tc_name *r = &rec->v[k];
    names[k] = *r;
    names[k].u16 = NULL; names[k].nch = 0;
    if (!(names[k].nm = own_name(tc, r->nm))) return NULL;
    if (!r->inl) {                       /* its text, to check later chunks */
      uint32_t v = tells_ld32le(x->ck.p + off + 24 + r->rel);
      uint8_t *u;
      if (v < EVTX_CHUNK_HEADER || v > x->ck.len || x->ck.len - v < 8) return NULL;
      names[k].nch = tells_ld16le(x->ck.p + v + 6);
      if ((x->ck.len - v - 8) / 2 < (size_t)names[k].nch + 1) return NULL;
      if (!(u = tells_arena_alloc(a, (size_t)names[k].nch * 2 + 1))) return NULL;
      memcpy(u, x->ck.p + v + 8, (size_t)names[k].nch * 2);
      names[k].u16 = u;
    }
  }
  for (k = 0, j = 0; k < n_ops; k++) {
    cops[k] = ops[k];
    if (evtx_op_named(ops[k].op)) cops[k].u.name = names[j++].nm;
    else if (ops[k].op == OP_TEXT &&
             !(cops[k].u.text = tells_arena_strndup(a, ops[k].u.text, ops[k].n)))
      return NULL;
  }
  e->names = names; e->n_names = rec->n;
  e->ops = cops; e->n_ops = n_ops;
  e->el = rec->el; e->lay[0] = rec->lay[0]; e->lay[1] = rec->lay[1];
  h = key_hash(e->guid, dsize);
  e->next = tc->slot[h];
  tc->slot[h] = e;
  tc->n++;
  tc->adds++;
  return e;
}

/* Keeps t's symbolic tree (built from e's ops, so it points only at the
** cache's names and text) in e, with the work its expansion charged. */
void tells__evtx_tc_keep_sym(tells_evtx *x, evtx_tc_ent *e, const evtx_tmpl *t, uint64_t work) {
  tells_arena *a = &x->tc->a;
  evtx_node *nodes;
  evtx_symref *refs = NULL;
  if (e->sym || t->sym != 1) return;
  nodes = tells_arena_alloc(a, (size_t)t->sym_n * sizeof *nodes);
  if (t->sym_nrefs) refs = tells_arena_alloc(a, (size_t)t->sym_nrefs * sizeof *refs);
  if (!nodes || (t->sym_nrefs && !refs)) return;
  memcpy(nodes, t->sym_nodes, (size_t)t->sym_n * sizeof *nodes);
  if (refs) memcpy(refs, t->sym_refs, (size_t)t->sym_nrefs * sizeof *refs);
  e->sym_nodes = nodes; e->sym_n = t->sym_n; e->sym_root = t->sym_root;
  e->sym_depth = t->sym_depth; e->sym_refs = refs; e->sym_nrefs = t->sym_nrefs;
  e->sym_nidx = t->sym_nidx; e->sym_nest_ok = t->sym_nest_ok;
  e->sym_work = work;
  e->sym = 1;
}
