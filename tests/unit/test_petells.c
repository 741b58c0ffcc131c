/*
** test_petells.c -- the tells of a PE (lib/code/pe_tells*.c): timestamp
** flags and the build time, LANGID and code page names, script counting in
** UTF-16 text (surrogates, hostile lengths, binary noise), the Rich header
** against the linker version, PDB path parts, the UTC-offset fit.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "buf.h"
#include "json.h"
#include "pe.h"
#include "pe_tells.h"
#include "t.h"

#define NOW 1795000000   /* 2026-11-18T08:26:40Z */

static tells_petells T;

static unsigned flags_of(const char *src, int idx) {
  size_t i;
  for (i = 0; i < T.n_stamps; i++)
    if (strcmp(T.stamps[i].source, src) == 0 && T.stamps[i].index == idx) return T.stamps[i].flags;
  return 0xdead;
}

static void test_timestamps_plain(void) {
  tells_pe pe;
  tells_pe_debug dbg[2];
  memset(&pe, 0, sizeof pe);
  memset(dbg, 0, sizeof dbg);
  pe.timestamp = 1416466800;
  dbg[0].timestamp = 1416466800; dbg[1].timestamp = 0;
  pe.debug = dbg; pe.n_debug = 2;
  pe.has_exports = 1; pe.export_timestamp = 0xffffffffu;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(T.n_stamps, 4);
  CHECK_EQ_INT(flags_of("coff", -1), 0);
  CHECK_EQ_INT(flags_of("export", -1), TELLS_PETELLS_TS_UNSET);
  CHECK_EQ_INT(flags_of("debug", 1), TELLS_PETELLS_TS_ZERO);
  CHECK(T.has_build);
  CHECK_EQ_INT(T.build_time, 1416466800);
  CHECK_EQ_STR(T.build_source, "coff");
  CHECK_EQ_INT(T.spread, 0);
}

static void test_timestamps_future_old_inconsistent(void) {
  tells_pe pe;
  tells_pe_debug dbg[1];
  memset(&pe, 0, sizeof pe);
  memset(dbg, 0, sizeof dbg);
  /* COFF in the future, no other plausible stamp: future, no build time. */
  pe.timestamp = NOW + 10 * 86400;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("coff", -1), TELLS_PETELLS_TS_FUTURE);
  CHECK(!T.has_build);
  /* Within the slack of one day it is not yet future. */
  pe.timestamp = NOW + 3600;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("coff", -1), 0);
  CHECK(T.has_build);
  /* Before 1992 (Delphi-era values, or a hash). */
  pe.timestamp = 600000000;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("coff", -1), TELLS_PETELLS_TS_OLD);
  /* A future COFF far from a plausible debug stamp: hash-like; the build
  ** time then comes from the debug entry. */
  pe.timestamp = 0xfe001234u;
  dbg[0].timestamp = 1500000000;
  pe.debug = dbg; pe.n_debug = 1;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("coff", -1), TELLS_PETELLS_TS_FUTURE | TELLS_PETELLS_TS_HASHLIKE);
  CHECK(T.has_build);
  CHECK_EQ_STR(T.build_source, "debug");
  CHECK_EQ_INT(T.build_time, 1500000000);
  /* Two plausible stamps three days apart: the later one is inconsistent. */
  pe.timestamp = 1500000000;
  pe.dirs[TELLS_PE_DIR_RESOURCE].rva = 0x3000;
  pe.rsrc_timestamp = 1500000000 - 3 * 86400;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("resource", -1), TELLS_PETELLS_TS_INCONSISTENT);
  CHECK_EQ_INT(flags_of("coff", -1), 0);
  CHECK_EQ_INT(T.spread, 3 * 86400);
  /* Just under the threshold: consistent. */
  pe.rsrc_timestamp = 1500000000 - TELLS_PETELLS_SPREAD_MAX;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("resource", -1), 0);
}

