/*
** investigate.c -- `tells investigate`: walk the evidence, ingest each file
** into the case in its own transaction, skip what is already there.
**
** For each file: map it read-only; if the case already holds this path with
** the same size and mtime, hash it and skip it when the SHA-256 matches (an
** idempotent re-run, or the resume of a killed one).  Otherwise identify it
** by content, open the file's transaction, run its scanner (while the
** hashing worker hashes it, see `pend` below), and commit -- or, if the
** file changed while it was read, roll back and record the failure.  Content already ingested under another path
** is recorded as a duplicate of it, without analysing it again.
**
** With YARA rules, the files opened ahead are also scanned ahead, by a
** pool of YARA workers (yara_ahead.h); the scanner's findings come first in
** the file's turn, then the hits of its scan, as in a one-by-one run.  The
** rules compile on a thread of their own while the library and the Sigma
** rules load, whose messages are held and given after the compiler's, in
** the one-by-one order.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "analyse.h"
#include "case_api.h"
#include "codelib.h"
#include "drop.h"
#include "evtx.h"
#include "held.h"
#include "ingest.h"
#include "map.h"
#include "sniff.h"
#include "walk.h"
#include "yara_ahead.h"
#include "yara_scan.h"
#include "logs_sigma.h"

typedef struct inv {
  tells_case *c;
  tells_yara_scanner *yara;   /* NULL without rules */
  tells_yara_ahead *yq;       /* YARA workers scanning ahead, or NULL */
  tells_buf held;             /* messages held while the rules compile */
  int holding;
  tells_sigma_ruleset *sigma; /* NULL without rules */
  tells_evtx_tcache *evtx_tc; /* EVTX template cache of the run, or NULL */
  tells_codelib *library;     /* reference library, or NULL */
  tells_hasher *hasher;       /* hashes mapped files beside the scanner, or NULL */
  int fresh_case;             /* the case held no evidence when the run began:
                                 the walk lists each file once, so no path
                                 can already be there */
  const tells_investigate_opts *o;
  tells_investigate_stats *st;
  tells_progress pr;
  struct timespec last_pr;
  int64_t run_time_s;         /* the run's start: its one wall-clock stamp */
} inv;

static void diag(inv *v, const char *path, const char *msg) {
  if (v->holding) { tells_held_add(&v->held, path, msg); return; }   /* after the compiler's */
  if (v->o && v->o->diag) v->o->diag(v->o->diag_ud, path, msg);
}

static void diag_cb(void *ud, const char *path, const char *msg) { diag(ud, path, msg); }

static void progress(inv *v, int force) {
  struct timespec now;
  if (!v->o || !v->o->progress) return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!force && (now.tv_sec - v->last_pr.tv_sec) * 1000000000L +
                (now.tv_nsec - v->last_pr.tv_nsec) < 200000000L) return;
  v->last_pr = now;
  v->o->progress(v->o->progress_ud, &v->pr);
}

static tells_err record_failure(inv *v, const tells_walk_file *wf, int64_t mtime,
                                const char *reason) {
  tells_case_file f;
  f.path = wf->path; f.size = (int64_t)wf->size; f.mtime_ns = mtime;
  f.kind = TELLS_KIND_NONE;
  v->st->files_failed++;
  diag(v, wf->path, reason);
  return tells_case_file_failed(v->c, &f, reason);
}

/* A file opened ahead of the one being analysed: mapped, identified and
** queued on the hashing worker, so that the worker hashes it while the
** scanner reads the files before it.  Nothing reaches the case before the
** file's turn, so rows, messages and order are those of a one-by-one run. */
#define AHEAD_FILES 64              /* files open ahead of the current one */
#define AHEAD_MAPS  6               /* of which mapped, not copied (16 guard slots) */
#define AHEAD_BYTES (48u << 20)     /* bytes open ahead of the current file */
/* Smaller files are queued without waking the worker: waking it costs
** more than hashing a few KiB (SHA-256 runs at about 1 GB/s, executables'
** four hashes together at about 180 MB/s).  An awake worker hashes them
** on its way; otherwise the main thread does, in their turn. */
#define POST_MIN     (64u << 10)
#define POST_MIN_EXE (8u << 10)

