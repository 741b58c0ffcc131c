/*
** evtx_render.c -- renders the record tree: evtx_dump JSON, XML text, and
** the normalised event of the rule engine.
**
** JSON follows the shape of the Rust evtx crate's evtx_dump (default mode,
** attributes under "#attributes"):
**   - an element with neither attributes, text nor child elements -> null;
**   - with text only -> the value itself (typed: numbers stay numbers; text
**     made of several pieces, e.g. around an entity reference, is joined
**     into one string);
**   - otherwise an object: "#attributes" (attributes whose value is NULL
**     are dropped), the children, then "#text" when there is text;
**   - <Data Name="X">v</Data> becomes "X": v; <Data> without a Name
**     attribute is gathered into "Data": {"#text": v} or {"#text": [v...]};
**   - a repeated key in one object is suffixed _1, _2, ... in document
**     order (Header, Header_1, Header_2).
** The writer streams straight into the caller's tells_json: no JSON tree
** is built.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "evtx_int.h"
#include "tstamp.h"

#define ND(i) (&x->nodes[i])
#define EVTX_JSON_MAX_DEPTH 24

static int is_data(const evtx_node *n) { return n->u.name && n->u.name->wk == WK_Data; }
static int name_is(const evtx_node *n, int wk) { return n->u.name && n->u.name->wk == wk; }

/* A value node counts as content unless it is NULL-like. */
static int val_present(const evtx_node *v) {
  return v->kind == N_VAL && v->type != EV_NULL && v->type != EV_HANDLE &&
         v->type != EV_EVTXML && v->type != EV_BINXML;
}

static uint32_t attr_find(tells_evtx *x, uint32_t el, int name) {
  uint32_t a;
  for (a = ND(el)->attrs; a; a = ND(a)->next)
    if (name_is(ND(a), name)) return a;
  return 0;
}

/* Text of the values under p (an attribute or element), appended to b. */
static void text_of(tells_evtx *x, uint32_t p, tells_buf *b) {
  uint32_t k;
  for (k = ND(p)->kids; k; k = ND(k)->next)
    if (ND(k)->kind == N_VAL)
      tells__evtx_val_text(b, ND(k)->type, ND(k)->u.p, ND(k)->n);
}

/* Counts present values under p; *one = the single one. */
static int count_vals(tells_evtx *x, uint32_t p, uint32_t *one) {
  uint32_t k;
  int c = 0;
  for (k = ND(p)->kids; k; k = ND(k)->next)
    if (val_present(ND(k))) { c++; *one = k; }
  return c;
}

static void val_json(tells_evtx *x, tells_json *j, uint32_t p, tells_buf *tb) {
  uint32_t one = 0;
  int c = count_vals(x, p, &one);
  if (c == 1) {
    tells__evtx_val_json(j, tb, ND(one)->type, ND(one)->u.p, ND(one)->n);
    return;
  }
  tells_buf_reset(tb);
  text_of(x, p, tb);
  tells__evtx_trim(tb);
  tells_json_strn(j, tb->p ? tb->p : "", tb->n);
}

/* Whether an attribute renders (its value is not NULL). */
static int attr_present(tells_evtx *x, uint32_t a) {
  uint32_t k;
  for (k = ND(a)->kids; k; k = ND(k)->next)
    if (val_present(ND(k)) || ND(k)->type >= EV_UTF8) return 1;
  return 0;
}

/* Keys written into one object, for duplicate suffixes: a hash set of
** (object number, key) cleared per record by a generation stamp, so an
** object with thousands of children (garbage from a carved record) stays
** linear. */
typedef struct keyset { tells_evtx *x; uint32_t obj; } keyset;

static uint32_t khash(const char *k, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (uint8_t)k[i]) * 16777619u;
  return h;
}

