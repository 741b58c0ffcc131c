/*
** sigma_int.h -- objects used internally by the Sigma engine (sigma*.c) and
** not published: value patterns, detection items, selections, the compiled
** condition tree, rules, correlations, and the ruleset with its matcher
** state.  See docs/internals/sigma.md for the design.
*/
#ifndef TELLS_SIGMA_INT_H
#define TELLS_SIGMA_INT_H

#include <stdint.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "arena.h"
#include "sigma.h"
#include "sigma_ac.h"
#include "sigma_bg.h"

#define SG_MAX_FILE       (4u << 20)  /* largest rule file read */
#define SG_MAX_DEPTH      32          /* YAML nesting walked */
#define SG_MAX_VALUES     20000       /* values (after expansion) per rule */
#define SG_MAX_SELS       512         /* detection identifiers per rule */
#define SG_MAX_COND_NODES 4096        /* condition tree size */
#define SG_LIT_MIN        3
#define SG_GATE_MIN_PATS  4           /* per-pattern literal gate from this many values */
#define SG_GATE_INDEX     32          /* values found from the event's literals from this many */
#define SG_HIT(s, id)     (((s)->lit_hits[(id) >> 6] >> ((id) & 63)) & 1)           /* shorter literals do not prefilter */
#define SG_LIT_MAX        12          /* prefilter literals are cut to this */
#define SG_ANY            0xFFFFFFFFu /* any channel / any EventID */
#define SG_FIELD_KEYWORD  0xFFFFFFFFu /* item searches every field */

/* Pattern kinds: how one value is compared with one field value. */
enum {
  SG_P_EQ, SG_P_PREFIX, SG_P_SUFFIX, SG_P_CONTAINS, /* literal fast paths */
  SG_P_GLOB,        /* segments split by '*', '?' inside */
  SG_P_RE,          /* PCRE2 */
  SG_P_CIDR,        /* IP network */
  SG_P_NUM,         /* gt/gte/lt/lte */
  SG_P_FIELDREF,    /* equal (or starts/ends/contains) to another field */
  SG_P_EXISTS,      /* field present (num = 1) or absent (num = 0) */
  SG_P_NULL,        /* field absent or empty */
  SG_P_ANY          /* matches any present value (unknown placeholder) */
};
enum { SG_OP_GT, SG_OP_GTE, SG_OP_LT, SG_OP_LTE };
enum { SG_REF_EQ, SG_REF_PREFIX, SG_REF_SUFFIX, SG_REF_CONTAINS };

#define SG_RE_LINES 1   /* the regex's glob applies to each line */
#define SG_RE_EXACT 2   /* ... and decides alone on an ASCII value */

typedef struct sg_pat {
  uint8_t kind, cased, neg, op;  /* neg: `neq` inverts the comparison; op:
                                    gt..lte, or SG_RE_* for a regex with a
                                    glob (s) */
  uint8_t refkind;               /* SG_REF_* for fieldref */
  uint8_t family, prefix;        /* cidr: 4 or 6, prefix bits */
  uint8_t req;                   /* regex without a literal: a byte every
                                    match holds, or 0 */
  uint8_t addr[16];              /* cidr network */
  const char *s;                 /* literal or glob text (lowercased unless
                                    cased); glob uses '\x01' for '*' and
                                    '\x02' for '?' (escaped literals \x03c) */
  size_t n;
  double num;                    /* gt..lte operand; exists flag */
  uint32_t ref;                  /* fieldref: field id */
  pcre2_code *re;                /* owned by the ruleset's regex list */
  const char *lit;               /* prefilter literal (lowercase) or NULL */
  size_t lit_n;
  uint32_t lit_id;               /* automaton id + 1 of lit (0: none); a
                                    pattern whose literal was not seen in
                                    the event cannot match */
} sg_pat;

/* One `Field|mods: values` entry: OR over values, or AND with |all. */
typedef struct sg_item {
  uint32_t field;                /* field id or SG_FIELD_KEYWORD */
  uint8_t all;
  uint32_t n_pats;
  sg_pat *pats;
  /* many gated values (compiled): lit << 32 | value index, by literal, and
  ** the values without a gate; matched from the event's literals */
  uint32_t n_gx, n_ug;
  uint64_t *gx;
  uint32_t *ug;
} sg_item;