typedef struct pend {
  const tells_walk_file *wf;
  tells_err open_err;         /* the map failed: recorded in the file's turn */
  tells_err err;              /* lookup or memory failure: fatal for the file */
  int mapped, hashing;
  tells_map m;
  tells_case_seen seen;       /* this path in the case (not a fresh case) */
  int known;                  /* ... with the same size and mtime */
  tells_kind kind;
  const char *reason;
  tells_hash h;
  tells_hash_job job;
  tells_drop drop;            /* pages released behind scanner and hasher */
  tells_yara_ahead_job yj;    /* its YARA scan, made ahead by a worker */
} pend;

static int exe_kind(tells_kind k) { return k == TELLS_KIND_PE || k == TELLS_KIND_ELF; }

/* The hashes a file gets: SHA-256; SHA-1, MD5 and TLSH too for executables,
** unless the file is only checked against the case (a re-run). */
static int hashes_of(tells_kind k, int known) {
  return TELLS_HASH_SHA256 |
         (exe_kind(k) && !known ? TELLS_HASH_SHA1 | TELLS_HASH_MD5 | TELLS_HASH_TLSH : 0);
}

static void pend_open(inv *v, pend *p, const tells_walk_file *wf) {
  memset(p, 0, sizeof *p);
  p->wf = wf;
  if (wf->not_regular) return;
  if ((p->open_err = tells_map_open(wf->path, &p->m))) return;
  p->mapped = 1;
  if (!v->fresh_case && (p->err = tells_case_find_path(v->c, wf->path, &p->seen))) return;
  p->known = p->seen.id && p->seen.size == (int64_t)p->m.len && p->seen.mtime_ns == p->m.mtime_ns;
  p->kind = tells_sniff(p->m.p, p->m.len, &p->reason);
  if ((p->err = tells_hash_init(&p->h, hashes_of(p->kind, p->known)))) return;
  p->hashing = 1;
  tells_map_sequential(&p->m);
  p->job.h = &p->h;
  p->job.p = p->m.p ? (const void *)p->m.p : "";
  p->job.n = p->m.len;
  p->job.lazy = p->m.len < (exe_kind(p->kind) && !p->known ? POST_MIN_EXE : POST_MIN);
  if (p->m.p && !p->m.copied) {
    /* readers: each hash part, and the scanner unless it will not read */
    int scans = !p->known && (p->kind != TELLS_KIND_NONE || v->yara);
    tells_drop_init(&p->drop, p->m.p, p->m.len,
                    (unsigned)hashes_of(p->kind, p->known) << 1 | (unsigned)scans);
    p->job.drop = &p->drop;
  }
  tells_hasher_post(v->hasher, &p->job);
  if (v->yq && !p->known && tells_ingest_yara_applies(p->kind, p->m.len)) {
    p->yj.path = wf->path; p->yj.buf = p->m.p; p->yj.len = p->m.len;
    tells_yara_ahead_post(v->yq, &p->yj);
  }
}

/* Ends the file's hashing and mapping; returns the map's verdict
** (TELLS_ECHANGED when the file changed while it was read).  Idempotent. */
static tells_err pend_close(inv *v, pend *p) {
  tells_err ce = TELLS_OK;
  tells_yara_ahead_release(v->yq, &p->yj);   /* before the bytes go */
  if (p->hashing) {
    tells_hasher_join(v->hasher, &p->job);
    tells_hash_free(&p->h);
    p->hashing = 0;
  }
  if (p->mapped) { ce = tells_map_close(&p->m); p->mapped = 0; }
  return ce;
}

