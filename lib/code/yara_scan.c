/*
** yara_scan.c -- the YARA bridge: compiles user rule sets once per run with
** libyara, scans mapped evidence with them, and turns hits into JSON and
** findings.  Contract in yara_scan.h; design in docs/internals/yara.md.
**
** Failure isolation.  A libyara compiler cannot be used again once a file
** added to it has an error, so a bad file would poison every file after it.
** Compiling is therefore optimistic: every file goes into one compiler, each
** in its own namespace.  When nothing fails (the usual case) that single pass
** is the rule set.  When file k fails, files 0..k-1 are known good, file k is
** bad, and every later file is tried alone in a throw-away compiler; a final
** compiler then takes every good file.  Should the final pass still fail on
** a file (a clash that only shows in company), that file is marked bad too
** and the final pass is repeated, at most once per file.  Each file keeps
** only the diagnostics of its last attempt, so none is reported twice.
**
** Heap isolation.  Compiling signature-base makes and frees about a million
** small blocks.  Done on the calling thread, that churn stays in glibc's
** main heap as a long fragmented free list that every later malloc of the
** scans (libyara's pe module allocates per file) has to walk: the scans of
** the PE corpora took 45% longer.  The compiler therefore runs on a short-
** lived thread of its own, whose allocations glibc serves from a separate
** heap; the caller waits for it, so nothing runs concurrently.
*/
#include "yara_scan.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yara.h>

#include "alloc.h"
#include "buf.h"
#include "held.h"
#include "tells_limits.h"

/* The external variables of LOKI/THOR, declared for every rules file. */
static const char *const ext_names[5] = {
  "filename", "filepath", "extension", "filetype", "owner"
};

/* ---- Rule set ---------------------------------------------------------- */

typedef struct diag_node {
  tells_yara_diag d;
  struct diag_node *next;
} diag_node;

enum { YF_PENDING = 0, YF_OK = 1, YF_BAD = -1 };

#define TELLS_YARA_COMPILE_STACK ((size_t)8 << 20)   /* compiler thread's stack */

typedef struct yfile {
  const char *path;           /* arena */
  int status;                 /* YF_* */
  diag_node *head, *tail;     /* diagnostics of the last attempt; arena */
  uint32_t n_kept, n_err, n_warn;
  uint32_t n_rules;
} yfile;

struct tells_yara_rules {
  YR_RULES *yr;               /* owned; NULL only while compiling */
  tells_arena arena;          /* paths, diagnostics, tables below */
  tells_yara_opts opts;
  yfile *yf; size_t n_yf;     /* tells_malloc; freed after compiling */
  tells_yara_file *files; size_t n_files;   /* arena */
  tells_yara_diag *diags; size_t n_diags;   /* arena */
  tells_yara_stats st;
  int yr_inited;              /* yr_initialize() succeeded */
  tells_err err;              /* sticky ENOMEM from the compiler callback */
  yfile *cur;                 /* file being added (callback context) */
};

static const char *adup(tells_arena *a, const char *s) {
  return s ? tells_arena_strndup(a, s, strlen(s)) : NULL;
}

static void diag_add(tells_yara_rules *r, yfile *f, int level, const char *file,
                     int line, const char *rule, const char *msg) {
  diag_node *n;
  if (level == TELLS_YARA_ERROR) f->n_err++; else f->n_warn++;
  if (f->n_kept >= TELLS_YARA_MAX_DIAGS_PER_FILE) return;
  n = tells_arena_alloc(&r->arena, sizeof *n);
  if (!n) { r->err = TELLS_ENOMEM; return; }
  memset(n, 0, sizeof *n);
  n->d.level = level == TELLS_YARA_ERROR ? TELLS_YARA_ERROR : TELLS_YARA_WARNING;
  n->d.source = f->path;
  n->d.file = file && strcmp(file, f->path) != 0 ? adup(&r->arena, file) : f->path;
  n->d.line = line;
  n->d.rule = rule;
  n->d.msg = adup(&r->arena, msg ? msg : "");
  if (!n->d.file || !n->d.msg) { r->err = TELLS_ENOMEM; return; }
  if (f->tail) f->tail->next = n; else f->head = n;
  f->tail = n;
  f->n_kept++;
}

static void diag_reset(yfile *f) {
  f->head = f->tail = NULL;
  f->n_kept = f->n_err = f->n_warn = 0;
}

static void compiler_cb(int level, const char *file_name, int line,
                        const YR_RULE *rule, const char *message, void *ud) {
  tells_yara_rules *r = ud;
  const char *rid = NULL;
  if (!r->cur) return;
  if (rule && rule->identifier) {
    rid = adup(&r->arena, rule->identifier);
    if (!rid) r->err = TELLS_ENOMEM;
  }
  diag_add(r, r->cur,
           level == YARA_ERROR_LEVEL_ERROR ? TELLS_YARA_ERROR : TELLS_YARA_WARNING,
           file_name, line, rid, message);
}

