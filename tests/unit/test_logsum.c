/*
** test_logsum.c -- the intrusion summaries (logs_summary.h) fed with
** synthesised events: every summary type, grouping and out-of-order times,
** brute-force bursts, the wiper threshold, script blocks reassembled out of
** order and incomplete, every cap; and Sigma correlations fed events out of
** time order (sigma_corr.c).
*/
#include <stdarg.h>
#include <stdint.h>
#include "hash.h"
#include "logs_summary.h"
#include "sigma.h"
#include "t.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1600000000) * SEC)   /* 2020-09-13T12:26:40Z */

#define SEC_CH "Security"
#define SYS_CH "System"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_CH "Microsoft-Windows-PowerShell/Operational"
#define AUDIT "Microsoft-Windows-Security-Auditing"
#define EVTLOG "Microsoft-Windows-Eventlog"

typedef struct mkev { tells_evtx_event ev; tells_evtx_field f[16]; } mkev;

/* An event: channel, provider, EventID, computer, then name/value pairs
** ending with NULL. */
static const tells_evtx_event *mk(mkev *m, const char *chan, const char *prov, uint32_t id,
                                  const char *host, ...) {
  va_list ap;
  const char *k;
  memset(m, 0, sizeof *m);
  m->ev.channel = chan; m->ev.provider = prov; m->ev.event_id = id; m->ev.computer = host;
  m->ev.fields = m->f;
  va_start(ap, host);
  while ((k = va_arg(ap, const char *)) && m->ev.n_fields < 16) {
    tells_evtx_field *f = &m->f[m->ev.n_fields++];
    f->name = k; f->value = va_arg(ap, const char *);
    f->name_len = (uint32_t)strlen(f->name); f->value_len = (uint32_t)strlen(f->value);
  }
  va_end(ap);
  return &m->ev;
}

/* Items gathered from tells_lsum_each. */
typedef struct items {
  int n;
  char *json[64];
  tells_lsum_type type[64];
  char tech[64][16];
  char text[64][300];
  char sev[64][12];
} items;

static int on_item(void *ud, const tells_lsum_item *it) {
  items *x = ud;
  if (x->n >= 64) return 1;
  x->json[x->n] = strdup(it->json);
  x->type[x->n] = it->type;
  snprintf(x->tech[x->n], sizeof x->tech[0], "%s", it->technique ? it->technique : "");
  snprintf(x->text[x->n], sizeof x->text[0], "%s", it->text);
  snprintf(x->sev[x->n], sizeof x->sev[0], "%s", it->severity ? it->severity : "");
  x->n++;
  return 0;
}

static void items_free(items *x) {
  int i;
  for (i = 0; i < x->n; i++) free(x->json[i]);
  memset(x, 0, sizeof *x);
}

static int count_type(const items *x, tells_lsum_type t) {
  int i, n = 0;
  for (i = 0; i < x->n; i++) n += x->type[i] == t;
  return n;
}

/* The item of type t whose JSON holds `needle` (NULL: first of the type). */
static int find(const items *x, tells_lsum_type t, const char *needle) {
  int i;
  for (i = 0; i < x->n; i++)
    if (x->type[i] == t && (!needle || strstr(x->json[i], needle))) return i;
  return -1;
}

#define HAS(x, i, s) CHECK((i) >= 0 && strstr((x)->json[i], (s)) != NULL)

typedef struct inds { int n, accounts, ips, hosts; char last_account[100]; } inds;

static void on_ind(void *ud, const char *type, const char *value, int64_t t, const char *ctx,
                   int64_t off) {
  inds *d = ud;
  (void)t; (void)ctx; (void)off;
  d->n++;
  if (!strcmp(type, "account")) { d->accounts++; snprintf(d->last_account, 100, "%s", value); }
  if (!strcmp(type, "ip")) d->ips++;
  if (!strcmp(type, "host")) d->hosts++;
}

static tells_lsum *fresh(const tells_lsum_caps *caps) {
  tells_lsum *s = NULL;
  CHECK_EQ_INT(tells_lsum_create(caps, &s), TELLS_OK);
  if (s) tells_lsum_file(s, "/evidence/a.evtx");
  return s;
}

static void logon(tells_lsum *s, uint32_t id, const char *dom, const char *user,
                  const char *type, const char *ip, const char *ws, int64_t t) {
  mkev m;
  mk(&m, SEC_CH, AUDIT, id, "DC01.corp", "TargetUserName", user, "TargetDomainName", dom,
     "LogonType", type, "IpAddress", ip, "WorkstationName", ws, "SubStatus", "0xc000006a",
     "Status", "0xc000006d", "AuthenticationPackageName", "NTLM", NULL);
  CHECK_EQ_INT(tells_lsum_add(s, &m.ev, t, 4096), TELLS_OK);
}

