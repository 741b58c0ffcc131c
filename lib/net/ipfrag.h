/*
** ipfrag.h -- IPv4 and IPv6 fragment reassembly with bounded memory.
**
** Fragments are keyed by (IP version, source, destination, protocol, id).
** Each datagram being rebuilt holds a buffer (grown to the highest byte
** seen, at most 65535) and up to TELLS_IPFRAG_MAX_RANGES received ranges.
** The table holds at most `max_datagrams` datagrams and `max_bytes` of
** buffers; a new datagram that does not fit evicts the oldest one, and a
** datagram not completed within `timeout_ns` of its first fragment is
** dropped.  Overlapping fragments keep the bytes that arrived first (the
** BSD/Windows "first" policy) and raise "ipfrag.overlap" when the bytes
** differ, since that is how fragment-overlap evasions look.
*/
#ifndef TELLS_NET_IPFRAG_H
#define TELLS_NET_IPFRAG_H

#include <stdint.h>
#include "../base/anom.h"
#include "decode.h"

#define TELLS_IPFRAG_MAX_RANGES 64

typedef struct tells_ipfrag tells_ipfrag;

typedef struct tells_ipfrag_stats {
  uint64_t fragments, reassembled, evicted, timed_out, overlaps, dropped;
} tells_ipfrag_stats;

/* Creates a table; 0 for any limit takes the default (4096 datagrams,
** 32 MiB, 30 s).  Returns TELLS_ENOMEM. */
tells_err tells_ipfrag_create(uint32_t max_datagrams, size_t max_bytes, int64_t timeout_ns,
                              tells_ipfrag **out /* OUT */);
void tells_ipfrag_destroy(tells_ipfrag *f);

/* Offers one fragment, as decoded (d->flags has TELLS_DEC_FRAG; d->frag_data,
** frag_len, frag_off, frag_proto, ip_id and the addresses are used).  Returns
** 1 when this fragment completes a datagram: *data / *len then give the
** rebuilt IP payload (owned by the table, valid until the next call) and
** *proto its protocol.  Returns 0 otherwise.  `an` (may be NULL) receives
** anomalies at file offset `off`. */
int tells_ipfrag_add(tells_ipfrag *f, const tells_dec *d, int64_t ts_ns, uint64_t off,
                     tells_anoms *an, const uint8_t **data /* OUT */,
                     uint32_t *len /* OUT */, uint8_t *proto /* OUT */);

const tells_ipfrag_stats *tells_ipfrag_stats_get(const tells_ipfrag *f);

#endif
