/*
** caps.h -- capabilities of an executable, from a rule catalogue.
**
** A catalogue (rules/capabilities/NAME.rules, format in docs/capabilities.md)
** says what destructive and espionage malware does in terms a static look
** can see: the functions a PE imports, the strings it carries (from the
** strings pass, strs.h) and its resources (type, embedded PE, embedded
** native-subsystem driver).  Each rule has an id, a name, an ATT&CK
** technique, a severity, and one or more alternatives, each a conjunction
** of groups (all / any / at least N of its items).  A hit names the
** imports, strings and resources that satisfied it.
**
** Use: load a catalogue once (tells_caps_load_dir, or tells_caps_default
** for the shipped one), then per file: tells_caps_match_new, feed every
** string with tells_caps_feed (a tells_strs_string_fn), tells_caps_finish.
*/
#ifndef TELLS_CAPS_H
#define TELLS_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include "../base/arena.h"
#include "../base/json.h"
#include "pe.h"
#include "tells.h"

#define TELLS_CAPS_MAX_FILE   (1u << 20)  /* bytes of one rule file */
#define TELLS_CAPS_MAX_LINE   1024        /* bytes of one line */
#define TELLS_CAPS_MAX_RULES  4096
#define TELLS_CAPS_MAX_ITEMS  256         /* items of one rule */
#define TELLS_CAPS_MAX_FILES  256         /* rule files in a folder */
#define TELLS_CAPS_MAX_EV     16          /* evidence entries kept per hit */
#define TELLS_CAPS_MAX_VALUE  256         /* evidence string bytes kept */

typedef struct tells_caps tells_caps;
typedef struct tells_caps_match tells_caps_match;

typedef struct tells_caps_rule {
  const char *id, *name, *attack, *tactic, *severity;
  const char *file; uint32_t line;  /* where the rule is defined */
  uint32_t first_alt, n_alts;       /* internal */
} tells_caps_rule;

typedef struct tells_caps_ev {
  const char *type;        /* "import", "string", "resource" */
  const char *value;       /* arena */
  int64_t off;             /* file offset, or -1 */
} tells_caps_ev;

typedef struct tells_caps_hit {
  const tells_caps_rule *rule;   /* owned by the catalogue */
  const char *confidence;        /* "high", "medium", "low" */
  tells_caps_ev *ev; size_t n_ev; /* arena */
} tells_caps_hit;

/* Parses one rule file's text into `c` (name is used in messages).  On a
** bad rule returns TELLS_ECORRUPT (or ELIMIT past a cap) and writes
** "NAME:LINE: what" into err. */
tells_err tells_caps_parse(tells_caps *c, const char *name, const uint8_t *text,
                           size_t len, char *err, size_t errsz);
/* An empty catalogue; NULL when out of memory. */
tells_caps *tells_caps_new(void);
void tells_caps_destroy(tells_caps *c);
/* Loads every *.rules file of `dir` (sorted by name) into a new catalogue. */
tells_err tells_caps_load_dir(const char *dir, tells_caps **out /* OUT */,
                              char *err, size_t errsz);
/* The shipped catalogue, loaded once per process from the first of:
** $TELLS_CAPS_RULES, TELLS_RULES_DIR/capabilities (the source tree, set by
** the build), <dir of the executable>/../share/tells/rules/capabilities.
** On failure *out is NULL and err says why (the same each call). */
tells_err tells_caps_default(const tells_caps **out /* OUT */, char *err, size_t errsz);

size_t tells_caps_n_rules(const tells_caps *c);
const tells_caps_rule *tells_caps_rule_at(const tells_caps *c, size_t i);

/* Per-file matching; everything comes from `arena`. */
tells_err tells_caps_match_new(const tells_caps *c, tells_arena *arena,
                               tells_caps_match **out /* OUT */);
/* Offers one string (ASCII, or UTF-16 converted) at file offset `off`. */
void tells_caps_feed(void *match, const char *s, size_t n, uint64_t off, int wide);
/* Evaluates the rules with pe's imports and resources (buf is the file, for
** resource contents) and the strings fed.  Hits are in catalogue order. */
tells_err tells_caps_finish(tells_caps_match *m, const tells_pe *pe, const uint8_t *buf,
                            size_t len, tells_caps_hit **hits /* OUT */, size_t *n /* OUT */);

/* The code pillar's use, for one evidence file: runs the strings pass
** over ig's bytes, sends each indicator to tells_ingest_indicator, and for
** a PE (pe not NULL) matches the shipped catalogue and sends one finding
** per capability.  *strs and *hits come from ig's arena, for the artifact
** (NULL / 0 when not computed).  A catalogue that cannot be loaded is an
** anomaly of the file, not an error. */
struct tells_ingest;
struct tells_strs;
tells_err tells_caps_scan(struct tells_ingest *ig, const tells_pe *pe,
                          const struct tells_strs **strs /* OUT */,
                          const tells_caps_hit **hits /* OUT */, size_t *n_hits /* OUT */);

/* Writes the hits as a JSON array (schema: docs/pe-json.md). */
void tells_caps_json(const tells_caps_hit *h, size_t n, tells_json *j);

#endif /* TELLS_CAPS_H */
