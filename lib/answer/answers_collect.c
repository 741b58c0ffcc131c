/*
** answers_collect.c -- the passes the answers share, run once before them:
** the hosts of the case (evidence folders, computer names, addresses seen
** in logon events), the flagged binaries and their copies, and the dated
** attacker activity (findings of medium or higher severity, executions of
** flagged binaries in process-creation events, their HTTP downloads), with
** the hosts each implicates and patient zero.
*/
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "answers.h"
#include "ingest.h"

#define SEV_MEDIUM "f.severity IN ('medium','high','critical')"

static void add_act(tells_ans *x, const char *tactic, int64_t first, int64_t last,
                    const char *ref_kind, int64_t ref_id, int host, const char *text) {
  tells_ans_act *a;
  if (first == TELLS_NO_TIME) return;
  if (x->n_acts >= TELLS_ANS_MAX_ACTS) { x->acts_dropped++; return; }
  a = &x->acts[x->n_acts++];
  snprintf(a->tactic, sizeof a->tactic, "%s", tactic && *tactic ? tactic : "other");
  a->first_ns = first;
  a->last_ns = last == TELLS_NO_TIME || last < first ? first : last;
  snprintf(a->ref_kind, sizeof a->ref_kind, "%s", ref_kind);
  a->ref_id = ref_id;
  a->host = host;
  snprintf(a->text, sizeof a->text, "%s", text);
}

static int64_t col_time(sqlite3_stmt *s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? TELLS_NO_TIME : sqlite3_column_int64(s, i);
}

/* Host of an evidence file: its folder under hosts/, else the computer name
** its event-log records carry. */
static int evidence_host(tells_ans *x, int64_t evidence_id, const char *path) {
  char n[64];
  sqlite3_stmt *s;
  int h = -1;
  if (tells_ans_host_of_path(path, n, sizeof n)) return tells_ans_host_name(x, n, 1);
  if ((s = tells_ans_prep(x, "SELECT i.value FROM sightings s JOIN indicators i ON i.id = s.indicator_id"
                             " WHERE s.evidence_id = ? AND i.type = 'host'"
                             " AND s.context = 'event log computer' ORDER BY i.value LIMIT 1"))) {
    sqlite3_bind_int64(s, 1, evidence_id);
    if (tells_ans_step(x, s)) h = tells_ans_host_name(x, tells_ans_col(s, 0), 1);
    sqlite3_finalize(s);
  }
  return h;
}

/* Addresses of named hosts: logon events say "... from 10.20.10.5 (WS005)". */
static void map_addresses(tells_ans *x) {
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT DISTINCT substr(summary, instr(summary, ' from ') + 6) FROM events"
    " WHERE kind IN ('logon.success', 'logon.failure') AND summary LIKE '% from % (%)'"
    " LIMIT 100000");
  if (!s) return;
  while (tells_ans_step(x, s)) {
    char ip[46], name[64];
    int h;
    if (sscanf(tells_ans_col(s, 0), "%45s (%63[^)])", ip, name) != 2) continue;
    if (!tells_ans_internal(ip) || strcmp(name, "-") == 0 || tells_ans_host_ip(x, ip, 0) >= 0) continue;
    if ((h = tells_ans_host_name(x, name, 1)) < 0 || x->hosts[h].n_ips >= TELLS_ANS_MAX_IPS) continue;
    snprintf(x->hosts[h].ips[x->hosts[h].n_ips++], 46, "%s", ip);
  }
  sqlite3_finalize(s);
}

static const char *base_name(const char *p) {
  const char *b = p, *q;
  for (q = p; *q; q++) if (*q == '/' || *q == '\\') b = q + 1;
  return b;
}

