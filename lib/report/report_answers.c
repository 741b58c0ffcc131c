/*
** report_answers.c -- the executive summary and the answers of the case
** (table answers, written by lib/answer/), each with its confidence and its
** evidence references as links to the rows of the report's tables.
*/
#include <string.h>
#include "report_int.h"

static const struct { const char *q, *label; } QUESTIONS[] = {
  {"what", "What happened and when"}, {"hosts", "Which hosts are affected"},
  {"entry", "How the attackers got in"}, {"movement", "How they moved"},
  {"exfil", "What left the network, how much, to where"},
  {"destruction", "Destruction: staged or happened"}, {"attribution", "Who it looks like"}};
#define N_QUESTIONS (int)(sizeof QUESTIONS / sizeof QUESTIONS[0])

/* ---- executive summary ---- */

typedef struct sumx { int64_t v[8]; } sumx;
static int sum_row(void *ud, const tells_row *row) {
  sumx *x = ud;
  int i;
  for (i = 0; i < row->n && i < 8; i++) x->v[i] = tells__report_i64(row->text[i]);
  return 1;
}

typedef struct strx { FILE *o; int n; } strx;
static int country_row(void *ud, const tells_row *row) {
  strx *x = ud;
  if (row->text[0]) { fputs(x->n++ ? ", " : " (", x->o); tells__report_esc(x->o, row->text[0]); }
  return 0;
}

static int headline_row(void *ud, const tells_row *row) {
  strx *x = ud;
  if (row->text[0]) { tells__report_escn(x->o, row->text[0], 2000); x->n = 1; }
  return 1;
}

/* first and last attacker activity as the 'what' answer states them */
typedef struct spanx { char first[40], last[40]; } spanx;
static int span_row(void *ud, const tells_row *row) {
  spanx *x = ud;
  if (row->text[0] && row->text[1]) {
    snprintf(x->first, sizeof x->first, "%s", row->text[0]);
    snprintf(x->last, sizeof x->last, "%s", row->text[1]);
  }
  return 1;
}