static void test_timestamps_repro(void) {
  tells_pe pe;
  tells_pe_debug dbg[2];
  memset(&pe, 0, sizeof pe);
  memset(dbg, 0, sizeof dbg);
  /* /Brepro: COFF and debug stamps are the same hash; a REPRO entry. */
  pe.timestamp = 0x8c2e55a1u;
  dbg[0].type = 2; dbg[0].timestamp = 0x8c2e55a1u;
  dbg[1].type = 16; dbg[1].timestamp = 0x8c2e55a1u;
  pe.debug = dbg; pe.n_debug = 2; pe.has_repro = 1;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK(flags_of("coff", -1) & TELLS_PETELLS_TS_REPRO);
  CHECK(flags_of("debug", 0) & TELLS_PETELLS_TS_REPRO);
  CHECK(!T.has_build);
  /* A hash that happens to look like a past time is still not a time. */
  pe.timestamp = dbg[0].timestamp = dbg[1].timestamp = 1400000000;
  tells_petells_stamps(&pe, NOW, &T);
  CHECK_EQ_INT(flags_of("coff", -1), TELLS_PETELLS_TS_REPRO);
  CHECK(!T.has_build);
}

static void test_lang_names(void) {
  char b[96];
  CHECK(tells_petells_lang_name(0x0412, b, sizeof b));
  CHECK_EQ_STR(b, "ko-KR Korean");
  CHECK(tells_petells_lang_name(0x0419, b, sizeof b));
  CHECK_EQ_STR(b, "ru-RU Russian");
  CHECK(tells_petells_lang_name(0x0804, b, sizeof b));
  CHECK_EQ_STR(b, "zh-CN Chinese (Simplified)");
  CHECK(tells_petells_lang_name(0x0409, b, sizeof b));
  CHECK_EQ_STR(b, "en-US English (United States)");
  /* Known primary language, unknown sublanguage. */
  CHECK(tells_petells_lang_name(0x0812, b, sizeof b));
  CHECK_EQ_STR(b, "ko Korean (sublanguage 0x02)");
  CHECK(!tells_petells_lang_name(0x03ff, b, sizeof b));
  CHECK_EQ_STR(b, "unknown 0x03ff");
  /* A tiny buffer is still terminated. */
  tells_petells_lang_name(0x0412, b, 4);
  CHECK_EQ_STR(b, "ko-");
  CHECK(tells_petells_lang_weak(0x0000));
  CHECK(tells_petells_lang_weak(0x0400));
  CHECK(tells_petells_lang_weak(0x0800));
  CHECK(tells_petells_lang_weak(0x0409));
  CHECK(!tells_petells_lang_weak(0x0412));
  CHECK(!tells_petells_lang_weak(0x0809));
  CHECK_EQ_STR(tells_petells_codepage_name(949), "Korean (Unified Hangul Code)");
  CHECK_EQ_STR(tells_petells_codepage_name(1200), "Unicode (UTF-16LE)");
  CHECK(tells_petells_codepage_name(12345) == NULL);
}

static void test_languages_in_analyse(void) {
  tells_pe pe;
  tells_pe_rsrc r[4];
  uint32_t tr[2] = {0x0412u | 949u << 16, 0x0409u | 1200u << 16};
  tells_arena a;
  tells_petells *t = NULL;
  uint8_t dummy[4] = {0};
  memset(&pe, 0, sizeof pe);
  memset(r, 0, sizeof r);
  r[0].lang = 0x0412; r[1].lang = 0x0412; r[2].lang = 0x0409; r[3].lang = 0;
  pe.rsrc = r; pe.n_rsrc = 4;
  pe.translations = tr; pe.n_translations = 2;
  tells_arena_init(&a, 0);
  CHECK_EQ_INT(tells_petells_analyse(&pe, dummy, sizeof dummy, NOW, &a, &t), TELLS_OK);
  if (t) {
    CHECK_EQ_INT(t->n_langs, 3);
    CHECK_EQ_INT(t->langs[0].lang, 0x0412);
    CHECK_EQ_INT(t->langs[0].count, 2);
    CHECK(t->has_primary);
    CHECK_EQ_INT(t->primary_lang, 0x0412);
    CHECK_EQ_INT(t->n_translations, 2);
  }
  /* Only en-US and neutral: no primary language. */
  r[0].lang = r[1].lang = 0x0409;
  pe.n_translations = 0;
  CHECK_EQ_INT(tells_petells_analyse(&pe, dummy, sizeof dummy, NOW, &a, &t), TELLS_OK);
  if (t) CHECK(!t->has_primary);
  tells_arena_free(&a);
}

/* ---- scripts --------------------------------------------------------- */

static size_t put16(uint8_t *b, size_t o, uint16_t u) { b[o] = (uint8_t)u; b[o + 1] = (uint8_t)(u >> 8); return o + 2; }