/* Flagged binaries: analysed files with a code finding of medium or higher
** severity (a library likeness only within TLSH distance 30); each copy
** (duplicates) implicates the host it was found on. */
static void binaries(tells_ans *x) {
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT e.id, e.path, coalesce(e.sha256, ''), count(f.id) FROM evidence e"
    " JOIN findings f ON f.evidence_id = e.id AND f.source = 'code' AND " SEV_MEDIUM
    /* likeness alone flags a file only when very close (TELLS_CODELIB_VERY):
    ** small binaries of one compiler sit within the "similar" distance */
    " AND (f.rule <> 'library.similar' OR CAST(substr(f.summary, 15) AS INTEGER) <= 30)"
    " WHERE e.status = 'analysed' GROUP BY e.id ORDER BY e.id");
  sqlite3_stmt *d;
  int i;
  if (!s) return;
  while (tells_ans_step(x, s) && x->n_bins < TELLS_ANS_MAX_BINS) {
    tells_ans_bin *b = &x->bins[x->n_bins++];
    memset(b, 0, sizeof *b);
    b->evidence_id = sqlite3_column_int64(s, 0);
    snprintf(b->path, sizeof b->path, "%s", tells_ans_col(s, 1));
    snprintf(b->sha256, sizeof b->sha256, "%s", tells_ans_col(s, 2));
    snprintf(b->file, sizeof b->file, "%.127s", base_name(b->path));
    b->findings = (uint32_t)sqlite3_column_int64(s, 3);
    b->first_exec_ns = TELLS_NO_TIME;
  }
  sqlite3_finalize(s);
  if (!(d = tells_ans_prep(x, "SELECT id, path FROM evidence WHERE id = ?1 OR duplicate_of = ?1"
                              " ORDER BY path, id LIMIT 100000")))
    return;
  for (i = 0; i < x->n_bins; i++) {
    tells_ans_bin *b = &x->bins[i];
    sqlite3_bind_int64(d, 1, b->evidence_id);
    while (tells_ans_step(x, d)) {
      char t[TELLS_ANS_TEXT];
      int h = evidence_host(x, sqlite3_column_int64(d, 0), tells_ans_col(d, 1));
      b->copies++;
      snprintf(t, sizeof t, "carries the flagged binary %s (%.12s...)", b->file, b->sha256);
      tells_ans_implicate(x, h, "code", TELLS_NO_TIME, "evidence", sqlite3_column_int64(d, 0), t);
    }
    sqlite3_reset(d);
  }
  sqlite3_finalize(d);
}

/* The source address a network finding's summary starts with. */
static void net_source(const char *summary, char ip[46]) {
  ip[0] = 0;
  sscanf(summary, "%45s", ip);
}

static void findings(tells_ans *x) {
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT f.id, f.source, f.rule, coalesce(f.tactic, ''), f.first_ns, f.last_ns,"
    " coalesce(f.summary, f.title), coalesce(e.path, ''), coalesce(f.evidence_id, 0),"
    " json_extract(" TELLS_ANS_DJ("f.") ", '$.host'),"
    " (SELECT min(json_extract(r.value, '$.start')) FROM json_each(" TELLS_ANS_DJ("f.") ", '$.flows') r"
    "   WHERE json_valid(f.details) AND json_type(" TELLS_ANS_DJ("f.") ", '$.flows') = 'array'),"
    " CASE WHEN f.rule = 'net.lateral' AND json_valid(f.details) THEN"
    "  (SELECT group_concat(d || '@' || t, ' ') FROM (SELECT json_extract(r.value, '$.dest_ip') AS d,"
    "   min(json_extract(r.value, '$.start')) AS t FROM json_each(" TELLS_ANS_DJ("f.") ", '$.flows') r"
    "   WHERE d IS NOT NULL GROUP BY d HAVING t IS NOT NULL ORDER BY d LIMIT 256)) END,"
    " CASE WHEN f.rule = 'evtx-brute-force' AND json_valid(f.details) THEN"
    "  (SELECT group_concat(r.value, ' ') FROM json_each(" TELLS_ANS_DJ("f.") ", '$.sources') r) END"
    " FROM findings f LEFT JOIN evidence e ON e.id = f.evidence_id"
    " WHERE " SEV_MEDIUM " ORDER BY f.first_ns, f.id");
  if (!s) return;
  while (tells_ans_step(x, s)) {
    int64_t id = sqlite3_column_int64(s, 0), first = col_time(s, 4), last = col_time(s, 5);
    const char *src = tells_ans_col(s, 1), *rule = tells_ans_col(s, 2);
    const char *sum = tells_ans_col(s, 6), *path = tells_ans_col(s, 7);
    char ip[46], t[TELLS_ANS_TEXT];
    int h = -1;
    x->n_findings++;
    if (strcmp(src, "code") == 0) continue;        /* binaries: their copies above */
    if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
      /* network findings: the first referenced flow, when later than the
      ** finding's window start (which may include the host's other flows) */
      int64_t r = tells_ans_parse_time(tells_ans_col(s, 10));
      if (r != TELLS_NO_TIME && first != TELLS_NO_TIME && r > first && (last == TELLS_NO_TIME || r <= last))
        first = r;
    }
    if (strcmp(src, "net") == 0) {
      net_source(sum, ip);
      h = tells_ans_host_ip(x, ip, 1);
    } else if (sqlite3_column_type(s, 9) == SQLITE_TEXT) {
      h = tells_ans_host_name(x, tells_ans_col(s, 9), 1);
    } else if (path[0]) {
      h = evidence_host(x, sqlite3_column_int64(s, 8), path);
    }
    if (sqlite3_column_type(s, 11) == SQLITE_TEXT) {
      /* lateral movement: the hosts reached, each with its first session; the
      ** activity starts with the burst (sessions before it are the host's
      ** ordinary traffic, such as its home file server) */
      char buf[16384], *tok, *save = NULL, *ips[256];
      int64_t ts[256], sorted[256], burst;
      int nt = 0, k;
      snprintf(buf, sizeof buf, "%s", tells_ans_col(s, 11));
      for (tok = strtok_r(buf, " ", &save); tok && nt < 256; tok = strtok_r(NULL, " ", &save)) {
        char *at = strchr(tok, '@');
        if (!at) continue;
        *at = 0;
        ips[nt] = tok;
        sorted[nt] = ts[nt] = tells_ans_parse_time(at + 1);
        if (ts[nt] != TELLS_NO_TIME) nt++;
      }
      burst = tells_ans_burst(sorted, nt);
      if (burst != TELLS_NO_TIME && burst > first) first = burst;
      for (k = 0; k < nt; k++) {
        snprintf(t, sizeof t, "reached over the network by %s (%s)", h >= 0 ? x->hosts[h].name : "?", rule);
        tells_ans_implicate(x, tells_ans_host_ip(x, ips[k], 1), "net", ts[k] >= first ? ts[k] : TELLS_NO_TIME,
                            "finding", id, t);
      }
    }
    snprintf(t, sizeof t, "%s", sum);
    tells_ans_implicate(x, h, src, first, "finding", id, t);
    add_act(x, tells_ans_col(s, 3), first, last, "finding", id, h, sum);
    if (sqlite3_column_type(s, 12) == SQLITE_TEXT) {   /* brute force: its sources */
      char buf[2048], *tok, *save = NULL;
      snprintf(buf, sizeof buf, "%s", tells_ans_col(s, 12));
      for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        snprintf(t, sizeof t, "source of a burst of failed logons (%s)", sum);
        tells_ans_implicate(x, tells_ans_host_ip(x, tok, 1), "logs", first, "finding", id, t);
      }
    }
  }
  sqlite3_finalize(s);
}

