/*
** net_scan.c -- the net pillar's scanner for intake: a pcap or pcapng file
** read packet by packet, decoded, folded into flows that go to the sink as
** EVE-shaped records, and summarised (packets, bytes, link types, time span,
** protocols) on the evidence row.
*/
#include <string.h>
#include "app.h"
#include "cap.h"
#include "capsum.h"
#include "decode.h"
#include "detect_run.h"
#include "eve.h"
#include "flow.h"
#include "ingest.h"
#include "json.h"

tells_err tells_net_scan_capture(tells_ingest *ig);

typedef struct net_ctx {
  tells_ingest *ig;
  tells_buf eve;
  uint64_t n_flows, n_app;
  tells_app_ctx *app;
  const tells_app_rec *rec;   /* record whose indicators are being added */
  const tells_flow *rec_flow; /* its flow */
  tells_detect_run dr;        /* GeoIP and detections of this capture */
  const char *cc_ctx[26 * 26];/* "country XX" contexts, in the file's arena */
} net_ctx;

/* A detection becomes a finding of this evidence file. */
static void on_alert(void *ud, const tells_detect_alert *a) {
  net_ctx *x = ud;
  tells_finding fd;
  memset(&fd, 0, sizeof fd);
  fd.source = "net"; fd.rule = a->rule; fd.title = a->signature; fd.severity = a->level;
  fd.technique = a->technique; fd.tactic = a->tactic; fd.summary = a->summary;
  fd.first_ns = a->first_ns; fd.last_ns = a->last_ns;
  fd.ref_offset = TELLS_NO_REF; fd.ref_record = TELLS_NO_REF;
  fd.details_json = a->details_json;
  tells_ingest_finding(x->ig, &fd);
}

