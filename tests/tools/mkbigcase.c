/*
** mkbigcase.c -- writes a large synthetic case through the case API, for
** bench/bench_report.sh: one capture's worth of flows (EVE records with
** GeoIP), one event log's worth of events (logons naming workstations,
** process starts), and a handful of findings that reference them
** (exfiltration, lateral movement, beaconing, brute force) so every chart
** of the report has data.  Deterministic: the same arguments give the same
** rows.
**
**   mkbigcase OUT.tells [FLOWS [EVENTS]]      (defaults 1000000 1000000)
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_api.h"

#define T0_NS   1416441600000000000LL        /* 2014-11-20T00:00:00Z */
#define SPAN_NS (7LL * 86400 * 1000000000)
#define N_INTERNAL 2000
#define N_EXTERNAL 20000

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {             /* xorshift64* */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dull;
}
static uint64_t below(uint64_t n) { return rnd() % n; }

static const char *const CC[] = {"US", "NL", "DE", "FR", "GB", "JP", "KR", "TH", "IT", "PL",
                                 "BR", "IN", "SG", "CA", "AU", "RU", "CN", "SE", "ES", "BO"};

static void internal_ip(char *out, size_t n, unsigned h) { snprintf(out, n, "10.%u.%u.%u", 1 + h / 250 / 250, (h / 250) % 250, 1 + h % 250); }
static void external_ip(char *out, size_t n, unsigned p) {
  snprintf(out, n, "%u.%u.%u.%u", 11 + p % 180, (p / 180) % 250, (p * 7) % 250, 1 + p % 250);
}
static const char *country_of(unsigned p) { return CC[(p * 2654435761u >> 7) % (sizeof CC / sizeof CC[0])]; }

static tells_err die(tells_case *c, const char *what, tells_err e) {
  fprintf(stderr, "mkbigcase: %s: %s (%s)\n", what, tells_strerror(e), tells_case_errmsg(c));
  return e;
}

static void iso(char out[40], int64_t ns) { tells_time_fmt(ns, out); }

/* One exfiltration destination: flows i with dest p are remembered. */
#define EXFIL_DESTS 3
#define EXFIL_FLOWS 24

