/*
** report_graph.c -- the lateral movement graph: internal hosts as nodes,
** edges from lateral-movement findings (and the movement answer's edges),
** network and RDP logons (Security 4624 types 3 and 10) and internal
** SMB/RDP/WinRM/RPC flows.  Addresses are named after the hosts answer and
** the workstation names the logons report.  Laid out without randomness: the host with most
** attack edges in the centre, the others on a circle in name order, so two
** reports of one case are byte-identical.  Bounded: GR_MAX_NODES nodes,
** GR_MAX_EDGES edges, attack edges first.
*/
#include <ctype.h>
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "report_int.h"

#define GR_MAX_NODES 60
#define GR_MAX_EDGES 400
#define GR_MAX_MAP   1024
#define GR_MAX_IPS   4

enum { K_FINDING = 1, K_ANSWER = 2, K_LOGON = 4, K_FLOW = 8 };

typedef struct gnode { char name[64]; char ips[GR_MAX_IPS][48]; int nips, attack, deg, slot; } gnode;
typedef struct gedge { int a, b, kinds; int64_t flows, logons, finding; char ports[64]; } gedge;
typedef struct gmap { char ip[48], name[64]; } gmap;
typedef struct glogon { char ip[48], ws[64], host[64]; int64_t n; } glogon;
#define GR_MAX_LOGONS 1000

typedef struct graph {
  gnode n[GR_MAX_NODES];
  gedge e[GR_MAX_EDGES];
  gmap map[GR_MAX_MAP];
  glogon lg[GR_MAX_LOGONS];
  int nn, ne, nmap, nlg;
  int64_t dropped;
  int kind;                  /* the edge kind being read */
} graph;

static int looks_ip(const char *s) {
  int dots = 0, colons = 0;
  for (; *s; s++) {
    if (*s == '.') dots++;
    else if (*s == ':') colons++;
    else if (!isxdigit((unsigned char)*s)) return 0;
  }
  return dots == 3 || colons >= 2;
}

/* Host names are compared as upper-case short names (FS01.corp -> FS01). */
static void short_name(char out[64], const char *s) {
  size_t i;
  for (i = 0; i < 63 && s[i] && s[i] != '.'; i++) out[i] = (char)toupper((unsigned char)s[i]);
  out[i] = 0;
}

static int private_ip(const char *s) {
  int b = 0;
  if (strncmp(s, "10.", 3) == 0 || strncmp(s, "192.168.", 8) == 0) return 1;
  if (strncmp(s, "172.", 4) == 0 && sscanf(s + 4, "%d", &b) == 1 && b >= 16 && b <= 31) return 1;
  return (tolower((unsigned char)s[0]) == 'f' && strchr("cdCD", s[1]) && s[1]) ||
         strncmp(s, "fe80:", 5) == 0;
}

static const char *map_ip(graph *g, const char *ip) {
  int i;
  for (i = 0; i < g->nmap; i++)
    if (strcmp(g->map[i].ip, ip) == 0) return g->map[i].name;
  return NULL;
}

/* The node of a host name or address, created when there is room: -1 for
** no host (empty, loopback, an unnamed external address), -2 when full. */
static int node(graph *g, const char *who) {
  char key[64];
  const char *ip = NULL, *nm;
  int i;
  if (!who || !*who || strcmp(who, "-") == 0) return -1;
  if (looks_ip(who)) {
    if (strcmp(who, "127.0.0.1") == 0 || strcmp(who, "::1") == 0) return -1;
    ip = who;
    nm = map_ip(g, who);
    if (!nm && !private_ip(who)) return -1;
    if (nm) snprintf(key, sizeof key, "%s", nm);
    else snprintf(key, sizeof key, "%s", who);
  } else {
    short_name(key, who);
    if (!key[0]) return -1;
  }
  for (i = 0; i < g->nn; i++)
    if (strcmp(g->n[i].name, key) == 0) break;
  if (i == g->nn) {
    if (g->nn == GR_MAX_NODES) return -2;
    snprintf(g->n[g->nn++].name, sizeof g->n[0].name, "%s", key);
  }
  if (ip) {
    gnode *n = &g->n[i];
    int k;
    for (k = 0; k < n->nips; k++)
      if (strcmp(n->ips[k], ip) == 0) break;
    if (k == n->nips && n->nips < GR_MAX_IPS) snprintf(n->ips[n->nips++], sizeof n->ips[0], "%s", ip);
  }
  return i;
}

