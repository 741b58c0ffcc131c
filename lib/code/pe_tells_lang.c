/*
** pe_tells_lang.c -- languages and writing systems of a PE's author:
** LANGID and code page names, the Unicode script of a code point, and the
** count of scripts in the UTF-16LE text runs of a file.
**
** LANGIDs are Microsoft's ([MS-LCID], "Windows Language Code Identifier
** Reference"): primary language in the low 10 bits, sublanguage above.
** Script ranges are the Unicode blocks (Unicode Standard, Blocks.txt).
*/
#include <stdio.h>
#include <string.h>
#include "pe_tells.h"
#include "rd.h"

typedef struct lang_row { uint16_t id; const char *tag, *name; } lang_row;

/* [MS-LCID] section 2.2; the 0x04xx row of a primary language comes first. */
static const lang_row langs[] = {
  {0x0000, "neutral", "Language neutral"}, {0x007f, "invariant", "Invariant"},
  {0x0400, "default", "Process default language"}, {0x0800, "system", "System default language"},
  {0x0401, "ar-SA", "Arabic"}, {0x0801, "ar-IQ", "Arabic (Iraq)"}, {0x0c01, "ar-EG", "Arabic (Egypt)"},
  {0x2801, "ar-SY", "Arabic (Syria)"}, {0x3801, "ar-AE", "Arabic (UAE)"},
  {0x0402, "bg-BG", "Bulgarian"}, {0x0403, "ca-ES", "Catalan"},
  {0x0404, "zh-TW", "Chinese (Traditional)"}, {0x0804, "zh-CN", "Chinese (Simplified)"},
  {0x0c04, "zh-HK", "Chinese (Hong Kong)"}, {0x1004, "zh-SG", "Chinese (Singapore)"},
  {0x1404, "zh-MO", "Chinese (Macao)"},
  {0x0405, "cs-CZ", "Czech"}, {0x0406, "da-DK", "Danish"},
  {0x0407, "de-DE", "German"}, {0x0807, "de-CH", "German (Switzerland)"}, {0x0c07, "de-AT", "German (Austria)"},
  {0x0408, "el-GR", "Greek"},
  {0x0409, "en-US", "English (United States)"}, {0x0809, "en-GB", "English (United Kingdom)"},
  {0x0c09, "en-AU", "English (Australia)"}, {0x1009, "en-CA", "English (Canada)"},
  {0x040a, "es-ES", "Spanish (traditional sort)"}, {0x080a, "es-MX", "Spanish (Mexico)"},
  {0x0c0a, "es-ES", "Spanish"},
  {0x040b, "fi-FI", "Finnish"}, {0x040c, "fr-FR", "French"}, {0x080c, "fr-BE", "French (Belgium)"},
  {0x0c0c, "fr-CA", "French (Canada)"}, {0x100c, "fr-CH", "French (Switzerland)"},
  {0x040d, "he-IL", "Hebrew"}, {0x040e, "hu-HU", "Hungarian"}, {0x040f, "is-IS", "Icelandic"},
  {0x0410, "it-IT", "Italian"}, {0x0411, "ja-JP", "Japanese"}, {0x0412, "ko-KR", "Korean"},
  {0x0413, "nl-NL", "Dutch"}, {0x0813, "nl-BE", "Dutch (Belgium)"},
  {0x0414, "nb-NO", "Norwegian (Bokmal)"}, {0x0814, "nn-NO", "Norwegian (Nynorsk)"},
  {0x0415, "pl-PL", "Polish"}, {0x0416, "pt-BR", "Portuguese (Brazil)"}, {0x0816, "pt-PT", "Portuguese"},
  {0x0418, "ro-RO", "Romanian"}, {0x0419, "ru-RU", "Russian"}, {0x041a, "hr-HR", "Croatian"},
  {0x081a, "sr-Latn-CS", "Serbian (Latin)"}, {0x0c1a, "sr-Cyrl-CS", "Serbian (Cyrillic)"},
  {0x041b, "sk-SK", "Slovak"}, {0x041c, "sq-AL", "Albanian"}, {0x041d, "sv-SE", "Swedish"},
  {0x041e, "th-TH", "Thai"}, {0x041f, "tr-TR", "Turkish"}, {0x0420, "ur-PK", "Urdu"},
  {0x0421, "id-ID", "Indonesian"}, {0x0422, "uk-UA", "Ukrainian"}, {0x0423, "be-BY", "Belarusian"},
  {0x0424, "sl-SI", "Slovenian"}, {0x0425, "et-EE", "Estonian"}, {0x0426, "lv-LV", "Latvian"},
  {0x0427, "lt-LT", "Lithuanian"}, {0x0428, "tg-Cyrl-TJ", "Tajik"}, {0x0429, "fa-IR", "Persian"},
  {0x042a, "vi-VN", "Vietnamese"}, {0x042b, "hy-AM", "Armenian"}, {0x042c, "az-Latn-AZ", "Azerbaijani"},
  {0x042d, "eu-ES", "Basque"}, {0x042f, "mk-MK", "Macedonian"}, {0x0436, "af-ZA", "Afrikaans"},
  {0x0437, "ka-GE", "Georgian"}, {0x0439, "hi-IN", "Hindi"}, {0x043e, "ms-MY", "Malay"},
  {0x043f, "kk-KZ", "Kazakh"}, {0x0440, "ky-KG", "Kyrgyz"}, {0x0441, "sw-KE", "Swahili"},
  {0x0442, "tk-TM", "Turkmen"}, {0x0443, "uz-Latn-UZ", "Uzbek"}, {0x0445, "bn-IN", "Bengali"},
  {0x0446, "pa-IN", "Punjabi"}, {0x0447, "gu-IN", "Gujarati"}, {0x0449, "ta-IN", "Tamil"},
  {0x044a, "te-IN", "Telugu"}, {0x0450, "mn-MN", "Mongolian"}, {0x0463, "ps-AF", "Pashto"},
  {0x0464, "fil-PH", "Filipino"}, {0x0465, "dv-MV", "Divehi"}, {0x0468, "ha-Latn-NG", "Hausa"},
  {0x048c, "prs-AF", "Dari"},
};