/* A selection's map: AND over items. */
typedef struct sg_alt {
  uint32_t n_items;
  sg_item *items;
} sg_alt;

/* A detection identifier: OR over maps (a list of maps); a plain map has
** one alternative. */
typedef struct sg_sel {
  const char *name;
  uint32_t n_alts;
  sg_alt *alts;
} sg_sel;

enum { SG_N_SEL, SG_N_AND, SG_N_OR, SG_N_NOT, SG_N_ATLEAST, SG_N_TRUE };
typedef struct sg_node {
  uint8_t op;
  uint32_t sel;                  /* SG_N_SEL: index into sels */
  uint32_t k;                    /* SG_N_ATLEAST: how many must hold */
  uint32_t n;                    /* children */
  struct sg_node **kids;
} sg_node;

/* A detection block (rule's or filter's). */
typedef struct sg_det {
  uint32_t n_sels;
  sg_sel *sels;
  sg_node *cond;
} sg_det;

/* Correlation types. */
enum { SG_C_EVENT_COUNT, SG_C_VALUE_COUNT, SG_C_TEMPORAL,
       SG_C_TEMPORAL_ORDERED, SG_C_VALUE_SUM, SG_C_VALUE_AVG,
       SG_C_VALUE_PERCENTILE };

typedef struct sg_cmp { uint8_t op; double v; } sg_cmp;  /* op: SG_OP_* or 4 eq, 5 neq */

typedef struct sg_corr_state sg_corr_state;

typedef struct sg_corr {
  int type;
  uint32_t n_refs;
  const char **refs;             /* rule ids or names, as written */
  uint32_t *ref_rules;           /* resolved rule indexes */
  uint32_t n_group;
  const char **group;            /* group-by field names (or alias names) */
  /* aliases: alias name -> per referenced rule field name */
  uint32_t n_alias;
  const char **alias_name;
  const char ***alias_field;     /* [alias][ref] field name or NULL */
  int64_t span_ns;
  const char *field;             /* value_* and value_count field */
  double percentile;             /* value_percentile, default 50 */
  uint32_t n_cmp;
  sg_cmp cmp[6];
  int generate;
  sg_corr_state *st;             /* owned; windows per group */
} sg_corr;

typedef struct sg_filter {
  uint32_t n_refs;
  const char **refs;
  sg_det det;
} sg_filter;

/* Logsource target: a channel (id) and a set of EventIDs. */
typedef struct sg_target {
  uint32_t chan;                 /* channel id or SG_ANY */
  uint32_t n_eids;               /* 0 = any EventID */
  const uint32_t *eids;
} sg_target;

typedef struct sg_rule {
  tells_sigma_rule_info info;    /* strings in the ruleset arena */
  sg_det det;
  sg_corr *corr;                 /* correlations only */
  sg_filter *filter;             /* filters only */
  /* compiled */
  uint32_t n_filters;
  sg_det **filters;              /* filters applied to this rule */
  uint32_t n_corrs;
  uint32_t *corrs;               /* correlations fed by this rule */
  uint32_t n_lits;               /* prefilter clauses, flat: count, ids.. */
  uint32_t *lits;
  uint32_t n_clauses;            /* all clauses need a literal hit */
  uint32_t trig;                 /* offset in lits of the clause indexed */
  uint32_t n_bks;                /* buckets holding the rule */
  uint32_t *bks;
  uint32_t n_tg;                 /* logsource targets (0: any), for the */
  sg_target *tg;                 /* reference evaluation */
  int lit_any;                   /* 1 = no literal prefilter possible */
  int suppressed;                /* referenced by a non-generating corr */
  int needs_all_fields;          /* has keyword items */
} sg_rule;

/* The literal scanners of a set of buckets (sigma_combo.c). */
typedef struct sg_combo {
  const sg_ac *ac;               /* the literals its rules read; NULL: none */
  const sg_bg *kbg;              /* its keyword literals, for the fields that */
  const sg_ac *kac;              /* only keyword items read (kac when kbg cannot
                                    hold them; neither: none) */
} sg_combo;

