/*
** drop.h -- pages of a mapped evidence file released behind its readers,
** so that the resident set of `tells investigate` stays bounded whatever
** the size of the file.
**
** A mapped file is read front to back by the scanner and, at the same
** time, by the hashing worker (one pass per algorithm).  Pages a reader
** has faulted in count in the process's RSS until they are unmapped.  Each
** reader reports its offset with tells_drop_at(); pages that every reader
** has passed (less TELLS_DROP_SLACK) are released with MADV_DONTNEED in
** steps of TELLS_DROP_STEP.  A reader more than TELLS_DROP_LAG ahead of
** the slowest one releases its own pages anyway: the slow reader faults
** them in again from the page cache (the mapping is read-only and
** file-backed, so the bytes are the same) and releases them behind
** itself.  Resident pages of one file are thus at most about
** TELLS_DROP_READERS x (LAG + SLACK + STEP), and in the common case (the
** readers close together) the gap between them plus SLACK + STEP.
**
** Only for mappings: never for a heap copy, where MADV_DONTNEED would
** zero the bytes.
*/
#ifndef TELLS_DROP_H
#define TELLS_DROP_H

#include <stddef.h>
#include <stdint.h>

#define TELLS_DROP_READERS 5            /* scanner + one per hash algorithm */
#define TELLS_DROP_SCANNER 0            /* reader index of the scanner; the
                                           hash parts are 1 + their index */
#define TELLS_DROP_STEP  ((size_t)8 << 20)   /* release at least this much */
#define TELLS_DROP_SLACK ((size_t)2 << 20)   /* kept behind every reader */
#define TELLS_DROP_LAG   ((size_t)32 << 20)  /* most a reader waits for another */

typedef struct tells_drop {
  const uint8_t *p;                 /* the mapping (page aligned) */
  size_t len;
  size_t pos[TELLS_DROP_READERS];   /* each reader's offset (atomic) */
  size_t mark[TELLS_DROP_READERS];  /* released below this, by that reader */
  uint64_t released;                /* bytes passed to madvise (atomic; a page
                                       released by two readers counts twice) */
} tells_drop;

/* Starts tracking a mapping read by the readers in `readers` (bit i =
** reader i); the others never hold a release back. */
void tells_drop_init(tells_drop *d, const uint8_t *p, size_t len, unsigned readers);
/* Reader `r` has read everything before `off`: releases what it can. */
void tells_drop_at(tells_drop *d, int r, size_t off);
/* Reader `r` is done with the file (it will not read it again). */
void tells_drop_done(tells_drop *d, int r);

#endif
