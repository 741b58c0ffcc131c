#!/bin/sh
# test_report_render.sh -- the report of the scenario case (scenarios/gen.py,
# small, fixed seed) rendered in headless Chromium.  The charts are checked
# against the case itself (read with python3's sqlite3, never constants):
# the timeline's marks (one per tactic lane and time bucket, their counts
# summing to the findings and events in the span; events in the lanes
# `tells show CASE timeline` gives them), the exfiltration bars
# (destinations, bytes and buckets from the flows the exfiltration findings
# refer to), the country bars (distinct external peers per GeoIP country)
# and the graph's attack edges (the flows of the lateral-movement
# findings).  Then each section is rendered alone and screenshot, and the
# PNGs (decoded with the python3 standard library) must not be blank and
# must show the chart's colours.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  skip "report rendering" "chromium is not installed (scripts/install-deps.sh installs it)"; exit 0
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 ||
   ! command -v x86_64-w64-mingw32-windres >/dev/null 2>&1; then
  skip "report rendering" "mingw-w64 not installed (the scenario builds its binaries with it)"; exit 0
fi
python3 "$TELLS_SRC/scenarios/gen.py" "$T/s" --seed 4242 --size small --build "$TELLS_BUILD" > "$T/gen.log" 2>&1 ||
  { notok "gen.py writes the scenario" "$(tail -3 "$T/gen.log")"; exit 0; }
"$TELLS_BIN" investigate -q "$T/s/evidence" -o "$T/c.tells" > /dev/null 2>&1
"$TELLS_BIN" report "$T/c.tells" -o "$T/r.html" > /dev/null 2>&1; rc=$?
check "report of the scenario exits 0" [ "$rc" -eq 0 ]
run_chrome() {
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$T/profile" "$@" 2>/dev/null
}
run_chrome --virtual-time-budget=2000 --dump-dom "file://$T/r.html" > "$T/dom.html"
check "Chromium rendered the report" grep -q 'id="chart-graph"' "$T/dom.html"

# ---- marks against the case ----
cat > "$T/marks.py" <<'EOF'
import json, re, sqlite3, sys
dom, case, which = sys.argv[1], sys.argv[2], sys.argv[3]
d = open(dom).read()
db = sqlite3.connect(case)
db.text_factory = lambda b: b.decode("utf-8", "replace")

def svg(id_):
    m = re.search(r'<svg[^>]*id="%s"[^>]*>.*?</svg>' % id_, d, re.S)
    if not m: sys.exit("no svg " + id_)
    return m.group(0)