/* The country of an external peer, as an "ip" indicator ("country XX").
** A sighting's context must outlive the file's sightings (ingest.c keeps
** the pointer): one interned string per country code. */
static void peer_country(net_ctx *x, const tells_flow *f, const uint8_t *ip, const char *txt) {
  const tells_geo_info *gi;
  const char *cc;
  unsigned k;
  if (!x->dr.gc || tells_geo_scope(f->key.l3, ip)) return;
  gi = tells_geo_cached(x->dr.gc, f->key.l3, ip);
  cc = gi->country;
  if (!(cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' && !cc[2])) return;
  k = (unsigned)(cc[0] - 'A') * 26 + (unsigned)(cc[1] - 'A');
  if (!x->cc_ctx[k]) {
    char ctx[16];
    snprintf(ctx, sizeof ctx, "country %s", cc);
    x->cc_ctx[k] = tells_arena_strndup(&x->ig->arena, ctx, strlen(ctx));
    if (!x->cc_ctx[k]) return;
  }
  tells_ingest_indicator(x->ig, "ip", txt, f->first_ns, x->cc_ctx[k], TELLS_NO_REF);
}

static void on_ind(void *ud, const char *type, const char *value, const char *context) {
  net_ctx *x = ud;
  tells_ingest_indicator(x->ig, type, value, x->rec->ts_ns, context, (int64_t)x->rec->off);
  if (x->rec->parser == &tells_app_dns && strcmp(type, "domain") == 0)
    tells_detect_run_dns(&x->dr, x->rec_flow, value, tells_app_dns_qtype(x->rec->data, value),
                         x->rec->ts_ns);
}

/* An application record: its indicators (domains, URLs, user agents,
** JA3/JA4...) become sightings at the offset of the packet that
** completed it. */
static void on_app(void *ud, const tells_flow *f, const tells_app_rec *r) {
  net_ctx *x = ud;
  (void)f;
  x->n_app++;
  tells_detect_run_app(&x->dr, f, r);
  if (!r->parser->indicators) return;
  x->rec = r;
  x->rec_flow = f;
  r->parser->indicators(r->data, on_ind, x);
}

static void on_flow(void *ud, const tells_flow *f, tells_flow_end why) {
  net_ctx *x = ud;
  /* the slab entry is not const: the table hands it out read-only */
  if (x->app) tells_app_flow_end(x->app, (tells_flow *)(uintptr_t)f);
  tells_flow_row r;
  tells_json j;
  char cip[46], sip[46], tmp[8];
  const uint8_t *ca = f->client_is_a ? f->key.a : f->key.b;
  const uint8_t *sa = f->client_is_a ? f->key.b : f->key.a;
  int ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
  tells_buf_reset(&x->eve);
  tells_json_init_buf(&j, &x->eve, 0);
  tells_detect_run_flow(&x->dr, f);
  tells_eve_flow_geo(&j, f, why, &x->dr);
  tells_json_flush(&j);
  tells_ip_str(f->key.l3, ca, cip);
  tells_ip_str(f->key.l3, sa, sip);
  peer_country(x, f, ca, cip);
  peer_country(x, f, sa, sip);
  memset(&r, 0, sizeof r);
  r.first_ns = f->first_ns; r.last_ns = f->last_ns;
  r.proto = tells_eve_proto(f->key.proto, tmp);
  r.app_proto = f->app_proto[0] ? f->app_proto : NULL;
  r.src_ip = cip; r.dest_ip = sip;
  r.src_port = ports ? (f->client_is_a ? f->key.pa : f->key.pb) : -1;
  r.dest_port = ports ? (f->client_is_a ? f->key.pb : f->key.pa) : -1;
  r.pkts_toserver = f->pkts_ts; r.pkts_toclient = f->pkts_tc;
  r.bytes_toserver = f->bytes_ts; r.bytes_toclient = f->bytes_tc;
  r.state = tells_flow_state(f);
  r.eve_json = x->eve.err ? NULL : tells_buf_str(&x->eve);
  tells_ingest_flow(x->ig, &r);
  x->n_flows++;
}

tells_err tells_net_scan_capture(tells_ingest *ig) {
  tells_cap c;
  tells_pkt p;
  tells_dec d;
  tells_flow_table *ft = NULL;
  tells_cap_stats st;
  net_ctx x;
  tells_json j;
  tells_err e;
  uint64_t n = 0;
  int ts, i;
  memset(&x, 0, sizeof x);
  memset(&st, 0, sizeof st);
  st.first_ns = st.last_ns = INT64_MIN;
  x.ig = ig;
  tells_buf_init(&x.eve, 1u << 16);
  e = tells_cap_open(ig->buf, ig->len, &ig->anoms, &c);
  if (e) { tells_buf_free(&x.eve); return e == TELLS_ENOMEM ? e : TELLS_OK; }
  {
    char err[200];
    if ((e = tells_detect_run_open(&x.dr, NULL, err, sizeof err))) goto done;
  }
  {
    tells_app_opts ao;         /* parsers' anomalies are anomalies of this file */
    memset(&ao, 0, sizeof ao);
    ao.anoms = &ig->anoms;
    if ((e = tells_app_create(&ao, on_app, &x, &x.app))) goto done;
  }
  if ((e = tells_flow_table_create(NULL, on_flow, &x, &ft))) goto done;
  while (tells_cap_next(&c, &p) > 0 && !ig->sink_err) {
    st.pkts++; st.bytes += p.origlen; st.cap_bytes += p.caplen;
    tells_ingest_time(ig, p.ts_ns);
    if (tells_decode(p.data, p.caplen, p.linktype, &d)) {
      tells_flow *f = tells_flow_packet(ft, &d, p.origlen, p.ts_ns, &ts);
      if (f) tells_app_packet(x.app, f, &d, &ts, p.ts_ns, p.off);
      if (d.l3 < 5) st.l3[d.l3]++;
      st.l4[d.proto]++;
    } else if (d.l3 < 5) {
      st.l3[d.l3]++;
    }
    if (d.anom) st.dec_anoms++;
    if ((++n & 4095) == 0) tells_ingest_advance(ig, (size_t)p.off);
  }
  tells_flow_flush(ft);
  if (x.dr.det) {
    char cap[700];
    tells_detect_finish(x.dr.det, on_alert, &x);
    if (tells_detect_note(x.dr.det, cap, sizeof cap))   /* a cap was reached */
      tells_anom_add(&ig->anoms, 0, "net.detect_capacity", "%s", cap);
  }
  st.first_ns = ig->first_ns == TELLS_NO_TIME ? INT64_MIN : ig->first_ns;
  st.last_ns = ig->last_ns == TELLS_NO_TIME ? INT64_MIN : ig->last_ns;
  tells_json_init_buf(&j, &ig->summary, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "format", c.fmt == TELLS_CAP_PCAPNG ? "pcapng" : "pcap");
  tells_json_ku64(&j, "packets", st.pkts);
  tells_json_ku64(&j, "bytes", st.bytes);
  tells_json_ku64(&j, "flows", x.n_flows);
  tells_json_ku64(&j, "flows_evicted", tells_flow_evicted(ft));
  tells_json_ku64(&j, "app_records", x.n_app);
  tells_json_ku64(&j, "decode_anomalies", st.dec_anoms);
  tells_json_key(&j, "linktypes");
  tells_json_arr(&j);
  for (i = 0; i < (int)c.n_ifaces; i++) {
    const char *ln = tells_linktype_name(c.ifaces[i].linktype);
    if (ln) tells_json_str(&j, ln); else tells_json_u64(&j, c.ifaces[i].linktype);
  }
  tells_json_arr_end(&j);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
done:
  tells_flow_table_destroy(ft);
  tells_app_destroy(x.app);
  tells_detect_run_close(&x.dr);
  tells_cap_close(&c);
  tells_buf_free(&x.eve);
  return e;
}
