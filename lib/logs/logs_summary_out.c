/*
** logs_summary_out.c -- intrusion summaries from Windows event logs: the
** output side.  Completes each group (failure bursts and deletion windows
** over sorted times, script blocks reassembled by part number and hashed)
** and renders it as one JSON object (docs/logs-json.md), one sentence for a
** timeline, and, for brute force, cleared logs, new services and wipers,
** the facts of a finding.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "hash.h"
#include "json.h"
#include "logs_summary_int.h"

#define TEXT_MAX 1200
#define MISSING_LISTED 16

static const char *const NAMES[TELLS_LSUM_NTYPES] = {
  "logon", "logon_burst", "service", "task", "log_clear", "account_change",
  "rdp_session", "script_block", "mass_deletion"};

/* "2019-03-19T23:34:25.123456Z" */
static const char *iso(int64_t ns, char out[40]) {
  int64_t sec = ns / 1000000000, frac = ns % 1000000000;
  time_t tt;
  struct tm tm;
  char d[32];
  if (frac < 0) { frac += 1000000000; sec--; }
  tt = (time_t)sec;
  if (ns == INT64_MIN || !gmtime_r(&tt, &tm) || !strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm))
    return NULL;
  snprintf(out, 40, "%s.%06dZ", d, (int)(frac / 1000));
  return out;
}

static void ktime(tells_json *j, const char *k, int64_t ns) {
  char b[40];
  tells_json_key(j, k);
  tells_json_str(j, ns == INT64_MIN ? NULL : iso(ns, b));
}

/* A value written as a number when it is one (LogonType "3"), else text. */
static void knum(tells_json *j, const char *k, const char *v) {
  char *end;
  unsigned long n;
  tells_json_key(j, k);
  if (!v) { tells_json_null(j); return; }
  n = strtoul(v, &end, 10);
  if (*v >= '0' && *v <= '9' && !*end && end - v < 10) tells_json_u64(j, n);
  else tells_json_str(j, v);
}

static void tail(tells_json *j, const tells__lsum_grp *g) {
  tells_json_ku64(j, "count", g->count);
  ktime(j, "first", g->first);
  ktime(j, "last", g->last);
  tells_json_kstr(j, "evidence", g->evidence);
  tells_json_ki64(j, "offset", g->off);
  tells_json_ki64(j, "record_id", g->record);
}

static const char *or_q(const char *s) { return s ? s : "?"; }

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Most times within any span of `w` ns, and where that span starts and
** ends.  Sorts the times. */
static uint64_t window(tells__lsum_times *tm, int64_t w, int64_t *ws, int64_t *we) {
  uint32_t i = 0, k;
  uint64_t best = 0;
  *ws = *we = INT64_MIN;
  if (!tm->n) return 0;
  qsort(tm->t, tm->n, sizeof *tm->t, cmp_i64);
  for (k = 0; k < tm->n; k++) {
    /* sorted, so the unsigned difference is exact whatever the times */
    while ((uint64_t)tm->t[k] - (uint64_t)tm->t[i] > (uint64_t)w) i++;
    if (k - i + 1 > best) { best = k - i + 1; *ws = tm->t[i]; *we = tm->t[k]; }
  }
  return best;
}

/* A field lowercased, at most LSUM_FIELD_MAX bytes ("" when absent); a
** service's image is lowercased once for the tests below. */
static void lower_field(const char *s, char low[LSUM_FIELD_MAX + 1]) {
  size_t n;
  for (n = 0; s && s[n] && n < LSUM_FIELD_MAX; n++)
    low[n] = s[n] >= 'A' && s[n] <= 'Z' ? (char)(s[n] + 32) : s[n];
  low[n] = 0;
}

/* Microsoft Defender loads its kernel scanning driver from a definition
** update as a new service (7045, "MpKsl" and 8 hex digits, ".sys", under
** ProgramData\Microsoft\Windows Defender\Definition Updates\{GUID}\)
** on every update: not an attacker's driver.  low: the lowercased image. */
static int defender_update_driver(const char *low) {
  static const char dir[] = "\\programdata\\microsoft\\windows defender\\definition updates\\";
  const char *b = strrchr(low, '\\');
  size_t i;
  if (!strstr(low, dir) || !b || strncmp(b + 1, "mpksl", 5) != 0) return 0;
  for (i = 6; i < 14; i++)
    if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f'))) return 0;
  return strcmp(b + 14, ".sys") == 0;
}