tells_err tells__report_summary(rep *r) {
  FILE *o = r->o;
  sumx ev, fi, ex;
  strx sx;
  spanx sp;
  char a[40], b[40], by[32];
  tells_err e;
  memset(&ev, 0, sizeof ev); memset(&fi, 0, sizeof fi); memset(&ex, 0, sizeof ex);
  if ((e = tells__report_query(r, "SELECT count(*), sum(status='analysed'), sum(status='not_analysed'),"
                        " sum(status='duplicate'), sum(status='failed') FROM evidence"
                        " WHERE status <> 'ingesting'", sum_row, &ev)) ||
      (e = tells__report_query(r, "SELECT count(*), sum(severity IN ('critical','high')), sum(severity='medium'),"
                        " min(CASE WHEN severity IN ('critical','high','medium') THEN first_ns END),"
                        " max(CASE WHEN severity IN ('critical','high','medium') THEN coalesce(last_ns, first_ns) END),"
                        " (SELECT count(*) FROM indicators) FROM findings", sum_row, &fi)) ||
      (e = tells__report_query(r, "SELECT count(*), sum(CASE WHEN json_valid(details) THEN"
                        " json_extract(details, '$.figures.bytes_out') END) FROM findings WHERE rule = 'net.exfil'",
                        sum_row, &ex)))
    return e;
  fputs("<section id=\"sec-summary\"><h2>Executive summary</h2>\n<p id=\"headline\">", o);
  sx.o = o; sx.n = 0;
  if (r->has_answers &&
      (e = tells__report_query(r, "SELECT answer FROM answers WHERE question = 'what' ORDER BY ordinal, id LIMIT 1",
                     headline_row, &sx)))
    return e;
  if (!sx.n) {
    if (fi.v[1]) fprintf(o, "%lld findings of high or critical severity across %lld evidence files.",
                         (long long)fi.v[1], (long long)ev.v[0]);
    else fprintf(o, "No finding of high or critical severity in %lld evidence files.", (long long)ev.v[0]);
  }
  fputs("</p>\n<table class=\"kv\" id=\"summary\">", o);
  fprintf(o, "<tr><td>evidence files</td><td id=\"n-evidence\">%lld</td></tr>"
          "<tr><td>analysed</td><td>%lld (not analysed: %lld, duplicates: %lld, failed: %lld)</td></tr>",
          (long long)ev.v[0], (long long)ev.v[1], (long long)ev.v[2], (long long)ev.v[3], (long long)ev.v[4]);
  fprintf(o, "<tr><td>findings</td><td id=\"n-findings\">%lld (high or critical: %lld, medium: %lld)</td></tr>",
          (long long)fi.v[0], (long long)fi.v[1], (long long)fi.v[2]);
  memset(&sp, 0, sizeof sp);
  if (r->has_answers &&
      (e = tells__report_query(r, "SELECT json_extract(details, '$.first'), json_extract(details, '$.last')"
                               " FROM answers WHERE question = 'what' AND json_valid(details)"
                               " ORDER BY ordinal, id LIMIT 1", span_row, &sp)))
    return e;
  if (sp.first[0]) {       /* the answer's span: it weighs findings, not only their severity */
    fputs("<tr><td>attacker activity</td><td id=\"activity\">", o);
    tells__report_esc(o, sp.first);
    fputs(" to ", o);
    tells__report_esc(o, sp.last);
    fputs(" (first and last attacker activity, as the answers establish it)</td></tr>", o);
  } else if (fi.v[3] || fi.v[4]) {
    tells__report_time(a, fi.v[3]); tells__report_time(b, fi.v[4]);
    fprintf(o, "<tr><td>attacker activity</td><td id=\"activity\">%s to %s (first and last finding of medium"
            " or higher severity)</td></tr>", a, b);
  }
  if (ex.v[0]) {
    tells__report_bytes(by, (double)ex.v[1]);
    fprintf(o, "<tr><td>exfiltration</td><td id=\"exfil-total\">%s in %lld exfiltration findings", by,
            (long long)ex.v[0]);
    sx.n = 0;
    if ((e = tells__report_query(r, "SELECT DISTINCT c FROM (SELECT CASE WHEN json_valid(details) THEN"
                          " json_extract(details, '$.figures.dest_country') END AS c FROM findings"
                          " WHERE rule = 'net.exfil') WHERE c IS NOT NULL ORDER BY c",
                       country_row, &sx)))
      return e;
    fputs(sx.n ? ")</td></tr>" : "</td></tr>", o);
  }
  fprintf(o, "<tr><td>indicators</td><td id=\"n-indicators\">%lld</td></tr></table></section>\n",
          (long long)fi.v[5]);
  return TELLS_OK;
}

/* ---- the answers ---- */

typedef struct ansx { FILE *o; int last_q; int rows; } ansx;

static int question_index(const char *q) {
  int i;
  for (i = 0; q && i < N_QUESTIONS; i++)
    if (strcmp(q, QUESTIONS[i].q) == 0) return i;
  return N_QUESTIONS;
}

/* Evidence references "finding:12 flow:7 ..." become links. */
static void refs(FILE *o, const char *s) {
  char kind[16];
  long long id;
  int used, n = 0;
  fputs("<div class=\"refs\">evidence: ", o);
  while (s && sscanf(s, " %15[a-z]:%lld%n", kind, &id, &used) == 2) {
    const char *anchor = strcmp(kind, "finding") == 0 ? "finding" : strcmp(kind, "flow") == 0 ? "flow"
                       : strcmp(kind, "event") == 0 ? "event" : strcmp(kind, "evidence") == 0 ? "evidence" : NULL;
    s += used;
    if (!anchor) continue;
    fprintf(o, "<a href=\"#%s-%lld\">%s %lld</a>", anchor, id, anchor, id);
    n++;
  }
  if (!n) fputs("none recorded", o);
  fputs("</div>", o);
}

