/*
** fuzz_decode.c -- libFuzzer target for the packet decoders.
**
** The first input byte picks a link type from the table below and the rest
** is one captured frame.  Seeds: fuzz/corpus/decode/ (first byte = index).
*/
#include <stdint.h>
#include <stdlib.h>
#include "../lib/net/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[16] = {1, 0, 108, 101, 228, 229, 9, 50, 51, 113, 276,
                                       239, 274, 12, 14, 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_dec d;
  const uint8_t *p;
  uint32_t n;
  if (size < 1 || size > 65536 + 1) return 0;
  p = data + 1;
  n = (uint32_t)(size - 1);
  tells_decode(p, n, linktypes[data[0] & 15], &d);
  if (d.payload && (d.payload < p || d.payload_len > (size_t)(p + n - d.payload))) abort();
  if (d.anom && d.anom_off > n) abort();
  return 0;
}
