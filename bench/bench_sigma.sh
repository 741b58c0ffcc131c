#!/bin/sh
# bench_sigma.sh -- EVTX records through every SigmaHQ Windows rule.
#
#   bench/bench_sigma.sh BUILD_DIR [COPIES] [BASE_BUILD_DIR]
#
# Copies ../shared/corpora/evtx/attack-samples COPIES times (default 10;
# 64 copies are about 1 GB) into a temporary folder and runs `tells logs DIR
# --rules rules/windows --jsonl` over it, one core.  Reports events per
# second of CPU time, with and without the time spent loading and
# compiling the 2,400 rules (measured alone on an empty folder), the CPU
# time of the same run without rules (reading, decoding, events and
# summaries: the part that matching adds to), and the peak resident
# memory of the detection run.  With BASE_BUILD_DIR (e.g. a
# build of the previous commit) the same figures are measured for it too,
# in the same run, and the detections of both are compared.  The brief's
# anchor, Hayabusa at about 17,000 events/s multi-core, is a published
# figure: no Hayabusa package exists in Debian to run beside it.
set -eu
BUILD=${1:-build}
COPIES=${2:-10}
BASE=${3:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=$SRC/../shared/corpora/evtx/attack-samples
RULES=$SRC/../shared/corpora/sigma/rules/rules/windows
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
c=0
while [ $c -lt "$COPIES" ]; do mkdir -p "$TMP/in/$c"; cp -r "$DIR"/. "$TMP/in/$c/"; c=$((c + 1)); done
mkdir -p "$TMP/empty"
# wall, cpu (user + system) and peak RSS (KiB) of a command, its output dropped
timed() { /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%s %.3f %d\n", $1, $2 + $3, $4}'; }
recs=$("$BUILD/tells" logs --count "$TMP/in" --jsonl --quiet | python3 -c "import json,sys; print(sum(json.loads(l)['records'] for l in sys.stdin))")
mib=$(du -sk "$TMP/in" | awk '{printf "%.0f", $1 / 1024}')
echo "input: $COPIES copies of the attack samples, $recs records, $mib MiB; rules: $RULES"
one() {
  load=$(timed "$1/tells" logs "$TMP/empty" --rules "$RULES" --jsonl)
  norules=$(timed "$1/tells" logs "$TMP/in" --jsonl)
  run=$(timed "$1/tells" logs "$TMP/in" --rules "$RULES" --jsonl)
  "$1/tells" logs "$TMP/in" --rules "$RULES" --jsonl 2>/dev/null | sort > "$TMP/hits.$2"
  hits=$(wc -l < "$TMP/hits.$2")
  lc=$(echo "$load" | awk '{print $2}'); rc=$(echo "$run" | awk '{print $2}'); rw=$(echo "$run" | awk '{print $1}')
  rss=$(echo "$run" | awk '{printf "%.0f", $3 / 1024}')
  echo "[$2: $1]"
  echo "rule loading and compiling alone: cpu ${lc} s"
  echo "reading, decoding, events and summaries without rules: cpu $(echo "$norules" | awk '{print $2}') s"
  printf 'detection run: wall %s s, cpu %s s, %s detections, peak RSS %s MiB\n' "$rw" "$rc" "$hits" "$rss"
  printf 'events/s (cpu, including rule loading): %.0f\n' "$(echo "$recs / $rc" | bc -l)"
  printf 'events/s (cpu, matching only):          %.0f   (goal >= 300000)\n' "$(echo "$recs / ($rc - $lc)" | bc -l)"
}
one "$BUILD" new
if [ -n "$BASE" ]; then
  one "$BASE" base
  if cmp -s "$TMP/hits.new" "$TMP/hits.base"; then echo "detections: identical"; else echo "detections: DIFFER"; fi
fi
