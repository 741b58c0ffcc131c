/*
** app_dns.c -- DNS over UDP and TCP (RFC 1035 section 4; TCP messages
** carry a 2-byte length, RFC 1035 4.2.2): the query name and type of each
** request; the rcode, answers (A, AAAA, CNAME, TXT, MX, NS, PTR with their
** data; other types by type only) and authorities of each response.
** Records follow Suricata's EVE DNS version 2 by default: one "query"
** record per question and one "answer" record per response, with `answers`
** and the `grouped` map; or version 3 (Suricata 8): one "request" or
** "response" record per message with `queries`, the response written from
** the server's side.  Names are decompressed with pointers that must go
** strictly backwards, so a pointer loop cannot hang the parser.
*/
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "eve.h"
#include "rd.h"

#define DNS_MAX_Q 8
#define DNS_MAX_RR 32
#define DNS_MAX_AUTH 8
#define DNS_NAME 256
#define DNS_RDATA 256

typedef struct dns_rr {
  uint16_t type;
  uint16_t srv[3];              /* SRV priority, weight, port */
  uint8_t sshfp[2];             /* SSHFP algorithm, fingerprint type */
  uint32_t ttl;
  uint8_t has_rdata;
  uint8_t txt_k, ntxt;          /* TXT: string written (in), strings in the record (out) */
  char name[DNS_NAME];
  char rdata[DNS_RDATA];
} dns_rr;

typedef struct dns_msg {
  int version;                  /* EVE layout: 2 or 3 */
  uint16_t id, flags;
  uint32_t tx_id;
  int qi;                       /* question of a query record */
  uint16_t nq, nan, nns;
  struct { uint16_t type; char name[DNS_NAME]; } q[DNS_MAX_Q];
  dns_rr an[DNS_MAX_RR], ns[DNS_MAX_AUTH];
} dns_msg;

typedef struct dns_state {
  uint32_t tx_id;
} dns_state;

static const char *type_name(uint16_t t, char tmp[12]) {
  switch (t) {
  case 1: return "A"; case 2: return "NS"; case 5: return "CNAME"; case 6: return "SOA";
  case 10: return "NULL"; case 12: return "PTR"; case 13: return "HINFO"; case 15: return "MX"; case 16: return "TXT";
  case 17: return "RP"; case 24: return "SIG"; case 25: return "KEY"; case 28: return "AAAA";
  case 29: return "LOC"; case 33: return "SRV"; case 35: return "NAPTR"; case 41: return "OPT";
  case 43: return "DS"; case 44: return "SSHFP"; case 46: return "RRSIG"; case 47: return "NSEC";
  case 48: return "DNSKEY"; case 50: return "NSEC3"; case 52: return "TLSA"; case 64: return "SVCB";
  case 65: return "HTTPS"; case 99: return "SPF"; case 250: return "TSIG"; case 251: return "IXFR";
  case 252: return "AXFR"; case 255: return "ANY"; case 257: return "CAA";
  default: snprintf(tmp, 12, "%u", t); return tmp;
  }
}

static const char *rcode_name(unsigned rc, char tmp[12]) {
  static const char *const n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                  "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
                                  "NOTZONE"};
  if (rc < sizeof n / sizeof n[0]) return n[rc];
  snprintf(tmp, 12, "%u", rc);
  return tmp;
}

