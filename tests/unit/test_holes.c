/*
** test_holes.c -- sparse evidence files: the hole ranges tells_map_open()
** records (copied and mapped files, the cap, small holes left out), copies
** equal to the file's bytes, changes still caught at close, and the EVTX
** reader skipping chunks inside holes without reading them, with records,
** anomalies and counters identical to the same bytes written densely.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "evtx.h"
#include "json.h"
#include "map.h"
#include "t.h"

#define KB 1024u
#define CHUNK (64u * KB)

/* A data segment of a test file: `n` bytes at `off`, from `p` (or a
** pattern of the offset when p is NULL). */
typedef struct seg { uint64_t off; size_t n; const uint8_t *p; } seg;

static uint8_t pat(uint64_t off) { return (uint8_t)(off * 131u + 7u + (off >> 12)); }

/* Writes `size` bytes: the segments, holes between them (sparse) or the
** same zero bytes written out (dense).  Returns 0 on success. */
static int mkfile(const char *path, uint64_t size, const seg *s, size_t n, int sparse) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  size_t i;
  int rc = 0;
  if (fd < 0) return -1;
  if (!sparse) {
    static const uint8_t z[64 * 1024];
    uint64_t o;
    for (o = 0; o < size && !rc; o += sizeof z) {
      size_t k = size - o < sizeof z ? (size_t)(size - o) : sizeof z;
      if (pwrite(fd, z, k, (off_t)o) != (ssize_t)k) rc = -1;
    }
  } else if (ftruncate(fd, (off_t)size) != 0) {
    rc = -1;
  }
  for (i = 0; i < n && !rc; i++) {
    uint8_t *b = malloc(s[i].n);
    size_t k;
    if (!b) { rc = -1; break; }
    for (k = 0; k < s[i].n; k++) b[k] = s[i].p ? s[i].p[k] : pat(s[i].off + k);
    if (pwrite(fd, b, s[i].n, (off_t)s[i].off) != (ssize_t)s[i].n) rc = -1;
    free(b);
  }
  if (close(fd) != 0) rc = -1;
  return rc;
}

/* Whether the file system of /tmp reports holes (SEEK_HOLE). */
static int holes_supported(void) {
  char path[] = "/tmp/tells-holes-XXXXXX";
  int fd = mkstemp(path), ok = 0;
  if (fd < 0) return 0;
  if (pwrite(fd, "x", 1, 1 << 20) == 1) {
    off_t h = lseek(fd, 0, SEEK_HOLE);
    ok = h >= 0 && h < (1 << 20);
  }
  close(fd);
  unlink(path);
  return ok;
}