/* ---- logons ------------------------------------------------------------ */

static void test_logons_grouped(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  inds d;
  int i;
  memset(&x, 0, sizeof x); memset(&d, 0, sizeof d);
  if (!s) return;
  tells_lsum_set_indicator_fn(s, on_ind, &d);
  /* times out of order: the group's first and last are min and max */
  logon(s, 4624, "CORP", "alice", "3", "10.0.0.5", "WS1", T0 + 50 * SEC);
  logon(s, 4624, "corp", "ALICE", "3", "10.0.0.5", "ws1", T0 + 10 * SEC);   /* same, other case */
  logon(s, 4624, "CORP", "alice", "3", "10.0.0.5", "WS1", T0 + 30 * SEC);
  logon(s, 4624, "CORP", "alice", "2", "-", "WS1", T0 + 40 * SEC);           /* other type */
  logon(s, 4624, "CORP", "DC01$", "3", "::ffff:10.0.0.7", "-", T0);          /* machine account */
  logon(s, 4625, "CORP", "bob", "3", "10.0.0.6", "WS2", T0 + 5 * SEC);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_LOGON), 4);
  i = find(&x, TELLS_LSUM_LOGON, "\"logon_type\":3,\"source_ip\":\"10.0.0.5\"");
  HAS(&x, i, "\"account\":\"CORP\\\\alice\"");
  HAS(&x, i, "\"count\":3");
  HAS(&x, i, "\"first\":\"2020-09-13T12:26:50.000000Z\"");
  HAS(&x, i, "\"last\":\"2020-09-13T12:27:30.000000Z\"");
  HAS(&x, i, "\"evidence\":\"/evidence/a.evtx\"");
  HAS(&x, i, "\"outcome\":\"success\"");
  i = find(&x, TELLS_LSUM_LOGON, "DC01$");
  HAS(&x, i, "\"source_ip\":\"10.0.0.7\"");      /* IPv4-mapped address unwrapped */
  HAS(&x, i, "\"source_workstation\":null");
  i = find(&x, TELLS_LSUM_LOGON, "\"outcome\":\"failure\"");
  HAS(&x, i, "\"status\":\"0xc000006a\"");        /* SubStatus before Status */
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_LOGON_BURST), 0);
  /* indicators: accounts but not the machine account; loopback-free IPs */
  CHECK_EQ_INT(d.accounts, 5);
  CHECK_EQ_INT(d.ips, 5);
  CHECK_EQ_INT(d.hosts, 5);
  CHECK_EQ_INT(tells_lsum_stats_get(s)->records, 6);
  items_free(&x);
  tells_lsum_destroy(s);
}

static void test_brute_force(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  mkev m;
  int i, k;
  memset(&x, 0, sizeof x);
  if (!s) return;
  /* 12 failures for "admin" from one address within 2 minutes, fed in
  ** reverse order, plus 3 more an hour later */
  for (k = 11; k >= 0; k--) logon(s, 4625, "CORP", "admin", "3", "203.0.113.9", "KALI", T0 + k * 10 * SEC);
  for (k = 0; k < 3; k++) logon(s, 4625, "CORP", "admin", "3", "203.0.113.9", "KALI", T0 + 3600 * SEC + k * SEC);
  /* 9 failures of "carol" in 5 minutes from another host: below the threshold */
  for (k = 0; k < 9; k++) logon(s, 4625, "CORP", "carol", "3", "10.1.1.1", "PC9", T0 + k * 30 * SEC);
  /* Kerberos and NTLM failures count too; 4776 success does not */
  mk(&m, SEC_CH, AUDIT, 4771, "DC01.corp", "TargetUserName", "admin", "IpAddress", "::ffff:203.0.113.9",
     "Status", "0x18", NULL);
  tells_lsum_add(s, &m.ev, T0 + 115 * SEC, 1);
  mk(&m, SEC_CH, AUDIT, 4776, "DC01.corp", "TargetUserName", "admin", "Workstation", "KALI",
     "Status", "0x0", NULL);
  tells_lsum_add(s, &m.ev, T0 + 116 * SEC, 1);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_LOGON_BURST), 2);   /* by account, by source */
  i = find(&x, TELLS_LSUM_LOGON_BURST, "\"by\":\"account\"");
  HAS(&x, i, "\"account\":\"admin\"");
  HAS(&x, i, "\"failures_in_window\":13");          /* 12 + the 4771 */
  HAS(&x, i, "\"count\":16");                       /* all failures of the account */
  HAS(&x, i, "\"window_start\":\"2020-09-13T12:26:40.000000Z\"");
  HAS(&x, i, "\"sources\":[\"203.0.113.9\"]");
  CHECK(i >= 0 && strcmp(x.tech[i], "T1110") == 0);
  i = find(&x, TELLS_LSUM_LOGON_BURST, "\"by\":\"source\"");
  HAS(&x, i, "\"source\":\"203.0.113.9\"");
  HAS(&x, i, "\"accounts\":[\"admin\"]");
  CHECK_EQ_INT(find(&x, TELLS_LSUM_LOGON_BURST, "carol"), -1);
  CHECK_EQ_INT(find(&x, TELLS_LSUM_LOGON, "\"event_id\":4776"), -1);
  HAS(&x, find(&x, TELLS_LSUM_LOGON, "\"event_id\":4771"), "\"auth_package\":\"Kerberos\"");
  items_free(&x);
  tells_lsum_destroy(s);
}

