/*
** evtx_int.h -- objects used internally by the EVTX reader (evtx*.c), not
** published.  The on-disk layout, after the libevtx format description
** (J. Metz, "Windows XML Event Log (EVTX) format") and [MS-EVEN6]:
**
** File header (first 4096 bytes; all integers little-endian)
**   OFFSET  SIZE  DESCRIPTION
**        0     8  signature "ElfFile\0"
**        8     8  first chunk number
**       16     8  last chunk number
**       24     8  next record identifier
**       32     4  header size (128)
**       36     2  minor version (1 or 2)
**       38     2  major version (3)
**       40     2  header block size (4096): offset of the first chunk
**       42     2  number of chunks
**      120     4  file flags (1 dirty, 2 full)
**      124     4  CRC-32 of bytes 0..119
**
** Chunk (65536 bytes each, from offset 4096)
**   OFFSET  SIZE  DESCRIPTION
**        0     8  signature "ElfChnk\0"
**        8     8  first event record number
**       16     8  last event record number
**       24     8  first event record identifier
**       32     8  last event record identifier
**       40     4  header size (128)
**       44     4  offset of the last record (chunk-relative)
**       48     4  free space offset: end of the record data
**       52     4  CRC-32 of the record data, bytes 512..free space offset
**      120     4  flags
**      124     4  CRC-32 of bytes 0..119 and 128..511
**      128   256  common string offsets (64 x 4), hash buckets of names
**      384   128  template pointers (32 x 4)
**      512   ...  event records, then unused space (slack)
**
** Event record
**   OFFSET  SIZE  DESCRIPTION
**        0     4  signature 2a 2a 00 00
**        4     4  size of the record, signature to trailing size copy
**        8     8  record identifier
**       16     8  written time, FILETIME
**       24   ...  Binary XML (size - 28 bytes)
**   size-4     4  copy of the size
**
** Binary XML tokens (low 5 bits; 0x40 = "more data" / "has attributes")
**   00 end of stream         01/41 open start element   02 close start tag
**   03 close empty element   04 end element             05/45 value text
**   06/46 attribute          07/47 CDATA                08/48 char ref
**   09/49 entity ref         0a PI target               0b PI data
**   0c template instance     0d normal substitution     0e optional subst.
**   0f fragment header (0f 01 01 00)
**
** Open start element: token, [u16 dependency id: absent inside a BinXml
** substitution value], u32 data size, u32 name offset (chunk-relative; the
** name is inline when the offset is the current position), [u32 attribute
** list size when token & 0x40].
** Name: u32 next offset, u16 hash, u16 character count, UTF-16LE, u16 NUL.
** Template instance: token, u8 1, u32 template id, u32 definition offset;
** when the definition is inline (offset == position): u32 next definition,
** 16-byte GUID, u32 data size, data (fragment header, element, EOF).  Then
** the instance data: u32 value count, count x (u16 size, u8 type, u8 0),
** then the values back to back.  Substitution: token, u16 index, u8 type.
**
** Decoding happens in two steps.  A Binary XML stream (a template definition,
** a record body, a nested BinXml value) is compiled once into an array of
** ops (names resolved, literal text already UTF-8); template definitions are
** compiled once per chunk and cached by offset.  A record is then expanded
** by walking the ops with the instance's values into a tree of nodes, which
** the JSON, XML and event renderers walk.  All per-chunk memory comes from
** an arena freed when the reader moves to the next chunk; the node array and
** scratch buffers are reused from record to record.
*/
#ifndef TELLS_EVTX_INT_H
#define TELLS_EVTX_INT_H

#include <stddef.h>
#include <stdint.h>
#include "anom.h"
#include "arena.h"
#include "buf.h"
#include "evtx.h"
#include "rd.h"

#define EVTX_FILE_HEADER   4096u
#define EVTX_CHUNK_SIZE    65536u
#define EVTX_CHUNK_HEADER  512u
#define EVTX_REC_MIN       28u

