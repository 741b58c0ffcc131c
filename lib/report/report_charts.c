/*
** report_charts.c -- two bar charts in inline SVG: the exfiltration volume
** (bytes sent to each destination of an exfiltration finding, over time,
** stacked per destination) and the external peers by country (from the
** GeoIP fields of the flows' EVE records).  Both are bounded: EX_MAX_DEST
** destinations x EX_BUCKETS buckets, CO_MAX countries.
*/
#include <string.h>
#include "alloc.h"
#include "report_int.h"

#define EX_MAX_DEST 12
#define EX_BUCKETS  60
#define CH_W      1200
#define CO_MAX      30

static const char *const PALETTE[EX_MAX_DEST] = {
  "#c0392b", "#2e86c1", "#28b463", "#af7ac5", "#f39c12", "#17a589",
  "#7f8c8d", "#d35400", "#1f618d", "#b7950b", "#943126", "#5d6d7e"};

/* ---- exfiltration volume ---- */

typedef struct exd { char ip[64], cc[8]; int64_t total; } exd;
typedef struct ex {
  exd d[EX_MAX_DEST];
  int nd, more;
  int64_t t0, t1;
  int64_t v[EX_MAX_DEST][EX_BUCKETS];
  int64_t w;
} ex;

static int ex_span_row(void *ud, const tells_row *row) {
  ex *x = ud;
  x->t0 = tells__report_i64(row->text[0]);
  x->t1 = tells__report_i64(row->text[1]);
  return 1;
}

static int ex_val_row(void *ud, const tells_row *row) {
  ex *x = ud;
  int i;
  int64_t b = tells__report_i64(row->text[1]);
  if (b < 0) b = 0;
  if (b >= EX_BUCKETS) b = EX_BUCKETS - 1;
  for (i = 0; i < x->nd; i++)
    if (row->text[0] && strcmp(row->text[0], x->d[i].ip) == 0) {
      x->v[i][b] += tells__report_i64(row->text[2]);
      x->d[i].total += tells__report_i64(row->text[2]);
      break;
    }
  return 0;
}

/* SQL list of the destinations: quoted with '' doubled. */
static void in_list(char *out, size_t cap, const ex *x) {
  size_t n = 0;
  int i;
  const char *p;
  out[0] = 0;
  for (i = 0; i < x->nd && n + 140 < cap; i++) {
    out[n++] = i ? ',' : '(';
    out[n++] = '\'';
    for (p = x->d[i].ip; *p && n + 4 < cap; p++) {
      if (*p == '\'') out[n++] = '\'';
      out[n++] = *p;
    }
    out[n++] = '\'';
  }
  out[n++] = ')';
  out[n] = 0;
}

