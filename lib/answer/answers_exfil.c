/*
** answers_exfil.c -- "what left, how much, to where" (bytes per external
** destination with its country and sources, a per-day and, for short
** cases, per-hour series, and DNS tunnels) and "is destruction staged or did
** it happen" (wiper capabilities of flagged binaries, kernel-driver
** services out of place or near other signs of destruction, inhibited
** recovery, mass deletion, log clearing).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "answers.h"
#include "ingest.h"

#define MAX_DEST 256
#define MAX_BUCKETS 400
#define DAY_NS 86400000000000LL
#define HOUR_NS 3600000000000LL

typedef struct bucket { int64_t t; uint64_t bytes; } bucket;

typedef struct dest {
  char ip[46], country[8];
  uint64_t bytes, flows;
  int64_t first_ns, last_ns;
  char sources[8][64]; int n_src;
  int64_t refs[16]; int n_refs;
  bucket day[MAX_BUCKETS]; int n_day;
  bucket hour[MAX_BUCKETS]; int n_hour;
} dest;

static void bucket_add(bucket *b, int *n, int64_t t, uint64_t bytes) {
  int i;
  for (i = 0; i < *n && b[i].t != t; i++) {}
  if (i == *n) {
    if (*n >= MAX_BUCKETS) return;
    b[i].t = t; b[i].bytes = 0; (*n)++;
  }
  b[i].bytes += bytes;
}

static int64_t floor_to(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step < 0) q--;
  return q * step;
}

static void sort_buckets(bucket *b, int n) {
  int i, k;
  for (i = 1; i < n; i++) {
    bucket v = b[i];
    for (k = i; k > 0 && b[k - 1].t > v.t; k--) b[k] = b[k - 1];
    b[k] = v;
  }
}

static void series_json(tells_json *j, const char *key, const bucket *b, int n, int day) {
  char t[40];
  int i;
  tells_json_key(j, key); tells_json_arr(j);
  for (i = 0; i < n; i++) {
    tells_json_obj(j);
    tells_ans_time(b[i].t, t);
    if (day) t[10] = 0;
    else { t[13] = 0; }
    tells_json_kstr(j, day ? "day" : "hour", t);
    tells_json_ku64(j, "bytes", b[i].bytes);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
}

static void mb(uint64_t b, char out[32]) {
  if (b >= 1000000000ull) snprintf(out, 32, "%.2f GB", (double)b / 1e9);
  else if (b >= 1000000ull) snprintf(out, 32, "%.1f MB", (double)b / 1e6);
  else snprintf(out, 32, "%.1f kB", (double)b / 1e3);
}

static int dest_cmp(const void *a, const void *b) {
  const dest *p = a, *q = b;
  if (p->bytes != q->bytes) return p->bytes > q->bytes ? -1 : 1;
  return strcmp(p->ip, q->ip);
}

static dest *dest_get(dest *d, int *n, const char *ip) {
  int i;
  for (i = 0; i < *n; i++) if (strcmp(d[i].ip, ip) == 0) return &d[i];
  if (*n >= MAX_DEST) return NULL;
  memset(&d[*n], 0, sizeof d[*n]);
  snprintf(d[*n].ip, sizeof d[*n].ip, "%s", ip);
  d[*n].first_ns = d[*n].last_ns = TELLS_NO_TIME;
  return &d[(*n)++];
}

static void dns_tunnels(tells_ans *x, tells_ans_row *w, char *text, size_t n) {
  sqlite3_stmt *s = tells_ans_prep(x,
    "SELECT f.id, f.summary, json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.domain'),"
    " json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.queries') FROM findings f"
    " WHERE f.rule = 'net.dns_tunnel' AND json_valid(f.details) ORDER BY f.first_ns, f.id");
  size_t m = strlen(text);
  int k = 0;
  tells_json_key(&w->d, "dns_tunnels"); tells_json_arr(&w->d);
  while (s && tells_ans_step(x, s)) {
    char ip[46] = "";
    int h;
    sscanf(tells_ans_col(s, 1), "%45s", ip);
    h = tells_ans_host_ip(x, ip, 0);
    tells_json_obj(&w->d);
    tells_json_kstr(&w->d, "domain", tells_ans_col(s, 2));
    tells_json_ki64(&w->d, "queries", sqlite3_column_int64(s, 3));
    tells_json_kstr(&w->d, "source", h >= 0 ? x->hosts[h].name : ip);
    tells_json_ki64(&w->d, "finding", sqlite3_column_int64(s, 0));
    tells_json_obj_end(&w->d);
    tells_ans_ref(w, "finding", sqlite3_column_int64(s, 0));
    if (m < n)
      m += (size_t)snprintf(text + m, n - m, "%s DNS tunnel under %s from %s (%lld queries)", k++ ? "," : ";",
                            tells_ans_col(s, 2), h >= 0 ? x->hosts[h].name : ip,
                            (long long)sqlite3_column_int64(s, 3));
  }
  tells_json_arr_end(&w->d);
  sqlite3_finalize(s);
}

static void dest_json(const dest *d, tells_json *j, int hourly) {
  char t[40];
  int k;
  tells_json_kstr(j, "dest_ip", d->ip);
  tells_json_kstr(j, "country", d->country[0] ? d->country : NULL);
  tells_json_ku64(j, "bytes", d->bytes);
  tells_json_ku64(j, "flows", d->flows);
  tells_ans_time(d->first_ns, t); tells_json_kstr(j, "first", t);
  tells_ans_time(d->last_ns, t); tells_json_kstr(j, "last", t);
  tells_json_key(j, "sources"); tells_json_arr(j);
  for (k = 0; k < d->n_src; k++) tells_json_str(j, d->sources[k]);
  tells_json_arr_end(j);
  series_json(j, "per_day", d->day, d->n_day, 1);
  if (hourly) series_json(j, "per_hour", d->hour, d->n_hour, 0);
}

void tells_ans_exfil(tells_ans *x) {
  dest *d;
  int n = 0, i, k, hourly;
  uint64_t total = 0;
  int64_t first = TELLS_NO_TIME, last = TELLS_NO_TIME;
  char text[4096], b[32];
  size_t m;
  sqlite3_stmt *s;
  tells_ans_row w;
  if (!(d = tells_calloc(MAX_DEST, sizeof *d))) { x->err = TELLS_ENOMEM; return; }
  s = tells_ans_prep(x,
    "SELECT f.id, f.summary, json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.bytes_out'),"
    " coalesce(json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.dest_country'), ''),"
    " json_extract(" TELLS_ANS_DJ("f.") ", '$.figures.flows'), f.first_ns, coalesce(f.last_ns, f.first_ns)"
    " FROM findings f WHERE f.rule = 'net.exfil' AND json_valid(f.details) ORDER BY f.first_ns, f.id");
  while (s && tells_ans_step(x, s)) {
    char src[46] = "", dip[46] = "";
    dest *o;
    int h;
    if (sscanf(tells_ans_col(s, 1), "%45s sent %*s %*s to %45s", src, dip) != 2 || !(o = dest_get(d, &n, dip)))
      continue;
    o->bytes += (uint64_t)sqlite3_column_int64(s, 2);
    o->flows += (uint64_t)sqlite3_column_int64(s, 4);
    if (!o->country[0]) snprintf(o->country, sizeof o->country, "%s", tells_ans_col(s, 3));
    if (o->first_ns == TELLS_NO_TIME || sqlite3_column_int64(s, 5) < o->first_ns) o->first_ns = sqlite3_column_int64(s, 5);
    if (o->last_ns == TELLS_NO_TIME || sqlite3_column_int64(s, 6) > o->last_ns) o->last_ns = sqlite3_column_int64(s, 6);
    h = tells_ans_host_ip(x, src, 0);
    for (k = 0; k < o->n_src && strcmp(o->sources[k], h >= 0 ? x->hosts[h].name : src) != 0; k++) {}
    if (k == o->n_src && k < 8) snprintf(o->sources[o->n_src++], 64, "%s", h >= 0 ? x->hosts[h].name : src);
    if (o->n_refs < 16) o->refs[o->n_refs++] = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  /* the series, from the flows each finding lists */
  s = tells_ans_prep(x,
    "SELECT f.summary, json_extract(r.value, '$.start'), json_extract(r.value, '$.bytes_out')"
    " FROM findings f, json_each(" TELLS_ANS_DJ("f.") ", '$.flows') r WHERE f.rule = 'net.exfil' AND json_valid(f.details)");
  for (i = 0; i < n; i++) {
    if (first == TELLS_NO_TIME || d[i].first_ns < first) first = d[i].first_ns;
    if (last == TELLS_NO_TIME || d[i].last_ns > last) last = d[i].last_ns;
  }
  hourly = n && last - first < 3 * DAY_NS;
  while (s && tells_ans_step(x, s)) {
    char dip[46] = "";
    dest *o = NULL;
    int64_t t = tells_ans_parse_time(tells_ans_col(s, 1));
    if (sscanf(tells_ans_col(s, 0), "%*s sent %*s %*s to %45s", dip) != 1 || t == TELLS_NO_TIME) continue;
    for (i = 0; i < n && !o; i++) if (strcmp(d[i].ip, dip) == 0) o = &d[i];
    if (!o) continue;
    bucket_add(o->day, &o->n_day, floor_to(t, DAY_NS), (uint64_t)sqlite3_column_int64(s, 2));
    bucket_add(o->hour, &o->n_hour, floor_to(t, HOUR_NS), (uint64_t)sqlite3_column_int64(s, 2));
  }
  sqlite3_finalize(s);
  qsort(d, (size_t)n, sizeof *d, dest_cmp);   /* largest first */
  for (i = 0; i < n; i++) { total += d[i].bytes; sort_buckets(d[i].day, d[i].n_day); sort_buckets(d[i].hour, d[i].n_hour); }
  if (!n) snprintf(text, sizeof text, "No exfiltration seen: no large outbound transfer to an external host");
  else {
    mb(total, b);
    m = (size_t)snprintf(text, sizeof text, "%s left to %d external %s:", b, n, n == 1 ? "destination" : "destinations");
    for (i = 0; i < n && m < sizeof text; i++) {
      mb(d[i].bytes, b);
      m += (size_t)snprintf(text + m, sizeof text - m, "%s %s to %s%s%s%s from %s", i ? "," : "", b, d[i].ip,
                            d[i].country[0] ? " (" : "", d[i].country, d[i].country[0] ? ")" : "",
                            d[i].n_src ? d[i].sources[0] : "?");
    }
  }
  tells_ans_row_begin(&w);
  tells_json_ku64(&w.d, "bytes", total);
  tells_json_kstr(&w.d, "series_bucket", hourly ? "hour" : "day");
  tells_json_key(&w.d, "destinations"); tells_json_arr(&w.d);
  for (i = 0; i < n; i++) {
    tells_json_obj(&w.d); dest_json(&d[i], &w.d, hourly); tells_json_obj_end(&w.d);
    for (k = 0; k < d[i].n_refs; k++) tells_ans_ref(&w, "finding", d[i].refs[k]);
  }
  tells_json_arr_end(&w.d);
  dns_tunnels(x, &w, text, sizeof text);
  m = strlen(text);
  if (m < sizeof text) snprintf(text + m, sizeof text - m, ".");
  if (!n && !w.n_refs) {
    tells_json_kbool(&w.d, "none", 1);
    snprintf(text, sizeof text, "Nothing left the network that looks like exfiltration:"
             " no large outbound transfer to an external host and no DNS tunnel.");
  }
  tells_ans_put(x, &w, "exfil", 0, "What left, how much, to where", text, -1);
  for (i = 0; i < n; i++) {
    char t1[40], t2[40];
    mb(d[i].bytes, b);
    tells_ans_time(d[i].first_ns, t1); tells_ans_time(d[i].last_ns, t2);
    snprintf(text, sizeof text, "%s to %s%s%s%s in %llu flows from %s, %s to %s", b, d[i].ip,
             d[i].country[0] ? " (" : "", d[i].country, d[i].country[0] ? ")" : "",
             (unsigned long long)d[i].flows, d[i].n_src ? d[i].sources[0] : "?", t1, t2);
    tells_ans_row_begin(&w);
    dest_json(&d[i], &w.d, hourly);
    for (k = 0; k < d[i].n_refs; k++) tells_ans_ref(&w, "finding", d[i].refs[k]);
    tells_ans_put(x, &w, "exfil", i + 1, d[i].ip, text, -1);
  }
  tells_free(d);
}

