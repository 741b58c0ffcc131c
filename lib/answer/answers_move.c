/*
** answers_move.c -- "how did the attackers get in" (patient zero, the HTTP
** download of a flagged binary, its first execution, the earliest
** initial-access and execution detections) and "how did they move" (host
** to host edges from lateral-movement findings, network logons with a
** compromised account, and suspicious services installed on the hosts
** reached), with the edges in details for the report's graph.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "alloc.h"
#include "answers.h"
#include "ingest.h"

/* ---- entry ---- */

void tells_ans_entry(tells_ans *x) {
  tells_ans_row w;
  char text[2048], t[40], t2[40];
  const tells_ans_act *ex = NULL, *early = NULL;
  size_t m = 0;
  int i;
  if (x->first_ns == TELLS_NO_TIME) {
    tells_ans_none(x, "entry", "How the attackers got in",
                   "No entry point: there is no dated attacker activity in the evidence.");
    return;
  }
  for (i = 0; i < x->n_acts; i++) {
    const tells_ans_act *a = &x->acts[i];
    if (!early || a->first_ns < early->first_ns) early = a;
    if (strcmp(a->tactic, "execution") == 0 && (!ex || a->first_ns < ex->first_ns)) ex = a;
  }
  tells_ans_row_begin(&w);
  if (x->pz >= 0) {
    tells_json_kstr(&w.d, "patient_zero", x->hosts[x->pz].name);
    m += (size_t)snprintf(text + m, sizeof text - m, "Patient zero is %s.", x->hosts[x->pz].name);
  }
  tells_json_key(&w.d, "downloads"); tells_json_arr(&w.d);
  for (i = 0; i < x->n_dl; i++) {
    const tells_ans_dl *d = &x->dl[i];
    int h = tells_ans_host_ip(x, d->client_ip, 0);
    tells_ans_time(d->time_ns, t);
    tells_json_obj(&w.d);
    tells_json_kstr(&w.d, "url", d->url);
    tells_json_kstr(&w.d, "time", t);
    tells_json_kstr(&w.d, "file", x->bins[d->bin].file);
    tells_json_kstr(&w.d, "sha256", x->bins[d->bin].sha256);
    tells_json_kstr(&w.d, "client", h >= 0 ? x->hosts[h].name : d->client_ip);
    tells_json_kstr(&w.d, "client_ip", d->client_ip);
    tells_json_kstr(&w.d, "server_ip", d->server_ip);
    tells_json_kstr(&w.d, "country", d->country);
    if (d->flow_id) tells_json_ki64(&w.d, "flow", d->flow_id);
    tells_json_obj_end(&w.d);
    if (i < 2 && m < sizeof text)
      m += (size_t)snprintf(text + m, sizeof text - m, " %s downloaded %s from %s (%s%s%s) at %s.",
                            h >= 0 ? x->hosts[h].name : (d->client_ip[0] ? d->client_ip : "a host"),
                            x->bins[d->bin].file, d->url, d->server_ip, d->country[0] ? ", " : "",
                            d->country, t);
    tells_ans_ref(&w, d->flow_id ? "flow" : "evidence", d->flow_id ? d->flow_id : d->evidence_id);
  }
  tells_json_arr_end(&w.d);
  if (ex) {
    tells_ans_time(ex->first_ns, t2);
    tells_json_key(&w.d, "first_execution"); tells_json_obj(&w.d);
    tells_json_kstr(&w.d, "time", t2);
    tells_json_kstr(&w.d, "host", ex->host >= 0 ? x->hosts[ex->host].name : NULL);
    tells_json_kstr(&w.d, "what", ex->text);
    tells_json_ki64(&w.d, ex->ref_kind, ex->ref_id);
    tells_json_obj_end(&w.d);
    if (m < sizeof text) m += (size_t)snprintf(text + m, sizeof text - m, " First execution at %s: %s.", t2, ex->text);
    tells_ans_ref(&w, ex->ref_kind, ex->ref_id);
  }
  if (early) {
    tells_ans_time(early->first_ns, t2);
    tells_json_key(&w.d, "earliest"); tells_json_obj(&w.d);
    tells_json_kstr(&w.d, "time", t2);
    tells_json_kstr(&w.d, "tactic", early->tactic);
    tells_json_kstr(&w.d, "what", early->text);
    tells_json_ki64(&w.d, early->ref_kind, early->ref_id);
    tells_json_obj_end(&w.d);
    if (m < sizeof text)
      m += (size_t)snprintf(text + m, sizeof text - m, " Earliest attacker activity (%s) at %s: %s.",
                            early->tactic, t2, early->text);
    tells_ans_ref(&w, early->ref_kind, early->ref_id);
  }
  tells_json_key(&w.d, "edges"); tells_json_arr(&w.d);
  for (i = 0; i < x->n_dl && x->pz >= 0; i++) {
    tells_ans_time(x->dl[i].time_ns, t);
    tells_json_obj(&w.d);
    tells_json_kstr(&w.d, "from", x->dl[i].server_ip[0] ? x->dl[i].server_ip : x->dl[i].url);
    tells_json_kstr(&w.d, "to", x->dl[i].client_ip[0] && tells_ans_host_ip(x, x->dl[i].client_ip, 0) >= 0
                    ? x->hosts[tells_ans_host_ip(x, x->dl[i].client_ip, 0)].name : x->hosts[x->pz].name);
    tells_json_kstr(&w.d, "kind", "download");
    tells_json_kstr(&w.d, "first", t);
    tells_json_obj_end(&w.d);
  }
  tells_json_arr_end(&w.d);
  if (!x->n_dl && m < sizeof text)
    snprintf(text + m, sizeof text - m, " No download of a flagged binary was seen in the captures.");
  tells_ans_put(x, &w, "entry", 0, "How the attackers got in", text, -1);
}

