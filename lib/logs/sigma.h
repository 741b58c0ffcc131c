/*
** sigma.h -- the Sigma rule engine: load Sigma v2 rules (YAML), compile them
** into one matcher, and match abstract log events against them.
**
** The engine does not depend on the EVTX reader: it matches a
** tells_sigma_event, a flat list of (name, value) text fields plus the
** System facts (channel, provider, EventID, time) that the channel/EventID
** prefilter needs.  Any log source that can produce named text fields can
** feed it; lib/logs/sigma_jsonevent.c builds events from evtx_dump JSON.
**
** Life cycle:
**   tells_sigma_ruleset_create(&set);
**   tells_sigma_load_path(set, "rules/", report, ud, &stats);   (repeatable)
**   tells_sigma_compile(set, report, ud);                       (once)
**   for each event: tells_sigma_match(set, &ev, on_match, ud);
**   tells_sigma_ruleset_destroy(set);
**
** A ruleset keeps per-event scratch and correlation state, so one ruleset is
** used by one thread at a time.  See docs/internals/sigma.md.
*/
#ifndef TELLS_SIGMA_H
#define TELLS_SIGMA_H

#include <stddef.h>
#include <stdint.h>
#include "tells.h"

typedef struct tells_sigma_ruleset tells_sigma_ruleset;

/* One named field of an event.  Values are UTF-8 text, not necessarily
** NUL-terminated; the lengths are authoritative. */
typedef struct tells_sigma_field {
  const char *name;
  const char *val;
  size_t name_len, val_len;
} tells_sigma_field;

/* The abstract event.  All pointers are borrowed for the duration of one
** tells_sigma_match() call.  `channel` and `provider` may be NULL.  The
** engine adds the fields EventID, Channel, Provider_Name and Computer from
** the struct members when `fields` does not carry them already. */
typedef struct tells_sigma_event {
  const char *channel;       /* System/Channel, e.g. "Security" */
  const char *provider;      /* System/Provider Name */
  const char *computer;      /* System/Computer */
  uint32_t event_id;         /* System/EventID */
  int64_t time_ns;           /* UTC, ns since 1970; used by correlations */
  const tells_sigma_field *fields;  /* EventData / UserData, by name */
  size_t n_fields;
} tells_sigma_event;

/* What a rule is. */
typedef enum tells_sigma_kind {
  TELLS_SIGMA_RULE = 0,      /* detection rule */
  TELLS_SIGMA_CORRELATION,   /* correlation rule */
  TELLS_SIGMA_FILTER         /* filter (never matches by itself) */
} tells_sigma_kind;

/* Read-only view of a loaded rule's metadata; strings are "" when absent
** and owned by the ruleset. */
typedef struct tells_sigma_rule_info {
  const char *id, *name, *title, *level, *status, *author, *path;
  const char *product, *category, *service;
  const char *const *tags;   size_t n_tags;    /* as written */
  const char *const *attack; size_t n_attack;  /* "T1059.001", from attack.tXXXX */
  tells_sigma_kind kind;
  int line;                  /* line of the YAML document start (1-based) */
} tells_sigma_rule_info;

/* One detection handed to the match callback.  Everything is borrowed for
** the duration of the callback. */
typedef struct tells_sigma_match {
  const tells_sigma_rule_info *rule;  /* id, title, level, tags, author */
  const tells_sigma_event *ev;        /* the (last) event that matched */
  const char *group;         /* correlations: "Field=value,..." ; else NULL */
  uint64_t count;            /* correlations: events/values in the window */
  double value;              /* correlations: the aggregate that fired */
} tells_sigma_hit;

/* Return nonzero to stop matching further rules for this event. */
typedef int (*tells_sigma_match_fn)(void *ud, const tells_sigma_hit *m);

/* Load problems: file, line (0 if unknown) and reason.  `fatal` is 1 when
** the rule was rejected, 0 for a warning about a rule that still loaded. */
typedef void (*tells_sigma_report_fn)(void *ud, const char *path, int line,
                                      int fatal, const char *reason);

