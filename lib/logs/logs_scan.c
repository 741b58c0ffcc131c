/*
** logs_scan.c -- the logs pillar's scanner for intake: EVTX files.
**
** Every record is decoded (evtx.c) and normalised.  The records an
** investigator reads first -- logons, process creation, new services and
** scheduled tasks, account and group changes, PowerShell script blocks,
** cleared logs, Sysmon process, network and deletion events -- are kept as
** events in the case with a one-line summary; the accounts, source
** addresses and host names in them become indicators with sightings; a
** cleared log is a finding (T1070.001) on its own.  The evidence row gets
** the record counts, channels and what was skipped or recovered.
*/
#include <stdio.h>
#include <string.h>
#include "evtx.h"
#include "ingest.h"
#include "json.h"
#include "logs_sigma.h"

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

static void account(tells_ingest *ig, const char *dom, const char *user, int64_t t,
                    const char *ctx, int64_t off) {
  char a[300];
  if (!user || user[strlen(user) - 1] == '$') return;   /* machine accounts */
  snprintf(a, sizeof a, "%s%s%s", dom ? dom : "", dom ? "\\" : "", user);
  tells_ingest_indicator(ig, "account", a, t, ctx, off);
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
      account(ig, fld(ev, "TargetDomainName"), fld(ev, "TargetUserName"), t, kind, off);
      if (useful_ip(ip)) tells_ingest_indicator(ig, "ip", ip, t, kind, off);
      if (ws) tells_ingest_indicator(ig, "host", ws, t, kind, off);
      break;
    }
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
    case 4720: case 4722: case 4724: case 4728: case 4732: case 4756:
      kind = id == 4720 ? "account.created" : id == 4722 ? "account.enabled"
           : id == 4724 ? "account.password_reset" : "group.member_added";
      snprintf(s, n, "%s: %s %s (group %s) by %s", kind,
               fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "",
               fld(ev, "MemberName") ? fld(ev, "MemberName") : "",
               id >= 4728 && fld(ev, "TargetUserName") ? fld(ev, "TargetUserName") : "-",
               fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    case 1102:
      kind = "log.cleared";
      snprintf(s, n, "Security log cleared by %s", fld(ev, "SubjectUserName") ? fld(ev, "SubjectUserName") : "?");
      break;
    }
  } else if (is_channel(ev, "System")) {
    if (id == 7045) {
      kind = "service.installed";
      snprintf(s, n, "Service %s installed: %s", fld(ev, "ServiceName") ? fld(ev, "ServiceName") : "?",
               fld(ev, "ImagePath") ? fld(ev, "ImagePath") : "?");
    } else if (id == 104) {
      kind = "log.cleared";
      snprintf(s, n, "Event log %s cleared", fld(ev, "Channel") ? fld(ev, "Channel") : "?");
    }
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
  tells_err e;
  uint64_t kept = 0, cleared = 0;
  int64_t first_clear = TELLS_NO_TIME;
  char s[SUMMARY_MAX];
  memset(&sev, 0, sizeof sev);
  e = tells_evtx_open(ig->buf, ig->len, &ig->anoms, &x);
  if (e == TELLS_ENOMEM) return e;
  if (!x) return TELLS_OK;
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
        tells_logs_sigev_free(&sev);
        tells_evtx_close(x);
        return TELLS_ENOMEM;
      }
    }
    kind = describe(ig, &ev, t, (int64_t)rec.off, s, sizeof s);
    if (kind) {
      tells_event te;
      memset(&te, 0, sizeof te);
      te.time_ns = t; te.source = "logs"; te.kind = kind; te.summary = s;
      te.ref_offset = (int64_t)rec.off; te.ref_record = (int64_t)ev.record_id;
      tells_ingest_event(ig, &te);
      kept++;
      if (strcmp(kind, "log.cleared") == 0) {
        tells_finding f;
        memset(&f, 0, sizeof f);
        f.source = "logs"; f.rule = "evtx-log-cleared"; f.title = "Event log cleared";
        f.severity = "high"; f.technique = "T1070.001"; f.tactic = "defense-evasion";
        f.summary = s; f.first_ns = f.last_ns = t;
        f.ref_offset = (int64_t)rec.off; f.ref_record = (int64_t)ev.record_id;
        tells_ingest_finding(ig, &f);
        cleared++;
        if (first_clear == TELLS_NO_TIME) first_clear = t;
      }
    }
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
  if (ig->sigma) tells_json_ku64(&j, "sigma_hits", ig->sigma_hits);
  tells_json_obj_end(&j);
  tells_json_flush(&j);
  tells_evtx_close(x);
  tells_logs_sigev_free(&sev);
  return TELLS_OK;
}
