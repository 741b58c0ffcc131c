/*
** app_http.c -- HTTP/1.x requests and responses (RFC 9112), pipelined:
** method, host, URI, user agent, referer, status, content type, redirect,
** body lengths from Content-Length or chunked framing, and (optionally) the
** header fields as name/value arrays.  Requests wait in a small queue for
** their responses; a transaction becomes one EVE "http" record when its
** response's length is known, or at the end of the flow.
**
** Bodies are passed over with tells_app_skip, so they never sit in the
** stream buffer; the skipped bytes come back through tells_app_on_skip and
** are hashed as they pass (SHA-256 and MD5 of the de-chunked body, at most
** HTTP_HASH_CAP bytes).  Each request or response body becomes one EVE
** "fileinfo" record when it ends: name, size, the kind its first bytes
** show, and the hashes when it is whole -- a body with bytes lost to a
** capture gap, cut short or over the cap is flagged, never hashed as if
** whole.  CONNECT answered with 2xx hands the flow to a new parser
** (tells_app_switch): the tunnel carries TLS or another protocol.
*/
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "hash.h"
#include "rd.h"

#define HTTP_QUEUE 4
#define HTTP_MAX_HEADERS 100
#define HTTP_HASH_CAP ((uint64_t)256 << 20)  /* body bytes hashed at most */
#define HTTP_PARTIAL 512                     /* HTTP/0.9 request line kept */
#define HTTP_UNTIL_END UINT64_MAX            /* body framed by chunks or close */

enum { H_HDR = 0, H_CHUNK_SIZE, H_CHUNK_CRLF, H_CHUNK_TRAILER, H_UNTIL_CLOSE };

typedef struct http_tx {
  int64_t ts;
  uint8_t has_req, has_resp, head, has_status;
  uint16_t status, port;
  uint64_t length;
  char method[24], protocol[12], status_str[16], host[128], uri[512], ua[256], referer[256];
  char ctype[96], redirect[256], disp[160];
  uint8_t *hdr[2];             /* header fields per direction (owned), or NULL: */
  uint32_t hdr_len[2];         /*   u16 name length, u16 value length, name, value... */
  uint16_t hdr_n[2];
} http_tx;

/* The body of one direction as it streams past. */
typedef struct http_file {
  uint8_t active, gaps, over_cap, hashing;
  uint8_t nhead;
  uint8_t head[8];             /* first bytes, for the kind */
  uint64_t size, left;         /* bytes seen; Content-Length bytes due or HTTP_UNTIL_END */
  int64_t tx_id;
  EVP_MD_CTX *md[2];           /* SHA-256; MD5 for bodies of a known kind (owned while active) */
  http_tx *tx;                 /* the transaction's fields, without headers (owned
                                  while active: idle flows stay small) */
} http_file;

typedef struct http_state {
  http_tx q[HTTP_QUEUE];      /* pending transactions, oldest first */
  uint8_t nq, nresp;          /* queued; how many of them have a response */
  uint8_t mode[2];            /* H_* per direction */
  uint64_t body;              /* response body bytes counted so far */
  uint8_t resp_open;          /* q[nresp-1]'s body is still being framed */
  uint8_t resync[2];          /* after a gap: looking for the next message */
  uint8_t connect_wait;       /* a CONNECT awaits its answer: hold client bytes */
  uint8_t hooked;             /* tells_app_on_skip set */
  uint32_t ntx;               /* transactions written (EVE tx_id) */
  uint16_t npartial;          /* an unterminated request line (HTTP/0.9) */
  uint8_t partial[HTTP_PARTIAL];
  http_file file[2];          /* request body (0), response body (1) */
} http_state;

/* What the parser hands to tells_app_emit*: a transaction or a body. */
typedef struct http_rec {
  int kind;                   /* 0 transaction ("http"), 1 body ("fileinfo") */
  const http_tx *tx;
  const http_file *file;
  const char *state;          /* "CLOSED", "TRUNCATED" */
  const char *magic;          /* kind of the first bytes, or NULL */
  int whole;                  /* hashes valid */
  char sha256[65], md5[33];
} http_rec;