static evtx_kent *kslot(tells_evtx *x, uint32_t obj, uint32_t h, const char *k, size_t n,
                        int *found) {
  uint32_t i = (h ^ (obj * 0x9e3779b1u)) & (x->kt_cap - 1);
  for (;; i = (i + 1) & (x->kt_cap - 1)) {
    evtx_kent *e = &x->kt[i];
    if (e->gen != x->kt_gen) { *found = 0; return e; }
    if (e->obj == obj && e->h == h && e->len == n && memcmp(x->keys.p + e->off, k, n) == 0) {
      *found = 1;
      return e;
    }
  }
}

/* The entry of key k in the object, or NULL. */
static evtx_kent *key_used(const keyset *ks, const char *k, size_t n) {
  int found;
  evtx_kent *e;
  tells_evtx *x = ks->x;
  if (!x->kt) return NULL;
  e = kslot(x, ks->obj, khash(k, n), k, n, &found);
  return found ? e : NULL;
}

static void key_add(keyset *ks, const char *k, size_t n) {
  tells_evtx *x = ks->x;
  evtx_kent *e;
  int found;
  uint32_t h = khash(k, n);
  if (x->kt_n * 2 >= x->kt_cap) {
    uint32_t cap = x->kt_cap ? x->kt_cap * 2 : 256, i, oc = x->kt_cap;
    evtx_kent *old = x->kt, *nt;
    if (cap > (1u << 22)) return;
    nt = tells_calloc(cap, sizeof *nt);
    if (!nt) return;
    x->kt = nt; x->kt_cap = cap;
    for (i = 0; i < oc; i++) {
      if (old[i].gen != x->kt_gen) continue;
      {
        uint32_t j = (old[i].h ^ (old[i].obj * 0x9e3779b1u)) & (cap - 1);
        while (nt[j].gen == x->kt_gen) j = (j + 1) & (cap - 1);
        nt[j] = old[i];
      }
    }
    tells_free(old);
  }
  e = kslot(x, ks->obj, h, k, n, &found);
  if (found) return;
  {
    size_t off = x->keys.n;
    if (tells_buf_add(&x->keys, k, n) != TELLS_OK) return;   /* over the cap */
    e->gen = x->kt_gen; e->obj = ks->obj; e->h = h; e->len = (uint32_t)n; e->next = 1;
    e->off = off;
    x->kt_n++;
  }
}

static void keyset_open(keyset *ks, tells_evtx *x) { ks->x = x; ks->obj = ++x->kt_obj; }

/* Writes key k (NUL-terminated, n bytes) into the open object, suffixed
** _1, _2, ... when the object already has it. */
static void write_key(tells_json *j, keyset *ks, const char *k, size_t n) {
  char tmp[300];
  evtx_kent *base = key_used(ks, k, n);
  if (base) {
    /* the base entry remembers the next suffix to try */
    unsigned i = base->next;
    int m = n < 256 ? (int)n : 256;
    for (;; i++) {
      int l = snprintf(tmp, sizeof tmp, "%.*s_%u", m, k, i);
      if (!key_used(ks, tmp, (size_t)l)) { k = tmp; n = (size_t)l; break; }
    }
    base->next = i + 1;   /* base is not moved: key_add below may rehash */
  }
  tells_json_key(j, k);
  key_add(ks, k, n);
}

static void elem_json(tells_evtx *x, tells_json *j, uint32_t el, tells_buf *tb, int depth);

