/*
** yara_ahead.c -- the pool of YARA workers that scan files ahead of their
** turn (see yara_ahead.h).
*/
#include <pthread.h>
#include <string.h>
#include "alloc.h"
#include "held.h"
#include "yara_ahead.h"

struct tells_yara_ahead {
  pthread_mutex_t mu;
  pthread_cond_t cv, done_cv;
  tells_yara_ahead_job *head, *tail;
  int quit;
  const tells_yara_rules *rules;
  unsigned n;
  pthread_t t[TELLS_YARA_AHEAD_MAX];
};

/* Takes the job at the head of the queue and scans it with sc (or
** records se, the scanner's failure); called and returns with mu held. */
static void scan_head(tells_yara_ahead *q, tells_yara_scanner *sc, tells_err se) {
  tells_yara_ahead_job *j = q->head;
  q->head = j->next;
  if (!q->head) q->tail = NULL;
  j->state = 2;
  pthread_mutex_unlock(&q->mu);
  memset(&j->res, 0, sizeof j->res);
  j->err = se ? se : tells_yara_scan(sc, j->path, j->buf, j->len, NULL, &j->arena, &j->res);
  pthread_mutex_lock(&q->mu);
  j->state = 3;
  pthread_cond_broadcast(&q->done_cv);
}

static void *worker(void *arg) {
  tells_yara_ahead *q = arg;
  tells_yara_scanner *sc = NULL;
  tells_err se = tells_yara_scanner_new(q->rules, &sc);
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (!q->head && !q->quit) pthread_cond_wait(&q->cv, &q->mu);
    if (!q->head) break;
    scan_head(q, sc, se);
  }
  pthread_mutex_unlock(&q->mu);
  tells_yara_scanner_free(sc);
  return NULL;
}

unsigned tells_yara_ahead_workers(unsigned threads) {
  unsigned n = threads ? threads : tells_cpu_count();
  n = n > 1 ? n - 1 : 0;
  return n > TELLS_YARA_AHEAD_MAX ? TELLS_YARA_AHEAD_MAX : n;
}

tells_yara_ahead *tells_yara_ahead_start(const tells_yara_rules *rules, unsigned n) {
  tells_yara_ahead *q;
  unsigned i;
  if (!n || !rules || !(q = tells_calloc(1, sizeof *q))) return NULL;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cv, NULL);
  pthread_cond_init(&q->done_cv, NULL);
  q->rules = rules;
  for (i = 0; i < n && i < TELLS_YARA_AHEAD_MAX; i++)
    if (pthread_create(&q->t[q->n], NULL, worker, q) == 0) q->n++;
  if (!q->n) { tells_yara_ahead_stop(q); return NULL; }
  return q;
}

void tells_yara_ahead_stop(tells_yara_ahead *q) {
  unsigned i;
  if (!q) return;
  pthread_mutex_lock(&q->mu);
  q->quit = 1;
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  for (i = 0; i < q->n; i++) pthread_join(q->t[i], NULL);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
  pthread_cond_destroy(&q->done_cv);
  tells_free(q);
}

void tells_yara_ahead_post(tells_yara_ahead *q, tells_yara_ahead_job *j) {
  tells_arena_init(&j->arena, 0);
  j->next = NULL;
  pthread_mutex_lock(&q->mu);
  j->state = 1;
  if (q->tail) q->tail->next = j; else q->head = j;
  q->tail = j;
  pthread_cond_signal(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

int tells_yara_ahead_join(tells_yara_ahead *q, tells_yara_ahead_job *j,
                          tells_yara_scanner *helper) {
  int done;
  if (!q) return 0;                    /* no pool: nothing was posted */
  pthread_mutex_lock(&q->mu);          /* a worker may be writing j->state */
  if (j->state == 1) {                 /* not started: take it back */
    tells_yara_ahead_job **pp = &q->head, *prev = NULL;
    while (*pp && *pp != j) { prev = *pp; pp = &(*pp)->next; }
    if (*pp) { *pp = j->next; if (q->tail == j) q->tail = prev; }
    j->state = 0;
    tells_arena_free(&j->arena);
  }
  while (j->state == 2) {
    if (helper && q->head) scan_head(q, helper, TELLS_OK);   /* help rather than sleep */
    else pthread_cond_wait(&q->done_cv, &q->mu);
  }
  done = j->state == 3;
  pthread_mutex_unlock(&q->mu);
  return done;
}

void tells_yara_ahead_release(tells_yara_ahead *q, tells_yara_ahead_job *j) {
  /* after the join no worker holds j (its last write was under the mutex) */
  if (tells_yara_ahead_join(q, j, NULL)) tells_arena_free(&j->arena);
  j->state = 0;
}