/* ---- services, tasks, clears, accounts, RDP ------------------------------ */

static void test_services_tasks_clears(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  mkev m;
  int i, k;
  memset(&x, 0, sizeof x);
  if (!s) return;
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "PSEXESVC", "ImagePath",
     "%SystemRoot%\\PSEXESVC.exe", "AccountName", "LocalSystem", "StartType", "demand start", NULL);
  tells_lsum_add(s, &m.ev, T0 + 2 * SEC, 100);
  mk(&m, SEC_CH, AUDIT, 4697, "PC1", "ServiceName", "PSEXESVC", "ServiceFileName",
     "%SystemRoot%\\PSEXESVC.exe", "SubjectUserName", "admin", "SubjectDomainName", "CORP", NULL);
  tells_lsum_add(s, &m.ev, T0 + 1 * SEC, 200);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "Spooler2", "ImagePath",
     "C:\\Windows\\System32\\spoolsv.exe", NULL);
  tells_lsum_add(s, &m.ev, T0, 300);
  /* Defender's scanning driver of a definition update: not suspicious;
  ** the same name outside that folder, or another name in it, still is */
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "MpKsl1bb57ead", "ImagePath",
     "C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\"
     "{972CA50B-64EC-45FC-A57E-68F894ED5B68}\\MpKsl1bb57ead.sys", "ServiceType", "kernel mode driver", NULL);
  tells_lsum_add(s, &m.ev, T0, 302);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "MpKslfake", "ImagePath",
     "C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{1}\\MpKslzz57eadx.sys",
     NULL);
  tells_lsum_add(s, &m.ev, T0, 303);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "MpKsl2", "ImagePath",
     "C:\\ProgramData\\Temp\\MpKsl1bb57ead.sys", NULL);
  tells_lsum_add(s, &m.ev, T0, 304);
  /* kernel drivers: in a system folder (however the path is written) or
  ** Program Files, or out of place -- a user's Desktop, another drive */
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "vmci", "ImagePath",
     "System32\\drivers\\vmci.sys", "ServiceType", "kernel mode driver", NULL);
  tells_lsum_add(s, &m.ev, T0, 305);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "vmtool", "ImagePath",
     "\"C:\\Program Files\\VMware\\vmtool.sys\"", "ServiceType", "kernel mode driver", NULL);
  tells_lsum_add(s, &m.ev, T0, 306);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "mnemosyne", "ImagePath",
     "C:\\Users\\mp\\Desktop/Mnemosyne.sys", "ServiceType", "kernel mode driver", NULL);
  tells_lsum_add(s, &m.ev, T0, 307);
  mk(&m, SEC_CH, AUDIT, 4697, "PC2", "ServiceName", "dskdrv", "ServiceFileName",
     "\\??\\D:\\x\\dskdrv.sys", "ServiceType", "0x1", NULL);
  tells_lsum_add(s, &m.ev, T0, 308);
  mk(&m, SEC_CH, AUDIT, 4697, "PC2", "ServiceName", "usbdrv3", "ServiceFileName",
     "\\??\\C:\\Windows\\System32\\drivers\\usbdrv3.sys", "ServiceType", "0x1", NULL);
  tells_lsum_add(s, &m.ev, T0, 309);
  mk(&m, SYS_CH, "Service Control Manager", 7045, "PC1", "ServiceName", "Updater", "ImagePath",
     "C:\\Users\\mp\\upd.exe", "ServiceType", "user mode service", NULL);
  tells_lsum_add(s, &m.ev, T0, 310);
  mk(&m, SYS_CH, "Some Other Provider", 7045, "PC1", "ServiceName", "x", NULL);   /* not SCM */
  tells_lsum_add(s, &m.ev, T0, 301);
  mk(&m, SEC_CH, AUDIT, 4698, "PC1", "TaskName", "\\Upd", "SubjectUserName", "admin",
     "SubjectDomainName", "CORP", "TaskContent",
     "<Task><Actions Context=\"Author\"><Exec><Command>cmd.exe</Command><Arguments>/c echo a &amp;&amp; "
     "whoami &gt; C:\\t.txt</Arguments></Exec></Actions></Task>", NULL);
  tells_lsum_add(s, &m.ev, T0, 400);
  mk(&m, "Microsoft-Windows-TaskScheduler/Operational", "Microsoft-Windows-TaskScheduler", 200,
     "PC1", "TaskName", "\\Upd", "ActionName", "C:\\Windows\\System32\\cmd.exe", NULL);
  tells_lsum_add(s, &m.ev, T0 + SEC, 401);
  mk(&m, SEC_CH, EVTLOG, 1102, "PC1", "SubjectUserName", "admin", "SubjectDomainName", "CORP", NULL);
  tells_lsum_add(s, &m.ev, T0 + 9 * SEC, 500);
  mk(&m, SEC_CH, "Not-Eventlog", 1102, "PC1", NULL);    /* 1102 of another provider */
  tells_lsum_add(s, &m.ev, T0, 501);
  mk(&m, SYS_CH, EVTLOG, 104, "PC1", "SubjectUserName", "admin", "SubjectDomainName", "CORP",
     "Channel", "Windows PowerShell", NULL);
  tells_lsum_add(s, &m.ev, T0 + 8 * SEC, 502);
  mk(&m, SEC_CH, AUDIT, 4720, "DC1", "TargetUserName", "backdoor", "TargetDomainName", "CORP",
     "SubjectUserName", "admin", "SubjectDomainName", "CORP", NULL);
  tells_lsum_add(s, &m.ev, T0, 600);
  mk(&m, SEC_CH, AUDIT, 4732, "DC1", "TargetUserName", "Administrators", "TargetDomainName", "Builtin",
     "MemberName", "-", "MemberSid", "S-1-5-21-1-2-3-1105", "SubjectUserName", "admin",
     "SubjectDomainName", "CORP", NULL);
  tells_lsum_add(s, &m.ev, T0, 601);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_SERVICE), 11);
  i = find(&x, TELLS_LSUM_SERVICE, "\"name\":\"MpKsl1bb57ead\"");
  HAS(&x, i, "\"suspicious_image\":false");
  HAS(&x, i, "\"defender_update\":true");
  HAS(&x, i, "\"kernel_driver\":true");
  CHECK(i >= 0 && !strstr(x.json[i], "driver_out_of_place") && !strcmp(x.sev[i], "low"));
  for (k = 0; k < 3; k++) {           /* drivers where Windows and packages put them */
    static const char *const n[] = {"\"name\":\"vmci\"", "\"name\":\"vmtool\"", "\"name\":\"usbdrv3\""};
    i = find(&x, TELLS_LSUM_SERVICE, n[k]);
    HAS(&x, i, "\"kernel_driver\":true");
    CHECK(i >= 0 && !strstr(x.json[i], "driver_out_of_place") && !strcmp(x.sev[i], "low"));
    CHECK(i >= 0 && strstr(x.text[i], "installed on") != NULL);
  }
  for (k = 0; k < 2; k++) {           /* and out of place: high */
    i = find(&x, TELLS_LSUM_SERVICE, k ? "\"name\":\"dskdrv\"" : "\"name\":\"mnemosyne\"");
    HAS(&x, i, "\"kernel_driver\":true");
    HAS(&x, i, "\"driver_out_of_place\":true");
    CHECK(i >= 0 && !strcmp(x.sev[i], "high"));
  }
  i = find(&x, TELLS_LSUM_SERVICE, "\"name\":\"Updater\"");
  HAS(&x, i, "\"kernel_driver\":false");
  CHECK(i >= 0 && !strstr(x.json[i], "driver_out_of_place"));
  i = find(&x, TELLS_LSUM_SERVICE, "\"name\":\"MpKslfake\"");
  HAS(&x, i, "\"suspicious_image\":true");
  CHECK(i >= 0 && !strstr(x.json[i], "defender_update"));
  HAS(&x, find(&x, TELLS_LSUM_SERVICE, "\"name\":\"MpKsl2\""), "\"suspicious_image\":true");
  i = find(&x, TELLS_LSUM_SERVICE, "PSEXESVC");
  HAS(&x, i, "\"event_ids\":[7045,4697]");
  HAS(&x, i, "\"count\":2");
  HAS(&x, i, "\"installed_by\":\"CORP\\\\admin\"");
  HAS(&x, i, "\"account\":\"LocalSystem\"");
  HAS(&x, i, "\"suspicious_image\":true");
  HAS(&x, i, "\"first\":\"2020-09-13T12:26:41.000000Z\"");
  CHECK(i >= 0 && strcmp(x.tech[i], "T1543.003") == 0);
  HAS(&x, find(&x, TELLS_LSUM_SERVICE, "Spooler2"), "\"suspicious_image\":false");
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_TASK), 2);
  HAS(&x, find(&x, TELLS_LSUM_TASK, "\"action\":\"created\""),
      "\"command\":\"cmd.exe /c echo a && whoami > C:\\\\t.txt\"");
  HAS(&x, find(&x, TELLS_LSUM_TASK, "\"action\":\"action_started\""),
      "\"command\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\"");
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_LOG_CLEAR), 2);
  HAS(&x, find(&x, TELLS_LSUM_LOG_CLEAR, "\"event_id\":1102"), "\"user\":\"CORP\\\\admin\"");
  i = find(&x, TELLS_LSUM_LOG_CLEAR, "\"event_id\":104");
  HAS(&x, i, "\"channel\":\"Windows PowerShell\"");
  CHECK(i >= 0 && strcmp(x.tech[i], "T1070.001") == 0);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_ACCOUNT_CHANGE), 2);
  HAS(&x, find(&x, TELLS_LSUM_ACCOUNT_CHANGE, "\"action\":\"created\""), "\"target\":\"CORP\\\\backdoor\"");
  i = find(&x, TELLS_LSUM_ACCOUNT_CHANGE, "\"action\":\"added_to_local_group\"");
  HAS(&x, i, "\"group\":\"Builtin\\\\Administrators\"");
  HAS(&x, i, "\"member\":\"S-1-5-21-1-2-3-1105\"");
  HAS(&x, i, "\"by\":\"CORP\\\\admin\"");
  items_free(&x);
  tells_lsum_destroy(s);
}

