#!/bin/sh
# test_fixture_pe.sh -- the issue 3 acceptance check on PE fixtures built here
# with mingw-w64 from tests/fixtures/pe (build.sh): tells must report the
# Korean-language tells (resources and translation 0x0412, Hangul text), the
# build time chosen with SOURCE_DATE_EPOCH, the PDB path and its user, and
# each capability with its ATT&CK id -- in `tells code --jsonl` and in a case
# (`tells investigate`, `show findings`, `show indicators`) -- and none of
# that for the benign fixture.
. "$(dirname "$0")/lib.sh"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 ||
   ! command -v x86_64-w64-mingw32-windres >/dev/null 2>&1; then
  skip "PE fixtures built with mingw-w64" "x86_64-w64-mingw32-gcc/windres not installed (apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)"
  exit 0
fi
if ! sh "$TELLS_SRC/tests/fixtures/pe/build.sh" "$T/fx" > "$T/build.log" 2>&1; then
  notok "fixtures build" "$(tail -5 "$T/build.log")"
  exit 0
fi
ok "fixtures build"

"$TELLS_BIN" code "$T/fx" --jsonl > "$T/code.jsonl" 2> "$T/code.err"; rc=$?
check "code exits 0" [ "$rc" -eq 0 ]

check "code: Korean tells, build time, PDB path, capabilities of the wiper" py '
import json, sys
recs = [json.loads(l) for l in open("'"$T"'/code.jsonl")]
w = [r for r in recs if r.get("path", "").endswith("/wiper.exe")][0]
p, t = w["pe"], w["pe"]["tells"]
bad = []
def need(c, what):
    if not c: bad.append(what)
langs = {l["lang"]: l for l in t["languages"]["resources"]}
need(0x0412 in langs and langs[0x0412]["name"] == "ko-KR Korean" and langs[0x0412]["count"] >= 3, "resource language 0x0412")
need(any(x["lang"] == 0x0412 and x["codepage"] == 949 for x in t["languages"]["translations"]), "translation 0x0412/949")
need(t["languages"]["primary"] and t["languages"]["primary"]["hex"] == "0x0412", "primary language")
hs = [s for s in t["scripts"] if s["script"] == "Hangul"]
need(hs and hs[0]["code_points"] >= 20 and any(0xac00 <= ord(c) <= 0xd7a3 for c in hs[0]["example"]), "Hangul script")
need(p["coff"]["time_date_stamp"] == 1416466800, "COFF stamp = SOURCE_DATE_EPOCH")
need(t["timestamps"]["build_time"]["value"] == 1416466800 and t["timestamps"]["build_time"]["source"] == "coff", "build time")
need(any(e["kind"] == "pe.compiled" and e["time_ns"] == 1416466800 * 10**9 for e in w["events"]), "pe.compiled event")
pdb = "C:\\Users\\kim\\Projects\\Destover\\Release\\wiper.pdb"
need(p["debug"]["pdb_path"] == pdb, "PDB path")
need(t["pdb"]["user"] == "kim" and t["pdb"]["project"] == "Destover" and t["pdb"]["config"] == "Release" and t["pdb"]["drive"] == "C:", "PDB parts")
ind = {(i["type"], i["value"]) for i in w["indicators"]}
need(("language", "ko-KR Korean") in ind and ("pdb_user", "kim") in ind and ("pdb_path", pdb) in ind, "indicators")
want = {"raw-disk-access": "T1561", "service-creation": "T1543.003", "smb-share-spreading": "T1021.002",
        "c2-http": "T1071.001", "embedded-driver": "T1027.009"}
caps = {c["id"]: c for c in p.get("capabilities") or []}
for cid, att in want.items():
    need(cid in caps and caps[cid]["attack"] == att and caps[cid]["evidence"], "capability %s %s" % (cid, att))
need(not any(f["rule"] in ("pe-forged-rich-header", "pe-future-timestamp") for f in w["findings"]), "no tell findings")
for b in bad: print("    missing:", b)
sys.exit(1 if bad else 0)'

check "code: the benign fixture has none of them" py '
import json, sys
recs = [json.loads(l) for l in open("'"$T"'/code.jsonl")]
b = [r for r in recs if r.get("path", "").endswith("/benign.exe")][0]
p, t = b["pe"], b["pe"]["tells"]
bad = []
if t["languages"]["primary"] is not None: bad.append("a primary language")
if any(l["lang"] == 0x0412 for l in t["languages"]["resources"] + t["languages"]["translations"]): bad.append("Korean")
if not all(l["weak"] for l in t["languages"]["resources"]): bad.append("non-weak language")
if t["scripts"]: bad.append("scripts %r" % t["scripts"])
if t["pdb"] is not None or p["debug"]["pdb_path"]: bad.append("a PDB path")
if p.get("capabilities"): bad.append("capabilities %r" % [c["id"] for c in p["capabilities"]])
if b["findings"]: bad.append("findings %r" % [f["rule"] for f in b["findings"]])
if any(i["type"] in ("language", "pdb_user", "pdb_path") for i in b["indicators"]): bad.append("tell indicators")
if t["timestamps"]["build_time"]["value"] != 1583229600: bad.append("build time")
for x in bad: print("    benign has:", x)
sys.exit(1 if bad else 0)'

