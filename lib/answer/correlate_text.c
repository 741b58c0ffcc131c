/*
** correlate_text.c -- the sentence and the details of one link: where the
** value was seen, per kind of evidence, e.g. "1.46.130.17 is in the strings
** of igfxtrayex.exe, the destination of 802 flows from 2 hosts and the
** source of 3 logons on DC01".
*/
#include <string.h>
#include "alloc.h"
#include "buf.h"
#include "correlate_int.h"
#include "json.h"

static const char SIGHT_SQL[] =
  "SELECT e.pillar, e.id, e.path, coalesce(s.context, ''), sum(s.count),"
  " (SELECT i2.value FROM sightings s2 JOIN indicators i2 ON i2.id=s2.indicator_id"
  "   WHERE s2.evidence_id=e.id AND s2.context='event log computer'"
  "   ORDER BY s2.count DESC, i2.value LIMIT 1)"
  " FROM corr_ind c JOIN sightings s ON s.indicator_id=c.ind JOIN evidence e ON e.id=s.evidence_id"
  " WHERE c.cls=? AND c.key=? GROUP BY e.id, s.context ORDER BY e.pillar, e.path, s.context";

#define NAMES 3
#define MAX_EV 64

/* Up to NAMES distinct names and how many there were. */
typedef struct names { char v[NAMES][64]; int n; } names;

static void names_add(names *x, const char *s, size_t len) {
  int i;
  if (len >= sizeof x->v[0]) len = sizeof x->v[0] - 1;
  for (i = 0; i < x->n && i < NAMES; i++)
    if (strncmp(x->v[i], s, len) == 0 && x->v[i][len] == 0) return;
  if (x->n < NAMES) { memcpy(x->v[x->n], s, len); x->v[x->n][len] = 0; }
  x->n++;
}

/* A host name without its domain ("DC01.crestline.corp" -> "DC01"). */
static void host_add(names *x, const char *fqdn) {
  const char *dot = strchr(fqdn, '.');
  if (*fqdn) names_add(x, fqdn, dot ? (size_t)(dot - fqdn) : strlen(fqdn));
}

static void names_put(tells_buf *b, const names *x) {
  int i, shown = x->n < NAMES ? x->n : NAMES;
  for (i = 0; i < shown; i++) {
    if (i) tells_buf_adds(b, i == shown - 1 && x->n <= NAMES ? " and " : ", ");
    tells_buf_adds(b, x->v[i]);
  }
  if (x->n > NAMES) tells_buf_addf(b, " and %d more", x->n - NAMES);
}

typedef struct acc {
  names code_files, hash_files, logon_hosts, proc_hosts, conn_hosts, log_files, other_logs;
  int64_t logons, failed, procs, conns, computer, dns, sni, http, body, other_net;
  int64_t ev[MAX_EV]; int n_ev;
} acc;

static void ev_add(acc *a, int64_t id) {
  int i;
  for (i = 0; i < a->n_ev; i++) if (a->ev[i] == id) return;
  if (a->n_ev < MAX_EV) a->ev[a->n_ev++] = id;
}

static void part(tells_buf *b, int *n) { tells_buf_adds(b, (*n)++ ? ", " : " is "); }

