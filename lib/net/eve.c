/*
** eve.c -- EVE-shaped JSON for flows (see eve.h).
*/
#include <stdio.h>
#include <string.h>
#include "detect_run.h"
#include "eve.h"
#include "tstamp.h"

static const char eve_hex[] = "0123456789abcdef";

/* v as exactly w decimal digits at p (v < 10^w). */
static void eve_digits(char *p, unsigned v, int w) {
  while (w--) { p[w] = (char)('0' + v % 10); v /= 10; }
}

/* Formatted by hand: this runs for every record, and snprintf was 8% of
** `tells net`. */
void tells_eve_time(int64_t ns, char out[64]) {
  int64_t s = ns / 1000000000, us = (ns % 1000000000) / 1000, days, sec, y;
  unsigned m, d;
  if (us < 0) { us += 1000000; s--; }
  days = (s >= 0 ? s : s - 86399) / 86400;
  sec = s - days * 86400;
  tells_tstamp_civil(days, &y, &m, &d);
  if (y < 0 || y > 9999) {   /* not reachable from an int64 of nanoseconds */
    memcpy(out, "1970-01-01T00:00:00.000000+0000", 32);
    return;
  }
  eve_digits(out, (unsigned)y, 4);
  out[4] = '-'; eve_digits(out + 5, m, 2);
  out[7] = '-'; eve_digits(out + 8, d, 2);
  out[10] = 'T'; eve_digits(out + 11, (unsigned)(sec / 3600), 2);
  out[13] = ':'; eve_digits(out + 14, (unsigned)(sec / 60 % 60), 2);
  out[16] = ':'; eve_digits(out + 17, (unsigned)(sec % 60), 2);
  out[19] = '.'; eve_digits(out + 20, (unsigned)us, 6);
  memcpy(out + 26, "+0000", 6);
}

const char *tells_eve_proto(uint8_t proto, char tmp[8]) {
  switch (proto) {
  case 6: return "TCP";
  case 17: return "UDP";
  case 1: return "ICMP";
  case 58: return "IPV6-ICMP";
  case 132: return "SCTP";
  case 47: return "GRE";
  default: snprintf(tmp, 8, "%u", proto); return tmp;
  }
}

void tells_eve_ip6(const uint8_t ip[16], char out[46]) {
  size_t i, o = 0;
  for (i = 0; i < 16; i++) {     /* "xxxx" then ":xxxx" seven times: 39 characters */
    if (i && !(i & 1)) out[o++] = ':';
    out[o++] = eve_hex[ip[i] >> 4];
    out[o++] = eve_hex[ip[i] & 15];
  }
  out[o] = 0;
}

void tells_eve_ip(uint8_t l3, const uint8_t ip[16], char out[46]) {
  if (l3 == TELLS_L3_IPV6) tells_eve_ip6(ip, out);
  else tells_ip_str(l3, ip, out);
}

static void endpoints(const tells_flow *f, const uint8_t **cip, uint16_t *cport,
                      const uint8_t **sip, uint16_t *sport) {
  if (f->client_is_a) {
    *cip = f->key.a; *cport = f->key.pa; *sip = f->key.b; *sport = f->key.pb;
  } else {
    *cip = f->key.b; *cport = f->key.pb; *sip = f->key.a; *sport = f->key.pa;
  }
}

void tells_eve_head(tells_json *j, const tells_flow *f, int64_t ts_ns, const char *event_type) {
  tells_eve_head_dir(j, f, ts_ns, event_type, 0);
}

void tells_eve_head_dir(tells_json *j, const tells_flow *f, int64_t ts_ns,
                        const char *event_type, int from_server) {
  tells_eve_head_cfg(j, f, ts_ns, event_type, from_server, NULL);
}

/* An address as the writer options say. */
static void eve_addr(const tells_flow *f, const uint8_t *ip, const tells_eve_cfg *cfg,
                     char out[46]) {
  if (cfg && cfg->ipv6_compress) tells_ip_str(f->key.l3, ip, out);
  else tells_eve_ip(f->key.l3, ip, out);
}

/* Length of s when every byte of it is written as is by the JSON writer in
** either mode (printable ASCII but '"', '\\', '<', '>', '&', '\'') and it is
** shorter than max; (size_t)-1 otherwise. */
static size_t plain_len(const char *s, size_t max) {
  size_t i;
  for (i = 0; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i + 1 >= max || c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' ||
        c == '>' || c == '&' || c == '\'')
      return (size_t)-1;
  }
  return i;
}

#define PUT_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) += sizeof(lit) - 1)

static char *put_qstr(char *o, const char *s, size_t n) {
  *o++ = '"'; memcpy(o, s, n); o += n; *o++ = '"';
  return o;
}

