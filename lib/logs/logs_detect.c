/*
** logs_detect.c -- `tells logs [--rules]`: Sigma rules over EVTX files, one
** JSON line per detection, then the intrusion summaries of all files
** together (logs_summary.h), without a case.  One rule set serves the whole
** run, so correlation rules see the events of every file.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "evtx.h"
#include "evtx_int.h"
#include "json.h"
#include "logs_sigma.h"
#include "logs_summary.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"

typedef struct det_ctx {
  tells_json *j;
  const char *path;
  uint64_t off, record, n;
} det_ctx;

static int on_hit(void *ud, const tells_sigma_hit *h) {
  det_ctx *c = ud;
  const tells_sigma_rule_info *r = h->rule;
  char t[40];
  size_t i;
  tells_json_obj(c->j);
  tells_json_kstr(c->j, "rule_id", r->id);
  tells_json_kstr(c->j, "rule_title", r->title);
  tells_json_kstr(c->j, "level", r->level);
  tells_json_kstr(c->j, "author", r->author);
  tells_json_key(c->j, "tags");
  tells_json_arr(c->j);
  for (i = 0; i < r->n_tags; i++) tells_json_str(c->j, r->tags[i]);
  tells_json_arr_end(c->j);
  if (h->ev) {
    if (h->ev->time_ns > 0) {     /* the reader's formatter: no libc time calls per hit */
      char full[48];
      size_t k = tells__evtx_filetime(full, (uint64_t)(h->ev->time_ns / 100) + UINT64_C(116444736000000000));
      tells_json_key(c->j, "time");
      tells_json_strn(c->j, full, k);
    } else if (h->ev->time_ns) {
      time_t s = (time_t)(h->ev->time_ns / 1000000000);
      struct tm tm;
      if (gmtime_r(&s, &tm)) {
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
        tells_json_key(c->j, "time");
        {
          char full[64];
          snprintf(full, sizeof full, "%s.%06lldZ", t, (long long)(h->ev->time_ns % 1000000000) / 1000);
          tells_json_str(c->j, full);
        }
      }
    }
    tells_json_kstr(c->j, "computer", h->ev->computer);
    tells_json_kstr(c->j, "channel", h->ev->channel);
    tells_json_ku64(c->j, "event_id", h->ev->event_id);
  }
  if (h->group) { tells_json_kstr(c->j, "group", h->group); tells_json_ku64(c->j, "count", h->count); }
  tells_json_kstr(c->j, "evidence", c->path);
  tells_json_ku64(c->j, "record_id", c->record);
  tells_json_ku64(c->j, "offset", c->off);
  tells_json_obj_end(c->j);
  tells_json_nl(c->j);
  c->n++;
  return c->j->err != TELLS_OK;
}

static int on_summary(void *ud, const tells_lsum_item *it) {
  tells_json *j = ud;
  tells_json_raw(j, it->json, it->json_len);
  tells_json_nl(j);
  return j->err != TELLS_OK;
}

tells_err tells_logs_detect(const char *const *paths, size_t n_paths, const char *const *rules,
                            size_t n_rules, tells_diag_fn diag, void *diag_ud, FILE *out,
                            uint64_t *n_hits) {
  tells_sigma_ruleset *set = NULL;
  tells_logs_rules_stats rs;
  tells_logs_sigev sev;
  tells_walk w;
  tells_json j;
  tells_lsum *sum = NULL;
  tells_evtx_tcache *tc = NULL;
  det_ctx c;
  tells_err e;
  size_t i;
  memset(&w, 0, sizeof w);
  memset(&sev, 0, sizeof sev);
  memset(&c, 0, sizeof c);
  w.diag = diag; w.diag_ud = diag_ud;
  tells_json_init_file(&j, out, 0);
  c.j = &j;
  if (n_rules && (e = tells_logs_rules_load(rules, n_rules, diag, diag_ud, &set, &rs))) goto done;
  if ((e = tells_lsum_create(NULL, &sum))) goto done;
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  tc = tells_evtx_tcache_new();          /* NULL: no cache, same output */
  for (i = 0; i < w.n && !j.err; i++) {
    tells_map m;
    tells_anoms an;
    tells_evtx *x = NULL;
    tells_evtx_rec rec;
    tells_evtx_event ev;
    if (w.v[i].not_regular || tells_map_open(w.v[i].path, &m)) continue;
    if (tells_sniff(m.p, m.len, NULL) != TELLS_KIND_EVTX) { tells_map_close(&m); continue; }
    tells_anoms_init(&an);
    c.path = w.v[i].path;
    if (tells_evtx_open(m.p, m.len, &an, &x) == TELLS_OK && x) {
      tells_evtx_set_holes(x, m.holes, m.n_holes);
      tells_evtx_set_tcache(x, tc);
      tells_lsum_file(sum, w.v[i].path);
      while (tells_evtx_next(x, &rec) > 0 && !j.err) {
        int64_t t;
        if (tells_evtx_rec_event(x, &ev) != TELLS_OK) continue;
        /* FILETIMEs that do not fit in nanoseconds mean "no usable time" */
        t = ev.time < INT64_MIN / 100 || ev.time > INT64_MAX / 100 ? INT64_MIN : ev.time * 100;
        c.off = rec.off; c.record = ev.record_id;
        if (set && ((e = tells_logs_sigev_fill(&sev, &ev, t == INT64_MIN ? 0 : t)) ||
                    (e = tells_sigma_match(set, &sev.ev, on_hit, &c))))
          break;
        if ((e = tells_lsum_add(sum, &ev, t, (int64_t)rec.off))) break;
      }
      tells_evtx_close(x);
    }
    tells_anoms_free(&an);
    tells_map_close(&m);
    if (e) break;
    tells_json_flush(&j);
  }
  if (!e && !j.err) e = tells_lsum_each(sum, on_summary, &j);
  if (!e && !j.err) {
    tells_lsum_stats_json(sum, &j);
    tells_json_nl(&j);
  }
  if (!e) e = tells_json_flush(&j);
done:
  tells_evtx_tcache_free(tc);
  tells_lsum_destroy(sum);
  tells_logs_sigev_free(&sev);
  tells_sigma_ruleset_destroy(set);
  tells_walk_free(&w);
  if (n_hits) *n_hits = c.n;
  return e;
}