/* Appends a NUL, the UTF-8 string as UTF-16LE, and a NUL. */
static size_t put_str(uint8_t *b, size_t o, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  o = put16(b, o, 0);
  while (*p) {
    uint32_t cp;
    size_t k = tells_utf8_seq(p, strlen((const char *)p));
    if (k == 1) cp = p[0];
    else if (k == 2) cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    else if (k == 3) cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
    else cp = (uint32_t)(p[0] & 7) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
    if (cp >= 0x10000) {
      o = put16(b, o, (uint16_t)(0xd800 + ((cp - 0x10000) >> 10)));
      o = put16(b, o, (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
    } else {
      o = put16(b, o, (uint16_t)cp);
    }
    p += k ? k : 1;
  }
  return put16(b, o, 0);
}

static const tells_petells_script *find_script(const tells_petells_script *s, const char *name) {
  int i;
  for (i = 0; i < TELLS_PETELLS_N_SCRIPTS; i++)
    if (s[i].code_points && strcmp(s[i].name, name) == 0) return &s[i];
  return NULL;
}

static int n_scripts(const tells_petells_script *s) {
  int i, n = 0;
  for (i = 0; i < TELLS_PETELLS_N_SCRIPTS; i++) n += s[i].code_points != 0;
  return n;
}

static void test_script_of(void) {
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0xd55c)), "Hangul");   /* 한 */
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x4e2d)), "Han");      /* 中 */
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x3042)), "Hiragana");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x30ab)), "Katakana");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x0416)), "Cyrillic"); /* Ж */
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x0628)), "Arabic");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x05d0)), "Hebrew");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x03b1)), "Greek");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x0e01)), "Thai");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x0915)), "Devanagari");
  CHECK_EQ_STR(tells_petells_script_name(tells_petells_script_of(0x20000)), "Han");
  CHECK_EQ_INT(tells_petells_script_of('A'), -1);
  CHECK_EQ_INT(tells_petells_script_of(0x3002), -1);   /* CJK full stop: common */
  CHECK_EQ_INT(tells_petells_script_of(0xe000), -2);   /* private use */
  CHECK_EQ_INT(tells_petells_script_of(0x0001), -2);
  CHECK(tells_petells_script_name(99) == NULL);
}

static void test_scripts_counting(void) {
  uint8_t b[4096];
  tells_petells_script s[TELLS_PETELLS_N_SCRIPTS];
  const tells_petells_script *h;
  size_t o = 0;
  memset(b, 0, sizeof b);
  memset(s, 0, sizeof s);
  o = put_str(b, o, "디스크 초기화 작업");              /* 8 Hangul */
  o = put_str(b, o, "Файл удалён");                      /* 10 Cyrillic */
  o = put_str(b, o, "ファイルを削除");                    /* kana + Han */
  o = put_str(b, o, "\xf0\xa0\x80\x80\xf0\xa0\x80\x81\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97"); /* 2 supplementary Han + 3 */
  o = put_str(b, o, "hello world");                      /* ASCII: no script */
  o = put_str(b, o, "한국");                              /* too short: missed on purpose */
  tells_petells_scan_utf16(b, o, 0, s);
  h = find_script(s, "Hangul");
  CHECK(h != NULL);
  if (h) {
    CHECK_EQ_INT(h->code_points, 8);
    CHECK_EQ_INT(h->runs, 1);
    CHECK_EQ_STR(h->example, "디스크 초기화 작업");
    CHECK_EQ_INT(h->example_off, 2);
  }
  h = find_script(s, "Cyrillic");
  CHECK(h && h->code_points == 10);
  CHECK(find_script(s, "Katakana") && find_script(s, "Katakana")->code_points == 4);
  CHECK(find_script(s, "Hiragana") && find_script(s, "Hiragana")->code_points == 1);
  h = find_script(s, "Han");
  CHECK(h && h->code_points == 2 + 5 && h->runs == 2);   /* 削除 + 5 (surrogate pairs count once) */
  CHECK_EQ_INT(n_scripts(s), 5);
}