/* Whether m's bytes equal the file's. */
static int same_bytes(const tells_map *m, const char *path) {
  int fd = open(path, O_RDONLY);
  uint8_t *b = malloc(m->len ? m->len : 1);
  size_t got = 0;
  int eq;
  if (fd < 0 || !b) { free(b); if (fd >= 0) close(fd); return 0; }
  while (got < m->len) {
    ssize_t k = pread(fd, b + got, m->len - got, (off_t)got);
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  eq = got == m->len && memcmp(b, m->p, m->len) == 0;
  free(b);
  return eq;
}

static void test_map_holes_copied(void) {
  char path[] = "/tmp/tells-holes-XXXXXX";
  /* data [0,8K), hole [8K,136K), data [136K,160K), small hole [160K,176K),
  ** data [176K,200K) */
  seg s[] = {{0, 8 * KB, NULL}, {136 * KB, 24 * KB, NULL}, {176 * KB, 24 * KB, NULL}};
  tells_map m;
  int fd;
  if (!holes_supported()) T_SKIP("the file system of /tmp reports no holes");
  fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  CHECK_EQ_INT(mkfile(path, 200 * KB, s, 3, 1), 0);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK(m.copied);
  CHECK_EQ_INT(m.n_holes, 1);             /* the 16 KiB hole is not recorded */
  CHECK_EQ_INT(m.holes[0], 8 * KB);
  CHECK_EQ_INT(m.holes[1], 128 * KB);
  CHECK(same_bytes(&m, path));
  CHECK_EQ_INT(tells_map_is_hole(&m, 8 * KB, 128 * KB), 1);
  CHECK_EQ_INT(tells_map_is_hole(&m, 12 * KB, 64 * KB), 1);
  CHECK_EQ_INT(tells_map_is_hole(&m, 8 * KB, 128 * KB + 1), 0);
  CHECK_EQ_INT(tells_map_is_hole(&m, 4 * KB, 8 * KB), 0);
  CHECK_EQ_INT(tells_map_is_hole(&m, 160 * KB, 16 * KB), 0);
  CHECK_EQ_INT(tells_map_is_hole(&m, 16 * KB, 0), 0);
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  /* the same bytes written densely: no holes, same copy */
  CHECK_EQ_INT(mkfile(path, 200 * KB, s, 3, 0), 0);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK_EQ_INT(m.n_holes, 0);
  CHECK(same_bytes(&m, path));
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  /* a hole running to the end of the file (SEEK_DATA fails with ENXIO) */
  CHECK_EQ_INT(mkfile(path, 200 * KB, s, 1, 1), 0);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK_EQ_INT(m.n_holes, 1);
  CHECK_EQ_INT(m.holes[0], 8 * KB);
  CHECK_EQ_INT(m.holes[1], 192 * KB);
  CHECK(same_bytes(&m, path));
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(path);
}

static void test_map_holes_mapped_cap(void) {
  char path[] = "/tmp/tells-holes-XXXXXX";
  enum { N = 100 };
  seg s[N];
  tells_map m;
  uint32_t i;
  int fd;
  if (!holes_supported()) T_SKIP("the file system of /tmp reports no holes");
  fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  for (i = 0; i < N; i++) {                /* 4 KiB of data, then a 64 KiB hole */
    s[i].off = (uint64_t)i * 68 * KB;
    s[i].n = 4 * KB;
    s[i].p = NULL;
  }
  CHECK_EQ_INT(mkfile(path, (uint64_t)N * 68 * KB, s, N, 1), 0);
  CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
  CHECK(!m.copied);
  CHECK_EQ_INT(m.n_holes, TELLS_MAP_HOLES_MAX);   /* the rest are not recorded */
  for (i = 0; i < m.n_holes; i++) {
    CHECK_EQ_INT(m.holes[2 * i], (uint64_t)i * 68 * KB + 4 * KB);
    CHECK_EQ_INT(m.holes[2 * i + 1], 64 * KB);
  }
  CHECK_EQ_INT(tells_map_is_hole(&m, 4 * KB, 64 * KB), 1);
  CHECK_EQ_INT(tells_map_is_hole(&m, 4 * KB, 68 * KB), 0);
  CHECK_EQ_INT(tells_map_is_hole(&m, (uint64_t)(N - 1) * 68 * KB + 4 * KB, 64 * KB), 0);
  CHECK(same_bytes(&m, path));
  CHECK_EQ_INT(tells_map_close(&m), TELLS_OK);
  unlink(path);
}

/* Data written into a recorded hole after open is still a changed file. */
static void test_map_holes_changed(void) {
  char path[] = "/tmp/tells-holes-XXXXXX";
  seg s[] = {{0, 4 * KB, NULL}, {196 * KB, 4 * KB, NULL}};
  tells_map m;
  uint64_t size[2] = {200 * KB, 2048 * KB};
  int fd, k;
  if (!holes_supported()) T_SKIP("the file system of /tmp reports no holes");
  fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  for (k = 0; k < 2; k++) {               /* copied, then mapped */
    s[1].off = size[k] - 4 * KB;
    CHECK_EQ_INT(mkfile(path, size[k], s, 2, 1), 0);
    CHECK_EQ_INT(tells_map_open(path, &m), TELLS_OK);
    CHECK_EQ_INT(m.copied, k == 0);
    CHECK_EQ_INT(m.n_holes, 1);
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "new", 3, 64 * KB) == 3);
    if (fd >= 0) close(fd);
    CHECK_EQ_INT(tells_map_close(&m), TELLS_ECHANGED);
  }
  unlink(path);
}

/* ---- EVTX --------------------------------------------------------------- */

/* Everything the reader says about buf: each record's place, flags and
** evtx_dump JSON, the anomalies, then the counters. */
typedef struct evtx_out {
  tells_buf text;
  tells_evtx_stats st;
} evtx_out;

