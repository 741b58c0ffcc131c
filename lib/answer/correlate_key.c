/*
** correlate_key.c -- the candidate keys of the correlate stage: indicator
** values seen in two or more kinds of evidence (pillars code, logs, net).
**
** Values are compared per class across indicator types: ip (ip, ipv4,
** ipv6), host (domain names and host names, lower-case), and the file
** hashes sha256, md5, sha1 (lower-case).  The net pillar does not store an
** indicator per flow (a capture holds millions), so the addresses seen in
** binaries and logs are also looked up as peers of the flows table: one
** pass over the flows with one of those addresses at either end.  Values
** that name no particular machine (loopback, "localhost", link-local,
** multicast...) are never keys.
*/
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "correlate_int.h"
#include "decode.h"
#include "geo.h"

static const char IND_SQL[] =
  "DROP TABLE IF EXISTS temp.corr_ind;"
  "DROP TABLE IF EXISTS temp.corr_ip;"
  "CREATE TEMP TABLE corr_ind(ind INTEGER PRIMARY KEY, cls TEXT NOT NULL, key TEXT NOT NULL);"
  "INSERT INTO corr_ind SELECT id,"
  " CASE WHEN type IN ('ip','ipv4','ipv6') THEN 'ip' WHEN type IN ('domain','host') THEN 'host'"
  " ELSE type END, CASE WHEN type IN ('ip','ipv4') THEN value ELSE lower(value) END"
  " FROM indicators WHERE type IN ('ip','ipv4','ipv6','domain','host','sha256','md5','sha1');"
  "CREATE INDEX temp.corr_ind_key ON corr_ind(cls, key);"
  "CREATE TEMP TABLE corr_ip(key TEXT PRIMARY KEY, k INTEGER NOT NULL) WITHOUT ROWID;";

static const char PILLAR_SQL[] =
  "SELECT c.cls, c.key, min(c.ind), e.pillar, min(s.time_ns), max(coalesce(s.last_ns, s.time_ns))"
  " FROM corr_ind c JOIN sightings s ON s.indicator_id=c.ind JOIN evidence e ON e.id=s.evidence_id"
  " GROUP BY c.cls, c.key, e.pillar ORDER BY c.cls, c.key, e.pillar";

/* The flows with a candidate address at either end: one scan, in rowid
** (so evidence) order, aggregated in C. */
static const char FLOW_SQL[] =
  "SELECT src_ip, dest_ip, evidence_id, first_ns, last_ns FROM flows"
  " WHERE src_ip IN (SELECT key FROM corr_ip) OR dest_ip IN (SELECT key FROM corr_ip)";

#define PAIRS_MAX (1u << 22)   /* distinct (address, peer) pairs counted: 32 MiB */

/* Distinct (key, direction, peer) pairs, as 64-bit hashes. */
typedef struct pairset { uint64_t *v; size_t cap, n; int full; } pairset;

static int pair_new(pairset *p, int k, int dst, const char *peer) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  const char *q;
  for (q = peer; *q; q++) { h ^= (uint8_t)*q; h *= 1099511628211ull; }
  h ^= ((uint64_t)(uint32_t)k << 1 | (uint64_t)dst) * 0x9E3779B97F4A7C15ull;
  h |= 1;
  if ((p->n + 1) * 2 > p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 4096, j;
    uint64_t *v;
    if (cap > PAIRS_MAX || !(v = tells_calloc(cap, sizeof *v))) { p->full = 1; return 0; }
    for (j = 0; j < p->cap; j++) {
      if (!p->v[j]) continue;
      for (i = p->v[j] & (cap - 1); v[i]; i = (i + 1) & (cap - 1)) {}
      v[i] = p->v[j];
    }
    tells_free(p->v);
    p->v = v; p->cap = cap;
  }
  for (i = h & (p->cap - 1); p->v[i]; i = (i + 1) & (p->cap - 1))
    if (p->v[i] == h) return 0;
  p->v[i] = h;
  p->n++;
  return 1;
}

static unsigned pillar_bit(const char *p) {
  return strcmp(p, "code") == 0 ? CORR_CODE : strcmp(p, "logs") == 0 ? CORR_LOGS
       : strcmp(p, "net") == 0 ? CORR_NET : 0;
}
static int popcount3(unsigned m) { return (m & 1) + (m >> 1 & 1) + (m >> 2 & 1); }

static void widen(corr_key *k, int64_t a, int64_t b) {
  if (a != INT64_MIN && (k->first_ns == INT64_MIN || a < k->first_ns)) k->first_ns = a;
  if (b != INT64_MIN && (k->last_ns == INT64_MIN || b > k->last_ns)) k->last_ns = b;
}

static int64_t col_time(sqlite3_stmt *s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, i);
}

/* Values that name no particular machine: every host has its own loopback,
** "localhost", link-local and unspecified addresses, and multicast and
** broadcast addresses are no one's.  Seen in a binary and in a capture they
** tie nothing together. */
static int machine_local(const corr_key *k) {
  static const char *const skip[] = {"loopback", "unspecified", "link-local", "multicast",
                                     "broadcast"};
  uint8_t a[16];
  const char *sc;
  size_t i;
  if (strcmp(k->cls, "host") == 0)
    return strcmp(k->key, "localhost") == 0 || strcmp(k->key, "localhost.localdomain") == 0;
  if (strcmp(k->cls, "ip") != 0) return 0;
  memset(a, 0, sizeof a);
  if (inet_pton(AF_INET, k->key, a) == 1) sc = tells_geo_scope(TELLS_L3_IPV4, a);
  else if (inet_pton(AF_INET6, k->key, a) == 1) sc = tells_geo_scope(TELLS_L3_IPV6, a);
  else return 0;
  for (i = 0; sc && i < sizeof skip / sizeof skip[0]; i++)
    if (strcmp(sc, skip[i]) == 0) return 1;
  return 0;
}

