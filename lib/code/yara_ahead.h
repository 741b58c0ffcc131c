/*
** yara_ahead.h -- YARA scans made ahead of their turn by a pool of workers.
**
** `tells investigate` opens files ahead of the one it analyses (for the
** hashing worker); with YARA rules it also posts each such file here, and
** a worker scans it with a scanner of its own, into the job's own arena.
** In the file's turn, the caller joins the job and uses its hits, as if it
** had scanned there: a job not started yet is taken back (the caller scans
** in its turn), one being scanned is waited for.  The result is the same
** whatever the number of workers; only when the scans happen changes.
**
** The job's bytes must stay mapped until tells_yara_ahead_release().
** Bytes that other readers released behind them (drop.h) are faulted in
** again by the worker: the mappings are read-only and file-backed.
*/
#ifndef TELLS_YARA_AHEAD_H
#define TELLS_YARA_AHEAD_H

#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "yara_scan.h"

#define TELLS_YARA_AHEAD_MAX 16     /* workers at most */

typedef struct tells_yara_ahead tells_yara_ahead;

typedef struct tells_yara_ahead_job {
  const char *path;           /* for the external variables; not owned */
  const uint8_t *buf;         /* the file's bytes; not owned */
  size_t len;
  int state;                  /* 0 none, 1 queued, 2 scanning, 3 done (pool's) */
  struct tells_yara_ahead_job *next;   /* the queue */
  tells_arena arena;          /* the hits (state > 0) */
  tells_yara_result res;      /* state 3: what the scan found */
  tells_err err;              /* state 3: what it returned */
} tells_yara_ahead_job;

/* Workers for `threads` CPUs (0: every CPU this process may use), one
** being the caller's: threads - 1, at most TELLS_YARA_AHEAD_MAX. */
unsigned tells_yara_ahead_workers(unsigned threads);
/* Starts n workers over the compiled rules (which must outlive the pool);
** NULL when n is 0 or none could start: callers then scan in turn. */
tells_yara_ahead *tells_yara_ahead_start(const tells_yara_rules *rules, unsigned n);
/* Waits for the workers to finish what they scan and frees the pool. */
void tells_yara_ahead_stop(tells_yara_ahead *q);
/* Queues job j (path, buf and len set; state 0). */
void tells_yara_ahead_post(tells_yara_ahead *q, tells_yara_ahead_job *j);
/* Ends j's wait: 1 when its scan is done (res and err hold it), 0 when j
** was not posted or was taken back before a worker started it.  While a
** worker scans j, the caller scans queued jobs with `helper` (its own
** scanner) instead of sleeping, if it gives one.  Safe to call again; q
** may be NULL when j was never posted. */
int tells_yara_ahead_join(tells_yara_ahead *q, tells_yara_ahead_job *j,
                          tells_yara_scanner *helper);
/* Joins j and frees its hits; j may then be posted again. */
void tells_yara_ahead_release(tells_yara_ahead *q, tells_yara_ahead_job *j);

#endif
