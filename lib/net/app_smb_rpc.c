/*
** app_smb_rpc.c -- connection-oriented DCE/RPC PDUs (C706 chapter 12,
** MS-RPCE 2.2.2) carried over SMB named pipes: BIND / BIND_ACK interface
** lists with their acceptance results, REQUEST / RESPONSE opnum, call id,
** fragment counts and stub sizes.  Only the PDU headers and the bind
** context lists are read, through bounded cursors.
*/
#include <string.h>
#include "app_smb.h"

#define RPC_HDR 16
#define RPC_MAX_PDUS 16        /* PDUs read per buffer */
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80

enum { P_REQUEST = 0, P_RESPONSE = 2, P_FAULT = 3, P_BIND = 11, P_BIND_ACK = 12,
       P_BIND_NAK = 13, P_ALTER = 14, P_ALTER_RESP = 15, P_AUTH3 = 16 };

int tells_smb_rpc_looks(const uint8_t *p, size_t n) {
  return n >= RPC_HDR && p[0] == 5 && p[1] <= 1 && p[2] <= 20 &&
         (p[4] & 0xf0) <= 0x10 && tells_ld16le(p + 8) >= RPC_HDR;
}

static uint16_t rd16(tells_rd *r, int le) { return le ? tells_rd_u16le(r) : tells_rd_u16be(r); }
static uint32_t rd32(tells_rd *r, int le) { return le ? tells_rd_u32le(r) : tells_rd_u32be(r); }

int64_t tells_smb_rpc_call_id(const uint8_t *p, size_t n) {
  int le;
  if (!tells_smb_rpc_looks(p, n)) return -1;
  le = (p[4] & 0x10) != 0;
  return le ? tells_ld32le(p + 12) : tells_ld32be(p + 12);
}

typedef struct rpc_pdu {
  uint8_t type, flags;
  int le;
  uint16_t frag_len, auth_len;
  uint32_t call_id;
  tells_rd body;               /* after the common header, within the fragment */
} rpc_pdu;

/* The next PDU of r; 0 at the end or when it is not one. */
static int next_pdu(tells_rd *r, rpc_pdu *u) {
  tells_rd h = *r;
  size_t len;
  if (tells_rd_left(r) < RPC_HDR || !tells_smb_rpc_looks(r->p + r->off, tells_rd_left(r))) return 0;
  tells_rd_skip(&h, 2);
  u->type = tells_rd_u8(&h);
  u->flags = tells_rd_u8(&h);
  u->le = (tells_rd_u8(&h) & 0x10) != 0;
  tells_rd_skip(&h, 3);
  u->frag_len = rd16(&h, u->le);
  u->auth_len = rd16(&h, u->le);
  u->call_id = rd32(&h, u->le);
  /* a fragment cut by the SMB read / write length: what there is of it */
  len = u->frag_len < tells_rd_left(r) ? u->frag_len : tells_rd_left(r);
  u->body = tells_rd_sub(r, r->off + RPC_HDR, len - RPC_HDR);
  tells_rd_skip(r, len);
  return tells_rd_ok(&h);
}

/* A syntax id: UUID (first three fields in the PDU's byte order) and version. */
static int syntax(tells_rd *r, int le, tells_smb_iface *f) {
  const uint8_t *u = tells_rd_bytes(r, 16);
  if (!u) return 0;
  if (le) memcpy(f->uuid, u, 16);
  else {                                /* store in the little-endian layout */
    f->uuid[0] = u[3]; f->uuid[1] = u[2]; f->uuid[2] = u[1]; f->uuid[3] = u[0];
    f->uuid[4] = u[5]; f->uuid[5] = u[4]; f->uuid[6] = u[7]; f->uuid[7] = u[6];
    memcpy(f->uuid + 8, u + 8, 8);
  }
  f->ver = rd16(r, le);
  f->ver_minor = rd16(r, le);
  return tells_rd_ok(r);
}

