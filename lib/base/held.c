/*
** held.c -- messages kept back and given later (see held.h), and the CPU
** count the worker pools size themselves by.
*/
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include "held.h"

/* A message is 'p' path NUL, or '-', then the message NUL. */
void tells_held_add(tells_buf *b, const char *path, const char *msg) {
  tells_buf_addc(b, path ? 'p' : '-');
  if (path) { tells_buf_adds(b, path); tells_buf_addc(b, '\0'); }
  tells_buf_adds(b, msg);
  tells_buf_addc(b, '\0');
}

void tells_held_diag(void *ud, const char *path, const char *msg) {
  tells_held_add(ud, path, msg);
}

void tells_held_replay(tells_buf *b, tells_diag_fn fn, void *ud) {
  size_t k = 0;
  while (k < b->n && !b->err) {
    const char *path = NULL;
    if (b->p[k++] == 'p') { path = b->p + k; k += strlen(path) + 1; }
    if (fn) fn(ud, path, b->p + k);
    k += strlen(b->p + k) + 1;
  }
  tells_buf_reset(b);
}

unsigned tells_cpu_count(void) {
  cpu_set_t cs;
  long n = 0;
  if (sched_getaffinity(0, sizeof cs, &cs) == 0) n = CPU_COUNT(&cs);
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (unsigned)n;
}
