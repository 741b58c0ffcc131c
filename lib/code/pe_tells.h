/*
** pe_tells.h -- the attacker's tells in a PE file, and over a set of files.
**
** tells_petells_analyse() reads a parsed PE (pe.h) and the file's bytes and
** reports what investigators read as "styles, signatures and tells":
**   - timestamps: COFF, export, resource and every debug entry, each flagged
**     (zero, unset, future, before 1992, reproducible build, hash-like,
**     inconsistent with the others) and the build time chosen from them;
**   - languages: resource LANGIDs with counts, version-info translations;
**   - scripts (Hangul, Han, Cyrillic, Arabic...) in UTF-16LE strings;
**   - the Rich header against the optional header's linker version, and
**     its checksum (a possible forged, "false flag" Rich header);
**   - the parts of the CodeView PDB path: drive, user, project, build
**     configuration, and the script of non-ASCII folder names.
** Over a set of files, tells_petells_set_* keep build times by weekday and
** hour (UTC) and find the UTC offset that best fits a working week.
**
** The analysis is deterministic: the caller passes the reference "now".
** Everything it returns comes from the caller's arena.  JSON schema of the
** "tells" key and of the set object: docs/pe-json.md.
*/
#ifndef TELLS_PE_TELLS_H
#define TELLS_PE_TELLS_H

#include <stddef.h>
#include <stdint.h>
#include "pe.h"

/* Stamps that differ from the chosen build time by more than this many
** seconds are "inconsistent" (one day: one build links everything within
** minutes; a separately built resource or export file may be hours old). */
#define TELLS_PETELLS_SPREAD_MAX   86400
/* A stamp up to this many seconds after "now" is not yet "future" (clock
** skew between the build machine and the analyst's). */
#define TELLS_PETELLS_FUTURE_SLACK 86400
/* 1992-01-01T00:00:00Z: earlier stamps predate Win32 PE files. */
#define TELLS_PETELLS_EPOCH_MIN    694224000u
#define TELLS_PETELLS_MAX_STAMPS   (3 + 64)   /* COFF, export, resource, debug */
#define TELLS_PETELLS_MAX_LANGS    64         /* distinct resource languages kept */
#define TELLS_PETELLS_SCAN_MAX     (64u << 20) /* bytes scanned for UTF-16 text */
#define TELLS_PETELLS_MIN_RUN      3          /* code points in a UTF-16 run */
#define TELLS_PETELLS_EXAMPLE      48         /* code points kept of an example */

/* Timestamp flags */
enum {
  TELLS_PETELLS_TS_ZERO = 1,          /* 0: not set by the linker */
  TELLS_PETELLS_TS_UNSET = 2,         /* 0xffffffff: "no stamp" convention */
  TELLS_PETELLS_TS_FUTURE = 4,        /* after now + slack */
  TELLS_PETELLS_TS_OLD = 8,           /* before 1992 */
  TELLS_PETELLS_TS_REPRO = 16,        /* a REPRO debug entry: the stamp is a hash */
  TELLS_PETELLS_TS_HASHLIKE = 32,     /* implausible and far from plausible stamps */
  TELLS_PETELLS_TS_INCONSISTENT = 64  /* more than SPREAD_MAX from the build time */
};

typedef struct tells_petells_stamp {
  const char *source;      /* "coff", "export", "resource", "debug" (static) */
  int index;               /* debug entry index, -1 for the others */
  uint32_t value;
  unsigned flags;          /* TELLS_PETELLS_TS_* */
} tells_petells_stamp;

typedef struct tells_petells_lang {
  uint16_t lang;           /* LANGID */
  uint32_t count;          /* resources in that language */
} tells_petells_lang;

typedef struct tells_petells_script {
  const char *name;        /* static, e.g. "Hangul" */
  uint64_t code_points, runs;
  uint64_t example_off;    /* file offset of the example run */
  char example[4 * TELLS_PETELLS_EXAMPLE + 1]; /* UTF-8 */
} tells_petells_script;

/* Scripts that tells_petells_script_of() knows; index into tells_petells.scripts. */
#define TELLS_PETELLS_N_SCRIPTS 32

typedef struct tells_petells_rich {
  int present;             /* the file has a Rich header */
  int has_linker;          /* a linker record was found in it */
  uint16_t prodid, build;  /* the newest linker record */
  uint8_t rich_major, rich_minor;   /* the linker version it stands for */
  int minor_known;         /* rich_minor is known (14.x: from the build) */
  const char *vs;          /* Visual Studio release, static text or NULL */
  uint8_t hdr_major, hdr_minor;     /* optional header LinkerVersion */
  int major_mismatch, minor_mismatch, checksum_ok;
  int forged;              /* checksum wrong or major mismatch */
} tells_petells_rich;

typedef struct tells_petells_pdb {
  const char *path;        /* as stored (arena) */
  const char *drive, *host, *user, *project, *config, *platform, *file; /* arena or NULL */
  int utf8;                /* the path is valid UTF-8 */
  int non_ascii;           /* some byte >= 0x80 */
  unsigned scripts;        /* bit i: script i (tells_petells_script_name) in a non-ASCII part */
  const char **folders;    /* arena: the non-ASCII folder names */
  size_t n_folders;
} tells_petells_pdb;

