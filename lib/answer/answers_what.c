/*
** answers_what.c -- "what happened and when" (attacker activity grouped by
** ATT&CK tactic into stages, in time order, with the flagged binaries) and
** "which hosts are affected" (every host implicated, and how).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "answers.h"
#include "ingest.h"

#define MAX_STAGES 24
#define STAGE_HOSTS 64

typedef struct stage {
  char tactic[32];
  int64_t first_ns, last_ns;
  uint32_t n, n_hosts;
  int hosts[STAGE_HOSTS];
  int first_act;
} stage;

static const char *label(const char *tactic) {
  static const struct { const char *t, *l; } L[] = {
    {"reconnaissance", "Reconnaissance"}, {"resource-development", "Resource development"},
    {"initial-access", "Initial access"}, {"execution", "Execution"},
    {"persistence", "Persistence"}, {"privilege-escalation", "Privilege escalation"},
    {"defense-evasion", "Defense evasion"}, {"credential-access", "Credential access"},
    /* ATT&CK v19 split defense-evasion into these two (TA0005, TA0112);
    ** SigmaHQ rules already carry the new tags */
    {"stealth", "Stealth"}, {"defense-impairment", "Defense impairment"},
    {"discovery", "Discovery"}, {"lateral-movement", "Lateral movement"},
    {"collection", "Collection"}, {"command-and-control", "Command and control"},
    {"exfiltration", "Exfiltration"}, {"impact", "Impact"}};
  size_t i;
  for (i = 0; i < sizeof L / sizeof L[0]; i++) if (strcmp(L[i].t, tactic) == 0) return L[i].l;
  return tactic;
}

static int by_first(const void *a, const void *b) {
  const stage *p = a, *q = b;
  if (p->first_ns != q->first_ns) return p->first_ns < q->first_ns ? -1 : 1;
  return strcmp(p->tactic, q->tactic);
}

static int build_stages(const tells_ans *x, stage *st) {
  int n = 0, i, k, j;
  for (i = 0; i < x->n_acts; i++) {
    const tells_ans_act *a = &x->acts[i];
    for (k = 0; k < n && strcmp(st[k].tactic, a->tactic) != 0; k++) {}
    if (k == n) {
      if (n >= MAX_STAGES) continue;
      memset(&st[n], 0, sizeof st[n]);
      snprintf(st[n].tactic, sizeof st[n].tactic, "%s", a->tactic);
      st[n].first_ns = a->first_ns; st[n].last_ns = a->last_ns; st[n].first_act = i;
      n++;
    }
    if (a->first_ns < st[k].first_ns) { st[k].first_ns = a->first_ns; st[k].first_act = i; }
    if (a->last_ns > st[k].last_ns) st[k].last_ns = a->last_ns;
    st[k].n++;
    if (a->host >= 0) {
      for (j = 0; j < (int)st[k].n_hosts && st[k].hosts[j] != a->host; j++) {}
      if (j == (int)st[k].n_hosts && j < STAGE_HOSTS) st[k].hosts[st[k].n_hosts++] = a->host;
    }
  }
  qsort(st, (size_t)n, sizeof *st, by_first);
  return n;
}

static void host_list(const tells_ans *x, const stage *s, char *out, size_t n) {
  size_t k = 0;
  uint32_t j;
  out[0] = 0;
  for (j = 0; j < s->n_hosts && j < 6; j++)
    k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s", j ? ", " : "", x->hosts[s->hosts[j]].name);
  if (s->n_hosts > 6 && k < n) snprintf(out + k, n - k, " and %u more", s->n_hosts - 6);
}

static void stage_json(const tells_ans *x, const stage *s, tells_json *j, const char *narrative) {
  char t[40];
  uint32_t k;
  tells_json_kstr(j, "tactic", s->tactic);
  tells_ans_time(s->first_ns, t); tells_json_kstr(j, "first", t);
  tells_ans_time(s->last_ns, t); tells_json_kstr(j, "last", t);
  tells_json_ku64(j, "activities", s->n);
  tells_json_key(j, "hosts"); tells_json_arr(j);
  for (k = 0; k < s->n_hosts; k++) tells_json_str(j, x->hosts[s->hosts[k]].name);
  tells_json_arr_end(j);
  tells_json_kstr(j, "narrative", narrative);
}

