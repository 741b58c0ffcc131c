/*
** app_ntlmssp.c -- NTLMSSP messages (MS-NLMP 2.2.1) found in SMB session
** setup security blobs, raw or wrapped in GSS-API / SPNEGO (RFC 2743,
** RFC 4178) DER: the AUTHENTICATE message's user, domain and workstation
** and the OS version, the negotiate flags of the others.  All reads go
** through bounded cursors; the DER walk is capped in depth and node count.
*/
#include <stdio.h>
#include <string.h>
#include "app_smb.h"

#define DER_MAX_DEPTH 10
#define DER_MAX_NODES 256
#define NTLM_NEGOTIATE_UNICODE 0x00000001u
#define NTLM_NEGOTIATE_VERSION 0x02000000u

static size_t put_utf8(char *out, size_t o, size_t cap, uint32_t cp) {
  char t[4];
  size_t k, i;
  if (cp < 0x80) { t[0] = (char)cp; k = 1; }
  else if (cp < 0x800) { t[0] = (char)(0xC0 | cp >> 6); t[1] = (char)(0x80 | (cp & 0x3F)); k = 2; }
  else if (cp < 0x10000) {
    t[0] = (char)(0xE0 | cp >> 12); t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    t[2] = (char)(0x80 | (cp & 0x3F)); k = 3;
  } else {
    t[0] = (char)(0xF0 | cp >> 18); t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    t[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); k = 4;
  }
  if (k >= cap - o) return o;             /* keeps room for the NUL; whole characters only */
  for (i = 0; i < k; i++) out[o + i] = t[i];
  return o + k;
}

void tells_utf16_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap) {
  size_t i, o = 0;
  if (!cap) return;
  for (i = 0; i + 1 < n; i += 2) {
    uint32_t u = tells_ld16le(p + i), cp = u;
    if (!u) break;
    if (u >= 0xD800 && u < 0xDC00) {
      uint32_t lo = i + 3 < n ? tells_ld16le(p + i + 2) : 0;
      if (lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      } else
        cp = 0xFFFD;
    } else if (u >= 0xDC00 && u < 0xE000) {
      cp = 0xFFFD;
    }
    {
      size_t o2 = put_utf8(out, o, cap, cp);
      if (o2 == o) break;
      o = o2;
    }
  }
  out[o] = 0;
}

/* An OEM (8-bit) string, read as Latin-1. */
static void latin1(const uint8_t *p, size_t n, char *out, size_t cap) {
  size_t i, o = 0;
  for (i = 0; i < n && p[i]; i++) {
    size_t o2 = put_utf8(out, o, cap, p[i]);
    if (o2 == o) break;
    o = o2;
  }
  out[o] = 0;
}

/* A security buffer field (length, max length, offset) of message m. */
static int field(const tells_rd *m, tells_rd *r, uint32_t flags, char *out, size_t cap) {
  uint16_t len = tells_rd_u16le(r);
  tells_rd s;
  (void)tells_rd_u16le(r);
  s = tells_rd_sub(m, tells_rd_u32le(r), len);
  if (!tells_rd_ok(r) || !tells_rd_ok(&s)) return 0;
  if (flags & NTLM_NEGOTIATE_UNICODE) tells_utf16_to_utf8(s.p, s.len, out, cap);
  else latin1(s.p, s.len, out, cap);
  return 1;
}

static void version(tells_rd *r, tells_ntlmssp *o) {
  uint8_t maj = tells_rd_u8(r), min = tells_rd_u8(r);
  uint16_t build = tells_rd_u16le(r);
  uint8_t rev;
  tells_rd_skip(r, 3);
  rev = tells_rd_u8(r);
  if (!tells_rd_ok(r)) return;
  snprintf(o->version, sizeof o->version, "%u.%u build %u rev %u", maj, min, build, rev);
  o->has_version = 1;
}

