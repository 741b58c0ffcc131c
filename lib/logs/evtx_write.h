/*
** evtx_write.h -- writes Windows XML Event Log (EVTX) files, for tests and
** the demo scenario only (tells never writes evidence).
**
** The output follows what Windows writes (layout: evtx_int.h and
** docs/internals/evtx-writer.md): a 4096-byte file header with its CRC-32,
** 64 KiB chunks with header and records CRC-32s, a 64-bucket common string
** table and a 32-bucket template pointer table, and records whose Binary XML
** is a template instance of the standard System template (18 values, all
** optional substitutions, Computer as template text) with EventData or
** UserData as a nested Binary XML value holding its own template instance.
** Names and template definitions are stored inline the first time a chunk
** uses them and referenced by offset afterwards; a template is shared by
** every record of the chunk with the same shape.  When a record does not fit,
** the chunk is closed and the record is written again into a fresh one.
*/
#ifndef TELLS_EVTX_WRITE_H
#define TELLS_EVTX_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../base/buf.h"
#include "tells.h"

typedef struct tells_evtxw tells_evtxw;

/* Positional output: writes n bytes at file offset off; 0 = ok.  The file
** header is written last (at offset 0), chunks in order before it. */
typedef int (*tells_evtxw_sink)(void *ud, uint64_t off, const void *p, size_t n);

/* Value types of the format (evtx_int.h EV_*), 0x80 = array. */
enum {
  TELLS_EVTXW_NULL = 0x00, TELLS_EVTXW_STR = 0x01, TELLS_EVTXW_ANSI = 0x02,
  TELLS_EVTXW_I8 = 0x03, TELLS_EVTXW_U8 = 0x04, TELLS_EVTXW_I16 = 0x05,
  TELLS_EVTXW_U16 = 0x06, TELLS_EVTXW_I32 = 0x07, TELLS_EVTXW_U32 = 0x08,
  TELLS_EVTXW_I64 = 0x09, TELLS_EVTXW_U64 = 0x0a, TELLS_EVTXW_R32 = 0x0b,
  TELLS_EVTXW_R64 = 0x0c, TELLS_EVTXW_BOOL = 0x0d, TELLS_EVTXW_BIN = 0x0e,
  TELLS_EVTXW_GUID = 0x0f, TELLS_EVTXW_SIZET = 0x10, TELLS_EVTXW_FILETIME = 0x11,
  TELLS_EVTXW_SYSTIME = 0x12, TELLS_EVTXW_SID = 0x13, TELLS_EVTXW_HEX32 = 0x14,
  TELLS_EVTXW_HEX64 = 0x15, TELLS_EVTXW_BINXML = 0x21, TELLS_EVTXW_ARRAY = 0x80
};

/* A substitution value exactly as stored: type and little-endian bytes
** (strings UTF-16LE without NUL, arrays of strings NUL-separated). */
typedef struct tells_evtxw_val {
  uint8_t type;
  const void *p;        /* borrowed; n bytes */
  uint32_t n;           /* at most 65535 (the descriptor's size is 16 bits) */
} tells_evtxw_val;

/* A named EventData Data element (or UserData leaf element). */
typedef struct tells_evtxw_field {
  const char *name;     /* UTF-8 */
  tells_evtxw_val v;
} tells_evtxw_field;

/* The System section of a record.  Strings are UTF-8; NULL = absent. */
typedef struct tells_evtxw_sys {
  const char *channel, *provider, *computer;
  const char *provider_guid; /* "{8-4-4-4-12}" or NULL */
  const char *activity_id;   /* Correlation ActivityID, same form, or NULL */
  const char *user_sid;      /* "S-1-5-18" or NULL (no Security UserID) */
  const char *user_data;     /* NULL: EventData; else the UserData child
                                element wrapping the fields */
  int64_t time_ns;           /* TimeCreated, UTC ns since 1970-01-01 */
  uint64_t record_id;        /* 0: previous + 1 (the first is 1) */
  uint64_t keywords;
  uint32_t event_id;         /* stored as UInt16, or UInt32 above 65535 */
  uint32_t pid, tid;
  uint16_t task, qualifiers;
  int has_qualifiers;
  uint8_t level, opcode, version;
} tells_evtxw_sys;

/* Creates a writer.  Returns TELLS_ENOMEM or TELLS_OK. */
tells_err tells_evtxw_open(tells_evtxw **out /* OUT */, tells_evtxw_sink sink, void *ud);
/* The same over a seekable FILE or a tells_buf (whose limit caps the file). */
tells_err tells_evtxw_open_file(tells_evtxw **out /* OUT */, FILE *f);
tells_err tells_evtxw_open_buf(tells_evtxw **out /* OUT */, tells_buf *b);

/* Adds one record whose EventData (or UserData) values are UTF-8 strings
** (stored as UTF-16 strings).  Returns TELLS_EARG (bad SID or GUID text,
** NULL name), TELLS_ELIMIT (a record larger than a chunk, more than 65535
** chunks, a value over 65535 bytes), TELLS_EIO (sink failed), TELLS_ENOMEM. */
tells_err tells_evtxw_add(tells_evtxw *w, const tells_evtxw_sys *s, const char *const *names,
                          const char *const *values, size_t n);
/* The same with values of any type (the low-level API for tests). */
tells_err tells_evtxw_add_vals(tells_evtxw *w, const tells_evtxw_sys *s,
                               const tells_evtxw_field *f, size_t n);

/* Writes the last chunk and the file header, frees the writer.  Returns the
** first error of the writer's life, or TELLS_OK. */
tells_err tells_evtxw_close(tells_evtxw *w);

/* Counters. */
uint64_t tells_evtxw_records(const tells_evtxw *w);
uint32_t tells_evtxw_chunks(const tells_evtxw *w);  /* finished so far */

/* Value encoders (return bytes written to out, 0 on bad input). */
size_t tells_evtxw_sid(uint8_t out[68], const char *text);     /* "S-1-5-21-..." */
size_t tells_evtxw_guid(uint8_t out[16], const char *text);    /* "{...}" or bare */
/* UTF-8 to UTF-16LE (invalid sequences become U+FFFD); returns bytes, at
** most cap (stops before a pair that would not fit). */
size_t tells_evtxw_utf16(uint8_t *out, size_t cap, const char *s, size_t n);
/* UTC ns since 1970 to FILETIME ticks. */
uint64_t tells_evtxw_filetime(int64_t ns);

#endif
