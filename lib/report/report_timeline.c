/*
** report_timeline.c -- the timeline chart: findings and events of all
** evidence on one UTC axis in ATT&CK tactic lanes: findings by their
** tactic, notable events by their kind (TELLS_EVENT_LANE_SQL: service
** installs in persistence, failed logons in credential access, mass
** deletions in impact...), the other events as a density strip.  Time is cut
** into TL_BUCKETS buckets, one mark per lane and bucket for findings and one
** for events, so a case of any size draws a bounded number of marks; each
** carries its count (data-n); finding marks link to their first finding.
*/
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "report_int.h"

#define TL_BUCKETS   120
#define TL_MAX_LANES 24
#define TL_W        1200
#define TL_LEFT      170
#define TL_RIGHT      20
#define TL_TOP        28
#define TL_LANE_H     26

/* The lanes drawn even when empty (issue: initial access ... impact). */
static const char *const CORE[] = {
  "initial-access", "execution", "persistence", "privilege-escalation", "credential-access",
  "lateral-movement", "command-and-control", "exfiltration", "impact"};

typedef struct tl_mark { int lane, bucket, sev; int64_t n, first_id; char tip[200]; } tl_mark;

typedef struct tl {
  rep *r;
  char lane[TL_MAX_LANES][48];
  int order[TL_MAX_LANES];       /* sort key: kill-chain position */
  int nlanes;
  tl_mark *m;
  int nm, capm;
  int grid[TL_MAX_LANES][TL_BUCKETS];   /* 1 + index of the mark, 0 = none */
  tl_mark *em;                   /* events in lanes, one per lane and bucket */
  int nem;
  int egrid[TL_MAX_LANES][TL_BUCKETS];
  int64_t ev[TL_BUCKETS];
  int64_t ev_max;
} tl;

static int lane_rank(const char *name) {
  int i;
  for (i = 0; i < REP_N_LANES; i++)
    if (strcmp(name, tells__report_lanes[i]) == 0) return i;
  return strcmp(name, "other") == 0 ? 99 : 50;
}

static int lane_of(tl *t, const char *name) {
  int i;
  for (i = 0; i < t->nlanes; i++)
    if (strcmp(t->lane[i], name) == 0) return i;
  if (t->nlanes == TL_MAX_LANES - 1 && strcmp(name, "other") != 0) return lane_of(t, "other");
  if (t->nlanes >= TL_MAX_LANES) return t->nlanes - 1;
  snprintf(t->lane[t->nlanes], sizeof t->lane[0], "%s", name);
  t->order[t->nlanes] = lane_rank(name);
  return t->nlanes++;
}

/* One mark per lane and bucket: tactics beyond TL_MAX_LANES share the
** "other" lane, so rows of different tactics can merge into one mark. */
static int mark_row(void *ud, const tells_row *row) {
  tl *t = ud;
  tl_mark *k;
  int lane = lane_of(t, row->text[0] && row->text[0][0] ? row->text[0] : "other");
  int64_t b = tells__report_i64(row->text[1]), id = tells__report_i64(row->text[4]);
  int sev = (int)tells__report_i64(row->text[3]);
  if (b < 0) b = 0;
  if (b >= TL_BUCKETS) b = TL_BUCKETS - 1;
  if (t->grid[lane][b]) {
    k = &t->m[t->grid[lane][b] - 1];
    k->n += tells__report_i64(row->text[2]);
    if (sev > k->sev) k->sev = sev;
    if (id < k->first_id) k->first_id = id;
    return 0;
  }
  if (t->nm == t->capm) return 1;                 /* cannot happen: capm = lanes x buckets */
  t->grid[lane][b] = ++t->nm;
  k = &t->m[t->nm - 1];
  k->lane = lane; k->bucket = (int)b;
  k->n = tells__report_i64(row->text[2]);
  k->sev = sev;
  k->first_id = id;
  snprintf(k->tip, sizeof k->tip, "%s", row->text[5] ? row->text[5] : "");
  return 0;
}

/* Notable events of a lane: lane, bucket, count, their kinds. */
static int lane_event_row(void *ud, const tells_row *row) {
  tl *t = ud;
  tl_mark *k;
  int lane = lane_of(t, row->text[0] ? row->text[0] : "other");
  int64_t b = tells__report_i64(row->text[1]);
  if (b < 0) b = 0;
  if (b >= TL_BUCKETS) b = TL_BUCKETS - 1;
  if (t->egrid[lane][b]) {
    t->em[t->egrid[lane][b] - 1].n += tells__report_i64(row->text[2]);
    return 0;
  }
  if (t->nem == t->capm) return 1;
  t->egrid[lane][b] = ++t->nem;
  k = &t->em[t->nem - 1];
  k->lane = lane; k->bucket = (int)b;
  k->n = tells__report_i64(row->text[2]);
  snprintf(k->tip, sizeof k->tip, "%s", row->text[3] ? row->text[3] : "");
  return 0;
}

