/*
** correlate_int.h -- what the files of the correlate stage share: the keys
** (one indicator value per class, across indicator types), the ties of
** findings to keys, and small SQLite helpers.
*/
#ifndef TELLS_CORRELATE_INT_H
#define TELLS_CORRELATE_INT_H

#include "case_int.h"
#include "correlate.h"

enum { CORR_CODE = 1, CORR_LOGS = 2, CORR_NET = 4 };

/* SQL: code evidence `ce` is flagged (a finding of medium or more). */
#define CORR_FLAGGED \
  "EXISTS(SELECT 1 FROM findings f WHERE f.evidence_id=ce.id AND f.source<>'correlate'" \
  " AND f.severity IN ('medium','high','critical'))"

#define CORR_MAX_KEYS 100000    /* candidate keys kept (cross-kind values) */
#define CORR_MAX_TIES 1000000   /* finding-to-key ties kept */

typedef struct corr_key {
  char cls[8];                 /* ip | host | sha256 | md5 | sha1 */
  char *key;                   /* lower-case value (ip as is); owned */
  int64_t ind;                 /* lowest indicator id of the value */
  unsigned pillars;            /* CORR_* seen in sightings or flows */
  int64_t first_ns, last_ns;   /* INT64_MIN when unknown */
  int64_t flows_dst, flows_src;/* flows with the value as peer (ip only) */
  int64_t n_srcs, n_dsts;      /* distinct other ends of those flows */
  char top_src[48], top_dst[48];
  int64_t flow_ev_dst, flow_ev_src; /* evidence files of those flows */
  int64_t last_ev_dst, last_ev_src;
  int peers_capped;            /* n_srcs/n_dsts are lower bounds */
  int64_t link_id;             /* row id once written, else 0 */
  int keep;                    /* written as a link */
} corr_key;

typedef struct corr_tie { int32_t k; int64_t finding; } corr_tie;

typedef struct corr_set {
  corr_key *keys; int n_keys, cap_keys;
  corr_tie *ties; size_t n_ties, cap_ties;
} corr_set;

/* A string set over the keys: key text -> key index (open addressing;
** equal texts of two classes are both kept). */
typedef struct corr_kset { const char **s; int *idx; uint32_t cap; } corr_kset;
uint32_t tells__corr_khash(const char *p, size_t n);
/* Builds it over the keys of class `cls` (NULL: every key). */
tells_err tells__corr_kset_build(corr_kset *t, const corr_set *set, const char *cls);
/* The index of the first key equal to s (of any class), or -1. */
int tells__corr_kset_find(const corr_kset *t, const char *s);
void tells__corr_kset_free(corr_kset *t);

/* Prepares sql on c's database (TELLS_EDB with the message on failure). */
tells_err tells__corr_prep(tells_case *c, const char *sql, sqlite3_stmt **s);
/* Text column or "" */
const char *tells__corr_text(sqlite3_stmt *s, int i);
/* The base name of a path (after the last / or \). */
const char *tells__corr_base(const char *path);
/* Severity rank: info 0, low 1, medium 2, high 3, critical 4. */
int tells__corr_sev_rank(const char *sev);
const char *tells__corr_sev_name(int rank);

/* Stage findings (correlate_stage.c): "Flagged binary executed",
** "Flagged binary downloaded". */
tells_err tells__corr_stages(tells_case *c);
/* Process starts without a hash matched to flagged binaries by image
** path, into temp.corr_exec(ce, le, t, off, cnt) (correlate_path.c). */
tells_err tells__corr_exec_paths(tells_case *c);
/* Candidate keys: values in two or more evidence kinds (correlate_key.c). */
tells_err tells__corr_keys(tells_case *c, corr_set *set);
/* Ties of findings to the keys (correlate_chain.c). */
tells_err tells__corr_ties(tells_case *c, corr_set *set);
/* Writes links, link_findings, chains and raised severities. */
tells_err tells__corr_write(tells_case *c, corr_set *set);
/* The sentence of a link and its details JSON (correlate_text.c); both
** owned by the caller (tells_free). */
tells_err tells__corr_describe(tells_case *c, const corr_key *k, int64_t chain,
                               const char *severity, int n_findings,
                               char **summary, char **details, int64_t *n_evidence);

#endif
