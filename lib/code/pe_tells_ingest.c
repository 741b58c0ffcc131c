/*
** pe_tells_ingest.c -- what of a PE's tells reaches the case: the build
** time as a timeline event, the author's language and the PDB user name
** as indicators, and findings only where a tell is itself suspicious: a
** possibly forged Rich header and a COFF build time in the future (benign
** files raise neither).
*/
#include <stdio.h>
#include <string.h>
#include "ingest.h"
#include "pe_tells.h"

static void event(tells_ingest *ig, const tells_pe *pe, const tells_petells *t) {
  tells_event ev;
  char s[160];
  if (!t->has_build) return;
  memset(&ev, 0, sizeof ev);
  snprintf(s, sizeof s, "PE build time from the %s timestamp (0x%08x)", t->build_source,
           t->build_time);
  ev.time_ns = (int64_t)t->build_time * 1000000000;
  ev.source = "code"; ev.kind = "pe.compiled"; ev.summary = s;
  ev.ref_offset = strcmp(t->build_source, "coff") == 0 ? (int64_t)pe->e_lfanew + 8 : TELLS_NO_REF;
  ev.ref_record = TELLS_NO_REF;
  tells_ingest_event(ig, &ev);
}

/* A language sighting.  Its context is formatted here, so it is copied to
** the file's arena: the ingest keeps the context pointer until the
** sightings are flushed (tells_ingest_indicator), after this returns. */
static void language(tells_ingest *ig, const char *nm, const char *ctx) {
  const char *c = tells_arena_strndup(&ig->arena, ctx, strlen(ctx));
  tells_ingest_indicator(ig, "language", nm, TELLS_NO_TIME, c ? c : "PE language", TELLS_NO_REF);
}

static void indicators(tells_ingest *ig, const tells_petells *t) {
  char nm[96], ctx[160];
  size_t i, k;
  for (i = 0; i < t->n_langs; i++) {
    if (tells_petells_lang_weak(t->langs[i].lang)) continue;
    tells_petells_lang_name(t->langs[i].lang, nm, sizeof nm);
    snprintf(ctx, sizeof ctx, "PE resource language 0x%04x (%u resource%s)", t->langs[i].lang,
             t->langs[i].count, t->langs[i].count == 1 ? "" : "s");
    language(ig, nm, ctx);
  }
  for (i = 0; i < t->n_translations; i++) {
    uint16_t l = (uint16_t)t->translations[i];
    if (tells_petells_lang_weak(l)) continue;
    for (k = 0; k < i && (uint16_t)t->translations[k] != l; k++) {}
    if (k < i) continue;
    tells_petells_lang_name(l, nm, sizeof nm);
    snprintf(ctx, sizeof ctx, "PE version-info translation 0x%04x, code page %u", l,
             t->translations[i] >> 16);
    language(ig, nm, ctx);
  }
  if (t->has_pdb && t->pdb.user && t->pdb.user[0])
    tells_ingest_indicator(ig, "pdb_user", t->pdb.user, TELLS_NO_TIME,
                           "user profile folder in the PDB path", TELLS_NO_REF);
}

static void findings(tells_ingest *ig, const tells_pe *pe, const tells_petells *t) {
  tells_finding f;
  char sum[400];
  const tells_petells_rich *r = &t->rich;
  if (r->present && r->forged) {
    int n = 0;
    if (!r->checksum_ok)
      n = snprintf(sum, sizeof sum, "Rich header key 0x%08x differs from its checksum 0x%08x. ",
                   pe->rich_key, pe->rich_key_computed);
    if (r->major_mismatch && n >= 0 && (size_t)n < sizeof sum)
      snprintf(sum + n, sizeof sum - (size_t)n,
               "The newest linker in the Rich header is %u.x (%s, build %u) but the optional "
               "header says linker %u.%u. ",
               r->rich_major, r->vs ? r->vs : "unknown release", r->build, r->hdr_major, r->hdr_minor);
    memset(&f, 0, sizeof f);
    f.source = "code"; f.rule = "pe-forged-rich-header";
    f.title = "Possible forged Rich header (false flag)";
    f.severity = "medium"; f.technique = "T1036"; f.tactic = "defense-evasion";
    f.summary = sum;
    f.first_ns = f.last_ns = TELLS_NO_TIME;
    f.ref_offset = pe->rich_off; f.ref_record = TELLS_NO_REF;
    tells_ingest_finding(ig, &f);
  }
  if (t->n_stamps && (t->stamps[0].flags & TELLS_PETELLS_TS_FUTURE) && !pe->has_repro) {
    snprintf(sum, sizeof sum,
             "COFF TimeDateStamp %u is %lld days after the time of analysis; the build time "
             "was set by hand or the stamp is not a time.",
             t->stamps[0].value, (long long)(((int64_t)t->stamps[0].value - t->now) / 86400));
    memset(&f, 0, sizeof f);
    f.source = "code"; f.rule = "pe-future-timestamp";
    f.title = "PE build time in the future";
    f.severity = "low"; f.technique = "T1070.006"; f.tactic = "defense-evasion";
    f.summary = sum;
    f.first_ns = f.last_ns = TELLS_NO_TIME;
    f.ref_offset = (int64_t)pe->e_lfanew + 8; f.ref_record = TELLS_NO_REF;
    tells_ingest_finding(ig, &f);
  }
}

void tells_petells_report(struct tells_ingest *ig, const tells_pe *pe, const tells_petells *t) {
  event(ig, pe, t);
  indicators(ig, t);
  findings(ig, pe, t);
}