/* Adds (or merges into) the edge a -> b. */
static void edge(graph *g, const char *src, const char *dst, int kind, int64_t count,
                 int64_t finding, const char *ports) {
  int a = node(g, src), b = node(g, dst), i;
  gedge *e;
  if (a == -2 || b == -2) { g->dropped++; return; }
  if (a < 0 || b < 0) return;
  if (a == b) return;
  for (i = 0; i < g->ne; i++)
    if (g->e[i].a == a && g->e[i].b == b) break;
  if (i == g->ne) {
    if (g->ne == GR_MAX_EDGES) { g->dropped++; return; }
    g->ne++;
    g->e[i].a = a; g->e[i].b = b;
    g->n[a].deg++; g->n[b].deg++;
  }
  e = &g->e[i];
  if ((kind & (K_FINDING | K_ANSWER)) && !(e->kinds & (K_FINDING | K_ANSWER))) {
    g->n[a].attack++; g->n[b].attack++;
  }
  e->kinds |= kind;
  if (kind == K_FLOW) {
    e->flows += count;
    if (ports && !e->ports[0]) snprintf(e->ports, sizeof e->ports, "%s", ports);
  }
  if (kind == K_LOGON) e->logons += count;
  if ((kind == K_FINDING || kind == K_ANSWER) && finding && (!e->finding || finding < e->finding))
    e->finding = finding;
}

/* rows: address, workstation, computer of the log, count */
static int logon_row(void *ud, const tells_row *row) {
  graph *g = ud;
  glogon *l;
  if (g->nlg == GR_MAX_LOGONS) return 1;
  l = &g->lg[g->nlg++];
  snprintf(l->ip, sizeof l->ip, "%s", row->text[0] ? row->text[0] : "");
  snprintf(l->ws, sizeof l->ws, "%s", row->text[1] ? row->text[1] : "");
  snprintf(l->host, sizeof l->host, "%s", row->text[2] ? row->text[2] : "");
  l->n = tells__report_i64(row->text[3]);
  return 0;
}

/* Addresses named by the hosts answer, then by the workstation their
** logons report most often. */
static void build_map(graph *g) {
  int i;
  for (i = 0; i < g->nlg && g->nmap < GR_MAX_MAP; i++) {
    char nm[64];
    const glogon *l = &g->lg[i];
    if (!looks_ip(l->ip) || !l->ws[0] || strcmp(l->ws, "-") == 0 || map_ip(g, l->ip)) continue;
    short_name(nm, l->ws);
    if (!nm[0]) continue;
    snprintf(g->map[g->nmap].ip, sizeof g->map[0].ip, "%s", l->ip);
    snprintf(g->map[g->nmap].name, sizeof g->map[0].name, "%s", nm);
    g->nmap++;
  }
}

/* rows: src, dst, count, finding id, ports */
static int edge_row(void *ud, const tells_row *row) {
  graph *g = ud;
  edge(g, row->text[0], row->text[1], g->kind, tells__report_i64(row->text[2]),
       row->n > 3 ? tells__report_i64(row->text[3]) : 0, row->n > 4 ? row->text[4] : NULL);
  return 0;
}

/* The text after " from " and before " (" of a logon summary, and the
** workstation name in the parentheses ("... from 10.1.2.3 (WS01)"). */
#define LOGONS \
  "SELECT substr(rest, 1, instr(rest, ' (') - 1) AS ip," \
  " substr(rest, instr(rest, ' (') + 2, length(rest) - instr(rest, ' (') - 2) AS ws, eid, n FROM (" \
  " SELECT substr(summary, instr(summary, ' from ') + 6) AS rest, evidence_id AS eid, count(*) AS n" \
  " FROM events WHERE kind = 'logon.success' AND (summary GLOB 'Successful logon type 3:*'" \
  " OR summary GLOB 'Successful logon type 10:*') GROUP BY rest, eid) WHERE instr(rest, ' (') > 0"

/* network and RDP logons: address, workstation, computer of the log */
static const char LOGON_SQL[] =
  "SELECT ip, ws, (SELECT i.value FROM sightings s JOIN indicators i ON i.id = s.indicator_id"
  "  WHERE s.evidence_id = l.eid AND i.type = 'host' AND s.context = 'event log computer'"
  "  ORDER BY s.count DESC, i.value LIMIT 1) AS host, sum(n) AS c FROM (" LOGONS ") l"
  " GROUP BY ip, ws, host ORDER BY c DESC, ip, ws, host LIMIT 1000";