/* A file nothing will analyse (not evidence, no YARA rules): hashed by the
** worker and recorded in one statement -- the common case in a folder of
** evidence, where most files are notes, configs and tool output. */
static tells_err record_plain(inv *v, pend *p, const tells_case_file *f,
                              const char *reason) {
  tells_case_seen seen;
  tells_case_done d;
  char why[64];
  tells_err e;
  tells_hasher_join(v->hasher, &p->job);
  e = tells_hash_final(&p->h);
  if (pend_close(v, p) == TELLS_ECHANGED) {
    tells_walk_file wf;
    memset(&wf, 0, sizeof wf);
    wf.path = (char *)f->path; wf.size = (uint64_t)f->size;
    return record_failure(v, &wf, f->mtime_ns, "file changed while it was being read; not ingested, run again");
  }
  if (e || (e = tells_case_find_sha(v->c, p->h.sha256, &seen))) return e;
  memset(&d, 0, sizeof d);
  d.sha256 = p->h.sha256;
  d.first_ns = d.last_ns = TELLS_NO_TIME;
  if (seen.id) {
    snprintf(why, sizeof why, "same content as evidence #%lld", (long long)seen.id);
    d.status = "duplicate"; d.reason = why; d.duplicate_of = seen.id;
  } else {
    d.status = "not_analysed"; d.reason = reason;
  }
  if ((e = tells_case_file_record(v->c, f, &d))) return e;
  if (seen.id) v->st->files_duplicate++;
  else { v->st->files_ingested++; v->st->files_not_analysed++; v->st->per_kind[TELLS_KIND_NONE]++; }
  v->st->bytes_read += (uint64_t)f->size;
  return TELLS_OK;
}

