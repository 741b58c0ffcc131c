/*
** app_tls.c -- TLS handshakes (RFC 8446, RFC 5246): the ClientHello's
** SNI, ALPN, supported versions, cipher suites, extensions, groups, point
** formats and signature algorithms, with the JA3 string and MD5 (GREASE
** values removed, as the JA3 description says) and JA4 (FoxIO's JA4
** specification: technical_details/JA4.md); the ServerHello's version,
** cipher and JA3S; and, when the certificate is in the clear (TLS 1.2 and
** earlier), the server certificate's subject, issuer, serial, SHA-1
** fingerprint and validity (names and times decoded by libcrypto).
**
** Records are parsed whole (at most 2^14 + 2048 bytes); handshake messages
** that span records are gathered in a per-direction buffer of at most
** TLS_HS_MAX bytes.  A direction is done at its ChangeCipherSpec or first
** encrypted record; the flow's "tls" record is written when the server
** side is done, or at the end of the flow.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "alloc.h"
#include "app.h"
#include "hash.h"
#include "rd.h"

#define TLS_REC_MAX (16384 + 2048)
#define TLS_HS_MAX (64u * 1024)
#define TLS_MAX_CS 128
#define TLS_MAX_EXT 64
#define TLS_MAX_LIST 64

static const char tls_hex[] = "0123456789abcdef";

typedef struct tls_state {
  uint8_t *hs[2];                /* gathered handshake bytes (owned) */
  uint32_t hs_len[2], hs_cap[2];
  uint8_t have_ch, have_sh, have_cert, emitted, has_sni, done[2];
  /* ClientHello */
  uint16_t ch_version, n_cs, n_ext, n_groups, n_sig, n_vers;
  uint8_t n_pf;
  uint16_t cs[TLS_MAX_CS], ext[TLS_MAX_EXT], groups[TLS_MAX_LIST], sig[TLS_MAX_LIST];
  uint16_t vers[16];
  uint8_t pf[16];
  uint8_t alpn[32], alpn_len;    /* first ALPN value (cut at 32 bytes) */
  uint8_t alpn_last;             /* its real last byte */
  char sni[256];
  /* ServerHello */
  uint16_t sh_version, sh_cipher, sh_selected, n_sext;
  uint16_t sext[TLS_MAX_EXT];
  /* certificate */
  char subject[512], issuer[512], serial[160], fingerprint[64], notbefore[24], notafter[24];
} tls_state;

typedef struct tls_rec {
  const tls_state *s;
  char ja3[2600], ja3_hash[33], ja3s[700], ja3s_hash[33], ja4[40];
} tls_rec;

static int grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

/* Reads a list of u16 after a length of `lw` bytes into v (at most cap). */
static uint16_t read_u16_list(tells_rd *r, int lw, uint16_t *v, uint16_t cap) {
  size_t len = lw == 1 ? tells_rd_u8(r) : tells_rd_u16be(r);
  tells_rd l = tells_rd_take(r, len);
  uint16_t n = 0;
  while (tells_rd_left(&l) >= 2) {
    uint16_t x = tells_rd_u16be(&l);
    if (n < cap) v[n++] = x;
  }
  return n;
}

