/*
** case_export_stix.c -- `tells export --format stix`: the case as one STIX
** 2.1 bundle (OASIS STIX Version 2.1, docs/export.md).
**
** Objects, in this order: the tells identity; the cyber-observables (SCOs:
** ipv4-addr/ipv6-addr of flows and indicators, domain-name, url, the files
** of malicious binaries); per malicious binary a malware SDO (capabilities
** and ATT&CK kill-chain phases from its findings) and an observed-data;
** indicators with STIX patterns for IPs, domains, URLs and the hashes of
** malicious binaries, each with an observed-data of its sightings and the
** relationships "indicates" (to the malware it was found in) and
** "based-on"; the largest flows as network-traffic in observed-data.
**
** Every value is checked against the syntax the OASIS JSON schemas assert
** (case_stix_syntax.c): addresses are written in their canonical text, a
** "domain" that is an IP literal becomes an address, and names that are not
** host names or URLs that are not RFC 3986 URIs are left out; an id is
** written once (flows of two captures can be the same network-traffic).
**
** Identifiers are deterministic UUIDv5: SCOs as the specification requires
** (namespace 00abedb4-aa42-466c-9c01-fed23315a9b7 over the canonical JSON
** of the ID-contributing properties), SDOs and SROs from a fixed tells
** namespace over their content key.  Timestamps come from the case: first
** sighting, evidence times, evidence mtime -- never the clock.
*/
#include <openssl/evp.h>
#include <string.h>
#include "case_export_int.h"
#include "case_stix_syntax.h"

/* Caps (in the SQL below): the 10,000 largest flows become network-traffic;
** 256 findings are read per malicious binary. */

static const uint8_t NS_SCO[16] = {0x00,0xab,0xed,0xb4,0xaa,0x42,0x46,0x6c,
                                   0x9c,0x01,0xfe,0xd2,0x33,0x15,0xa9,0xb7};
/* uuid5(NAMESPACE_URL, "urn:tells:stix-2.1") */
static const uint8_t NS_TELLS[16] = {0x7c,0xa1,0x54,0xa5,0xee,0x4b,0x5a,0x34,
                                     0xaa,0x73,0xa2,0x2b,0xf1,0x86,0x5c,0xc3};

/* An identifier: "type--xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx". */
typedef struct sid { char s[96]; } sid;

typedef struct stix_ctx {
  tells_case *c;
  tells_json j;
  uint64_t n;
  sid ident;
  tells_buf tmp;
  tells__stix_idset ids;   /* every id written so far */
  tells_err err;           /* sticky: out of memory in `ids` */
} stix_ctx;

static void uuid5(const uint8_t ns[16], const char *name, size_t len, char out[37]) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dn = 0, i;
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  size_t k = 0;
  memset(d, 0, sizeof d);
  if (m && EVP_DigestInit_ex(m, EVP_sha1(), NULL) && EVP_DigestUpdate(m, ns, 16) &&
      EVP_DigestUpdate(m, name, len))
    EVP_DigestFinal_ex(m, d, &dn);
  EVP_MD_CTX_free(m);
  d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
  d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
  for (i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
    k += (size_t)snprintf(out + k, 37 - k, "%02x", d[i]);
  }
  out[36] = 0;
}

static void make_id(sid *id, const char *type, const uint8_t ns[16], const char *name) {
  int k = snprintf(id->s, sizeof id->s, "%s--", type);
  if (k < 0 || (size_t)k > sizeof id->s - 37) k = 0;
  uuid5(ns, name, strlen(name), id->s + k);
}

/* SCO id over canonical JSON {"value":"..."} (ipv4/ipv6-addr, domain-name, url). */
static void value_id(stix_ctx *x, sid *id, const char *type, const char *value) {
  tells_buf_reset(&x->tmp);
  tells_buf_adds(&x->tmp, "{\"value\":\"");
  tells_json_escape(&x->tmp, value, strlen(value), 0);
  tells_buf_adds(&x->tmp, "\"}");
  make_id(id, type, NS_SCO, tells_buf_str(&x->tmp));
}

/* SDO/SRO id from a content key. */
static void key_id(sid *id, const char *type, const char *k1, const char *k2) {
  char name[512];
  snprintf(name, sizeof name, "%s|%s|%s", type, k1, k2 ? k2 : "");
  make_id(id, type, NS_TELLS, name);
}

