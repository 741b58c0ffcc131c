/*
** detect_run.c -- GeoIP and detections for a run of the net pillar (see
** detect_run.h): setup from tells_net_opts, geo members of flow records,
** and alerts as EVE "alert" records with their ATT&CK metadata.
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "detect_run.h"
#include "eve.h"

static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static tells_geo *shared_geo;

static void shared_open(void) {
  char err[600];
  if (tells_geo_open(NULL, 0, 1, &shared_geo, err, sizeof err) != TELLS_OK) shared_geo = NULL;
}

const tells_geo *tells_detect_shared_geo(void) {
  pthread_once(&shared_once, shared_open);
  return shared_geo;
}

tells_err tells_detect_run_open(tells_detect_run *r, const tells_net_opts *o, char *err,
                                size_t errlen) {
  tells_detect_opts dopt;
  tells_err e;
  size_t i;
  memset(r, 0, sizeof *r);
  err[0] = 0;
  tells_detect_opts_default(&dopt);
  for (i = 0; o && i < o->n_detect_settings; i++)
    if ((e = tells_detect_opts_set(&dopt, o->detect_settings[i], err, errlen))) return e;
  if (o && o->n_geoip_paths && !o->no_geoip) {
    if ((e = tells_geo_open(o->geoip_paths, o->n_geoip_paths, 0, &r->geo_owned, err, errlen)))
      return e;
    r->geo = r->geo_owned;
    r->gc = tells_geo_cache_new(r->geo);
  } else if (!o || !o->no_geoip) {
    r->gc = tells_geo_cache_lazy(tells_detect_shared_geo);   /* loaded at first lookup */
  } else {
    r->gc = tells_geo_cache_new(NULL);
  }
  if (!r->gc) { tells_detect_run_close(r); return TELLS_ENOMEM; }
  if ((!o || !o->no_detect) && (e = tells_detect_new(&dopt, r->gc, &r->det))) {
    tells_detect_run_close(r);
    return e;
  }
  return TELLS_OK;
}

void tells_detect_run_close(tells_detect_run *r) {
  tells_detect_free(r->det);
  tells_geo_cache_free(r->gc);
  tells_geo_close(r->geo_owned);
  memset(r, 0, sizeof *r);
}

void tells_detect_run_flow(tells_detect_run *r, const tells_flow *f) {
  if (r->det) tells_detect_flow(r->det, f);
}

void tells_detect_run_dns(tells_detect_run *r, const tells_flow *f, const char *qname,
                          uint16_t qtype, int64_t ts_ns) {
  if (r->det)
    tells_detect_dns(r->det, f->key.l3, f->client_is_a ? f->key.a : f->key.b, qname, qtype, ts_ns);
}

void tells_detect_run_app(tells_detect_run *r, const tells_flow *f, const tells_app_rec *rec) {
  tells_app_file file;
  if (r->det && tells_app_http_file(rec, &file)) tells_detect_http_file(r->det, f, &file, rec->ts_ns);
}

void tells_detect_run_geo_json(tells_detect_run *r, tells_json *j, const tells_flow *f) {
  const uint8_t *c = f->client_is_a ? f->key.a : f->key.b;
  const uint8_t *s = f->client_is_a ? f->key.b : f->key.a;
  if (!r->gc) return;
  tells_geo_json(j, "src_geo", tells_geo_cached(r->gc, f->key.l3, c));
  tells_geo_json(j, "dest_geo", tells_geo_cached(r->gc, f->key.l3, s));
}

static int sid_of(const char *rule) {
  static const char *const R[] = {"net.exfil", "net.beacon", "net.lateral", "net.scan",
                                  "net.dns_tunnel", "net.http_exe"};
  int i;
  for (i = 0; i < 6; i++) if (strcmp(R[i], rule) == 0) return 9300001 + i;
  return 9300000;
}

static void meta(tells_json *j, const char *key, const char *v) {
  if (!v) return;
  tells_json_key(j, key);
  tells_json_arr(j); tells_json_str(j, v); tells_json_arr_end(j);
}

void tells_detect_eve_alert(tells_json *j, tells_detect_run *r, const tells_detect_alert *a) {
  char t[64], ip[46], tmp[8];
  tells_eve_time(a->first_ns, t);
  tells_json_obj(j);
  tells_json_kstr(j, "timestamp", t);
  if (a->n_flows) tells_json_ku64(j, "flow_id", a->flows[0].flow_id);
  tells_json_kstr(j, "event_type", "alert");
  tells_ip_str(a->l3, a->src, ip);
  tells_json_kstr(j, "src_ip", ip);
  if (a->has_dst) {
    tells_ip_str(a->l3, a->dst, ip);
    tells_json_kstr(j, "dest_ip", ip);
    if (a->dport) tells_json_ku64(j, "dest_port", a->dport);
  }
  tells_json_kstr(j, "proto", tells_eve_proto(a->proto, tmp));
  tells_json_key(j, "alert");
  tells_json_obj(j);
  tells_json_kstr(j, "action", "allowed");
  tells_json_ku64(j, "gid", 1);
  tells_json_ku64(j, "signature_id", (uint64_t)sid_of(a->rule));
  tells_json_ku64(j, "rev", 1);
  tells_json_kstr(j, "signature", a->signature);
  tells_json_kstr(j, "category", a->category);
  tells_json_ku64(j, "severity", (uint64_t)a->severity);
  tells_json_key(j, "metadata");
  tells_json_obj(j);
  meta(j, "mitre_technique_id", a->technique);
  meta(j, "mitre_tactic_name", a->tactic);
  meta(j, "tells_rule", a->rule);
  tells_json_obj_end(j);
  tells_json_obj_end(j);
  if (r && r->gc) {
    tells_geo_json(j, "src_geo", tells_geo_cached(r->gc, a->l3, a->src));
    if (a->has_dst) tells_geo_json(j, "dest_geo", tells_geo_cached(r->gc, a->l3, a->dst));
  }
  tells_json_key(j, "tells");
  tells_json_obj(j);
  tells_json_kstr(j, "rule", a->rule);
  tells_json_kstr(j, "summary", a->summary);
  tells_eve_time(a->last_ns, t);
  tells_json_kstr(j, "end", t);
  if (a->details_json) {
    tells_json_key(j, "details");
    tells_json_raw(j, a->details_json, strlen(a->details_json));
  }
  tells_json_obj_end(j);
  tells_json_obj_end(j);
}