static void client_hello(tls_state *s, tells_rd *r) {
  uint8_t sid;
  uint16_t cmp;
  s->ch_version = tells_rd_u16be(r);
  tells_rd_skip(r, 32);
  sid = tells_rd_u8(r);
  tells_rd_skip(r, sid);
  s->n_cs = read_u16_list(r, 2, s->cs, TLS_MAX_CS);
  cmp = tells_rd_u8(r);
  tells_rd_skip(r, cmp);
  if (!tells_rd_ok(r)) return;
  s->have_ch = 1;
  if (tells_rd_left(r) < 2) return;              /* no extensions */
  {
    tells_rd ex = tells_rd_take(r, tells_rd_u16be(r));
    while (tells_rd_left(&ex) >= 4) {
      uint16_t type = tells_rd_u16be(&ex), len = tells_rd_u16be(&ex);
      tells_rd d = tells_rd_take(&ex, len);
      if (!tells_rd_ok(&ex)) break;
      if (s->n_ext < TLS_MAX_EXT) s->ext[s->n_ext++] = type;
      switch (type) {
      case 0: {                                    /* server_name */
        tells_rd l = tells_rd_take(&d, tells_rd_u16be(&d));
        s->has_sni = 1;
        while (tells_rd_left(&l) >= 3) {
          uint8_t nt = tells_rd_u8(&l);
          uint16_t nl = tells_rd_u16be(&l);
          const uint8_t *nm = tells_rd_bytes(&l, nl);
          if (nm && nt == 0 && !s->sni[0]) {
            size_t k = nl < sizeof s->sni - 1 ? nl : sizeof s->sni - 1;
            memcpy(s->sni, nm, k);
            s->sni[k] = 0;
          }
        }
        break;
      }
      case 16: {                                   /* ALPN: the first value */
        tells_rd l = tells_rd_take(&d, tells_rd_u16be(&d));
        uint8_t al = tells_rd_u8(&l);
        const uint8_t *a = tells_rd_bytes(&l, al);
        if (a && al) {
          s->alpn_len = al < sizeof s->alpn ? al : (uint8_t)sizeof s->alpn;
          memcpy(s->alpn, a, s->alpn_len);
          s->alpn_last = a[al - 1];
        }
        break;
      }
      case 43: s->n_vers = read_u16_list(&d, 1, s->vers, 16); break;
      case 10: s->n_groups = read_u16_list(&d, 2, s->groups, TLS_MAX_LIST); break;
      case 13: s->n_sig = read_u16_list(&d, 2, s->sig, TLS_MAX_LIST); break;
      case 11: {
        uint8_t n = tells_rd_u8(&d), i;
        const uint8_t *f = tells_rd_bytes(&d, n);
        if (f) for (i = 0; i < n && s->n_pf < 16; i++) s->pf[s->n_pf++] = f[i];
        break;
      }
      default: break;
      }
    }
  }
}

static void server_hello(tls_state *s, tells_rd *r) {
  uint8_t sid;
  int old_draft;
  s->sh_version = tells_rd_u16be(r);
  /* TLS 1.3 drafts before 22 had no session id and no compression byte */
  old_draft = ((s->sh_version >> 8) == 0x7f && (s->sh_version & 0xff) < 22) ||
              s->sh_version == 0x0304;          /* drafts before 16 sent 0x0304 here */
  tells_rd_skip(r, 32);
  if (!old_draft) {
    sid = tells_rd_u8(r);
    tells_rd_skip(r, sid);
  }
  s->sh_cipher = tells_rd_u16be(r);
  if (!old_draft) tells_rd_skip(r, 1);
  if (!tells_rd_ok(r)) return;
  s->have_sh = 1;
  if (tells_rd_left(r) < 2) return;
  {
    tells_rd ex = tells_rd_take(r, tells_rd_u16be(r));
    while (tells_rd_left(&ex) >= 4) {
      uint16_t type = tells_rd_u16be(&ex), len = tells_rd_u16be(&ex);
      tells_rd d = tells_rd_take(&ex, len);
      if (!tells_rd_ok(&ex)) break;
      if (s->n_sext < TLS_MAX_EXT) s->sext[s->n_sext++] = type;
      if (type == 43 && len == 2) s->sh_selected = tells_rd_u16be(&d);
    }
  }
}

static void name_str(X509_NAME *nm, char *out, size_t cap) {
  BIO *b = BIO_new(BIO_s_mem());
  char *p = NULL;
  long n;
  out[0] = 0;
  if (!b) return;
  if (nm && X509_NAME_print_ex(b, nm, 0, XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
                                          ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_ESC_CTRL) >= 0) {
    n = BIO_get_mem_data(b, &p);
    if (n > 0 && p) {
      size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
      memcpy(out, p, k);
      out[k] = 0;
    }
  }
  BIO_free(b);
}

/* One DER tag-length-value at r: its tag and a cursor over its content.
** Returns 0 when it does not fit (lengths of at most 4 bytes). */
static int der_tlv(tells_rd *r, uint8_t *tag, tells_rd *content) {
  uint8_t l;
  size_t len = 0;
  *tag = tells_rd_u8(r);
  l = tells_rd_u8(r);
  if (l & 0x80) {
    int k = l & 0x7f;
    if (k < 1 || k > 4) return 0;
    while (k--) len = len << 8 | tells_rd_u8(r);
  } else {
    len = l;
  }
  *content = tells_rd_take(r, len);
  return tells_rd_ok(r);
}

