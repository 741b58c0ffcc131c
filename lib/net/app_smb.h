/*
** app_smb.h -- shared between the SMB parser files: app_smb.c (NetBIOS
** framing, SMB2/3 messages, transactions), app_smb1.c (SMB1 headers,
** negotiate and session setup), app_smb_rpc.c (DCE/RPC over named pipes),
** app_smb_eve.c (EVE "smb" records, names of commands and status codes,
** indicators) and app_ntlmssp.c (SPNEGO / NTLMSSP tokens).
**
** A transaction is one request and its response, paired by message id
** (SMB2) or multiplex id (SMB1), the way Suricata's SMB transactions are;
** reads and writes of a file add up into one transaction per file and
** direction, logged when the file is closed; a DCE/RPC call over a pipe
** (write then read, or one IOCTL) is one transaction.  Everything comes
** out as EVE "smb" records with Suricata's field names (docs/eve.md).
*/
#ifndef TELLS_NET_APP_SMB_H
#define TELLS_NET_APP_SMB_H

#include <stddef.h>
#include <stdint.h>
#include "app.h"
#include "rd.h"

#define SMB_STR 192            /* file names, shares (UTF-8, truncated) */
#define SMB_SHORT 80           /* users, domains, hosts, OS strings */
#define SMB_MAX_DIALECTS 16    /* client dialects kept per negotiate */
#define SMB1_MAX_DIALECTS 12   /* SMB1 dialect strings kept */
#define SMB_MAX_IFACES 8       /* DCE/RPC bind contexts kept */
#define SMB_MAX_PENDING 64     /* open transactions per flow */
#define SMB_MAX_TREES 16       /* tree ids remembered per flow */
#define SMB_MAX_FILES 128      /* file ids remembered per flow */

/* NTLMSSP message fields (app_ntlmssp.c) */
typedef struct tells_ntlmssp {
  uint32_t type;               /* 1 negotiate, 2 challenge, 3 authenticate */
  uint32_t flags;
  int has_version;
  char user[SMB_SHORT], domain[SMB_SHORT], host[SMB_SHORT];
  char version[40];            /* "10.0 build 10586 rev 15" */
} tells_ntlmssp;

#define SMB_MAX_SNAMES 4

/* Kerberos seen in a security blob: the mechanism, and the ticket of an
** AP-REQ (RFC 4120 5.3, 5.5.1): realm and service name parts. */
typedef struct tells_krb {
  int offered;                 /* a Kerberos OID was seen */
  int has_ticket;
  char realm[SMB_SHORT];
  uint8_t n_snames;
  char snames[SMB_MAX_SNAMES][SMB_SHORT];
} tells_krb;

/* Finds an NTLMSSP message in a security blob: raw, or inside GSS-API /
** SPNEGO (DER read with bounded cursors, depth capped).  1 when found and
** parsed; `krb` (may be NULL) tells whether Kerberos was offered instead,
** with the ticket's realm and service name when an AP-REQ is there.
** Malformed DER or NTLMSSP gives 0 and, with `bad`, the failing offset
** within the blob. */
int tells_ntlmssp_find(const uint8_t *p, size_t n, tells_ntlmssp *out, tells_krb *krb,
                       size_t *bad);
/* Parses one NTLMSSP message ("NTLMSSP\0" first); 1 on success. */
int tells_ntlmssp_parse(const uint8_t *p, size_t n, tells_ntlmssp *out);
/* UTF-16LE (n bytes) to NUL-terminated UTF-8 in out[cap]; invalid units
** become U+FFFD, the text is cut at a character boundary. */
void tells_utf16_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap);

enum { SMB_TX_GENERIC = 0, SMB_TX_FILE, SMB_TX_RPC };

typedef struct tells_smb_iface {
  uint8_t uuid[16];
  uint16_t ver, ver_minor;
  uint16_t ack_result, ack_reason;
  uint8_t acked;
} tells_smb_iface;

typedef struct tells_smb_tx {
  uint64_t msg_id, session_id;
  uint32_t id;                 /* 1-based, per flow, in creation order */
  uint32_t tree_id;
  uint32_t status;
  uint16_t cmd;
  uint8_t smb1, kind, has_req, has_resp, dos_status;
  uint8_t silent;              /* read or write bookkeeping: never written */
  uint8_t pipe;                /* silent: the file is a pipe */
  int64_t ts;
  char dialect[24];            /* filled in when written */
  /* tree connect */
  char share[SMB_STR];
  uint8_t share_type;          /* 0 unknown, 1 disk, 2 pipe, 3 print */
  /* create, files */
  char filename[SMB_STR];
  uint8_t has_create, has_fuid, delete_on_close;
  uint32_t disposition, create_action;
  uint64_t times[4], size;     /* created, accessed, modified, changed (unix s) */
  uint8_t fuid[16];
  uint64_t bytes;              /* file transactions: bytes read or written */
  uint8_t closed, gaps;        /* file transactions: closed by CLOSE; bytes lost */
  uint8_t as_fileinfo;         /* being written as its "fileinfo" record */
  /* negotiate */
  uint16_t n_dialects;
  uint16_t dialects[SMB_MAX_DIALECTS];
  uint8_t n_names;             /* SMB1 negotiate: the client's dialect strings */
  char dialect_names[SMB1_MAX_DIALECTS][24];
  uint8_t has_client_guid, has_server_guid;
  uint8_t client_guid[16], server_guid[16];
  /* session setup */
  tells_ntlmssp ntlm;
  uint8_t has_ntlm;
  tells_krb krb;
  char req_os[SMB_SHORT], req_lm[SMB_SHORT], resp_os[SMB_SHORT], resp_lm[SMB_SHORT];
  uint8_t has_req_os, has_resp_os;
  /* set info */
  char rename_to[SMB_STR];
  uint8_t has_rename, set_delete;
  /* DCE/RPC */
  uint8_t rpc_req, rpc_resp;   /* PDU types; 0xff none */
  uint8_t n_ifaces;
  uint16_t opnum;
  uint32_t call_id;
  uint32_t req_frags, resp_frags, req_stub, resp_stub;
  tells_smb_iface ifaces[SMB_MAX_IFACES];
  uint8_t rpc_iface_req;       /* request: its context's interface is known */
  tells_smb_iface req_iface;
} tells_smb_tx;