int tells_ntlmssp_parse(const uint8_t *p, size_t n, tells_ntlmssp *o) {
  tells_rd m = tells_rd_make(p, n, 0), r;
  const uint8_t *sig;
  memset(o, 0, sizeof *o);
  sig = tells_rd_bytes(&m, 8);
  if (!sig || memcmp(sig, "NTLMSSP\0", 8) != 0) return 0;
  o->type = tells_rd_u32le(&m);
  if (!tells_rd_ok(&m)) return 0;
  r = m;
  switch (o->type) {
  case 1:
    o->flags = tells_rd_u32le(&r);
    return tells_rd_ok(&r);
  case 2: {
    tells_rd_skip(&r, 8);                          /* target name fields */
    o->flags = tells_rd_u32le(&r);
    tells_rd_skip(&r, 8 + 8 + 8);                  /* challenge, reserved, target info */
    if (!tells_rd_ok(&r)) return 0;
    if (o->flags & NTLM_NEGOTIATE_VERSION) version(&r, o);
    return 1;
  }
  case 3: {
    tells_rd f;
    uint32_t dom_off;
    tells_rd_skip(&r, 16);                         /* LM and NT responses */
    f = r;                                         /* domain, user, workstation */
    tells_rd_skip(&r, 4);
    dom_off = tells_rd_u32le(&r);
    tells_rd_skip(&r, 24);                         /* user, workstation, session key */
    o->flags = tells_rd_u32le(&r);
    if (!tells_rd_ok(&r)) return 0;
    if (!field(&m, &f, o->flags, o->domain, sizeof o->domain) ||
        !field(&m, &f, o->flags, o->user, sizeof o->user) ||
        !field(&m, &f, o->flags, o->host, sizeof o->host))
      return 0;
    /* the version is there when negotiated and the payload starts after it */
    if ((o->flags & NTLM_NEGOTIATE_VERSION) && (dom_off >= 72 || dom_off == 0)) version(&r, o);
    return 1;
  }
  default:
    return 0;
  }
}

