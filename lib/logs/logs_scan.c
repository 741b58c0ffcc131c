/*
** logs_scan.c -- the logs pillar's scanner for intake: EVTX files.
**
** Every record is decoded (evtx.c) and normalised.  The records an
** investigator reads first -- logons, process creation, new services and
** scheduled tasks, account and group changes, PowerShell script blocks,
** cleared logs, RDP sessions, Sysmon process, network and deletion events --
** are kept as events in the case with a one-line summary.  Every record also
** goes to the intrusion summaries of the file (logs_summary.h): at the end
** of the file they are stored whole as the artifact "evtx.summaries"; brute
** force (T1110), cleared logs (T1070.001), new services (T1543.003) and
** wiper-like deletion (T1485) become findings; bursts, RDP sessions,
** reassembled script blocks and deletions become timeline events; accounts,
** source addresses and host names of logons and RDP sessions become
** indicators with sightings.  The evidence row gets the record counts,
** channels and what was skipped or recovered.  A case is built file by
** file, so the summaries (and Sigma correlation windows) are per file.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "evtx.h"
#include "ingest.h"
#include "json.h"
#include "logs_sigma.h"
#include "logs_summary.h"

tells_err tells_logs_scan_evtx(tells_ingest *ig);

#define SUMMARY_MAX 400

static const char *fld(const tells_evtx_event *ev, const char *name) {
  const char *v = tells_evtx_event_field(ev, name);
  return v && *v && strcmp(v, "-") != 0 ? v : NULL;
}

static int is_sysmon(const tells_evtx_event *ev) {
  return ev->channel && strcmp(ev->channel, "Microsoft-Windows-Sysmon/Operational") == 0;
}
static int is_channel(const tells_evtx_event *ev, const char *c) {
  return ev->channel && strcmp(ev->channel, c) == 0;
}

/* A source address worth a sighting: not empty, not loopback. */
static int useful_ip(const char *ip) {
  return ip && strcmp(ip, "127.0.0.1") != 0 && strcmp(ip, "::1") != 0 &&
         strcmp(ip, "0.0.0.0") != 0 && strcmp(ip, "::") != 0 && strchr(ip, ' ') == NULL;
}

/* The hashes of a Sysmon "Hashes" field ("SHA1=..,MD5=..,SHA256=..,
** IMPHASH=..") become indicators of the hash's type, lower-case, so the
** correlation finds the binaries of the case that were run. */
static void hash_indicators(tells_ingest *ig, const char *v, int64_t t, const char *ctx, int64_t off) {
  static const struct { const char *key, *type; size_t hex; } H[] = {
    {"SHA256", "sha256", 64}, {"SHA1", "sha1", 40}, {"MD5", "md5", 32}, {"IMPHASH", "imphash", 32}};
  while (v && *v) {
    const char *end = strchr(v, ','), *eq = strchr(v, '=');
    size_t n = end ? (size_t)(end - v) : strlen(v), i, k;
    if (eq && eq < v + n) {
      size_t kl = (size_t)(eq - v), hl = n - kl - 1;
      for (i = 0; i < sizeof H / sizeof H[0]; i++) {
        char hex[65];
        if (strlen(H[i].key) != kl || strncasecmp(v, H[i].key, kl) != 0 || hl != H[i].hex) continue;
        for (k = 0; k < hl; k++) {
          char c = eq[1 + k];
          if (c >= 'A' && c <= 'F') c = (char)(c + 32);
          if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) break;
          hex[k] = c;
        }
        hex[k] = 0;
        if (k == hl && strspn(hex, "0") != hl) tells_ingest_indicator(ig, H[i].type, hex, t, ctx, off);
      }
    }
    v = end ? end + 1 : NULL;
  }
}

