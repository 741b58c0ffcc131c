/*
** crc32.h -- CRC-32 (IEEE 802.3 / RFC 1952 polynomial 0xEDB88320) without zlib.
**
** EVTX file and chunk headers carry CRC-32 checksums over their bytes and
** over the event records of each chunk.  tells checks them to flag dirty or
** tampered chunks.  crc32.c folds with carry-less multiplication where the
** CPU has it (x86-64 PCLMULQDQ) and uses slice-by-8 tables otherwise.
*/
#ifndef TELLS_CRC32_H
#define TELLS_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC-32 over n bytes.  Start with crc = 0; the result of one
** call can be passed to the next to checksum discontiguous ranges. */
uint32_t tells__crc32(uint32_t crc, const void *p, size_t n);

/* The same with the tables only (the reference the tests compare with). */
uint32_t tells__crc32_sw(uint32_t crc, const void *p, size_t n);

#endif
