/*
** test_intake.c -- content sniffing, the read-only mapping and its guard
** against files that shrink while mapped, path handling, and case opening.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "case_api.h"
#include "map.h"
#include "sniff.h"
#include "t.h"
#include "walk.h"

static void test_sniff_kinds(void) {
  uint8_t pe[256] = {'M', 'Z'};
  const char *why;
  pe[0x3c] = 0x80;
  memcpy(pe + 0x80, "PE\0\0", 4);
  CHECK_EQ_INT(tells_sniff(pe, sizeof pe, NULL), TELLS_KIND_PE);
  pe[0x3c] = 0xff; pe[0x3d] = 0xff;   /* e_lfanew past the end */
  CHECK_EQ_INT(tells_sniff(pe, sizeof pe, &why), TELLS_KIND_NONE);
  CHECK_EQ_STR(why, "DOS executable without a valid PE header");
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x7f" "ELF\x02\x01", 6, NULL), TELLS_KIND_ELF);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x7f" "ELF\x03\x01", 6, NULL), TELLS_KIND_NONE);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\xd4\xc3\xb2\xa1", 4, NULL), TELLS_KIND_PCAP);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\xa1\xb2\xc3\xd4", 4, NULL), TELLS_KIND_PCAP);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x4d\x3c\xb2\xa1", 4, NULL), TELLS_KIND_PCAP);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\xa1\xb2\x3c\x4d", 4, NULL), TELLS_KIND_PCAP);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a", 12, NULL),
               TELLS_KIND_PCAPNG);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x0a\x0d\x0d\x0a\0\0\0\x1c\x1a\x2b\x3c\x4d", 12, NULL),
               TELLS_KIND_PCAPNG);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"\x0a\x0d\x0d\x0a\0\0\0\x1c\x1a\x2b\x3c\x4e", 12, &why),
               TELLS_KIND_NONE);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"ElfFile\0rest", 12, NULL), TELLS_KIND_EVTX);
  CHECK_EQ_INT(tells_sniff((const uint8_t *)"", 0, &why), TELLS_KIND_NONE);
  CHECK_EQ_STR(why, "empty file");
  tells_sniff((const uint8_t *)"\x1f\x8b\x08", 3, &why);
  CHECK(strstr(why, "gzip") != NULL);
  tells_sniff((const uint8_t *)"{\"a\":1}\n", 8, &why);
  CHECK(strstr(why, "JSON") != NULL);
  tells_sniff((const uint8_t *)"\x01\x02\x03", 3, &why);
  CHECK_EQ_STR(why, "unrecognised binary format");
}

static void test_map_guard_file_shrinks(void) {
  char path[] = "/tmp/tells-map-XXXXXX";
  int fd = mkstemp(path);
  static uint8_t block[1 << 20];
  tells_map m;
  size_t i;
  unsigned sum = 0;
  CHECK(fd >= 0);
  memset(block, 'A', sizeof block);
  CHECK(write(fd, block, sizeof block) == (ssize_t)sizeof block);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK_EQ_INT(m.len, sizeof block);
  CHECK(ftruncate(fd, 4096) == 0);   /* another process shrinks the file */
  for (i = 0; i < m.len; i += 4096) sum += m.p[i];  /* would SIGBUS unguarded */
  CHECK_EQ_INT(sum, 'A');            /* first page survives, the rest reads 0 */
  CHECK_EQ_INT(tells_map_close(&m), TELLS_ECHANGED);
  close(fd);
  unlink(path);
}

static void test_map_errors(void) {
  tells_map m;
  CHECK_EQ_INT(tells_map_open("/nonexistent/tells", &m), TELLS_ENOENT);
  CHECK_EQ_INT(tells_map_open("/tmp", &m), TELLS_ENOTREG);
}

static void test_map_unchanged(void) {
  char path[] = "/tmp/tells-map-XXXXXX";
  int fd = mkstemp(path);
  tells_map m;
  CHECK(write(fd, "hello", 5) == 5);
  close(fd);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK(m.len == 5 && memcmp(m.p, "hello", 5) == 0);
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(path);
}

static void test_abspath(void) {
  char *p = tells_abspath("/a//b/./c/");
  CHECK_EQ_STR(p, "/a/b/c");
  free(p);
  p = tells_abspath("/");
  CHECK_EQ_STR(p, "/");
  free(p);
  p = tells_abspath("x");
  CHECK(p && p[0] == '/' && strstr(p, "/x"));
  free(p);
}

static void test_case_open_errors(void) {
  char path[64] = "/tmp/tells-case-XXXXXX";
  int fd = mkstemp(path);
  tells_case *c = NULL;
  static const char text[] = "not a database, just text that is long enough to be a header";
  CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
  close(fd);
  CHECK_EQ_INT(tells_case_open(path, 0, &c), TELLS_ENOTCASE);
  CHECK(c == NULL);
  unlink(path);
  /* a fresh case, then one that claims a schema from the future */
  CHECK_EQ_INT(tells_case_open(path, 0, &c), TELLS_OK);
  tells_case_close(c);
  CHECK_EQ_INT(tells_case_open(path, 1, &c), TELLS_OK);
  tells_case_close(c);
  {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sqlite3 %s 'pragma user_version=99' 2>/dev/null", path);
    if (system(cmd) == 0) {
      CHECK_EQ_INT(tells_case_open(path, 1, &c), TELLS_ESCHEMA);
    }
  }
  unlink(path);
  snprintf(path + strlen(path), 8, "-wal");
  unlink(path);
}

static void test_time_format(void) {
  char b[40];
  tells_time_fmt(0, b);
  CHECK_EQ_STR(b, "1970-01-01T00:00:00Z");
  tells_time_fmt(1416819600500000000ll, b);
  CHECK_EQ_STR(b, "2014-11-24T09:00:00.5Z");
  tells_time_fmt(-1, b);
  CHECK_EQ_STR(b, "1969-12-31T23:59:59.999999999Z");
}

static int g_fail_at, g_calls;
static void *failing_alloc(void *ud, void *ptr, size_t size) {
  (void)ud;
  if (size == 0) { free(ptr); return NULL; }
  if (++g_calls == g_fail_at) return NULL;
  return realloc(ptr, size);
}

/* Every allocation of a scan may fail: the scan returns, never crashes. */
static void test_scan_survives_allocation_failures(void) {
  static const uint8_t pcap[] = "\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0";
  int n;
  for (n = 1; n < 40; n++) {
    tells_scan_result r;
    g_calls = 0; g_fail_at = n;
    tells_set_allocator(failing_alloc, NULL);
    (void)tells_scan_buffer(pcap, sizeof pcap - 1, NULL, &r);
    tells_set_allocator(NULL, NULL);
  }
  CHECK(1);
}

int main(void) {
  T_RUN(test_sniff_kinds);
  T_RUN(test_map_guard_file_shrinks);
  T_RUN(test_map_errors);
  T_RUN(test_map_unchanged);
  T_RUN(test_abspath);
  T_RUN(test_case_open_errors);
  T_RUN(test_time_format);
  T_RUN(test_scan_survives_allocation_failures);
  T_END();
}
