/*
** case_async.c -- the case's writer thread: while a run ingests, the writes
** of each evidence file (its transaction, rows and commit) are queued and
** run by one thread, in the order they were made, so the scanner of the
** next file overlaps the SQLite work of the one before.
**
** The thread runs the same functions a one-thread run calls, in the same
** order, on the one connection, so the case is the same row for row (ids
** included) and every file is still one savepoint in a group commit.  Only
** one thread uses the connection at a time: the caller waits for the queue
** to drain before it reads the case (tells__case_async_drain), and
** tells_case_flush (the end of intake) stops the thread.  A failed write
** makes the queue drop what follows it and is returned by the next call,
** which ends the run as a failed write does without the thread; the open
** group transaction is then rolled back when the case closes.  The queue
** holds at most QUEUE_BYTES (the caller waits), except one larger row.
** No memory for an entry is returned at once (TELLS_ENOMEM) and fails the
** queue for good, as the run's writes are no longer complete.
**
** The thread runs only for a case that held no evidence when the run began
** (a first run): later runs look every path up before its file, and each
** lookup would wait for the queue.  tells_case_find_sha must see every file
** queued before it: the digests queued in the run answer it (the first row
** of a digest is the one the query returns), and on a hit the caller waits
** only until the writer has stored that row and its id.  Past SEEN_MAX
** digests, lookups wait for the queue and ask SQLite.
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "case_int.h"

#define QUEUE_BYTES (16u << 20)
#define WAKE_OPS    64             /* the writer is woken for this many entries, */
#define WAKE_BYTES  (256u << 10)   /* or this many bytes (a wake-up per row costs
                                      more than the row) */
#define SEEN_MAX    (1u << 19)     /* digests kept (32 MiB); past them, lookups wait */

enum { OP_BEGIN, OP_COMMIT, OP_ROLLBACK, OP_RECORD, OP_FAILED, OP_ARTIFACT, OP_INDICATOR,
       OP_FINDING, OP_EVENT, OP_FLOW };

struct seen {
  uint8_t sha[32];
  int64_t id, size, mtime;     /* id 0 until the writer has stored the row */
  const char *status;          /* static text */
};

typedef struct qop {
  struct qop *next;
  size_t size;                 /* bytes charged to the queue */
  int kind;
  tells_case_file f;           /* BEGIN, RECORD, FAILED */
  tells_case_done d;           /* COMMIT, RECORD */
  tells_anoms anoms;           /* COMMIT: a copy, details in data */
  tells_finding fi;
  tells_event ev;
  tells_flow_row fl;
  const char *s1, *s2, *s3;    /* ARTIFACT kind/json; INDICATOR type/value/context; FAILED reason */
  int64_t t0, t1, off;
  uint64_t count;
  uint32_t seen_ix;            /* COMMIT, RECORD: 1 + its digest's entry, or 0 */
  int64_t id;                  /* ... the evidence id the writer gave it */
  char data[];                 /* the strings */
} qop;

struct tells__case_q {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t more;         /* writer: an entry arrived, or stop */
  pthread_cond_t room;         /* caller: an entry done (room, or drained) */
  qop *head, *tail;
  size_t bytes;
  unsigned n_ops;              /* entries queued */
  int waiting;                 /* the writer sleeps on `more` */
  int run;                     /* take every entry now (drain, full, or started) */
  int full;                    /* a caller waits for room */
  int busy, stop;
  tells_err err;               /* first failed write: the queue drops the rest */
  struct seen *ent;            /* the first row of each digest queued, in order */
  uint32_t n_ent, cap_ent;
  uint32_t *slot;              /* 1 + entry, by digest (open addressing) */
  uint32_t cap_slot;
  int seen_all;                /* they cover every row (case empty at start) */
  int want_id;                 /* a caller waits for an entry's id */
  int64_t cur_size, cur_mtime; /* the file begun last (caller's side) */
};

/* ---- entries ---- */