/* ---- movement ---- */

#define MAX_EDGES 2048
#define MAX_ACCOUNTS 16
enum { K_NET = 1, K_LOGON = 2, K_SERVICE = 4 };

typedef struct edge {
  int from, to;
  unsigned kinds;
  int64_t first_ns, last_ns;
  char account[96], service[96];
  int64_t service_ns;
  int64_t refs[6]; char ref_kind[6][10]; int n_refs;
} edge;

typedef struct mv {
  tells_ans *x;
  edge *e; int n;
  char acct[MAX_ACCOUNTS][96]; int n_acct;
} mv;

static edge *edge_get(mv *v, int from, int to) {
  int i;
  if (from < 0 || to < 0 || from == to) return NULL;
  for (i = 0; i < v->n; i++) if (v->e[i].from == from && v->e[i].to == to) return &v->e[i];
  if (v->n >= MAX_EDGES) return NULL;
  memset(&v->e[v->n], 0, sizeof v->e[v->n]);
  v->e[v->n].from = from; v->e[v->n].to = to;
  v->e[v->n].first_ns = v->e[v->n].last_ns = v->e[v->n].service_ns = TELLS_NO_TIME;
  return &v->e[v->n++];
}

static void edge_add(edge *e, unsigned kind, int64_t t, const char *ref_kind, int64_t ref) {
  if (!e) return;
  e->kinds |= kind;
  if (t != TELLS_NO_TIME) {
    if (e->first_ns == TELLS_NO_TIME || t < e->first_ns) e->first_ns = t;
    if (e->last_ns == TELLS_NO_TIME || t > e->last_ns) e->last_ns = t;
  }
  if (e->n_refs < 6) {
    snprintf(e->ref_kind[e->n_refs], sizeof e->ref_kind[0], "%s", ref_kind);
    e->refs[e->n_refs++] = ref;
  }
}

static const char *user_part(const char *a) {
  const char *b = strrchr(a, '\\');
  return b ? b + 1 : a;
}

