/*
** pe_tells_pdb.c -- what the CodeView PDB path of a PE says about the build
** machine: drive or UNC host, the user's profile folder (C:\Users\<name>,
** C:\Documents and Settings\<name>, /home/<name>), the project (the folder
** above the build configuration and platform folders, e.g. Release, x64),
** the configuration, and the script of non-ASCII folder names (RSDS
** records store the path in UTF-8; older NB10 ones in the ANSI code page,
** which shows up here as invalid UTF-8).
*/
#include <string.h>
#include <strings.h>
#include "json.h"
#include "pe_tells.h"

#define MAX_PARTS 64

typedef struct part { const char *p; size_t n; } part;

static int eq(const part *s, const char *w) {
  return s->n == strlen(w) && strncasecmp(s->p, w, s->n) == 0;
}

static int is_config(const part *s) {
  static const char *const w[] = {"Release", "Debug", "RelWithDebInfo", "MinSizeRel",
                                  "Retail", "Checked", "Final", "Ship", "Profile"};
  size_t i;
  for (i = 0; i < sizeof w / sizeof *w; i++) {
    size_t k = strlen(w[i]);
    if (eq(s, w[i])) return 1;
    /* Release_x64, Debug-Unicode, ReleaseMT ... */
    if (i < 2 && s->n > k && strncasecmp(s->p, w[i], k) == 0 &&
        (s->p[k] == '_' || s->p[k] == '-' || s->p[k] == ' ' || (s->p[k] >= 'A' && s->p[k] <= 'Z')))
      return 1;
  }
  return 0;
}

static int is_platform(const part *s) {
  static const char *const w[] = {"x64", "x86", "Win32", "Win64", "ARM", "ARM64", "AMD64",
                                  "i386", "ia64", "Itanium", "x64_Release", "x86_64"};
  size_t i;
  for (i = 0; i < sizeof w / sizeof *w; i++) if (eq(s, w[i])) return 1;
  return 0;
}

/* Folders between the project and the configuration ("obj", "bin", "net6.0"). */
static int is_output(const part *s) {
  static const char *const w[] = {"obj", "bin", "build", "out", "output", "Intermediate",
                                  "Binaries", "_build", "Objects"};
  size_t i;
  for (i = 0; i < sizeof w / sizeof *w; i++) if (eq(s, w[i])) return 1;
  return s->n > 3 && (strncasecmp(s->p, "net", 3) == 0 && s->p[3] >= '0' && s->p[3] <= '9');
}

/* Folders that do not name a project. */
static int is_generic(const part *s) {
  static const char *const w[] = {"Desktop", "Documents", "My Documents", "Downloads", "Temp",
                                  "tmp", "src", "source", "sources", "Projects", "repos",
                                  "Visual Studio 2005", "Visual Studio 2008", "Visual Studio 2010",
                                  "Users", "Documents and Settings", "home", "work", "code"};
  size_t i;
  for (i = 0; i < sizeof w / sizeof *w; i++) if (eq(s, w[i])) return 1;
  return is_config(s) || is_platform(s) || is_output(s);
}

static const char *dup(tells_arena *a, const part *s) {
  return tells_arena_strndup(a, s->p, s->n);
}

/* Script bits of the code points of a valid UTF-8 string; *ok = 0 if the
** bytes are not UTF-8. */
static unsigned scripts_of(const char *p, size_t n, int *ok) {
  unsigned bits = 0;
  size_t i = 0;
  while (i < n) {
    const unsigned char *q = (const unsigned char *)p + i;
    size_t k = tells_utf8_seq(q, n - i);
    uint32_t cp;
    int s;
    if (!k) { *ok = 0; i++; continue; }
    if (k == 1) cp = q[0];
    else if (k == 2) cp = (uint32_t)(q[0] & 0x1f) << 6 | (q[1] & 0x3f);
    else if (k == 3) cp = (uint32_t)(q[0] & 0x0f) << 12 | (uint32_t)(q[1] & 0x3f) << 6 | (q[2] & 0x3f);
    else cp = (uint32_t)(q[0] & 0x07) << 18 | (uint32_t)(q[1] & 0x3f) << 12 |
              (uint32_t)(q[2] & 0x3f) << 6 | (q[3] & 0x3f);
    s = tells_petells_script_of(cp);
    if (s >= 0) bits |= 1u << s;
    i += k;
  }
  return bits;
}