/* Reads a possibly compressed name at r's position (r is a cursor over the
** whole message) into out; r ends after the name's bytes at its first
** place.  Every pointer must point before the lowest place visited so far.
** Returns 0 on a malformed name. */
static int read_name(tells_rd *r, char *out) {
  tells_rd c = *r;
  size_t lowest = c.off, o = 0;
  int jumped = 0;
  out[0] = 0;
  for (;;) {
    uint8_t l = tells_rd_u8(&c);
    const uint8_t *lab;
    if (!tells_rd_ok(&c)) return 0;
    if (!l) break;
    if ((l & 0xc0) == 0xc0) {
      size_t ptr = (size_t)(l & 0x3f) << 8 | tells_rd_u8(&c);
      if (!tells_rd_ok(&c)) return 0;
      if (!jumped) { r->off = c.off; jumped = 1; }
      if (ptr >= lowest) return 0;          /* forward or looping pointer */
      lowest = ptr;
      tells_rd_seek(&c, ptr);
      continue;
    }
    if (l & 0xc0) return 0;                 /* obsolete label types */
    if (!(lab = tells_rd_bytes(&c, l))) return 0;
    if (o && o < DNS_NAME - 1) out[o++] = '.';
    if (o < DNS_NAME - 1) {
      size_t k = l < DNS_NAME - 1 - o ? l : DNS_NAME - 1 - o;
      memcpy(out + o, lab, k);
      o += k;
    }
    out[o] = 0;
  }
  if (!jumped) r->off = c.off;
  if (!o) snprintf(out, DNS_NAME, "<root>");
  return 1;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t utf8_len(const uint8_t *s, size_t n) {
  size_t l = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
           : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  size_t i;
  if (!l || l > n || (l == 2 && s[0] < 0xc2)) return 0;
  for (i = 1; i < l; i++) if ((s[i] & 0xc0) != 0x80) return 0;
  return l;
}

/* Text of rdata bytes as Suricata writes it: as is when it is valid UTF-8,
** else bytes from 0x80 as the four characters \xNN.  Returns the length. */
static size_t dns_text(char *out, size_t cap, const uint8_t *s, size_t n) {
  size_t i, o = 0, valid = 1;
  for (i = 0; i < n; ) {
    size_t l = utf8_len(s + i, n - i);
    if (!l) { valid = 0; break; }
    i += l;
  }
  for (i = 0; i < n && o + 5 < cap; i++) {
    if (s[i] < 0x80 || valid) out[o++] = (char)s[i];
    else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
  }
  out[o] = 0;
  return o;
}

/* The data of one resource record (the cursor is at its rdata). */
static void read_rdata(tells_rd *msg, dns_rr *rr, uint16_t rdlen) {
  tells_rd c = *msg;
  size_t o = 0;
  rr->has_rdata = 0;
  rr->rdata[0] = 0;
  switch (rr->type) {
  case 1:
  case 28: {
    const uint8_t *a;
    uint8_t ip[16] = {0};
    if (rdlen != (rr->type == 1 ? 4 : 16) || !(a = tells_rd_bytes(&c, rdlen))) return;
    memcpy(ip, a, rdlen);
    if (rr->type == 1) tells_ip_str(TELLS_L3_IPV4, ip, rr->rdata);
    else tells_eve_ip6(ip, rr->rdata);       /* uncompressed, as Suricata writes it */
    rr->has_rdata = 1;
    return;
  }
  case 2: case 5: case 12:
    c = tells_rd_sub(msg, 0, msg->off + rdlen);   /* names may point back */
    tells_rd_seek(&c, msg->off);
    rr->has_rdata = (uint8_t)read_name(&c, rr->rdata);
    return;
  case 15:
    c = tells_rd_sub(msg, 0, msg->off + rdlen);
    tells_rd_seek(&c, msg->off);
    tells_rd_skip(&c, 2);                        /* preference */
    rr->has_rdata = (uint8_t)(tells_rd_ok(&c) && read_name(&c, rr->rdata));
    return;
  case 16: {                                    /* TXT: one answer per string */
    tells_rd t = tells_rd_sub(msg, msg->off, rdlen);
    unsigned k = 0;
    rr->ntxt = 0;
    while (tells_rd_left(&t) && k < 255) {
      uint8_t l = tells_rd_u8(&t);
      const uint8_t *s = tells_rd_bytes(&t, l);
      if (!s) break;
      if (k++ == rr->txt_k) { dns_text(rr->rdata, DNS_RDATA, s, l); rr->has_rdata = 1; }
    }
    rr->ntxt = (uint8_t)k;
    return;
  }
  case 33:                                      /* SRV: priority weight port target */
    rr->srv[0] = tells_rd_u16be(&c);
    rr->srv[1] = tells_rd_u16be(&c);
    rr->srv[2] = tells_rd_u16be(&c);
    if (rdlen < 7 || !tells_rd_ok(&c)) return;
    c = tells_rd_sub(msg, 0, msg->off + rdlen);
    tells_rd_seek(&c, msg->off + 6);
    rr->has_rdata = (uint8_t)read_name(&c, rr->rdata);
    return;
  case 44: {                                    /* SSHFP: algorithm, type, fingerprint */
    const uint8_t *b;
    size_t i;
    if (rdlen < 2) return;
    rr->sshfp[0] = tells_rd_u8(&c);
    rr->sshfp[1] = tells_rd_u8(&c);
    if (!(b = tells_rd_bytes(&c, (size_t)rdlen - 2))) return;
    for (i = 0; i < (size_t)rdlen - 2 && o + 4 < DNS_RDATA; i++)
      o += (size_t)snprintf(rr->rdata + o, DNS_RDATA - o, "%s%02x", i ? ":" : "", b[i]);
    rr->has_rdata = 1;
    return;
  }
  case 10: {                                     /* NULL: the raw bytes */
    const uint8_t *b = tells_rd_bytes(&c, rdlen);
    if (!b) return;
    dns_text(rr->rdata, DNS_RDATA, b, rdlen);
    rr->has_rdata = 1;
    return;
  }
  default:
    return;
  }
}

static int read_rr(tells_rd *r, dns_rr *rr) {
  uint16_t rdlen;
  if (!read_name(r, rr->name)) return 0;
  rr->type = tells_rd_u16be(r);
  tells_rd_skip(r, 2);                           /* class */
  rr->ttl = tells_rd_u32be(r);
  rdlen = tells_rd_u16be(r);
  if (!tells_rd_need(r, rdlen)) return 0;
  read_rdata(r, rr, rdlen);
  tells_rd_skip(r, rdlen);
  return tells_rd_ok(r);
}

/* Parses one message; 0 when its header or questions are malformed. */
static int parse_msg(const uint8_t *p, size_t n, dns_msg *m) {
  tells_rd r = tells_rd_make(p, n, 0);
  uint16_t qd, an, ns, i;
  m->id = tells_rd_u16be(&r);
  m->flags = tells_rd_u16be(&r);
  qd = tells_rd_u16be(&r);
  an = tells_rd_u16be(&r);
  ns = tells_rd_u16be(&r);
  tells_rd_skip(&r, 2);
  if (!tells_rd_ok(&r)) return 0;
  m->nq = m->nan = m->nns = 0;
  for (i = 0; i < qd && tells_rd_ok(&r); i++) {
    char name[DNS_NAME];
    uint16_t t;
    if (!read_name(&r, name)) return 0;
    t = tells_rd_u16be(&r);
    tells_rd_skip(&r, 2);
    if (!tells_rd_ok(&r)) return 0;
    if (m->nq < DNS_MAX_Q) {
      memcpy(m->q[m->nq].name, name, sizeof name);
      m->q[m->nq++].type = t;
    }
  }
  for (i = 0; i < an && m->nan < DNS_MAX_RR; i++) {
    tells_rd at = r;
    unsigned k;
    m->an[m->nan].txt_k = 0;
    if (!read_rr(&r, &m->an[m->nan])) return 1;
    k = m->an[m->nan].type == 16 ? m->an[m->nan].ntxt : 1;
    m->nan++;
    for (k = k ? k : 1; k > 1 && m->nan < DNS_MAX_RR; k--) {  /* further TXT strings */
      tells_rd again = at;
      m->an[m->nan].txt_k = (uint8_t)(m->an[m->nan - 1].txt_k + 1);
      if (!read_rr(&again, &m->an[m->nan])) return 1;
      m->nan++;
    }
  }
  for (; i < an; i++) { dns_rr skip; skip.txt_k = 0; if (!read_rr(&r, &skip)) return 1; }
  for (i = 0; i < ns && m->nns < DNS_MAX_AUTH; i++) {
    m->ns[m->nns].txt_k = 0;
    if (read_rr(&r, &m->ns[m->nns])) m->nns++; else return 1;
  }
  return 1;
}

static void emit_msg(tells_app_flow *af, dns_state *st, const uint8_t *p, size_t n) {
  dns_msg m;
  if (!parse_msg(p, n, &m)) return;
  m.version = tells_app_dns_version(af);
  if (!(m.flags & 0x8000)) {
    m.tx_id = st->tx_id++;
    if (m.version == 3) { m.qi = -2; tells_app_emit(af, &m, TELLS_APP_NOW, 0); return; }
    for (m.qi = 0; m.qi < m.nq; m.qi++) tells_app_emit(af, &m, TELLS_APP_NOW, 0);
  } else {
    m.qi = -1;
    m.tx_id = st->tx_id++;        /* each message is a transaction, as in Suricata 7+ */
    tells_app_emit(af, &m, TELLS_APP_NOW, m.version == 3);
  }
}

static int dns_probe(const uint8_t *p, size_t n, int to_server, int tcp, int hint) {
  tells_rd r;
  uint16_t flags, qd, an;
  (void)to_server;
  if (!hint) return TELLS_APP_NO;
  if (tcp) {
    if (n < 14) return n >= 2 ? TELLS_APP_YES : TELLS_APP_NO;
    p += 2; n -= 2;
  }
  r = tells_rd_make(p, n, 0);
  tells_rd_skip(&r, 2);
  flags = tells_rd_u16be(&r);
  qd = tells_rd_u16be(&r);
  an = tells_rd_u16be(&r);
  if (!tells_rd_ok(&r)) return TELLS_APP_NO;
  /* the port decides: a malformed first message does not hide the rest */
  if (qd > 64 || (qd == 0 && an == 0)) return TELLS_APP_YES;
  return (flags & 0x8000) ? TELLS_APP_YES_REVERSED : TELLS_APP_YES;
}

static size_t dns_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  dns_state *st = vst;
  size_t len;
  (void)dir;
  if (tells_app_flow_of(af)->key.proto == 17) { emit_msg(af, st, p, n); return n; }
  if (n < 2) return TELLS_APP_MORE;
  len = tells_ld16be(p);
  if (n - 2 < len) return TELLS_APP_MORE;
  emit_msg(af, st, p + 2, len);
  return len + 2;
}

