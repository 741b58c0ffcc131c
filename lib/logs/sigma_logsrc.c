/*
** sigma_logsrc.c -- maps a Sigma logsource (product, category, service) to
** the Windows event channels and EventIDs that carry it, and maps the field
** names of non-Sysmon sources (Security 4688, 5156, ...) onto the Sysmon
** names the rules use.  The tables follow SigmaHQ's Windows logsource
** documentation (sigma/documentation/logsource-guides, and the "windows"
** and "windows-audit" processing pipelines of pySigma, used for semantics
** only).
**
** A rule whose logsource is unknown here still loads: it is matched against
** every event (no channel prefilter), which is slower but never misses.
*/
#include <string.h>
#include "alloc.h"
#include "sigma_int.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_OP "Microsoft-Windows-PowerShell/Operational"
#define PS_CORE "PowerShellCore/Operational"
#define PS_CLASSIC "Windows PowerShell"

typedef struct cat_map {
  const char *category;
  const char *channel;
  uint32_t eids[4];         /* 0-terminated; empty = any */
} cat_map;

/* Categories; a category may have several rows (channels). */
static const cat_map k_cats[] = {
  {"process_creation", SYSMON, {1}},
  {"process_creation", "Security", {4688}},
  {"file_change", SYSMON, {2}},
  {"network_connection", SYSMON, {3}},
  {"network_connection", "Security", {5156}},
  {"sysmon_status", SYSMON, {4, 16}},
  {"process_termination", SYSMON, {5}},
  {"process_termination", "Security", {4689}},
  {"driver_load", SYSMON, {6}},
  {"image_load", SYSMON, {7}},
  {"create_remote_thread", SYSMON, {8}},
  {"raw_access_thread", SYSMON, {9}},
  {"raw_access_read", SYSMON, {9}},
  {"process_access", SYSMON, {10}},
  {"file_event", SYSMON, {11}},
  {"file_creation", SYSMON, {11}},
  {"registry_add", SYSMON, {12}},
  {"registry_delete", SYSMON, {12}},
  {"registry_set", SYSMON, {13}},
  {"registry_rename", SYSMON, {14}},
  {"registry_event", SYSMON, {12, 13, 14}},
  {"create_stream_hash", SYSMON, {15}},
  {"pipe_created", SYSMON, {17, 18}},
  {"wmi_event", SYSMON, {19, 20, 21}},
  {"dns_query", SYSMON, {22}},
  {"dns", SYSMON, {22}},
  {"file_delete", SYSMON, {23, 26}},
  {"clipboard_capture", SYSMON, {24}},
  {"process_tampering", SYSMON, {25}},
  {"file_delete_detected", SYSMON, {26}},
  {"file_block_executable", SYSMON, {27}},
  {"file_block_shredding", SYSMON, {28}},
  {"file_executable_detected", SYSMON, {29}},
  {"sysmon_error", SYSMON, {255}},
  {"ps_module", PS_OP, {4103}},
  {"ps_module", PS_CORE, {4103}},
  {"ps_script", PS_OP, {4104}},
  {"ps_script", PS_CORE, {4104}},
  {"ps_classic_start", PS_CLASSIC, {400}},
  {"ps_classic_provider_start", PS_CLASSIC, {600}},
  {"ps_classic_script", PS_CLASSIC, {800}},
};

typedef struct svc_map { const char *service; const char *channel; } svc_map;

