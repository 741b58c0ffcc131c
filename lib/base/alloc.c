/*
** alloc.c -- the swappable allocator behind tells_malloc and friends.
*/
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "tells.h"

static void *default_alloc(void *ud, void *ptr, size_t size) {
  (void)ud;
  if (size == 0) { free(ptr); return NULL; }
  return realloc(ptr, size);
}

static tells_alloc_fn g_alloc = default_alloc;
static void *g_alloc_ud;

void tells_set_allocator(tells_alloc_fn fn, void *ud) {
  g_alloc = fn ? fn : default_alloc;
  g_alloc_ud = fn ? ud : NULL;
}

void *tells_malloc(size_t n) { return g_alloc(g_alloc_ud, NULL, n ? n : 1); }
void *tells_realloc(void *p, size_t n) { return g_alloc(g_alloc_ud, p, n ? n : 1); }
void tells_free(void *p) { if (p) g_alloc(g_alloc_ud, p, 0); }

void *tells_calloc(size_t count, size_t size) {
  void *p;
  if (size && count > (size_t)-1 / size) return NULL;
  p = tells_malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

char *tells_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = tells_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