/* Image paths that services of attackers use (PsExec, Metasploit, Cobalt
** Strike, Impacket): shells, script hosts, user-writable folders, shares. */
static int suspicious_image(const char *low) {
  static const char *const pat[] = {
    "cmd.exe", "cmd /c", "%comspec%", "powershell", "pwsh", "mshta", "rundll32", "regsvr32",
    "wscript", "cscript", "\\admin$", "\\c$\\", "\\temp\\", "\\tmp\\", "\\appdata\\",
    "\\users\\public\\", "\\programdata\\", "\\\\127.0.0.1", "psexesvc", "remcom", ".bat",
    ".vbs", ".ps1", " -enc", " -e ", "echo ", "frombase64"};
  size_t i;
  for (i = 0; i < sizeof pat / sizeof pat[0]; i++)
    if (strstr(low, pat[i])) return 1;
  return 0;
}

/* A kernel driver: a service type of a kernel or file-system driver
** (7045 words it, 4697 gives 0x1 or 0x2), or a .sys image (low). */
static int kernel_driver(const char *type, const char *low) {
  char t[LSUM_FIELD_MAX + 1];
  size_t n = strlen(low);
  if (type) {
    lower_field(type, t);
    if (strstr(t, "kernel") || strstr(t, "file system") || !strcmp(t, "1") || !strcmp(t, "2") ||
        !strcmp(t, "0x1") || !strcmp(t, "0x2"))
      return 1;
  }
  while (n && (low[n - 1] == '"' || low[n - 1] == ' ')) n--;
  return n > 4 && !strncmp(low + n - 4, ".sys", 4);
}

/* Where Windows and driver packages put drivers: the Windows folder
** (System32\drivers, the DriverStore, the root, as "\SystemRoot\",
** "%SystemRoot%", "System32\..." relative to it, or "X:\Windows\") and
** Program Files.  A driver loaded from anywhere else -- a user's folder, a
** share, another drive -- is out of place.  low: the lowercased image. */
static int driver_in_system_folder(const char *low) {
  static const char *const pre[] = {"\\systemroot\\", "%systemroot%\\", "%windir%\\", "system32\\",
                                    "syswow64\\", "\\windows\\"};
  const char *p = low;
  size_t i;
  while (*p == '"' || *p == ' ') p++;
  if (!strncmp(p, "\\??\\", 4)) p += 4;
  for (i = 0; i < sizeof pre / sizeof pre[0]; i++)
    if (!strncmp(p, pre[i], strlen(pre[i]))) return 1;
  return p[0] && p[1] == ':' && p[2] == '\\' &&
         (!strncmp(p + 3, "windows\\", 8) || !strncmp(p + 3, "program files", 13));
}

static int cmp_part(const void *a, const void *b) {
  const tells__lsum_part *x = a, *y = b;
  return x->num < y->num ? -1 : x->num > y->num;
}

typedef struct out_ctx {
  tells_lsum *s;
  tells_buf b;
  tells_json j;
  char text[TEXT_MAX];
  tells_lsum_item it;
} out_ctx;

static void begin(out_ctx *o, int type, const tells__lsum_grp *g) {
  tells_buf_reset(&o->b);
  tells_json_init_buf(&o->j, &o->b, 0);
  tells_json_obj(&o->j);
  tells_json_kstr(&o->j, "summary", NAMES[type]);
  memset(&o->it, 0, sizeof o->it);
  o->it.type = (tells_lsum_type)type;
  o->it.name = NAMES[type];
  o->it.first_ns = g->first; o->it.last_ns = g->last;
  o->it.evidence = g->evidence; o->it.offset = g->off; o->it.record = g->record;
  o->text[0] = 0;
}