int tells_petells_lang_name(uint16_t id, char *out, size_t n) {
  size_t i;
  const lang_row *prim = NULL;
  for (i = 0; i < sizeof langs / sizeof *langs; i++) {
    if (langs[i].id == id) { snprintf(out, n, "%s %s", langs[i].tag, langs[i].name); return 1; }
    if (!prim && (langs[i].id & 0x3ff) == (id & 0x3ff) && (id & 0x3ff) != 0) prim = &langs[i];
  }
  if (prim) {   /* known primary language, other sublanguage */
    const char *dash = strchr(prim->tag, '-');
    int k = dash ? (int)(dash - prim->tag) : (int)strlen(prim->tag);
    snprintf(out, n, "%.*s %s (sublanguage 0x%02x)", k, prim->tag, prim->name, id >> 10);
    return 1;
  }
  snprintf(out, n, "unknown 0x%04x", id);
  return 0;
}

int tells_petells_lang_weak(uint16_t id) {
  /* LANG_NEUTRAL with any sublanguage, invariant, and en-US: the defaults
  ** of resource editors and compilers, not a choice of the author. */
  return (id & 0x3ff) == 0 || id == 0x007f || id == 0x0409;
}

const char *tells_petells_codepage_name(uint32_t cp) {
  switch (cp) {
  case 0: return "neutral";
  case 437: return "OEM United States";
  case 866: return "OEM Russian";
  case 874: return "Thai";
  case 932: return "Japanese (Shift-JIS)";
  case 936: return "Chinese Simplified (GBK)";
  case 949: return "Korean (Unified Hangul Code)";
  case 950: return "Chinese Traditional (Big5)";
  case 1200: return "Unicode (UTF-16LE)";
  case 1250: return "Central European";
  case 1251: return "Cyrillic";
  case 1252: return "Western European";
  case 1253: return "Greek";
  case 1254: return "Turkish";
  case 1255: return "Hebrew";
  case 1256: return "Arabic";
  case 1257: return "Baltic";
  case 1258: return "Vietnamese";
  case 1361: return "Korean (Johab)";
  case 20866: return "Cyrillic (KOI8-R)";
  case 65001: return "Unicode (UTF-8)";
  default: return NULL;
  }
}