static int tchar(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Offset just past the blank line ending a header block, or 0. */
static size_t header_end(const uint8_t *p, size_t n) {
  const uint8_t *q = p, *e = p + n;
  while ((q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
    size_t i = (size_t)(q - p);
    if (i + 1 >= n) break;
    if (p[i + 1] == '\n') return i + 2;
    if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n') return i + 3;
    q++;
  }
  return 0;
}

static void copy_field(char *dst, size_t cap, const uint8_t *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
  if (n >= cap) n = cap - 1;
  memcpy(dst, s, n);
  dst[n] = 0;
}

static int is_method(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n && i < 20 && tchar(p[i]); i++) {}
  return i >= 3 && i < n && p[i] == ' ';
}

static void free_hdrs(tells_app_flow *af, http_tx *t) {
  int d;
  for (d = 0; d < 2; d++) {
    tells_app_free(af, t->hdr[d], t->hdr_len[d]);
    t->hdr[d] = NULL;
    t->hdr_len[d] = 0;
    t->hdr_n[d] = 0;
  }
}

static void emit_tx(tells_app_flow *af, http_state *st) {
  http_tx t = st->q[0];
  http_rec r;
  memmove(&st->q[0], &st->q[1], (size_t)(st->nq - 1) * sizeof st->q[0]);
  st->nq--;
  if (st->nresp) st->nresp--;
  memset(&r, 0, sizeof r);
  r.tx = &t;
  tells_app_emit_tx(af, &r, t.ts, 0, st->ntx++);
  free_hdrs(af, &t);
}

static uint64_t parse_u64(const char *s, int base, int *ok) {
  uint64_t v = 0;
  int any = 0;
  for (; *s == ' ' || *s == '\t'; s++) {}
  for (;; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
    else break;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) { *ok = 0; return 0; }
    v = v * (uint64_t)base + (uint64_t)d;
    any = 1;
  }
  *ok = any;
  return v;
}

static int hname(const uint8_t *l, size_t n, const char *name) {
  size_t k = strlen(name), i;
  if (n <= k || l[k] != ':') return 0;
  for (i = 0; i < k; i++)
    if ((l[i] | 0x20) != name[i]) return 0;
  return 1;
}

/* ---- bodies ---- */

/* The kind of a body from its first bytes (tells' names, not libmagic's). */
static const char *body_magic(const uint8_t *h, size_t n) {
  if (n >= 2 && h[0] == 'M' && h[1] == 'Z') return "PE executable (MZ)";
  if (n >= 4 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F') return "ELF executable";
  if (n >= 4 && ((h[0] == 0xfe && h[1] == 0xed && h[2] == 0xfa && (h[3] & 0xfe) == 0xce) ||
                 ((h[0] & 0xfe) == 0xce && h[1] == 0xfa && h[2] == 0xed && h[3] == 0xfe)))
    return "Mach-O executable";
  if (n >= 4 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) return "Zip archive";
  if (n >= 5 && memcmp(h, "%PDF-", 5) == 0) return "PDF document";
  if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) return "gzip compressed data";
  if (n >= 6 && memcmp(h, "7z\xbc\xaf\x27\x1c", 6) == 0) return "7-zip archive";
  if (n >= 4 && memcmp(h, "Rar!", 4) == 0) return "RAR archive";
  if (n >= 8 && memcmp(h, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0) return "OLE2 compound document";
  if (n >= 2 && h[0] == '#' && h[1] == '!') return "script (#!)";
  return NULL;
}

static void file_free(tells_app_flow *af, http_file *fl) {
  int i;
  for (i = 0; i < 2; i++) { EVP_MD_CTX_free(fl->md[i]); fl->md[i] = NULL; }
  tells_app_free(af, fl->tx, sizeof *fl->tx);
  fl->tx = NULL;
  fl->active = 0;
}

static void file_start(tells_app_flow *af, http_state *st, int dir, const http_tx *t,
                       uint64_t left) {
  http_file *fl = &st->file[dir];
  int i;
  if (!fl->tx && !(fl->tx = tells_app_alloc(af, sizeof *fl->tx))) return;   /* at the cap */
  fl->active = 1;
  fl->gaps = fl->over_cap = 0;
  fl->nhead = 0;
  fl->size = 0;
  fl->left = left;
  fl->tx_id = (int64_t)st->ntx + (int64_t)(t - st->q);
  *fl->tx = *t;
  memset(fl->tx->hdr, 0, sizeof fl->tx->hdr);
  memset(fl->tx->hdr_len, 0, sizeof fl->tx->hdr_len);
  memset(fl->tx->hdr_n, 0, sizeof fl->tx->hdr_n);
  fl->hashing = 1;
  for (i = 0; i < 2; i++) { EVP_MD_CTX_free(fl->md[i]); fl->md[i] = NULL; }
  if (!(fl->md[0] = EVP_MD_CTX_new()) || EVP_DigestInit_ex(fl->md[0], tells_hash_md(TELLS_HASH_SHA256), NULL) != 1) {
    fl->hashing = 0;
    ERR_clear_error();
  }
}

/* Ends the body of direction dir: one "fileinfo" record. */
static void file_close(tells_app_flow *af, http_state *st, int dir, int complete) {
  http_file *fl = &st->file[dir];
  http_rec r;
  if (!fl->active) return;
  fl->active = 0;
  if (!fl->size && complete) { file_free(af, fl); return; }   /* no body: no file */
  memset(&r, 0, sizeof r);
  r.kind = 1;
  r.file = fl;
  r.tx = fl->tx;
  r.state = complete && !fl->gaps ? "CLOSED" : "TRUNCATED";
  r.magic = body_magic(fl->head, fl->nhead);
  r.whole = complete && !fl->gaps && !fl->over_cap && fl->hashing;
  if (r.whole) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0, i;
    static const char hx[] = "0123456789abcdef";
    if (EVP_DigestFinal_ex(fl->md[0], md, &n) == 1 && n == 32) {
      for (i = 0; i < 32; i++) { r.sha256[2 * i] = hx[md[i] >> 4]; r.sha256[2 * i + 1] = hx[md[i] & 15]; }
      r.sha256[64] = 0;
    } else {
      ERR_clear_error();
    }
    if (fl->md[1]) {
      if (EVP_DigestFinal_ex(fl->md[1], md, &n) == 1 && n == 16) {
        for (i = 0; i < 16; i++) { r.md5[2 * i] = hx[md[i] >> 4]; r.md5[2 * i + 1] = hx[md[i] & 15]; }
        r.md5[32] = 0;
      } else {
        ERR_clear_error();
      }
    }
    if (!r.sha256[0]) r.whole = 0;
  }
  tells_app_emit_ev(af, &r, TELLS_APP_NOW, dir == 1, fl->tx_id, "fileinfo");
  file_free(af, fl);
}