typedef struct tells_petells {
  int64_t now;
  tells_petells_stamp stamps[TELLS_PETELLS_MAX_STAMPS]; size_t n_stamps;
  int has_build;           /* build_time is usable */
  uint32_t build_time;
  const char *build_source;/* source of the stamp it came from */
  int build_index;
  uint32_t spread;         /* max - min of the plausible, non-hash stamps */

  tells_petells_lang langs[TELLS_PETELLS_MAX_LANGS]; size_t n_langs;
  uint64_t langs_dropped;  /* resources in languages past the cap */
  const uint32_t *translations; size_t n_translations; /* lang | cp << 16 (pe's) */
  int has_primary;         /* a non-weak language was found */
  uint16_t primary_lang;

  tells_petells_script scripts[TELLS_PETELLS_N_SCRIPTS]; /* code_points 0: absent */
  uint64_t scanned;        /* bytes scanned for UTF-16 text */

  tells_petells_rich rich;
  int has_pdb;
  tells_petells_pdb pdb;
} tells_petells;

/* Analyses pe (parsed from buf[0..len)) with `now` as the reference time
** (seconds since 1970).  *out comes from `arena`.  Returns TELLS_OK, or
** TELLS_ENOMEM / TELLS_ELIMIT when the arena fails (*out is then NULL). */
tells_err tells_petells_analyse(const tells_pe *pe, const uint8_t *buf, size_t len,
                                int64_t now, tells_arena *arena,
                                tells_petells **out /* OUT */);
/* Sends the tells that matter to the case (pe_tells_ingest.c): the
** "pe.compiled" event at the chosen build time, "language" and "pdb_user"
** indicators, and the findings "pe-forged-rich-header" and
** "pe-future-timestamp". */
struct tells_ingest;
void tells_petells_report(struct tells_ingest *ig, const tells_pe *pe, const tells_petells *t);
/* Writes the value of the artifact's "tells" key. */
void tells_petells_json(const tells_petells *t, tells_json *j);
/* Flags as a space-free list of names into the JSON array being written. */
void tells_petells_flags_json(unsigned flags, tells_json *j);

/* Timestamps alone (used by analyse, exposed for tests): fills t->stamps,
** the flags, spread and build time from pe. */
void tells_petells_stamps(const tells_pe *pe, int64_t now, tells_petells *t);
/* Rich header versus LinkerVersion (exposed for tests). */
void tells_petells_rich_check(const tells_pe *pe, tells_petells_rich *r /* OUT */);
/* Linker version of a Rich linker product id; 0 when prodid is no linker. */
int tells_petells_rich_linker(uint16_t prodid, uint8_t *major, uint8_t *minor);
/* The 14.x minor version and Visual Studio release of an MSVC 14 build
** number; returns 0 when the build is outside the known table. */
int tells_petells_msvc14(uint16_t build, uint8_t *minor, const char **vs);

/* "ko-KR Korean" for 0x0412 into out (always NUL-terminated); returns 0 when
** the LANGID is unknown (out then says "unknown 0x...."). */
int tells_petells_lang_name(uint16_t langid, char *out, size_t n);
/* Neutral, default and en-US languages: weak evidence of the author. */
int tells_petells_lang_weak(uint16_t langid);
/* "Korean (Unified Hangul Code)" for 949, NULL when unknown. */
const char *tells_petells_codepage_name(uint32_t cp);

/* Script index of a code point, or -1 for common text (ASCII, punctuation,
** symbols), -2 for what is not text (controls, private use, unassigned). */
int tells_petells_script_of(uint32_t cp);
const char *tells_petells_script_name(int script);
/* Counts scripts in UTF-16LE runs of buf[0..len) (at file offset base) into
** scripts[] (TELLS_PETELLS_N_SCRIPTS entries, names set on first use).
** Returns bytes scanned. */
uint64_t tells_petells_scan_utf16(const uint8_t *buf, size_t len, uint64_t base,
                                  tells_petells_script *scripts);

/* Splits a PDB path into its parts; strings come from arena.  Returns
** TELLS_OK or TELLS_ENOMEM/ELIMIT. */
tells_err tells_petells_pdb_parse(const char *path, tells_arena *arena,
                                  tells_petells_pdb *out /* OUT */);

/* ---- over a set of samples ----------------------------------------------
** Build times by weekday and hour in UTC.  The UTC offset fit tries every
** whole hour from -12 to +14 and scores each by the share of builds that
** fall on Monday-Friday between 09:00 and 18:59 local time; ties go to the
** offset whose builds sit closest on average to 14:00 local. */
typedef struct tells_petells_set {
  uint64_t pe_files;       /* PE files seen */
  uint64_t timed;          /* of which with a usable build time */
  uint64_t bins[7 * 24];   /* weekday (0 = Monday) * 24 + hour, UTC */
} tells_petells_set;

typedef struct tells_petells_fit {
  int best; double score;          /* offset in hours, share 0..1 */
  int runner_up; double runner_score;  /* second best offset */
  int distinct; double distinct_score; /* best offset 3+ hours from `best` */
} tells_petells_fit;

void tells_petells_set_init(tells_petells_set *s);
void tells_petells_set_add(tells_petells_set *s, int64_t unix_seconds);
/* Returns 0 (and leaves *fit zeroed) when the set has no build time. */
int tells_petells_set_fit(const tells_petells_set *s, tells_petells_fit *fit /* OUT */);
/* The set's JSON object (value of the "set" key). */
void tells_petells_set_json(const tells_petells_set *s, tells_json *j);
/* Weekday (0 = Monday) and hour of a time in UTC. */
void tells_petells_weekday_hour(int64_t unix_seconds, int *weekday, int *hour);

#endif /* TELLS_PE_TELLS_H */