typedef struct sg_bucket {
  uint32_t chan, eid;
  uint32_t n, cap;
  uint32_t *rules;
  int all_fields;
  uint32_t *always; uint32_t n_always;  /* rules without literal prefilter */
  uint32_t *scan; size_t n_scan;  /* field ids the automaton must read */
} sg_bucket;

typedef struct sg_fieldv {       /* per-event value of one field id */
  const char *v, *lv;            /* original, lowercased (lazy) */
  size_t n;
  uint32_t stamp, lstamp;
} sg_fieldv;

struct tells_sigma_ruleset {
  tells_arena a;                 /* rules, patterns, strings */
  sg_rule *rules; size_t n_rules, cap_rules;
  pcre2_code **res; size_t n_res, cap_res;  /* owned regexes */
  pcre2_match_data *md;
  /* interned field names (case-insensitive) */
  char **fnames; size_t n_fields, cap_fields;
  uint32_t *fhash; size_t fhash_cap;        /* open addressing, id+1 */
  /* interned channel names (lowercase) */
  char **chans; size_t n_chans, cap_chans;
  /* placeholders */
  size_t n_ph; const char **ph_name; const char ***ph_vals; size_t *ph_n;
  /* compiled */
  int compiled;
  sg_bucket *buckets; size_t n_buckets, cap_buckets;
  uint32_t *bhash; size_t bhash_cap;
  /* literal scanners (sigma_combo.c): one set per set of buckets met,
  ** built at its first event; ac/kbg/kac (every literal) only for the
  ** sets met past a cap on their tables */
  struct sg_cslot *combos; size_t n_combos, combo_bytes, combo_cap;
  struct sg_kwslot *kwsets;
  sg_combo all; int all_built;         /* (owned) */
  const char **lit_p; size_t *lit_len;  /* the literals by id (arena text) */
  uint32_t *blit_off, *blit;            /* per bucket: the literals its rules read */
  uint32_t *bkw_off, *bkw;              /* per bucket: its keyword literals */
  uint32_t *lmark, lmark_gen;           /* [n_lits] scratch of the lists */
  int ac_sep;                           /* a byte of no literal, or -1 */
  uint64_t *lit_hits; size_t n_lits;    /* bitset of literals seen */
  uint32_t *hit_list, n_hit;            /* the literals seen, in order */
  /* inverted index: literal -> (bucket << 32 | rule) of the rules whose
  ** indexed clause holds it */
  uint32_t *trig_off;                   /* [n_lits + 1] */
  uint64_t *trig;
  uint64_t *rcl;                        /* [n_rules] offset in cl << 32 | length */
  uint32_t *cl;                         /* rules' clauses before the indexed one */
  uint32_t *bgen; uint8_t *bpos;        /* [n_buckets] event's buckets */
  uint64_t *cand;                       /* [n_rules] bucket pos << 32 | rule */
  uint32_t *cidx;                       /* [n_rules] its index in cand */
  int ref_mode;                         /* 1: no prefilter (tests) */
  /* per-event scratch */
  uint32_t gen;
  uint32_t *rstamp;               /* [n_rules] dedupe across buckets */
  uint32_t *fscan;                /* [n_fields] == gen: scan this field */
  sg_fieldv *fv;                 /* [n_fields] */
  void *scanned;                 /* matcher scratch (sigma_match.c) */
  char *lbuf; size_t lbuf_cap, lbuf_n;      /* lowercased values */
  uint8_t *selmemo; size_t selmemo_cap;
  uint32_t f_eventid, f_channel, f_provider, f_computer;
  uint32_t *alias_from, *alias_to; size_t n_alias;  /* 4688 field names */
  const tells_sigma_event *cur_ev;
  tells_sigma_stats stats;
  int corr_depth;
};

/* sigma_load.c */
uint32_t tells__sigma_field_id(tells_sigma_ruleset *s, const char *name,
                               size_t n, int add);
uint32_t tells__sigma_chan_id(tells_sigma_ruleset *s, const char *name,
                              size_t n, int add);
sg_rule *tells__sigma_new_rule(tells_sigma_ruleset *s);
char *tells__sigma_strdup(tells_sigma_ruleset *s, const char *p, size_t n);

