/*
** scan.c -- tells_scan_buffer: one buffer through sniffing and its scanner,
** without a case.  Results are written as one JSON object; this is the path
** the fuzzers drive, and `tells sniff` prints.
*/
#include <string.h>
#include "ingest.h"
#include "json.h"
#include "sniff.h"

typedef struct jsink { tells_json *j; int any; } jsink;

static tells_err js_artifact(void *ud, const char *kind, const char *json) {
  jsink *s = ud;
  if (!s->j) return TELLS_OK;
  tells_json_key(s->j, kind);
  tells_json_raw(s->j, json, strlen(json));
  return TELLS_OK;
}
static tells_err js_indicator(void *ud, const char *type, const char *value,
                              int64_t t, const char *ctx, int64_t off) {
  (void)ud; (void)type; (void)value; (void)t; (void)ctx; (void)off;
  return TELLS_OK;
}
static tells_err js_finding(void *ud, const tells_finding *f) {
  (void)ud; (void)f;
  return TELLS_OK;
}
static tells_err js_event(void *ud, const tells_event *e) {
  (void)ud; (void)e;
  return TELLS_OK;
}

tells_err tells_scan_buffer(const uint8_t *buf, size_t len, FILE *out,
                            tells_scan_result *res) {
  tells_ingest ig;
  tells_sink sink;
  tells_json j;
  jsink js;
  const char *reason = NULL;
  tells_kind kind = tells_sniff(buf, len, &reason);
  tells_err e;
  size_t i;
  memset(&js, 0, sizeof js);
  if (out) {
    tells_json_init_file(&j, out, 0);
    js.j = &j;
    tells_json_obj(&j);
    tells_json_kstr(&j, "kind", tells_kind_name(kind));
    if (reason) tells_json_kstr(&j, "reason", reason);
  }
  sink.ud = &js; sink.artifact = js_artifact; sink.indicator = js_indicator;
  sink.finding = js_finding; sink.event = js_event;
  tells_ingest_init(&ig, NULL, buf, len, kind, NULL, &sink);
  e = tells_ingest_run(&ig);
  if (res) {
    res->kind = kind; res->reason = reason;
    res->n_anomalies = tells_anoms_total(&ig.anoms);
    res->first_ns = ig.first_ns; res->last_ns = ig.last_ns;
  }
  if (out) {
    tells_json_key(&j, "anomalies");
    tells_json_arr(&j);
    for (i = 0; i < ig.anoms.n; i++) {
      tells_json_obj(&j);
      tells_json_ku64(&j, "offset", ig.anoms.v[i].off);
      tells_json_kstr(&j, "code", ig.anoms.v[i].code);
      tells_json_kstr(&j, "detail", ig.anoms.v[i].detail);
      tells_json_obj_end(&j);
    }
    tells_json_arr_end(&j);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    if (!e) e = tells_json_flush(&j);
  }
  tells_ingest_free(&ig);
  return e;
}