static const char *ip_type(const char *v) { return strchr(v, ':') ? "ipv6-addr" : "ipv4-addr"; }

static void kts(stix_ctx *x, const char *key, int64_t ns) {
  char t[48];
  tells__export_time(ns, 3, t);
  tells_json_kstr(&x->j, key, t);
}

static void sco_head(stix_ctx *x, const char *type, const sid *id) {
  tells_json_obj(&x->j);
  tells_json_kstr(&x->j, "type", type);
  tells_json_kstr(&x->j, "spec_version", "2.1");
  tells_json_kstr(&x->j, "id", id->s);
}

static void sdo_head(stix_ctx *x, const char *type, const sid *id, int64_t t) {
  sco_head(x, type, id);
  tells_json_kstr(&x->j, "created_by_ref", x->ident.s);
  kts(x, "created", t);
  kts(x, "modified", t);
}

static void end_obj(stix_ctx *x) { tells_json_obj_end(&x->j); x->n++; }

/* 1 the first time `id` is about to be written, 0 after (or out of memory). */
static int fresh(stix_ctx *x, const sid *id) {
  int r = tells__stix_idset_add(&x->ids, id->s);
  if (r < 0) x->err = TELLS_ENOMEM;
  return r > 0;
}

/* The SCO type of an indicator value of kind `kind` and its value (in `buf`
** when rewritten): addresses in canonical text, a domain that is an IP literal
** as an address; NULL for a value the type's syntax rejects (not exported). */
static const char *sco_of(const char *kind, const char *v, char buf[48], const char **val) {
  int ip = tells__stix_ip_literal(v, buf);
  *val = buf;
  if (!strcmp(kind, "ip") || !strcmp(kind, "ipv4") || !strcmp(kind, "ipv6") || !strcmp(kind, "domain"))
    if (ip) return ip == 4 ? "ipv4-addr" : "ipv6-addr";
  *val = v;
  if (!strcmp(kind, "domain")) return tells__stix_hostname(v) ? "domain-name" : NULL;
  if (!strcmp(kind, "url")) return tells__stix_uri(v) ? "url" : NULL;
  return NULL;
}

static void relationship(stix_ctx *x, const char *rtype, const sid *src, const sid *dst, int64_t t) {
  sid id;
  char k[200];
  snprintf(k, sizeof k, "%s|%s", src->s, dst->s);
  key_id(&id, "relationship", rtype, k);
  if (!fresh(x, &id)) return;
  sdo_head(x, "relationship", &id, t);
  tells_json_kstr(&x->j, "relationship_type", rtype);
  tells_json_kstr(&x->j, "source_ref", src->s);
  tells_json_kstr(&x->j, "target_ref", dst->s);
  end_obj(x);
}

static void observed(stix_ctx *x, const sid *id, int64_t first, int64_t last, int64_t count,
                     const sid *ref) {
  if (!fresh(x, id)) return;
  sdo_head(x, "observed-data", id, first);
  kts(x, "first_observed", first);
  kts(x, "last_observed", last < first ? first : last);
  tells_json_ki64(&x->j, "number_observed", count < 1 ? 1 : count > 999999999 ? 999999999 : count);
  tells_json_key(&x->j, "object_refs");
  tells_json_arr(&x->j); tells_json_str(&x->j, ref->s); tells_json_arr_end(&x->j);
  end_obj(x);
}

/* ---- the queries ---- */

#define MAL_COND                                                                    \
  "e.pillar = 'code' AND e.status = 'analysed' AND EXISTS (SELECT 1 FROM findings f" \
  " WHERE f.evidence_id = e.id AND (f.severity IN ('high', 'critical') OR f.rule LIKE 'yara:%'))"

static const char IP_SQL[] =
  "SELECT v FROM (SELECT src_ip AS v FROM flows UNION SELECT dest_ip FROM flows"
  " UNION SELECT value FROM indicators WHERE type IN ('ip', 'ipv4', 'ipv6'))"
  " WHERE v IS NOT NULL AND v <> '' ORDER BY v";
static const char VAL_SQL[] =
  "SELECT type, value FROM indicators WHERE type IN ('domain', 'url') ORDER BY type, value";
static const char MAL_SQL[] =
  "SELECT e.id, e.path, e.sha256, e.sha1, e.md5, e.size, coalesce(e.first_ns, e.mtime_ns, 0),"
  " coalesce(e.last_ns, e.first_ns, e.mtime_ns, 0)"
  " FROM evidence e WHERE " MAL_COND " ORDER BY e.sha256, e.path, e.id";