/* ---- scripts ------------------------------------------------------------ */

static const char *const script_names[TELLS_PETELLS_N_SCRIPTS] = {
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana",
  "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Tamil", "Telugu", "Kannada", "Malayalam",
  "Sinhala", "Thai", "Lao", "Tibetan", "Myanmar", "Georgian", "Hangul", "Ethiopic",
  "Khmer", "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han", "Yi", "Oriya"
};
enum { S_LATIN, S_GREEK, S_CYRILLIC, S_ARMENIAN, S_HEBREW, S_ARABIC, S_SYRIAC, S_THAANA,
       S_DEVANAGARI, S_BENGALI, S_GURMUKHI, S_GUJARATI, S_TAMIL, S_TELUGU, S_KANNADA, S_MALAYALAM,
       S_SINHALA, S_THAI, S_LAO, S_TIBETAN, S_MYANMAR, S_GEORGIAN, S_HANGUL, S_ETHIOPIC,
       S_KHMER, S_MONGOLIAN, S_HIRAGANA, S_KATAKANA, S_BOPOMOFO, S_HAN, S_YI, S_ORIYA };
#define COMMON (-1)
#define NOTEXT (-2)

typedef struct range { uint32_t lo, hi; int script; } range;

/* Unicode blocks, sorted by start. */
static const range ranges[] = {
  {0x0009, 0x000a, COMMON}, {0x000d, 0x000d, COMMON}, {0x0020, 0x007e, COMMON},
  {0x00a0, 0x00bf, COMMON}, {0x00c0, 0x00d6, S_LATIN}, {0x00d7, 0x00d7, COMMON},
  {0x00d8, 0x00f6, S_LATIN}, {0x00f7, 0x00f7, COMMON}, {0x00f8, 0x024f, S_LATIN},
  {0x0250, 0x02ff, COMMON}, {0x0300, 0x036f, COMMON}, {0x0370, 0x03ff, S_GREEK},
  {0x0400, 0x052f, S_CYRILLIC}, {0x0530, 0x058f, S_ARMENIAN}, {0x0590, 0x05ff, S_HEBREW},
  {0x0600, 0x06ff, S_ARABIC}, {0x0700, 0x074f, S_SYRIAC}, {0x0750, 0x077f, S_ARABIC},
  {0x0780, 0x07bf, S_THAANA}, {0x08a0, 0x08ff, S_ARABIC}, {0x0900, 0x097f, S_DEVANAGARI},
  {0x0980, 0x09ff, S_BENGALI}, {0x0a00, 0x0a7f, S_GURMUKHI}, {0x0a80, 0x0aff, S_GUJARATI},
  {0x0b00, 0x0b7f, S_ORIYA}, {0x0b80, 0x0bff, S_TAMIL}, {0x0c00, 0x0c7f, S_TELUGU},
  {0x0c80, 0x0cff, S_KANNADA}, {0x0d00, 0x0d7f, S_MALAYALAM}, {0x0d80, 0x0dff, S_SINHALA},
  {0x0e00, 0x0e7f, S_THAI}, {0x0e80, 0x0eff, S_LAO}, {0x0f00, 0x0fff, S_TIBETAN},
  {0x1000, 0x109f, S_MYANMAR}, {0x10a0, 0x10ff, S_GEORGIAN}, {0x1100, 0x11ff, S_HANGUL},
  {0x1200, 0x137f, S_ETHIOPIC}, {0x1780, 0x17ff, S_KHMER}, {0x1800, 0x18af, S_MONGOLIAN},
  {0x1e00, 0x1eff, S_LATIN}, {0x1f00, 0x1fff, S_GREEK}, {0x2000, 0x206f, COMMON},
  {0x20a0, 0x20cf, COMMON}, {0x2100, 0x23ff, COMMON}, {0x2460, 0x27bf, COMMON},
  {0x2de0, 0x2dff, S_CYRILLIC}, {0x3000, 0x303f, COMMON}, {0x3040, 0x309f, S_HIRAGANA},
  {0x30a0, 0x30ff, S_KATAKANA}, {0x3100, 0x312f, S_BOPOMOFO}, {0x3130, 0x318f, S_HANGUL},
  {0x31a0, 0x31bf, S_BOPOMOFO}, {0x31f0, 0x31ff, S_KATAKANA}, {0x3200, 0x33ff, COMMON},
  {0x4e00, 0x9fff, S_HAN}, {0xa000, 0xa4cf, S_YI},
  {0xa640, 0xa69f, S_CYRILLIC}, {0xa960, 0xa97f, S_HANGUL}, {0xac00, 0xd7af, S_HANGUL},
  {0xd7b0, 0xd7ff, S_HANGUL}, {0xf900, 0xfaff, S_HAN}, {0xfb1d, 0xfb4f, S_HEBREW},
  {0xfb50, 0xfdff, S_ARABIC}, {0xfe30, 0xfe4f, COMMON}, {0xfe70, 0xfefe, S_ARABIC},
  {0xff01, 0xff64, COMMON}, {0xff65, 0xff9f, S_KATAKANA}, {0xffa0, 0xffdc, S_HANGUL},
  {0xffe0, 0xffee, COMMON}, {0x1f000, 0x1faff, COMMON}, {0x20000, 0x2fa1f, S_HAN},
  {0x30000, 0x3134f, S_HAN},
};

