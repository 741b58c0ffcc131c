#!/bin/sh
# test_correlate.sh -- the correlate stage on a small case built here: one
# binary holding an address, a C2 host name and the DC's name (flagged by a
# YARA rule); event logs where that address brute-forces DC01 and the
# binary is started (Sysmon 1 with its SHA-256, Security 4688 with its
# path); a capture where a workstation beacons to the address with the host
# name as TLS SNI.  Asserted: the address, the host names and the hash
# become links with their kinds and sentence, and 127.0.0.1 and
# "localhost", in the binary and the capture too, do not; the findings they tie form
# one chain and rise one severity level (the old one kept in
# base_severity); "Flagged binary executed" is found at each event with
# its record; timeline lanes and references; a second run over the same
# evidence gives the same rows (nothing raised twice); a control case where
# the binary is not flagged raises nothing and invents no finding.
. "$(dirname "$0")/lib.sh"
EV="$T/ev"
mkdir -p "$EV/bin" "$EV/logs" "$EV/net" "$T/ctl/bin" "$T/ctl/net"
C2=185.220.101.7
SNI=update.evil-c2.example

# a minimal ELF with the indicators in its data
py '
import struct
h = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", 2, 0x3e, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)
body = (b"\0" * 64 + b"connect %s:443\0host '"$SNI"'\0beacon interval 60\0target dc01.corp.example\0"
        % b"'"$C2"'" + b"proxy 127.0.0.1:8080\0proxy host localhost\0" + b"\0" * 256)
open("'"$EV"'/bin/implant.elf", "wb").write(h + body)
open("'"$T"'/ctl/bin/other.elf", "wb").write(h + body)'
SHA=$(sha256sum "$EV/bin/implant.elf" | cut -d' ' -f1)
cat > "$T/rule.yar" <<EOF
rule corr_test_c2 { meta: author = "tells tests" strings: \$a = "$C2" condition: \$a }
EOF

# DC01: 24 failed logons from the address in two minutes, then the binary runs
py '
import json
t0 = 1416787200
def iso(t): return "%sZ" % __import__("datetime").datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S.%f")
out = []
for i in range(24):
    out.append({"channel": "Security", "provider": "Microsoft-Windows-Security-Auditing", "event_id": 4625,
                "time": iso(t0 + 5 * i), "computer": "DC01.corp.example", "data": {
                "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
                "TargetUserSid": "S-1-0-0", "TargetUserName": "adm.test", "TargetDomainName": "CORP",
                "Status": {"type": "hex32", "value": "0xc000006d"}, "FailureReason": "%%2313",
                "SubStatus": {"type": "hex32", "value": "0xc000006a"}, "LogonType": 3,
                "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM",
                "WorkstationName": "-", "IpAddress": "'"$C2"'", "IpPort": "50123"}})
out.append({"channel": "Security", "provider": "Microsoft-Windows-Security-Auditing", "event_id": 4688,
            "time": iso(t0 + 700), "computer": "DC01.corp.example", "data": {
            "SubjectUserSid": "S-1-5-18", "SubjectUserName": "adm.test", "SubjectDomainName": "CORP",
            "NewProcessId": {"type": "hex64", "value": "0x1234"}, "NewProcessName": "C:\\bin\\implant.elf",
            "CommandLine": "implant.elf -s", "ParentProcessName": "C:\\Windows\\explorer.exe"}})
open("'"$T"'/sec.jsonl", "w").write("".join(json.dumps(e) + "\n" for e in out))
sm = {"channel": "Microsoft-Windows-Sysmon/Operational", "provider": "Microsoft-Windows-Sysmon",
      "event_id": 1, "time": iso(t0 + 600), "computer": "DC01.corp.example", "version": 5, "task": 1,
      "data": {"RuleName": "-", "UtcTime": iso(t0 + 600)[:23].replace("T", " "),
               "ProcessGuid": "{11111111-2222-3333-4444-555555555555}", "ProcessId": 4242,
               "Image": "C:\\Users\\adm\\implant.elf", "CommandLine": "implant.elf",
               "CurrentDirectory": "C:\\", "User": "CORP\\adm.test",
               "Hashes": "MD5=00000000000000000000000000000001,SHA256='"$SHA"'".upper().replace("SHA256=", "SHA256="),
               "ParentImage": "C:\\Windows\\explorer.exe"}}
