/*
** test_elf.c -- the ELF parser (lib/code/elf*.c) against readelf, against
** files built at run time (gcc -m32), against a hand-built minimal ELF in all
** four class/byte-order combinations, and against hostile variants of it.
**
** readelf (binutils) is the reference: for real system binaries, section
** names and count, program header count, interpreter, DT_NEEDED, SONAME,
** build-id, .comment strings and the dynamic symbol count must equal what
** `readelf -h -S -l -d -n -p .comment --dyn-syms` prints.  Cases skip when
** readelf or a compiler is missing.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "anom.h"
#include "arena.h"
#include "buf.h"
#include "elf.h"
#include "json.h"
#include "t.h"

/* ---- helpers -------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  uint8_t *p;
  long m;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) || (m = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    return NULL;
  }
  p = malloc((size_t)m + 1);
  if (p && fread(p, 1, (size_t)m, f) != (size_t)m) { free(p); p = NULL; }
  fclose(f);
  *n = (size_t)m;
  return p;
}

/* Output of a shell command, NUL-terminated, or NULL. */
static char *run(const char *cmd) {
  FILE *f = popen(cmd, "r");
  char *p = NULL;
  size_t n = 0, cap = 0, k;
  if (!f) return NULL;
  for (;;) {
    if (cap - n < 4096) {
      char *q = realloc(p, cap = cap ? cap * 2 : 65536);
      if (!q) { free(p); pclose(f); return NULL; }
      p = q;
    }
    k = fread(p + n, 1, cap - n - 1, f);
    if (!k) break;
    n += k;
  }
  p[n] = 0;
  pclose(f);
  return p;
}

static int have_tool(const char *name) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
  return system(cmd) == 0;
}

typedef struct parsed {
  tells_arena a;
  tells_anoms an;
  tells_elf *e;
  tells_err rc;
} parsed;

static void parse(parsed *p, const uint8_t *b, size_t n) {
  tells_arena_init(&p->a, 0);
  tells_anoms_init(&p->an);
  p->e = NULL;
  p->rc = tells_elf_parse(b, n, &p->a, &p->an, &p->e);
}

static void done(parsed *p) {
  tells_anoms_free(&p->an);
  tells_arena_free(&p->a);
}

static int has_anom(const parsed *p, const char *code) {
  size_t i;
  for (i = 0; i < p->an.n; i++)
    if (!strcmp(p->an.v[i].code, code)) return 1;
  return 0;
}

static void dump_anoms(const parsed *p) {
  size_t i;
  for (i = 0; i < p->an.n; i++)
    fprintf(stderr, "    anomaly @0x%llx %s: %s\n",
            (unsigned long long)p->an.v[i].off, p->an.v[i].code,
            p->an.v[i].detail);
}

/* Renders e as JSON into a fresh buffer (caller frees). */
static char *to_json(const tells_elf *e) {
  tells_buf b;
  tells_json j;
  char *s;
  tells_buf_init(&b, 0);
  tells_json_init_buf(&j, &b, 0);
  tells_elf_json(e, &j);
  if (tells_json_flush(&j) || j.depth != 0) { tells_buf_free(&b); return NULL; }
  s = strdup(tells_buf_str(&b));
  tells_buf_free(&b);
  return s;
}

/* ---- readelf comparison --------------------------------------------- */

/* Next line of *pp, NUL-terminated in place. */
static char *next_line(char **pp) {
  char *s = *pp, *nl;
  if (!s || !*s) return NULL;
  nl = strchr(s, '\n');
  if (nl) { *nl = 0; *pp = nl + 1; } else *pp = s + strlen(s);
  return s;
}

/* Text between `open` after `key` and the matching `close` on the line. */
static int bracket_after(const char *line, const char *key, char *out,
                         size_t cap) {
  const char *k = strstr(line, key), *o, *c;
  if (!k) return 0;
  o = strchr(k + strlen(key), '[');
  if (!o) return 0;
  c = strrchr(o, ']');
  if (!c || (size_t)(c - o - 1) >= cap) return 0;
  memcpy(out, o + 1, (size_t)(c - o - 1));
  out[c - o - 1] = 0;
  return 1;
}

