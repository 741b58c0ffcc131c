/*
** capsum.h -- one pass over a capture: packet, byte and protocol counts,
** and the JSON summary of a capture (`tells net --summary`, the scanner).
**
** The pass reads every packet with tells_cap_next, decodes it with
** tells_decode and counts; decode anomalies go to the capture's anomaly
** list with their absolute file offset (at most TELLS_CAPSUM_MAX_DEC_ANOMS
** recorded, all counted).  Fragments are reassembled with ipfrag.c.
*/
#ifndef TELLS_NET_CAPSUM_H
#define TELLS_NET_CAPSUM_H

#include <stdint.h>
#include "cap.h"
#include "../base/json.h"

#define TELLS_CAPSUM_MAX_DEC_ANOMS 256

typedef struct tells_cap_stats {
  uint64_t pkts;
  uint64_t bytes;             /* sum of origlen */
  uint64_t cap_bytes;         /* sum of caplen */
  int64_t first_ns, last_ns;  /* earliest and latest timestamp; INT64_MIN if none */
  uint64_t l3[5];             /* by TELLS_L3_* */
  uint64_t l4[256];           /* by IP protocol of the innermost packet */
  uint64_t gre, vxlan, ipip, erspan, mpls, pppoe, vlan, geneve, gtp, teredo;
  uint64_t frags, ip_bad_csum, ip_trunc, l2_unsup;
  uint64_t reassembled;       /* IP datagrams rebuilt from fragments */
  uint64_t frag_overlaps;     /* fragments overwriting different bytes */
  uint64_t dec_anoms;         /* packets with a decode anomaly */
} tells_cap_stats;

/* Reads c (freshly opened) to the end, filling *st. */
void tells_cap_scan(tells_cap *c, tells_cap_stats *st /* OUT */);

/* Writes the summary object of a scanned capture. */
void tells_cap_stats_json(const tells_cap *c, const tells_cap_stats *st, tells_json *j);

/* Opens, scans and summarises p[0..len) as one JSON object on j.  `anoms`
** (may be NULL) receives reader and decode anomalies; `st` (may be NULL)
** receives the counts.  Returns the error of tells_cap_open. */
tells_err tells_cap_summary_json(const uint8_t *p, size_t len, tells_anoms *anoms,
                                 tells_json *j, tells_cap_stats *st /* OUT */);

/* "ETHERNET", "LINUX_SLL", ... or NULL for link types without a name. */
const char *tells_linktype_name(uint32_t lt);

/* Formats ns since the epoch as 2024-01-02T03:04:05.123456789Z. */
void tells_ns_iso8601(int64_t ns, char out[64]);

#endif