/* The string fields of an entry, so they can be copied into its data. */
static int op_fields(qop *o, const char ***v) {
  int n = 0;
  switch (o->kind) {
  case OP_BEGIN: case OP_FAILED: case OP_RECORD:
    v[n++] = &o->f.path; v[n++] = &o->s1;
    if (o->kind != OP_RECORD) break;
    /* fall through */
  case OP_COMMIT:
    v[n++] = &o->d.status; v[n++] = &o->d.reason; v[n++] = &o->d.sha256;
    v[n++] = &o->d.sha1; v[n++] = &o->d.md5; v[n++] = &o->d.summary_json;
    break;
  case OP_ARTIFACT: case OP_INDICATOR:
    v[n++] = &o->s1; v[n++] = &o->s2; v[n++] = &o->s3;
    break;
  case OP_FINDING:
    v[n++] = &o->fi.source; v[n++] = &o->fi.rule; v[n++] = &o->fi.title;
    v[n++] = &o->fi.severity; v[n++] = &o->fi.technique; v[n++] = &o->fi.tactic;
    v[n++] = &o->fi.summary; v[n++] = &o->fi.author; v[n++] = &o->fi.details_json;
    break;
  case OP_EVENT:
    v[n++] = &o->ev.source; v[n++] = &o->ev.kind; v[n++] = &o->ev.summary;
    v[n++] = &o->ev.details_json;
    break;
  case OP_FLOW:
    v[n++] = &o->fl.proto; v[n++] = &o->fl.app_proto; v[n++] = &o->fl.src_ip;
    v[n++] = &o->fl.dest_ip; v[n++] = &o->fl.state; v[n++] = &o->fl.eve_json;
    break;
  default:
    break;
  }
  return n;
}

static void copy_str(char **w, const char **field) {
  size_t n;
  if (!*field) return;
  n = strlen(*field) + 1;
  memcpy(*w, *field, n);
  *field = *w;
  *w += n;
}

/* A heap copy of the entry `t`, its strings (and anomalies) in its data. */
static qop *op_copy(const qop *t, const tells_anoms *anoms) {
  const char **v[16];
  size_t i, size = 0, na = anoms ? anoms->n : 0;
  int k, n;
  qop tmp = *t, *o;
  char *w;
  n = op_fields(&tmp, (const char ***)v);
  for (k = 0; k < n; k++) size += *v[k] ? strlen(*v[k]) + 1 : 0;
  size += na * sizeof(tells_anom);
  for (i = 0; i < na; i++) size += anoms->v[i].detail ? strlen(anoms->v[i].detail) + 1 : 0;
  if (!(o = tells_malloc(sizeof *o + size + 16))) return NULL;
  *o = tmp;
  o->next = NULL;
  o->size = sizeof *o + size;
  w = o->data;
  if (na) {                     /* the array first: it wants alignment */
    o->anoms.v = (tells_anom *)(void *)(((uintptr_t)w + 15) & ~(uintptr_t)15);
    w = (char *)(o->anoms.v + na);
    memcpy(o->anoms.v, anoms->v, na * sizeof(tells_anom));
    for (i = 0; i < na; i++) copy_str(&w, (const char **)&o->anoms.v[i].detail);
  }
  if (anoms) {
    o->anoms.n = o->anoms.cap = na;
    o->anoms.dropped = anoms->dropped;
    if (!na) o->anoms.v = NULL;
    o->d.anoms = &o->anoms;
  }
  n = op_fields(o, (const char ***)v);
  for (k = 0; k < n; k++) copy_str(&w, v[k]);
  return o;
}

static tells_err run_op(tells_case *c, qop *o) {
  switch (o->kind) {
  case OP_BEGIN: return tells__case_file_begin_now(c, &o->f);
  case OP_COMMIT: o->id = c->cur_evidence; return tells__case_file_commit_now(c, &o->d);
  case OP_ROLLBACK: tells__case_file_rollback_now(c); return TELLS_OK;
  case OP_RECORD: {
    tells_err e = tells__case_file_record_now(c, &o->f, &o->d);
    o->id = sqlite3_last_insert_rowid(c->db);
    return e;
  }
  case OP_FAILED: return tells__case_file_failed_now(c, &o->f, o->s1);
  case OP_ARTIFACT: return tells__case_artifact_now(c, o->s1, o->s2);
  case OP_INDICATOR:
    return tells__case_indicator_now(c, o->s1, o->s2, o->t0, o->t1, o->count, o->s3, o->off);
  case OP_FINDING: return tells__case_finding_now(c, &o->fi);
  case OP_EVENT: return tells__case_event_now(c, &o->ev);
  case OP_FLOW: return tells__case_flow_now(c, &o->fl);
  default: return TELLS_EUNSUP;
  }
}

