/*
** case.c -- opening a case file and writing evidence into it.
**
** Every evidence file is ingested in one transaction of its own -- a SQLite
** SAVEPOINT -- so its evidence row, anomalies, artifacts, events, findings,
** indicators and sightings appear together or not at all.  The savepoints
** of consecutive files are group-committed: the enclosing transaction
** commits every BATCH_FILES files or BATCH_NS nanoseconds, whichever comes
** first, so ten thousand small files do not cost ten thousand commits (each
** commit writes every page the batch touched to the WAL again).  The
** database runs in WAL mode with synchronous=NORMAL: a process killed at any
** moment (SIGKILL included) leaves the last committed state, with every file
** in it complete, and the next run resumes from there, redoing at most the
** last batch.  From tells_case_run_begin to tells_case_flush the writes are
** made by a writer thread, in the same order (case_async.c); the *_now
** functions below are what it runs.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "case_int.h"

tells_err tells__case_migrate(tells_case *c);

#define BATCH_FILES 4096   /* BATCH_NS is the bound that matters */
#define BATCH_NS    250000000   /* 250 ms */

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

tells_err tells__case_dberr(tells_case *c, const char *what) {
  snprintf(c->errmsg, sizeof c->errmsg, "%s: %s", what,
           c->db ? sqlite3_errmsg(c->db) : "cannot open");
  return TELLS_EDB;
}

tells_err tells__case_exec(tells_case *c, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(c->errmsg, sizeof c->errmsg, "%s", msg ? msg : sqlite3_errmsg(c->db));
    sqlite3_free(msg);
    return TELLS_EDB;
  }
  return TELLS_OK;
}

sqlite3_stmt *tells__case_stmt(tells_case *c, int which, const char *sql) {
  if (!c->st[which] &&
      sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st[which], NULL)) {
    tells__case_dberr(c, "prepare");
    return NULL;
  }
  sqlite3_reset(c->st[which]);
  sqlite3_clear_bindings(c->st[which]);
  return c->st[which];
}

const char *tells_case_errmsg(const tells_case *c) {
  return c && c->errmsg[0] ? c->errmsg : "no error";
}

tells_err tells_case_open(const char *path, int readonly, tells_case **out) {
  tells_case *c;
  tells_err e;
  int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  *out = NULL;
  c = tells_calloc(1, sizeof *c);
  if (!c) return TELLS_ENOMEM;
  c->readonly = readonly;
  c->path = tells_strdup(path);
  if (!c->path) { tells_free(c); return TELLS_ENOMEM; }
  if (sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    int ext = c->db ? sqlite3_errcode(c->db) : SQLITE_CANTOPEN;
    e = tells__case_dberr(c, path);
    if (ext == SQLITE_CANTOPEN && readonly) e = TELLS_ENOENT;
    goto fail_keep_msg;
  }
  sqlite3_busy_timeout(c->db, 5000);
  if (!readonly) {
    /* WAL + NORMAL: commits are atomic and survive a killed process. */
    /* Checkpoints (the only fsyncs under NORMAL) every 32768 pages rather
    ** than every 1000: a commit per evidence file would otherwise pay a
    ** disk flush every few hundred small files. */
    if ((e = tells__case_exec(c, "PRAGMA journal_mode=WAL")) ||
        (e = tells__case_exec(c, "PRAGMA synchronous=NORMAL")) ||
        (e = tells__case_exec(c, "PRAGMA wal_autocheckpoint=32768")) ||
        (e = tells__case_exec(c, "PRAGMA cache_size=-65536")))   /* 64 MiB of pages */
      goto fail;
  }
  if ((e = tells__case_exec(c, "PRAGMA foreign_keys=ON"))) goto fail;
  if ((e = tells__case_migrate(c))) goto fail;
  *out = c;
  return TELLS_OK;
fail:
  if (e == TELLS_EDB && sqlite3_errcode(c->db) == SQLITE_NOTADB) e = TELLS_ENOTCASE;
  if (e != TELLS_EDB)
    snprintf(c->errmsg, sizeof c->errmsg, "%s: %s", path, tells_strerror(e));
fail_keep_msg:
  tells_case_close(c);
  return e;
}

