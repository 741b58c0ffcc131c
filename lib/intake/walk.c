/*
** walk.c -- the evidence walk (see walk.h).
*/
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alloc.h"
#include "tells_limits.h"
#include "walk.h"

typedef struct ancestor { dev_t dev; ino_t ino; const char *path; } ancestor;

static void diag(tells_walk *w, const char *path, const char *fmt, const char *arg) {
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, arg);
  w->problems++;
  if (w->diag) w->diag(w->diag_ud, path, msg);
}

char *tells_abspath(const char *path) {
  char cwd[PATH_MAX];
  size_t n, i, o = 0;
  char *raw, *out;
  if (path[0] == '/') {
    raw = tells_strdup(path);
  } else {
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    n = strlen(cwd) + strlen(path) + 2;
    raw = tells_malloc(n);
    if (raw) snprintf(raw, n, "%s/%s", cwd, path);
  }
  if (!raw) return NULL;
  /* collapse "//" and "/./", drop trailing "/" and "/." */
  out = raw;
  n = strlen(raw);
  for (i = 0; i < n; i++) {
    if (raw[i] == '/' && o > 0 && out[o - 1] == '/') continue;
    if (raw[i] == '.' && o > 0 && out[o - 1] == '/' && (raw[i + 1] == '/' || raw[i + 1] == 0))
      continue;
    out[o++] = raw[i];
  }
  while (o > 1 && out[o - 1] == '/') o--;
  out[o] = 0;
  return out;
}

/* Returns 1 if (dev, ino) was already listed, else remembers it.  An open
** addressing hash set, kept at most half full. */
static uint64_t mix(dev_t dev, ino_t ino) {
  uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;
  return h ^ (h >> 29);
}

static int seen_before(tells_walk *w, dev_t dev, ino_t ino) {
  size_t i, mask;
  if (w->n_seen * 2 >= w->cap_seen) {
    size_t cap = w->cap_seen ? w->cap_seen * 2 : 1024, k;
    tells_walk_id *old = w->seen;
    size_t old_cap = w->cap_seen;
    w->seen = tells_calloc(cap, sizeof *w->seen);
    if (!w->seen) { w->seen = old; return 0; }
    w->cap_seen = cap; w->n_seen = 0;
    for (k = 0; k < old_cap; k++) {
      if (old[k].ino || old[k].dev) (void)seen_before(w, old[k].dev, old[k].ino);
    }
    tells_free(old);
  }
  mask = w->cap_seen - 1;
  for (i = (size_t)mix(dev, ino) & mask;; i = (i + 1) & mask) {
    if (!w->seen[i].ino && !w->seen[i].dev) break;
    if (w->seen[i].dev == dev && w->seen[i].ino == ino) return 1;
  }
  w->seen[i].dev = dev; w->seen[i].ino = ino;
  w->n_seen++;
  return 0;
}

static tells_err add_file(tells_walk *w, const char *path, const struct stat *st,
                          const char *special) {
  size_t i;
  for (i = 0; i < w->n_exclude; i++)
    if (strcmp(path, w->exclude[i]) == 0) return TELLS_OK;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 256;
    tells_walk_file *v = tells_realloc(w->v, cap * sizeof *v);
    if (!v) return TELLS_ENOMEM;
    w->v = v; w->cap = cap;
  }
  w->v[w->n].path = tells_strdup(path);
  if (!w->v[w->n].path) return TELLS_ENOMEM;
  w->v[w->n].size = special ? 0 : (uint64_t)st->st_size;
  w->v[w->n].not_regular = special != NULL;
  w->v[w->n].special = special;
  if (!special) w->bytes += (uint64_t)st->st_size;
  w->n++;
  return TELLS_OK;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static tells_err walk_one(tells_walk *w, const char *path, ancestor *anc, int depth);