static void test_rdp_sessions(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  mkev m;
  int i;
  memset(&x, 0, sizeof x);
  if (!s) return;
  logon(s, 4624, "CORP", "eve", "10", "198.51.100.4", "EVEPC", T0 + 10 * SEC);
  logon(s, 4625, "CORP", "eve", "10", "198.51.100.4", "EVEPC", T0 + 5 * SEC);
  mk(&m, "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational", "x", 1149, "DC01.corp",
     "Param1", "eve", "Param2", "CORP", "Param3", "198.51.100.4", NULL);
  tells_lsum_add(s, &m.ev, T0 + 9 * SEC, 1);
  mk(&m, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", "x", 21, "DC01.corp",
     "User", "CORP\\eve", "SessionID", "2", "Address", "198.51.100.4", NULL);
  tells_lsum_add(s, &m.ev, T0 + 11 * SEC, 2);
  mk(&m, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", "x", 24, "DC01.corp",
     "User", "CORP\\eve", "SessionID", "2", "Address", "198.51.100.4", NULL);
  tells_lsum_add(s, &m.ev, T0 + 900 * SEC, 3);
  mk(&m, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", "x", 21, "DC01.corp",
     "User", "CORP\\eve", "SessionID", "3", "Address", "LOCAL", NULL);
  tells_lsum_add(s, &m.ev, T0 + 901 * SEC, 4);
  logon(s, 4624, "CORP", "eve", "3", "198.51.100.4", "EVEPC", T0);       /* not RDP */
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_RDP_SESSION), 2);
  i = find(&x, TELLS_LSUM_RDP_SESSION, "198.51.100.4");
  HAS(&x, i, "\"user\":\"CORP\\\\eve\"");
  HAS(&x, i, "\"events\":{\"4624\":1,\"4625\":1,\"1149\":1,\"21\":1,\"24\":1}");
  HAS(&x, i, "\"count\":5");
  HAS(&x, i, "\"first\":\"2020-09-13T12:26:45.000000Z\"");
  HAS(&x, i, "\"last\":\"2020-09-13T12:41:40.000000Z\"");
  HAS(&x, find(&x, TELLS_LSUM_RDP_SESSION, "\"source_ip\":\"LOCAL\""), "\"events\":{\"21\":1}");
  items_free(&x);
  tells_lsum_destroy(s);
}