static void test_scripts_noise(void) {
  uint8_t *b = malloc(1 << 16);
  tells_petells_script s[TELLS_PETELLS_N_SCRIPTS];
  size_t i, o;
  uint32_t x = 12345;
  if (!b) { CHECK(0); return; }
  memset(s, 0, sizeof s);
  /* 8-bit text read as UTF-16 ("GetProcAddress\0LoadLibraryA\0"...). */
  o = 0;
  for (i = 0; i < 200; i++) {
    const char *w = (i & 1) ? "GetProcAddress" : "LoadLibraryExW";
    memcpy(b + o, w, strlen(w) + 1);
    o += strlen(w) + 1;
  }
  tells_petells_scan_utf16(b, o, 0, s);
  CHECK_EQ_INT(n_scripts(s), 0);
  /* A table of 32-bit values with the same high half (pointers). */
  memset(s, 0, sizeof s);
  o = put16(b, 0, 0);
  for (i = 0; i < 40; i++) { o = put16(b, o, (uint16_t)(0xd410 + 8 * i)); o = put16(b, o, 0x0040); }
  o = put16(b, o, 0);
  tells_petells_scan_utf16(b, o, 0, s);
  CHECK_EQ_INT(n_scripts(s), 0);
  /* The same code point repeated. */
  memset(s, 0, sizeof s);
  o = put16(b, 0, 0);
  for (i = 0; i < 30; i++) o = put16(b, o, 0x1010);
  o = put16(b, o, 0);
  tells_petells_scan_utf16(b, o, 0, s);
  CHECK_EQ_INT(n_scripts(s), 0);
  /* Lone surrogates break a run: nothing counted. */
  memset(s, 0, sizeof s);
  o = put16(b, 0, 0);
  o = put16(b, o, 0xd55c); o = put16(b, o, 0xad6d); o = put16(b, o, 0xdc00);
  o = put16(b, o, 0xc5b4); o = put16(b, o, 0xd55c); o = put16(b, o, 0);
  tells_petells_scan_utf16(b, o, 0, s);
  CHECK_EQ_INT(n_scripts(s), 0);
  /* Pseudo-random bytes: at most a trace, never thousands of code points. */
  memset(s, 0, sizeof s);
  for (i = 0; i < (1u << 16); i++) { x = x * 1103515245u + 12345u; b[i] = (uint8_t)(x >> 16); }
  tells_petells_scan_utf16(b, 1u << 16, 0, s);
  for (i = 0; i < TELLS_PETELLS_N_SCRIPTS; i++) CHECK(s[i].code_points < 40);
  free(b);
}

static void test_scripts_hostile_lengths(void) {
  uint8_t b[16];
  tells_petells_script s[TELLS_PETELLS_N_SCRIPTS];
  uint8_t *big;
  size_t i, n = (size_t)1 << 20;
  memset(s, 0, sizeof s);
  memset(b, 0, sizeof b);
  CHECK_EQ_INT(tells_petells_scan_utf16(b, 0, 0, s), 0);
  CHECK_EQ_INT(tells_petells_scan_utf16(b, 1, 0, s), 1);
  /* A high surrogate as the very last unit, odd length, odd base. */
  b[0] = 0x3d; b[1] = 0xd8;
  tells_petells_scan_utf16(b, 2, 0, s);
  tells_petells_scan_utf16(b, 3, 1, s);
  CHECK_EQ_INT(n_scripts(s), 0);
  /* One run of a million code points (no terminator): counted once, the
  ** example bounded. */
  big = malloc(2 * n);
  if (!big) { CHECK(0); return; }
  for (i = 0; i < n; i++) { big[2 * i] = (uint8_t)(0x00 + (i % 3) * 4); big[2 * i + 1] = 0xac + (uint8_t)(i % 7); }
  tells_petells_scan_utf16(big, 2 * n, 0, s);
  CHECK(find_script(s, "Hangul") != NULL);
  if (find_script(s, "Hangul")) {
    CHECK_EQ_INT(find_script(s, "Hangul")->code_points, n);
    CHECK(strlen(find_script(s, "Hangul")->example) <= 3 * TELLS_PETELLS_EXAMPLE);
  }
  free(big);
}

/* ---- Rich ------------------------------------------------------------- */

