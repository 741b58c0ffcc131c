/*
** fuzz_pcap.c -- libFuzzer target for the classic pcap reader.
**
** Reads the input as a capture through the whole net front end: the
** iterator (tells_cap_open/next), the decoder of every packet and the JSON
** summary.  Seeds: fuzz/corpus/pcap/.  Also replayed by fuzz/replay.c.
*/
#include <stddef.h>
#include <stdint.h>
#include "../lib/net/capsum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_anoms an;
  tells_buf b;
  tells_json j;
  tells_anoms_init(&an);
  tells_buf_init(&b, 1u << 20);
  tells_json_init_buf(&j, &b, 0);
  (void)tells_cap_summary_json(data, size, &an, &j, NULL);
  (void)tells_json_flush(&j);
  tells_buf_free(&b);
  tells_anoms_free(&an);
  return 0;
}
