/*
** arena.h -- one arena per evidence file.
**
** Every object parsed from an evidence file comes from that file's arena and
** is freed all at once when the file is done (YARA's arena).  Parsers never
** free individual fields.  An arena has a cap: past it, allocation returns
** NULL and the parser records TELLS_ELIMIT, so memory stays bounded whatever
** the input claims.
*/
#ifndef TELLS_ARENA_H
#define TELLS_ARENA_H

#include <stddef.h>

typedef struct tells_arena_block tells_arena_block;

typedef struct tells_arena {
  tells_arena_block *head;  /* newest block first; owned */
  size_t used;              /* bytes handed out plus block overhead */
  size_t cap;               /* limit on `used`; 0 means the default cap */
} tells_arena;

void tells_arena_init(tells_arena *a, size_t cap);
/* Returns n bytes aligned for any type, or NULL when out of memory or cap. */
void *tells_arena_alloc(tells_arena *a, size_t n);
/* Copies n bytes (plus a NUL) into the arena. */
char *tells_arena_strndup(tells_arena *a, const char *s, size_t n);
/* 1 when `count` allocations of `total` bytes in all, none larger than
** `largest`, certainly fit under the cap (only malloc itself could then
** fail); 0 when they might not.  For callers that must know ahead whether
** a sequence of allocations would reach the cap. */
int tells_arena_room(const tells_arena *a, size_t total, size_t largest, size_t count);
/* Frees every block; the arena may be used again afterwards. */
void tells_arena_free(tells_arena *a);

#endif
