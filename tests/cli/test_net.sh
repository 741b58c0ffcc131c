#!/bin/sh
# test_net.sh -- `tells net --jsonl`: EVE flow records with Suricata's field
# names, and a capture split in two files read as one continuous capture.
. "$(dirname "$0")/lib.sh"
MK="$TELLS_BUILD/tools/mkpcap"
head -c 30000 /dev/urandom > "$T/payload.bin"   # 21 segments: 39 packets in all
"$MK" "$T/dl.pcap" http-download "$T/payload.bin" 1416819600
"$TELLS_BIN" net "$T/dl.pcap" --jsonl > "$T/one.jsonl"; rc=$?
check "net exits 0" [ "$rc" -eq 0 ]
check "one EVE flow record with the expected fields and figures, and its http record" py '
import json,sys
a=[json.loads(l) for l in open("'"$T"'/one.jsonl")]
r=[x for x in a if x["event_type"]=="flow"]
f=r[0]
h=[x for x in a if x["event_type"]=="http"]
ok0=(len(h)==1 and h[0]["http"]["http_method"]=="GET" and h[0]["http"]["status"]==200)
ok=(len(r)==1 and f["event_type"]=="flow" and f["src_ip"]=="10.1.2.3" and f["dest_ip"]=="203.0.113.80"
    and f["src_port"]==49152 and f["dest_port"]==80 and f["proto"]=="TCP"
    and f["flow"]["pkts_toserver"]+f["flow"]["pkts_toclient"]==39
    and f["flow"]["bytes_toclient"]>30000 and f["flow"]["state"]=="closed"
    and f["timestamp"].startswith("2014-11-24T09:00:00") and f["tcp"]["syn"] and f["tcp"]["fin"] and ok0)
print("   ",f["flow"])
sys.exit(0 if ok else 1)'

# split the capture in two files: the flow must still come out as one
mkdir -p "$T/split"
py '
import struct
d=open("'"$T"'/dl.pcap","rb").read()
hdr,body=d[:24],d[24:]
recs=[];o=0
while o<len(body):
    n=struct.unpack("<I",body[o+8:o+12])[0]; recs.append(body[o:o+16+n]); o+=16+n
h=len(recs)//2
open("'"$T"'/split/part1.pcap","wb").write(hdr+b"".join(recs[:h]))
open("'"$T"'/split/part2.pcap","wb").write(hdr+b"".join(recs[h:]))
print("    %d packets split %d + %d" % (len(recs), h, len(recs)-h))'
"$TELLS_BIN" net "$T/split" --jsonl > "$T/split.jsonl"
check "a flow crossing two capture files is one record with every packet" py '
import json,sys
a=[x for x in map(json.loads,open("'"$T"'/one.jsonl")) if x["event_type"]=="flow"][0]["flow"]
r=[x for x in map(json.loads,open("'"$T"'/split.jsonl")) if x["event_type"]=="flow"]
b=r[0]["flow"]
sys.exit(0 if len(r)==1 and (a["pkts_toserver"],a["pkts_toclient"],a["bytes_toserver"],a["bytes_toclient"])==(b["pkts_toserver"],b["pkts_toclient"],b["bytes_toserver"],b["bytes_toclient"]) else 1)'

"$TELLS_BIN" net "$T/split" --jsonl --max-flows 1 > /dev/null; rc=$?
check "--max-flows accepted" [ "$rc" -eq 0 ]
"$TELLS_BIN" net "$T/split" > /dev/null 2>&1; rc=$?
check "net without --jsonl is a usage error" [ "$rc" -eq 2 ]

"$TELLS_BIN" investigate "$T/dl.pcap" -o "$T/c.tells" > /dev/null
check "investigate stores the flow in the case" \
  [ "$(sqlite3 "$T/c.tells" "select src_ip||' '||dest_ip||' '||dest_port||' '||state from flows")" = "10.1.2.3 203.0.113.80 80 closed" ]
check "evidence time span is the capture's" \
  [ "$(sqlite3 "$T/c.tells" "select first_ns/1000000000 from evidence")" = 1416819600 ]

if [ -d "$CORPORA/pcap" ]; then
  "$TELLS_BIN" net "$CORPORA/pcap" --jsonl > "$T/all.jsonl" 2> "$T/all.err"; rc=$?
  n=$(wc -l < "$T/all.jsonl")
  echo "    corpora captures: $n flow records, $(wc -l < "$T/all.err") notes"
  check "every corpora capture read without a crash" sh -c "[ $rc -le 1 ] && [ $n -gt 1000 ]"
  check "every corpora record is valid JSON" py '
import json
for l in open("'"$T"'/all.jsonl"): json.loads(l)'
else
  skip "corpora captures" "corpora folder $CORPORA is absent"
fi
check "show flows lists the flow with its EVE record" py '
import json,subprocess,sys
out=subprocess.run(["'"$TELLS_BIN"'","show","'"$T"'/c.tells","flows","--jsonl"],capture_output=True,text=True).stdout
r=[json.loads(l) for l in out.splitlines()]
sys.exit(0 if len(r)==1 and r[0]["dest_port"]==80 and r[0]["eve"]["event_type"]=="flow" else 1)'
