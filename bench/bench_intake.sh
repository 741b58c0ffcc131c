#!/bin/sh
# bench_intake.sh -- intake of a folder versus sha256sum over the same files,
# side by side in one run.
#
#   bench/bench_intake.sh BUILD_DIR [FOLDER] [REPS]
#
# FOLDER defaults to ../shared/corpora.  Both tools read the same files from
# page cache (one warm-up pass first); each repetition runs sha256sum and a
# fresh `tells investigate` in alternating order, and the medians are
# compared.  The ratio is tells' speed relative to sha256sum's: 1.0 means as
# fast, the goal is >= 0.9 (tells also identifies, parses and stores each file
# in its own transaction).  Peak memory of tells comes from /usr/bin/time.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$SRC/../shared/corpora}
REPS=${3:-7}
TELLS="$BUILD/tells"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

find "$DIR" -type f -print0 > "$TMP/list"
files=$(tr -cd '\0' < "$TMP/list" | wc -c)
bytes=$(xargs -0 stat -c %s < "$TMP/list" | awk '{s+=$1} END {print s}')
xargs -0 cat < "$TMP/list" > /dev/null          # warm the page cache

now() { date +%s.%N; }
# prints "wall cpu" seconds of a command (cpu = user + sys, children included)
timed() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%s %.3f\n", $1, $2 + $3}'; }
t_sha() { timed sh -c "xargs -0 sha256sum < '$TMP/list'"; }
t_tells() {
  rm -f "$TMP/c.tells" "$TMP/c.tells-wal" "$TMP/c.tells-shm"
  timed "$TELLS" investigate -q "$DIR" -o "$TMP/c.tells"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$1" '{print $c}' "$2" | median; }

i=0
: > "$TMP/sha"; : > "$TMP/tells"
while [ $i -lt "$REPS" ]; do
  if [ $((i % 2)) -eq 0 ]; then t_sha >> "$TMP/sha"; t_tells >> "$TMP/tells"
  else t_tells >> "$TMP/tells"; t_sha >> "$TMP/sha"; fi
  i=$((i + 1))
done
ms=$(col 1 "$TMP/sha"); mt=$(col 1 "$TMP/tells")
cs=$(col 2 "$TMP/sha"); ct=$(col 2 "$TMP/tells")
s=$(now); "$TELLS" investigate -q "$DIR" -o "$TMP/c.tells" > /dev/null; e=$(now)
rerun=$(echo "$e - $s" | bc)
rm -f "$TMP/c.tells"*
peak=$( { /usr/bin/time -f %M "$TELLS" investigate -q "$DIR" -o "$TMP/c.tells" > /dev/null; } 2>&1 | tail -n 1)

echo "input: $DIR ($files files, $bytes bytes), median of $REPS runs each"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'sha256sum  wall %7.3f s  %7.1f MB/s   cpu %7.3f s\n' "$ms" "$(echo "$bytes / $ms / 1000000" | bc -l)" "$cs"
printf 'tells      wall %7.3f s  %7.1f MB/s   cpu %7.3f s   peak RSS %s KiB\n' "$mt" "$(echo "$bytes / $mt / 1000000" | bc -l)" "$ct" "$peak"
printf 'tells re-run (all files already in the case): %.3f s\n' "$rerun"
printf 'ratio, wall time (tells speed / sha256sum speed): %.2f  (goal >= 0.90)\n' "$(echo "$ms / $mt" | bc -l)"
printf 'ratio, cpu time: %.2f\n' "$(echo "$cs / $ct" | bc -l)"
