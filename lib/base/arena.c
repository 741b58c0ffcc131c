/*
** arena.c -- bump allocator in chained blocks, freed all at once.
*/
#include <stdint.h>
#include <string.h>
#include "alloc.h"
#include "arena.h"
#include "tells_limits.h"

#define ARENA_BLOCK 65536u
#define ARENA_ALIGN 16u

struct tells_arena_block {
  tells_arena_block *next;
  size_t size, off;
  _Alignas(16) unsigned char data[];
};

void tells_arena_init(tells_arena *a, size_t cap) {
  a->head = NULL;
  a->used = 0;
  a->cap = cap ? cap : TELLS_ARENA_DEFAULT_CAP;
}

void *tells_arena_alloc(tells_arena *a, size_t n) {
  tells_arena_block *b = a->head;
  size_t need;
  void *p;
  if (n > a->cap) return NULL;
  n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (!b || n > b->size - b->off) {
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    need = sizeof *b + size;
    if (a->used > a->cap || need > a->cap - a->used) return NULL;
    b = tells_malloc(need);
    if (!b) return NULL;
    b->size = size; b->off = 0; b->next = a->head;
    a->head = b;
    a->used += need;
  }
  p = b->data + b->off;
  b->off += n;
  return p;
}

int tells_arena_room(const tells_arena *a, size_t total, size_t largest, size_t count) {
  size_t per = sizeof(tells_arena_block) + ARENA_BLOCK, blocks;
  /* rounded up, each allocation grows by less than ARENA_ALIGN; a block is
  ** left for the next one with less than `largest` (rounded) unused, so
  ** each block filled holds more than ARENA_BLOCK / 2 - ARENA_ALIGN of
  ** them; the current block may hold none */
  if (largest > ARENA_BLOCK / 2 || a->used > a->cap || count > SIZE_MAX / ARENA_ALIGN ||
      total > SIZE_MAX / 2)
    return 0;
  total += count * (ARENA_ALIGN - 1);
  blocks = 2 + total / (ARENA_BLOCK / 2 - ARENA_ALIGN);
  return blocks <= (a->cap - a->used) / per;
}

char *tells_arena_strndup(tells_arena *a, const char *s, size_t n) {
  char *d;
  if (n == SIZE_MAX) return NULL;
  d = tells_arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = 0;
  return d;
}

void tells_arena_free(tells_arena *a) {
  tells_arena_block *b = a->head, *nx;
  while (b) { nx = b->next; tells_free(b); b = nx; }
  a->head = NULL;
  a->used = 0;
}
