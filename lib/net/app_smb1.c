/*
** app_smb1.c -- SMB1 (MS-CIFS 2.2.3.1) recognised and logged per command:
** the 32-byte header (command, NT or DOS status, TID, UID, MID) pairs
** requests with responses; NEGOTIATE keeps the client's dialect strings and
** the chosen one (the flow's dialect), SESSION_SETUP_ANDX its security blob
** (NTLMSSP) and native OS / LAN manager strings, TREE_CONNECT_ANDX its path.
** Other commands are logged by name and status only; AndX chains are not
** followed.
*/
#include <string.h>
#include "app_smb.h"

#define SMB1_FLAGS_REPLY 0x80
#define SMB1_FLAGS2_UNICODE 0x8000
#define SMB1_FLAGS2_NT_STATUS 0x4000

typedef struct smb1_hdr {
  uint8_t cmd, flags;
  uint16_t flags2, tid, uid, mid, pid;
  uint32_t status;
} smb1_hdr;

/* A NUL-terminated string at r's position, UTF-16LE (2-aligned from the
** header start) or 8-bit. */
static void smb1_str(tells_rd *r, int unicode, char *out, size_t cap) {
  size_t i, left;
  const uint8_t *p;
  out[0] = 0;
  if (unicode && ((r->base + r->off) & 1)) tells_rd_skip(r, 1);
  left = tells_rd_left(r);
  p = r->p + r->off;
  if (!left) return;
  if (unicode) {
    for (i = 0; i + 1 < left && (p[i] | p[i + 1]); i += 2) {}
    tells_utf16_to_utf8(p, i, out, cap);
    tells_rd_skip(r, i + 2 <= left ? i + 2 : left);
  } else {
    size_t o = 0;
    for (i = 0; i < left && p[i]; i++)
      if (o + 1 < cap) out[o++] = (char)(p[i] < 0x80 ? p[i] : '?');
    out[o] = 0;
    tells_rd_skip(r, i < left ? i + 1 : left);
  }
}

static void negotiate_req(tells_smb_tx *t, tells_rd b) {
  while (tells_rd_left(&b) && t->n_names < SMB1_MAX_DIALECTS) {
    if (tells_rd_u8(&b) != 0x02) break;            /* buffer format: dialect */
    smb1_str(&b, 0, t->dialect_names[t->n_names], sizeof t->dialect_names[0]);
    t->n_names++;
  }
}

static void negotiate_resp(tells_smb_state *st, tells_smb_tx *t, tells_rd w, uint8_t wc,
                           tells_rd b) {
  uint16_t idx = tells_rd_u16le(&w);
  if (!tells_rd_ok(&w)) return;
  if (idx < t->n_names) {
    memcpy(st->dialect1, t->dialect_names[idx], sizeof t->dialect_names[0]);
    st->dialect1[sizeof st->dialect1 - 1] = 0;
  }
  if (wc == 17 && tells_rd_left(&b) >= 16) {      /* NT LM 0.12, extended security */
    tells_rd w2 = w;
    uint8_t caps_hi;
    tells_rd_skip(&w2, 1 + 2 + 2 + 4 + 4 + 4);      /* security mode .. session key */
    tells_rd_skip(&w2, 3);
    caps_hi = tells_rd_u8(&w2);                     /* CAP_EXTENDED_SECURITY: 0x80000000 */
    if (tells_rd_ok(&w2) && (caps_hi & 0x80)) {
      memcpy(t->server_guid, b.p + b.off, 16);
      t->has_server_guid = 1;
    }
  }
}

static void session_req(tells_app_flow *af, tells_smb_tx *t, const smb1_hdr *h, tells_rd w,
                        uint8_t wc, tells_rd b) {
  uint16_t blen;
  tells_rd blob;
  int uni = (h->flags2 & SMB1_FLAGS2_UNICODE) != 0;
  size_t bad = 0;
  if (wc != 12) return;                            /* only the extended security form */
  tells_rd_skip(&w, 4 + 2 + 2 + 2 + 4);
  blen = tells_rd_u16le(&w);
  if (!tells_rd_ok(&w)) return;
  blob = tells_rd_take(&b, blen);
  if (!tells_rd_ok(&blob)) {
    tells_smb_anom(af, "smb1.blob_truncated", "SMB1 security blob past the message");
    return;
  }
  if (tells_ntlmssp_find(blob.p, blob.len, &t->ntlm, &t->krb, &bad)) t->has_ntlm = 1;
  smb1_str(&b, uni, t->req_os, sizeof t->req_os);
  smb1_str(&b, uni, t->req_lm, sizeof t->req_lm);
  t->has_req_os = 1;
}

