/*
** ingest.c -- drives one evidence file through its scanner (see ingest.h),
** and the checks that apply to every kind.
*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "alloc.h"
#include "drop.h"
#include "ingest.h"
#include "yara_scan.h"

#define HASH_STEP (1u << 20)

void tells_ingest_init(tells_ingest *ig, const char *path, const uint8_t *buf,
                       size_t len, tells_kind kind, tells_hash *hash,
                       const tells_sink *sink) {
  memset(ig, 0, sizeof *ig);
  ig->path = path; ig->buf = buf; ig->len = len; ig->kind = kind;
  ig->hash = hash; ig->sink = sink;
  ig->first_ns = ig->last_ns = TELLS_NO_TIME;
  tells_arena_init(&ig->arena, 0);
  tells_anoms_init(&ig->anoms);
  tells_buf_init(&ig->summary, 1u << 20);
}

void tells_ingest_free(tells_ingest *ig) {
  tells_free(ig->sight);
  ig->sight = NULL; ig->n_sight = ig->cap_sight = 0;
  tells_arena_free(&ig->arena);
  tells_anoms_free(&ig->anoms);
  tells_buf_free(&ig->summary);
}

void tells_ingest_advance(tells_ingest *ig, size_t off) {
  if (ig->drop) tells_drop_at(ig->drop, TELLS_DROP_SCANNER, off);
  if (!ig->hash || off > ig->len) return;
  while (off >= ig->hashed + HASH_STEP) {
    tells_hash_update(ig->hash, ig->buf + ig->hashed, HASH_STEP);
    ig->hashed += HASH_STEP;
  }
}

void tells_ingest_time(tells_ingest *ig, int64_t ns) {
  if (ns == TELLS_NO_TIME) return;
  if (ig->first_ns == TELLS_NO_TIME || ns < ig->first_ns) ig->first_ns = ns;
  if (ig->last_ns == TELLS_NO_TIME || ns > ig->last_ns) ig->last_ns = ns;
}

/* A gathered sighting.  `type` and `context` are static text (scanners
** pass literals); `value` is copied into the file's arena. */
struct tells_sight {
  const char *type, *value, *context;
  uint32_t hash;
  int64_t first, last, off;
  uint64_t count, seq;       /* seq: order of the first sighting in the file */
};

#define SIGHT_MAX 65536   /* distinct sightings kept per file before flushing */

static uint32_t sight_hash(const char *type, const char *value, const char *ctx) {
  uint32_t h = 2166136261u;
  const char *p;
  for (p = type; *p; p++) { h ^= (uint8_t)*p; h *= 16777619u; }
  for (p = value; *p; p++) { h ^= (uint8_t)*p; h *= 16777619u; }
  h ^= (uint32_t)(uintptr_t)ctx;
  return h ? h : 1;
}

static int same_sight(const struct tells_sight *s, uint32_t h, const char *type,
                      const char *value, const char *ctx) {
  return s->hash == h && s->context == ctx && strcmp(s->type, type) == 0 &&
         strcmp(s->value, value) == 0;
}