/* ---- the thread ---- */

static int ready(const struct tells__case_q *q) {
  return q->head && (q->run || q->stop || q->n_ops >= WAKE_OPS || q->bytes >= WAKE_BYTES);
}

static void *writer(void *arg) {
  tells_case *c = arg;
  struct tells__case_q *q = c->q;
  pthread_mutex_lock(&q->mu);
  for (;;) {
    qop *o;
    tells_err e = TELLS_OK;
    while (!ready(q)) {
      if (!q->head && q->stop) break;
      q->waiting = 1;
      pthread_cond_wait(&q->more, &q->mu);
      q->waiting = 0;
    }
    if (!q->head) break;
    o = q->head;
    q->head = o->next;
    if (!q->head) q->tail = NULL;
    q->n_ops--;
    q->run = q->busy = 1;        /* once started, run until the queue is empty */
    if (!q->err) {
      pthread_mutex_unlock(&q->mu);
      e = run_op(c, o);
      pthread_mutex_lock(&q->mu);
      if (e && !q->err) q->err = e;
      if (!e && o->seen_ix) q->ent[o->seen_ix - 1].id = o->id;
    }
    q->bytes -= o->size;
    q->busy = 0;
    if (!q->head) q->run = 0;
    tells_free(o);
    if (!q->head || q->full || q->want_id) pthread_cond_broadcast(&q->room);
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

tells_err tells__case_async_start(tells_case *c) {
  struct tells__case_q *q;
  if (c->q) return TELLS_OK;
  if (!(q = tells_calloc(1, sizeof *q))) return TELLS_OK;     /* stays one thread */
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->more, NULL);
  pthread_cond_init(&q->room, NULL);
  q->seen_all = 1;               /* the case is empty: every row is queued here */
  c->q = q;
  if (pthread_create(&q->thread, NULL, writer, c) != 0) {
    c->q = NULL;
    pthread_cond_destroy(&q->more);
    pthread_cond_destroy(&q->room);
    pthread_mutex_destroy(&q->mu);
    tells_free(q);
  }
  return TELLS_OK;
}

tells_err tells__case_async_drain(tells_case *c) {
  struct tells__case_q *q = c->q;
  tells_err e;
  if (!q) return TELLS_OK;
  pthread_mutex_lock(&q->mu);
  if (q->head) { q->run = 1; pthread_cond_signal(&q->more); }   /* take them all now */
  while (q->head || q->busy) pthread_cond_wait(&q->room, &q->mu);
  e = q->err;
  pthread_mutex_unlock(&q->mu);
  return e;
}

tells_err tells__case_async_stop(tells_case *c) {
  struct tells__case_q *q = c->q;
  tells_err e;
  if (!q) return TELLS_OK;
  e = tells__case_async_drain(c);
  pthread_mutex_lock(&q->mu);
  q->stop = 1;
  pthread_cond_signal(&q->more);
  pthread_mutex_unlock(&q->mu);
  pthread_join(q->thread, NULL);
  pthread_cond_destroy(&q->more);
  pthread_cond_destroy(&q->room);
  pthread_mutex_destroy(&q->mu);
  tells_free(q->ent);
  tells_free(q->slot);
  tells_free(q);
  c->q = NULL;
  return e;
}

static uint32_t seen_done(tells_case *c, const tells_case_done *d);

/* Queues a copy of t (with the digest of `d` noted for find_sha).  Without
** memory for the copy the queue fails for good: the writes of the run are
** no longer complete, so none that follow are made. */
static tells_err push(tells_case *c, const qop *t, const tells_anoms *anoms,
                      const tells_case_done *d) {
  struct tells__case_q *q = c->q;
  qop *o = op_copy(t, anoms);
  tells_err e;
  if (!o) {
    pthread_mutex_lock(&q->mu);
    if (!q->err) q->err = TELLS_ENOMEM;
    pthread_mutex_unlock(&q->mu);
    return TELLS_ENOMEM;
  }
  if (d) o->seen_ix = seen_done(c, d);
  pthread_mutex_lock(&q->mu);
  while (q->head && q->bytes + o->size > QUEUE_BYTES && !q->err) {
    q->run = q->full = 1;
    pthread_cond_signal(&q->more);
    pthread_cond_wait(&q->room, &q->mu);
    q->full = 0;
  }
  if ((e = q->err) == TELLS_OK) {
    if (q->tail) q->tail->next = o; else q->head = o;
    q->tail = o;
    q->bytes += o->size;
    q->n_ops++;
    if (q->waiting && ready(q)) pthread_cond_signal(&q->more);
  }
  pthread_mutex_unlock(&q->mu);
  if (e) tells_free(o);
  return e;
}

/* ---- digests queued in this run (caller's side, under q->mu) ---- */

static int unhex(const char *h, uint8_t out[32]) {
  int i;
  for (i = 0; i < 64; i++) {
    char ch = h[i];
    int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (v < 0) return 0;
    out[i / 2] = (uint8_t)(i & 1 ? out[i / 2] | v : v << 4);
  }
  return h[64] == 0;
}

static uint32_t sha_slot(const struct tells__case_q *q, const uint8_t sha[32], int *found) {
  uint32_t k, h;
  memcpy(&h, sha, sizeof h);   /* a digest: its bytes are already uniform */
  for (k = h & (q->cap_slot - 1); q->slot[k]; k = (k + 1) & (q->cap_slot - 1))
    if (memcmp(q->ent[q->slot[k] - 1].sha, sha, 32) == 0) { *found = 1; return k; }
  *found = 0;
  return k;
}

/* The entry index + 1 a new row of this digest gets, or 0 (not the first
** row of its digest, or not tracked). */
static uint32_t seen_add(struct tells__case_q *q, const char *hex, const char *status) {
  uint8_t sha[32];
  uint32_t k;
  int found;
  if (!q->seen_all || !hex || !unhex(hex, sha)) {
    if (hex) q->seen_all = 0;    /* a digest it cannot keep: ask SQLite from now on */
    return 0;
  }
  if ((q->n_ent + 1) * 2 > q->cap_slot) {
    uint32_t cap = q->cap_slot ? q->cap_slot * 2 : 1024, i;
    uint32_t *v = cap / 2 <= SEEN_MAX ? tells_calloc(cap, sizeof *v) : NULL;
    if (!v) { q->seen_all = 0; return 0; }
    tells_free(q->slot);
    q->slot = v; q->cap_slot = cap;
    for (i = 0; i < q->n_ent; i++) {
      k = sha_slot(q, q->ent[i].sha, &found);
      q->slot[k] = i + 1;
    }
  }
  k = sha_slot(q, sha, &found);
  if (found) return 0;
  if (q->n_ent == q->cap_ent) {
    uint32_t cap = q->cap_ent ? q->cap_ent * 2 : 256;
    struct seen *v = tells_realloc(q->ent, cap * sizeof *v);
    if (!v) { q->seen_all = 0; return 0; }
    q->ent = v; q->cap_ent = cap;
  }
  memcpy(q->ent[q->n_ent].sha, sha, 32);
  q->ent[q->n_ent].id = 0;
  q->ent[q->n_ent].size = q->cur_size;
  q->ent[q->n_ent].mtime = q->cur_mtime;
  q->ent[q->n_ent].status = status;
  q->slot[k] = ++q->n_ent;
  return q->n_ent;
}

/* The statuses tells_case_find_sha selects, as static text. */
static const char *found_status(const char *s) {
  static const char *const st[] = {"analysed", "identified", "not_analysed"};
  int i;
  for (i = 0; s && i < 3; i++) if (strcmp(s, st[i]) == 0) return st[i];
  return NULL;
}

int tells__case_async_find_sha(tells_case *c, const char *hex, tells_case_seen *out,
                               tells_err *err) {
  struct tells__case_q *q = c->q;
  uint8_t sha[32];
  const struct seen *en;
  int found;
  uint32_t k;
  *err = TELLS_OK;
  if (!q) return 0;
  pthread_mutex_lock(&q->mu);
  if (!q->seen_all || !unhex(hex, sha)) { pthread_mutex_unlock(&q->mu); return 0; }
  memset(out, 0, sizeof *out);
  if (!q->cap_slot || (k = sha_slot(q, sha, &found), !found)) {
    pthread_mutex_unlock(&q->mu);
    return 1;                    /* not in the case */
  }
  while (q->ent[q->slot[k] - 1].id == 0 && !q->err) {   /* not stored yet */
    q->want_id = q->run = 1;
    pthread_cond_signal(&q->more);
    pthread_cond_wait(&q->room, &q->mu);
  }
  q->want_id = 0;
  en = &q->ent[q->slot[k] - 1];
  if ((*err = q->err) == TELLS_OK) {
    out->id = en->id;
    out->size = en->size;
    out->mtime_ns = en->mtime;
    snprintf(out->sha256, sizeof out->sha256, "%s", hex);
    snprintf(out->status, sizeof out->status, "%s", en->status);
  }
  pthread_mutex_unlock(&q->mu);
  return 1;
}

static uint32_t seen_done(tells_case *c, const tells_case_done *d) {
  struct tells__case_q *q = c->q;
  const char *st = found_status(d->status);
  uint32_t ix;
  if (!st || !d->sha256) return 0;
  pthread_mutex_lock(&q->mu);
  ix = seen_add(q, d->sha256, st);
  pthread_mutex_unlock(&q->mu);
  return ix;
}

/* ---- the queued forms of the write calls ---- */

tells_err tells__case_q_begin(tells_case *c, const tells_case_file *f) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_BEGIN; t.f = *f;
  c->q->cur_size = f->size;      /* only the caller's thread uses these */
  c->q->cur_mtime = f->mtime_ns;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_commit(tells_case *c, const tells_case_done *d) {
  static const tells_anoms none;
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_COMMIT; t.d = *d;
  return push(c, &t, d->anoms ? d->anoms : &none, d);
}

tells_err tells__case_q_rollback(tells_case *c) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_ROLLBACK;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_record(tells_case *c, const tells_case_file *f, const tells_case_done *d) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_RECORD; t.f = *f; t.d = *d;
  t.d.anoms = NULL;             /* a recorded file has none (case.c writes 0) */
  c->q->cur_size = f->size;
  c->q->cur_mtime = f->mtime_ns;
  return push(c, &t, NULL, d);
}

tells_err tells__case_q_failed(tells_case *c, const tells_case_file *f, const char *reason) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_FAILED; t.f = *f; t.s1 = reason;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_artifact(tells_case *c, const char *kind, const char *json) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_ARTIFACT; t.s1 = kind; t.s2 = json;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_indicator(tells_case *c, const char *type, const char *value,
                                  int64_t time_ns, int64_t last_ns, uint64_t count,
                                  const char *context, int64_t off) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_INDICATOR; t.s1 = type; t.s2 = value; t.s3 = context;
  t.t0 = time_ns; t.t1 = last_ns; t.count = count; t.off = off;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_finding(tells_case *c, const tells_finding *f) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_FINDING; t.fi = *f;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_event(tells_case *c, const tells_event *e) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_EVENT; t.ev = *e;
  return push(c, &t, NULL, NULL);
}

tells_err tells__case_q_flow(tells_case *c, const tells_flow_row *f) {
  qop t;
  memset(&t, 0, sizeof t);
  t.kind = OP_FLOW; t.fl = *f;
  return push(c, &t, NULL, NULL);
}
