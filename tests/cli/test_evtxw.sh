#!/bin/sh
# test_evtxw.sh -- the EVTX writer through tests/tools/mkevtx: `tells logs
# --dump` of a written file equals the expected evtx_dump JSON; Debian's
# evtxexport reads a written file of thousands of records with the same
# count; bad input (mkevtx lines, a truncated or damaged EVTX, a malformed
# Sigma rule) gives one line naming the file and place while the rest runs.
. "$(dirname "$0")/lib.sh"
MK="$TELLS_BUILD/tools/mkevtx"
if [ ! -x "$MK" ]; then skip "mkevtx" "$MK not built"; exit 0; fi

cat > "$T/in.jsonl" <<'EOF'
{"channel":"Security","provider":"Microsoft-Windows-Security-Auditing","provider_guid":"{54849625-5478-4994-A5BA-3E3B0328C30D}","event_id":4624,"version":2,"task":12544,"keywords":"0x8020000000000000","time":"2024-03-01T12:00:00.1234567Z","computer":"WS01.corp.local","user_sid":"S-1-5-18","pid":612,"tid":700,"data":{"TargetUserName":"alice","LogonType":10,"IpAddress":"10.0.0.5","TargetLogonId":{"type":"hex64","value":"0x3e7"},"TargetUserSid":{"type":"sid","value":"S-1-5-21-1-2-3-500"},"Groups":["a","b"],"Delta":-5,"Ratio":1.5,"Elevated":true,"Nothing":null}}

{"channel":"System","provider":"Service Control Manager","event_id":7045,"qualifiers":16384,"level":4,"time":"2024-03-01T12:00:01Z","computer":"WS01.corp.local","record_id":100,"data":{"ServiceName":"evil","ImagePath":"C:\\x.exe \u00fcn\u00ef \ud83d\ude00"}}
{"channel":"Microsoft-Windows-TaskScheduler/Operational","provider":"Microsoft-Windows-TaskScheduler","event_id":106,"time":"2024-03-01T12:00:02Z","computer":"WS01","user_data":"TaskRegistered","data":{"TaskName":"\\evil","UserContext":"CORP\\bob"}}
EOF
"$MK" -o "$T/a.evtx" "$T/in.jsonl" 2> "$T/mk.err"; rc=$?
check "mkevtx writes a file (exit 0)" [ "$rc" -eq 0 ]
"$TELLS_BIN" logs --dump "$T/a.evtx" --jsonl > "$T/a.json" 2> "$T/a.err"
check "logs --dump of a mkevtx file equals the expected evtx_dump JSON" py '
import json,sys
got=[json.loads(l) for l in open("'"$T"'/a.json")]
ns={"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"}
def sysd(prov, eid, ver, lvl, task, kw, t, rid, pid, tid, chan, comp, sec):
    return {"Provider":{"#attributes":prov},"EventID":eid,"Version":ver,"Level":lvl,"Task":task,"Opcode":0,
            "Keywords":kw,"TimeCreated":{"#attributes":{"SystemTime":t}},"EventRecordID":rid,"Correlation":None,
            "Execution":{"#attributes":{"ProcessID":pid,"ThreadID":tid}},"Channel":chan,"Computer":comp,"Security":sec}
want=[
 {"Event":{"#attributes":ns,"System":sysd({"Name":"Microsoft-Windows-Security-Auditing","Guid":"54849625-5478-4994-A5BA-3E3B0328C30D"},
   4624,2,0,12544,"0x8020000000000000","2024-03-01T12:00:00.123456Z",1,612,700,"Security","WS01.corp.local",{"#attributes":{"UserID":"S-1-5-18"}}),
   "EventData":{"TargetUserName":"alice","LogonType":10,"IpAddress":"10.0.0.5","TargetLogonId":"0x3e7","TargetUserSid":"S-1-5-21-1-2-3-500",
   "Groups":["a","b"],"Delta":-5,"Ratio":1.5,"Elevated":True,"Nothing":None}}},
 {"Event":{"#attributes":ns,"System":dict(sysd({"Name":"Service Control Manager"},None,0,4,0,"0x0","2024-03-01T12:00:01.000000Z",100,0,0,
   "System","WS01.corp.local",None),EventID={"#attributes":{"Qualifiers":16384},"#text":7045}),
   "EventData":{"ServiceName":"evil","ImagePath":"C:\\x.exe \u00fcn\u00ef \U0001F600"}}},
 {"Event":{"#attributes":ns,"System":sysd({"Name":"Microsoft-Windows-TaskScheduler"},106,0,0,0,"0x0","2024-03-01T12:00:02.000000Z",101,0,0,
   "Microsoft-Windows-TaskScheduler/Operational","WS01",None),
   "UserData":{"TaskRegistered":{"TaskName":"\\evil","UserContext":"CORP\\bob"}}}}]
for i,(g,w) in enumerate(zip(got,want)):
    if g!=w: print("    record %d:\n    got  %s\n    want %s" % (i, json.dumps(g), json.dumps(w)))
sys.exit(0 if got==want else 1)'
check "the written file reads without anomalies" [ ! -s "$T/a.err" ]

