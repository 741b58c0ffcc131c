/*
** test_strs.c -- the strings pass and its indicators (lib/code/strs.c):
** positive and negative cases for every indicator type, UTF-16 strings,
** offsets, the caps on kept values, the block filter against a plain
** reference scan, and the false-positive count on the MSVC corpus.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "buf.h"
#include "json.h"
#include "strs.h"
#include "t.h"

/* Scans `text` (as ASCII, or as UTF-16LE when wide) placed after `pad`
** zero bytes, and returns the kept indicators in r. */
typedef struct res { tells_arena a; tells_strs s; } res;

static void scan_buf(res *r, const uint8_t *buf, size_t len) {
  tells_arena_init(&r->a, 0);
  CHECK_EQ_INT(tells_strs_scan(buf, len, NULL, &r->a, &r->s), TELLS_OK);
}

static void scan_text(res *r, const char *text, int wide, size_t pad) {
  size_t n = strlen(text), len = pad + (wide ? 2 * n : n) + 4, i;
  uint8_t *b = calloc(1, len);
  for (i = 0; i < n; i++) {
    if (wide) b[pad + 2 * i] = (uint8_t)text[i];
    else b[pad + i] = (uint8_t)text[i];
  }
  scan_buf(r, b, len);
  free(b);
}

static void done(res *r) { tells_arena_free(&r->a); }

/* The value of the first kept indicator of `type`, or NULL. */
static const tells_strs_ind *first(const res *r, int type) {
  size_t i;
  for (i = 0; i < r->s.n_kept; i++) if (r->s.kept[i].type == type) return &r->s.kept[i];
  return NULL;
}

/* Expects exactly one indicator of `type` in `text`, equal to `want`. */
static int one(const char *text, int type, const char *want) {
  res r;
  const tells_strs_ind *k;
  int ok;
  scan_text(&r, text, 0, 3);
  k = first(&r, type);
  ok = k && strcmp(k->value, want) == 0 && r.s.counts[type] == 1;
  if (!ok) fprintf(stderr, "  %s: wanted %s \"%s\", got \"%s\" (count %llu)\n", text,
                   tells_strs_type_name(type), want, k ? k->value : "(none)",
                   (unsigned long long)r.s.counts[type]);
  done(&r);
  return ok;
}

static uint64_t count_of(const char *text, int type) {
  res r;
  uint64_t n;
  scan_text(&r, text, 0, 3);
  n = r.s.counts[type];
  done(&r);
  return n;
}

/* Expects no indicator at all in `text`. */
static int none(const char *text) {
  res r;
  int t, ok = 1;
  scan_text(&r, text, 0, 3);
  for (t = 0; t < TELLS_STRS_NTYPES; t++)
    if (r.s.counts[t]) {
      ok = 0;
      fprintf(stderr, "  %s: unexpected %s \"%s\"\n", text, tells_strs_type_name(t),
              first(&r, t) ? first(&r, t)->value : "?");
    }
  done(&r);
  return ok;
}

static void test_ipv4(void) {
  CHECK(one("connect to 203.0.113.45 now", TELLS_STRS_IPV4, "203.0.113.45"));
  CHECK(one("http-host=8.8.8.8:53", TELLS_STRS_IPV4, "8.8.8.8"));
  CHECK(one("10.0.0.1 is the gateway", TELLS_STRS_IPV4, "10.0.0.1"));
  CHECK(none("version 1.2.3.4 of the tool"));
  CHECK(none("Version=4.0.0.0, Culture=neutral"));
  CHECK(none("<assemblyIdentity version=\"6.0.0.0\" name=\"x\"/>"));
  CHECK(none("build 10.2.3.44 here"));
  CHECK(none("v2.1.3.4-beta"));
  CHECK(none("addr 10.01.2.3 bad"));          /* leading zero */
  CHECK(none("addr 300.1.2.3 bad"));
  CHECK(none("mask 255.255.255.0 net"));
  CHECK(none("oid 1.2.3.4.5 long"));
  CHECK(none("zero 0.1.2.3 first"));
}