/* Writes the key/value pairs of element el's children into the open object. */
static void kids_json(tells_evtx *x, tells_json *j, uint32_t el, tells_buf *tb, int depth) {
  keyset ks;
  uint32_t c;
  int data_done = 0;
  keyset_open(&ks, x);
  for (c = ND(el)->kids; c; c = ND(c)->next) {
    if (ND(c)->kind != N_ELEM) continue;
    if (is_data(ND(c))) {
      uint32_t na = attr_find(x, c, WK_Name);
      if (na) {
        tells_buf_reset(tb);
        text_of(x, na, tb);
        write_key(j, &ks, tells_buf_str(tb), strlen(tells_buf_str(tb)));
        {
          uint32_t one = 0;
          if (count_vals(x, c, &one) == 0) tells_json_null(j);
          else val_json(x, j, c, tb);
        }
        continue;
      }
      if (data_done) continue;
      data_done = 1;
      {
        /* all unnamed Data siblings with text, gathered under one key */
        uint32_t d, one = 0;
        int total = 0;
        for (d = c; d; d = ND(d)->next)
          if (ND(d)->kind == N_ELEM && is_data(ND(d)) && !attr_find(x, d, WK_Name)) total++;
        write_key(j, &ks, "Data", 4);
        tells_json_obj(j);
        tells_json_key(j, "#text");
        if (total > 1) tells_json_arr(j);
        for (d = c; d; d = ND(d)->next)
          if (ND(d)->kind == N_ELEM && is_data(ND(d)) && !attr_find(x, d, WK_Name)) {
            if (count_vals(x, d, &one) > 0) val_json(x, j, d, tb);
            else tells_json_strn(j, "", 0);
          }
        if (total > 1) tells_json_arr_end(j);
        tells_json_obj_end(j);
      }
      continue;
    }
    write_key(j, &ks, ND(c)->u.name->s, ND(c)->u.name->n);
    elem_json(x, j, c, tb, depth + 1);
  }
}

static void elem_json(tells_evtx *x, tells_json *j, uint32_t el, tells_buf *tb, int depth) {
  uint32_t k, a, one;
  int n_el = 0, n_txt, attrs = 0;
  /* each element level can open two JSON containers; stay well inside the
  ** writer's TELLS_MAX_JSON_DEPTH so one hostile record cannot poison the
  ** caller's writer (its errors stick) */
  if (depth > EVTX_JSON_MAX_DEPTH) { tells_json_null(j); return; }
  for (a = ND(el)->attrs; a; a = ND(a)->next) if (attr_present(x, a)) { attrs = 1; break; }
  for (k = ND(el)->kids; k; k = ND(k)->next)
    if (ND(k)->kind == N_ELEM) n_el++;
  n_txt = count_vals(x, el, &one);
  if (!attrs && !n_el) {
    if (!n_txt) tells_json_null(j);
    else val_json(x, j, el, tb);
    return;
  }
  tells_json_obj(j);
  if (attrs) {
    tells_json_key(j, "#attributes");
    tells_json_obj(j);
    for (a = ND(el)->attrs; a; a = ND(a)->next) {
      if (!attr_present(x, a)) continue;
      tells_json_key(j, ND(a)->u.name->s);
      val_json(x, j, a, tb);
    }
    tells_json_obj_end(j);
  }
  if (n_el) kids_json(x, j, el, tb, depth);
  if (n_txt) {
    tells_json_key(j, "#text");
    val_json(x, j, el, tb);
  }
  tells_json_obj_end(j);
}

tells_err tells_evtx_rec_json(tells_evtx *x, tells_json *j) {
  uint32_t r;
  keyset ks;
  if (!x->have_cur) return TELLS_EARG;
  tells_buf_reset(&x->keys);
  x->kt_n = 0;
  if (++x->kt_gen == 0) {
    if (x->kt) memset(x->kt, 0, x->kt_cap * sizeof *x->kt);
    x->kt_gen = 1;
  }
  keyset_open(&ks, x);
  tells_json_obj(j);
  for (r = x->root; r; r = ND(r)->next) {
    if (ND(r)->kind != N_ELEM) continue;
    write_key(j, &ks, ND(r)->u.name->s, ND(r)->u.name->n);
    elem_json(x, j, r, &x->sb, 0);
  }
  tells_json_obj_end(j);
  return j->err;
}

