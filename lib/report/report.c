/*
** report.c -- the self-contained HTML report of a case.
**
** One file, no external fetches: styles and the small table script are
** inline, and a Content-Security-Policy allows no source but that one
** script (pinned by its SHA-256) and inline styles.  Every string that comes
** from the case -- and so possibly from evidence -- is HTML-escaped; bytes
** that are not valid UTF-8 are shown as \xNN.  The CSP is a second wall:
** even a string that escaped escaping could not run.
*/
#include <openssl/evp.h>
#include <string.h>
#include <time.h>
#include "case_api.h"
#include "json.h"

static const char SCRIPT[] =
  "document.querySelectorAll('table.t').forEach(function(t){"
  "var f=t.previousElementSibling;"
  "if(f&&f.classList.contains('filter'))f.addEventListener('input',function(){"
  "var q=f.value.toLowerCase();t.querySelectorAll('tbody tr').forEach(function(r){"
  "r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});"
  "t.querySelectorAll('th').forEach(function(h,i){h.addEventListener('click',function(){"
  "var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows),d=h.dataset.d==='1'?-1:1;"
  "h.dataset.d=d===1?'1':'0';rs.sort(function(x,y){var a=x.cells[i].textContent,"
  "c=y.cells[i].textContent,n=parseFloat(a),m=parseFloat(c);"
  "if(!isNaN(n)&&!isNaN(m)&&String(n)===a&&String(m)===c)return (n-m)*d;"
  "return a<c?-d:a>c?d:0;});rs.forEach(function(r){b.appendChild(r);});});});});";

static const char STYLE[] =
  "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}"
  "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
  "table{border-collapse:collapse;width:100%;font-size:12px}"
  "th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;"
  "overflow-wrap:break-word}th{background:#f2f2f2;cursor:pointer;white-space:nowrap}"
  ".filter{margin:.5em 0;padding:3px;width:20em}"
  ".sev-critical,.sev-high{color:#b00;font-weight:bold}.sev-medium{color:#b60}"
  ".kv td:first-child{font-weight:bold;width:14em}"
  "@media print{.filter{display:none}th{cursor:auto}}";

/* Writes s HTML-escaped; invalid UTF-8 bytes as \xNN. */
static void esc(FILE *o, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t k;
    switch (c) {
    case '&': fputs("&amp;", o); i++; continue;
    case '<': fputs("&lt;", o); i++; continue;
    case '>': fputs("&gt;", o); i++; continue;
    case '"': fputs("&quot;", o); i++; continue;
    case '\'': fputs("&#39;", o); i++; continue;
    default: break;
    }
    if (c < 0x20 && c != '\n' && c != '\t') { fprintf(o, "\\x%02x", c); i++; continue; }
    if (c < 0x80) { fputc(c, o); i++; continue; }
    k = tells_utf8_seq(p + i, n - i);
    if (!k) { fprintf(o, "\\x%02x", c); i++; continue; }
    fwrite(p + i, 1, k, o);
    i += k;
  }
}

static size_t base_len(const char *name) {
  const char *at = strchr(name, '@');
  return at ? (size_t)(at - name) : strlen(name);
}
static int hidden(const char *name) {
  const char *at = strchr(name, '@');
  return at && (strchr(at, 'h') || strchr(at, 'j'));
}

typedef struct tctx { FILE *o; int head; uint64_t rows, max; const char *id; } tctx;

static int table_row(void *ud, const tells_row *r) {
  tctx *t = ud;
  int i;
  if (!t->head) {
    fprintf(t->o, "<input class=\"filter\" placeholder=\"filter\" aria-label=\"filter %s\">"
            "<table class=\"t\" id=\"%s\"><thead><tr>", t->id, t->id);
    for (i = 0; i < r->n; i++) {
      char name[64];
      size_t k = base_len(r->name[i]);
      if (hidden(r->name[i])) continue;
      if (k >= sizeof name) k = sizeof name - 1;
      memcpy(name, r->name[i], k); name[k] = 0;
      fputs("<th>", t->o); esc(t->o, name); fputs("</th>", t->o);
    }
    fputs("</tr></thead><tbody>\n", t->o);
    t->head = 1;
  }
  if (t->max && t->rows >= t->max) { t->rows++; return 0; }   /* counted, not shown */
  fputs("<tr>", t->o);
  for (i = 0; i < r->n; i++) {
    if (hidden(r->name[i])) continue;
    if (strncmp(r->name[i], "severity", 8) == 0 && r->text[i]) {
      fputs("<td class=\"sev-", t->o); esc(t->o, r->text[i]); fputs("\">", t->o);
    } else {
      fputs("<td>", t->o);
    }
    if (r->text[i]) esc(t->o, r->text[i]);
    fputs("</td>", t->o);
  }
  fputs("</tr>\n", t->o);
  t->rows++;
  return ferror(t->o) != 0;
}

