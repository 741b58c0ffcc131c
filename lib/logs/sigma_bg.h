/*
** sigma_bg.h -- literal scanner for small sets of literals (the keyword
** literals of the Sigma prefilter), anchored on two-byte windows: used
** where an automaton's chain of dependent table reads costs more than the
** few literals need.
*/
#ifndef TELLS_SIGMA_BG_H
#define TELLS_SIGMA_BG_H

#include <stddef.h>
#include <stdint.h>

#define SG_BG_MAX_LITS 4096   /* beyond this the anchors get too dense */

typedef struct sg_bg sg_bg;

/* Builds the scanner for n literals (ASCII-lowercased here) of 2 to 65,535
** bytes each, literal i reported as ids[i] (i when ids is NULL).  NULL when
** out of memory, when a literal is shorter than 2 bytes, or when n is 0 or
** over SG_BG_MAX_LITS: the caller then uses an automaton. */
sg_bg *tells__sigma_bg_build(const char *const *lits, const size_t *lens, size_t n,
                             const uint32_t *ids);
void tells__sigma_bg_free(sg_bg *g);
size_t tells__sigma_bg_bytes(const sg_bg *g);   /* memory it holds */

/* Scans p[0..n), as if ASCII-lowercased (the text may be either): sets bit
** `id` of `hits` for every literal that occurs and appends it to
** list[*n_list] if its bit was clear. */
void tells__sigma_bg_scan(const sg_bg *g, const uint8_t *p, size_t n, uint64_t *hits,
                          uint32_t *list, uint32_t *n_list);

#endif
