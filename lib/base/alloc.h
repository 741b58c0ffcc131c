/*
** alloc.h -- the one allocator of libtells, swappable by tests.
**
** Every heap allocation of the library goes through tells_malloc/realloc/
** free, which call the function installed by tells_set_allocator() (the
** default wraps libc).  Tests install one that fails the Nth call to prove
** that every allocation failure is handled (Lua's Memcontrol, curl torture).
*/
#ifndef TELLS_ALLOC_H
#define TELLS_ALLOC_H

#include <stddef.h>

void *tells_malloc(size_t n);
void *tells_calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void *tells_realloc(void *p, size_t n);        /* may move p */
void tells_free(void *p);
char *tells_strdup(const char *s);

#endif
