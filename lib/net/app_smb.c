/*
** app_smb.c -- SMB over TCP (port 445, or by content): NetBIOS session
** framing (RFC 1002 4.3), SMB2/3 messages (MS-SMB2 2.2) with compounding,
** transactions paired by message id, tree and file tables; SMB3 transform
** (encrypted) and compression headers counted, not parsed; SMB1 handed to
** app_smb1.c.  Message bodies past the fields read (file data) are skipped
** (tells_app_skip) and headers are charged lightly against the stream
** budget, so long sessions stay parsed.  See app_smb.h.
*/
#include <string.h>
#include "app_smb.h"

#define NB_WHOLE 12288u        /* NetBIOS messages read whole up to this */
#define NB_PREFIX 1024u        /* of longer ones, the first bytes only */
#define NB_CHARGE 16u          /* bytes charged per message */
#define SMB2_MAX_COMPOUND 32

#define SMB2_FLAGS_RESPONSE 0x1u
#define SMB2_FLAGS_ASYNC 0x2u
#define SMB2_FLAGS_RELATED 0x4u
#define STATUS_PENDING 0x00000103u
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
#define FILE_DELETE_ON_CLOSE 0x00001000u

enum {
  C_NEGOTIATE = 0, C_SESSION_SETUP, C_LOGOFF, C_TREE_CONNECT, C_TREE_DISCONNECT, C_CREATE,
  C_CLOSE, C_FLUSH, C_READ, C_WRITE, C_LOCK, C_IOCTL, C_CANCEL, C_ECHO, C_FIND,
  C_NOTIFY, C_GET_INFO, C_SET_INFO, C_OPLOCK_BREAK
};

void tells_smb_anom(tells_app_flow *af, const char *code, const char *what) {
  tells_app_anom(af, code, what);
}

/* ---- transactions ---- */

static void tx_remove(tells_smb_state *st, uint32_t i) {
  memmove(&st->pend[i], &st->pend[i + 1], (st->n_pend - i - 1) * sizeof st->pend[0]);
  st->n_pend--;
}

static void tx_free(tells_app_flow *af, tells_smb_tx *t) { tells_app_free(af, t, sizeof *t); }

void tells_smb_tx_done(tells_app_flow *af, tells_smb_state *st, tells_smb_tx *t) {
  uint32_t i;
  char tmp[16];
  for (i = 0; i < st->n_pend; i++)
    if (st->pend[i] == t) { tx_remove(st, i); break; }
  if (!t->silent) {
    const char *d = st->dialect ? tells_smb2_dialect_name(st->dialect, tmp)
                  : st->dialect1[0] ? st->dialect1 : "unknown";
    size_t k = strlen(d);
    if (k >= sizeof t->dialect) k = sizeof t->dialect - 1;
    memcpy(t->dialect, d, k);
    t->dialect[k] = 0;
    st->records++;
    tells_app_emit_tx(af, t, TELLS_APP_NOW, 0, (int64_t)t->id - 1);
    if (t->kind == SMB_TX_FILE) {            /* and the file, as Suricata logs it */
      t->as_fileinfo = 1;
      tells_app_emit_ev(af, t, TELLS_APP_NOW, 0, (int64_t)t->id - 1, "fileinfo");
    }
  }
  tx_free(af, t);
}

tells_smb_tx *tells_smb_tx_new(tells_app_flow *af, tells_smb_state *st, int smb1, uint16_t cmd,
                               uint64_t msg_id) {
  tells_smb_tx *t;
  if (st->n_pend == SMB_MAX_PENDING) {          /* never answered: written as it is */
    st->evicted++;
    tells_smb_tx_done(af, st, st->pend[0]);
  }
  if (!(t = tells_app_alloc(af, sizeof *t))) return NULL;
  memset(t, 0, sizeof *t);
  t->smb1 = (uint8_t)smb1;
  t->cmd = cmd;
  t->msg_id = msg_id;
  t->rpc_req = t->rpc_resp = 0xff;
  t->ts = tells_app_now(af);
  st->pend[st->n_pend++] = t;
  return t;
}