/* ---- script blocks --------------------------------------------------------- */

static void part(tells_lsum *s, const char *id, const char *num, const char *total,
                 const char *text, int64_t t) {
  mkev m;
  mk(&m, PS_CH, "Microsoft-Windows-PowerShell", 4104, "WS7", "MessageNumber", num, "MessageTotal",
     total, "ScriptBlockText", text, "ScriptBlockId", id, "Path", "C:\\x\\run.ps1", NULL);
  CHECK_EQ_INT(tells_lsum_add(s, &m.ev, t, 0), TELLS_OK);
}

static void test_script_blocks(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  char hex[65], needle[100];
  int i;
  memset(&x, 0, sizeof x);
  if (!s) return;
  /* three parts, out of order, one repeated */
  part(s, "aaaa-1", "3", "3", "Write-Host 'done'", T0 + 2 * SEC);
  part(s, "aaaa-1", "1", "3", "$a = \"IEX \"; ", T0);
  part(s, "aaaa-1", "2", "3", "$b = 2; ", T0 + SEC);
  part(s, "aaaa-1", "2", "3", "other text", T0 + SEC);
  /* parts 1 and 3 of 4, and parts with bad numbers */
  part(s, "bbbb-2", "3", "4", "CCC", T0);
  part(s, "bbbb-2", "1", "4", "AAA", T0);
  part(s, "bbbb-2", "5", "4", "EEE", T0);      /* beyond the total */
  part(s, "bbbb-2", "2", "7", "BBB", T0);      /* total differs */
  part(s, "bbbb-2", "0", "4", "ZZZ", T0);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_SCRIPT_BLOCK), 2);
  i = find(&x, TELLS_LSUM_SCRIPT_BLOCK, "aaaa-1");
  HAS(&x, i, "\"parts_seen\":3,\"parts_total\":3,\"complete\":true,\"missing_parts\":[],\"duplicate_parts\":1");
  HAS(&x, i, "\"text\":\"$a = \\\"IEX \\\"; $b = 2; Write-Host 'done'\"");
  HAS(&x, i, "\"path\":\"C:\\\\x\\\\run.ps1\"");
  {
    static const char whole[] = "$a = \"IEX \"; $b = 2; Write-Host 'done'";
    tells_sha256_hex(whole, sizeof whole - 1, hex);
    snprintf(needle, sizeof needle, "\"sha256\":\"%s\"", hex);
    HAS(&x, i, needle);
    snprintf(needle, sizeof needle, "\"length\":%d", (int)sizeof whole - 1);
    HAS(&x, i, needle);
  }
  i = find(&x, TELLS_LSUM_SCRIPT_BLOCK, "bbbb-2");
  HAS(&x, i, "\"parts_seen\":2,\"parts_total\":4,\"complete\":false,\"missing_parts\":[2,4]");
  HAS(&x, i, "\"text\":\"AAACCC\"");
  CHECK_EQ_INT(tells_lsum_stats_get(s)->script_parts_bad, 3);
  items_free(&x);
  tells_lsum_destroy(s);
}