/* Caps (hostile input): nesting of elements, of templates/BinXml values,
** values per template instance, nodes per record. */
#define EVTX_MAX_DEPTH        64
#define EVTX_MAX_NEST         8
#define EVTX_MAX_VALUES       4096
#define EVTX_MAX_NODES        (1u << 18)
#define EVTX_MAX_OPS          (1u << 16)
#define EVTX_MAX_WORK         (1u << 23)  /* ops expanded + BinXml bytes
                                             compiled, per record */
#define EVTX_MAX_CHUNK_WORK   (1u << 25)  /* the same, per chunk (a normal
                                             chunk needs ~1/1000 of it) */

/* Value types (low 7 bits; 0x80 = array). */
enum {
  EV_NULL = 0x00, EV_STR = 0x01, EV_ANSI = 0x02, EV_I8 = 0x03, EV_U8 = 0x04,
  EV_I16 = 0x05, EV_U16 = 0x06, EV_I32 = 0x07, EV_U32 = 0x08, EV_I64 = 0x09,
  EV_U64 = 0x0a, EV_R32 = 0x0b, EV_R64 = 0x0c, EV_BOOL = 0x0d, EV_BIN = 0x0e,
  EV_GUID = 0x0f, EV_SIZET = 0x10, EV_FILETIME = 0x11, EV_SYSTIME = 0x12,
  EV_SID = 0x13, EV_HEX32 = 0x14, EV_HEX64 = 0x15, EV_HANDLE = 0x20,
  EV_BINXML = 0x21, EV_EVTXML = 0x23, EV_ARRAY = 0x80,
  /* internal: literal text from the template, already UTF-8 */
  EV_UTF8 = 0x100,
  /* internal: entity reference (name in p/n), character reference (n) */
  EV_ENTITY = 0x101, EV_CHARREF = 0x102,
  /* internal: value `n` of the instance, in a symbolic template tree */
  EV_SYM = 0x1ff
};

/* Names the renderers look up, numbered once when a name is decoded so
** lookups compare integers. */
#define EVTX_WK_MAP(X) X(Event) X(System) X(Provider) X(EventID) X(Version) \
  X(Level) X(Task) X(Opcode) X(Keywords) X(TimeCreated) X(EventRecordID)     \
  X(Execution) X(Channel) X(Computer) X(Security) X(EventData) X(UserData)   \
  X(Data) X(Name) X(Guid) X(Qualifiers) X(SystemTime) X(ProcessID)           \
  X(ThreadID) X(UserID)
enum {
  WK_NONE = 0,
#define EVTX__WK_ENUM(n) WK_##n,
  EVTX_WK_MAP(EVTX__WK_ENUM)
#undef EVTX__WK_ENUM
  WK_COUNT
};

/* A name from the chunk, decoded to UTF-8 once per chunk. */
typedef struct evtx_name {
  const char *s;        /* NUL-terminated UTF-8, in the chunk arena */
  uint32_t n;
  int wk;               /* WK_* or WK_NONE */
} evtx_name;

/* One substitution value of a template instance. */
typedef struct evtx_val {
  const uint8_t *p;     /* into the input buffer */
  uint32_t n;
  uint16_t type;
} evtx_val;

/* Compiled Binary XML. */
enum {
  OP_OPEN = 1, OP_ATTR, OP_CLOSE_START, OP_END, OP_TEXT, OP_SUBST,
  OP_ENTITY, OP_CHARREF, OP_PI, OP_TEMPLATE, OP_EOS
};

/* The ops that carry a name (compiled from a name reference). */
static inline int evtx_op_named(uint8_t op) {
  return op == OP_OPEN || op == OP_ATTR || op == OP_ENTITY || op == OP_PI;
}

typedef struct evtx_tmpl evtx_tmpl;
struct evtx_node;

/* A value node of a symbolic template tree: node `node` under element or
** attribute `parent` stands for the instance's value `idx`. */
typedef struct evtx_symref {
  uint32_t node, parent;
  uint16_t idx;
  uint8_t in_attr;
} evtx_symref;