void tells_case_close(tells_case *c) {
  int i;
  if (!c) return;
  tells__case_async_stop(c);       /* runs what is queued; an open batch rolls back */
  for (i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->st[i]);
  if (c->db) sqlite3_close(c->db);
  tells_free(c->path);
  tells_free(c);
}

/* ---- runs ---- */

tells_err tells_case_run_begin(tells_case *c, const char *argv_text, int *interrupted) {
  sqlite3_stmt *s;
  int rc;
  tells_err e;
  *interrupted = 0;
  if ((e = tells__case_async_stop(c))) return e;   /* a run not ended: its writes first */
  if (sqlite3_prepare_v2(c->db, "SELECT max(id) FROM runs WHERE finished_ns IS NULL",
                         -1, &s, NULL)) return tells__case_dberr(c, "runs");
  if (sqlite3_step(s) == SQLITE_ROW) *interrupted = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  if (sqlite3_prepare_v2(c->db, "SELECT EXISTS(SELECT 1 FROM evidence WHERE status='failed')",
                         -1, &s, NULL)) return tells__case_dberr(c, "runs");
  if (sqlite3_step(s) == SQLITE_ROW) c->has_failed = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  /* Rows of an interrupted file never committed, but be strict anyway. */
  if (tells__case_exec(c, "DELETE FROM evidence WHERE status='ingesting'"))
    return TELLS_EDB;
  if (sqlite3_prepare_v2(c->db, "INSERT INTO runs(started_ns, version, argv) VALUES(?,?,?)",
                         -1, &s, NULL)) return tells__case_dberr(c, "runs");
  sqlite3_bind_int64(s, 1, now_ns());
  sqlite3_bind_text(s, 2, TELLS_VERSION, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, argv_text ? argv_text : "", -1, SQLITE_TRANSIENT);
  rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return tells__case_dberr(c, "runs");
  c->run_id = sqlite3_last_insert_rowid(c->db);
  /* The writer thread only for a case without evidence: later runs look
  ** each path up first, and every lookup would wait for the queue. */
  return tells_case_is_empty(c) ? tells__case_async_start(c) : TELLS_OK;
}

tells_err tells_case_run_end(tells_case *c, const tells_investigate_stats *st) {
  sqlite3_stmt *s;
  char stats[512];
  int rc;
  tells_err e;
  if ((e = tells_case_flush(c))) return e;
  snprintf(stats, sizeof stats,
           "{\"files_seen\":%llu,\"ingested\":%llu,\"skipped\":%llu,\"duplicates\":%llu,"
           "\"not_analysed\":%llu,\"failed\":%llu,\"bytes\":%llu,\"anomalies\":%llu}",
           (unsigned long long)st->files_seen, (unsigned long long)st->files_ingested,
           (unsigned long long)st->files_skipped, (unsigned long long)st->files_duplicate,
           (unsigned long long)st->files_not_analysed, (unsigned long long)st->files_failed,
           (unsigned long long)st->bytes_read, (unsigned long long)st->anomalies);
  if (sqlite3_prepare_v2(c->db, "UPDATE runs SET finished_ns=?, stats=? WHERE id=?",
                         -1, &s, NULL)) return tells__case_dberr(c, "runs");
  sqlite3_bind_int64(s, 1, now_ns());
  sqlite3_bind_text(s, 2, stats, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 3, c->run_id);
  rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return tells__case_dberr(c, "runs");
  /* Fold the WAL back into the case so the file stands alone. */
  sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  return TELLS_OK;
}

/* ---- lookups ---- */

static tells_err find(tells_case *c, int which, const char *sql, const char *key,
                      tells_case_seen *out) {
  sqlite3_stmt *s;
  tells_err e;
  int rc;
  memset(out, 0, sizeof *out);
  if (which == ST_FIND_BY_SHA && tells__case_async_find_sha(c, key, out, &e)) return e;
  if ((e = tells__case_async_drain(c))) return e;     /* the rows queued before */
  if (!(s = tells__case_stmt(c, which, sql))) return TELLS_EDB;
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const unsigned char *sha = sqlite3_column_text(s, 3);
    const unsigned char *stt = sqlite3_column_text(s, 4);
    out->id = sqlite3_column_int64(s, 0);
    out->size = sqlite3_column_int64(s, 1);
    out->mtime_ns = sqlite3_column_int64(s, 2);
    snprintf(out->sha256, sizeof out->sha256, "%s", sha ? (const char *)sha : "");
    snprintf(out->status, sizeof out->status, "%s", stt ? (const char *)stt : "");
  } else if (rc != SQLITE_DONE) {
    sqlite3_reset(s);
    return tells__case_dberr(c, "lookup");
  }
  sqlite3_reset(s);
  return TELLS_OK;
}