/* ---- deletions ------------------------------------------------------------- */

static void del(tells_lsum *s, const char *image, const char *file, int64_t t) {
  mkev m;
  mk(&m, SYSMON, "Microsoft-Windows-Sysmon", 23, "FS01", "Image", image, "TargetFilename", file,
     "User", "CORP\\svc", NULL);
  CHECK_EQ_INT(tells_lsum_add(s, &m.ev, t, 0), TELLS_OK);
}

static void test_mass_deletion(void) {
  tells_lsum *s = fresh(NULL);
  items x;
  char f[64];
  int i, k;
  memset(&x, 0, sizeof x);
  if (!s) return;
  /* 150 deletions in 5 minutes (fed newest first) */
  for (k = 149; k >= 0; k--) { snprintf(f, sizeof f, "D:\\share\\%d.docx", k); del(s, "C:\\w.exe", f, T0 + k * 2 * SEC); }
  /* 120 deletions, one a minute: never 100 within 10 minutes */
  for (k = 0; k < 120; k++) { snprintf(f, sizeof f, "C:\\tmp\\%d", k); del(s, "C:\\cleanup.exe", f, T0 + k * 60 * SEC); }
  /* exactly at the threshold: 100 within 99 seconds */
  for (k = 0; k < 100; k++) { snprintf(f, sizeof f, "E:\\%d", k); del(s, "C:\\e.exe", f, T0 + k * SEC); }
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_MASS_DELETION), 3);
  i = find(&x, TELLS_LSUM_MASS_DELETION, "w.exe");
  HAS(&x, i, "\"count\":150");
  HAS(&x, i, "\"max_in_window\":150");
  HAS(&x, i, "\"wiper\":true");
  HAS(&x, i, "\"events\":{\"23\":150}");
  HAS(&x, i, "\"samples\":[\"D:\\\\share\\\\149.docx\",\"D:\\\\share\\\\148.docx\"");
  CHECK(i >= 0 && strcmp(x.tech[i], "T1485") == 0);
  i = find(&x, TELLS_LSUM_MASS_DELETION, "cleanup.exe");
  HAS(&x, i, "\"max_in_window\":11");       /* minutes 0..10 inclusive */
  HAS(&x, i, "\"wiper\":false");
  CHECK(i >= 0 && x.tech[i][0] == 0);
  HAS(&x, find(&x, TELLS_LSUM_MASS_DELETION, "e.exe\""), "\"wiper\":true");
  items_free(&x);
  tells_lsum_destroy(s);
}