static char *put_u64(char *o, uint64_t v) {
  char t[20], *p = tells_json_udigits(v, t + sizeof t);
  size_t n = (size_t)(t + sizeof t - p);
  memcpy(o, p, n);
  return o + n;
}

/* The header's members as tells_eve_head_cfg writes them, rendered into
** out (room for EVE_HEAD_MAX bytes) without the general escaper: the time,
** numbers and addresses are plain by construction, the other strings are
** checked.  Returns the length, or 0 when one of them is not plain. */
#define EVE_HEAD_MAX 512   /* the longest is 421 bytes (63-byte event type, */
                           /* 45-byte addresses, VLAN, ports, Community ID) */
static size_t head_members(char *out, const tells_flow *f, const char *t, const char *event_type,
                           const char *cip_s, uint16_t cport, const char *sip_s, uint16_t sport,
                           const char *proto, const char *cid) {
  char *o = out;
  int icmp = f->key.proto == 1 || f->key.proto == 58;
  size_t ne = plain_len(event_type, 64), np = plain_len(proto, 16);
  size_t nc = cid ? plain_len(cid, TELLS_COMMID_LEN) : 0;
  size_t na = plain_len(f->app_proto, sizeof f->app_proto);
  if (ne == (size_t)-1 || np == (size_t)-1 || nc == (size_t)-1 || na == (size_t)-1) return 0;
  PUT_LIT(o, "\"timestamp\":"); o = put_qstr(o, t, strlen(t));
  PUT_LIT(o, ",\"flow_id\":"); o = put_u64(o, f->id);
  PUT_LIT(o, ",\"event_type\":"); o = put_qstr(o, event_type, ne);
  if (f->key.vlan) { PUT_LIT(o, ",\"vlan\":["); o = put_u64(o, f->key.vlan); *o++ = ']'; }
  PUT_LIT(o, ",\"src_ip\":"); o = put_qstr(o, cip_s, strlen(cip_s));
  if (!icmp) { PUT_LIT(o, ",\"src_port\":"); o = put_u64(o, cport); }
  PUT_LIT(o, ",\"dest_ip\":"); o = put_qstr(o, sip_s, strlen(sip_s));
  if (!icmp) { PUT_LIT(o, ",\"dest_port\":"); o = put_u64(o, sport); }
  PUT_LIT(o, ",\"proto\":"); o = put_qstr(o, proto, np);
  if (icmp) {
    PUT_LIT(o, ",\"icmp_type\":"); o = put_u64(o, (uint64_t)(f->key.pa >> 8));
    PUT_LIT(o, ",\"icmp_code\":"); o = put_u64(o, (uint64_t)(f->key.pa & 0xff));
  }
  if (nc) { PUT_LIT(o, ",\"community_id\":"); o = put_qstr(o, cid, nc); }
  if (na) { PUT_LIT(o, ",\"app_proto\":"); o = put_qstr(o, f->app_proto, na); }
  return (size_t)(o - out);
}
#undef PUT_LIT

void tells_eve_head_cfg(tells_json *j, const tells_flow *f, int64_t ts_ns,
                        const char *event_type, int from_server, const tells_eve_cfg *cfg) {
  char t[64], a[46], b[46], tmp[8], cid[TELLS_COMMID_LEN], m[EVE_HEAD_MAX];
  const uint8_t *cip, *sip;
  uint16_t cport, sport;
  int icmp = f->key.proto == 1 || f->key.proto == 58;
  size_t n;
  if (from_server) endpoints(f, &sip, &sport, &cip, &cport);
  else endpoints(f, &cip, &cport, &sip, &sport);
  tells_eve_time(ts_ns, t);
  cid[0] = 0;
  if (cfg && cfg->community_id) tells_commid_flow(f, cfg->community_id_seed, cid);
  eve_addr(f, cip, cfg, a);
  eve_addr(f, sip, cfg, b);
  n = head_members(m, f, t, event_type, a, cport, b, sport, tells_eve_proto(f->key.proto, tmp),
                   cid[0] ? cid : NULL);
  if (n) {
    tells_json_obj_members(j, m, n);
    return;
  }
  /* the general writer, for a string that needs escaping */
  tells_json_obj(j);
  tells_json_kstr(j, "timestamp", t);
  tells_json_ku64(j, "flow_id", f->id);
  tells_json_kstr(j, "event_type", event_type);
  if (f->key.vlan) {
    tells_json_key(j, "vlan");
    tells_json_arr(j); tells_json_u64(j, f->key.vlan); tells_json_arr_end(j);
  }
  tells_json_kstr(j, "src_ip", a);
  if (!icmp) tells_json_ku64(j, "src_port", cport);
  tells_json_kstr(j, "dest_ip", b);
  if (!icmp) tells_json_ku64(j, "dest_port", sport);
  tells_json_kstr(j, "proto", tells_eve_proto(f->key.proto, tmp));
  if (icmp) {
    tells_json_ku64(j, "icmp_type", (uint64_t)(f->key.pa >> 8));
    tells_json_ku64(j, "icmp_code", (uint64_t)(f->key.pa & 0xff));
  }
  if (cid[0]) tells_json_kstr(j, "community_id", cid);
  if (f->app_proto[0]) tells_json_kstr(j, "app_proto", f->app_proto);
}