int main(int argc, char **argv) {
  const char *out;
  long long nflows = 1000000, nevents = 1000000, i;
  tells_case *c = NULL;
  tells_case_file f;
  tells_case_done d;
  tells_sink s;
  tells_err e;
  int resumed = 0, k;
  char eve[1024], src[48], dst[48], t1[40], t2[40], summ[256], det[4096];
  int64_t exfil_id[EXFIL_DESTS][EXFIL_FLOWS], exfil_b[EXFIL_DESTS];
  int exfil_sp[EXFIL_DESTS][EXFIL_FLOWS], exfil_dp[EXFIL_DESTS][EXFIL_FLOWS], lat_sp[16], lat_dp[16];
  int exfil_n[EXFIL_DESTS];
  int64_t lat_id[16];
  int nlat = 0;
  tells_investigate_stats st;
  FILE *probe;
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: mkbigcase OUT.tells [FLOWS [EVENTS]]\n");
    return 2;
  }
  out = argv[1];
  if (argc > 2) nflows = atoll(argv[2]);
  if (argc > 3) nevents = atoll(argv[3]);
  if (nflows < 100 || nevents < 100 || nflows > 100000000 || nevents > 100000000) {
    fprintf(stderr, "mkbigcase: FLOWS and EVENTS must be between 100 and 100000000\n");
    return 2;
  }
  if ((probe = fopen(out, "rb"))) { fclose(probe); fprintf(stderr, "mkbigcase: %s exists\n", out); return 2; }
  if ((e = tells_case_open(out, 0, &c))) { fprintf(stderr, "mkbigcase: %s: %s\n", out, tells_strerror(e)); return 1; }
  if ((e = tells_case_run_begin(c, "mkbigcase", &resumed))) return die(c, "run", e), 1;
  memset(exfil_n, 0, sizeof exfil_n);
  memset(exfil_b, 0, sizeof exfil_b);

  /* ---- the capture: flows ---- */
  memset(&f, 0, sizeof f);
  f.path = "bigcase/network/core-span.pcap"; f.size = nflows * 1500; f.mtime_ns = T0_NS + SPAN_NS; f.kind = TELLS_KIND_PCAP;
  if ((e = tells_case_file_begin(c, &f))) return die(c, "begin", e), 1;
  tells_case_sink(c, &s);
  for (i = 0; i < nflows; i++) {
    tells_flow_row r;
    int64_t t = T0_NS + (int64_t)((double)SPAN_NS * (double)i / (double)nflows) + (int64_t)below(1000000000);
    unsigned h = (unsigned)below(N_INTERNAL), p = (unsigned)below(N_EXTERNAL);
    int internal = below(10) < 3, ex = -1;
    uint64_t bo = 60 + below(4000) * (1 + below(4)), bi = 60 + below(20000);
    int dport;
    memset(&r, 0, sizeof r);
    internal_ip(src, sizeof src, h);
    if (i % 40000 == 7 && i / 40000 < EXFIL_DESTS * EXFIL_FLOWS) {   /* exfiltration */
      ex = (int)((i / 40000) % EXFIL_DESTS);
      p = 777 + (unsigned)ex * 1013; internal = 0; bo = 20000000 + below(10000000); bi = 100000;
      internal_ip(src, sizeof src, 3);
    }
    if (internal) {
      static const int ports[] = {445, 445, 3389, 135, 5985, 53, 88, 389};
      internal_ip(dst, sizeof dst, (unsigned)below(N_INTERNAL));
      dport = ports[below(8)];
    } else {
      external_ip(dst, sizeof dst, p);
      dport = below(4) ? 443 : 80;
    }
    r.first_ns = t; r.last_ns = t + (int64_t)below(60000000000LL);
    r.proto = dport == 53 ? "UDP" : "TCP"; r.app_proto = dport == 443 ? "tls" : dport == 80 ? "http" : dport == 445 ? "smb" : NULL;
    r.src_ip = src; r.dest_ip = dst; r.src_port = 40000 + (int)below(20000); r.dest_port = dport;
    r.pkts_toserver = 2 + bo / 1400; r.pkts_toclient = 2 + bi / 1400; r.bytes_toserver = bo; r.bytes_toclient = bi;
    r.state = "closed";
    iso(t1, r.first_ns); iso(t2, r.last_ns);
    snprintf(eve, sizeof eve,
             "{\"timestamp\":\"%s\",\"flow_id\":%lld,\"event_type\":\"flow\",\"src_ip\":\"%s\",\"src_port\":%d,"
             "\"dest_ip\":\"%s\",\"dest_port\":%d,\"proto\":\"%s\",\"flow\":{\"pkts_toserver\":%llu,"
             "\"pkts_toclient\":%llu,\"bytes_toserver\":%llu,\"bytes_toclient\":%llu,\"start\":\"%s\",\"end\":\"%s\","
             "\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false},\"src_geo\":{\"scope\":\"private\"},"
             "\"dest_geo\":{\"scope\":\"%s\"%s%s%s}}",
             t1, i + 1, src, r.src_port, dst, dport, r.proto, (unsigned long long)r.pkts_toserver,
             (unsigned long long)r.pkts_toclient, (unsigned long long)bo, (unsigned long long)bi, t1, t2,
             internal ? "private" : "public", internal ? "" : ",\"country\":\"", internal ? "" : country_of(p),
             internal ? "" : "\"");
    r.eve_json = eve;
    if ((e = s.flow(s.ud, &r))) return die(c, "flow", e), 1;
    /* flow ids of a fresh case are 1, 2, ... in insertion order */
    if (ex >= 0 && exfil_n[ex] < EXFIL_FLOWS) {
      exfil_sp[ex][exfil_n[ex]] = r.src_port; exfil_dp[ex][exfil_n[ex]] = dport;
      exfil_id[ex][exfil_n[ex]++] = i + 1; exfil_b[ex] += (int64_t)bo;
    }
    if (internal && dport == 445 && nlat < 16 && i > nflows / 2 && h < 50) {
      lat_sp[nlat] = r.src_port; lat_dp[nlat] = dport; lat_id[nlat++] = i + 1;
    }
  }
  for (k = 0; k < EXFIL_DESTS; k++) {
    tells_finding fi;
    size_t n = 0;
    int j;
    unsigned p = 777 + (unsigned)k * 1013;
    if (!exfil_n[k]) continue;
    external_ip(dst, sizeof dst, p);
    n += (size_t)snprintf(det + n, sizeof det - n, "{\"figures\":{\"bytes_out\":%lld,\"flows\":%d,\"dest_country\":\"%s\"},\"flows\":[",
                          (long long)exfil_b[k], exfil_n[k], country_of(p));
    for (j = 0; j < exfil_n[k] && j < 16; j++)
      n += (size_t)snprintf(det + n, sizeof det - n, "%s{\"flow_id\":%lld,\"src_port\":%d,\"dest_port\":%d}",
                            j ? "," : "", (long long)exfil_id[k][j], exfil_sp[k][j], exfil_dp[k][j]);
    snprintf(det + n, sizeof det - n, "]}");
    snprintf(summ, sizeof summ, "10.1.0.4 sent %lld bytes to %s (%s) in %d flows", (long long)exfil_b[k], dst,
             country_of(p), exfil_n[k]);
    memset(&fi, 0, sizeof fi);
    fi.source = "net"; fi.rule = "net.exfil"; fi.title = "Large outbound transfer to an external host";
    fi.severity = "medium"; fi.technique = "T1048"; fi.tactic = "exfiltration"; fi.summary = summ;
    fi.first_ns = T0_NS + SPAN_NS / 3; fi.last_ns = T0_NS + SPAN_NS / 2;
    fi.ref_offset = TELLS_NO_REF; fi.ref_record = TELLS_NO_REF; fi.details_json = det;
    if ((e = s.finding(s.ud, &fi))) return die(c, "finding", e), 1;
  }
  if (nlat) {
    tells_finding fi;
    size_t n = 0;
    int j;
    n += (size_t)snprintf(det + n, sizeof det - n, "{\"figures\":{\"hosts\":%d,\"services\":\"smb\"},\"flows\":[", nlat);
    for (j = 0; j < nlat; j++)
      n += (size_t)snprintf(det + n, sizeof det - n, "%s{\"flow_id\":%lld,\"src_port\":%d,\"dest_port\":%d}",
                            j ? "," : "", (long long)lat_id[j], lat_sp[j], lat_dp[j]);
    snprintf(det + n, sizeof det - n, "]}");
    memset(&fi, 0, sizeof fi);
    fi.source = "net"; fi.rule = "net.lateral"; fi.title = "SMB sessions to many internal hosts";
    fi.severity = "high"; fi.technique = "T1021.002"; fi.tactic = "lateral-movement";
    fi.summary = "internal hosts opened smb sessions to many internal hosts";
    fi.first_ns = T0_NS + SPAN_NS / 2; fi.last_ns = T0_NS + SPAN_NS * 2 / 3;
    fi.ref_offset = TELLS_NO_REF; fi.ref_record = TELLS_NO_REF; fi.details_json = det;
    if ((e = s.finding(s.ud, &fi))) return die(c, "finding", e), 1;
  }
  for (k = 0; k < 2000; k++) {            /* external addresses as indicators */
    external_ip(dst, sizeof dst, (unsigned)k * 9);
    if ((e = s.indicator(s.ud, "ip", dst, T0_NS, T0_NS + SPAN_NS, 1 + (uint64_t)k % 50, "flow destination", TELLS_NO_REF)))
      return die(c, "indicator", e), 1;
  }
  memset(&d, 0, sizeof d);
  d.status = "analysed"; d.sha256 = "0000000000000000000000000000000000000000000000000000000000000001";
  d.first_ns = T0_NS; d.last_ns = T0_NS + SPAN_NS; d.duplicate_of = 0;
  if ((e = tells_case_file_commit(c, &d))) return die(c, "commit", e), 1;

  /* ---- the event log: events ---- */
  f.path = "bigcase/hosts/FS01/logs/Security.evtx"; f.size = nevents * 1000; f.kind = TELLS_KIND_EVTX;
  if ((e = tells_case_file_begin(c, &f))) return die(c, "begin", e), 1;
  tells_case_sink(c, &s);
  if ((e = s.indicator(s.ud, "host", "FS01.bigcase.corp", T0_NS, T0_NS + SPAN_NS, (uint64_t)nevents,
                       "event log computer", TELLS_NO_REF)))
    return die(c, "indicator", e), 1;
  for (i = 0; i < nevents; i++) {
    tells_event ev;
    unsigned h = (unsigned)below(200);
    memset(&ev, 0, sizeof ev);
    ev.time_ns = T0_NS + (int64_t)((double)SPAN_NS * (double)i / (double)nevents);
    ev.source = "logs";
    internal_ip(src, sizeof src, h);
    switch (below(4)) {
    case 0: case 1:
      ev.kind = "logon.success";
      snprintf(summ, sizeof summ, "Successful logon type %d: BIGCASE\\user%u from %s (WS%04u)",
               below(5) ? 3 : 10, h, src, h);
      break;
    case 2:
      ev.kind = "logon.failure";
      snprintf(summ, sizeof summ, "Failed logon type 3: BIGCASE\\user%u from %s (WS%04u)", h, src, h);
      break;
    default:
      ev.kind = "process.created";
      snprintf(summ, sizeof summ, "Process C:\\Windows\\System32\\svc%u.exe: \"svc%u.exe\" -k %u (parent "
               "C:\\Windows\\System32\\services.exe)", h, h, (unsigned)below(100000));
    }
    ev.summary = summ;
    ev.ref_offset = 4096 + i * 1000; ev.ref_record = i + 1;
    if ((e = s.event(s.ud, &ev))) return die(c, "event", e), 1;
  }
  {
    tells_finding fi;
    memset(&fi, 0, sizeof fi);
    fi.source = "logs"; fi.rule = "evtx-brute-force"; fi.title = "Brute force: many failed logons";
    fi.severity = "high"; fi.technique = "T1110"; fi.tactic = "credential-access";
    fi.summary = "24 failed logons within 5 minutes for account adm.big";
    fi.first_ns = fi.last_ns = T0_NS + SPAN_NS / 4;
    fi.ref_offset = 4096; fi.ref_record = 1; fi.details_json = NULL;
    if ((e = s.finding(s.ud, &fi))) return die(c, "finding", e), 1;
    fi.rule = "evtx-new-service"; fi.title = "A service was installed"; fi.tactic = "persistence";
    fi.technique = "T1543.003"; fi.summary = "Service big installed: C:\\ProgramData\\big.exe";
    fi.first_ns = fi.last_ns = T0_NS + SPAN_NS / 5;
    if ((e = s.finding(s.ud, &fi))) return die(c, "finding", e), 1;
  }
  d.sha256 = "0000000000000000000000000000000000000000000000000000000000000002";
  if ((e = tells_case_file_commit(c, &d))) return die(c, "commit", e), 1;
  if ((e = tells_case_flush(c))) return die(c, "flush", e), 1;
  memset(&st, 0, sizeof st);
  st.files_seen = st.files_ingested = 2;
  if ((e = tells_case_run_end(c, &st))) return die(c, "run end", e), 1;
  tells_case_close(c);
  printf("mkbigcase: %s: %lld flows, %lld events\n", out, nflows, nevents);
  return 0;
}