static int event_row(void *ud, const tells_row *row) {
  tl *t = ud;
  int64_t b = tells__report_i64(row->text[0]);
  if (b < 0) b = 0;
  if (b >= TL_BUCKETS) b = TL_BUCKETS - 1;
  t->ev[b] += tells__report_i64(row->text[1]);
  if (t->ev[b] > t->ev_max) t->ev_max = t->ev[b];
  return 0;
}

static const char *sev_color(int s) {
  static const char *const c[] = {"#8a8a8a", "#4a7fb0", "#e69500", "#cc0000", "#7a0000"};
  return c[s < 0 ? 0 : s > 4 ? 4 : s];
}

/* x of a bucket's centre */
static double bx(int b) {
  return TL_LEFT + ((double)b + 0.5) * (TL_W - TL_LEFT - TL_RIGHT) / TL_BUCKETS;
}

tells_err tells__report_chart_timeline(rep *r) {
  FILE *o = r->o;
  tl t;
  char sql[1200];
  int64_t w, outside = 0, ev_out = 0;
  int i, j, y_ev, h, perm[TL_MAX_LANES];
  tells_err e;
  fputs("<section id=\"sec-chart-timeline\"><h2>Timeline chart (UTC)</h2>\n", o);
  if (!r->has_axis) {
    fputs("<p class=\"note\">No timed finding or event.</p></section>\n", o);
    return TELLS_OK;
  }
  memset(&t, 0, sizeof t);
  t.r = r;
  for (i = 0; i < (int)(sizeof CORE / sizeof CORE[0]); i++) lane_of(&t, CORE[i]);
  t.capm = TL_MAX_LANES * TL_BUCKETS;
  if (!(t.m = tells_calloc((size_t)t.capm, sizeof *t.m))) return TELLS_ENOMEM;
  if (!(t.em = tells_calloc((size_t)t.capm, sizeof *t.em))) { tells_free(t.m); return TELLS_ENOMEM; }
  w = (r->t1 - r->t0) / TL_BUCKETS + 1;
  snprintf(sql, sizeof sql,
    "SELECT coalesce(nullif(tactic, ''), 'other') AS lane, (first_ns - %lld) / %lld AS b, count(*),"
    " max(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1"
    " ELSE 0 END), min(id), substr(group_concat(DISTINCT title), 1, 180)"
    " FROM findings WHERE first_ns BETWEEN %lld AND %lld GROUP BY lane, b ORDER BY lane, b",
    (long long)r->t0, (long long)w, (long long)r->t0, (long long)r->t1);
  if ((e = tells__report_query(r, sql, mark_row, &t))) goto out;
  snprintf(sql, sizeof sql,
    "SELECT lane, b, count(*), substr(group_concat(DISTINCT kind), 1, 180) FROM"
    " (SELECT " TELLS_EVENT_LANE_SQL("kind") " AS lane, (time_ns - %lld) / %lld AS b, kind FROM events"
    "  WHERE time_ns BETWEEN %lld AND %lld) WHERE lane <> '' GROUP BY lane, b ORDER BY lane, b",
    (long long)r->t0, (long long)w, (long long)r->t0, (long long)r->t1);
  if ((e = tells__report_query(r, sql, lane_event_row, &t))) goto out;
  snprintf(sql, sizeof sql,
    "SELECT (time_ns - %lld) / %lld AS b, count(*) FROM events WHERE time_ns BETWEEN %lld AND %lld"
    " AND " TELLS_EVENT_LANE_SQL("kind") " = '' GROUP BY b",
    (long long)r->t0, (long long)w, (long long)r->t0, (long long)r->t1);
  if ((e = tells__report_query(r, sql, event_row, &t))) goto out;
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM findings WHERE first_ns IS NULL OR first_ns NOT BETWEEN %lld AND %lld",
           (long long)r->t0, (long long)r->t1);
  outside = tells__report_query_i64(r, sql, 0);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE time_ns IS NULL OR time_ns NOT BETWEEN %lld AND %lld",
           (long long)r->t0, (long long)r->t1);
  ev_out = tells__report_query_i64(r, sql, 0);
  /* lanes in kill-chain order, then by name */
  for (i = 0; i < t.nlanes; i++) perm[i] = i;
  for (i = 1; i < t.nlanes; i++)
    for (j = i; j > 0; j--) {
      int a = perm[j - 1], b = perm[j];
      if (t.order[a] < t.order[b] || (t.order[a] == t.order[b] && strcmp(t.lane[a], t.lane[b]) <= 0)) break;
      perm[j - 1] = b; perm[j] = a;
    }
  {
    int row_of[TL_MAX_LANES];
    for (i = 0; i < t.nlanes; i++) row_of[perm[i]] = i;
    y_ev = TL_TOP + t.nlanes * TL_LANE_H;
    h = y_ev + 2 * TL_LANE_H + 10;
    fprintf(o, "<svg class=\"chart\" id=\"chart-timeline\" viewBox=\"0 0 %d %d\" role=\"img\""
            " data-t0=\"%lld\" data-t1=\"%lld\" data-bucket-ns=\"%lld\" data-buckets=\"%d\""
            " data-outside-findings=\"%lld\" data-outside-events=\"%lld\">\n",
            TL_W, h, (long long)r->t0, (long long)r->t1, (long long)w, TL_BUCKETS,
            (long long)outside, (long long)ev_out);
    /* time axis: 7 ticks */
    for (i = 0; i <= 6; i++) {
      char ts[40];
      double x = TL_LEFT + (double)i * (TL_W - TL_LEFT - TL_RIGHT) / 6;
      tells__report_time(ts, r->t0 + (int64_t)((double)(r->t1 - r->t0) * i / 6));
      fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", x, TL_TOP - 6, x, h - 4,
              x, TL_TOP - 10, i == 0 ? "start" : i == 6 ? "end" : "middle", ts);
    }
    for (i = 0; i < t.nlanes; i++) {
      int y = TL_TOP + row_of[i] * TL_LANE_H;
      fprintf(o, "<g class=\"lane\" data-lane=\"");
      tells__report_esc(o, t.lane[i]);
      fprintf(o, "\"><rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
              "<text x=\"4\" y=\"%d\">", y, TL_W, TL_LANE_H, row_of[i] % 2 ? "#fafafa" : "#f2f5f8",
              y + TL_LANE_H / 2 + 4);
      tells__report_esc(o, t.lane[i]);
      fputs("</text></g>\n", o);
    }
    for (i = 0; i < t.nm; i++) {
      tl_mark *k = &t.m[i];
      double rad = 3.0 + 2.5 * sqrt((double)k->n);
      char ts[40];
      if (rad > TL_LANE_H / 2 - 1) rad = TL_LANE_H / 2 - 1;
      tells__report_time(ts, r->t0 + (int64_t)k->bucket * w);
      fprintf(o, "<a href=\"#finding-%lld\"><circle class=\"mk mk-f\" data-n=\"%lld\" data-lane=\"",
              (long long)k->first_id, (long long)k->n);
      tells__report_esc(o, t.lane[k->lane]);
      fprintf(o, "\" cx=\"%.1f\" cy=\"%d\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.85\"><title>%lld finding%s"
              " from %s: ", bx(k->bucket), TL_TOP + row_of[k->lane] * TL_LANE_H + TL_LANE_H / 2, rad,
              sev_color(k->sev), (long long)k->n, k->n == 1 ? "" : "s", ts);
      tells__report_esc(o, k->tip);
      fputs("</title></circle></a>\n", o);
    }
    for (i = 0; i < t.nem; i++) {
      tl_mark *k = &t.em[i];
      char ts[40];
      tells__report_time(ts, r->t0 + (int64_t)k->bucket * w);
      fprintf(o, "<a href=\"#sec-timeline\"><rect class=\"mk mk-l\" data-n=\"%lld\" data-lane=\"",
              (long long)k->n);
      tells__report_esc(o, t.lane[k->lane]);
      fprintf(o, "\" x=\"%.1f\" y=\"%d\" width=\"5\" height=\"5\" fill=\"none\" stroke=\"#333\">"
              "<title>%lld event%s from %s: ", bx(k->bucket) - 2.5,
              TL_TOP + row_of[k->lane] * TL_LANE_H + TL_LANE_H - 7, (long long)k->n,
              k->n == 1 ? "" : "s", ts);
      tells__report_esc(o, k->tip);
      fputs("</title></rect></a>\n", o);
    }
    fprintf(o, "<text x=\"4\" y=\"%d\">other events</text>\n", y_ev + TL_LANE_H + 4);
    for (i = 0; i < TL_BUCKETS; i++) {
      double bh, bw = (double)(TL_W - TL_LEFT - TL_RIGHT) / TL_BUCKETS - 1;
      if (!t.ev[i]) continue;
      bh = 2.0 + (2 * TL_LANE_H - 4) * log1p((double)t.ev[i]) / log1p((double)t.ev_max);
      fprintf(o, "<rect class=\"mk mk-e\" data-n=\"%lld\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
              " fill=\"#6b8fb3\"><title>%lld events</title></rect>\n", (long long)t.ev[i],
              bx(i) - bw / 2, y_ev + 2 * TL_LANE_H - bh, bw, bh, (long long)t.ev[i]);
    }
    fputs("</svg>\n", o);
  }
  fprintf(o, "<p class=\"note\">One mark per lane and %s bucket; its size grows with the number of findings,"
          " its colour is the highest severity (dark red critical, red high, orange medium, blue low)."
          " Small squares are notable events of the lane's tactic (service and task installs, failed"
          " logons, log clearing, mass deletions, script blocks...); the strip below counts the other"
          " events.",
          "time");
  if (outside) fprintf(o, " %lld findings have no time or lie outside the span of the captures and logs"
                       " (e.g. build times of binaries) and are not drawn.", (long long)outside);
  if (ev_out) fprintf(o, " %lld events outside the span are not drawn.", (long long)ev_out);
  fputs("</p></section>\n", o);
out:
  tells_free(t.m);
  tells_free(t.em);
  return e;
}