static void read_evtx(const uint8_t *buf, size_t len, const uint64_t *holes, size_t nh,
                      evtx_out *o) {
  tells_anoms an;
  tells_evtx *x = NULL;
  tells_evtx_rec rec;
  tells_json j;
  size_t i;
  tells_buf_init(&o->text, 64u << 20);
  memset(&o->st, 0, sizeof o->st);
  tells_anoms_init(&an);
  CHECK_EQ_INT(tells_evtx_open(buf, len, &an, &x), TELLS_OK);
  if (!x) { tells_anoms_free(&an); return; }
  tells_evtx_set_holes(x, holes, nh);
  tells_json_init_buf(&j, &o->text, 0);
  while (tells_evtx_next(x, &rec) > 0) {
    tells_buf_addf(&o->text, "%llu %llu %u %d %d ", (unsigned long long)rec.off,
                   (unsigned long long)rec.id, rec.chunk, rec.recovered, rec.broken);
    CHECK_EQ_INT(tells_evtx_rec_json(x, &j), TELLS_OK);
    tells_json_nl(&j);
    tells_json_flush(&j);
  }
  for (i = 0; i < an.n; i++)
    tells_buf_addf(&o->text, "anom %llu %s %s\n", (unsigned long long)an.v[i].off,
                   an.v[i].code, an.v[i].detail);
  o->st = *tells_evtx_stats_get(x);
  tells_evtx_close(x);
  tells_anoms_free(&an);
}

static int same_out(const evtx_out *a, const evtx_out *b) {
  return a->text.n == b->text.n && memcmp(a->text.p, b->text.p, a->text.n) == 0 &&
         !a->text.err && !b->text.err && memcmp(&a->st, &b->st, sizeof a->st) == 0;
}

/* Header and the first two chunks of a real sample. */
static uint8_t *sample(void) {
  char path[1024];
  uint8_t *b = malloc(4 * KB + 2 * CHUNK);
  FILE *f;
  snprintf(path, sizeof path, "%s/evtx/attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx",
           t_corpora());
  f = fopen(path, "rb");
  if (!f || !b || fread(b, 1, 4 * KB + 2 * CHUNK, f) != 4 * KB + 2 * CHUNK ||
      memcmp(b + 4 * KB, "ElfChnk", 8) != 0 || memcmp(b + 4 * KB + CHUNK, "ElfChnk", 8) != 0) {
    free(b);
    b = NULL;
  }
  if (f) fclose(f);
  return b;
}

/* A sparse EVTX (header, chunk 0, `gap` empty chunks as a hole, chunk 1,
** `tail` empty chunks as a hole) against its dense twin: same output, and
** the hole chunks counted empty. */
static void evtx_pair(const uint8_t *smp, uint32_t gap, uint32_t tail, int copied) {
  char sp[] = "/tmp/tells-holes-XXXXXX", dn[] = "/tmp/tells-holes-XXXXXX";
  uint64_t c1 = 4 * KB + (uint64_t)(1 + gap) * CHUNK;
  uint64_t size = c1 + CHUNK + (uint64_t)tail * CHUNK;
  seg s[] = {{0, 4 * KB + CHUNK, smp}, {c1, CHUNK, smp + 4 * KB + CHUNK}};
  tells_map ms, md;
  evtx_out os, od, on;
  int fd1 = mkstemp(sp), fd2 = mkstemp(dn);
  CHECK(fd1 >= 0 && fd2 >= 0);
  close(fd1); close(fd2);
  CHECK_EQ_INT(mkfile(sp, size, s, 2, 1), 0);
  CHECK_EQ_INT(mkfile(dn, size, s, 2, 0), 0);
  CHECK_EQ_INT(tells_map_open(sp, &ms), TELLS_OK);
  CHECK_EQ_INT(tells_map_open(dn, &md), TELLS_OK);
  CHECK_EQ_INT(ms.copied, copied);
  CHECK_EQ_INT(ms.n_holes, (gap ? 1 : 0) + (tail ? 1 : 0));
  CHECK_EQ_INT(md.n_holes, 0);
  CHECK(same_bytes(&ms, sp));
  read_evtx(ms.p, ms.len, ms.holes, ms.n_holes, &os);
  read_evtx(md.p, md.len, md.holes, md.n_holes, &od);
  read_evtx(ms.p, ms.len, NULL, 0, &on);     /* the sparse file, no hint */
  CHECK(same_out(&os, &od));
  CHECK(same_out(&os, &on));
  CHECK_EQ_INT(os.st.chunks_empty, gap + tail);
  CHECK_EQ_INT(os.st.chunks, 2);
  CHECK(os.st.records > 0);
  tells_buf_free(&os.text); tells_buf_free(&od.text); tells_buf_free(&on.text);
  CHECK_EQ_INT(tells_map_close(&ms), TELLS_OK);
  CHECK_EQ_INT(tells_map_close(&md), TELLS_OK);
  unlink(sp); unlink(dn);
}

