/*
** evtx_check.c -- differential check of the EVTX reader, for the tests and
** the fuzz target fuzz_evtx_sym.
**
** A record's tree is usually a copy of its template's symbolic tree with
** the values filled in (evtx.c, sym_inst), and otherwise the result of
** expanding the compiled ops; some carved candidates are rejected without
** expanding them (carve_reject_ok).  The paths must give the same records.  This
** decodes a buffer twice, once as usual (with a template cache warmed by
** a pass over the same bytes, evtx_tcache.c) and once expanding every
** record without a cache, and compares, record by record, the work charged in the chunk so far,
** the record headers, the evtx_dump JSON, the XML text and the normalised
** event, then the anomalies and counters.
*/
#include <stdio.h>
#include <string.h>
#include "evtx_int.h"

/* The normalised event as text, every member in order. */
static void event_text(tells_evtx *x, tells_buf *b) {
  tells_evtx_event ev;
  size_t i;
  char num[160];
  if (tells_evtx_rec_event(x, &ev) != TELLS_OK) { tells_buf_adds(b, "(no event)"); return; }
  snprintf(num, sizeof num, "%llu %lld %u %u %u %u %u %u %u %u %d|",
           (unsigned long long)ev.record_id, (long long)ev.time, ev.event_id, ev.qualifiers,
           ev.level, ev.task, ev.opcode, ev.version, ev.pid, ev.tid, ev.user_data);
  tells_buf_adds(b, num);
  tells_buf_adds(b, ev.channel); tells_buf_adds(b, "|");
  tells_buf_adds(b, ev.provider); tells_buf_adds(b, "|");
  tells_buf_adds(b, ev.provider_guid); tells_buf_adds(b, "|");
  tells_buf_adds(b, ev.computer); tells_buf_adds(b, "|");
  tells_buf_adds(b, ev.user_sid); tells_buf_adds(b, "|");
  tells_buf_adds(b, ev.keywords);
  for (i = 0; i < ev.n_fields; i++) {
    tells_buf_adds(b, "|");
    tells_buf_add(b, ev.fields[i].name, ev.fields[i].name_len);
    tells_buf_adds(b, "=");
    tells_buf_add(b, ev.fields[i].value, ev.fields[i].value_len);
  }
}

/* Everything a caller sees of the current record, as one text. */
void tells__evtx_record_text(tells_evtx *x, const tells_evtx_rec *r, tells_buf *b) {
  tells_json j;
  char head[160];
  tells_buf_reset(b);
  snprintf(head, sizeof head, "%llu %llu %llu %u %u %d %d\n", (unsigned long long)r->off,
           (unsigned long long)r->id, (unsigned long long)r->written, r->size, r->chunk,
           r->recovered, r->broken);
  tells_buf_adds(b, head);
  tells_json_init_buf(&j, b, 0);
  tells_evtx_rec_json(x, &j);
  tells_json_flush(&j);
  tells_buf_adds(b, "\n");
  tells_evtx_rec_xml(x, b);
  tells_buf_adds(b, "\n");
  event_text(x, b);
}

int tells__evtx_check(const uint8_t *buf, size_t len, uint64_t *n_sym, uint64_t *n_recs,
                      char *why, size_t wn) {
  tells_anoms an[2];
  tells_evtx *x[2] = {NULL, NULL};
  tells_buf t[2];
  tells_evtx_tcache *tc = NULL;
  int k, rc[2], bad = 0;
  uint64_t n = 0;
  size_t i;
  why[0] = 0;
  for (k = 0; k < 2; k++) {
    tells_anoms_init(&an[k]);
    tells_buf_init(&t[k], 64u << 20);
    if (tells_evtx_open(buf, len, &an[k], &x[k]) != TELLS_OK) bad = 1;
  }
  if (bad) { snprintf(why, wn, "open failed"); goto done; }
  tells__evtx_expand_only(x[1], 1);
  /* the reader under test keeps definitions in a template cache, warmed
  ** by a first pass over the same bytes (as another file of the run) */
  if ((tc = tells_evtx_tcache_new()) != NULL) {
    tells_evtx *w = NULL;
    tells_anoms wa;
    tells_evtx_rec r;
    tells_anoms_init(&wa);
    if (tells_evtx_open(buf, len, &wa, &w) == TELLS_OK) {
      tells_evtx_set_tcache(w, tc);
      while (tells_evtx_next(w, &r) == 1) {}
      tells_evtx_close(w);
    }
    tells_anoms_free(&wa);
    tells_evtx_set_tcache(x[0], tc);
  }
  for (;;) {
    tells_evtx_rec r[2];
    for (k = 0; k < 2; k++) rc[k] = tells_evtx_next(x[k], &r[k]);
    if (rc[0] != rc[1]) { snprintf(why, wn, "record %llu: next() %d / %d", (unsigned long long)n, rc[0], rc[1]); bad = 1; break; }
    if (rc[0] != 1) break;
    if (tells__evtx_chunk_work(x[0]) != tells__evtx_chunk_work(x[1])) {
      snprintf(why, wn, "record %llu at offset %llu: chunk work %llu / %llu", (unsigned long long)n,
               (unsigned long long)r[0].off, (unsigned long long)tells__evtx_chunk_work(x[0]),
               (unsigned long long)tells__evtx_chunk_work(x[1]));
      bad = 1;
      break;
    }
    for (k = 0; k < 2; k++) tells__evtx_record_text(x[k], &r[k], &t[k]);
    if (t[0].n != t[1].n || memcmp(tells_buf_str(&t[0]), tells_buf_str(&t[1]), t[0].n)) {
      const char *a = tells_buf_str(&t[0]), *c = tells_buf_str(&t[1]);
      size_t d = 0, from;
      while (a[d] && a[d] == c[d]) d++;
      from = d > 120 ? d - 120 : 0;
      snprintf(why, wn, "record %llu at offset %llu differs at byte %zu:\n...%.300s\n---\n...%.300s",
               (unsigned long long)n, (unsigned long long)r[0].off, d, a + from, c + from);
      bad = 1;
      break;
    }
    n++;
  }
  if (!bad && memcmp(tells_evtx_stats_get(x[0]), tells_evtx_stats_get(x[1]), sizeof(tells_evtx_stats))) {
    snprintf(why, wn, "counters differ");
    bad = 1;
  }
  if (!bad && (an[0].n != an[1].n || an[0].dropped != an[1].dropped)) {
    snprintf(why, wn, "%zu / %zu anomalies", an[0].n, an[1].n);
    bad = 1;
  }
  for (i = 0; !bad && i < an[0].n; i++)
    if (an[0].v[i].off != an[1].v[i].off || strcmp(an[0].v[i].code, an[1].v[i].code) ||
        strcmp(an[0].v[i].detail ? an[0].v[i].detail : "", an[1].v[i].detail ? an[1].v[i].detail : "")) {
      snprintf(why, wn, "anomaly %zu differs: %s / %s", i, an[0].v[i].code, an[1].v[i].code);
      bad = 1;
    }
  if (n_sym) *n_sym = tells__evtx_sym_records(x[0]);
  if (n_recs) *n_recs = n;
done:
  for (k = 0; k < 2; k++) {
    tells_evtx_close(x[k]);
    tells_anoms_free(&an[k]);
    tells_buf_free(&t[k]);
  }
  tells_evtx_tcache_free(tc);
  return bad ? -1 : 0;
}