static const char MALF_SQL[] =
  "SELECT title, tactic FROM findings WHERE evidence_id = ?1 ORDER BY CASE severity"
  " WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,"
  " rule, id LIMIT 256";
/* "ip", "ipv4" and "ipv6" indicators of one address share one STIX pattern, hence one
** indicator id: they are grouped into a single indicator (two objects with the same id
** and different content would break the bundle). */
#define IND_KIND(t) "CASE WHEN " t " IN ('ip', 'ipv4', 'ipv6') THEN 'ip' ELSE " t " END"
static const char IND_SQL[] =
  "WITH mal AS (SELECT e.id FROM evidence e WHERE " MAL_COND ")"
  " SELECT min(i.id), " IND_KIND("i.type") ", i.value, min(s.time_ns), max(coalesce(s.last_ns, s.time_ns)),"
  " coalesce(min(e.mtime_ns), 0), sum(s.count), count(DISTINCT s.evidence_id),"
  " max(s.evidence_id IN (SELECT id FROM mal))"
  " FROM indicators i JOIN sightings s ON s.indicator_id = i.id"
  " JOIN evidence e ON e.id = s.evidence_id"
  " WHERE i.type IN ('ip', 'ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256')"
  " GROUP BY 2, i.value ORDER BY 2, i.value";
static const char INDMAL_SQL[] =
  "SELECT DISTINCT e.sha256 FROM sightings s JOIN evidence e ON e.id = s.evidence_id"
  " WHERE s.indicator_id IN (SELECT j.id FROM indicators j JOIN indicators k"
  " ON k.id = ?1 AND j.value = k.value AND " IND_KIND("j.type") " = " IND_KIND("k.type") ")"
  " AND " MAL_COND " ORDER BY 1";
static const char FLOWS_SQL[] =
  "SELECT f.first_ns, f.last_ns, f.proto, f.src_ip, f.src_port, f.dest_ip, f.dest_port,"
  " f.bytes_toserver, f.bytes_toclient, f.pkts_toserver, f.pkts_toclient, e.sha256, f.id"
  " FROM flows f JOIN evidence e ON e.id = f.evidence_id"
  " WHERE f.first_ns IS NOT NULL AND f.src_ip IS NOT NULL AND f.dest_ip IS NOT NULL"
  " ORDER BY f.bytes_toserver + f.bytes_toclient DESC, f.first_ns, e.sha256, f.id LIMIT 10000";

/* Runs `sql` (one optional integer parameter) and calls fn per row. */
static tells_err each(stix_ctx *x, const char *sql, int64_t p1,
                      void (*fn)(stix_ctx *, sqlite3_stmt *, void *), void *ud) {
  sqlite3_stmt *s = tells__export_prep(x->c, sql);
  int rc;
  if (!s) return TELLS_EDB;
  if (p1 >= 0) sqlite3_bind_int64(s, 1, p1);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    fn(x, s, ud);
    if (x->j.err || x->err) break;
  }
  sqlite3_finalize(s);
  if (x->j.err) return x->j.err;
  if (x->err) return x->err;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return tells__case_dberr(x->c, "export");
  return x->tmp.err == TELLS_ENOMEM ? TELLS_ENOMEM : TELLS_OK;
}

/* One SCO {type, value} unless written already. */
static void value_sco(stix_ctx *x, const char *type, const char *v) {
  sid id;
  value_id(x, &id, type, v);
  if (!fresh(x, &id)) return;
  sco_head(x, type, &id);
  tells_json_kstr(&x->j, "value", v);
  end_obj(x);
}

static void ip_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  char buf[48];
  const char *v, *type = sco_of("ip", tells__export_col(s, 0), buf, &v);
  (void)ud;
  if (type) value_sco(x, type, v);
}

static void val_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  char buf[48];
  const char *v, *type = sco_of(tells__export_col(s, 0), tells__export_col(s, 1), buf, &v);
  (void)ud;
  if (type) value_sco(x, type, v);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* File SCO id: the first of MD5, SHA-1, SHA-256 and the name (spec 2.9). */
