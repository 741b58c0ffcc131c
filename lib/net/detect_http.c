/*
** detect_http.c -- "executable downloaded over plain HTTP": an HTTP response
** body from an external server to an internal client whose first bytes are
** a PE (MZ), ELF or Mach-O header, or whose Content-Type names an
** executable.  ATT&CK T1105 Ingress Tool Transfer (command-and-control):
** droppers and second stages are commonly fetched this way, and plain HTTP
** leaves the file, its name and its hash in the capture.  Downloads are
** grouped by client and file (SHA-256, or host and URI when the body was
** not seen whole); at most DHTTP_MAX groups are kept, the rest counted.
*/
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "buf.h"
#include "detect.h"
#include "eve.h"

#define DHTTP_MAX 256

typedef struct dexe {
  uint8_t l3, complete, client[16], server[16];
  uint16_t sport, dport;
  uint32_t count;
  uint64_t flow_id, size;
  int64_t first, last;
  char host[128], uri[256], filename[128], sha256[65], md5[33], magic[32], ctype[96];
} dexe;

struct tells__dhttp {
  const tells_detect_opts *o;
  tells__dmem *mem;               /* the detector's account (not owned) */
  dexe *v;
  uint32_t n;
  uint64_t dropped;
};

tells__dhttp *tells__dhttp_new(const tells_detect_opts *o, tells__dmem *mem) {
  tells__dhttp *x = tells__dmem_calloc(mem, 1, sizeof *x);
  if (x) { x->o = o; x->mem = mem; }
  return x;
}

void tells__dhttp_free(tells__dhttp *x) {
  if (!x) return;
  if (x->v) tells__dmem_free(x->mem, x->v, DHTTP_MAX * sizeof *x->v);
  tells__dmem_free(x->mem, x, sizeof *x);
}

size_t tells__dhttp_bound(void) { return sizeof(tells__dhttp) + DHTTP_MAX * sizeof(dexe); }

uint64_t tells__dhttp_dropped(const tells__dhttp *x) { return x->dropped; }

static const char *const dhttp_ctypes[] = {
  "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
  "application/vnd.microsoft.portable-executable", "application/x-executable",
  "application/x-elf", "application/x-sharedlib", "application/x-mach-binary",
};

/* Whether a body is an executable: its first bytes, else its Content-Type. */
int tells__dhttp_is_exe(const char *magic, const char *ctype) {
  size_t i;
  if (magic && (strstr(magic, "executable") != NULL)) return 1;
  for (i = 0; i < sizeof dhttp_ctypes / sizeof dhttp_ctypes[0]; i++)
    if (strcmp(ctype, dhttp_ctypes[i]) == 0) return 1;
  return 0;
}

/* Copies a string, cut to the destination. */
static void dhttp_copy(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = 0;
}

static int dhttp_external(const tells_detect_opts *o, uint8_t l3, const uint8_t ip[16]) {
  return !tells_detect_internal(o, l3, ip) && tells_geo_scope(l3, ip) == NULL;
}

void tells__dhttp_file(tells__dhttp *x, const tells_flow *f, const tells_app_file *file,
                       int64_t ts_ns) {
  const uint8_t *cip = f->client_is_a ? f->key.a : f->key.b;
  const uint8_t *sip = f->client_is_a ? f->key.b : f->key.a;
  uint32_t i;
  dexe *e;
  if (!file->to_client || !tells__dhttp_is_exe(file->magic, file->ctype)) return;
  if (!tells_detect_internal(x->o, f->key.l3, cip) || !dhttp_external(x->o, f->key.l3, sip))
    return;
  for (i = 0; i < x->n; i++) {
    e = &x->v[i];
    if (e->l3 != f->key.l3 || memcmp(e->client, cip, 16) != 0) continue;
    if (file->sha256[0] ? strcmp(e->sha256, file->sha256) == 0
                        : !e->sha256[0] && strcmp(e->host, file->host) == 0 &&
                              strncmp(e->uri, file->uri, sizeof e->uri - 1) == 0) {
      e->count++;
      if (ts_ns > e->last) e->last = ts_ns;
      return;
    }
  }
  if (x->n == DHTTP_MAX) { x->dropped++; return; }
  if (!x->v && !(x->v = tells__dmem_calloc(x->mem, DHTTP_MAX, sizeof *x->v))) { x->dropped++; return; }
  e = &x->v[x->n++];
  memset(e, 0, sizeof *e);
  e->l3 = f->key.l3;
  memcpy(e->client, cip, 16);
  memcpy(e->server, sip, 16);
  e->sport = f->client_is_a ? f->key.pa : f->key.pb;
  e->dport = f->client_is_a ? f->key.pb : f->key.pa;
  e->count = 1;
  e->flow_id = f->id;
  e->size = file->size;
  e->complete = (uint8_t)file->complete;
  e->first = e->last = ts_ns;
  dhttp_copy(e->host, sizeof e->host, file->host);
  dhttp_copy(e->uri, sizeof e->uri, file->uri);
  dhttp_copy(e->filename, sizeof e->filename, file->filename);
  dhttp_copy(e->sha256, sizeof e->sha256, file->sha256);
  dhttp_copy(e->md5, sizeof e->md5, file->md5);
  dhttp_copy(e->magic, sizeof e->magic, file->magic ? file->magic : "");
  dhttp_copy(e->ctype, sizeof e->ctype, file->ctype);
}

