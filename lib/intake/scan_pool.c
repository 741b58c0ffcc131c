/*
** scan_pool.c -- `tells code`: the files of a walk analysed by a pool of
** workers, their JSON objects written in walk order (tells_scan_paths).
*/
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "codelib.h"
#include "hash.h"
#include "held.h"
#include "map.h"
#include "pe_tells.h"
#include "scan_int.h"
#include "sniff.h"
#include "walk.h"
#include "yara_scan.h"

static void note(const tells_scan_opts *o, const char *path, const char *msg) {
  if (o && o->diag) o->diag(o->diag_ud, path, msg);
}
/* note() as a tells_diag_fn (ud: the options), for the held messages. */
static void note_cb(void *ud, const char *path, const char *msg) { note(ud, path, msg); }

/* Each worker takes the next file and analyses it in two steps: begin
** (map, sniff, post the hashes, run the kind's scanner) and end (YARA with
** the worker's own scanner, the common checks, the hashes joined, the
** object rendered into the file's slot).  While the YARA rules still
** compile (a compiler thread, most of a second for signature-base), files
** are begun and parked; once the rules are there, parked files are ended
** oldest first, and later files go through both steps at once.  The
** calling thread writes the slots in the order of the walk and replays
** each file's messages to opts->diag there, after the compiler's and the
** walk's own: output and messages do not depend on the number of workers.
** Workers run at most `window` files and INFLIGHT_MAX bytes ahead of the
** writer (always one file), so memory stays bounded however many files
** there are.  With one worker everything runs on the calling thread. */

#define SCAN_THREADS_MAX 16
#define LINE_LIMIT ((size_t)128 << 20)     /* one file's object (parts are capped) */
#define INFLIGHT_MAX ((uint64_t)64 << 20)  /* bytes of files begun, not written */
#define PARK_WINDOW 256                    /* files begun ahead while rules compile */

enum { S_FREE, S_BEGIN, S_PARKED, S_END, S_DONE };

typedef struct slot {
  int state;                  /* S_*, under the pool mutex */
  int live;                   /* begun: m, h, job, ig, sink, js are set */
  tells_map m;
  tells_hash h;
  tells_hash_job job;
  tells_ingest ig;
  tells_sink sink;
  jsink js;
  tells_kind kind;
  const char *reason;
  uint64_t bytes;             /* counted in pool.inflight until written */
  int out;                    /* an object was rendered; 0: file skipped */
  int is_pe, has_build;
  int64_t build_ns;
  tells_err fatal;            /* stops the run (out of memory) */
  tells_buf line;             /* the object and its newline */
  tells_buf notes;            /* messages for opts->diag (held.h) */
} slot;

typedef struct pool {
  const tells_walk *w;
  const tells_scan_opts *o;
  const tells_yara_rules *rules;  /* set when ready */
  tells_codelib *library;
  tells_hasher *hasher;
  int64_t run_time_s;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  size_t next;                /* next file to begin */
  size_t written;             /* files the writer is done with */
  size_t window;              /* slots in ring */
  size_t parked;              /* slots in S_PARKED */
  unsigned early, early_max;  /* workers beginning files while the rules
                                 compile, and how many may: one core is left
                                 to the compiler, the run's critical path */
  uint64_t inflight;          /* bytes of files begun and not written */
  int ready;                  /* the rules are compiled (or there are none) */
  int stop;
  slot *ring;
} pool;

typedef struct worker {
  pool *p;
  tells_yara_scanner *yara;   /* own scanner, made once the rules are ready */
  pthread_t t;
  int started;
} worker;

static void slot_note(pool *p, size_t i, slot *s, const char *msg) {
  tells_held_add(&s->notes, p->w->v[i].path, msg);
}

