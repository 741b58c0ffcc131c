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