/* The file's turn: skip, record or analyse it.  Leaves p closed. */
static tells_err ingest_file(inv *v, pend *p) {
  const tells_walk_file *wf = p->wf;
  tells_case_seen seen;
  tells_case_file f;
  tells_case_done d;
  tells_ingest ig;
  tells_sink sink;
  const char *reason = p->reason;
  tells_kind kind = p->kind;
  tells_err e, ce;
  char why[256];

  if (wf->not_regular) {
    snprintf(why, sizeof why, "not a regular file (%s), not read", wf->special);
    return record_failure(v, wf, TELLS_NO_TIME, why);
  }
  if (p->open_err) {
    snprintf(why, sizeof why, "cannot open: %s", tells_strerror(p->open_err));
    return record_failure(v, wf, TELLS_NO_TIME, why);
  }
  if (p->err) { pend_close(v, p); return p->err; }
  if (p->known) {
    /* Same path, size and mtime as a file in the case: skipped when the
    ** SHA-256 confirms it (an idempotent re-run, or a resume). */
    tells_hasher_join(v->hasher, &p->job);
    if (tells_hash_final(&p->h) == TELLS_OK && strcmp(p->h.sha256, p->seen.sha256) == 0) {
      v->st->files_skipped++;
      v->st->bytes_read += p->m.len;
      if (pend_close(v, p) == TELLS_ECHANGED)
        diag(v, wf->path, "file changed while it was being read (already in the case, kept)");
      return TELLS_OK;
    }
    /* Changed content behind the same size and mtime: analyse it, with
    ** every hash its kind gets, computed here. */
    tells_hash_free(&p->h);
    p->hashing = 0;
    if ((e = tells_hash_init(&p->h, hashes_of(kind, 0)))) { pend_close(v, p); return e; }
    p->hashing = 1;
    p->job.state = 2;
    tells_hash_update(&p->h, p->m.p, p->m.len);
    if (p->job.drop) {   /* release what the hash read; the scanner reads next */
      tells_drop_init(&p->drop, p->m.p, p->m.len, 0);
      tells_drop_done(&p->drop, TELLS_DROP_SCANNER);
      tells_drop_init(&p->drop, p->m.p, p->m.len, 1u << TELLS_DROP_SCANNER);
    }
  }

  f.path = wf->path; f.size = (int64_t)p->m.len; f.mtime_ns = p->m.mtime_ns; f.kind = kind;
  if (kind == TELLS_KIND_NONE && !v->yara) return record_plain(v, p, &f, reason);
  if ((e = tells_case_file_begin(v->c, &f))) { pend_close(v, p); return e; }
  tells_case_sink(v->c, &sink);
  /* The worker hashes the file beside the scanner (it may have started
  ** while the files before it were analysed). */
  tells_ingest_init(&ig, wf->path, p->m.p, p->m.len, kind, NULL, &sink);
  ig.yara = v->yara;
  ig.sigma = v->sigma;
  ig.evtx_tc = v->evtx_tc;
  ig.run_time_s = v->run_time_s;
  ig.library = v->library;
  ig.drop = p->job.drop;
  ig.holes = p->m.holes; ig.n_holes = p->m.n_holes;
  /* TLSH goes with the other hashes: the scanner waits for this file's job
  ** only when it needs the digest. */
  if (exe_kind(kind)) {
    ig.tlsh_from = &p->h;
    ig.tlsh_wait = v->hasher;
    ig.tlsh_job = &p->job;
  }
  tells_ingest_scan(&ig);
  if (tells_yara_ahead_join(v->yq, &p->yj, v->yara)) {
    ig.yara_pre = &p->yj.res;
    ig.yara_pre_err = p->yj.err;
  }
  e = tells_ingest_finish(&ig);
  tells_hasher_join(v->hasher, &p->job);
  if (!e) e = tells_hash_final(&p->h);
  ce = pend_close(v, p);
  if (!e && ce == TELLS_ECHANGED) {
    tells_case_file_rollback(v->c);
    tells_ingest_free(&ig);
    return record_failure(v, wf, f.mtime_ns, "file changed while it was being read; not ingested, run again");
  }
  if (!e) e = tells_case_find_sha(v->c, p->h.sha256, &seen);
  memset(&d, 0, sizeof d);
  d.sha256 = p->h.sha256;
  d.sha1 = p->h.sha1[0] ? p->h.sha1 : NULL;
  d.md5 = p->h.md5[0] ? p->h.md5 : NULL;
  if (!e && seen.id) {
    /* Same content already in the case: keep this path in the chain of
    ** custody as a duplicate, but do not analyse it twice. */
    tells_case_file_rollback(v->c);
    tells_ingest_free(&ig);
    if ((e = tells_case_file_begin(v->c, &f))) return e;
    d.status = "duplicate"; d.duplicate_of = seen.id;
    snprintf(why, sizeof why, "same content as evidence #%lld", (long long)seen.id);
    d.reason = why;
    d.first_ns = d.last_ns = TELLS_NO_TIME;
    if (!(e = tells_case_file_commit(v->c, &d))) v->st->files_duplicate++;
    v->st->bytes_read += f.size;
    return e;
  }
  if (!e && exe_kind(kind)) {
    /* Executables' hashes are indicators: they will be looked for in logs
    ** (Sysmon hashes) and exchanged with others. */
    tells_ingest_indicator(&ig, "sha256", p->h.sha256, TELLS_NO_TIME, "file hash", TELLS_NO_REF);
    tells_ingest_indicator(&ig, "sha1", p->h.sha1, TELLS_NO_TIME, "file hash", TELLS_NO_REF);
    tells_ingest_indicator(&ig, "md5", p->h.md5, TELLS_NO_TIME, "file hash", TELLS_NO_REF);
    tells_ingest_flush(&ig);
    e = ig.sink_err;
  }
  if (!e) {
    /* A kind recognised but without a scanner in this build is only
    ** identified: hashed and recorded, not analysed. */
    d.status = kind == TELLS_KIND_NONE ? "not_analysed"
             : tells_kind_scanner(kind) ? "analysed" : "identified";
    d.reason = kind == TELLS_KIND_NONE || tells_kind_scanner(kind) ? reason
             : "identified by content; this build has no analyser for this kind";
    d.first_ns = ig.first_ns; d.last_ns = ig.last_ns;
    d.summary_json = ig.summary.n ? tells_buf_str(&ig.summary) : NULL;
    d.anoms = &ig.anoms;
    e = tells_case_file_commit(v->c, &d);
  } else {
    tells_case_file_rollback(v->c);
  }
  if (!e) {
    v->st->files_ingested++;
    v->st->bytes_read += f.size;
    v->st->anomalies += tells_anoms_total(&ig.anoms);
    v->st->yara_hits += ig.yara_hits;
    v->st->sigma_hits += ig.sigma_hits;
    v->st->per_kind[kind]++;
    if (kind == TELLS_KIND_NONE) v->st->files_not_analysed++;
  }
  tells_ingest_free(&ig);
  return e;
}

