/*
** pe_rich.c -- the Rich header: which Microsoft tools built the object files.
**
** The MSVC linker writes it between the DOS stub and the PE header, every
** dword XORed with a key (published by D. Pistelli, "Microsoft's Rich
** Signature (undocumented)", 2008, and in VirusTotal's and pefile's
** documentation):
**   OFFSET  SIZE  DESCRIPTION
**   r       4     "DanS" ^ key
**   r+4     12    three zero dwords ^ key (padding)
**   r+16    8*n   n records: @comp.id ^ key, count ^ key; @comp.id holds
**                 the product id in the high 16 bits and the build number
**                 in the low 16 bits
**   r+16+8n 4     "Rich" (in clear)
**   r+20+8n 4     key
** The key is a checksum: the offset r, plus every byte b[i] of the file
** before r except the e_lfanew field (0x3c..0x3f) rotated left by i, plus
** every @comp.id rotated left by its count (mod 32), all mod 2^32.  A key
** that does not match the computed one means the header was edited, e.g. a
** forged "false flag" Rich header.
**
** rich_hash is pefile's get_rich_header_hash(): MD5 of the decoded bytes
** from "DanS" up to (not including) "Rich".
*/
#include <string.h>
#include "hash.h"
#include "pe_int.h"

static uint32_t rol32(uint32_t v, unsigned n) {
  n &= 31;
  return n ? (v << n) | (v >> (32 - n)) : v;
}

void tells__pe_rich(tells__pe_ctx *c) {
  tells_pe *pe = c->pe;
  uint64_t end = pe->e_lfanew, rich = 0, dans = 0, o;
  uint32_t key, sum;
  size_t n, i;
  uint8_t *clear;
  int found = 0;
  const uint8_t *f;
  if (end > c->file.len) end = c->file.len;
  f = tells__pe_ptr(c, 0, end);
  if (!f) return;
  /* "Rich" sits on a dword boundary after the 64-byte DOS header. */
  for (o = 0x40; o + 8 <= end; o += 4)
    if (tells_ld32le(f + o) == 0x68636952) { rich = o; found = 1; break; }
  if (!found) return;
  key = tells_ld32le(f + rich + 4);
  found = 0;
  for (o = rich; o >= 0x40 + 4; ) {
    o -= 4;
    if ((tells_ld32le(f + o) ^ key) == 0x536e6144) { dans = o; found = 1; break; }
  }
  if (!found) {
    tells_anom_add(c->anoms, rich, "pe.rich.no_dans",
                   "\"Rich\" marker without a matching \"DanS\" start");
    return;
  }
  pe->has_rich = 1;
  pe->rich_off = (uint32_t)dans;
  pe->rich_key = key;
  if (rich - dans < 16) {
    tells_anom_add(c->anoms, dans, "pe.rich.short", "Rich header shorter than its padding");
    return;
  }
  for (i = 1; i < 4; i++)
    if (tells_ld32le(f + dans + 4 * i) != key) {
      tells_anom_add(c->anoms, dans + 4 * i, "pe.rich.padding",
                     "Rich header padding dword %zu is not zero", i);
      break;
    }
  n = (size_t)(rich - dans - 16) / 8;
  if ((rich - dans - 16) % 8)
    tells_anom_add(c->anoms, rich, "pe.rich.odd", "Rich records end on half a record");
  if (n > TELLS_MAX_PE_RICH_ENTRIES) {
    tells_anom_add(c->anoms, dans, "pe.rich.cap", "%zu Rich records, only %d kept", n,
                   TELLS_MAX_PE_RICH_ENTRIES);
  }
  /* Decoded bytes for the hash, and the checksum. */
  clear = tells__pe_alloc(c, (size_t)(rich - dans));
  if (!clear) return;
  for (o = 0; o < rich - dans; o++)
    clear[o] = f[dans + o] ^ (uint8_t)(key >> (8 * (o & 3)));
  (void)tells_md5_hex(clear, (size_t)(rich - dans), pe->rich_hash);
  sum = (uint32_t)dans;
  for (o = 0; o < dans; o++) {
    if (o >= 0x3c && o < 0x40) continue;
    sum += rol32(f[o], (unsigned)o);
  }
  pe->rich = tells__pe_alloc(c, (n < TELLS_MAX_PE_RICH_ENTRIES ? n : TELLS_MAX_PE_RICH_ENTRIES) *
                                    sizeof *pe->rich + 1);
  if (!pe->rich) return;
  for (i = 0; i < n; i++) {
    uint32_t id = tells_ld32le(clear + 16 + 8 * i);
    uint32_t cnt = tells_ld32le(clear + 20 + 8 * i);
    sum += rol32(id, cnt);
    if (i < TELLS_MAX_PE_RICH_ENTRIES) {
      pe->rich[i].prodid = (uint16_t)(id >> 16);
      pe->rich[i].build = (uint16_t)id;
      pe->rich[i].count = cnt;
      pe->n_rich = i + 1;
    }
  }
  pe->rich_key_computed = sum;
  pe->rich_checksum_ok = sum == key;
  if (!pe->rich_checksum_ok)
    tells_anom_add(c->anoms, rich + 4, "pe.rich.checksum",
                   "Rich key 0x%08x, computed 0x%08x: the header was altered", key, sum);
}

/* Product ids (high half of @comp.id) of common tools and the Visual Studio
** release they ship with, from the published lists of Rich product ids.
** The ranges are approximate at their edges. */
const char *tells_pe_rich_prodid_name(uint16_t prodid) {
  if (prodid == 0) return "Unmarked objects";
  if (prodid == 1) return "Imports (linker-generated)";
  if (prodid >= 0x00ff && prodid <= 0x010e) return "VS2015+ (14.x)";
  if (prodid >= 0x00db && prodid <= 0x00fe) return "VS2013 (12.x)";
  if (prodid >= 0x00c7 && prodid <= 0x00da) return "VS2012 (11.0)";
  if (prodid >= 0x0098 && prodid <= 0x00c6) return "VS2010 (10.0)";
  if (prodid >= 0x0083 && prodid <= 0x0097) return "VS2008 (9.0)";
  if (prodid >= 0x006d && prodid <= 0x0082) return "VS2005 (8.0)";
  if (prodid >= 0x005a && prodid <= 0x006c) return "VS2003 (7.1)";
  if (prodid >= 0x0019 && prodid <= 0x0059) return "VS2002 (7.0) or older";
  return NULL;
}