static void test_version_resource_context(void) {
  /* "FileVersion" in UTF-16, padding, then the value as its own string */
  static const char key[] = "FileVersion", val[] = "1.1.0.14";
  uint8_t b[96];
  res r;
  size_t i;
  memset(b, 0, sizeof b);
  for (i = 0; key[i]; i++) b[2 + 2 * i] = (uint8_t)key[i];
  for (i = 0; val[i]; i++) b[32 + 2 * i] = (uint8_t)val[i];
  scan_buf(&r, b, sizeof b);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_IPV4], 0);
  CHECK_EQ_INT(r.s.n_wide, 2);
  done(&r);
}

static void test_ipv6(void) {
  CHECK(one("beacon 2001:db8:85a3::8a2e:370:7334 ok", TELLS_STRS_IPV6, "2001:db8:85a3::8a2e:370:7334"));
  CHECK(one("link fe80::1ff:fe23:4567:890a up", TELLS_STRS_IPV6, "fe80::1ff:fe23:4567:890a"));
  CHECK(one("full 2001:0db8:0000:0000:0000:ff00:0042:8329", TELLS_STRS_IPV6, "2001:0db8:0000:0000:0000:ff00:0042:8329"));
  CHECK(none("time 12:34:56 now"));
  CHECK(none("std::vector<int>::iterator"));
  CHECK(none("a::b and c::d"));
  CHECK(none("1:2:3:4:5:6:7:8:9 too many"));
  CHECK(none("bad 2001:db8::1::2 twice"));
}

static void test_domains(void) {
  CHECK(one("beacon to evil-c2.example.com every hour", TELLS_STRS_DOMAIN, "evil-c2.example.com"));
  CHECK(one("HOST UPDATE.MICROSOFT.COM", TELLS_STRS_DOMAIN, "update.microsoft.com"));
  CHECK(one("resolve news.naver.kr", TELLS_STRS_DOMAIN, "news.naver.kr"));
  CHECK(one("c2 panel.top ok", TELLS_STRS_DOMAIN, "panel.top"));
  CHECK(none("load msvcrt.dll and kernel32.dll"));
  CHECK(none("run file.exe then foo.sys"));
  CHECK(none("System.Runtime.Serialization"));
  CHECK(none("using System.Net; using System.IO;"));
  CHECK(none("lib.so.6 and setup.py and main.cc"));
  CHECK(none("archive.zip and Makefile.in"));
  CHECK(none("JavaScript new.target and obj.name"));
  CHECK(one("C:\\temp\\evil.com", TELLS_STRS_WIN_PATH, "C:\\temp\\evil.com"));  /* a path, */
  CHECK_EQ_INT(count_of("C:\\temp\\evil.com", TELLS_STRS_DOMAIN), 0);             /* not a host */
  CHECK(none("e.g. i.e. x.y"));
  CHECK(none("so.eg fy.nf"));                 /* short noise */
}

static void test_urls(void) {
  res r;
  CHECK(one("GET http://198.51.100.7:8080/gate.php?id=1 HTTP/1.1", TELLS_STRS_URL,
            "http://198.51.100.7:8080/gate.php?id=1"));
  CHECK(one("see https://www.example.org/a/b.", TELLS_STRS_URL, "https://www.example.org/a/b"));
  CHECK(one("\"ftp://user:pw@files.example.net/x\"", TELLS_STRS_URL, "ftp://user:pw@files.example.net/x"));
  CHECK(none("http://%s/%s"));
  CHECK(none("myhttp://example.com"));
  CHECK(none("http://localhost/"));
  /* the host is a domain indicator once; the URL is not also a domain */
  scan_text(&r, "x https://cdn.example.com/p.js and https://cdn.example.com/q.js", 0, 0);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_URL], 2);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_DOMAIN], 2);
  CHECK(first(&r, TELLS_STRS_DOMAIN) && strcmp(first(&r, TELLS_STRS_DOMAIN)->value, "cdn.example.com") == 0);
  CHECK(first(&r, TELLS_STRS_DOMAIN) && first(&r, TELLS_STRS_DOMAIN)->count == 2);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_WIN_PATH], 0);
  done(&r);
  scan_text(&r, "url http://192.0.2.10/x", 0, 0);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_IPV4], 1);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_DOMAIN], 0);
  done(&r);
}