# thousands of records over many chunks, generated with a fixed seed
py '
import json,random
r=random.Random(5)
names=["TargetUserName","LogonType","IpAddress","ProcessName","CommandLine","Image","ParentImage","Hashes"]
with open("'"$T"'/many.jsonl","w") as f:
    for i in range(6000):
        d={n: (r.randint(0,1<<31) if n=="LogonType" else "".join(r.choice("abcdef \u00e9\u4e2d") for _ in range(r.randint(0,120))))
           for n in r.sample(names, r.randint(0,len(names)))}
        f.write(json.dumps({"channel":r.choice(["Security","System","Microsoft-Windows-Sysmon/Operational"]),
            "provider":r.choice(["Microsoft-Windows-Security-Auditing","Microsoft-Windows-Sysmon"]),
            "event_id":r.choice([1,3,4624,4625,4688,7045]),"time":"2024-03-%02dT%02d:%02d:%02d.%07dZ"%(1+i//4000,i//200%24,i//60%60,i%60,r.randint(0,9999999)),
            "computer":r.choice(["WS01","DC01.corp.local"]),"user_sid":r.choice(["S-1-5-18","S-1-5-21-11-22-33-1104",None]) or "S-1-5-19",
            "data":d})+"\n")'
"$MK" -o "$T/many.evtx" "$T/many.jsonl"; rc=$?
check "mkevtx writes 6000 records (exit 0)" [ "$rc" -eq 0 ]
n=$("$TELLS_BIN" logs --count "$T/many.evtx" --jsonl --quiet | py 'import json,sys; print(sum(json.loads(l)["records"] for l in sys.stdin))')
chunks=$(( ($(stat -c %s "$T/many.evtx") - 4096) / 65536 ))
echo "    6000 records in $chunks chunks; tells reads $n"
check "tells reads the 6000 records back over $chunks chunks" sh -c "[ '$n' -eq 6000 ] && [ $chunks -ge 10 ]"
if command -v evtxexport >/dev/null 2>&1; then
  k=$(evtxexport "$T/many.evtx" 2>&1 | grep -c '^Event number')
  u=$(evtxexport "$T/many.evtx" 2>&1 | grep -c 'nable to')
  echo "    evtxexport: $k records, $u errors"
  check "evtxexport reads the written file with the same record count" sh -c "[ $k -eq 6000 ] && [ $u -eq 0 ]"
  k=$(evtxexport "$T/a.evtx" 2>&1 | grep -c '^Event number')
  check "evtxexport reads every value type of the small file" [ "$k" -eq 3 ]
else
  skip "evtxexport reads the written file with the same record count" "evtxexport is not installed"
fi

# bad mkevtx input: one line naming the file and line, nothing written
printf '%s\n%s\n' '{"channel":"S","provider":"P","event_id":1,"time":"2024-01-01T00:00:00Z"}' '{"channel":"S", "provider":' > "$T/bad.jsonl"
"$MK" -o "$T/bad.evtx" "$T/bad.jsonl" 2> "$T/bad.err"; rc=$?
sed 's/^/    /' "$T/bad.err"
check "mkevtx: malformed JSON is one line naming file and line, exit 1" \
  sh -c "[ $rc -eq 1 ] && [ \$(wc -l < '$T/bad.err') -eq 1 ] && grep -q 'bad.jsonl:2: column' '$T/bad.err' && [ ! -e '$T/bad.evtx' ]"
printf '%s\n' '{"channel":"S","provider":"P","event_id":1,"time":"2024-01-01T00:00:00+02:00"}' > "$T/bad2.jsonl"
"$MK" -o "$T/bad2.evtx" "$T/bad2.jsonl" 2> "$T/bad2.err"; rc=$?
check "mkevtx: a non-UTC time is refused with its line" sh -c "[ $rc -eq 1 ] && grep -q 'bad2.jsonl:1: time must be UTC' '$T/bad2.err'"

# a truncated file: anomaly lines name the file and offset, the records
# before the cut are still dumped
# cut 10 bytes into the third record (the third "**\0\0" signature)
cut=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); i=-1
for _ in range(3): i=d.index(b"**\0\0", i+1)
print(i+10)' "$T/a.evtx")
head -c "$cut" "$T/a.evtx" > "$T/trunc.evtx"
"$TELLS_BIN" logs --dump "$T/trunc.evtx" --jsonl > "$T/trunc.json" 2> "$T/trunc.err"; rc=$?
sed 's/^/    /' "$T/trunc.err"
check "truncated EVTX: the two records before the cut are dumped" [ "$(wc -l < "$T/trunc.json")" -eq 2 ]
check "truncated EVTX: anomaly line names the file, offset and code" \
  grep -q "trunc.evtx: offset 4096: chunk 0 truncated.*(evtx.chunk_trunc)" "$T/trunc.err"

# a malformed Sigma rule next to a good one: one line naming the rule file
# and its line; the good rule still fires
mkdir -p "$T/rules"
cat > "$T/rules/good.yml" <<'EOF'
title: Service named evil installed
id: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0
author: tells tests
status: test
level: high
tags: [attack.persistence, attack.t1543.003]
logsource: {product: windows, service: system}
detection:
  sel:
    EventID: 7045
    ServiceName: evil
  condition: sel
EOF
printf 'title: broken\nid: 1\ndetection:\n  sel: [a, b\n  condition: sel\n' > "$T/rules/bad.yml"
"$TELLS_BIN" logs "$T/a.evtx" --rules "$T/rules" --jsonl > "$T/det.jsonl" 2> "$T/det.err"; rc=$?
sed 's/^/    /' "$T/det.err"
check "malformed Sigma YAML: an error naming the file and line" grep -q "bad.yml:5: Sigma rule rejected: YAML error" "$T/det.err"
check "malformed Sigma YAML: the good rule still fires on the written log" \
  grep -q '"rule_id":"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".*"record_id":100' "$T/det.jsonl"
