/*
** strs.c -- one linear pass over a file for strings, then validated
** indicators in each string (contract and rules in strs.h).
**
** The pass reads the file through one bounded cursor window.  Printable
** runs are found with a 256-entry class table; a printable byte followed
** by 0 and another printable-then-0 pair starts a UTF-16LE candidate,
** which is followed to its end and converted to ASCII in a scratch buffer.
** Most strings contain none of '.', ':', '\\' or '@' and cost nothing more;
** the others go through the matchers in order -- URLs, e-mails, paths /
** registry keys / mutex names, then addresses and domains -- with a mask of
** the characters already claimed, so a piece of text is counted once.
*/
#include <pthread.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "rd.h"
#include "strs.h"

/* Character classes. */
enum { C_PR = 1, C_DOT = 2, C_COLON = 4, C_BSL = 8, C_AT = 16, C_DOM = 32,
       C_HEX = 64, C_ALNUM = 128 };
static uint8_t cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void cls_build(void) {
  int c;
  for (c = 0x20; c < 0x7f; c++) cls[c] = C_PR;
  cls['\t'] = C_PR;
  cls['.'] |= C_DOT | C_DOM; cls[':'] |= C_COLON; cls['\\'] |= C_BSL; cls['@'] |= C_AT;
  cls['-'] |= C_DOM;
  for (c = '0'; c <= '9'; c++) cls[c] |= C_DOM | C_HEX | C_ALNUM;
  for (c = 'a'; c <= 'z'; c++) cls[c] |= C_DOM | C_ALNUM;
  for (c = 'A'; c <= 'Z'; c++) cls[c] |= C_DOM | C_ALNUM;
  for (c = 'a'; c <= 'f'; c++) cls[c] |= C_HEX;
  for (c = 'A'; c <= 'F'; c++) cls[c] |= C_HEX;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_alpha(int c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }

/* Case-insensitive prefix test of s[i..n) against the NUL-terminated p. */
static int iprefix(const char *s, size_t n, size_t i, const char *p) {
  size_t k;
  for (k = 0; p[k]; k++)
    if (i + k >= n || lower((unsigned char)s[i + k]) != lower((unsigned char)p[k])) return 0;
  return 1;
}
static int prefix(const char *s, size_t n, size_t i, const char *p) {
  size_t k = strlen(p);
  return k <= n - i && memcmp(s + i, p, k) == 0;
}

/* ---- the dedup table and the sink ---------------------------------- */

#define SEEN_SLOTS 4096     /* > 2 * TELLS_STRS_KEEP * TELLS_STRS_NTYPES */

struct tells_strs_seen { uint32_t hash[SEEN_SLOTS]; uint32_t idx[SEEN_SLOTS]; };

typedef struct scan {
  tells_strs *out;
  const tells_strs_opts *o;
  const char *s;            /* the string being examined */
  size_t n;
  uint64_t off;             /* file offset of s[0] */
  int wide;
  const uint8_t *file;      /* the whole file, for context before a string */
  uint8_t cov[TELLS_STRS_CHUNK];   /* characters already part of an indicator */
  char wbuf[TELLS_STRS_CHUNK];     /* UTF-16 converted to ASCII */
} scan;

static uint32_t fnv(int type, const char *v, size_t n) {
  uint32_t h = 2166136261u ^ (uint32_t)type;
  size_t i;
  for (i = 0; i < n; i++) { h ^= (uint8_t)v[i]; h *= 16777619u; }
  return h | 1;
}

static void keep(tells_strs *s, const tells_strs_ind *ind) {
  uint32_t h = fnv(ind->type, ind->value, ind->len), k;
  tells_strs_ind *e;
  char *v;
  if (!s->seen) return;
  for (k = h & (SEEN_SLOTS - 1);; k = (k + 1) & (SEEN_SLOTS - 1)) {
    if (!s->seen->hash[k]) break;
    if (s->seen->hash[k] == h) {
      e = &s->kept[s->seen->idx[k]];
      if (e->type == ind->type && e->len == ind->len && memcmp(e->value, ind->value, ind->len) == 0) {
        e->count++;
        return;
      }
    }
  }
  if (s->n_kept_type[ind->type] >= TELLS_STRS_KEEP) return;
  v = tells_arena_strndup(s->arena, ind->value, ind->len);
  if (!v) { if (!s->err) s->err = TELLS_ELIMIT; return; }
  e = &s->kept[s->n_kept];
  *e = *ind;
  e->value = v; e->count = 1;
  s->seen->hash[k] = h; s->seen->idx[k] = (uint32_t)s->n_kept;
  s->n_kept++;
  s->n_kept_type[ind->type]++;
}

/* Reports s[a..b) as an indicator of `type`; `norm` lowercases it. */
static void emit(scan *sc, int type, size_t a, size_t b, int norm) {
  char v[TELLS_STRS_MAX_VALUE + 1];
  tells_strs_ind ind;
  size_t i, n = b - a;
  if (b <= a || n > TELLS_STRS_MAX_VALUE) return;
  for (i = 0; i < n; i++) v[i] = norm ? (char)lower((unsigned char)sc->s[a + i]) : sc->s[a + i];
  v[n] = 0;
  memset(&ind, 0, sizeof ind);
  ind.type = type; ind.wide = sc->wide; ind.value = v; ind.len = n;
  ind.off = sc->off + (uint64_t)a * (sc->wide ? 2 : 1);
  sc->out->counts[type]++;
  keep(sc->out, &ind);
  if (sc->o->on_indicator && sc->out->counts[type] <= TELLS_STRS_MAX_SIGHT)
    sc->o->on_indicator(sc->o->ud, &ind);
}

static void cover(scan *sc, size_t a, size_t b) { if (b > a) memset(sc->cov + a, 1, b - a); }
static int covered(const scan *sc, size_t a, size_t b) {
  for (; a < b; a++) if (sc->cov[a]) return 1;
  return 0;
}

/* ---- validators ------------------------------------------------------ */

/* TLDs that are also common file, source or build-file extensions:
** "name.zip", "lib.so" or "Makefile.in" are files, not hosts. */
static int ext_tld(const char *t, size_t n) {
  static const char *const ext[] = {
    "ac", "ai", "am", "app", "as", "build", "cab", "cat", "cc", "data", "in",
    "inc", "java", "map", "md", "ml", "mo", "mov", "ms", "pid", "pl", "pm",
    "properties", "ps", "pub", "py", "rs", "run", "sh", "so", "st", "zip", NULL};
  int i;
  for (i = 0; ext[i]; i++)
    if (strlen(ext[i]) == n) {
      size_t k;
      for (k = 0; k < n && lower((unsigned char)t[k]) == ext[i][k]; k++) {}
      if (k == n) return 1;
    }
  return 0;
}

/* Generic TLDs accepted for names found outside a URL or e-mail, besides
** every two-letter country code: the original generic ones and the new
** ones most seen in abuse reports.  The other delegated TLDs ("target",
** "name", "call", "date"...) are also words of code, as in JavaScript's
** "new.target", and count only inside a URL or an e-mail address. */
static int bare_tld(const char *t, size_t n) {
  static const char *const g[] = {
    "accountant", "arpa", "asia", "bid", "biz", "click", "cloud", "club", "com",
    "cricket", "dev", "edu", "example", "faith", "gdn", "gov", "icu", "info", "ink", "int",
    "life", "live", "loan", "men", "mil", "mobi", "net", "online", "org", "party",
    "pro", "racing", "review", "science", "shop", "site", "space", "store",
    "stream", "tech", "tel", "today", "top", "trade", "vip", "website", "work",
    "world", "xyz", NULL};
  int i;
  if (n == 2) return 1;
  for (i = 0; g[i]; i++)
    if (strlen(g[i]) == n) {
      size_t k;
      for (k = 0; k < n && lower((unsigned char)t[k]) == g[i][k]; k++) {}
      if (k == n) return 1;
    }
  return 0;
}

/* A host name s[a..b): labels of letters, digits and inner hyphens, at
** least two, the last alphabetic and a real TLD.  `bare` adds the checks
** for names found outside a URL or e-mail: no extension-like TLD, one
** letter case, a second-level label of two characters or more. */
static int valid_domain(const char *s, size_t a, size_t b, int bare) {
  size_t i, lab = a, nlab = 0, last = a, sld_len = 0, prev_len = 0;
  int up = 0, lo = 0;
  if (b <= a || b - a > 253) return 0;
  for (i = a; i <= b; i++) {
    int c = i < b ? (unsigned char)s[i] : '.';
    if (c == '.') {
      size_t len = i - lab;
      if (len == 0 || len > 63 || s[lab] == '-' || s[i - 1] == '-') return 0;
      nlab++;
      sld_len = prev_len; prev_len = len;
      last = lab;
      lab = i + 1;
    } else if (is_alpha(c)) {
      if (c >= 'a') lo = 1; else up = 1;
    } else if (!is_digit(c) && c != '-') {
      return 0;
    }
  }
  if (nlab < 2) return 0;
  for (i = last; i < b; i++) if (!is_alpha((unsigned char)s[i])) return 0;
  /* "example" is reserved for documentation and tests (RFC 2606), never
  ** delegated: a binary that names host.example names a host all the same */
  if (!tells__strs_is_tld(s + last, b - last) &&
      !(b - last == 7 && strncasecmp(s + last, "example", 7) == 0)) return 0;
  if (bare) {
    if (ext_tld(s + last, b - last) || !bare_tld(s + last, b - last)) return 0;
    if (up && lo) return 0;        /* System.Net, Foo.Bar.Com: identifiers */
    if (sld_len < (nlab == 2 ? 3u : 2u)) return 0;
  }
  return 1;
}

/* Parses a dotted quad s[a..b): 1 when valid (no leading zeros, each
** octet <= 255).  o[] gets the octets. */
static int parse_ipv4(const char *s, size_t a, size_t b, int o[4]) {
  int k = 0, v = 0, nd = 0;
  size_t i;
  for (i = a; i <= b; i++) {
    int c = i < b ? (unsigned char)s[i] : '.';
    if (c == '.') {
      if (nd == 0 || k >= 4) return 0;
      o[k++] = v; v = 0; nd = 0;
    } else if (is_digit(c)) {
      if (nd == 1 && v == 0) return 0;   /* leading zero */
      v = v * 10 + (c - '0');
      if (++nd > 3 || v > 255) return 0;
    } else {
      return 0;
    }
  }
  return k == 4;
}

/* Words before a dotted quad that make it a version, not an address. */
static int version_context(const char *s, size_t a) {
  size_t from = a > 24 ? a - 24 : 0, i;
  if (a > 0 && (s[a - 1] == 'v' || s[a - 1] == 'V')) return 1;
  for (i = from; i < a; i++)
    if (iprefix(s, a, i, "ver") || iprefix(s, a, i, "build") || iprefix(s, a, i, "rev") ||
        iprefix(s, a, i, "release") || iprefix(s, a, i, "assembly")) return 1;
  return 0;
}

/* "version" in the 64 file bytes before offset `off`, ASCII or UTF-16LE:
** a version resource's value follows its key ("FileVersion\0\0 1.1.0.14"). */
static int version_before(const scan *sc, uint64_t off) {
  static const char w[] = "ersion";
  uint64_t from = off > 64 ? off - 64 : 0, i;
  for (i = from; i < off; i++) {
    size_t k;
    for (k = 0; k < 6 && i + k < off && lower(sc->file[i + k]) == w[k]; k++) {}
    if (k == 6) return 1;
    for (k = 0; k < 6 && i + 2 * k + 1 < off && lower(sc->file[i + 2 * k]) == w[k] &&
                sc->file[i + 2 * k + 1] == 0; k++) {}
    if (k == 6) return 1;
  }
  return 0;
}

static int valid_ipv4(const scan *sc, size_t a, size_t b) {
  int o[4];
  if (!parse_ipv4(sc->s, a, b, o)) return 0;
  if (o[0] == 0 || o[0] == 255) return 0;          /* "this network", masks */
  if (o[2] == 0 && o[3] == 0) return 0;            /* x.y.0.0, x.0.0.0: versions, networks */
  if (version_context(sc->s, a)) return 0;
  if (version_before(sc, sc->off)) return 0;
  return 1;
}

/* RFC 4291 text form in s[a..b), at most one "::", optional trailing
** dotted quad; requires two or more groups written and one of 3+ digits. */
static int valid_ipv6(const char *s, size_t a, size_t b) {
  size_t i = a;
  int groups = 0, dbl = 0, long_grp = 0, o[4];
  if (b - a < 3 || b - a > 45) return 0;
  if (s[i] == ':') { if (s[i + 1] != ':') return 0; dbl = 1; i += 2; }
  while (i < b) {
    size_t g = i;
    while (i < b && (cls[(unsigned char)s[i]] & C_HEX) && i - g < 5) i++;
    if (i < b && s[i] == '.') {           /* embedded IPv4 at the end */
      size_t e = g;
      while (e < b && (is_digit((unsigned char)s[e]) || s[e] == '.')) e++;
      if (e != b || !parse_ipv4(s, g, b, o)) return 0;
      groups += 2;
      i = b;
      break;
    }
    if (i - g == 0 || i - g > 4) return 0;
    if (i - g >= 3) long_grp = 1;
    groups++;
    if (i == b) break;
    if (s[i] != ':') return 0;
    i++;
    if (i < b && s[i] == ':') { if (dbl) return 0; dbl = 1; i++; }
    else if (i == b) return 0;
  }
  if (groups > 8 || (!dbl && groups != 8) || (dbl && groups > 7)) return 0;
  return groups >= 2 && long_grp;
}

/* ---- matchers ------------------------------------------------------- */

static int url_char(int c) {
  return (cls[c] & C_PR) && c != ' ' && c != '\t' && c != '"' && c != '<' && c != '>' &&
         c != '\\' && c != '^' && c != '`' && c != '{' && c != '|' && c != '}';
}

static int scheme_ok(const char *s, size_t a, size_t b) {
  static const char *const sch[] = {"http", "https", "ftp", "ftps", "sftp", "ws", "wss",
                                    "smb", "ldap", "ldaps", "tcp", "udp", "irc", "ssh",
                                    "telnet", "rtsp", NULL};
  int i;
  for (i = 0; sch[i]; i++)
    if (strlen(sch[i]) == b - a && iprefix(s, b, a, sch[i])) return 1;
  return 0;
}

static void find_urls(scan *sc) {
  const char *s = sc->s;
  size_t n = sc->n, i;
  for (i = 1; i + 3 <= n; i++) {
    size_t st, h, he, hs, e, p;
    if (s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/') continue;
    st = i;
    while (st > 0 && is_alpha((unsigned char)s[st - 1])) st--;
    if (st == i || (st > 0 && is_alnum((unsigned char)s[st - 1])) || !scheme_ok(s, st, i)) continue;
    h = i + 3;
    e = h;
    while (e < n && url_char((unsigned char)s[e]) && s[e] != '/' && s[e] != '?' && s[e] != '#') e++;
    hs = h;                                   /* skip user:password@ */
    for (p = h; p < e; p++) if (s[p] == '@') hs = p + 1;
    he = hs;
    if (he < e && s[he] == '[') {             /* [IPv6] */
      while (he < e && s[he] != ']') he++;
      if (he >= e || !valid_ipv6(s, hs + 1, he)) continue;
      he++;
    } else {
      while (he < e && s[he] != ':') he++;
    }
    if (he < e) {                             /* :port */
      size_t q = he + 1;
      unsigned port = 0;
      if (s[he] != ':' || q == e) continue;
      for (; q < e && is_digit((unsigned char)s[q]) && port <= 65535; q++) port = port * 10 + (unsigned)(s[q] - '0');
      if (q != e || port > 65535) continue;
    }
    {
      int v4 = 0, v6 = s[hs] == '[', o[4];
      size_t hb = he;
      if (!v6) {
        while (hb > hs && s[hb - 1] == '.') hb--;   /* a trailing dot */
        v4 = parse_ipv4(s, hs, hb, o);
        if (!v4 && !valid_domain(s, hs, hb, 0)) continue;
      }
      e = (he < e) ? e : he;
      while (e < n && url_char((unsigned char)s[e])) e++;
      while (e > he && strchr(".,;:!?)'", s[e - 1])) e--;
      emit(sc, TELLS_STRS_URL, st, e, 0);
      if (v6) emit(sc, TELLS_STRS_IPV6, hs + 1, he - 1, 1);
      else emit(sc, v4 ? TELLS_STRS_IPV4 : TELLS_STRS_DOMAIN, hs, hb, 1);
      cover(sc, st, e);
      i = e > i ? e - 1 : i;
    }
  }
}

static int local_char(int c) { return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '-'; }

static void find_emails(scan *sc) {
  const char *s = sc->s;
  size_t n = sc->n, i;
  for (i = 1; i + 1 < n; i++) {
    size_t a, e, db;
    if (s[i] != '@' || sc->cov[i]) continue;
    a = i;
    while (a > 0 && i - a < 64 && local_char((unsigned char)s[a - 1]) && !sc->cov[a - 1]) a--;
    while (a < i && !is_alnum((unsigned char)s[a])) a++;
    if (a == i || s[i - 1] == '.' || (a > 0 && (s[a - 1] == '%' || local_char((unsigned char)s[a - 1])))) continue;
    e = i + 1;
    while (e < n && (cls[(unsigned char)s[e]] & C_DOM)) e++;
    db = e;
    while (db > i + 1 && (s[db - 1] == '.' || s[db - 1] == '-')) db--;
    if (!valid_domain(s, i + 1, db, 0)) continue;
    emit(sc, TELLS_STRS_EMAIL, a, db, 1);
    emit(sc, TELLS_STRS_DOMAIN, i + 1, db, 1);
    cover(sc, a, db);
    i = db;
  }
}

/* End of a path-like run starting at i: printable characters that a path
** or key can hold, stopping before "  ", " /" or " -" (command-line
** switches), ',' and ';' (lists), then trimming spaces and dots. */
static size_t path_end(const char *s, size_t n, size_t i, int allow_q) {
  size_t e = i;
  while (e < n) {
    int c = (unsigned char)s[e];
    if (!(cls[c] & C_PR) || c == '\t' || c == '"' || c == '<' || c == '>' || c == '|' ||
        c == '*' || c == ',' || c == ';' || (c == '?' && !allow_q)) break;
    if (c == ' ' && e + 1 < n && (s[e + 1] == ' ' || s[e + 1] == '/' || s[e + 1] == '-')) break;
    e++;
  }
  while (e > i && (s[e - 1] == ' ' || s[e - 1] == '.' || s[e - 1] == '\\')) e--;
  return e;
}

static int name_char(int c) {
  return is_alnum(c) || (c && strchr("_.{}-#@$%+=~!", c) != NULL);
}

/* A path's text after its prefix, s[a..b): three characters or more, one
** of them a letter, none a quote or colon (drive-letter noise in binary data such
** as "E:\\3C" or "h:\\s'y'" fails). */
static int wordy(const char *s, size_t a, size_t b) {
  size_t i;
  int alpha = 0;
  if (b < a + 3) return 0;
  for (i = a; i < b; i++) {
    if (s[i] == '\'' || s[i] == '`' || s[i] == ':') return 0;
    if (is_alpha((unsigned char)s[i])) alpha = 1;
  }
  return alpha && s[a] != ' ' && s[a] != '\\';
}

/* Paths, registry keys and mutex names starting at s[i]; returns the end
** of what was reported, or i. */
static size_t at_backslashy(scan *sc, size_t i) {
  static const char *const roots[] = {
    "HKEY_LOCAL_MACHINE\\", "HKEY_CURRENT_USER\\", "HKEY_CLASSES_ROOT\\", "HKEY_USERS\\",
    "HKEY_CURRENT_CONFIG\\", "HKLM\\", "HKCU\\", "HKCR\\", "HKU\\", "HKCC\\",
    "\\Registry\\Machine\\", "\\Registry\\User\\", "Software\\", "System\\CurrentControlSet\\",
    "System\\ControlSet00", NULL};
  static const char *const nt[] = {"\\??\\", "\\Device\\", "\\SystemRoot\\", "\\DosDevices\\",
                                   "\\GLOBAL??\\", NULL};
  const char *s = sc->s;
  size_t n = sc->n, e, k;
  int c = (unsigned char)s[i], j;
  if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '_' ||
                (s[i - 1] == '\\' && c != '\\'))) return i;
  /* mutex-like names */
  if (c == 'G' || c == 'L' || c == '\\') {
    const char *pre = prefix(s, n, i, "Global\\") ? "Global\\" : prefix(s, n, i, "Local\\") ? "Local\\"
                    : prefix(s, n, i, "\\BaseNamedObjects\\") ? "\\BaseNamedObjects\\" : NULL;
    if (!pre && prefix(s, n, i, "\\Sessions\\")) {
      k = i + 10;
      while (k < n && is_digit((unsigned char)s[k])) k++;
      if (k > i + 10 && prefix(s, n, k, "\\BaseNamedObjects\\")) pre = "";
      if (pre) e = k + 18; else e = i;
    } else {
      e = pre ? i + strlen(pre) : i;
    }
    if (pre) {
      if (prefix(s, n, e, "Global\\") || prefix(s, n, e, "Local\\")) e += s[e] == 'G' ? 7 : 6;
      k = e;
      while (k < n && name_char((unsigned char)s[k])) k++;
      if (k - e >= 3 && (k == n || s[k] != '\\')) { emit(sc, TELLS_STRS_MUTEX, i, k, 0); return k; }
      if (s[i] != '\\') return i;
    }
  }
  /* registry keys */
  for (j = 0; roots[j]; j++)
    if (iprefix(s, n, i, roots[j])) {
      size_t r = i + strlen(roots[j]);
      e = path_end(s, n, r, 0);
      while (e > r && s[e - 1] == '\\') e--;
      if (e > r + 1 && (roots[j][0] != 'S' || (s[r] != ' ' && e - r >= 4))) {
        emit(sc, TELLS_STRS_REGISTRY, i, e, 0);
        return e;
      }
      return i;
    }
  /* Windows paths */
  e = i;
  if (is_alpha(c) && i + 3 < n && s[i + 1] == ':' && s[i + 2] == '\\') {
    e = path_end(s, n, i + 3, 0);
    if (!wordy(s, i + 3, e)) e = i;
  } else if (c == '\\' && i + 3 < n && s[i + 1] == '\\') {
    if ((s[i + 2] == '.' || s[i + 2] == '?') && s[i + 3] == '\\') {
      e = path_end(s, n, i + 4, 0);
      if (!(e - i == 6 && is_alpha((unsigned char)s[i + 4]) && s[i + 5] == ':') &&
          (!wordy(s, i + 4, e) || (e - i == 7 && iprefix(s, n, i + 4, "UNC")))) e = i;
    } else if (name_char((unsigned char)s[i + 2])) {
      k = i + 2;
      while (k < n && name_char((unsigned char)s[k])) k++;
      if (k < n && s[k] == '\\' && (k - i >= 5 || memchr(s + i, '%', k - i))) {
        e = path_end(s, n, k + 1, 0);
        if (e < k + 3) e = i;
        else {                               /* the server is a host too */
          int o[4];
          if (parse_ipv4(s, i + 2, k, o)) emit(sc, TELLS_STRS_IPV4, i + 2, k, 0);
          else if (valid_domain(s, i + 2, k, 0)) emit(sc, TELLS_STRS_DOMAIN, i + 2, k, 1);
        }
      }
    }
  } else if (c == '%' && i + 2 < n && (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '_')) {
    k = i + 1;
    while (k < n && (is_alnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '(' || s[k] == ')')) k++;
    if (k + 2 < n && s[k] == '%' && s[k + 1] == '\\' && s[k + 2] != ' ') e = path_end(s, n, k + 2, 0);
  } else if (c == '\\') {
    for (j = 0; nt[j]; j++)
      if (iprefix(s, n, i, nt[j])) { e = path_end(s, n, i + strlen(nt[j]), 0); break; }
    if (e > i && e - i <= strlen(nt[j])) e = i;
  }
  if (e > i + 3) {
    while (e > i && s[e - 1] == '\\' && e - i > 4) e--;
    emit(sc, TELLS_STRS_WIN_PATH, i, e, 0);
    return e;
  }
  return i;
}

