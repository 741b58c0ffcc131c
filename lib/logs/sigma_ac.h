/*
** sigma_ac.h -- Aho-Corasick automaton over lowercased bytes, the
** multi-literal prefilter of the Sigma engine.
**
** Every literal that a compiled rule needs (its "required literals") goes
** into one automaton.  For each event the matcher runs the automaton once
** over the field values and stamps each literal found; a rule none of whose
** required literals was stamped is skipped without evaluating it.  The
** automaton is a full DFA over byte classes (bytes that occur in no literal
** share one class), so a scan costs one table load per input byte.
*/
#ifndef TELLS_SIGMA_AC_H
#define TELLS_SIGMA_AC_H

#include <stddef.h>
#include <stdint.h>

typedef struct sg_ac sg_ac;

/* Builds the automaton for n distinct literals (already lowercase, each of
** length >= 1).  Literal i is reported as id i.  Returns NULL when out of
** memory. */
sg_ac *tells__sigma_ac_build(const char *const *lits, const size_t *lens,
                             size_t n);
void tells__sigma_ac_free(sg_ac *ac);
size_t tells__sigma_ac_states(const sg_ac *ac);

/* Scans p[0..n) case-insensitively and sets bit `id` of `hits` for every
** literal that occurs.  When `lower` is not NULL the ASCII-lowercased input
** is written there too (n bytes). */
void tells__sigma_ac_scan(const sg_ac *ac, const uint8_t *p, size_t n,
                          uint64_t *hits, char *lower);

#endif
