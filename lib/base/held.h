/*
** held.h -- messages kept back to be given later, in their order.
**
** A run that does two things at once (compiling YARA rules while files are
** read) still reports as a one-by-one run would: each step's diagnostics
** are recorded in a tells_buf and replayed through the real callback when
** their turn comes.
*/
#ifndef TELLS_HELD_H
#define TELLS_HELD_H

#include "buf.h"
#include "tells.h"

/* Records one message (path may be NULL). */
void tells_held_add(tells_buf *b, const char *path, const char *msg);
/* The same as a tells_diag_fn: ud is the tells_buf. */
void tells_held_diag(void *ud, const char *path, const char *msg);
/* Gives the recorded messages to fn in order and empties b (memory kept). */
void tells_held_replay(tells_buf *b, tells_diag_fn fn, void *ud);

/* CPUs this process may run on (its affinity mask), at least 1. */
unsigned tells_cpu_count(void);

#endif
