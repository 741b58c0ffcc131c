/*
** net_run.c -- `tells net`: captures read as one continuous capture into EVE
** JSON lines.  One flow table spans every file, in walk order (rotated
** captures are named in sequence), so a flow that crosses a file boundary
** is one record.  Files that are not captures are skipped with a note.
*/
#include <string.h>
#include "cap.h"
#include "decode.h"
#include "eve.h"
#include "flow.h"
#include "json.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"

typedef struct run_ctx {
  tells_json j;
  uint64_t n;
} run_ctx;

static void emit(void *ud, const tells_flow *f, tells_flow_end why) {
  run_ctx *x = ud;
  tells_eve_flow(&x->j, f, why);
  tells_json_nl(&x->j);
  x->n++;
}

static void note(const tells_net_opts *o, const char *path, const char *msg) {
  if (o && o->diag) o->diag(o->diag_ud, path, msg);
}

tells_err tells_net_eve(const char *const *paths, size_t n_paths, const tells_net_opts *o,
                        FILE *out, uint64_t *n_records) {
  tells_walk w;
  tells_flow_table *ft = NULL;
  tells_flow_opts fo;
  run_ctx x;
  tells_err e;
  size_t i;
  memset(&w, 0, sizeof w);
  memset(&fo, 0, sizeof fo);
  memset(&x, 0, sizeof x);
  if (o) { fo.max_flows = o->max_flows; w.diag = o->diag; w.diag_ud = o->diag_ud; }
  tells_json_init_file(&x.j, out, 0);
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  if ((e = tells_flow_table_create(&fo, emit, &x, &ft))) goto done;
  for (i = 0; i < w.n; i++) {
    tells_map m;
    tells_anoms an;
    tells_cap c;
    tells_pkt p;
    tells_dec d;
    tells_kind k;
    size_t a;
    int ts;
    char msg[600];
    if (w.v[i].not_regular) continue;
    if ((e = tells_map_open(w.v[i].path, &m))) {
      snprintf(msg, sizeof msg, "cannot open: %s", tells_strerror(e));
      note(o, w.v[i].path, msg);
      e = TELLS_OK;
      continue;
    }
    k = tells_sniff(m.p, m.len, NULL);
    if (k != TELLS_KIND_PCAP && k != TELLS_KIND_PCAPNG) {
      tells_map_close(&m);
      continue;
    }
    tells_map_sequential(&m);
    tells_anoms_init(&an);
    if (tells_cap_open(m.p, m.len, &an, &c) == TELLS_OK) {
      while (tells_cap_next(&c, &p) > 0)
        if (tells_decode(p.data, p.caplen, p.linktype, &d))
          tells_flow_packet(ft, &d, p.origlen, p.ts_ns, &ts);
      tells_cap_close(&c);
    }
    for (a = 0; a < an.n; a++) {
      snprintf(msg, sizeof msg, "anomaly at offset %llu: %s",
               (unsigned long long)an.v[a].off, an.v[a].detail);
      note(o, w.v[i].path, msg);
    }
    tells_anoms_free(&an);
    if (tells_map_close(&m) == TELLS_ECHANGED)
      note(o, w.v[i].path, "file changed while it was being read");
    if (x.j.err) break;
  }
  tells_flow_flush(ft);
  e = tells_json_flush(&x.j);
done:
  tells_flow_table_destroy(ft);
  tells_walk_free(&w);
  if (n_records) *n_records = x.n;
  return e;
}