/* A table of one view; at most `max` rows are shown (0 = all), the rest
** are counted so the reader knows `tells show` has them. */
static tells_err section(tells_case *c, FILE *o, tells_view v, const char *id,
                         const char *title, uint64_t max) {
  tctx t;
  tells_err e;
  memset(&t, 0, sizeof t);
  t.o = o; t.id = id; t.max = max;
  fprintf(o, "<section id=\"sec-%s\"><h2>", id);
  esc(o, title);
  fputs("</h2>\n", o);
  e = tells_case_rows(c, v, table_row, &t);
  if (t.head) fputs("</tbody></table>\n", o);
  else fputs("<p class=\"empty\">None.</p>\n", o);
  if (max && t.rows > max)
    fprintf(o, "<p class=\"more\">%llu more rows not shown: <code>tells show CASE %s</code> lists them all.</p>\n",
            (unsigned long long)(t.rows - max), id);
  fputs("</section>\n", o);
  return e;
}

typedef struct cnt { uint64_t n; uint64_t by[8]; } cnt;

static int count_rows(void *ud, const tells_row *r) {
  cnt *k = ud;
  int i;
  k->n++;
  for (i = 0; i < r->n; i++) {
    if (strcmp(r->name[i], "status") == 0 && r->text[i]) {
      if (strcmp(r->text[i], "analysed") == 0) k->by[0]++;
      else if (strcmp(r->text[i], "not_analysed") == 0) k->by[1]++;
      else if (strcmp(r->text[i], "failed") == 0) k->by[2]++;
      else if (strcmp(r->text[i], "duplicate") == 0) k->by[3]++;
    }
    if (strcmp(r->name[i], "severity") == 0 && r->text[i]) {
      if (strcmp(r->text[i], "critical") == 0 || strcmp(r->text[i], "high") == 0) k->by[4]++;
      else if (strcmp(r->text[i], "medium") == 0) k->by[5]++;
      else k->by[6]++;
    }
  }
  return 0;
}

static void script_hash(char out[64]) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(SCRIPT, sizeof SCRIPT - 1, d, &n, EVP_sha256(), NULL);
  EVP_EncodeBlock((unsigned char *)out, d, (int)n);
}

tells_err tells_report_html(tells_case *c, FILE *o) {
  cnt ev, fi, in;
  char hash[64], now[40];
  tells_err e;
  struct timespec ts;
  memset(&ev, 0, sizeof ev); memset(&fi, 0, sizeof fi); memset(&in, 0, sizeof in);
  if ((e = tells_case_rows(c, TELLS_VIEW_EVIDENCE, count_rows, &ev)) ||
      (e = tells_case_rows(c, TELLS_VIEW_FINDINGS, count_rows, &fi)) ||
      (e = tells_case_rows(c, TELLS_VIEW_INDICATORS, count_rows, &in)))
    return e;
  script_hash(hash);
  clock_gettime(CLOCK_REALTIME, &ts);
  tells_time_fmt((int64_t)ts.tv_sec * 1000000000, now);
  fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'sha256-%s'; img-src data:\">\n"
          "<title>tells report</title><style>%s</style></head><body>\n", hash, STYLE);
  fputs("<header><h1>tells report</h1><table class=\"kv\" id=\"meta\">", o);
  fputs("<tr><td>case</td><td>", o); esc(o, tells_case_path(c)); fputs("</td></tr>", o);
  fprintf(o, "<tr><td>generated</td><td id=\"generated\">%s</td></tr>"
          "<tr><td>tells</td><td>%s</td></tr></table></header>\n", now, TELLS_VERSION);
  fprintf(o, "<section id=\"sec-summary\"><h2>Summary</h2><table class=\"kv\" id=\"summary\">"
          "<tr><td>evidence files</td><td id=\"n-evidence\">%llu</td></tr>"
          "<tr><td>analysed</td><td>%llu</td></tr><tr><td>not analysed</td><td>%llu</td></tr>"
          "<tr><td>duplicates</td><td>%llu</td></tr><tr><td>failed</td><td>%llu</td></tr>"
          "<tr><td>findings</td><td id=\"n-findings\">%llu (high or critical: %llu, medium: %llu)</td></tr>"
          "<tr><td>indicators</td><td id=\"n-indicators\">%llu</td></tr></table></section>\n",
          (unsigned long long)ev.n, (unsigned long long)ev.by[0], (unsigned long long)ev.by[1],
          (unsigned long long)ev.by[3], (unsigned long long)ev.by[2], (unsigned long long)fi.n,
          (unsigned long long)fi.by[4], (unsigned long long)fi.by[5], (unsigned long long)in.n);
  if ((e = section(c, o, TELLS_VIEW_FINDINGS, "findings", "Findings", 0)) ||
      (e = section(c, o, TELLS_VIEW_TIMELINE, "timeline", "Timeline (UTC)", 20000)) ||
      (e = section(c, o, TELLS_VIEW_FLOWS, "flows", "Network flows, largest first", 2000)) ||
      (e = section(c, o, TELLS_VIEW_EVIDENCE, "evidence", "Evidence and chain of custody", 0)) ||
      (e = section(c, o, TELLS_VIEW_INDICATORS, "indicators", "Indicators", 20000)) ||
      (e = section(c, o, TELLS_VIEW_ANOMALIES, "anomalies", "Anomalies in evidence", 5000)))
    return e;
  fprintf(o, "<script>%s</script>\n</body></html>\n", SCRIPT);
  return fflush(o) == 0 && !ferror(o) ? TELLS_OK : TELLS_EIO;
}