static void file_id(stix_ctx *x, sid *id, const char *md5, const char *sha1,
                    const char *sha256, const char *name) {
  tells_buf_reset(&x->tmp);
  tells_buf_adds(&x->tmp, "{\"hashes\":{");
  if (md5) tells_buf_addf(&x->tmp, "\"MD5\":\"%s\"", md5);
  else if (sha1) tells_buf_addf(&x->tmp, "\"SHA-1\":\"%s\"", sha1);
  else tells_buf_addf(&x->tmp, "\"SHA-256\":\"%s\"", sha256 ? sha256 : "");
  tells_buf_adds(&x->tmp, "},\"name\":\"");
  tells_json_escape(&x->tmp, name, strlen(name), 0);
  tells_buf_adds(&x->tmp, "\"}");
  make_id(id, "file", NS_SCO, tells_buf_str(&x->tmp));
}

/* Malware capabilities (STIX malware-capabilities-ov) by ATT&CK tactic. */
static const struct { const char *tactic, *cap; } CAPS[] = {
  {"command-and-control", "communicates-with-c2"},
  {"credential-access", "steals-authentication-credentials"},
  {"defense-evasion", "evades-av"},
  {"defense-impairment", "degrades-security-software"},   /* ATT&CK v19 (TA0112) */
  {"discovery", "fingerprints-host"},
  {"exfiltration", "exfiltrates-data"},
  {"impact", "compromises-data-availability"},
  {"lateral-movement", "infects-remote-machines"},
  {"persistence", "persists-after-system-reboot"},
  {"privilege-escalation", "escalates-privileges"},
  {"stealth", "hides-artifacts"},                          /* ATT&CK v19 (TA0005) */
};
#define N_CAPS (sizeof CAPS / sizeof CAPS[0])
#define N_TACTICS 16

typedef struct mal_acc {
  tells_buf desc;
  char tactics[N_TACTICS][32];
  int n_tactics;
  unsigned caps;
} mal_acc;

static void malf_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  mal_acc *a = ud;
  const char *title = tells__export_col(s, 0), *tac = tells__export_col(s, 1);
  size_t i;
  int k, pos;
  (void)x;
  if (title) tells_buf_addf(&a->desc, "%s%s", a->desc.n ? "; " : "", title);
  if (!tac || strlen(tac) >= sizeof a->tactics[0]) return;
  for (i = 0; i < N_CAPS; i++) if (strcmp(CAPS[i].tactic, tac) == 0) a->caps |= 1u << i;
  for (pos = 0; pos < a->n_tactics && strcmp(a->tactics[pos], tac) < 0; pos++) {}
  if ((pos < a->n_tactics && strcmp(a->tactics[pos], tac) == 0) || a->n_tactics >= N_TACTICS) return;
  for (k = a->n_tactics; k > pos; k--) memcpy(a->tactics[k], a->tactics[k - 1], sizeof a->tactics[0]);
  snprintf(a->tactics[pos], sizeof a->tactics[0], "%s", tac);
  a->n_tactics++;
}

static void mal_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  const char *path = tells__export_col(s, 1), *sha256 = tells__export_col(s, 2);
  const char *sha1 = tells__export_col(s, 3), *md5 = tells__export_col(s, 4);
  const char *name = base_name(path ? path : "");
  int64_t first = sqlite3_column_int64(s, 6), last = sqlite3_column_int64(s, 7);
  sid fid, mid, oid;
  mal_acc a;
  size_t i;
  int k;
  (void)ud;
  memset(&a, 0, sizeof a);
  tells_buf_init(&a.desc, 64 * 1024);
  file_id(x, &fid, md5, sha1, sha256, name);
  key_id(&mid, "malware", sha256 ? sha256 : path, NULL);
  if (!fresh(x, &fid)) goto malware;
  sco_head(x, "file", &fid);
  tells_json_key(&x->j, "hashes");
  tells_json_obj(&x->j);
  if (md5) tells_json_kstr(&x->j, "MD5", md5);
  if (sha1) tells_json_kstr(&x->j, "SHA-1", sha1);
  if (sha256) tells_json_kstr(&x->j, "SHA-256", sha256);
  tells_json_obj_end(&x->j);
  if (sqlite3_column_type(s, 5) == SQLITE_INTEGER) tells_json_ki64(&x->j, "size", sqlite3_column_int64(s, 5));
  tells_json_kstr(&x->j, "name", name);
  end_obj(x);