uint32_t tells__dhttp_finish(tells__dhttp *x, tells_detect_fn fn, void *ud) {
  tells_buf sum, det;
  tells_json j;
  uint32_t i;
  tells_buf_init(&sum, 2048);
  tells_buf_init(&det, 4096);
  for (i = 0; i < x->n; i++) {
    const dexe *e = &x->v[i];
    tells_detect_alert a;
    tells_detect_ref ref;
    char ca[46], sa[46], t[64];
    memset(&a, 0, sizeof a);
    a.rule = "net.http_exe";
    a.signature = "TELLS NET executable downloaded over plain HTTP from an external server";
    a.category = "Potentially Bad Traffic";
    a.severity = 2;
    a.level = "medium";
    a.technique = "T1105"; a.tactic = "command-and-control";
    a.l3 = e->l3; a.proto = 6;
    memcpy(a.src, e->client, 16);
    memcpy(a.dst, e->server, 16);
    a.has_dst = 1;
    a.dport = e->dport;
    a.first_ns = e->first; a.last_ns = e->last;
    memset(&ref, 0, sizeof ref);
    ref.flow_id = e->flow_id; ref.sport = e->sport; ref.dport = e->dport;
    ref.first_ns = e->first; ref.bytes_in = e->size;
    a.flows = &ref; a.n_flows = 1;
    tells_ip_str(e->l3, e->client, ca);
    tells_ip_str(e->l3, e->server, sa);
    tells_buf_reset(&sum);
    tells_buf_addf(&sum, "%s downloaded http://%s%s (%s, %llu bytes%s, SHA-256 %s) from %s:%u "
                   "over plain HTTP%s", ca, e->host[0] ? e->host : sa, e->uri,
                   e->magic[0] ? e->magic : e->ctype, (unsigned long long)e->size,
                   e->complete ? "" : ", incomplete", e->sha256[0] ? e->sha256 : "not known",
                   sa, e->dport, e->count > 1 ? " (several times)" : "");
    tells_buf_reset(&det);
    tells_json_init_buf(&j, &det, 0);
    tells_json_obj(&j);
    tells_json_key(&j, "figures");
    tells_json_obj(&j);
    tells_json_kstr(&j, "client", ca);
    tells_json_kstr(&j, "server", sa);
    tells_json_ku64(&j, "server_port", e->dport);
    tells_json_kstr(&j, "host", e->host);
    tells_json_kstr(&j, "uri", e->uri);
    tells_json_kstr(&j, "filename", e->filename);
    if (e->sha256[0]) tells_json_kstr(&j, "sha256", e->sha256);
    if (e->md5[0]) tells_json_kstr(&j, "md5", e->md5);
    if (e->magic[0]) tells_json_kstr(&j, "magic", e->magic);
    if (e->ctype[0]) tells_json_kstr(&j, "content_type", e->ctype);
    tells_json_ku64(&j, "size", e->size);
    tells_json_key(&j, "complete"); tells_json_bool(&j, e->complete);
    tells_json_ku64(&j, "downloads", e->count);
    tells_json_obj_end(&j);
    tells_json_key(&j, "flows");
    tells_json_arr(&j);
    tells_json_obj(&j);
    tells_json_ku64(&j, "flow_id", e->flow_id);
    tells_eve_time(e->first, t);
    tells_json_kstr(&j, "start", t);
    tells_json_ku64(&j, "src_port", e->sport);
    tells_json_ku64(&j, "dest_port", e->dport);
    tells_json_obj_end(&j);
    tells_json_arr_end(&j);
    tells_json_obj_end(&j);
    tells_json_flush(&j);
    a.summary = sum.err ? "" : tells_buf_str(&sum);
    a.details_json = det.err ? NULL : tells_buf_str(&det);
    fn(ud, &a);
  }
  tells_buf_free(&sum);
  tells_buf_free(&det);
  return x->n;
}