/* Step one for file i into the free slot s: open, sniff, hashes posted,
** the kind's scanner.  Leaves s->live 0 when there is nothing more to do. */
static void scan_begin(pool *p, size_t i, slot *s) {
  const char *path = p->w->v[i].path;
  const tells_scan_opts *o = p->o;
  tells_err fe;
  char msg[300];
  if (p->w->v[i].not_regular) return;
  if ((fe = tells_map_open(path, &s->m))) {
    snprintf(msg, sizeof msg, "cannot open: %s", tells_strerror(fe));
    slot_note(p, i, s, msg);
    return;
  }
  s->bytes = s->m.len;
  s->reason = NULL;
  s->kind = tells_sniff(s->m.p, s->m.len, &s->reason);
  if (o && o->kinds && !(o->kinds & (1u << s->kind))) { tells_map_close(&s->m); return; }
  /* An executable's TLSH is computed with its other hashes. */
  if (tells_hash_init(&s->h, TELLS_HASH_SHA256 | TELLS_HASH_SHA1 | TELLS_HASH_MD5 |
                             (s->kind == TELLS_KIND_PE || s->kind == TELLS_KIND_ELF
                                  ? TELLS_HASH_TLSH : 0))) {
    tells_map_close(&s->m);
    s->fatal = TELLS_ENOMEM;
    return;
  }
  /* The hasher hashes the file while the scanner reads it; the scanner
  ** joins the job when it needs the TLSH digest, taking over the
  ** algorithms the hasher has not started. */
  tells_map_sequential(&s->m);
  memset(&s->job, 0, sizeof s->job);
  s->job.h = &s->h; s->job.p = s->m.p ? (const void *)s->m.p : ""; s->job.n = s->m.len;
  tells_hasher_post(s->m.len >= (8u << 10) ? p->hasher : NULL, &s->job);   /* small: at once */
  tells__jsink_init(&s->js, &s->sink);
  tells_ingest_init(&s->ig, path, s->m.p, s->m.len, s->kind, NULL, &s->sink);
  s->ig.holes = s->m.holes; s->ig.n_holes = s->m.n_holes;
  s->ig.library = p->library;
  s->ig.run_time_s = p->run_time_s;
  if (s->kind == TELLS_KIND_PE || s->kind == TELLS_KIND_ELF) {
    s->ig.tlsh_from = &s->h; s->ig.tlsh_wait = p->hasher; s->ig.tlsh_job = &s->job;
  }
  tells_ingest_scan(&s->ig);
  s->live = 1;
}

/* Step two: YARA, the common checks, the hashes, the object rendered. */
static void scan_end(pool *p, tells_yara_scanner *yara, size_t i, slot *s) {
  tells_json j;
  tells_err fe;
  if (!s->live) return;
  s->live = 0;
  s->ig.yara = yara;
  fe = tells_ingest_finish(&s->ig);
  tells_hasher_join(p->hasher, &s->job);
  tells_hash_final(&s->h);
  tells_ingest_flush(&s->ig);
  if (tells_map_close(&s->m) == TELLS_ECHANGED)
    slot_note(p, i, s, "file changed while it was being read; results may be inconsistent");
  tells_json_init_buf(&j, &s->line, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "path", p->w->v[i].path);
  tells_json_ku64(&j, "size", s->ig.len);
  tells_json_kstr(&j, "kind", tells_kind_name(s->kind));
  if (s->reason) tells_json_kstr(&j, "reason", s->reason);
  tells_json_kstr(&j, "sha256", s->h.sha256);
  tells_json_kstr(&j, "sha1", s->h.sha1);
  tells_json_kstr(&j, "md5", s->h.md5);
  if (s->ig.tlsh[0]) tells_json_kstr(&j, "tlsh", s->ig.tlsh);
  if (fe) tells_json_kstr(&j, "error", tells_strerror(fe));
  tells__scan_results(&j, &s->ig, &s->js);
  tells_json_obj_end(&j);
  tells_json_nl(&j);
  if (tells_json_flush(&j) || s->line.err) s->fatal = s->line.err ? s->line.err : TELLS_ENOMEM;
  tells_ingest_free(&s->ig);
  tells_hash_free(&s->h);
  s->out = 1;
  s->is_pe = s->kind == TELLS_KIND_PE;
  s->has_build = s->js.has_build; s->build_ns = s->js.build_ns;
  tells__jsink_free(&s->js);
}

/* The worker's scanner, made at its first use (the rules are ready). */
static tells_err worker_yara(worker *x) {
  if (!x->p->rules || x->yara) return TELLS_OK;
  return tells_yara_scanner_new(x->p->rules, &x->yara);
}

/* Ends slot s (file i) on this worker and marks it done (mu held). */
static void end_locked(worker *x, size_t i, slot *s) {
  pool *p = x->p;
  tells_err e;
  s->state = S_END;
  pthread_mutex_unlock(&p->mu);
  if ((e = worker_yara(x))) {            /* leave the file as it is, stop */
    s->fatal = e;
    s->ig.yara = NULL;
  }
  scan_end(p, x->yara, i, s);
  pthread_mutex_lock(&p->mu);
  s->state = S_DONE;
  pthread_cond_broadcast(&p->done_cv);
}

