/*
** attrib.c -- "who does it look like": reads the tells of the flagged
** binaries from their artifacts and scores one clue per tell (build
** language, time zone of build times, toolchain, PDB user, code
** similarity, hosting countries), each with a confidence, the
** contradictions between clues and how it could have been planted.  One
** overview row, then one row per clue.  Formula: attrib.h, docs/answers.md.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "attrib.h"
#include "pe_tells.h"

double tells_attrib_conf(const tells_attrib_clue *c) {
  double v;
  if (!c->value[0] || c->n <= 0) return -1;
  v = c->cap * c->support * (double)c->n / (double)(c->n + 1) * pow(0.75, c->n_contra);
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

void tells_attrib_contra_add(tells_attrib_clue *c, const char *kind, int bin, unsigned lang,
                             const char *script, const char *text) {
  tells_attrib_contra *k;
  if (c->n_contra >= TELLS_ATTRIB_MAX_CONTRA) return;
  k = &c->contra[c->n_contra++];
  snprintf(k->kind, sizeof k->kind, "%s", kind);
  snprintf(k->text, sizeof k->text, "%s", text);
  k->bin = bin; k->lang = lang;
  snprintf(k->script, sizeof k->script, "%s", script ? script : "");
}

/* Main country's standard UTC offset in 2014, by primary language (the low
** ten bits of a LANGID) or, where the sublanguage matters, the full id. */
int tells_attrib_lang_offset(unsigned l, int *off) {
  static const struct { unsigned id; int off; } full[] = {
    {0x0416, -3}, {0x0816, 0}, {0x0409, -5}, {0x0809, 0}, {0x0c09, 10}, {0x0404, 8}, {0x0804, 8}};
  static const struct { unsigned prim; int off; } prim[] = {
    {0x12, 9}, {0x11, 9}, {0x04, 8}, {0x19, 3}, {0x22, 2}, {0x23, 3}, {0x29, 3}, {0x01, 3},
    {0x0d, 2}, {0x1f, 2}, {0x07, 1}, {0x0c, 1}, {0x10, 1}, {0x0a, 1}, {0x15, 1}, {0x13, 1},
    {0x2a, 7}, {0x1e, 7}, {0x21, 7}, {0x39, 5}, {0x20, 5}, {0x08, 2}, {0x02, 2}, {0x05, 1},
    {0x0e, 1}, {0x18, 2}, {0x1d, 1}, {0x14, 1}, {0x06, 1}, {0x0b, 2}};
  size_t i;
  for (i = 0; i < sizeof full / sizeof full[0]; i++) if (full[i].id == l) { *off = full[i].off; return 1; }
  for (i = 0; i < sizeof prim / sizeof prim[0]; i++) if (prim[i].prim == (l & 0x3ff)) { *off = prim[i].off; return 1; }
  return 0;
}

/* Scripts a language is written in ("" when it uses Latin only). */
static const char *lang_script(unsigned l) {
  switch (l & 0x3ff) {
  case 0x12: return "Hangul";
  case 0x11: return "Hiragana Katakana Han";
  case 0x04: return "Han";
  case 0x19: case 0x22: case 0x23: case 0x02: case 0x1a: case 0x2f: case 0x3f: return "Cyrillic";
  case 0x01: case 0x29: case 0x20: return "Arabic";
  case 0x0d: return "Hebrew";
  case 0x08: return "Greek";
  case 0x1e: return "Thai";
  default: return "";
  }
}

static void lname(unsigned l, char out[96]) { tells_petells_lang_name((uint16_t)l, out, 96); }

/* ---- reading the tells ---- */