/* internal SMB, RPC, RDP and WinRM flows */
static const char FLOW_SQL[] =
  "SELECT src_ip, dest_ip, count(*) AS n, 0, group_concat(DISTINCT dest_port) FROM flows"
  " WHERE dest_port IN (135, 139, 445, 3389, 5985, 5986) GROUP BY src_ip, dest_ip"
  " HAVING " REP_SQL_PRIVATE("src_ip") " AND " REP_SQL_PRIVATE("dest_ip")
  " ORDER BY n DESC, src_ip, dest_ip LIMIT 1000";

static const char *edge_color(int k) {
  return k & (K_FINDING | K_ANSWER) ? "#cc0000" : k & K_LOGON ? "#2e86c1" : "#9a9a9a";
}

tells_err tells__report_graph(rep *r) {
  FILE *o = r->o;
  graph *g;
  tells_err e = TELLS_OK;
  int i, k, centre = -1, ring = 0, slot, order[GR_MAX_NODES];
  const double W = 1200, H = 760, cx = 600, cy = 380, R = 320;
  double px[GR_MAX_NODES], py[GR_MAX_NODES];
  fputs("<section id=\"sec-graph\"><h2>Lateral movement</h2>\n", o);
  if (!(g = tells_calloc(1, sizeof *g))) return TELLS_ENOMEM;
  if (r->has_answers) {                     /* the hosts answer names addresses */
    g->nlg = 0;
    if ((e = tells__report_query(r,
      "SELECT x.value, json_extract(a.details, '$.host'), NULL, 0 FROM answers a,"
      " json_each(CASE WHEN json_valid(a.details) THEN a.details ELSE '{}' END, '$.ips') x"
      " WHERE a.question = 'hosts' AND x.type = 'text'"
      " AND CASE WHEN json_valid(a.details) THEN json_type(a.details, '$.host') END = 'text'"
      " ORDER BY a.ordinal, a.id, x.key", logon_row, g)))
      goto out;
    build_map(g);
    g->nlg = 0;
  }
  if ((e = tells__report_query(r, LOGON_SQL, logon_row, g))) goto out;
  build_map(g);
  for (i = 0; i < (int)r->nrefs; i++)       /* lateral-movement findings' flows */
    if (strcmp(r->refs[i].tactic, "lateral-movement") == 0)
      edge(g, r->refs[i].src, r->refs[i].dst, K_FINDING, 1, r->refs[i].finding, NULL);
  if (r->has_answers) {                     /* the movement answer's host -> host edges */
    g->kind = K_ANSWER;
    if ((e = tells__report_query(r,
      "SELECT coalesce(json_extract(x.value, '$.src'), json_extract(x.value, '$.from'),"
      " json_extract(x.value, '$.source')), coalesce(json_extract(x.value, '$.dst'),"
      " json_extract(x.value, '$.to'), json_extract(x.value, '$.dest'), json_extract(x.value, '$.target')),"
      " 1, 0 FROM answers a, json_each(CASE WHEN json_valid(a.details) THEN a.details ELSE '{}' END, '$.edges') x"
      " WHERE a.question = 'movement' AND x.type = 'object' ORDER BY a.ordinal, a.id, x.key",
      edge_row, g)))
      goto out;
  }
  for (i = 0; i < g->nlg; i++) {
    const glogon *l = &g->lg[i];
    if (l->host[0]) edge(g, l->ip, l->host, K_LOGON, l->n, 0, NULL);
  }
  g->kind = K_FLOW;
  if ((e = tells__report_query(r, FLOW_SQL, edge_row, g))) goto out;
  if (!g->ne) {
    fputs("<p class=\"note\">No movement between internal hosts: no lateral-movement finding, network"
          " logon or internal SMB/RDP/WinRM flow.</p></section>\n", o);
    goto out;
  }
  /* layout: centre = most attack edges (then degree, then name); the rest
  ** on a circle in name order */
  for (i = 0; i < g->nn; i++) {
    gnode *a = &g->n[i];
    if (!a->deg) continue;
    if (centre < 0 || a->attack > g->n[centre].attack ||
        (a->attack == g->n[centre].attack && (a->deg > g->n[centre].deg ||
         (a->deg == g->n[centre].deg && strcmp(a->name, g->n[centre].name) < 0))))
      centre = i;
  }
  if (centre >= 0 && !g->n[centre].attack) centre = -1;
  for (i = 0; i < g->nn; i++) order[i] = i;
  for (i = 1; i < g->nn; i++)
    for (k = i; k > 0 && strcmp(g->n[order[k - 1]].name, g->n[order[k]].name) > 0; k--) {
      int t = order[k]; order[k] = order[k - 1]; order[k - 1] = t;
    }
  for (i = 0; i < g->nn; i++)
    if (order[i] != centre && g->n[order[i]].deg) ring++;
  slot = 0;
  for (i = 0; i < g->nn; i++) {
    int n = order[i];
    double ang;
    if (!g->n[n].deg) continue;
    if (n == centre) { px[n] = cx; py[n] = cy; continue; }
    ang = -M_PI / 2 + 2 * M_PI * slot++ / (ring ? ring : 1);
    px[n] = cx + R * 1.5 * cos(ang);
    py[n] = cy + R * sin(ang);
  }
  fprintf(o, "<svg class=\"chart\" id=\"chart-graph\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n"
          "<defs><marker id=\"arr-a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\""
          " markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#cc0000\"/></marker>"
          "<marker id=\"arr-b\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\""
          " orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#777\"/></marker></defs>\n", W, H);
  for (k = 0; k < 2; k++)           /* benign edges first, attack edges on top */
    for (i = 0; i < g->ne; i++) {
      gedge *d = &g->e[i];
      int attack = (d->kinds & (K_FINDING | K_ANSWER)) != 0;
      double dx = px[d->b] - px[d->a], dy = py[d->b] - py[d->a], len = sqrt(dx * dx + dy * dy);
      double ux = len > 0 ? dx / len : 0, uy = len > 0 ? dy / len : 0;
      if (attack != k) continue;
      if (d->finding) fprintf(o, "<a href=\"#finding-%lld\">", (long long)d->finding);
      fprintf(o, "<line class=\"mk mk-g %s\" data-src=\"", attack ? "attack" : "other");
      tells__report_esc(o, g->n[d->a].name);
      fputs("\" data-dst=\"", o);
      tells__report_esc(o, g->n[d->b].name);
      fprintf(o, "\" data-kinds=\"%s%s%s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
              " stroke-width=\"%s\" stroke-opacity=\"%s\" marker-end=\"url(#arr-%s)\"><title>",
              d->kinds & K_FINDING ? "finding " : "", d->kinds & K_ANSWER ? "answer " : "",
              d->kinds & K_LOGON ? "logon " : "", d->kinds & K_FLOW ? "flow" : "",
              px[d->a] + ux * 14, py[d->a] + uy * 14, px[d->b] - ux * 16, py[d->b] - uy * 16,
              edge_color(d->kinds), attack ? "2.5" : "1", attack ? "0.95" : "0.5", attack ? "a" : "b");
      tells__report_esc(o, g->n[d->a].name);
      fputs(" -> ", o);
      tells__report_esc(o, g->n[d->b].name);
      fputs(":", o);
      if (d->kinds & K_FINDING) fputs(" lateral-movement finding;", o);
      if (d->kinds & K_ANSWER) fputs(" movement answer;", o);
      if (d->logons)
        fprintf(o, " %lld network/RDP %s;", (long long)d->logons, d->logons == 1 ? "logon" : "logons");
      if (d->flows) {
        fprintf(o, " %lld %s to port ", (long long)d->flows, d->flows == 1 ? "flow" : "flows");
        tells__report_esc(o, d->ports);
      }
      fputs("</title></line>", o);
      if (d->finding) fputs("</a>", o);
      fputc('\n', o);
    }
  for (i = 0; i < g->nn; i++) {
    gnode *n = &g->n[order[i]];
    int j = order[i];
    if (!n->deg) continue;
    fprintf(o, "<g class=\"node\" data-name=\"");
    tells__report_esc(o, n->name);
    fputs("\" data-ips=\"", o);
    for (k = 0; k < n->nips; k++) { if (k) fputc(' ', o); tells__report_esc(o, n->ips[k]); }
    fprintf(o, "\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"13\" fill=\"%s\" stroke=\"#333\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px[j], py[j],
            n->attack ? "#f5b7b1" : "#d6eaf8", px[j], py[j] + 26);
    tells__report_esc(o, n->name);
    fputs("</text><title>", o);
    tells__report_esc(o, n->name);
    for (k = 0; k < n->nips; k++) { fputc(' ', o); tells__report_esc(o, n->ips[k]); }
    fputs("</title></g>\n", o);
  }
  fputs("</svg>\n<p class=\"note\">Red: lateral-movement findings (arrows from the source host); blue:"
        " network or RDP logons; grey: internal SMB, RPC, RDP or WinRM flows.", o);
  if (g->dropped) fprintf(o, " %lld further connections are not drawn (more than %d hosts or %d edges).",
                          (long long)g->dropped, GR_MAX_NODES, GR_MAX_EDGES);
  fputs("</p></section>\n", o);
out:
  tells_free(g);
  return e;
}
