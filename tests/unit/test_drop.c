/*
** test_drop.c -- pages of a mapped evidence file released behind its
** readers (lib/intake/drop.c): the resident size of the mapping, read from
** /proc/self/smaps, stays bounded while a 64 MiB file is read, a reader
** ahead waits for a slower one (up to TELLS_DROP_LAG), bytes read again
** after a release are the same, and the hashing worker releases behind its
** parts with digests unchanged.
*/
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alloc.h"
#include "drop.h"
#include "hash.h"
#include "map.h"
#include "t.h"

#define MB ((size_t)1 << 20)
#define FILE_SIZE (64 * MB)
#define MARGIN (2 * MB)     /* fault-around and the page being read */

static char g_path[256];

/* A 64 MiB file of deterministic bytes. */
static int make_file(void) {
  uint8_t *b;
  size_t i, off;
  int fd;
  const char *tmp = getenv("TMPDIR");
  snprintf(g_path, sizeof g_path, "%s/tells-drop-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if ((fd = mkstemp(g_path)) < 0) return 0;
  if (!(b = tells_malloc(MB))) { close(fd); return 0; }
  for (off = 0; off < FILE_SIZE; off += MB) {
    for (i = 0; i < MB; i++) b[i] = (uint8_t)((off + i) * 2654435761u >> 13);
    if (write(fd, b, MB) != (ssize_t)MB) { tells_free(b); close(fd); return 0; }
  }
  tells_free(b);
  close(fd);
  return 1;
}

/* Resident bytes of the mapping that starts at p, or -1 without smaps. */
static long long rss_of(const void *p) {
  char line[512], want[32];
  FILE *f = fopen("/proc/self/smaps", "r");
  int in = 0;
  long long kb = -1;
  if (!f) return -1;
  snprintf(want, sizeof want, "%lx-", (unsigned long)(uintptr_t)p);
  while (fgets(line, sizeof line, f)) {
    if (strchr(line, '-') && strncmp(line, want, strlen(want)) == 0) { in = 1; continue; }
    if (in && strncmp(line, "Rss:", 4) == 0) { kb = atoll(line + 4); break; }
  }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

/* Reads [from, to) one byte per page; returns a checksum (also kept in a
** volatile, so the reads are never optimised away). */
static volatile uint64_t g_sink;
static uint64_t touch(const uint8_t *p, size_t from, size_t to) {
  const volatile uint8_t *q = p;
  uint64_t s = 0;
  size_t i;
  for (i = from; i < to; i += 4096) s = s * 31 + q[i];
  g_sink += s;
  return s;
}

/* One reader: the mapping never holds more than SLACK + STEP (+ margin),
** and what is read again after a release is the same bytes. */
static void test_drop_one_reader(void) {
  tells_map m;
  tells_drop d;
  size_t off;
  long long r, most = 0;
  uint64_t b;
  if (!make_file()) T_SKIP("cannot write a temporary file");
  CHECK_EQ_INT(tells_map_open(g_path, &m), TELLS_OK);
  if (!m.p || m.copied) { CHECK(0); unlink(g_path); return; }
  if (rss_of(m.p) < 0) { tells_map_close(&m); unlink(g_path); T_SKIP("no /proc/self/smaps"); }
  /* control: without releases the whole file becomes resident */
  b = touch(m.p, 0, FILE_SIZE);
  CHECK(rss_of(m.p) >= (long long)(FILE_SIZE - MARGIN));
  tells_drop_init(&d, m.p, m.len, 1u << TELLS_DROP_SCANNER);
  tells_drop_done(&d, TELLS_DROP_SCANNER);          /* sweeps it all */
  CHECK(rss_of(m.p) <= 8192);
  tells_drop_init(&d, m.p, m.len, 1u << TELLS_DROP_SCANNER);
  for (off = 0; off < FILE_SIZE; off += MB / 4) {
    tells_drop_at(&d, TELLS_DROP_SCANNER, off);
    (void)touch(m.p, off, off + MB / 4);
    r = rss_of(m.p);
    if (r > most) most = r;
  }
  CHECK(most <= (long long)(TELLS_DROP_SLACK + TELLS_DROP_STEP + MARGIN));
  CHECK(most >= (long long)TELLS_DROP_SLACK);       /* it was not all dropped at once */
  CHECK(d.released >= FILE_SIZE - TELLS_DROP_SLACK - TELLS_DROP_STEP);
  tells_drop_done(&d, TELLS_DROP_SCANNER);
  CHECK(rss_of(m.p) <= 8192);
  CHECK(touch(m.p, 0, FILE_SIZE) == b);             /* faulted in again, same bytes */
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(g_path);
}

/* Two readers: the one ahead keeps the pages the other has not read yet,
** unless it is more than LAG ahead; each releases behind itself in the end. */
static void test_drop_two_readers(void) {
  tells_map m;
  tells_drop d;
  size_t off;
  long long r;
  if (!make_file()) T_SKIP("cannot write a temporary file");
  CHECK_EQ_INT(tells_map_open(g_path, &m), TELLS_OK);
  if (!m.p || m.copied) { CHECK(0); unlink(g_path); return; }
  if (rss_of(m.p) < 0) { tells_map_close(&m); unlink(g_path); T_SKIP("no /proc/self/smaps"); }
  tells_drop_init(&d, m.p, m.len, 1u << 0 | 1u << 1);
  /* reader 1 at 8 MiB, reader 0 reads to 30 MiB: nothing past 6 MiB goes */
  (void)touch(m.p, 0, 8 * MB);
  tells_drop_at(&d, 1, 8 * MB);
  for (off = 0; off < 30 * MB; off += MB) {
    (void)touch(m.p, off, off + MB);
    tells_drop_at(&d, 0, off + MB);
  }
  r = rss_of(m.p);
  CHECK(r >= (long long)(30 * MB - 8 * MB));
  CHECK(r <= (long long)(30 * MB));
  /* reader 1 catches up: both released behind it */
  (void)touch(m.p, 8 * MB, 30 * MB);
  tells_drop_at(&d, 1, 30 * MB);
  tells_drop_at(&d, 0, 30 * MB);
  CHECK(rss_of(m.p) <= (long long)(TELLS_DROP_SLACK + TELLS_DROP_STEP + MARGIN));
  /* reader 0 runs to the end while reader 1 stays: it waits at most LAG */
  for (off = 30 * MB; off < FILE_SIZE; off += MB) {
    (void)touch(m.p, off, off + MB);
    tells_drop_at(&d, 0, off + MB);
  }
  r = rss_of(m.p);
  CHECK(r <= (long long)(TELLS_DROP_LAG + TELLS_DROP_SLACK + TELLS_DROP_STEP + MARGIN));
  CHECK(r >= (long long)(TELLS_DROP_LAG - TELLS_DROP_STEP));
  tells_drop_done(&d, 0);
  /* reader 1 reads the rest (faulting again what reader 0 released) */
  for (off = 30 * MB; off < FILE_SIZE; off += MB) {
    (void)touch(m.p, off, off + MB);
    tells_drop_at(&d, 1, off + MB);
    CHECK(rss_of(m.p) <= (long long)(TELLS_DROP_LAG + TELLS_DROP_SLACK + TELLS_DROP_STEP + MARGIN));
  }
  tells_drop_done(&d, 1);
  CHECK(rss_of(m.p) <= 8192);
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(g_path);
}

/* The hashing worker with a release: same digests as one pass, and the
** mapping is not resident once the job is joined. */
static void test_drop_hasher(void) {
  tells_map m;
  tells_drop d;
  tells_hasher *w = NULL;
  tells_hash h, ref;
  tells_hash_job j;
  int which = TELLS_HASH_SHA256 | TELLS_HASH_MD5;
  if (!make_file()) T_SKIP("cannot write a temporary file");
  CHECK_EQ_INT(tells_map_open(g_path, &m), TELLS_OK);
  if (!m.p || m.copied) { CHECK(0); unlink(g_path); return; }
  if (rss_of(m.p) < 0) { tells_map_close(&m); unlink(g_path); T_SKIP("no /proc/self/smaps"); }
  CHECK_EQ_INT(tells_hash_init(&ref, which), TELLS_OK);
  tells_hash_update(&ref, m.p, m.len);
  CHECK_EQ_INT(tells_hash_final(&ref), TELLS_OK);
  tells_hash_free(&ref);
  tells_drop_init(&d, m.p, m.len, 0);
  tells_drop_done(&d, 0);
  CHECK(rss_of(m.p) <= 8192);
  CHECK_EQ_INT(tells_hasher_start(&w), TELLS_OK);
  CHECK_EQ_INT(tells_hash_init(&h, which), TELLS_OK);
  tells_drop_init(&d, m.p, m.len, (unsigned)which << 1);
  memset(&j, 0, sizeof j);
  j.h = &h; j.p = m.p; j.n = m.len; j.drop = &d;
  tells_hasher_post(w, &j);
  tells_hasher_join(w, &j);
  CHECK_EQ_INT(tells_hash_final(&h), TELLS_OK);
  tells_hash_free(&h);
  CHECK_EQ_STR(h.sha256, ref.sha256);
  CHECK_EQ_STR(h.md5, ref.md5);
  CHECK(rss_of(m.p) <= 8192);
  CHECK(d.released >= 2 * (FILE_SIZE - TELLS_DROP_LAG));
  /* without a worker: the parts run at once, released the same way */
  CHECK_EQ_INT(tells_hash_init(&h, which), TELLS_OK);
  tells_drop_init(&d, m.p, m.len, (unsigned)which << 1);
  memset(&j, 0, sizeof j);
  j.h = &h; j.p = m.p; j.n = m.len; j.drop = &d;
  tells_hasher_post(NULL, &j);
  CHECK_EQ_INT(tells_hash_final(&h), TELLS_OK);
  tells_hash_free(&h);
  CHECK_EQ_STR(h.sha256, ref.sha256);
  CHECK(rss_of(m.p) <= 8192);
  tells_hasher_stop(w);
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(g_path);
}

int main(void) {
  T_RUN(test_drop_one_reader);
  T_RUN(test_drop_two_readers);
  T_RUN(test_drop_hasher);
  T_END();
}