static int sight_cmp(const void *a, const void *b) {
  const struct tells_sight *x = *(const struct tells_sight *const *)a;
  const struct tells_sight *y = *(const struct tells_sight *const *)b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sight_send(tells_ingest *ig, struct tells_sight *s) {
  if (!ig->sink_err && ig->sink && ig->sink->indicator)
    ig->sink_err = ig->sink->indicator(ig->sink->ud, s->type, s->value, s->first, s->last,
                                       s->count, s->context, s->off);
  s->hash = 0;
}

/* Sends the gathered sightings in the order they were first seen, so the
** output does not depend on where the table's slots fall (determinism). */
void tells_ingest_flush(tells_ingest *ig) {
  uint32_t i, n = 0;
  struct tells_sight **v = ig->n_sight ? tells_malloc(ig->n_sight * sizeof *v) : NULL;
  for (i = 0; i < ig->cap_sight; i++) {
    struct tells_sight *s = &ig->sight[i];
    if (!s->hash) continue;
    if (v && n < ig->n_sight) v[n++] = s;
    else sight_send(ig, s);            /* no memory for the order: send as found */
  }
  if (v) {
    qsort(v, n, sizeof *v, sight_cmp);
    for (i = 0; i < n; i++) sight_send(ig, v[i]);
    tells_free(v);
  }
  ig->n_sight = 0;
}

static int sight_grow(tells_ingest *ig) {
  uint32_t cap = ig->cap_sight ? ig->cap_sight * 2 : 64, i, k;
  struct tells_sight *old = ig->sight, *v = tells_calloc(cap, sizeof *v);
  if (!v) return 0;
  for (i = 0; i < ig->cap_sight; i++) {
    if (!old[i].hash) continue;
    for (k = old[i].hash & (cap - 1); v[k].hash; k = (k + 1) & (cap - 1)) {}
    v[k] = old[i];
  }
  tells_free(old);
  ig->sight = v; ig->cap_sight = cap;
  return 1;
}

void tells_ingest_indicator(tells_ingest *ig, const char *type, const char *value,
                            int64_t time_ns, const char *context, int64_t off) {
  uint32_t h, k;
  struct tells_sight *s;
  if (ig->sink_err || !ig->sink || !ig->sink->indicator || !value || !*value) return;
  if (ig->n_sight >= SIGHT_MAX) tells_ingest_flush(ig);
  if ((ig->n_sight + 1) * 2 > ig->cap_sight && !sight_grow(ig)) {
    ig->sink_err = ig->sink->indicator(ig->sink->ud, type, value, time_ns, time_ns, 1, context, off);
    return;
  }
  h = sight_hash(type, value, context);
  for (k = h & (ig->cap_sight - 1);; k = (k + 1) & (ig->cap_sight - 1)) {
    s = &ig->sight[k];
    if (!s->hash || same_sight(s, h, type, value, context)) break;
  }
  if (!s->hash) {
    char *v = tells_arena_strndup(&ig->arena, value, strlen(value));
    if (!v) {   /* arena full: send it now rather than lose it */
      ig->sink_err = ig->sink->indicator(ig->sink->ud, type, value, time_ns, time_ns, 1, context, off);
      return;
    }
    s->hash = h; s->type = type; s->value = v; s->context = context;
    s->first = s->last = time_ns; s->off = off; s->count = 0; s->seq = ig->sight_seq++;
    ig->n_sight++;
  }
  s->count++;
  if (time_ns != TELLS_NO_TIME) {
    if (s->first == TELLS_NO_TIME || time_ns < s->first) { s->first = time_ns; s->off = off; }
    if (s->last == TELLS_NO_TIME || time_ns > s->last) s->last = time_ns;
  }
}
void tells_ingest_finding(tells_ingest *ig, const tells_finding *f) {
  if (ig->sink_err || !ig->sink || !ig->sink->finding) return;
  ig->sink_err = ig->sink->finding(ig->sink->ud, f);
}
void tells_ingest_event(tells_ingest *ig, const tells_event *e) {
  if (ig->sink_err || !ig->sink || !ig->sink->event) return;
  ig->sink_err = ig->sink->event(ig->sink->ud, e);
}
void tells_ingest_artifact(tells_ingest *ig, const char *kind, const char *json) {
  if (ig->sink_err || !ig->sink || !ig->sink->artifact) return;
  ig->sink_err = ig->sink->artifact(ig->sink->ud, kind, json);
}

void tells_ingest_flow(tells_ingest *ig, const tells_flow_row *f) {
  if (ig->sink_err || !ig->sink || !ig->sink->flow) return;
  ig->sink_err = ig->sink->flow(ig->sink->ud, f);
}

/* Extensions of documents and media: an executable named like one is
** masquerading (ATT&CK T1036.008, Masquerade File Type). */
static int benign_looking_ext(const char *path) {
  static const char *const ext[] = {
    "txt", "log", "csv", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf",
    "rtf", "odt", "jpg", "jpeg", "png", "gif", "bmp", "mp3", "mp4", "avi",
    "wav", "htm", "html", "xml", "json", "ini", NULL};
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  int i;
  if (!dot || (slash && dot < slash) || dot[1] == 0) return 0;
  for (i = 0; ext[i]; i++)
    if (strcasecmp(dot + 1, ext[i]) == 0) return 1;
  return 0;
}

static void check_masquerade(tells_ingest *ig) {
  char summary[512];
  tells_finding f;
  const char *base;
  if (!ig->path || (ig->kind != TELLS_KIND_PE && ig->kind != TELLS_KIND_ELF)) return;
  if (!benign_looking_ext(ig->path)) return;
  base = strrchr(ig->path, '/');
  base = base ? base + 1 : ig->path;
  snprintf(summary, sizeof summary,
           "%s executable named like a document or media file: %s",
           ig->kind == TELLS_KIND_PE ? "Windows (PE)" : "ELF", base);
  memset(&f, 0, sizeof f);
  f.source = "intake"; f.rule = "masquerade-file-type";
  f.title = "Executable disguised by its file name";
  f.severity = "medium"; f.technique = "T1036.008"; f.tactic = "defense-evasion";
  f.summary = summary;
  f.first_ns = f.last_ns = TELLS_NO_TIME;
  f.ref_offset = 0; f.ref_record = TELLS_NO_REF;
  tells_ingest_finding(ig, &f);
}

/* YARA rules look at executables and at whatever intake could not place
** (scripts, documents, dumps); captures and event logs have their own
** detection content. */
int tells_ingest_yara_applies(tells_kind kind, size_t len) {
  return kind != TELLS_KIND_PCAP && kind != TELLS_KIND_PCAPNG && kind != TELLS_KIND_EVTX && len;
}

static void run_yara(tells_ingest *ig) {
  tells_yara_result res;
  const tells_yara_hit *h;
  tells_err e;
  if ((!ig->yara && !ig->yara_pre) || !tells_ingest_yara_applies(ig->kind, ig->len)) return;
  if (ig->yara_pre) { res = *ig->yara_pre; e = ig->yara_pre_err; }
  else e = tells_yara_scan(ig->yara, ig->path, ig->buf, ig->len, NULL, &ig->arena, &res);
  if (e == TELLS_ELIMIT)
    tells_anom_add(&ig->anoms, 0, "yara.timeout", "YARA scan timed out; %zu hits found before", res.n_hits);
  else if (e)
    tells_anom_add(&ig->anoms, 0, "yara.error", "YARA scan failed: %s", tells_strerror(e));
  for (h = res.hits; h && !ig->sink_err; h = h->next) {   /* a linked list */
    tells_finding f;
    if (tells_yara_hit_finding(h, &ig->arena, &f) == TELLS_OK) {
      tells_ingest_finding(ig, &f);
      ig->yara_hits++;
    }
  }
}

tells_err tells_ingest_scan(tells_ingest *ig) {
  tells_scan_fn scan = tells_kind_scanner(ig->kind);
  if (scan) {
    tells_err e = scan(ig);
    if (e && !ig->sink_err) ig->sink_err = e;
  }
  return ig->sink_err;
}

tells_err tells_ingest_run(tells_ingest *ig) {
  tells_ingest_scan(ig);
  return tells_ingest_finish(ig);
}

tells_err tells_ingest_finish(tells_ingest *ig) {
  run_yara(ig);
  check_masquerade(ig);
  tells_ingest_flush(ig);
  if (ig->hash && ig->hashed < ig->len) {
    tells_hash_update(ig->hash, ig->buf + ig->hashed, ig->len - ig->hashed);
    ig->hashed = ig->len;
  }
  if (ig->drop) tells_drop_done(ig->drop, TELLS_DROP_SCANNER);
  return ig->sink_err;
}