/* ---- destruction ---- */

/* Where destruction shows in the logs besides driver installs: mass
** deletion, log clearing and recovery inhibited, by host and time.  A
** kernel-driver install in a system folder counts as a means of
** destruction only near one of them (DRV_NEAR_NS on the same host):
** Windows and VM tools install dozens of drivers at setup, in bursts, far
** from any of them. */
#define DRV_NEAR_NS DAY_NS
#define DSIG_MAX 4096
typedef struct dsig { char host[64]; int64_t t; } dsig;
typedef struct dsigs { dsig v[DSIG_MAX]; int n, routine; } dsigs;

/* Techniques of destruction and of inhibited recovery (shadow copies
** deleted, boot recovery disabled), as findings' techniques or Sigma tags;
** mass deletion (T1485 too) has its own list. */
#define RECOVERY_SQL \
  " f.source = 'logs' AND f.rule <> 'evtx-mass-deletion' AND f.tactic = 'impact'" \
  " AND f.severity IN ('medium', 'high', 'critical')" \
  " AND (substr(f.technique, 1, 5) IN ('T1485', 'T1486', 'T1490', 'T1495', 'T1561')" \
  "  OR EXISTS (SELECT 1 FROM json_each(" TELLS_ANS_DJ("f.") ", '$.tags') t" \
  "   WHERE substr(lower(t.value), 1, 12) IN ('attack.t1485', 'attack.t1486', 'attack.t1490'," \
  "    'attack.t1495', 'attack.t1561')))"

