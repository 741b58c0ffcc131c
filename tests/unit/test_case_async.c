/*
** test_case_async.c -- the case's writer thread (lib/case/case_async.c):
** rows and ids are those of the calls' order, duplicates find the first
** row of their content while it is still queued, rows larger than the
** queue get through, and a failed write is returned and stops the writes
** that follow, leaving the last committed state.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "case_api.h"
#include "t.h"

static char g_path[] = "/tmp/tells-async-XXXXXX";

static void cleanup(void) {
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
  char p[64];
  int i;
  for (i = 0; i < 4; i++) { snprintf(p, sizeof p, "%s%s", g_path, sfx[i]); unlink(p); }
}

static tells_case *fresh_case(void) {
  tells_case *c = NULL;
  int fd;
  strcpy(g_path, "/tmp/tells-async-XXXXXX");
  if ((fd = mkstemp(g_path)) < 0) return NULL;
  close(fd);
  unlink(g_path);
  if (tells_case_open(g_path, 0, &c) != TELLS_OK) return NULL;
  return c;
}

/* One number from the sqlite3 shell, or -1. */
static long long q1(const char *sql) {
  char cmd[1024], out[64] = "";
  FILE *f;
  snprintf(cmd, sizeof cmd, "sqlite3 %s \"%s\" 2>/dev/null", g_path, sql);
  if (!(f = popen(cmd, "r"))) return -1;
  if (!fgets(out, sizeof out, f)) out[0] = 0;
  pclose(f);
  return out[0] ? atoll(out) : -1;
}

static void sha_of(int k, char out[65]) {
  int i;
  for (i = 0; i < 64; i++) out[i] = "0123456789abcdef"[(k * 7 + i * 3) & 15];
  out[64] = 0;
}

/* 300 files of 10 contents, handled as investigate does: the first of each
** content is analysed (rows of every kind), the others are duplicates of it. */
static void test_ids_and_duplicates(void) {
  tells_case *c = fresh_case();
  tells_investigate_stats st;
  int resumed, i, dup_ok = 1;
  CHECK(c != NULL);
  if (!c) return;
  CHECK_EQ_INT(tells_case_run_begin(c, "test", &resumed), TELLS_OK);
  for (i = 0; i < 300; i++) {
    char path[64], sha[65], val[32], why[64];
    tells_case_file f;
    tells_case_done d;
    tells_case_seen seen;
    tells_sink s;
    snprintf(path, sizeof path, "/ev/f%03d", i);
    sha_of(i % 10, sha);
    memset(&f, 0, sizeof f);
    f.path = path; f.size = 100 + i; f.mtime_ns = i; f.kind = TELLS_KIND_NONE;
    memset(&d, 0, sizeof d);
    d.sha256 = sha; d.first_ns = d.last_ns = INT64_MIN;
    CHECK_EQ_INT(tells_case_find_sha(c, sha, &seen), TELLS_OK);
    if (i % 2 == 1 && !seen.id) {        /* odd files: one INSERT, as record_plain */
      d.status = "not_analysed"; d.reason = "text";
      CHECK_EQ_INT(tells_case_file_record(c, &f, &d), TELLS_OK);
      continue;
    }
    CHECK_EQ_INT(tells_case_file_begin(c, &f), TELLS_OK);
    if (seen.id) {
      dup_ok &= seen.id == i % 10 + 1 && seen.size == 100 + i % 10;
      snprintf(why, sizeof why, "same content as evidence #%lld", (long long)seen.id);
      d.status = "duplicate"; d.reason = why; d.duplicate_of = seen.id;
    } else {
      tells_event ev;
      tells_finding fi;
      memset(&ev, 0, sizeof ev);
      ev.time_ns = i; ev.source = "logs"; ev.kind = "test.event"; ev.summary = path;
      ev.ref_offset = ev.ref_record = -1;
      memset(&fi, 0, sizeof fi);
      fi.source = "intake"; fi.rule = "test"; fi.title = "t"; fi.severity = "low";
      fi.first_ns = fi.last_ns = INT64_MIN; fi.ref_offset = fi.ref_record = -1;
      tells_case_sink(c, &s);
      snprintf(val, sizeof val, "10.0.0.%d", i % 7);
      CHECK_EQ_INT(s.indicator(s.ud, "ip", val, i, i, 1, "test", 0), TELLS_OK);
      CHECK_EQ_INT(s.event(s.ud, &ev), TELLS_OK);
      CHECK_EQ_INT(s.finding(s.ud, &fi), TELLS_OK);
      CHECK_EQ_INT(s.artifact(s.ud, "test", "{\"a\":1}"), TELLS_OK);
      d.status = "analysed";
    }
    CHECK_EQ_INT(tells_case_file_commit(c, &d), TELLS_OK);
  }
  CHECK(dup_ok);
  memset(&st, 0, sizeof st);
  CHECK_EQ_INT(tells_case_flush(c), TELLS_OK);
  CHECK_EQ_INT(tells_case_run_end(c, &st), TELLS_OK);
  tells_case_close(c);
  CHECK_EQ_INT(q1("select count(*) from evidence"), 300);
  CHECK_EQ_INT(q1("select count(*) from evidence where id <> 1 + cast(substr(path, 6) as int)"), 0);
  CHECK_EQ_INT(q1("select count(*) from evidence where status='duplicate'"), 290);
  CHECK_EQ_INT(q1("select count(*) from evidence where status='duplicate'"
                  " and duplicate_of = (cast(substr(path, 6) as int) % 10) + 1"), 290);
  CHECK_EQ_INT(q1("select count(*) from events"), 5);
  CHECK_EQ_INT(q1("select count(*) from sightings s join evidence e on e.id=s.evidence_id"
                  " where e.status='analysed'"), 5);
  CHECK_EQ_INT(q1("select count(*) from evidence where status='ingesting'"), 0);
  cleanup();
}