static void finding(out_ctx *o, const char *rule, const char *title, const char *sev,
                    const char *tech, const char *tactic) {
  o->it.rule = rule; o->it.title = title; o->it.severity = sev;
  o->it.technique = tech; o->it.tactic = tactic;
  tells_json_kstr(&o->j, "technique", tech);
}

/* ---- one renderer per type ------------------------------------------------ */

static void r_logon(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const char *const *f = g->f;
  tells_json_ku64(j, "event_id", g->eid);
  tells_json_kstr(j, "outcome", f[0]);
  tells_json_kstr(j, "account", f[1]);
  knum(j, "logon_type", f[2]);
  tells_json_kstr(j, "source_ip", f[3]);
  tells_json_kstr(j, "source_workstation", f[4]);
  tells_json_kstr(j, "host", f[5]);
  tells_json_kstr(j, "status", f[6]);
  tells_json_kstr(j, "auth_package", f[7]);
  snprintf(o->text, TEXT_MAX, "%llu %s logon%s (event %u, type %s) of %s from %s (%s) on %s",
           (unsigned long long)g->count, f[0], g->count == 1 ? "" : "s", g->eid,
           f[2] ? f[2] : "-", or_q(f[1]), f[3] ? f[3] : "-", f[4] ? f[4] : "-", or_q(f[5]));
}

/* Returns 0 when the tracker holds no burst. */
static int r_burst(out_ctx *o, tells__lsum_grp *g) {
  tells_json *j = &o->j;
  int64_t ws, we;
  uint64_t n = window(&g->times, TELLS_LSUM_BURST_NS, &ws, &we);
  int acct = g->type == LSUM_T_FAIL_ACCT, i;
  if (n < TELLS_LSUM_BURST_MIN) return 0;
  begin(o, TELLS_LSUM_LOGON_BURST, g);
  tells_json_kstr(j, "by", acct ? "account" : "source");
  tells_json_kstr(j, acct ? "account" : "source", g->f[0]);
  tells_json_ku64(j, "failures_in_window", n);
  ktime(j, "window_start", ws);
  ktime(j, "window_end", we);
  tells_json_ku64(j, "window_seconds", (uint64_t)(TELLS_LSUM_BURST_NS / 1000000000));
  tells_json_key(j, acct ? "sources" : "accounts");
  tells_json_arr(j);
  for (i = 1; i <= LSUM_DISTINCT && g->f[i]; i++) tells_json_str(j, g->f[i]);
  tells_json_arr_end(j);
  tells_json_kbool(j, acct ? "more_sources" : "more_accounts", g->c[1] != 0);
  finding(o, "evtx-brute-force", acct ? "Brute force against one account"
                                      : "Brute force from one source",
          "high", "T1110", "credential-access");
  snprintf(o->text, TEXT_MAX, "%llu failed logons within %d minutes %s %s (%llu failures in all, "
           "%llu%s distinct %s)",
           (unsigned long long)n, (int)(TELLS_LSUM_BURST_NS / 60000000000), acct ? "for account" : "from",
           or_q(g->f[0]), (unsigned long long)g->count, (unsigned long long)g->c[0],
           g->c[1] ? "+" : "",
           acct ? (g->c[0] == 1 && !g->c[1] ? "source" : "sources")
                : (g->c[0] == 1 && !g->c[1] ? "account" : "accounts"));
  return 1;
}

static void r_service(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const char *const *f = g->f;
  char low[LSUM_FIELD_MAX + 1];
  int mp, sus, drv, odd;
  lower_field(f[1], low);
  mp = defender_update_driver(low);
  sus = !mp && suspicious_image(low);
  drv = kernel_driver(f[5], low);
  odd = drv && !mp && f[1] && !driver_in_system_folder(low);
  tells_json_key(j, "event_ids");
  tells_json_arr(j);
  if (g->c[0]) tells_json_u64(j, 7045);
  if (g->c[1]) tells_json_u64(j, 4697);
  tells_json_arr_end(j);
  tells_json_kstr(j, "name", f[0]);
  tells_json_kstr(j, "image_path", f[1]);
  tells_json_kstr(j, "account", f[3]);
  knum(j, "start_type", f[4]);
  knum(j, "service_type", f[5]);
  tells_json_kstr(j, "installed_by", f[6]);
  tells_json_kstr(j, "host", f[2]);
  tells_json_kbool(j, "suspicious_image", sus);
  tells_json_kbool(j, "kernel_driver", drv);
  if (odd) tells_json_kbool(j, "driver_out_of_place", 1);
  if (mp) tells_json_kbool(j, "defender_update", 1);
  finding(o, "evtx-new-service", drv ? "New kernel-driver service installed" : "New service installed",
          sus || odd ? "high" : "low", "T1543.003", "persistence");
  snprintf(o->text, TEXT_MAX, "Service %s installed on %s: %s (account %s)", or_q(f[0]),
           or_q(f[2]), or_q(f[1]), f[3] ? f[3] : "-");
}