/* Body bytes of direction dir (p NULL: n bytes lost). */
static void file_data(tells_app_flow *af, http_state *st, int dir, const uint8_t *p, size_t n) {
  http_file *fl = &st->file[dir];
  if (!fl->active || !n) return;
  if (!p) {
    fl->gaps = 1;
    fl->hashing = 0;
  } else {
    if (!fl->size && fl->hashing && body_magic(p, n < sizeof fl->head ? n : sizeof fl->head)) {
      /* MD5 too for executables, archives and documents: what indicator
      ** feeds still list by MD5 (it costs twice SHA-256's time) */
      if (!(fl->md[1] = EVP_MD_CTX_new()) || EVP_DigestInit_ex(fl->md[1], tells_hash_md(TELLS_HASH_MD5), NULL) != 1) {
        EVP_MD_CTX_free(fl->md[1]);
        fl->md[1] = NULL;
        ERR_clear_error();
      }
    }
    if (fl->nhead < sizeof fl->head) {
      size_t k = sizeof fl->head - fl->nhead < n ? sizeof fl->head - fl->nhead : n;
      memcpy(fl->head + fl->nhead, p, k);
      fl->nhead = (uint8_t)(fl->nhead + k);
    }
    if (fl->hashing && fl->size + n > HTTP_HASH_CAP) { fl->over_cap = 1; fl->hashing = 0; }
    if (fl->hashing && (EVP_DigestUpdate(fl->md[0], p, n) != 1 ||
                        (fl->md[1] && EVP_DigestUpdate(fl->md[1], p, n) != 1))) {
      fl->hashing = 0;
      ERR_clear_error();
    }
  }
  fl->size += n;
  if (fl->left != HTTP_UNTIL_END) {
    fl->left = n < fl->left ? fl->left - n : 0;
    if (!fl->left) file_close(af, st, dir, 1);
  }
}

/* Skipped (Content-Length and chunk) bytes, from the dispatcher. */
static void http_body(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  file_data(af, vst, dir, p, n);
}

/* ---- header fields ---- */