static void test_rich_vs_linker(void) {
  tells_pe pe;
  tells_pe_rich_entry e[3];
  tells_petells_rich r;
  uint8_t maj = 0, min = 0;
  const char *vs = NULL;
  CHECK(tells_petells_rich_linker(258, &maj, &min) && maj == 14);
  CHECK(tells_petells_rich_linker(157, &maj, &min) && maj == 10 && min == 0);
  CHECK(tells_petells_rich_linker(4, &maj, &min) && maj == 6);
  CHECK(!tells_petells_rich_linker(260, &maj, &min));      /* Utc1900_C: a compiler */
  CHECK(tells_petells_msvc14(27054, &min, &vs) && min == 16);
  CHECK(tells_petells_msvc14(30133, &min, &vs) && min == 29);
  CHECK(tells_petells_msvc14(33145, &min, &vs) && min == 38);
  CHECK(!tells_petells_msvc14(37029, &min, &vs));           /* newer than the table */
  CHECK(!tells_petells_msvc14(9000, &min, &vs));
  memset(&pe, 0, sizeof pe);
  tells_petells_rich_check(&pe, &r);
  CHECK(!r.present && !r.forged);
  /* VS2019 16.11 objects and linker, LinkerVersion 14.29: consistent. */
  e[0].prodid = 261; e[0].build = 30133; e[0].count = 10;
  e[1].prodid = 258; e[1].build = 30133; e[1].count = 1;
  e[2].prodid = 1; e[2].build = 0; e[2].count = 40;
  pe.has_rich = 1; pe.rich = e; pe.n_rich = 3; pe.rich_checksum_ok = 1;
  pe.linker_major = 14; pe.linker_minor = 29;
  tells_petells_rich_check(&pe, &r);
  CHECK(r.present && r.has_linker && r.rich_major == 14 && r.rich_minor == 29);
  CHECK(!r.major_mismatch && !r.minor_mismatch && !r.forged);
  /* The same header on a file linked by 14.16: a minor mismatch only. */
  pe.linker_minor = 16;
  tells_petells_rich_check(&pe, &r);
  CHECK(r.minor_mismatch && !r.major_mismatch && !r.forged);
  /* A VS6 header (Linker600) on a file linked by 10.0: forged. */
  e[1].prodid = 4; e[1].build = 8447;
  e[0].prodid = 11; e[0].build = 8168;
  pe.linker_major = 10; pe.linker_minor = 0;
  tells_petells_rich_check(&pe, &r);
  CHECK(r.major_mismatch && r.forged && r.rich_major == 6);
  /* Consistent versions but a wrong checksum: forged. */
  pe.linker_major = 6;
  pe.rich_checksum_ok = 0;
  tells_petells_rich_check(&pe, &r);
  CHECK(!r.major_mismatch && r.forged);
  /* No linker record: only the checksum counts. */
  pe.n_rich = 1; pe.rich_checksum_ok = 1;
  tells_petells_rich_check(&pe, &r);
  CHECK(!r.has_linker && !r.forged);
}

/* ---- PDB paths ------------------------------------------------------------ */

typedef struct pdb_case {
  const char *path, *drive, *host, *user, *project, *config, *platform, *file;
} pdb_case;

