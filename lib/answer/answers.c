/*
** answers.c -- the answers stage's driver and the helpers its question
** files share: writing answer rows, the table of hosts, time text.
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "answers.h"
#include "ingest.h"
#include "tstamp.h"

#define ROW_LIMIT (4u << 20)   /* bytes of one row's details or references */

/* ---- rows ---- */

void tells_ans_row_begin(tells_ans_row *w) {
  memset(w, 0, sizeof *w);
  tells_buf_init(&w->db, ROW_LIMIT);
  tells_buf_init(&w->rb, ROW_LIMIT);
  tells_json_init_buf(&w->d, &w->db, 0);
  tells_json_init_buf(&w->r, &w->rb, 0);
  tells_json_obj(&w->d);
  tells_json_arr(&w->r);
}

void tells_ans_ref(tells_ans_row *w, const char *kind, int64_t id) {
  int i;
  for (i = 0; i < w->n_refs; i++)
    if (w->ref_id[i] == id && strcmp(w->ref_kind[i], kind) == 0) return;
  if (w->n_refs >= TELLS_ANS_MAX_REFS) { w->refs_more++; return; }
  snprintf(w->ref_kind[w->n_refs], sizeof w->ref_kind[0], "%s", kind);
  w->ref_id[w->n_refs++] = id;
  tells_json_obj(&w->r);
  tells_json_ki64(&w->r, kind, id);
  tells_json_obj_end(&w->r);
}

sqlite3_stmt *tells_ans_prep(tells_ans *x, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (x->err) return NULL;
  if (sqlite3_prepare_v2(x->db, sql, -1, &s, NULL) != SQLITE_OK) {
    x->err = tells__case_dberr(x->c, "answers");
    return NULL;
  }
  return s;
}

int tells_ans_step(tells_ans *x, sqlite3_stmt *s) {
  int rc;
  if (!s || x->err) return 0;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return 1;
  if (rc != SQLITE_DONE) x->err = tells__case_dberr(x->c, "answers");
  return 0;
}

const char *tells_ans_col(sqlite3_stmt *s, int i) {
  const char *t = (const char *)sqlite3_column_text(s, i);
  return t ? t : "";
}

void tells_ans_put(tells_ans *x, tells_ans_row *w, const char *question, int ordinal,
                   const char *title, const char *answer, double confidence) {
  sqlite3_stmt *s;
  if (w->refs_more) tells_json_ku64(&w->d, "evidence_more", w->refs_more);
  tells_json_obj_end(&w->d);
  tells_json_arr_end(&w->r);
  tells_json_flush(&w->d);
  tells_json_flush(&w->r);
  if (!x->err && (w->d.err || w->r.err || w->db.err || w->rb.err)) x->err = TELLS_ELIMIT;
  if (!x->err && (s = tells_ans_prep(x,
        "INSERT INTO answers(question, ordinal, title, answer, confidence, details, evidence)"
        " VALUES(?,?,?,?,?,?,?)"))) {
    sqlite3_bind_text(s, 1, question, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, ordinal);
    sqlite3_bind_text(s, 3, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, answer, -1, SQLITE_TRANSIENT);
    if (confidence < 0) sqlite3_bind_null(s, 5);
    else sqlite3_bind_double(s, 5, (double)(int64_t)(confidence * 100 + 0.5) / 100);
    sqlite3_bind_text(s, 6, tells_buf_str(&w->db), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, tells_buf_str(&w->rb), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) x->err = tells__case_dberr(x->c, "answers");
    sqlite3_finalize(s);
  }
  tells_buf_free(&w->db);
  tells_buf_free(&w->rb);
}

void tells_ans_none(tells_ans *x, const char *question, const char *title, const char *answer) {
  tells_ans_row w;
  tells_ans_row_begin(&w);
  tells_json_kbool(&w.d, "none", 1);
  tells_ans_put(x, &w, question, 0, title, answer, -1);
}

/* ---- times ---- */