static void load(tells_attrib *a) {
  tells_ans *x = a->x;
  sqlite3_stmt *m = tells_ans_prep(x,
    "SELECT json_extract(" TELLS_ANS_DJ("") ", '$.tells.languages.primary.lang'),"
    " json_extract(" TELLS_ANS_DJ("") ", '$.tells.timestamps.build_time.value'),"
    " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.optional.linker_version'), ''),"
    " json_type(" TELLS_ANS_DJ("") ", '$.tells.rich') = 'object',"
    " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.tells.rich.linker.visual_studio'), ''),"
    " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.tells.rich.possible_forgery'), 0),"
    " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.tells.pdb.user'), ''),"
    " json_type(" TELLS_ANS_DJ("") ", '$.library') IS NOT NULL"
    " FROM artifacts WHERE evidence_id = ? AND kind = 'pe' AND json_valid(details) LIMIT 1");
  sqlite3_stmt *l = tells_ans_prep(x,
    "SELECT 0, json_extract(r.value, '$.lang'), json_extract(r.value, '$.count'), 0"
    " FROM artifacts a, json_each(" TELLS_ANS_DJ("a.") ", '$.tells.languages.resources') r"
    " WHERE a.evidence_id = ?1 AND a.kind = 'pe' AND NOT json_extract(r.value, '$.weak')"
    " UNION ALL SELECT 1, json_extract(r.value, '$.lang'), 0, json_extract(r.value, '$.codepage')"
    " FROM artifacts a, json_each(" TELLS_ANS_DJ("a.") ", '$.tells.languages.translations') r"
    " WHERE a.evidence_id = ?1 AND a.kind = 'pe' AND NOT json_extract(r.value, '$.weak')"
    " UNION ALL SELECT 2, json_extract(r.value, '$.script'), json_extract(r.value, '$.code_points'), 0"
    " FROM artifacts a, json_each(" TELLS_ANS_DJ("a.") ", '$.tells.scripts') r"
    " WHERE a.evidence_id = ?1 AND a.kind = 'pe'"
    /* a script is a tell when it is text, not bytes that happen to decode:
    ** two runs or more, or one long run */
    " AND (json_extract(r.value, '$.runs') >= 2 OR json_extract(r.value, '$.code_points') >= 24)");
  int i;
  if (!m || !l) { sqlite3_finalize(m); sqlite3_finalize(l); return; }
  for (i = 0; i < x->n_bins; i++) {
    tells_attrib_bin *b = &a->b[a->n];
    memset(b, 0, sizeof *b);
    b->bin = i;
    sqlite3_bind_int64(m, 1, x->bins[i].evidence_id);
    if (!tells_ans_step(x, m)) { sqlite3_reset(m); continue; }   /* not a PE */
    if (sqlite3_column_type(m, 0) == SQLITE_INTEGER) { b->has_primary = 1; b->primary = (unsigned)sqlite3_column_int(m, 0); }
    if (sqlite3_column_type(m, 1) == SQLITE_INTEGER) { b->has_build = 1; b->build = sqlite3_column_int64(m, 1); }
    snprintf(b->linker, sizeof b->linker, "%s", tells_ans_col(m, 2));
    b->rich = sqlite3_column_int(m, 3);
    snprintf(b->vs, sizeof b->vs, "%s", tells_ans_col(m, 4));
    b->forged = sqlite3_column_int(m, 5);
    snprintf(b->pdb_user, sizeof b->pdb_user, "%s", tells_ans_col(m, 6));
    b->has_library = sqlite3_column_int(m, 7);
    sqlite3_reset(m);
    sqlite3_bind_int64(l, 1, x->bins[i].evidence_id);
    while (tells_ans_step(x, l)) {
      int kind = sqlite3_column_int(l, 0);
      if (kind == 0 && b->n_langs < TELLS_ATTRIB_LANGS) {
        b->langs[b->n_langs] = (unsigned)sqlite3_column_int(l, 1);
        b->lang_count[b->n_langs++] = (unsigned)sqlite3_column_int(l, 2);
      } else if (kind == 1 && b->n_trans < TELLS_ATTRIB_LANGS) {
        b->trans[b->n_trans] = (unsigned)sqlite3_column_int(l, 1);
        b->cp[b->n_trans++] = (unsigned)sqlite3_column_int(l, 3);
      } else if (kind == 2 && b->n_scripts < 8 && strcmp(tells_ans_col(l, 1), "Latin") != 0) {
        snprintf(b->scripts[b->n_scripts++], 24, "%s", tells_ans_col(l, 1));
      }
    }
    sqlite3_reset(l);
    a->n++;
  }
  sqlite3_finalize(m);
  sqlite3_finalize(l);
}

/* ---- language ---- */

static int has_script(const tells_attrib_bin *b, const char *want) {
  int i;
  for (i = 0; i < b->n_scripts; i++) if (want[0] && strstr(want, b->scripts[i])) return 1;
  return 0;
}