static void merge_host(tells_ans *x, int from, int into) {
  tells_ans_host *f = &x->hosts[from], *o = &x->hosts[into];
  uint32_t k;
  int i;
  if (o->n_ips >= TELLS_ANS_MAX_IPS) return;
  snprintf(o->ips[o->n_ips++], 46, "%s", f->ips[0]);
  for (k = 0; k < f->n_how; k++)
    tells_ans_implicate(x, into, f->how[k].kind, f->how[k].time_ns, f->how[k].ref_kind, f->how[k].ref_id,
                        f->how[k].text);
  o->how_dropped += f->how_dropped;
  if (!f->n_how && f->affected) o->affected = 1;
  f->affected = 0; f->n_how = 0; f->n_ips = 0; f->name[0] = 0;
  for (i = 0; i < x->n_acts; i++) if (x->acts[i].host == from) x->acts[i].host = into;
}

/* Names of the implicated internal addresses no logon event names: a
** network logon recorded on host H from S follows, within seconds, a
** session of S to H's address (SMB, RPC, RDP, WinRM).  The name that most
** of an address's sessions vote for, with at least two votes and twice the
** runner-up's, is taken. */
#define RES_HOSTS 64   /* unnamed addresses resolved */
#define RES_SESS  64   /* sessions looked at per address */

typedef struct res_sess { char src[46]; int64_t t; } res_sess;

static void vote(tells_ans *x, sqlite3_stmt *e, int h, const res_sess *ss, int n) {
  char names[8][64], like[80];
  int votes[8], nv = 0, k, i, best = -1, second = 0, into;
  for (i = 0; i < n; i++) {
    snprintf(like, sizeof like, "%% from %s (%%", ss[i].src);
    sqlite3_bind_int64(e, 1, ss[i].t - 1000000000);
    sqlite3_bind_int64(e, 2, ss[i].t + 10000000000LL);
    sqlite3_bind_text(e, 3, like, -1, SQLITE_TRANSIENT);
    while (tells_ans_step(x, e)) {
      char nm[64];
      if (!tells_ans_host_of_path(tells_ans_col(e, 0), nm, sizeof nm)) continue;
      for (k = 0; k < nv && strcmp(names[k], nm) != 0; k++) {}
      if (k == nv) { if (nv >= 8) break; snprintf(names[nv], 64, "%s", nm); votes[nv++] = 0; }
      votes[k]++;
      break;                       /* one vote per session */
    }
    sqlite3_reset(e);
  }
  for (k = 0; k < nv; k++) if (best < 0 || votes[k] > votes[best]) best = k;
  for (k = 0; k < nv; k++) if (k != best && votes[k] > second) second = votes[k];
  if (best < 0 || votes[best] < 2 || votes[best] < 2 * second) return;
  if ((into = tells_ans_host_name(x, names[best], 1)) >= 0 && into != h) merge_host(x, h, into);
}