/* Keeps the header fields of a block as name/value pairs in t->hdr[dir]. */
static void keep_headers(tells_app_flow *af, http_tx *t, int dir, const uint8_t *p, size_t n) {
  size_t need = 0, nh = 0, o = 0;
  uint8_t *b;
  int pass;
  for (pass = 0; pass < 2; pass++) {
    tells_rd r = tells_rd_make(p, n, 0);
    size_t ll, left;
    const uint8_t *h;
    for (left = n, h = p, ll = 0; ll < left && h[ll] != '\n'; ll++) {}
    tells_rd_skip(&r, ll < left ? ll + 1 : ll);             /* the first line */
    nh = 0;
    while (tells_rd_left(&r) && nh < HTTP_MAX_HEADERS) {
      size_t c, vn;
      const uint8_t *v;
      h = r.p + r.off;
      left = tells_rd_left(&r);
      for (ll = 0; ll < left && h[ll] != '\n'; ll++) {}
      tells_rd_skip(&r, ll < left ? ll + 1 : ll);
      if (ll && h[ll - 1] == '\r') ll--;
      if (!ll) break;
      for (c = 0; c < ll && h[c] != ':'; c++) {}
      if (c == ll || c > 0xffff) continue;
      v = h + c + 1;
      vn = ll - c - 1;
      while (vn && (*v == ' ' || *v == '\t')) { v++; vn--; }
      while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
      if (pass == 0) { need += 4 + c + vn; nh++; continue; }
      b = t->hdr[dir];
      b[o] = (uint8_t)(c >> 8); b[o + 1] = (uint8_t)c;
      b[o + 2] = (uint8_t)(vn >> 8); b[o + 3] = (uint8_t)vn;
      memcpy(b + o + 4, h, c);
      memcpy(b + o + 4 + c, v, vn);
      o += 4 + c + vn;
      nh++;
    }
    if (pass == 0) {
      if (!need || !(t->hdr[dir] = tells_app_alloc(af, need))) return;
      t->hdr_len[dir] = (uint32_t)need;
    }
  }
  t->hdr_n[dir] = (uint16_t)nh;
}

