/*
** walk.h -- expands the evidence paths of a run into the list of files.
**
** Folders are walked recursively in byte order of names (so runs are
** deterministic), symlinks are followed, a symlink back to an ancestor
** folder is reported as a directory loop and not followed, and the same
** file reached twice (two paths, or hard links) is listed once.  Problems
** are reported through the diagnostic callback, one line each, and the walk
** goes on.
*/
#ifndef TELLS_WALK_H
#define TELLS_WALK_H

#include <stdint.h>
#include <sys/types.h>
#include "tells.h"

typedef struct tells_walk_file {
  char *path;          /* absolute path; owned by the list */
  uint64_t size;       /* size when listed */
  int not_regular;     /* 0, or a static description for special files */
  const char *special; /* "fifo", "socket", ... when not_regular */
} tells_walk_file;

typedef struct tells_walk_id { dev_t dev; ino_t ino; } tells_walk_id;

typedef struct tells_walk {
  tells_walk_file *v;  /* owned */
  size_t n, cap;
  uint64_t bytes;
  uint64_t problems;   /* paths that could not be listed */
  tells_diag_fn diag; void *diag_ud;
  /* identities of files that must not be read as evidence (the case) */
  const char *const *exclude; size_t n_exclude;
  /* internal */
  tells_walk_id *seen; size_t n_seen, cap_seen;  /* hash set of listed files */
} tells_walk;

tells_err tells_walk_paths(tells_walk *w, const char *const *paths, size_t n);
void tells_walk_free(tells_walk *w);

/* Makes `path` absolute (without resolving symlinks) and tidies slashes.
** Returns a tells_malloc'd string or NULL. */
char *tells_abspath(const char *path);

#endif