/* Numbers a transaction that will be written (silent ones are not). */
static tells_smb_tx *tx_open(tells_app_flow *af, tells_smb_state *st, int smb1, uint16_t cmd,
                             uint64_t msg_id) {
  tells_smb_tx *t = tells_smb_tx_new(af, st, smb1, cmd, msg_id);
  if (t) t->id = ++st->next_id;
  return t;
}

tells_smb_tx *tells_smb_tx_find(tells_smb_state *st, int smb1, uint16_t cmd, uint64_t msg_id) {
  uint32_t i;
  for (i = 0; i < st->n_pend; i++) {
    tells_smb_tx *t = st->pend[i];
    if (t->smb1 == smb1 && t->msg_id == msg_id && t->cmd == cmd && t->kind != SMB_TX_FILE &&
        !(t->kind == SMB_TX_RPC && t->has_resp))
      return t;
  }
  return NULL;
}

static tells_smb_tx *file_tx(tells_app_flow *af, tells_smb_state *st, uint16_t cmd,
                             const uint8_t fuid[16], uint64_t session, uint32_t tree) {
  uint32_t i;
  tells_smb_tx *t;
  tells_smb_file *f;
  tells_smb_tree *tr;
  for (i = 0; i < st->n_pend; i++) {
    t = st->pend[i];
    if (t->kind == SMB_TX_FILE && t->cmd == cmd && memcmp(t->fuid, fuid, 16) == 0) return t;
  }
  if (!(t = tx_open(af, st, 0, cmd, 0))) return NULL;
  t->kind = SMB_TX_FILE;
  t->has_req = t->has_resp = 1;
  t->has_fuid = 1;
  memcpy(t->fuid, fuid, 16);
  t->session_id = session;
  t->tree_id = tree;
  if ((f = tells_smb_file_get(af, st, fuid, 0)) != NULL) {
    memcpy(t->filename, f->name, sizeof t->filename);
    t->tree_id = f->tree_id;
  }
  if ((tr = tells_smb_tree_get(st, t->tree_id, 0)) != NULL)
    memcpy(t->share, tr->name, sizeof t->share);
  return t;
}

/* The file's read and write transactions are complete once it is closed. */
static void file_close(tells_app_flow *af, tells_smb_state *st, const uint8_t fuid[16]) {
  uint32_t i = 0;
  while (i < st->n_pend) {
    tells_smb_tx *t = st->pend[i];
    if (t->kind == SMB_TX_FILE && memcmp(t->fuid, fuid, 16) == 0) {
      t->closed = 1;
      tells_smb_tx_done(af, st, t);
    }
    else i++;
  }
}

/* ---- trees and files ---- */

tells_smb_tree *tells_smb_tree_get(tells_smb_state *st, uint32_t id, int add) {
  uint32_t i;
  tells_smb_tree *t;
  for (i = 0; i < SMB_MAX_TREES; i++)
    if (st->trees[i].used && st->trees[i].id == id) return &st->trees[i];
  if (!add) return NULL;
  for (i = 0; i < SMB_MAX_TREES && st->trees[i].used; i++) {}
  if (i == SMB_MAX_TREES) i = st->tree_rr++ % SMB_MAX_TREES;
  t = &st->trees[i];
  memset(t, 0, sizeof *t);
  t->used = 1;
  t->id = id;
  return t;
}

tells_smb_file *tells_smb_file_get(tells_app_flow *af, tells_smb_state *st, const uint8_t fuid[16],
                                   int add) {
  uint32_t i;
  tells_smb_file *f;
  if (!st->files) {
    if (!add) return NULL;
    if (!(st->files = tells_app_alloc(af, SMB_MAX_FILES * sizeof *st->files))) return NULL;
    memset(st->files, 0, SMB_MAX_FILES * sizeof *st->files);
  }
  for (i = 0; i < SMB_MAX_FILES; i++)
    if (st->files[i].used && memcmp(st->files[i].fuid, fuid, 16) == 0) return &st->files[i];
  if (!add) return NULL;
  for (i = 0; i < SMB_MAX_FILES && st->files[i].used; i++) {}
  if (i == SMB_MAX_FILES) i = st->file_rr++ % SMB_MAX_FILES;
  f = &st->files[i];
  memset(f, 0, sizeof *f);
  f->used = 1;
  memcpy(f->fuid, fuid, 16);
  return f;
}