/* The run's YARA rules, compiled once on a thread of their own while the
** rest is set up; bad rule files are reported by file and line and left
** out, never silently dropped. */
typedef struct compile_job {
  tells_yara_compiling yc;
  tells_buf diags;            /* the compiler's messages (held.h) */
  tells_yara_rules *rules;
  tells_err e;
  int state;                  /* 0 no rules, 1 compiling, 2 yara_finish has run */
} compile_job;

/* Starts compiling when there are rules; until yara_finish, messages of the
** other steps are held. */
static void yara_start(inv *v, compile_job *cj) {
  tells_yara_opts yo;
  memset(cj, 0, sizeof *cj);
  tells_buf_init(&cj->diags, (size_t)64 << 20);
  tells_buf_init(&v->held, (size_t)64 << 20);
  if (!v->o || !v->o->n_yara_paths) return;
  v->holding = 1;
  memset(&yo, 0, sizeof yo);
  yo.diag = tells_yara_diag_hold; yo.diag_ud = &cj->diags;
  tells_yara_compile_start(&cj->yc, v->o->yara_paths, v->o->n_yara_paths, &yo);
  cj->state = 1;
}

/* Waits for the rules, gives the compiler's messages then the held ones,
** and (with `setup`) makes the scanner and starts the workers.  Only the
** first call does anything. */
static tells_err yara_finish(inv *v, compile_job *cj, int setup) {
  const tells_yara_stats *ys;
  const tells_yara_file *files;
  size_t i, n;
  int compiled = cj->state == 1;
  if (cj->state == 2) return TELLS_OK;
  cj->state = 2;
  if (compiled) cj->e = tells_yara_compile_wait(&cj->yc, &cj->rules);
  v->holding = 0;
  tells_held_replay(&cj->diags, diag_cb, v);
  tells_held_replay(&v->held, diag_cb, v);
  tells_buf_free(&cj->diags);
  tells_buf_free(&v->held);
  if (!compiled || cj->e || !setup) return cj->e;
  ys = tells_yara_rules_stats(cj->rules);
  v->st->yara_rules = ys->n_rules;
  files = tells_yara_rules_files(cj->rules, &n);
  for (i = 0; i < n; i++) if (!files[i].ok) v->st->yara_rule_files_failed++;
  if ((cj->e = tells_yara_scanner_new(cj->rules, &v->yara))) return cj->e;
  v->yq = tells_yara_ahead_start(cj->rules, tells_yara_ahead_workers(v->o->threads));
  return TELLS_OK;
}