static void session_resp(tells_smb_tx *t, const smb1_hdr *h, tells_rd w, uint8_t wc, tells_rd b) {
  uint16_t blen;
  int uni = (h->flags2 & SMB1_FLAGS2_UNICODE) != 0;
  if (wc != 4) return;
  tells_rd_skip(&w, 4 + 2);
  blen = tells_rd_u16le(&w);
  if (!tells_rd_ok(&w)) return;
  tells_rd_skip(&b, blen);
  if (!tells_rd_ok(&b)) return;
  smb1_str(&b, uni, t->resp_os, sizeof t->resp_os);
  smb1_str(&b, uni, t->resp_lm, sizeof t->resp_lm);
  t->has_resp_os = 1;
}

static void tree_req(tells_smb_tx *t, const smb1_hdr *h, tells_rd w, uint8_t wc, tells_rd b) {
  uint16_t plen;
  if (wc != 4) return;
  tells_rd_skip(&w, 4 + 2);
  plen = tells_rd_u16le(&w);
  tells_rd_skip(&b, plen);
  if (!tells_rd_ok(&w) || !tells_rd_ok(&b)) return;
  smb1_str(&b, (h->flags2 & SMB1_FLAGS2_UNICODE) != 0, t->share, sizeof t->share);
}

static void tree_resp(tells_smb_state *st, tells_smb_tx *t, const smb1_hdr *h, tells_rd b) {
  char svc[16];
  tells_smb_tree *tr;
  smb1_str(&b, 0, svc, sizeof svc);
  t->share_type = strcmp(svc, "IPC") == 0 ? 2 : strcmp(svc, "A:") == 0 ? 1
                : strcmp(svc, "LPT1:") == 0 ? 3 : 0;
  t->tree_id = h->tid;
  if (h->status == 0 && (tr = tells_smb_tree_get(st, h->tid, 1)) != NULL) {
    tr->type = t->share_type;
    memcpy(tr->name, t->share, sizeof tr->name);
  }
}

void tells_smb1_message(tells_app_flow *af, tells_smb_state *st, int dir, const uint8_t *p,
                        size_t n) {
  tells_rd r = tells_rd_make(p, n, 0), w, b;
  smb1_hdr h;
  uint8_t wc;
  uint16_t bc;
  tells_smb_tx *t;
  (void)dir;
  tells_rd_skip(&r, 4);
  h.cmd = tells_rd_u8(&r);
  h.status = tells_rd_u32le(&r);
  h.flags = tells_rd_u8(&r);
  h.flags2 = tells_rd_u16le(&r);
  tells_rd_skip(&r, 2 + 8 + 2);
  h.tid = tells_rd_u16le(&r);
  h.pid = tells_rd_u16le(&r);
  h.uid = tells_rd_u16le(&r);
  h.mid = tells_rd_u16le(&r);
  wc = tells_rd_u8(&r);
  w = tells_rd_take(&r, (size_t)wc * 2);
  bc = tells_rd_u16le(&r);
  if (!tells_rd_ok(&r)) {
    tells_smb_anom(af, "smb1.truncated", "SMB1 header or parameters truncated");
    return;
  }
  b = tells_rd_take(&r, bc);
  if (!tells_rd_ok(&b)) b = tells_rd_sub(&r, r.off, 0);   /* cut short: no data */
  if (!(h.flags & SMB1_FLAGS_REPLY)) {
    if (!(t = tells_smb_tx_new(af, st, 1, h.cmd, h.mid))) return;
    t->id = ++st->next_id;
    t->has_req = 1;
    t->session_id = h.uid;
    t->tree_id = h.tid;
    if (h.cmd == 0x72) negotiate_req(t, b);
    else if (h.cmd == 0x73) session_req(af, t, &h, w, wc, b);
    else if (h.cmd == 0x75) tree_req(t, &h, w, wc, b);
    return;
  }
  if (!(t = tells_smb_tx_find(st, 1, h.cmd, h.mid))) return;   /* request not seen */
  t->has_resp = 1;
  if (h.flags2 & SMB1_FLAGS2_NT_STATUS) t->status = h.status;
  else { t->status = h.status; t->dos_status = h.status != 0; }
  if (h.uid) t->session_id = h.uid;
  if (h.cmd == 0x72) negotiate_resp(st, t, w, wc, b);
  else if (h.cmd == 0x73) session_resp(t, &h, w, wc, b);
  else if (h.cmd == 0x75) tree_resp(st, t, &h, b);
  tells_smb_tx_done(af, st, t);
}