tells_err tells_case_find_path(tells_case *c, const char *path, tells_case_seen *out) {
  return find(c, ST_FIND_BY_PATH,
              "SELECT id, size, mtime_ns, sha256, status FROM evidence"
              " WHERE path=? AND status IN ('analysed','identified','not_analysed','duplicate')"
              " ORDER BY id DESC LIMIT 1", path, out);
}

tells_err tells_case_find_sha(tells_case *c, const char *sha256, tells_case_seen *out) {
  return find(c, ST_FIND_BY_SHA,
              "SELECT id, size, mtime_ns, sha256, status FROM evidence"
              " WHERE sha256=? AND status IN ('analysed','identified','not_analysed')"
              " ORDER BY id LIMIT 1", sha256, out);
}

/* ---- one evidence file ---- */

void tells__case_bind_i64(sqlite3_stmt *s, int i, int64_t v, int64_t none) {
  if (v == none) sqlite3_bind_null(s, i); else sqlite3_bind_int64(s, i, v);
}
void tells__case_bind_str(sqlite3_stmt *s, int i, const char *v) {
  if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(s, i);
}
tells_err tells__case_step(tells_case *c, sqlite3_stmt *s, const char *what) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? TELLS_OK : tells__case_dberr(c, what);
}

static tells_err insert_evidence(tells_case *c, const tells_case_file *f,
                                 const char *status, const char *reason) {
  sqlite3_stmt *s = tells__case_stmt(c, ST_INS_EVIDENCE,
      "INSERT INTO evidence(run_id, path, size, mtime_ns, kind, pillar, status, reason)"
      " VALUES(?,?,?,?,?,?,?,?)");
  tells_err e;
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->run_id);
  tells__case_bind_str(s, 2, f->path);
  if (f->size >= 0) sqlite3_bind_int64(s, 3, f->size);
  if (f->mtime_ns != TELLS_NO_TIME) sqlite3_bind_int64(s, 4, f->mtime_ns);
  sqlite3_bind_text(s, 5, tells_kind_name(f->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, tells_kind_pillar(f->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 7, status, -1, SQLITE_STATIC);
  tells__case_bind_str(s, 8, reason);
  if ((e = tells__case_step(c, s, "insert evidence"))) return e;
  c->cur_evidence = sqlite3_last_insert_rowid(c->db);
  return TELLS_OK;
}

static tells_err delete_failed(tells_case *c, const char *path) {
  sqlite3_stmt *s;
  if (!c->has_failed) return TELLS_OK;   /* no failure rows to replace */
  s = tells__case_stmt(c, ST_DEL_FAILED,
      "DELETE FROM evidence WHERE path=? AND status='failed'");
  if (!s) return TELLS_EDB;
  tells__case_bind_str(s, 1, path);
  return tells__case_step(c, s, "delete failed");
}

/* Runs a fixed statement prepared once (savepoints are issued per file). */
static tells_err run_stmt(tells_case *c, int which, const char *sql) {
  sqlite3_stmt *s = tells__case_stmt(c, which, sql);
  int rc;
  if (!s) return TELLS_EDB;
  rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? TELLS_OK : tells__case_dberr(c, sql);
}

/* Opens the file's savepoint, and the group transaction if none is open. */
static tells_err file_tx_begin(tells_case *c) {
  tells_err e;
  if (!c->in_batch) {
    if ((e = tells__case_exec(c, "BEGIN IMMEDIATE"))) return e;
    c->in_batch = 1;
    c->batch_files = 0;
    c->batch_started_ns = mono_ns();
  }
  return run_stmt(c, ST_SAVEPOINT, "SAVEPOINT evidence_file");
}

/* Commits the group transaction if it is open. */
static tells_err flush_now(tells_case *c) {
  tells_err e;
  if (!c->in_batch) return TELLS_OK;
  c->in_batch = 0;
  if ((e = tells__case_exec(c, "COMMIT"))) {
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
  }
  return TELLS_OK;
}

/* The end of intake: the writer thread finishes, then the batch commits. */
tells_err tells_case_flush(tells_case *c) {
  tells_err e;
  if ((e = tells__case_async_stop(c))) return e;
  return flush_now(c);
}

/* Releases the file's savepoint into the group, which commits when full. */
static tells_err file_tx_commit(tells_case *c) {
  tells_err e;
  if ((e = run_stmt(c, ST_RELEASE, "RELEASE evidence_file"))) return e;
  c->cur_evidence = 0;
  if (++c->batch_files >= BATCH_FILES || mono_ns() - c->batch_started_ns >= BATCH_NS)
    return flush_now(c);
  return TELLS_OK;
}

tells_err tells__case_file_begin_now(tells_case *c, const tells_case_file *f) {
  tells_err e;
  if ((e = file_tx_begin(c))) return e;
  /* A file that failed in an earlier run replaces its failure record. */
  if ((e = delete_failed(c, f->path)) || (e = insert_evidence(c, f, "ingesting", NULL)))
    tells__case_file_rollback_now(c);
  return e;
}

tells_err tells_case_file_begin(tells_case *c, const tells_case_file *f) {
  return c->q ? tells__case_q_begin(c, f) : tells__case_file_begin_now(c, f);
}

void tells_case_file_rollback(tells_case *c) {
  if (c->q) tells__case_q_rollback(c);   /* a failure shows at the next call */
  else tells__case_file_rollback_now(c);
}

void tells__case_file_rollback_now(tells_case *c) {
  if (run_stmt(c, ST_ROLLBACK_TO, "ROLLBACK TO evidence_file") == TELLS_OK)
    run_stmt(c, ST_RELEASE, "RELEASE evidence_file");
  c->cur_evidence = 0;
}

static tells_err insert_anoms(tells_case *c, const tells_anoms *l) {
  size_t i;
  tells_err e;
  for (i = 0; l && i < l->n; i++) {
    sqlite3_stmt *s = tells__case_stmt(c, ST_INS_ANOM,
        "INSERT INTO anomalies(evidence_id, offset, code, detail, source) VALUES(?,?,?,?,?)");
    char src[160];
    if (!s) return TELLS_EDB;
    sqlite3_bind_int64(s, 1, c->cur_evidence);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)l->v[i].off);
    tells__case_bind_str(s, 3, l->v[i].code);
    tells__case_bind_str(s, 4, l->v[i].detail);
    if (l->v[i].src_file) {
      const char *b = strrchr(l->v[i].src_file, '/');
      snprintf(src, sizeof src, "%s:%d", b ? b + 1 : l->v[i].src_file, l->v[i].src_line);
      tells__case_bind_str(s, 5, src);
    }
    if ((e = tells__case_step(c, s, "insert anomaly"))) return e;
  }
  return TELLS_OK;
}