/* Builds the summary of a notable record; returns its kind or NULL. */
static const char *describe(tells_ingest *ig, const tells_evtx_event *ev, int64_t t,
                            int64_t off, char *s, size_t n) {
  uint32_t id = ev->event_id;
  const char *kind = NULL;
  if (is_channel(ev, "Security")) {
    switch (id) {
    case 4624: case 4625: {
      const char *ip = fld(ev, "IpAddress"), *ws = fld(ev, "WorkstationName");
      kind = id == 4624 ? "logon.success" : "logon.failure";
      snprintf(s, n, "%s logon type %s: %s\\%s from %s (%s)", id == 4624 ? "Successful" : "Failed",
               fld(ev, "LogonType") ? fld(ev, "LogonType") : "?",
               fld(ev, "TargetDomainName") ? fld(ev, "TargetDomainName") : "",
               fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "?",
               ip ? ip : "-", ws ? ws : "-");
      break;   /* its indicators come from the summaries */
    }
    case 4771:
      kind = "logon.failure";
      snprintf(s, n, "Kerberos pre-authentication failed for %s from %s (status %s)",
               fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "?",
               fld(ev, "IpAddress") ? fld(ev, "IpAddress") : "-",
               fld(ev, "Status") ? fld(ev, "Status") : "?");
      break;
    case 4699: case 4702:
      kind = id == 4699 ? "task.deleted" : "task.updated";
      snprintf(s, n, "Scheduled task %s %s by %s", fld(ev, "TaskName") ? fld(ev, "TaskName") : "?",
               id == 4699 ? "deleted" : "updated",
               fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    case 4688:
      kind = "process.created";
      snprintf(s, n, "Process %s started by %s: %s", fld(ev, "NewProcessName") ? fld(ev, "NewProcessName") : "?",
               fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?",
               fld(ev, "CommandLine") ? fld(ev, "CommandLine") : "");
      break;
    case 4697:
      kind = "service.installed";
      snprintf(s, n, "Service %s installed: %s", fld(ev, "ServiceName") ? fld(ev, "ServiceName") : "?",
               fld(ev, "ServiceFileName") ? fld(ev, "ServiceFileName") : "?");
      break;
    case 4698:
      kind = "task.created";
      snprintf(s, n, "Scheduled task %s created by %s", fld(ev, "TaskName") ? fld(ev, "TaskName") : "?",
               fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    case 4720: case 4722: case 4723: case 4724: case 4725: case 4726: case 4738: case 4767: {
      static const struct { unsigned id; const char *kind, *what; } A[] = {
        {4720, "account.created", "created"}, {4722, "account.enabled", "enabled"},
        {4723, "account.password_change", "password changed"},
        {4724, "account.password_reset", "password reset"},
        {4725, "account.disabled", "disabled"}, {4726, "account.deleted", "deleted"},
        {4738, "account.changed", "changed"}, {4767, "account.unlocked", "unlocked"}};
      size_t k;
      for (k = 0; A[k].id != id; k++) {}
      kind = A[k].kind;
      snprintf(s, n, "Account %s %s by %s", fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "?",
               A[k].what, fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    }
    case 4728: case 4732: case 4756: case 4729: case 4733: case 4757: {
      /* the member's name is "-" for local accounts: its SID says who */
      const char *m = fld(ev, "MemberName");
      int add = id == 4728 || id == 4732 || id == 4756;
      if (!m || !*m || strcmp(m, "-") == 0) m = fld(ev, "MemberSid");
      kind = add ? "group.member_added" : "group.member_removed";
      snprintf(s, n, "%s %s group %s by %s", m && *m ? m : "?", add ? "added to" : "removed from",
               fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "?",
               fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    }
    case 1102:
      if (!ev->provider || strcmp(ev->provider, "Microsoft-Windows-Eventlog") != 0) break;
      kind = "log.cleared";
      snprintf(s, n, "Security log cleared by %s", fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    }
  } else if (is_channel(ev, "System")) {
    if (id == 7045) {
      kind = "service.installed";
      snprintf(s, n, "Service %s installed: %s", fld(ev, "ServiceName") ? fld(ev, "ServiceName") : "?",
               fld(ev, "ImagePath") ? fld(ev, "ImagePath") : "?");
    } else if (id == 104 && ev->provider && strcmp(ev->provider, "Microsoft-Windows-Eventlog") == 0) {
      kind = "log.cleared";
      snprintf(s, n, "Event log %s cleared", fld(ev, "Channel") ? fld(ev, "Channel") : "?");
    }
  } else if (is_channel(ev, "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational") &&
             id == 1149) {
    kind = "rdp.authenticated";
    snprintf(s, n, "RDP user %s\\%s authenticated from %s", fld(ev, "Param2") ? fld(ev, "Param2") : "",
             fld(ev, "Param1") ? fld(ev, "Param1") : "?", fld(ev, "Param3") ? fld(ev, "Param3") : "?");
  } else if (is_channel(ev, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational") &&
             (id == 21 || id == 22 || id == 24 || id == 25)) {
    kind = id == 21 ? "rdp.logon" : id == 22 ? "rdp.shell" : id == 24 ? "rdp.disconnected" : "rdp.reconnected";
    snprintf(s, n, "RDP session %s of %s from %s (%s)", fld(ev, "SessionID") ? fld(ev, "SessionID") : "?",
             fld(ev, "User") ? fld(ev, "User") : "?", fld(ev, "Address") ? fld(ev, "Address") : "?", kind);
  } else if (is_channel(ev, "Microsoft-Windows-TaskScheduler/Operational") &&
             (id == 106 || id == 140 || id == 141 || id == 200)) {
    kind = id == 106 ? "task.created" : id == 140 ? "task.updated" : id == 141 ? "task.deleted" : "task.started";
    snprintf(s, n, "Scheduled task %s %s%s%s", fld(ev, "TaskName") ? fld(ev, "TaskName") : "?", kind + 5,
             id == 200 ? ": " : "", id == 200 && fld(ev, "ActionName") ? fld(ev, "ActionName") : "");
  } else if (is_channel(ev, "Microsoft-Windows-PowerShell/Operational") && id == 4104) {
    kind = "powershell.scriptblock";
    snprintf(s, n, "Script block %s: %.200s", fld(ev, "ScriptBlockId") ? fld(ev, "ScriptBlockId") : "?",
             fld(ev, "ScriptBlockText") ? fld(ev, "ScriptBlockText") : "");
  } else if (is_sysmon(ev)) {
    switch (id) {
    case 1:
      kind = "process.created";
      snprintf(s, n, "Process %s: %s (parent %s)", fld(ev, "Image") ? fld(ev, "Image") : "?",
               fld(ev, "CommandLine") ? fld(ev, "CommandLine") : "",
               fld(ev, "ParentImage") ? fld(ev, "ParentImage") : "?");
      hash_indicators(ig, fld(ev, "Hashes"), t, kind, off);
      break;
    case 3: {
      const char *dip = fld(ev, "DestinationIp");
      kind = "network.connection";
      snprintf(s, n, "%s connected to %s:%s", fld(ev, "Image") ? fld(ev, "Image") : "?",
               dip ? dip : "?", fld(ev, "DestinationPort") ? fld(ev, "DestinationPort") : "?");
      if (useful_ip(dip)) tells_ingest_indicator(ig, "ip", dip, t, kind, off);
      break;
    }
    case 23: case 26:
      kind = "file.deleted";
      snprintf(s, n, "%s deleted %s", fld(ev, "Image") ? fld(ev, "Image") : "?",
               fld(ev, "TargetFilename") ? fld(ev, "TargetFilename") : "?");
      break;
    }
  }
  return kind;
}

typedef struct hit_ctx { tells_ingest *ig; int64_t off, record; } hit_ctx;

static void on_indicator(void *ud, const char *type, const char *value, int64_t t,
                         const char *ctx, int64_t off) {
  tells_ingest_indicator(ud, type, value, t, ctx, off);
}

typedef struct sum_ctx { tells_ingest *ig; tells_json *art; uint64_t n; } sum_ctx;

/* One summary: into the artifact; a finding when it is one; a timeline
** event for the kinds no single record shows. */
static int on_summary(void *ud, const tells_lsum_item *it) {
  sum_ctx *c = ud;
  tells_ingest *ig = c->ig;
  tells_json_raw(c->art, it->json, it->json_len);
  c->n++;
  if (it->rule) {
    tells_finding f;
    memset(&f, 0, sizeof f);
    f.source = "logs"; f.rule = it->rule; f.title = it->title; f.severity = it->severity;
    f.technique = it->technique; f.tactic = it->tactic; f.summary = it->text;
    f.first_ns = it->first_ns; f.last_ns = it->last_ns;
    f.ref_offset = it->offset; f.ref_record = it->record;
    f.details_json = it->json;
    tells_ingest_finding(ig, &f);
  }
  if (it->type == TELLS_LSUM_LOGON_BURST || it->type == TELLS_LSUM_RDP_SESSION ||
      it->type == TELLS_LSUM_SCRIPT_BLOCK || it->type == TELLS_LSUM_MASS_DELETION) {
    tells_event te;
    char kind[40];
    memset(&te, 0, sizeof te);
    snprintf(kind, sizeof kind, "summary.%s", it->name);
    te.time_ns = it->first_ns; te.source = "logs"; te.kind = kind; te.summary = it->text;
    te.ref_offset = it->offset; te.ref_record = it->record; te.details_json = it->json;
    tells_ingest_event(ig, &te);
  }
  return ig->sink_err != TELLS_OK;
}

/* Stores the summaries of the file: artifact, findings, events. */
static tells_err summaries(tells_ingest *ig, tells_lsum *sum, uint64_t *n) {
  tells_buf b;
  tells_json j;
  sum_ctx c;
  tells_err e;
  tells_buf_init(&b, 128u << 20);   /* script text is capped at 16 MiB, 6 bytes per byte at worst */
  tells_json_init_buf(&j, &b, 0);
  tells_json_obj(&j);
  tells_json_key(&j, "summaries");
  tells_json_arr(&j);
  c.ig = ig; c.art = &j; c.n = 0;
  e = tells_lsum_each(sum, on_summary, &c);
  tells_json_arr_end(&j);
  tells_json_key(&j, "totals");
  tells_lsum_stats_json(sum, &j);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  if (!e && !b.err && c.n) tells_ingest_artifact(ig, "evtx.summaries", tells_buf_str(&b));
  tells_buf_free(&b);
  *n = c.n;
  return e == TELLS_ENOMEM || b.err == TELLS_ENOMEM ? TELLS_ENOMEM : TELLS_OK;
}

static int on_hit(void *ud, const tells_sigma_hit *h) {
  hit_ctx *c = ud;
  tells_finding f;
  if (tells_logs_hit_finding(h, &c->ig->arena, c->off, c->record, &f) == TELLS_OK) {
    tells_ingest_finding(c->ig, &f);
    c->ig->sigma_hits++;
  }
  return c->ig->sink_err != TELLS_OK;
}

tells_err tells_logs_scan_evtx(tells_ingest *ig) {
  tells_logs_sigev sev;
  tells_evtx *x = NULL;
  tells_evtx_rec rec;
  tells_evtx_event ev;
  const tells_evtx_stats *st;
  tells_json j;
  tells_lsum *sum = NULL;
  tells_err e;
  uint64_t kept = 0, cleared = 0, n_sum = 0;
  char s[SUMMARY_MAX];
  memset(&sev, 0, sizeof sev);
  e = tells_evtx_open(ig->buf, ig->len, &ig->anoms, &x);
  if (e == TELLS_ENOMEM) return e;
  if (!x) return TELLS_OK;
  e = TELLS_OK;
  tells_evtx_set_holes(x, ig->holes, ig->n_holes);
  tells_evtx_set_tcache(x, ig->evtx_tc);
  {
    tells_lsum_caps caps;   /* per file, and the artifact holds the script text */
    memset(&caps, 0, sizeof caps);
    caps.script_total = 16u << 20;
    if (tells_lsum_create(&caps, &sum) != TELLS_OK) { tells_evtx_close(x); return TELLS_ENOMEM; }
  }
  tells_lsum_set_indicator_fn(sum, on_indicator, ig);
  tells_lsum_file(sum, ig->path);
  if (ig->sigma) tells_sigma_reset_state(ig->sigma);   /* correlations per file */
  while (tells_evtx_next(x, &rec) > 0 && !ig->sink_err) {
    int64_t t;
    const char *kind;
    if ((rec.id & 1023) == 0) tells_ingest_advance(ig, (size_t)rec.off);
    if (tells_evtx_rec_event(x, &ev) != TELLS_OK) continue;
    /* 100 ns ticks; anything before 1678 or after 2261 (FILETIME 0 among them)
    ** does not fit in nanoseconds and means "no usable time" */
    t = ev.time < INT64_MIN / 100 || ev.time > INT64_MAX / 100 ? TELLS_NO_TIME
                                                                     : ev.time * 100;
    tells_ingest_time(ig, t);
    if (ev.computer && ev.computer[0] && rec.id % 64 == 1)   /* one sighting per few records */
      tells_ingest_indicator(ig, "host", ev.computer, t, "event log computer", (int64_t)rec.off);
    if (ig->sigma) {
      hit_ctx hc;
      hc.ig = ig; hc.off = (int64_t)rec.off; hc.record = (int64_t)ev.record_id;
      if (tells_logs_sigev_fill(&sev, &ev, t) != TELLS_OK ||
          tells_sigma_match(ig->sigma, &sev.ev, on_hit, &hc) == TELLS_ENOMEM) {
        e = TELLS_ENOMEM;
        break;
      }
    }
    if (tells_lsum_add(sum, &ev, t, (int64_t)rec.off) != TELLS_OK) { e = TELLS_ENOMEM; break; }
    kind = describe(ig, &ev, t, (int64_t)rec.off, s, sizeof s);
    if (kind) {
      tells_event te;
      memset(&te, 0, sizeof te);
      te.time_ns = t; te.source = "logs"; te.kind = kind; te.summary = s;
      te.ref_offset = (int64_t)rec.off; te.ref_record = (int64_t)ev.record_id;
      tells_ingest_event(ig, &te);
      kept++;
      cleared += strcmp(kind, "log.cleared") == 0;   /* the finding comes from the summary */
    }
  }
  if (!e && !ig->sink_err) e = summaries(ig, sum, &n_sum);
  tells_lsum_destroy(sum);
  if (e) {
    tells_logs_sigev_free(&sev);
    tells_evtx_close(x);
    return e;
  }
  st = tells_evtx_stats_get(x);
  tells_json_init_buf(&j, &ig->summary, 0);
  tells_json_obj(&j);
  tells_json_ku64(&j, "records", st->records);
  tells_json_ku64(&j, "records_recovered", st->records_recovered);
  tells_json_ku64(&j, "records_broken", st->records_broken);
  tells_json_ku64(&j, "chunks", st->chunks);
  tells_json_ku64(&j, "chunks_skipped", st->chunks_skipped);
  tells_json_ku64(&j, "chunks_bad_crc", st->chunks_bad_crc);
  tells_json_ku64(&j, "events_kept", kept);
  tells_json_ku64(&j, "log_clears", cleared);
  tells_json_ku64(&j, "summaries", n_sum);
  if (ig->sigma) tells_json_ku64(&j, "sigma_hits", ig->sigma_hits);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  tells_evtx_close(x);
  tells_logs_sigev_free(&sev);
  return TELLS_OK;
}