malware:
  if (!fresh(x, &mid)) goto observed;
  if (each(x, MALF_SQL, sqlite3_column_int64(s, 0), malf_row, &a)) { tells_buf_free(&a.desc); return; }
  sdo_head(x, "malware", &mid, first);
  tells_json_kstr(&x->j, "name", name);
  if (a.desc.n) tells_json_kstr(&x->j, "description", tells_buf_str(&a.desc));
  tells_json_kbool(&x->j, "is_family", 0);
  if (a.caps) {
    tells_json_key(&x->j, "capabilities");
    tells_json_arr(&x->j);
    for (i = 0; i < N_CAPS; i++) if (a.caps & (1u << i)) tells_json_str(&x->j, CAPS[i].cap);
    tells_json_arr_end(&x->j);
  }
  if (a.n_tactics) {
    tells_json_key(&x->j, "kill_chain_phases");
    tells_json_arr(&x->j);
    for (k = 0; k < a.n_tactics; k++) {
      tells_json_obj(&x->j);
      tells_json_kstr(&x->j, "kill_chain_name", "mitre-attack");
      tells_json_kstr(&x->j, "phase_name", a.tactics[k]);
      tells_json_obj_end(&x->j);
    }
    tells_json_arr_end(&x->j);
  }
  tells_json_key(&x->j, "sample_refs");
  tells_json_arr(&x->j); tells_json_str(&x->j, fid.s); tells_json_arr_end(&x->j);
  end_obj(x);
observed:
  key_id(&oid, "observed-data", fid.s, NULL);
  observed(x, &oid, first, last, 1, &fid);
  tells_buf_free(&a.desc);
}

/* Pattern string literal: ' and \ escaped with a backslash. */
static void pat_lit(tells_buf *b, const char *v) {
  tells_buf_addc(b, '\'');
  for (; *v; v++) {
    if (*v == '\'' || *v == '\\') tells_buf_addc(b, '\\');
    tells_buf_addc(b, *v);
  }
  tells_buf_addc(b, '\'');
}

typedef struct ind_acc { const sid *ind; int64_t t; } ind_acc;

static void indmal_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  ind_acc *a = ud;
  sid mid;
  const char *sha = tells__export_col(s, 0);
  if (!sha) return;
  key_id(&mid, "malware", sha, NULL);
  relationship(x, "indicates", a->ind, &mid, a->t);
}

static void ind_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  const char *type = tells__export_col(s, 1), *v = tells__export_col(s, 2);
  int has_time = sqlite3_column_type(s, 3) == SQLITE_INTEGER;
  int64_t first = has_time ? sqlite3_column_int64(s, 3) : sqlite3_column_int64(s, 5);
  int64_t last = sqlite3_column_type(s, 4) == SQLITE_INTEGER ? sqlite3_column_int64(s, 4) : first;
  int64_t count = sqlite3_column_int64(s, 6), files = sqlite3_column_int64(s, 7);
  int mal = sqlite3_column_int(s, 8), is_hash = 0;
  const char *sco = NULL;
  char buf[48];
  tells_buf pat, name;
  sid id, scoid, oid;
  ind_acc a;
  (void)ud;
  tells_buf_init(&pat, 1 << 16);
  tells_buf_init(&name, 1 << 16);
  if (!strcmp(type, "md5") || !strcmp(type, "sha1") || !strcmp(type, "sha256")) is_hash = 1;
  else if (!(sco = sco_of(type, v, buf, &v))) goto done;   /* not valid as its SCO type */
  if (is_hash && !mal) goto done;     /* hashes of files not flagged are not indicators */
  tells_buf_addc(&pat, '[');
  if (sco) {
    tells_buf_addf(&pat, "%s:value = ", sco);
  } else {
    tells_buf_addf(&pat, "file:hashes.%s = ", !strcmp(type, "md5") ? "MD5"
                   : !strcmp(type, "sha1") ? "'SHA-1'" : "'SHA-256'");
  }
  pat_lit(&pat, v);
  tells_buf_addc(&pat, ']');
  if (pat.err) goto done;
  tells_buf_addf(&name, "%s %s", sco && strstr(sco, "-addr") ? "ip" : type, v);
  key_id(&id, "indicator", tells_buf_str(&pat), NULL);
  if (!fresh(x, &id)) goto done;
  sdo_head(x, "indicator", &id, first);
  tells_json_kstr(&x->j, "name", tells_buf_str(&name));
  tells_buf_reset(&name);
  tells_buf_addf(&name, "seen %lld time(s) in %lld evidence file(s)%s", (long long)count,
                 (long long)files, mal ? ", including a binary flagged malicious" : "");
  tells_json_kstr(&x->j, "description", tells_buf_str(&name));
  tells_json_key(&x->j, "indicator_types");
  tells_json_arr(&x->j);
  tells_json_str(&x->j, mal ? "malicious-activity" : "unknown");
  tells_json_arr_end(&x->j);
  tells_json_kstr(&x->j, "pattern", tells_buf_str(&pat));
  tells_json_kstr(&x->j, "pattern_type", "stix");
  tells_json_kstr(&x->j, "pattern_version", "2.1");
  kts(x, "valid_from", first);
  end_obj(x);
  a.ind = &id; a.t = first;
  if (mal) each(x, INDMAL_SQL, sqlite3_column_int64(s, 0), indmal_row, &a);
  if (sco && has_time) {
    value_id(x, &scoid, sco, v);
    key_id(&oid, "observed-data", scoid.s, NULL);
    observed(x, &oid, first, last, count, &scoid);
    relationship(x, "based-on", &id, &oid, first);
  }