static int compromised(const mv *v, const char *account) {
  int i;
  for (i = 0; i < v->n_acct; i++)
    if (strcasecmp(user_part(v->acct[i]), user_part(account)) == 0) return 1;
  return 0;
}

static void accounts(mv *v) {
  sqlite3_stmt *s = tells_ans_prep(v->x,
    "SELECT DISTINCT a FROM (SELECT json_extract(" TELLS_ANS_DJ("") ", '$.account') AS a FROM findings"
    "  WHERE rule = 'evtx-brute-force' AND json_valid(details)"
    " UNION ALL SELECT json_extract(" TELLS_ANS_DJ("") ", '$.user') FROM findings"
    "  WHERE rule = 'evtx-log-cleared' AND json_valid(details))"
    " WHERE a IS NOT NULL AND a <> '' ORDER BY a");
  if (!s) return;
  while (tells_ans_step(v->x, s) && v->n_acct < MAX_ACCOUNTS) {
    const char *a = tells_ans_col(s, 0);
    if (compromised(v, a)) {     /* keep the domain-qualified spelling */
      int i;
      for (i = 0; i < v->n_acct; i++)
        if (strcasecmp(user_part(v->acct[i]), user_part(a)) == 0 && strchr(a, '\\'))
          snprintf(v->acct[i], sizeof v->acct[i], "%s", a);
      continue;
    }
    snprintf(v->acct[v->n_acct++], sizeof v->acct[0], "%s", a);
  }
  sqlite3_finalize(s);
}

/* One net.lateral finding's destinations: sessions before the fan-out's
** burst (tells_ans_burst) mark the edge without dating it. */
static void lateral_flush(mv *v, int64_t id, int from, int *to, int64_t *t0, int64_t *t1, int n) {
  int64_t sorted[256], burst;
  int k;
  for (k = 0; k < n; k++) sorted[k] = t0[k];
  burst = tells_ans_burst(sorted, n);
  for (k = 0; k < n; k++) {
    edge *e = edge_get(v, from, to[k]);
    edge_add(e, K_NET, t0[k] >= burst ? t0[k] : TELLS_NO_TIME, "finding", id);
    edge_add(e, K_NET, t1[k] >= burst ? t1[k] : TELLS_NO_TIME, "finding", id);
  }
}

static void lateral_findings(mv *v) {
  tells_ans *x = v->x;
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT f.id, f.summary, json_extract(r.value, '$.dest_ip') AS d, min(json_extract(r.value, '$.start')),"
    " max(json_extract(r.value, '$.start'))"
    " FROM findings f, json_each(" TELLS_ANS_DJ("f.") ", '$.flows') r"
    " WHERE f.rule = 'net.lateral' AND json_valid(f.details) AND d IS NOT NULL"
    " GROUP BY f.id, d ORDER BY f.id, d");
  int to[256], n = 0, from = -1;
  int64_t t0[256], t1[256], id = 0;
  if (!s) return;
  while (tells_ans_step(x, s)) {
    char ip[46] = "";
    int d;
    if (sqlite3_column_int64(s, 0) != id) {
      if (n) lateral_flush(v, id, from, to, t0, t1, n);
      n = 0;
      id = sqlite3_column_int64(s, 0);
      sscanf(tells_ans_col(s, 1), "%45s", ip);
      from = tells_ans_host_ip(x, ip, 0);
    }
    d = tells_ans_host_ip(x, tells_ans_col(s, 2), 0);
    if (from < 0 || d < 0 || d == from || n >= 256) continue;
    to[n] = d;
    t0[n] = tells_ans_parse_time(tells_ans_col(s, 3));
    t1[n] = tells_ans_parse_time(tells_ans_col(s, 4));
    if (t0[n] != TELLS_NO_TIME) n++;
  }
  if (n) lateral_flush(v, id, from, to, t0, t1, n);
  sqlite3_finalize(s);
}

