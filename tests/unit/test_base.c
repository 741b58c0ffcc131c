/*
** test_base.c -- the cursor, arena, buffer, anomaly list and JSON writer.
*/
#include <stdint.h>
#include "anom.h"
#include "arena.h"
#include "buf.h"
#include "json.h"
#include "rd.h"
#include "t.h"

static void test_rd_reads_and_sticks(void) {
  static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  tells_rd r = tells_rd_make(b, sizeof b, 100);
  CHECK_EQ_INT(tells_rd_u16le(&r), 0x0201);
  CHECK_EQ_INT(tells_rd_u16be(&r), 0x0304);
  CHECK_EQ_INT(tells_rd_u32le(&r), 0x08070605);
  CHECK_EQ_INT(tells_rd_u32le(&r), 0);   /* 1 byte left: short read */
  CHECK_EQ_INT(r.err, TELLS_ETRUNC);
  CHECK_EQ_INT(r.err_off, 108);         /* absolute offset of the failure */
  CHECK_EQ_INT(tells_rd_u8(&r), 0);     /* sticky, even though 1 byte is left */
  CHECK_EQ_INT(tells_rd_left(&r), 0);
}

static void test_rd_sub_cannot_see_past_parent(void) {
  static const uint8_t b[16] = {0};
  tells_rd r = tells_rd_make(b, sizeof b, 0);
  tells_rd c = tells_rd_sub(&r, 4, 8);
  CHECK(tells_rd_ok(&c));
  CHECK_EQ_INT(c.base, 4);
  CHECK_EQ_INT(tells_rd_u64le(&c), 0);
  CHECK_EQ_INT(tells_rd_u8(&c), 0);
  CHECK_EQ_INT(c.err, TELLS_ETRUNC);    /* child ended at 12 */
  CHECK(tells_rd_ok(&r));               /* parent unaffected */
  c = tells_rd_sub(&r, 10, SIZE_MAX);   /* would overflow off + n */
  CHECK_EQ_INT(c.err, TELLS_ETRUNC);
  c = tells_rd_sub(&r, SIZE_MAX, 1);
  CHECK_EQ_INT(c.err, TELLS_ETRUNC);
  CHECK(tells_rd_ok(&r));
  tells_rd_skip(&r, 10);
  c = tells_rd_take(&r, 7);             /* only 6 left */
  CHECK(!tells_rd_ok(&c));
  CHECK(!tells_rd_ok(&r));
  CHECK(tells_fits(10, 2, 8));
  CHECK(!tells_fits(10, 3, 8));
  CHECK(!tells_fits(10, 11, 0));
  CHECK(!tells_fits(UINT64_MAX, 2, UINT64_MAX));
}

static void test_rd_corrupt_records_place(void) {
  static const uint8_t b[4] = {0};
  tells_rd r = tells_rd_make(b, sizeof b, 0x40);
  tells_rd_skip(&r, 2);
  TELLS_CORRUPT(&r);
  CHECK_EQ_INT(r.err, TELLS_ECORRUPT);
  CHECK_EQ_INT(r.err_off, 0x42);
  CHECK(r.err_file && strstr(r.err_file, "test_base.c"));
  CHECK(r.err_line > 0);
}

static void test_arena_caps_memory(void) {
  tells_arena a;
  int i, got_null = 0;
  tells_arena_init(&a, 1 << 20);
  for (i = 0; i < 100; i++)
    if (!tells_arena_alloc(&a, 100000)) got_null = 1;
  CHECK(got_null);
  CHECK(a.used <= a.cap);
  CHECK(tells_arena_alloc(&a, (size_t)-1) == NULL);
  tells_arena_free(&a);
  CHECK(a.used == 0);
  {
    char *s = tells_arena_strndup(&a, "hello", 3);
    CHECK_EQ_STR(s, "hel");
    CHECK(((uintptr_t)tells_arena_alloc(&a, 1) & 15) == 0);
  }
  tells_arena_free(&a);
}

static void test_buf_limit(void) {
  tells_buf b;
  tells_buf_init(&b, 10);
  CHECK_EQ_INT(tells_buf_adds(&b, "12345"), TELLS_OK);
  CHECK_EQ_INT(tells_buf_addf(&b, "%d", 6789), TELLS_OK);
  CHECK_EQ_INT(tells_buf_adds(&b, "abc"), TELLS_ELIMIT);
  CHECK_EQ_STR(tells_buf_str(&b), "123456789");
  CHECK_EQ_INT(tells_buf_adds(&b, "x"), TELLS_ELIMIT); /* sticky */
  tells_buf_free(&b);
}