open("'"$T"'/sysmon.jsonl", "w").write(json.dumps(sm) + "\n")'
"$TELLS_BUILD/tools/mkevtx" -o "$EV/logs/Security.evtx" "$T/sec.jsonl" > /dev/null &&
"$TELLS_BUILD/tools/mkevtx" -o "$EV/logs/Sysmon.evtx" "$T/sysmon.jsonl" > /dev/null ||
  { notok "mkevtx writes the logs"; exit 0; }

# the capture: 10.1.2.3 beacons to the address every 60 s (+- 4 s) with the SNI
py '
lines = []
t = 1416787200 + 900
for i in range(30):
    lines.append("%.1f tls 10.1.2.3 '"$C2"' 443 '"$SNI"' 900 4200" % (t + 60 * i + (i * 7 % 9) - 4))
lines.append("%d tcp 10.1.2.3 10.1.2.9 445 5000 9000" % (1416787200 + 2900))
lines.append("%d tcp 127.0.0.1 127.0.0.1 8080 300 700" % (1416787200 + 2950))
open("'"$T"'/net.script", "w").write("\n".join(lines) + "\n")'
"$TELLS_BUILD/tools/mkbreach" "$EV/net/c.pcap" script "$T/net.script" &&
  cp "$EV/net/c.pcap" "$T/ctl/net/c.pcap" || { notok "mkbreach writes the capture"; exit 0; }

"$TELLS_BIN" investigate -q "$EV" -o "$T/c.tells" --yara "$T/rule.yar" > "$T/inv.out" 2>&1; rc=$?
check "investigate on the small case exits 0" [ "$rc" -eq 0 ]
dump() {
  py '
import sqlite3, json, sys
db = sqlite3.connect("'"$1"'")
q = lambda s: [list(r) for r in db.execute(s)]
json.dump({"links": q("SELECT l.id, i.type, i.value, l.kinds, l.evidence_count, l.severity, l.summary, l.details"
                      " FROM links l JOIN indicators i ON i.id = l.indicator_id ORDER BY l.id"),
           "lf": q("SELECT link_id, finding_id FROM link_findings ORDER BY 1, 2"),
           "f": q("SELECT id, source, rule, severity, base_severity, chain, technique, tactic, ref_record,"
                  " first_ns, summary FROM findings ORDER BY id")}, open("'"$2"'", "w"), indent=0)'
}
dump "$T/c.tells" "$T/one.json"

check "links: the address, the host name and the hash, each with its kinds and sentence" py '
import json, sys
d = json.load(open("'"$T"'/one.json"))
L = {r[2]: r for r in d["links"]}
ip, host, h = L.get("'"$C2"'"), L.get("'"$SNI"'"), L.get("'"$SHA"'")
bad = []
if not ip or ip[3] != "code,logs,net": bad.append(("ip", ip))
elif not all(s in ip[6] for s in ("in the strings of implant.elf", "the destination of 30 flows from 10.1.2.3",
                                  "the source of 24 logons (24 failed) on DC01")): bad.append(("ip text", ip[6]))
if not host or host[3] != "code,net" or "TLS server name of 30 connections" not in host[6]: bad.append(("host", host))
if not h or h[3] != "code,logs" or "process start on DC01" not in h[6]: bad.append(("hash", h))
dc = L.get("dc01.corp.example") or L.get("DC01.corp.example")
if not dc or dc[3] != "code,logs" or "the computer name of 2 event logs" not in dc[6]: bad.append(("computer", dc))
if "10.1.2.9" in L: bad.append("an address of the flows only became a link")
# in the binary and in the flows, but every machine has its own loopback
if "127.0.0.1" in L or "localhost" in L: bad.append("a machine-local value became a link")
print("    ", bad or [r[6] for r in d["links"]])
sys.exit(1 if bad else 0)'

check "chain: the findings of the three kinds are one chain and rose one level" py '
import json, sys
d = json.load(open("'"$T"'/one.json"))
F = {r[2].split(":")[0]: r for r in d["f"]}
want = {"yara": ("high", "medium"), "evtx-brute-force": ("critical", "high"),
        "net.beacon": ("critical", "high"), "correlate.execution": ("critical", "high")}
