/*
** test_smb.c -- the SMB parser (app_smb*.c) and NTLMSSP / SPNEGO reader
** (app_ntlmssp.c): messages built byte by byte (tests/tools/smbw.h) fed
** through the dispatcher whole, one byte per segment and out of shape
** (truncated, bad offsets, garbage, encrypted), and real captures from the
** corpora against values read with tshark.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "../../lib/net/app.h"
#include "../../lib/net/app_smb.h"
#include "../tools/smbw.h"
#include "anom.h"
#include "buf.h"
#include "t.h"
#include "tells.h"

/* ---- NTLMSSP ---- */

static void test_ntlmssp_spnego(void) {
  uint8_t b[1024];
  tells_ntlmssp n;
  tells_krb krb;
  size_t bad, len = smbw_ntlm_auth(b, "CORP", "alice", "WS-ALICE"), k;
  CHECK(tells_ntlmssp_find(b, len, &n, &krb, &bad) == 1);
  CHECK_EQ_INT(n.type, 3);
  CHECK_EQ_STR(n.domain, "CORP");
  CHECK_EQ_STR(n.user, "alice");
  CHECK_EQ_STR(n.host, "WS-ALICE");
  CHECK_EQ_STR(n.version, "10.0 build 19041 rev 15");
  CHECK_EQ_INT(krb.offered, 0);
  /* raw NTLMSSP (not wrapped) */
  CHECK(tells_ntlmssp_find(b + 16, len - 16, &n, &krb, &bad) == 1);
  CHECK_EQ_STR(n.user, "alice");
  /* every truncation fails cleanly */
  for (k = 0; k < len; k++) CHECK(tells_ntlmssp_find(b, k, &n, &krb, &bad) == 0);
  /* a user name field pointing past the message: rejected, offset given */
  smbw_l32(b + 16 + 40, 5000);
  CHECK(tells_ntlmssp_find(b, len, &n, &krb, &bad) == 0);
  CHECK(bad == 16);
  /* an indefinite DER length is rejected */
  b[1] = 0x80;
  CHECK(tells_ntlmssp_find(b, len, &n, &krb, &bad) == 0);
}

static void test_utf16(void) {
  static const uint8_t s[] = {'a', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 'z', 0};
  char out[32], small[4];
  tells_utf16_to_utf8(s, sizeof s, out, sizeof out);
  CHECK_EQ_STR(out, "a\xf0\x9f\x98\x80\xef\xbf\xbdz");   /* U+1F600, lone low surrogate */
  tells_utf16_to_utf8(s, sizeof s, small, sizeof small);
  CHECK_EQ_STR(small, "a");                              /* cut at a character */
}

/* ---- the parser through the dispatcher ---- */

typedef struct rig {
  tells_app_ctx *c;
  tells_flow f;
  tells_buf b;
  tells_json j;
  tells_anoms an;
  char ind[2048];
  int n;
  uint32_t seq[2];
} rig;

static void on_ind(void *ud, const char *type, const char *value, const char *ctx) {
  rig *g = ud;
  size_t l = strlen(g->ind);
  (void)ctx;
  snprintf(g->ind + l, sizeof g->ind - l, "%s=%s;", type, value);
}

static void on_rec(void *ud, const tells_flow *f, const tells_app_rec *r) {
  rig *g = ud;
  (void)f;
  tells_json_obj(&g->j);
  r->parser->eve(&g->j, r->data);
  tells_json_obj_end(&g->j);
  tells_json_nl(&g->j);
  tells_json_flush(&g->j);
  if (r->parser->indicators) r->parser->indicators(r->data, on_ind, g);
  g->n++;
}

static void rig_init(rig *g) {
  tells_app_opts o;
  memset(g, 0, sizeof *g);
  memset(&o, 0, sizeof o);
  tells_anoms_init(&g->an);
  o.anoms = &g->an;
  tells_buf_init(&g->b, 1 << 20);
  tells_json_init_buf(&g->j, &g->b, 0);
  CHECK(tells_app_create(&o, on_rec, g, &g->c) == TELLS_OK);
  g->f.key.proto = 6; g->f.key.l3 = TELLS_L3_IPV4;
  g->f.key.pa = 49700; g->f.key.pb = 445; g->f.client_is_a = 1;
  g->seq[0] = 1000; g->seq[1] = 5000;
}

