/*
** code_scan.c -- the code pillar's scanners for intake: PE and ELF files.
*/
#include <stdio.h>
#include "ingest.h"
#include "json.h"
#include "rd.h"

tells_err tells_code_scan_pe(tells_ingest *ig);
tells_err tells_code_scan_elf(tells_ingest *ig);

tells_err tells_code_scan_pe(tells_ingest *ig) {
  tells_rd r = tells_rd_make(ig->buf, ig->len, 0);
  uint32_t lfanew, ts;
  uint16_t machine, nsec;
  tells_rd_seek(&r, 0x3c);
  lfanew = tells_rd_u32le(&r);
  tells_rd_seek(&r, lfanew);
  tells_rd_skip(&r, 4);
  machine = tells_rd_u16le(&r);
  nsec = tells_rd_u16le(&r);
  ts = tells_rd_u32le(&r);
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(&ig->anoms, &r, "pe.header", "COFF file header");
    return TELLS_OK;
  }
  tells_buf_addf(&ig->summary, "{\"machine\":%u,\"sections\":%u,\"time_date_stamp\":%u}",
                 machine, nsec, ts);
  tells_ingest_advance(ig, ig->len);
  return TELLS_OK;
}

tells_err tells_code_scan_elf(tells_ingest *ig) {
  tells_rd r = tells_rd_make(ig->buf, ig->len, 0);
  uint8_t cls, data;
  uint16_t type, machine;
  tells_rd_skip(&r, 4);
  cls = tells_rd_u8(&r);
  data = tells_rd_u8(&r);
  tells_rd_seek(&r, 16);
  type = tells_rd_u16(&r, data == 2);
  machine = tells_rd_u16(&r, data == 2);
  if (!tells_rd_ok(&r)) {
    tells_anom_rd(&ig->anoms, &r, "elf.header", "ELF header");
    return TELLS_OK;
  }
  tells_buf_addf(&ig->summary, "{\"class\":%u,\"data\":%u,\"type\":%u,\"machine\":%u}",
                 cls, data, type, machine);
  return TELLS_OK;
}
