/*
** capsum.c -- capture summary: one pass of reader + decoder, counts, JSON.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "capsum.h"
#include "decode.h"
#include "ipfrag.h"

const char *tells_linktype_name(uint32_t lt) {
  switch (lt) {
  case 0: return "NULL";
  case 1: return "ETHERNET";
  case 9: return "PPP";
  case 10: return "FDDI";
  case 50: return "PPP_HDLC";
  case 51: return "PPP_ETHER";
  case 101: return "RAW";
  case 105: return "IEEE802_11";
  case 108: return "LOOP";
  case 113: return "LINUX_SLL";
  case 127: return "IEEE802_11_RADIOTAP";
  case 228: return "IPV4";
  case 229: return "IPV6";
  case 230: return "IEEE802_15_4_NOFCS";
  case 239: return "NFLOG";
  case 274: return "ETHERNET_MPACKET";
  case 276: return "LINUX_SLL2";
  }
  return NULL;
}

void tells_ns_iso8601(int64_t ns, char out[64]) {
  int64_t s = ns / 1000000000, f = ns % 1000000000;
  time_t t;
  struct tm tm;
  if (f < 0) { f += 1000000000; s--; }
  t = (time_t)s;
  if (!gmtime_r(&t, &tm)) { snprintf(out, 64, "invalid"); return; }
  snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)f);
}

void tells_cap_scan(tells_cap *c, tells_cap_stats *st) {
  tells_pkt pk;
  tells_dec d;
  tells_ipfrag *fr = NULL;
  int fr_tried = 0;
  memset(st, 0, sizeof *st);
  st->first_ns = st->last_ns = INT64_MIN;
  while (tells_cap_next(c, &pk)) {
    st->pkts++;
    st->bytes += pk.origlen;
    st->cap_bytes += pk.caplen;
    if (st->first_ns == INT64_MIN || pk.ts_ns < st->first_ns) st->first_ns = pk.ts_ns;
    if (st->last_ns == INT64_MIN || pk.ts_ns > st->last_ns) st->last_ns = pk.ts_ns;
    tells_decode(pk.data, pk.caplen, pk.linktype, &d);
    st->l3[d.l3]++;
    if (d.l3 == TELLS_L3_IPV4 || d.l3 == TELLS_L3_IPV6) st->l4[d.proto]++;
    if (d.flags & TELLS_DEC_GRE) st->gre++;
    if (d.flags & TELLS_DEC_VXLAN) st->vxlan++;
    if (d.flags & TELLS_DEC_IPIP) st->ipip++;
    if (d.flags & TELLS_DEC_ERSPAN) st->erspan++;
    if (d.flags & TELLS_DEC_MPLS) st->mpls++;
    if (d.flags & TELLS_DEC_GENEVE) st->geneve++;
    if (d.flags & TELLS_DEC_GTP) st->gtp++;
    if (d.flags & TELLS_DEC_TEREDO) st->teredo++;
    if (d.flags & TELLS_DEC_PPPOE) st->pppoe++;
    if (d.n_vlan) st->vlan++;
    if (d.flags & TELLS_DEC_FRAG) {
      const uint8_t *dg;
      uint32_t dl;
      uint8_t pr;
      st->frags++;
      if (!fr_tried) {                 /* first fragment: make the table */
        fr_tried = 1;
        (void)tells_ipfrag_create(0, 0, 0, &fr);  /* NULL: no reassembly */
      }
      if (fr && tells_ipfrag_add(fr, &d, pk.ts_ns, pk.off, c->anoms, &dg, &dl, &pr))
        st->reassembled++;
    }
    if (d.flags & TELLS_DEC_IP_CSUM) st->ip_bad_csum++;
    if (d.flags & TELLS_DEC_TRUNC) st->ip_trunc++;
    if (d.flags & TELLS_DEC_L2_UNSUP) st->l2_unsup++;
    if (d.anom) {
      st->dec_anoms++;
      if (c->anoms && st->dec_anoms <= TELLS_CAPSUM_MAX_DEC_ANOMS)
        tells_anom_add(c->anoms, (uint64_t)(pk.data - c->p) + d.anom_off, d.anom,
                       "packet %llu (record at %llu): %s",
                       (unsigned long long)c->n_pkts, (unsigned long long)pk.off, d.anom);
    }
  }
  if (fr) {
    st->frag_overlaps = tells_ipfrag_stats_get(fr)->overlaps;
    tells_ipfrag_destroy(fr);
  }
}

static void ts_json(tells_json *j, const char *k, int64_t ns) {
  char b[64];
  tells_json_key(j, k);
  if (ns == INT64_MIN) { tells_json_null(j); return; }
  tells_ns_iso8601(ns, b);
  tells_json_str(j, b);
}

