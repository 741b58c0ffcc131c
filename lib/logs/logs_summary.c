/*
** logs_summary.c -- intrusion summaries from Windows event logs: the intake
** side.  Each record of interest updates one group (found by a lowercased
** identity key in one hash table); failed logons also feed the per-account
** and per-source failure trackers, script block parts are kept by number,
** and deletion and failure times are kept for the window checks that
** logs_summary_out.c runs at the end.  See logs_summary.h.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "logs_summary_int.h"

#define LSUM_KEY_MAX (LSUM_NF * (LSUM_FIELD_MAX + 1) + 32)

/* Slots of f[] per type (the leading ones form the key, see callers). */
enum { F_L_OUTCOME, F_L_ACCOUNT, F_L_TYPE, F_L_IP, F_L_WS, F_L_HOST, F_L_STATUS, F_L_AUTH };
enum { F_S_NAME, F_S_IMAGE, F_S_HOST, F_S_ACCOUNT, F_S_START, F_S_TYPE, F_S_BY };
enum { F_T_ACTION, F_T_NAME, F_T_HOST, F_T_COMMAND, F_T_USER };
enum { F_C_CHANNEL, F_C_HOST, F_C_USER, F_C_BACKUP };
enum { F_A_ACTION, F_A_TARGET, F_A_GROUP, F_A_MEMBER, F_A_BY, F_A_HOST };
enum { F_R_USER, F_R_IP, F_R_HOST };
enum { F_P_ID, F_P_HOST, F_P_PATH };
enum { F_D_IMAGE, F_D_HOST, F_D_USER, F_D_SAMPLE };

static const tells_lsum_caps DEFAULTS = {10000, 1u << 20, 64u << 20, 100000, 1u << 20, 64u << 20};

tells_err tells_lsum_create(const tells_lsum_caps *caps, tells_lsum **out) {
  tells_lsum *s = tells_calloc(1, sizeof *s);
  *out = NULL;
  if (!s) return TELLS_ENOMEM;
  s->caps = DEFAULTS;
  if (caps) {
    if (caps->groups) s->caps.groups = caps->groups;
    if (caps->script_bytes) s->caps.script_bytes = caps->script_bytes;
    if (caps->script_total) s->caps.script_total = caps->script_total;
    if (caps->script_parts) s->caps.script_parts = caps->script_parts;
    if (caps->times) s->caps.times = caps->times;
    if (caps->strings) s->caps.strings = caps->strings;
  }
  tells_arena_init(&s->a, s->caps.strings);
  *out = s;
  return TELLS_OK;
}

static void script_free(tells__lsum_script *sb) {
  uint32_t i;
  if (!sb) return;
  for (i = 0; i < sb->n; i++) tells_free(sb->p[i].text);
  tells_free(sb->p);
  tells_free(sb->seen);
  tells_free(sb);
}

void tells_lsum_destroy(tells_lsum *s) {
  size_t i;
  if (!s) return;
  for (i = 0; i < s->n; i++) {
    tells_free(s->g[i].times.t);
    script_free(s->g[i].sb);
  }
  tells_free(s->g);
  tells_free(s->h);
  tells_arena_free(&s->a);
  tells_free(s);
}

void tells_lsum_set_indicator_fn(tells_lsum *s, tells_lsum_indicator_fn fn, void *ud) {
  s->ind = fn; s->ind_ud = ud;
}

const tells_lsum_stats *tells_lsum_stats_get(const tells_lsum *s) { return &s->st; }

tells_err tells_lsum_file(tells_lsum *s, const char *evidence) {
  if (!evidence) { s->evidence = NULL; return TELLS_OK; }
  if (s->evidence && strcmp(s->evidence, evidence) == 0) return TELLS_OK;
  s->evidence = tells_arena_strndup(&s->a, evidence, strlen(evidence));
  return TELLS_OK;   /* without room the groups simply name no file */
}

/* ---- small helpers ------------------------------------------------------ */

static const char *fld(const tells_evtx_event *ev, const char *name) {
  const char *v = tells_evtx_event_field(ev, name);
  return v && *v && strcmp(v, "-") != 0 ? v : NULL;
}