done:
  tells_buf_free(&pat);
  tells_buf_free(&name);
}

static void flow_row(stix_ctx *x, sqlite3_stmt *s, void *ud) {
  const char *proto = tells__export_col(s, 2), *src = tells__export_col(s, 3);
  const char *dst = tells__export_col(s, 5), *sha = tells__export_col(s, 11);
  int64_t start = sqlite3_column_int64(s, 0);
  int64_t end = sqlite3_column_type(s, 1) == SQLITE_INTEGER ? sqlite3_column_int64(s, 1) : start;
  char l4[16], ts[48], te[48], key[160], bsrc[48], bdst[48];
  static const char *const CNT[] = {"src_byte_count", "dst_byte_count", "src_packets", "dst_packets"};
  sid sid_src, sid_dst, nt, oid;
  size_t i;
  (void)ud;
  if (end < start) end = start;
  if (tells__stix_ip_literal(src, bsrc) == 0 || tells__stix_ip_literal(dst, bdst) == 0) return;
  src = bsrc;
  dst = bdst;
  snprintf(l4, sizeof l4, "%s", proto ? proto : "unknown");
  for (i = 0; l4[i]; i++) if (l4[i] >= 'A' && l4[i] <= 'Z') l4[i] = (char)(l4[i] + 32);
  value_id(x, &sid_src, ip_type(src), src);
  value_id(x, &sid_dst, ip_type(dst), dst);
  tells__export_time(start, 6, ts);
  tells__export_time(end, 6, te);
  /* canonical JSON of the ID-contributing properties, keys sorted */
  tells_buf_reset(&x->tmp);
  tells_buf_adds(&x->tmp, "{");
  if (sqlite3_column_type(s, 6) == SQLITE_INTEGER)
    tells_buf_addf(&x->tmp, "\"dst_port\":%lld,", (long long)sqlite3_column_int64(s, 6));
  tells_buf_addf(&x->tmp, "\"dst_ref\":\"%s\",\"end\":\"%s\",\"protocols\":[\"%s\",\"", sid_dst.s, te,
                 strchr(src, ':') ? "ipv6" : "ipv4");
  tells_json_escape(&x->tmp, l4, strlen(l4), 0);
  tells_buf_adds(&x->tmp, "\"],");
  if (sqlite3_column_type(s, 4) == SQLITE_INTEGER)
    tells_buf_addf(&x->tmp, "\"src_port\":%lld,", (long long)sqlite3_column_int64(s, 4));
  tells_buf_addf(&x->tmp, "\"src_ref\":\"%s\",\"start\":\"%s\"}", sid_src.s, ts);
  make_id(&nt, "network-traffic", NS_SCO, tells_buf_str(&x->tmp));
  if (!fresh(x, &nt)) goto observed;   /* the same flow in another capture */
  sco_head(x, "network-traffic", &nt);
  tells_json_kstr(&x->j, "start", ts);
  tells_json_kstr(&x->j, "end", te);
  tells_json_kstr(&x->j, "src_ref", sid_src.s);
  tells_json_kstr(&x->j, "dst_ref", sid_dst.s);
  if (sqlite3_column_type(s, 4) == SQLITE_INTEGER) tells_json_ki64(&x->j, "src_port", sqlite3_column_int64(s, 4));
  if (sqlite3_column_type(s, 6) == SQLITE_INTEGER) tells_json_ki64(&x->j, "dst_port", sqlite3_column_int64(s, 6));
  tells_json_key(&x->j, "protocols");
  tells_json_arr(&x->j);
  tells_json_str(&x->j, strchr(src, ':') ? "ipv6" : "ipv4");
  tells_json_str(&x->j, l4);
  tells_json_arr_end(&x->j);
  for (i = 0; i < 4; i++)
    if (sqlite3_column_type(s, 7 + (int)i) == SQLITE_INTEGER)
      tells_json_ki64(&x->j, CNT[i], sqlite3_column_int64(s, 7 + (int)i));
  end_obj(x);
observed:
  snprintf(key, sizeof key, "%s|%lld", sha ? sha : "", (long long)sqlite3_column_int64(s, 12));
  key_id(&oid, "observed-data", nt.s, key);
  observed(x, &oid, start, end, 1, &nt);
}