void tells_cap_stats_json(const tells_cap *c, const tells_cap_stats *st, tells_json *j) {
  uint32_t i;
  int k;
  char ver[32];
  tells_json_obj(j);
  tells_json_kstr(j, "format", tells_cap_fmt_name(c->fmt));
  snprintf(ver, sizeof ver, "%u.%u", c->ver_major, c->ver_minor);
  tells_json_kstr(j, "version", ver);
  tells_json_kstr(j, "byte_order", c->big ? "big" : "little");
  if (c->fmt == TELLS_CAP_PCAPNG) tells_json_ku64(j, "sections", c->n_sections);
  tells_json_key(j, "interfaces");
  tells_json_arr(j);
  for (i = 0; i < c->n_ifaces; i++) {
    const tells_cap_iface *f = &c->ifaces[i];
    const char *nm = tells_linktype_name(f->linktype);
    tells_json_obj(j);
    tells_json_ku64(j, "id", i);
    tells_json_ku64(j, "linktype", f->linktype);
    tells_json_kstr(j, "linktype_name", nm);
    tells_json_ku64(j, "snaplen", f->snaplen);
    tells_json_ku64(j, "section", f->section);
    tells_json_kstr(j, "ts_resolution", (f->tsresol & 0x80) ? "pow2" : "pow10");
    tells_json_ku64(j, "ts_exponent", f->tsresol & 0x7f);
    tells_json_ki64(j, "ts_offset_s", f->tsoffset_ns / 1000000000);
    tells_json_ku64(j, "packets", f->n_pkts);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_ku64(j, "packets", st->pkts);
  tells_json_ku64(j, "bytes", st->bytes);
  tells_json_ku64(j, "captured_bytes", st->cap_bytes);
  ts_json(j, "first_ts", st->first_ns);
  ts_json(j, "last_ts", st->last_ns);
  tells_json_ku64(j, "anomalies", c->n_anoms + st->dec_anoms);
  tells_json_ku64(j, "reader_anomalies", c->n_anoms);
  tells_json_ku64(j, "decode_anomalies", st->dec_anoms);
  tells_json_ku64(j, "skipped_records", c->n_skipped);
  tells_json_ku64(j, "resyncs", c->n_resync);
  tells_json_key(j, "l3");
  tells_json_obj(j);
  for (k = 0; k < 5; k++)
    if (st->l3[k]) tells_json_ku64(j, tells_l3_name(k), st->l3[k]);
  tells_json_obj_end(j);
  tells_json_key(j, "l4");
  tells_json_obj(j);
  for (k = 0; k < 256; k++) {
    if (st->l4[k]) {
      const char *nm = tells_ipproto_name(k);
      char b[16];
      if (!nm) { snprintf(b, sizeof b, "ip%d", k); nm = b; }
      tells_json_ku64(j, nm, st->l4[k]);
    }
  }
  tells_json_obj_end(j);
  tells_json_key(j, "encapsulation");
  tells_json_obj(j);
  tells_json_ku64(j, "vlan", st->vlan);
  tells_json_ku64(j, "mpls", st->mpls);
  tells_json_ku64(j, "pppoe", st->pppoe);
  tells_json_ku64(j, "gre", st->gre);
  tells_json_ku64(j, "erspan", st->erspan);
  tells_json_ku64(j, "vxlan", st->vxlan);
  tells_json_ku64(j, "geneve", st->geneve);
  tells_json_ku64(j, "gtp", st->gtp);
  tells_json_ku64(j, "teredo", st->teredo);
  tells_json_ku64(j, "ip_in_ip", st->ipip);
  tells_json_obj_end(j);
  tells_json_ku64(j, "ip_fragments", st->frags);
  tells_json_ku64(j, "ip_reassembled", st->reassembled);
  tells_json_ku64(j, "ip_fragment_overlaps", st->frag_overlaps);
  tells_json_ku64(j, "ipv4_bad_checksum", st->ip_bad_csum);
  tells_json_ku64(j, "ip_truncated", st->ip_trunc);
  tells_json_ku64(j, "link_not_decoded", st->l2_unsup);
  tells_json_obj_end(j);
}

tells_err tells_cap_summary_json(const uint8_t *p, size_t len, tells_anoms *anoms,
                                 tells_json *j, tells_cap_stats *st) {
  tells_cap c;
  tells_cap_stats local;
  tells_err e = tells_cap_open(p, len, anoms, &c);
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  st->first_ns = st->last_ns = INT64_MIN;
  if (e == TELLS_OK) tells_cap_scan(&c, st);
  tells_cap_stats_json(&c, st, j);
  tells_cap_close(&c);
  return e;
}
