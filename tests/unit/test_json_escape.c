/*
** test_json_escape.c -- the JSON writer's string escaping (lib/base/json.c)
** against a reference written here from the rules in json.h: fixed cases,
** random byte strings of every length in both modes, strings that land at
** every position of the writer's 8 KiB block (direct and flushing paths),
** and tells_json_escape() agreeing with the writer; strings that end, or
** start, at a page with no access behind or before them (nothing may be
** read past either end); with the AVX-512 path of the
** plain-byte scan and without it, when the CPU has it.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "buf.h"
#include "json.h"
#include "t.h"

/* Length of a valid UTF-8 sequence at s (RFC 3629), its code point in *cp;
** 0 if none. */
static size_t ref_utf8(const unsigned char *s, size_t n, unsigned long *cp) {
  size_t len, i;
  unsigned long v, min;
  if (s[0] >= 0xc0 && s[0] < 0xe0) { len = 2; v = s[0] & 0x1f; min = 0x80; }
  else if (s[0] >= 0xe0 && s[0] < 0xf0) { len = 3; v = s[0] & 0x0f; min = 0x800; }
  else if (s[0] >= 0xf0 && s[0] < 0xf8) { len = 4; v = s[0] & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

static void ref_escape(tells_buf *b, const unsigned char *s, size_t n, int html) {
  size_t i = 0;
  char t[8];
  tells_buf_add(b, "\"", 1);
  while (i < n) {
    unsigned c = s[i];
    unsigned long cp;
    size_t k;
    if (c >= 0x80) {
      k = ref_utf8(s + i, n - i, &cp);
      if (k && html && (cp == 0x2028 || cp == 0x2029)) {
        snprintf(t, sizeof t, "\\u%04lx", cp); tells_buf_add(b, t, 6);
      } else if (k) {
        tells_buf_add(b, s + i, k);
      } else {
        snprintf(t, sizeof t, "\\udc%02x", c); tells_buf_add(b, t, 6); k = 1;
      }
      i += k;
      continue;
    }
    if (c == '"') tells_buf_add(b, "\\\"", 2);
    else if (c == '\\') tells_buf_add(b, "\\\\", 2);
    else if (c == '\n') tells_buf_add(b, "\\n", 2);
    else if (c == '\r') tells_buf_add(b, "\\r", 2);
    else if (c == '\t') tells_buf_add(b, "\\t", 2);
    else if (c == '\b') tells_buf_add(b, "\\b", 2);
    else if (c == '\f') tells_buf_add(b, "\\f", 2);
    else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&' || c == '\''))) {
      snprintf(t, sizeof t, "\\u%04x", c); tells_buf_add(b, t, 6);
    } else tells_buf_add(b, s + i, 1);
    i++;
  }
  tells_buf_add(b, "\"", 1);
}

/* The writer's text for s after `pad` bytes of filler, without the filler. */
static int same_as_ref(const unsigned char *s, size_t n, int html, size_t pad) {
  tells_buf got, want;
  tells_json j;
  int ok;
  char *fill = malloc(pad + 1);
  tells_buf_init(&got, 0); tells_buf_init(&want, 0);
  tells_json_init_buf(&j, &got, html ? TELLS_JSON_HTML : 0);
  tells_json_arr(&j);
  if (pad) {   /* raw filler moves the string's start within out[] */
    memset(fill, 'x', pad);
    tells_json_raw(&j, fill, pad);
  }
  tells_json_strn(&j, s, n);
  tells_json_arr_end(&j);
  tells_json_flush(&j);
  tells_buf_add(&want, "[", 1);
  tells_buf_add(&want, fill, pad);
  if (pad) tells_buf_add(&want, ",", 1);
  ref_escape(&want, s, n, html);
  tells_buf_add(&want, "]", 1);
  ok = got.n == want.n && memcmp(got.p, want.p, got.n) == 0;
  if (ok) {   /* the buffer escaper must agree (without quotes) */
    tells_buf e;
    tells_buf_init(&e, 0);
    tells_json_escape(&e, s, n, html ? TELLS_JSON_HTML : 0);
    ok = e.n + 2 + pad + (pad ? 1 : 0) + 2 == want.n &&
         (e.n == 0 || memcmp(e.p, want.p + 2 + pad + (pad ? 1 : 0), e.n) == 0);
    tells_buf_free(&e);
  }
  tells_buf_free(&got); tells_buf_free(&want);
  free(fill);
  return ok;
}