static void load_dsigs(tells_ans *x, dsigs *d) {
  sqlite3_stmt *s = tells_ans_prep(x, "SELECT json_extract(" TELLS_ANS_DJ("f.") ", '$.host'), f.first_ns FROM findings f"
                                      " WHERE f.first_ns IS NOT NULL AND (f.rule IN ('evtx-mass-deletion', 'evtx-log-cleared')"
                                      " OR (" RECOVERY_SQL ")) ORDER BY f.first_ns, f.id");
  d->n = d->routine = 0;
  while (s && tells_ans_step(x, s) && d->n < DSIG_MAX) {
    tells_ans_host_key(tells_ans_col(s, 0), d->v[d->n].host);
    d->v[d->n].t = sqlite3_column_int64(s, 1);
    if (d->v[d->n].host[0]) d->n++;
  }
  sqlite3_finalize(s);
}

/* Row (id, host, summary, first_ns, suspicious_image, driver_out_of_place)
** of a kernel-driver install: 1 when it counts as a means of destruction. */
static int driver_counts(void *ctx, sqlite3_stmt *s) {
  dsigs *d = ctx;
  char h[64];
  int i;
  if (sqlite3_column_int(s, 4) || sqlite3_column_int(s, 5)) return 1;
  tells_ans_host_key(tells_ans_col(s, 1), h);
  for (i = 0; h[0] && sqlite3_column_type(s, 3) != SQLITE_NULL && i < d->n; i++) {
    int64_t dt = d->v[i].t - sqlite3_column_int64(s, 3);
    if (!strcmp(d->v[i].host, h) && dt <= DRV_NEAR_NS && dt >= -DRV_NEAR_NS) return 1;
  }
  d->routine++;
  return 0;
}

