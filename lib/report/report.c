/*
** report.c -- the self-contained HTML report of a case: the page around the
** sections (report_answers.c, report_timeline.c, report_charts.c,
** report_graph.c, report_tables.c).
**
** One file, no external fetches: styles, charts (inline SVG) and the small
** table script are inline, and a Content-Security-Policy allows no source
** but that one script (pinned by its SHA-256) and inline styles.  Every
** string that comes from the case -- and so possibly from evidence -- is
** HTML-escaped (tells__report_esc), in text, attributes and SVG alike.  The CSP is a
** second wall: even a string that escaped escaping could not run.  The
** output is deterministic apart from the one "generated" stamp.
*/
#include <openssl/evp.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "report_int.h"

/* Filter boxes and sortable headers of the tables. */
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
  "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111;max-width:1400px}"
  "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin:1.2em 0 .3em}"
  "nav a{margin-right:1em}"
  "table{border-collapse:collapse;width:100%;font-size:12px}"
  "th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;"
  "overflow-wrap:anywhere}th{background:#f2f2f2;cursor:pointer;white-space:nowrap}"
  "tr:target{background:#ffefb3}"
  ".filter{margin:.5em 0;padding:3px;width:20em}"
  ".sev-critical,.sev-high{color:#b00;font-weight:bold}.sev-medium{color:#b60}"
  ".kv td:first-child{font-weight:bold;width:14em}"
  ".ans{border-left:4px solid #888;padding:.2em .8em;margin:.6em 0}"
  ".ans .conf{color:#555;font-size:12px}.ans .refs a{margin-right:.5em;font-size:12px}"
  ".ans pre{white-space:pre-wrap;font-size:11px;background:#f7f7f7;padding:.4em}"
  ".more,.note{color:#555;font-size:12px}"
  "svg.chart{width:100%;height:auto;border:1px solid #eee;background:#fff}"
  "svg.chart text{font:11px system-ui,sans-serif;fill:#333}"
  "svg.chart .node text{paint-order:stroke;stroke:#fff;stroke-width:3px;font-weight:bold}"
  "@media print{body{margin:0;max-width:none}.filter,nav{display:none}th{cursor:auto}"
  "section{break-inside:auto}svg.chart,.ans{break-inside:avoid}a{color:inherit;text-decoration:none}}";

static void script_hash(char out[64]) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(SCRIPT, sizeof SCRIPT - 1, d, &n, EVP_sha256(), NULL);
  EVP_EncodeBlock((unsigned char *)out, d, (int)n);
}

/* The charts' time axis: the span of observed activity -- findings and
** events from captures and logs.  Build times of binaries (code events) can
** lie years before and would flatten the axis; they are plotted only when
** inside it. */
static void axis(rep *r) {
  int64_t f0 = tells__report_query_i64(r, "SELECT min(first_ns) FROM findings WHERE source <> 'code'", INT64_MAX);
  int64_t f1 = tells__report_query_i64(r, "SELECT max(coalesce(last_ns, first_ns)) FROM findings"
                                          " WHERE source <> 'code'", INT64_MIN);
  int64_t e0 = tells__report_query_i64(r, "SELECT min(time_ns) FROM events WHERE source <> 'code'", INT64_MAX);
  int64_t e1 = tells__report_query_i64(r, "SELECT max(time_ns) FROM events WHERE source <> 'code'", INT64_MIN);
  int64_t lo = f0 < e0 ? f0 : e0, hi = f1 > e1 ? f1 : e1;
  if (lo == INT64_MAX) {      /* nothing but code: use what there is */
    lo = tells__report_query_i64(r, "SELECT min(t) FROM (SELECT min(first_ns) t FROM findings"
                                    " UNION ALL SELECT min(time_ns) FROM events)", INT64_MAX);
    hi = tells__report_query_i64(r, "SELECT max(t) FROM (SELECT max(first_ns) t FROM findings"
                                    " UNION ALL SELECT max(time_ns) FROM events)", INT64_MIN);
  }
  if (lo == INT64_MAX || hi == INT64_MIN) return;
  if (hi <= lo) { lo -= 1800000000000LL; hi += 1800000000000LL; }   /* one instant: +-30 min */
  r->t0 = lo; r->t1 = hi; r->has_axis = 1;
}

tells_err tells_report_html(tells_case *c, FILE *o) {
  rep r;
  char hash[64], now[40];
  tells_err e;
  struct timespec ts;
  memset(&r, 0, sizeof r);
  r.c = c; r.o = o;
  r.has_answers = tells_case_has_table(c, "answers");
  axis(&r);
  if ((e = tells__report_refs_load(&r))) goto out;
  script_hash(hash);
  clock_gettime(CLOCK_REALTIME, &ts);
  tells_time_fmt((int64_t)ts.tv_sec * 1000000000, now);
  fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'sha256-%s'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n"
          "<title>tells report</title><style>%s</style></head><body>\n", hash, STYLE);
  fputs("<header><h1>tells report</h1><table class=\"kv\" id=\"meta\">", o);
  fputs("<tr><td>case</td><td>", o); tells__report_esc(o, tells_case_path(c)); fputs("</td></tr>", o);
  fprintf(o, "<tr><td>generated</td><td id=\"generated\">%s</td></tr>"
          "<tr><td>tells</td><td>%s</td></tr></table>\n", now, TELLS_VERSION);
  fputs("<nav><a href=\"#sec-summary\">Summary</a><a href=\"#sec-answers\">Answers</a>"
        "<a href=\"#sec-chart-timeline\">Timeline chart</a><a href=\"#sec-chart-exfil\">Exfiltration</a>"
        "<a href=\"#sec-chart-countries\">Countries</a><a href=\"#sec-graph\">Lateral movement</a>"
        "<a href=\"#sec-findings\">Findings</a><a href=\"#sec-timeline\">Timeline</a>"
        "<a href=\"#sec-flows\">Flows</a><a href=\"#sec-indicators\">Indicators</a>"
        "<a href=\"#sec-evidence\">Evidence</a><a href=\"#sec-anomalies\">Anomalies</a></nav>"
        "</header>\n", o);
  if ((e = tells__report_summary(&r)) || (e = tells__report_answers(&r)) || (e = tells__report_chart_timeline(&r)) ||
      (e = tells__report_chart_exfil(&r)) || (e = tells__report_chart_countries(&r)) || (e = tells__report_graph(&r)) ||
      (e = tells__report_tables(&r)))
    goto out;
  fprintf(o, "<script>%s</script>\n</body></html>\n", SCRIPT);
  e = fflush(o) == 0 && !ferror(o) ? TELLS_OK : TELLS_EIO;
out:
  tells_free(r.refs);
  return e;
}
