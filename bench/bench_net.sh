#!/bin/sh
# bench_net.sh -- capture reading: tells versus Debian's nfpcapd (nfdump) and
# ndpiReader (libndpi-bin) on the same >= 1 GB capture, side by side in one run.
#
#   bench/bench_net.sh BUILD_DIR [GB] [REPS] [mixed]
#
# bench/mkbigcap.py builds a classic pcap of GB gigabytes (default 1) in a
# temporary folder by replicating the Ethernet captures of
# ../shared/corpora/pcap with shifted addresses.  Five synthetic stress
# traces of Zeek's (zeek-traces/contentline: one connection carrying an
# 18 MB line each, once decompressed) make up 95% of those bytes; with
# "mixed" they are left out, and the capture is the other 704 captures'
# traffic (DNS, HTTP, TLS, SMB... at about 460 bytes a packet).  The file is read once to
# warm the page cache, then each REPS times (default 5), the order of the
# three tools alternating from run to run:
#   tells net BIG --jsonl > /dev/null      flows, metadata and detections
#   nfpcapd -r BIG -w DIR                  NetFlow records into DIR (emptied)
#   ndpiReader -i BIG -q                   DPI of every flow, no per-flow output
# Medians of wall and CPU (user + system) time, GB/s and the ratios are
# printed, with the peak RSS (/usr/bin/time %M, the largest of the runs).
# tells also runs with --max-flows 1000 to show its memory is bounded by the
# flow cap rather than by the capture.  The machine may be shared: CPU time
# is the steadier figure, and the load average before and after is printed.
# Installs nothing (scripts/install-deps.sh does).
set -eu
BUILD=${1:-build}
GB=${2:-1}
REPS=${3:-5}
MIX=${4:-}
SRC=$(cd "$(dirname "$0")/.." && pwd)
for t in nfpcapd ndpiReader; do
  command -v "$t" >/dev/null 2>&1 || { echo "bench_net.sh: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
BIG="$TMP/big.pcap"
CORPUS="$SRC/../shared/corpora/pcap"
if [ "$MIX" = mixed ]; then   # the corpus less the stress traces, as symlinks
  CORPUS="$TMP/corpus"
  (cd "$SRC/../shared/corpora/pcap" && find . -type f ! -path './zeek-traces/contentline/*') |
    while read -r f; do
      mkdir -p "$CORPUS/$(dirname "$f")"
      ln -s "$(cd "$SRC/../shared/corpora/pcap" && pwd)/$f" "$CORPUS/$f"
    done
fi
python3 "$SRC/bench/mkbigcap.py" "$BIG" "$GB" "$CORPUS"
bytes=$(stat -c %s "$BIG")
cat "$BIG" > /dev/null
mkdir "$TMP/nf"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# prints "wall cpu peak_rss_kb"
timed() { /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_tells() { timed "$BUILD/tells" net "$BIG" --jsonl >> "$TMP/t"; }
run_nf() { rm -rf "$TMP/nf"; mkdir "$TMP/nf"; timed nfpcapd -r "$BIG" -w "$TMP/nf" >> "$TMP/n"; }
run_ndpi() { timed ndpiReader -i "$BIG" -q >> "$TMP/d"; }
: > "$TMP/t"; : > "$TMP/n"; : > "$TMP/d"; : > "$TMP/c"
i=0
while [ $i -lt "$REPS" ]; do
  case $((i % 3)) in
    0) run_tells; run_nf; run_ndpi ;;
    1) run_nf; run_ndpi; run_tells ;;
    *) run_ndpi; run_tells; run_nf ;;
  esac
  timed "$BUILD/tells" net "$BIG" --jsonl --max-flows 1000 >> "$TMP/c"
  i=$((i + 1))
done
wall() { awk '{print $1}' "$1" | median; }
cpu() { awk '{print $2}' "$1" | median; }
rss() { awk 'BEGIN {m = 0} $3 > m {m = $3} END {printf "%.1f", m / 1024}' "$1"; }
gbs() { echo "$bytes / $1 / 1000000000" | bc -l; }
recs=$("$BUILD/tells" net "$BIG" --jsonl | wc -l)
pk=$(python3 -c "
import struct,sys
f=open(sys.argv[1],'rb'); f.read(24); n=0
while True:
    h=f.read(16)
    if len(h)<16: break
    f.seek(struct.unpack('<IIII',h)[2],1); n+=1
print(n)" "$BIG")
echo "input: $BIG ($bytes bytes, $pk packets; tells wrote $recs records)"
echo "load average (1, 5, 15 min) before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
for x in "tells t" "nfpcapd n" "ndpiReader d" "tells-cap1000 c"; do
  set -- $x
  w=$(wall "$TMP/$2"); c=$(cpu "$TMP/$2")
  printf '%-15s wall %6.3f s %6.2f GB/s   cpu %6.3f s %6.2f GB/s   peak RSS %7.1f MB\n' \
    "$1" "$w" "$(gbs "$w")" "$c" "$(gbs "$c")" "$(rss "$TMP/$2")"
done
tw=$(wall "$TMP/t"); tc=$(cpu "$TMP/t")
printf 'ratio tells / nfpcapd:    wall %.2f, cpu %.2f\n' "$(echo "$(wall "$TMP/n") / $tw" | bc -l)" "$(echo "$(cpu "$TMP/n") / $tc" | bc -l)"
printf 'ratio tells / ndpiReader: wall %.2f, cpu %.2f\n' "$(echo "$(wall "$TMP/d") / $tw" | bc -l)" "$(echo "$(cpu "$TMP/d") / $tc" | bc -l)"