/* 1: a pipe, 0: a file, -1: not known (the tree connect was not seen) */
static int is_pipe(tells_app_flow *af, tells_smb_state *st, const uint8_t fuid[16],
                   uint32_t tree_id) {
  tells_smb_file *f = tells_smb_file_get(af, st, fuid, 0);
  tells_smb_tree *t = tells_smb_tree_get(st, f ? f->tree_id : tree_id, 0);
  if (f && f->pipe) return 1;
  if (t) return t->type == 2;
  return -1;
}

/* ---- SMB2 messages ---- */

typedef struct smb2_hdr {
  uint32_t status, flags, next;
  uint16_t cmd;
  uint64_t msg_id, session_id;
  uint32_t tree_id;
} smb2_hdr;

/* A UTF-16LE string at header-relative offset off, length len. */
static int str16(const tells_rd *m, uint32_t off, uint32_t len, char *out, size_t cap) {
  tells_rd s = tells_rd_sub(m, off, len);
  if (!tells_rd_ok(&s)) return 0;
  tells_utf16_to_utf8(s.p, s.len, out, cap);
  return 1;
}

static uint64_t unix_time(uint64_t ft) {
  const uint64_t epoch = 116444736000000000ull;   /* 1970-01-01 in 100 ns since 1601 */
  return ft > epoch ? (ft - epoch) / 10000000u : 0;
}

static void session_blob(tells_app_flow *af, tells_smb_tx *t, const tells_rd *m, uint16_t off,
                         uint16_t len) {
  tells_rd b = tells_rd_sub(m, off, len);
  tells_ntlmssp n;
  tells_krb krb;
  size_t bad = 0;
  if (!len || !tells_rd_ok(&b)) return;
  if (tells_ntlmssp_find(b.p, b.len, &n, &krb, &bad)) {
    /* the AUTHENTICATE message names the account; keep it over the others */
    if (n.type == 3 || !t->has_ntlm) { t->ntlm = n; t->has_ntlm = 1; }
  } else if (bad) {
    tells_smb_anom(af, "smb.spnego_malformed", "malformed SPNEGO/NTLMSSP security blob");
  }
  if (krb.offered && !t->krb.has_ticket) t->krb = krb;
}

