/*
** logs_dump.c -- `tells logs --dump`: every record of EVTX files as JSON
** lines in the shape of the Rust evtx crate's evtx_dump (Event, System,
** EventData, "#attributes"), the shape of SigmaHQ's regression data.
*/
#include <stdio.h>
#include <string.h>
#include "evtx.h"
#include "json.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"

tells_err tells_logs_dump(const char *const *paths, size_t n_paths, int count_only,
                          tells_diag_fn diag, void *diag_ud, FILE *out, uint64_t *n_records) {
  tells_walk w;
  tells_json j;
  tells_evtx_tcache *tc = NULL;
  tells_err e = TELLS_OK;
  uint64_t n = 0;
  size_t i;
  memset(&w, 0, sizeof w);
  w.diag = diag; w.diag_ud = diag_ud;
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  tells_json_init_file(&j, out, 0);
  tc = tells_evtx_tcache_new();          /* NULL: no cache, same output */
  for (i = 0; i < w.n && !j.err; i++) {
    tells_map m;
    tells_anoms an;
    tells_evtx *x = NULL;
    tells_evtx_rec rec;
    size_t a;
    char msg[700];
    if (w.v[i].not_regular) continue;
    if ((e = tells_map_open(w.v[i].path, &m))) {
      snprintf(msg, sizeof msg, "cannot open: %s", tells_strerror(e));
      if (diag) diag(diag_ud, w.v[i].path, msg);
      e = TELLS_OK;
      continue;
    }
    if (tells_sniff(m.p, m.len, NULL) != TELLS_KIND_EVTX) { tells_map_close(&m); continue; }
    tells_anoms_init(&an);
    if (tells_evtx_open(m.p, m.len, &an, &x) == TELLS_OK && x) {
      uint64_t k = 0, rec_k = 0;
      tells_evtx_set_holes(x, m.holes, m.n_holes);
      tells_evtx_set_tcache(x, tc);
      while (tells_evtx_next(x, &rec) > 0 && !j.err) {
        if (count_only) { k++; rec_k += rec.recovered != 0; continue; }
        if (tells_evtx_rec_json(x, &j) == TELLS_OK) { tells_json_nl(&j); n++; }
      }
      if (count_only) {   /* the records were decoded; only their text is skipped */
        tells_json_obj(&j);
        tells_json_kstr(&j, "path", w.v[i].path);
        tells_json_ku64(&j, "records", k);
        tells_json_ku64(&j, "recovered", rec_k);
        tells_json_obj_end(&j);
        tells_json_nl(&j);
        n += k;
      }
      tells_evtx_close(x);
    }
    tells_json_flush(&j);
    for (a = 0; a < an.n && diag; a++) {
      snprintf(msg, sizeof msg, "offset %llu: %s (%s)", (unsigned long long)an.v[a].off,
               an.v[a].detail, an.v[a].code);
      diag(diag_ud, w.v[i].path, msg);
    }
    tells_anoms_free(&an);
    tells_map_close(&m);
  }
  if (!e) e = tells_json_flush(&j);
done:
  tells_evtx_tcache_free(tc);
  tells_walk_free(&w);
  if (n_records) *n_records = n;
  return e;
}