static int evidence_host(tells_ans *x, const char *path) {
  char n[64];
  return tells_ans_host_of_path(path, n, sizeof n) ? tells_ans_host_name(x, n, 0) : -1;
}

/* Network logons (type 3) with a compromised account, host to host. */
static void logons(mv *v) {
  tells_ans *x = v->x;
  sqlite3_stmt *s;
  if (!v->n_acct) return;
  s = tells_ans_prep(x, "SELECT v.id, v.time_ns, v.summary, e.path FROM events v"
                        " JOIN evidence e ON e.id = v.evidence_id WHERE v.kind = 'logon.success'"
                        " AND v.summary LIKE 'Successful logon type 3: %' ORDER BY v.time_ns, v.id");
  if (!s) return;
  while (tells_ans_step(x, s)) {
    char acct[96], ip[46];
    int from, to;
    edge *e;
    if (sscanf(tells_ans_col(s, 2), "Successful logon type 3: %95s from %45s", acct, ip) != 2) continue;
    if (!compromised(v, acct)) continue;
    from = tells_ans_host_ip(x, ip, 0);
    to = evidence_host(x, tells_ans_col(s, 3));
    if (!(e = edge_get(v, from, to))) continue;
    edge_add(e, K_LOGON, sqlite3_column_int64(s, 1), "event", sqlite3_column_int64(s, 0));
    if (!e->account[0]) snprintf(e->account, sizeof e->account, "%s", acct);
  }
  sqlite3_finalize(s);
}

/* Suspicious services installed on hosts an edge reaches. */
static void services(mv *v) {
  tells_ans *x = v->x;
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT f.id, f.first_ns, json_extract(" TELLS_ANS_DJ("f.") ", '$.host'), json_extract(" TELLS_ANS_DJ("f.") ", '$.name')"
    " FROM findings f WHERE f.rule = 'evtx-new-service' AND json_valid(f.details)"
    " AND f.severity IN ('medium','high','critical') ORDER BY f.first_ns, f.id");
  if (!s) return;
  while (tells_ans_step(x, s)) {
    int to = tells_ans_host_name(x, tells_ans_col(s, 2), 0), i;
    for (i = 0; i < v->n && to >= 0; i++) {
      edge *e = &v->e[i];
      if (e->to != to) continue;
      edge_add(e, K_SERVICE, sqlite3_column_int64(s, 1), "finding", sqlite3_column_int64(s, 0));
      if (!e->service[0]) {
        snprintf(e->service, sizeof e->service, "%s", tells_ans_col(s, 3));
        e->service_ns = sqlite3_column_int64(s, 1);
      }
    }
  }
  sqlite3_finalize(s);
}

static void kinds_text(unsigned k, char *out, size_t n) {
  snprintf(out, n, "%s%s%s%s%s", k & K_NET ? "network sessions" : "",
           (k & K_NET) && (k & (K_LOGON | K_SERVICE)) ? ", " : "", k & K_LOGON ? "network logons" : "",
           (k & K_LOGON) && (k & K_SERVICE) ? ", " : "", k & K_SERVICE ? "service installs" : "");
}

static void edge_json(const tells_ans *x, const edge *e, tells_json *j) {
  char t[40];
  tells_json_kstr(j, "from", x->hosts[e->from].name);
  tells_json_kstr(j, "to", x->hosts[e->to].name);
  tells_json_key(j, "kinds"); tells_json_arr(j);
  if (e->kinds & K_NET) tells_json_str(j, "network");
  if (e->kinds & K_LOGON) tells_json_str(j, "logon");
  if (e->kinds & K_SERVICE) tells_json_str(j, "service");
  tells_json_arr_end(j);
  tells_ans_time(e->first_ns, t); tells_json_kstr(j, "first", t);
  tells_ans_time(e->last_ns, t); tells_json_kstr(j, "last", t);
  if (e->account[0]) tells_json_kstr(j, "account", e->account);
  if (e->service[0]) tells_json_kstr(j, "service", e->service);
}

