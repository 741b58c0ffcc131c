/*
** app_smb_eve.c -- EVE "smb" records (Suricata's field names: id, dialect,
** command, status, status_code, session_id, tree_id, filename, share,
** ntlmssp, dcerpc, ...; docs/eve.md), the names of SMB commands, NT status
** codes (MS-ERREF 2.3) and dialects, and the indicators of a record:
** NTLMSSP accounts and workstations, shares and files written.
*/
#include <stdio.h>
#include <string.h>
#include "app_smb.h"

static const struct { uint32_t code; const char *name; } nt_status[] = {
  {0x00000000, "STATUS_SUCCESS"},
  {0x00000103, "STATUS_PENDING"},
  {0x0000010c, "STATUS_NOTIFY_ENUM_DIR"},
  {0x80000005, "STATUS_BUFFER_OVERFLOW"},
  {0x80000006, "STATUS_NO_MORE_FILES"},
  {0xc0000001, "STATUS_UNSUCCESSFUL"},
  {0xc0000002, "STATUS_NOT_IMPLEMENTED"},
  {0xc0000003, "STATUS_INVALID_INFO_CLASS"},
  {0xc0000008, "STATUS_INVALID_HANDLE"},
  {0xc000000d, "STATUS_INVALID_PARAMETER"},
  {0xc000000f, "STATUS_NO_SUCH_FILE"},
  {0xc0000010, "STATUS_INVALID_DEVICE_REQUEST"},
  {0xc0000011, "STATUS_END_OF_FILE"},
  {0xc0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
  {0xc0000022, "STATUS_ACCESS_DENIED"},
  {0xc0000023, "STATUS_BUFFER_TOO_SMALL"},
  {0xc0000033, "STATUS_OBJECT_NAME_INVALID"},
  {0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
  {0xc0000035, "STATUS_OBJECT_NAME_COLLISION"},
  {0xc000003a, "STATUS_OBJECT_PATH_NOT_FOUND"},
  {0xc0000043, "STATUS_SHARING_VIOLATION"},
  {0xc0000056, "STATUS_DELETE_PENDING"},
  {0xc000006d, "STATUS_LOGON_FAILURE"},
  {0xc000006e, "STATUS_ACCOUNT_RESTRICTION"},
  {0xc0000071, "STATUS_PASSWORD_EXPIRED"},
  {0xc0000072, "STATUS_ACCOUNT_DISABLED"},
  {0xc000009a, "STATUS_INSUFFICIENT_RESOURCES"},
  {0xc00000b0, "STATUS_PIPE_DISCONNECTED"},
  {0xc00000ba, "STATUS_FILE_IS_A_DIRECTORY"},
  {0xc00000bb, "STATUS_NOT_SUPPORTED"},
  {0xc00000c9, "STATUS_NETWORK_NAME_DELETED"},
  {0xc00000cc, "STATUS_BAD_NETWORK_NAME"},
  {0xc0000101, "STATUS_DIRECTORY_NOT_EMPTY"},
  {0xc0000120, "STATUS_CANCELLED"},
  {0xc0000128, "STATUS_FILE_CLOSED"},
  {0xc000019c, "STATUS_FS_DRIVER_REQUIRED"},
  {0xc0000203, "STATUS_USER_SESSION_DELETED"},
  {0xc0000225, "STATUS_NOT_FOUND"},
  {0xc0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
  {0xc000035c, "STATUS_NETWORK_SESSION_EXPIRED"},
};

/* v in lower-case hex at o, at least `width` digits (no prefix); returns
** the length.  By hand: these run for every SMB record. */
static size_t smb_hex(char *o, uint32_t v, int width) {
  static const char hex[] = "0123456789abcdef";
  int n = 1, i;
  while (n < 8 && v >> (4 * n)) n++;
  if (n < width) n = width;
  for (i = 0; i < n; i++) o[i] = hex[v >> (4 * (n - 1 - i)) & 15];
  return (size_t)n;
}

/* "0x" and v in minimal hex, as printf's "0x%x". */
static void smb_0x(char *o, uint32_t v) {
  o[0] = '0'; o[1] = 'x';
  o[2 + smb_hex(o + 2, v, 0)] = 0;
}

const char *tells_smb_status_name(uint32_t status, char tmp[24]) {
  size_t i;
  for (i = 0; i < sizeof nt_status / sizeof nt_status[0]; i++)
    if (nt_status[i].code == status) return nt_status[i].name;
  smb_0x(tmp, status);
  return tmp;
}

const char *tells_smb2_command_name(uint16_t cmd, char tmp[40]) {
  static const char *const n[] = {
    "NEGOTIATE_PROTOCOL", "SESSION_SETUP", "SESSION_LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
    "CREATE", "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "KEEPALIVE", "FIND",
    "CHANGE_NOTIFY", "GET_INFO", "SET_INFO", "OPLOCK_BREAK"};
  if (cmd < sizeof n / sizeof n[0]) {   /* 13 + at most 18 characters */
    size_t l = strlen(n[cmd]);
    memcpy(tmp, "SMB2_COMMAND_", 13);
    memcpy(tmp + 13, n[cmd], l + 1);
  } else snprintf(tmp, 40, "SMB2_COMMAND_UNKNOWN_%u", cmd);
  return tmp;
}

const char *tells_smb1_command_name(uint8_t cmd, char tmp[40]) {
  static const struct { uint8_t c; const char *n; } t[] = {
    {0x00, "CREATE_DIRECTORY"}, {0x01, "DELETE_DIRECTORY"}, {0x02, "OPEN"}, {0x03, "CREATE"},
    {0x04, "CLOSE"}, {0x05, "FLUSH"}, {0x06, "DELETE"}, {0x07, "RENAME"},
    {0x08, "QUERY_INFORMATION"}, {0x09, "SET_INFORMATION"}, {0x0a, "READ"}, {0x0b, "WRITE"},
    {0x10, "CHECK_DIRECTORY"}, {0x24, "LOCKING_ANDX"}, {0x25, "TRANS"},
    {0x26, "TRANS_SECONDARY"}, {0x2b, "ECHO"}, {0x2d, "OPEN_ANDX"}, {0x2e, "READ_ANDX"},
    {0x2f, "WRITE_ANDX"}, {0x32, "TRANS2"}, {0x33, "TRANS2_SECONDARY"}, {0x34, "FIND_CLOSE2"},
    {0x70, "TREE_CONNECT"}, {0x71, "TREE_DISCONNECT"}, {0x72, "NEGOTIATE_PROTOCOL"},
    {0x73, "SESSION_SETUP_ANDX"}, {0x74, "LOGOFF_ANDX"}, {0x75, "TREE_CONNECT_ANDX"},
    {0xa0, "NT_TRANS"}, {0xa1, "NT_TRANS_SECONDARY"}, {0xa2, "NT_CREATE_ANDX"},
    {0xa4, "NT_CANCEL"}, {0xa5, "NT_RENAME"}};
  size_t i;
  for (i = 0; i < sizeof t / sizeof t[0]; i++)
    if (t[i].c == cmd) { snprintf(tmp, 40, "SMB1_COMMAND_%s", t[i].n); return tmp; }
  snprintf(tmp, 40, "SMB1_COMMAND_UNKNOWN_%02x", cmd);
  return tmp;
}

const char *tells_smb2_dialect_name(uint16_t d, char tmp[16]) {
  if (!d) return "unknown";
  if (d == 0x02ff) return "2.??";
  {
    size_t o = smb_hex(tmp, (uint32_t)(d >> 8), 0);
    tmp[o++] = '.';
    o += smb_hex(tmp + o, d & 0xffu, 2);
    tmp[o] = 0;
  }
  return tmp;
}

void tells_smb_guid_str(const uint8_t g[16], char out[37]) {
  /* as Suricata writes SMB file ids: little-endian fields of 4, 2, 2, 2, 2
  ** and 4 bytes */
  size_t o = smb_hex(out, tells_ld32le(g), 8);
  out[o++] = '-'; o += smb_hex(out + o, tells_ld16le(g + 4), 4);
  out[o++] = '-'; o += smb_hex(out + o, tells_ld16le(g + 6), 4);
  out[o++] = '-'; o += smb_hex(out + o, tells_ld16le(g + 8), 4);
  out[o++] = '-'; o += smb_hex(out + o, tells_ld16le(g + 10), 4);
  o += smb_hex(out + o, tells_ld32le(g + 12), 8);
  out[o] = 0;
}

/* A DCE/RPC interface UUID in its usual text form. */
static void uuid_str(const uint8_t g[16], char out[37]) {
  snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", tells_ld32le(g),
           tells_ld16le(g + 4), tells_ld16le(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
           g[14], g[15]);
}

static const char *rpc_type_name(uint8_t t) {
  switch (t) {
  case 0: return "REQUEST";
  case 2: return "RESPONSE";
  case 3: return "FAULT";
  case 11: return "BIND";
  case 12: return "BINDACK";
  case 13: return "BINDNAK";
  case 14: return "ALTER_CONTEXT";
  case 15: return "ALTER_CONTEXT_RESP";
  case 16: return "AUTH3";
  default: return "UNKNOWN";
  }
}

static const char *disposition_name(uint32_t d) {
  static const char *const n[] = {"FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE", "FILE_OPEN_IF",
                                  "FILE_OVERWRITE", "FILE_OVERWRITE_IF"};
  return d < 6 ? n[d] : "UNKNOWN";
}

static const char *action_name(uint32_t a) {
  static const char *const n[] = {"FILE_SUPERSEDED", "FILE_OPENED", "FILE_CREATED",
                                  "FILE_OVERWRITTEN"};
  return a < 4 ? n[a] : "UNKNOWN";
}

static void iface(tells_json *j, const tells_smb_iface *f, int acked) {
  char u[37], v[16];
  uuid_str(f->uuid, u);
  snprintf(v, sizeof v, "%u.%u", f->ver, f->ver_minor);
  tells_json_obj(j);
  tells_json_kstr(j, "uuid", u);
  tells_json_kstr(j, "version", v);
  if (acked) {
    tells_json_ku64(j, "ack_result", f->ack_result);
    tells_json_ku64(j, "ack_reason", f->ack_reason);
  }
  tells_json_obj_end(j);
}

static void dcerpc(tells_json *j, const tells_smb_tx *t) {
  uint8_t i;
  tells_json_key(j, "dcerpc");
  tells_json_obj(j);
  if (t->rpc_req != 0xff) tells_json_kstr(j, "request", rpc_type_name(t->rpc_req));
  if (t->rpc_resp != 0xff) tells_json_kstr(j, "response", rpc_type_name(t->rpc_resp));
  else if (t->has_resp) tells_json_kstr(j, "response", "UNREPLIED");
  if (t->n_ifaces) {
    tells_json_key(j, "interfaces");
    tells_json_arr(j);
    for (i = 0; i < t->n_ifaces; i++) iface(j, &t->ifaces[i], t->ifaces[i].acked);
    tells_json_arr_end(j);
  } else if (t->rpc_req == 0 && t->rpc_iface_req) {
    tells_json_key(j, "interfaces");
    tells_json_arr(j);
    iface(j, &t->req_iface, 0);
    tells_json_arr_end(j);
  }
  if (t->rpc_req == 0) {
    tells_json_ku64(j, "opnum", t->opnum);
    tells_json_key(j, "req");
    tells_json_obj(j);
    tells_json_ku64(j, "frag_cnt", t->req_frags);
    tells_json_ku64(j, "stub_data_size", t->req_stub);
    tells_json_obj_end(j);
    if (t->rpc_resp == 2) {
      tells_json_key(j, "res");
      tells_json_obj(j);
      tells_json_ku64(j, "frag_cnt", t->resp_frags);
      tells_json_ku64(j, "stub_data_size", t->resp_stub);
      tells_json_obj_end(j);
    }
  }
  tells_json_ku64(j, "call_id", t->call_id);
  tells_json_obj_end(j);
}

static void status(tells_json *j, const tells_smb_tx *t) {
  char tmp[24], code[16];
  if (t->dos_status) {                            /* SMB1 DOS error: class, code */
    static const char *const cls[] = {"", "DOS", "SRV", "HRD"};
    uint8_t c = (uint8_t)(t->status & 0xff);
    uint16_t e = (uint16_t)(t->status >> 16);
    snprintf(tmp, sizeof tmp, "%s_%u", c < 4 && c ? cls[c] : "ERR", e);
    if (c == 2 && e == 91) snprintf(tmp, sizeof tmp, "SRV_BADUID");
    tells_json_kstr(j, "status", tmp);
    snprintf(code, sizeof code, "0x%04x", e);
    tells_json_kstr(j, "status_code", code);
    return;
  }
  tells_json_kstr(j, "status", tells_smb_status_name(t->status, tmp));
  smb_0x(code, t->status);
  tells_json_kstr(j, "status_code", code);
}

void tells_smb_eve(tells_json *j, const void *rec) {
  const tells_smb_tx *t = rec;
  char tmp[40], g[37];
  uint16_t i;
  tells_json_key(j, "smb");
  tells_json_obj(j);
  tells_json_ku64(j, "id", t->id);
  tells_json_kstr(j, "dialect", t->dialect);
  if (t->cmd == 0xffff) {                          /* encrypted / compressed message count */
    tells_json_kstr(j, "command", "SMB3_TRANSFORM");
    tells_json_ku64(j, "encrypted_messages", t->bytes);
    tells_json_ku64(j, "compressed_messages", t->size);
    tells_json_obj_end(j);
    return;
  }
  tells_json_kstr(j, "command", t->smb1 ? tells_smb1_command_name((uint8_t)t->cmd, tmp)
                                        : tells_smb2_command_name(t->cmd, tmp));
  if (t->has_resp) status(j, t);
  tells_json_ku64(j, "session_id", t->session_id);
  tells_json_ku64(j, "tree_id", t->tree_id);
  if (t->kind == SMB_TX_FILE || t->has_create || t->has_rename || t->set_delete) {
    tells_json_kstr(j, "filename", t->filename);
  }
  if (t->has_create) {
    tells_json_kstr(j, "disposition", disposition_name(t->disposition));
    tells_json_kstr(j, "access", t->delete_on_close ? "delete on close" : "normal");
    if (t->has_fuid) {
      tells_json_ku64(j, "created", t->times[0]);
      tells_json_ku64(j, "accessed", t->times[1]);
      tells_json_ku64(j, "modified", t->times[2]);
      tells_json_ku64(j, "changed", t->times[3]);
      tells_json_ku64(j, "size", t->size);
      tells_json_kstr(j, "create_action", action_name(t->create_action));
    }
  }
  if (t->set_delete) tells_json_kstr(j, "access", "delete on close");
  if (t->has_rename) {
    tells_json_key(j, "rename");
    tells_json_obj(j);
    tells_json_kstr(j, "from", t->filename);
    tells_json_kstr(j, "to", t->rename_to);
    tells_json_obj_end(j);
  }
  if (t->kind == SMB_TX_FILE) {
    if (t->share[0]) tells_json_kstr(j, "share", t->share);
    tells_json_ku64(j, "bytes", t->bytes);
  }
  if (t->has_fuid && (t->has_create || t->kind == SMB_TX_FILE || t->has_rename || t->set_delete)) {
    tells_smb_guid_str(t->fuid, g);
    tells_json_kstr(j, "fuid", g);
  }
  if ((t->cmd == 3 && !t->smb1) || (t->smb1 && t->cmd == 0x75)) {
    const char *type = t->share_type == 1 ? "FILE" : t->share_type == 2 ? "PIPE"
                     : t->share_type == 3 ? "PRINT" : "UNKNOWN";
    tells_json_kstr(j, t->share_type == 2 ? "named_pipe" : "share", t->share);
    tells_json_kstr(j, "share_type", type);
  }
  if (t->n_dialects || t->n_names) {
    tells_json_key(j, "client_dialects");
    tells_json_arr(j);
    for (i = 0; i < t->n_dialects; i++)
      tells_json_str(j, tells_smb2_dialect_name(t->dialects[i], tmp));
    for (i = 0; i < t->n_names; i++) tells_json_str(j, t->dialect_names[i]);
    tells_json_arr_end(j);
  }
  if (t->has_client_guid) {
    tells_smb_guid_str(t->client_guid, g);
    tells_json_kstr(j, "client_guid", g);
  }
  if (t->has_server_guid) {
    tells_smb_guid_str(t->server_guid, g);
    tells_json_kstr(j, "server_guid", g);
  }
  if (t->has_ntlm && t->ntlm.type == 3) {
    tells_json_key(j, "ntlmssp");
    tells_json_obj(j);
    tells_json_kstr(j, "domain", t->ntlm.domain);
    tells_json_kstr(j, "user", t->ntlm.user);
    tells_json_kstr(j, "host", t->ntlm.host);
    if (t->ntlm.has_version) tells_json_kstr(j, "version", t->ntlm.version);
    tells_json_obj_end(j);
  }
  if (t->krb.has_ticket) {
    tells_json_key(j, "kerberos");
    tells_json_obj(j);
    tells_json_kstr(j, "realm", t->krb.realm);
    tells_json_key(j, "snames");
    tells_json_arr(j);
    for (i = 0; i < t->krb.n_snames; i++) tells_json_str(j, t->krb.snames[i]);
    tells_json_arr_end(j);
    tells_json_obj_end(j);
  } else if (t->krb.offered) {
    tells_json_kstr(j, "auth", "kerberos");
  }
  if (t->has_req_os) {
    tells_json_key(j, "request");
    tells_json_obj(j);
    tells_json_kstr(j, "native_os", t->req_os);
    tells_json_kstr(j, "native_lm", t->req_lm);
    tells_json_obj_end(j);
  }
  if (t->has_resp_os) {
    tells_json_key(j, "response");
    tells_json_obj(j);
    tells_json_kstr(j, "native_os", t->resp_os);
    tells_json_kstr(j, "native_lm", t->resp_lm);
    tells_json_obj_end(j);
  }
  if (t->kind == SMB_TX_RPC) dcerpc(j, t);
  tells_json_obj_end(j);
  if (t->as_fileinfo) {                            /* the file's own record */
    tells_json_key(j, "fileinfo");
    tells_json_obj(j);
    tells_json_kstr(j, "filename", t->filename);
    tells_json_key(j, "gaps");
    tells_json_bool(j, t->gaps);
    tells_json_kstr(j, "state", t->closed && !t->gaps ? "CLOSED" : "TRUNCATED");
    tells_json_key(j, "stored");
    tells_json_bool(j, 0);
    tells_json_ku64(j, "size", t->bytes);
    tells_json_ku64(j, "tx_id", t->id - 1);
    tells_json_obj_end(j);
  }
}

void tells_smb_indicators(const void *rec, tells_app_ind_fn fn, void *ud) {
  const tells_smb_tx *t = rec;
  char a[2 * SMB_SHORT + 2];
  if (t->as_fileinfo) return;                      /* given with its smb record */
  if (t->has_ntlm && t->ntlm.type == 3 && t->ntlm.user[0]) {
    size_t n = strlen(t->ntlm.user);
    int failed = t->has_resp && t->status != 0 && t->status != 0xc0000016u;
    /* "DOMAIN\user" as the event log summaries write accounts; machine
    ** accounts (NAME$) left out the same way */
    if (t->ntlm.user[n - 1] != '$') {
      if (t->ntlm.domain[0]) snprintf(a, sizeof a, "%s\\%s", t->ntlm.domain, t->ntlm.user);
      else snprintf(a, sizeof a, "%s", t->ntlm.user);
      fn(ud, "account", a, failed ? "NTLMSSP authentication over SMB, refused"
                                  : "NTLMSSP authentication over SMB");
    }
    if (t->ntlm.host[0]) fn(ud, "host", t->ntlm.host, "NTLMSSP workstation over SMB");
  }
  if (t->krb.has_ticket && t->krb.n_snames == 2 && t->krb.snames[1][0])
    fn(ud, "host", t->krb.snames[1], "Kerberos service ticket over SMB");
  if (((!t->smb1 && t->cmd == 3) || (t->smb1 && t->cmd == 0x75)) && t->share[0] &&
      t->share_type != 2 && t->status == 0 && t->has_resp)
    fn(ud, "smb_share", t->share, "SMB tree connect");
  if (t->kind == SMB_TX_FILE && t->cmd == 9 && t->filename[0])
    fn(ud, "file_name", t->filename, "file written over SMB");
  if (t->has_create && t->filename[0] && t->has_fuid &&
      (t->create_action == 2 || t->create_action == 3 || t->create_action == 0))
    fn(ud, "file_name", t->filename, "file created over SMB");
}
