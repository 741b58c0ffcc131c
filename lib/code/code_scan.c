/*
** code_scan.c -- the code pillar's scanners for intake: PE and ELF files.
**
** Each scanner parses the file (pe.c, elf.c), stores the parser's JSON as
** the file's artifact, writes a short summary on the evidence row, and
** sends what investigators pivot on as indicators: the imphash and Rich
** hash of a PE, its PDB path, an ELF's build-id.  A PE's COFF build time
** goes on the timeline as an event.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "elf.h"
#include "ingest.h"
#include "json.h"
#include "pe.h"
#include "pe_tells.h"
#include "caps.h"
#include "codelib.h"
#include "strs.h"

tells_err tells_code_scan_pe(tells_ingest *ig);
tells_err tells_code_scan_elf(tells_ingest *ig);

#define ARTIFACT_LIMIT (8u << 20)   /* bytes of parser JSON kept per file */

/* Renders a parser's JSON and stores it as the artifact of the file. */
static void store_artifact(tells_ingest *ig, const char *kind,
                           void (*render)(const void *, tells_json *), const void *obj) {
  tells_buf b;
  tells_json j;
  tells_buf_init(&b, ARTIFACT_LIMIT);
  tells_json_init_buf(&j, &b, 0);
  render(obj, &j);
  if (tells_json_flush(&j) == TELLS_OK && !b.err)
    tells_ingest_artifact(ig, kind, tells_buf_str(&b));
  else
    tells_anom_add(&ig->anoms, 0, "artifact.too_large",
                   "%s description larger than %u bytes, not stored", kind, ARTIFACT_LIMIT);
  tells_buf_free(&b);
}

/* What the PE scanner knows about one file: the parse, then the analyses
** built on it.  Each analysis adds its own keys to the artifact. */
typedef struct pe_scan {
  const tells_pe *pe;
  const tells_petells *tells;   /* NULL when the analysis ran out of memory */
  const tells_strs *strs;        /* strings pass (strs.h), or NULL */
  const tells_caps_hit *caps; size_t n_caps;  /* capabilities (caps.h) */
  const tells_ingest *ig;
  tells_codelib_result lib;      /* reference library lookup (codelib.h) */
} pe_scan;

static void render_pe(const void *o, tells_json *j) {
  const pe_scan *s = o;
  tells_json_obj(j);
  tells_pe_json_fields(s->pe, j);
  if (s->tells) { tells_json_key(j, "tells"); tells_petells_json(s->tells, j); }
  if (s->strs) { tells_json_key(j, "strings"); tells_strs_json(s->strs, j); }
  tells_json_key(j, "capabilities"); tells_caps_json(s->caps, s->n_caps, j);
  tells_codelib_scan_json(s->ig, &s->lib, j);
  tells_json_obj_end(j);
}

typedef struct elf_scan {
  const tells_elf *el;
  const tells_ingest *ig;
  tells_codelib_result lib;
} elf_scan;

static void render_elf_only(const void *o, tells_json *j) { tells_elf_json(o, j); }
/* The ELF object with the "tlsh" and "library" members added at its end. */
static void render_elf(const void *o, tells_json *j) {
  const elf_scan *s = o;
  tells_codelib_wrap_json(s->ig, &s->lib, render_elf_only, s->el, j);
}

