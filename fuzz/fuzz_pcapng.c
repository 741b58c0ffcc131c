/*
** fuzz_pcapng.c -- libFuzzer target for the pcapng block walker.
**
** The input is read as a pcapng file: when it does not start with a Section
** Header Block type the target prepends a little-endian SHB, so the fuzzer
** spends its time on block framing, interfaces, options and packets rather
** than on rediscovering the magic.  Each packet is decoded too.  Seeds:
** fuzz/corpus/pcapng/.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/net/cap.h"
#include "../lib/net/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t shb[28] = {
  0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_anoms an;
  tells_cap c;
  tells_pkt p;
  tells_dec d;
  uint8_t *buf = NULL;
  const uint8_t *in = data;
  size_t n = size;
  if (size < 4 || memcmp(data, shb, 4) != 0) {
    buf = malloc(size + sizeof shb);
    if (!buf) return 0;
    memcpy(buf, shb, sizeof shb);
    if (size) memcpy(buf + sizeof shb, data, size);
    in = buf;
    n = size + sizeof shb;
  }
  tells_anoms_init(&an);
  if (tells_cap_open(in, n, &an, &c) == TELLS_OK) {
    while (tells_cap_next(&c, &p)) {
      if (p.data < in || p.caplen > (size_t)(in + n - p.data)) abort();
      tells_decode(p.data, p.caplen, p.linktype, &d);
    }
  }
  tells_cap_close(&c);
  tells_anoms_free(&an);
  free(buf);
  return 0;
}