static void bind_req(tells_smb_state *st, tells_smb_tx *t, rpc_pdu *u) {
  tells_rd r = u->body;
  uint8_t n, i;
  tells_rd_skip(&r, 8);
  n = tells_rd_u8(&r);
  tells_rd_skip(&r, 3);
  for (i = 0; i < n && tells_rd_ok(&r); i++) {
    uint16_t ctx = rd16(&r, u->le);
    uint8_t nts = tells_rd_u8(&r);
    tells_smb_iface f;
    memset(&f, 0, sizeof f);
    tells_rd_skip(&r, 1);
    if (!syntax(&r, u->le, &f)) break;
    tells_rd_skip(&r, (size_t)nts * 20);          /* transfer syntaxes */
    if (t->n_ifaces < SMB_MAX_IFACES) t->ifaces[t->n_ifaces++] = f;
    {                                              /* context id -> interface */
      int k, slot = -1;
      for (k = 0; k < SMB_MAX_IFACES; k++)
        if (st->ctxs[k].used && st->ctxs[k].ctx_id == ctx) { slot = k; break; }
      for (k = 0; slot < 0 && k < SMB_MAX_IFACES; k++)
        if (!st->ctxs[k].used) slot = k;
      if (slot < 0) slot = ctx % SMB_MAX_IFACES;
      st->ctxs[slot].used = 1;
      st->ctxs[slot].ctx_id = ctx;
      st->ctxs[slot].iface = f;
    }
  }
}

static void bind_ack(tells_smb_tx *t, rpc_pdu *u) {
  tells_rd r = u->body;
  uint16_t sec;
  uint8_t n, i;
  tells_rd_skip(&r, 8);
  sec = rd16(&r, u->le);
  tells_rd_skip(&r, sec);
  /* the results start 4-aligned from the PDU start (16 + 10 + sec) */
  tells_rd_skip(&r, (4 - (RPC_HDR + 10 + sec) % 4) % 4);
  n = tells_rd_u8(&r);
  tells_rd_skip(&r, 3);
  for (i = 0; i < n && tells_rd_ok(&r); i++) {
    uint16_t res = rd16(&r, u->le), why = rd16(&r, u->le);
    tells_rd_skip(&r, 20);
    if (!tells_rd_ok(&r)) break;
    if (i < t->n_ifaces) {
      t->ifaces[i].ack_result = res;
      /* with result 3 (negotiate_ack) the field holds bind time feature
      ** flags, not a reason (MS-RPCE 3.3.1.5.3) */
      t->ifaces[i].ack_reason = res == 3 ? 0 : why;
      t->ifaces[i].acked = 1;
    }
  }
}

static uint32_t stub_size(const rpc_pdu *u, size_t hdr) {
  size_t n = u->body.len, a = u->auth_len ? (size_t)u->auth_len + 8 : 0;
  return n > hdr + a ? (uint32_t)(n - hdr - a) : 0;
}

int tells_smb_rpc_request(tells_smb_state *st, tells_smb_tx *t, const uint8_t *p, size_t n) {
  tells_rd r = tells_rd_make(p, n, 0);
  rpc_pdu u;
  int k, any = 0;
  for (k = 0; k < RPC_MAX_PDUS && next_pdu(&r, &u); k++) {
    any = 1;
    if (t->rpc_req == 0xff) { t->rpc_req = u.type; t->call_id = u.call_id; }
    if (u.type == P_BIND || u.type == P_ALTER) {
      bind_req(st, t, &u);
    } else if (u.type == P_REQUEST) {
      tells_rd b = u.body;
      uint16_t ctx;
      tells_rd_skip(&b, 4);
      ctx = rd16(&b, u.le);
      t->opnum = rd16(&b, u.le);
      t->req_frags++;
      t->req_stub += stub_size(&u, (u.flags & PFC_OBJECT_UUID) ? 24 : 8);
      for (int i = 0; i < SMB_MAX_IFACES; i++)
        if (st->ctxs[i].used && st->ctxs[i].ctx_id == ctx) {
          t->req_iface = st->ctxs[i].iface;
          t->rpc_iface_req = 1;
        }
    }
  }
  return any;
}

/* Returns 1 when the call is complete (last fragment of the response). */
int tells_smb_rpc_response(tells_smb_state *st, tells_smb_tx *t, const uint8_t *p, size_t n) {
  tells_rd r = tells_rd_make(p, n, 0);
  rpc_pdu u;
  int k, done = 0;
  (void)st;
  for (k = 0; k < RPC_MAX_PDUS && next_pdu(&r, &u); k++) {
    if (t->rpc_resp == 0xff || t->rpc_resp != u.type) t->rpc_resp = u.type;
    if (u.type == P_BIND_ACK || u.type == P_ALTER_RESP) {
      bind_ack(t, &u);
      done = 1;
    } else if (u.type == P_RESPONSE) {
      t->resp_frags++;
      t->resp_stub += stub_size(&u, 8);
      if (u.flags & PFC_LAST_FRAG) done = 1;
    } else {
      done = 1;                                    /* FAULT, BIND_NAK, ... */
    }
  }
  return done;
}