static int same(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_pdb_paths(void) {
  static const pdb_case c[] = {
    {"C:\\Users\\kim\\Projects\\Destover\\Release\\wiper.pdb", "C:", NULL, "kim", "Destover", "Release", NULL, "wiper.pdb"},
    {"D:\\Documents and Settings\\Administrator\\My Documents\\Visual Studio 2008\\Projects\\Dropper\\Debug\\Dropper.pdb",
     "D:", NULL, "Administrator", "Dropper", "Debug", NULL, "Dropper.pdb"},
    {"c:\\work\\tool\\x64\\Release\\tool.pdb", "c:", NULL, NULL, "tool", "Release", "x64", "tool.pdb"},
    {"E:\\src\\agent\\Release\\Win32\\agent.pdb", "E:", NULL, NULL, "agent", "Release", "Win32", "agent.pdb"},
    {"C:\\dev\\Loader\\obj\\Release\\net6.0\\Loader.pdb", "C:", NULL, NULL, "Loader", "Release", NULL, "Loader.pdb"},
    {"\\\\buildsrv\\share\\proj\\Release_x64\\p.pdb", NULL, "buildsrv", NULL, "proj", "Release_x64", NULL, "p.pdb"},
    {"/home/alice/build/thing/RelWithDebInfo/thing.pdb", NULL, NULL, "alice", "thing", "RelWithDebInfo", NULL, "thing.pdb"},
    {"C:\\Users\\bob\\Desktop\\x.pdb", "C:", NULL, "bob", NULL, NULL, NULL, "x.pdb"},
    {"C:\\hack\\stealer\\s.pdb", "C:", NULL, NULL, "stealer", NULL, NULL, "s.pdb"},
    {"wiper.pdb", NULL, NULL, NULL, NULL, NULL, NULL, "wiper.pdb"},
    {"\\\\?\\C:\\Users\\eve\\r\\Debug\\r.pdb", "C:", NULL, "eve", "r", "Debug", NULL, "r.pdb"},
    {"C:/Users/joe//proj///Release//a.pdb", "C:", NULL, "joe", "proj", "Release", NULL, "a.pdb"},
    {"C:\\Users\\", "C:", NULL, NULL, NULL, NULL, NULL, "Users"},
    {"", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {"\\\\", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    {"C:", "C:", NULL, NULL, NULL, NULL, NULL, NULL},
  };
  size_t i;
  tells_arena a;
  tells_arena_init(&a, 0);
  for (i = 0; i < sizeof c / sizeof *c; i++) {
    tells_petells_pdb p;
    int ok;
    CHECK_EQ_INT(tells_petells_pdb_parse(c[i].path, &a, &p), TELLS_OK);
    ok = same(p.drive, c[i].drive) && same(p.host, c[i].host) && same(p.user, c[i].user) &&
         same(p.project, c[i].project) && same(p.config, c[i].config) &&
         same(p.platform, c[i].platform) && same(p.file, c[i].file);
    if (!ok)
      fprintf(stderr, "  pdb %s: drive %s host %s user %s project %s config %s platform %s file %s\n",
              c[i].path, p.drive ? p.drive : "-", p.host ? p.host : "-", p.user ? p.user : "-",
              p.project ? p.project : "-", p.config ? p.config : "-",
              p.platform ? p.platform : "-", p.file ? p.file : "-");
    CHECK(ok);
    CHECK(p.utf8 && !p.non_ascii);
  }
  tells_arena_free(&a);
}

static void test_pdb_scripts(void) {
  tells_arena a;
  tells_petells_pdb p;
  char deep[8192];
  size_t i;
  tells_arena_init(&a, 0);
  /* UTF-8 Korean user and project folders (RSDS). */
  CHECK_EQ_INT(tells_petells_pdb_parse("C:\\Users\\관리자\\바탕 화면\\공격\\Release\\a.pdb", &a, &p), TELLS_OK);
  CHECK_EQ_STR(p.user, "관리자");
  CHECK_EQ_STR(p.project, "공격");
  CHECK(p.utf8 && p.non_ascii);
  CHECK_EQ_INT(p.n_folders, 3);
  CHECK_EQ_STR(tells_petells_script_name(__builtin_ctz(p.scripts)), "Hangul");
  CHECK_EQ_INT(p.scripts & (p.scripts - 1), 0);
  /* Cyrillic. */
  CHECK_EQ_INT(tells_petells_pdb_parse("D:\\Проекты\\bot\\Debug\\bot.pdb", &a, &p), TELLS_OK);
  CHECK_EQ_STR(tells_petells_script_name(__builtin_ctz(p.scripts)), "Cyrillic");
  /* CP949 bytes (NB10 paths are ANSI): not UTF-8. */
  CHECK_EQ_INT(tells_petells_pdb_parse("C:\\Users\\\xb0\xfc\xb8\xae\xc0\xda\\x.pdb", &a, &p), TELLS_OK);
  CHECK(!p.utf8 && p.non_ascii);
  CHECK_EQ_INT(p.n_folders, 1);
  /* Very deep paths keep the last 64 parts. */
  deep[0] = 0;
  for (i = 0; i < 1000; i++) strcat(deep, "a\\");
  strcat(deep, "Release\\z.pdb");
  CHECK_EQ_INT(tells_petells_pdb_parse(deep, &a, &p), TELLS_OK);
  CHECK_EQ_STR(p.file, "z.pdb");
  CHECK_EQ_STR(p.config, "Release");
  CHECK_EQ_STR(p.project, "a");
  tells_arena_free(&a);
}

/* ---- over a set ---------------------------------------------------------- */

static void test_weekday_hour(void) {
  int wd, h;
  tells_petells_weekday_hour(0, &wd, &h);            /* 1970-01-01 Thursday 00:00 */
  CHECK(wd == 3 && h == 0);
  tells_petells_weekday_hour(1416466800, &wd, &h);   /* 2014-11-20 Thursday 07:00 */
  CHECK(wd == 3 && h == 7);
  tells_petells_weekday_hour(-1, &wd, &h);           /* 1969-12-31 Wednesday 23:00 */
  CHECK(wd == 2 && h == 23);
}

static void test_utc_offset_fit(void) {
  tells_petells_set s;
  tells_petells_fit f;
  tells_buf b;
  tells_json j;
  int d, h;
  /* 2014-11-17 was a Monday; builds every hour 09-18 KST Mon-Fri. */
  const int64_t monday_kst = 1416150000;   /* 2014-11-17T00:00:00+09:00 */
  tells_petells_set_init(&s);
  CHECK(!tells_petells_set_fit(&s, &f));
  for (d = 0; d < 5; d++)
    for (h = 9; h <= 18; h++) tells_petells_set_add(&s, monday_kst + d * 86400 + h * 3600 + 600);
  CHECK_EQ_INT(s.timed, 50);
  CHECK(tells_petells_set_fit(&s, &f));
  CHECK_EQ_INT(f.best, 9);
  CHECK(f.score > 0.999);
  CHECK(f.runner_up == 8 || f.runner_up == 10);
  CHECK(f.runner_score < f.score);
  CHECK(f.distinct <= 6 || f.distinct >= 12);
  CHECK(f.distinct_score < 0.8);
  /* The same pattern in Moscow time (UTC+3). */
  tells_petells_set_init(&s);
  for (d = 0; d < 5; d++)
    for (h = 9; h <= 18; h++) tells_petells_set_add(&s, monday_kst + 9 * 3600 - 3 * 3600 + d * 86400 + h * 3600);
  CHECK(tells_petells_set_fit(&s, &f));
  CHECK_EQ_INT(f.best, 3);
  /* Weekend-only builds fit no working week well. */
  tells_petells_set_init(&s);
  for (h = 0; h < 24; h++) tells_petells_set_add(&s, monday_kst + 5 * 86400 + 9 * 3600 + h * 3600);
  CHECK(tells_petells_set_fit(&s, &f));
  CHECK(f.score < 0.5);
  /* JSON shape. */
  tells_buf_init(&b, 1 << 16);
  tells_json_init_buf(&j, &b, 0);
  s.pe_files = 30;
  tells_petells_set_json(&s, &j);
  tells_json_flush(&j);
  CHECK(strstr(tells_buf_str(&b), "\"pe_files\":30") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"build_hours_utc\":[") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"runner_up\":{\"offset\":") != NULL);
  tells_buf_free(&b);
}

static void test_json_escapes_example(void) {
  tells_petells t;
  tells_buf b;
  tells_json j;
  memset(&t, 0, sizeof t);
  t.scripts[22].name = "Hangul";
  t.scripts[22].code_points = 5;
  t.scripts[22].runs = 1;
  strcpy(t.scripts[22].example, "\"한\\\n국\"어");
  tells_buf_init(&b, 1 << 16);
  tells_json_init_buf(&j, &b, 0);
  tells_petells_json(&t, &j);
  tells_json_flush(&j);
  CHECK(j.err == TELLS_OK);
  CHECK(strstr(tells_buf_str(&b), "\"example\":\"\\\"한\\\\\\n국\\\"어\"") != NULL);
  CHECK(strstr(tells_buf_str(&b), "\"build_time\":null") != NULL);
  tells_buf_free(&b);
}

int main(void) {
  T_RUN(test_timestamps_plain);
  T_RUN(test_timestamps_future_old_inconsistent);
  T_RUN(test_timestamps_repro);
  T_RUN(test_lang_names);
  T_RUN(test_languages_in_analyse);
  T_RUN(test_script_of);
  T_RUN(test_scripts_counting);
  T_RUN(test_scripts_noise);
  T_RUN(test_scripts_hostile_lengths);
  T_RUN(test_rich_vs_linker);
  T_RUN(test_pdb_paths);
  T_RUN(test_pdb_scripts);
  T_RUN(test_weekday_hour);
  T_RUN(test_utc_offset_fit);
  T_RUN(test_json_escapes_example);
  T_END();
}
