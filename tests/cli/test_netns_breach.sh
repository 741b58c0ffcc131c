#!/bin/sh
# test_netns_breach.sh -- detections on real traffic: scenarios/realtraffic.sh
# runs real clients and servers (curl, python http.server/ssl, openssl
# s_server, smbd/smbclient, dnsmasq, dig) in network namespaces it creates,
# captures them with tcpdump and dilates time x30 (beacons every 2 s become
# 60 s; the bytes are untouched).  Each breach stage of its truth.json --
# dropper download, HTTPS beaconing with jitter, SMB fan-out to 20 hosts, a
# 128 MB upload to a foreign address, a DNS tunnel -- must be one alert of
# `tells net` with the right hosts and figures, and one finding of `tells
# investigate`; ordinary browsing, lookups and file-share use raise nothing.
# Needs root and `ip netns`; skipped otherwise.  pcap_timescale.py is checked
# on its own first.
. "$(dirname "$0")/lib.sh"
TS="$TELLS_SRC/tests/tools/pcap_timescale.py"

# ---- pcap_timescale.py: time scaled, bytes untouched, bad input refused -------------
py '
import struct,sys
def pcap(path, endian, magic, units, recs):
    with open(path,"wb") as f:
        f.write(struct.pack(endian+"IHHiIII", magic, 2, 4, 0, 0, 65535, 1))
        for t, data in recs:
            f.write(struct.pack(endian+"IIII", t // units, t % units, len(data), len(data)+4) + data)
for name, e, m, u in (("us", "<", 0xA1B2C3D4, 10**6), ("nsbe", ">", 0xA1B23C4D, 10**9)):
    pcap("'"$T"'/ts-%s.pcap" % name, e, m, u, [(1000*u + u//10, b"abc"), (1002*u, b"\x00"*60), (1003*u + 7, b"z")])
' && for n in us nsbe; do python3 "$TS" "$T/ts-$n.pcap" "$T/ts-$n.out" 30 --start 2000 2>/dev/null || echo fail; done > "$T/ts.err"
check "pcap_timescale: times stretched from the origin, bytes and lengths untouched, both formats" py '
import struct
for name, e, u in (("us", "<", 10**6), ("nsbe", ">", 10**9)):
    a = open("'"$T"'/ts-%s.pcap" % name, "rb").read(); b = open("'"$T"'/ts-%s.out" % name, "rb").read()
    assert len(a) == len(b) and a[:24] == b[:24], name
    off, times = 24, []
    while off < len(b):
        s, f, cl, ol = struct.unpack(e + "IIII", b[off:off+16])
        assert a[off+8:off+16+cl] == b[off+8:off+16+cl], name      # lengths and packet bytes
        times.append(s * u + f); off += 16 + cl
    want = [2000*u, 2000*u + round((1.9*u)*30), 2000*u + round((2.9*u + 7)*30)]
    assert times == want, (name, times, want)
'
printf 'not a capture at all\n' > "$T/bad.pcap"
head -c 40 "$T/ts-us.pcap" > "$T/trunc.pcap"
python3 "$TS" "$T/bad.pcap" "$T/o1" 30 2> "$T/e1"; r1=$?
python3 "$TS" "$T/trunc.pcap" "$T/o2" 30 2> "$T/e2"; r2=$?
python3 "$TS" "$T/ts-us.pcap" "$T/o3" -1 2> "$T/e3"; r3=$?
check "pcap_timescale: not a pcap, a truncated record, a bad factor: one-line errors naming the file" sh -c \
  "[ $r1 = 1 ] && [ $r2 = 1 ] && [ $r3 = 1 ] && grep -q bad.pcap '$T/e1' && grep -q 'trunc.pcap.*truncated' '$T/e2' && [ \$(wc -l < '$T/e1') = 1 ]"

# ---- the lab ----------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then skip "real-traffic breach capture" "needs root for network namespaces"; exit 0; fi
LABP="tt$$"
REALTRAFFIC_LAB=$LABP REALTRAFFIC_VERBOSE=1 sh "$TELLS_SRC/scenarios/realtraffic.sh" "$T/rt" > "$T/rt.log" 2>&1; rc=$?
if [ $rc = 77 ]; then skip "real-traffic breach capture" "$(tail -1 "$T/rt.log")"; exit 0; fi
check "the lab's clients and servers produce the captures and truth.json" sh -c \
  "[ $rc = 0 ] && [ -s '$T/rt/breach.pcap' ] && [ -s '$T/rt/benign.pcap' ] && [ -s '$T/rt/truth.json' ]" ||
  { sed 's/^/    /' "$T/rt.log"; exit 0; }
sed -n 's/^realtraffic: *\([0-9.]* s\)/    lab: \1/p' "$T/rt.log" | tail -3
check "the lab's namespaces are removed when it ends" sh -c "! ip netns list | grep -q '^$LABP'"

"$TELLS_BIN" net "$T/rt/breach.pcap" --jsonl > "$T/breach.jsonl"; rc=$?
check "tells net reads the real breach capture" [ "$rc" -eq 0 ]
check "every breach stage of truth.json is one alert with its hosts and figures" py '
import json, os, sys
truth = json.load(open("'"$T"'/rt/truth.json"))
recs = [json.loads(l) for l in open("'"$T"'/breach.jsonl")]
al = {}
for r in recs:
    if r["event_type"] == "alert": al.setdefault(r["tells"]["rule"], []).append(r)
geo = os.path.exists("/usr/share/tor/geoip")
bad = []
def need(c, what):
    if not c: bad.append(what)
for st in truth["stages"]:
    name = st["stage"]
    if name == "initial-access":
        h = [r for r in recs if r["event_type"] == "http" and r["http"].get("url") == st["url"]]
        need(h and h[0]["src_ip"] == st["src"] and h[0]["dest_ip"] == st["dst"] and
             h[0]["http"]["hostname"] == st["host"] and h[0]["http"].get("status") == 200 and
             h[0]["http"].get("length") == st["bytes"], "http record of the download")
        a = al.get("net.http_exe", [])
        f = a[0]["tells"]["details"]["figures"] if a else {}
        need(len(a) == 1 and a[0]["src_ip"] == st["src"] and a[0]["dest_ip"] == st["dst"] and
             f.get("sha256") == st["sha256"] and f.get("size") == st["bytes"] and
             a[0]["alert"]["metadata"]["mitre_technique_id"] == [st["technique"]], "net.http_exe %r" % f)
        continue
    a = al.get(st["rule"], [])
    if len(a) != 1:
        bad.append("%s: %d alerts" % (st["rule"], len(a))); continue
    a = a[0]; f = a["tells"]["details"]["figures"]
    need(a["src_ip"] == st["src"] and ("dst" not in st or a["dest_ip"] == st["dst"]) and
         a["alert"]["metadata"]["mitre_technique_id"] == [st["technique"]], "%s hosts/technique" % st["rule"])
    if name == "command-and-control":
        need(f["connections"] == st["connections"] and abs(f["period_s"] - st["period_s"]) < 0.1 * st["period_s"]
             and 0 < f["jitter_s"] < 0.2 * f["period_s"] and (not geo or f.get("dest_country") == "TH"),
             "beacon figures %r vs %r" % (f, st))
    elif name == "lateral-movement":
        need(f["hosts"] == st["hosts"] and f["services"] == "smb", "lateral figures %r" % f)
    elif name == "exfiltration":
        need(f["bytes_out"] >= st["bytes"] and f["bytes_out"] < 1.2 * st["bytes"] and
             (not geo or f.get("dest_country") == "IT"), "exfil figures %r" % f)
    elif name == "dns-tunnel":
        need(f["domain"] == st["domain"] and f["unique_names"] >= st["queries"], "dns tunnel figures %r" % f)
want = set(s.get("rule", "net.http_exe") for s in truth["stages"])
need(set(al) == want, "alerts %s, expected %s" % (sorted(al), sorted(want)))
print("   ", sorted(al), bad)
sys.exit(1 if bad else 0)'
check "the real SMB, TLS, DNS and HTTP sessions are parsed" py '
import json, collections, sys
c = collections.Counter(json.loads(l)["event_type"] for l in open("'"$T"'/breach.jsonl"))
f = [json.loads(l) for l in open("'"$T"'/breach.jsonl") if "\"event_type\":\"flow\"" in l]
smb = [r for r in f if r.get("dest_port") == 445]
tls = [r for r in f if r.get("app_proto") == "tls"]
print("   ", dict(c))
sys.exit(0 if len(smb) == 20 and len(tls) == 11 and c["dns"] >= 300 and c["http"] >= 1 else 1)'

"$TELLS_BIN" net "$T/rt/benign.pcap" --jsonl > "$T/benign.jsonl"; rc=$?
check "ordinary browsing, lookups, a download, an upload and file-share use raise no alert" py '
import json, collections, sys
recs = [json.loads(l) for l in open("'"$T"'/benign.jsonl")]
c = collections.Counter(r["event_type"] for r in recs)
ports = collections.Counter(r.get("dest_port") for r in recs if r["event_type"] == "flow")
print("   ", dict(c), dict(ports))
sys.exit(0 if '"$rc"' == 0 and c["alert"] == 0 and c["http"] >= 6 and c["tls"] >= 3 and c["dns"] >= 8
         and ports[445] >= 2 else 1)'

"$TELLS_BIN" investigate -q -o "$T/case.tells" "$T/rt/breach.pcap" "$T/rt/benign.pcap" > "$T/inv.log" 2>&1
"$TELLS_BIN" show "$T/case.tells" findings --jsonl > "$T/findings.jsonl" 2>> "$T/inv.log"
check "investigate stores each real-traffic stage as a finding of the breach capture only" py '
import json, sys
truth = json.load(open("'"$T"'/rt/truth.json"))
f = [json.loads(l) for l in open("'"$T"'/findings.jsonl")]
net = [x for x in f if x.get("source") == "net"]
t = sorted(x.get("technique") for x in net)
want = sorted(s["technique"] for s in truth["stages"])
ev = [str(x.get("evidence", "")) for x in net]
print("   ", t)
sys.exit(0 if t == want and all("breach" in e and "benign" not in e for e in ev) else 1)'