static void find_backslashy(scan *sc) {
  size_t i;
  for (i = 0; i + 3 < sc->n; i++) {
    int c = (unsigned char)sc->s[i];
    size_t e;
    if (sc->cov[i]) continue;
    if (c != '\\' && c != '%' && c != 'H' && c != 'h' && c != 'S' && c != 's' &&
        c != 'G' && c != 'L' && !(is_alpha(c) && sc->s[i + 1] == ':')) continue;
    e = at_backslashy(sc, i);
    if (e > i) { cover(sc, i, e); i = e - 1; }
  }
}

static void find_hosts(scan *sc) {
  const char *s = sc->s;
  size_t n = sc->n, i = 0;
  while (i < n) {
    size_t a, b;
    int dots = 0, alpha = 0;
    while (i < n && !(cls[(unsigned char)s[i]] & C_DOM)) i++;
    a = i;
    while (i < n && (cls[(unsigned char)s[i]] & C_DOM)) {
      if (s[i] == '.') dots++; else if (is_alpha((unsigned char)s[i])) alpha = 1;
      i++;
    }
    b = i;
    if (!dots || covered(sc, a, b)) continue;
    if (a > 0 && strchr("\\/_%$@&~`", s[a - 1])) continue;
    if (b < n && strchr("_(\\@$", s[b])) continue;
    while (a < b && (s[a] == '.' || s[a] == '-')) a++;
    if (alpha) {
      while (b > a && (s[b - 1] == '.' || s[b - 1] == '-')) b--;
      if (valid_domain(s, a, b, 1)) emit(sc, TELLS_STRS_DOMAIN, a, b, 1);
    } else {
      if (b > a && s[b - 1] == '.' && !(b < n && is_digit((unsigned char)s[b]))) b--;
      if (a > 0 && s[a - 1] == '.') continue;
      if (valid_ipv4(sc, a, b)) emit(sc, TELLS_STRS_IPV4, a, b, 0);
    }
  }
}