static void test_fixed(void) {
  static const char *const v[] = {
    "", "plain ascii text that is longer than sixteen bytes", "a\"b\\c\n\r\t\b\f\x01\x1f\x7f",
    "caf\xc3\xa9", "\xe2\x82\xac euro", "\xf0\x9f\x98\x80 emoji", "\xff\xfe", "\xc0\xaf overlong",
    "\xe0\x80\xaf", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 past max", "\xe2\x80\xa8 \xe2\x80\xa9",
    "trunc \xe2\x82", "trunc \xf0\x9f\x98", "<script>&'</script>", "0123456789abcdef\"0123456789abcdef\\",
    "0123456789abcde\xc3\xa9" "0123456789abcdef", "01234567\x80", "0123456\x22" "89",
  };
  size_t i;
  for (i = 0; i < sizeof v / sizeof v[0]; i++) {
    CHECK(same_as_ref((const unsigned char *)v[i], strlen(v[i]), 0, 0));
    CHECK(same_as_ref((const unsigned char *)v[i], strlen(v[i]), 1, 0));
  }
}

static unsigned long rnd_state = 12345;
static unsigned rnd(void) {
  rnd_state = rnd_state * 6364136223846793005ul + 1442695040888963407ul;
  return (unsigned)(rnd_state >> 33);
}

/* Random strings, mostly plain with escapes, UTF-8 and stray bytes mixed in. */
static void fill_rnd(unsigned char *s, size_t n) {
  static const unsigned char odd[] = {'"', '\\', '\n', 0, 0x1f, 0x7f, '<', '&', '\'', 0x80, 0xbf,
                                      0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0xed, 0xf0, 0x9f, 0xff};
  size_t i;
  unsigned mix = rnd() % 4;
  for (i = 0; i < n; i++) {
    unsigned r = rnd() % 64;
    if (mix == 0 || r > 8 * mix) s[i] = (unsigned char)(0x20 + rnd() % 0x5f);
    else if (r % 3 == 0) s[i] = (unsigned char)(rnd() & 0xff);
    else s[i] = odd[rnd() % sizeof odd];
  }
}

static void test_random(void) {
  unsigned char s[300];
  size_t n, k, bad = 0;
  for (n = 0; n < sizeof s; n++)
    for (k = 0; k < 40; k++) {
      fill_rnd(s, n);
      if (!same_as_ref(s, n, (int)(k & 1), 0)) bad++;
    }
  CHECK_EQ_INT(bad, 0);
}

/* Strings placed at every position around the end of the 8 KiB block, and
** longer than the block, so both the direct and the flushing path run. */
static void test_block_edges(void) {
  unsigned char *s = malloc(20000);
  size_t pad, bad = 0, n;
  for (pad = 8192 - 700; pad < 8192 + 20; pad++) {
    n = 1 + rnd() % 160;
    fill_rnd(s, n);
    if (!same_as_ref(s, n, (int)(pad & 1), pad)) bad++;
  }
  for (n = 8000; n < 20000; n += 1999) {
    fill_rnd(s, n);
    if (!same_as_ref(s, n, 0, 100)) bad++;
    if (!same_as_ref(s, n, 1, 0)) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  free(s);
}

/* Strings that end right before an inaccessible page, and that start right
** after one: a block read past either edge would fault. */
static void test_page_edges(void) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), n, bad = 0;
  unsigned char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  if (m == MAP_FAILED) return;
  CHECK_EQ_INT(mprotect(m, pg, PROT_NONE), 0);
  CHECK_EQ_INT(mprotect(m + 2 * pg, pg, PROT_NONE), 0);
  for (n = 0; n <= 80; n++) {
    unsigned char *end = m + 2 * pg - n, *start = m + pg;
    fill_rnd(end, n);
    if (!same_as_ref(end, n, (int)(n & 1), n % 7)) bad++;
    memset(end, 'a', n);                 /* plain: the block path all the way */
    if (!same_as_ref(end, n, 0, 0)) bad++;
    fill_rnd(start, n);
    if (!same_as_ref(start, n, (int)(n & 1), n % 5)) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  munmap(m, 3 * pg);
}

int main(void) {
  int simd = tells__json_simd(1), pass;
  for (pass = 0; pass < (simd ? 2 : 1); pass++) {   /* AVX-512 when there, then without */
    if (pass) tells__json_simd(0);
    T_RUN(test_fixed);
    T_RUN(test_random);
    T_RUN(test_block_edges);
    T_RUN(test_page_edges);
  }
  T_END();
}