/* Parses a header block p[0..n) of direction dir.  Returns 0 when the
** first line is not an HTTP request or status line. */
static int parse_head(tells_app_flow *af, http_state *st, int dir, const uint8_t *p, size_t n) {
  tells_rd r = tells_rd_make(p, n, 0);
  http_tx *t;
  char cl[24] = "", te[64] = "";
  const uint8_t *line;
  size_t ll, i, nh = 0;
  int ok, tunnel = 0;
  /* the first line */
  for (ll = 0; ll < n && p[ll] != '\n'; ll++) {}
  line = tells_rd_bytes(&r, ll < n ? ll + 1 : ll);
  if (!line) return 0;
  if (dir == 0) {
    size_t a, b;
    if (!is_method(line, ll)) return 0;
    if (st->nq == HTTP_QUEUE) emit_tx(af, st);   /* never answered: log it */
    t = &st->q[st->nq++];
    memset(t, 0, sizeof *t);
    t->ts = tells_app_now(af);
    t->has_req = 1;
    st->npartial = 0;
    for (a = 0; line[a] != ' '; a++) {}
    copy_field(t->method, sizeof t->method, line, a);
    for (b = a + 1; b < ll && line[b] != ' ' && line[b] != '\r'; b++) {}
    copy_field(t->uri, sizeof t->uri, line + a + 1, b - a - 1);
    if (b < ll && line[b] == ' ') copy_field(t->protocol, sizeof t->protocol, line + b + 1, ll - b - 1);
    t->head = strcmp(t->method, "HEAD") == 0;
    if (strcmp(t->method, "CONNECT") == 0) st->connect_wait = 1;
  } else {
    unsigned s = 0;
    size_t e;
    int digits;
    if (ll < 9 || memcmp(line, "HTTP/", 5) != 0) return 0;
    for (i = 5; i < ll && line[i] != ' '; i++) {}
    if (i + 1 >= ll) return 0;
    for (e = i + 1; e < ll && line[e] != ' ' && line[e] != '\r'; e++) {}
    digits = e - i - 1 == 3 && line[i + 1] >= '0' && line[i + 1] <= '9' && line[i + 2] >= '0' &&
             line[i + 2] <= '9' && line[i + 3] >= '0' && line[i + 3] <= '9';
    if (digits) {
      s = (unsigned)(line[i + 1] - '0') * 100 + (unsigned)(line[i + 2] - '0') * 10 +
          (unsigned)(line[i + 3] - '0');
      if (s >= 100 && s < 200) return 1;         /* interim response */
    } else if (e == i + 1) {
      return 0;
    }
    if (st->nresp == st->nq) {                   /* a response without a request */
      if (st->nq == HTTP_QUEUE) emit_tx(af, st);
      memset(&st->q[st->nq], 0, sizeof st->q[0]);
      st->q[st->nq].ts = tells_app_now(af);
      st->nq++;
    }
    t = &st->q[st->nresp++];
    t->has_resp = 1;
    t->has_status = (uint8_t)digits;
    t->status = (uint16_t)s;
    if (!digits) copy_field(t->status_str, sizeof t->status_str, line + i + 1, e - i - 1);
    if (!t->protocol[0]) copy_field(t->protocol, sizeof t->protocol, line, i);
    if (strcmp(t->method, "CONNECT") == 0) {
      st->connect_wait = 0;
      tunnel = digits && s >= 200 && s < 300;    /* RFC 9110 9.3.6: a tunnel, no body */
    }
  }
  /* header fields */
  while (tells_rd_left(&r) && nh++ < HTTP_MAX_HEADERS) {
    const uint8_t *h = r.p + r.off;
    size_t left = tells_rd_left(&r);
    for (ll = 0; ll < left && h[ll] != '\n'; ll++) {}
    tells_rd_skip(&r, ll < left ? ll + 1 : ll);
    if (ll && h[ll - 1] == '\r') ll--;
    if (!ll) break;
    if (dir == 0) {
      if (hname(h, ll, "host")) copy_field(t->host, sizeof t->host, h + 5, ll - 5);
      else if (hname(h, ll, "user-agent")) copy_field(t->ua, sizeof t->ua, h + 11, ll - 11);
      else if (hname(h, ll, "referer")) copy_field(t->referer, sizeof t->referer, h + 8, ll - 8);
    } else {
      if (hname(h, ll, "content-type")) copy_field(t->ctype, sizeof t->ctype, h + 13, ll - 13);
      else if (hname(h, ll, "location")) copy_field(t->redirect, sizeof t->redirect, h + 9, ll - 9);
      else if (hname(h, ll, "content-disposition"))
        copy_field(t->disp, sizeof t->disp, h + 20, ll - 20);
    }
    if (hname(h, ll, "content-length")) copy_field(cl, sizeof cl, h + 15, ll - 15);
    else if (hname(h, ll, "transfer-encoding")) copy_field(te, sizeof te, h + 18, ll - 18);
  }
  if ((tells_app_http_headers(af) & (1 << dir)) && !t->hdr[dir]) keep_headers(af, t, dir, p, n);
  if (dir == 1) {
    char *semi = strchr(t->ctype, ';');
    if (semi) { *semi = 0; copy_field(t->ctype, sizeof t->ctype, (const uint8_t *)t->ctype, strlen(t->ctype)); }
  }
  /* body framing (RFC 9112 section 6.3) */
  st->mode[dir] = H_HDR;
  if (st->file[dir].active) file_close(af, st, dir, 0);
  if (dir == 1 && (t->head || t->status == 204 || t->status == 304 || tunnel)) {
    t->length = 0;
  } else if (strstr(te, "chunked") || strstr(te, "Chunked")) {
    st->mode[dir] = H_CHUNK_SIZE;
    file_start(af, st, dir, t, HTTP_UNTIL_END);
  } else if (cl[0]) {
    uint64_t v = parse_u64(cl, 10, &ok);
    if (ok) {
      tells_app_skip(af, dir, v);
      if (dir == 1) t->length = v;
      if (v) file_start(af, st, dir, t, v);
    }
  } else if (dir == 1) {
    st->mode[dir] = H_UNTIL_CLOSE;
    file_start(af, st, dir, t, HTTP_UNTIL_END);
  }
  if (dir == 1) {
    st->body = 0;
    st->resp_open = st->mode[1] != H_HDR;
    if (!st->resp_open) while (st->nq && st->q[0].has_resp && st->nresp) emit_tx(af, st);
    if (tunnel) tells_app_switch(af);
  }
  return 1;
}

static void close_body(tells_app_flow *af, http_state *st) {
  if (st->nresp && st->resp_open) st->q[st->nresp - 1].length = st->body;
  st->resp_open = 0;
  st->mode[1] = H_HDR;
  while (st->nq && st->q[0].has_resp && st->nresp) emit_tx(af, st);
}

/* A request line never ended (HTTP/0.9 "GET /"): the transaction it was. */
static void flush_partial(tells_app_flow *af, http_state *st) {
  uint8_t line[HTTP_PARTIAL + 2];
  size_t n = st->npartial;
  if (!n || st->nq) return;
  memcpy(line, st->partial, n);
  line[n++] = '\n';
  line[n++] = '\n';
  st->npartial = 0;
  if (parse_head(af, st, 0, line, n)) st->connect_wait = 0;
}