static int edge_cmp(const edge *a, const edge *b) {
  if (a->first_ns != b->first_ns) return a->first_ns < b->first_ns ? -1 : 1;
  return a->to - b->to;
}

/* No edge, but detections of the lateral-movement tactic (Sigma rules on
** one host's logs, whose source is an address or a name that is not one of
** the case's hosts): say so, with the hosts where they fired and the first
** one, rather than "no lateral movement".  Returns 0 when there are none. */
static int lateral_without_edges(tells_ans *x) {
  tells_ans_row w;
  char text[2048], t[40];
  const tells_ans_act *first = NULL;
  int hosts[16], n_hosts = 0, n = 0, i, k;
  size_t m;
  for (i = 0; i < x->n_acts; i++) {
    const tells_ans_act *a = &x->acts[i];
    if (strcmp(a->tactic, "lateral-movement") != 0) continue;
    n++;
    if (!first || a->first_ns < first->first_ns) first = a;
    for (k = 0; k < n_hosts && hosts[k] != a->host; k++) {}
    if (a->host >= 0 && k == n_hosts && n_hosts < 16) hosts[n_hosts++] = a->host;
  }
  if (!n) return 0;
  tells_ans_time(first->first_ns, t);
  m = (size_t)snprintf(text, sizeof text,
                       "No host-to-host edge could be drawn (no session, network logon with a "
                       "compromised account or service install ties two of the case's hosts), "
                       "but %d lateral-movement %s fired", n, n == 1 ? "detection" : "detections");
  for (k = 0; k < n_hosts && k < 6 && m < sizeof text; k++)
    m += (size_t)snprintf(text + m, sizeof text - m, "%s %s", k ? "," : " on", x->hosts[hosts[k]].name);
  if (n_hosts > 6 && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, " and %d more", n_hosts - 6);
  if (m < sizeof text) snprintf(text + m, sizeof text - m, "; first at %s: %s.", t, first->text);
  tells_ans_row_begin(&w);
  tells_json_ki64(&w.d, "detections", n);
  tells_json_key(&w.d, "hosts"); tells_json_arr(&w.d);
  for (k = 0; k < n_hosts; k++) tells_json_str(&w.d, x->hosts[hosts[k]].name);
  tells_json_arr_end(&w.d);
  tells_json_key(&w.d, "edges"); tells_json_arr(&w.d); tells_json_arr_end(&w.d);
  tells_json_key(&w.d, "first"); tells_json_obj(&w.d);
  tells_json_kstr(&w.d, "time", t);
  tells_json_kstr(&w.d, "what", first->text);
  tells_json_ki64(&w.d, first->ref_kind, first->ref_id);
  tells_json_obj_end(&w.d);
  tells_ans_ref(&w, first->ref_kind, first->ref_id);
  tells_ans_put(x, &w, "movement", 0, "How the attackers moved", text, -1);
  return 1;
}

