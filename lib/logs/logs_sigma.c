/*
** logs_sigma.c -- Sigma rules over EVTX records (see logs_sigma.h).
*/
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "json.h"
#include "logs_sigma.h"

typedef struct rep { tells_diag_fn diag; void *ud; tells_logs_rules_stats *st; } rep;

static void on_report(void *ud, const char *path, int line, int fatal, const char *reason) {
  rep *r = ud;
  char where[4200], msg[700];
  if (fatal) r->st->rejected++; else r->st->warnings++;
  snprintf(where, sizeof where, "%s:%d", path ? path : "?", line);
  snprintf(msg, sizeof msg, "Sigma %s: %s", fatal ? "rule rejected" : "warning", reason);
  if (r->diag) r->diag(r->ud, where, msg);
}

tells_err tells_logs_rules_load(const char *const *paths, size_t n, tells_diag_fn diag,
                                void *diag_ud, tells_sigma_ruleset **out,
                                tells_logs_rules_stats *st) {
  tells_sigma_ruleset *set = NULL;
  tells_sigma_load_stats ls;
  rep r;
  tells_err e;
  size_t i;
  memset(st, 0, sizeof *st);
  memset(&ls, 0, sizeof ls);
  r.diag = diag; r.ud = diag_ud; r.st = st;
  *out = NULL;
  if ((e = tells_sigma_ruleset_create(&set))) return e;
  for (i = 0; i < n; i++) {
    if ((e = tells_sigma_load_path(set, paths[i], on_report, &r, &ls))) {
      char msg[300];
      snprintf(msg, sizeof msg, "cannot load Sigma rules: %s", tells_strerror(e));
      if (diag) diag(diag_ud, paths[i], msg);
      st->rejected++;
      if (e == TELLS_ENOMEM) goto fail;
    }
  }
  if ((e = tells_sigma_compile(set, on_report, &r))) goto fail;
  st->loaded = ls.loaded;
  *out = set;
  return TELLS_OK;
fail:
  tells_sigma_ruleset_destroy(set);
  return e;
}

tells_err tells_logs_sigev_fill(tells_logs_sigev *c, const tells_evtx_event *ev, int64_t t_ns) {
  size_t i;
  if (ev->n_fields > c->cap) {
    size_t cap = ev->n_fields < 64 ? 64 : ev->n_fields * 2;
    tells_sigma_field *f = tells_realloc(c->f, cap * sizeof *f);
    if (!f) return TELLS_ENOMEM;
    c->f = f; c->cap = cap;
  }
  for (i = 0; i < ev->n_fields; i++) {
    c->f[i].name = ev->fields[i].name; c->f[i].name_len = ev->fields[i].name_len;
    c->f[i].val = ev->fields[i].value; c->f[i].val_len = ev->fields[i].value_len;
  }
  c->ev.channel = ev->channel;
  c->ev.provider = ev->provider;
  c->ev.computer = ev->computer;
  c->ev.event_id = ev->event_id;
  c->ev.time_ns = t_ns == TELLS_NO_TIME ? 0 : t_ns;
  c->ev.fields = c->f;
  c->ev.n_fields = ev->n_fields;
  return TELLS_OK;
}

void tells_logs_sigev_free(tells_logs_sigev *c) {
  tells_free(c->f);
  c->f = NULL; c->cap = 0;
}

/* Sigma levels are informational, low, medium, high, critical. */
static const char *severity(const char *level) {
  if (!level || !*level || strcmp(level, "informational") == 0) return "info";
  if (strcmp(level, "low") == 0 || strcmp(level, "medium") == 0 ||
      strcmp(level, "high") == 0 || strcmp(level, "critical") == 0) return level;
  return "medium";
}

/* The first ATT&CK tactic tag (attack.persistence -> persistence). */
static const char *tactic(const tells_sigma_rule_info *r, tells_arena *a) {
  size_t i;
  for (i = 0; i < r->n_tags; i++) {
    const char *t = r->tags[i];
    if (strncmp(t, "attack.", 7) == 0 && !((t[7] == 't' || t[7] == 'T') && t[8] >= '0' && t[8] <= '9') &&
        !(t[7] == 'g' && t[8] >= '0' && t[8] <= '9') && !(t[7] == 's' && t[8] >= '0' && t[8] <= '9')) {
      char *s = tells_arena_strndup(a, t + 7, strlen(t + 7));
      size_t k;
      for (k = 0; s && s[k]; k++) if (s[k] == '_') s[k] = '-';
      return s;
    }
  }
  return NULL;
}

tells_err tells_logs_hit_finding(const tells_sigma_hit *h, tells_arena *a, int64_t off,
                                 int64_t record, tells_finding *f) {
  const tells_sigma_rule_info *r = h->rule;
  tells_buf b;
  tells_json j;
  char sum[512];
  size_t i;
  memset(f, 0, sizeof f[0]);
  snprintf(sum, sizeof sum, "Sigma rule \"%s\" matched %s event %u on %s%s%s",
           r->title, h->ev && h->ev->channel ? h->ev->channel : "?", h->ev ? h->ev->event_id : 0,
           h->ev && h->ev->computer ? h->ev->computer : "?",
           h->group ? " for " : "", h->group ? h->group : "");
  tells_buf_init(&b, 1u << 16);
  tells_json_init_buf(&j, &b, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "rule_id", r->id);
  tells_json_kstr(&j, "rule_title", r->title);
  tells_json_kstr(&j, "level", r->level);
  tells_json_kstr(&j, "status", r->status);
  tells_json_kstr(&j, "rule_path", r->path);
  tells_json_key(&j, "tags");
  tells_json_arr(&j);
  for (i = 0; i < r->n_tags; i++) tells_json_str(&j, r->tags[i]);
  tells_json_arr_end(&j);
  if (h->group) { tells_json_kstr(&j, "group", h->group); tells_json_ku64(&j, "count", h->count); }
  /* the computer that logged the event: the host the detection implicates,
  ** whichever computers share the file (forwarded or merged logs) */
  if (h->ev && h->ev->computer && h->ev->computer[0]) tells_json_kstr(&j, "host", h->ev->computer);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  f->details_json = b.err ? NULL : tells_arena_strndup(a, b.p, b.n);
  tells_buf_free(&b);
  {
    size_t k = strlen(r->id[0] ? r->id : r->title) + 7;
    char *rule = tells_arena_alloc(a, k);
    if (rule) snprintf(rule, k, "sigma:%s", r->id[0] ? r->id : r->title);
    f->rule = rule ? rule : "sigma";
  }
  f->source = "logs";
  f->title = r->title;
  f->severity = severity(r->level);
  f->technique = r->n_attack ? r->attack[0] : NULL;
  f->tactic = tactic(r, a);
  f->author = r->author[0] ? r->author : NULL;
  f->summary = tells_arena_strndup(a, sum, strlen(sum));
  f->first_ns = f->last_ns = h->ev && h->ev->time_ns ? h->ev->time_ns : TELLS_NO_TIME;
  f->ref_offset = off; f->ref_record = record;
  return f->summary ? TELLS_OK : TELLS_ENOMEM;
}