typedef struct evtx_op {
  uint8_t op;
  uint8_t optional;     /* OP_SUBST: optional substitution */
  uint16_t idx;         /* OP_SUBST: value index; OP_CHARREF: code unit */
  uint32_t n;           /* OP_TEXT: length; OP_TEMPLATE: value count */
  union {
    const evtx_name *name;   /* OPEN, ATTR, ENTITY, PI */
    const char *text;        /* TEXT (UTF-8, arena) */
    struct { const evtx_tmpl *t; const evtx_val *vals; } ti; /* TEMPLATE */
  } u;
} evtx_op;

struct evtx_tc_ent;

struct evtx_tmpl {
  uint32_t off;         /* chunk-relative offset of the definition */
  uint32_t guid4;       /* first 4 bytes of its GUID: the template id that
                           instances name (checked for carved records) */
  const evtx_op *ops;
  uint32_t n_ops;
  int bad;              /* compiled with an error: ops hold a prefix */
  uint32_t bx_len;      /* a compiled BinXml value: its length in bytes */
  int bx_owed;          /* compiled ahead by sym_inst, bytes not charged */
  const evtx_tmpl *next_def; /* the chunk's definitions, newest first */
  /* The record tree of an instance with its values left symbolic (EV_SYM
  ** nodes), built on first use.  An instance whose values keep that shape
  ** gets its tree as a copy with the values filled in, not by expansion;
  ** the usual nested instance (a BinXml value holding one instance, e.g.
  ** the EventData) is copied in place of its value node. */
  int sym;              /* 0 not built yet, 1 usable, -1 not usable */
  int sym_nest_ok;      /* usable inside an element (balanced) */
  const struct evtx_node *sym_nodes;
  uint32_t sym_n, sym_root, sym_depth;
  const evtx_symref *sym_refs;
  uint32_t sym_nrefs, sym_nidx;
  struct evtx_node *sh_nodes; /* nodes 1.. with links moved by sh_shift */
  uint32_t sh_shift;          /* UINT32_MAX: none yet */
  struct evtx_tc_ent *tc;     /* its entry in the template cache, or NULL */
};

/* Tree of one record. */
enum { N_ELEM = 1, N_ATTR, N_VAL };

typedef struct evtx_node {
  uint16_t kind;
  uint16_t type;        /* N_VAL: value type */
  uint32_t next;        /* next sibling, 0 = none (node 0 is unused) */
  uint32_t attrs;       /* N_ELEM: first attribute */
  uint32_t kids;        /* N_ELEM: first child; N_ATTR: first value */
  uint32_t last;        /* N_ELEM/N_ATTR: last child / value (for append) */
  uint32_t n;           /* N_VAL: byte length */
  union {
    const evtx_name *name; /* N_ELEM, N_ATTR */
    const uint8_t *p;      /* N_VAL: bytes (input or arena) */
  } u;
} evtx_node;

/* ---- template cache (evtx_tcache.c) --------------------------------------
** A definition is compiled once per chunk (its names are chunk offsets), and
** the same definitions recur in every chunk of a log and on every host.  The
** cache keeps each compiled definition with its body bytes; a definition of
** another chunk whose bytes are the same except for the name offsets (and
** the link fields of its inline names), whose names sit where they did
** (inline) or read the same (references), and whose first element reads
** the same way, compiles to the same ops: the reader then takes the kept
** ops, and the kept symbolic tree, replaying what the compile would have
** left in the chunk (names registered at their offsets, the same arena
** allocations, the work sym_build charges), so that the records decode
** exactly as without the cache.  Not used while carving, nor by the
** expand-only reference reader (evtx_check.c). */
typedef struct evtx_tc_name {
  uint32_t rel;                 /* body offset of the name's offset field */
  int inl;                      /* the name is stored inline right after it */
  const evtx_name *nm;          /* cache-owned */
  const uint8_t *u16;           /* a reference: its UTF-16 text, nch units */
  uint32_t nch;
} evtx_tc_name;