tells_err tells_petells_pdb_parse(const char *path, tells_arena *a, tells_petells_pdb *o) {
  part v[MAX_PARTS];
  size_t n = 0, i, len, start = 0;
  ptrdiff_t cfg = -1, user = -1, proj = -1;
  memset(o, 0, sizeof *o);
  if (!path) return TELLS_OK;
  o->path = path;
  len = strlen(path);
  o->utf8 = 1;
  for (i = 0; i < len; i++) if ((unsigned char)path[i] >= 0x80) o->non_ascii = 1;
  /* Prefixes: \\?\ (long path), \\host\share (UNC), X: (drive). */
  if (len >= 4 && memcmp(path, "\\\\?\\", 4) == 0) start = 4;
  else if (len >= 2 && (path[0] == '\\' || path[0] == '/') && path[1] == path[0]) {
    size_t h = 2, e = 2;
    while (e < len && path[e] != '\\' && path[e] != '/') e++;
    if (e > h && !(o->host = tells_arena_strndup(a, path + h, e - h))) return TELLS_ENOMEM;
    start = e;
  }
  if (len - start >= 2 && path[start + 1] == ':' &&
      ((path[start] | 0x20) >= 'a' && (path[start] | 0x20) <= 'z')) {
    if (!(o->drive = tells_arena_strndup(a, path + start, 2))) return TELLS_ENOMEM;
    start += 2;
  }
  /* Split the rest on both separators; empty parts are skipped. */
  i = start;
  while (i < len) {
    size_t e = i;
    while (e < len && path[e] != '\\' && path[e] != '/') e++;
    if (e > i) {
      if (n == MAX_PARTS) { memmove(v, v + 1, (MAX_PARTS - 1) * sizeof *v); n--; }
      v[n].p = path + i; v[n].n = e - i; n++;
    }
    i = e + 1;
  }
  if (!n) return TELLS_OK;
  if (!(o->file = dup(a, &v[n - 1]))) return TELLS_ENOMEM;
  /* The user: the part after Users / Documents and Settings / home. */
  for (i = 0; i + 2 < n; i++)
    if (eq(&v[i], "Users") || eq(&v[i], "Documents and Settings") || eq(&v[i], "home")) {
      user = (ptrdiff_t)i + 1;
      break;
    }
  if (user >= 0 && !(o->user = dup(a, &v[user]))) return TELLS_ENOMEM;
  /* The configuration: the last folder that names one. */
  for (i = n - 1; i-- > 0;)
    if (is_config(&v[i])) { cfg = (ptrdiff_t)i; break; }
  if (cfg >= 0) {
    if (!(o->config = dup(a, &v[cfg]))) return TELLS_ENOMEM;
    /* A platform folder next to it (proj\x64\Release or proj\Release\x64). */
    if (cfg + 1 < (ptrdiff_t)n - 1 && is_platform(&v[cfg + 1])) {
      if (!(o->platform = dup(a, &v[cfg + 1]))) return TELLS_ENOMEM;
    }
    for (i = (size_t)cfg; i-- > 0;) {
      if (is_platform(&v[i])) {
        if (!o->platform && !(o->platform = dup(a, &v[i]))) return TELLS_ENOMEM;
        continue;
      }
      if (is_output(&v[i]) || is_config(&v[i])) continue;
      proj = (ptrdiff_t)i;
      break;
    }
  } else if (n >= 2) {
    proj = (ptrdiff_t)n - 2;   /* the folder holding the PDB */
  }
  if (proj >= 0 && proj != user && !is_generic(&v[proj]) &&
      !(o->project = dup(a, &v[proj])))
    return TELLS_ENOMEM;
  /* Non-ASCII folder names and their scripts. */
  if (o->non_ascii) {
    size_t k = 0;
    o->folders = tells_arena_alloc(a, n * sizeof *o->folders);
    if (!o->folders) return TELLS_ENOMEM;
    for (i = 0; i < n; i++) {
      size_t j;
      int ok = 1;
      for (j = 0; j < v[i].n; j++) if ((unsigned char)v[i].p[j] >= 0x80) break;
      if (j == v[i].n) continue;
      o->scripts |= scripts_of(v[i].p, v[i].n, &ok);
      if (!ok) o->utf8 = 0;
      if (!(o->folders[k] = dup(a, &v[i]))) return TELLS_ENOMEM;
      k++;
    }
    o->n_folders = k;
  }
  return TELLS_OK;
}