static size_t http_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  http_state *st = vst;
  size_t e, i;
  int ok;
  if (!st->hooked) { tells_app_on_skip(af, http_body); st->hooked = 1; }
  if (st->resync[dir]) {                       /* the next line that starts a message */
    for (i = 0; i < n; i++) {
      if (i && p[i - 1] != '\n') continue;
      if (dir == 1 ? (n - i >= 7 && memcmp(p + i, "HTTP/1.", 7) == 0) : is_method(p + i, n - i)) break;
    }
    if (i == n) return n > 8 ? n - 8 : TELLS_APP_MORE;   /* keep a tail that may start one */
    st->resync[dir] = 0;
    if (i) return i;
  }
  switch (st->mode[dir]) {
  case H_HDR:
    if (dir == 0 && st->connect_wait) return TELLS_APP_MORE;  /* tunnel bytes, early */
    for (i = 0; i < n && i < 64 && (p[i] == '\r' || p[i] == '\n'); i++) {}
    if (i) return i;                            /* empty lines between messages (RFC 9112 2.2) */
    if (!(e = header_end(p, n))) {
      /* not even the start of a message: stop early */
      if (n >= 5 && dir == 1 && memcmp(p, "HTTP/", 5) != 0) {
        flush_partial(af, st);
        if (st->nq && !st->nresp && !st->q[0].protocol[0]) {   /* an HTTP/0.9 answer */
          st->nresp = 1;
          st->q[0].has_resp = 0;
          st->mode[1] = H_UNTIL_CLOSE;
          st->resp_open = 1;
          st->body = 0;
          file_start(af, st, 1, &st->q[0], HTTP_UNTIL_END);
          return 0;
        }
        return TELLS_APP_STOP;
      }
      if (n >= 24 && dir == 0 && !is_method(p, n)) return TELLS_APP_STOP;
      if (dir == 0 && n <= HTTP_PARTIAL && is_method(p, n) && !memchr(p, '\n', n)) {
        memcpy(st->partial, p, n);
        st->npartial = (uint16_t)n;
      }
      return TELLS_APP_MORE;
    }
    return parse_head(af, st, dir, p, e) ? e : TELLS_APP_STOP;
  case H_CHUNK_SIZE: {
    char line[40];
    uint64_t v;
    for (i = 0; i < n && p[i] != '\n'; i++) {}
    if (i == n) return n > 1024 ? TELLS_APP_STOP : TELLS_APP_MORE;
    copy_field(line, sizeof line, p, i);
    v = parse_u64(line, 16, &ok);
    if (!ok) return TELLS_APP_STOP;
    if (v == 0) { st->mode[dir] = H_CHUNK_TRAILER; return i + 1; }
    if (dir == 1) st->body += v;
    tells_app_skip(af, dir, v);
    st->mode[dir] = H_CHUNK_CRLF;
    return i + 1;
  }
  case H_CHUNK_CRLF:
    for (i = 0; i < n && p[i] != '\n'; i++) {}
    if (i == n) return n > 16 ? TELLS_APP_STOP : TELLS_APP_MORE;
    st->mode[dir] = H_CHUNK_SIZE;
    return i + 1;
  case H_CHUNK_TRAILER:
    for (i = 0; i < n && p[i] != '\n'; i++) {}
    if (i == n) return n > 8192 ? TELLS_APP_STOP : TELLS_APP_MORE;
    if (i == 0 || (i == 1 && p[0] == '\r')) {
      file_close(af, st, dir, 1);
      if (dir == 1) close_body(af, st); else st->mode[dir] = H_HDR;
    }
    return i + 1;
  default:                                      /* body until the connection closes */
    st->body += n;
    file_data(af, st, dir, p, n);
    return n;
  }
}

static void http_gap(tells_app_flow *af, void *vst, int dir) {
  http_state *st = vst;
  st->file[dir].gaps = 1;
  file_close(af, st, dir, 0);
  if (dir == 1 && st->resp_open) close_body(af, st);   /* the length seen so far */
  st->mode[dir] = H_HDR;
  st->resync[dir] = 1;
  st->npartial = 0;
}