static void find_ipv6(scan *sc) {
  const char *s = sc->s;
  size_t n = sc->n, i = 0;
  while (i < n) {
    size_t a, b;
    int colons = 0;
    while (i < n && !(cls[(unsigned char)s[i]] & C_HEX) && s[i] != ':') i++;
    a = i;
    while (i < n && ((cls[(unsigned char)s[i]] & C_HEX) || s[i] == ':' || s[i] == '.')) {
      if (s[i] == ':') colons++;
      i++;
    }
    b = i;
    if (colons < 2 || covered(sc, a, b)) continue;
    if (a > 0 && (is_alnum((unsigned char)s[a - 1]) || s[a - 1] == '_')) continue;
    if (b < n && (is_alnum((unsigned char)s[b]) || s[b] == '_')) continue;
    if (valid_ipv6(s, a, b)) { emit(sc, TELLS_STRS_IPV6, a, b, 1); cover(sc, a, b); }
  }
}

/* Examines one string (at most TELLS_STRS_CHUNK characters). */
static void examine(scan *sc, const char *s, size_t n, uint64_t off, int wide) {
  uint8_t f = 0;
  size_t i;
  if (sc->o->on_string) sc->o->on_string(sc->o->ud, s, n, off, wide);
  for (i = 0; i < n; i++) f |= cls[(unsigned char)s[i]];
  if (!(f & (C_DOT | C_COLON | C_BSL | C_AT))) return;
  sc->s = s; sc->n = n; sc->off = off; sc->wide = wide;
  memset(sc->cov, 0, n);
  if (f & C_COLON) find_urls(sc);
  if (f & C_AT) find_emails(sc);
  if (f & (C_BSL | C_COLON)) find_backslashy(sc);
  if (f & C_COLON) find_ipv6(sc);
  if (f & C_DOT) find_hosts(sc);
}

