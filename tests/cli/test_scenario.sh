#!/bin/sh
# test_scenario.sh -- the Crestline Pictures scenario (scenarios/gen.py) end
# to end: the small scenario and its benign-only variant are generated with
# a fixed seed (twice, to prove byte-identical output), `tells investigate`
# runs on each, and scenarios/score.py compares the findings with
# truth.json.  Asserted (recall 1.0, precision 1.0): every malicious binary
# flagged with its tells (Korean language and translation, build time, PDB
# path, capabilities with ATT&CK ids), the exfiltration destinations with
# country and bytes, beaconing, lateral movement, brute force, suspicious
# service installs, log clearing and mass deletion on every affected host,
# and every attacker stage placed in time by a finding (initial access and
# execution come from the correlate stage); the correlation links the C2
# address across the implant's strings and the beacon flows and chains the
# download, the executions and the beacon; on the benign-only variant no
# finding at all.  Precision and recall of every category are printed.
. "$(dirname "$0")/lib.sh"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 ||
   ! command -v x86_64-w64-mingw32-windres >/dev/null 2>&1; then
  skip "scenario" "mingw-w64 not installed (apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)"
  exit 0
fi
GEN="$TELLS_SRC/scenarios/gen.py"
SEED=4242
gen() { python3 "$GEN" "$@" --seed $SEED --size small --build "$TELLS_BUILD" > "$T/gen.log" 2>&1 ||
  { notok "gen.py $*" "$(tail -5 "$T/gen.log")"; exit 0; }; }

gen "$T/a"
ok "gen.py writes the small scenario"
gen "$T/b"
check "same seed: byte-identical evidence and truth" diff -r "$T/a" "$T/b"
python3 "$GEN" "$T/c" --seed $((SEED + 1)) --size small --build "$TELLS_BUILD" > /dev/null 2>&1
check "another seed: different truth" sh -c "! cmp -s '$T/a/truth.json' '$T/c/truth.json'"
rm -rf "$T/b" "$T/c"
python3 "$GEN" "$T/x" --hosts 5 --build "$TELLS_BUILD" > /dev/null 2> "$T/err"; rc=$?
check "bad parameters: one line naming the problem" sh -c "[ $rc -ne 0 ] && grep -q -- '--hosts' '$T/err'"

check "truth: hosts, stages, exfiltration with countries, binaries" py '
import json, sys
t = json.load(open("'"$T"'/a/truth.json"))
st = {s["stage"] for s in t["stages"]}
need = {"initial-access", "execution", "persistence", "credential-access", "lateral-movement",
        "command-and-control", "exfiltration", "impact"}
ok = (need <= st and len(t["hosts"]) == 16 and any(h["patient_zero"] for h in t["hosts"])
      and {"DC01", "MAIL01", "FS01"} <= {h["name"] for h in t["hosts"]}
      and len(t["exfiltration"]) == 3 and all(len(e["country"]) == 2 and e["bytes"] > 0 for e in t["exfiltration"])
      and len(t["binaries"]["malicious"]) == 3 and len(t["binaries"]["benign"]) == 2
      and all(b["tells"]["utc_offset_hours"] == 9 and b["tells"]["build_time_local"][-3:] in ("Mon", "Tue", "Wed", "Thu", "Fri")
              and 9 <= int(b["tells"]["build_time_local"][11:13]) < 19 for b in t["binaries"]["malicious"]))
sys.exit(0 if ok else 1)'

"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/a.tells" > "$T/inv.out" 2> "$T/inv.err"; rc=$?
check "investigate on the scenario exits 0" [ "$rc" -eq 0 ]
python3 "$TELLS_SRC/scenarios/score.py" "$TELLS_BIN" "$T/a.tells" "$T/a" --json "$T/a.json" > "$T/a.txt"
sed 's/^/    /' "$T/a.txt"
for c in "malicious binaries flagged" "binary tells" "exfiltration destinations" "exfiltration countries" \
         "exfiltration bytes (within 10%)" "beaconing" "lateral movement" "brute force" \
         "service installs (suspicious image)" "log clearing" "mass deletion" "dns tunnel" "affected hosts" \
         "attacker stages (time-placed finding)"; do
  check "scenario: $c (precision and recall 1.0)" py '
import json, sys
r = json.load(open("'"$T"'/a.json"))["'"$c"'"]
sys.exit(0 if r["expected"] > 0 and r["recall"] == 1.0 and r["precision"] == 1.0 else 1)'
done

check "correlation: the C2 address links the implant and the beacon; download, executions and beacon are one chain" py '
import json, sqlite3, sys
t = json.load(open("'"$T"'/a/truth.json"))
db = sqlite3.connect("'"$T"'/a.tells")
c2 = t["c2"][0]["dest_ip"]
link = db.execute("SELECT l.kinds, l.summary FROM links l JOIN indicators i ON i.id = l.indicator_id"
                  " WHERE i.value = ?", (c2,)).fetchone()
ch = lambda rule: {r[0] for r in db.execute("SELECT chain FROM findings WHERE rule = ?", (rule,))}
dl, ex, bc = ch("correlate.initial_access"), ch("correlate.execution"), ch("net.beacon")
raised = db.execute("SELECT count(*) FROM findings WHERE base_severity IS NOT NULL").fetchone()[0]
print("    ", link, dl, ex, bc, raised)
ok = (link and "code" in link[0] and "net" in link[0] and len(dl) == 1 and None not in dl
      and dl <= ex and bc == dl and raised > 0)
sys.exit(0 if ok else 1)'

gen "$T/n" --benign-only
"$TELLS_BIN" investigate -q "$T/n/evidence" -o "$T/n.tells" > /dev/null 2>&1; rc=$?
check "investigate on the benign-only variant exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/n.tells" findings --jsonl > "$T/n.find"
check "benign-only variant: no finding at all" sh -c "[ ! -s '$T/n.find' ] || { head -3 '$T/n.find'; false; }"
python3 "$TELLS_SRC/scenarios/score.py" "$TELLS_BIN" "$T/n.tells" "$T/n" --json "$T/n.json" > "$T/n.txt"
check "benign-only variant: every category empty (precision and recall 1.0)" py '
import json, sys
r = json.load(open("'"$T"'/n.json"))
bad = [k for k, v in r.items() if v["found"] or v["expected"]]
print("    ", bad or "all empty")
sys.exit(1 if bad else 0)'
check "benign-only variant: unaffected hosts have byte-identical logs in both variants" py '
import json, sys, filecmp, os
t = json.load(open("'"$T"'/a/truth.json"))
un = [h["name"] for h in t["hosts"] if not h["affected"]]
d = lambda v, h: os.path.join("'"$T"'", v, "evidence/hosts", h, "logs")
ok = un and all(sorted(os.listdir(d("a", h))) == sorted(os.listdir(d("n", h))) and
                all(filecmp.cmp(os.path.join(d("a", h), f), os.path.join(d("n", h), f), shallow=False)
                    for f in os.listdir(d("a", h))) for h in un)
sys.exit(0 if ok else 1)'