static void test_evtx_sparse_files(void) {
  uint8_t *smp;
  if (!holes_supported()) T_SKIP("the file system of /tmp reports no holes");
  if (!(smp = sample())) T_SKIP("EVTX attack sample absent");
  evtx_pair(smp, 1, 0, 1);      /* 196 KiB: copied, one empty chunk */
  evtx_pair(smp, 10, 5, 0);     /* mapped, a hole inside and one to the end */
  free(smp);
}

/* The hint is used: a chunk in a hole is not read (its pages are made
** unreadable past the first), and a range that does not cover a whole
** chunk changes nothing. */
static void test_evtx_hint(void) {
  uint8_t *smp = sample(), *b;
  size_t len = 4 * KB + 3 * CHUNK, pg = (size_t)sysconf(_SC_PAGESIZE);
  uint64_t hole[2] = {4 * KB + CHUNK, CHUNK};
  /* not a whole chunk: chunk 0 less its last byte, or from its second byte */
  uint64_t part[4] = {4 * KB, CHUNK - 1, 4 * KB + CHUNK + 1, CHUNK};
  uint64_t late[2] = {4 * KB + 1, CHUNK};
  uint64_t over0[2] = {0, 4 * KB + CHUNK};
  evtx_out a, h, p, q, z;
  if (!smp) T_SKIP("EVTX attack sample absent");
  b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(b != MAP_FAILED);
  if (b == MAP_FAILED) { free(smp); return; }
  memcpy(b, smp, 4 * KB + CHUNK);                      /* chunk 0 */
  memcpy(b + 4 * KB + 2 * CHUNK, smp + 4 * KB + CHUNK, CHUNK); /* chunk 2; chunk 1 zero */
  read_evtx(b, len, NULL, 0, &a);
  read_evtx(b, len, part, 2, &p);
  CHECK(same_out(&a, &p));
  read_evtx(b, len, late, 1, &q);
  CHECK(same_out(&a, &q));
  CHECK_EQ_INT(q.st.chunks_empty, 1);
  /* beyond the first page of the empty chunk nothing may be read */
  CHECK(pg <= 4 * KB &&
        mprotect(b + 4 * KB + CHUNK + pg, CHUNK - pg, PROT_NONE) == 0);
  read_evtx(b, len, hole, 1, &h);
  CHECK(same_out(&a, &h));
  CHECK_EQ_INT(h.st.chunks_empty, 1);
  CHECK(mprotect(b + 4 * KB + CHUNK + pg, CHUNK - pg, PROT_READ) == 0);
  /* a (false) hole over chunk 0: it is taken at its word, chunk 0 is empty */
  read_evtx(b, len, over0, 1, &z);
  CHECK_EQ_INT(z.st.chunks_empty, 2);
  CHECK_EQ_INT(z.st.chunks, 1);
  CHECK(z.st.records < a.st.records);
  tells_buf_free(&a.text); tells_buf_free(&h.text);
  tells_buf_free(&p.text); tells_buf_free(&q.text); tells_buf_free(&z.text);
  munmap(b, len);
  free(smp);
}

int main(void) {
  T_RUN(test_map_holes_copied);
  T_RUN(test_map_holes_mapped_cap);
  T_RUN(test_map_holes_changed);
  T_RUN(test_evtx_sparse_files);
  T_RUN(test_evtx_hint);
  T_END();
}