/* Appends host names of the findings the query returns (id, host, summary,
** first_ns, ...) that keep() accepts (all when NULL) and returns how many
** distinct hosts. */
static int signal_f(tells_ans *x, tells_ans_row *w, const char *key, const char *sql,
                    int (*keep)(void *, sqlite3_stmt *), void *ctx,
                    char *hosts, size_t hn, int64_t *first, char *what, size_t wn) {
  sqlite3_stmt *s = tells_ans_prep(x, sql);
  unsigned char seen[TELLS_ANS_MAX_HOSTS];
  int n = 0;
  size_t m = 0;
  hosts[0] = 0;
  memset(seen, 0, sizeof seen);
  *first = TELLS_NO_TIME;
  tells_json_key(&w->d, key); tells_json_arr(&w->d);
  while (s && tells_ans_step(x, s)) {
    char name[64];
    int h;
    if (keep && !keep(ctx, s)) continue;
    h = tells_ans_host_name(x, tells_ans_col(s, 1), 0);
    snprintf(name, sizeof name, "%s", h >= 0 ? x->hosts[h].name : tells_ans_col(s, 1));
    tells_json_obj(&w->d);
    tells_json_kstr(&w->d, "host", name);
    tells_json_kstr(&w->d, "what", tells_ans_col(s, 2));
    tells_json_ki64(&w->d, "finding", sqlite3_column_int64(s, 0));
    tells_json_obj_end(&w->d);
    tells_ans_ref(w, "finding", sqlite3_column_int64(s, 0));
    if (*first == TELLS_NO_TIME && sqlite3_column_type(s, 3) != SQLITE_NULL) {
      *first = sqlite3_column_int64(s, 3);
      snprintf(what, wn, "%s", tells_ans_col(s, 2));
    }
    if (h >= 0 ? !seen[h] : !strstr(hosts, name)) {
      if (h >= 0) seen[h] = 1;
      n++;
      if (m < hn) m += (size_t)snprintf(hosts + m, hn - m, "%s%s", m ? ", " : "", name);
    }
  }
  tells_json_arr_end(&w->d);
  sqlite3_finalize(s);
  return n;
}