typedef struct evtx_tc_ent {
  struct evtx_tc_ent *next;     /* hash chain */
  uint8_t guid[16];
  uint32_t dsize;
  const uint8_t *body;          /* the definition's body bytes */
  const evtx_tc_name *names;    /* name fields, in stream order */
  uint32_t n_names;
  const evtx_op *ops;           /* names and text cache-owned */
  uint32_t n_ops;
  int32_t el;                   /* body offset after the first element
                                   token (the layout choice), or -1 */
  uint8_t lay[2];               /* elem_layout_ok with and without the
                                   dependency id there */
  /* symbolic tree, kept once built (sym 1) */
  int sym;
  uint32_t sym_n, sym_root, sym_depth, sym_nrefs, sym_nidx;
  int sym_nest_ok;
  const struct evtx_node *sym_nodes;
  const evtx_symref *sym_refs;
  uint64_t sym_work;            /* the work sym_build's expansion charged */
} evtx_tc_ent;

#define EVTX_TC_SLOTS 4096u            /* hash chains; power of two */
#define EVTX_TC_MAX_ENTRIES 16384u
#define EVTX_TC_BYTES (64u << 20)      /* everything the cache holds */

struct tells_evtx_tcache {
  tells_arena a;
  evtx_tc_ent *slot[EVTX_TC_SLOTS];
  uint32_t n;
  uint64_t hits, adds;
};

/* The name fields met while a definition compiles for the cache. */
typedef struct evtx_tc_rec {
  uint32_t body;                /* chunk offset of the body */
  evtx_tc_name *v;              /* heap, grown */
  uint32_t n, cap;
  int32_t el;
  uint8_t lay[2];
  int bad;                      /* out of memory: not kept */
} evtx_tc_rec;

/* evtx.c: how an element start at r (after its token) reads with (dep 1)
** and without the dependency id: 2 name inline, 1 plausible, 0 not. */
int tells__evtx_layout(const struct tells_evtx *x, const tells_rd *r, int dep);
/* evtx_tcache.c */
evtx_tc_ent *tells__evtx_tc_find(struct tells_evtx *x, uint32_t off, uint32_t dsize);
evtx_tc_ent *tells__evtx_tc_add(struct tells_evtx *x, uint32_t off, uint32_t dsize,
                                const evtx_op *ops, uint32_t n_ops, const evtx_tc_rec *rec);
void tells__evtx_tc_keep_sym(struct tells_evtx *x, evtx_tc_ent *e, const evtx_tmpl *t,
                             uint64_t work);

typedef struct evtx_kent { uint32_t gen, obj, h, len, next; size_t off; } evtx_kent;
typedef struct hslot { uint32_t key, gen; void *v; } hslot;
typedef struct evtx_opvec { evtx_op *v; uint32_t n, cap; } evtx_opvec;
/* Record-id range of a chunk with a valid signature (duplicate check of
** carved records), sorted by first id. */
typedef struct evtx_crange { uint64_t first, last; uint32_t ci; } evtx_crange;
#define EVTX_CHUNK_RECS   (EVTX_CHUNK_SIZE / EVTX_REC_MIN + 1)
#define EVTX_DUP_BUILDS   16  /* record indexes built per carved chunk */
#define EVTX_HASH 2048u  /* slots per cache; power of two */