tells_err tells__report_chart_exfil(rep *r) {
  FILE *o = r->o;
  ex *x;
  char list[EX_MAX_DEST * 140 + 8], sql[EX_MAX_DEST * 140 + 800];
  tells_err e = TELLS_OK;
  int i, b, top = 24, plot_h = 260, left = 90, right = 230;
  int64_t maxsum = 0;
  fputs("<section id=\"sec-chart-exfil\"><h2>Exfiltration volume</h2>\n", o);
  if (!(x = tells_calloc(1, sizeof *x))) return TELLS_ENOMEM;
  /* destinations of the flows the exfiltration findings refer to */
  for (i = 0; i < (int)r->nrefs; i++) {
    const rep_ref *k = &r->refs[i];
    int j;
    if (strcmp(k->tactic, "exfiltration") != 0 || !k->dst[0]) continue;
    for (j = 0; j < x->nd; j++)
      if (strcmp(x->d[j].ip, k->dst) == 0) break;
    if (j < x->nd) continue;
    if (x->nd == EX_MAX_DEST) { x->more++; continue; }
    snprintf(x->d[x->nd].ip, sizeof x->d[0].ip, "%s", k->dst);
    snprintf(x->d[x->nd].cc, sizeof x->d[0].cc, "%s", k->cc);
    x->nd++;
  }
  if (!x->nd) {
    fputs("<p class=\"note\">No exfiltration finding.</p></section>\n", o);
    goto out;
  }
  in_list(list, sizeof list, x);
  snprintf(sql, sizeof sql, "SELECT min(first_ns), max(first_ns) FROM flows WHERE dest_ip IN %s"
           " AND bytes_toserver > 0", list);
  if ((e = tells__report_query(r, sql, ex_span_row, x))) goto out;
  if (x->t1 <= x->t0) x->t1 = x->t0 + 1;
  x->w = (x->t1 - x->t0) / EX_BUCKETS + 1;
  snprintf(sql, sizeof sql, "SELECT dest_ip, (first_ns - %lld) / %lld AS b, sum(bytes_toserver) FROM flows"
           " WHERE dest_ip IN %s AND bytes_toserver > 0 AND first_ns IS NOT NULL GROUP BY dest_ip, b",
           (long long)x->t0, (long long)x->w, list);
  if ((e = tells__report_query(r, sql, ex_val_row, x))) goto out;
  for (i = 1; i < x->nd; i++) {     /* largest destination first */
    int j;
    for (j = i; j > 0 && (x->d[j].total > x->d[j - 1].total ||
         (x->d[j].total == x->d[j - 1].total && strcmp(x->d[j].ip, x->d[j - 1].ip) < 0)); j--) {
      exd td = x->d[j];
      int64_t tv[EX_BUCKETS];
      x->d[j] = x->d[j - 1]; x->d[j - 1] = td;
      memcpy(tv, x->v[j], sizeof tv);
      memcpy(x->v[j], x->v[j - 1], sizeof tv);
      memcpy(x->v[j - 1], tv, sizeof tv);
    }
  }
  for (b = 0; b < EX_BUCKETS; b++) {
    int64_t s = 0;
    for (i = 0; i < x->nd; i++) s += x->v[i][b];
    if (s > maxsum) maxsum = s;
  }
  if (maxsum <= 0) maxsum = 1;
  fprintf(o, "<svg class=\"chart\" id=\"chart-exfil\" viewBox=\"0 0 %d %d\" role=\"img\" data-t0=\"%lld\""
          " data-bucket-ns=\"%lld\" data-buckets=\"%d\">\n", CH_W, top + plot_h + 40,
          (long long)x->t0, (long long)x->w, EX_BUCKETS);
  for (i = 0; i <= 4; i++) {         /* value axis */
    char by[32];
    int y = top + plot_h - plot_h * i / 4;
    tells__report_bytes(by, (double)maxsum * i / 4);
    fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%d\""
            " text-anchor=\"end\">%s</text>\n", left, y, CH_W - right, y, left - 4, y + 4, by);
  }
  for (i = 0; i <= 4; i++) {         /* time axis */
    char ts[40];
    double xx = left + (double)(CH_W - left - right) * i / 4;
    tells__report_time(ts, x->t0 + (int64_t)((double)(x->w * EX_BUCKETS) * i / 4));
    fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", xx, top + plot_h + 16,
            i == 0 ? "start" : i == 4 ? "end" : "middle", ts);
  }
  for (b = 0; b < EX_BUCKETS; b++) {
    double bw = (double)(CH_W - left - right) / EX_BUCKETS, y = top + plot_h;
    for (i = 0; i < x->nd; i++) {
      double hgt;
      char by[32], ts[40];
      if (!x->v[i][b]) continue;
      hgt = (double)plot_h * (double)x->v[i][b] / (double)maxsum;
      if (hgt < 1) hgt = 1;
      y -= hgt;
      tells__report_bytes(by, (double)x->v[i][b]);
      tells__report_time(ts, x->t0 + (int64_t)b * x->w);
      fprintf(o, "<rect class=\"mk mk-x\" data-dest=\"");
      tells__report_esc(o, x->d[i].ip);
      fprintf(o, "\" data-bytes=\"%lld\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
              "<title>", (long long)x->v[i][b], left + b * bw + 0.5, y, bw - 1, hgt, PALETTE[i]);
      tells__report_esc(o, x->d[i].ip);
      fprintf(o, ": %s from %s</title></rect>\n", by, ts);
    }
  }
  for (i = 0; i < x->nd; i++) {      /* legend with totals */
    char by[32];
    int y = top + 14 + i * 18;
    tells__report_bytes(by, (double)x->d[i].total);
    fprintf(o, "<g class=\"legend\"><rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%d\" y=\"%d\">", CH_W - right + 10, y - 10, PALETTE[i], CH_W - right + 28, y);
    tells__report_esc(o, x->d[i].ip);
    if (x->d[i].cc[0]) { fputs(" (", o); tells__report_esc(o, x->d[i].cc); fputs(")", o); }
    fprintf(o, " %s</text></g>\n", by);
  }
  fputs("</svg>\n<p class=\"note\">Bytes sent to each destination of an exfiltration finding, per time bucket,"
        " from all flows to it.", o);
  if (x->more) fprintf(o, " %d more destinations are not drawn (see the findings).", x->more);
  fputs("</p></section>\n", o);
out:
  tells_free(x);
  return e;
}

/* ---- external peers by country ---- */

typedef struct co { FILE *o; int n; int64_t maxp; struct { char cc[8]; int64_t peers, out, in; } c[CO_MAX + 1]; } co;