static void ascii_string(scan *sc, const uint8_t *p, size_t n, uint64_t off) {
  sc->out->n_ascii++;
  while (n) {
    size_t k = n < TELLS_STRS_CHUNK ? n : TELLS_STRS_CHUNK;
    examine(sc, (const char *)p, k, off, 0);
    p += k; off += k; n -= k;
  }
}

static void wide_string(scan *sc, const uint8_t *p, size_t nchars, uint64_t off) {
  sc->out->n_wide++;
  while (nchars) {
    size_t k = nchars < TELLS_STRS_CHUNK ? nchars : TELLS_STRS_CHUNK, i;
    for (i = 0; i < k; i++) sc->wbuf[i] = (char)p[2 * i];
    examine(sc, sc->wbuf, k, off, 1);
    p += 2 * k; off += 2 * k; nchars -= k;
  }
}

/* ---- the block filter ---------------------------------------------------
** Most 64-byte blocks of an executable start no string of `min` characters:
** code, tables, padding, compressed data.  For block k, bit j of P is
** "byte 64k+j is printable" and of Z "is zero"; with the next block's masks
** as look-ahead, F has bit j when `min` printable bytes start at j and G
** when `min` UTF-16 units (printable, 0) do.  A block where both are empty
** starts no string the scalar loop would report, so the loop may jump over
** it: landing inside a run only shortens a run that was too short anyway.
** Blocks without a full look-ahead block are always examined. */
static void block_masks(const uint8_t *q, uint64_t *P, uint64_t *Z) {
#if defined(__SSE2__)
  const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f),
                tab = _mm_set1_epi8(9), zero = _mm_setzero_si128();
  uint64_t p = 0, z = 0;
  int k;
  for (k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k));
    __m128i pr = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi)),
                              _mm_cmpeq_epi8(v, tab));
    p |= (uint64_t)(uint16_t)_mm_movemask_epi8(pr) << (16 * k);
    z |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) << (16 * k);
  }
  *P = p; *Z = z;
