/*
** crc32.h -- CRC-32 (IEEE 802.3 / RFC 1952 polynomial 0xEDB88320) without zlib.
**
** EVTX file and chunk headers carry CRC-32 checksums over their bytes and
** over the event records of each chunk.  tells checks them to flag dirty or
** tampered chunks; this small slice-by-8 implementation avoids a dependency.
*/
#ifndef TELLS_CRC32_H
#define TELLS_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC-32 over n bytes.  Start with crc = 0; the result of one
** call can be passed to the next to checksum discontiguous ranges. */
uint32_t tells__crc32(uint32_t crc, const void *p, size_t n);

#endif
