#!/bin/sh
# bench_code.sh -- code triage of the PE corpora, side by side with its
# anchors in one run (issue 3):
#   (a) `tells code DIR --jsonl --yara signature-base` versus `yara -r` with
#       the same rules and external variables alone (goal: tells <= 1.25x);
#   (b) `tells code DIR --jsonl` (parse + hashes + tells, no YARA) versus
#       Debian's python3-pefile doing a full load with imphash and Rich hash
#       of the same PE files in one process (bench/pefile_triage.py;
#       goal: tells >= 100x faster).
#
#   bench/bench_code.sh BUILD_DIR [REPS] [a|b|ab]
#
# Both sides read from page cache (one warm-up pass); each repetition runs
# the two in alternating order; medians of wall and CPU (user + sys, all
# threads) time are compared.  Rule compilation counts for both sides of
# (a): neither caches compiled rules.  yara gets the five LOKI/THOR external
# variables as empty strings (as tests/unit/test_yara.c declares them);
# tells defines them per file from the path.  With perf installed, (b) also
# prints where tells' CPU time goes (TLSH, file hashes, parse, ...).
set -eu
BUILD=${1:-build}
REPS=${2:-5}
WHICH=${3:-ab}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PE=$(cd "$SRC/../shared/corpora/pe" && pwd)
SB=$(cd "$SRC/../shared/corpora/yara/signature-base" && pwd)
TELLS="$BUILD/tells"
PY=/usr/bin/python3      # Debian's python, where python3-pefile lives
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# prints "wall cpu peak_kib" of a command, its stdout to $OUT
OUT=/dev/null
timed() {
  /usr/bin/time -f '%e %U %S %M' "$@" 2> "$TMP/time" > "$OUT" || true
  tail -n 1 "$TMP/time" | awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$1" '{print $c}' "$2" | median; }
# side NAME_A "CMD A" NAME_B "CMD B": REPS alternating runs into $TMP/NAME
side() {
  : > "$TMP/$1"; : > "$TMP/$3"; i=0
  while [ "$i" -lt "$REPS" ]; do
    if [ $((i % 2)) -eq 0 ]; then eval "timed $2" >> "$TMP/$1"; eval "timed $4" >> "$TMP/$3"
    else eval "timed $4" >> "$TMP/$3"; eval "timed $2" >> "$TMP/$1"; fi
    i=$((i + 1))
  done
}
row() { # NAME FILE
  printf '  %-8s wall %6.3f s   cpu %6.3f s   peak RSS %6d KiB\n' "$1" "$(col 1 "$2")" "$(col 2 "$2")" "$(col 3 "$2")"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

find "$PE" -type f -print0 | xargs -0 cat > /dev/null
find "$SB" -type f -print0 | xargs -0 cat > /dev/null
files=$(find "$PE" -type f | wc -l)
bytes=$(find "$PE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
RULES=$(find "$SB" -maxdepth 1 -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
nrules=$(echo "$RULES" | wc -l)
DEFS="-d filename= -d filepath= -d extension= -d filetype= -d owner="
echo "input: $PE ($files files, $bytes bytes); median of $REPS runs each, alternating order"
echo "tells: $("$TELLS" version 2>/dev/null | head -n 1); yara $(yara --version); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if echo "$WHICH" | grep -q a; then
  echo "(a) triage with YARA: $nrules signature-base rules files"
  echo "    tells code $PE --jsonl --yara $SB"
  echo "    yara -r -w $DEFS <the $nrules files> $PE"
  side tells "\"\$TELLS\" code \"\$PE\" --jsonl --yara \"\$SB\"" \
       yara "yara -r -w $DEFS \$RULES \"\$PE\""
  row tells "$TMP/tells"; row yara "$TMP/yara"
  printf '  ratio tells/yara: wall %s, cpu %s   (goal <= 1.25)\n' \
    "$(ratio "$(col 1 "$TMP/tells")" "$(col 1 "$TMP/yara")")" \
    "$(ratio "$(col 2 "$TMP/tells")" "$(col 2 "$TMP/yara")")"
  # the two must agree on what they found: (file, rule) pairs
  "$TELLS" code "$PE" --jsonl --yara "$SB" > "$TMP/a.jsonl" 2> /dev/null || true
  # shellcheck disable=SC2086
  yara -r -w $DEFS $RULES "$PE" > "$TMP/y.txt" 2> /dev/null || true
  $PY - "$TMP/a.jsonl" "$TMP/y.txt" <<'PYEOF'
import json, sys
t = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    for f in r.get("findings", []):
        if f.get("rule", "").startswith("yara:"):
            t.add((r["path"], f["rule"][5:]))
y = set()
for line in open(sys.argv[2]):
    rule, _, path = line.rstrip("\n").partition(" ")
    if path: y.add((path, rule))
print("  (file, rule) hits: tells %d, yara %d, %s" %
      (len(t), len(y), "the same set" if t == y else "DIFFERENT: %s" % sorted(t ^ y)[:5]))
PYEOF
fi

if echo "$WHICH" | grep -q b; then
  "$TELLS" code "$PE" --jsonl 2> /dev/null | $PY -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["kind"] == "pe": print(r["path"])' > "$TMP/pe.list"
  npe=$(wc -l < "$TMP/pe.list")
  pebytes=$(tr '\n' '\0' < "$TMP/pe.list" | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
  echo "(b) parse + hashes + tells, no YARA: the $npe files tells identifies as PE ($pebytes bytes)"
  echo "    tells code $PE --jsonl"
  echo "    $PY bench/pefile_triage.py <list of the $npe files>"
  OUT=$TMP/pefile.out
  side tells "\"\$TELLS\" code \"\$PE\" --jsonl" \
       pefile "$PY \"\$SRC/bench/pefile_triage.py\" \"\$TMP/pe.list\""
  OUT=/dev/null
  echo "  pefile: $(cat "$TMP/pefile.out")"
  row tells "$TMP/tells"; row pefile "$TMP/pefile"
  printf '  speed-up tells over pefile: wall %s, cpu %s   (goal >= 100)\n' \
    "$(ratio "$(col 1 "$TMP/pefile")" "$(col 1 "$TMP/tells")")" \
    "$(ratio "$(col 2 "$TMP/pefile")" "$(col 2 "$TMP/tells")")"
  if command -v perf > /dev/null 2>&1 &&
     perf record -q -F 5000 --call-graph dwarf,8192 -o "$TMP/perf.data" "$TELLS" code "$PE" --jsonl > /dev/null 2>&1; then
    echo "  where tells' cpu goes (perf, share of samples including callees):"
    perf report -i "$TMP/perf.data" --children --sort sym --stdio 2> /dev/null |
      awk '$1 ~ /%$/ && $2 ~ /%$/ {name = $NF; share[name] = $1}
           END {
             split("tells_code_scan_pe tells_tlsh_update MD5_Update SHA1_Update SHA256_Update tells_pe_parse entropy tells_caps_scan tells_strs_scan tells_petells_analyse tells_codelib_scan tells_pe_json_fields", k, " ")
             for (i = 1; i in k; i++) if (k[i] in share) printf "    %-24s %s\n", k[i], share[k[i]]
           }'
  fi
fi