#else
  uint64_t p = 0, z = 0;
  int k;
  for (k = 0; k < 64; k++) {
    if (cls[q[k]] & C_PR) p |= 1ull << k;
    if (!q[k]) z |= 1ull << k;
  }
  *P = p; *Z = z;
#endif
}

static int block_may_start(const uint8_t *p, size_t len, size_t k, size_t min) {
  uint64_t Pc, Zc, Pn, Zn, F, G, Wc, Wn;
  size_t base = k << 6, m;
  if (len - base < 128 || base > len) return 1;
  block_masks(p + base, &Pc, &Zc);
  block_masks(p + base + 64, &Pn, &Zn);
  F = Pc;
  for (m = 1; m < min && F; m++) F &= (Pc >> m) | (Pn << (64 - m));
  if (F) return 1;
  Wc = Pc & ((Zc >> 1) | (Zn << 63));
  Wn = Pn & (Zn >> 1);
  G = Wc;
  for (m = 1; m < min && G; m++) G &= (Wc >> (2 * m)) | (Wn << (64 - 2 * m));
  return G != 0;
}

tells_err tells_strs_scan(const uint8_t *buf, size_t len, const tells_strs_opts *o,
                          tells_arena *arena, tells_strs *out) {
  static const tells_strs_opts none;
  tells_rd r = tells_rd_make(buf, len, 0);
  const uint8_t *p;
  size_t i = 0, chk = 0, min;
  scan *sc;
  pthread_once(&cls_once, cls_build);
  memset(out, 0, sizeof *out);
  out->arena = arena;
  if (!o) o = &none;
  min = o->min_len ? o->min_len : TELLS_STRS_MIN_LEN;
  if (min < 2) min = 2;
  if (min > 32) min = 32;
  out->min_len = (uint32_t)min;
  sc = tells_arena_alloc(arena, sizeof *sc);
  out->seen = tells_arena_alloc(arena, sizeof *out->seen);
  out->kept = tells_arena_alloc(arena, sizeof *out->kept * TELLS_STRS_KEEP * TELLS_STRS_NTYPES);
  if (!sc || !out->seen || !out->kept) { out->seen = NULL; return TELLS_ELIMIT; }
  memset(out->seen, 0, sizeof *out->seen);
  sc->out = out; sc->o = o; sc->file = buf;
  p = len ? tells_rd_bytes(&r, len) : NULL;   /* one bounded window: [0, len) */
  if (!p) return TELLS_OK;
  while (i < len) {
    size_t st, run;
    if (i >= chk) {              /* entering a new 64-byte block */
      size_t k = i >> 6;
      chk = (k + 1) << 6;
      if (!block_may_start(p, len, k, min)) { i = chk; continue; }
    }
    while (i < chk && i < len && !(cls[p[i]] & C_PR)) i++;
    if (i == chk) continue;
    st = i;
    while (i < len && (cls[p[i]] & C_PR)) i++;
    run = i - st;
    if (!run) break;
    /* "x\0y\0": a UTF-16LE string starting at the run's last character */
    if (i + 2 < len && p[i] == 0 && (cls[p[i + 1]] & C_PR) && p[i + 2] == 0) {
      size_t ws = i - 1, j = ws;
      while (len - j >= 2 && (cls[p[j]] & C_PR) && p[j + 1] == 0) j += 2;
      if ((j - ws) / 2 >= min) {
        if (run - 1 >= min) ascii_string(sc, p + st, run - 1, st);
        wide_string(sc, p + ws, (j - ws) / 2, ws);
        i = j;
        continue;
      }
    }
    if (run >= min) ascii_string(sc, p + st, run, st);
  }
  return out->err;
}