/* ---- caps -------------------------------------------------------------------- */

static void test_caps(void) {
  tells_lsum_caps caps;
  tells_lsum *s;
  const tells_lsum_stats *st;
  items x;
  char u[32], f[32];
  int k;
  memset(&caps, 0, sizeof caps);
  caps.groups = 3; caps.times = 50; caps.script_bytes = 10; caps.script_total = 15;
  caps.script_parts = 8;
  s = fresh(&caps);
  memset(&x, 0, sizeof x);
  if (!s) return;
  for (k = 0; k < 5; k++) {
    snprintf(u, sizeof u, "user%d", k);
    logon(s, 4624, "CORP", u, "3", "10.0.0.1", "WS", T0 + k * SEC);
  }
  logon(s, 4624, "CORP", "user0", "3", "10.0.0.1", "WS", T0);   /* existing group: kept */
  for (k = 0; k < 80; k++) { snprintf(f, sizeof f, "%d", k); del(s, "C:\\w.exe", f, T0 + k * SEC); }
  part(s, "c-1", "1", "2", "0123456789ABCDEF", T0);   /* 16 bytes: 10 kept */
  part(s, "c-2", "1", "1", "abcdefgh", T0);           /* 5 left of the total */
  part(s, "c-3", "1", "9", "x", T0);                  /* total over the cap */
  st = tells_lsum_stats_get(s);
  CHECK_EQ_INT(st->groups[TELLS_LSUM_LOGON], 3);
  CHECK_EQ_INT(st->dropped[TELLS_LSUM_LOGON], 2);
  CHECK_EQ_INT(st->times_dropped, 30);
  CHECK_EQ_INT(st->script_bytes_dropped, 6 + 3);
  CHECK_EQ_INT(st->script_parts_bad, 1);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT(count_type(&x, TELLS_LSUM_LOGON), 3);
  HAS(&x, find(&x, TELLS_LSUM_LOGON, "user0"), "\"count\":2");
  HAS(&x, find(&x, TELLS_LSUM_MASS_DELETION, NULL), "\"count\":80");
  HAS(&x, find(&x, TELLS_LSUM_MASS_DELETION, NULL), "\"max_in_window\":50");
  HAS(&x, find(&x, TELLS_LSUM_SCRIPT_BLOCK, "c-1"), "\"truncated\":true");
  HAS(&x, find(&x, TELLS_LSUM_SCRIPT_BLOCK, "c-1"), "\"text\":\"0123456789\"");
  HAS(&x, find(&x, TELLS_LSUM_SCRIPT_BLOCK, "c-2"), "\"text\":\"abcde\"");
  HAS(&x, find(&x, TELLS_LSUM_SCRIPT_BLOCK, "c-3"), "\"parts_seen\":0,\"parts_total\":0");
  items_free(&x);
  tells_lsum_destroy(s);
  /* a tiny string cap: groups that do not fit are dropped, not half-made */
  memset(&caps, 0, sizeof caps);
  caps.strings = 4096;
  s = fresh(&caps);
  if (!s) return;
  for (k = 0; k < 200; k++) {
    snprintf(u, sizeof u, "user%d", k);
    logon(s, 4624, "CORP", u, "3", "10.0.0.1", "WS", T0);
  }
  st = tells_lsum_stats_get(s);
  CHECK(st->dropped[TELLS_LSUM_LOGON] > 0);
  CHECK_EQ_INT(st->groups[TELLS_LSUM_LOGON] + st->dropped[TELLS_LSUM_LOGON], 200);
  CHECK_EQ_INT(tells_lsum_each(s, on_item, &x), TELLS_OK);
  CHECK_EQ_INT((uint64_t)x.n, st->groups[TELLS_LSUM_LOGON] > 64 ? 64 : st->groups[TELLS_LSUM_LOGON]);
  items_free(&x);
  tells_lsum_destroy(s);
}