static void test_emails(void) {
  res r;
  CHECK(one("mail ops.team+x@mail.example.co.uk now", TELLS_STRS_EMAIL, "ops.team+x@mail.example.co.uk"));
  CHECK(none("%s@%s"));
  CHECK(none("user@host"));
  CHECK(none("name@file.exe"));
  scan_text(&r, "Support@Example.COM", 0, 0);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_EMAIL], 1);
  CHECK(first(&r, TELLS_STRS_EMAIL) && strcmp(first(&r, TELLS_STRS_EMAIL)->value, "support@example.com") == 0);
  CHECK(first(&r, TELLS_STRS_DOMAIN) && strcmp(first(&r, TELLS_STRS_DOMAIN)->value, "example.com") == 0);
  done(&r);
}

static void test_paths(void) {
  CHECK(one("open C:\\Windows\\System32\\drivers\\raw.sys now", TELLS_STRS_WIN_PATH, "C:\\Windows\\System32\\drivers\\raw.sys now"));
  CHECK(one("\\\\.\\PhysicalDrive0", TELLS_STRS_WIN_PATH, "\\\\.\\PhysicalDrive0"));
  CHECK(one("\\\\.\\C:", TELLS_STRS_WIN_PATH, "\\\\.\\C:"));
  CHECK(one("copy to \\\\%s\\ADMIN$\\svc.exe", TELLS_STRS_WIN_PATH, "\\\\%s\\ADMIN$\\svc.exe"));
  CHECK(one("%APPDATA%\\Microsoft\\upd.exe -k", TELLS_STRS_WIN_PATH, "%APPDATA%\\Microsoft\\upd.exe"));
  CHECK(one("\\Device\\HarddiskVolume1\\x", TELLS_STRS_WIN_PATH, "\\Device\\HarddiskVolume1\\x"));
  CHECK(one("cmd C:\\a\\b.txt, D:\\c", TELLS_STRS_WIN_PATH, "C:\\a\\b.txt"));
  CHECK(none("E:\\3C"));
  CHECK(none("h:\\s'y' junk"));
  CHECK(none("T:\\:d:l:x:"));
  CHECK(none("ab:\\cdef"));
  {
    res r;                                     /* a UNC server is also a host */
    scan_text(&r, "\\\\127.0.0.1\\share\\dll.dll", 0, 0);
    CHECK_EQ_INT(r.s.counts[TELLS_STRS_WIN_PATH], 1);
    CHECK_EQ_INT(r.s.counts[TELLS_STRS_IPV4], 1);
    done(&r);
  }
}