static void test_anoms_bounded(void) {
  tells_anoms l;
  int i;
  tells_anoms_init(&l);
  for (i = 0; i < TELLS_MAX_ANOMALIES_PER_FILE + 50; i++)
    tells_anom_add(&l, (uint64_t)i, "test", "anomaly %d", i);
  CHECK_EQ_INT(l.n, TELLS_MAX_ANOMALIES_PER_FILE);
  CHECK_EQ_INT(l.dropped, 50);
  CHECK_EQ_INT(tells_anoms_total(&l), TELLS_MAX_ANOMALIES_PER_FILE + 50);
  CHECK_EQ_STR(l.v[7].detail, "anomaly 7");
  tells_anoms_free(&l);
}

static const char *js(const void *s, size_t n, int flags) {
  static tells_buf b;
  tells_buf_free(&b);
  tells_buf_init(&b, 0);
  tells_json_escape(&b, s, n, flags);
  return tells_buf_str(&b);
}

static void test_json_escapes_bytes(void) {
  CHECK_EQ_STR(js("a\"b\\c\n\x01", 7, 0), "a\\\"b\\\\c\\n\\u0001");
  CHECK_EQ_STR(js("caf\xc3\xa9", 5, 0), "caf\xc3\xa9");            /* valid UTF-8 */
  CHECK_EQ_STR(js("\xed\x95\x9c", 3, 0), "\xed\x95\x9c");          /* Hangul */
  CHECK_EQ_STR(js("a\xff" "b", 3, 0), "a\\udcffb");                /* invalid byte */
  CHECK_EQ_STR(js("\xc0\xaf", 2, 0), "\\udcc0\\udcaf");            /* overlong */
  CHECK_EQ_STR(js("\xed\xa0\x80", 3, 0), "\\udced\\udca0\\udc80"); /* surrogate */
  CHECK_EQ_STR(js("\xe2\x82", 2, 0), "\\udce2\\udc82");            /* truncated */
  CHECK_EQ_STR(js("\xf4\x90\x80\x80", 4, 0), "\\udcf4\\udc90\\udc80\\udc80");
  CHECK_EQ_STR(js("a\0b", 3, 0), "a\\u0000b");                     /* NUL kept */
  CHECK_EQ_STR(js("</script>&'", 11, TELLS_JSON_HTML),
               "\\u003c/script\\u003e\\u0026\\u0027");
  CHECK_EQ_STR(js("\xe2\x80\xa8", 3, TELLS_JSON_HTML), "\\u2028");
}

static void test_json_structure(void) {
  tells_buf b;
  tells_json j;
  tells_buf_init(&b, 0);
  tells_json_init_buf(&j, &b, 0);
  tells_json_obj(&j);
  tells_json_kstr(&j, "k", "v");
  tells_json_key(&j, "a");
  tells_json_arr(&j);
  tells_json_i64(&j, -1);
  tells_json_i64(&j, INT64_MIN);
  tells_json_i64(&j, 0);
  tells_json_u64(&j, 18446744073709551615ull);
  tells_json_null(&j);
  tells_json_bool(&j, 1);
  tells_json_obj(&j);
  tells_json_obj_end(&j);
  tells_json_arr_end(&j);
  tells_json_key(&j, "d");
  tells_json_dbl(&j, 0.5);
  tells_json_obj_end(&j);
  tells_json_nl(&j);
  CHECK_EQ_INT(tells_json_flush(&j), TELLS_OK);
  CHECK_EQ_STR(tells_buf_str(&b),
               "{\"k\":\"v\",\"a\":[-1,-9223372036854775808,0,18446744073709551615,null,true,{}],\"d\":0.5}\n");
  tells_buf_free(&b);
}

static void test_json_depth_capped(void) {
  tells_buf b;
  tells_json j;
  int i;
  tells_buf_init(&b, 0);
  tells_json_init_buf(&j, &b, 0);
  for (i = 0; i < TELLS_MAX_JSON_DEPTH + 5; i++) tells_json_arr(&j);
  CHECK_EQ_INT(j.err, TELLS_ELIMIT);
  tells_buf_free(&b);
}

static void test_strerror(void) {
  CHECK_EQ_STR(tells_strerror(TELLS_OK), "success");
  CHECK_EQ_STR(tells_strerror(TELLS_ETRUNC), "truncated input");
  CHECK_EQ_STR(tells_strerror((tells_err)-999), "unknown error");
  CHECK_EQ_STR(tells_kind_name(TELLS_KIND_PCAPNG), "pcapng");
  CHECK_EQ_STR(tells_kind_pillar(TELLS_KIND_EVTX), "logs");
}

int main(void) {
  T_RUN(test_rd_reads_and_sticks);
  T_RUN(test_rd_sub_cannot_see_past_parent);
  T_RUN(test_rd_corrupt_records_place);
  T_RUN(test_arena_caps_memory);
  T_RUN(test_buf_limit);
  T_RUN(test_anoms_bounded);
  T_RUN(test_json_escapes_bytes);
  T_RUN(test_json_structure);
  T_RUN(test_json_depth_capped);
  T_RUN(test_strerror);
  T_END();
}