const char *tells_flow_state(const tells_flow *f) {
  if (f->key.proto != 6) return f->pkts_tc ? "established" : "new";
  if (f->history & (TELLS_FH_RST | TELLS_FH_RST << 8)) return "closed";
  if ((f->history & TELLS_FH_FIN) && (f->history & (TELLS_FH_FIN << 8))) return "closed";
  if (f->history & (TELLS_FH_FIN | TELLS_FH_FIN << 8)) return "fin_wait";
  if ((f->history & (TELLS_FH_SYNACK << 8)) && (f->history & TELLS_FH_ACK)) return "established";
  if (f->history & (TELLS_FH_SYNACK << 8)) return "syn_recv";
  if (f->history & TELLS_FH_SYN) return "syn_sent";
  return "established";   /* picked up mid-stream */
}

static void tcp_flags(tells_json *j, const char *key, uint8_t fl) {
  char h[3];
  h[0] = eve_hex[fl >> 4]; h[1] = eve_hex[fl & 15]; h[2] = 0;
  tells_json_kstr(j, key, h);
}

void tells_eve_flow(tells_json *j, const tells_flow *f, tells_flow_end why) {
  tells_eve_flow_geo(j, f, why, NULL);
}

void tells_eve_flow_geo(tells_json *j, const tells_flow *f, tells_flow_end why,
                        struct tells_detect_run *geo) {
  tells_eve_flow_cfg(j, f, why, geo, NULL);
}

void tells_eve_flow_cfg(tells_json *j, const tells_flow *f, tells_flow_end why,
                        struct tells_detect_run *geo, const tells_eve_cfg *cfg) {
  char t[64];
  static const char *const reasons[] = {"", "timeout", "timeout", "forced", "shutdown"};
  tells_eve_head_cfg(j, f, f->first_ns, "flow", 0, cfg);
  tells_json_key(j, "flow");
  tells_json_obj(j);
  tells_json_ku64(j, "pkts_toserver", f->pkts_ts);
  tells_json_ku64(j, "pkts_toclient", f->pkts_tc);
  tells_json_ku64(j, "bytes_toserver", f->bytes_ts);
  tells_json_ku64(j, "bytes_toclient", f->bytes_tc);
  tells_eve_time(f->first_ns, t); tells_json_kstr(j, "start", t);
  tells_eve_time(f->last_ns, t); tells_json_kstr(j, "end", t);
  /* last_ns >= first_ns; unsigned so hostile timestamps cannot overflow */
  tells_json_ku64(j, "age", ((uint64_t)f->last_ns - (uint64_t)f->first_ns) / 1000000000u);
  tells_json_kstr(j, "state", tells_flow_state(f));
  tells_json_kstr(j, "reason", reasons[why]);
  tells_json_key(j, "alerted"); tells_json_bool(j, 0);
  tells_json_obj_end(j);
  if (f->key.proto == 6) {
    uint8_t all = (uint8_t)(f->tcp_flags_ts | f->tcp_flags_tc);
    tells_json_key(j, "tcp");
    tells_json_obj(j);
    tcp_flags(j, "tcp_flags", all);
    tcp_flags(j, "tcp_flags_ts", f->tcp_flags_ts);
    tcp_flags(j, "tcp_flags_tc", f->tcp_flags_tc);
    if (all & 0x02) { tells_json_key(j, "syn"); tells_json_bool(j, 1); }
    if (all & 0x01) { tells_json_key(j, "fin"); tells_json_bool(j, 1); }
    if (all & 0x04) { tells_json_key(j, "rst"); tells_json_bool(j, 1); }
    if (all & 0x08) { tells_json_key(j, "psh"); tells_json_bool(j, 1); }
    if (all & 0x10) { tells_json_key(j, "ack"); tells_json_bool(j, 1); }
    tells_json_kstr(j, "state", tells_flow_state(f));
    tells_json_obj_end(j);
  }
  if (geo) tells_detect_run_geo_json(geo, j, f);
  tells_json_obj_end(j);
}