typedef struct tells_smb_tree {
  uint32_t id;
  uint8_t used, type;
  char name[SMB_STR];
} tells_smb_tree;

typedef struct tells_smb_file {
  uint8_t fuid[16];
  uint8_t used, pipe;
  uint32_t tree_id;
  char name[SMB_STR];
} tells_smb_file;

/* Bind contexts of a pipe: context id -> interface, for REQUEST records. */
typedef struct tells_smb_ctx {
  uint16_t ctx_id;
  uint8_t used;
  tells_smb_iface iface;
} tells_smb_ctx;

typedef struct tells_smb_state {
  uint8_t sync[2];             /* at a NetBIOS message boundary */
  uint8_t smb1_seen, smb2_seen;
  uint16_t dialect;            /* negotiated SMB2 dialect, 0: unknown */
  char dialect1[32];           /* negotiated SMB1 dialect name */
  uint32_t next_id;
  uint32_t n_pend;
  tells_smb_tx *pend[SMB_MAX_PENDING];
  tells_smb_tree trees[SMB_MAX_TREES];
  tells_smb_file *files;       /* SMB_MAX_FILES entries, allocated at the first open; owned */
  uint32_t file_rr, tree_rr;   /* round-robin replacement */
  tells_smb_ctx ctxs[SMB_MAX_IFACES];
  uint64_t encrypted, compressed, evicted, records;
  char related_name[SMB_STR];  /* file name of the compound's CREATE request */
} tells_smb_state;

/* app_smb.c */
tells_smb_tx *tells_smb_tx_new(tells_app_flow *af, tells_smb_state *st, int smb1, uint16_t cmd,
                               uint64_t msg_id);
tells_smb_tx *tells_smb_tx_find(tells_smb_state *st, int smb1, uint16_t cmd, uint64_t msg_id);
void tells_smb_tx_done(tells_app_flow *af, tells_smb_state *st, tells_smb_tx *t);
tells_smb_tree *tells_smb_tree_get(tells_smb_state *st, uint32_t id, int add);
/* The file of an id; with `add`, a new entry (the table is allocated then,
** NULL when memory is short). */
tells_smb_file *tells_smb_file_get(tells_app_flow *af, tells_smb_state *st, const uint8_t fuid[16],
                                   int add);
void tells_smb_anom(tells_app_flow *af, const char *code, const char *what);

/* app_smb1.c: one SMB1 message (header first); n is what is present. */
void tells_smb1_message(tells_app_flow *af, tells_smb_state *st, int dir, const uint8_t *p,
                        size_t n);

/* app_smb_rpc.c: DCE/RPC PDU(s) written to / read from a pipe, or carried
** by an IOCTL; adds them to t.  Returns 1 when p holds a DCE/RPC PDU. */
int tells_smb_rpc_request(tells_smb_state *st, tells_smb_tx *t, const uint8_t *p, size_t n);
int tells_smb_rpc_response(tells_smb_state *st, tells_smb_tx *t, const uint8_t *p, size_t n);
/* 1 when p starts like a connection-oriented DCE/RPC PDU (v5.0) */
int tells_smb_rpc_looks(const uint8_t *p, size_t n);
/* call id of a DCE/RPC PDU, or -1 */
int64_t tells_smb_rpc_call_id(const uint8_t *p, size_t n);

/* app_smb_eve.c */
void tells_smb_eve(tells_json *j, const void *rec);
void tells_smb_indicators(const void *rec, tells_app_ind_fn fn, void *ud);
const char *tells_smb_status_name(uint32_t status, char tmp[24]);
const char *tells_smb2_command_name(uint16_t cmd, char tmp[40]);
const char *tells_smb1_command_name(uint8_t cmd, char tmp[40]);
/* "2.10", "3.11", "2.??"; "unknown" for 0 */
const char *tells_smb2_dialect_name(uint16_t d, char tmp[16]);
/* Suricata's GUID text form of a 16-byte SMB id */
void tells_smb_guid_str(const uint8_t g[16], char out[37]);

#endif