/* ---- Sigma correlations out of time order -------------------------------- */

typedef struct chits { int n; char title[8][80]; uint64_t count; } chits;

static int on_hit(void *ud, const tells_sigma_hit *h) {
  chits *c = ud;
  if (c->n < 8) snprintf(c->title[c->n], 80, "%s", h->rule->title);
  c->count = h->count;
  c->n++;
  return 0;
}

static int feed(tells_sigma_ruleset *set, const char *image, int64_t t, chits *c) {
  tells_sigma_field f[2];
  tells_sigma_event ev;
  memset(&ev, 0, sizeof ev);
  f[0].name = "Image"; f[0].name_len = 5; f[0].val = image; f[0].val_len = strlen(image);
  f[1].name = "User"; f[1].name_len = 4; f[1].val = "u1"; f[1].val_len = 2;
  ev.channel = SYSMON; ev.event_id = 1; ev.time_ns = t; ev.fields = f; ev.n_fields = 2;
  memset(c, 0, sizeof *c);
  return tells_sigma_match(set, &ev, on_hit, c);
}

static void test_corr_out_of_order(void) {
  static const char y[] =
      "title: A\nname: ra\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    Image|endswith: '\\a.exe'\n  condition: sel\n---\n"
      "title: B\nname: rb\nlogsource:\n  product: windows\n  category: process_creation\n"
      "detection:\n  sel:\n    Image|endswith: '\\b.exe'\n  condition: sel\n---\n"
      "title: A then B\ncorrelation:\n  type: temporal_ordered\n  rules: [ra, rb]\n"
      "  group-by: [User]\n  timespan: 1m\n  generate: true\n---\n"
      "title: Three A\ncorrelation:\n  type: event_count\n  rules: [ra]\n  group-by: [User]\n"
      "  timespan: 1m\n  condition:\n    gte: 3\n";
  tells_sigma_ruleset *set = NULL;
  chits c;
  int fired = 0;
  CHECK_EQ_INT(tells_sigma_ruleset_create(&set), TELLS_OK);
  if (!set) return;
  CHECK_EQ_INT(tells_sigma_load_mem(set, "t.yml", y, sizeof y - 1, NULL, NULL, NULL), TELLS_OK);
  CHECK_EQ_INT(tells_sigma_compile(set, NULL, NULL), TELLS_OK);
  /* A is suppressed (a correlation without generate: true uses it), B is
  ** reported.  B at 500 s arrives before A at 470 s (an earlier file read
  ** later): A then B holds in time, so it fires */
  feed(set, "C:\\b.exe", 500 * SEC, &c);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_STR(c.title[0], "B");
  feed(set, "C:\\a.exe", 470 * SEC, &c);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_STR(c.title[0], "A then B");
  /* A at 900 s, then B at 800 s: B before A in time, no A then B */
  feed(set, "C:\\a.exe", 900 * SEC, &c);
  CHECK_EQ_INT(c.n, 0);
  feed(set, "C:\\b.exe", 800 * SEC, &c);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_STR(c.title[0], "B");
  /* event_count: A at 2000, 1000, 1050 s, then 1030 s: the three within a
  ** minute fire when the last of them arrives, not before */
  feed(set, "C:\\a.exe", 2000 * SEC, &c); fired += c.n;
  feed(set, "C:\\a.exe", 1000 * SEC, &c); fired += c.n;
  feed(set, "C:\\a.exe", 1050 * SEC, &c); fired += c.n;
  CHECK_EQ_INT(fired, 0);
  feed(set, "C:\\a.exe", 1030 * SEC, &c);
  CHECK_EQ_INT(c.n, 1);
  CHECK_EQ_STR(c.title[0], "Three A");
  CHECK_EQ_INT(c.count, 3);
  /* those three are used up: one more nearby does not fire again */
  feed(set, "C:\\a.exe", 1040 * SEC, &c);
  CHECK_EQ_INT(c.n, 0);
  /* state persists until reset: after a reset, nothing is remembered */
  tells_sigma_reset_state(set);
  feed(set, "C:\\a.exe", 1045 * SEC, &c);
  feed(set, "C:\\a.exe", 1046 * SEC, &c);
  CHECK_EQ_INT(c.n, 0);
  tells_sigma_ruleset_destroy(set);
}

int main(void) {
  T_RUN(test_logons_grouped);
  T_RUN(test_brute_force);
  T_RUN(test_services_tasks_clears);
  T_RUN(test_rdp_sessions);
  T_RUN(test_script_blocks);
  T_RUN(test_mass_deletion);
  T_RUN(test_caps);
  T_RUN(test_corr_out_of_order);
  T_END();
}
