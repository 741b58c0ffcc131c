/*
** attrib_tz.c -- three attribution clues: the time zone of the flagged
** binaries' build times (the working-week fit of lib/code/pe_tells_set.c,
** with the offsets that tie for it), code similarity to the reference
** library (its "library.similar" findings) and the countries hosting the
** attackers' servers (GeoIP of C2, exfiltration and download peers).
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "attrib.h"
#include "ingest.h"
#include "pe_tells.h"

#define OFF_MIN (-12)
#define OFF_MAX 14

/* Share of builds on Monday-Friday 09:00-18:59 at offset o: the score that
** tells_petells_set_fit maximises, for every offset. */
static double share_at(const tells_petells_set *s, int o) {
  uint64_t in = 0, total = 0;
  int b;
  for (b = 0; b < 7 * 24; b++) {
    int l = ((b + o) % 168 + 168) % 168, wd = l / 24, h = l % 24;
    total += s->bins[b];
    if (wd < 5 && h >= 9 && h <= 18) in += s->bins[b];
  }
  return total ? (double)in / (double)total : 0;
}

void tells_attrib_timezone(tells_attrib *a, tells_attrib_clue *c) {
  tells_petells_set set;
  tells_petells_fit fit;
  tells_buf fb;
  tells_json j;
  double sc[OFF_MAX - OFF_MIN + 1];
  int o, chosen, ties = 0, in_tie, i, outside = 0;
  char t[400], reason[200];
  c->tell = "timezone"; c->cap = 0.7;
  c->false_flag = "Build times come from the build machine's clock or a header field: a wrong clock,"
                  " SOURCE_DATE_EPOCH or a patched stamp moves them at will, and the fit assumes a"
                  " Monday-Friday 09:00-19:00 working week.";
  tells_petells_set_init(&set);
  for (i = 0; i < a->n; i++) {
    set.pe_files++;
    if (a->b[i].has_build) tells_petells_set_add(&set, a->b[i].build);
  }
  if (!tells_petells_set_fit(&set, &fit)) {
    snprintf(c->text, sizeof c->text, "No time zone: no flagged binary has a usable build time.");
    return;
  }
  a->plateau_lo = OFF_MAX; a->plateau_hi = OFF_MIN;
  for (o = OFF_MIN; o <= OFF_MAX; o++) {
    sc[o - OFF_MIN] = share_at(&set, o);
    if (sc[o - OFF_MIN] > fit.score - 1e-9) {
      ties++;
      if (o < a->plateau_lo) a->plateau_lo = o;
      if (o > a->plateau_hi) a->plateau_hi = o;
    }
  }
  a->has_plateau = 1;
  chosen = fit.best;
  snprintf(reason, sizeof reason, "the best working-week fit");
  in_tie = a->lang && a->has_lang_offset && a->lang_offset >= OFF_MIN && a->lang_offset <= OFF_MAX &&
           sc[a->lang_offset - OFF_MIN] > fit.score - 1e-9;
  if (in_tie && a->lang_offset != fit.best) {
    chosen = a->lang_offset;
    snprintf(reason, sizeof reason, "of the offsets that fit equally well, the one of the build language's country");
  }
  c->n = (int)set.timed;
  c->support = fit.score * 3.0 / (double)(ties + 2);
  if (c->support > 1) c->support = 1;
  snprintf(c->value, sizeof c->value, "UTC%+d", chosen);
  for (i = 0; i < a->n; i++) {
    int wd, h;
    if (!a->b[i].has_build) continue;
    tells_petells_weekday_hour(a->b[i].build + (int64_t)chosen * 3600, &wd, &h);
    outside += wd >= 5 || h < 9 || h > 18;
  }
  if (outside) {
    snprintf(t, sizeof t, "%d of %d build times fall outside a Monday-Friday working day at UTC%+d",
             outside, c->n, chosen);
    tells_attrib_contra_add(c, "off-hours-builds", -1, 0, NULL, t);
  }
  if (a->lang && a->has_lang_offset && !in_tie) {
    char nm[96];
    tells_petells_lang_name((uint16_t)a->lang, nm, sizeof nm);
    snprintf(t, sizeof t, "the build language %s points to UTC%+d, where only %.0f%% of the builds fall in"
             " working hours (%.0f%% at UTC%+d)", nm, a->lang_offset,
             a->lang_offset >= OFF_MIN && a->lang_offset <= OFF_MAX ? 100 * sc[a->lang_offset - OFF_MIN] : 0.0,
             100 * fit.score, chosen);
    tells_attrib_contra_add(c, "language-vs-build-hours", -1, a->lang, NULL, t);
  }
  if (ties > 1)
    snprintf(c->text, sizeof c->text, "Build times fit UTC%+d (%s): %.0f%% of %d builds fall in working hours"
             " there, as they do at every offset from UTC%+d to UTC%+d, so the build times alone cannot single"
             " one out", chosen, reason, 100 * fit.score, c->n, a->plateau_lo, a->plateau_hi);
  else
    snprintf(c->text, sizeof c->text, "Build times fit UTC%+d: %.0f%% of %d builds fall in working hours"
             " there (next best UTC%+d at %.0f%%)", chosen, 100 * fit.score, c->n, fit.runner_up,
             100 * fit.runner_score);
  tells_buf_init(&fb, sizeof c->figures - 1);
  tells_json_init_buf(&j, &fb, 0);
  tells_json_obj(&j);
  tells_json_ki64(&j, "utc_offset", chosen);
  tells_json_kstr(&j, "chosen_because", reason);
  tells_json_key(&j, "fit_best"); tells_json_i64(&j, fit.best);
  tells_json_key(&j, "fit_score"); tells_json_dbl(&j, (double)(int64_t)(fit.score * 1000 + 0.5) / 1000);
  tells_json_key(&j, "tied_offsets"); tells_json_arr(&j);
  for (o = OFF_MIN; o <= OFF_MAX; o++) if (sc[o - OFF_MIN] > fit.score - 1e-9) tells_json_i64(&j, o);
  tells_json_arr_end(&j);
  tells_json_key(&j, "best_3h_away"); tells_json_i64(&j, fit.distinct);
  tells_json_key(&j, "best_3h_away_score"); tells_json_dbl(&j, (double)(int64_t)(fit.distinct_score * 1000 + 0.5) / 1000);
  tells_json_key(&j, "builds"); tells_json_arr(&j);
  for (i = 0; i < a->n && i < 32; i++) {
    char u[40], l[40];
    struct tm tm;
    time_t lt;
    if (!a->b[i].has_build) continue;
    tells_ans_time(a->b[i].build * 1000000000, u);
    lt = (time_t)(a->b[i].build + (int64_t)chosen * 3600);
    if (gmtime_r(&lt, &tm)) strftime(l, sizeof l, "%Y-%m-%d %H:%M %a", &tm); else l[0] = 0;
    tells_json_obj(&j);
    tells_json_kstr(&j, "file", a->x->bins[a->b[i].bin].file);
    tells_json_kstr(&j, "utc", u);
    tells_json_kstr(&j, "local", l);
    tells_json_obj_end(&j);
  }
  tells_json_arr_end(&j);
  tells_json_kstr(&j, "method", "share of builds Mon-Fri 09:00-18:59 local, offsets -12..+14 (pe_tells_set.c)");
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  if (!fb.err && !j.err) snprintf(c->figures, sizeof c->figures, "%s", tells_buf_str(&fb));
  tells_buf_free(&fb);
}