void tells_ans_movement(tells_ans *x) {
  mv v;
  tells_ans_row w;
  char text[2048], a[40], b[40], ks[160];
  int i, k, srcs[16], n_src = 0;
  unsigned all = 0;
  int64_t first = TELLS_NO_TIME, last = TELLS_NO_TIME;
  size_t m;
  memset(&v, 0, sizeof v);
  v.x = x;
  if (!(v.e = tells_calloc(MAX_EDGES, sizeof *v.e))) { x->err = TELLS_ENOMEM; return; }
  accounts(&v);
  lateral_findings(&v);
  logons(&v);
  services(&v);
  for (i = 1; i < v.n; i++) {   /* by first time (insertion sort: edges are few) */
    edge e = v.e[i];
    for (k = i; k > 0 && edge_cmp(&v.e[k - 1], &e) > 0; k--) v.e[k] = v.e[k - 1];
    v.e[k] = e;
  }
  if (!v.n) {
    if (!lateral_without_edges(x))
      tells_ans_none(x, "movement", "How the attackers moved",
                     x->first_ns == TELLS_NO_TIME ? "No lateral movement: there is no attacker activity in the evidence."
                     : "No lateral movement seen: no host-to-host session, logon or service install ties two hosts.");
    tells_free(v.e);
    return;
  }
  for (i = 0; i < v.n; i++) {
    all |= v.e[i].kinds;
    if (first == TELLS_NO_TIME || v.e[i].first_ns < first) first = v.e[i].first_ns;
    if (last == TELLS_NO_TIME || v.e[i].last_ns > last) last = v.e[i].last_ns;
    for (k = 0; k < n_src && srcs[k] != v.e[i].from; k++) {}
    if (k == n_src && n_src < 16) srcs[n_src++] = v.e[i].from;
  }
  kinds_text(all, ks, sizeof ks);
  tells_ans_time(first, a); tells_ans_time(last, b);
  m = (size_t)snprintf(text, sizeof text, "%d host-to-host %s from", v.n, v.n == 1 ? "edge" : "edges");
  for (k = 0; k < n_src && m < sizeof text; k++)
    m += (size_t)snprintf(text + m, sizeof text - m, "%s %s", k ? "," : "", x->hosts[srcs[k]].name);
  if (m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, " (%s) between %s and %s", ks, a, b);
  if (v.n_acct && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, "; compromised account %s", v.acct[0]);
  for (i = 0; i < v.n && m < sizeof text; i++)
    if (v.e[i].service[0]) {
      m += (size_t)snprintf(text + m, sizeof text - m, "; service %s installed on the hosts reached", v.e[i].service);
      break;
    }
  if (m < sizeof text) snprintf(text + m, sizeof text - m, ".");
  tells_ans_row_begin(&w);
  tells_json_key(&w.d, "sources"); tells_json_arr(&w.d);
  for (k = 0; k < n_src; k++) tells_json_str(&w.d, x->hosts[srcs[k]].name);
  tells_json_arr_end(&w.d);
  tells_json_key(&w.d, "accounts"); tells_json_arr(&w.d);
  for (k = 0; k < v.n_acct; k++) tells_json_str(&w.d, v.acct[k]);
  tells_json_arr_end(&w.d);
  tells_json_key(&w.d, "edges"); tells_json_arr(&w.d);
  for (i = 0; i < v.n; i++) {
    tells_json_obj(&w.d); edge_json(x, &v.e[i], &w.d); tells_json_obj_end(&w.d);
    if (v.e[i].n_refs) tells_ans_ref(&w, v.e[i].ref_kind[0], v.e[i].refs[0]);
  }
  tells_json_arr_end(&w.d);
  tells_ans_put(x, &w, "movement", 0, "How the attackers moved", text, -1);
  for (i = 0; i < v.n; i++) {
    const edge *e = &v.e[i];
    kinds_text(e->kinds, ks, sizeof ks);
    tells_ans_time(e->first_ns, a);
    m = (size_t)snprintf(text, sizeof text, "%s -> %s: %s from %s", x->hosts[e->from].name,
                         x->hosts[e->to].name, ks, a);
    if (e->account[0] && m < sizeof text) m += (size_t)snprintf(text + m, sizeof text - m, "; logon as %s", e->account);
    if (e->service[0] && m < sizeof text) {
      tells_ans_time(e->service_ns, b);
      snprintf(text + m, sizeof text - m, "; service %s installed at %s", e->service, b);
    }
    tells_ans_row_begin(&w);
    edge_json(x, e, &w.d);
    for (k = 0; k < e->n_refs; k++) tells_ans_ref(&w, e->ref_kind[k], e->refs[k]);
    snprintf(ks, sizeof ks, "%s -> %s", x->hosts[e->from].name, x->hosts[e->to].name);
    tells_ans_put(x, &w, "movement", i + 1, ks, text, -1);
  }
  tells_free(v.e);
}