/* 40 artifacts of 1 MiB: more than the queue holds at once. */
static void test_large_rows(void) {
  tells_case *c = fresh_case();
  tells_investigate_stats st;
  tells_case_file f;
  tells_case_done d;
  tells_sink s;
  char *big = malloc(1u << 20), sha[65];
  int resumed, i;
  CHECK(c != NULL && big != NULL);
  if (!c || !big) { free(big); tells_case_close(c); return; }
  memset(big, 'x', (1u << 20) - 1);
  big[(1u << 20) - 1] = 0;
  CHECK_EQ_INT(tells_case_run_begin(c, "test", &resumed), TELLS_OK);
  memset(&f, 0, sizeof f);
  f.path = "/ev/big"; f.size = 1; f.kind = TELLS_KIND_NONE;
  CHECK_EQ_INT(tells_case_file_begin(c, &f), TELLS_OK);
  tells_case_sink(c, &s);
  for (i = 0; i < 40; i++) {
    big[i] = (char)('A' + i % 26);   /* each one differs from the last */
    CHECK_EQ_INT(s.artifact(s.ud, "big", big), TELLS_OK);
  }
  sha_of(1, sha);
  memset(&d, 0, sizeof d);
  d.status = "analysed"; d.sha256 = sha; d.first_ns = d.last_ns = INT64_MIN;
  CHECK_EQ_INT(tells_case_file_commit(c, &d), TELLS_OK);
  memset(&st, 0, sizeof st);
  CHECK_EQ_INT(tells_case_run_end(c, &st), TELLS_OK);
  tells_case_close(c);
  free(big);
  CHECK_EQ_INT(q1("select count(*) from artifacts where length(details) = 1048575"), 40);
  CHECK_EQ_INT(q1("select count(distinct substr(details, 1, 40)) from artifacts"), 40);
  cleanup();
}

/* A write that fails (a finding without its NOT NULL rule) is returned by
** a later call; nothing after it is written, and the case keeps only what
** was committed before (here: nothing, the batch is rolled back). */
static void test_failed_write(void) {
  tells_case *c = fresh_case();
  tells_case_file f;
  tells_case_done d;
  tells_finding fi;
  tells_sink s;
  char sha[65];
  int resumed, i;
  tells_err e = TELLS_OK;
  CHECK(c != NULL);
  if (!c) return;
  CHECK_EQ_INT(tells_case_run_begin(c, "test", &resumed), TELLS_OK);
  memset(&f, 0, sizeof f);
  f.path = "/ev/bad"; f.size = 1; f.kind = TELLS_KIND_NONE;
  CHECK_EQ_INT(tells_case_file_begin(c, &f), TELLS_OK);
  tells_case_sink(c, &s);
  memset(&fi, 0, sizeof fi);
  fi.source = "intake"; fi.title = "no rule"; fi.severity = "low";   /* rule NULL */
  fi.first_ns = fi.last_ns = INT64_MIN; fi.ref_offset = fi.ref_record = -1;
  s.finding(s.ud, &fi);
  sha_of(2, sha);
  memset(&d, 0, sizeof d);
  d.status = "analysed"; d.sha256 = sha; d.first_ns = d.last_ns = INT64_MIN;
  for (i = 0; i < 3 && !e; i++) {       /* the failure shows by the next calls */
    e = tells_case_file_commit(c, &d);
    if (!e) e = tells_case_file_begin(c, &f);
  }
  if (!e) e = tells_case_flush(c);
  CHECK_EQ_INT(e, TELLS_EDB);
  CHECK(strstr(tells_case_errmsg(c), "finding") != NULL);
  tells_case_close(c);
  CHECK_EQ_INT(q1("select count(*) from evidence"), 0);
  CHECK_EQ_INT(q1("select count(*) from findings"), 0);
  cleanup();
}

int main(void) {
  T_RUN(test_ids_and_duplicates);
  T_RUN(test_large_rows);
  T_RUN(test_failed_write);
  T_END();
}
