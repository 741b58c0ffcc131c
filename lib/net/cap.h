/*
** cap.h -- one zero-copy iterator over classic pcap and pcapng captures.
**
** The caller maps the capture read-only and passes pointer and length; the
** reader never copies packet bytes and never allocates per packet (only one
** interface table, grown when a pcapng Interface Description Block is met).
** Every problem in the file (truncated record, caplen over the snaplen,
** zero-length block, block length past the end, packet naming an interface
** that was never described, ...) is recorded in the caller's anomaly list
** with its absolute file offset, and reading resumes at the next plausible
** record (see docs/internals/net-readers.md for the resync rules).
**
**   tells_cap cap; tells_pkt pkt;
**   if (tells_cap_open(buf, len, &anoms, &cap) == TELLS_OK) {
**     while (tells_cap_next(&cap, &pkt) > 0) use(&pkt);
**     tells_cap_close(&cap);
**   }
*/
#ifndef TELLS_NET_CAP_H
#define TELLS_NET_CAP_H

#include <stddef.h>
#include <stdint.h>
#include "../base/anom.h"
#include "tells.h"

typedef enum tells_cap_fmt {
  TELLS_CAP_PCAP = 1,       /* classic libpcap file */
  TELLS_CAP_PCAPNG = 2
} tells_cap_fmt;

/* One packet, valid until the buffer is unmapped.  `data` points into the
** caller's buffer (not owned). */
typedef struct tells_pkt {
  int64_t ts_ns;            /* nanoseconds since 1970-01-01 UTC */
  const uint8_t *data;      /* caplen bytes */
  uint32_t caplen;          /* bytes captured (and present in the file) */
  uint32_t origlen;         /* bytes on the wire; byte counts use this */
  uint32_t linktype;        /* LINKTYPE_* of the interface */
  uint32_t iface;           /* index into tells_cap.ifaces (file-wide) */
  uint64_t off;             /* absolute offset of the record/block header */
} tells_pkt;

/* An interface: the one of a classic pcap, or one pcapng IDB.  Interfaces
** of all sections are numbered file-wide in the order they appear. */
typedef struct tells_cap_iface {
  uint32_t linktype;
  uint32_t snaplen;         /* 0 = no limit */
  uint32_t section;         /* 0-based pcapng section number */
  uint8_t tsresol;          /* raw if_tsresol (6 = microseconds) */
  uint8_t ts_kind;          /* internal: how ticks become nanoseconds */
  uint8_t ts_shift;         /* internal: power of 2 of the resolution */
  uint64_t ts_mul;          /* internal: ns per tick, or ticks per ns */
  int64_t tsoffset_ns;      /* if_tsoffset, in nanoseconds */
  uint64_t off;             /* file offset of the IDB (0 for classic pcap) */
  uint64_t n_pkts;          /* packets returned on this interface */
} tells_cap_iface;

typedef struct tells_cap {
  const uint8_t *p;         /* the capture (not owned) */
  size_t len;
  size_t pos;               /* offset of the next record/block */
  tells_cap_fmt fmt;
  int big;                  /* byte order of the file / current section */
  int nsec;                 /* classic pcap: nanosecond timestamps */
  uint32_t snaplen;         /* classic pcap snaplen */
  uint32_t maxcap;          /* largest caplen accepted as a record */
  uint32_t rec_hdr;         /* classic pcap record header size (16 or 24) */
  uint16_t ver_major, ver_minor;
  tells_anoms *anoms;       /* caller's list (not owned) */
  tells_cap_iface *ifaces;  /* owned, grown with tells_realloc */
  uint32_t n_ifaces, cap_ifaces;
  uint32_t section_first;   /* pcapng: index of this section's first IDB */
  uint32_t n_sections;
  int64_t last_ts;          /* last timestamp returned (SPB packets use it) */
  uint64_t n_pkts;          /* packets returned */
  uint64_t n_skipped;       /* packet records not returned (bad interface,...) */
  uint64_t n_resync;        /* times the reader searched for the next record */
  uint64_t n_anoms;         /* anomalies raised by the reader */
  int done;
} tells_cap;

/* Recognises the format by its magic and reads the file header.  Returns
** TELLS_EUNSUP when the buffer is neither pcap nor pcapng, TELLS_ETRUNC when
** the file header is cut short (both also recorded as anomalies), TELLS_ENOMEM
** when the interface table cannot be allocated.  `anoms` may be NULL. */
tells_err tells_cap_open(const uint8_t *p, size_t len, tells_anoms *anoms,
                         tells_cap *out /* OUT */);

/* Next packet: returns 1 and fills *out, or 0 at the end of the capture.
** Never fails: damage is recorded as anomalies and skipped. */
int tells_cap_next(tells_cap *c, tells_pkt *out /* OUT */);

void tells_cap_close(tells_cap *c);

/* "pcap" or "pcapng". */
const char *tells_cap_fmt_name(tells_cap_fmt f);

/* Probes the first bytes: TELLS_CAP_PCAP, TELLS_CAP_PCAPNG or 0. */
int tells_cap_probe(const uint8_t *p, size_t len);

/* Internal: shared by cap.c and pcapng.c. */
int tells__pcapng_open(tells_cap *c);
int tells__pcapng_next(tells_cap *c, tells_pkt *out);
void tells__cap_anom(tells_cap *c, uint64_t off, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int tells__cap_add_iface(tells_cap *c, const tells_cap_iface *ifc);
int64_t tells__cap_ticks_ns(const tells_cap_iface *ifc, uint64_t ticks);

#endif