static tells_err walk_dir(tells_walk *w, const char *path, ancestor *anc, int depth) {
  DIR *d;
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  tells_err e = TELLS_OK;
  if (depth >= TELLS_MAX_PATH_DEPTH) {
    diag(w, path, "folders nested deeper than %s levels, not walked", "64");
    return TELLS_OK;
  }
  d = opendir(path);
  if (!d) {
    diag(w, path, "cannot read folder: %s", strerror(errno));
    return TELLS_OK;
  }
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      char **v = tells_realloc(names, nc * sizeof *v);
      if (!v) { e = TELLS_ENOMEM; break; }
      names = v; cap = nc;
    }
    if (!(names[n] = tells_strdup(de->d_name))) { e = TELLS_ENOMEM; break; }
    n++;
  }
  closedir(d);
  if (!e) qsort(names, n, sizeof *names, cmp_names);
  for (i = 0; i < n; i++) {
    if (!e) {
      size_t len = strlen(path) + strlen(names[i]) + 2;
      char *child = tells_malloc(len);
      if (!child) e = TELLS_ENOMEM;
      else {
        snprintf(child, len, "%s%s%s", path, strcmp(path, "/") ? "/" : "", names[i]);
        e = walk_one(w, child, anc, depth + 1);
        tells_free(child);
      }
    }
    tells_free(names[i]);
  }
  tells_free(names);
  return e;
}

static tells_err walk_one(tells_walk *w, const char *path, ancestor *anc, int depth) {
  struct stat st;
  int i;
  if (stat(path, &st) != 0) {
    int err = errno;
    struct stat lst;
    if (err == ELOOP) diag(w, path, "symlink loop: %s", strerror(err));
    else if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
      diag(w, path, "dangling symlink: %s", strerror(err));
    else diag(w, path, "%s", strerror(err));
    return TELLS_OK;
  }
  if (S_ISDIR(st.st_mode)) {
    for (i = 0; i < depth; i++) {
      if (anc[i].dev == st.st_dev && anc[i].ino == st.st_ino) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "directory loop: leads back to %s, not followed", anc[i].path);
        w->problems++;
        if (w->diag) w->diag(w->diag_ud, path, msg);
        return TELLS_OK;
      }
    }
    if (seen_before(w, st.st_dev, st.st_ino)) return TELLS_OK; /* walked via another path */
    anc[depth].dev = st.st_dev; anc[depth].ino = st.st_ino; anc[depth].path = path;
    return walk_dir(w, path, anc, depth);
  }
  if (seen_before(w, st.st_dev, st.st_ino)) return TELLS_OK;
  if (S_ISREG(st.st_mode)) return add_file(w, path, &st, NULL);
  return add_file(w, path, &st,
                  S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "socket" :
                  S_ISCHR(st.st_mode) ? "character device" :
                  S_ISBLK(st.st_mode) ? "block device" : "special file");
}

tells_err tells_walk_paths(tells_walk *w, const char *const *paths, size_t n) {
  ancestor anc[TELLS_MAX_PATH_DEPTH + 1];
  size_t i;
  tells_err e = TELLS_OK;
  for (i = 0; i < n && !e; i++) {
    /* A path named on the command line is made canonical (symlinks and
    ** ".." resolved), so the case names evidence the same way whatever the
    ** working folder was; paths found inside folders keep their names. */
    char *real = realpath(paths[i], NULL);
    char *abs = real ? tells_strdup(real) : tells_abspath(paths[i]);
    free(real);
    if (!abs) return TELLS_ENOMEM;
    e = walk_one(w, abs, anc, 0);
    tells_free(abs);
  }
  return e;
}

void tells_walk_free(tells_walk *w) {
  size_t i;
  for (i = 0; i < w->n; i++) tells_free(w->v[i].path);
  tells_free(w->v);
  tells_free(w->seen);
  w->v = NULL; w->n = w->cap = 0;
  w->seen = NULL; w->n_seen = w->cap_seen = 0;
}
