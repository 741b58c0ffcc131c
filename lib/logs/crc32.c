/*
** crc32.c -- table-driven CRC-32, slice-by-8 (eight bytes per step).
**
** The tables are built once on first use (thread-safe enough: building them
** twice writes the same values).  Polynomial 0xEDB88320 (reflected), initial
** value and final XOR 0xFFFFFFFF, as RFC 1952 and zlib's crc32().
*/
#include "crc32.h"

static uint32_t crc_tab[8][256];
static volatile int crc_ready;

static void crc_init(void) {
  uint32_t i, k, c;
  for (i = 0; i < 256; i++) {
    c = i;
    for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_tab[0][i] = c;
  }
  for (i = 0; i < 256; i++) {
    c = crc_tab[0][i];
    for (k = 1; k < 8; k++) {
      c = crc_tab[0][c & 0xff] ^ (c >> 8);
      crc_tab[k][i] = c;
    }
  }
  crc_ready = 1;
}

uint32_t tells__crc32(uint32_t crc, const void *p, size_t n) {
  const uint8_t *b = p;
  uint32_t c = ~crc;
  if (!crc_ready) crc_init();
  while (n && ((uintptr_t)b & 7)) { c = crc_tab[0][(c ^ *b++) & 0xff] ^ (c >> 8); n--; }
  while (n >= 8) {
    uint32_t lo = c ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                       (uint32_t)b[3] << 24);
    uint32_t hi = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
                  (uint32_t)b[7] << 24;
    c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
        crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
        crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
        crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
    b += 8; n -= 8;
  }
  while (n--) c = crc_tab[0][(c ^ *b++) & 0xff] ^ (c >> 8);
  return ~c;
}
