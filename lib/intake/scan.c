/*
** scan.c -- evidence analysed without a case: one JSON object per file.
**
** tells_scan_buffer() runs one buffer through sniffing and its scanner (the
** fuzzers drive this path); tells_scan_paths() does the same for files and
** folders, with hashes and YARA, for the single-pillar commands (`tells
** code`).  The sink collects what the scanner sends -- artifact, indicators,
** findings, events -- and the object is written when the file is done.
*/
#include <string.h>
#include <time.h>
#include "codelib.h"
#include "hash.h"
#include "ingest.h"
#include "json.h"
#include "map.h"
#include "pe_tells.h"
#include "sniff.h"
#include "walk.h"
#include "yara_scan.h"

#define PART_LIMIT (16u << 20)

typedef struct jsink {
  tells_buf artifact, indicators, findings, events;
  const char *artifact_kind;
  uint64_t n_ind, n_find, n_ev;
  int has_build;              /* a "pe.compiled" event was sent: */
  int64_t build_ns;           /* its time, for the set of build times */
} jsink;

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

static void jsink_init(jsink *s, tells_sink *sink) {
  memset(s, 0, sizeof *s);
  tells_buf_init(&s->artifact, PART_LIMIT);
  tells_buf_init(&s->indicators, PART_LIMIT);
  tells_buf_init(&s->findings, PART_LIMIT);
  tells_buf_init(&s->events, PART_LIMIT);
  memset(sink, 0, sizeof *sink);
  sink->ud = s; sink->artifact = js_artifact; sink->indicator = js_indicator;
  sink->finding = js_finding; sink->event = js_event;
}

static void jsink_free(jsink *s) {
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
static void write_results(tells_json *j, const tells_ingest *ig, const jsink *s) {
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
  jsink_init(&js, &sink);
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
    write_results(&j, &ig, &js);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    if (!e) e = tells_json_flush(&j);
  }
  tells_ingest_free(&ig);
  jsink_free(&js);
  return e;
}

static void note(const tells_scan_opts *o, const char *path, const char *msg) {
  if (o && o->diag) o->diag(o->diag_ud, path, msg);
}

static void yara_diag(void *ud, const tells_yara_diag *d) {
  const tells_scan_opts *o = ud;
  char where[4200], msg[600];
  snprintf(where, sizeof where, "%s:%d", d->file ? d->file : d->source, d->line);
  snprintf(msg, sizeof msg, "YARA %s: %s", d->level == TELLS_YARA_ERROR ? "error" : "warning", d->msg);
  note(o, where, msg);
}