struct tells_evtx {
  const uint8_t *buf; size_t len;
  tells_anoms *an;
  tells_anoms own_an;       /* used when the caller passed NULL */
  tells_evtx_stats st;
  uint32_t n_chunks;        /* chunk slots in the file */
  uint32_t ci;              /* current chunk index */
  int in_chunk;             /* a chunk is open */
  tells_rd ck;              /* the current chunk (window = chunk bytes) */
  uint32_t rec_pos;         /* next record position in the chunk */
  uint32_t rec_end;         /* end of record data */
  int carving;              /* scanning slack for recovered records */
  tells_arena arena;        /* per chunk */
  tells_arena sym_arena;    /* per chunk: symbolic template trees */
  uint32_t gen;             /* cache generation, bumped per chunk */
  hslot names[EVTX_HASH];
  hslot tmpls[EVTX_HASH];
  /* record tree */
  evtx_node *nodes; uint32_t n_nodes, cap_nodes;
  uint32_t root;            /* first top-level node */
  int tree_bad;             /* expansion stopped on a fault */
  uint32_t work;            /* expansion work for this record */
  uint64_t chunk_work;      /* expansion work for this chunk */
  tells_evtx_rec cur;
  int have_cur;
  /* scratch */
  evtx_opvec ov_rec;        /* ops of the record being decoded */
  evtx_opvec ov_tmp;        /* stack for template / nested compiles */
  tells_buf sb;             /* string scratch for rendering */
  tells_buf nb;             /* name decoding scratch */
  tells_buf ev_strs;        /* strings of the last event */
  tells_buf keys;           /* bytes of the JSON keys written for this record */
  struct evtx_kent *kt;     /* hash set of (object, key) for dup suffixes */
  uint32_t kt_cap, kt_n, kt_gen, kt_obj;
  tells_evtx_field *fields; size_t cap_fields;
  struct evtx_fld *fl; size_t cap_fl;   /* field offsets while building */
  uint64_t anom_budget;     /* binxml anomalies left for this chunk */
  /* carving: candidates are decoded quietly and returned only when they
  ** decode fully; the rejected ones are summed up in one anomaly per chunk */
  int quiet;                /* banom() only counts (trial decode) */
  const evtx_tmpl *defs;    /* template definitions compiled in this chunk */
  uint32_t rej_xml, rej_time, rej_dup; /* rejected in this chunk */
  uint32_t carve_first;     /* chunk offset of the first rejected one */
  evtx_crange *cr; uint32_t n_cr; int cr_built; /* chunk id ranges (OWNED) */
  uint32_t *ridx_off; uint64_t *ridx_id; /* live records of chunk ridx_ci
                                            (OWNED, EVTX_CHUNK_RECS each) */
  uint32_t ridx_n, ridx_ci, dup_builds;
  int ridx_ok;
  /* holes of the input (tells_evtx_set_holes): pairs (offset, length),
  ** sorted; chunks inside one are empty without being read (NOT OWNED) */
  const uint64_t *holes; size_t n_holes;
  tells_evtx_tcache *tc;    /* template cache (NOT OWNED), or NULL */
  evtx_tc_rec *tc_rec;      /* the definition compiling for the cache */
  evtx_tc_rec tc_scratch;   /* its record (v OWNED) */
  int expand_only;          /* testing: no symbolic tree copies */
  uint64_t sym_records;     /* records whose tree was a symbolic copy */
};

/* Testing (tests/unit/test_evtx.c): with on = 1 every record is decoded by
** expansion, never as a copy of a symbolic template tree; the count of
** records decoded as copies so far; the expansion work charged in the
** current chunk. */
void tells__evtx_expand_only(tells_evtx *x, int on);
uint64_t tells__evtx_sym_records(const tells_evtx *x);
uint64_t tells__evtx_chunk_work(const tells_evtx *x);
/* evtx_check.c: decodes buf as usual and by expansion only, and compares
** every record's header, JSON, XML and event, the anomalies and counters.
** 0 when all agree, else -1 with the first difference in why.  *n_sym gets
** the records decoded as copies, *n_recs the records (either may be NULL). */
int tells__evtx_check(const uint8_t *buf, size_t len, uint64_t *n_sym, uint64_t *n_recs,
                      char *why, size_t wn);

/* evtx_check.c: everything a caller sees of record r (header, JSON, XML,
** normalised event) as one text, into b (reset first). */
void tells__evtx_record_text(tells_evtx *x, const tells_evtx_rec *r, tells_buf *b);

/* evtx_val.c: value formatting. */
/* Appends the text form of a value (as evtx_dump renders it in XML). */
void tells__evtx_val_text(tells_buf *b, uint16_t type, const uint8_t *p, uint32_t n);
/* Writes a value as a JSON value, typed as evtx_dump does. */
void tells__evtx_val_json(tells_json *j, tells_buf *scratch, uint16_t type,
                          const uint8_t *p, uint32_t n);
/* Drops trailing white space (evtx_dump's JSON strings carry none). */
void tells__evtx_trim(tells_buf *b);
/* UTF-16LE to UTF-8 (lone surrogates become U+FFFD); appends to b. */
void tells__evtx_utf16(tells_buf *b, const uint8_t *p, size_t nchars);
/* Formats FILETIME ticks as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out[32]. */
size_t tells__evtx_filetime(char *out, uint64_t ft);

#endif