/* Keeps the key under construction when it may become a link. */
static tells_err push(corr_set *set, corr_key *k) {
  int ip_pending = strcmp(k->cls, "ip") == 0 && (k->pillars & (CORR_CODE | CORR_LOGS));
  if ((popcount3(k->pillars) < 2 && !ip_pending) || machine_local(k)) {
    tells_free(k->key);
    return TELLS_OK;
  }
  if (set->n_keys >= CORR_MAX_KEYS) { tells_free(k->key); return TELLS_OK; }
  if (set->n_keys == set->cap_keys) {
    int cap = set->cap_keys ? set->cap_keys * 2 : 64;
    corr_key *v = tells_realloc(set->keys, (size_t)cap * sizeof *v);
    if (!v) { tells_free(k->key); return TELLS_ENOMEM; }
    set->keys = v; set->cap_keys = cap;
  }
  set->keys[set->n_keys++] = *k;
  return TELLS_OK;
}

/* One end of a flow: counts, time span, distinct peers and captures. */
static void flow_end(corr_key *k, pairset *ps, int ki, int dst, const char *peer,
                     int64_t ev, int64_t t0, int64_t t1) {
  k->pillars |= CORR_NET;
  widen(k, t0, t1);
  if (dst) {
    if (!k->flows_dst++ || ev != k->last_ev_dst) k->flow_ev_dst++;
    k->last_ev_dst = ev;
    if (pair_new(ps, ki, 1, peer) && !k->n_srcs++) snprintf(k->top_src, sizeof k->top_src, "%s", peer);
  } else {
    if (!k->flows_src++ || ev != k->last_ev_src) k->flow_ev_src++;
    k->last_ev_src = ev;
    if (pair_new(ps, ki, 0, peer) && !k->n_dsts++) snprintf(k->top_dst, sizeof k->top_dst, "%s", peer);
  }
  if (ps->full) k->peers_capped = 1;
}

static tells_err flows(tells_case *c, corr_set *set) {
  sqlite3_stmt *s;
  corr_kset ks;
  pairset ps;
  tells_err e;
  int rc;
  memset(&ps, 0, sizeof ps);
  if ((e = tells__corr_kset_build(&ks, set, "ip"))) { tells__corr_kset_free(&ks); return e; }
  if ((e = tells__corr_prep(c, FLOW_SQL, &s))) { tells__corr_kset_free(&ks); return e; }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *src = tells__corr_text(s, 0), *dst = tells__corr_text(s, 1);
    int64_t ev = sqlite3_column_int64(s, 2), t0 = col_time(s, 3), t1 = col_time(s, 4);
    int ki;
    if ((ki = tells__corr_kset_find(&ks, src)) >= 0) flow_end(&set->keys[ki], &ps, ki, 0, dst, ev, t0, t1);
    if ((ki = tells__corr_kset_find(&ks, dst)) >= 0) flow_end(&set->keys[ki], &ps, ki, 1, src, ev, t0, t1);
  }
  if (rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate flows");
  sqlite3_finalize(s);
  tells__corr_kset_free(&ks);
  tells_free(ps.v);
  return e;
}

tells_err tells__corr_keys(tells_case *c, corr_set *set) {
  sqlite3_stmt *s, *ins = NULL;
  corr_key cur;
  tells_err e;
  int rc, i, j;
  if ((e = tells__case_exec(c, IND_SQL))) return e;
  if ((e = tells__corr_prep(c, PILLAR_SQL, &s))) return e;
  memset(&cur, 0, sizeof cur);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *cls = tells__corr_text(s, 0), *key = tells__corr_text(s, 1);
    if (!cur.key || strcmp(cur.cls, cls) != 0 || strcmp(cur.key, key) != 0) {
      if (cur.key && (e = push(set, &cur))) break;
      memset(&cur, 0, sizeof cur);
      snprintf(cur.cls, sizeof cur.cls, "%s", cls);
      cur.first_ns = cur.last_ns = INT64_MIN;
      cur.ind = sqlite3_column_int64(s, 2);
      if (!(cur.key = tells_strdup(key))) { e = TELLS_ENOMEM; break; }
    }
    if (sqlite3_column_int64(s, 2) < cur.ind) cur.ind = sqlite3_column_int64(s, 2);
    cur.pillars |= pillar_bit(tells__corr_text(s, 3));
    widen(&cur, col_time(s, 4), col_time(s, 5));
  }
  if (!e && rc != SQLITE_DONE) e = tells__case_dberr(c, "correlate keys");
  if (!e && cur.key) e = push(set, &cur);
  else if (cur.key && e) tells_free(cur.key);
  sqlite3_finalize(s);
  if (e) return e;
  /* addresses of binaries and logs, looked up among the flows' peers */
  if ((e = tells__corr_prep(c, "INSERT OR IGNORE INTO corr_ip(key, k) VALUES(?,?)", &ins))) return e;
  for (i = 0; i < set->n_keys && !e; i++) {
    if (strcmp(set->keys[i].cls, "ip") != 0) continue;
    sqlite3_bind_text(ins, 1, set->keys[i].key, -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 2, i);
    if (sqlite3_step(ins) != SQLITE_DONE) e = tells__case_dberr(c, "correlate addresses");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  if (!e) e = flows(c, set);
  if (e) return e;
  /* only values of two kinds or more remain */
  for (i = j = 0; i < set->n_keys; i++) {
    if (popcount3(set->keys[i].pillars) >= 2) set->keys[j++] = set->keys[i];
    else tells_free(set->keys[i].key);
  }
  set->n_keys = j;
  return TELLS_OK;
}