static void smb2_request(tells_app_flow *af, tells_smb_state *st, const smb2_hdr *h, tells_rd m) {
  tells_rd r = tells_rd_sub(&m, 64, m.len > 64 ? m.len - 64 : 0);
  tells_smb_tx *t = NULL;
  switch (h->cmd) {
  case C_GET_INFO:
    return;                                        /* not a transaction */
  case C_READ: {
    const uint8_t *fid;
    tells_rd_skip(&r, 16);
    fid = tells_rd_bytes(&r, 16);
    if (!fid) return;
    if (!(t = tells_smb_tx_new(af, st, 0, h->cmd, h->msg_id))) return;
    t->silent = 1;
    t->pipe = is_pipe(af, st, fid, h->tree_id) == 1;
    memcpy(t->fuid, fid, 16);
    t->session_id = h->session_id; t->tree_id = h->tree_id;
    return;
  }
  case C_WRITE: {
    uint16_t doff;
    uint32_t len;
    const uint8_t *fid;
    int pipe;
    tells_rd_skip(&r, 2);
    doff = tells_rd_u16le(&r);
    len = tells_rd_u32le(&r);
    tells_rd_skip(&r, 8);
    fid = tells_rd_bytes(&r, 16);
    if (!fid) return;
    if ((pipe = is_pipe(af, st, fid, h->tree_id)) != 0) {
      size_t avail = doff < m.len ? m.len - doff : 0;      /* the message may be cut */
      tells_rd d = tells_rd_sub(&m, doff, avail < len ? avail : len);
      if (tells_rd_ok(&d) && tells_smb_rpc_looks(d.p, d.len) &&
          (pipe == 1 || tells_ld16le(d.p + 8) <= len)) {
        int64_t cid = tells_smb_rpc_call_id(d.p, d.len);
        uint32_t i;
        if (pipe < 0) {                            /* DCE/RPC written: a pipe */
          tells_smb_file *f = tells_smb_file_get(af, st, fid, 1);
          if (f) { f->pipe = 1; if (!f->tree_id) f->tree_id = h->tree_id; }
        }
        for (i = 0; i < st->n_pend; i++) {        /* a further fragment of a call */
          tells_smb_tx *o = st->pend[i];
          if (o->kind == SMB_TX_RPC && !o->has_resp && cid >= 0 && o->call_id == (uint32_t)cid &&
              o->rpc_req == 0 && d.len > 2 && d.p[2] == 0) { t = o; break; }
        }
        if (!t && !(t = tx_open(af, st, 0, h->cmd, h->msg_id))) return;
        t->msg_id = h->msg_id;
        t->kind = SMB_TX_RPC;
        t->has_req = 1;
        t->session_id = h->session_id; t->tree_id = h->tree_id;
        tells_smb_rpc_request(st, t, d.p, d.len);
        return;
      }
    }
    if ((t = file_tx(af, st, C_WRITE, fid, h->session_id, h->tree_id)) != NULL) t->bytes += len;
    return;
  }
  case C_SET_INFO: {
    uint8_t type, cls;
    uint32_t blen;
    uint16_t boff;
    const uint8_t *fid;
    tells_smb_file *f;
    tells_rd b;
    tells_rd_skip(&r, 2);
    type = tells_rd_u8(&r);
    cls = tells_rd_u8(&r);
    blen = tells_rd_u32le(&r);
    boff = tells_rd_u16le(&r);
    tells_rd_skip(&r, 6);
    fid = tells_rd_bytes(&r, 16);
    if (!fid || type != 1 || (cls != 10 && cls != 13)) return;
    b = tells_rd_sub(&m, boff, blen);
    if (!tells_rd_ok(&b)) {
      tells_smb_anom(af, "smb.set_info_truncated", "SET_INFO buffer past the message");
      return;
    }
    if (!(t = tx_open(af, st, 0, h->cmd, h->msg_id))) return;
    t->has_req = 1;
    t->has_fuid = 1;
    memcpy(t->fuid, fid, 16);
    if ((f = tells_smb_file_get(af, st, fid, 0)) != NULL)
      memcpy(t->filename, f->name, sizeof t->filename);
    else if ((h->flags & SMB2_FLAGS_RELATED) &&
             memcmp(fid, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0)
      memcpy(t->filename, st->related_name, sizeof t->filename);   /* the compound's file */
    if (cls == 10) {                               /* FileRenameInformation */
      uint32_t nl;
      tells_rd_skip(&b, 16);
      nl = tells_rd_u32le(&b);
      if (tells_rd_ok(&b) && nl <= tells_rd_left(&b)) {
        tells_utf16_to_utf8(b.p + b.off, nl, t->rename_to, sizeof t->rename_to);
        t->has_rename = 1;
      }
    } else {                                       /* FileDispositionInformation */
      t->set_delete = tells_rd_u8(&b) != 0;
    }
    break;
  }
  default:
    if (!(t = tx_open(af, st, 0, h->cmd, h->msg_id))) return;
    break;
  }
  t->has_req = 1;
  t->session_id = h->session_id;
  t->tree_id = h->tree_id;
  switch (h->cmd) {
  case C_NEGOTIATE: {
    uint16_t n, i;
    const uint8_t *g;
    tells_rd_skip(&r, 2);
    n = tells_rd_u16le(&r);
    tells_rd_skip(&r, 8);
    g = tells_rd_bytes(&r, 16);
    tells_rd_skip(&r, 8);
    if (g) { memcpy(t->client_guid, g, 16); t->has_client_guid = 1; }
    for (i = 0; i < n && tells_rd_left(&r) >= 2; i++) {
      uint16_t d = tells_rd_u16le(&r);
      if (t->n_dialects < SMB_MAX_DIALECTS) t->dialects[t->n_dialects++] = d;
    }
    break;
  }
  case C_SESSION_SETUP: {
    uint16_t off, len;
    tells_rd_skip(&r, 12);
    off = tells_rd_u16le(&r);
    len = tells_rd_u16le(&r);
    if (tells_rd_ok(&r)) session_blob(af, t, &m, off, len);
    break;
  }
  case C_TREE_CONNECT: {
    uint16_t off, len;
    tells_rd_skip(&r, 4);
    off = tells_rd_u16le(&r);
    len = tells_rd_u16le(&r);
    if (tells_rd_ok(&r) && !str16(&m, off, len, t->share, sizeof t->share))
      tells_smb_anom(af, "smb.tree_path_truncated", "TREE_CONNECT path past the message");
    break;
  }
  case C_CREATE: {
    uint32_t disp, opts;
    uint16_t off, len;
    tells_rd_skip(&r, 36);
    disp = tells_rd_u32le(&r);
    opts = tells_rd_u32le(&r);
    off = tells_rd_u16le(&r);
    len = tells_rd_u16le(&r);
    if (!tells_rd_ok(&r)) {
      tells_smb_anom(af, "smb.create_truncated", "CREATE request truncated");
      break;
    }
    t->has_create = 1;
    t->disposition = disp;
    t->delete_on_close = (opts & FILE_DELETE_ON_CLOSE) != 0;
    if (len && !str16(&m, off, len, t->filename, sizeof t->filename))
      tells_smb_anom(af, "smb.create_name_truncated", "CREATE file name past the message");
    memcpy(st->related_name, t->filename, sizeof st->related_name);
    break;
  }
  case C_CLOSE: {
    const uint8_t *fid;
    tells_rd_skip(&r, 8);
    if ((fid = tells_rd_bytes(&r, 16)) != NULL) {
      file_close(af, st, fid);
      memcpy(t->fuid, fid, 16);
    }
    break;
  }
  case C_IOCTL: {
    uint32_t code, ioff, icnt;
    tells_rd_skip(&r, 4);
    code = tells_rd_u32le(&r);
    tells_rd_skip(&r, 16);
    ioff = tells_rd_u32le(&r);
    icnt = tells_rd_u32le(&r);
    if (tells_rd_ok(&r) && code == FSCTL_PIPE_TRANSCEIVE && icnt) {
      tells_rd d = tells_rd_sub(&m, ioff, icnt);
      if (tells_rd_ok(&d) && tells_smb_rpc_looks(d.p, d.len)) {
        t->kind = SMB_TX_RPC;
        tells_smb_rpc_request(st, t, d.p, d.len);
      }
    }
    break;
  }
  default:
    break;
  }
}

static void smb2_response(tells_app_flow *af, tells_smb_state *st, const smb2_hdr *h, tells_rd m) {
  tells_rd r = tells_rd_sub(&m, 64, m.len > 64 ? m.len - 64 : 0);
  tells_smb_tx *t;
  if ((h->flags & SMB2_FLAGS_ASYNC) && h->status == STATUS_PENDING) return;   /* interim */
  t = tells_smb_tx_find(st, 0, h->cmd, h->msg_id);
  if (!t && h->cmd == C_NEGOTIATE)
    t = tells_smb_tx_find(st, 1, 0x72, 0); /* SMB1 negotiate to SMB2 */
  if (!t && h->cmd == C_NEGOTIATE) {
    uint32_t i;
    for (i = 0; i < st->n_pend && !t; i++)
      if (st->pend[i]->smb1 && st->pend[i]->cmd == 0x72) t = st->pend[i];
  }
  if (!t) {
    /* the request was not seen (mid-stream): reads, writes and info queries
    ** need it; other commands are logged from the response alone */
    if (h->cmd == C_READ || h->cmd == C_WRITE || h->cmd == C_GET_INFO || h->cmd == C_SET_INFO ||
        h->cmd == C_IOCTL || h->cmd == C_CLOSE || h->cmd == C_CREATE)
      return;
    if (!(t = tx_open(af, st, 0, h->cmd, h->msg_id))) return;
    t->session_id = h->session_id;
    t->tree_id = h->tree_id;
  }
  t->has_resp = 1;
  t->status = h->status;
  if (!t->session_id) t->session_id = h->session_id;
  switch (h->cmd) {
  case C_NEGOTIATE: {
    uint16_t d;
    const uint8_t *g;
    tells_rd_skip(&r, 4);
    d = tells_rd_u16le(&r);
    tells_rd_skip(&r, 2);
    g = tells_rd_bytes(&r, 16);
    if (g) {
      memcpy(t->server_guid, g, 16); t->has_server_guid = 1;
      st->dialect = d;
    }
    break;
  }
  case C_SESSION_SETUP: {
    uint16_t off, len;
    tells_rd_skip(&r, 4);
    off = tells_rd_u16le(&r);
    len = tells_rd_u16le(&r);
    if (tells_rd_ok(&r) && !t->has_ntlm) session_blob(af, t, &m, off, len);
    break;
  }
  case C_TREE_CONNECT: {
    uint8_t type;
    tells_rd_skip(&r, 2);
    type = tells_rd_u8(&r);
    if (tells_rd_ok(&r)) {
      tells_smb_tree *tr;
      t->share_type = type;
      t->tree_id = h->tree_id;
      if (h->status == 0 && (tr = tells_smb_tree_get(st, h->tree_id, 1)) != NULL) {
        tr->type = type;
        memcpy(tr->name, t->share, sizeof tr->name);
      }
    }
    break;
  }
  case C_CREATE: {
    uint32_t action;
    uint64_t tm[4], size;
    const uint8_t *fid;
    int i;
    tells_rd_skip(&r, 4);
    action = tells_rd_u32le(&r);
    for (i = 0; i < 4; i++) tm[i] = tells_rd_u64le(&r);
    tells_rd_skip(&r, 8);
    size = tells_rd_u64le(&r);
    tells_rd_skip(&r, 8);
    fid = tells_rd_bytes(&r, 16);
    if (!fid || h->status != 0) break;
    t->create_action = action;
    for (i = 0; i < 4; i++) t->times[i] = unix_time(tm[i]);
    t->size = size;
    t->has_fuid = 1;
    memcpy(t->fuid, fid, 16);
    {
      tells_smb_file *f = tells_smb_file_get(af, st, fid, 1);
      tells_smb_tree *tr = tells_smb_tree_get(st, t->tree_id, 0);
      if (f) {
        memcpy(f->name, t->filename, sizeof f->name);
        f->tree_id = t->tree_id;
        f->pipe = tr && tr->type == 2;
      }
    }
    break;
  }
  case C_READ: {
    uint8_t doff;
    uint32_t len;
    tells_rd_skip(&r, 2);
    doff = tells_rd_u8(&r);
    tells_rd_skip(&r, 1);
    len = tells_rd_u32le(&r);
    if (!tells_rd_ok(&r) || h->status != 0) break;
    if (t->pipe) {
      size_t avail = doff < m.len ? m.len - doff : 0;
      tells_rd d = tells_rd_sub(&m, doff, avail < len ? avail : len);
      if (tells_rd_ok(&d) && tells_smb_rpc_looks(d.p, d.len)) {
        int64_t cid = tells_smb_rpc_call_id(d.p, d.len);
        uint32_t i;
        for (i = 0; i < st->n_pend; i++) {
          tells_smb_tx *o = st->pend[i];
          if (o->kind == SMB_TX_RPC && cid >= 0 && o->call_id == (uint32_t)cid &&
              o->rpc_req != 0xff) {
            if (tells_smb_rpc_response(st, o, d.p, d.len)) tells_smb_tx_done(af, st, o);
            break;
          }
        }
      }
    } else {
      /* the read's bookkeeping goes first: adding the file's transaction
      ** may evict the oldest open one */
      uint8_t fid[16];
      uint64_t sess = t->session_id;
      uint32_t tree = t->tree_id;
      tells_smb_tx *ft;
      memcpy(fid, t->fuid, 16);
      tells_smb_tx_done(af, st, t);
      if ((ft = file_tx(af, st, C_READ, fid, sess, tree)) != NULL) ft->bytes += len;
      return;
    }
    break;
  }
  case C_WRITE:
    if (t->kind == SMB_TX_RPC) {
      /* the call completes with its response, read from the pipe; calls
      ** that get none (AUTH3) or a failed write complete here */
      if (h->status != 0 || t->rpc_req == 16) tells_smb_tx_done(af, st, t);
      return;
    }
    break;
  case C_IOCTL: {
    uint32_t ooff, ocnt;
    if (t->kind != SMB_TX_RPC) break;
    tells_rd_skip(&r, 24);
    tells_rd_skip(&r, 8);
    ooff = tells_rd_u32le(&r);
    ocnt = tells_rd_u32le(&r);
    if (tells_rd_ok(&r) && ocnt) {
      tells_rd d = tells_rd_sub(&m, ooff, ocnt);
      if (tells_rd_ok(&d)) tells_smb_rpc_response(st, t, d.p, d.len);
    }
    break;
  }
  default:
    break;
  }
  tells_smb_tx_done(af, st, t);
}

/* One SMB2 message: m covers it from its header (may be cut short). */
static void smb2_message(tells_app_flow *af, tells_smb_state *st, tells_rd m) {
  smb2_hdr h;
  tells_rd r = m;
  tells_rd_skip(&r, 4);
  if (tells_rd_u16le(&r) != 64) {
    tells_smb_anom(af, "smb2.bad_header", "SMB2 header size is not 64");
    return;
  }
  tells_rd_skip(&r, 2);
  h.status = tells_rd_u32le(&r);
  h.cmd = tells_rd_u16le(&r);
  tells_rd_skip(&r, 2);
  h.flags = tells_rd_u32le(&r);
  h.next = tells_rd_u32le(&r);
  h.msg_id = tells_rd_u64le(&r);
  if (h.flags & SMB2_FLAGS_ASYNC) { tells_rd_skip(&r, 8); h.tree_id = 0; }
  else { tells_rd_skip(&r, 4); h.tree_id = tells_rd_u32le(&r); }
  h.session_id = tells_rd_u64le(&r);
  if (!tells_rd_ok(&r)) { tells_smb_anom(af, "smb2.truncated", "SMB2 header truncated"); return; }
  if (h.cmd > C_OPLOCK_BREAK) {
    tells_smb_anom(af, "smb2.bad_command", "unknown SMB2 command");
    return;
  }
  if (h.flags & SMB2_FLAGS_RESPONSE) {
    if (!(h.flags & SMB2_FLAGS_ASYNC) || h.status != STATUS_PENDING) smb2_response(af, st, &h, m);
  } else {
    /* responses carry the request's status field as ChannelSequence: ignore */
    smb2_request(af, st, &h, m);
  }
}

/* One NetBIOS session message's SMB2 content: compounded messages in turn. */
static void smb2_pdu(tells_app_flow *af, tells_smb_state *st, const uint8_t *p, size_t n) {
  tells_rd all = tells_rd_make(p, n, 0);
  size_t off = 0;
  int k;
  for (k = 0; k < SMB2_MAX_COMPOUND && off + 64 <= n; k++) {
    uint32_t next = tells_ld32le(p + off + 20);
    size_t len = next ? next : n - off;
    if (next && (next < 64 || next > n - off)) {
      tells_smb_anom(af, "smb2.bad_next_command", "NextCommand offset outside the message");
      len = n - off;
      next = 0;
    }
    if (memcmp(p + off, "\xfeSMB", 4) != 0) {
      tells_smb_anom(af, "smb2.bad_magic", "compounded message without SMB2 magic");
      return;
    }
    smb2_message(af, st, tells_rd_sub(&all, off, len));
    if (!next) return;
    off += next;
  }
}

/* ---- framing ---- */

static int smb_magic(const uint8_t *p) {
  return (p[0] == 0xfe || p[0] == 0xff || p[0] == 0xfd || p[0] == 0xfc) && p[1] == 'S' &&
         p[2] == 'M' && p[3] == 'B';
}

/* Offset of the first plausible NetBIOS header + SMB magic, or n. */
static size_t find_sync(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i + 8 <= n; i++) {
    if (p[i] == 0 && p[i + 4] >= 0xfc && smb_magic(p + i + 4)) {
      uint32_t len = (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
      if (len >= 32) return i;
    }
  }
  return n;
}

static size_t smb_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  tells_smb_state *st = vst;
  uint32_t len;
  size_t total, want;
  if (!st->sync[dir]) {
    size_t i = find_sync(p, n);
    if (i == n) return n > 7 ? n - 7 : TELLS_APP_MORE;   /* keep a tail that may start one */
    st->sync[dir] = 1;
    if (i) return i;
  }
  if (n < 4) return TELLS_APP_MORE;
  len = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  total = 4 + (size_t)len;
  if (p[0] != 0) {
    /* session request, responses and keep-alives (RFC 1002 4.3): short */
    if ((p[0] >= 0x81 && p[0] <= 0x85) && len <= 512) {
      if (n < total) return TELLS_APP_MORE;
      return total;
    }
    tells_smb_anom(af, "smb.bad_netbios", "not a NetBIOS session message");
    st->sync[dir] = 0;
    return 1;
  }
  if (n < 8) return TELLS_APP_MORE;
  if (!smb_magic(p + 4) || len < 32) {
    tells_smb_anom(af, "smb.bad_magic", "NetBIOS message without an SMB header");
    st->sync[dir] = 0;
    return 1;
  }
  want = total <= NB_WHOLE ? total : NB_PREFIX;
  if (n < want) return TELLS_APP_MORE;
  switch (p[4]) {
  case 0xfe: st->smb2_seen = 1; smb2_pdu(af, st, p + 4, want - 4); break;
  case 0xff: st->smb1_seen = 1; tells_smb1_message(af, st, dir, p + 4, want - 4); break;
  case 0xfd: st->encrypted++; break;               /* SMB3 transform: encrypted */
  default: st->compressed++; break;                /* SMB3 compression transform */
  }
  if (want < total) tells_app_skip(af, dir, total - want);
  tells_app_uncharge(af, dir, (uint32_t)(want > NB_CHARGE ? want - NB_CHARGE : 0));
  return want;
}

