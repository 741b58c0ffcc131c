/*
** app_ssh.c -- SSH identification strings (RFC 4253 section 4.2):
** "SSH-protoversion-softwareversion SP comments CR LF", one per side,
** possibly after other lines from the server.  One EVE "ssh" record per
** flow with the client's and server's protocol and software versions.
*/
#include <string.h>
#include "app.h"
#include "rd.h"

#define SSH_LINE 255                  /* longest identification line */

typedef struct ssh_side {
  char proto[16], software[SSH_LINE + 1];
  uint8_t seen;
} ssh_side;

typedef struct ssh_state {
  ssh_side side[2];                   /* 0 = client, 1 = server */
  uint8_t lines[2], emitted;
} ssh_state;

static void emit(tells_app_flow *af, ssh_state *s) {
  if (s->emitted || !(s->side[0].seen || s->side[1].seen)) return;
  s->emitted = 1;
  tells_app_emit(af, s, TELLS_APP_NOW, 0);
}

static size_t ssh_parse(tells_app_flow *af, void *vst, int dir, const uint8_t *p, size_t n) {
  ssh_state *s = vst;
  tells_rd r = tells_rd_make(p, n, 0);
  const uint8_t *line;
  size_t ll, i, k;
  ssh_side *sd = &s->side[dir];
  for (ll = 0; ll < n && ll <= SSH_LINE && p[ll] != '\n'; ll++) {}
  if (ll == n) return n > SSH_LINE ? TELLS_APP_STOP : TELLS_APP_MORE;
  if (ll > SSH_LINE) return TELLS_APP_STOP;
  line = tells_rd_bytes(&r, ll + 1);
  if (!line) return TELLS_APP_MORE;
  if (ll && line[ll - 1] == '\r') ll--;
  if (ll < 4 || memcmp(line, "SSH-", 4) != 0) {
    /* servers may send other lines first (RFC 4253 4.2) */
    return dir == 1 && ++s->lines[1] < 16 ? r.off : TELLS_APP_STOP;
  }
  for (i = 4; i < ll && line[i] != '-'; i++) {}
  k = i - 4 < sizeof sd->proto - 1 ? i - 4 : sizeof sd->proto - 1;
  memcpy(sd->proto, line + 4, k);
  sd->proto[k] = 0;
  if (i < ll) {
    size_t e;
    for (e = i + 1; e < ll && line[e] != ' '; e++) {}
    memcpy(sd->software, line + i + 1, e - i - 1);
    sd->software[e - i - 1] = 0;
  }
  sd->seen = 1;
  if (s->side[0].seen && s->side[1].seen) emit(af, s);
  return TELLS_APP_STOP;              /* the rest is binary packets */
}

static void ssh_end(tells_app_flow *af, void *vst) { emit(af, vst); }

static int ssh_probe(const uint8_t *p, size_t n, int to_server, int tcp, int hint) {
  (void)to_server; (void)tcp; (void)hint;
  return n >= 4 && memcmp(p, "SSH-", 4) == 0 && (n == 4 || (p[4] >= '1' && p[4] <= '2'))
             ? TELLS_APP_YES : TELLS_APP_NO;
}

static void side_json(tells_json *j, const char *key, const ssh_side *sd) {
  if (!sd->seen) return;
  tells_json_key(j, key);
  tells_json_obj(j);
  tells_json_kstr(j, "proto_version", sd->proto);
  tells_json_kstr(j, "software_version", sd->software);
  tells_json_obj_end(j);
}

static void ssh_eve(tells_json *j, const void *rec) {
  const ssh_state *s = rec;
  tells_json_key(j, "ssh");
  tells_json_obj(j);
  side_json(j, "client", &s->side[0]);
  side_json(j, "server", &s->side[1]);
  tells_json_obj_end(j);
}

static void ssh_indicators(const void *rec, tells_app_ind_fn fn, void *ud) {
  const ssh_state *s = rec;
  if (s->side[0].seen && s->side[0].software[0])
    fn(ud, "ssh_client", s->side[0].software, "SSH client software");
  if (s->side[1].seen && s->side[1].software[0])
    fn(ud, "ssh_server", s->side[1].software, "SSH server software");
}

const tells_app_parser tells_app_ssh = {
  "ssh", "ssh", 22, 1, 0, sizeof(ssh_state), 4096,
  ssh_probe, ssh_parse, NULL, ssh_end, NULL, ssh_eve, ssh_indicators,
};