/* 06 09 2a 86 48 86 f7 12 01 02 02 (1.2.840.113554.1.2.2) and the
** Microsoft variant 1.2.840.48018.1.2.2 */
static int krb_oid(const uint8_t *p, size_t n) {
  static const uint8_t a[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
  static const uint8_t b[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
  return n == sizeof a && (memcmp(p, a, n) == 0 || memcmp(p, b, n) == 0);
}

typedef struct der_walk {
  tells_ntlmssp *out;
  tells_krb *krb;
  int found;
  unsigned nodes;
  size_t bad;
  int failed;
} der_walk;

/* Reads a DER tag and definite length; 0 at the end or on error. */
static int der_tlv(tells_rd *r, uint32_t *tag, size_t *len) {
  uint8_t t = tells_rd_u8(r), l;
  *tag = t;
  if ((t & 0x1f) == 0x1f) {                      /* high tag number form */
    int i;
    uint8_t b;
    for (i = 0; i < 4; i++) {
      b = tells_rd_u8(r);
      *tag = *tag << 8 | b;
      if (!(b & 0x80)) break;
    }
    if (i == 4) { TELLS_CORRUPT(r); return 0; }
  }
  l = tells_rd_u8(r);
  if (l < 0x80) *len = l;
  else if (l == 0x80 || l > 0x84) { TELLS_CORRUPT(r); return 0; }   /* indefinite, huge */
  else {
    int k;
    *len = 0;
    for (k = 0; k < (l & 0x7f); k++) *len = *len << 8 | tells_rd_u8(r);
  }
  return tells_rd_ok(r);
}

/* The value of the first TLV of r with tag `tag`, or a failed cursor. */
static tells_rd der_find(tells_rd r, uint32_t tag) {
  int k;
  for (k = 0; k < 16 && tells_rd_left(&r); k++) {
    uint32_t t;
    size_t len;
    tells_rd v;
    if (!der_tlv(&r, &t, &len)) break;
    v = tells_rd_take(&r, len);
    if (!tells_rd_ok(&v)) break;
    if (t == tag) return v;
  }
  return tells_rd_sub(&r, tells_rd_left(&r) + 1, 0);   /* failed */
}

/* A GeneralString (or UTF8String) value as text. */
static void der_text(tells_rd v, char *out, size_t cap) {
  tells_rd s;
  uint32_t t;
  size_t len;
  out[0] = 0;
  if (!der_tlv(&v, &t, &len) || (t != 0x1b && t != 0x0c)) return;
  s = tells_rd_take(&v, len);
  if (tells_rd_ok(&s)) latin1(s.p, s.len, out, cap);
}

/* Ticket ::= SEQUENCE { [0] tkt-vno, [1] realm, [2] sname PrincipalName, [3] enc-part },
** PrincipalName ::= SEQUENCE { [0] name-type, [1] SEQUENCE OF KerberosString } */
static void ticket(tells_krb *k, tells_rd v) {
  tells_rd seq = der_find(v, 0x30), sname, parts;
  if (!tells_rd_ok(&seq)) return;
  der_text(der_find(seq, 0xa1), k->realm, sizeof k->realm);
  sname = der_find(der_find(seq, 0xa2), 0x30);
  parts = der_find(der_find(sname, 0xa1), 0x30);
  while (tells_rd_left(&parts) && k->n_snames < SMB_MAX_SNAMES) {
    uint32_t t;
    size_t len;
    tells_rd e;
    size_t at = parts.off;
    if (!der_tlv(&parts, &t, &len)) break;
    e = tells_rd_take(&parts, len);
    if (!tells_rd_ok(&e)) break;
    der_text(tells_rd_sub(&parts, at, parts.off - at), k->snames[k->n_snames], sizeof k->snames[0]);
    k->n_snames++;
  }
  k->has_ticket = k->realm[0] != 0;
}

static void walk(der_walk *w, tells_rd r, int depth) {
  while (tells_rd_left(&r) && !w->found && !w->failed) {
    uint32_t tag;
    size_t len;
    tells_rd v;
    if (++w->nodes > DER_MAX_NODES) return;
    if (!der_tlv(&r, &tag, &len)) { w->failed = 1; w->bad = r.err_off; return; }
    v = tells_rd_take(&r, len);
    if (!tells_rd_ok(&v)) { w->failed = 1; w->bad = r.err_off; return; }
    if (tag == 0x06) {
      if (krb_oid(v.p, v.len)) w->krb->offered = 1;
    } else if (tag == 0x61 && w->krb->offered && !w->krb->has_ticket) {
      ticket(w->krb, v);                          /* Ticket ::= [APPLICATION 1] */
    } else if (tag == 0x04) {
      if (v.len >= 8 && memcmp(v.p, "NTLMSSP\0", 8) == 0) {
        if (tells_ntlmssp_parse(v.p, v.len, w->out)) w->found = 1;
        else { w->failed = 1; w->bad = (size_t)v.base; }
        return;
      }
      if (v.len && v.p[0] == 0x60 && depth < DER_MAX_DEPTH) walk(w, v, depth + 1);
    } else if ((tag & 0x20) && depth < DER_MAX_DEPTH) {
      /* constructed: SEQUENCE, [n] context tags, [APPLICATION 0] */
      walk(w, v, depth + 1);
    }
  }
}

int tells_ntlmssp_find(const uint8_t *p, size_t n, tells_ntlmssp *out, tells_krb *krb,
                       size_t *bad) {
  der_walk w;
  tells_krb none;
  memset(&w, 0, sizeof w);
  w.out = out;
  if (!krb) krb = &none;
  memset(krb, 0, sizeof *krb);
  w.krb = krb;
  if (bad) *bad = 0;
  if (n >= 8 && memcmp(p, "NTLMSSP\0", 8) == 0) {
    if (tells_ntlmssp_parse(p, n, out)) return 1;
    return 0;
  }
  if (!n || (p[0] != 0x60 && p[0] != 0xa0 && p[0] != 0xa1)) return 0;
  walk(&w, tells_rd_make(p, n, 0), 0);
  if (w.failed && bad) *bad = w.bad;
  return w.found;
}