tells_err tells_investigate(tells_case *c, const char *const *paths, size_t n_paths,
                            const tells_investigate_opts *opts,
                            tells_investigate_stats *st) {
  tells_walk w;
  inv v;
  tells_err e;
  size_t i, next = 0;
  uint64_t ahead = 0;           /* bytes of the files opened ahead */
  unsigned ahead_maps = 0;      /* files opened ahead that are mapped */
  pend *ring = NULL;            /* files opened ahead, by walk index % AHEAD_FILES */
  compile_job cj;
  char *excl[4] = {0};
  static const char *const suffix[4] = {"", "-wal", "-shm", "-journal"};
  memset(st, 0, sizeof *st);
  memset(&w, 0, sizeof w);
  memset(&v, 0, sizeof v);
  v.c = c; v.o = opts; v.st = st;
  v.run_time_s = (int64_t)time(NULL);
  /* The case file and its journals are never evidence of the case. */
  {
    const char *cp = tells_case_path(c);
    char *abs = tells_abspath(cp);
    for (i = 0; abs && i < 4; i++) {
      size_t n = strlen(abs) + 10;
      if ((excl[i] = tells_malloc(n))) snprintf(excl[i], n, "%s%s", abs, suffix[i]);
    }
    tells_free(abs);
  }
  w.exclude = (const char *const *)excl;
  w.n_exclude = 4;
  w.diag = diag_cb; w.diag_ud = &v;
  if (tells_hasher_start(&v.hasher) != TELLS_OK) v.hasher = NULL;  /* hash inline */
  yara_start(&v, &cj);
  if (opts && opts->library_path) {    /* the reference library, loaded once */
    char err[1200];
    if ((e = tells_codelib_load(opts->library_path, 0, &v.library, err, sizeof err))) {
      diag(&v, NULL, err);
      goto done;
    }
  }
  if (opts && opts->n_sigma_paths) {
    tells_logs_rules_stats ss;
    if ((e = tells_logs_rules_load(opts->sigma_paths, opts->n_sigma_paths, diag_cb, &v,
                                   &v.sigma, &ss))) goto done;
    st->sigma_rules = ss.loaded;
    st->sigma_rules_rejected = ss.rejected;
    st->files_failed += ss.rejected;
  }
  v.evtx_tc = tells_evtx_tcache_new();  /* NULL: each chunk compiles its templates */
  /* the rules before the run is recorded: a run that cannot scan is not begun */
  if ((e = yara_finish(&v, &cj, 1))) goto done;
  if ((e = tells_case_run_begin(c, opts ? opts->argv_text : NULL, &st->resumed_run))) goto done;
  v.fresh_case = tells_case_is_empty(c);
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  st->files_failed += w.problems;
  v.pr.files_total = w.n;
  v.pr.bytes_total = w.bytes;
  if (!(ring = tells_calloc(AHEAD_FILES, sizeof *ring))) { e = TELLS_ENOMEM; goto done; }
  for (i = 0; i < w.n; i++) {
    /* open the next files, so the worker hashes them while this one is read */
    while (next < w.n && (next == i || (next - i < AHEAD_FILES &&
                                        ahead + w.v[next].size <= AHEAD_BYTES &&
                                        (w.v[next].size <= TELLS_MAP_COPY_MAX ||
                                         ahead_maps < AHEAD_MAPS)))) {
      pend_open(&v, &ring[next % AHEAD_FILES], &w.v[next]);
      ahead += w.v[next].size;
      ahead_maps += w.v[next].size > TELLS_MAP_COPY_MAX;
      next++;
    }
    v.pr.current = w.v[i].path;
    progress(&v, i == 0);
    st->files_seen++;
    e = ingest_file(&v, &ring[i % AHEAD_FILES]);
    ahead -= w.v[i].size;
    ahead_maps -= w.v[i].size > TELLS_MAP_COPY_MAX;
    if (e) {
      if (e != TELLS_EDB) {   /* per-file trouble that is not the case's */
        char why[256];
        snprintf(why, sizeof why, "not ingested: %s", tells_strerror(e));
        diag(&v, w.v[i].path, why);
        st->files_failed++;
        e = TELLS_OK;
        continue;
      }
      goto done;
    }
    v.pr.files_done = i + 1;
    v.pr.bytes_done += w.v[i].size;
  }
  v.pr.current = NULL;
  progress(&v, 1);
  if ((e = tells_analyse(c))) goto done;
  e = tells_case_run_end(c, st);
done:
  for (i = 0; ring && i < AHEAD_FILES; i++) pend_close(&v, &ring[i]);
  tells_free(ring);
  yara_finish(&v, &cj, 0);             /* the messages, if not given yet */
  tells_yara_ahead_stop(v.yq);
  tells_codelib_free(v.library);
  tells_yara_scanner_free(v.yara);
  tells_sigma_ruleset_destroy(v.sigma);
  tells_evtx_tcache_free(v.evtx_tc);
  tells_hasher_stop(v.hasher);
  tells_yara_rules_free(cj.rules);
  tells_walk_free(&w);
  for (i = 0; i < 4; i++) tells_free(excl[i]);
  return e;
}