tells_err tells_case_file_commit(tells_case *c, const tells_case_done *d) {
  return c->q ? tells__case_q_commit(c, d) : tells__case_file_commit_now(c, d);
}

tells_err tells__case_file_commit_now(tells_case *c, const tells_case_done *d) {
  sqlite3_stmt *s;
  tells_err e;
  if ((e = insert_anoms(c, d->anoms))) goto fail;
  s = tells__case_stmt(c, ST_UPD_EVIDENCE,
      "UPDATE evidence SET status=?, reason=?, sha256=?, sha1=?, md5=?, first_ns=?,"
      " last_ns=?, anomalies=?, summary=?, duplicate_of=?, ingested_ns=? WHERE id=?");
  if (!s) { e = TELLS_EDB; goto fail; }
  tells__case_bind_str(s, 1, d->status);
  tells__case_bind_str(s, 2, d->reason);
  tells__case_bind_str(s, 3, d->sha256);
  tells__case_bind_str(s, 4, d->sha1);
  tells__case_bind_str(s, 5, d->md5);
  tells__case_bind_i64(s, 6, d->first_ns, TELLS_NO_TIME);
  tells__case_bind_i64(s, 7, d->last_ns, TELLS_NO_TIME);
  sqlite3_bind_int64(s, 8, d->anoms ? (sqlite3_int64)tells_anoms_total(d->anoms) : 0);
  tells__case_bind_str(s, 9, d->summary_json);
  if (d->duplicate_of) sqlite3_bind_int64(s, 10, d->duplicate_of);
  sqlite3_bind_int64(s, 11, now_ns());
  sqlite3_bind_int64(s, 12, c->cur_evidence);
  if ((e = tells__case_step(c, s, "update evidence"))) goto fail;
  return file_tx_commit(c);
fail:
  tells__case_file_rollback_now(c);
  return e;
}