static void smb_gap(tells_app_flow *af, void *vst, int dir) {
  tells_smb_state *st = vst;
  uint32_t i;
  (void)af;
  st->sync[dir] = 0;
  for (i = 0; i < st->n_pend; i++)           /* open files may have lost bytes */
    if (st->pend[i]->kind == SMB_TX_FILE) st->pend[i]->gaps = 1;
}

/* Flow end: open transactions are written as they are (no response seen). */
static void smb_end(tells_app_flow *af, void *vst) {
  tells_smb_state *st = vst;
  while (st->n_pend) tells_smb_tx_done(af, st, st->pend[0]);
  if (st->encrypted || st->compressed) {
    tells_smb_tx *t = tx_open(af, st, !st->smb2_seen && st->smb1_seen, 0xffff, 0);
    if (t) {
      t->bytes = st->encrypted;
      t->size = st->compressed;
      tells_smb_tx_done(af, st, t);
    }
  }
}

static void smb_fini(tells_app_flow *af, void *vst) {
  tells_smb_state *st = vst;
  while (st->n_pend) { tx_free(af, st->pend[st->n_pend - 1]); st->n_pend--; }
  tells_app_free(af, st->files, SMB_MAX_FILES * sizeof *st->files);
  st->files = NULL;
}

/* Direction from the first SMB header: responses come from the server.  On
** the SMB port a flow picked up mid-message is taken too, its direction read
** from the first header found in the payload. */
static int smb_probe(const uint8_t *p, size_t n, int to_server, int tcp, int hint) {
  size_t i;
  (void)tcp;
  if (n >= 4 && p[1] == 0 && p[2] == 0 && (size_t)p[3] + 4 == n &&
      ((p[0] == 0x81 && p[3] == 68) || (p[0] == 0x85 && hint)))
    return to_server ? TELLS_APP_YES : TELLS_APP_YES_REVERSED;   /* NetBIOS session request */
  if (!(n >= 8 && p[0] == 0 && smb_magic(p + 4))) {
    if (!hint) return TELLS_APP_NO;
    if ((i = find_sync(p, n)) == n) return TELLS_APP_YES_BY_PORT;
    p += i; n -= i;
  }
  {
    int resp = 0;
    if (p[4] == 0xfe && n >= 4 + 20) resp = p[4 + 16] & 1;
    else if (p[4] == 0xff && n >= 4 + 10) resp = (p[4 + 9] & 0x80) != 0;
    else return hint ? TELLS_APP_YES_BY_PORT : TELLS_APP_YES;   /* transform: no direction */
    return resp == to_server ? TELLS_APP_YES_REVERSED : TELLS_APP_YES;
  }
}

const tells_app_parser tells_app_smb = {
  "smb", "smb", 445, 1, 0, sizeof(tells_smb_state), NB_WHOLE + 4,
  smb_probe, smb_parse, smb_gap, smb_end, smb_fini, tells_smb_eve, tells_smb_indicators,
};