static const svc_map k_svcs[] = {
  {"security", "Security"},
  {"system", "System"},
  {"application", "Application"},
  {"sysmon", SYSMON},
  {"powershell", PS_OP},
  {"powershell", PS_CORE},
  {"powershell-classic", PS_CLASSIC},
  {"windefend", "Microsoft-Windows-Windows Defender/Operational"},
  {"taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"},
  {"wmi", "Microsoft-Windows-WMI-Activity/Operational"},
  {"dns-server", "DNS Server"},
  {"dns-server-analytic", "Microsoft-Windows-DNS-Server/Analytical"},
  {"dns-server-audit", "Microsoft-Windows-DNS-Server/Audit"},
  {"dns-client", "Microsoft-Windows-DNS Client Events/Operational"},
  {"driver-framework", "Microsoft-Windows-DriverFrameworks-UserMode/Operational"},
  {"ntlm", "Microsoft-Windows-NTLM/Operational"},
  {"codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"},
  {"firewall-as", "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"},
  {"bits-client", "Microsoft-Windows-Bits-Client/Operational"},
  {"applocker", "Microsoft-Windows-AppLocker/MSI and Script"},
  {"applocker", "Microsoft-Windows-AppLocker/EXE and DLL"},
  {"applocker", "Microsoft-Windows-AppLocker/Packaged app-Deployment"},
  {"applocker", "Microsoft-Windows-AppLocker/Packaged app-Execution"},
  {"msexchange-management", "MSExchange Management"},
  {"appxdeployment-server", "Microsoft-Windows-AppXDeploymentServer/Operational"},
  {"appxpackaging-om", "Microsoft-Windows-AppxPackaging/Operational"},
  {"appmodel-runtime", "Microsoft-Windows-AppModel-Runtime/Admin"},
  {"iis-configuration", "Microsoft-IIS-Configuration/Operational"},
  {"security-mitigations", "Microsoft-Windows-Security-Mitigations/Kernel Mode"},
  {"security-mitigations", "Microsoft-Windows-Security-Mitigations/User Mode"},
  {"terminalservices-localsessionmanager",
   "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"},
  {"terminalservices-remoteconnectionmanager",
   "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"},
  {"smbserver-connectivity", "Microsoft-Windows-SmbServer/Connectivity"},
  {"smbclient-security", "Microsoft-Windows-SmbClient/Security"},
  {"smbclient-connectivity", "Microsoft-Windows-SmbClient/Connectivity"},
  {"shell-core", "Microsoft-Windows-Shell-Core/Operational"},
  {"openssh", "OpenSSH/Operational"},
  {"microsoft-servicebus-client", "Microsoft-ServiceBus-Client"},
  {"servicebus-client", "Microsoft-ServiceBus-Client"},
  {"lsa-server", "Microsoft-Windows-LSA/Operational"},
  {"ldap", "Microsoft-Windows-LDAP-Client/Debug"},
  {"ldap_debug", "Microsoft-Windows-LDAP-Client/Debug"},
  {"diagnosis-scripted", "Microsoft-Windows-Diagnosis-Scripted/Operational"},
  {"certificateservicesclient-lifecycle-system",
   "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"},
  {"capi2", "Microsoft-Windows-CAPI2/Operational"},
  {"printservice-admin", "Microsoft-Windows-PrintService/Admin"},
  {"printservice-operational", "Microsoft-Windows-PrintService/Operational"},
  {"vhdmp", "Microsoft-Windows-VHDMP-Operational"},
  {"kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational"},
  {"hyper-v-worker", "Microsoft-Windows-Hyper-V-Worker"},
  {"sysmon", "Microsoft-Windows-Sysmon/Operational"},
  {"bitlocker", "Microsoft-Windows-BitLocker/BitLocker Management"},
  {"appxdeployment-server", "Microsoft-Windows-AppXDeployment-Server/Operational"},
};

/* Field names of other sources, renamed to the Sysmon names rules use. */
typedef struct alias_map {
  const char *channel; uint32_t eid; const char *from, *to;
} alias_map;

static const alias_map k_alias[] = {
  {"Security", 4688, "NewProcessName", "Image"},
  {"Security", 4688, "ParentProcessName", "ParentImage"},
  {"Security", 4688, "NewProcessId", "ProcessId"},
  {"Security", 4688, "ProcessId", "ParentProcessId"},
  {"Security", 4688, "SubjectUserName", "User"},
  {"Security", 4688, "TokenElevationType", "IntegrityLevel"},
  {"Security", 4689, "ProcessName", "Image"},
  {"Security", 5156, "Application", "Image"},
  {"Security", 5156, "SourceAddress", "SourceIp"},
  {"Security", 5156, "DestAddress", "DestinationIp"},
  {"Security", 5156, "SourcePort", "SourcePort"},
  {"Security", 5156, "DestPort", "DestinationPort"},
};