static void http_end(tells_app_flow *af, void *vst) {
  http_state *st = vst;
  int d;
  flush_partial(af, st);
  for (d = 0; d < 2; d++)                       /* a body read until the close is whole */
    file_close(af, st, d, st->file[d].left == HTTP_UNTIL_END && st->mode[d] == H_UNTIL_CLOSE);
  if (st->resp_open) close_body(af, st);
  while (st->nq) emit_tx(af, st);
}

static void http_fini(tells_app_flow *af, void *vst) {
  http_state *st = vst;
  int d, i;
  for (i = 0; i < st->nq; i++) free_hdrs(af, &st->q[i]);
  for (d = 0; d < 2; d++) file_free(af, &st->file[d]);
}

static int http_probe(const uint8_t *p, size_t n, int to_server, int tcp, int hint) {
  (void)tcp; (void)hint;
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) return to_server ? TELLS_APP_YES_REVERSED : TELLS_APP_YES;
  if (!is_method(p, n)) return TELLS_APP_NO;
  /* a method token, a space, then an origin, absolute or authority form */
  {
    size_t i;
    for (i = 0; i < n && p[i] != ' '; i++) {}
    if (i + 1 >= n) return TELLS_APP_NO;
    if (p[i + 1] == '/' || p[i + 1] == '*' || (n - i - 1 >= 4 && memcmp(p + i + 1, "http", 4) == 0) ||
        memcmp(p, "CONNECT ", 8 < n ? 8 : n) == 0)
      return to_server ? TELLS_APP_YES : TELLS_APP_YES_REVERSED;
  }
  return TELLS_APP_NO;
}

static void host_of(const http_tx *t, char *out, size_t cap, unsigned *port) {
  const char *h = t->host;
  size_t n;
  char *c;
  *port = 0;
  if (!h[0] && strncmp(t->uri, "http://", 7) == 0) h = t->uri + 7;
  n = strcspn(h, "/?#");
  if (n >= cap) n = cap - 1;
  memcpy(out, h, n);
  out[n] = 0;
  c = out[0] == '[' ? strchr(out, ']') : out;
  if (c && (c = strrchr(c, ':')) != NULL) {
    int ok;
    uint64_t v = parse_u64(c + 1, 10, &ok);
    if (ok && v < 65536) *port = (unsigned)v;
    *c = 0;
  }
}

static void eve_headers(tells_json *j, const char *key, const http_tx *t, int dir) {
  const uint8_t *b = t->hdr[dir];
  size_t o = 0, k;
  tells_json_key(j, key);
  tells_json_arr(j);
  for (k = 0; b && k < t->hdr_n[dir] && o + 4 <= t->hdr_len[dir]; k++) {
    size_t nn = (size_t)b[o] << 8 | b[o + 1], vn = (size_t)b[o + 2] << 8 | b[o + 3];
    if (o + 4 + nn + vn > t->hdr_len[dir]) break;
    tells_json_obj(j);
    tells_json_key(j, "name");
    tells_json_strn(j, b + o + 4, nn);
    tells_json_key(j, "value");
    tells_json_strn(j, b + o + 4 + nn, vn);
    tells_json_obj_end(j);
    o += 4 + nn + vn;
  }
  tells_json_arr_end(j);
}

static void eve_http(tells_json *j, const http_tx *t) {
  char host[128];
  unsigned port;
  host_of(t, host, sizeof host, &port);
  tells_json_key(j, "http");
  tells_json_obj(j);
  if (host[0]) tells_json_kstr(j, "hostname", host);
  if (port) tells_json_ku64(j, "http_port", port);
  if (t->has_req) tells_json_kstr(j, "url", t->uri);
  if (t->ua[0]) tells_json_kstr(j, "http_user_agent", t->ua);
  if (t->ctype[0]) tells_json_kstr(j, "http_content_type", t->ctype);
  if (t->referer[0]) tells_json_kstr(j, "http_refer", t->referer);
  if (t->method[0]) tells_json_kstr(j, "http_method", t->method);
  if (t->protocol[0]) tells_json_kstr(j, "protocol", t->protocol);
  if (t->has_resp && t->has_status) tells_json_ku64(j, "status", t->status);
  if (t->has_resp && !t->has_status && t->status_str[0]) tells_json_kstr(j, "status_string", t->status_str);
  if (t->redirect[0]) tells_json_kstr(j, "redirect", t->redirect);
  tells_json_ku64(j, "length", t->length);
  if (t->hdr[0]) eve_headers(j, "request_headers", t, 0);
  if (t->hdr[1]) eve_headers(j, "response_headers", t, 1);
  tells_json_obj_end(j);
}