/* ---- XML text (debugging, docs) ---------------------------------------- */
static void xml_esc(tells_buf *b, const char *s, size_t n, int attr) {
  size_t i;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (c == '&') tells_buf_adds(b, "&amp;");
    else if (c == '<') tells_buf_adds(b, "&lt;");
    else if (c == '>') tells_buf_adds(b, "&gt;");
    else if (c == '"' && attr) tells_buf_adds(b, "&quot;");
    else tells_buf_addc(b, c);
  }
}

static void xml_vals(tells_evtx *x, uint32_t p, tells_buf *b, int attr) {
  uint32_t k;
  for (k = ND(p)->kids; k; k = ND(k)->next) {
    if (ND(k)->kind != N_VAL) continue;
    tells_buf_reset(&x->sb);
    tells__evtx_val_text(&x->sb, ND(k)->type, ND(k)->u.p, ND(k)->n);
    xml_esc(b, tells_buf_str(&x->sb), x->sb.n, attr);
  }
}

static void xml_elem(tells_evtx *x, uint32_t el, tells_buf *b, int depth) {
  uint32_t a, k;
  int kids = 0;
  if (depth > EVTX_MAX_DEPTH) return;
  tells_buf_addf(b, "%*s<%s", depth * 2, "", ND(el)->u.name->s);
  for (a = ND(el)->attrs; a; a = ND(a)->next) {
    if (!attr_present(x, a)) continue;
    tells_buf_addf(b, " %s=\"", ND(a)->u.name->s);
    xml_vals(x, a, b, 1);
    tells_buf_addc(b, '"');
  }
  tells_buf_addc(b, '>');
  for (k = ND(el)->kids; k; k = ND(k)->next) if (ND(k)->kind == N_ELEM) kids = 1;
  if (kids) {
    tells_buf_addc(b, '\n');
    for (k = ND(el)->kids; k; k = ND(k)->next)
      if (ND(k)->kind == N_ELEM) xml_elem(x, k, b, depth + 1);
    tells_buf_addf(b, "%*s", depth * 2, "");
  } else {
    xml_vals(x, el, b, 0);
  }
  tells_buf_addf(b, "</%s>\n", ND(el)->u.name->s);
}

tells_err tells_evtx_rec_xml(tells_evtx *x, tells_buf *b) {
  uint32_t r;
  if (!x->have_cur) return TELLS_EARG;
  for (r = x->root; r; r = ND(r)->next)
    if (ND(r)->kind == N_ELEM) xml_elem(x, r, b, 0);
  return b->err;
}

/* ---- normalised event -------------------------------------------------- */
/* Appends the text of p's values to ev_strs, NUL-terminated; returns its
** offset (pointers are fixed once all strings are in, as the buffer moves). */
static size_t ev_str(tells_evtx *x, uint32_t p) {
  size_t off = x->ev_strs.n;
  uint32_t k;
  if (p)
    for (k = ND(p)->kids; k; k = ND(k)->next)
      if (ND(k)->kind == N_VAL)
        tells__evtx_val_text(&x->ev_strs, ND(k)->type, ND(k)->u.p, ND(k)->n);
  /* trailing white space dropped, as in the JSON (rules see the same text) */
  while (x->ev_strs.n > off && (x->ev_strs.p[x->ev_strs.n - 1] == ' ' ||
                                x->ev_strs.p[x->ev_strs.n - 1] == '\t' ||
                                x->ev_strs.p[x->ev_strs.n - 1] == '\r' ||
                                x->ev_strs.p[x->ev_strs.n - 1] == '\n'))
    x->ev_strs.n--;
  tells_buf_addc(&x->ev_strs, 0);
  return off;
}

static size_t ev_lit(tells_evtx *x, const char *s, size_t n) {
  size_t off = x->ev_strs.n;
  tells_buf_add(&x->ev_strs, s, n);
  tells_buf_addc(&x->ev_strs, 0);
  return off;
}

