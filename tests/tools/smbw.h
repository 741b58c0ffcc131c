/*
** smbw.h -- SMB2 message builder shared by tests/tools/mksmb.c and
** tests/unit/test_smb.c: NetBIOS-framed SMB2 requests and responses
** (MS-SMB2 2.2) and an NTLMSSP AUTHENTICATE message (MS-NLMP 2.2.1.3)
** wrapped in a SPNEGO negTokenResp (RFC 4178), written byte by byte.
*/
#ifndef TELLS_TOOLS_SMBW_H
#define TELLS_TOOLS_SMBW_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void smbw_l16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void smbw_l32(uint8_t *p, uint32_t v) {
  smbw_l16(p, (uint16_t)v);
  smbw_l16(p + 2, (uint16_t)(v >> 16));
}
static inline void smbw_l64(uint8_t *p, uint64_t v) {
  smbw_l32(p, (uint32_t)v);
  smbw_l32(p + 4, (uint32_t)(v >> 32));
}

/* ASCII to UTF-16LE; returns bytes written */
static inline size_t smbw_u16(uint8_t *o, const char *s) {
  size_t i;
  for (i = 0; s[i]; i++) { o[2 * i] = (uint8_t)s[i]; o[2 * i + 1] = 0; }
  return 2 * i;
}

/* The 64-byte SMB2 header at o. */
static inline void smbw_hdr(uint8_t *o, uint16_t cmd, int resp, uint64_t msg_id, uint32_t tree,
                            uint64_t session, uint32_t status) {
  memset(o, 0, 64);
  memcpy(o, "\xfeSMB", 4);
  smbw_l16(o + 4, 64);
  smbw_l32(o + 8, status);
  smbw_l16(o + 12, cmd);
  smbw_l16(o + 14, 1);
  smbw_l32(o + 16, resp ? 1 : 0);
  smbw_l64(o + 24, msg_id);
  smbw_l32(o + 36, tree);
  smbw_l64(o + 40, session);
}

/* Puts the 4-byte NetBIOS session header before an SMB2 message of n bytes
** that starts at o + 4; returns 4 + n. */
static inline size_t smbw_nb(uint8_t *o, size_t n) {
  o[0] = 0; o[1] = (uint8_t)(n >> 16); o[2] = (uint8_t)(n >> 8); o[3] = (uint8_t)n;
  return 4 + n;
}

static inline size_t smbw_negotiate_req(uint8_t *o, uint64_t mid) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 0, 0, mid, 0, 0, 0);
  memset(b, 0, 36 + 4);
  smbw_l16(b, 36); smbw_l16(b + 2, 2);
  memcpy(b + 12, "\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00", 16);
  smbw_l16(b + 36, 0x0210); smbw_l16(b + 38, 0x0311);
  return smbw_nb(o, 64 + 36 + 4);
}

static inline size_t smbw_negotiate_resp(uint8_t *o, uint64_t mid, uint16_t dialect) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 0, 1, mid, 0, 0, 0);
  memset(b, 0, 65);
  smbw_l16(b, 65); smbw_l16(b + 4, dialect);
  memcpy(b + 8, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
  return smbw_nb(o, 64 + 65);
}

/* NTLMSSP AUTHENTICATE (Unicode, version 10.0 build 19041 rev 15) in a
** SPNEGO negTokenResp; returns its length. */
static inline size_t smbw_ntlm_auth(uint8_t *o, const char *domain, const char *user,
                                    const char *host) {
  uint8_t t[512];
  size_t n = 88, dl, ul, hl;
  memset(t, 0, sizeof t);
  memcpy(t, "NTLMSSP\0", 8);
  smbw_l32(t + 8, 3);
  dl = smbw_u16(t + n, domain);
  smbw_l16(t + 28, (uint16_t)dl);
  smbw_l16(t + 30, (uint16_t)dl);
  smbw_l32(t + 32, (uint32_t)n);
  n += dl;
  ul = smbw_u16(t + n, user);
  smbw_l16(t + 36, (uint16_t)ul);
  smbw_l16(t + 38, (uint16_t)ul);
  smbw_l32(t + 40, (uint32_t)n);
  n += ul;
  hl = smbw_u16(t + n, host);
  smbw_l16(t + 44, (uint16_t)hl);
  smbw_l16(t + 46, (uint16_t)hl);
  smbw_l32(t + 48, (uint32_t)n);
  n += hl;
  smbw_l32(t + 16, (uint32_t)n);                  /* empty LM, NT responses, key */
  smbw_l32(t + 24, (uint32_t)n);
  smbw_l32(t + 56, (uint32_t)n);
  smbw_l32(t + 60, 0xe2888215u);
  t[64] = 10; t[65] = 0; smbw_l16(t + 66, 19041); t[71] = 15;
  /* a1 L1 { 30 L2 { a2 L3 { 04 L4 ntlmssp } } }, lengths < 128 + n */
  o[0] = 0xa1; o[1] = 0x82; smbw_l16(o + 2, 0);
  o[4] = 0x30; o[5] = 0x82;
  o[8] = 0xa2; o[9] = 0x82;
  o[12] = 0x04; o[13] = 0x82;
  o[14] = (uint8_t)(n >> 8); o[15] = (uint8_t)n;
  o[10] = (uint8_t)((n + 4) >> 8); o[11] = (uint8_t)(n + 4);
  o[6] = (uint8_t)((n + 8) >> 8); o[7] = (uint8_t)(n + 8);
  o[2] = (uint8_t)((n + 12) >> 8); o[3] = (uint8_t)(n + 12);
  memcpy(o + 16, t, n);
  return 16 + n;
}