static void narrate(const tells_ans *x, const stage *s, char *out, size_t n) {
  char a[40], b[40], hl[300];
  tells_ans_time(s->first_ns, a);
  tells_ans_time(s->last_ns, b);
  host_list(x, s, hl, sizeof hl);
  snprintf(out, n, "%s from %s to %s: %u %s%s%s; first: %s", label(s->tactic), a, b, s->n,
           s->n == 1 ? "detection" : "detections", s->n_hosts ? " on " : "", hl,
           x->acts[s->first_act].text);
}

static void bins_json(const tells_ans *x, tells_json *j) {
  int i;
  char t[40];
  tells_json_key(j, "binaries"); tells_json_arr(j);
  for (i = 0; i < x->n_bins; i++) {
    const tells_ans_bin *b = &x->bins[i];
    tells_json_obj(j);
    tells_json_kstr(j, "file", b->file);
    tells_json_kstr(j, "sha256", b->sha256);
    tells_json_kstr(j, "path", b->path);
    tells_json_ki64(j, "evidence_id", b->evidence_id);
    tells_json_ku64(j, "copies", b->copies);
    tells_json_ku64(j, "findings", b->findings);
    if (b->first_exec_ns != TELLS_NO_TIME) { tells_ans_time(b->first_exec_ns, t); tells_json_kstr(j, "first_run", t); }
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

/* The correlate stage's links of medium or higher severity: one indicator
** seen in several kinds of evidence (the chains the stages rest on). */
static int links_json(tells_ans *x, tells_json *j, char *top, size_t n) {
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT l.id, i.type, i.value, l.kinds, l.evidence_count, l.severity, coalesce(l.summary, '')"
    " FROM links l JOIN indicators i ON i.id = l.indicator_id"
    " WHERE l.severity IN ('medium','high','critical')"
    " ORDER BY instr(l.kinds, 'code') = 0, length(l.kinds) DESC,"   /* what binaries hold first */
    " CASE l.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END,"
    " l.evidence_count DESC, l.id LIMIT 20");
  int k = 0;
  top[0] = 0;
  tells_json_key(j, "links"); tells_json_arr(j);
  while (s && tells_ans_step(x, s)) {
    tells_json_obj(j);
    tells_json_ki64(j, "link", sqlite3_column_int64(s, 0));
    tells_json_kstr(j, "type", tells_ans_col(s, 1));
    tells_json_kstr(j, "value", tells_ans_col(s, 2));
    tells_json_kstr(j, "kinds", tells_ans_col(s, 3));
    tells_json_ki64(j, "evidence_files", sqlite3_column_int64(s, 4));
    tells_json_kstr(j, "severity", tells_ans_col(s, 5));
    tells_json_kstr(j, "summary", tells_ans_col(s, 6));
    tells_json_obj_end(j);
    if (!k++) snprintf(top, n, "%s", tells_ans_col(s, 6));
  }
  tells_json_arr_end(j);
  sqlite3_finalize(s);
  return k;
}

void tells_ans_what(tells_ans *x) {
  stage st[MAX_STAGES];
  char a[40], b[40], text[4096], nar[TELLS_ANS_TEXT * 2], top[TELLS_ANS_TEXT];
  int n, i, k, n_links;
  size_t m = 0;
  tells_ans_row w;
  if (x->first_ns == TELLS_NO_TIME && !x->n_bins) {
    snprintf(text, sizeof text, "No attacker activity found: no finding of medium or higher severity"
             " and no flagged binary in the %lld evidence files of the case.", (long long)x->n_evidence);
    tells_ans_none(x, "what", "What happened and when", text);
    return;
  }
  n = build_stages(x, st);
  tells_ans_time(x->first_ns, a);
  tells_ans_time(x->last_ns, b);
  if (x->first_ns != TELLS_NO_TIME) {
    double h = (double)(x->last_ns - x->first_ns) / 3.6e12;   /* days past three days */
    m = (size_t)snprintf(text, sizeof text, "Attacker activity from %s to %s (%.1f %s) in %d %s:",
                         a, b, h > 72 ? h / 24 : h, h > 72 ? "days" : "hours", n,
                         n == 1 ? "stage" : "stages");
  }
  else
    m = (size_t)snprintf(text, sizeof text, "No dated attacker activity;");
  for (i = 0; i < n && m < sizeof text; i++)
    m += (size_t)snprintf(text + m, sizeof text - m, "%s %s", i ? "," : "", label(st[i].tactic));
  if (m < sizeof text)
    snprintf(text + m, sizeof text - m, "; %d flagged %s.", x->n_bins, x->n_bins == 1 ? "binary" : "binaries");
  tells_ans_row_begin(&w);
  n_links = links_json(x, &w.d, top, sizeof top);
  m = strlen(text);
  if (n_links && m + 1 < sizeof text)
    snprintf(text + m - 1, sizeof text - m + 1, "; %d %s the kinds of evidence together, first: %s.", n_links,
             n_links == 1 ? "indicator ties" : "indicators tie", top);
  if (x->first_ns != TELLS_NO_TIME) { tells_json_kstr(&w.d, "first", a); tells_json_kstr(&w.d, "last", b); }
  else { tells_json_key(&w.d, "first"); tells_json_null(&w.d); tells_json_key(&w.d, "last"); tells_json_null(&w.d); }
  tells_json_ki64(&w.d, "duration_s", x->first_ns != TELLS_NO_TIME ? (x->last_ns - x->first_ns) / 1000000000 : 0);
  tells_json_ku64(&w.d, "findings", x->n_findings);
  if (x->acts_dropped) tells_json_ku64(&w.d, "activities_dropped", x->acts_dropped);
  tells_json_key(&w.d, "stages"); tells_json_arr(&w.d);
  for (i = 0; i < n; i++) {
    narrate(x, &st[i], nar, sizeof nar);
    tells_json_obj(&w.d); stage_json(x, &st[i], &w.d, nar); tells_json_obj_end(&w.d);
    tells_ans_ref(&w, x->acts[st[i].first_act].ref_kind, x->acts[st[i].first_act].ref_id);
  }
  tells_json_arr_end(&w.d);
  bins_json(x, &w.d);
  tells_ans_put(x, &w, "what", 0, "What happened and when", text, -1);
  for (i = 0; i < n; i++) {     /* one row per stage, in time order */
    narrate(x, &st[i], nar, sizeof nar);
    tells_ans_row_begin(&w);
    stage_json(x, &st[i], &w.d, nar);
    for (k = 0; k < x->n_acts; k++)
      if (strcmp(x->acts[k].tactic, st[i].tactic) == 0) tells_ans_ref(&w, x->acts[k].ref_kind, x->acts[k].ref_id);
    tells_ans_put(x, &w, "what", i + 1, label(st[i].tactic), nar, -1);
  }
  if (x->n_bins) {
    size_t q = (size_t)snprintf(text, sizeof text, "%d flagged %s:", x->n_bins,
                                x->n_bins == 1 ? "binary" : "binaries");
    for (i = 0; i < x->n_bins && q < sizeof text; i++)
      q += (size_t)snprintf(text + q, sizeof text - q, "%s %s (%u %s, %u %s)", i ? ";" : "",
                            x->bins[i].file, x->bins[i].copies, x->bins[i].copies == 1 ? "copy" : "copies",
                            x->bins[i].findings, x->bins[i].findings == 1 ? "finding" : "findings");
    tells_ans_row_begin(&w);
    bins_json(x, &w.d);
    for (i = 0; i < x->n_bins; i++) tells_ans_ref(&w, "evidence", x->bins[i].evidence_id);
    tells_ans_put(x, &w, "what", n + 1, "Flagged binaries", text, -1);
  }
}

/* ---- hosts ---- */

static int cmp_first(const tells_ans *x, int a, int b) {
  const tells_ans_host *p = &x->hosts[a], *q = &x->hosts[b];
  if (p->first_ns != q->first_ns) {
    if (p->first_ns == TELLS_NO_TIME) return 1;
    if (q->first_ns == TELLS_NO_TIME) return -1;
    return p->first_ns < q->first_ns ? -1 : 1;
  }
  return strcmp(p->name, q->name);
}

static void host_json(const tells_ans *x, int h, tells_json *j) {
  const tells_ans_host *o = &x->hosts[h];
  char t[40];
  uint32_t k;
  int i;
  tells_json_kstr(j, "host", o->name);
  tells_json_key(j, "ips"); tells_json_arr(j);
  for (i = 0; i < o->n_ips; i++) tells_json_str(j, o->ips[i]);
  tells_json_arr_end(j);
  tells_json_kbool(j, "patient_zero", h == x->pz);
  if (o->first_ns != TELLS_NO_TIME) {
    tells_ans_time(o->first_ns, t); tells_json_kstr(j, "first", t);
    tells_ans_time(o->last_ns, t); tells_json_kstr(j, "last", t);
  }
  tells_json_key(j, "how"); tells_json_arr(j);
  for (k = 0; k < o->n_how; k++) {
    tells_json_obj(j);
    tells_json_kstr(j, "kind", o->how[k].kind);
    tells_json_kstr(j, "what", o->how[k].text);
    if (o->how[k].time_ns != TELLS_NO_TIME) { tells_ans_time(o->how[k].time_ns, t); tells_json_kstr(j, "time", t); }
    tells_json_ki64(j, o->how[k].ref_kind, o->how[k].ref_id);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  if (o->how_dropped) tells_json_ku64(j, "how_more", o->how_dropped);
}

static int how_cmp(const void *a, const void *b) {
  const tells_ans_how *p = a, *q = b;
  if (p->time_ns != q->time_ns) {
    if (p->time_ns == TELLS_NO_TIME) return 1;
    if (q->time_ns == TELLS_NO_TIME) return -1;
    return p->time_ns < q->time_ns ? -1 : 1;
  }
  return strcmp(p->text, q->text);
}

void tells_ans_hosts(tells_ans *x) {
  int order[TELLS_ANS_MAX_HOSTS], n = 0, i, k;
  for (i = 0; i < x->n_hosts; i++)   /* implications in time order, undated last */
    qsort(x->hosts[i].how, x->hosts[i].n_how, sizeof x->hosts[i].how[0], how_cmp);
  char text[4096];
  size_t m;
  tells_ans_row w;
  for (i = 0; i < x->n_hosts; i++) {
    if (!x->hosts[i].affected) continue;
    for (k = n; k > 0 && cmp_first(x, order[k - 1], i) > 0; k--) order[k] = order[k - 1];
    order[k] = i; n++;
  }
  if (!n) {
    tells_ans_none(x, "hosts", "Affected hosts",
                   "No host is affected: nothing in the evidence implicates a host.");
    return;
  }
  m = (size_t)snprintf(text, sizeof text, "%d %s affected:", n, n == 1 ? "host" : "hosts");
  for (i = 0; i < n && m < sizeof text; i++)
    m += (size_t)snprintf(text + m, sizeof text - m, "%s %s", i ? "," : "", x->hosts[order[i]].name);
  if (x->pz >= 0 && m < sizeof text)
    snprintf(text + m, sizeof text - m, "; patient zero %s (earliest attacker activity).", x->hosts[x->pz].name);
  tells_ans_row_begin(&w);
  if (x->pz >= 0) tells_json_kstr(&w.d, "patient_zero", x->hosts[x->pz].name);
  tells_json_key(&w.d, "hosts"); tells_json_arr(&w.d);
  for (i = 0; i < n; i++) {
    tells_json_obj(&w.d); host_json(x, order[i], &w.d); tells_json_obj_end(&w.d);
    if (x->hosts[order[i]].n_how)
      tells_ans_ref(&w, x->hosts[order[i]].how[0].ref_kind, x->hosts[order[i]].how[0].ref_id);
  }
  tells_json_arr_end(&w.d);
  tells_ans_put(x, &w, "hosts", 0, "Affected hosts", text, -1);
  for (i = 0; i < n; i++) {
    const tells_ans_host *o = &x->hosts[order[i]];
    char t[40];
    uint32_t q;
    size_t tm;
    tells_ans_time(o->first_ns, t);
    tm = (size_t)snprintf(text, sizeof text, "%s%s: %u %s", o->name, order[i] == x->pz ? " (patient zero)" : "",
                          o->n_how + o->how_dropped, o->n_how + o->how_dropped == 1 ? "implication" : "implications");
    if (o->first_ns != TELLS_NO_TIME && tm < sizeof text)
      tm += (size_t)snprintf(text + tm, sizeof text - tm, ", first at %s", t);
    for (q = 0; q < o->n_how && q < 3 && tm < sizeof text; q++)
      tm += (size_t)snprintf(text + tm, sizeof text - tm, "%s%s", q ? "; " : ": ", o->how[q].text);
    tells_ans_row_begin(&w);
    host_json(x, order[i], &w.d);
    for (q = 0; q < o->n_how; q++) tells_ans_ref(&w, o->how[q].ref_kind, o->how[q].ref_id);
    tells_ans_put(x, &w, "hosts", i + 1, o->name, text, -1);
  }
}
