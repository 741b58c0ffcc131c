/*
** app_http.c -- HTTP/1.x requests and responses (RFC 9112), pipelined:
** method, host, URI, user agent, referer, status, content type, redirect,
** and body lengths from Content-Length or chunked framing.  Bodies are
** skipped, not read (tells_app_skip), so they neither cost time nor count
** against the stream budget.  Requests wait in a small queue for their
** responses; a transaction becomes one EVE "http" record when its
** response's length is known, or at the end of the flow.
*/
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "rd.h"

#define HTTP_QUEUE 4
#define HTTP_MAX_HEADERS 100

enum { H_HDR = 0, H_CHUNK_SIZE, H_CHUNK_CRLF, H_CHUNK_TRAILER, H_UNTIL_CLOSE };

typedef struct http_tx {
  int64_t ts;
  uint8_t has_req, has_resp, head;
  uint16_t status, port;
  uint64_t length;
  char method[24], protocol[12], host[128], uri[512], ua[256], referer[256];
  char ctype[96], redirect[256];
} http_tx;

typedef struct http_state {
  http_tx q[HTTP_QUEUE];      /* pending transactions, oldest first */
  uint8_t nq, nresp;          /* queued; how many of them have a response */
  uint8_t mode[2];            /* H_* per direction */
  uint64_t body;              /* response body bytes counted so far */
  uint8_t resp_open;          /* q[nresp-1]'s body is still being framed */
  uint8_t resync[2];          /* after a gap: looking for the next message */
  uint32_t ntx;               /* transactions written (EVE tx_id) */
} http_state;

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

static void emit_tx(tells_app_flow *af, http_state *st) {
  http_tx t = st->q[0];
  memmove(&st->q[0], &st->q[1], (size_t)(st->nq - 1) * sizeof st->q[0]);
  st->nq--;
  if (st->nresp) st->nresp--;
  tells_app_emit_tx(af, &t, t.ts, 0, st->ntx++);
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

/* Parses a header block p[0..n) of direction dir.  Returns 0 when the
** first line is not an HTTP request or status line. */
static int parse_head(tells_app_flow *af, http_state *st, int dir, const uint8_t *p, size_t n) {
  tells_rd r = tells_rd_make(p, n, 0);
  http_tx *t;
  char cl[24] = "", te[64] = "";
  const uint8_t *line;
  size_t ll, i, nh = 0;
  int ok;
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
    for (a = 0; line[a] != ' '; a++) {}
    copy_field(t->method, sizeof t->method, line, a);
    for (b = a + 1; b < ll && line[b] != ' ' && line[b] != '\r'; b++) {}
    copy_field(t->uri, sizeof t->uri, line + a + 1, b - a - 1);
    if (b < ll && line[b] == ' ') copy_field(t->protocol, sizeof t->protocol, line + b + 1, ll - b - 1);
    t->head = strcmp(t->method, "HEAD") == 0;
  } else {
    unsigned s;
    if (ll < 12 || memcmp(line, "HTTP/", 5) != 0) return 0;
    for (i = 5; i < ll && line[i] != ' '; i++) {}
    if (i + 4 > ll) return 0;
    s = (unsigned)(line[i + 1] - '0') * 100 + (unsigned)(line[i + 2] - '0') * 10 + (unsigned)(line[i + 3] - '0');
    if (line[i + 1] < '0' || line[i + 1] > '9' || line[i + 2] < '0' || line[i + 2] > '9' ||
        line[i + 3] < '0' || line[i + 3] > '9')
      return 0;
    if (s >= 100 && s < 200) return 1;           /* interim response */
    if (st->nresp == st->nq) {                   /* a response without a request */
      if (st->nq == HTTP_QUEUE) emit_tx(af, st);
      memset(&st->q[st->nq], 0, sizeof st->q[0]);
      st->q[st->nq].ts = tells_app_now(af);
      st->nq++;
    }
    t = &st->q[st->nresp++];
    t->has_resp = 1;
    t->status = (uint16_t)s;
    if (!t->protocol[0]) copy_field(t->protocol, sizeof t->protocol, line, i);
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
    }
    if (hname(h, ll, "content-length")) copy_field(cl, sizeof cl, h + 15, ll - 15);
    else if (hname(h, ll, "transfer-encoding")) copy_field(te, sizeof te, h + 18, ll - 18);
  }
  if (dir == 1) {
    char *semi = strchr(t->ctype, ';');
    if (semi) { *semi = 0; copy_field(t->ctype, sizeof t->ctype, (const uint8_t *)t->ctype, strlen(t->ctype)); }
  }
  /* body framing (RFC 9112 section 6.3) */
  st->mode[dir] = H_HDR;
  if (dir == 1 && (t->head || t->status == 204 || t->status == 304)) {
    t->length = 0;
  } else if (strstr(te, "chunked") || strstr(te, "Chunked")) {
    st->mode[dir] = H_CHUNK_SIZE;
  } else if (cl[0]) {
    uint64_t v = parse_u64(cl, 10, &ok);
    if (ok) {
      tells_app_skip(af, dir, v);
      if (dir == 1) t->length = v;
    }
  } else if (dir == 1) {
    st->mode[dir] = H_UNTIL_CLOSE;
  }
  if (dir == 1) {
    st->body = 0;
    st->resp_open = st->mode[1] != H_HDR;
    if (!st->resp_open) while (st->nq && st->q[0].has_resp && st->nresp) emit_tx(af, st);
  }
  return 1;
}