static inline size_t smbw_session_req(uint8_t *o, uint64_t mid, uint64_t sess, const uint8_t *blob,
                                      size_t bl) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 1, 0, mid, 0, sess, 0);
  memset(b, 0, 24);
  smbw_l16(b, 25); smbw_l16(b + 12, 64 + 24); smbw_l16(b + 14, (uint16_t)bl);
  memcpy(b + 24, blob, bl);
  return smbw_nb(o, 64 + 24 + bl);
}

static inline size_t smbw_simple_resp(uint8_t *o, uint16_t cmd, uint64_t mid, uint32_t tree,
                                      uint64_t sess, uint32_t status) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, cmd, 1, mid, tree, sess, status);
  memset(b, 0, 8);
  smbw_l16(b, 9);
  return smbw_nb(o, 64 + 8);
}

static inline size_t smbw_tree_req(uint8_t *o, uint64_t mid, uint64_t sess, const char *path) {
  uint8_t *m = o + 4, *b = m + 64;
  size_t pl;
  smbw_hdr(m, 3, 0, mid, 0, sess, 0);
  memset(b, 0, 8);
  pl = smbw_u16(b + 8, path);
  smbw_l16(b, 9); smbw_l16(b + 4, 64 + 8); smbw_l16(b + 6, (uint16_t)pl);
  return smbw_nb(o, 64 + 8 + pl);
}

static inline size_t smbw_tree_resp(uint8_t *o, uint64_t mid, uint32_t tree, uint64_t sess,
                                    uint8_t type) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 3, 1, mid, tree, sess, 0);
  memset(b, 0, 16);
  smbw_l16(b, 16); b[2] = type;
  return smbw_nb(o, 64 + 16);
}

static inline size_t smbw_create_req(uint8_t *o, uint64_t mid, uint32_t tree, uint64_t sess,
                                     const char *name, uint32_t disp) {
  uint8_t *m = o + 4, *b = m + 64;
  size_t nl;
  smbw_hdr(m, 5, 0, mid, tree, sess, 0);
  memset(b, 0, 56);
  nl = smbw_u16(b + 56, name);
  smbw_l16(b, 57); smbw_l32(b + 36, disp);
  smbw_l16(b + 44, 64 + 56); smbw_l16(b + 46, (uint16_t)nl);
  return smbw_nb(o, 64 + 56 + nl);
}

static inline size_t smbw_create_resp(uint8_t *o, uint64_t mid, uint32_t tree, uint64_t sess,
                                      const uint8_t fid[16], uint32_t action) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 5, 1, mid, tree, sess, 0);
  memset(b, 0, 88);
  smbw_l16(b, 89); smbw_l32(b + 4, action);
  smbw_l64(b + 8, 132000000000000000ull);          /* 2019-04-21 */
  memcpy(b + 64, fid, 16);
  return smbw_nb(o, 64 + 88);
}

/* A WRITE request header; the caller appends `len` data bytes after the
** returned length (the NetBIOS length already counts them). */
static inline size_t smbw_write_req(uint8_t *o, uint64_t mid, uint32_t tree, uint64_t sess,
                                    const uint8_t fid[16], uint32_t len) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 9, 0, mid, tree, sess, 0);
  memset(b, 0, 48);
  smbw_l16(b, 49); smbw_l16(b + 2, 64 + 48); smbw_l32(b + 4, len);
  memcpy(b + 16, fid, 16);
  smbw_nb(o, 64 + 48 + len);
  return 4 + 64 + 48;
}

static inline size_t smbw_close_req(uint8_t *o, uint64_t mid, uint32_t tree, uint64_t sess,
                                    const uint8_t fid[16]) {
  uint8_t *m = o + 4, *b = m + 64;
  smbw_hdr(m, 6, 0, mid, tree, sess, 0);
  memset(b, 0, 24);
  smbw_l16(b, 24);
  memcpy(b + 8, fid, 16);
  return smbw_nb(o, 64 + 24);
}
#endif