typedef struct tells_sigma_load_stats {
  uint64_t files;            /* .yml/.yaml files read */
  uint64_t docs;             /* YAML documents seen */
  uint64_t loaded;           /* rules loaded (all kinds) */
  uint64_t failed;           /* documents rejected (each reported) */
  uint64_t correlations, filters;
} tells_sigma_load_stats;

tells_err tells_sigma_ruleset_create(tells_sigma_ruleset **out /* OUT */);
void tells_sigma_ruleset_destroy(tells_sigma_ruleset *set);

/* Loads a rule file, or every *.yml / *.yaml under a folder (recursive,
** sorted, symlinked folders not followed).  Bad rules are reported through
** `report` and counted in stats->failed; the return value is an error only
** for an unreadable top-level path or out of memory.  `st` (may be NULL)
** accumulates over calls. */
tells_err tells_sigma_load_path(tells_sigma_ruleset *set, const char *path,
                                tells_sigma_report_fn report, void *ud,
                                tells_sigma_load_stats *st /* OUT */);

/* Loads rules from a YAML buffer; `name` is used in reports. */
tells_err tells_sigma_load_mem(tells_sigma_ruleset *set, const char *name,
                               const char *yaml, size_t len,
                               tells_sigma_report_fn report, void *ud,
                               tells_sigma_load_stats *st /* OUT */);

/* Values of an `expand` placeholder (%name%, given without the percent
** signs).  Must be called before loading the rules that use it.  An
** unknown placeholder matches any text (reported as a warning). */
tells_err tells_sigma_set_placeholder(tells_sigma_ruleset *set,
                                      const char *name,
                                      const char *const *values, size_t n);

/* Resolves filters and correlations, builds the channel/EventID buckets and
** the literal prefilter.  Unresolvable references are reported.  After
** this no more rules may be loaded. */
tells_err tells_sigma_compile(tells_sigma_ruleset *set,
                              tells_sigma_report_fn report, void *ud);

/* Matches one event; calls `fn` for every rule (and correlation) that
** fires.  Returns TELLS_EARG before compile, TELLS_ENOMEM on allocation
** failure, else TELLS_OK. */
tells_err tells_sigma_match(tells_sigma_ruleset *set,
                            const tells_sigma_event *ev,
                            tells_sigma_match_fn fn, void *ud);

/* Forgets all correlation windows (e.g. between unrelated logs). */
void tells_sigma_reset_state(tells_sigma_ruleset *set);

size_t tells_sigma_rule_count(const tells_sigma_ruleset *set);
const tells_sigma_rule_info *tells_sigma_rule_at(const tells_sigma_ruleset *set,
                                                 size_t i);

/* Counters of the matcher, for benchmarks and tests. */
typedef struct tells_sigma_stats {
  uint64_t events;           /* events matched */
  uint64_t candidates;       /* rules met after the channel/EventID prefilter */
  uint64_t evaluated;        /* rules evaluated after the literal prefilter */
  uint64_t matches;          /* detections reported (incl. correlations) */
  uint64_t literals;         /* distinct prefilter literals */
  uint64_t ac_states;        /* states of the literal automata built so far */
  uint64_t bytes_scanned;    /* field bytes run through the automaton */
  uint64_t unfiltered;       /* candidates without a literal prefilter */
  uint64_t ac_bytes;         /* size of their transition tables */
  uint64_t bytes_scanned_kw; /* other field bytes scanned for keyword literals */
} tells_sigma_stats;
void tells_sigma_get_stats(const tells_sigma_ruleset *set,
                           tells_sigma_stats *st /* OUT */);

/* ---- evtx_dump JSON events (sigma_jsonevent.c) ------------------------
** Reads the next record from a stream of evtx_dump JSON objects
** ({"Event": {"System": {...}, "EventData": {...}}}, one after another, or
** inside one array).  Fields and strings come from `a` (the caller's arena).
** Returns 1 with *ev filled, 0 at the end, or a negative tells_err for a
** malformed object (*off is then past the bad input where possible). */
struct tells_arena;
int tells_sigma_json_next(const char *buf, size_t len, size_t *off,
                          struct tells_arena *a,
                          tells_sigma_event *ev /* OUT */);

#endif
