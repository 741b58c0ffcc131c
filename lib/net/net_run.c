/*
** net_run.c -- `tells net`: captures read as one continuous capture into EVE
** JSON lines.  One flow table spans every file, in walk order (rotated
** captures are named in sequence), so a flow that crosses a file boundary
** is one record.  Files that are not captures are skipped with a note.
*/
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "app.h"
#include "cap.h"
#include "decode.h"
#include "detect_run.h"
#include "eve.h"
#include "flow.h"
#include "json.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"

typedef struct run_ctx {
  tells_json j;
  uint64_t n;
  tells_app_ctx *app;
  tells_detect_run dr;        /* GeoIP and detections */
  tells_eve_cfg cfg;          /* community_id, address form */
  const tells_flow *dns_flow; /* flow of the DNS record being read */
  const void *dns_rec;        /* and the record */
  int64_t dns_ts;
} run_ctx;

/* A DNS query name (through the parser's indicators) for the detectors. */
static void on_dns_name(void *ud, const char *type, const char *value, const char *context) {
  run_ctx *x = ud;
  (void)context;
  if (strcmp(type, "domain") == 0)
    tells_detect_run_dns(&x->dr, x->dns_flow, value, tells_app_dns_qtype(x->dns_rec, value), x->dns_ts);
}

static void on_alert(void *ud, const tells_detect_alert *a) {
  run_ctx *x = ud;
  tells_detect_eve_alert(&x->j, &x->dr, a);
  tells_json_nl(&x->j);
  x->n++;
}

/* An application record (dns, http, tls, ssh) of flow f. */
static void on_app(void *ud, const tells_flow *f, const tells_app_rec *r) {
  run_ctx *x = ud;
  tells_eve_head_cfg(&x->j, f, r->ts_ns, r->event_type, r->from_server, &x->cfg);
  tells_app_rec_head(&x->j, r);
  r->parser->eve(&x->j, r->data);
  tells_json_obj_end(&x->j);
  tells_json_nl(&x->j);
  x->n++;
  tells_detect_run_app(&x->dr, f, r);
  if (r->parser == &tells_app_dns && r->parser->indicators && x->dr.det) {
    x->dns_flow = f; x->dns_ts = r->ts_ns; x->dns_rec = r->data;
    r->parser->indicators(r->data, on_dns_name, x);
  }
}

static void emit(void *ud, const tells_flow *f, tells_flow_end why) {
  run_ctx *x = ud;
  /* the slab entry is not const: the table hands it out read-only */
  if (x->app) tells_app_flow_end(x->app, (tells_flow *)(uintptr_t)f);
  tells_detect_run_flow(&x->dr, f);
  tells_eve_flow_cfg(&x->j, f, why, &x->dr, &x->cfg);
  tells_json_nl(&x->j);
  x->n++;
}

/* The pages of a mapped capture behind the reader are released every
** NET_STEP bytes, so the resident set is bounded by the flow cap and not by
** the capture size.  The mapping is read-only and file-backed: a page read
** again (a reassembly still pointing back) is simply faulted in again.
** (Filling the page tables ahead with MADV_POPULATE_READ was tried: no
** measurable gain, 24 MB more resident.) */
#define NET_STEP ((size_t)16 << 20)

static size_t net_drop_behind(const tells_map *m, size_t dropped, size_t off) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), to = off - NET_STEP / 4;
  to -= to % pg;
  if (to > dropped) {
    (void)madvise((void *)(uintptr_t)(m->p + dropped), to - dropped, MADV_DONTNEED);
    dropped = to;
  }
  return dropped;
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
  if (o) {
    x.cfg.community_id = o->community_id;
    x.cfg.community_id_seed = o->community_id_seed;
    x.cfg.ipv6_compress = o->ipv6_compress;
  }
  {
    char err[700];
    if ((e = tells_detect_run_open(&x.dr, o, err, sizeof err))) {
      if (e != TELLS_ENOMEM) note(o, "net", err);
      return e;
    }
  }
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  {
    tells_app_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.dns_version = o ? o->dns_version : 0;
    ao.http_headers = o ? o->http_headers : 0;
    if ((e = tells_app_create(&ao, on_app, &x, &x.app))) goto done;
  }
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
      size_t dropped = 0;
      while (tells_cap_next(&c, &p) > 0) {
        tells_app_tick(x.app);
        if (tells_decode(p.data, p.caplen, p.linktype, &d)) {
          tells_flow *f = tells_flow_packet(ft, &d, p.origlen, p.ts_ns, &ts);
          if (f) tells_app_packet(x.app, f, &d, &ts, p.ts_ns, p.off);
        }
        if (!m.copied && p.off - dropped >= NET_STEP) dropped = net_drop_behind(&m, dropped, (size_t)p.off);
      }
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
  if (x.dr.det) {
    char cap[700];
    tells_detect_finish(x.dr.det, on_alert, &x);
    if (tells_detect_note(x.dr.det, cap, sizeof cap)) note(o, "net", cap);   /* a cap was reached */
  }
  e = tells_json_flush(&x.j);
done:
  tells_flow_table_destroy(ft);
  tells_app_destroy(x.app);
  tells_detect_run_close(&x.dr);
  tells_walk_free(&w);
  if (n_records) *n_records = x.n;
  return e;
}
