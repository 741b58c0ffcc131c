/*
** fuzz_evtx.c -- libFuzzer target for the EVTX reader.
**
** Feeds the input to tells_evtx_open() and walks every record, rendering
** each as evtx_dump JSON, as XML text and as a normalised event, so the
** chunk and record walk, the Binary XML compiler and expander, the value
** formatters and all three renderers see hostile bytes.  Seeds live in
** fuzz/corpus/evtx/ (tiny hand-made files: a file header plus a truncated
** chunk, which the reader still decodes).  Replayed without libFuzzer by
** replay_fuzz_evtx (fuzz/replay.c).
**
** It is also a differential target: the input is decoded a second time by
** both paths of the reader (trees copied from symbolic template trees, and
** trees expanded; evtx_check.c), which must agree record by record; a
** difference aborts with the first one on stderr.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "../lib/logs/evtx.h"
#include "../lib/logs/evtx_int.h"

static int sink(void *ud, const char *p, size_t n) {
  (void)ud; (void)p; (void)n;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_anoms an;
  tells_evtx *x;
  tells_evtx_rec r;
  tells_json j;
  tells_buf b;
  int n = 0;
  tells_anoms_init(&an);
  if (tells_evtx_open(data, size, &an, &x) != TELLS_OK) {
    tells_anoms_free(&an);
    return 0;
  }
  tells_json_init(&j, sink, NULL, 0);
  tells_buf_init(&b, 1u << 20);
  while (tells_evtx_next(x, &r) == 1 && n++ < 100000) {
    tells_evtx_event ev;
    tells_evtx_rec_json(x, &j);
    tells_json_nl(&j);
    tells_buf_reset(&b);
    tells_evtx_rec_xml(x, &b);
    if (tells_evtx_rec_event(x, &ev) == TELLS_OK && ev.n_fields)
      (void)tells_evtx_event_field(&ev, ev.fields[0].name);
  }
  tells_json_flush(&j);
  tells_buf_free(&b);
  tells_evtx_close(x);
  tells_anoms_free(&an);
  {
    char why[2048];
    if (tells__evtx_check(data, size, NULL, NULL, why, sizeof why)) {
      fprintf(stderr, "fuzz_evtx: decoding paths differ: %s\n", why);
      abort();
    }
  }
  return 0;
}
