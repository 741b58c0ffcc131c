/*
** logs_sigma.h -- the bridge between EVTX records and the Sigma engine:
** a rule set loaded once per run, EVTX events turned into Sigma events,
** and Sigma hits turned into findings that carry the rule's id, title,
** level, ATT&CK tags and author (the Detection Rule License requires the
** author on every match).
*/
#ifndef TELLS_LOGS_SIGMA_H
#define TELLS_LOGS_SIGMA_H

#include "evtx.h"
#include "ingest.h"
#include "sigma.h"

typedef struct tells_logs_rules_stats {
  uint64_t loaded, rejected, warnings;
} tells_logs_rules_stats;

/* Loads and compiles the Sigma rules under `paths`.  Every rule that is
** rejected, and every warning, goes to `diag` as "FILE:LINE" and a reason. */
tells_err tells_logs_rules_load(const char *const *paths, size_t n, tells_diag_fn diag,
                                void *diag_ud, tells_sigma_ruleset **out,
                                tells_logs_rules_stats *st /* OUT */);

/* Reusable storage for converting EVTX events (grows, owned). */
typedef struct tells_logs_sigev {
  tells_sigma_event ev;
  tells_sigma_field *f; size_t cap;
} tells_logs_sigev;

/* Fills c->ev from an EVTX event; returns ENOMEM if the field array
** cannot grow. */
tells_err tells_logs_sigev_fill(tells_logs_sigev *c, const tells_evtx_event *ev, int64_t t_ns);
void tells_logs_sigev_free(tells_logs_sigev *c);

/* A finding for a hit, its strings in `a`.  `off` and `record` locate the
** record in the evidence. */
tells_err tells_logs_hit_finding(const tells_sigma_hit *h, tells_arena *a, int64_t off,
                                 int64_t record, tells_finding *f /* OUT */);

#endif