static int chan(const tells_evtx_event *ev, const char *c) {
  return ev->channel && ev->channel[0] == c[0] && strcmp(ev->channel, c) == 0;
}

/* Length of at most LSUM_FIELD_MAX bytes of v, not splitting a UTF-8
** sequence. */
static size_t cut(const char *v) {
  size_t n = strlen(v);
  if (n <= LSUM_FIELD_MAX) return n;
  n = LSUM_FIELD_MAX;
  while (n && ((unsigned char)v[n] & 0xC0) == 0x80) n--;
  return n;
}

/* "DOMAIN\user", or "user" without a domain; NULL without a user. */
static const char *acct(char *buf, size_t n, const char *dom, const char *user) {
  if (!user) return NULL;
  if (dom) snprintf(buf, n, "%s\\%s", dom, user);
  else snprintf(buf, n, "%s", user);
  return buf;
}

/* An IPv4-mapped IPv6 address as its IPv4 form. */
static const char *ip_of(const char *ip) {
  if (ip && strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.')) return ip + 7;
  return ip;
}

/* Worth an indicator: not loopback or unspecified. */
static int useful_ip(const char *ip) {
  return ip && strcmp(ip, "127.0.0.1") != 0 && strcmp(ip, "::1") != 0 &&
         strcmp(ip, "0.0.0.0") != 0 && strcmp(ip, "::") != 0 && strchr(ip, ' ') == NULL &&
         strcmp(ip, "LOCAL") != 0;
}

static void ind(tells_lsum *s, const char *type, const char *v, int64_t t, const char *ctx,
                int64_t off) {
  if (s->ind && v && *v) s->ind(s->ind_ud, type, v, t, ctx, off);
}

/* Accounts as indicators, machine accounts (NAME$) left out. */
static void ind_account(tells_lsum *s, const char *a, int64_t t, const char *ctx, int64_t off) {
  size_t n = a ? strlen(a) : 0;
  if (n && a[n - 1] != '$') ind(s, "account", a, t, ctx, off);
}

static uint32_t hkey(const char *k, size_t n) {
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
  return h;
}

static int table_grow(tells_lsum *s) {
  size_t nc = s->hcap ? s->hcap * 2 : 256, i;
  uint32_t *nh = tells_calloc(nc, sizeof *nh);
  if (!nh) return -1;
  for (i = 0; i < s->n; i++) {
    size_t q = hkey(s->g[i].key, strlen(s->g[i].key)) & (nc - 1);
    while (nh[q]) q = (q + 1) & (nc - 1);
    nh[q] = (uint32_t)i + 1;
  }
  tells_free(s->h);
  s->h = nh; s->hcap = nc;
  return 0;
}

static void upd_time(tells__lsum_grp *g, int64_t t) {
  if (t == INT64_MIN) return;
  if (g->first == INT64_MIN || t < g->first) g->first = t;
  if (g->last == INT64_MIN || t > g->last) g->last = t;
}

/* Finds or makes the group of `type` whose identity is (eid if eid_key,
** v[0..nkey)), counts the record in it, fills its empty slots from v.
** Returns NULL when the group is new and a cap is reached (counted as
** dropped), or on ENOMEM (*err set).  The pointer is valid until the next
** call. */
static tells__lsum_grp *grp_get(tells_lsum *s, int type, uint32_t eid, int eid_key,
                                const char *const v[LSUM_NF], int nkey, int64_t t,
                                int64_t off, uint64_t record, tells_err *err) {
  char key[LSUM_KEY_MAX];
  size_t kn = 0, j;
  int i, pub = type < TELLS_LSUM_NTYPES ? type : TELLS_LSUM_LOGON_BURST;
  tells__lsum_grp *g;
  kn = (size_t)snprintf(key, sizeof key, "%d/%u", type, eid_key ? eid : 0);
  for (i = 0; i < nkey; i++) {
    size_t n = v[i] ? cut(v[i]) : 0, q;
    key[kn++] = '\x1f';
    for (q = 0; q < n; q++) {
      char c = v[i][q];
      key[kn++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
  }
  key[kn] = 0;
  if (s->hcap) {
    j = hkey(key, kn) & (s->hcap - 1);
    while (s->h[j]) {
      g = &s->g[s->h[j] - 1];
      if (strcmp(g->key, key) == 0) {
        g->count++;
        upd_time(g, t);
        for (i = nkey; i < LSUM_NF; i++)
          if (!g->f[i] && v[i]) g->f[i] = tells_arena_strndup(&s->a, v[i], cut(v[i]));
        return g;
      }
      j = (j + 1) & (s->hcap - 1);
    }
  }
  if (s->per_type[type] >= s->caps.groups) { s->st.dropped[pub]++; return NULL; }
  if ((s->n + 1) * 2 > s->hcap && table_grow(s)) { *err = TELLS_ENOMEM; return NULL; }
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 64;
    tells__lsum_grp *ng = tells_realloc(s->g, nc * sizeof *ng);
    if (!ng) { *err = TELLS_ENOMEM; return NULL; }
    s->g = ng; s->cap = nc;
  }
  g = &s->g[s->n];
  memset(g, 0, sizeof *g);
  g->key = tells_arena_strndup(&s->a, key, kn);
  if (!g->key) { s->st.dropped[pub]++; return NULL; }   /* string cap */
  for (i = 0; i < LSUM_NF; i++)
    if (v[i]) g->f[i] = tells_arena_strndup(&s->a, v[i], cut(v[i]));
  g->type = type; g->eid = eid;
  g->count = 1;
  g->first = g->last = INT64_MIN;
  upd_time(g, t);
  g->evidence = s->evidence;
  g->off = off; g->record = (int64_t)record;
  j = hkey(key, kn) & (s->hcap - 1);
  while (s->h[j]) j = (j + 1) & (s->hcap - 1);
  s->h[j] = (uint32_t)s->n + 1;
  s->n++;
  s->per_type[type]++;
  if (type < TELLS_LSUM_NTYPES) s->st.groups[type]++;
  return g;
}

/* Keeps a timestamp for a window check (shared cap). */
static tells_err times_add(tells_lsum *s, tells__lsum_times *tm, int64_t t) {
  if (t == INT64_MIN) return TELLS_OK;
  if (s->times_used >= s->caps.times) { s->st.times_dropped++; return TELLS_OK; }
  if (tm->n == tm->cap) {
    uint32_t nc = tm->cap ? tm->cap * 2 : 16;
    int64_t *nt = tells_realloc(tm->t, nc * sizeof *nt);
    if (!nt) return TELLS_ENOMEM;
    tm->t = nt; tm->cap = nc;
  }
  tm->t[tm->n++] = t;
  s->times_used++;
  return TELLS_OK;
}

/* Adds v to the distinct partner list f[1..LSUM_DISTINCT] of a tracker;
** c[0] counts them, c[1] is 1 when more were met than listed. */
static void distinct(tells_lsum *s, tells__lsum_grp *g, const char *v) {
  uint32_t i;
  if (!v) return;
  for (i = 1; i <= LSUM_DISTINCT && g->f[i]; i++)
    if (strcmp(g->f[i], v) == 0) return;
  if (i > LSUM_DISTINCT) { g->c[1] = 1; return; }
  g->f[i] = tells_arena_strndup(&s->a, v, cut(v));
  if (g->f[i]) g->c[0]++;
}

/* ---- logons --------------------------------------------------------------- */

/* A failed logon feeds the account and source trackers. */
static tells_err failure(tells_lsum *s, const char *user, const char *src, int64_t t,
                         int64_t off, uint64_t rec) {
  const char *v[LSUM_NF] = {0};
  tells__lsum_grp *g;
  tells_err e = TELLS_OK;
  if (user) {
    v[0] = user;
    if ((g = grp_get(s, LSUM_T_FAIL_ACCT, 0, 0, v, 1, t, off, rec, &e))) {
      distinct(s, g, src);
      if ((e = times_add(s, &g->times, t))) return e;
    }
    if (e) return e;
  }
  if (src) {
    v[0] = src;
    if ((g = grp_get(s, LSUM_T_FAIL_SRC, 0, 0, v, 1, t, off, rec, &e))) {
      distinct(s, g, user);
      if ((e = times_add(s, &g->times, t))) return e;
    }
  }
  return e;
}

static tells_err rdp(tells_lsum *s, const tells_evtx_event *ev, const char *user,
                     const char *ip, int counter, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  tells__lsum_grp *g;
  tells_err e = TELLS_OK;
  v[F_R_USER] = user; v[F_R_IP] = ip; v[F_R_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  if ((g = grp_get(s, TELLS_LSUM_RDP_SESSION, ev->event_id, 0, v, 3, t, off, ev->record_id, &e)))
    g->c[counter]++;
  ind_account(s, user, t, "rdp", off);
  if (ip && useful_ip(ip)) ind(s, "ip", ip, t, "rdp", off);
  return e;
}

static tells_err logon(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  char a[600];
  tells_err e = TELLS_OK;
  uint32_t id = ev->event_id;
  int ok = id == 4624;
  const char *ip = ip_of(fld(ev, "IpAddress")), *ws, *user = fld(ev, "TargetUserName");
  const char *ctx = ok ? "logon.success" : "logon.failure";
  if (id == 4776) {
    const char *st = fld(ev, "Status");
    if (!st || strcmp(st, "0x0") == 0) return TELLS_OK;   /* validated */
    ws = fld(ev, "Workstation");
    v[F_L_STATUS] = st;
    v[F_L_AUTH] = fld(ev, "PackageName");
  } else if (id == 4771) {
    ws = NULL;
    v[F_L_STATUS] = fld(ev, "Status");
    v[F_L_AUTH] = "Kerberos";
  } else {
    const char *sub = fld(ev, "SubStatus");
    ws = fld(ev, "WorkstationName");
    v[F_L_TYPE] = fld(ev, "LogonType");
    v[F_L_STATUS] = ok ? NULL : sub && strcmp(sub, "0x0") != 0 ? sub : fld(ev, "Status");
    v[F_L_AUTH] = fld(ev, "AuthenticationPackageName");
  }
  v[F_L_OUTCOME] = ok ? "success" : "failure";
  v[F_L_ACCOUNT] = acct(a, sizeof a, id == 4771 || id == 4776 ? NULL : fld(ev, "TargetDomainName"), user);
  v[F_L_IP] = ip; v[F_L_WS] = ws;
  v[F_L_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  (void)grp_get(s, TELLS_LSUM_LOGON, id, 1, v, 6, t, off, ev->record_id, &e);
  if (e) return e;
  ind_account(s, v[F_L_ACCOUNT], t, ctx, off);
  if (useful_ip(ip)) ind(s, "ip", ip, t, ctx, off);
  if (ws) ind(s, "host", ws, t, ctx, off);
  if (!ok && (e = failure(s, user, useful_ip(ip) ? ip : ws, t, off, ev->record_id))) return e;
  if ((id == 4624 || id == 4625) && v[F_L_TYPE] && strcmp(v[F_L_TYPE], "10") == 0)
    e = rdp(s, ev, v[F_L_ACCOUNT], ip, ok ? 0 : 1, t, off);
  return e;
}

/* ---- services, tasks, clears, accounts ------------------------------------ */

static tells_err service(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  char by[600];
  tells_err e = TELLS_OK;
  tells__lsum_grp *g;
  int sec = ev->event_id == 4697;
  v[F_S_NAME] = fld(ev, "ServiceName");
  v[F_S_IMAGE] = fld(ev, sec ? "ServiceFileName" : "ImagePath");
  v[F_S_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  v[F_S_ACCOUNT] = fld(ev, sec ? "ServiceAccount" : "AccountName");
  v[F_S_START] = fld(ev, sec ? "ServiceStartType" : "StartType");
  v[F_S_TYPE] = fld(ev, "ServiceType");
  if (sec) v[F_S_BY] = acct(by, sizeof by, fld(ev, "SubjectDomainName"), fld(ev, "SubjectUserName"));
  if ((g = grp_get(s, TELLS_LSUM_SERVICE, ev->event_id, 0, v, 3, t, off, ev->record_id, &e)))
    g->c[sec]++;
  return e;
}

/* Text of the first <tag>...</tag> in xml, XML entities decoded, into out. */
static size_t xml_text(const char *xml, const char *tag, char *out, size_t n) {
  char open[40], close[40];
  const char *p, *q;
  size_t k = 0;
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  if (!xml || !(p = strstr(xml, open))) return 0;
  p += strlen(open);
  if (!(q = strstr(p, close))) return 0;
  while (p < q && k + 1 < n) {
    static const struct { const char *e; char c; } ents[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t i, done = 0;
    if (*p == '&')
      for (i = 0; i < sizeof ents / sizeof ents[0] && !done; i++) {
        size_t l = strlen(ents[i].e);
        if ((size_t)(q - p) >= l && strncmp(p, ents[i].e, l) == 0) {
          out[k++] = ents[i].c; p += l; done = 1;
        }
      }
    if (!done) out[k++] = *p++;
  }
  out[k] = 0;
  return k;
}

/* The command of a task definition: Exec Command and Arguments, or the
** COM handler's class id. */
static const char *task_command(const char *xml, char *out, size_t n) {
  size_t k;
  if (!xml) return NULL;
  k = xml_text(xml, "Command", out, n);
  if (k) {
    if (k + 2 < n && xml_text(xml, "Arguments", out + k + 1, n - k - 1)) out[k] = ' ';
    return out;
  }
  if (xml_text(xml, "ClassId", out, n)) return out;
  return NULL;
}

static tells_err task(tells_lsum *s, const tells_evtx_event *ev, int sec, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  char user[600], cmd[LSUM_FIELD_MAX];
  tells_err e = TELLS_OK;
  uint32_t id = ev->event_id;
  if (sec) {
    v[F_T_ACTION] = id == 4698 ? "created" : id == 4699 ? "deleted" : "updated";
    v[F_T_COMMAND] = task_command(fld(ev, id == 4702 ? "TaskContentNew" : "TaskContent"), cmd, sizeof cmd);
    v[F_T_USER] = acct(user, sizeof user, fld(ev, "SubjectDomainName"), fld(ev, "SubjectUserName"));
  } else {
    v[F_T_ACTION] = id == 106 ? "registered" : id == 140 ? "updated" : id == 141 ? "deleted" : "action_started";
    v[F_T_COMMAND] = id == 200 ? fld(ev, "ActionName") : NULL;
    v[F_T_USER] = fld(ev, id == 106 ? "UserContext" : "UserName");
  }
  v[F_T_NAME] = fld(ev, "TaskName");
  v[F_T_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  (void)grp_get(s, TELLS_LSUM_TASK, id, 1, v, 3, t, off, ev->record_id, &e);
  return e;
}

static tells_err log_clear(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  char user[600];
  tells_err e = TELLS_OK;
  v[F_C_CHANNEL] = ev->event_id == 1102 ? "Security" : fld(ev, "Channel");
  v[F_C_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  v[F_C_USER] = acct(user, sizeof user, fld(ev, "SubjectDomainName"), fld(ev, "SubjectUserName"));
  v[F_C_BACKUP] = fld(ev, "BackupPath");
  (void)grp_get(s, TELLS_LSUM_LOG_CLEAR, ev->event_id, 1, v, 3, t, off, ev->record_id, &e);
  return e;
}

static const char *account_action(uint32_t id) {
  switch (id) {
  case 4720: return "created";
  case 4722: return "enabled";
  case 4723: return "password_change";
  case 4724: return "password_reset";
  case 4725: return "disabled";
  case 4726: return "deleted";
  case 4738: return "changed";
  case 4767: return "unlocked";
  case 4728: return "added_to_global_group";
  case 4729: return "removed_from_global_group";
  case 4732: return "added_to_local_group";
  case 4733: return "removed_from_local_group";
  case 4756: return "added_to_universal_group";
  case 4757: return "removed_from_universal_group";
  }
  return NULL;
}

static tells_err account_change(tells_lsum *s, const tells_evtx_event *ev, int64_t t,
                                int64_t off) {
  const char *v[LSUM_NF] = {0};
  char tgt[600], by[600];
  tells_err e = TELLS_OK;
  uint32_t id = ev->event_id;
  int grp = id == 4728 || id == 4729 || id == 4732 || id == 4733 || id == 4756 || id == 4757;
  v[F_A_ACTION] = account_action(id);
  acct(tgt, sizeof tgt, fld(ev, "TargetDomainName"), fld(ev, "TargetUserName"));
  if (grp) {
    v[F_A_GROUP] = fld(ev, "TargetUserName") ? tgt : NULL;
    v[F_A_MEMBER] = fld(ev, "MemberName") ? fld(ev, "MemberName") : fld(ev, "MemberSid");
    v[F_A_TARGET] = v[F_A_MEMBER];
  } else {
    v[F_A_TARGET] = fld(ev, "TargetUserName") ? tgt : fld(ev, "TargetSid");
  }
  v[F_A_BY] = acct(by, sizeof by, fld(ev, "SubjectDomainName"), fld(ev, "SubjectUserName"));
  v[F_A_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  (void)grp_get(s, TELLS_LSUM_ACCOUNT_CHANGE, id, 1, v, 6, t, off, ev->record_id, &e);
  return e;
}

/* ---- script blocks, deletions --------------------------------------------- */

static uint32_t num_of(const char *v) {
  char *end;
  unsigned long n;
  if (!v || *v < '0' || *v > '9') return 0;
  n = strtoul(v, &end, 10);
  return *end || n > UINT32_MAX ? 0 : (uint32_t)n;
}

static tells_err script(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  const char *text = tells_evtx_event_field(ev, "ScriptBlockText");
  uint32_t num = num_of(fld(ev, "MessageNumber")), total = num_of(fld(ev, "MessageTotal"));
  tells__lsum_script *sb;
  tells__lsum_grp *g;
  tells_err e = TELLS_OK;
  size_t len, room;
  v[F_P_ID] = fld(ev, "ScriptBlockId");
  v[F_P_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  v[F_P_PATH] = fld(ev, "Path");
  if (!v[F_P_ID]) return TELLS_OK;
  if (!(g = grp_get(s, TELLS_LSUM_SCRIPT_BLOCK, ev->event_id, 0, v, 2, t, off, ev->record_id, &e)))
    return e;
  if (!g->sb) {
    if (!total || total > s->caps.script_parts) { s->st.script_parts_bad++; return TELLS_OK; }
    if (!(g->sb = tells_calloc(1, sizeof *g->sb))) return TELLS_ENOMEM;
    g->sb->total = total;
    if (!(g->sb->seen = tells_calloc((total + 7) / 8, 1))) return TELLS_ENOMEM;
  }
  sb = g->sb;
  if (total != sb->total || num < 1 || num > sb->total) { s->st.script_parts_bad++; return TELLS_OK; }
  if (sb->seen[(num - 1) / 8] & (1u << ((num - 1) % 8))) { sb->dups++; return TELLS_OK; }
  sb->seen[(num - 1) / 8] |= (uint8_t)(1u << ((num - 1) % 8));
  if (sb->n == sb->cap) {
    uint32_t nc = sb->cap ? sb->cap * 2 : 4;
    tells__lsum_part *np = tells_realloc(sb->p, nc * sizeof *np);
    if (!np) return TELLS_ENOMEM;
    sb->p = np; sb->cap = nc;
  }
  len = text ? strlen(text) : 0;
  room = s->caps.script_bytes - sb->bytes;
  if (s->caps.script_total - s->script_used < room) room = s->caps.script_total - s->script_used;
  if (len > room) {
    s->st.script_bytes_dropped += len - room;
    sb->truncated = 1;
    len = room;
  }
  sb->p[sb->n].num = num;
  sb->p[sb->n].len = (uint32_t)len;
  sb->p[sb->n].text = NULL;
  if (len) {
    if (!(sb->p[sb->n].text = tells_malloc(len))) return TELLS_ENOMEM;
    memcpy(sb->p[sb->n].text, text, len);
  }
  sb->n++;
  sb->bytes += len;
  s->script_used += len;
  return TELLS_OK;
}

static tells_err deletion(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  const char *v[LSUM_NF] = {0};
  const char *target = fld(ev, "TargetFilename");
  tells__lsum_grp *g;
  tells_err e = TELLS_OK;
  int i;
  v[F_D_IMAGE] = fld(ev, "Image");
  v[F_D_HOST] = ev->computer && *ev->computer ? ev->computer : NULL;
  v[F_D_USER] = fld(ev, "User");
  if (!(g = grp_get(s, TELLS_LSUM_MASS_DELETION, ev->event_id, 0, v, 2, t, off, ev->record_id, &e)))
    return e;
  g->c[ev->event_id == 26]++;
  for (i = F_D_SAMPLE; i < LSUM_NF && target; i++) {
    if (g->f[i] && strcmp(g->f[i], target) == 0) break;
    if (!g->f[i]) { g->f[i] = tells_arena_strndup(&s->a, target, cut(target)); break; }
  }
  return times_add(s, &g->times, t);
}

/* ---- dispatch ------------------------------------------------------------- */

tells_err tells_lsum_add(tells_lsum *s, const tells_evtx_event *ev, int64_t t, int64_t off) {
  uint32_t id = ev->event_id;
  const char *prov = ev->provider ? ev->provider : "";
  s->st.records++;
  if (chan(ev, "Security")) {
    switch (id) {
    case 4624: case 4625: case 4771: case 4776: s->st.used++; return logon(s, ev, t, off);
    case 4697: s->st.used++; return service(s, ev, t, off);
    case 4698: case 4699: case 4702: s->st.used++; return task(s, ev, 1, t, off);
    case 1102:
      if (strcmp(prov, "Microsoft-Windows-Eventlog") != 0) return TELLS_OK;
      s->st.used++;
      return log_clear(s, ev, t, off);
    default:
      if (!account_action(id)) return TELLS_OK;
      s->st.used++;
      return account_change(s, ev, t, off);
    }
  }
  if (chan(ev, "System")) {
    if (id == 7045 && strcmp(prov, "Service Control Manager") == 0) {
      s->st.used++; return service(s, ev, t, off);
    }
    if (id == 104 && strcmp(prov, "Microsoft-Windows-Eventlog") == 0) {
      s->st.used++; return log_clear(s, ev, t, off);
    }
    return TELLS_OK;
  }
  /* the other channels' events are told by EventID first (one compare
  ** instead of a string compare per channel for every event) */
  switch (id) {
  case 106: case 140: case 141: case 200:
    if (!chan(ev, "Microsoft-Windows-TaskScheduler/Operational")) return TELLS_OK;
    s->st.used++;
    return task(s, ev, 0, t, off);
  case 1149: {
    char a[600];
    if (!chan(ev, "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"))
      return TELLS_OK;
    s->st.used++;
    return rdp(s, ev, acct(a, sizeof a, fld(ev, "Param2"), fld(ev, "Param1")),
               ip_of(fld(ev, "Param3")), 2, t, off);
  }
  case 21: case 22: case 24: case 25:
    if (!chan(ev, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"))
      return TELLS_OK;
    s->st.used++;
    return rdp(s, ev, fld(ev, "User"), ip_of(fld(ev, "Address")),
               id == 21 ? 3 : id == 22 ? 4 : id == 24 ? 5 : 6, t, off);
  case 4104:
    if (!chan(ev, "Microsoft-Windows-PowerShell/Operational") &&
        !chan(ev, "PowerShellCore/Operational"))
      return TELLS_OK;
    s->st.used++;
    return script(s, ev, t, off);
  case 23: case 26:
    if (!chan(ev, "Microsoft-Windows-Sysmon/Operational")) return TELLS_OK;
    s->st.used++;
    return deletion(s, ev, t, off);
  default:
    break;
  }
  return TELLS_OK;
}