/* Sends n bytes in segments of `seg` bytes. */
static void rig_send(rig *g, int to_server, const uint8_t *p, size_t n, size_t seg) {
  while (n) {
    tells_dec d;
    int ts = to_server;
    size_t k = n < seg ? n : seg;
    memset(&d, 0, sizeof d);
    d.l3 = TELLS_L3_IPV4; d.proto = 6;
    d.sport = to_server ? 49700 : 445;
    d.dport = to_server ? 445 : 49700;
    d.payload = p; d.payload_len = (uint32_t)k;
    d.tcp_flags = 0x18;
    d.seq = g->seq[to_server ? 0 : 1];
    d.ack = g->seq[to_server ? 1 : 0];
    g->seq[to_server ? 0 : 1] += (uint32_t)k;
    if (to_server) g->f.pkts_ts++; else g->f.pkts_tc++;
    tells_app_packet(g->c, &g->f, &d, &ts, 1000000000ll, 4242);
    p += k; n -= k;
  }
}

static const char *rig_end(rig *g, tells_app_stats *st) {
  tells_app_flow_end(g->c, &g->f);
  tells_app_get_stats(g->c, st);
  CHECK_EQ_INT(st->mem_used, 0);
  CHECK_EQ_INT(st->reasm.used, 0);
  tells_app_destroy(g->c);
  return tells_buf_str(&g->b);
}

static void rig_free(rig *g) {
  tells_buf_free(&g->b);
  tells_anoms_free(&g->an);
}