static void der_time(tells_rd *r, char out[24]) {
  uint8_t tag;
  tells_rd c;
  const unsigned char *pp;
  ASN1_TIME *t;
  struct tm tm;
  size_t at = r->off;
  out[0] = 0;
  if (!der_tlv(r, &tag, &c)) return;
  pp = r->p + at;
  t = d2i_ASN1_TIME(NULL, &pp, (long)(r->off - at));
  if (t && ASN1_TIME_to_tm(t, &tm) == 1) strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
  ASN1_TIME_free(t);
}

static void der_name(tells_rd *r, char *out, size_t cap) {
  uint8_t tag;
  tells_rd c;
  size_t at = r->off;
  const unsigned char *pp;
  X509_NAME *nm;
  out[0] = 0;
  if (!der_tlv(r, &tag, &c) || tag != 0x30) return;
  pp = r->p + at;
  if ((nm = d2i_X509_NAME(NULL, &pp, (long)(r->off - at))) != NULL) name_str(nm, out, cap);
  X509_NAME_free(nm);
}

/* Decoded names and times of the certificates already seen, by SHA-1 of
** the DER and its length: a capture shows the same server certificate in
** every handshake with that server, and libcrypto's name printing costs
** more than the rest of the certificate.  Direct-mapped by the digest's
** first byte; a memo only, its size changes no output. */
#define TLS_MEMO 64
typedef struct tls_memo_ent {
  uint8_t used, md[20];
  uint32_t len;
  char subject[512], issuer[512], notbefore[24], notafter[24];
} tls_memo_ent;
struct tells_app_tls_memo { tls_memo_ent e[TLS_MEMO]; };

void tells_app_tls_memo_free(tells_app_tls_memo *m) { tells_free(m); }

static tls_memo_ent *memo_slot(tells_app_flow *af, const uint8_t md[20]) {
  tells_app_tls_memo **m = tells_app_tls_memo_of(af);
  if (!*m && !(*m = tells_calloc(1, sizeof **m))) return NULL;
  return &(*m)->e[md[0] % TLS_MEMO];
}

/* The first (server) certificate of a Certificate message.  The DER is
** walked down to the TBSCertificate fields (RFC 5280 4.1) and libcrypto
** decodes the names and times: d2i_X509 would also decode the public key
** through the provider decoders, which costs more than the whole rest of
** the TLS parser. */
static void certificate(tells_app_flow *af, tls_state *s, tells_rd *r) {
  uint32_t len;
  const uint8_t *der;
  tells_rd cert, tbs, c, f;
  uint8_t tag;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdn = 0;
  tls_memo_ent *e = NULL;
  tells_rd_skip(r, 3);                           /* length of the list */
  len = (uint32_t)tells_rd_u8(r) << 16 | tells_rd_u16be(r);
  if (!(der = tells_rd_bytes(r, len)) || s->have_cert) return;
  f = tells_rd_make(der, len, 0);
  if (!der_tlv(&f, &tag, &cert) || tag != 0x30) return;
  if (!der_tlv(&cert, &tag, &tbs) || tag != 0x30) return;
  if (tells_rd_left(&tbs) && tbs.p[tbs.off] == 0xa0 && !der_tlv(&tbs, &tag, &c)) return;  /* version */
  if (!der_tlv(&tbs, &tag, &c) || tag != 0x02) return;                                 /* serial */
  s->have_cert = 1;
  {
    size_t o = 0, i, n = tells_rd_left(&c);
    const uint8_t *sn = tells_rd_bytes(&c, n);
    for (i = 0; sn && i < n && o + 4 < sizeof s->serial; i++) {
      if (i) s->serial[o++] = ':';
      s->serial[o++] = "0123456789ABCDEF"[sn[i] >> 4];
      s->serial[o++] = "0123456789ABCDEF"[sn[i] & 15];
      s->serial[o] = 0;
    }
  }
  if (!der_tlv(&tbs, &tag, &c)) return;          /* signature algorithm */
  if (EVP_Digest(der, len, md, &mdn, tells_hash_md(TELLS_HASH_SHA1), NULL) == 1) {
    unsigned int i;
    size_t o = 0;
    for (i = 0; i < mdn && o + 4 < sizeof s->fingerprint; i++) {
      if (i) s->fingerprint[o++] = ':';
      s->fingerprint[o++] = tls_hex[md[i] >> 4];
      s->fingerprint[o++] = tls_hex[md[i] & 15];
      s->fingerprint[o] = 0;
    }
    if (mdn == 20 && (e = memo_slot(af, md)) != NULL && e->used && e->len == len &&
        memcmp(e->md, md, 20) == 0) {
      memcpy(s->issuer, e->issuer, sizeof s->issuer);
      memcpy(s->subject, e->subject, sizeof s->subject);
      memcpy(s->notbefore, e->notbefore, sizeof s->notbefore);
      memcpy(s->notafter, e->notafter, sizeof s->notafter);
      ERR_clear_error();
      return;
    }
  }
  der_name(&tbs, s->issuer, sizeof s->issuer);
  if (der_tlv(&tbs, &tag, &c) && tag == 0x30) {  /* validity */
    der_time(&c, s->notbefore);
    der_time(&c, s->notafter);
  }
  der_name(&tbs, s->subject, sizeof s->subject);
  if (e) {
    e->used = 1;
    e->len = len;
    memcpy(e->md, md, 20);
    memcpy(e->issuer, s->issuer, sizeof e->issuer);
    memcpy(e->subject, s->subject, sizeof e->subject);
    memcpy(e->notbefore, s->notbefore, sizeof e->notbefore);
    memcpy(e->notafter, s->notafter, sizeof e->notafter);
  }
  ERR_clear_error();
}