static int co_row(void *ud, const tells_row *row) {
  co *x = ud;
  int k = x->n < CO_MAX ? x->n++ : CO_MAX;
  if (k == CO_MAX) {
    if (x->n == CO_MAX) { snprintf(x->c[k].cc, sizeof x->c[k].cc, "others"); x->n++; }
  } else {
    snprintf(x->c[k].cc, sizeof x->c[k].cc, "%s", row->text[0] ? row->text[0] : "??");
  }
  x->c[k].peers += tells__report_i64(row->text[1]);
  x->c[k].out += tells__report_i64(row->text[2]);
  x->c[k].in += tells__report_i64(row->text[3]);
  if (x->c[k].peers > x->maxp) x->maxp = x->c[k].peers;
  return 0;
}

tells_err tells__report_chart_countries(rep *r) {
  FILE *o = r->o;
  co *x;
  tells_err e;
  int i, left = 80, top = 10, bar = 18, right = 260;
  fputs("<section id=\"sec-chart-countries\"><h2>External peers by country</h2>\n", o);
  if (!(x = tells_calloc(1, sizeof *x))) return TELLS_ENOMEM;
  x->o = o;
  e = tells__report_query(r,
    /* one JSON look-up per distinct external address, not per flow */
    "SELECT cc, count(DISTINCT ip) AS peers, sum(bout), sum(bin) FROM ("
    " SELECT CASE WHEN json_valid(f.details) THEN json_extract(f.details, '$.dest_geo.country') END AS cc,"
    "  g.ip, g.bout, g.bin FROM ("
    "  SELECT dest_ip AS ip, max(id) AS fid, sum(bytes_toserver) AS bout, sum(bytes_toclient) AS bin"
    "  FROM flows WHERE NOT " REP_SQL_PRIVATE("dest_ip") " GROUP BY dest_ip) g JOIN flows f ON f.id = g.fid"
    "  WHERE CASE WHEN json_valid(f.details) THEN json_extract(f.details, '$.dest_geo.scope') END = 'public'"
    " UNION ALL"
    " SELECT CASE WHEN json_valid(f.details) THEN json_extract(f.details, '$.src_geo.country') END,"
    "  g.ip, g.bout, g.bin FROM ("
    "  SELECT src_ip AS ip, max(id) AS fid, sum(bytes_toclient) AS bout, sum(bytes_toserver) AS bin"
    "  FROM flows WHERE NOT " REP_SQL_PRIVATE("src_ip") " GROUP BY src_ip) g JOIN flows f ON f.id = g.fid"
    "  WHERE CASE WHEN json_valid(f.details) THEN json_extract(f.details, '$.src_geo.scope') END = 'public')"
    " GROUP BY cc ORDER BY peers DESC, cc", co_row, x);
  if (e) goto out;
  if (!x->n) {
    fputs("<p class=\"note\">No flow with an external peer.</p></section>\n", o);
    goto out;
  }
  if (x->maxp <= 0) x->maxp = 1;
  fprintf(o, "<svg class=\"chart\" id=\"chart-countries\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
          CH_W, top + x->n * (bar + 4) + 10);
  for (i = 0; i < x->n; i++) {
    char bo[32], bi[32];
    int y = top + i * (bar + 4);
    double w = (double)(CH_W - left - right) * (double)x->c[i].peers / (double)x->maxp;
    tells__report_bytes(bo, (double)x->c[i].out);
    tells__report_bytes(bi, (double)x->c[i].in);
    fputs("<text x=\"4\" y=\"", o);
    fprintf(o, "%d\">", y + 13);
    tells__report_esc(o, x->c[i].cc);
    fprintf(o, "</text><rect class=\"mk mk-c\" data-country=\"");
    tells__report_esc(o, x->c[i].cc);
    fprintf(o, "\" data-peers=\"%lld\" data-bytes-out=\"%lld\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\""
            " fill=\"#2e86c1\"><title>", (long long)x->c[i].peers, (long long)x->c[i].out, left, y,
            w < 1 ? 1 : w, bar);
    tells__report_esc(o, x->c[i].cc);
    fprintf(o, ": %lld peer%s, %s sent, %s received</title></rect><text x=\"%.1f\" y=\"%d\">%lld peer%s,"
            " %s out, %s in</text>\n", (long long)x->c[i].peers, x->c[i].peers == 1 ? "" : "s", bo, bi,
            left + (w < 1 ? 1 : w) + 6, y + 13, (long long)x->c[i].peers, x->c[i].peers == 1 ? "" : "s", bo, bi);
  }
  fputs("</svg>\n<p class=\"note\">Distinct external addresses per country (GeoIP of the flows; ?? when"
        " no country is known), with bytes sent to and received from them.</p></section>\n", o);
out:
  tells_free(x);
  return e;
}