int tells_petells_script_of(uint32_t cp) {
  size_t lo = 0, hi = sizeof ranges / sizeof *ranges;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < ranges[mid].lo) hi = mid;
    else if (cp > ranges[mid].hi) lo = mid + 1;
    else return ranges[mid].script;
  }
  return NOTEXT;
}

const char *tells_petells_script_name(int s) {
  return s >= 0 && s < TELLS_PETELLS_N_SCRIPTS ? script_names[s] : NULL;
}

/* ---- UTF-16LE runs -------------------------------------------------------
** A run is a sequence of text code points (tells_petells_script_of() >=
** COMMON) that starts right after a boundary unit (U+0000..U+001F other
** than tab, CR, LF: a terminator or the length prefix of a counted string)
** or at the start of the region, and ends at a boundary unit or the end of
** the region.  A run counts when it looks like a string, not a table:
**   - TELLS_PETELLS_MIN_RUN code points or more, of which at least four in
**     a script, five with Han (Han alone covers a third of all 16-bit
**     values, Hangul a sixth: binary tables give short runs of them; for
**     the same reason CJK Extension A, rare in text, is not text here);
**   - one writing system: one script, or Han with two or more kana;
**   - not 8-bit text read as UTF-16: three quarters of the units or more
**     made of printable ASCII or NUL bytes;
**   - not a table of 32-bit values (every other unit the same, other than
**     a space) and no code point making more than half of the script ones.
** The checks on repetition look at the first TELLS_PETELLS_EXAMPLE code
** points.  Short words (two or three letters) are missed on purpose. */

typedef struct run {
  uint64_t off;            /* file offset of the first unit */
  uint32_t len, in_script;
  uint32_t counts[TELLS_PETELLS_N_SCRIPTS];
  uint32_t seen;           /* bit per script present */
  uint32_t ascii_units;    /* units made of printable ASCII bytes (or "x\0") */
  uint32_t cps[TELLS_PETELLS_EXAMPLE]; uint32_t n_cps;
} run;

/* One script, or Japanese: Han with at least two Hiragana/Katakana. */
static int one_system(const run *r) {
  const uint32_t kana = 1u << S_HIRAGANA | 1u << S_KATAKANA;
  if (!(r->seen & (r->seen - 1))) return 1;
  return (r->seen & ~(kana | 1u << S_HAN)) == 0 &&
         r->counts[S_HIRAGANA] + r->counts[S_KATAKANA] >= 2;
}

/* Printable ASCII, tab, CR, LF: 8-bit text read as UTF-16 by mistake is
** made of such bytes only (its units land in the CJK blocks). */
static int ascii_byte(uint8_t b) { return (b >= 0x20 && b <= 0x7e) || b == 9 || b == 10 || b == 13; }