static void *worker_main(void *arg) {
  worker *x = arg;
  pool *p = x->p;
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    size_t i;
    slot *s;
    if (p->ready && p->parked) {         /* the oldest parked file */
      for (i = p->written; i < p->next; i++)
        if (p->ring[i % p->window].state == S_PARKED) break;
      p->parked--;
      end_locked(x, i, &p->ring[i % p->window]);
      continue;
    }
    if (p->next < p->w->n && p->next < p->written + p->window &&
        (p->inflight < INFLIGHT_MAX || p->next == p->written) &&
        (p->ready || (p->next < p->written + PARK_WINDOW && p->early < p->early_max))) {
      int early = !p->ready;
      i = p->next++;
      s = &p->ring[i % p->window];
      s->state = S_BEGIN;
      p->early += early;
      pthread_mutex_unlock(&p->mu);
      scan_begin(p, i, s);
      pthread_mutex_lock(&p->mu);
      p->early -= early;
      p->inflight += s->bytes;
      if (s->live && !p->ready) { s->state = S_PARKED; p->parked++; }
      else end_locked(x, i, s);
      continue;
    }
    if (p->next >= p->w->n && p->ready && !p->parked) break;   /* nothing left */
    pthread_cond_wait(&p->work_cv, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Writes slot s and empties it; returns the run's error.  The
** caller frees the slot (state, bytes) under the pool mutex. */
static tells_err write_slot(pool *p, slot *s, FILE *out, tells_petells_set *set,
                            uint64_t *n) {
  tells_err e = TELLS_OK;
  tells_held_replay(&s->notes, note_cb, (void *)p->o);
  if (s->fatal) e = s->fatal;
  else if (s->out) {
    if (fwrite(s->line.p, 1, s->line.n, out) != s->line.n) e = TELLS_EIO;
    (*n)++;
    if (s->is_pe) {
      set->pe_files++;
      if (s->has_build) tells_petells_set_add(set, s->build_ns / 1000000000);
    }
  }
  tells_buf_free(&s->line);             /* a large object's memory is not kept */
  tells_buf_init(&s->line, LINE_LIMIT);
  s->out = s->is_pe = s->has_build = 0;
  s->build_ns = 0;
  s->fatal = TELLS_OK;
  return e;
}

tells_err tells_scan_paths(const char *const *paths, size_t n_paths, const tells_scan_opts *o,
                           FILE *out, uint64_t *n_files) {
  tells_walk w;
  pool p;
  worker *wk = NULL;
  tells_yara_compiling yc;
  tells_yara_opts yo;
  tells_yara_rules *rules = NULL;
  tells_buf yara_diags, walk_diags;      /* held until the compile is over */
  int threads = 0, replayed = 0;
  unsigned nw = 0, k;
  tells_petells_set set;                 /* build times of the PE files */
  tells_err e = TELLS_OK;
  size_t i;
  uint64_t n = 0;
  memset(&w, 0, sizeof w);
  memset(&p, 0, sizeof p);
  tells_buf_init(&yara_diags, (size_t)64 << 20);
  tells_buf_init(&walk_diags, (size_t)64 << 20);
  p.w = &w; p.o = o;
  p.run_time_s = (int64_t)time(NULL);    /* the run's one wall-clock stamp */
  p.ready = !(o && o->n_yara_paths);
  tells_petells_set_init(&set);
  w.diag = tells_held_diag; w.diag_ud = &walk_diags;
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.work_cv, NULL);
  pthread_cond_init(&p.done_cv, NULL);
  if (o && o->library_path) {          /* the reference library, loaded once */
    char err[1200];
    if ((e = tells_codelib_load(o->library_path, 0, &p.library, err, sizeof err))) {
      note(o, NULL, err);
      goto done;
    }
  }
  if ((e = tells_walk_paths(&w, paths, n_paths))) goto done;
  nw = o && o->threads ? o->threads : tells_cpu_count();
  if (nw > SCAN_THREADS_MAX) nw = SCAN_THREADS_MAX;
  if (nw > w.n) nw = w.n ? (unsigned)w.n : 1;
  p.window = nw > 1 && !p.ready ? PARK_WINDOW : 4 * (size_t)nw;
  p.early_max = nw > 2 ? nw - 1 : 1;
  if (!(wk = tells_calloc(nw, sizeof *wk)) || !(p.ring = tells_calloc(p.window, sizeof *p.ring))) {
    e = TELLS_ENOMEM;
    goto done;
  }
  for (i = 0; i < p.window; i++) {
    tells_buf_init(&p.ring[i].line, LINE_LIMIT);
    tells_buf_init(&p.ring[i].notes, 1u << 20);
  }
  if (tells_hasher_start(&p.hasher) != TELLS_OK) p.hasher = NULL;   /* hash inline */
  if (!p.ready) {                      /* compile while the first files are begun */
    memset(&yo, 0, sizeof yo);
    yo.diag = tells_yara_diag_hold; yo.diag_ud = &yara_diags;
    tells_yara_compile_start(&yc, o->yara_paths, o->n_yara_paths, &yo);
  }
  for (k = 0; k < nw; k++) wk[k].p = &p;
  if (nw > 1)
    for (k = 0; k < nw; k++) {
      wk[k].started = pthread_create(&wk[k].t, NULL, worker_main, &wk[k]) == 0;
      threads |= wk[k].started;        /* none started: all on this thread */
    }
  if (!p.ready) {
    e = tells_yara_compile_wait(&yc, &rules);
    pthread_mutex_lock(&p.mu);
    p.rules = rules;
    p.ready = 1;
    if (e) p.stop = 1;
    pthread_cond_broadcast(&p.work_cv);
    pthread_mutex_unlock(&p.mu);
  }
  tells_held_replay(&yara_diags, note_cb, (void *)o);   /* the compiler's, then the walk's */
  tells_held_replay(&walk_diags, note_cb, (void *)o);
  replayed = 1;
  for (i = 0; i < w.n && !e; i++) {
    slot *s = &p.ring[i % p.window];
    tells_err we;
    if (threads) {
      pthread_mutex_lock(&p.mu);
      while (s->state != S_DONE) pthread_cond_wait(&p.done_cv, &p.mu);
      pthread_mutex_unlock(&p.mu);
    } else {
      scan_begin(&p, i, s);
      if ((we = worker_yara(&wk[0]))) s->fatal = we;
      scan_end(&p, wk[0].yara, i, s);
    }
    we = write_slot(&p, s, out, &set, &n);
    pthread_mutex_lock(&p.mu);
    s->state = S_FREE;
    p.written = i + 1;
    p.inflight -= s->bytes;
    s->bytes = 0;
    if (we) p.stop = 1;
    pthread_cond_broadcast(&p.work_cv);
    pthread_mutex_unlock(&p.mu);
    if (we) e = we;
  }
  if (threads) {
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.work_cv);
    pthread_mutex_unlock(&p.mu);
    for (k = 0; k < nw; k++) if (wk[k].started) pthread_join(wk[k].t, NULL);
  }
  if (set.timed && !e) {   /* the set of samples: docs/pe-json.md, "set" */
    tells_json j;
    tells_json_init_file(&j, out, 0);
    tells_json_obj(&j);
    tells_json_kstr(&j, "kind", "set");
    tells_json_key(&j, "set");
    tells_petells_set_json(&set, &j);
    tells_json_obj_end(&j);
    tells_json_nl(&j);
    e = tells_json_flush(&j);
  }
  if (!e && fflush(out) != 0) e = TELLS_EIO;
done:
  if (p.ring)                          /* files begun but never ended (a stop) */
    for (i = 0; i < p.window; i++) {
      slot *s = &p.ring[i];
      if (s->live) {
        tells_hasher_join(p.hasher, &s->job);
        tells_ingest_free(&s->ig);
        tells_hash_free(&s->h);
        tells__jsink_free(&s->js);
        tells_map_close(&s->m);
      }
      tells_buf_free(&s->line);
      tells_buf_free(&s->notes);
    }
  tells_hasher_stop(p.hasher);
  tells_free(p.ring);
  if (wk) for (k = 0; k < nw; k++) tells_yara_scanner_free(wk[k].yara);
  tells_free(wk);
  tells_codelib_free(p.library);
  tells_yara_rules_free(rules);
  tells_walk_free(&w);
  if (!replayed) {
    tells_held_replay(&yara_diags, note_cb, (void *)o);
    tells_held_replay(&walk_diags, note_cb, (void *)o);
  }
  pthread_mutex_destroy(&p.mu);
  pthread_cond_destroy(&p.work_cv);
  pthread_cond_destroy(&p.done_cv);
  tells_buf_free(&yara_diags);
  tells_buf_free(&walk_diags);
  if (n_files) *n_files = n;
  return e;
}