static void emit_now(tells_app_flow *af, void *s) { tells_app_emit(af, s, TELLS_APP_NOW, 0); }

/* The record is written when the peer acknowledges the handshake bytes
** that completed it (tells_app_defer), as Suricata does. */
static void emit(tells_app_flow *af, tls_state *s) {
  if (s->emitted || !(s->have_ch || s->have_sh)) return;
  s->emitted = 1;
  tells_app_defer(af, emit_now);
}

/* Handles the complete handshake messages at p[0..n); returns the bytes
** used (a partial message at the end is left). */
static size_t handshakes(tells_app_flow *af, tls_state *s, int dir, const uint8_t *p, size_t n) {
  tells_rd r = tells_rd_make(p, n, 0);
  while (tells_rd_left(&r) >= 4) {
    size_t at = r.off;
    uint8_t type = tells_rd_u8(&r);
    uint32_t len = (uint32_t)tells_rd_u8(&r) << 16 | tells_rd_u16be(&r);
    tells_rd m;
    if (len > tells_rd_left(&r)) { tells_rd_seek(&r, at); break; }
    m = tells_rd_take(&r, len);
    if (dir == 0 && type == 1 && !s->have_ch) client_hello(s, &m);
    else if (dir == 1 && type == 2 && !s->have_sh) server_hello(s, &m);
    else if (dir == 1 && type == 11) certificate(af, s, &m);
    else if (dir == 1 && type == 14) { s->done[1] = 1; emit(af, s); }   /* ServerHelloDone */
  }
  return r.off;
}

static size_t tls_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  tls_state *s = vst;
  uint8_t type;
  uint16_t len;
  const uint8_t *body;
  if (n < 5) return TELLS_APP_MORE;
  type = p[0];
  len = tells_ld16be(p + 3);
  if (p[1] != 3 || len > TLS_REC_MAX - 5 || type < 20 || type > 24) return TELLS_APP_STOP;
  if (n - 5 < len) return TELLS_APP_MORE;
  body = p + 5;
  if (type == 20 || type == 23) {                  /* the rest is encrypted */
    s->done[dir] = 1;
    if (dir == 1) emit(af, s);
    return TELLS_APP_STOP;
  }
  if (type != 22 || s->done[dir]) return 5u + len;
  if (!s->hs_len[dir]) {                           /* whole messages in place */
    size_t u = handshakes(af, s, dir, body, len);
    body += u;
    len = (uint16_t)(len - u);
    if (!len) return 5u + tells_ld16be(p + 3);
  }
  if (s->hs_len[dir] + (uint32_t)len > TLS_HS_MAX) return TELLS_APP_STOP;
  if (s->hs_len[dir] + (uint32_t)len > s->hs_cap[dir]) {
    uint32_t cap = s->hs_cap[dir] ? s->hs_cap[dir] : 4096;
    uint8_t *nb;
    while (cap < s->hs_len[dir] + (uint32_t)len) cap *= 2;
    if (cap > TLS_HS_MAX) cap = TLS_HS_MAX;
    if (!(nb = tells_app_alloc(af, cap))) return TELLS_APP_STOP;
    if (s->hs_len[dir]) memcpy(nb, s->hs[dir], s->hs_len[dir]);
    tells_app_free(af, s->hs[dir], s->hs_cap[dir]);
    s->hs[dir] = nb;
    s->hs_cap[dir] = cap;
  }
  memcpy(s->hs[dir] + s->hs_len[dir], body, len);
  s->hs_len[dir] += len;
  {
    size_t u = handshakes(af, s, dir, s->hs[dir], s->hs_len[dir]);
    memmove(s->hs[dir], s->hs[dir] + u, s->hs_len[dir] - u);
    s->hs_len[dir] -= (uint32_t)u;
  }
  return 5u + tells_ld16be(p + 3);
}