void tells_ans_time(int64_t ns, char out[40]) {
  struct tm tm;
  time_t sec;
  if (ns == TELLS_NO_TIME) { snprintf(out, 40, "unknown time"); return; }
  sec = (time_t)(ns / 1000000000);
  if (ns % 1000000000 < 0) sec--;
  if (!gmtime_r(&sec, &tm)) { snprintf(out, 40, "%lld", (long long)ns); return; }
  strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n, int *v) {
  int i;
  *v = 0;
  for (i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return 0;
    *v = *v * 10 + (s[i] - '0');
  }
  return 1;
}

/* A timestamp of the case's text, with its zone suffix ("Z", "+09:00")
** applied. */
int64_t tells_ans_parse_time(const char *s) {
  size_t end;
  int64_t t;
  const char *p;
  if (!s || (t = tells_tstamp_parse(s, strlen(s), &end)) == INT64_MIN) return TELLS_NO_TIME;
  p = s + end;
  if ((*p == '+' || *p == '-') && strlen(p) >= 5) {
    int oh, om;
    const char *q = p + 1;
    if (!digits(q, 2, &oh)) return TELLS_NO_TIME;
    q += 2;
    if (*q == ':') q++;
    if (!digits(q, 2, &om)) return TELLS_NO_TIME;
    t -= (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1) * 1000000000;
  }
  return t;
}

int64_t tells_ans_burst(int64_t *t, int n) {
  int i, k, need, best = 0;
  int64_t span;
  for (i = 1; i < n; i++) {
    int64_t v = t[i];
    for (k = i; k > 0 && t[k - 1] > v; k--) t[k] = t[k - 1];
    t[k] = v;
  }
  if (n <= 0) return TELLS_NO_TIME;
  need = (n + 1) / 2 < 3 ? 3 : (n + 1) / 2;
  if (n < need) return t[0];
  for (i = 1; i + need - 1 < n; i++)
    if (t[i + need - 1] - t[i] < t[best + need - 1] - t[best]) best = i;
  /* back to the start of the cluster: earlier times closer than the
  ** densest window is long belong to it */
  span = t[best + need - 1] - t[best];
  if (span < 60000000000LL) span = 60000000000LL;
  while (best > 0 && t[best] - t[best - 1] <= span) best--;
  return t[best];
}

/* ---- hosts ---- */

int tells_ans_internal(const char *ip) {
  unsigned a, b, c, d;
  char tail;
  if (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4) {
    if (a > 255 || b > 255 || c > 255 || d > 255) return 0;
    return a == 10 || a == 127 || (a == 172 && b >= 16 && b <= 31) ||
           (a == 192 && b == 168) || (a == 169 && b == 254);
  }
  if (strchr(ip, ':')) {
    return strncmp(ip, "::1", 4) == 0 || strncasecmp(ip, "fc", 2) == 0 ||
           strncasecmp(ip, "fd", 2) == 0 || strncasecmp(ip, "fe8", 3) == 0 ||
           strncasecmp(ip, "fe9", 3) == 0 || strncasecmp(ip, "fea", 3) == 0 ||
           strncasecmp(ip, "feb", 3) == 0;
  }
  return 0;
}

void tells_ans_host_key(const char *in, char out[64]) {
  size_t i;
  for (i = 0; in && in[i] && in[i] != '.' && i < 63; i++) out[i] = (char)toupper((unsigned char)in[i]);
  out[i] = 0;
}

static int new_host(tells_ans *x, const char *name) {
  tells_ans_host *h;
  if (x->n_hosts >= TELLS_ANS_MAX_HOSTS) return -1;
  h = &x->hosts[x->n_hosts];
  memset(h, 0, sizeof *h);
  snprintf(h->name, sizeof h->name, "%s", name);
  h->first_ns = h->last_ns = TELLS_NO_TIME;
  return x->n_hosts++;
}

int tells_ans_host_name(tells_ans *x, const char *name, int create) {
  char n[64];
  int i;
  tells_ans_host_key(name, n);
  if (!n[0]) return -1;
  for (i = 0; i < x->n_hosts; i++) if (strcmp(x->hosts[i].name, n) == 0) return i;
  return create ? new_host(x, n) : -1;
}