static void language(tells_attrib *a, tells_attrib_clue *c) {
  tells_ans *x = a->x;
  unsigned cand[64]; int votes[64], nc = 0, i, k, best = -1, with = 0, trans_ok = 1, script_ok = 1;
  char nm[96], nm2[96], t[400];
  c->tell = "language"; c->cap = 0.8;
  c->false_flag = "Resource languages and version-info translations are whatever the .rc file says"
                  " (LANGUAGE, VarFileInfo); strings in any script can be pasted in. A planted language"
                  " shows when it is alone: no matching code page in ANSI strings, folder names or keyboard"
                  " artefacts, and build hours that do not fit the country.";
  for (i = 0; i < a->n; i++) {
    if (!a->b[i].has_primary) continue;
    with++;
    for (k = 0; k < nc && cand[k] != a->b[i].primary; k++) {}
    if (k == nc && nc < 64) { cand[nc] = a->b[i].primary; votes[nc++] = 0; }
    if (k < 64) votes[k]++;
  }
  for (k = 0; k < nc; k++)
    if (best < 0 || votes[k] > votes[best] || (votes[k] == votes[best] && cand[k] < cand[best])) best = k;
  if (best < 0) {
    snprintf(c->text, sizeof c->text, "No build language: none of the %d flagged binaries carries a"
             " resource or translation in a language other than neutral or en-US.", a->n);
    return;
  }
  a->lang = cand[best];
  a->has_lang_offset = tells_attrib_lang_offset(a->lang, &a->lang_offset);
  lname(a->lang, nm);
  snprintf(c->value, sizeof c->value, "%.5s", nm);
  c->n = with;
  for (i = 0; i < a->n; i++) {
    const tells_attrib_bin *b = &a->b[i];
    const char *file = x->bins[b->bin].file;
    int tr = 0;
    if (!b->has_primary) continue;
    if ((b->primary & 0x3ff) != (a->lang & 0x3ff)) {
      lname(b->primary, nm2);
      snprintf(t, sizeof t, "%s is mainly in %s, not %s", file, nm2, nm);
      tells_attrib_contra_add(c, "other-language", b->bin, b->primary, NULL, t);
      continue;
    }
    for (k = 0; k < b->n_trans; k++) tr |= (b->trans[k] & 0x3ff) == (a->lang & 0x3ff);
    trans_ok &= tr;
    script_ok &= !lang_script(a->lang)[0] || has_script(b, lang_script(a->lang));
    /* a second language in the same binary */
    for (k = 0; k < b->n_langs + b->n_trans; k++) {
      unsigned o = k < b->n_langs ? b->langs[k] : b->trans[k - b->n_langs];
      int off, j, dup = 0;
      const char *sc;
      size_t m;
      if ((o & 0x3ff) == (a->lang & 0x3ff)) continue;
      for (j = 0; j < c->n_contra; j++) dup |= c->contra[j].bin == b->bin && c->contra[j].lang == o;
      if (dup) continue;
      lname(o, nm2);
      sc = lang_script(o);
      m = (size_t)snprintf(t, sizeof t, "%s also carries %s %s%s%s", file,
                           k < b->n_langs ? "resources in" : "a version translation to", nm2,
                           sc[0] && has_script(b, sc) ? " and strings in its script " : "",
                           sc[0] && has_script(b, sc) ? sc : "");
      if (tells_attrib_lang_offset(o, &off) && a->has_plateau && m < sizeof t)
        snprintf(t + m, sizeof t - m, "; its country's UTC%+d %s the build hours (UTC%+d..%+d)", off,
                 off >= a->plateau_lo && off <= a->plateau_hi ? "fits" : "does not fit",
                 a->plateau_lo, a->plateau_hi);
      tells_attrib_contra_add(c, "second-language", b->bin, o, sc[0] && has_script(b, sc) ? sc : NULL, t);
    }
    /* strings in a script the language does not use */
    for (k = 0; k < b->n_scripts; k++) {
      int j, dup = 0;
      if (strstr(lang_script(a->lang), b->scripts[k]) || strcmp(b->scripts[k], "Common") == 0) continue;
      for (j = 0; j < c->n_contra; j++) dup |= c->contra[j].bin == b->bin && strcmp(c->contra[j].script, b->scripts[k]) == 0;
      if (dup) continue;
      snprintf(t, sizeof t, "%s holds strings in %s script, which %s is not written in", file, b->scripts[k], nm);
      tells_attrib_contra_add(c, "script", b->bin, 0, b->scripts[k], t);
    }
  }
  c->support = (double)votes[best] / (double)with * (trans_ok ? 1 : 0.85) * (script_ok ? 1 : 0.85);
  snprintf(c->text, sizeof c->text, "Build language %s: the main resource language of %d of %d flagged binaries%s%s",
           nm, votes[best], with, trans_ok ? ", with matching version-info translations" : "",
           script_ok && lang_script(a->lang)[0] ? " and strings in its script" : "");
}