tells_err tells_code_scan_pe(tells_ingest *ig) {
  tells_pe *pe = NULL;
  tells_err e = tells_pe_parse(ig->buf, ig->len, &ig->arena, &ig->anoms, &pe);
  pe_scan ps;
  tells_json j;
  tells_ingest_advance(ig, ig->len);
  if (e == TELLS_ENOMEM && !pe) return e;
  if (!pe) {                           /* not parseable: the anomaly says why */
    tells_codelib_digest(ig);
    return TELLS_OK;
  }
  memset(&ps, 0, sizeof ps);
  ps.pe = pe;
  ps.ig = ig;
  {
    tells_petells *tl = NULL;
    if (tells_petells_analyse(pe, ig->buf, ig->len,
                              ig->run_time_s ? ig->run_time_s : (int64_t)time(NULL), &ig->arena, &tl) == TELLS_OK)
      ps.tells = tl;
  }
  if (tells_caps_scan(ig, pe, &ps.strs, &ps.caps, &ps.n_caps) == TELLS_ENOMEM) return TELLS_ENOMEM;
  tells_codelib_digest(ig);            /* late: a worker may still be hashing */
  tells_codelib_scan(ig, pe, &ps.lib);
  store_artifact(ig, "pe", render_pe, &ps);
  tells_json_init_buf(&j, &ig->summary, 0);
  tells_json_obj(&j);
  tells_json_ku64(&j, "machine", pe->machine);
  tells_json_kstr(&j, "format", pe->is64 ? "PE32+" : "PE32");
  tells_json_ku64(&j, "sections", pe->n_sections);
  tells_json_ku64(&j, "time_date_stamp", pe->timestamp);
  if (pe->imphash[0]) tells_json_kstr(&j, "imphash", pe->imphash);
  if (pe->rich_hash[0]) tells_json_kstr(&j, "rich_hash", pe->rich_hash);
  if (pe->pdb_path) tells_json_kstr(&j, "pdb_path", pe->pdb_path);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  if (pe->imphash[0]) tells_ingest_indicator(ig, "imphash", pe->imphash, TELLS_NO_TIME, "PE import hash", TELLS_NO_REF);
  if (pe->rich_hash[0]) tells_ingest_indicator(ig, "rich_hash", pe->rich_hash, TELLS_NO_TIME, "PE Rich header hash", pe->rich_off);
  if (pe->pdb_path && pe->pdb_path[0])
    tells_ingest_indicator(ig, "pdb_path", pe->pdb_path, TELLS_NO_TIME, "CodeView debug path", TELLS_NO_REF);
  if (ps.tells) tells_petells_report(ig, pe, ps.tells);
  else if (pe->timestamp) {
    tells_event ev;
    char s[96];
    memset(&ev, 0, sizeof ev);
    snprintf(s, sizeof s, "PE build time in the COFF header (TimeDateStamp 0x%08x)", pe->timestamp);
    ev.time_ns = (int64_t)pe->timestamp * 1000000000;
    ev.source = "code"; ev.kind = "pe.compiled"; ev.summary = s;
    ev.ref_offset = (int64_t)pe->e_lfanew + 8; ev.ref_record = TELLS_NO_REF;
    tells_ingest_event(ig, &ev);
  }
  return e == TELLS_ENOMEM ? e : TELLS_OK;
}

tells_err tells_code_scan_elf(tells_ingest *ig) {
  tells_elf *el = NULL;
  tells_err e = tells_elf_parse(ig->buf, ig->len, &ig->arena, &ig->anoms, &el);
  elf_scan es;
  tells_ingest_advance(ig, ig->len);
  tells_codelib_digest(ig);
  if (e == TELLS_ENOMEM && !el) return e;
  if (!el) return TELLS_OK;
  memset(&es, 0, sizeof es);
  es.el = el; es.ig = ig;
  tells_codelib_scan(ig, NULL, &es.lib);
  store_artifact(ig, "elf", render_elf, &es);
  {                                    /* strings and indicators (strs.h) */
    const tells_strs *st; const tells_caps_hit *h; size_t nh;
    if (tells_caps_scan(ig, NULL, &st, &h, &nh) == TELLS_ENOMEM) return TELLS_ENOMEM;
  }
  if (el->build_id_len) {
    char hex[2 * TELLS_ELF_MAX_BUILD_ID + 1];
    size_t i;
    for (i = 0; i < el->build_id_len; i++) snprintf(hex + 2 * i, 3, "%02x", el->build_id[i]);
    tells_ingest_indicator(ig, "build_id", hex, TELLS_NO_TIME, "ELF GNU build-id", TELLS_NO_REF);
    tells_buf_addf(&ig->summary, "{\"build_id\":\"%s\"}", hex);
  }
  return TELLS_OK;
}