static void tls_gap(tells_app_flow *af, void *vst, int dir) {
  tls_state *s = vst;
  (void)af;
  s->hs_len[dir] = 0;
  s->done[dir] = 1;                                /* records cannot be re-found */
}

static void tls_end(tells_app_flow *af, void *vst) { emit(af, vst); }

static void tls_fini(tells_app_flow *af, void *vst) {
  tls_state *s = vst;
  int d;
  for (d = 0; d < 2; d++) { tells_app_free(af, s->hs[d], s->hs_cap[d]); s->hs[d] = NULL; }
}

static int tls_probe(const uint8_t *p, size_t n, int to_server, int tcp, int hint) {
  (void)tcp; (void)hint;
  if (n < 6 || p[0] != 22 || p[1] != 3 || p[2] > 4 || tells_ld16be(p + 3) < 4) return TELLS_APP_NO;
  if (p[5] == 1) return to_server ? TELLS_APP_YES : TELLS_APP_YES_REVERSED;
  if (p[5] == 2) return to_server ? TELLS_APP_YES_REVERSED : TELLS_APP_YES;
  return TELLS_APP_NO;
}

/* ---- fingerprints ---- */

/* Fingerprint text by hand: these strings are built for every handshake,
** and snprintf per number showed in profiles. */

/* v in decimal at o (at most 5 digits); returns the length. */
static size_t tls_dec(char *o, unsigned v) {
  char t[8];
  size_t n = 0, i;
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  for (i = 0; i < n; i++) o[i] = t[n - 1 - i];
  return n;
}

/* sep (if not 0) then v as four hex digits at o; returns the length. */
static size_t tls_hex4(char *o, char sep, unsigned v) {
  size_t k = 0;
  if (sep) o[k++] = sep;
  o[k++] = tls_hex[v >> 12 & 15]; o[k++] = tls_hex[v >> 8 & 15];
  o[k++] = tls_hex[v >> 4 & 15]; o[k++] = tls_hex[v & 15];
  return k;
}

static size_t join_dec(char *o, size_t cap, const uint16_t *v, size_t n, int drop_grease) {
  size_t k = 0, i;
  int first = 1;
  o[0] = 0;
  for (i = 0; i < n; i++) {
    if (drop_grease && grease(v[i])) continue;
    if (k + 8 >= cap) break;
    if (!first) o[k++] = '-';
    k += tls_dec(o + k, v[i]);
    o[k] = 0;
    first = 0;
  }
  return k;
}

/* JA3 = SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats */
void tells_app_tls_ja3(const uint16_t *cs, size_t ncs, const uint16_t *ext, size_t next,
                       const uint16_t *groups, size_t ngroups, const uint8_t *pf, size_t npf,
                       uint16_t version, char *out, size_t cap) {
  size_t k, i;
  uint16_t pf16[16];
  for (i = 0; i < npf && i < 16; i++) pf16[i] = pf[i];
  k = (size_t)snprintf(out, cap, "%u,", version);
  k += join_dec(out + k, cap - k, cs, ncs, 1);
  if (k + 1 < cap) { out[k++] = ','; out[k] = 0; }
  k += join_dec(out + k, cap - k, ext, next, 1);
  if (k + 1 < cap) { out[k++] = ','; out[k] = 0; }
  k += join_dec(out + k, cap - k, groups, ngroups, 1);
  if (k + 1 < cap) { out[k++] = ','; out[k] = 0; }
  join_dec(out + k, cap - k, pf16, i, 0);
}