static size_t utf8_put(char *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f)); return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f)); return 4;
}

static int table_like(const run *r) {
  uint32_t i, k, n = r->n_cps, in = 0, top = 0;
  if (n >= 4) {
    uint32_t m = n < 8 ? n : 8;
    for (k = 0; k < 2; k++) {
      int same = r->cps[k] != 0x20;
      for (i = k + 2; i < m && same; i += 2) same = r->cps[i] == r->cps[k];
      if (same) return 1;
    }
  }
  for (i = 0; i < n; i++) {
    uint32_t c = 0;
    if (tells_petells_script_of(r->cps[i]) < 0) continue;
    in++;
    for (k = 0; k < n; k++) c += r->cps[k] == r->cps[i];
    if (c > top) top = c;
  }
  return in >= 3 && 2 * top > in;
}

static void run_end(run *r, tells_petells_script *out) {
  int s;
  uint32_t i;
  uint32_t need = (r->seen & (1u << S_HAN)) ? 5 : 4;
  if (r->len < TELLS_PETELLS_MIN_RUN || r->in_script < need || !one_system(r))
    return;
  if ((uint64_t)r->ascii_units * 4 >= (uint64_t)r->len * 3) return;   /* 8-bit text */
  if (table_like(r)) return;
  for (s = 0; s < TELLS_PETELLS_N_SCRIPTS; s++) {
    if (!r->counts[s]) continue;
    out[s].name = script_names[s];
    out[s].code_points += r->counts[s];
    out[s].runs++;
    if (!out[s].example[0]) {
      size_t n = 0;
      for (i = 0; i < r->n_cps; i++) n += utf8_put(out[s].example + n, r->cps[i]);
      out[s].example[n] = 0;
      out[s].example_off = r->off;
    }
  }
}

static void run_reset(run *r) {
  int s;
  if (r->seen)
    for (s = 0; s < TELLS_PETELLS_N_SCRIPTS; s++) r->counts[s] = 0;
  r->len = r->in_script = r->seen = 0;
  r->ascii_units = 0;
  r->n_cps = 0;
}

uint64_t tells_petells_scan_utf16(const uint8_t *buf, size_t len, uint64_t base,
                                  tells_petells_script *out) {
  run r;
  size_t i = (base & 1) ? 1 : 0;   /* UTF-16 text sits on even file offsets */
  int in_run = 0, after_boundary = 1;
  memset(&r, 0, sizeof r);
  run_reset(&r);
  while (len >= 2 && i <= len - 2) {
    uint32_t u = tells_ld16le(buf + i), cp = u;
    size_t step = 2;
    int s;
    if (u < 0x20 && u != 9 && u != 10 && u != 13) {
      if (in_run) { run_end(&r, out); run_reset(&r); in_run = 0; }
      after_boundary = 1;
      i += 2;
      continue;
    }
    if (u >= 0xd800 && u <= 0xdbff && len - i >= 4) {
      uint32_t lo = tells_ld16le(buf + i + 2);
      if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00); step = 4; }
    }
    s = (cp >= 0xd800 && cp <= 0xdfff) ? NOTEXT : tells_petells_script_of(cp);
    if (s == NOTEXT || (!in_run && !after_boundary)) {
      if (in_run) { run_reset(&r); in_run = 0; }   /* not a string: dropped */
      after_boundary = 0;
      i += step;
      continue;
    }
    if (!in_run) { in_run = 1; r.off = base + i; }
    if (step == 2 && (ascii_byte(buf[i]) || buf[i] == 0) && (ascii_byte(buf[i + 1]) || buf[i + 1] == 0) &&
        r.ascii_units < UINT32_MAX)
      r.ascii_units++;
    if (r.len < UINT32_MAX) r.len++;
    if (s >= 0) {
      if (r.counts[s] < UINT32_MAX) r.counts[s]++;
      if (r.in_script < UINT32_MAX) r.in_script++;
      r.seen |= 1u << s;
    }
    if (r.n_cps < TELLS_PETELLS_EXAMPLE) r.cps[r.n_cps++] = cp;
    after_boundary = 0;
    i += step;
  }
  if (in_run) run_end(&r, out);
  return len;
}