/* ---- toolchain, PDB user ---- */

static void toolchain_of(const tells_attrib_bin *b, char *out, size_t n) {
  int major = 0;
  sscanf(b->linker, "%d", &major);
  if (b->rich) snprintf(out, n, "MSVC%s%s (linker %s)", b->vs[0] ? " " : "", b->vs, b->linker);
  else if (major == 2) snprintf(out, n, "GNU ld %s (MinGW-w64 / binutils), no Rich header", b->linker);
  else if (b->linker[0]) snprintf(out, n, "linker %s without a Rich header", b->linker);
  else out[0] = 0;
}

static void majority(tells_attrib *a, tells_attrib_clue *c, int pdb) {
  char vals[64][128], t[400];
  int votes[64], nv = 0, i, k, best = -1, with = 0;
  for (i = 0; i < a->n; i++) {
    char v[128];
    if (pdb) snprintf(v, sizeof v, "%s", a->b[i].pdb_user);
    else toolchain_of(&a->b[i], v, sizeof v);
    if (!v[0]) continue;
    with++;
    for (k = 0; k < nv && strcmp(vals[k], v) != 0; k++) {}
    if (k == nv && nv < 64) { snprintf(vals[nv], 128, "%s", v); votes[nv++] = 0; }
    if (k < 64) votes[k]++;
    if (!pdb && a->b[i].forged) {
      snprintf(t, sizeof t, "%s: the Rich header does not match the linker version or its checksum"
               " (copied or forged)", a->x->bins[a->b[i].bin].file);
      tells_attrib_contra_add(c, "forged-rich-header", a->b[i].bin, 0, NULL, t);
    }
  }
  for (k = 0; k < nv; k++) if (best < 0 || votes[k] > votes[best]) best = k;
  c->n = with;
  if (best < 0) {
    snprintf(c->text, sizeof c->text, pdb ? "No PDB path with a user folder in the flagged binaries."
             : "No toolchain trace in the flagged binaries.");
    return;
  }
  snprintf(c->value, sizeof c->value, "%s", vals[best]);
  c->support = (double)votes[best] / (double)with;
  for (k = 0; k < nv; k++) {
    if (k == best) continue;
    snprintf(t, sizeof t, "%d %s %s instead", votes[k], votes[k] == 1 ? "binary shows" : "binaries show", vals[k]);
    tells_attrib_contra_add(c, pdb ? "other-pdb-user" : "other-toolchain", -1, 0, NULL, t);
  }
  snprintf(c->text, sizeof c->text, pdb ? "PDB paths name the user folder '%s' in %d of %d flagged binaries"
           : "Toolchain %s in %d of %d flagged binaries", vals[best], votes[best], with);
}

/* ---- rows ---- */