const char *tells_strs_type_name(int type) {
  static const char *const names[TELLS_STRS_NTYPES] = {
    "ipv4", "ipv6", "domain", "url", "email", "win_path", "registry", "mutex"};
  return type >= 0 && type < TELLS_STRS_NTYPES ? names[type] : "unknown";
}

void tells_strs_json(const tells_strs *s, tells_json *j) {
  size_t i;
  int t;
  tells_json_obj(j);
  tells_json_key(j, "counts");
  tells_json_obj(j);
  for (t = 0; t < TELLS_STRS_NTYPES; t++) tells_json_ku64(j, tells_strs_type_name(t), s->counts[t]);
  tells_json_obj_end(j);
  tells_json_key(j, "strings");
  tells_json_obj(j);
  tells_json_ku64(j, "ascii", s->n_ascii);
  tells_json_ku64(j, "utf16", s->n_wide);
  tells_json_ku64(j, "min_length", s->min_len);
  tells_json_obj_end(j);
  tells_json_key(j, "indicators");
  tells_json_arr(j);
  for (i = 0; i < s->n_kept; i++) {
    const tells_strs_ind *e = &s->kept[i];
    tells_json_obj(j);
    tells_json_kstr(j, "type", tells_strs_type_name(e->type));
    tells_json_kstr(j, "value", e->value);
    tells_json_ku64(j, "offset", e->off);
    tells_json_kstr(j, "encoding", e->wide ? "utf-16le" : "ascii");
    tells_json_ku64(j, "count", e->count);
    tells_json_obj_end(j);
  }
  tells_json_arr_end(j);
  tells_json_obj_end(j);
}