size_t tells__sigma_logsource(tells_sigma_ruleset *s, const char *product,
                              const char *category, const char *service,
                              sg_target *out, size_t max, int *known) {
  size_t n = 0, i;
  *known = 1;
  if (product && product[0] && strcmp(product, "windows") != 0) {
    /* not a Windows rule: no channel we know; match everything */
    *known = 0;
  }
  if (category && category[0]) {
    int hit = 0;
    for (i = 0; i < sizeof k_cats / sizeof k_cats[0] && n < max; i++) {
      if (strcmp(k_cats[i].category, category) != 0) continue;
      hit = 1;
      out[n].chan = tells__sigma_chan_id(s, k_cats[i].channel, strlen(k_cats[i].channel), 1);
      out[n].eids = k_cats[i].eids;
      for (out[n].n_eids = 0; out[n].n_eids < 4 && k_cats[i].eids[out[n].n_eids]; out[n].n_eids++) {}
      n++;
    }
    if (!hit) *known = 0;
    /* a service narrows a category to that channel */
    if (hit && service && service[0]) {
      size_t j, w = 0;
      for (j = 0; j < n; j++) {
        size_t k;
        int keep = 0;
        for (k = 0; k < sizeof k_svcs / sizeof k_svcs[0]; k++)
          if (!strcmp(k_svcs[k].service, service) &&
              tells__sigma_chan_id(s, k_svcs[k].channel, strlen(k_svcs[k].channel), 0) == out[j].chan)
            keep = 1;
        if (keep) out[w++] = out[j];
      }
      if (w) n = w;
    }
    if (hit) return n;
  }
  if (service && service[0]) {
    int hit = 0;
    for (i = 0; i < sizeof k_svcs / sizeof k_svcs[0] && n < max; i++) {
      size_t j;
      uint32_t ch;
      int dup = 0;
      if (strcmp(k_svcs[i].service, service) != 0) continue;
      hit = 1;
      ch = tells__sigma_chan_id(s, k_svcs[i].channel, strlen(k_svcs[i].channel), 1);
      for (j = 0; j < n; j++) if (out[j].chan == ch) dup = 1;
      if (dup) continue;
      out[n].chan = ch; out[n].n_eids = 0; out[n].eids = NULL;
      n++;
    }
    if (!hit) *known = 0;
    return n;
  }
  return 0;   /* product only (or nothing): any channel */
}

tells_err tells__sigma_aliases_init(tells_sigma_ruleset *s) {
  (void)s;
  return TELLS_OK;
}

/* Field aliases are resolved lazily: the per-event field table asks here
** for a renamed id when the event is one of the aliased channel/EventIDs. */
uint32_t tells__sigma_alias(const tells_sigma_ruleset *s, uint32_t chan,
                            uint32_t eid, uint32_t fid) {
  size_t i;
  if (chan == SG_ANY || fid == SG_ANY) return SG_ANY;
  for (i = 0; i < s->n_alias; i++)
    if (s->alias_from[i * 3] == chan && s->alias_from[i * 3 + 1] == eid &&
        s->alias_from[i * 3 + 2] == fid)
      return s->alias_to[i];
  return SG_ANY;
}

/* Called by compile: interns the alias table into ids.  Only aliases whose
** target field some rule uses are kept. */
tells_err tells__sigma_aliases_compile(tells_sigma_ruleset *s);
tells_err tells__sigma_aliases_compile(tells_sigma_ruleset *s) {
  size_t i, n = 0, cnt = sizeof k_alias / sizeof k_alias[0];
  s->alias_from = tells_malloc(cnt * 3 * sizeof *s->alias_from);
  s->alias_to = tells_malloc(cnt * sizeof *s->alias_to);
  if (!s->alias_from || !s->alias_to) return TELLS_ENOMEM;
  for (i = 0; i < cnt; i++) {
    uint32_t to = tells__sigma_field_id(s, k_alias[i].to, strlen(k_alias[i].to), 0);
    uint32_t ch = tells__sigma_chan_id(s, k_alias[i].channel, strlen(k_alias[i].channel), 0);
    uint32_t from;
    if (to == SG_ANY || ch == SG_ANY) continue;
    from = tells__sigma_field_id(s, k_alias[i].from, strlen(k_alias[i].from), 1);
    if (from == SG_ANY) return TELLS_ENOMEM;
    s->alias_from[n * 3] = ch;
    s->alias_from[n * 3 + 1] = k_alias[i].eid;
    s->alias_from[n * 3 + 2] = from;
    s->alias_to[n] = to;
    n++;
  }
  s->n_alias = n;
  return TELLS_OK;
}