tells_err tells__export_stix(tells_case *c, FILE *out, uint64_t *n) {
  stix_ctx x;
  sqlite3_stmt *s;
  tells_err e = TELLS_OK;
  char bundle_key[80] = "";
  sid bid;
  memset(&x, 0, sizeof x);
  x.c = c;
  tells_buf_init(&x.tmp, 1 << 20);
  tells__stix_idset_init(&x.ids);
  /* the default time and the bundle's identity come from the evidence */
  if (!(s = tells__export_prep(c, "SELECT count(*), coalesce(sum(size), 0) FROM evidence"))) {
    tells__stix_idset_free(&x.ids);
    tells_buf_free(&x.tmp);
    return TELLS_EDB;
  }
  if (sqlite3_step(s) == SQLITE_ROW) {
    snprintf(bundle_key, sizeof bundle_key, "%lld|%lld", (long long)sqlite3_column_int64(s, 0),
             (long long)sqlite3_column_int64(s, 1));
  }
  sqlite3_finalize(s);
  if (!(s = tells__export_prep(c, "SELECT sha256 FROM evidence WHERE sha256 IS NOT NULL"
                                  " ORDER BY sha256"))) {
    tells__stix_idset_free(&x.ids);
    tells_buf_free(&x.tmp);
    return TELLS_EDB;
  }
  {
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0, i;
    if (m && EVP_DigestInit_ex(m, EVP_sha256(), NULL)) {
      while (sqlite3_step(s) == SQLITE_ROW)
        EVP_DigestUpdate(m, sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
      EVP_DigestFinal_ex(m, d, &dn);
    }
    EVP_MD_CTX_free(m);
    for (i = 0; i < 16 && i < dn; i++)
      snprintf(bundle_key + strlen(bundle_key), sizeof bundle_key - strlen(bundle_key), "%02x", d[i]);
  }
  sqlite3_finalize(s);
  tells_json_init_file(&x.j, out, 0);
  key_id(&bid, "bundle", bundle_key, NULL);
  tells_json_obj(&x.j);
  tells_json_kstr(&x.j, "type", "bundle");
  tells_json_kstr(&x.j, "id", bid.s);
  tells_json_key(&x.j, "objects");
  tells_json_arr(&x.j);
  key_id(&x.ident, "identity", "tells", NULL);
  sco_head(&x, "identity", &x.ident);
  kts(&x, "created", 0);
  kts(&x, "modified", 0);
  tells_json_kstr(&x.j, "name", "tells");
  tells_json_kstr(&x.j, "description", "tells breach-forensics engine " TELLS_VERSION);
  tells_json_kstr(&x.j, "identity_class", "system");
  end_obj(&x);
  if (!(e = each(&x, IP_SQL, -1, ip_row, NULL)) &&
      !(e = each(&x, VAL_SQL, -1, val_row, NULL)) &&
      !(e = each(&x, MAL_SQL, -1, mal_row, NULL)) &&
      !(e = each(&x, IND_SQL, -1, ind_row, NULL)))
    e = each(&x, FLOWS_SQL, -1, flow_row, NULL);
  tells_json_arr_end(&x.j);
  tells_json_obj_end(&x.j);
  tells_json_nl(&x.j);
  if (!e) e = tells_json_flush(&x.j);
  tells_buf_free(&x.tmp);
  tells__stix_idset_free(&x.ids);
  *n = x.n;
  return e;
}
