#!/bin/sh
# bench_evtx.sh -- EVTX decoding: tells versus Debian's evtxexport (libevtx)
# on the same files, side by side in one run.
#
#   bench/bench_evtx.sh BUILD_DIR [FOLDER] [REPS] [COPIES]
#
# FOLDER defaults to ../shared/corpora/evtx/attack-samples; it is copied
# COPIES times (default 30, about 1 GB for the attack samples) into a
# temporary folder, so both tools read the same large input.  tells runs
# `tells logs --dump --jsonl` (every record decoded and written as JSON) and
# evtxexport exports every record as XML (-f xml); both write to /dev/null from
# page cache.  `tells logs --count` (decode only) and `tells investigate` (the
# whole pipeline into a fresh case) run too.  Each is run REPS times (default
# 3); medians are compared.  Peak RSS (/usr/bin/time %M, the largest of the
# runs) is reported for every tells job: it must stay bounded (<= 512 MB) and
# not grow with COPIES.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$SRC/../shared/corpora/evtx/attack-samples}
REPS=${3:-3}
COPIES=${4:-30}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
c=0
while [ $c -lt "$COPIES" ]; do mkdir -p "$TMP/in/$c"; cp -r "$DIR"/. "$TMP/in/$c/"; c=$((c + 1)); done
DIR="$TMP/in"
find "$DIR" -type f -name '*.evtx' | sort > "$TMP/list"
bytes=$(tr '\n' '\0' < "$TMP/list" | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
files=$(wc -l < "$TMP/list")
tr '\n' '\0' < "$TMP/list" | xargs -0 cat > /dev/null
# prints "wall cpu peak_rss_kb"
timed() { /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$TMP/t"; : > "$TMP/x"; : > "$TMP/p"; : > "$TMP/i"
i=0
while [ $i -lt "$REPS" ]; do
  timed "$BUILD/tells" logs --count "$DIR" --jsonl --quiet >> "$TMP/p"
  timed "$BUILD/tells" logs --dump "$DIR" --jsonl --quiet >> "$TMP/t"
  timed sh -c "tr '\n' '\0' < '$TMP/list' | xargs -0 -n 1 evtxexport -f xml" >> "$TMP/x"
  rm -f "$TMP/case.tells"
  timed "$BUILD/tells" investigate "$DIR" -o "$TMP/case.tells" -q >> "$TMP/i"
  i=$((i + 1))
done
tw=$(awk '{print $1}' "$TMP/t" | median); tc=$(awk '{print $2}' "$TMP/t" | median)
xw=$(awk '{print $1}' "$TMP/x" | median); xc=$(awk '{print $2}' "$TMP/x" | median)
pw=$(awk '{print $1}' "$TMP/p" | median); pc=$(awk '{print $2}' "$TMP/p" | median)
iw=$(awk '{print $1}' "$TMP/i" | median); ic=$(awk '{print $2}' "$TMP/i" | median)
rss() { awk 'BEGIN {m = 0} $3 > m {m = $3} END {printf "%.1f", m / 1024}' "$1"; }
recs=$("$BUILD/tells" logs --dump "$DIR" --jsonl --quiet | wc -l)
echo "input: $DIR ($files files, $bytes bytes, $recs records incl. recovered)"
printf 'evtxexport  wall %7.3f s  %8.1f MB/s   cpu %7.3f s\n' "$xw" "$(echo "$bytes / $xw / 1000000" | bc -l)" "$xc"
printf 'tells dump  wall %7.3f s  %8.1f MB/s   cpu %7.3f s  %8.1f MB/s cpu  peak RSS %s MB\n' "$tw" "$(echo "$bytes / $tw / 1000000" | bc -l)" "$tc" "$(echo "$bytes / $tc / 1000000" | bc -l)" "$(rss "$TMP/t")"
printf 'tells parse wall %7.3f s  %8.1f MB/s   cpu %7.3f s  %8.1f MB/s cpu  peak RSS %s MB  (logs --count: decode only)\n' "$pw" "$(echo "$bytes / $pw / 1000000" | bc -l)" "$pc" "$(echo "$bytes / $pc / 1000000" | bc -l)" "$(rss "$TMP/p")"
printf 'tells investigate  wall %7.3f s   cpu %7.3f s   peak RSS %s MB  (whole pipeline into a new case)\n' "$iw" "$ic" "$(rss "$TMP/i")"
printf 'ratio dump  (tells / evtxexport): wall %.1f, cpu %.1f\n' "$(echo "$xw / $tw" | bc -l)" "$(echo "$xc / $tc" | bc -l)"
printf 'ratio parse (tells / evtxexport): wall %.1f, cpu %.1f\n' "$(echo "$xw / $pw" | bc -l)" "$(echo "$xc / $pc" | bc -l)"