static void close_body(tells_app_flow *af, http_state *st) {
  if (st->nresp && st->resp_open) st->q[st->nresp - 1].length = st->body;
  st->resp_open = 0;
  st->mode[1] = H_HDR;
  while (st->nq && st->q[0].has_resp && st->nresp) emit_tx(af, st);
}

static size_t http_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  http_state *st = vst;
  size_t e, i;
  int ok;
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
    for (i = 0; i < n && i < 64 && (p[i] == '\r' || p[i] == '\n'); i++) {}
    if (i) return i;                            /* empty lines between messages (RFC 9112 2.2) */
    if (!(e = header_end(p, n))) {
      /* not even the start of a message: stop early */
      if (n >= 5 && dir == 1 && memcmp(p, "HTTP/", 5) != 0) return TELLS_APP_STOP;
      if (n >= 24 && dir == 0 && !is_method(p, n)) return TELLS_APP_STOP;
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
      if (dir == 1) close_body(af, st); else st->mode[dir] = H_HDR;
    }
    return i + 1;
  default:                                      /* body until the connection closes */
    st->body += n;
    return n;
  }
}

static void http_gap(tells_app_flow *af, void *vst, int dir) {
  http_state *st = vst;
  if (dir == 1 && st->resp_open) close_body(af, st);   /* the length seen so far */
  st->mode[dir] = H_HDR;
  st->resync[dir] = 1;
}

static void http_end(tells_app_flow *af, void *vst) {
  http_state *st = vst;
  if (st->resp_open) close_body(af, st);
  while (st->nq) emit_tx(af, st);
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

static void http_eve(tells_json *j, const void *rec) {
  const http_tx *t = rec;
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
  if (t->has_resp) tells_json_ku64(j, "status", t->status);
  if (t->redirect[0]) tells_json_kstr(j, "redirect", t->redirect);
  tells_json_ku64(j, "length", t->length);
  tells_json_obj_end(j);
}

static void http_indicators(const void *rec, tells_app_ind_fn fn, void *ud) {
  const http_tx *t = rec;
  char host[128], url[700];
  unsigned port;
  host_of(t, host, sizeof host, &port);
  if (host[0]) fn(ud, "domain", host, "HTTP host");
  if (t->ua[0]) fn(ud, "user_agent", t->ua, "HTTP user agent");
  if (t->has_req && host[0]) {
    if (strncmp(t->uri, "http://", 7) == 0) snprintf(url, sizeof url, "%s", t->uri);
    else snprintf(url, sizeof url, "http://%s%s", t->host, t->uri);
    fn(ud, "url", url, "HTTP request URL");
  }
}

const tells_app_parser tells_app_http = {
  "http", "http", 80, 1, 0, sizeof(http_state), 16384,
  http_probe, http_parse, http_gap, http_end, NULL, http_eve, http_indicators,
};