static void r_task(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const char *const *f = g->f;
  tells_json_ku64(j, "event_id", g->eid);
  tells_json_kstr(j, "action", f[0]);
  tells_json_kstr(j, "name", f[1]);
  tells_json_kstr(j, "command", f[3]);
  tells_json_kstr(j, "user", f[4]);
  tells_json_kstr(j, "host", f[2]);
  snprintf(o->text, TEXT_MAX, "Scheduled task %s %s on %s by %s: %s", or_q(f[1]), f[0],
           or_q(f[2]), f[4] ? f[4] : "-", f[3] ? f[3] : "-");
}

static void r_clear(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const char *const *f = g->f;
  tells_json_ku64(j, "event_id", g->eid);
  tells_json_kstr(j, "channel", f[0]);
  tells_json_kstr(j, "user", f[2]);
  tells_json_kstr(j, "host", f[1]);
  tells_json_kstr(j, "backup_path", f[3]);
  finding(o, "evtx-log-cleared", "Event log cleared", "high", "T1070.001", "defense-evasion");
  snprintf(o->text, TEXT_MAX, "%s log cleared on %s by %s%s", or_q(f[0]), or_q(f[1]),
           or_q(f[2]), g->count > 1 ? " (several times)" : "");
}

static void r_account(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const char *const *f = g->f;
  tells_json_ku64(j, "event_id", g->eid);
  tells_json_kstr(j, "action", f[0]);
  tells_json_kstr(j, "target", f[1]);
  tells_json_kstr(j, "group", f[2]);
  tells_json_kstr(j, "member", f[3]);
  tells_json_kstr(j, "by", f[4]);
  tells_json_kstr(j, "host", f[5]);
  snprintf(o->text, TEXT_MAX, "Account %s %s%s%s by %s on %s", or_q(f[1]), f[0],
           f[2] ? " " : "", f[2] ? f[2] : "", or_q(f[4]), or_q(f[5]));
}

static void r_rdp(out_ctx *o, const tells__lsum_grp *g) {
  static const char *const ev[] = {"4624", "4625", "1149", "21", "22", "24", "25"};
  tells_json *j = &o->j;
  const char *const *f = g->f;
  int i;
  tells_json_kstr(j, "user", f[0]);
  tells_json_kstr(j, "source_ip", f[1]);
  tells_json_kstr(j, "host", f[2]);
  tells_json_key(j, "events");
  tells_json_obj(j);
  for (i = 0; i < 7; i++) if (g->c[i]) tells_json_ku64(j, ev[i], g->c[i]);
  tells_json_obj_end(j);
  snprintf(o->text, TEXT_MAX, "RDP by %s from %s to %s: %llu %s (%llu %s, %llu failed, "
           "%llu %s)", or_q(f[0]), f[1] ? f[1] : "-", or_q(f[2]),
           (unsigned long long)g->count, g->count == 1 ? "event" : "events",
           (unsigned long long)g->c[0], g->c[0] == 1 ? "logon" : "logons", (unsigned long long)g->c[1],
           (unsigned long long)g->c[2], g->c[2] == 1 ? "authentication" : "authentications");
}

