/*
** fuzz_intake.c -- libFuzzer target for intake: content sniffing and the
** scanner of whatever kind the bytes look like, through the public API.
*/
#include <stdint.h>
#include <stdio.h>
#include "tells.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  tells_scan_result r;
  if (!sink) sink = fopen("/dev/null", "w");
  (void)tells_scan_buffer(data, size, sink, &r);
  return 0;
}