check "code: the embedded driver is a native PE" py '
import json, sys
recs = [json.loads(l) for l in open("'"$T"'/code.jsonl")]
d = [r for r in recs if r.get("path", "").endswith("/fixture_driver.sys")][0]
sys.exit(0 if d["pe"]["optional"]["subsystem"] == 1 else 1)'

check "code: the set object ends the output" py '
import json, sys
last = json.loads(open("'"$T"'/code.jsonl").read().splitlines()[-1])
s = last.get("set") or {}
ok = (last.get("kind") == "set" and s.get("pe_files") == 3 and s.get("build_times") == 3
      and sum(s["build_hours_utc"]) == 3 and s["build_hours_utc"][7] == 2 and s["build_hours_utc"][10] == 1
      and s["weekdays"] == [0, 1, 0, 2, 0, 0, 0] and -12 <= s["utc_offset"]["best"] <= 14
      and "score" in s["utc_offset"]["runner_up"])
sys.exit(0 if ok else 1)'

"$TELLS_BIN" investigate "$T/fx" -o "$T/c.tells" > "$T/inv.out" 2> "$T/inv.err"; rc=$?
check "investigate exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/c.tells" findings --jsonl > "$T/find.jsonl"
"$TELLS_BIN" show "$T/c.tells" indicators --jsonl > "$T/ind.jsonl"
check "case: capabilities as findings with ATT&CK ids, on the wiper only" py '
import json, sys
f = [json.loads(l) for l in open("'"$T"'/find.jsonl")]
want = {"raw-disk-access": "T1561", "service-creation": "T1543.003", "smb-share-spreading": "T1021.002",
        "c2-http": "T1071.001", "embedded-driver": "T1027.009"}
got = {x["rule"].split(":", 1)[-1]: x for x in f}
bad = [k for k, v in want.items() if k not in got or got[k]["technique"] != v or not got[k]["evidence"].endswith("/wiper.exe")]
bad += ["finding on %s: %s" % (x["evidence"], x["rule"]) for x in f if not x["evidence"].endswith("/wiper.exe")]
bad += ["tell finding %s" % x["rule"] for x in f if x["rule"] in ("pe-forged-rich-header", "pe-future-timestamp")]
for b in bad: print("    ", b)
sys.exit(1 if bad else 0)'
check "case: language and PDB user indicators from the wiper only" py '
import json, sys
ind = [json.loads(l) for l in open("'"$T"'/ind.jsonl")]
get = lambda t, v: [i for i in ind if i["type"] == t and i["value"] == v]
ok = (get("language", "ko-KR Korean") and get("pdb_user", "kim")
      and get("pdb_path", "C:\\Users\\kim\\Projects\\Destover\\Release\\wiper.pdb")
      and all(i["example_evidence"].endswith("/wiper.exe") for i in ind if i["type"] in ("language", "pdb_user")))
sys.exit(0 if ok else 1)'
# Each language sighting says where the language was read: the resource
# table and the version-info translation are two sightings with their own
# context (the contexts once pointed at a reused stack buffer, so both read
# as the translation, or as garbage).
check "case: language sightings of the wiper name the resource table and the translation" py '
import re, sqlite3, sys
db = sqlite3.connect("'"$T"'/c.tells")
ctx = sorted(r[0] for r in db.execute(
    "select s.context from sightings s join indicators i on i.id = s.indicator_id "
    "join evidence e on e.id = s.evidence_id where i.type = ? and i.value = ? and e.path like ?",
    ("language", "ko-KR Korean", "%/wiper.exe")))
ok = (len(ctx) == 2 and re.fullmatch(r"PE resource language 0x0412 \([0-9]+ resources?\)", ctx[0])
      and ctx[1] == "PE version-info translation 0x0412, code page 949")
if not ok: print("    contexts:", ctx)
sys.exit(0 if ok else 1)'

# The benign MSVC corpus raises none of the tell findings.
if [ -d "$CORPORA/pe/msvc" ]; then
  "$TELLS_BIN" code "$CORPORA/pe/msvc" --jsonl > "$T/msvc.jsonl" 2>/dev/null
  check "msvc corpus: no tell finding, Rich headers consistent" py '
import json, sys
bad = 0
for l in open("'"$T"'/msvc.jsonl"):
    r = json.loads(l)
    if r.get("kind") != "pe": continue
    t = r["pe"]["tells"]
    if any(f["rule"] in ("pe-forged-rich-header", "pe-future-timestamp") for f in r["findings"]): bad += 1
    if t["rich"] and t["rich"]["possible_forgery"]: bad += 1
sys.exit(1 if bad else 0)'
else
  skip "msvc corpus: no tell finding" "corpus not found at $CORPORA/pe/msvc"
fi