static tells_err r_script(out_ctx *o, const tells__lsum_grp *g) {
  tells_json *j = &o->j;
  const tells__lsum_script *sb = g->sb;
  char *text = NULL, hex[65];
  size_t n = 0;
  uint32_t i, listed = 0;
  tells_json_kstr(j, "script_block_id", g->f[0]);
  tells_json_kstr(j, "path", g->f[2]);
  tells_json_kstr(j, "host", g->f[1]);
  tells_json_ku64(j, "parts_seen", sb ? sb->n : 0);
  tells_json_ku64(j, "parts_total", sb ? sb->total : 0);
  tells_json_kbool(j, "complete", sb && sb->n == sb->total && !sb->truncated);
  tells_json_key(j, "missing_parts");
  tells_json_arr(j);
  for (i = 0; sb && i < sb->total && listed < MISSING_LISTED; i++)
    if (!(sb->seen[i / 8] & (1u << (i % 8)))) { tells_json_u64(j, i + 1); listed++; }
  tells_json_arr_end(j);
  tells_json_ku64(j, "duplicate_parts", sb ? sb->dups : 0);
  tells_json_kbool(j, "truncated", sb && sb->truncated);
  if (sb) {
    qsort(sb->p, sb->n, sizeof *sb->p, cmp_part);
    if (!(text = tells_malloc(sb->bytes + 1))) return TELLS_ENOMEM;
    for (i = 0; i < sb->n; i++) {
      if (sb->p[i].len) memcpy(text + n, sb->p[i].text, sb->p[i].len);
      n += sb->p[i].len;
    }
    text[n] = 0;
  }
  tells_json_ku64(j, "length", n);
  if (tells_sha256_hex(text ? text : "", n, hex) != TELLS_OK) { tells_free(text); return TELLS_ENOMEM; }
  tells_json_kstr(j, "sha256", hex);
  tells_json_key(j, "text");
  tells_json_strn(j, text ? text : "", n);
  snprintf(o->text, TEXT_MAX, "PowerShell script block %s on %s%s%s: %u of %u parts, %zu bytes, "
           "sha256 %s", or_q(g->f[0]), or_q(g->f[1]), g->f[2] ? " from " : "",
           g->f[2] ? g->f[2] : "", sb ? sb->n : 0, sb ? sb->total : 0, n, hex);
  tells_free(text);
  return TELLS_OK;
}

static void r_deletion(out_ctx *o, tells__lsum_grp *g) {
  tells_json *j = &o->j;
  int64_t ws, we;
  uint64_t n = window(&g->times, TELLS_LSUM_WIPE_NS, &ws, &we);
  int wiper = n >= TELLS_LSUM_WIPE_MIN, i;
  tells_json_kstr(j, "image", g->f[0]);
  tells_json_kstr(j, "host", g->f[1]);
  tells_json_kstr(j, "user", g->f[2]);
  tells_json_key(j, "events");
  tells_json_obj(j);
  if (g->c[0]) tells_json_ku64(j, "23", g->c[0]);
  if (g->c[1]) tells_json_ku64(j, "26", g->c[1]);
  tells_json_obj_end(j);
  tells_json_ku64(j, "max_in_window", n);
  ktime(j, "window_start", ws);
  ktime(j, "window_end", we);
  tells_json_ku64(j, "window_seconds", (uint64_t)(TELLS_LSUM_WIPE_NS / 1000000000));
  tells_json_kbool(j, "wiper", wiper);
  tells_json_key(j, "samples");
  tells_json_arr(j);
  for (i = 3; i < LSUM_NF && g->f[i]; i++) tells_json_str(j, g->f[i]);
  tells_json_arr_end(j);
  if (wiper)
    finding(o, "evtx-mass-deletion", "Mass file deletion (wiper signal)", "high", "T1485",
            "impact");
  snprintf(o->text, TEXT_MAX, "%s deleted %llu %s on %s (at most %llu within %d minutes)%s",
           or_q(g->f[0]), (unsigned long long)g->count, g->count == 1 ? "file" : "files",
           or_q(g->f[1]), (unsigned long long)n,
           (int)(TELLS_LSUM_WIPE_NS / 60000000000), wiper ? ": wiper signal" : "");
}

/* ---- iteration ------------------------------------------------------------ */