/* sigma_value.c: builds the patterns of one value under modifiers. */
typedef struct sg_mods {
  uint8_t contains, startswith, endswith, all, re, re_i, re_m, re_s;
  uint8_t windash, base64, base64offset, utf16le, utf16be, utf16;
  uint8_t cidr, expand, fieldref, gt, gte, lt, lte, exists, cased, neq;
} sg_mods;
/* Parses "a|b|c" modifiers; returns NULL or a static error text naming the
** bad modifier in `err` (sized buffer). */
int tells__sigma_parse_mods(const char *p, size_t n, sg_mods *m, char *err,
                            size_t errsz);
/* Appends the patterns for value `v` (NULL = YAML null) to *pats.  Returns 0
** or -1 with a reason in err. */
int tells__sigma_value(tells_sigma_ruleset *s, const sg_mods *m,
                       const char *v, size_t n, int is_null,
                       sg_pat **pats, uint32_t *n_pats, uint32_t *cap,
                       char *err, size_t errsz);

/* sigma_cond.c */
sg_node *tells__sigma_cond_parse(tells_sigma_ruleset *s, const sg_det *d,
                                 const char *text, char *err, size_t errsz);

/* sigma_logsrc.c: targets of a logsource; returns count written (<= max). */
size_t tells__sigma_logsource(tells_sigma_ruleset *s, const char *product,
                              const char *category, const char *service,
                              sg_target *out, size_t max, int *known);
tells_err tells__sigma_aliases_init(tells_sigma_ruleset *s);
/* Maps an event's field name to the Sigma name for its channel/EventID;
** returns the field id or SG_ANY. */
uint32_t tells__sigma_alias(const tells_sigma_ruleset *s, uint32_t chan,
                            uint32_t eid, uint32_t fid);

/* sigma_match.c */
int tells__sigma_eval_det(tells_sigma_ruleset *s, const sg_det *d);
/* Reference evaluation, for tests: with `on`, every rule whose logsource
** targets the event is evaluated on its full condition, with no bucket,
** literal or pattern prefilter. */
void tells__sigma_set_reference(tells_sigma_ruleset *s, int on);
void tells__sigma_match_free(tells_sigma_ruleset *s);

/* sigma_combo.c: per-bucket literal lists from the compiled rules (takes
** the literal arrays; s->bkw_off/bkw are set before); the scanners for an
** event's buckets (key: up to four bucket indices, SG_ANY for none), NULL
** when out of memory. */
int tells__sigma_combo_init(tells_sigma_ruleset *s, const char **lits, size_t *lens);
/* Per bucket, the union of the literal ids add() lists for its rules, each
** once (add appends to out[*n] the ids that tells__sigma_lit_mark marks
** first), as offsets [n_buckets + 1] and ids; -1 when out of memory.
** s->n_lits must be set. */
typedef void (*sg_rule_lits_fn)(tells_sigma_ruleset *s, const sg_rule *r, uint32_t *out,
                                uint32_t *n, const void *ud);
int tells__sigma_bucket_lists(tells_sigma_ruleset *s, sg_rule_lits_fn add, const void *ud,
                              uint32_t **off, uint32_t **ids);
int tells__sigma_lit_mark(tells_sigma_ruleset *s, uint32_t x);
const sg_combo *tells__sigma_combo_get(tells_sigma_ruleset *s, const uint32_t key[4]);
void tells__sigma_combo_free(tells_sigma_ruleset *s);
/* For tests: the cap of the sets' tables, in bytes, past which the sets
** met afterwards share the automaton of every literal. */
void tells__sigma_set_combo_cap(tells_sigma_ruleset *s, size_t bytes);

/* sigma_corr.c */
tells_err tells__sigma_corr_resolve(tells_sigma_ruleset *s,
                                    tells_sigma_report_fn report, void *ud);
int tells__sigma_corr_feed(tells_sigma_ruleset *s, uint32_t rule,
                           tells_sigma_match_fn fn, void *ud);
void tells__sigma_corr_free(sg_corr *c);
void tells__sigma_corr_reset(sg_corr *c);

#endif