static int cmp_u16(const void *a, const void *b) {
  return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* First 12 hex digits of SHA-256 of s, or twelve zeros when `empty`. */
static void sha12(const char *s, int empty, char out[13]) {
  char h[65];
  memcpy(out, "000000000000", 13);
  if (!empty && tells_sha256_hex(s, strlen(s), h) == TELLS_OK) { memcpy(out, h, 12); out[12] = 0; }
}

/* The two hashed parts of JA4 from already GREASE-free lists: ciphers
** sorted; extensions sorted minus SNI and ALPN, then "_" and the signature
** algorithms in their order. */
void tells_app_tls_ja4_hashes(uint16_t *cs, size_t ncs, uint16_t *ext, size_t next,
                              const uint16_t *sig, size_t nsig, char b[13], char c[13]) {
  char s[TLS_MAX_CS * 5 + TLS_MAX_EXT * 5 + TLS_MAX_LIST * 5 + 4];
  size_t k = 0, i, ne = 0;
  qsort(cs, ncs, sizeof *cs, cmp_u16);
  for (i = 0; i < ncs && k + 6 <= sizeof s; i++) k += tls_hex4(s + k, i ? ',' : 0, cs[i]);
  s[k] = 0;
  sha12(s, ncs == 0, b);
  qsort(ext, next, sizeof *ext, cmp_u16);
  k = 0;
  for (i = 0; i < next && k + 6 <= sizeof s; i++) {
    if (ext[i] == 0 || ext[i] == 16) continue;
    k += tls_hex4(s + k, ne++ ? ',' : 0, ext[i]);
  }
  for (i = 0; i < nsig && k + 6 <= sizeof s; i++) k += tls_hex4(s + k, i ? ',' : '_', sig[i]);
  s[k] = 0;
  sha12(s, ne == 0, c);
}

static const char *ja4_ver(uint16_t v) {
  switch (v) {
  case 0x0304: return "13"; case 0x0303: return "12"; case 0x0302: return "11";
  case 0x0301: return "10"; case 0x0300: return "s3"; case 0x0002: return "s2";
  case 0xfeff: return "d1"; case 0xfefd: return "d2"; case 0xfefc: return "d3";
  default: return "00";
  }
}

static int alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void ja4(const tls_state *s, char out[40]) {
  uint16_t cs[TLS_MAX_CS], ext[TLS_MAX_EXT], sig[TLS_MAX_LIST], ver = s->ch_version;
  size_t ncs = 0, next = 0, nsig = 0, i;
  char b[13], c[13], al[3] = "00";
  static const char hx[] = "0123456789abcdef";
  for (i = 0; i < s->n_cs; i++) if (!grease(s->cs[i])) cs[ncs++] = s->cs[i];
  for (i = 0; i < s->n_ext; i++) if (!grease(s->ext[i])) ext[next++] = s->ext[i];
  for (i = 0; i < s->n_sig; i++) if (!grease(s->sig[i])) sig[nsig++] = s->sig[i];
  if (s->n_vers) {
    uint16_t hi = 0;
    for (i = 0; i < s->n_vers; i++)
      if (!grease(s->vers[i]) && s->vers[i] > hi && s->vers[i] < 0xfe00) hi = s->vers[i];
    for (i = 0; !hi && i < s->n_vers; i++) if (!grease(s->vers[i])) hi = s->vers[i];
    if (hi) ver = hi;
  }
  if (s->alpn_len) {
    uint8_t f = s->alpn[0], l = s->alpn_last;
    if (alnum(f) && alnum(l)) { al[0] = (char)f; al[1] = (char)l; }
    else { al[0] = hx[f >> 4]; al[1] = hx[l & 15]; }
  }
  tells_app_tls_ja4_hashes(cs, ncs, ext, next, sig, nsig, b, c);
  snprintf(out, 40, "t%s%c%02u%02u%s_%s_%s", ja4_ver(ver), s->has_sni ? 'd' : 'i',
           (unsigned)(ncs > 99 ? 99 : ncs), (unsigned)(next > 99 ? 99 : next), al, b, c);
}

static const char *version_name(uint16_t v, char tmp[24]) {
  switch (v) {
  case 0x0200: return "SSLv2"; case 0x0300: return "SSLv3"; case 0x0301: return "TLSv1";
  case 0x0302: return "TLS 1.1"; case 0x0303: return "TLS 1.2"; case 0x0304: return "TLS 1.3";
  default:
    if ((v >> 8) == 0x7f) {
      if ((v & 0xff) < 16) return "TLS 1.3 draft-<16";
      snprintf(tmp, 24, "TLS 1.3 draft-%u", v & 0xff);
      return tmp;
    }
    snprintf(tmp, 24, "0x%04x", v);
    return tmp;
  }
}

static void make_rec(const tls_state *s, tls_rec *r) {
  memset(r, 0, sizeof *r);
  r->s = s;
  if (s->have_ch) {
    tells_app_tls_ja3(s->cs, s->n_cs, s->ext, s->n_ext, s->groups, s->n_groups, s->pf, s->n_pf,
                      s->ch_version, r->ja3, sizeof r->ja3);
    (void)tells_md5_hex(r->ja3, strlen(r->ja3), r->ja3_hash);
    ja4(s, r->ja4);
  }
  if (s->have_sh) {
    size_t k = (size_t)snprintf(r->ja3s, sizeof r->ja3s, "%u,%u,", s->sh_version, s->sh_cipher);
    join_dec(r->ja3s + k, sizeof r->ja3s - k, s->sext, s->n_sext, 1);
    (void)tells_md5_hex(r->ja3s, strlen(r->ja3s), r->ja3s_hash);
  }
}

static void tls_eve(tells_json *j, const void *rec) {
  const tls_state *s = rec;
  tls_rec r;
  char tmp[24];
  uint16_t v = s->sh_selected ? s->sh_selected : s->have_sh ? s->sh_version : 0;
  make_rec(s, &r);
  tells_json_key(j, "tls");
  tells_json_obj(j);
  if (s->subject[0]) tells_json_kstr(j, "subject", s->subject);
  if (s->issuer[0]) tells_json_kstr(j, "issuerdn", s->issuer);
  if (s->serial[0]) tells_json_kstr(j, "serial", s->serial);
  if (s->fingerprint[0]) tells_json_kstr(j, "fingerprint", s->fingerprint);
  if (s->sni[0]) tells_json_kstr(j, "sni", s->sni);
  tells_json_kstr(j, "version", !v ? "UNDETERMINED"
                                : !s->sh_selected && v == 0x0304 ? "TLS 1.3 draft-<16"
                                : version_name(v, tmp));
  if (s->notbefore[0]) tells_json_kstr(j, "notbefore", s->notbefore);
  if (s->notafter[0]) tells_json_kstr(j, "notafter", s->notafter);
  if (s->have_ch) {
    tells_json_key(j, "ja3");
    tells_json_obj(j);
    tells_json_kstr(j, "hash", r.ja3_hash);
    tells_json_kstr(j, "string", r.ja3);
    tells_json_obj_end(j);
    tells_json_kstr(j, "ja4", r.ja4);
  }
  if (s->have_sh) {
    tells_json_key(j, "ja3s");
    tells_json_obj(j);
    tells_json_kstr(j, "hash", r.ja3s_hash);
    tells_json_kstr(j, "string", r.ja3s);
    tells_json_obj_end(j);
    snprintf(tmp, sizeof tmp, "0x%04x", s->sh_cipher);
    tells_json_kstr(j, "cipher_suite", tmp);
  }
  if (s->have_ch && s->alpn_len) {
    tells_json_key(j, "client_alpns");
    tells_json_arr(j);
    tells_json_strn(j, s->alpn, s->alpn_len);
    tells_json_arr_end(j);
  }
  tells_json_obj_end(j);
}

static void tls_indicators(const void *rec, tells_app_ind_fn fn, void *ud) {
  const tls_state *s = rec;
  tls_rec r;
  make_rec(s, &r);
  if (s->sni[0]) fn(ud, "domain", s->sni, "TLS server name (SNI)");
  if (r.ja3_hash[0]) fn(ud, "ja3", r.ja3_hash, "TLS client JA3");
  if (r.ja4[0]) fn(ud, "ja4", r.ja4, "TLS client JA4");
  if (r.ja3s_hash[0]) fn(ud, "ja3s", r.ja3s_hash, "TLS server JA3S");
}

const tells_app_parser tells_app_tls = {
  "tls", "tls", 443, 1, 0, sizeof(tls_state), TLS_REC_MAX,
  tls_probe, tls_parse, tls_gap, tls_end, tls_fini, tls_eve, tls_indicators,
};