tells_err tells__corr_describe(tells_case *c, const corr_key *k, int64_t chain,
                               const char *severity, int n_findings,
                               char **summary, char **details, int64_t *n_evidence) {
  sqlite3_stmt *s;
  tells_buf b, d;
  tells_json j;
  acc a;
  tells_err e;
  int rc, n = 0, i, is_hash = strcmp(k->cls, "ip") != 0 && strcmp(k->cls, "host") != 0;
  size_t last_part = 0;
  const char *hname = strcmp(k->cls, "sha256") == 0 ? "SHA-256" : strcmp(k->cls, "md5") == 0 ? "MD5" : "SHA-1";
  *summary = *details = NULL;
  memset(&a, 0, sizeof a);
  if ((e = tells__corr_prep(c, SIGHT_SQL, &s))) return e;
  sqlite3_bind_text(s, 1, k->cls, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, k->key, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *pil = tells__corr_text(s, 0), *path = tells__corr_text(s, 2);
    const char *ctx = tells__corr_text(s, 3), *host = tells__corr_text(s, 5);
    const char *base = tells__corr_base(path);
    int64_t cnt = sqlite3_column_int64(s, 4);
    ev_add(&a, sqlite3_column_int64(s, 1));
    if (strcmp(pil, "code") == 0) {
      if (strcmp(ctx, "file hash") == 0) names_add(&a.hash_files, base, strlen(base));
      else names_add(&a.code_files, base, strlen(base));
    } else if (strcmp(pil, "logs") == 0) {
      if (strncmp(ctx, "logon.", 6) == 0 || strncmp(ctx, "rdp.", 4) == 0) {
        a.logons += cnt;
        if (strcmp(ctx, "logon.failure") == 0) a.failed += cnt;
        host_add(&a.logon_hosts, host);
      } else if (strcmp(ctx, "process.created") == 0) {
        a.procs += cnt; host_add(&a.proc_hosts, host);
      } else if (strcmp(ctx, "network.connection") == 0) {
        a.conns += cnt; host_add(&a.conn_hosts, host);
      } else if (strcmp(ctx, "event log computer") == 0) {
        a.computer++; names_add(&a.log_files, base, strlen(base));
      } else {
        host_add(&a.other_logs, host[0] ? host : base);
      }
    } else if (strcmp(pil, "net") == 0) {
      if (strcmp(ctx, "DNS query name") == 0) a.dns += cnt;
      else if (strncmp(ctx, "TLS server name", 15) == 0) a.sni += cnt;
      else if (strcmp(ctx, "HTTP host") == 0) a.http += cnt;
      else if (strcmp(ctx, "http.body") == 0) a.body += cnt;
      else if (strncmp(ctx, "country ", 8) != 0) a.other_net += cnt;
    }
  }
  if (rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate link text");
  sqlite3_finalize(s);
  if (e) return e;

  tells_buf_init(&b, 8192);
  tells_buf_adds(&b, k->key);
#define PART() (last_part = b.n, part(&b, &n))
  if (a.hash_files.n) { PART(); tells_buf_addf(&b, "the %s of ", hname); names_put(&b, &a.hash_files); }
  if (a.code_files.n) { PART(); tells_buf_adds(&b, "in the strings of "); names_put(&b, &a.code_files); }
  if (a.procs) {
    PART();
    tells_buf_addf(&b, "the image hash of %lld process start%s on ", (long long)a.procs, a.procs == 1 ? "" : "s");
    names_put(&b, &a.proc_hosts);
  }
  if (k->flows_dst) {
    PART();
    tells_buf_addf(&b, "the destination of %lld flow%s from ", (long long)k->flows_dst, k->flows_dst == 1 ? "" : "s");
    if (k->n_srcs == 1 && !k->peers_capped) tells_buf_adds(&b, k->top_src);
    else tells_buf_addf(&b, "%s%lld hosts", k->peers_capped ? "at least " : "", (long long)k->n_srcs);
  }
  if (k->flows_src) {
    PART();
    tells_buf_addf(&b, "the source of %lld flow%s to ", (long long)k->flows_src, k->flows_src == 1 ? "" : "s");
    if (k->n_dsts == 1 && !k->peers_capped) tells_buf_adds(&b, k->top_dst);
    else tells_buf_addf(&b, "%s%lld hosts", k->peers_capped ? "at least " : "", (long long)k->n_dsts);
  }
  if (a.dns) { PART(); tells_buf_addf(&b, "a DNS query name (%lld queries)", (long long)a.dns); }
  if (a.sni) { PART(); tells_buf_addf(&b, "the TLS server name of %lld connection%s", (long long)a.sni, a.sni == 1 ? "" : "s"); }
  if (a.http) { PART(); tells_buf_addf(&b, "the host of %lld HTTP request%s", (long long)a.http, a.http == 1 ? "" : "s"); }
  if (a.body) { PART(); tells_buf_addf(&b, "the %s of %lld HTTP response bod%s", hname, (long long)a.body, a.body == 1 ? "y" : "ies"); }
  if (a.other_net) { PART(); tells_buf_addf(&b, "seen %lld times in captures", (long long)a.other_net); }
  if (a.logons) {
    PART();
    tells_buf_addf(&b, "the source of %lld logon%s", (long long)a.logons, a.logons == 1 ? "" : "s");
    if (a.failed) tells_buf_addf(&b, " (%lld failed)", (long long)a.failed);
    if (a.logon_hosts.n) { tells_buf_adds(&b, " on "); names_put(&b, &a.logon_hosts); }
  }
  if (a.conns) {
    PART();
    tells_buf_addf(&b, "the destination of %lld Sysmon network connection%s on ", (long long)a.conns, a.conns == 1 ? "" : "s");
    names_put(&b, &a.conn_hosts);
  }
  if (a.computer) { PART(); tells_buf_addf(&b, "the computer name of %lld event log%s", (long long)a.computer, a.computer == 1 ? "" : "s"); }
  if (a.other_logs.n) { PART(); tells_buf_adds(&b, "named in the event logs of "); names_put(&b, &a.other_logs); }
#undef PART
  if (n >= 2 && !b.err) {      /* "a, b, c" -> "a, b and c" */
    char *p = b.p + last_part;
    if (p[0] == ',' && p[1] == ' ') {
      tells_buf tail;
      tells_buf_init(&tail, 8192);
      tells_buf_adds(&tail, p + 2);
      b.n = last_part;
      tells_buf_adds(&b, " and ");
      tells_buf_adds(&b, tells_buf_str(&tail));
      tells_buf_free(&tail);
    }
  }
  *n_evidence = a.n_ev;
  if (!(k->pillars & CORR_NET) || !(a.dns || a.sni || a.http || a.body || a.other_net)) {
    int64_t fe = k->flow_ev_dst > k->flow_ev_src ? k->flow_ev_dst : k->flow_ev_src;
    *n_evidence += fe;        /* captures that hold the flows */
  }

  tells_buf_init(&d, 1u << 16);
  tells_json_init_buf(&j, &d, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "type", k->cls);
  tells_json_kstr(&j, "value", k->key);
  tells_json_ki64(&j, "chain", chain);
  tells_json_kstr(&j, "severity", severity);
  tells_json_ki64(&j, "findings", n_findings);
  if (is_hash) tells_json_ki64(&j, "process_starts", a.procs);
  tells_json_ki64(&j, "binaries", a.code_files.n + a.hash_files.n);
  if (!is_hash) {
    tells_json_ki64(&j, "flows_as_destination", k->flows_dst);
    tells_json_ki64(&j, "flows_as_source", k->flows_src);
    tells_json_ki64(&j, "logons", a.logons);
    tells_json_ki64(&j, "failed_logons", a.failed);
    tells_json_ki64(&j, "dns_queries", a.dns);
    tells_json_ki64(&j, "tls_sni", a.sni);
    tells_json_ki64(&j, "http_hosts", a.http);
  }
  tells_json_key(&j, "evidence");
  tells_json_arr(&j);
  for (i = 0; i < a.n_ev; i++) tells_json_i64(&j, a.ev[i]);
  tells_json_arr_end(&j);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  if (b.err || d.err) e = b.err ? b.err : d.err;
  else if (!(*summary = tells_strdup(tells_buf_str(&b))) || !(*details = tells_strdup(tells_buf_str(&d)))) {
    tells_free(*summary);
    *summary = NULL;
    e = TELLS_ENOMEM;
  }
  tells_buf_free(&b);
  tells_buf_free(&d);
  return e;
}