static void rr_json(tells_json *j, const dns_rr *rr) {
  char tmp[12];
  tells_json_obj(j);
  tells_json_kstr(j, "rrname", rr->name);
  tells_json_kstr(j, "rrtype", type_name(rr->type, tmp));
  tells_json_ku64(j, "ttl", rr->ttl);
  if (rr->has_rdata && rr->type == 33) {
    tells_json_key(j, "srv");
    tells_json_obj(j);
    tells_json_ku64(j, "priority", rr->srv[0]);
    tells_json_ku64(j, "weight", rr->srv[1]);
    tells_json_ku64(j, "port", rr->srv[2]);
    tells_json_kstr(j, "name", rr->rdata);
    tells_json_obj_end(j);
  } else if (rr->has_rdata && rr->type == 44) {
    tells_json_key(j, "sshfp");
    tells_json_obj(j);
    tells_json_ku64(j, "algo", rr->sshfp[0]);
    tells_json_ku64(j, "type", rr->sshfp[1]);
    tells_json_kstr(j, "fingerprint", rr->rdata);
    tells_json_obj_end(j);
  } else if (rr->has_rdata) {
    tells_json_kstr(j, "rdata", rr->rdata);
  }
  tells_json_obj_end(j);
}

static void flags_json(tells_json *j, const dns_msg *m) {
  char fl[8];
  snprintf(fl, sizeof fl, "%04x", m->flags);
  tells_json_kstr(j, "flags", fl);
  if (m->flags & 0x8000) tells_json_kbool(j, "qr", 1);
  if (m->flags & 0x0400) tells_json_kbool(j, "aa", 1);
  if (m->flags & 0x0200) tells_json_kbool(j, "tc", 1);
  if (m->flags & 0x0100) tells_json_kbool(j, "rd", 1);
  if (m->flags & 0x0080) tells_json_kbool(j, "ra", 1);
  if (m->flags & 0x0040) tells_json_kbool(j, "z", 1);
}