static int answer_row(void *ud, const tells_row *row) {
  ansx *x = ud;
  FILE *o = x->o;
  int q = question_index(row->text[1]);
  if (q != x->last_q || q == N_QUESTIONS) {
    if (q != x->last_q) {
      fputs("<h3 id=\"q-", o);
      tells__report_escn(o, row->text[1] ? row->text[1] : "", 40);
      fputs("\">", o);
      if (q < N_QUESTIONS) fputs(QUESTIONS[q].label, o);
      else tells__report_escn(o, row->text[1] ? row->text[1] : "", 80);
      fputs("</h3>\n", o);
    }
    x->last_q = q;
  }
  fprintf(o, "<div class=\"ans\" id=\"answer-%lld\" data-q=\"", (long long)tells__report_i64(row->text[0]));
  tells__report_escn(o, row->text[1] ? row->text[1] : "", 40);
  fputs("\"><b>", o);
  tells__report_escn(o, row->text[3] ? row->text[3] : "", 1000);
  fputs("</b>", o);
  if (row->text[5])
    fprintf(o, " <span class=\"conf\">confidence %.0f%%</span>", tells__report_f64(row->text[5]) * 100.0);
  fputs("<p>", o);
  tells__report_escn(o, row->text[4] ? row->text[4] : "", 20000);
  fputs("</p>", o);
  refs(o, row->text[7]);
  if (row->text[6] && strcmp(row->text[6], "{}") != 0) {
    fputs("<details><summary>figures</summary><pre>", o);
    tells__report_escn(o, row->text[6], 8000);
    fputs("</pre></details>", o);
  }
  fputs("</div>\n", o);
  x->rows++;
  return ferror(o) != 0;
}

tells_err tells__report_answers(rep *r) {
  FILE *o = r->o;
  ansx x;
  tells_err e;
  fputs("<section id=\"sec-answers\"><h2>Answers</h2>\n", o);
  if (!r->has_answers) {
    fputs("<p class=\"note\">This case was written by an older tells and holds no answers; "
          "run <code>tells investigate</code> on it again to derive them.</p></section>\n", o);
    return TELLS_OK;
  }
  x.o = o; x.last_q = -1; x.rows = 0;
  e = tells__report_query(r,
    "SELECT a.id, a.question, a.ordinal, a.title, a.answer, a.confidence, a.details,"
    " (SELECT group_concat(k, ' ') FROM (SELECT k.key || ':' || CAST(k.value AS INTEGER) AS k"
    "   FROM json_each(CASE WHEN NOT json_valid(a.evidence) THEN '[]'"
    "   WHEN json_type(a.evidence) = 'array' THEN a.evidence ELSE '[]' END) v,"
    "   json_each(CASE WHEN v.type = 'object' THEN v.value ELSE '{}' END) k"
    "   WHERE k.type = 'integer' AND CASE k.key"
    "    WHEN 'finding' THEN EXISTS (SELECT 1 FROM findings WHERE id = k.value)"
    "    WHEN 'flow' THEN EXISTS (SELECT 1 FROM flows WHERE id = k.value)"
    "    WHEN 'event' THEN EXISTS (SELECT 1 FROM events WHERE id = k.value)"
    "    WHEN 'evidence' THEN EXISTS (SELECT 1 FROM evidence WHERE id = k.value) ELSE 0 END LIMIT 200))"
    " FROM answers a ORDER BY CASE a.question WHEN 'what' THEN 0 WHEN 'hosts' THEN 1"
    " WHEN 'entry' THEN 2 WHEN 'movement' THEN 3 WHEN 'exfil' THEN 4 WHEN 'destruction' THEN 5"
    " WHEN 'attribution' THEN 6 ELSE 7 END, a.question, a.ordinal, a.id", answer_row, &x);
  if (e) return e;
  if (!x.rows)
    fputs("<p class=\"note\">No answers in this case: the analysis of <code>tells investigate</code> found"
          " no attacker activity to describe (a case from an older tells has none until"
          " <code>tells investigate</code> runs on it again).</p>\n", o);
  fputs("</section>\n", o);
  return TELLS_OK;
}
