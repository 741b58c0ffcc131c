/*
** scan.c -- evidence analysed without a case: one JSON object per file.
**
** tells_scan_buffer() runs one buffer through sniffing and its scanner (the
** fuzzers drive this path); scan_pool.c does the same for files and folders,
** with hashes and YARA, for the single-pillar commands (`tells code`).  The
** sink here collects what the scanner sends -- artifact, indicators,
** findings, events -- and the object is written when the file is done.
*/
#include <string.h>
#include "scan_int.h"
#include "sniff.h"


static void sep(tells_buf *b, uint64_t n) { if (n) tells_buf_addc(b, ','); }

static tells_err js_artifact(void *ud, const char *kind, const char *json) {
  jsink *s = ud;
  tells_buf_reset(&s->artifact);
  tells_buf_adds(&s->artifact, json);
  s->artifact_kind = kind;
  return TELLS_OK;
}

static tells_err js_indicator(void *ud, const char *type, const char *value,
                              int64_t t, int64_t last, uint64_t count, const char *ctx,
                              int64_t off) {
  jsink *s = ud;
  tells_json j;
  sep(&s->indicators, s->n_ind++);
  tells_json_init_buf(&j, &s->indicators, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "type", type);
  tells_json_kstr(&j, "value", value);
  if (ctx) tells_json_kstr(&j, "context", ctx);
  if (t != TELLS_NO_TIME) tells_json_ki64(&j, "time_ns", t);
  if (last != TELLS_NO_TIME && last != t) tells_json_ki64(&j, "last_ns", last);
  if (count > 1) tells_json_ku64(&j, "count", count);
  if (off >= 0) tells_json_ki64(&j, "offset", off);
  tells_json_obj_end(&j);
  return tells_json_flush(&j);
}

static tells_err js_finding(void *ud, const tells_finding *f) {
  jsink *s = ud;
  tells_json j;
  sep(&s->findings, s->n_find++);
  tells_json_init_buf(&j, &s->findings, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "source", f->source);
  tells_json_kstr(&j, "rule", f->rule);
  tells_json_kstr(&j, "title", f->title);
  tells_json_kstr(&j, "severity", f->severity);
  if (f->technique) tells_json_kstr(&j, "technique", f->technique);
  if (f->tactic) tells_json_kstr(&j, "tactic", f->tactic);
  if (f->author) tells_json_kstr(&j, "author", f->author);
  if (f->summary) tells_json_kstr(&j, "summary", f->summary);
  if (f->first_ns != TELLS_NO_TIME) tells_json_ki64(&j, "first_ns", f->first_ns);
  if (f->last_ns != TELLS_NO_TIME) tells_json_ki64(&j, "last_ns", f->last_ns);
  if (f->ref_offset >= 0) tells_json_ki64(&j, "offset", f->ref_offset);
  if (f->ref_record >= 0) tells_json_ki64(&j, "record", f->ref_record);
  if (f->details_json) { tells_json_key(&j, "details"); tells_json_raw(&j, f->details_json, strlen(f->details_json)); }
  tells_json_obj_end(&j);
  return tells_json_flush(&j);
}

static tells_err js_event(void *ud, const tells_event *e) {
  jsink *s = ud;
  tells_json j;
  sep(&s->events, s->n_ev++);
  tells_json_init_buf(&j, &s->events, 0);
  tells_json_obj(&j);
  if (e->time_ns != TELLS_NO_TIME) tells_json_ki64(&j, "time_ns", e->time_ns);
  tells_json_kstr(&j, "kind", e->kind);
  if (e->time_ns != TELLS_NO_TIME && strcmp(e->kind, "pe.compiled") == 0) {
    s->has_build = 1; s->build_ns = e->time_ns;
  }
  if (e->summary) tells_json_kstr(&j, "summary", e->summary);
  if (e->ref_offset >= 0) tells_json_ki64(&j, "offset", e->ref_offset);
  tells_json_obj_end(&j);
  return tells_json_flush(&j);
}

void tells__jsink_init(jsink *s, tells_sink *sink) {
  memset(s, 0, sizeof *s);
  tells_buf_init(&s->artifact, PART_LIMIT);
  tells_buf_init(&s->indicators, PART_LIMIT);
  tells_buf_init(&s->findings, PART_LIMIT);
  tells_buf_init(&s->events, PART_LIMIT);
  memset(sink, 0, sizeof *sink);
  sink->ud = s; sink->artifact = js_artifact; sink->indicator = js_indicator;
  sink->finding = js_finding; sink->event = js_event;
}

void tells__jsink_free(jsink *s) {
  tells_buf_free(&s->artifact); tells_buf_free(&s->indicators);
  tells_buf_free(&s->findings); tells_buf_free(&s->events);
}

static void raw_arr(tells_json *j, const char *key, const tells_buf *b) {
  tells_json_key(j, key);
  tells_json_arr(j);
  if (b->n && !b->err) tells_json_raw(j, b->p, b->n);
  tells_json_arr_end(j);
}

/* The members common to both entry points, written into an open object. */
void tells__scan_results(tells_json *j, const tells_ingest *ig, const jsink *s) {
  size_t i;
  if (ig->summary.n) { tells_json_key(j, "summary"); tells_json_raw(j, ig->summary.p, ig->summary.n); }
  if (s->artifact.n && !s->artifact.err) {
    tells_json_key(j, s->artifact_kind ? s->artifact_kind : "artifact");
    tells_json_raw(j, s->artifact.p, s->artifact.n);
  }
  raw_arr(j, "indicators", &s->indicators);
  raw_arr(j, "findings", &s->findings);
  raw_arr(j, "events", &s->events);
  tells_json_key(j, "anomalies");
  tells_json_arr(j);
  for (i = 0; i < ig->anoms.n; i++) {
    tells_json_obj(j);
    tells_json_ku64(j, "offset", ig->anoms.v[i].off);
    tells_json_kstr(j, "code", ig->anoms.v[i].code);
    tells_json_kstr(j, "detail", ig->anoms.v[i].detail);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  if (ig->anoms.dropped) tells_json_ku64(j, "anomalies_dropped", ig->anoms.dropped);
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
  tells__jsink_init(&js, &sink);
  tells_ingest_init(&ig, NULL, buf, len, kind, NULL, &sink);
  e = tells_ingest_run(&ig);
  if (res) {
    res->kind = kind; res->reason = reason;
    res->n_anomalies = tells_anoms_total(&ig.anoms);
    res->first_ns = ig.first_ns; res->last_ns = ig.last_ns;
  }
  if (out) {
    tells_json_init_file(&j, out, 0);
    tells_json_obj(&j);
    tells_json_kstr(&j, "kind", tells_kind_name(kind));
    if (reason) tells_json_kstr(&j, "reason", reason);
    tells__scan_results(&j, &ig, &js);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    if (!e) e = tells_json_flush(&j);
  }
  tells_ingest_free(&ig);
  tells__jsink_free(&js);
  return e;
}