static void resolve_addresses(tells_ans *x) {
  int idx[RES_HOSTS], cnt[RES_HOSTS], n = 0, i, k;
  res_sess *ss;
  sqlite3_stmt *f, *e;
  for (i = 0; i < x->n_hosts && n < RES_HOSTS; i++) {
    const tells_ans_host *o = &x->hosts[i];
    if (o->affected && o->n_ips == 1 && strcmp(o->name, o->ips[0]) == 0) { cnt[n] = 0; idx[n++] = i; }
  }
  if (!n) return;
  if (!(ss = tells_calloc((size_t)RES_HOSTS * RES_SESS, sizeof *ss))) { x->err = TELLS_ENOMEM; return; }
  /* one pass over the admin-service flows (flows have no index by address) */
  f = tells_ans_prep(x, "SELECT dest_ip, src_ip, first_ns FROM flows WHERE dest_port IN"
                        " (135, 139, 445, 3389, 5985, 5986) AND first_ns IS NOT NULL");
  while (f && tells_ans_step(x, f)) {
    const char *d = tells_ans_col(f, 0);
    for (k = 0; k < n; k++) {
      if (cnt[k] >= RES_SESS || strcmp(x->hosts[idx[k]].ips[0], d) != 0) continue;
      snprintf(ss[k * RES_SESS + cnt[k]].src, 46, "%s", tells_ans_col(f, 1));
      ss[k * RES_SESS + cnt[k]++].t = sqlite3_column_int64(f, 2);
      break;
    }
  }
  sqlite3_finalize(f);
  e = tells_ans_prep(x, "SELECT ev.path FROM events v JOIN evidence ev ON ev.id = v.evidence_id"
                        " WHERE v.time_ns BETWEEN ?1 AND ?2 AND v.kind = 'logon.success' AND v.summary LIKE ?3"
                        " ORDER BY v.time_ns, v.id LIMIT 4");
  for (k = 0; e && k < n; k++) vote(x, e, idx[k], ss + k * RES_SESS, cnt[k]);
  sqlite3_finalize(e);
  tells_free(ss);
}

/* Executions of flagged binaries: "Process C:\...\name.exe: ..." events. */
static void executions(tells_ans *x) {
  sqlite3_stmt *s;
  int dated = 0;   /* the correlate stage already dated them as findings */
  if (!x->n_bins) return;
  if ((s = tells_ans_prep(x, "SELECT count(*) FROM findings WHERE source = 'correlate' AND tactic = 'execution'"))) {
    if (tells_ans_step(x, s)) dated = sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
  }
  s = tells_ans_prep(x, "SELECT v.id, v.time_ns, v.summary, v.evidence_id, e.path FROM events v"
                        " JOIN evidence e ON e.id = v.evidence_id"
                        " WHERE v.kind = 'process.created' AND v.time_ns IS NOT NULL"
                        " ORDER BY v.time_ns, v.id");
  if (!s) return;
  while (tells_ans_step(x, s)) {
    const char *sum = tells_ans_col(s, 2), *end;
    char image[400], t[TELLS_ANS_TEXT];
    int b, h;
    size_t n;
    int64_t tm = sqlite3_column_int64(s, 1);
    if (strncmp(sum, "Process ", 8) != 0 || !(end = strstr(sum + 8, ": "))) continue;
    n = (size_t)(end - (sum + 8));
    if (n >= sizeof image) continue;
    memcpy(image, sum + 8, n); image[n] = 0;
    if ((b = tells_ans_bin_by_file(x, base_name(image))) < 0) continue;
    h = evidence_host(x, sqlite3_column_int64(s, 3), tells_ans_col(s, 4));
    if (x->bins[b].first_exec_ns == TELLS_NO_TIME) x->bins[b].first_exec_ns = tm;
    if (dated) continue;
    snprintf(t, sizeof t, "the flagged binary %s ran on %s: %s", x->bins[b].file,
             h >= 0 ? x->hosts[h].name : "an unknown host", sum);
    tells_ans_implicate(x, h, "logs", tm, "event", sqlite3_column_int64(s, 0), t);
    add_act(x, "execution", tm, tm, "event", sqlite3_column_int64(s, 0), h, t);
  }
  sqlite3_finalize(s);
}