static void clue_json(const tells_ans *x, const tells_attrib_clue *c, tells_json *j) {
  char nm[96], hex[8];
  int i;
  double conf = tells_attrib_conf(c);
  tells_json_kstr(j, "tell", c->tell);
  tells_json_kstr(j, "value", c->value[0] ? c->value : NULL);
  tells_json_key(j, "confidence");
  if (conf < 0) tells_json_null(j); else tells_json_dbl(j, (double)(int64_t)(conf * 100 + 0.5) / 100);
  tells_json_key(j, "terms"); tells_json_obj(j);
  tells_json_key(j, "cap"); tells_json_dbl(j, c->cap);
  tells_json_key(j, "support"); tells_json_dbl(j, (double)(int64_t)(c->support * 1000 + 0.5) / 1000);
  tells_json_ki64(j, "samples", c->n);
  tells_json_ki64(j, "contradictions", c->n_contra);
  tells_json_obj_end(j);
  tells_json_key(j, "contradictions"); tells_json_arr(j);
  for (i = 0; i < c->n_contra; i++) {
    const tells_attrib_contra *k = &c->contra[i];
    tells_json_obj(j);
    tells_json_kstr(j, "kind", k->kind);
    tells_json_kstr(j, "text", k->text);
    if (k->bin >= 0) {
      tells_json_kstr(j, "file", x->bins[k->bin].file);
      tells_json_kstr(j, "sha256", x->bins[k->bin].sha256);
    }
    if (k->lang) {
      lname(k->lang, nm);
      snprintf(hex, sizeof hex, "0x%04x", k->lang);
      tells_json_kstr(j, "language", nm);
      tells_json_kstr(j, "lang_id", hex);
    }
    if (k->script[0]) tells_json_kstr(j, "script", k->script);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_kstr(j, "false_flag", c->false_flag);
  if (c->figures[0]) { tells_json_key(j, "figures"); tells_json_raw(j, c->figures, strlen(c->figures)); }
}

static void clue_row(tells_ans *x, const tells_attrib_clue *c, int ordinal, const char *title,
                     void (*extra)(const tells_attrib *, const tells_attrib_clue *, tells_ans_row *),
                     const tells_attrib *a) {
  tells_ans_row w;
  char text[4096];
  double conf = tells_attrib_conf(c);
  size_t m;
  int i;
  if (conf >= 0) m = (size_t)snprintf(text, sizeof text, "%s (confidence %.2f).", c->text, conf);
  else m = (size_t)snprintf(text, sizeof text, "%s", c->text);
  for (i = 0; i < c->n_contra && m < sizeof text; i++)
    m += (size_t)snprintf(text + m, sizeof text - m, "%s%s", i ? "; " : " Contradiction: ", c->contra[i].text);
  if (c->n_contra && m < sizeof text) m += (size_t)snprintf(text + m, sizeof text - m, ".");
  if (c->value[0] && m < sizeof text) snprintf(text + m, sizeof text - m, " False flag? %s", c->false_flag);
  tells_ans_row_begin(&w);
  clue_json(x, c, &w.d);
  if (extra) extra(a, c, &w);
  for (i = 0; i < c->n_refs; i++) tells_ans_ref(&w, "finding", c->refs[i]);
  tells_ans_put(x, &w, "attribution", ordinal, title, text, conf);
}

static void bins_extra(const tells_attrib *a, const tells_attrib_clue *c, tells_ans_row *w) {
  char nm[96], tc[128];
  int i, k;
  tells_json_key(&w->d, "binaries"); tells_json_arr(&w->d);
  for (i = 0; i < a->n; i++) {
    const tells_attrib_bin *b = &a->b[i];
    tells_json_obj(&w->d);
    tells_json_kstr(&w->d, "file", a->x->bins[b->bin].file);
    tells_json_kstr(&w->d, "sha256", a->x->bins[b->bin].sha256);
    if (strcmp(c->tell, "language") == 0) {
      if (b->has_primary) { lname(b->primary, nm); tells_json_kstr(&w->d, "primary", nm); }
      tells_json_key(&w->d, "languages"); tells_json_arr(&w->d);
      for (k = 0; k < b->n_langs; k++) { lname(b->langs[k], nm); tells_json_str(&w->d, nm); }
      tells_json_arr_end(&w->d);
      tells_json_key(&w->d, "translations"); tells_json_arr(&w->d);
      for (k = 0; k < b->n_trans; k++) {
        char tr[32];
        snprintf(tr, sizeof tr, "0x%04x/%u", b->trans[k], b->cp[k]);
        tells_json_str(&w->d, tr);
      }
      tells_json_arr_end(&w->d);
      tells_json_key(&w->d, "scripts"); tells_json_arr(&w->d);
      for (k = 0; k < b->n_scripts; k++) tells_json_str(&w->d, b->scripts[k]);
      tells_json_arr_end(&w->d);
    } else if (strcmp(c->tell, "toolchain") == 0) {
      toolchain_of(b, tc, sizeof tc);
      tells_json_kstr(&w->d, "toolchain", tc[0] ? tc : NULL);
    } else {
      tells_json_kstr(&w->d, "pdb_user", b->pdb_user[0] ? b->pdb_user : NULL);
    }
    tells_json_obj_end(&w->d);
    tells_ans_ref(w, "evidence", a->x->bins[b->bin].evidence_id);
  }
  tells_json_arr_end(&w->d);
}

void tells_ans_attribution(tells_ans *x) {
  tells_attrib a;
  tells_attrib_clue *c;
  static const char *const titles[] = {"Build language", "Time zone of build times", "Toolchain",
                                       "Developer (PDB user folder)", "Code similarity", "Infrastructure countries"};
  int i, k, n_contra = 0;
  char text[4096];
  size_t m;
  tells_ans_row w;
  memset(&a, 0, sizeof a);
  a.x = x;
  a.b = tells_calloc(TELLS_ANS_MAX_BINS, sizeof *a.b);
  c = tells_calloc(6, sizeof *c);
  if (!a.b || !c) { tells_free(a.b); tells_free(c); x->err = TELLS_ENOMEM; return; }
  load(&a);
  /* the time zone first: the language's contradictions refer to its fit */
  tells_attrib_timezone(&a, &c[1]);
  language(&a, &c[0]);
  memset(&c[1], 0, sizeof c[1]);
  tells_attrib_timezone(&a, &c[1]);   /* again, now knowing the language */
  c[2].tell = "toolchain"; c[2].cap = 0.5;
  c[2].false_flag = "Linker versions are plain header fields and a Rich header can be copied whole"
                    " from another group's sample (Olympic Destroyer carried Lazarus' Rich header);"
                    " only a Rich header whose checksum and linker agree with the file is worth much.";
  majority(&a, &c[2], 0);
  c[3].tell = "pdb_user"; c[3].cap = 0.6;
  c[3].false_flag = "The PDB path is a linker option (/PDBALTPATH, --pdb=) and can name any folder;"
                    " a real one leaks the build machine, a planted one points elsewhere.";
  majority(&a, &c[3], 1);
  tells_attrib_similarity(&a, &c[4]);
  tells_attrib_infra(&a, &c[5]);
  if (!a.n && !c[5].value[0]) {
    tells_ans_none(x, "attribution", "Who it looks like",
                   "No attribution: no flagged binary and no attacker infrastructure in the evidence.");
    goto done;
  }
  m = (size_t)snprintf(text, sizeof text, "Who it looks like:");
  for (i = 0; i < 6 && m < sizeof text; i++) {
    double conf = tells_attrib_conf(&c[i]);
    n_contra += c[i].n_contra;
    if (c[i].value[0])
      m += (size_t)snprintf(text + m, sizeof text - m, " %s %s (%.2f);", titles[i], c[i].value, conf);
  }
  if (m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, " %d %s between clues.", n_contra,
                          n_contra == 1 ? "contradiction" : "contradictions");
  if (m < sizeof text)
    snprintf(text + m, sizeof text - m, " Every clue can be planted; each row says how.");
  tells_ans_row_begin(&w);
  tells_json_kstr(&w.d, "method", "confidence = cap x support x n/(n+1) x 0.75^contradictions (docs/answers.md)");
  tells_json_key(&w.d, "tells"); tells_json_arr(&w.d);
  for (i = 0; i < 6; i++) {
    double conf = tells_attrib_conf(&c[i]);
    tells_json_obj(&w.d);
    tells_json_kstr(&w.d, "tell", c[i].tell);
    tells_json_kstr(&w.d, "value", c[i].value[0] ? c[i].value : NULL);
    tells_json_key(&w.d, "confidence");
    if (conf < 0) tells_json_null(&w.d); else tells_json_dbl(&w.d, (double)(int64_t)(conf * 100 + 0.5) / 100);
    tells_json_ki64(&w.d, "contradictions", c[i].n_contra);
    tells_json_obj_end(&w.d);
  }
  tells_json_arr_end(&w.d);
  tells_json_key(&w.d, "contradictions"); tells_json_arr(&w.d);
  for (i = 0; i < 6; i++)
    for (k = 0; k < c[i].n_contra; k++) {
      tells_json_obj(&w.d);
      tells_json_kstr(&w.d, "tell", c[i].tell);
      tells_json_kstr(&w.d, "kind", c[i].contra[k].kind);
      tells_json_kstr(&w.d, "text", c[i].contra[k].text);
      tells_json_obj_end(&w.d);
    }
  tells_json_arr_end(&w.d);
  for (i = 0; i < a.n; i++) tells_ans_ref(&w, "evidence", x->bins[a.b[i].bin].evidence_id);
  tells_ans_put(x, &w, "attribution", 0, "Who it looks like", text, c[0].value[0] ? tells_attrib_conf(&c[0]) : -1);
  clue_row(x, &c[0], 1, titles[0], bins_extra, &a);
  clue_row(x, &c[1], 2, titles[1], NULL, &a);
  clue_row(x, &c[2], 3, titles[2], bins_extra, &a);
  clue_row(x, &c[3], 4, titles[3], bins_extra, &a);
  clue_row(x, &c[4], 5, titles[4], NULL, &a);
  clue_row(x, &c[5], 6, titles[5], NULL, &a);
done:
  tells_free(a.b);
  tells_free(c);
}