# (of the two execution findings F keeps one; both are asserted below)
bad = []
chains = set()
for rule, (sev, base) in want.items():
    f = F.get(rule)
    if not f: bad.append("missing " + rule); continue
    if (f[3], f[4]) != (sev, base): bad.append((rule, f[3], f[4]))
    chains.add(f[5])
if len(chains) != 1 or None in chains: bad.append(("chains", chains))
ids = {r[0] for r in d["links"]}
if chains and min(ids) not in chains: bad.append("the chain is not named by its first link")
lf = {(a, b) for a, b in d["lf"]}
fid = {r[2].split(":")[0]: r[0] for r in d["f"]}
ip = [r[0] for r in d["links"] if r[2] == "'"$C2"'"][0]
for rule in ("yara", "evtx-brute-force", "net.beacon"):
    if (ip, fid.get(rule)) not in lf: bad.append("not tied to the address: " + rule)
print("    ", bad or "ok")
sys.exit(1 if bad else 0)'

check "execution: the flagged binary started (Sysmon hash, 4688 image path), at the event, with its record" py '
import json, sys
d = json.load(open("'"$T"'/one.json"))
x = [r for r in d["f"] if r[2] == "correlate.execution"]
h = [r for r in x if "its hash" in r[10]]
p = [r for r in x if "its image path" in r[10]]
ok = (len(x) == 2 and len(h) == 1 and len(p) == 1 and all(r[6] == "T1204.002" and r[7] == "execution"
      and r[8] is not None and "implant.elf ran on DC01" in r[10] for r in x)
      and h[0][9] == (1416787200 + 600) * 10**9 and p[0][9] == (1416787200 + 700) * 10**9)
print("    ", x)
sys.exit(0 if ok else 1)'

"$TELLS_BIN" show "$T/c.tells" timeline --jsonl > "$T/tl.jsonl"
"$TELLS_BIN" show "$T/c.tells" findings --jsonl > "$T/fd.jsonl"
check "timeline: tactic lanes, evidence references; findings view carries the chain" py '
import json, sys
tl = [json.loads(l) for l in open("'"$T"'/tl.jsonl")]
fd = [json.loads(l) for l in open("'"$T"'/fd.jsonl")]
lanes = {r["what"]: r["lane"] for r in tl if r["type"] == "finding"}
ex = [r for r in tl if r["type"] == "finding" and r["lane"] == "execution"]
bc = [r for r in tl if r["type"] == "finding" and r["lane"] == "command-and-control"]
ok = (ex and ex[0]["record"] is not None and ex[0]["evidence"].endswith("Sysmon.evtx")
      and bc and bc[0]["eve_flow_id"] is not None and "credential-access" in lanes.values()
      and all("chain" in r for r in fd) and any(r["chain"] for r in fd)
      and all("lane" in r and "evidence" in r for r in tl))
print("    ", sorted(set(lanes.values())))
sys.exit(0 if ok else 1)'

"$TELLS_BIN" investigate -q "$EV" -o "$T/c.tells" --yara "$T/rule.yar" > /dev/null 2>&1
dump "$T/c.tells" "$T/two.json"
check "a second run over the same evidence gives the same links, chains and severities" cmp -s "$T/one.json" "$T/two.json"

# control: the same binary and capture without the YARA rule: the address
# links code and net, but its chain holds net findings only (the binary is
# not flagged), so nothing rises and no stage finding appears
"$TELLS_BIN" investigate -q "$T/ctl" -o "$T/ctl.tells" > /dev/null 2>&1
dump "$T/ctl.tells" "$T/ctl.json"
check "control: without a finding of a second kind nothing rises and nothing is invented" py '
import json, sys
d = json.load(open("'"$T"'/ctl.json"))
raised = [r for r in d["f"] if r[4] is not None]
corr = [r for r in d["f"] if r[1] == "correlate"]
links = {r[2]: r[3] for r in d["links"]}
print("    ", links, raised, corr)
sys.exit(0 if not raised and not corr and links.get("'"$C2"'") == "code,net" else 1)'