tells_err tells_case_file_record(tells_case *c, const tells_case_file *f,
                                 const tells_case_done *d) {
  return c->q ? tells__case_q_record(c, f, d) : tells__case_file_record_now(c, f, d);
}

tells_err tells__case_file_record_now(tells_case *c, const tells_case_file *f,
                                      const tells_case_done *d) {
  sqlite3_stmt *s;
  tells_err e;
  if (!c->in_batch) {
    if ((e = tells__case_exec(c, "BEGIN IMMEDIATE"))) return e;
    c->in_batch = 1;
    c->batch_files = 0;
    c->batch_started_ns = mono_ns();
  }
  if ((e = delete_failed(c, f->path))) return e;
  s = tells__case_stmt(c, ST_INS_FULL,
      "INSERT INTO evidence(run_id, path, size, mtime_ns, kind, pillar, status, reason,"
      " sha256, sha1, md5, first_ns, last_ns, anomalies, summary, duplicate_of, ingested_ns)"
      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)");
  if (!s) return TELLS_EDB;
  sqlite3_bind_int64(s, 1, c->run_id);
  tells__case_bind_str(s, 2, f->path);
  sqlite3_bind_int64(s, 3, f->size);
  if (f->mtime_ns != TELLS_NO_TIME) sqlite3_bind_int64(s, 4, f->mtime_ns);
  sqlite3_bind_text(s, 5, tells_kind_name(f->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, tells_kind_pillar(f->kind), -1, SQLITE_STATIC);
  tells__case_bind_str(s, 7, d->status);
  tells__case_bind_str(s, 8, d->reason);
  tells__case_bind_str(s, 9, d->sha256);
  tells__case_bind_str(s, 10, d->sha1);
  tells__case_bind_str(s, 11, d->md5);
  tells__case_bind_i64(s, 12, d->first_ns, TELLS_NO_TIME);
  tells__case_bind_i64(s, 13, d->last_ns, TELLS_NO_TIME);
  tells__case_bind_str(s, 14, d->summary_json);
  if (d->duplicate_of) sqlite3_bind_int64(s, 15, d->duplicate_of);
  sqlite3_bind_int64(s, 16, now_ns());
  if ((e = tells__case_step(c, s, "insert evidence"))) return e;
  if (++c->batch_files >= BATCH_FILES || mono_ns() - c->batch_started_ns >= BATCH_NS)
    return flush_now(c);
  return TELLS_OK;
}

tells_err tells_case_file_failed(tells_case *c, const tells_case_file *f, const char *reason) {
  return c->q ? tells__case_q_failed(c, f, reason) : tells__case_file_failed_now(c, f, reason);
}

tells_err tells__case_file_failed_now(tells_case *c, const tells_case_file *f,
                                      const char *reason) {
  tells_err e;
  if ((e = file_tx_begin(c))) return e;
  if ((e = delete_failed(c, f->path))) goto fail;
  if ((e = insert_evidence(c, f, "failed", reason))) goto fail;
  c->has_failed = 1;
  return file_tx_commit(c);
fail:
  tells__case_file_rollback_now(c);
  return e;
}

const char *tells_case_path(const tells_case *c) { return c->path; }

int tells_case_is_empty(tells_case *c) {
  sqlite3_stmt *s;
  int empty = 0;
  if (tells__case_async_drain(c)) return 0;
  if (sqlite3_prepare_v2(c->db, "SELECT NOT EXISTS(SELECT 1 FROM evidence)", -1, &s, NULL))
    return 0;
  if (sqlite3_step(s) == SQLITE_ROW) empty = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return empty;
}
