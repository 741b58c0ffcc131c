/*
** attrib.h -- the attribution answer's internals: the tells read from the
** flagged binaries' artifacts, one scored clue per tell (value, confidence,
** contradictions, how it could be planted), shared by attrib*.c.
**
** Confidence of a clue (docs/answers.md):
**   cap(tell) x support x n/(n+1) x 0.75^contradictions
** cap: how hard the clue is to plant (resource language 0.8, build-time
** zone 0.7, PDB user 0.6, toolchain 0.5, code similarity 0.9, hosting
** countries 0.4); support: the share of the samples that agree (and, for
** the time zone, the narrowness of the best fit); n: samples with the clue.
*/
#ifndef TELLS_ATTRIB_H
#define TELLS_ATTRIB_H

#include "answers.h"

#define TELLS_ATTRIB_LANGS 16
#define TELLS_ATTRIB_MAX_CONTRA 16

typedef struct tells_attrib_bin {
  int bin;                                  /* index into x->bins */
  int has_primary; unsigned primary;
  unsigned langs[TELLS_ATTRIB_LANGS]; unsigned lang_count[TELLS_ATTRIB_LANGS]; int n_langs; /* non-weak */
  unsigned trans[TELLS_ATTRIB_LANGS]; unsigned cp[TELLS_ATTRIB_LANGS]; int n_trans;       /* non-weak */
  char scripts[8][24]; int n_scripts;
  int has_build; int64_t build;             /* seconds */
  char linker[16]; int rich, forged; char vs[64];
  char pdb_user[64];
  int has_library;
} tells_attrib_bin;

typedef struct tells_attrib_contra {
  char kind[32];                            /* second-language, script, language-vs-build-hours... */
  char text[400];
  int bin;                                  /* index into x->bins or -1 */
  unsigned lang;                            /* 0 when none */
  char script[24];
} tells_attrib_contra;

typedef struct tells_attrib_clue {
  const char *tell;                         /* static: language, timezone, ... */
  char value[128];                          /* "" when the clue is absent */
  double cap, support; int n;
  tells_attrib_contra contra[TELLS_ATTRIB_MAX_CONTRA]; int n_contra;
  char text[1024];                          /* the sentence */
  const char *false_flag;                   /* static */
  char figures[4096];                       /* JSON object text of the clue's figures, or "" */
  int64_t refs[24]; int n_refs;             /* findings behind the clue */
} tells_attrib_clue;

typedef struct tells_attrib {
  tells_ans *x;
  tells_attrib_bin *b; int n;
  unsigned lang;                            /* winning language, 0 if none */
  int lang_offset, has_lang_offset;         /* its country's UTC offset */
  int plateau_lo, plateau_hi, has_plateau;  /* offsets tying for the best build-hours fit */
} tells_attrib;

double tells_attrib_conf(const tells_attrib_clue *c);
void tells_attrib_contra_add(tells_attrib_clue *c, const char *kind, int bin, unsigned lang,
                             const char *script, const char *text);
/* UTC offset (hours) of a language's main country; 0 when unknown. */
int tells_attrib_lang_offset(unsigned langid, int *offset);
/* The clues after the language (attrib_tz.c). */
void tells_attrib_timezone(tells_attrib *a, tells_attrib_clue *c);
void tells_attrib_similarity(tells_attrib *a, tells_attrib_clue *c);
void tells_attrib_infra(tells_attrib *a, tells_attrib_clue *c);

#endif