static int signal(tells_ans *x, tells_ans_row *w, const char *key, const char *sql,
                  char *hosts, size_t hn, int64_t *first, char *what, size_t wn) {
  return signal_f(x, w, key, sql, NULL, NULL, hosts, hn, first, what, wn);
}

void tells_ans_destruction(tells_ans *x) {
  tells_ans_row w;
  char text[4096], hd[2048], hs[2048], hl[2048], hr[2048], caps[1024], wd[TELLS_ANS_TEXT], ws[TELLS_ANS_TEXT],
      wl[TELLS_ANS_TEXT], wr[TELLS_ANS_TEXT];
  int n_del, n_drv, n_clr, n_rec, n_bin = 0, i;
  int64_t t_del, t_drv, t_clr, t_rec;
  dsigs *ds = tells_calloc(1, sizeof *ds);
  const char *verdict;
  size_t m = 0;
  sqlite3_stmt *s;
  caps[0] = 0;
  tells_ans_row_begin(&w);
  n_del = signal(x, &w, "mass_deletion",
                 "SELECT id, json_extract(" TELLS_ANS_DJ("") ", '$.host'), summary, first_ns FROM findings"
                 " WHERE rule = 'evtx-mass-deletion' AND json_valid(details) AND json_extract(" TELLS_ANS_DJ("") ", '$.wiper')"
                 " ORDER BY first_ns, id", hd, sizeof hd, &t_del, wd, sizeof wd);
  if (ds) load_dsigs(x, ds);
  n_drv = signal_f(x, &w, "driver_services",
                   "SELECT id, json_extract(" TELLS_ANS_DJ("") ", '$.host'), summary, first_ns,"
                   " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.suspicious_image'), 0),"
                   " coalesce(json_extract(" TELLS_ANS_DJ("") ", '$.driver_out_of_place'), 0) FROM findings"
                   " WHERE rule = 'evtx-new-service' AND json_valid(details)"
                   " AND json_extract(" TELLS_ANS_DJ("") ", '$.defender_update') IS NULL"
                   " AND (json_extract(" TELLS_ANS_DJ("") ", '$.kernel_driver')"
                   "  OR json_extract(" TELLS_ANS_DJ("") ", '$.service_type') LIKE '%kernel%'"
                   "  OR lower(json_extract(" TELLS_ANS_DJ("") ", '$.image_path')) LIKE '%.sys')"
                   " ORDER BY first_ns, id", ds ? driver_counts : NULL, ds, hs, sizeof hs, &t_drv, ws, sizeof ws);
  n_rec = signal(x, &w, "recovery_inhibited",
                 "SELECT f.id, json_extract(" TELLS_ANS_DJ("f.") ", '$.host'), f.summary, f.first_ns FROM findings f"
                 " WHERE " RECOVERY_SQL " ORDER BY f.first_ns, f.id", hr, sizeof hr, &t_rec, wr, sizeof wr);
  n_clr = signal(x, &w, "log_clearing",
                 "SELECT id, json_extract(" TELLS_ANS_DJ("") ", '$.host'), summary, first_ns FROM findings"
                 " WHERE rule = 'evtx-log-cleared' AND json_valid(details) ORDER BY first_ns, id",
                 hl, sizeof hl, &t_clr, wl, sizeof wl);
  /* wiper capabilities of flagged binaries */
  tells_json_key(&w.d, "binaries"); tells_json_arr(&w.d);
  s = tells_ans_prep(x, "SELECT f.id, substr(f.rule, 12), f.technique FROM findings f"
                        " WHERE f.evidence_id = ? AND f.source = 'code' AND f.rule LIKE 'capability:%'"
                        " AND (f.tactic = 'impact' OR f.rule IN ('capability:embedded-driver',"
                        " 'capability:event-log-clearing')) ORDER BY f.rule, f.id");
  for (i = 0; s && i < x->n_bins; i++) {
    int k = 0, wiper = 0;
    char bc[512];
    size_t bm = 0;
    bc[0] = 0;
    sqlite3_bind_int64(s, 1, x->bins[i].evidence_id);
    while (tells_ans_step(x, s)) {
      if (!k++) {
        tells_json_obj(&w.d);
        tells_json_kstr(&w.d, "file", x->bins[i].file);
        tells_json_kstr(&w.d, "sha256", x->bins[i].sha256);
        tells_json_ku64(&w.d, "copies", x->bins[i].copies);
        tells_json_key(&w.d, "capabilities"); tells_json_arr(&w.d);
      }
      tells_json_str(&w.d, tells_ans_col(s, 1));
      wiper |= strcmp(tells_ans_col(s, 1), "raw-disk-access") == 0 || strcmp(tells_ans_col(s, 1), "file-encryption") == 0;
      if (bm < sizeof bc) bm += (size_t)snprintf(bc + bm, sizeof bc - bm, "%s%s", bm ? ", " : "", tells_ans_col(s, 1));
      tells_ans_ref(&w, "finding", sqlite3_column_int64(s, 0));
    }
    sqlite3_reset(s);
    if (k) {
      tells_json_arr_end(&w.d);
      tells_json_kbool(&w.d, "wiper", wiper);
      tells_json_obj_end(&w.d);
      if (wiper && !n_bin++)
        snprintf(caps, sizeof caps, "%s, %u %s (%s", x->bins[i].file, x->bins[i].copies,
                 x->bins[i].copies == 1 ? "copy" : "copies", bc);
    }
  }
  sqlite3_finalize(s);
  tells_json_arr_end(&w.d);
  /* log clearing covers tracks: it tells of destruction only beside a means */
  verdict = n_del ? "happened" : (n_bin || n_drv || n_rec) ? "staged" : "none";
  tells_json_kstr(&w.d, "verdict", verdict);
  if (n_del) {
    char t[40];
    tells_ans_time(t_del, t);
    m = (size_t)snprintf(text, sizeof text, "Destruction happened: mass file deletion on %d %s (%s), from %s: %s",
                         n_del, n_del == 1 ? "host" : "hosts", hd, t, wd);
  } else if (verdict[0] == 's') {
    m = (size_t)snprintf(text, sizeof text, "Destruction is staged, not seen happening: no mass deletion in the logs,"
                         " but the means are in place");
  } else {
    m = (size_t)snprintf(text, sizeof text, "No destruction staged or seen: no wiper capability, suspect kernel-driver"
                         " service, inhibited recovery or mass deletion");
  }
  if (n_bin && m < sizeof text) m += (size_t)snprintf(text + m, sizeof text - m, "; wiper binary %s)", caps);
  if (n_drv && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, "; kernel-driver service out of place or beside other signs of"
                          " destruction installed on %d %s (first: %s)", n_drv, n_drv == 1 ? "host" : "hosts", ws);
  if (n_rec && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, "; detections of inhibited recovery or data destruction"
                          " on %d %s (first: %s)", n_rec, n_rec == 1 ? "host" : "hosts", wr);
  if (n_clr && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, "; event logs cleared on %d %s%s", n_clr, n_clr == 1 ? "host" : "hosts",
                          verdict[0] == 'n' ? " (covering tracks, not a means of destruction)" : "");
  if (ds && ds->routine && m < sizeof text)
    m += (size_t)snprintf(text + m, sizeof text - m, "; %d kernel-driver %s in system folders, away from any"
                          " other sign of destruction, not counted", ds->routine,
                          ds->routine == 1 ? "install" : "installs");
  if (m < sizeof text) snprintf(text + m, sizeof text - m, ".");
  snprintf(wd, sizeof wd, "%s", n_del ? "mass deletion observed in the logs"
           : verdict[0] == 's' ? "wiper capabilities, suspect driver services or inhibited recovery without observed deletion"
           : "no signal");
  tells_json_kstr(&w.d, "reason", wd);
  tells_json_ki64(&w.d, "hosts_deleted", n_del);
  tells_json_ki64(&w.d, "hosts_driver_service", n_drv);
  tells_json_ki64(&w.d, "hosts_logs_cleared", n_clr);
  tells_json_ki64(&w.d, "hosts_recovery_inhibited", n_rec);
  tells_json_ki64(&w.d, "driver_installs_not_counted", ds ? ds->routine : 0);
  if (verdict[0] == 'n') tells_json_kbool(&w.d, "none", 1);
  tells_ans_put(x, &w, "destruction", 0, "Is destruction staged or did it happen", text, -1);
  tells_free(ds);
}