static int emit(out_ctx *o, const tells__lsum_grp *g, tells_lsum_fn fn, void *ud) {
  tail(&o->j, g);
  tells_json_obj_end(&o->j);
  tells_json_flush(&o->j);
  if (o->b.err) return 0;   /* over the buffer's limit: cannot happen with the caps */
  o->it.json = tells_buf_str(&o->b);
  o->it.json_len = o->b.n;
  o->it.text = o->text;
  return fn(ud, &o->it);
}

tells_err tells_lsum_each(tells_lsum *s, tells_lsum_fn fn, void *ud) {
  out_ctx *o = tells_calloc(1, sizeof *o);
  tells_err e = TELLS_OK;
  size_t i;
  int type, stop = 0;
  if (!o) return TELLS_ENOMEM;
  o->s = s;
  /* a script block escapes to at most 6 bytes per byte (\u00XX) */
  tells_buf_init(&o->b, s->caps.script_bytes * 6 + (1u << 20));
  for (type = 0; type < TELLS_LSUM_NTYPES && !stop && !e; type++) {
    for (i = 0; i < s->n && !stop && !e; i++) {
      tells__lsum_grp *g = &s->g[i];
      if (type == TELLS_LSUM_LOGON_BURST) {
        if (g->type != LSUM_T_FAIL_ACCT && g->type != LSUM_T_FAIL_SRC) continue;
        if (r_burst(o, g)) stop = emit(o, g, fn, ud);
        continue;
      }
      if (g->type != type) continue;
      begin(o, type, g);
      switch (type) {
      case TELLS_LSUM_LOGON: r_logon(o, g); break;
      case TELLS_LSUM_SERVICE: r_service(o, g); break;
      case TELLS_LSUM_TASK: r_task(o, g); break;
      case TELLS_LSUM_LOG_CLEAR: r_clear(o, g); break;
      case TELLS_LSUM_ACCOUNT_CHANGE: r_account(o, g); break;
      case TELLS_LSUM_RDP_SESSION: r_rdp(o, g); break;
      case TELLS_LSUM_SCRIPT_BLOCK: e = r_script(o, g); break;
      case TELLS_LSUM_MASS_DELETION: r_deletion(o, g); break;
      }
      if (!e) stop = emit(o, g, fn, ud);
    }
  }
  tells_buf_free(&o->b);
  tells_free(o);
  return e;
}

void tells_lsum_stats_json(const tells_lsum *s, tells_json *j) {
  int i;
  tells_json_obj(j);
  tells_json_kstr(j, "summary", "totals");
  tells_json_ku64(j, "records", s->st.records);
  tells_json_ku64(j, "summarised", s->st.used);
  tells_json_key(j, "groups");
  tells_json_obj(j);
  for (i = 0; i < TELLS_LSUM_NTYPES; i++)
    if (i != TELLS_LSUM_LOGON_BURST) tells_json_ku64(j, NAMES[i], s->st.groups[i]);
  tells_json_ku64(j, "failure_trackers", s->per_type[LSUM_T_FAIL_ACCT] + s->per_type[LSUM_T_FAIL_SRC]);
  tells_json_obj_end(j);
  tells_json_key(j, "dropped");
  tells_json_obj(j);
  for (i = 0; i < TELLS_LSUM_NTYPES; i++) tells_json_ku64(j, NAMES[i], s->st.dropped[i]);
  tells_json_ku64(j, "times", s->st.times_dropped);
  tells_json_ku64(j, "script_bytes", s->st.script_bytes_dropped);
  tells_json_obj_end(j);
  tells_json_ku64(j, "script_parts_bad", s->st.script_parts_bad);
  tells_json_key(j, "caps");
  tells_json_obj(j);
  tells_json_ku64(j, "groups", s->caps.groups);
  tells_json_ku64(j, "script_bytes", s->caps.script_bytes);
  tells_json_ku64(j, "script_total", s->caps.script_total);
  tells_json_ku64(j, "times", s->caps.times);
  tells_json_ku64(j, "strings", s->caps.strings);
  tells_json_obj_end(j);
  tells_json_obj_end(j);
}