static uint32_t kid(tells_evtx *x, uint32_t el, int name) {
  uint32_t k;
  if (!el) return 0;
  for (k = ND(el)->kids; k; k = ND(k)->next)
    if (ND(k)->kind == N_ELEM && name_is(ND(k), name)) return k;
  return 0;
}

static uint64_t num_of(tells_evtx *x, uint32_t p) {
  tells_buf *b = &x->sb;
  uint32_t k;
  if (!p) return 0;
  /* one unsigned or hex integer value: its number, as strtoull would read
  ** its text (the usual case: EventID, Level, Task, ... substitutions) */
  k = ND(p)->kids;
  if (k && !ND(k)->next && ND(k)->kind == N_VAL) {
    const uint8_t *v = ND(k)->u.p;
    uint32_t n = ND(k)->n;
    switch (ND(k)->type) {
    case EV_U8: if (n >= 1) return v[0]; break;
    case EV_U16: if (n >= 2) return tells_ld16le(v); break;
    case EV_U32: case EV_HEX32: if (n >= 4) return tells_ld32le(v); break;
    case EV_U64: case EV_HEX64:
      if (n >= 8) return tells_ld32le(v) | (uint64_t)tells_ld32le(v + 4) << 32;
      break;
    default: break;
    }
  }
  tells_buf_reset(b);
  text_of(x, p, b);
  return strtoull(tells_buf_str(b), NULL, 0);
}

/* "YYYY-MM-DDTHH:MM:SS[.fffffff]Z" to 100 ns ticks since 1970. */
static int64_t parse_iso(const char *s) {
  int y, mo, d, h, mi, se, n = 0;
  int64_t days, t, frac = 0;
  unsigned digits = 0;
  if (sscanf(s, "%d-%d-%d%*1[T ]%d:%d:%d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
    return INT64_MIN;
  /* text from evidence: keep the arithmetic below in range */
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 ||
      mi < 0 || mi > 59 || se < 0 || se > 60)
    return INT64_MIN;
  s += n;
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++)
      if (digits < 7) { frac = frac * 10 + (*s - '0'); digits++; }
  while (digits < 7 && digits) { frac *= 10; digits++; }
  days = tells_tstamp_days(y, (unsigned)mo, (unsigned)d);
  t = ((days * 24 + h) * 60 + mi) * 60 + se;
  return t * 10000000 + frac;
}

/* name: offset in ev_strs, or the text itself when lit is set */
struct evtx_fld { size_t name, value; uint32_t nl, vl; const char *lit; };
typedef struct evtx_fld fld_t;

/* Whether attribute a's value is one literal text without trailing white
** space (the usual <Data Name="...">): *s, *n get it, as ev_str would. */
static int lit_name(tells_evtx *x, uint32_t a, const char **s, uint32_t *n) {
  uint32_t k = ND(a)->kids;
  const char *t;
  uint32_t len;
  if (!k || ND(k)->next || ND(k)->kind != N_VAL || ND(k)->type != EV_UTF8) return 0;
  t = (const char *)ND(k)->u.p;
  len = ND(k)->n;
  if (len && (t[len - 1] == ' ' || t[len - 1] == '\t' || t[len - 1] == '\r' || t[len - 1] == '\n'))
    return 0;
  *s = t; *n = len;                       /* NUL-terminated: arena strndup */
  return 1;
}

/* Next free slot of the field list, or NULL out of memory. */
static fld_t *fld_slot(tells_evtx *x, size_t nf) {
  if (nf == x->cap_fl) {
    size_t cap = x->cap_fl ? x->cap_fl * 2 : 32;
    fld_t *v = tells_realloc(x->fl, cap * sizeof *v);
    if (!v) return NULL;
    x->fl = v; x->cap_fl = cap;
  }
  return &x->fl[nf];
}