/* ---- code similarity ---- */

void tells_attrib_similarity(tells_attrib *a, tells_attrib_clue *c) {
  tells_ans *x = a->x;
  sqlite3_stmt *s;
  char fam[16][128], t[400];
  int nb[16], dmin[16], nf = 0, i, k, best = -1, lib = 0, matched = 0;
  c->tell = "code_similarity"; c->cap = 0.9;
  c->false_flag = "Shared or leaked source, common libraries, packers and compilers shrink TLSH distances;"
                  " a group that reuses another's code on purpose looks like that group.";
  for (i = 0; i < a->n; i++) lib |= a->b[i].has_library;
  if (!lib) {
    snprintf(c->text, sizeof c->text, "Code similarity not measured: no reference library was given"
             " (tells investigate --library FILE).");
    return;
  }
  s = tells_ans_prep(x, "SELECT id, title, summary FROM findings WHERE evidence_id = ?"
                        " AND rule = 'library.similar' ORDER BY id");
  for (i = 0; s && i < a->n; i++) {
    int any = 0;
    sqlite3_bind_int64(s, 1, x->bins[a->b[i].bin].evidence_id);
    while (tells_ans_step(x, s)) {
      const char *title = tells_ans_col(s, 1), *f = strstr(title, "known family ");
      int d = 100;
      if (!f) continue;
      f += 13;
      sscanf(tells_ans_col(s, 2), "TLSH distance %d", &d);
      for (k = 0; k < nf && strcmp(fam[k], f) != 0; k++) {}
      if (k == nf) {
        if (nf >= 16) continue;
        snprintf(fam[nf], 128, "%s", f); nb[nf] = 0; dmin[nf] = d; nf++;
      }
      nb[k]++;
      if (d < dmin[k]) dmin[k] = d;
      any = 1;
      if (c->n_refs < 24) c->refs[c->n_refs++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    matched += any;
  }
  sqlite3_finalize(s);
  for (k = 0; k < nf; k++)
    if (best < 0 || nb[k] > nb[best] || (nb[k] == nb[best] && dmin[k] < dmin[best])) best = k;
  if (best < 0) {
    snprintf(c->text, sizeof c->text, "No library entry within TLSH distance 70 of the %d flagged binaries.", a->n);
    return;
  }
  snprintf(c->value, sizeof c->value, "%s", fam[best]);
  c->n = a->n;
  c->support = (1.0 - dmin[best] / 100.0) * nb[best] / (double)a->n;
  for (k = 0; k < nf; k++) {
    if (k == best) continue;
    snprintf(t, sizeof t, "%d %s also close to family %s (TLSH distance %d)", nb[k],
             nb[k] == 1 ? "binary is" : "binaries are", fam[k], dmin[k]);
    tells_attrib_contra_add(c, "other-family", -1, 0, NULL, t);
  }
  snprintf(c->text, sizeof c->text, "Code resembles library family %s: %d of %d flagged binaries within TLSH"
           " distance 70 (nearest %d)", fam[best], nb[best], a->n, dmin[best]);
  (void)matched;
}

/* ---- hosting countries ---- */

void tells_attrib_infra(tells_attrib *a, tells_attrib_clue *c) {
  tells_ans *x = a->x;
  char ips[64][46], cc[64][8], lcc[8] = "", nm[96];
  int n = 0, i, k, total = 0, top = 0;
  char list[16][8]; int cnt[16], nl = 0;
  size_t m;
  sqlite3_stmt *s;
  c->tell = "infrastructure"; c->cap = 0.4;
  c->false_flag = "Servers are rented or hijacked anywhere (Sony's attackers went through infected"
                  " machines from Thailand to Italy): a country says where a server is, not who runs it.";
  s = tells_ans_prep(x, "SELECT f.id, f.summary, json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.dest_country') FROM findings f"
                        " WHERE f.source = 'net' AND f.severity IN ('medium','high','critical')"
                        " AND json_valid(f.details) AND json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.dest_country') <> ''"
                        " ORDER BY f.id");
  while (s && tells_ans_step(x, s) && n < 64) {
    const char *to = strstr(tells_ans_col(s, 1), " to ");
    char ip[46] = "";
    if (!to || sscanf(to + 4, "%45s", ip) != 1 || tells_ans_internal(ip)) continue;
    for (k = 0; k < n && strcmp(ips[k], ip) != 0; k++) {}
    if (c->n_refs < 24 && k == n) c->refs[c->n_refs++] = sqlite3_column_int64(s, 0);
    if (k < n) continue;
    snprintf(ips[n], 46, "%s", ip);
    snprintf(cc[n++], 8, "%.7s", tells_ans_col(s, 2));
  }
  sqlite3_finalize(s);
  for (i = 0; i < x->n_dl && n < 64; i++) {
    for (k = 0; k < n && strcmp(ips[k], x->dl[i].server_ip) != 0; k++) {}
    if (k < n || !x->dl[i].country[0]) continue;
    snprintf(ips[n], 46, "%s", x->dl[i].server_ip);
    snprintf(cc[n++], 8, "%.7s", x->dl[i].country);
  }
  for (i = 0; i < n; i++) {
    total++;
    for (k = 0; k < nl && strcmp(list[k], cc[i]) != 0; k++) {}
    if (k == nl) { if (nl >= 16) continue; snprintf(list[nl], 8, "%.7s", cc[i]); cnt[nl++] = 0; }
    cnt[k]++;
  }
  for (i = 1; i < nl; i++) {   /* most addresses first, then by code */
    char v[8]; int cv = cnt[i];
    snprintf(v, sizeof v, "%s", list[i]);
    for (k = i; k > 0 && (cnt[k - 1] < cv || (cnt[k - 1] == cv && strcmp(list[k - 1], v) > 0)); k--) {
      cnt[k] = cnt[k - 1]; memcpy(list[k], list[k - 1], 8);
    }
    cnt[k] = cv; memcpy(list[k], v, 8);
  }
  if (!nl) {
    snprintf(c->text, sizeof c->text, "No attacker server with a known country (no GeoIP data, or no"
             " external C2, exfiltration or download peer).");
    return;
  }
  top = cnt[0];
  m = 0;
  for (k = 0; k < nl && m < sizeof c->value; k++)
    m += (size_t)snprintf(c->value + m, sizeof c->value - m, "%s%s", k ? ", " : "", list[k]);
  c->n = total;
  c->support = (double)top / (double)total;
  if (a->lang) {
    tells_petells_lang_name((uint16_t)a->lang, nm, sizeof nm);
    if (nm[2] == '-' && nm[5] == ' ') { lcc[0] = nm[3]; lcc[1] = nm[4]; lcc[2] = 0; }
  }
  m = (size_t)snprintf(c->text, sizeof c->text, "Attacker servers (%d addresses) are hosted in %s", total, c->value);
  if (lcc[0] && m < sizeof c->text)
    snprintf(c->text + m, sizeof c->text - m, "; none in %s, the build language's country, which is"
             " common: hosting says little about the operators", lcc);
  {
    tells_buf fb;
    tells_json j;
    tells_buf_init(&fb, sizeof c->figures - 1);
    tells_json_init_buf(&j, &fb, 0);
    tells_json_obj(&j);
    tells_json_key(&j, "countries"); tells_json_arr(&j);
    for (k = 0; k < nl; k++) {
      tells_json_obj(&j); tells_json_kstr(&j, "country", list[k]); tells_json_ki64(&j, "addresses", cnt[k]);
      tells_json_obj_end(&j);
    }
    tells_json_arr_end(&j);
    tells_json_key(&j, "servers"); tells_json_arr(&j);
    for (i = 0; i < n; i++) {
      tells_json_obj(&j); tells_json_kstr(&j, "ip", ips[i]); tells_json_kstr(&j, "country", cc[i]);
      tells_json_obj_end(&j);
    }
    tells_json_arr_end(&j);
    tells_json_obj_end(&j);
    tells_json_flush(&j);
    if (!fb.err && !j.err) snprintf(c->figures, sizeof c->figures, "%s", tells_buf_str(&fb));
    tells_buf_free(&fb);
  }
}
