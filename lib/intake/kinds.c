/*
** kinds.c -- the registry that binds each evidence kind (the X-macro list in
** tells.h) to the scanner of its pillar: code (PE, ELF), net (pcap, pcapng),
** logs (EVTX).
*/
#include "ingest.h"

tells_err tells_code_scan_pe(tells_ingest *ig);
tells_err tells_code_scan_elf(tells_ingest *ig);
tells_err tells_net_scan_capture(tells_ingest *ig);
tells_err tells_logs_scan_evtx(tells_ingest *ig);

static const tells_scan_fn SCANNERS[TELLS_KIND_COUNT] = {
  [TELLS_KIND_PE] = tells_code_scan_pe,
  [TELLS_KIND_ELF] = tells_code_scan_elf,
  [TELLS_KIND_PCAP] = tells_net_scan_capture,
  [TELLS_KIND_PCAPNG] = tells_net_scan_capture,
  [TELLS_KIND_EVTX] = tells_logs_scan_evtx,
};

tells_scan_fn tells_kind_scanner(tells_kind kind) {
  return (unsigned)kind < TELLS_KIND_COUNT ? SCANNERS[kind] : NULL;
}