static void compare_with_readelf(const char *path) {
  char cmd[1024], *out, *cur, *line, tmp[4096];
  uint8_t *buf;
  size_t len, i, n_sec = 0, n_needed = 0, n_comment = 0;
  long phnum = -1, dynsyms = -1;
  int interp_seen = 0, bid_seen = 0, soname_seen = 0;
  parsed p;

  buf = slurp(path, &len);
  if (!buf) { fprintf(stderr, "  cannot read %s\n", path); t_case_failed = 1; return; }
  parse(&p, buf, len);
  CHECK_EQ_INT(p.rc, TELLS_OK);
  if (!p.e) { free(buf); done(&p); return; }

  /* readelf -h: program header count */
  snprintf(cmd, sizeof cmd, "readelf -W -h '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur)))
    if (strstr(line, "Number of program headers:"))
      phnum = strtol(strchr(line, ':') + 1, NULL, 10);
  free(out);
  CHECK_EQ_INT(p.e->n_segments, phnum);

  /* readelf -S: names and count */
  snprintf(cmd, sizeof cmd, "readelf -W -S '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur))) {
    char *b = strstr(line, "["), *e2;
    if (!b || strstr(line, "[Nr]") || !strchr(line, ']')) continue;
    if (b[1] != ' ' && (b[1] < '0' || b[1] > '9')) continue;
    e2 = strchr(b, ']') + 1;
    if (*e2 == ' ') e2++;
    {
      const char *nm = "";
      size_t k = 0;
      if (*e2 != ' ') {
        while (e2[k] && e2[k] != ' ') k++;
        e2[k] = 0;
        nm = e2;
      }
      if (n_sec < p.e->n_sections) {
        const char *ours = p.e->sections[n_sec].name ? p.e->sections[n_sec].name : "";
        if (strcmp(ours, nm)) {
          fprintf(stderr, "  %s: section %zu: \"%s\" != readelf \"%s\"\n",
                  path, n_sec, ours, nm);
          t_case_failed = 1;
        }
      }
    }
    n_sec++;
  }
  free(out);
  CHECK_EQ_INT(p.e->n_sections, n_sec);

  /* readelf -l: interpreter */
  snprintf(cmd, sizeof cmd, "readelf -W -l '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur)))
    {
      const char *k = strstr(line, "[Requesting program interpreter: ");
      const char *z = k ? strrchr(k, ']') : NULL;
      if (z && (size_t)(z - k - 33) < sizeof tmp) {
        memcpy(tmp, k + 33, (size_t)(z - k - 33));
        tmp[z - k - 33] = 0;
        interp_seen = 1;
        CHECK_EQ_STR(p.e->interp, tmp);
      }
    }
  free(out);
  if (!interp_seen) CHECK(p.e->interp == NULL);

  /* readelf -d: needed, soname */
  snprintf(cmd, sizeof cmd, "readelf -W -d '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur))) {
    if (strstr(line, "(NEEDED)") &&
        bracket_after(line, "Shared library:", tmp, sizeof tmp)) {
      if (n_needed < p.e->n_needed) CHECK_EQ_STR(p.e->needed[n_needed], tmp);
      n_needed++;
    } else if (strstr(line, "(SONAME)") &&
               bracket_after(line, "Library soname:", tmp, sizeof tmp)) {
      soname_seen = 1;
      CHECK_EQ_STR(p.e->soname, tmp);
    } else if (strstr(line, "(RUNPATH)") &&
               bracket_after(line, "Library runpath:", tmp, sizeof tmp)) {
      CHECK_EQ_STR(p.e->runpath, tmp);
    } else if (strstr(line, "(RPATH)") &&
               bracket_after(line, "Library rpath:", tmp, sizeof tmp)) {
      CHECK_EQ_STR(p.e->rpath, tmp);
    }
  }
  free(out);
  CHECK_EQ_INT(p.e->n_needed, n_needed);
  if (!soname_seen) CHECK(p.e->soname == NULL);

  /* readelf -n: build-id */
  snprintf(cmd, sizeof cmd, "readelf -W -n '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur))) {
    char *k = strstr(line, "Build ID: ");
    char hex[2 * TELLS_ELF_MAX_BUILD_ID + 1];
    if (!k || bid_seen) continue;
    bid_seen = 1;
    for (i = 0; i < p.e->build_id_len; i++)
      snprintf(hex + 2 * i, 3, "%02x", p.e->build_id[i]);
    hex[2 * p.e->build_id_len] = 0;
    CHECK_EQ_STR(hex, k + 10);
  }
  free(out);
  if (!bid_seen) CHECK_EQ_INT(p.e->build_id_len, 0);

  /* readelf -p .comment */
  snprintf(cmd, sizeof cmd, "readelf -W -p .comment '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur))) {
    char *b = strstr(line, "  [");
    char *e2 = b ? strchr(b, ']') : NULL;
    if (!e2 || line != b) continue;
    e2 += 3;                               /* "]  " */
    if (n_comment < p.e->n_comments) CHECK_EQ_STR(p.e->comments[n_comment], e2);
    n_comment++;
  }
  free(out);
  CHECK_EQ_INT(p.e->n_comments, n_comment);

  /* readelf --dyn-syms: count (we leave out symbol 0) */
  snprintf(cmd, sizeof cmd, "readelf -W --dyn-syms '%s' 2>/dev/null", path);
  cur = out = run(cmd);
  while ((line = next_line(&cur))) {
    char *k = strstr(line, "Symbol table '.dynsym' contains ");
    if (k) dynsyms = strtol(k + 32, NULL, 10);
  }
  free(out);
  if (dynsyms > 0) CHECK_EQ_INT(p.e->n_dynsyms, dynsyms - 1);
  else CHECK_EQ_INT(p.e->n_dynsyms, 0);

  CHECK_EQ_INT(p.an.n, 0);              /* real toolchain output is clean */
  if (t_case_failed) dump_anoms(&p);
  fprintf(stderr, "  %s: %zu sections, %zu segments, interp %s, %zu needed, "
          "build-id %zu bytes, %zu comments, %zu dynsyms\n", path,
          p.e->n_sections, p.e->n_segments, p.e->interp ? "yes" : "no",
          p.e->n_needed, p.e->build_id_len, p.e->n_comments, p.e->n_dynsyms);
  {
    char *js = to_json(p.e);
    CHECK(js != NULL);
    free(js);
  }
  done(&p);
  free(buf);
}

static const char *const k_system_files[] = {
  "/bin/ls", "/usr/bin/gcc-12", "/usr/bin/gcc",
  "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libasan.so.8",
  "/usr/lib/x86_64-linux-gnu/libsframe.so.0", "/usr/bin/readelf",
  "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  "/usr/lib/google-cloud-sdk/bin/gcloud-crc32c",   /* a Go binary */
};

static void test_readelf_system_binaries(void) {
  size_t i, n = 0;
  if (!have_tool("readelf")) T_SKIP("readelf not installed");
  for (i = 0; i < sizeof k_system_files / sizeof k_system_files[0]; i++) {
    if (access(k_system_files[i], R_OK) != 0) continue;
    compare_with_readelf(k_system_files[i]);
    n++;
  }
  {
    char self[1024];   /* this test program: not stripped, has .comment */
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) { self[k] = 0; compare_with_readelf(self); }
  }
  if (!n) T_SKIP("none of the system binaries exist");
}

/* Go binaries carry their build id in a note (owner "Go", type 4). */
static void test_go_build_id(void) {
  const char *path = "/usr/lib/google-cloud-sdk/bin/gcloud-crc32c";
  uint8_t *b;
  size_t n;
  parsed p;
  if (!(b = slurp(path, &n))) T_SKIP("no Go binary at %s", path);
  parse(&p, b, n);
  CHECK(p.e && p.e->go_build_id && strlen(p.e->go_build_id) > 20);
  CHECK(p.e && !p.e->interp && !p.e->has_dynamic);
  CHECK_EQ_INT(p.an.n, 0);
  done(&p);
  free(b);
}

/* ---- files built at run time ---------------------------------------- */

static char g_tmpdir[256];

static const char *tmpdir(void) {
  if (!g_tmpdir[0]) {
    snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/tells-test-elf-XXXXXX");
    if (!mkdtemp(g_tmpdir)) g_tmpdir[0] = 0;
  }
  return g_tmpdir;
}

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (!f) return 0;
  ok = fwrite(p, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

static const char k_src[] =
  "extern int puts(const char *);\n"
  "int counter = 7;\n"
  "int mini_export(void) { return puts(\"hi\") + counter; }\n";

static void test_gcc_m32(void) {
  char src[512], obj[512], so[512], cmd[2048];
  uint8_t *b;
  size_t n;
  parsed p;
  if (!have_tool("gcc") || !have_tool("readelf")) T_SKIP("gcc or readelf missing");
  if (!tmpdir()[0]) T_SKIP("no temporary folder");
  snprintf(src, sizeof src, "%s/m32.c", tmpdir());
  snprintf(obj, sizeof obj, "%s/m32.o", tmpdir());
  snprintf(so, sizeof so, "%s/libm32.so", tmpdir());
  if (!write_file(src, k_src, sizeof k_src - 1)) T_SKIP("cannot write source");
  snprintf(cmd, sizeof cmd, "gcc -m32 -c -o '%s' '%s' >/dev/null 2>&1", obj, src);
  if (system(cmd) != 0) T_SKIP("gcc -m32 does not work here");
  compare_with_readelf(obj);
  b = slurp(obj, &n);
  CHECK(b != NULL);
  if (b) {
    parse(&p, b, n);
    CHECK(p.e && p.e->bits == 32 && !p.e->big);
    if (p.e) {
      CHECK_EQ_INT(p.e->type, TELLS_ELF_ET_REL);
      CHECK_EQ_INT(p.e->machine, 3);
      CHECK(p.e->n_comments >= 1 && !strncmp(p.e->comments[0], "GCC: ", 5));
      CHECK(p.e->has_symtab);
    }
    done(&p);
    free(b);
  }
  /* a 32-bit shared object, linked without libc */
  snprintf(cmd, sizeof cmd,
           "gcc -m32 -fPIC -shared -nostdlib -Wl,--build-id -Wl,-soname,"
           "libm32.so.1 -Wl,-rpath,/opt/m32 -o '%s' '%s' >/dev/null 2>&1",
           so, src);
  if (system(cmd) != 0) return;            /* the object part still counts */
  compare_with_readelf(so);
  b = slurp(so, &n);
  if (!b) return;
  parse(&p, b, n);
  if (p.e) {
    size_t i, found = 0;
    CHECK_EQ_STR(p.e->soname, "libm32.so.1");
    CHECK(p.e->build_id_len == 20);
    for (i = 0; i < p.e->n_dynsyms; i++)
      if (p.e->dynsyms[i].name && !strcmp(p.e->dynsyms[i].name, "mini_export"))
        found = p.e->dynsyms[i].defined && p.e->dynsyms[i].type == 2;
    CHECK(found);
  }
  done(&p);
  free(b);
}

/* With its section headers removed (as sstrip does), a file still gives
** its dynamic symbols through DT_GNU_HASH or DT_HASH and PT_LOAD. */
static void check_without_sections(const char *path) {
  uint8_t *b;
  size_t n, i;
  parsed p, q;
  b = slurp(path, &n);
  if (!b) return;
  parse(&p, b, n);
  if (!p.e || p.e->n_dynsyms == 0 || !p.e->has_dynamic) { done(&p); free(b); return; }
  /* zero e_shoff, e_shnum, e_shstrndx in the copy */
  if (p.e->bits == 64) {
    memset(b + 40, 0, 8); memset(b + 60, 0, 4);
  } else {
    memset(b + 32, 0, 4); memset(b + 48, 0, 4);
  }
  parse(&q, b, n);
  CHECK(q.e != NULL);
  if (q.e) {
    CHECK_EQ_INT(q.e->n_sections, 0);
    CHECK(q.e->dynsym_source && strncmp(q.e->dynsym_source, "DT_", 3) == 0);
    CHECK_EQ_INT(q.e->n_dynsyms, p.e->n_dynsyms);
    CHECK_EQ_INT(q.e->n_needed, p.e->n_needed);
    for (i = 0; i < q.e->n_dynsyms && i < p.e->n_dynsyms; i++)
      if (!q.e->dynsyms[i].name || !p.e->dynsyms[i].name ||
          strcmp(q.e->dynsyms[i].name, p.e->dynsyms[i].name)) {
        fprintf(stderr, "  %s: dynsym %zu differs\n", path, i);
        t_case_failed = 1;
        break;
      }
  }
  done(&q);
  done(&p);
  free(b);
}

static void test_sstripped_dynsyms(void) {
  check_without_sections("/bin/ls");
  check_without_sections("/lib/x86_64-linux-gnu/libc.so.6");
  if (g_tmpdir[0]) {
    char so[512];
    snprintf(so, sizeof so, "%s/libm32.so", g_tmpdir);
    check_without_sections(so);
  }
}

/* ---- a hand-built minimal ELF, any class and byte order ------------- */

#define VA 0x10000u

typedef struct mini {
  uint8_t b[4096];
  size_t n;
  int is64, big;
  size_t phoff, shoff, dyn_off, dyn_n, note_off, shstr_off, dynstr_off;
  size_t text_off;
} mini;

static void wr(mini *m, size_t off, uint64_t v, int w) {
  int i;
  for (i = 0; i < w; i++) {
    int sh = m->big ? (w - 1 - i) * 8 : i * 8;
    m->b[off + (size_t)i] = (uint8_t)(v >> sh);
  }
}
static void wrw(mini *m, size_t off, uint64_t v) { wr(m, off, v, m->is64 ? 8 : 4); }
static size_t align_to(mini *m, size_t a) {
  while (m->n % a) m->b[m->n++] = 0;
  return m->n;
}
static size_t emit(mini *m, const void *p, size_t n) {
  size_t at = m->n;
  memcpy(m->b + m->n, p, n);
  m->n += n;
  return at;
}

static const char k_dynstr[] =
  "\0libfoo.so.1\0libbar.so.2\0libmini.so.0\0/opt/tells/lib\0puts\0mini_export";
enum { S_FOO = 1, S_BAR = 13, S_SONAME = 25, S_RUNPATH = 38, S_PUTS = 53,
       S_EXPORT = 58 };
static const char k_shstr[] =
  "\0.interp\0.dynstr\0.hash\0.dynsym\0.dynamic\0.note.gnu.build-id\0.comment"
  "\0.text\0.shstrtab";
enum { N_INTERP = 1, N_DYNSTR = 9, N_HASH = 17, N_DYNSYM = 23, N_DYNAMIC = 31,
       N_NOTE = 40, N_COMMENT = 59, N_TEXT = 68, N_SHSTRTAB = 74 };
static const char k_comment[] = "GCC: (tells test) 1.0\0clang version 99.0";
static const char k_interp[] = "/lib/ld-tells.so.1";

/* Builds the file: 5 program headers (LOAD, INTERP, DYNAMIC, NOTE,
** GNU_STACK), 10 sections, DT_HASH, 2 dynamic symbols, a build-id note and
** two .comment strings. */
static void build_mini(mini *m, int is64, int big) {
  size_t eh = is64 ? 64 : 52, phes = is64 ? 56 : 32, shes = is64 ? 64 : 40;
  size_t syms = is64 ? 24 : 16, dyns = is64 ? 16 : 8, i;
  size_t interp, dynstr, hash, dynsym, comment, shstr, load_end;
  struct { uint32_t name, type; uint64_t flags; size_t off, size;
           uint32_t link, info; uint64_t align, entsize; } sh[10];
  static const uint8_t text[16] = {0x55, 0x48, 0x89, 0xe5, 0x90, 0x90, 0x5d,
                                   0xc3, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                                   0x90, 0x90};
  uint8_t bid[20];
  memset(m, 0, sizeof *m);
  m->is64 = is64; m->big = big;
  m->phoff = eh;
  m->n = eh + 5 * phes;
  interp = emit(m, k_interp, sizeof k_interp);
  dynstr = emit(m, k_dynstr, sizeof k_dynstr);
  m->dynstr_off = dynstr;
  hash = align_to(m, 8);
  m->n += 24;
  wr(m, hash, 1, 4); wr(m, hash + 4, 3, 4);              /* nbucket, nchain */
  wr(m, hash + 8, 2, 4);                                 /* bucket[0] */
  wr(m, hash + 12, 0, 4); wr(m, hash + 16, 0, 4); wr(m, hash + 20, 1, 4);
  dynsym = align_to(m, 8);
  m->n += 3 * syms;
  for (i = 1; i < 3; i++) {
    size_t at = dynsym + i * syms;
    uint32_t name = i == 1 ? S_PUTS : S_EXPORT;
    uint16_t shndx = i == 1 ? 0 : 8;
    uint8_t info = (1 << 4) | 2;                         /* GLOBAL FUNC */
    uint64_t value = i == 1 ? 0 : VA + 0x800;
    wr(m, at, name, 4);
    if (is64) {
      m->b[at + 4] = info; wr(m, at + 6, shndx, 2);
      wr(m, at + 8, value, 8); wr(m, at + 16, 16, 8);
    } else {
      wr(m, at + 4, value, 4); wr(m, at + 8, 16, 4);
      m->b[at + 12] = info; wr(m, at + 14, shndx, 2);
    }
  }
  m->dyn_off = align_to(m, 8);
  {
    uint64_t dt[][2] = {
      {1, S_FOO}, {1, S_BAR}, {14, S_SONAME}, {29, S_RUNPATH},
      {4, VA + hash}, {5, VA + dynstr}, {10, sizeof k_dynstr},
      {6, VA + dynsym}, {11, syms}, {0x6ffffffb, 1}, {0, 0}};
    m->dyn_n = sizeof dt / sizeof dt[0];
    for (i = 0; i < m->dyn_n; i++) {
      wrw(m, m->n, dt[i][0]);
      wrw(m, m->n + dyns / 2, dt[i][1]);
      m->n += dyns;
    }
  }
  m->note_off = align_to(m, 4);
  wr(m, m->n, 4, 4); wr(m, m->n + 4, 20, 4); wr(m, m->n + 8, 3, 4);
  memcpy(m->b + m->n + 12, "GNU", 4);
  for (i = 0; i < 20; i++) bid[i] = (uint8_t)(0xa0 + i);
  memcpy(m->b + m->n + 16, bid, 20);
  m->n += 36;
  m->text_off = align_to(m, 16);
  emit(m, text, sizeof text);
  load_end = m->n;
  comment = emit(m, k_comment, sizeof k_comment);
  shstr = emit(m, k_shstr, sizeof k_shstr);
  m->shstr_off = shstr;
  m->shoff = align_to(m, 8);
  memset(sh, 0, sizeof sh);
#define SH(k, nm, ty, fl, o, sz, lk, inf, al, es)                         \
  sh[k].name = nm; sh[k].type = ty; sh[k].flags = fl; sh[k].off = o;      \
  sh[k].size = sz; sh[k].link = lk; sh[k].info = inf; sh[k].align = al;   \
  sh[k].entsize = es
  SH(1, N_INTERP, 1, 2, interp, sizeof k_interp, 0, 0, 1, 0);
  SH(2, N_DYNSTR, 3, 2, dynstr, sizeof k_dynstr, 0, 0, 1, 0);
  SH(3, N_HASH, 5, 2, hash, 24, 4, 0, 8, 4);
  SH(4, N_DYNSYM, 11, 2, dynsym, 3 * syms, 2, 1, 8, syms);
  SH(5, N_DYNAMIC, 6, 3, m->dyn_off, m->dyn_n * dyns, 2, 0, 8, dyns);
  SH(6, N_NOTE, 7, 2, m->note_off, 36, 0, 0, 4, 0);
  SH(7, N_COMMENT, 1, 0x30, comment, sizeof k_comment, 0, 0, 1, 1);
  SH(8, N_TEXT, 1, 6, m->text_off, sizeof text, 0, 0, 16, 0);
  SH(9, N_SHSTRTAB, 3, 0, shstr, sizeof k_shstr, 0, 0, 1, 0);
#undef SH
  for (i = 0; i < 10; i++) {
    size_t at = m->shoff + i * shes;
    wr(m, at, sh[i].name, 4); wr(m, at + 4, sh[i].type, 4);
    if (is64) {
      wr(m, at + 8, sh[i].flags, 8);
      wr(m, at + 16, i ? (sh[i].off && sh[i].flags & 2 ? VA + sh[i].off : 0) : 0, 8);
      wr(m, at + 24, sh[i].off, 8); wr(m, at + 32, sh[i].size, 8);
      wr(m, at + 40, sh[i].link, 4); wr(m, at + 44, sh[i].info, 4);
      wr(m, at + 48, sh[i].align, 8); wr(m, at + 56, sh[i].entsize, 8);
    } else {
      wr(m, at + 8, sh[i].flags, 4);
      wr(m, at + 12, sh[i].off && sh[i].flags & 2 ? VA + sh[i].off : 0, 4);
      wr(m, at + 16, sh[i].off, 4); wr(m, at + 20, sh[i].size, 4);
      wr(m, at + 24, sh[i].link, 4); wr(m, at + 28, sh[i].info, 4);
      wr(m, at + 32, sh[i].align, 4); wr(m, at + 36, sh[i].entsize, 4);
    }
  }
  m->n = m->shoff + 10 * shes;
  /* program headers: type, flags, offset, vaddr, filesz, align */
  {
    uint64_t ph[5][6] = {
      {1, 5, 0, VA, load_end, 0x1000},
      {3, 4, interp, VA + interp, sizeof k_interp, 1},
      {2, 6, m->dyn_off, VA + m->dyn_off, m->dyn_n * dyns, 8},
      {4, 4, m->note_off, VA + m->note_off, 36, 4},
      {0x6474e551, 6, 0, 0, 0, 16}};
    for (i = 0; i < 5; i++) {
      size_t at = m->phoff + i * phes;
      wr(m, at, ph[i][0], 4);
      if (is64) {
        wr(m, at + 4, ph[i][1], 4); wr(m, at + 8, ph[i][2], 8);
        wr(m, at + 16, ph[i][3], 8); wr(m, at + 24, ph[i][3], 8);
        wr(m, at + 32, ph[i][4], 8); wr(m, at + 40, ph[i][4], 8);
        wr(m, at + 48, ph[i][5], 8);
      } else {
        wr(m, at + 4, ph[i][2], 4); wr(m, at + 8, ph[i][3], 4);
        wr(m, at + 12, ph[i][3], 4); wr(m, at + 16, ph[i][4], 4);
        wr(m, at + 20, ph[i][4], 4); wr(m, at + 24, ph[i][1], 4);
        wr(m, at + 28, ph[i][5], 4);
      }
    }
  }
  /* ELF header */
  memcpy(m->b, "\x7f" "ELF", 4);
  m->b[4] = is64 ? 2 : 1; m->b[5] = big ? 2 : 1; m->b[6] = 1; m->b[7] = 3;
  wr(m, 16, TELLS_ELF_ET_DYN, 2);
  wr(m, 18, big ? (is64 ? 21 : 20) : (is64 ? 62 : 3), 2);   /* ppc64/ppc */
  wr(m, 20, 1, 4);
  wrw(m, 24, VA + m->text_off);
  wrw(m, is64 ? 32 : 28, m->phoff);
  wrw(m, is64 ? 40 : 32, m->shoff);
  wr(m, is64 ? 48 : 36, 0, 4);
  wr(m, is64 ? 52 : 40, eh, 2);
  wr(m, is64 ? 54 : 42, phes, 2);
  wr(m, is64 ? 56 : 44, 5, 2);
  wr(m, is64 ? 58 : 46, shes, 2);
  wr(m, is64 ? 60 : 48, 10, 2);
  wr(m, is64 ? 62 : 50, 9, 2);
}

static void check_mini(const mini *m, const parsed *p) {
  static const char *const names[10] = {
    "", ".interp", ".dynstr", ".hash", ".dynsym", ".dynamic",
    ".note.gnu.build-id", ".comment", ".text", ".shstrtab"};
  const tells_elf *e = p->e;
  size_t i;
  CHECK_EQ_INT(p->rc, TELLS_OK);
  if (!e) return;
  CHECK_EQ_INT(p->an.n, 0);
  if (p->an.n) dump_anoms(p);
  CHECK_EQ_INT(e->bits, m->is64 ? 64 : 32);
  CHECK_EQ_INT(e->big, m->big);
  CHECK_EQ_INT(e->osabi, 3);
  CHECK_EQ_INT(e->type, TELLS_ELF_ET_DYN);
  CHECK_EQ_INT(e->entry, VA + m->text_off);
  CHECK_EQ_INT(e->n_sections, 10);
  for (i = 0; i < e->n_sections && i < 10; i++)
    CHECK_EQ_STR(e->sections[i].name, names[i]);
  CHECK_EQ_INT(e->n_segments, 5);
  CHECK_EQ_STR(e->interp, k_interp);
  CHECK_EQ_INT(e->n_needed, 2);
  if (e->n_needed == 2) {
    CHECK_EQ_STR(e->needed[0], "libfoo.so.1");
    CHECK_EQ_STR(e->needed[1], "libbar.so.2");
  }
  CHECK_EQ_STR(e->soname, "libmini.so.0");
  CHECK_EQ_STR(e->runpath, "/opt/tells/lib");
  CHECK(e->rpath == NULL);
  CHECK(e->bind_now);
  CHECK_EQ_INT(e->n_dynsyms, 2);
  if (e->n_dynsyms == 2) {
    CHECK_EQ_STR(e->dynsyms[0].name, "puts");
    CHECK(!e->dynsyms[0].defined);
    CHECK_EQ_STR(e->dynsyms[1].name, "mini_export");
    CHECK(e->dynsyms[1].defined);
    CHECK_EQ_INT(e->dynsyms[1].value, VA + 0x800);
    CHECK_EQ_INT(e->dynsyms[1].bind, 1);
    CHECK_EQ_INT(e->dynsyms[1].type, 2);
  }
  CHECK_EQ_INT(e->build_id_len, 20);
  CHECK_EQ_INT(e->build_id[0], 0xa0);
  CHECK_EQ_INT(e->build_id[19], 0xb3);
  CHECK_EQ_INT(e->n_comments, 2);
  if (e->n_comments == 2) {
    CHECK_EQ_STR(e->comments[0], "GCC: (tells test) 1.0");
    CHECK_EQ_STR(e->comments[1], "clang version 99.0");
  }
  CHECK_EQ_INT(e->nx, 1);
  CHECK_EQ_INT(e->relro, 0);
  CHECK(e->pie);
  CHECK_EQ_INT(e->overlay_size, 0);
  CHECK(e->sections[8].entropy > 0 && e->sections[8].entropy < 8);
  CHECK(e->sections[0].entropy < 0);
}

static void test_mini_all_classes_and_byte_orders(void) {
  int is64, big;
  for (is64 = 0; is64 < 2; is64++)
    for (big = 0; big < 2; big++) {
      mini m;
      parsed p;
      build_mini(&m, is64, big);
      parse(&p, m.b, m.n);
      check_mini(&m, &p);
      if (t_case_failed) {
        fprintf(stderr, "  (class %d, %s)\n", is64 ? 64 : 32, big ? "MSB" : "LSB");
        done(&p);
        return;
      }
      /* a readelf check of the hand-built file, when available */
      done(&p);
    }
}

static void test_mini_big_endian_with_readelf(void) {
  char path[512];
  mini m;
  if (!have_tool("readelf")) T_SKIP("readelf not installed");
  if (!tmpdir()[0]) T_SKIP("no temporary folder");
  build_mini(&m, 1, 1);
  snprintf(path, sizeof path, "%s/mini-be64", tmpdir());
  CHECK(write_file(path, m.b, m.n));
  compare_with_readelf(path);
  build_mini(&m, 0, 1);
  snprintf(path, sizeof path, "%s/mini-be32", tmpdir());
  CHECK(write_file(path, m.b, m.n));
  compare_with_readelf(path);
}

static void test_mini_json(void) {
  mini m;
  parsed p;
  char *js;
  build_mini(&m, 1, 1);
  parse(&p, m.b, m.n);
  CHECK(p.e != NULL);
  if (!p.e) { done(&p); return; }
  js = to_json(p.e);
  CHECK(js != NULL);
  if (js) {
    CHECK(strstr(js, "\"format\":\"elf\",") != NULL);
    CHECK(strstr(js, "\"class\":64,\"data\":\"msb\"") != NULL);
    CHECK(strstr(js, "\"machine_name\":\"ppc64\"") != NULL);
    CHECK(strstr(js, "\"needed\":[\"libfoo.so.1\",\"libbar.so.2\"]") != NULL);
    CHECK(strstr(js, "\"interpreter\":\"/lib/ld-tells.so.1\"") != NULL);
    CHECK(strstr(js, "\"build_id\":"
                     "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3\"") != NULL);
    CHECK(strstr(js, "\"comments\":"
                     "[\"GCC: (tells test) 1.0\",\"clang version 99.0\"]") != NULL);
    CHECK(strstr(js, "{\"name\":\"puts\",") != NULL);
    CHECK(strstr(js, "\"overlay\":null}") != NULL);
    if (have_tool("python3") && tmpdir()[0]) {
      char path[512], cmd[1024];
      snprintf(path, sizeof path, "%s/mini.json", tmpdir());
      CHECK(write_file(path, js, strlen(js)));
      snprintf(cmd, sizeof cmd,
               "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '%s'",
               path);
      CHECK(system(cmd) == 0);
    }
    free(js);
  }
  done(&p);
}

/* ---- hostile inputs ------------------------------------------------- */

static void test_not_elf_and_truncated_headers(void) {
  mini m;
  size_t n;
  parsed p;
  parse(&p, (const uint8_t *)"MZ\x90\0", 4);
  CHECK_EQ_INT(p.rc, TELLS_EUNSUP);
  CHECK(p.e == NULL);
  done(&p);
  parse(&p, (const uint8_t *)"\x7f" "EL", 3);
  CHECK_EQ_INT(p.rc, TELLS_EUNSUP);
  done(&p);
  build_mini(&m, 1, 0);
  for (n = 4; n <= m.n; n++) {
    uint8_t *copy = malloc(n);     /* exact size: ASan sees any overread */
    memcpy(copy, m.b, n);
    parse(&p, copy, n);
    CHECK_EQ_INT(p.rc, TELLS_OK);
    CHECK(p.e != NULL);
    if (n < 64) CHECK(has_anom(&p, "elf.truncated_header"));
    if (p.e) { char *js = to_json(p.e); CHECK(js != NULL); free(js); }
    done(&p);
    free(copy);
  }
  /* invalid class: header fields are not interpreted */
  m.b[4] = 7;
  parse(&p, m.b, m.n);
  CHECK(p.e && p.e->bits == 0 && has_anom(&p, "elf.bad_class"));
  done(&p);
}

static void test_huge_shnum_and_escapes(void) {
  mini m;
  parsed p;
  clock_t t0 = clock();
  build_mini(&m, 1, 0);
  wr(&m, 60, 0xffff, 2);                 /* e_shnum 65535 */
  parse(&p, m.b, m.n);
  CHECK(p.e != NULL);
  CHECK(has_anom(&p, "elf.sh_table_truncated"));
  CHECK(p.e && p.e->n_sections == 10);
  done(&p);
  /* e_shnum 0: the count is in section 0's sh_size, which claims 2^40 */
  build_mini(&m, 1, 0);
  wr(&m, 60, 0, 2);
  wr(&m, m.shoff + 32, (uint64_t)1 << 40, 8);
  parse(&p, m.b, m.n);
  CHECK(p.e && p.e->shnum == (uint64_t)1 << 40);
  CHECK(has_anom(&p, "elf.too_many_sections"));
  done(&p);
  /* e_shstrndx SHN_XINDEX: real index in section 0's sh_link */
  build_mini(&m, 0, 1);
  wr(&m, 50, 0xffff, 2);
  wr(&m, m.shoff + 24, 9, 4);
  parse(&p, m.b, m.n);
  check_mini(&m, &p);
  done(&p);
  /* e_phnum PN_XNUM: real count in section 0's sh_info */
  build_mini(&m, 1, 1);
  wr(&m, 56, 0xffff, 2);
  wr(&m, m.shoff + 44, 5, 4);
  parse(&p, m.b, m.n);
  check_mini(&m, &p);
  done(&p);
  /* reserved e_shstrndx and one past the table */
  build_mini(&m, 1, 0);
  wr(&m, 62, 0xff10, 2);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.bad_shstrndx"));
  CHECK(p.e && p.e->sections[1].name == NULL);
  done(&p);
  build_mini(&m, 1, 0);
  wr(&m, 62, 10, 2);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.bad_shstrndx"));
  done(&p);
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

static void test_tables_outside_file(void) {
  mini m;
  parsed p;
  build_mini(&m, 1, 0);
  wr(&m, 40, m.n + 100, 8);              /* e_shoff past the end */
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.sh_table_outside_file"));
  CHECK(p.e && p.e->n_sections == 0 && p.e->n_needed == 2);
  /* without sections the dynamic symbols come from DT_HASH */
  CHECK(p.e && p.e->n_dynsyms == 2 && p.e->dynsym_source &&
        !strcmp(p.e->dynsym_source, "DT_HASH"));
  done(&p);
  build_mini(&m, 1, 0);
  wr(&m, 40, UINT64_MAX - 8, 8);         /* e_shoff that overflows */
  wr(&m, 32, UINT64_MAX - 8, 8);         /* e_phoff too */
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.sh_table_outside_file"));
  CHECK(has_anom(&p, "elf.ph_table_outside_file"));
  done(&p);
  build_mini(&m, 0, 1);
  wr(&m, m.shoff + 40 * 8 + 16, 0xfffffff0u, 4);   /* .text sh_offset */
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.section_outside_file"));
  CHECK(p.e && !p.e->sections[8].in_file && p.e->sections[8].entropy < 0);
  done(&p);
}

static void test_section_names_out_of_bounds(void) {
  mini m;
  parsed p;
  size_t i;
  build_mini(&m, 1, 0);
  for (i = 1; i < 10; i++) wr(&m, m.shoff + i * 64, 0xfffffff0u - i, 4);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.str_out_of_bounds"));
  CHECK(p.e && p.e->sections[3].name == NULL);
  CHECK(p.e && p.e->n_needed == 2);        /* the loader view is intact */
  done(&p);
  /* a name table without a NUL at its end */
  build_mini(&m, 1, 0);
  wr(&m, m.shoff + 9 * 64 + 32, sizeof k_shstr - 1, 8);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.str_unterminated"));
  CHECK(p.e && p.e->sections[9].name && !strcmp(p.e->sections[9].name, ".shstrtab"));
  done(&p);
}

static void test_dynamic_outside_file(void) {
  mini m;
  parsed p;
  build_mini(&m, 1, 0);
  wr(&m, m.phoff + 2 * 56 + 8, m.n + 0x1000, 8);  /* PT_DYNAMIC p_offset */
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.dynamic_outside_file"));
  CHECK(has_anom(&p, "elf.segment_outside_file"));
  CHECK(p.e && p.e->n_needed == 2);        /* found through SHT_DYNAMIC */
  done(&p);
  /* and with no section to fall back on */
  wr(&m, 40, 0, 8);
  wr(&m, 60, 0, 2);
  wr(&m, 62, 0, 2);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.dynamic_outside_file"));
  CHECK(p.e && !p.e->has_dynamic && p.e->n_needed == 0);
  done(&p);
  /* DT_STRTAB in no segment: .dynstr is used instead */
  build_mini(&m, 0, 0);
  wr(&m, m.dyn_off + 5 * 8 + 4, 0x7fff0000u, 4);
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.dyn_strtab_unmapped"));
  CHECK(p.e && p.e->n_needed == 2 && !strcmp(p.e->needed[1], "libbar.so.2"));
  done(&p);
}

/* A dynamic table of 16k DT_NEEDED entries with no DT_NULL, whose string
** table is the dynamic table itself. */
static void test_looping_dynamic_table(void) {
  size_t n = 16384 * 16 + 4096, i;
  uint8_t *b = calloc(1, n);
  mini m;
  parsed p;
  clock_t t0 = clock();
  build_mini(&m, 1, 0);
  memcpy(b, m.b, 64 + 5 * 56);
  /* no sections; PT_LOAD covers all; PT_DYNAMIC from 0x1000 to the end */
  for (i = 0; i < 8; i++) b[40 + i] = 0;  /* e_shoff */
  b[60] = b[61] = b[62] = b[63] = 0;
  {
    mini h;
    memset(&h, 0, sizeof h);
    h.is64 = 1;
    memcpy(h.b, b, 64 + 5 * 56);
    wr(&h, 64 + 32, n, 8); wr(&h, 64 + 40, n, 8);                 /* LOAD */
    wr(&h, 64 + 2 * 56 + 8, 0x1000, 8);                            /* DYNAMIC */
    wr(&h, 64 + 2 * 56 + 16, VA + 0x1000, 8);
    wr(&h, 64 + 2 * 56 + 32, n - 0x1000, 8);
    wr(&h, 64 + 3 * 56, 0, 4);                                     /* NOTE off */
    wr(&h, 64 + 56, 0, 4);                                         /* INTERP off */
    memcpy(b, h.b, 64 + 5 * 56);
  }
  for (i = 0x1000; i + 16 <= n; i += 16) {
    uint64_t tag = i == 0x1000 ? 5 : 1, val = i == 0x1000 ? VA + 0x1000 : 0x10;
    int k;
    for (k = 0; k < 8; k++) {
      b[i + (size_t)k] = (uint8_t)(tag >> (8 * k));
      b[i + 8 + (size_t)k] = (uint8_t)(val >> (8 * k));
    }
  }
  parse(&p, b, n);
  CHECK(p.e != NULL);
  CHECK(has_anom(&p, "elf.too_many_dyn") || has_anom(&p, "elf.dynamic_no_null"));
  CHECK(has_anom(&p, "elf.too_many_needed"));
  CHECK(has_anom(&p, "elf.dyn_strtab_overlaps_dynamic"));
  CHECK(p.e && p.e->n_needed <= 1024);
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
  done(&p);
  free(b);
}

static void le(uint8_t *b, size_t off, uint64_t v, int w) {
  int i;
  for (i = 0; i < w; i++) b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* 100k dynamic symbols (no section headers, counted by DT_HASH) that all
** name one 8 KiB string without a NUL: names are cut and the copying stops
** at the string budget; time and memory stay bounded. */
static void test_symbol_name_flood(void) {
  size_t nsym = 100000, n = 0x3000 + nsym * 24, i;
  uint8_t *b = calloc(1, n);
  clock_t t0 = clock();
  parsed p;
  uint64_t dt[][2] = {{4, VA + 0x400}, {5, VA + 0x1000}, {10, 8192},
                      {6, VA + 0x3000}, {11, 24}, {0, 0}};
  memcpy(b, "\x7f" "ELF\2\1\1", 7);
  le(b, 16, 3, 2); le(b, 18, 62, 2); le(b, 20, 1, 4); le(b, 32, 64, 8);
  le(b, 52, 64, 2); le(b, 54, 56, 2); le(b, 56, 2, 2); le(b, 58, 64, 2);
  le(b, 64, 1, 4); le(b, 68, 5, 4); le(b, 64 + 16, VA, 8);     /* PT_LOAD */
  le(b, 64 + 32, n, 8); le(b, 64 + 40, n, 8);
  le(b, 120, 2, 4); le(b, 120 + 8, 0x200, 8);                  /* PT_DYNAMIC */
  le(b, 120 + 16, VA + 0x200, 8); le(b, 120 + 32, sizeof dt, 8);
  for (i = 0; i < 6; i++) {
    le(b, 0x200 + 16 * i, dt[i][0], 8);
    le(b, 0x200 + 16 * i + 8, dt[i][1], 8);
  }
  le(b, 0x404, nsym, 4);                                       /* nchain */
  memset(b + 0x1000, 'A', 8192);
  for (i = 1; i < nsym; i++) le(b, 0x3000 + 24 * i, 1, 4);
  parse(&p, b, n);
  CHECK(p.e != NULL);
  CHECK(p.e && p.e->n_dynsyms == nsym - 1);
  CHECK(has_anom(&p, "elf.str_too_long"));
  CHECK(has_anom(&p, "elf.str_budget"));
  CHECK(p.a.used < ((size_t)64 << 20));
  CHECK(p.e && p.e->dynsyms[0].name && strlen(p.e->dynsyms[0].name) == 4096);
  CHECK(p.e && p.e->dynsyms[nsym - 2].name == NULL);
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
  done(&p);
  free(b);
}

static void test_bad_notes_and_overlay(void) {
  mini m;
  parsed p;
  uint8_t big[4096 + 512];
  build_mini(&m, 1, 0);
  wr(&m, m.note_off, 0x7fffffff, 4);       /* namesz past its area */
  parse(&p, m.b, m.n);
  CHECK(has_anom(&p, "elf.bad_note"));
  CHECK(p.e && p.e->build_id_len == 0);
  done(&p);
  /* a section table that hides the note: PT_NOTE still gives the build-id */
  build_mini(&m, 0, 1);
  wr(&m, m.shoff + 6 * 40 + 4, 1, 4);      /* .note.gnu.build-id: PROGBITS */
  parse(&p, m.b, m.n);
  CHECK(p.e && p.e->build_id_len == 20 && p.e->n_notes == 1);
  done(&p);
  build_mini(&m, 1, 0);
  memcpy(big, m.b, m.n);
  memset(big + m.n, 0x41, 300);            /* appended payload */
  parse(&p, big, m.n + 300);
  CHECK(p.e && p.e->overlay_off == m.n && p.e->overlay_size == 300);
  CHECK(p.e && p.e->overlay_entropy == 0);
  done(&p);
}

/* Byte flips of the mini files: no crash, no leak, JSON always closes. */
static void test_mutations(void) {
  uint32_t seed = 12345;
  int round;
  clock_t t0 = clock();
  for (round = 0; round < 4000; round++) {
    mini m;
    parsed p;
    int k, flips;
    build_mini(&m, round & 1, (round >> 1) & 1);
    seed = seed * 1103515245u + 12345u;
    flips = 1 + (int)((seed >> 16) % 8);
    for (k = 0; k < flips; k++) {
      size_t at;
      seed = seed * 1103515245u + 12345u;
      at = (seed >> 8) % m.n;
      seed = seed * 1103515245u + 12345u;
      m.b[at] = (seed >> 24) & 1 ? (uint8_t)(seed >> 16) : 0xff;
    }
    parse(&p, m.b, m.n);
    if (p.e) { char *js = to_json(p.e); CHECK(js != NULL); free(js); }
    done(&p);
  }
  CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
}

static void test_fuzz_seeds_parse(void) {
  /* The seeds in fuzz/corpus/elf are hand-built minis; they must parse. */
  char path[1024];
  static const char *const seeds[] = {"mini-le64", "mini-be32",
                                      "mini-le32-nosections"};
  size_t i;
  for (i = 0; i < 3; i++) {
    uint8_t *b;
    size_t n;
    parsed p;
    snprintf(path, sizeof path, "%s/fuzz/corpus/elf/%s", TELLS_SOURCE_DIR,
             seeds[i]);
    if (!(b = slurp(path, &n))) T_SKIP("seed %s missing", seeds[i]);
    parse(&p, b, n);
    CHECK(p.e && p.e->n_needed == 2 && p.an.n == 0);
    done(&p);
    free(b);
  }
}

static void cleanup_tmp(void) {
  char cmd[512];
  if (!g_tmpdir[0] || strncmp(g_tmpdir, "/tmp/tells-test-elf-", 20)) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmpdir);
}

int main(int argc, char **argv) {
  /* `test_elf --write-seeds DIR` writes the fuzz seeds (fuzz/corpus/elf). */
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
    mini m;
    char path[1024];
    build_mini(&m, 1, 0);
    snprintf(path, sizeof path, "%s/mini-le64", argv[2]);
    if (!write_file(path, m.b, m.n)) return 1;
    build_mini(&m, 0, 1);
    snprintf(path, sizeof path, "%s/mini-be32", argv[2]);
    if (!write_file(path, m.b, m.n)) return 1;
    build_mini(&m, 0, 0);                    /* sstrip'd: no sections */
    wr(&m, 32, 0, 4); wr(&m, 48, 0, 2); wr(&m, 50, 0, 2);
    snprintf(path, sizeof path, "%s/mini-le32-nosections", argv[2]);
    if (!write_file(path, m.b, m.shoff)) return 1;
    return 0;
  }
  /* `test_elf --compare FILE...` checks any files against readelf. */
  if (argc >= 2 && !strcmp(argv[1], "--compare")) {
    int i, bad = 0;
    for (i = 2; i < argc; i++) {
      t_case_failed = 0;
      compare_with_readelf(argv[i]);
      if (t_case_failed) { printf("not ok - %s\n", argv[i]); bad++; }
    }
    printf("%d of %d files differ from readelf\n", bad, argc - 2);
    return bad != 0;
  }
  T_RUN(test_readelf_system_binaries);
  T_RUN(test_go_build_id);
  T_RUN(test_gcc_m32);
  T_RUN(test_sstripped_dynsyms);
  T_RUN(test_mini_all_classes_and_byte_orders);
  T_RUN(test_mini_big_endian_with_readelf);
  T_RUN(test_mini_json);
  T_RUN(test_not_elf_and_truncated_headers);
  T_RUN(test_huge_shnum_and_escapes);
  T_RUN(test_tables_outside_file);
  T_RUN(test_section_names_out_of_bounds);
  T_RUN(test_dynamic_outside_file);
  T_RUN(test_looping_dynamic_table);
  T_RUN(test_symbol_name_flood);
  T_RUN(test_bad_notes_and_overlay);
  T_RUN(test_mutations);
  T_RUN(test_fuzz_seeds_parse);
  cleanup_tmp();
  T_END();
}