/* HTTP downloads of flagged binaries: a request URL ending in the file name. */
static void downloads(tells_ans *x) {
  sqlite3_stmt *s, *f;
  if (!x->n_bins) return;
  s = tells_ans_prep(x, "SELECT i.value, s.time_ns, s.evidence_id FROM sightings s"
                        " JOIN indicators i ON i.id = s.indicator_id"
                        " WHERE i.type = 'url' AND s.time_ns IS NOT NULL ORDER BY s.time_ns, s.id");
  f = tells_ans_prep(x, "SELECT id, src_ip, dest_ip, coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.dest_geo.country'), '')"
                        " FROM flows WHERE evidence_id = ?1 AND app_proto = 'http'"
                        " AND first_ns <= ?2 + 1000000000 AND last_ns >= ?2 - 1000000000"
                        " ORDER BY abs(first_ns - ?2), id LIMIT 1");
  while (s && f && tells_ans_step(x, s) && x->n_dl < 8) {
    const char *url = tells_ans_col(s, 0), *q;
    char file[256], t[TELLS_ANS_TEXT];
    tells_ans_dl *d;
    int b, h = -1;
    size_t n;
    for (q = url; *q && *q != '?' && *q != '#'; q++) {}
    n = (size_t)(q - url);
    if (n >= sizeof file) continue;
    memcpy(file, url, n); file[n] = 0;
    if ((b = tells_ans_bin_by_file(x, base_name(file))) < 0) continue;
    d = &x->dl[x->n_dl++];
    memset(d, 0, sizeof *d);
    d->bin = b;
    snprintf(d->url, sizeof d->url, "%s", url);
    d->time_ns = sqlite3_column_int64(s, 1);
    d->evidence_id = sqlite3_column_int64(s, 2);
    sqlite3_bind_int64(f, 1, d->evidence_id);
    sqlite3_bind_int64(f, 2, d->time_ns);
    if (tells_ans_step(x, f)) {
      d->flow_id = sqlite3_column_int64(f, 0);
      snprintf(d->client_ip, sizeof d->client_ip, "%s", tells_ans_col(f, 1));
      snprintf(d->server_ip, sizeof d->server_ip, "%s", tells_ans_col(f, 2));
      snprintf(d->country, sizeof d->country, "%s", tells_ans_col(f, 3));
      h = tells_ans_host_ip(x, d->client_ip, 1);
    }
    sqlite3_reset(f);
    snprintf(t, sizeof t, "downloaded the flagged binary %s from %s", x->bins[b].file, url);
    if (d->flow_id) tells_ans_implicate(x, h, "net", d->time_ns, "flow", d->flow_id, t);
    add_act(x, "initial-access", d->time_ns, d->time_ns, d->flow_id ? "flow" : "evidence",
            d->flow_id ? d->flow_id : d->evidence_id, h, t);
  }
  sqlite3_finalize(s);
  sqlite3_finalize(f);
}

void tells_ans_collect(tells_ans *x) {
  sqlite3_stmt *s;
  int64_t pz_t = TELLS_NO_TIME;
  int i;
  if ((s = tells_ans_prep(x, "SELECT count(*) FROM evidence WHERE status <> 'ingesting'"))) {
    if (tells_ans_step(x, s)) x->n_evidence = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  map_addresses(x);
  binaries(x);
  findings(x);
  resolve_addresses(x);
  executions(x);
  downloads(x);
  for (i = 0; i < x->n_acts; i++) {   /* patient zero: the host of the earliest activity */
    tells_ans_act *a = &x->acts[i];
    if (x->first_ns == TELLS_NO_TIME || a->first_ns < x->first_ns) x->first_ns = a->first_ns;
    if (x->last_ns == TELLS_NO_TIME || a->last_ns > x->last_ns) x->last_ns = a->last_ns;
    if (a->host >= 0 && (pz_t == TELLS_NO_TIME || a->first_ns < pz_t)) { pz_t = a->first_ns; x->pz = a->host; }
  }
  if (x->pz < 0) {   /* earliest implicated host */
    for (i = 0; i < x->n_hosts; i++)
      if (x->hosts[i].affected && x->hosts[i].first_ns != TELLS_NO_TIME &&
          (x->pz < 0 || x->hosts[i].first_ns < x->hosts[x->pz].first_ns))
        x->pz = i;
  }
}