static const uint8_t FID[16] = {0x41, 0, 0, 0, 0x02, 0,    0,    0,
                                0x05, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
#define SESS 0x0000100000000041ull

/* The session of mksmb: negotiate, NTLMSSP, tree connect, create, a
** 20000-byte write, close. */
static void session(rig *g, size_t seg) {
  static uint8_t b[32768], blob[1024];
  size_t n, bl;
  n = smbw_negotiate_req(b, 0); rig_send(g, 1, b, n, seg);
  n = smbw_negotiate_resp(b, 0, 0x0311); rig_send(g, 0, b, n, seg);
  bl = smbw_ntlm_auth(blob, "CORP", "alice", "WS-ALICE");
  n = smbw_session_req(b, 1, SESS, blob, bl); rig_send(g, 1, b, n, seg);
  n = smbw_simple_resp(b, 1, 1, 0, SESS, 0); rig_send(g, 0, b, n, seg);
  n = smbw_tree_req(b, 2, SESS, "\\\\FILESRV\\C$"); rig_send(g, 1, b, n, seg);
  n = smbw_tree_resp(b, 2, 1, SESS, 1); rig_send(g, 0, b, n, seg);
  n = smbw_create_req(b, 3, 1, SESS, "Windows\\Temp\\payload.exe", 5); rig_send(g, 1, b, n, seg);
  n = smbw_create_resp(b, 3, 1, SESS, FID, 2); rig_send(g, 0, b, n, seg);
  n = smbw_write_req(b, 4, 1, SESS, FID, 20000);
  memset(b + n, 'M', 20000);
  rig_send(g, 1, b, n + 20000, seg);
  n = smbw_simple_resp(b, 9, 4, 1, SESS, 0); rig_send(g, 0, b, n, seg);
  n = smbw_close_req(b, 7, 1, SESS, FID); rig_send(g, 1, b, n, seg);
  n = smbw_simple_resp(b, 6, 7, 1, SESS, 0); rig_send(g, 0, b, n, seg);
}

static void check_session(const char *s, const rig *g) {
  CHECK(strstr(s, "\"command\":\"SMB2_COMMAND_NEGOTIATE_PROTOCOL\"") != NULL);
  CHECK(strstr(s, "\"client_dialects\":[\"2.10\",\"3.11\"]") != NULL);
  CHECK(strstr(s, "\"ntlmssp\":{\"domain\":\"CORP\",\"user\":\"alice\",\"host\":\"WS-ALICE\","
                  "\"version\":\"10.0 build 19041 rev 15\"}") != NULL);
  CHECK(strstr(s, "\"dialect\":\"3.11\",\"command\":\"SMB2_COMMAND_TREE_CONNECT\"") != NULL);
  CHECK(strstr(s, "\"share\":\"\\\\\\\\FILESRV\\\\C$\",\"share_type\":\"FILE\"") != NULL);
  CHECK(strstr(s,
               "\"filename\":\"Windows\\\\Temp\\\\payload.exe\",\"disposition\":\"FILE_OVERWRITE_"
               "IF\"") != NULL);
  CHECK(
      strstr(
          s,
          "\"create_action\":\"FILE_CREATED\",\"fuid\":\"00000041-0002-0000-0005-0000ffffffff\"") !=
      NULL);
  CHECK(strstr(s, "\"command\":\"SMB2_COMMAND_WRITE\"") != NULL);
  CHECK(strstr(s, "\"bytes\":20000") != NULL);
  CHECK(strstr(s, "\"fileinfo\":{\"filename\":\"Windows\\\\Temp\\\\payload.exe\",\"gaps\":false,"
                  "\"state\":\"CLOSED\",\"stored\":false,\"size\":20000,\"tx_id\":4}") != NULL);
  CHECK(strstr(s, "\"command\":\"SMB2_COMMAND_CLOSE\"") != NULL);
  CHECK(strstr(g->ind, "account=CORP\\alice;") != NULL);
  CHECK(strstr(g->ind, "host=WS-ALICE;") != NULL);
  CHECK(strstr(g->ind, "smb_share=\\\\FILESRV\\C$;") != NULL);
  CHECK(strstr(g->ind, "file_name=Windows\\Temp\\payload.exe;") != NULL);
}

static void test_session_whole_and_bytewise(void) {
  static rig g;
  tells_app_stats st;
  const char *s;
  size_t seg[] = {1460, 1, 7};
  int i;
  for (i = 0; i < 3; i++) {
    rig_init(&g);
    session(&g, seg[i]);
    s = rig_end(&g, &st);
    CHECK_EQ_INT(g.n, 7);                          /* six smb records, one fileinfo */
    check_session(s, &g);
    CHECK_EQ_INT(st.anomalies, 0);
    CHECK_EQ_STR(g.f.app_proto, "smb");
    /* the 20000 data bytes are skipped, not charged to the stream budget */
    rig_free(&g);
  }
}

static void test_malformed(void) {
  static rig g;
  static uint8_t b[4096];
  tells_app_stats st;
  const char *s;
  size_t n;
  rig_init(&g);
  n = smbw_tree_req(b, 5, SESS, "\\\\FILESRV\\D$");
  smbw_l32(b + 4 + 20, 4000);                      /* NextCommand past the end */
  rig_send(&g, 1, b, n, 1460);
  n = smbw_create_req(b, 6, 1, SESS, "x.txt", 1);
  smbw_l16(b + 4 + 64 + 44, 0x7000);               /* name offset past the message */
  rig_send(&g, 1, b, n, 1460);
  memset(b, 0xee, 64);                             /* garbage: resynchronise */
  rig_send(&g, 1, b, 64, 1460);
  n = smbw_close_req(b, 7, 1, SESS, FID); rig_send(&g, 1, b, n, 1460);
  n = smbw_simple_resp(b, 6, 7, 1, SESS, 0); rig_send(&g, 0, b, n, 1460);
  /* an SMB2 header cut short inside its NetBIOS message */
  n = smbw_close_req(b, 8, 1, SESS, FID);
  b[3] = 40;                                       /* 40 bytes: less than a header */
  rig_send(&g, 1, b, 44, 1460);
  /* a NetBIOS message of 1 MiB: only its start is read, the rest skipped */
  n = smbw_write_req(b, 9, 1, SESS, FID, 1u << 20);
  rig_send(&g, 1, b, n, 1460);
  {
    static uint8_t z[1460];
    int k;
    for (k = 0; k < 720; k++) rig_send(&g, 1, z, sizeof z, 1460);
  }
  n = smbw_close_req(b, 10, 1, SESS, FID); rig_send(&g, 1, b, n, 1460);
  s = rig_end(&g, &st);
  CHECK(st.anomalies >= 3);
  CHECK(g.an.n >= 3);
  CHECK(g.an.n && g.an.v[0].off == 4242);          /* at the packet's file offset */
  CHECK(strstr(s, "\"command\":\"SMB2_COMMAND_CLOSE\",\"status\":\"STATUS_SUCCESS\"") != NULL);
  CHECK(strstr(s, "\"bytes\":1048576") != NULL);   /* the big write counted, not read */
  CHECK(strstr(s, "\"share\":\"\\\\\\\\FILESRV\\\\D$\"") != NULL);
  rig_free(&g);
}

static void test_encrypted_and_smb1(void) {
  static rig g;
  static uint8_t b[256];
  tells_app_stats st;
  const char *s;
  int k;
  rig_init(&g);
  for (k = 0; k < 3; k++) {                        /* SMB3 transform headers */
    memset(b, 0x11, 4 + 52 + 20);
    b[0] = 0; b[1] = 0; b[2] = 0; b[3] = 52 + 20;
    memcpy(b + 4, "\xfdSMB", 4);
    rig_send(&g, 1, b, 4 + 52 + 20, 1460);
  }
  s = rig_end(&g, &st);
  CHECK(strstr(s, "\"command\":\"SMB3_TRANSFORM\",\"encrypted_messages\":3") != NULL);
  rig_free(&g);
  /* SMB1 negotiate: dialect strings and the chosen one */
  rig_init(&g);
  {
    static const char d[] = "\x02NT LM 0.12\0\x02SMB 2.002\0";
    size_t n = 4 + 32 + 1 + 2 + sizeof d - 1;
    memset(b, 0, sizeof b);
    b[3] = (uint8_t)(n - 4);
    memcpy(b + 4, "\xffSMB\x72", 5);
    smbw_l16(b + 4 + 30, 7);                       /* MID */
    smbw_l16(b + 4 + 33, sizeof d - 1);
    memcpy(b + 4 + 35, d, sizeof d - 1);
    rig_send(&g, 1, b, n, 1460);
    memset(b, 0, sizeof b);
    b[3] = 32 + 1 + 2 + 2;
    memcpy(b + 4, "\xffSMB\x72", 5);
    b[4 + 9] = 0x80;                               /* reply */
    smbw_l16(b + 4 + 10, 0xc001);                  /* NT status, unicode */
    smbw_l16(b + 4 + 30, 7);
    b[4 + 32] = 1;                                 /* one word: dialect index 0 */
    rig_send(&g, 0, b, 4 + 32 + 1 + 2 + 2, 1460);
  }
  s = rig_end(&g, &st);
  CHECK(strstr(s, "\"dialect\":\"NT LM 0.12\",\"command\":\"SMB1_COMMAND_NEGOTIATE_PROTOCOL\"") !=
        NULL);
  CHECK(strstr(s, "\"client_dialects\":[\"NT LM 0.12\",\"SMB 2.002\"]") != NULL);
  rig_free(&g);
}

/* Requests that are never answered: the pending table stays bounded and
** every one is still written.  3000 messages of ~100 bytes are read whole:
** each is charged 16 bytes against the 64 KiB stream budget. */
static void test_unanswered_bounded(void) {
  static rig g;
  static uint8_t b[256];
  tells_app_stats st;
  uint64_t m;
  rig_init(&g);
  for (m = 0; m < 3000; m++) {
    size_t n = smbw_tree_req(b, m, SESS, "\\\\S\\IPC$");
    rig_send(&g, 1, b, n, 1460);
  }
  tells_app_get_stats(g.c, &st);
  CHECK(st.mem_used < 64 * sizeof(tells_smb_tx) + 65536);
  rig_end(&g, &st);
  CHECK_EQ_INT(g.n, 3000);
  rig_free(&g);
}

/* ---- real captures ---- */

static char *run_capture(const char *rel) {
  static char buf[1 << 21];
  char path[1024];
  const char *paths[1];
  FILE *f, *probe;
  size_t n;
  snprintf(path, sizeof path, "%s/pcap/%s", t_corpora(), rel);
  if (!(probe = fopen(path, "rb"))) return NULL;
  fclose(probe);
  if (!(f = tmpfile())) return NULL;
  paths[0] = path;
  if (tells_net_eve(paths, 1, NULL, f, NULL) != TELLS_OK) { fclose(f); return NULL; }
  rewind(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static void test_real_smb2_mimikatz(void) {
  /* mimikatz copied from C$ (tshark: smb2.filename, smb2.fid; 804352 bytes read) */
  const char *s = run_capture("suricata-verify/smb2-05/20171220_smb_mimikatz_copy_to_host.pcap");
  if (!s) T_SKIP("capture not found");
  CHECK(strstr(s, "\"command\":\"SMB2_COMMAND_TREE_CONNECT\",\"status\":\"STATUS_SUCCESS\"") !=
        NULL);
  CHECK(strstr(s, "\"share\":\"\\\\\\\\admin-pc\\\\c$\",\"share_type\":\"FILE\"") != NULL);
  CHECK(strstr(s, "\"filename\":\"temp\\\\mimikatz.exe\",\"disposition\":\"FILE_OPEN\"") != NULL);
  CHECK(strstr(s, "\"created\":1512585399,\"accessed\":1512585399,\"modified\":1512171135") !=
        NULL);
  CHECK(strstr(s, "\"bytes\":804352") != NULL);
}

static void test_real_smb2_psexec(void) {
  /* psexec: PSEXESVC.exe written to ADMIN$, DCE/RPC to the service manager */
  const char *s = run_capture("suricata-verify/smb2-07/20171220_smb_psexec_add_user.pcap");
  if (!s) T_SKIP("capture not found");
  CHECK(strstr(s, "\"filename\":\"PSEXESVC.exe\",\"disposition\":\"FILE_OVERWRITE_IF\"") != NULL);
  CHECK(strstr(s, "\"named_pipe\":\"\\\\\\\\dc1\\\\IPC$\"") != NULL);
  CHECK(strstr(s, "\"dcerpc\":{\"request\":\"BIND\",\"response\":\"BINDACK\"") != NULL);
  /* Kerberos AP-REQ ticket (tshark kerberos.realm, kerberos.SNameString) */
  CHECK(strstr(s, "\"kerberos\":{\"realm\":\"CONTOSO.LOCAL\",\"snames\":[\"cifs\",\"dc1.contoso.local\"]}") != NULL);
}

static void test_real_smb1_ntlmssp(void) {
  /* NTLMSSP in an SMB1 session setup (tshark ntlmssp.auth.username, .domain, .hostname) */
  const char *s = run_capture("zeek-traces/smb/raw_ntlm_in_smb.pcap");
  if (!s) T_SKIP("capture not found");
  CHECK(
      strstr(
          s,
          "\"ntlmssp\":{\"domain\":\"TEST-F7DFBC3FE9\",\"user\":\"test\",\"host\":\"BABYBOOK\"") !=
      NULL);
  CHECK(strstr(s, "\"request\":{\"native_os\":\"Mac OS X 10.10\",\"native_lm\":\"SMBFS 3.0.0\"}") !=
        NULL);
}

static void test_real_port139_ntlmssp(void) {
  /* SMB2 on port 139 after a NetBIOS session request; 7 AUTHENTICATE messages */
  const char *s = run_capture("suricata-verify/smb2-ntlmssp-negotiateflags/input.pcap"), *p;
  int k = 0;
  if (!s) T_SKIP("capture not found");
  for (p = s; (p = strstr(p, "\"version\":\"10.0 build 10586 rev 15\"")) != NULL; p++) k++;
  CHECK_EQ_INT(k, 7);
  CHECK(strstr(s, "\"user\":\"Willi Wireshark\"") != NULL);
}

int main(void) {
  T_RUN(test_ntlmssp_spnego);
  T_RUN(test_utf16);
  T_RUN(test_session_whole_and_bytewise);
  T_RUN(test_malformed);
  T_RUN(test_encrypted_and_smb1);
  T_RUN(test_unanswered_bounded);
  T_RUN(test_real_smb2_mimikatz);
  T_RUN(test_real_smb2_psexec);
  T_RUN(test_real_smb1_ntlmssp);
  T_RUN(test_real_port139_ntlmssp);
  T_END();
}
