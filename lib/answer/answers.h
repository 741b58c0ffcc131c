/*
** answers.h -- the answers stage: after correlation, one query pass over the
** whole case answers its questions (what, hosts, entry, movement, exfil,
** destruction, attribution) into table `answers`, each row backed by its
** evidence references.  The answers and their JSON are described in
** docs/answers.md.  Internal to lib/answer/ (uses SQLite via case_int.h).
*/
#ifndef TELLS_ANSWERS_H
#define TELLS_ANSWERS_H

#include <stdint.h>
#include "buf.h"
#include "case_int.h"
#include "json.h"

/* Rebuilds table `answers`; runs inside the analysis transaction. */
tells_err tells_answers_build(tells_case *c);

/* ---- shared by answers*.c and attrib*.c ---------------------------- */

/* SQL text: the details column of alias a ("f.", or "" for none) when it
** is valid JSON, else '{}', so that a damaged document reads as empty
** instead of failing the query. */
#define TELLS_ANS_DJ(a) "(CASE WHEN json_valid(" a "details) THEN " a "details ELSE '{}' END)"

#define TELLS_ANS_MAX_HOSTS  1024  /* hosts kept (internal names or addresses) */
#define TELLS_ANS_MAX_IPS    4     /* addresses kept per host */
#define TELLS_ANS_MAX_HOW    24    /* implications listed per host */
#define TELLS_ANS_MAX_BINS   256   /* flagged binaries kept */
#define TELLS_ANS_MAX_REFS   60    /* evidence references per answer row */
#define TELLS_ANS_MAX_ACTS   4096  /* activities kept for the stages */
#define TELLS_ANS_TEXT       512   /* bytes of one sentence */

typedef struct tells_ans_how {     /* how a host was implicated */
  char kind[12];                   /* "logs", "net", "code", "correlate" */
  char text[200];
  int64_t time_ns;                 /* TELLS_NO_TIME when unknown */
  char ref_kind[10]; int64_t ref_id;
} tells_ans_how;

typedef struct tells_ans_host {
  char name[64];                   /* upper-case first label, or the address */
  char ips[TELLS_ANS_MAX_IPS][46]; int n_ips;
  int64_t first_ns, last_ns;       /* attacker activity on or from it */
  int affected;                    /* implicated by something */
  uint32_t n_how, how_dropped;
  tells_ans_how how[TELLS_ANS_MAX_HOW];
} tells_ans_host;

typedef struct tells_ans_bin {     /* a flagged binary (analysed PE/ELF row) */
  int64_t evidence_id;
  char sha256[65];
  char file[128];                  /* base name */
  char path[512];                  /* path of the analysed copy */
  uint32_t copies;                 /* analysed copy plus duplicates */
  uint32_t findings;
  int64_t first_exec_ns;           /* earliest execution seen in logs */
} tells_ans_bin;

typedef struct tells_ans_act {     /* one dated piece of attacker activity */
  char tactic[32];
  int64_t first_ns, last_ns;
  char ref_kind[10]; int64_t ref_id;
  int host;                        /* index into hosts, -1 if none */
  char text[TELLS_ANS_TEXT];
} tells_ans_act;

typedef struct tells_ans_dl {      /* a flagged binary fetched over HTTP */
  int bin;                         /* index into bins */
  char url[256], client_ip[46], server_ip[46], country[8];
  int64_t time_ns, evidence_id, flow_id;   /* flow_id 0 when not found */
} tells_ans_dl;

typedef struct tells_ans {
  tells_case *c;
  sqlite3 *db;
  tells_err err;                   /* sticky */
  tells_ans_host *hosts; int n_hosts;
  tells_ans_bin *bins; int n_bins;
  tells_ans_act *acts; int n_acts; uint64_t acts_dropped;
  int pz;                          /* patient zero: host index or -1 */
  int64_t first_ns, last_ns;       /* attacker activity, TELLS_NO_TIME if none */
  uint64_t n_findings;             /* findings of medium or higher severity */
  int64_t n_evidence;
  tells_ans_dl dl[8]; int n_dl;    /* downloads of flagged binaries */
} tells_ans;

/* One answer row being written: details is a JSON object left open for the
** caller, refs the evidence references. */
typedef struct tells_ans_row {
  tells_buf db, rb;                /* details, refs */
  tells_json d, r;
  int n_refs; uint64_t refs_more;
  char ref_kind[TELLS_ANS_MAX_REFS][10]; int64_t ref_id[TELLS_ANS_MAX_REFS]; /* for de-duplication */
} tells_ans_row;

void tells_ans_row_begin(tells_ans_row *w);     /* opens details "{" and refs "[" */
void tells_ans_ref(tells_ans_row *w, const char *kind, int64_t id);
/* Closes details and refs and inserts the row; confidence < 0 is NULL. */
void tells_ans_put(tells_ans *x, tells_ans_row *w, const char *question, int ordinal,
                   const char *title, const char *answer, double confidence);
/* Inserts a row saying plainly that nothing was found. */
void tells_ans_none(tells_ans *x, const char *question, const char *title, const char *answer);

/* Prepared statement or NULL (x->err set). */
sqlite3_stmt *tells_ans_prep(tells_ans *x, const char *sql);
/* Steps s: 1 with a row, 0 when done or on an error (x->err set). */
int tells_ans_step(tells_ans *x, sqlite3_stmt *s);
/* Text of column i, "" when NULL. */
const char *tells_ans_col(sqlite3_stmt *s, int i);

/* A host name as hosts are keyed: its first label, upper-cased
** ("pc01.corp.local" is "PC01"); "" for NULL. */
void tells_ans_host_key(const char *name, char out[64] /* OUT */);
/* Host by internal address or name; created when `create` (returns -1 when
** not found, not internal, or the table is full). */
int tells_ans_host_ip(tells_ans *x, const char *ip, int create);
int tells_ans_host_name(tells_ans *x, const char *name, int create);
/* Marks host h implicated at time t with a reason. */
void tells_ans_implicate(tells_ans *x, int h, const char *kind, int64_t t,
                         const char *ref_kind, int64_t ref_id, const char *text);
/* Internal (private, loopback, link-local) address text. */
int tells_ans_internal(const char *ip);
/* Host of an evidence path: the folder after "hosts/", upper-cased. */
int tells_ans_host_of_path(const char *path, char *out, size_t n);
/* "2014-11-23T17:14:05Z" into out[40]. */
void tells_ans_time(int64_t ns, char out[40]);
/* EVE/RFC 3339 text to ns; TELLS_NO_TIME when it does not parse. */
int64_t tells_ans_parse_time(const char *s);
/* Sorts t[0..n) and returns the start of the shortest window holding half
** of the times (at least 3): when a fan-out really began. */
int64_t tells_ans_burst(int64_t *t, int n);
/* Index of the flagged binary with this base name (case-insensitive), -1. */
int tells_ans_bin_by_file(const tells_ans *x, const char *file);

/* The questions, one file each. */
void tells_ans_what(tells_ans *x);
void tells_ans_hosts(tells_ans *x);
void tells_ans_entry(tells_ans *x);
void tells_ans_movement(tells_ans *x);
void tells_ans_exfil(tells_ans *x);
void tells_ans_destruction(tells_ans *x);
void tells_ans_attribution(tells_ans *x);
/* Collection passes run before the questions (answers_collect.c). */
void tells_ans_collect(tells_ans *x);

#endif
