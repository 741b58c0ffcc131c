#!/bin/sh
# bench_report.sh -- `tells report` on a case of 1,000,000 flows and
# 1,000,000 events, and opening the report in headless Chromium (issue 7:
# goals < 10 s and < 5 s).
#
#   bench/bench_report.sh BUILD_DIR [REPS] [FLOWS] [EVENTS]
#
# tests/tools/mkbigcase writes the case through the case API (deterministic;
# flows with EVE records and GeoIP, logon and process events, findings that
# refer to flows so every chart has data).  `tells report` runs REPS times
# (default 3) from page cache; wall time, CPU time (user + sys) and peak RSS
# are reported, medians for the times.  Chromium loads the report with
# --dump-dom (returns once the page has loaded and its script ran), REPS
# times, against an empty page for the browser's own start-up; with
# --single-process its CPU time includes the renderer's.  Use a Release
# build (-DCMAKE_BUILD_TYPE=Release).
set -eu
BUILD=${1:-build}
REPS=${2:-3}
FLOWS=${3:-1000000}
EVENTS=${4:-1000000}
CHROME=$(command -v chromium || command -v chromium-browser || true)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# prints "wall cpu peak_rss_kb"
timed() { /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

set -- $(timed "$BUILD/tools/mkbigcase" "$TMP/big.tells" "$FLOWS" "$EVENTS")
echo "case: $FLOWS flows, $EVENTS events, $(($(stat -c %s "$TMP/big.tells") / 1048576)) MB, written in $1 s ($2 s cpu)"
cat "$TMP/big.tells" > /dev/null
: > "$TMP/r"
i=0
while [ $i -lt "$REPS" ]; do
  timed "$BUILD/tells" report "$TMP/big.tells" -o "$TMP/big.html" >> "$TMP/r"
  i=$((i + 1))
done
echo "tells report: wall $(cut -d' ' -f1 "$TMP/r" | median) s, cpu $(cut -d' ' -f2 "$TMP/r" | median) s," \
     "peak RSS $(cut -d' ' -f3 "$TMP/r" | sort -n | tail -n 1) KB; report $(($(stat -c %s "$TMP/big.html") / 1024)) KB"
[ -n "$CHROME" ] || { echo "chromium: not installed, browser timing skipped"; exit 0; }
echo '<!DOCTYPE html><html><body>empty</body></html>' > "$TMP/empty.html"
PROFILE="$TMP/profile"
# the browser, as a plain command for /usr/bin/time
set -- "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$PROFILE"
for page in empty big; do
  : > "$TMP/c-$page"; : > "$TMP/s-$page"
  i=0
  while [ $i -lt "$REPS" ]; do
    timed timeout 300 "$@" --dump-dom "file://$TMP/$page.html" >> "$TMP/c-$page"
    timed timeout 300 "$@" --single-process --dump-dom "file://$TMP/$page.html" >> "$TMP/s-$page"
    i=$((i + 1))
  done
done
grep -q 'id="sec-anomalies"' "$TMP/big.html" || { echo "report incomplete"; exit 1; }
e=$(cut -d' ' -f1 "$TMP/c-empty" | median); b=$(cut -d' ' -f1 "$TMP/c-big" | median)
ec=$(cut -d' ' -f2 "$TMP/s-empty" | median); bc=$(cut -d' ' -f2 "$TMP/s-big" | median)
echo "chromium load: wall $b s (empty page $e s, so $(echo "$b $e" | awk '{printf "%.2f", $1 - $2}') s for the report);" \
     "single-process cpu $bc s (empty page $ec s); peak RSS $(cut -d' ' -f3 "$TMP/s-big" | sort -n | tail -n 1) KB"
echo "load: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