/* The file name of a body: Content-Disposition's filename, else the URI's path. */
static void file_name(const http_tx *t, char *out, size_t cap) {
  const char *f = strstr(t->disp, "filename="), *s;
  size_t n;
  if (f) {
    f += 9;
    if (*f == '"') { f++; n = strcspn(f, "\""); }
    else n = strcspn(f, "; ");
    s = f;
  } else {
    s = t->uri;
    n = strcspn(s, "?#");
  }
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n);
  out[n] = 0;
}

static void http_eve(tells_json *j, const void *vrec) {
  const http_rec *r = vrec;
  const http_file *fl = r->file;
  char name[520];
  eve_http(j, r->tx);
  if (r->kind != 1) return;
  file_name(r->tx, name, sizeof name);
  tells_json_key(j, "fileinfo");
  tells_json_obj(j);
  tells_json_kstr(j, "filename", name);
  if (r->magic) tells_json_kstr(j, "magic", r->magic);
  tells_json_key(j, "gaps");
  tells_json_bool(j, fl->gaps);
  tells_json_kstr(j, "state", r->state);
  if (r->whole) {
    if (r->md5[0]) tells_json_kstr(j, "md5", r->md5);
    tells_json_kstr(j, "sha256", r->sha256);
  }
  if (fl->over_cap) { tells_json_key(j, "hash_truncated"); tells_json_bool(j, 1); }
  tells_json_key(j, "stored");
  tells_json_bool(j, 0);
  tells_json_ku64(j, "size", fl->size);
  tells_json_ku64(j, "tx_id", (uint64_t)fl->tx_id);
  tells_json_obj_end(j);
}

static void http_indicators(const void *vrec, tells_app_ind_fn fn, void *ud) {
  const http_rec *r = vrec;
  const http_tx *t = r->tx;
  char host[128], url[700];
  unsigned port;
  if (r->kind == 1) {                           /* a body: its hash only */
    if (r->whole) fn(ud, "sha256", r->sha256, "http.body");
    return;
  }
  host_of(t, host, sizeof host, &port);
  if (host[0]) {                                /* an IP literal is an address */
    char ip[sizeof host];
    uint8_t bin[16];
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && host[n - 1] == ']' && n - 2 < sizeof ip) {
      memcpy(ip, host + 1, n - 2);
      ip[n - 2] = 0;
    } else {
      snprintf(ip, sizeof ip, "%s", host);
    }
    if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1)
      fn(ud, "ip", ip, "HTTP host");
    else
      fn(ud, "domain", host, "HTTP host");
  }
  if (t->ua[0]) fn(ud, "user_agent", t->ua, "HTTP user agent");
  /* a URL only for the origin form ("/path") and the absolute form; the
  ** authority form of CONNECT and the asterisk form name no resource */
  if (t->has_req && host[0]) {
    if (strncmp(t->uri, "http://", 7) == 0 || strncmp(t->uri, "https://", 8) == 0) {
      snprintf(url, sizeof url, "%s", t->uri);
      fn(ud, "url", url, "HTTP request URL");
    } else if (t->uri[0] == '/') {
      snprintf(url, sizeof url, "http://%s%s", t->host, t->uri);
      fn(ud, "url", url, "HTTP request URL");
    }
  }
}

int tells_app_http_file(const tells_app_rec *rec, tells_app_file *out) {
  const http_rec *r;
  unsigned port;
  if (rec->parser != &tells_app_http || strcmp(rec->event_type, "fileinfo") != 0) return 0;
  r = rec->data;
  memset(out, 0, sizeof *out);
  host_of(r->tx, out->host, sizeof out->host, &port);
  snprintf(out->uri, sizeof out->uri, "%s", r->tx->uri);
  snprintf(out->ctype, sizeof out->ctype, "%s", r->tx->ctype);
  file_name(r->tx, out->filename, sizeof out->filename);
  out->magic = r->magic;
  if (r->whole) { memcpy(out->sha256, r->sha256, 65); memcpy(out->md5, r->md5, 33); }
  out->size = r->file->size;
  out->to_client = rec->from_server;
  out->complete = r->whole || (strcmp(r->state, "CLOSED") == 0 && !r->file->gaps);
  return 1;
}

const tells_app_parser tells_app_http = {
  "http", "http", 80, 1, 0, sizeof(http_state), 16384,
  http_probe, http_parse, http_gap, http_end, http_fini, http_eve, http_indicators,
};