tells_err tells_evtx_rec_event(tells_evtx *x, tells_evtx_event *ev) {
  uint32_t ev_el = 0, sys, r, k, a, sk[WK_COUNT];
  size_t o_channel, o_provider, o_guid, o_computer, o_sid, o_kw;
  fld_t *f;
  size_t nf = 0, i;
  tells_buf *S = &x->ev_strs;
  memset(ev, 0, sizeof *ev);
  ev->time = INT64_MIN;
  if (!x->have_cur) return TELLS_EARG;
  tells_buf_reset(S);
  for (r = x->root; r; r = ND(r)->next)
    if (ND(r)->kind == N_ELEM) { ev_el = r; break; }
  sys = kid(x, ev_el, WK_System);
  ev->record_id = x->cur.id;
  /* the System children, found in one walk (the first of each name) */
  memset(sk, 0, sizeof sk);
  for (k = sys ? ND(sys)->kids : 0; k; k = ND(k)->next)
    if (ND(k)->kind == N_ELEM && ND(k)->u.name && !sk[ND(k)->u.name->wk]) sk[ND(k)->u.name->wk] = k;
  {
    uint32_t p = sk[WK_Provider], e = sk[WK_EventID];
    uint32_t ex = sk[WK_Execution], sec = sk[WK_Security];
    uint32_t tc = sk[WK_TimeCreated], rid = sk[WK_EventRecordID];
    o_provider = ev_str(x, p ? attr_find(x, p, WK_Name) : 0);
    o_guid = ev_str(x, p ? attr_find(x, p, WK_Guid) : 0);
    o_channel = ev_str(x, sk[WK_Channel]);
    o_computer = ev_str(x, sk[WK_Computer]);
    o_sid = ev_str(x, sec ? attr_find(x, sec, WK_UserID) : 0);
    o_kw = ev_str(x, sk[WK_Keywords]);
    ev->event_id = (uint32_t)num_of(x, e);
    if (e) ev->qualifiers = (uint32_t)num_of(x, attr_find(x, e, WK_Qualifiers));
    ev->version = (uint32_t)num_of(x, sk[WK_Version]);
    ev->level = (uint32_t)num_of(x, sk[WK_Level]);
    ev->task = (uint32_t)num_of(x, sk[WK_Task]);
    ev->opcode = (uint32_t)num_of(x, sk[WK_Opcode]);
    if (ex) {
      ev->pid = (uint32_t)num_of(x, attr_find(x, ex, WK_ProcessID));
      ev->tid = (uint32_t)num_of(x, attr_find(x, ex, WK_ThreadID));
    }
    if (rid) ev->record_id = num_of(x, rid);
    if (tc && (a = attr_find(x, tc, WK_SystemTime)) != 0) {
      uint32_t v = ND(a)->kids;
      if (v && ND(v)->type == EV_FILETIME && ND(v)->n == 8) {
        uint64_t ft = tells_ld32le(ND(v)->u.p) | (uint64_t)tells_ld32le(ND(v)->u.p + 4) << 32;
        ev->time = (int64_t)(ft - UINT64_C(116444736000000000));
      } else {
        tells_buf_reset(&x->sb);
        text_of(x, a, &x->sb);
        ev->time = parse_iso(tells_buf_str(&x->sb));
      }
    }
  }
  /* fields */
  {
    uint32_t ed = kid(x, ev_el, WK_EventData), ud = 0;
    uint32_t stack[4 * EVTX_MAX_DEPTH];
    int sp = 0, cap_sp = 4 * EVTX_MAX_DEPTH;
    if (!ed && (ud = kid(x, ev_el, WK_UserData)) != 0) ev->user_data = 1;
    if (ed) {
      unsigned unnamed = 0;
      for (k = ND(ed)->kids; k; k = ND(k)->next) {
        uint32_t na;
        char nb[32];
        if (ND(k)->kind != N_ELEM) continue;
        if (!(f = fld_slot(x, nf))) return TELLS_ENOMEM;
        na = is_data(ND(k)) ? attr_find(x, k, WK_Name) : 0;
        f->lit = NULL;
        if (na && lit_name(x, na, &f->lit, &f->nl)) {
          /* the template's literal text (NUL-terminated in the chunk
          ** arena): no copy */
        } else if (na) {
          f->name = ev_str(x, na);
        } else if (is_data(ND(k))) {
          int l = unnamed ? snprintf(nb, sizeof nb, "Data_%u", unnamed) : snprintf(nb, sizeof nb, "Data");
          unnamed++;
          f->name = ev_lit(x, nb, (size_t)l);
        } else {
          f->lit = ND(k)->u.name->s;            /* NUL-terminated, chunk arena */
          f->nl = ND(k)->u.name->n;
        }
        if (!f->lit) f->nl = (uint32_t)(S->n - f->name - 1);
        f->value = ev_str(x, k);
        f->vl = (uint32_t)(S->n - f->value - 1);
        nf++;
      }
    } else if (ud) {
      /* leaves of the UserData tree: elements with text, and attributes */
      uint32_t top[EVTX_MAX_DEPTH], nt = 0;
      for (k = ND(ud)->kids; k && nt < EVTX_MAX_DEPTH; k = ND(k)->next)
        if (ND(k)->kind == N_ELEM) top[nt++] = k;
      while (nt > 0 && sp < cap_sp) stack[sp++] = top[--nt];
      while (sp > 0) {
        uint32_t el = stack[--sp], one;
        uint32_t cnt = 0, kids[EVTX_MAX_DEPTH];
        for (a = ND(el)->attrs; a; a = ND(a)->next) {
          if (!attr_present(x, a)) continue;
          if (!(f = fld_slot(x, nf))) return TELLS_ENOMEM;
          f->lit = ND(a)->u.name->s;
          f->nl = ND(a)->u.name->n;
          f->value = ev_str(x, a);
          f->vl = (uint32_t)(S->n - f->value - 1);
          nf++;
        }
        if (count_vals(x, el, &one) > 0) {
          if (!(f = fld_slot(x, nf))) return TELLS_ENOMEM;
          f->lit = ND(el)->u.name->s;
          f->nl = ND(el)->u.name->n;
          f->value = ev_str(x, el);
          f->vl = (uint32_t)(S->n - f->value - 1);
          nf++;
        }
        /* children pushed in reverse so they pop in document order */
        for (k = ND(el)->kids; k && cnt < EVTX_MAX_DEPTH; k = ND(k)->next)
          if (ND(k)->kind == N_ELEM) kids[cnt++] = k;
        while (cnt > 0 && sp < cap_sp) stack[sp++] = kids[--cnt];
      }
    }
  }
  if (S->err) return S->err;
  if (nf > x->cap_fields) {
    tells_evtx_field *v = tells_realloc(x->fields, nf * sizeof *v);
    if (!v) return TELLS_ENOMEM;
    x->fields = v; x->cap_fields = nf;
  }
  for (i = 0; i < nf; i++) {
    x->fields[i].name = x->fl[i].lit ? x->fl[i].lit : S->p + x->fl[i].name;
    x->fields[i].name_len = x->fl[i].nl;
    x->fields[i].value = S->p + x->fl[i].value;
    x->fields[i].value_len = x->fl[i].vl;
  }
  ev->fields = x->fields;
  ev->n_fields = nf;
  ev->channel = S->p + o_channel;
  ev->provider = S->p + o_provider;
  ev->provider_guid = S->p + o_guid;
  ev->computer = S->p + o_computer;
  ev->user_sid = S->p + o_sid;
  ev->keywords = S->p + o_kw;
  return TELLS_OK;
}

const char *tells_evtx_event_field(const tells_evtx_event *ev, const char *name) {
  size_t i, n = strlen(name);
  for (i = 0; i < ev->n_fields; i++)
    if (ev->fields[i].name_len == n && memcmp(ev->fields[i].name, name, n) == 0)
      return ev->fields[i].value;
  return NULL;
}