/* A fresh compiler with our callback and the external variables declared. */
static YR_COMPILER *compiler_new(tells_yara_rules *r) {
  YR_COMPILER *c = NULL;
  size_t i;
  if (yr_compiler_create(&c) != ERROR_SUCCESS) return NULL;
  yr_compiler_set_callback(c, compiler_cb, r);
  for (i = 0; i < sizeof ext_names / sizeof ext_names[0]; i++)
    if (yr_compiler_define_string_variable(c, ext_names[i], "") != ERROR_SUCCESS) {
      yr_compiler_destroy(c);
      return NULL;
    }
  r->st.n_compiles++;
  return c;
}

/* Adds one file.  Returns 0 when it compiled, -1 when it could not be read
** (the compiler is still usable), 1 when it had errors (the compiler is
** spent). */
static int compiler_add(tells_yara_rules *r, YR_COMPILER *c, yfile *f) {
  FILE *fh;
  struct stat st;
  int nerr, e;
  diag_reset(f);
  fh = fopen(f->path, "r");
  if (!fh) {
    e = errno;
    diag_add(r, f, TELLS_YARA_ERROR, f->path, 0, NULL, strerror(e));
    return -1;
  }
  if (fstat(fileno(fh), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(fh);   /* a folder walk_dir could not enter */
    diag_add(r, f, TELLS_YARA_ERROR, f->path, 0, NULL,
             "folder not walked: unreadable or nested too deep");
    return -1;
  }
  r->cur = f;
  nerr = yr_compiler_add_file(c, fh, f->path, f->path);
  r->cur = NULL;
  fclose(fh);
  if (nerr == 0) return 0;
  if (f->n_err == 0) {   /* libyara failed without calling back */
    char msg[256];
    yr_compiler_get_error_message(c, msg, (int)sizeof msg);
    diag_add(r, f, TELLS_YARA_ERROR, f->path, 0, NULL, msg);
  }
  return 1;
}

/* ---- Collecting rules files -------------------------------------------- */

typedef struct pathlist {
  char **p; size_t n, cap;    /* tells_malloc'd strings */
} pathlist;

static tells_err pl_add(pathlist *pl, const char *s) {
  if (pl->n == pl->cap) {
    size_t cap = pl->cap ? pl->cap * 2 : 64;
    char **np = tells_realloc(pl->p, cap * sizeof *np);
    if (!np) return TELLS_ENOMEM;
    pl->p = np; pl->cap = cap;
  }
  if (!(pl->p[pl->n] = tells_strdup(s))) return TELLS_ENOMEM;
  pl->n++;
  return TELLS_OK;
}

static void pl_free(pathlist *pl) {
  size_t i;
  for (i = 0; i < pl->n; i++) tells_free(pl->p[i]);
  tells_free(pl->p);
  memset(pl, 0, sizeof *pl);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_rule_suffix(const char *name) {
  size_t n = strlen(name);
  return (n > 4 && strcasecmp(name + n - 4, ".yar") == 0) ||
         (n > 5 && strcasecmp(name + n - 5, ".yara") == 0);
}

typedef struct dev_ino { dev_t dev; ino_t ino; } dev_ino;

/* Appends the rules files under `dir` to pl.  Folders that cannot be read
** go into `bad` (reported later as unreadable paths). */
static tells_err walk_dir(pathlist *pl, pathlist *bad, const char *dir,
                          dev_ino *anc, int depth) {
  DIR *d;
  struct dirent *de;
  tells_buf b;
  tells_err err = TELLS_OK;
  if (depth >= TELLS_MAX_PATH_DEPTH) return pl_add(bad, dir);
  d = opendir(dir);
  if (!d) return pl_add(bad, dir);
  tells_buf_init(&b, 1u << 16);
  while (!err && (de = readdir(d)) != NULL) {
    struct stat st;
    int i, loop = 0;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    tells_buf_reset(&b);
    tells_buf_adds(&b, dir);
    if (b.n && b.p[b.n - 1] != '/') tells_buf_addc(&b, '/');
    tells_buf_adds(&b, de->d_name);
    if (b.err) { err = b.err == TELLS_ENOMEM ? TELLS_ENOMEM : TELLS_OK; continue; }
    if (stat(b.p, &st) != 0) {
      if (has_rule_suffix(de->d_name)) err = pl_add(bad, b.p);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      for (i = 0; i <= depth; i++)
        if (anc[i].dev == st.st_dev && anc[i].ino == st.st_ino) loop = 1;
      if (loop) continue;
      anc[depth + 1].dev = st.st_dev; anc[depth + 1].ino = st.st_ino;
      err = walk_dir(pl, bad, b.p, anc, depth + 1);
    } else if (S_ISREG(st.st_mode) && has_rule_suffix(de->d_name)) {
      err = pl_add(pl, b.p);
    }
  }
  closedir(d);
  tells_buf_free(&b);
  return err;
}

/* Expands the arguments into the ordered list of rules files; arguments
** that cannot be read are kept (they fail in compiler_add). */
static tells_err collect(const char *const *paths, size_t n_paths, pathlist *out) {
  size_t i;
  tells_err err = TELLS_OK;
  for (i = 0; i < n_paths && !err; i++) {
    struct stat st;
    if (!paths[i]) return TELLS_EARG;
    if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      pathlist found = {0}, bad = {0};
      dev_ino anc[TELLS_MAX_PATH_DEPTH + 1];
      size_t k;
      anc[0].dev = st.st_dev; anc[0].ino = st.st_ino;
      err = walk_dir(&found, &bad, paths[i], anc, 0);
      if (found.n) qsort(found.p, found.n, sizeof *found.p, cmp_str);
      for (k = 0; !err && k < found.n; k++) err = pl_add(out, found.p[k]);
      for (k = 0; !err && k < bad.n; k++) err = pl_add(out, bad.p[k]);
      pl_free(&found); pl_free(&bad);
    } else {
      err = pl_add(out, paths[i]);
    }
  }
  return err;
}

/* ---- Compiling --------------------------------------------------------- */

static tells_err finish_tables(tells_yara_rules *r) {
  size_t i, k = 0, nd = 0;
  YR_RULE *rule;
  yfile *last = NULL;
  /* rules per namespace: the rules table keeps each namespace together */
  yr_rules_foreach(r->yr, rule) {
    r->st.n_rules++;
    if (!last || strcmp(last->path, rule->ns->name) != 0) {
      last = NULL;
      for (i = 0; i < r->n_yf; i++)
        if (strcmp(r->yf[i].path, rule->ns->name) == 0) { last = &r->yf[i]; break; }
    }
    if (last) last->n_rules++;
  }
  r->n_files = r->n_yf;
  r->files = tells_arena_alloc(&r->arena, (r->n_yf ? r->n_yf : 1) * sizeof *r->files);
  if (!r->files) return TELLS_ENOMEM;
  for (i = 0; i < r->n_yf; i++) {
    const yfile *f = &r->yf[i];
    tells_yara_file *o = &r->files[i];
    o->path = f->path;
    o->ok = f->status == YF_OK;
    o->n_rules = o->ok ? f->n_rules : 0;
    o->n_errors = f->n_err; o->n_warnings = f->n_warn;
    r->st.n_files++;
    if (o->ok) r->st.n_files_ok++; else r->st.n_files_failed++;
    r->st.n_errors += f->n_err; r->st.n_warnings += f->n_warn;
    nd += f->n_kept;
  }
  r->diags = tells_arena_alloc(&r->arena, (nd ? nd : 1) * sizeof *r->diags);
  if (!r->diags) return TELLS_ENOMEM;
  for (i = 0; i < r->n_yf; i++) {
    const diag_node *n;
    for (n = r->yf[i].head; n; n = n->next) r->diags[k++] = n->d;
  }
  r->n_diags = k;
  return TELLS_OK;
}

static tells_err compile_all(tells_yara_rules *r) {
  YR_COMPILER *c;
  size_t i, fail_at = r->n_yf;
  int rc;
  /* pass 1: everything into one compiler */
  if (!(c = compiler_new(r))) return TELLS_ENOMEM;
  for (i = 0; i < r->n_yf; i++) {
    rc = compiler_add(r, c, &r->yf[i]);
    r->yf[i].status = rc == 0 ? YF_OK : YF_BAD;
    if (rc > 0) { fail_at = i; break; }
  }
  if (fail_at < r->n_yf) {
    /* pass 2: the files after the failure, each alone */
    yr_compiler_destroy(c);
    for (i = fail_at + 1; i < r->n_yf; i++) {
      YR_COMPILER *t = compiler_new(r);
      if (!t) return TELLS_ENOMEM;
      r->yf[i].status = compiler_add(r, t, &r->yf[i]) == 0 ? YF_OK : YF_BAD;
      yr_compiler_destroy(t);
    }
    /* pass 3: every good file together; repeat without a file that fails */
    for (;;) {
      int again = 0;
      if (!(c = compiler_new(r))) return TELLS_ENOMEM;
      for (i = 0; i < r->n_yf && !again; i++) {
        if (r->yf[i].status != YF_OK) continue;
        if (compiler_add(r, c, &r->yf[i]) != 0) { r->yf[i].status = YF_BAD; again = 1; }
      }
      if (!again) break;
      yr_compiler_destroy(c);
    }
  }
  if (r->err) { yr_compiler_destroy(c); return r->err; }
  rc = yr_compiler_get_rules(c, &r->yr);
  yr_compiler_destroy(c);
  if (rc != ERROR_SUCCESS) return TELLS_ENOMEM;
  return finish_tables(r);
}

/* Runs compile_all on its own thread (see "Heap isolation" above), or on
** this one when no thread can be started. */
typedef struct compile_job { tells_yara_rules *r; tells_err err; } compile_job;

static void *compile_thread(void *p) {
  compile_job *job = p;
  job->err = compile_all(job->r);
  return NULL;
}

static tells_err compile_isolated(tells_yara_rules *r) {
  pthread_attr_t at;
  pthread_t t;
  compile_job job;
  int rc;
  job.r = r; job.err = TELLS_OK;
  if (pthread_attr_init(&at) != 0) return compile_all(r);
  /* libyara's parser recurses on nested expressions: a main-thread-sized stack */
  (void)pthread_attr_setstacksize(&at, TELLS_YARA_COMPILE_STACK);
  rc = pthread_create(&t, &at, compile_thread, &job);
  pthread_attr_destroy(&at);
  if (rc != 0) return compile_all(r);
  if (pthread_join(t, NULL) != 0) return TELLS_EIO;
  return job.err;
}

static void *compile_async(void *p) {
  tells_yara_compiling *c = p;
  c->err = tells_yara_compile(c->paths, c->n_paths, &c->opts, &c->rules);
  return NULL;
}

void tells_yara_compile_start(tells_yara_compiling *c, const char *const *paths,
                              size_t n_paths, const tells_yara_opts *opts) {
  memset(c, 0, sizeof *c);
  c->paths = paths; c->n_paths = n_paths;
  if (opts) c->opts = *opts;
  if (pthread_create(&c->t, NULL, compile_async, c) == 0) c->on_thread = 1;
  else compile_async(c);
}

tells_err tells_yara_compile_wait(tells_yara_compiling *c, tells_yara_rules **out) {
  if (c->on_thread) { pthread_join(c->t, NULL); c->on_thread = 0; }
  *out = c->rules;
  c->rules = NULL;
  return c->err;
}

tells_err tells_yara_compile(const char *const *paths, size_t n_paths,
                             const tells_yara_opts *opts,
                             tells_yara_rules **out) {
  tells_yara_rules *r;
  pathlist pl = {0};
  tells_err err;
  size_t i, k;
  if (!out || (n_paths && !paths)) return TELLS_EARG;
  *out = NULL;
  r = tells_calloc(1, sizeof *r);
  if (!r) return TELLS_ENOMEM;
  tells_arena_init(&r->arena, 0);
  if (opts) r->opts = *opts;
  if (r->opts.timeout_s <= 0) r->opts.timeout_s = TELLS_YARA_DEFAULT_TIMEOUT_S;
  if (!r->opts.max_hits) r->opts.max_hits = TELLS_YARA_DEFAULT_MAX_HITS;
  if (!r->opts.max_strings) r->opts.max_strings = TELLS_YARA_DEFAULT_MAX_STRINGS;
  if (yr_initialize() != ERROR_SUCCESS) { err = TELLS_ENOMEM; goto done; }
  r->yr_inited = 1;

  err = collect(paths, n_paths, &pl);
  if (err) goto done;
  r->yf = tells_calloc(pl.n ? pl.n : 1, sizeof *r->yf);
  if (!r->yf) { err = TELLS_ENOMEM; goto done; }
  for (i = 0; i < pl.n; i++) {
    int dup = 0;   /* the same file named twice compiles once */
    for (k = 0; k < r->n_yf && !dup; k++) dup = strcmp(r->yf[k].path, pl.p[i]) == 0;
    if (dup) continue;
    if (!(r->yf[r->n_yf].path = adup(&r->arena, pl.p[i]))) { err = TELLS_ENOMEM; goto done; }
    r->n_yf++;
  }
  err = compile_isolated(r);
  if (!err && r->opts.diag)
    for (i = 0; i < r->n_diags; i++) r->opts.diag(r->opts.diag_ud, &r->diags[i]);

done:
  pl_free(&pl);
  tells_free(r->yf);
  r->yf = NULL; r->n_yf = 0;
  if (err) { tells_yara_rules_free(r); return err; }
  *out = r;
  return TELLS_OK;
}

void tells_yara_rules_free(tells_yara_rules *r) {
  if (!r) return;
  if (r->yr) yr_rules_destroy(r->yr);
  tells_free(r->yf);
  tells_arena_free(&r->arena);
  if (r->yr_inited) yr_finalize();
  tells_free(r);
}

const tells_yara_stats *tells_yara_rules_stats(const tells_yara_rules *r) {
  return &r->st;
}

const tells_yara_diag *tells_yara_rules_diags(const tells_yara_rules *r, size_t *n) {
  *n = r->n_diags;
  return r->diags;
}

const tells_yara_file *tells_yara_rules_files(const tells_yara_rules *r, size_t *n) {
  *n = r->n_files;
  return r->files;
}

void tells_yara_rules_json(tells_json *j, const tells_yara_rules *r) {
  size_t i;
  tells_json_obj(j);
  tells_json_ku64(j, "files", r->st.n_files);
  tells_json_ku64(j, "files_ok", r->st.n_files_ok);
  tells_json_ku64(j, "files_failed", r->st.n_files_failed);
  tells_json_ku64(j, "rules", r->st.n_rules);
  tells_json_key(j, "diagnostics");
  tells_json_arr(j);
  for (i = 0; i < r->n_diags; i++) {
    const tells_yara_diag *d = &r->diags[i];
    tells_json_obj(j);
    tells_json_kstr(j, "level", d->level == TELLS_YARA_ERROR ? "error" : "warning");
    tells_json_kstr(j, "file", d->file);
    if (d->file != d->source) tells_json_kstr(j, "source", d->source);
    tells_json_ki64(j, "line", d->line);
    if (d->rule) tells_json_kstr(j, "rule", d->rule);
    tells_json_kstr(j, "message", d->msg);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_obj_end(j);
}

/* ---- External variables ------------------------------------------------ */

const char *tells_yara_filetype(const uint8_t *b, size_t n, const char *ext) {
  static const struct { const char *ext, *type; } by_ext[] = {
    {".php", "PHP"}, {".jsp", "JSP"}, {".asp", "ASP"}, {".aspx", "ASP"},
    {".vbs", "VBS"}, {".bat", "BATCH"}, {".cmd", "BATCH"},
    {".py", "Python"}, {".ps1", "PowerShell"}, {".psm1", "PowerShell"},
  };
  size_t i;
  if (n >= 2 && b[0] == 'M' && b[1] == 'Z') return "EXE";
  if (n >= 4) {
    uint32_t be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                  (uint32_t)b[2] << 8 | b[3];
    if (be == 0x7f454c46u) return "ELF";
    if (be == 0xfeedfaceu || be == 0xfeedfacfu || be == 0xcefaedfeu ||
        be == 0xcffaedfeu) return "MACH-O";
    if (memcmp(b, "MDMP", 4) == 0) return "MDMP";
    if (memcmp(b, "%PDF", 4) == 0) return "PDF";
    if (memcmp(b, "GIF8", 4) == 0) return "GIF";
    if (memcmp(b, "PK\x03\x04", 4) == 0) return "ZIP";
    if (memcmp(b, "Rar!", 4) == 0) return "RAR";
  }
  if (n >= 5 && memcmp(b, "{\\rtf", 5) == 0) return "RTF";
  if (ext)
    for (i = 0; i < sizeof by_ext / sizeof by_ext[0]; i++)
      if (strcmp(ext, by_ext[i].ext) == 0) return by_ext[i].type;
  return "UNKNOWN";
}

tells_err tells_yara_ext_derive(tells_arena *a, const char *path,
                                const uint8_t *buf, size_t len,
                                tells_yara_ext *o) {
  tells_buf abs;
  const char *full, *base, *slash, *dot = NULL, *p;
  char *ext;
  struct stat st;
  size_t i;
  memset(o, 0, sizeof *o);
  if (!path || !*path) {
    o->filename = o->filepath = o->extension = o->owner = "";
    o->filetype = tells_yara_filetype(buf, len, NULL);
    return TELLS_OK;
  }
  tells_buf_init(&abs, 1u << 16);
  if (path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) {
      tells_buf_adds(&abs, cwd);
      if (abs.n && abs.p[abs.n - 1] != '/') tells_buf_addc(&abs, '/');
    }
    while (path[0] == '.' && path[1] == '/') path += 2;
  }
  tells_buf_adds(&abs, path);
  full = abs.err ? path : tells_buf_str(&abs);
  slash = strrchr(full, '/');
  base = slash ? slash + 1 : full;
  o->filename = adup(a, base);
  if (!slash) o->filepath = adup(a, "");
  else if (slash == full) o->filepath = adup(a, "/");
  else o->filepath = tells_arena_strndup(a, full, (size_t)(slash - full));
  /* the extension: last dot of the base name, leading dots not counted */
  for (p = base; *p == '.'; p++) {}
  for (; *p; p++) if (*p == '.') dot = p;
  ext = tells_arena_strndup(a, dot ? dot : "", dot ? strlen(dot) : 0);
  if (ext) for (i = 0; ext[i]; i++)
    if (ext[i] >= 'A' && ext[i] <= 'Z') ext[i] = (char)(ext[i] - 'A' + 'a');
  o->extension = ext;
  o->filetype = tells_yara_filetype(buf, len, ext);
  if (stat(full, &st) == 0) {
    struct passwd pw, *res = NULL;
    char pwbuf[4096], num[24];
    if (getpwuid_r(st.st_uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res &&
        res->pw_name)
      o->owner = adup(a, res->pw_name);
    else {
      snprintf(num, sizeof num, "%lu", (unsigned long)st.st_uid);
      o->owner = adup(a, num);
    }
  } else {
    o->owner = adup(a, "");
  }
  tells_buf_free(&abs);
  if (!o->filename || !o->filepath || !o->extension || !o->owner)
    return TELLS_ENOMEM;
  return TELLS_OK;
}

/* ---- Scanning ---------------------------------------------------------- */

struct tells_yara_scanner {
  const tells_yara_rules *r;  /* not owned */
  YR_SCANNER *yr;             /* owned */
  /* per-scan state, valid during tells_yara_scan */
  tells_arena *a;
  tells_yara_result *res;
  tells_yara_hit *tail;
  tells_err err;
};

tells_err tells_yara_scanner_new(const tells_yara_rules *r, tells_yara_scanner **out) {
  tells_yara_scanner *s;
  if (!r || !r->yr || !out) return TELLS_EARG;
  *out = NULL;
  s = tells_calloc(1, sizeof *s);
  if (!s) return TELLS_ENOMEM;
  s->r = r;
  if (yr_scanner_create(r->yr, &s->yr) != ERROR_SUCCESS) {
    tells_free(s);
    return TELLS_ENOMEM;
  }
  yr_scanner_set_timeout(s->yr, r->opts.timeout_s);
  yr_scanner_set_flags(s->yr, SCAN_FLAGS_REPORT_RULES_MATCHING);
  *out = s;
  return TELLS_OK;
}

void tells_yara_scanner_free(tells_yara_scanner *s) {
  if (!s) return;
  if (s->yr) yr_scanner_destroy(s->yr);
  tells_free(s);
}

/* Copies one matching rule into the arena.  Returns 0, or -1 out of memory. */
static int hit_build(tells_yara_scanner *s, YR_SCAN_CONTEXT *ctx, YR_RULE *rule) {
  tells_arena *a = s->a;
  tells_yara_hit *h;
  const char *tag;
  const YR_META *meta;
  const YR_STRING *str;
  size_t n, max_strings = s->r->opts.max_strings;
  if (s->res->n_hits >= s->r->opts.max_hits) { s->res->n_hits_dropped++; return 0; }
  h = tells_arena_alloc(a, sizeof *h);
  if (!h) return -1;
  memset(h, 0, sizeof *h);
  h->rule = adup(a, rule->identifier);
  h->ns = adup(a, rule->ns && rule->ns->name ? rule->ns->name : "default");
  if (!h->rule || !h->ns) return -1;

  n = 0;
  yr_rule_tags_foreach(rule, tag) n++;
  if (n) {
    if (!(h->tags = tells_arena_alloc(a, n * sizeof *h->tags))) return -1;
    yr_rule_tags_foreach(rule, tag) {
      if (!(h->tags[h->n_tags] = adup(a, tag))) return -1;
      h->n_tags++;
    }
  }

  n = 0;
  yr_rule_metas_foreach(rule, meta) n++;
  if (n) {
    if (!(h->metas = tells_arena_alloc(a, n * sizeof *h->metas))) return -1;
    yr_rule_metas_foreach(rule, meta) {
      tells_yara_meta *o = &h->metas[h->n_metas];
      memset(o, 0, sizeof *o);
      if (!(o->key = adup(a, meta->identifier))) return -1;
      switch (meta->type) {
      case META_TYPE_STRING:
        o->type = TELLS_YARA_META_STR;
        if (!(o->str = adup(a, meta->string ? meta->string : ""))) return -1;
        break;
      case META_TYPE_BOOLEAN:
        o->type = TELLS_YARA_META_BOOL; o->i = meta->integer != 0;
        break;
      default:
        o->type = TELLS_YARA_META_INT; o->i = meta->integer;
        break;
      }
      h->n_metas++;
    }
  }

  /* libyara 4.2 packs YR_MATCH records into its notebook without aligning
  ** them, so each is copied out before its fields are read (what
  ** yr_string_matches_foreach does, minus the misaligned loads). */
  yr_rule_strings_foreach(rule, str) {
    const YR_MATCH *p = ctx->matches[str->idx].head;
    while (p) {
      YR_MATCH m;
      memcpy(&m, p, sizeof m);
      p = m.next;
      if (m.is_private) continue;
      h->n_strings_total++;
      if (h->n_strings < max_strings) {
        tells_yara_strmatch *o;
        if (!h->strings &&
            !(h->strings = tells_arena_alloc(a, max_strings * sizeof *h->strings)))
          return -1;
        o = &h->strings[h->n_strings++];
        if (!(o->id = adup(a, str->identifier))) return -1;
        o->offset = (uint64_t)(m.base + m.offset);
        o->len = m.match_length > 0 ? (uint32_t)m.match_length : 0;
      }
    }
  }

  if (s->tail) s->tail->next = h; else s->res->hits = h;
  s->tail = h;
  s->res->n_hits++;
  return 0;
}

static int scan_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *ud) {
  tells_yara_scanner *s = ud;
  switch (message) {
  case CALLBACK_MSG_RULE_MATCHING:
    if (hit_build(s, ctx, (YR_RULE *)data) != 0) {
      s->err = TELLS_ENOMEM;
      return CALLBACK_ABORT;
    }
    break;
  case CALLBACK_MSG_TOO_MANY_MATCHES:
    s->res->n_too_many++;
    break;
  default:   /* module import, console log, not matching, finished */
    break;
  }
  return CALLBACK_CONTINUE;
}

tells_err tells_yara_scan(tells_yara_scanner *s, const char *path,
                          const uint8_t *buf, size_t len,
                          const tells_yara_ext *ext, tells_arena *a,
                          tells_yara_result *out) {
  static const uint8_t empty[1];
  tells_yara_ext derived;
  const char *vals[5];
  tells_err err;
  size_t i;
  int rc;
  if (!s || !a || !out || (!buf && len)) return TELLS_EARG;
  memset(out, 0, sizeof *out);
  if (!ext) {
    if ((err = tells_yara_ext_derive(a, path, buf, len, &derived))) return err;
    ext = &derived;
  }
  vals[0] = ext->filename; vals[1] = ext->filepath; vals[2] = ext->extension;
  vals[3] = ext->filetype; vals[4] = ext->owner;
  for (i = 0; i < 5; i++) {
    rc = yr_scanner_define_string_variable(s->yr, ext_names[i], vals[i] ? vals[i] : "");
    if (rc != ERROR_SUCCESS) {
      out->yr_error = rc;
      return rc == ERROR_INSUFFICIENT_MEMORY ? TELLS_ENOMEM : TELLS_EIO;
    }
  }
  s->a = a; s->res = out; s->tail = NULL; s->err = TELLS_OK;
  yr_scanner_set_callback(s->yr, scan_cb, s);
  rc = yr_scanner_scan_mem(s->yr, buf ? buf : empty, len);
  s->a = NULL; s->res = NULL; s->tail = NULL;
  if (rc == ERROR_SUCCESS) return TELLS_OK;
  out->yr_error = rc;
  if (s->err) return s->err;
  if (rc == ERROR_SCAN_TIMEOUT) { out->timed_out = 1; return TELLS_ELIMIT; }
  if (rc == ERROR_INSUFFICIENT_MEMORY) return TELLS_ENOMEM;
  return TELLS_EIO;
}

/* ---- Hits as JSON and findings ----------------------------------------- */

const char *tells_yara_hit_meta(const tells_yara_hit *h, const char *key) {
  size_t i;
  for (i = 0; i < h->n_metas; i++)
    if (h->metas[i].type == TELLS_YARA_META_STR && strcmp(h->metas[i].key, key) == 0)
      return h->metas[i].str;
  return NULL;
}

static void meta_value(tells_json *j, const tells_yara_meta *m) {
  if (m->type == TELLS_YARA_META_STR) tells_json_str(j, m->str);
  else if (m->type == TELLS_YARA_META_BOOL) tells_json_bool(j, (int)m->i);
  else tells_json_i64(j, m->i);
}

void tells_yara_hit_json(tells_json *j, const tells_yara_hit *h) {
  size_t i, k;
  tells_json_obj(j);
  tells_json_kstr(j, "rule", h->rule);
  tells_json_kstr(j, "namespace", h->ns);
  tells_json_key(j, "tags");
  tells_json_arr(j);
  for (i = 0; i < h->n_tags; i++) tells_json_str(j, h->tags[i]);
  tells_json_arr_end(j);
  /* metas as an object; a key used more than once gets an array of values */
  tells_json_key(j, "meta");
  tells_json_obj(j);
  for (i = 0; i < h->n_metas; i++) {
    const tells_yara_meta *m = &h->metas[i];
    size_t count = 0;
    int seen = 0;
    for (k = 0; k < i && !seen; k++) seen = strcmp(h->metas[k].key, m->key) == 0;
    if (seen) continue;
    for (k = i; k < h->n_metas; k++) count += strcmp(h->metas[k].key, m->key) == 0;
    tells_json_key(j, m->key);
    if (count == 1) { meta_value(j, m); continue; }
    tells_json_arr(j);
    for (k = i; k < h->n_metas; k++)
      if (strcmp(h->metas[k].key, m->key) == 0) meta_value(j, &h->metas[k]);
    tells_json_arr_end(j);
  }
  tells_json_obj_end(j);
  tells_json_key(j, "strings");
  tells_json_arr(j);
  for (i = 0; i < h->n_strings; i++) {
    tells_json_obj(j);
    tells_json_kstr(j, "id", h->strings[i].id);
    tells_json_ku64(j, "offset", h->strings[i].offset);
    tells_json_ku64(j, "length", h->strings[i].len);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_ku64(j, "strings_total", h->n_strings_total);
  tells_json_obj_end(j);
}

void tells_yara_hits_json(tells_json *j, const tells_yara_result *res) {
  const tells_yara_hit *h;
  tells_json_arr(j);
  for (h = res->hits; h; h = h->next) tells_yara_hit_json(j, h);
  tells_json_arr_end(j);
}

/* signature-base's score meta (0..100, as LOKI and THOR rate it). */
static const char *severity_of(const tells_yara_hit *h) {
  size_t i;
  int64_t score = -1;
  for (i = 0; i < h->n_metas && score < 0; i++) {
    const tells_yara_meta *m = &h->metas[i];
    if (strcmp(m->key, "score") != 0) continue;
    if (m->type == TELLS_YARA_META_INT) score = m->i;
    else if (m->type == TELLS_YARA_META_STR && m->str[0] >= '0' && m->str[0] <= '9')
      score = strtol(m->str, NULL, 10);
  }
  if (score < 0) return "medium";
  if (score >= 80) return "high";
  if (score >= 60) return "medium";
  if (score >= 40) return "low";
  return "info";
}

tells_err tells_yara_hit_finding(const tells_yara_hit *h, tells_arena *a,
                                 tells_finding *f) {
  tells_buf b;
  tells_json j;
  const char *desc = tells_yara_hit_meta(h, "description");
  const char *slash = strrchr(h->ns, '/');
  char *rid, *summary, *details;
  memset(f, 0, sizeof *f);
  tells_buf_init(&b, 1u << 20);
  tells_buf_addf(&b, "yara:%s", h->rule);
  rid = tells_arena_strndup(a, tells_buf_str(&b), b.n);
  tells_buf_reset(&b);
  tells_buf_addf(&b, "YARA rule %s (%s) matched with %llu string match%s",
                 h->rule, slash ? slash + 1 : h->ns,
                 (unsigned long long)h->n_strings_total,
                 h->n_strings_total == 1 ? "" : "es");
  if (desc && *desc) tells_buf_addf(&b, ": %s", desc);
  summary = tells_arena_strndup(a, tells_buf_str(&b), b.n);
  tells_buf_reset(&b);
  tells_json_init_buf(&j, &b, 0);
  tells_yara_hit_json(&j, h);
  tells_json_flush(&j);
  details = b.err || j.err ? NULL : tells_arena_strndup(a, tells_buf_str(&b), b.n);
  tells_buf_free(&b);
  if (!rid || !summary || !details) return TELLS_ENOMEM;
  f->source = "code";
  f->rule = rid;
  f->title = desc && *desc ? desc : h->rule;
  f->severity = severity_of(h);
  f->technique = NULL;
  f->tactic = NULL;
  f->summary = summary;
  f->author = tells_yara_hit_meta(h, "author");
  f->first_ns = f->last_ns = TELLS_NO_TIME;
  f->ref_offset = h->n_strings ? (int64_t)h->strings[0].offset : TELLS_NO_REF;
  f->ref_record = TELLS_NO_REF;
  f->details_json = details;
  return TELLS_OK;
}

void tells_yara_diag_hold(void *ud, const tells_yara_diag *d) {
  char where[4200], msg[600];
  snprintf(where, sizeof where, "%s:%d", d->file ? d->file : d->source, d->line);
  snprintf(msg, sizeof msg, "YARA %s: %s%s%s", d->level == TELLS_YARA_ERROR ? "error" : "warning",
           d->msg, d->rule ? " in rule " : "", d->rule ? d->rule : "");
  tells_held_add(ud, where, msg);
}