static void test_registry(void) {
  CHECK(one("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", TELLS_STRS_REGISTRY,
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"));
  CHECK(one("reg add HKCU\\Software\\Evil /v x", TELLS_STRS_REGISTRY, "HKCU\\Software\\Evil"));
  CHECK(one("Software\\Microsoft\\Windows\\CurrentVersion\\Run", TELLS_STRS_REGISTRY,
            "Software\\Microsoft\\Windows\\CurrentVersion\\Run"));
  CHECK(one("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\raw", TELLS_STRS_REGISTRY,
            "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\raw"));
  CHECK(none("HKLM\\"));
  CHECK(none("my Software\\ x"));
}

static void test_mutex(void) {
  CHECK(one("Global\\MsWinZonesCacheCounterMutexA", TELLS_STRS_MUTEX, "Global\\MsWinZonesCacheCounterMutexA"));
  CHECK(one("Local\\{5B2A-77}", TELLS_STRS_MUTEX, "Local\\{5B2A-77}"));
  CHECK(one("\\BaseNamedObjects\\wiper_lock", TELLS_STRS_MUTEX, "\\BaseNamedObjects\\wiper_lock"));
  CHECK(one("\\Sessions\\1\\BaseNamedObjects\\Global\\abc", TELLS_STRS_MUTEX, "\\Sessions\\1\\BaseNamedObjects\\Global\\abc"));
  CHECK(none("Global\\ab"));
  CHECK(none("xGlobal\\something"));
  {
    res r;   /* AppData\Local\Temp is a path, not a mutex */
    scan_text(&r, "%USERPROFILE%\\AppData\\Local\\Temp\\x.bat", 0, 0);
    CHECK_EQ_INT(r.s.counts[TELLS_STRS_MUTEX], 0);
    CHECK_EQ_INT(r.s.counts[TELLS_STRS_WIN_PATH], 1);
    done(&r);
  }
}

static void test_utf16_and_offsets(void) {
  res r;
  const tells_strs_ind *k;
  scan_text(&r, "go http://evil.example.net/a", 1, 6);
  CHECK_EQ_INT(r.s.n_wide, 1);
  CHECK_EQ_INT(r.s.n_ascii, 0);
  k = first(&r, TELLS_STRS_URL);
  CHECK(k && k->wide && k->off == 6 + 2 * 3);
  k = first(&r, TELLS_STRS_DOMAIN);
  CHECK(k && k->off == 6 + 2 * 10);
  done(&r);
  scan_text(&r, "aaaa 192.0.2.1", 0, 100);
  k = first(&r, TELLS_STRS_IPV4);
  CHECK(k && !k->wide && k->off == 105);
  done(&r);
  /* an ASCII run followed directly by a UTF-16 string */
  {
    static const uint8_t b[] = {0, 'A', 'B', 'C', 'D', 'E', 'F', 'x', 0, 'y', 0, 'z', 0, 'w', 0, 'v', 0, 0, 0};
    scan_buf(&r, b, sizeof b);
    CHECK_EQ_INT(r.s.n_ascii, 1);
    CHECK_EQ_INT(r.s.n_wide, 1);
    done(&r);
  }
  /* too short */
  scan_text(&r, "abcd", 0, 1);
  CHECK_EQ_INT(r.s.n_ascii, 0);
  done(&r);
  scan_text(&r, "abcd", 1, 1);
  CHECK_EQ_INT(r.s.n_wide, 0);
  done(&r);
}

static void test_caps_on_kept(void) {
  /* 300 distinct domains: all counted, the first 200 kept */
  tells_buf b;
  res r;
  int i;
  tells_buf_init(&b, 1u << 20);
  for (i = 0; i < 300; i++) tells_buf_addf(&b, "%c host%d.example.com%c", 0, i, 0);
  for (i = 0; i < 5; i++) tells_buf_addf(&b, "%c host0.example.com%c", 0, 0);
  scan_buf(&r, (const uint8_t *)b.p, b.n);
  CHECK_EQ_INT(r.s.counts[TELLS_STRS_DOMAIN], 305);
  CHECK_EQ_INT(r.s.n_kept_type[TELLS_STRS_DOMAIN], TELLS_STRS_KEEP);
  CHECK(first(&r, TELLS_STRS_DOMAIN) && first(&r, TELLS_STRS_DOMAIN)->count == 6);
  {
    tells_buf o;
    tells_json j;
    tells_buf_init(&o, 1u << 20);
    tells_json_init_buf(&j, &o, 0);
    tells_strs_json(&r.s, &j);
    CHECK_EQ_INT(tells_json_flush(&j), TELLS_OK);
    CHECK(strstr(tells_buf_str(&o), "\"domain\":305") != NULL);
    tells_buf_free(&o);
  }
  done(&r);
  tells_buf_free(&b);
}

/* Reference: strings by a plain byte loop (same definition, no filter). */
static void reference(const uint8_t *p, size_t len, size_t min, uint64_t *na, uint64_t *nw) {
  size_t i = 0;
  *na = *nw = 0;
#define PR(c) (((c) >= 0x20 && (c) < 0x7f) || (c) == 9)
  while (i < len) {
    size_t st, run;
    while (i < len && !PR(p[i])) i++;
    st = i;
    while (i < len && PR(p[i])) i++;
    run = i - st;
    if (!run) break;
    if (i + 2 < len && p[i] == 0 && PR(p[i + 1]) && p[i + 2] == 0) {
      size_t ws = i - 1, j = ws;
      while (len - j >= 2 && PR(p[j]) && p[j + 1] == 0) j += 2;
      if ((j - ws) / 2 >= min) {
        if (run - 1 >= min) (*na)++;
        (*nw)++;
        i = j;
        continue;
      }
    }
    if (run >= min) (*na)++;
  }
#undef PR
}

static void test_filter_matches_reference(void) {
  size_t len = 1u << 20, i, round;
  uint8_t *b = malloc(len);
  uint32_t x = 12345;
  for (round = 0; round < 4; round++) {
    res r;
    uint64_t na, nw;
    for (i = 0; i < len; i++) {
      x = x * 1103515245u + 12345u;
      /* mixes of noise, zeros, printable runs and UTF-16 runs */
      switch (round) {
      case 0: b[i] = (uint8_t)(x >> 16); break;
      case 1: b[i] = (x >> 16) % 3 ? (uint8_t)(0x20 + (x >> 20) % 95) : 0; break;
      case 2: b[i] = (i & 1) ? ((x >> 16) % 7 ? 0 : (uint8_t)(x >> 8)) : (uint8_t)(0x21 + (x >> 20) % 90); break;
      default: b[i] = (x >> 16) % 11 ? (uint8_t)(0x41 + (x >> 20) % 26) : (uint8_t)(x >> 9); break;
      }
    }
    scan_buf(&r, b, len);
    reference(b, len, TELLS_STRS_MIN_LEN, &na, &nw);
    CHECK_EQ_INT(r.s.n_ascii, na);
    CHECK_EQ_INT(r.s.n_wide, nw);
    done(&r);
  }
  free(b);
}

/* False positives on the benign MSVC corpus: every indicator must be one
** of the kinds a real vendor binary carries (its build paths and the
** Rust runtime's mutex and device names). */
static void test_msvc_corpus(void) {
  char dir[1024];
  const char *sub[] = {"setuptools-66.1.1", "rollup-win32-x64-msvc-4.68.8", "swc-core-win32-x64-msvc-1.16.22"};
  size_t s, files = 0;
  for (s = 0; s < 3; s++) {
    DIR *d;
    struct dirent *de;
    snprintf(dir, sizeof dir, "%s/pe/msvc/%s", t_corpora(), sub[s]);
    if (!(d = opendir(dir))) continue;
    while ((de = readdir(d))) {
      char path[2048];
      FILE *f;
      long n;
      uint8_t *buf;
      res r;
      size_t i;
      size_t l = strlen(de->d_name);
      if (l < 5 || (strcmp(de->d_name + l - 4, ".exe") && strcmp(de->d_name + l - 5, ".node"))) continue;
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      if (!(f = fopen(path, "rb"))) continue;
      fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
      buf = malloc((size_t)n);
      if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); free(buf); continue; }
      fclose(f);
      files++;
      scan_buf(&r, buf, (size_t)n);
      CHECK_EQ_INT(r.s.counts[TELLS_STRS_IPV4] + r.s.counts[TELLS_STRS_IPV6] +
                   r.s.counts[TELLS_STRS_DOMAIN] + r.s.counts[TELLS_STRS_EMAIL] +
                   r.s.counts[TELLS_STRS_URL] + r.s.counts[TELLS_STRS_REGISTRY], 0);
      for (i = 0; i < r.s.n_kept; i++) {
        const tells_strs_ind *k = &r.s.kept[i];
        int ok = (k->type == TELLS_STRS_WIN_PATH &&
                  (strncmp(k->value, "C:\\Users\\runneradmin\\", 21) == 0 ||
                   strcmp(k->value, "\\\\.\\NUL") == 0 || strcmp(k->value, "\\??\\PIPE") == 0)) ||
                 (k->type == TELLS_STRS_MUTEX && strcmp(k->value, "Local\\RustBacktraceMutex00000000") == 0);
        if (!ok) fprintf(stderr, "  %s: unexpected %s \"%s\"\n", de->d_name, tells_strs_type_name(k->type), k->value);
        CHECK(ok);
      }
      done(&r);
      free(buf);
    }
    closedir(d);
  }
  if (!files) T_SKIP("MSVC corpus not found under %s", t_corpora());
}

int main(void) {
  T_RUN(test_ipv4);
  T_RUN(test_version_resource_context);
  T_RUN(test_ipv6);
  T_RUN(test_domains);
  T_RUN(test_urls);
  T_RUN(test_emails);
  T_RUN(test_paths);
  T_RUN(test_registry);
  T_RUN(test_mutex);
  T_RUN(test_utf16_and_offsets);
  T_RUN(test_caps_on_kept);
  T_RUN(test_filter_matches_reference);
  T_RUN(test_msvc_corpus);
  T_END();
}