tells_err tells_scan_paths(const char *const *paths, size_t n_paths, const tells_scan_opts *o,
                           FILE *out, uint64_t *n_files) {
  tells_walk w;
  tells_yara_rules *rules = NULL;
  tells_yara_scanner *scanner = NULL;
  tells_codelib *library = NULL;
  tells_hasher *hasher = NULL;           /* hashes each file beside its scanner */
  int64_t run_time_s = (int64_t)time(NULL);   /* the run's one wall-clock stamp */
  tells_petells_set set;                 /* build times of the PE files */
  tells_json j;
  tells_err e = TELLS_OK;
  size_t i;
  uint64_t n = 0;
  memset(&w, 0, sizeof w);
  tells_petells_set_init(&set);
  if (o) { w.diag = o->diag; w.diag_ud = o->diag_ud; }
  if (o && o->library_path) {          /* the reference library, loaded once */
    char err[1200];
    if ((e = tells_codelib_load(o->library_path, 0, &library, err, sizeof err))) {
      note(o, NULL, err);
      goto done;
    }
  }
  if (o && o->n_yara_paths) {
    tells_yara_opts yo;
    memset(&yo, 0, sizeof yo);
    yo.diag = yara_diag; yo.diag_ud = (void *)o;
    if ((e = tells_yara_compile(o->yara_paths, o->n_yara_paths, &yo, &rules)) ||
        (e = tells_yara_scanner_new(rules, &scanner)))
      goto done;
  }
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  if (tells_hasher_start(&hasher) != TELLS_OK) hasher = NULL;   /* hash inline */
  tells_json_init_file(&j, out, 0);
  for (i = 0; i < w.n && !j.err; i++) {
    tells_map m;
    tells_hash h;
    tells_hash_job job;
    tells_ingest ig;
    tells_sink sink;
    jsink js;
    const char *reason = NULL;
    tells_kind kind;
    tells_err fe;
    char msg[300];
    if (w.v[i].not_regular) continue;
    if ((fe = tells_map_open(w.v[i].path, &m))) {
      snprintf(msg, sizeof msg, "cannot open: %s", tells_strerror(fe));
      note(o, w.v[i].path, msg);
      continue;
    }
    kind = tells_sniff(m.p, m.len, &reason);
    if (o && o->kinds && !(o->kinds & (1u << kind))) { tells_map_close(&m); continue; }
    /* An executable's TLSH is computed with its other hashes. */
    if (tells_hash_init(&h, TELLS_HASH_SHA256 | TELLS_HASH_SHA1 | TELLS_HASH_MD5 |
                            (kind == TELLS_KIND_PE || kind == TELLS_KIND_ELF ? TELLS_HASH_TLSH : 0))) {
      tells_map_close(&m);
      e = TELLS_ENOMEM;
      break;
    }
    /* The worker hashes the file while the scanner reads it; the scanner
    ** joins the job when it needs the TLSH digest, taking over the
    ** algorithms the worker has not started. */
    tells_map_sequential(&m);
    memset(&job, 0, sizeof job);
    job.h = &h; job.p = m.p ? (const void *)m.p : ""; job.n = m.len;
    tells_hasher_post(m.len >= (8u << 10) ? hasher : NULL, &job);   /* small: at once */
    jsink_init(&js, &sink);
    tells_ingest_init(&ig, w.v[i].path, m.p, m.len, kind, NULL, &sink);
    ig.holes = m.holes; ig.n_holes = m.n_holes;
    ig.yara = scanner;
    ig.library = library;
    ig.run_time_s = run_time_s;
    if (kind == TELLS_KIND_PE || kind == TELLS_KIND_ELF) {
      ig.tlsh_from = &h; ig.tlsh_wait = hasher; ig.tlsh_job = &job;
    }
    fe = tells_ingest_run(&ig);
    tells_hasher_join(hasher, &job);
    tells_hash_final(&h);
    tells_ingest_flush(&ig);
    if (tells_map_close(&m) == TELLS_ECHANGED)
      note(o, w.v[i].path, "file changed while it was being read; results may be inconsistent");
    tells_json_obj(&j);
    tells_json_kstr(&j, "path", w.v[i].path);
    tells_json_ku64(&j, "size", ig.len);
    tells_json_kstr(&j, "kind", tells_kind_name(kind));
    if (reason) tells_json_kstr(&j, "reason", reason);
    tells_json_kstr(&j, "sha256", h.sha256);
    tells_json_kstr(&j, "sha1", h.sha1);
    tells_json_kstr(&j, "md5", h.md5);
    if (ig.tlsh[0]) tells_json_kstr(&j, "tlsh", ig.tlsh);
    if (fe) tells_json_kstr(&j, "error", tells_strerror(fe));
    write_results(&j, &ig, &js);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    tells_json_flush(&j);
    tells_ingest_free(&ig);
    tells_hash_free(&h);
    if (kind == TELLS_KIND_PE) {
      set.pe_files++;
      if (js.has_build) tells_petells_set_add(&set, js.build_ns / 1000000000);
    }
    jsink_free(&js);
    n++;
  }
  if (set.timed && !j.err) {   /* the set of samples: docs/pe-json.md, "set" */
    tells_json_obj(&j);
    tells_json_kstr(&j, "kind", "set");
    tells_json_key(&j, "set");
    tells_petells_set_json(&set, &j);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
  }
  if (!e) e = tells_json_flush(&j);
done:
  tells_hasher_stop(hasher);
  tells_codelib_free(library);
  tells_yara_scanner_free(scanner);
  tells_yara_rules_free(rules);
  tells_walk_free(&w);
  if (n_files) *n_files = n;
  return e;
}
