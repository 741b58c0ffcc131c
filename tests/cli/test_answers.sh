#!/bin/sh
# test_answers.sh -- the answers of `tells investigate` against the ground
# truth of the Crestline Pictures scenario (scenarios/gen.py, small, fixed
# seed): what happened and when (stages, first and last activity, the
# malicious binaries), the affected hosts and patient zero, the entry, the
# lateral movement edges, exfiltration bytes per destination and country
# with a per-day series, destruction, and attribution (Korean language,
# UTC+9 build times, the contradiction gen.py plants: a Russian string
# table in the wiper).  tests/cli/answers_check.py does the comparing.
# The benign-only variant must give no attacker answer and say so; a
# second analysis of the same case gives identical answers.
. "$(dirname "$0")/lib.sh"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 ||
   ! command -v x86_64-w64-mingw32-windres >/dev/null 2>&1; then
  skip "answers" "mingw-w64 not installed (apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)"
  exit 0
fi
GEN="$TELLS_SRC/scenarios/gen.py"
CHECK="$TELLS_SRC/tests/cli/answers_check.py"
SEED=4242

python3 "$GEN" "$T/a" --seed $SEED --size small --build "$TELLS_BUILD" > "$T/gen.log" 2>&1 ||
  { notok "answers: gen.py writes the small scenario" "$(tail -5 "$T/gen.log")"; exit 0; }
"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/a.tells" > /dev/null 2> "$T/inv.err"; rc=$?
check "answers: investigate on the scenario exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/a.tells" answers --jsonl > "$T/a.jsonl"; rc=$?
check "answers: tells show CASE answers --jsonl exits 0" [ "$rc" -eq 0 ]
python3 "$CHECK" "$T/a.jsonl" "$T/a/truth.json" "$T/a.tells"
"$TELLS_BIN" show "$T/a.tells" answers > "$T/a.txt"
check "answers: text view has a header and one line per answer" sh -c \
  "head -1 '$T/a.txt' | grep -q '^question	ordinal	title	answer	confidence\$' &&
   [ \$(wc -l < '$T/a.txt') -eq \$((\$(wc -l < '$T/a.jsonl') + 1)) ]"

# Analysing again (investigate resumes, nothing new) rebuilds identical answers.
"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/a.tells" > /dev/null 2>&1
"$TELLS_BIN" show "$T/a.tells" answers --jsonl > "$T/a2.jsonl"
check "answers: a second analysis gives identical answers" cmp -s "$T/a.jsonl" "$T/a2.jsonl"
"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/b.tells" > /dev/null 2>&1
"$TELLS_BIN" show "$T/b.tells" answers --jsonl > "$T/b.jsonl"
check "answers: a second investigation into a new case gives identical answers" cmp -s "$T/a.jsonl" "$T/b.jsonl"

# With a reference library holding the malicious binaries (family
# "Crestline-kit"), the code-similarity clue names the family; the benign
# tools, only "similar" (same compiler, small files), are not flagged.
for f in $(python3 -c 'import json, sys
for b in json.load(open(sys.argv[1]))["binaries"]["malicious"]: print(b["paths"][0])' "$T/a/truth.json"); do
  "$TELLS_BIN" lib add --library "$T/known.lib" --family Crestline-kit "$T/a/$f" > /dev/null 2>&1
done
"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/l.tells" --library "$T/known.lib" > /dev/null 2>&1
"$TELLS_BIN" show "$T/l.tells" answers --jsonl > "$T/l.jsonl"
check "answers: with a library, code similarity names the family; only malicious binaries flagged" py '
import json, sys
rows = [json.loads(l) for l in open("'"$T"'/l.jsonl")]
t = json.load(open("'"$T"'/a/truth.json"))
sim = [r for r in rows if r["question"] == "attribution" and r["details"].get("tell") == "code_similarity"][0]
bins = [r for r in rows if r["question"] == "what"][-1]["details"]["binaries"]
ok = (sim["details"]["value"] == "Crestline-kit" and 0 < sim["confidence"] <= 0.9 and
      {b["sha256"] for b in bins} == {b["sha256"] for b in t["binaries"]["malicious"]})
print("    ", sim["answer"][:160])
sys.exit(0 if ok else 1)'

# Damaged stored documents (details that are not JSON) are read as empty:
# the analysis still answers every question instead of failing.
cp "$T/a.tells" "$T/bad.tells"
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE findings SET details = \"{bad\" WHERE id % 2 = 0")
db.execute("UPDATE artifacts SET details = \"[1,\" WHERE id % 2 = 1")
db.commit()' "$T/bad.tells"
"$TELLS_BIN" investigate -q "$T/a/evidence" -o "$T/bad.tells" > /dev/null 2> "$T/bad.err"; rc=$?
"$TELLS_BIN" show "$T/bad.tells" answers --jsonl > "$T/bad.jsonl"
check "answers: damaged details JSON in the case: still exit 0 and an answer to every question" py '
import json, sys
rows = [json.loads(l) for l in open("'"$T"'/bad.jsonl")]
sys.exit(0 if '$rc' == 0 and len({r["question"] for r in rows}) == 7 else 1)'

python3 "$GEN" "$T/n" --seed $SEED --size small --build "$TELLS_BUILD" --benign-only > "$T/gen.log" 2>&1 ||
  { notok "answers: gen.py writes the benign-only variant" "$(tail -5 "$T/gen.log")"; exit 0; }
"$TELLS_BIN" investigate -q "$T/n/evidence" -o "$T/n.tells" > /dev/null 2>&1; rc=$?
check "answers: investigate on the benign-only variant exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/n.tells" answers --jsonl > "$T/n.jsonl"
python3 "$CHECK" "$T/n.jsonl" "$T/n/truth.json" "$T/n.tells" --benign