int tells_ans_host_ip(tells_ans *x, const char *ip, int create) {
  int i, k;
  if (!ip || !ip[0] || !tells_ans_internal(ip)) return -1;
  for (i = 0; i < x->n_hosts; i++)
    for (k = 0; k < x->hosts[i].n_ips; k++)
      if (strcmp(x->hosts[i].ips[k], ip) == 0) return i;
  if (!create) return -1;
  if ((i = new_host(x, ip)) < 0) return -1;
  snprintf(x->hosts[i].ips[0], 46, "%s", ip);
  x->hosts[i].n_ips = 1;
  return i;
}

void tells_ans_implicate(tells_ans *x, int h, const char *kind, int64_t t,
                         const char *ref_kind, int64_t ref_id, const char *text) {
  tells_ans_host *o;
  tells_ans_how *w;
  uint32_t i;
  if (h < 0 || h >= x->n_hosts) return;
  o = &x->hosts[h];
  o->affected = 1;
  if (t != TELLS_NO_TIME) {
    if (o->first_ns == TELLS_NO_TIME || t < o->first_ns) o->first_ns = t;
    if (o->last_ns == TELLS_NO_TIME || t > o->last_ns) o->last_ns = t;
  }
  for (i = 0; i < o->n_how; i++)   /* one line per distinct reason */
    if (strcmp(o->how[i].text, text) == 0) return;
  if (o->n_how >= TELLS_ANS_MAX_HOW) { o->how_dropped++; return; }
  w = &o->how[o->n_how++];
  snprintf(w->kind, sizeof w->kind, "%s", kind);
  snprintf(w->text, sizeof w->text, "%s", text);
  w->time_ns = t;
  snprintf(w->ref_kind, sizeof w->ref_kind, "%s", ref_kind);
  w->ref_id = ref_id;
}

int tells_ans_host_of_path(const char *path, char *out, size_t n) {
  const char *p = path, *q;
  size_t k;
  while ((q = strstr(p, "hosts/")) != NULL) {
    if (q == path || q[-1] == '/') {
      q += 6;
      for (k = 0; q[k] && q[k] != '/'; k++) {}
      if (!k || !q[k] || k >= n) return 0;
      for (n = 0; n < k; n++) out[n] = (char)toupper((unsigned char)q[n]);
      out[k] = 0;
      return 1;
    }
    p = q + 6;
  }
  return 0;
}

int tells_ans_bin_by_file(const tells_ans *x, const char *file) {
  int i;
  for (i = 0; i < x->n_bins; i++) if (strcasecmp(x->bins[i].file, file) == 0) return i;
  return -1;
}

/* ---- the stage ---- */

tells_err tells_answers_build(tells_case *c) {
  tells_ans x;
  memset(&x, 0, sizeof x);
  x.c = c; x.db = c->db;
  x.pz = -1;
  x.first_ns = x.last_ns = TELLS_NO_TIME;
  x.hosts = tells_calloc(TELLS_ANS_MAX_HOSTS, sizeof *x.hosts);
  x.bins = tells_calloc(TELLS_ANS_MAX_BINS, sizeof *x.bins);
  x.acts = tells_calloc(TELLS_ANS_MAX_ACTS, sizeof *x.acts);
  if (!x.hosts || !x.bins || !x.acts) x.err = TELLS_ENOMEM;
  if (!x.err) tells_ans_collect(&x);
  if (!x.err) tells_ans_what(&x);
  if (!x.err) tells_ans_hosts(&x);
  if (!x.err) tells_ans_entry(&x);
  if (!x.err) tells_ans_movement(&x);
  if (!x.err) tells_ans_exfil(&x);
  if (!x.err) tells_ans_destruction(&x);
  if (!x.err) tells_ans_attribution(&x);
  tells_free(x.hosts);
  tells_free(x.bins);
  tells_free(x.acts);
  return x.err;
}
