/*
** sigma_ac.h -- Aho-Corasick automaton over lowercased bytes, the
** multi-literal prefilter of the Sigma engine.
**
** Every literal that a compiled rule needs (its "required literals") goes
** into one automaton.  For each event the matcher runs the automaton once
** over the field values and stamps each literal found; a rule none of whose
** required literals was stamped is skipped without evaluating it.  The
** automaton is a full DFA over byte classes: each ASCII byte and UTF-8
** lead byte of the literals has its own class, the UTF-8 continuation
** bytes share one class, bytes in no literal share class 0.  Folding the
** continuation bytes makes the automaton report a superset of the
** literals present (literals that differ only in continuation bytes end in
** the same state), which is safe for a prefilter and keeps the table
** small: 16-bit state numbers when they fit, else 32-bit.
*/
#ifndef TELLS_SIGMA_AC_H
#define TELLS_SIGMA_AC_H

#include <stddef.h>
#include <stdint.h>

typedef struct sg_ac sg_ac;

/* Literals longer than this go into the automaton by their first
** TELLS_SIGMA_AC_LIT_MAX bytes, so a longer literal is reported wherever its
** head occurs (a superset, as a prefilter may be).  It bounds the overlap
** of the scan's lanes (the longest literal less one byte) and the
** automaton's depth; whole file hashes are found by their head. */
#define TELLS_SIGMA_AC_LIT_MAX 32

/* Builds the automaton for n distinct literals (already lowercase, each of
** length >= 1).  Literal i is reported as id ids[i] (as i when ids is
** NULL): a second automaton over a subset of the literals reports them
** under the ids of the first, into the same bitset.  Returns NULL when out
** of memory. */
sg_ac *tells__sigma_ac_build(const char *const *lits, const size_t *lens,
                             size_t n, const uint32_t *ids);
void tells__sigma_ac_free(sg_ac *ac);
size_t tells__sigma_ac_states(const sg_ac *ac);
size_t tells__sigma_ac_bytes(const sg_ac *ac);   /* transition table size */

/* Scans p[0..n), text already ASCII-lowercased, and sets bit `id` of
** `hits` for every literal that may occur (exact for ASCII literals of at
** most TELLS_SIGMA_AC_LIT_MAX bytes, a superset for the others).  Each id whose bit goes from 0 to 1 is
** appended to list[*n_list] (the list must have room for every literal).
** Long inputs are cut into eight overlapping lanes scanned in step, so the
** table loads of one lane overlap those of the others. */
void tells__sigma_ac_scan(const sg_ac *ac, const uint8_t *p, size_t n,
                          uint64_t *hits, uint32_t *list, uint32_t *n_list);

#endif