static void answers_json(tells_json *j, const dns_msg *m) {
  char tmp[12];
  int i, k;
  if (m->nan) {
    tells_json_key(j, "answers");
    tells_json_arr(j);
    for (i = 0; i < m->nan; i++) rr_json(j, &m->an[i]);
    tells_json_arr_end(j);
    tells_json_key(j, "grouped");
    tells_json_obj(j);
    for (i = 0; i < m->nan; i++) {     /* one list per type, in order of first use */
      int seen = 0;
      if (!m->an[i].has_rdata) continue;
      for (k = 0; k < i; k++) seen |= m->an[k].type == m->an[i].type && m->an[k].has_rdata;
      if (seen) continue;
      tells_json_key(j, type_name(m->an[i].type, tmp));
      tells_json_arr(j);
      for (k = i; k < m->nan; k++)
        if (m->an[k].type == m->an[i].type && m->an[k].has_rdata) tells_json_str(j, m->an[k].rdata);
      tells_json_arr_end(j);
    }
    tells_json_obj_end(j);
  }
  if (m->nns) {
    tells_json_key(j, "authorities");
    tells_json_arr(j);
    for (i = 0; i < m->nns; i++) rr_json(j, &m->ns[i]);
    tells_json_arr_end(j);
  }
}

/* Suricata 8's layout: one record per message, questions in `queries`. */
static void eve_v3(tells_json *j, const dns_msg *m) {
  char tmp[12];
  int i;
  tells_json_kstr(j, "type", (m->flags & 0x8000) ? "response" : "request");
  tells_json_ku64(j, "tx_id", m->tx_id);
  tells_json_ku64(j, "id", m->id);
  flags_json(j, m);
  tells_json_ku64(j, "opcode", (uint64_t)((m->flags >> 11) & 15));
  if (m->flags & 0x8000) tells_json_kstr(j, "rcode", rcode_name(m->flags & 15, tmp));
  tells_json_key(j, "queries");
  tells_json_arr(j);
  for (i = 0; i < m->nq; i++) {
    tells_json_obj(j);
    tells_json_kstr(j, "rrname", m->q[i].name);
    tells_json_kstr(j, "rrtype", type_name(m->q[i].type, tmp));
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  answers_json(j, m);
  tells_json_obj_end(j);
}

static void dns_eve(tells_json *j, const void *rec) {
  const dns_msg *m = rec;
  char tmp[12];
  tells_json_key(j, "dns");
  tells_json_obj(j);
  tells_json_ku64(j, "version", (uint64_t)m->version);
  if (m->version == 3) { eve_v3(j, m); return; }
  if (m->qi >= 0) {
    tells_json_kstr(j, "type", "query");
    tells_json_ku64(j, "id", m->id);
    tells_json_kstr(j, "rrname", m->q[m->qi].name);
    tells_json_kstr(j, "rrtype", type_name(m->q[m->qi].type, tmp));
    tells_json_ku64(j, "tx_id", m->tx_id);
    if (m->flags & 0x0040) tells_json_kbool(j, "z", 1);
    tells_json_obj_end(j);
    return;
  }
  tells_json_kstr(j, "type", "answer");
  tells_json_ku64(j, "id", m->id);
  flags_json(j, m);
  tells_json_kstr(j, "rcode", rcode_name(m->flags & 15, tmp));
  if (m->nq) {
    tells_json_kstr(j, "rrname", m->q[0].name);
    tells_json_kstr(j, "rrtype", type_name(m->q[0].type, tmp));
  }
  tells_json_ku64(j, "tx_id", m->tx_id);
  answers_json(j, m);
  tells_json_obj_end(j);
}

static void dns_indicators(const void *rec, tells_app_ind_fn fn, void *ud) {
  const dns_msg *m = rec;
  int i;
  if (m->qi == -1) return;                       /* responses: the query said it */
  for (i = m->qi >= 0 ? m->qi : 0; i < (m->qi >= 0 ? m->qi + 1 : m->nq); i++)
    if (strcmp(m->q[i].name, "<root>") != 0) fn(ud, "domain", m->q[i].name, "DNS query name");
}

uint16_t tells_app_dns_qtype(const void *rec, const char *name) {
  const dns_msg *m = rec;
  int i;
  for (i = 0; i < m->nq; i++)
    if (m->q[i].name == name || strcmp(m->q[i].name, name) == 0) return m->q[i].type;
  return 0;
}

const tells_app_parser tells_app_dns = {
  "dns", "dns", 53, 1, 1, sizeof(dns_state), 65537,
  dns_probe, dns_parse, NULL, NULL, NULL, dns_eve, dns_indicators,
};