def attrs(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
def marks(s, cls):
    return [attrs(t) for t in re.findall(r'<(?:circle|rect|line)[^>]*class="mk %s[^"]*"[^>]*>' % cls, s)]
def fail(*a):
    print("    " + " ".join(str(x) for x in a)); sys.exit(1)

if which == "timeline":
    s = svg("chart-timeline"); a = attrs(s[:s.index(">")])
    t0, t1, w = int(a["data-t0"]), int(a["data-t1"]), int(a["data-bucket-ns"])
    f = marks(s, "mk-f"); e = marks(s, "mk-e")
    rows = db.execute("SELECT coalesce(nullif(tactic, ''), 'other'), first_ns FROM findings"
                      " WHERE first_ns BETWEEN ? AND ?", (t0, t1)).fetchall()
    want = {}
    for lane, t in rows: want[(lane, (t - t0) // w)] = want.get((lane, (t - t0) // w), 0) + 1
    got = {}
    for m in f:
        cx = float(m["cx"]); got[m["data-lane"]] = got.get(m["data-lane"], 0) + int(m["data-n"])
    per_lane = {}
    for (lane, b), n in want.items(): per_lane[lane] = per_lane.get(lane, 0) + n
    # events: their lanes as `tells show CASE timeline` gives them; those with
    # a lane are squares in it, the others bars of the strip below
    import subprocess
    tl = [json.loads(l) for l in subprocess.run([sys.argv[4], "show", case, "timeline", "--jsonl"],
          stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()]
    evs = db.execute("SELECT time_ns, kind FROM events WHERE time_ns BETWEEN ? AND ?", (t0, t1)).fetchall()
    lane_of_kind = {}
    for x in tl:
        if x["type"] == "event": lane_of_kind[x["what"]] = x["lane"]
    lw, ew = {}, {}
    for t, kind in evs:
        ln = lane_of_kind.get(kind, "")
        if ln: lw[(ln, (t - t0) // w)] = lw.get((ln, (t - t0) // w), 0) + 1
        else: ew[(t - t0) // w] = ew.get((t - t0) // w, 0) + 1
    ev = sorted(ew.items())
    l = marks(s, "mk-l")
    lgot = {}
    for m in l: lgot[m["data-lane"]] = lgot.get(m["data-lane"], 0) + int(m["data-n"])
    lwant = {}
    for (ln, b), n in lw.items(): lwant[ln] = lwant.get(ln, 0) + n
    print("    event squares %d (expected %d), per lane %r" % (len(l), len(lw), sorted(lgot.items())))
    if len(l) != len(lw) or lgot != lwant: fail("event squares differ", lgot, lwant)
    if not l: fail("no event in a tactic lane")
    out = db.execute("SELECT count(*) FROM findings WHERE first_ns IS NULL OR first_ns NOT BETWEEN ? AND ?",
                     (t0, t1)).fetchone()[0]
    print("    finding marks %d (expected %d), findings drawn %d (expected %d), event bars %d (expected %d)"
          % (len(f), len(want), sum(got.values()), len(rows), len(e), len(ev)))
    if len(f) != len(want) or got != per_lane: fail("finding marks differ", got, per_lane)
    if len(e) != len(ev) or sum(int(m["data-n"]) for m in e) != sum(n for _, n in ev): fail("event bars differ")
    if int(a["data-outside-findings"]) != out: fail("outside count differs")
    if not f or not e: fail("empty chart")
elif which == "exfil":
    s = svg("chart-exfil"); a = attrs(s[:s.index(">")])
    t0, w = int(a["data-t0"]), int(a["data-bucket-ns"])
    x = marks(s, "mk-x")
    dests = set()
    for fid, eid, det in db.execute("SELECT id, evidence_id, details FROM findings WHERE tactic = 'exfiltration'"):
        det = json.loads(det or "{}")
        for fl in det.get("flows", []) if isinstance(det, dict) else []:
            for (dst, eve) in db.execute("SELECT dest_ip, details FROM flows WHERE evidence_id = ? AND src_port = ?"
                                         " AND dest_port = ?", (eid, fl.get("src_port"), fl.get("dest_port"))):
                if json.loads(eve).get("flow_id") == fl.get("flow_id"): dests.add(dst)
    want = {}
    for dst in dests:
        for b, n in db.execute("SELECT (first_ns - ?) / ?, sum(bytes_toserver) FROM flows WHERE dest_ip = ?"
                               " AND bytes_toserver > 0 GROUP BY 1", (t0, w, dst)):
            want[(dst, min(b, 59))] = want.get((dst, min(b, 59)), 0) + n
    tot_w, tot_g = {}, {}
    for (dst, b), n in want.items(): tot_w[dst] = tot_w.get(dst, 0) + n
    for m in x: tot_g[m["data-dest"]] = tot_g.get(m["data-dest"], 0) + int(m["data-bytes"])
    print("    destinations %s, bars %d (expected %d), bytes per destination %s"
          % (sorted(tot_g), len(x), len(want), sorted(tot_g.items())))
    if not dests or tot_w != tot_g or len(x) != len(want): fail("exfiltration bars differ", tot_w)
elif which == "countries":
    s = svg("chart-countries")
    c = marks(s, "mk-c")
    peers = {}
    for ip, eve in db.execute("SELECT dest_ip, details FROM flows"):
        g = json.loads(eve).get("dest_geo", {})
        if g.get("scope") == "public": peers.setdefault(g.get("country", "??"), set()).add(ip)
    for ip, eve in db.execute("SELECT src_ip, details FROM flows"):
        g = json.loads(eve).get("src_geo", {})
        if g.get("scope") == "public": peers.setdefault(g.get("country", "??"), set()).add(ip)
    want = {k: len(v) for k, v in peers.items()}
    got = {m["data-country"]: int(m["data-peers"]) for m in c}
    print("    country bars %d (expected %d)" % (len(c), len(want)))
    if not want or got != want: fail("country bars differ", got, want)
elif which == "graph":
    s = svg("chart-graph")
    nodes = [attrs(t) for t in re.findall(r'<g class="node"[^>]*>', s)]
    name = {}
    for n in nodes:
        for ip in n.get("data-ips", "").split(): name[ip] = n["data-name"]
    edges = marks(s, "mk-g")
    attack = {(m["data-src"], m["data-dst"]) for m in edges if "finding" in m["data-kinds"]}
    want = set()
    for fid, eid, det in db.execute("SELECT id, evidence_id, details FROM findings WHERE tactic = 'lateral-movement'"):
        det = json.loads(det or "{}")
        for fl in det.get("flows", []) if isinstance(det, dict) else []:
            for (src, dst, eve) in db.execute("SELECT src_ip, dest_ip, details FROM flows WHERE evidence_id = ?"
                                              " AND src_port = ? AND dest_port = ?",
                                              (eid, fl.get("src_port"), fl.get("dest_port"))):
                if json.loads(eve).get("flow_id") == fl.get("flow_id") and src != dst:
                    want.add((name.get(src, src), name.get(dst, dst)))
    ends = {e for m in edges for e in (m["data-src"], m["data-dst"])}
    print("    nodes %d, edges %d, attack edges %d (expected %d)" % (len(nodes), len(edges), len(attack), len(want)))
    if not want or attack != want: fail("attack edges differ", sorted(attack ^ want)[:5])
    if ends != {n["data-name"] for n in nodes}: fail("nodes without edges or edges without nodes")
    if len({(m["data-src"], m["data-dst"]) for m in edges}) != len(edges): fail("duplicate edges")
EOF
for c in timeline exfil countries graph; do
  check "chart $c: marks match the case" python3 "$T/marks.py" "$T/dom.html" "$T/c.tells" "$c" "$TELLS_BIN"
done

# ---- a screenshot of each section, rendered alone ----
cat > "$T/png.py" <<'EOF'
import struct, sys, zlib
def decode(path):
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n": raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(b):
        n, t = struct.unpack(">I4s", b[pos:pos + 8]); c = b[pos + 8:pos + 8 + n]; pos += 12 + n
        if t == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", c)
            if depth != 8 or ctype not in (2, 6) or inter: raise ValueError("unsupported PNG")
            bpp = 3 if ctype == 2 else 4
        elif t == b"IDAT": idat += c
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        if f == 1:
            for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((p + q) & 255 for p, q in zip(line, prev))
        elif f == 3:
            for x in range(stride): line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; up = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
        rows.append(line); prev = line
    return w, h, bpp, rows
w, h, bpp, rows = decode(sys.argv[1])
colours, ink = {}, 0
for r in rows:
    for x in range(0, w * bpp, bpp):
        px = bytes(r[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
        if px != b"\xff\xff\xff": ink += 1
want = [bytes.fromhex(c) for c in sys.argv[2:]]
seen = [c.hex() for c in want if colours.get(c, 0) >= 4]
print("    %s: %dx%d, %.1f%% ink, %d colours, chart colours seen %s" % (sys.argv[1].split("/")[-1], w, h,
      100.0 * ink / (w * h), len(colours), seen))
sys.exit(0 if ink > w * h // 200 and len(colours) > 3 and (not want or seen) else 1)
EOF
alone() {   # $1 section id -> $T/alone-$1.html: the page with only that section
  python3 -c '
import re, sys
d = open(sys.argv[1]).read()
head, body = d.split("<body>", 1)
secs = re.findall(r"<section id=\"[^\"]+\">.*?</section>\n", body, re.S)
keep = [s for s in secs if s.startswith("<section id=\"%s\"" % sys.argv[2])]
script = body[body.index("<script>"):]
open(sys.argv[3], "w").write(head + "<body>\n" + "".join(keep) + script)
sys.exit(0 if keep else 1)' "$T/r.html" "$1" "$T/alone-$1.html"
}
for spec in "sec-summary:" "sec-answers:" "sec-chart-timeline:6b8fb3" "sec-chart-exfil:c0392b" \
            "sec-chart-countries:2e86c1" "sec-graph:f5b7b1" "sec-findings:" "sec-timeline:" \
            "sec-flows:" "sec-indicators:" "sec-evidence:"; do
  sec=${spec%%:*}; col=${spec#*:}
  if ! alone "$sec"; then notok "section $sec is in the report"; continue; fi
  run_chrome --virtual-time-budget=1000 --screenshot="$T/$sec.png" --window-size=1000,700 \
    "file://$T/alone-$sec.html" > /dev/null
  check "screenshot of $sec is not blank${col:+ and shows the chart (#$col)}" python3 "$T/png.py" "$T/$sec.png" $col
done
