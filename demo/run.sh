#!/bin/sh
# run.sh -- builds the small Crestline Pictures scenario and investigates it.
#
#   demo/run.sh BUILD_DIR
#
# scenarios/gen.py writes a fictional studio breach modelled on Sony
# Pictures (2014) from sources in the repository -- Korean-language dropper,
# implant and wiper stand-ins built with mingw-w64, event logs of 16 hosts,
# two days of captures -- with its ground truth (truth.json).  Then `tells
# investigate` runs on it, a short summary of what tells found is printed
# (the answers, findings by technique, hosts, top external destinations by
# bytes, and the score against the ground truth), and `tells report` writes
# the HTML report.  Nothing is fetched.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
TELLS="$BUILD/tells"
OUT=${DEMO_OUT:-$SRC/demo-case}
CASE="$OUT/case.tells"

echo "== scenarios/gen.py $OUT --size small"
python3 "$SRC/scenarios/gen.py" "$OUT" --size small --seed 2014 --build "$BUILD"
rm -f "$CASE"
echo
echo "== tells investigate $OUT/evidence -o $CASE"
"$TELLS" investigate "$OUT/evidence" -o "$CASE"
"$TELLS" show "$CASE" findings --jsonl > "$OUT/findings.jsonl"
"$TELLS" show "$CASE" flows --jsonl > "$OUT/flows.jsonl"
"$TELLS" show "$CASE" answers --jsonl > "$OUT/answers.jsonl"
echo
python3 - "$OUT" <<'PY'
import json, sys, textwrap
ans = [json.loads(l) for l in open(sys.argv[1] + "/answers.jsonl")]
print("== the answers (tells show CASE answers; each row cites its evidence)")
for q in ("what", "hosts", "entry", "movement", "exfil", "destruction", "attribution"):
    rows = [a for a in ans if a["question"] == q]
    if not rows:
        continue
    top = rows[0]
    print("  %s" % top["title"])
    print(textwrap.fill(top["answer"], 96, initial_indent="    ", subsequent_indent="    ",
                        max_lines=4, placeholder=" ..."))
    if q == "attribution":
        for a in rows[1:]:
            first = a["answer"].split(". ")[0]
            if a["confidence"] is not None and "confidence" not in first:
                first += " (confidence %.2f)" % a["confidence"]
            print(textwrap.fill("- " + first, 96,
                                initial_indent="    ", subsequent_indent="      ", max_lines=2,
                                placeholder=" ..."))
PY
echo
python3 - "$OUT" <<'PY'
import collections, json, re, sys
out = sys.argv[1]
truth = json.load(open(out + "/truth.json"))
ip_host = {h["ip"]: h["name"] for h in truth["hosts"]}
find = [json.loads(l) for l in open(out + "/findings.jsonl")]
print("== findings by technique (%d findings)" % len(find))
by = collections.Counter((f["technique"] or "-", f["source"], re.sub(r"^TELLS NET ", "", f["title"])) for f in find)
for (tech, src, title), n in sorted(by.items()):
    print("  %-10s %-5s %3d  %s" % (tech, src, n, title))
hosts = collections.Counter()
for f in find:
    m = re.search(r"/hosts/([^/]+)/", f["evidence"] or "")
    h = m.group(1) if m else None
    if f["source"] == "net":
        h = ip_host.get((f["summary"] or "").split(" ", 1)[0], h)
    if h:
        hosts[h] += 1
print("\n== hosts named by findings (%d of %d)" % (len(hosts), len(truth["hosts"])))
print("  " + ", ".join("%s (%d)" % (h, n) for h, n in sorted(hosts.items())))
dest = collections.defaultdict(lambda: [0, 0, 0, "??"])
for l in open(out + "/flows.jsonl"):
    r = json.loads(l)
    geo = r["eve"].get("dest_geo") or {}
    if geo.get("scope") != "public":
        continue
    d = dest[r["dest_ip"]]
    d[0] += r["bytes_toserver"]; d[1] += r["bytes_toclient"]; d[2] += 1; d[3] = geo.get("country", "??")
print("\n== top external destinations by bytes sent")
print("  %-16s %-7s %12s %12s %6s" % ("address", "country", "bytes out", "bytes in", "flows"))
for ip, (o, i, n, cc) in sorted(dest.items(), key=lambda x: -x[1][0])[:6]:
    print("  %-16s %-7s %12d %12d %6d" % (ip, cc, o, i, n))
PY
echo
echo "== compared with the ground truth ($OUT/truth.json)"
python3 "$SRC/scenarios/score.py" "$TELLS" "$CASE" "$OUT"
"$TELLS" report "$CASE" -o "$OUT/report.html" >/dev/null
echo
echo "report: $OUT/report.html"
